# EM over data sharded on a parallel cluster against EM in memory:
# `Rscript bench/cluster.R` (or `make bench-cluster`) from the package root,
# softmix installed; writes bench/cluster.md.
#
# (2,000,000, 10, 8) VVV from the same starting parameters (the true ones),
# plain EM: in memory on 2 threads; over 2 local
# PSOCK workers of one thread each, with the rows sent from memory and with
# each worker reading its own shard file. Each case runs in a fresh R
# process, so that its peak memory (VmHWM) is that of the main session
# alone. The time of an iteration is that of a fit of 5 + `iterations`
# iterations less that of a fit of 5, divided by `iterations`, so that the
# costs paid once per fit (the final E step, the posterior, the R object) do
# not count. Bytes per iteration: the serialized request (parameters) and
# answer (statistics) of one pass, per worker, at n and at n / 100.
#
# SOFTMIX_BENCH_SCALE multiplies n; SOFTMIX_BENCH_QUICK=1 runs n = 20,000.

source(file.path("bench", "common.R"))
started <- Sys.time()
load_before <- load_average()
scale <- suppressWarnings(as.numeric(Sys.getenv("SOFTMIX_BENCH_SCALE", "1")))
if (is.na(scale) || scale <= 0) scale <- 1
n <- if (bench_quick()) 20000 else round(2e6 * scale)
d <- 10
k <- 8
iterations <- 10
dir <- tempfile("softmix-cluster-bench-")
dir.create(dir)
on.exit(unlink(dir, recursive = TRUE), add = TRUE)

# The data, its two halves as shard files, and the start.
truth <- simulate_mixture_truth(n, d, k, seed = 2026)
x <- truth$x
paths <- file.path(dir, c("shard1.rds", "shard2.rds"))
half <- n %/% 2
saveRDS(x[seq_len(half), ], paths[1], compress = FALSE)
saveRDS(x[(half + 1):n, ], paths[2], compress = FALSE)
saveRDS(x, file.path(dir, "all.rds"), compress = FALSE)
start <- truth$truth
saveRDS(start, file.path(dir, "start.rds"))
rm(x)
invisible(gc())

# One case in a fresh R process: its seconds per iteration, setup seconds and
# the main session's peak resident memory.
case_script <- '
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; case <- args[2]; iterations <- as.integer(args[3])
suppressPackageStartupMessages(library(softmix))
peak_mb <- function() {
  line <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}
start <- readRDS(file.path(dir, "start.rds"))
control <- function(max_iter) {
  softmix_control(max_iter = max_iter, tol = 1e-300, accelerate = FALSE)
}
setup <- 0
shards <- NULL
if (case != "memory") {
  cl <- parallel::makePSOCKcluster(2)
  invisible(parallel::clusterCall(cl, function(p) .libPaths(p), .libPaths()))
  t0 <- proc.time()[["elapsed"]]
  shards <- if (case == "files") {
    softmix_shards(cl, file.path(dir, c("shard1.rds", "shard2.rds")))
  } else {
    softmix_shards(cl, x = readRDS(file.path(dir, "all.rds")))
  }
  setup <- proc.time()[["elapsed"]] - t0
}
data <- if (is.null(shards)) readRDS(file.path(dir, "all.rds")) else shards
timed_fit <- function(max_iter) {
  t0 <- proc.time()[["elapsed"]]
  fit <- suppressWarnings(softmix(data, k = nrow(start$means), model = "VVV", init = start,
                                  control = control(max_iter),
                                  n_threads = if (is.null(shards)) 2 else 1))
  list(fit = fit, seconds = proc.time()[["elapsed"]] - t0)
}
short <- timed_fit(5)
long <- timed_fit(5 + iterations)
fit <- long$fit
seconds <- long$seconds - short$seconds
bytes <- c(NA, NA)
if (!is.null(shards)) {
  # One statistics pass: what is sent to a worker and what comes back.
  wire <- softmix:::shard_wire(fit$parameters, shards$factor)
  calls <- list(list(token = shards$token, id = 1L, what = "statistics", wire = wire,
                     model = "VVV", factor = shards$factor, extra = NULL))
  request <- list(type = "EXEC", data = list(fun = softmix:::shard_work,
                                             args = list(calls, softmix:::shard_pass),
                                             return = TRUE, tag = NULL))
  answer <- softmix:::shard_run_all(shards, "statistics", wire, "VVV", NULL)[1]
  bytes <- c(length(serialize(request, NULL)), length(serialize(answer, NULL)))
  parallel::stopCluster(cl)
}
cat(sprintf("RESULT %s %.6f %.3f %.1f %d %.0f %.0f %.10f\\n", case, seconds / iterations,
            setup, peak_mb(), fit$iterations, bytes[1], bytes[2], fit$loglik))
'
script <- file.path(dir, "case.R")
writeLines(case_script, script)
run_case <- function(case) {
  out <- system2(file.path(R.home("bin"), "Rscript"), c(script, dir, case, iterations),
                 stdout = TRUE, stderr = TRUE)
  line <- grep("^RESULT", out, value = TRUE)
  if (length(line) != 1L) stop("case ", case, " failed:\n", paste(out, collapse = "\n"))
  f <- strsplit(line, " ")[[1]]
  data.frame(case = case, seconds_per_iteration = as.numeric(f[3]), setup = as.numeric(f[4]),
             peak_mb = as.numeric(f[5]), iterations = as.integer(f[6]),
             bytes_out = suppressWarnings(as.numeric(f[7])),
             bytes_in = suppressWarnings(as.numeric(f[8])),
             loglik = as.numeric(f[9]))
}
reps <- if (bench_quick()) 1 else 3
runs <- do.call(rbind, lapply(seq_len(reps), function(r) {
  do.call(rbind, lapply(c("memory", "sent", "files"), run_case))
}))
summary <- do.call(rbind, lapply(split(runs, runs$case), function(r) {
  data.frame(case = r$case[1], seconds_per_iteration = stats::median(r$seconds_per_iteration),
             setup = stats::median(r$setup), peak_mb = max(r$peak_mb),
             bytes_out = r$bytes_out[1], bytes_in = r$bytes_in[1],
             loglik = r$loglik[1])
}))
summary <- summary[match(c("memory", "sent", "files"), summary$case), ]
memory_time <- summary$seconds_per_iteration[summary$case == "memory"]
memory_loglik <- summary$loglik[summary$case == "memory"]
labels <- c(memory = "in memory, 2 threads",
            sent = "2 PSOCK workers, rows sent from memory",
            files = "2 PSOCK workers, each reading its shard file")
table <- data.frame(
  where = labels[summary$case],
  `ms per iteration` = sprintf("%.1f", 1000 * summary$seconds_per_iteration),
  `vs in memory` = sprintf("%.2f", summary$seconds_per_iteration / memory_time),
  `setup s` = ifelse(summary$case == "memory", "", sprintf("%.1f", summary$setup)),
  `bytes sent per worker and iteration` = ifelse(is.na(summary$bytes_out), "",
                                                 format(summary$bytes_out, big.mark = ",")),
  `bytes back per worker and iteration` = ifelse(is.na(summary$bytes_in), "",
                                                 format(summary$bytes_in, big.mark = ",")),
  `peak MB, main session` = sprintf("%.0f", summary$peak_mb),
  `log-likelihood - in memory` = sprintf("%.1e", summary$loglik - memory_loglik),
  check.names = FALSE
)

# The same exchange's size at n / 100: what crosses does not grow with n.
small <- local({
  library(softmix)
  cl <- parallel::makePSOCKcluster(2)
  on.exit(parallel::stopCluster(cl))
  invisible(parallel::clusterCall(cl, function(p) .libPaths(p), .libPaths()))
  x <- readRDS(file.path(dir, "all.rds"))
  shards <- softmix_shards(cl, x = x[seq_len(max(1000, n %/% 100)), ])
  wire <- softmix:::shard_wire(start, shards$factor)
  answer <- softmix:::shard_run_all(shards, "statistics", wire, "VVV", NULL)[1]
  c(rows = nrow(shards$x), bytes = length(serialize(answer, NULL)))
})

command <- bench_command("bench/cluster.R")
lines <- c(
  bench_header("EM over a cluster's workers against EM in memory", command, started),
  sprintf("- Load average before %s, after %s", load_before, load_average()),
  "",
  table_heading(2, sprintf("(%s, %d, %d) VVV, plain EM from the true parameters",
                           format(n, big.mark = ",", scientific = FALSE), d, k),
                  command),
  "",
  markdown(table),
  "",
  sprintf(paste("- ms per iteration: a fit of %d iterations less a fit of 5, divided by %d",
                "(the costs paid once per fit left out); medians of %d runs, each case in a",
                "fresh R process. Workers run one thread each; the in-memory fit two. Setup:",
                "making the shards (sending the rows, or each worker reading its file) and the",
                "passes that fix the scale and the ridge."),
          5 + iterations, iterations, reps),
  "- Peak MB: the main session's peak resident memory (VmHWM), the largest of the runs.",
  sprintf(paste("- Bytes: one pass's request to a worker (the parameters, with the call) and",
                "its answer (the statistics), serialized. At %s rows the answer is %s bytes:",
                "what crosses does not depend on the number of rows."),
          format(small[["rows"]], big.mark = ","), format(small[["bytes"]], big.mark = ","))
)
writeLines(lines, file.path("bench", "cluster.md"))
cat(lines, sep = "\n")
