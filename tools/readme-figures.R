# make readme-figures: draws the two plots shown in README.md into
# man/figures/ (kept out of the package tarball by .Rbuildignore). The data
# and fit are those of the README's "Soft assignments in pictures" section;
# the size keeps each file under 60 KB.
library(softmix)

three <- mixture_params(
  proportions = c(0.4, 0.35, 0.25),
  means = rbind(c(0, 0), c(3, 1), c(1, 3)),
  covariances = array(c(1, 0.3, 0.3, 1, 0.8, -0.2, -0.2, 0.6, 0.5, 0, 0, 1.2),
                      dim = c(2, 2, 3))
)
set.seed(3)
xy <- rmixture(600, three)
fit <- softmix(xy, k = 3, n_threads = 1)

dir.create(file.path("man", "figures"), showWarnings = FALSE, recursive = TRUE)
draw <- function(what) {
  file <- file.path("man", "figures", paste0("README-", what, ".png"))
  png(file, width = 460, height = 414, res = 72)
  plot(fit, what = what)
  invisible(dev.off())
  cat(sprintf("Wrote %s (%.0f KB)\n", file, file.size(file) / 1024))
}
draw("classification")
draw("uncertainty")
