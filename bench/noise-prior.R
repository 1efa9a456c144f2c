# The cost per EM iteration of a noise component and of the conjugate prior
# against the plain fit, on (100,000, 32, 16) VVV. Writes
# bench/noise-prior.md. Run from the package root with softmix installed:
#   Rscript bench/noise-prior.R
#
# A fit's time per iteration is read as the difference between a fit of
# 25 and one of 5 plain EM iterations (tol = 0, no acceleration) from the
# same start, divided by 20, so that the costs paid once per call (the
# hypervolume, the prior's covariance, the final E step) cancel. Variants
# are interleaved in each round; the report gives the median over the rounds
# (SOFTMIX_BENCH_REPS, default 5).

source(file.path("bench", "common.R"))
suppressPackageStartupMessages(library(softmix))

started <- Sys.time()
command <- bench_command("bench/noise-prior.R")
reps <- as.integer(Sys.getenv("SOFTMIX_BENCH_REPS", "5"))
scale_n <- if (bench_quick()) 0.05 else 1
n <- as.integer(100000 * scale_n)
d <- 32L
k <- 16L
x <- simulate_mixture(n, d, k, seed = 1)
start <- suppressWarnings(softmix(
  x, k = k, init = "kmeans++", n_threads = 2,
  control = softmix_control(max_iter = 1, accelerate = FALSE)
))$parameters
volume <- softmix_hypervolume(x)
noise_start <- mixture_params(c(start$proportions * 0.99, 0.01), start$means,
                              start$covariances, hypervolume = volume)
variants <- list(
  plain = list(init = start),
  noise = list(init = noise_start, hypervolume = volume),
  prior = list(init = start, prior = softmix_prior())
)

seconds_for <- function(iterations, args, threads) {
  control <- softmix_control(tol = 0, max_iter = iterations, accelerate = FALSE)
  call <- c(list(x = x, control = control, n_threads = threads), args)
  elapsed_before <- elapsed()
  suppressWarnings(do.call(softmix, call))
  elapsed() - elapsed_before
}
per_iteration <- function(args, threads) {
  (seconds_for(25L, args, threads) - seconds_for(5L, args, threads)) / 20
}

load_before <- load_average()
rows <- list()
for (threads in c(1L, 2L)) {
  times <- matrix(NA_real_, reps, length(variants), dimnames = list(NULL, names(variants)))
  for (r in seq_len(reps)) {
    # Rotate the order, so that drift affects every variant alike.
    order <- ((seq_along(variants) + r - 2L) %% length(variants)) + 1L
    for (v in order) times[r, v] <- per_iteration(variants[[v]], threads)
  }
  medians <- apply(times, 2, stats::median)
  rows[[length(rows) + 1L]] <- data.frame(
    case = sprintf("VVV n=%s d=%d K=%d", format(n, big.mark = ","), d, k),
    threads = threads,
    `plain ms/iter` = sprintf("%.2f", 1000 * medians[["plain"]]),
    `noise ms/iter` = sprintf("%.2f", 1000 * medians[["noise"]]),
    `prior ms/iter` = sprintf("%.2f", 1000 * medians[["prior"]]),
    `noise / plain` = sprintf("%.3f", medians[["noise"]] / medians[["plain"]]),
    `prior / plain` = sprintf("%.3f", medians[["prior"]] / medians[["plain"]]),
    check.names = FALSE
  )
}
table <- do.call(rbind, rows)
ratios <- as.numeric(c(table[["noise / plain"]], table[["prior / plain"]]))
report <- c(
  bench_header("A noise component and the conjugate prior: cost per EM iteration", command,
               started),
  sprintf("- Load average before %s, after %s", load_before, load_average()),
  "",
  table_heading(2, "Noise and prior against the plain fit, per EM iteration", command),
  "",
  markdown(table),
  "",
  sprintf("- Target: each within 5%% of the plain fit per iteration: %s (largest ratio %.3f).",
          if (all(ratios <= 1.05)) "met" else "NOT MET", max(ratios)),
  sprintf(paste(
    "- Each cell is the median over %d rounds of (time of 25 iterations - time of 5) / 20,",
    "plain EM (`tol = 0`, `accelerate = FALSE`) from the same start; the noise variant",
    "starts with a 1%% noise share and the data's hypervolume, the prior variant with",
    "`softmix_prior()`'s defaults."
  ), reps)
)
writeLines(report, file.path("bench", "noise-prior.md"))
cat(report, sep = "\n")
