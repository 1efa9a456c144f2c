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
