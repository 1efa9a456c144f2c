# Installs the R packages softmix needs to build, check and demo, from CRAN,
# skipping those already installed: every package that DESCRIPTION's Imports,
# LinkingTo and Suggests name (R CMD check runs with _R_CHECK_FORCE_SUGGESTS_,
# so a missing suggested package such as ggplot2 fails it), and any named on
# the command line.
fields <- read.dcf("DESCRIPTION", fields = c("Imports", "LinkingTo", "Suggests"))
declared <- unlist(strsplit(fields[!is.na(fields)], ","))
# Drop version requirements ("testthat (>= 3.0.0)") and blanks.
declared <- trimws(sub("\\(.*", "", declared))
declared <- declared[nzchar(declared)]
# Packages that come with R (graphics, stats, parallel, ...) cannot be installed from CRAN.
base <- rownames(installed.packages(priority = "base"))
needed <- setdiff(c("Rcpp", "RcppArmadillo", "testthat", "knitr", "rmarkdown", "mclust",
                    "mvtnorm", "generics", "ggplot2", declared), base)
extra <- commandArgs(trailingOnly = TRUE)
needed <- unique(c(needed, extra))
# Whether each package loads, asked of a fresh R: in this session a check
# would load namespaces (rlang, vctrs, ...) that install.packages() may then
# upgrade, and a package needing the newer one would fail to load here
# although it loads anywhere else.
loads <- function(packages) {
  # The answer on a line of its own, after anything a package prints.
  code <- sprintf("cat('\\nloads:', vapply(c(%s), requireNamespace, logical(1), quietly = TRUE))",
                  paste0("\"", packages, "\"", collapse = ", "))
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), c("-e", shQuote(code)),
                                  stdout = TRUE, stderr = FALSE))
  line <- grep("^loads:", out, value = TRUE)
  if (length(line) == 0) return(rep(FALSE, length(packages)))
  answer <- as.logical(strsplit(sub("^loads: *", "", line[length(line)]), " +")[[1]])
  if (length(answer) != length(packages) || anyNA(answer)) return(rep(FALSE, length(packages)))
  answer
}
missing <- needed[!loads(needed)]
if (length(missing) > 0) {
  message("Installing from CRAN: ", paste(missing, collapse = ", "))
  repos <- getOption("repos")
  if (is.null(repos) || identical(unname(repos["CRAN"]), "@CRAN@")) {
    stop("no CRAN mirror is set: add options(repos = c(CRAN = \"<mirror URL>\")) to ",
         "~/.Rprofile (or R's Rprofile.site), with the URL of a CRAN mirror, and run again")
  }
  install.packages(missing, repos = repos, Ncpus = max(1L, parallel::detectCores()))
  still <- missing[!loads(missing)]
  if (length(still) > 0) stop("could not install: ", paste(still, collapse = ", "))
}
