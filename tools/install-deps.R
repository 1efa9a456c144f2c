# Installs the R packages softmix needs to build, check and demo, from CRAN,
# skipping those already installed.
# Imports, LinkingTo and Suggests of DESCRIPTION, and what building needs.
description <- read.dcf("DESCRIPTION", fields = c("Imports", "LinkingTo", "Suggests"))
listed <- unlist(strsplit(description[!is.na(description)], ","))
listed <- trimws(sub("\\(.*", "", listed))
needed <- c("Rcpp", "RcppArmadillo", "testthat", "knitr", "rmarkdown", "mclust", "mvtnorm",
            "generics", "norm")
needed <- setdiff(unique(c(needed, listed[nzchar(listed)])), c("R", "parallel", "stats", "utils",
                                                               "graphics", "grDevices", "methods"))
extra <- commandArgs(trailingOnly = TRUE)
needed <- unique(c(needed, extra))
missing <- needed[!vapply(needed, requireNamespace, logical(1), quietly = TRUE)]
if (length(missing) > 0) {
  message("Installing from CRAN: ", paste(missing, collapse = ", "))
  repos <- getOption("repos")
  if (is.null(repos) || identical(unname(repos["CRAN"]), "@CRAN@")) {
    stop("no CRAN mirror is set: add options(repos = c(CRAN = \"<mirror URL>\")) to ",
         "~/.Rprofile (or R's Rprofile.site), with the URL of a CRAN mirror, and run again")
  }
  install.packages(missing, repos = repos, Ncpus = max(1L, parallel::detectCores()))
  still <- missing[!vapply(missing, requireNamespace, logical(1), quietly = TRUE)]
  if (length(still) > 0) stop("could not install: ", paste(still, collapse = ", "))
}
