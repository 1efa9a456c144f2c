# Runs under the sanitizer runtimes for `make sanitize` (tools/sanitize.sh):
#   Rscript tools/sanitize-run.R tests <tests/testthat directory> <result file>
#   Rscript tools/sanitize-run.R examples <result file>
# The installed softmix must come first in R_LIBS. Writes one line of counts
# to the result file; exits 1 when an example fails (test failures are
# counted, not fatal: sanitizer reports decide, see tools/sanitize.sh).
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
# This script's path: Rscript passes --file=PATH, R -f passes -f PATH.
launch <- commandArgs(FALSE)
script <- c(sub("^--file=", "", grep("^--file=", launch, value = TRUE)),
            launch[which(launch == "-f") + 1L])[1]
source(file.path(dirname(script), "run-examples.R"))
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
  result <- run_examples()
  failed <- result$failed
  line <- sprintf("examples: %d topics, %d failed%s", result$topics, length(failed),
                  if (length(failed)) paste0(" (", paste(failed, collapse = ", "), ")") else "")
  writeLines(line, args[2])
  quit(status = if (length(failed)) 1 else 0)
}

stop("usage: sanitize-run.R tests <dir> <result> | examples <result>")
