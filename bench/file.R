# softmix fitted to data larger than memory: `Rscript bench/file.R` from the
# package root (`make bench-file`); writes bench/file.md.
#
# (2,000,000, 10, 8) VVV in memory, from a CSV file and from a file-backed
# big.matrix, each case in a fresh Rscript process so that its peak resident
# memory (VmHWM of /proc/self/status) is its own: seconds per EM iteration
# (plain EM from the same start, (time of 2 + m iterations - time of 2) / m,
# median of SOFTMIX_BENCH_REPS), the time softmix_file() takes (its three
# passes and the CSV's scan for line ends) and the peak memory. Then a 2 GB
# CSV file and a 2 GB big.matrix are fitted (a few iterations) for their
# peak memory.
#
# Environment: SOFTMIX_BENCH_REPS (3), SOFTMIX_BENCH_SCALE (multiplies n),
# SOFTMIX_BENCH_QUICK=1 (small files, a smoke test), SOFTMIX_BENCH_DIR (where
# the files go; a temporary directory by default; about 5 GB),
# SOFTMIX_BENCH_FILE_BIG=0 to leave out the 2 GB files.

case_main <- function(args) {
  # A case, in its own process: args = case, path, n, iterations, reps, out.
  suppressMessages(library(softmix))
  hwm <- function() {
    line <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
    as.numeric(gsub("[^0-9]", "", line)) / 1024
  }
  case <- args[1]
  path <- args[2]
  n <- as.numeric(args[3])
  extra <- as.numeric(args[4])
  reps <- as.numeric(args[5])
  out <- args[6]
  threads <- 2L
  started <- Sys.time()
  data <- switch(case,
    memory = bench_data(n),
    csv = softmix_file(path),
    big.matrix = softmix_file(path)
  )
  setup <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  setup_peak <- hwm()
  # The start: a short fit to the first 20,000 rows (the same in every case).
  start <- suppressWarnings(softmix(bench_data(min(n, 20000)), 8, model = "VVV",
                                    n_threads = threads,
                                    control = softmix_control(max_iter = 20)))$parameters
  fit_time <- function(iterations) {
    control <- softmix_control(max_iter = iterations, accelerate = FALSE, tol = 1e-300)
    t <- system.time(fit <- suppressWarnings(softmix(data, 8, model = "VVV", init = start,
                                                     control = control,
                                                     n_threads = threads)))[["elapsed"]]
    list(time = t, loglik = fit$loglik)
  }
  # From a file, an iteration of plain EM is one "statistics" pass over it:
  # each is timed. In memory, (time of 2 + m iterations - time of 2) / m.
  passes <- numeric()
  if (case != "memory") {
    ns <- asNamespace("softmix")
    pass <- get("file_run_all", envir = ns)
    timed <- function(file, what, ...) {
      t <- system.time(result <- pass(file, what, ...))[["elapsed"]]
      if (what == "statistics") passes <<- c(passes, t)
      result
    }
    unlockBinding("file_run_all", ns)
    assign("file_run_all", timed, envir = ns)
  }
  per_iteration <- numeric()
  loglik <- NA
  for (r in seq_len(reps)) {
    short <- fit_time(2)
    long <- fit_time(2 + extra)
    per_iteration <- c(per_iteration, (long$time - short$time) / extra)
    loglik <- short$loglik # 2 iterations in every case
  }
  if (case != "memory") per_iteration <- passes
  saveRDS(list(case = case, setup = setup, setup_peak = setup_peak,
               per_iteration = stats::median(per_iteration), runs = per_iteration,
               loglik = loglik, peak = hwm(), n = if (case == "memory") n else data$n),
          out)
}

# The data: the same rows, in chunks, for any n (each chunk of 100,000 rows
# from its own seed).
bench_data <- function(n, first = 1) {
  chunk <- 100000
  pieces <- lapply(seq(first, first + n - 1, by = chunk), function(start) {
    rows <- min(chunk, first + n - start)
    set.seed(start)
    centres <- matrix(seq(-8, 8, length.out = 8 * 10) * rep(c(1, -1), 40), 8, 10)
    component <- sample.int(8, rows, replace = TRUE)
    centres[component, ] + matrix(stats::rnorm(rows * 10), rows, 10)
  })
  x <- do.call(rbind, pieces)
  colnames(x) <- paste0("x", 1:10)
  x
}

write_csv <- function(path, n) {
  unlink(path)
  for (first in seq(1, n, by = 1e6)) {
    data.table::fwrite(as.data.frame(bench_data(min(1e6, n - first + 1), first)), path,
                       append = first > 1, col.names = first == 1)
  }
}

write_big_matrix <- function(dir, n) {
  unlink(file.path(dir, c("x.bin", "x.desc")))
  big <- bigmemory::filebacked.big.matrix(n, 10, type = "double", backingfile = "x.bin",
                                          descriptorfile = "x.desc", backingpath = dir,
                                          dimnames = list(NULL, paste0("x", 1:10)))
  for (first in seq(1, n, by = 1e6)) {
    rows <- first:min(n, first + 1e6 - 1)
    big[rows, ] <- bench_data(length(rows), first)
  }
  bigmemory::flush(big)
  rm(big)
  invisible(gc())
  file.path(dir, "x.desc")
}

run_case <- function(case, path, n, extra, reps) {
  out <- tempfile(fileext = ".rds")
  status <- system2(file.path(R.home("bin"), "Rscript"),
                    c("bench/file.R", "--case", case, shQuote(path), format(n, scientific = FALSE),
      if (case == "memory") 5 * extra else extra, reps, out))
  if (!identical(as.integer(status), 0L) || !file.exists(out)) {
    stop(sprintf("the %s case failed (exit status %s)", case, status))
  }
  readRDS(out)
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) > 0L && args[1] == "--case") {
  case_main(args[-1])
  quit(save = "no")
}

source(file.path("bench", "common.R"))
started <- Sys.time()
load_at_start <- load_average()
quick <- bench_quick()
scale <- as.numeric(Sys.getenv("SOFTMIX_BENCH_SCALE", "1"))
reps <- as.numeric(Sys.getenv("SOFTMIX_BENCH_REPS", "3"))
n <- if (quick) 50000 else round(2e6 * scale)
extra <- if (quick) 2 else 4
dir <- Sys.getenv("SOFTMIX_BENCH_DIR", "")
if (!nzchar(dir)) dir <- tempfile("softmix-file-bench")
dir.create(dir, showWarnings = FALSE, recursive = TRUE)


message("Writing the files")
csv <- file.path(dir, "x.csv")
write_csv(csv, n)
desc <- write_big_matrix(dir, n)
results <- list()
for (case in c("memory", "csv", "big.matrix")) {
  message(sprintf("Timing %s", case))
  results[[case]] <- run_case(case, switch(case, memory = "", csv = csv, big.matrix = desc),
                              n, extra, reps)
}
memory_time <- results$memory$per_iteration
rows <- do.call(rbind, lapply(results, function(r) {
  data.frame(
    data = c(memory = "matrix in memory", csv = sprintf("CSV file (%.0f MB)", file.size(csv) / 1e6),
             big.matrix = sprintf("big.matrix file (%.0f MB)",
                                  file.size(file.path(dir, "x.bin")) / 1e6))[[r$case]],
    `s per iteration` = sprintf("%.2f", r$per_iteration),
    `vs in memory` = sprintf("%.1fx", r$per_iteration / memory_time),
    `range (s)` = paste(sprintf("%.2f", range(r$runs)), collapse = " to "),
    `setup (s)` = sprintf("%.1f", r$setup),
    `peak memory (MB)` = sprintf("%.0f", r$peak),
    `log-likelihood after 2 iterations vs in memory (relative)` =
      sprintf("%.1e", (r$loglik - results$memory$loglik) / abs(results$memory$loglik)),
    check.names = FALSE
  )
}))
unlink(c(csv, file.path(dir, c("x.bin", "x.desc"))))

big <- NULL
if (!identical(Sys.getenv("SOFTMIX_BENCH_FILE_BIG"), "0")) {
  # 2 GB files: the CSV has about 170 bytes a row, the big.matrix 80.
  big_rows <- if (quick) c(csv = 2e5, big.matrix = 4e5) else c(csv = 12.5e6, big.matrix = 26.8e6)
  big <- list()
  message("Writing a 2 GB CSV file")
  write_csv(csv, big_rows[["csv"]])
  big$csv <- c(run_case("csv", csv, big_rows[["csv"]], 1, 1), bytes = file.size(csv))
  unlink(csv)
  message("Writing a 2 GB big.matrix")
  desc <- write_big_matrix(dir, big_rows[["big.matrix"]])
  big$big.matrix <- c(run_case("big.matrix", desc, big_rows[["big.matrix"]], 1, 1),
                      bytes = file.size(file.path(dir, "x.bin")))
}

lines <- c(
  bench_header("softmix on data larger than memory", bench_command("bench/file.R"), started),
  sprintf("- Load average at the start %s. Each case runs in a fresh Rscript process; peak memory is its VmHWM (peak resident set, R itself included: an R session with softmix loaded starts near 70 MB).", load_at_start),
  sprintf("- Data: %s rows, 10 columns, 8 well-separated spherical clusters; model VVV, K = 8, plain EM (no acceleration) from the same start, on 2 threads, fitted %d times for 2 and for %d iterations. Seconds per iteration: from a file, the median time of a pass of the M step's statistics over the file (one iteration of plain EM), over all those fits' passes (range beside it); in memory, (time of %d iterations - time of 2) / %d, median of %d. Files are read in chunks of 100,000 rows; a CSV chunk is parsed by data.table::fread() on one thread, a big.matrix chunk read from its backing file with readBin().",
          format(n, big.mark = ",", scientific = FALSE), reps, 2 + extra, 2 + 5 * extra,
          5 * extra, reps),
  "- setup: making the data: in memory, generating it; for a file, softmix_file() (the CSV's scan for line ends, a pass to count and check the rows, two for the columns' means and variances).",
  "",
  table_heading(2, "Seconds per EM iteration and peak memory, (2,000,000, 10, 8) VVV",
                bench_command("bench/file.R")),
  "",
  markdown(rows)
)
if (!is.null(big)) {
  big_table <- do.call(rbind, lapply(names(big), function(case) {
    r <- big[[case]]
    data.frame(file = case, `size (GB)` = sprintf("%.2f", r$bytes / 1e9),
               rows = format(r$n, big.mark = ",", scientific = FALSE),
               `softmix_file() (s)` = sprintf("%.0f", r$setup),
               `s per iteration` = sprintf("%.1f", r$per_iteration),
               `peak memory after softmix_file() (MB)` = sprintf("%.0f", r$setup_peak),
               `peak memory of the fit (MB)` = sprintf("%.0f", r$peak), check.names = FALSE)
  }))
  lines <- c(lines, "",
             table_heading(2, "A 2 GB file: peak memory of a fit", bench_command("bench/file.R")),
             "",
             "The fit: from the start, 2 then 3 plain EM iterations of VVV with K = 8, on 2 threads, each followed by the passes that end a fit (log-likelihood, degeneracy evidence, classification); seconds per iteration as above (median of those 5 passes).",
             "",
             markdown(big_table))
}
writeLines(lines, file.path("bench", "file.md"))
message("Wrote bench/file.md")
unlink(dir, recursive = TRUE)
