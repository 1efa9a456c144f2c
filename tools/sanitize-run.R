# Runs under the sanitizer runtimes for `make sanitize` (tools/sanitize.sh):
#   Rscript tools/sanitize-run.R tests <tests/testthat directory> <result file>
#   Rscript tools/sanitize-run.R examples <result file>
# The installed softmix must come first in R_LIBS. Writes one line of counts
# to the result file; exits 1 when an example fails (test failures are
# counted, not fatal: sanitizer reports decide, see tools/sanitize.sh).
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
library(softmix)
cat("softmix from", dirname(system.file(package = "softmix")), "with kernels",
    softmix:::softmix_kernel(), "\n")

if (identical(mode, "tests")) {
  library(testthat)
  # List every failure, not the first ten.
  options(testthat.summary.max_reports = 1000L)
  result <- as.data.frame(test_dir(args[2], reporter = "summary", package = "softmix",
                                   load_package = "installed", stop_on_failure = FALSE))
  counts <- c(
    tests = nrow(result),
    expectations = sum(result$nb),
    failed = sum(result$failed > 0 | result$error),
    skipped = sum(result$skipped)
  )
  line <- sprintf("tests: %d test blocks, %d expectations, %d blocks failed, %d skipped",
                  counts[["tests"]], counts[["expectations"]], counts[["failed"]],
                  counts[["skipped"]])
  if (counts[["failed"]] > 0) {
    failing <- unique(result$test[result$failed > 0 | result$error])
    line <- paste0(line, "\n  failed: ", paste(failing, collapse = "\n  failed: "))
  }
  writeLines(line, args[3])
  quit(status = 0)
}

if (identical(mode, "examples")) {
  grDevices::pdf(NULL)
  db <- tools::Rd_db("softmix")
  failed <- character()
  for (name in names(db)) {
    file <- tempfile(fileext = ".R")
    tools::Rd2ex(db[[name]], file, commentDontrun = TRUE, commentDonttest = FALSE)
    if (!file.exists(file)) next
    cat("\n=== example:", name, "\n")
    set.seed(1)
    ok <- tryCatch({
      source(file, echo = TRUE, max.deparse.length = Inf, local = new.env(parent = globalenv()))
      TRUE
    }, error = function(e) {
      cat("EXAMPLE ERROR in", name, ":", conditionMessage(e), "\n")
      FALSE
    })
    if (!ok) failed <- c(failed, name)
  }
  line <- sprintf("examples: %d topics, %d failed%s", length(db), length(failed),
                  if (length(failed)) paste0(" (", paste(failed, collapse = ", "), ")") else "")
  writeLines(line, args[2])
  quit(status = if (length(failed)) 1 else 0)
}

stop("usage: sanitize-run.R tests <dir> <result> | examples <result>")
