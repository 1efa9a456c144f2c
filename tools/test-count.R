# Prints the testthat totals of an R CMD check as `N passed, N failed`.
# Usage: Rscript tools/test-count.R <package>.Rcheck
args <- commandArgs(trailingOnly = TRUE)
check_dir <- args[1]
outputs <- Sys.glob(file.path(check_dir, "tests", "testthat.Rout*"))
line <- character()
for (file in outputs) {
  text <- readLines(file, warn = FALSE)
  line <- c(line, grep("\\[ FAIL [0-9]+ \\| WARN [0-9]+ \\| SKIP [0-9]+ \\| PASS [0-9]+ \\]", text,
                       value = TRUE))
}
if (length(line) == 0) {
  cat("0 passed, 1 failed\n")
  quit(status = 1)
}
last <- line[length(line)]
count <- function(what) as.integer(sub(paste0(".*", what, " ([0-9]+).*"), "\\1", last))
failed <- count("FAIL")
passed <- count("PASS")
skipped <- count("SKIP")
cat(sprintf("%d passed, %d failed, %d skipped\n", passed, failed, skipped))
quit(status = if (failed > 0) 1 else 0)
