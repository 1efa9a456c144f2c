# Shared by tools/sanitize-run.R and tools/valgrind-run.R: runs every
# help-page example of the installed softmix, each in a fresh environment
# with plots to a null device, and returns the number of topics and the
# names of those whose example failed.
run_examples <- function() {
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
  list(topics = length(db), failed = failed)
}

