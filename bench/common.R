# Helpers shared by bench/selection.R, bench/acceleration.R,
# bench/weights.R and bench/init-compare.R (sourced from the package root).

if (!file.exists(file.path("bench", "common.R"))) {
  stop("run the bench scripts from the softmix package root")
}

# SOFTMIX_BENCH_QUICK=1: a few small data sets, k = 1:2, two models; for
# checking that a script runs, not for numbers.
bench_quick <- function() nzchar(Sys.getenv("SOFTMIX_BENCH_QUICK")) &&
  Sys.getenv("SOFTMIX_BENCH_QUICK") != "0"

# SOFTMIX_BENCH_REPS as a count: `default` when unset or not a positive
# integer (`quick_default` in quick mode), and at least 3 outside quick mode,
# the fewest a median needs.
bench_reps <- function(default, quick_default) {
  reps <- suppressWarnings(as.integer(Sys.getenv("SOFTMIX_BENCH_REPS",
                                                 if (bench_quick()) quick_default else default)))
  if (is.na(reps) || reps < 1L) reps <- as.integer(default)
  if (!bench_quick() && reps < 3L) {
    message("SOFTMIX_BENCH_REPS = ", reps, " is too few for a median: 3")
    reps <- 3L
  }
  reps
}

# A comma-separated environment variable, or `default` when it is unset.
env_list <- function(name, default) {
  value <- Sys.getenv(name, "")
  if (!nzchar(value)) return(default)
  trimws(strsplit(value, ",", fixed = TRUE)[[1]])
}

bench_cpu <- function() {
  if (!file.exists("/proc/cpuinfo")) return(unname(Sys.info()[["machine"]]))
  sub(".*:\\s*", "", grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
}

load_average <- function() {
  if (!file.exists("/proc/loadavg")) return(NA_character_)
  paste(strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3], collapse = " ")
}

# The lines every report starts with: what ran, where, when, how to rerun it.
bench_header <- function(title, command, started) {
  c(
    paste("#", title),
    "",
    sprintf("- Date: %s; run time %.1f minutes%s", format(started, "%Y-%m-%d %H:%M %Z"),
            as.numeric(difftime(Sys.time(), started, units = "mins")),
            if (bench_quick()) " (QUICK MODE: a smoke test, not results)" else ""),
    sprintf("- Command: `%s` (from the package root, softmix installed)", command),
    sprintf("- Machine: %s, %d cores; %s; load average (1, 5, 15 min) at the end %s",
            bench_cpu(), parallel::detectCores(), R.version.string, load_average()),
    sprintf("- softmix %s, mclust %s", utils::packageVersion("softmix"),
            utils::packageVersion("mclust")),
    ""
  )
}

# The command that reproduces this run: the script, after the SOFTMIX_BENCH_
# variables that are set.
bench_command <- function(script) {
  vars <- Sys.getenv()
  vars <- vars[grepl("^SOFTMIX_BENCH_", names(vars)) & nzchar(vars)]
  values <- ifelse(grepl("^[A-Za-z0-9_.,:+-]+$", vars), vars, shQuote(vars))
  paste(c(sprintf("%s=%s", names(vars), values), "Rscript", script), collapse = " ")
}

# A table's heading: its title, then the CPU, the date and the command that
# reproduces it, so that a table pasted elsewhere still says where it came from.
table_heading <- function(level, title, command) {
  sprintf("%s %s (%s, %s; `%s`)", strrep("#", level), title, bench_cpu(),
          format(Sys.Date()), command)
}

markdown <- function(df) {
  df[] <- lapply(df, function(v) ifelse(is.na(v), "NA", as.character(v)))
  header <- paste0("| ", paste(names(df), collapse = " | "), " |")
  rule <- paste0("|", paste(rep("---", ncol(df)), collapse = "|"), "|")
  body <- if (nrow(df)) apply(df, 1, function(r) paste0("| ", paste(r, collapse = " | "), " |"))
  c(header, rule, body)
}

# Whether the installed softmix has an argument; new arguments are passed
# only when it does, so the scripts also run against older versions.
has_arg <- function(fun, arg) arg %in% names(formals(fun))

# softmix_control() with only the arguments this softmix knows; the others
# are dropped (and noted by the caller where it matters).
make_control <- function(...) {
  args <- list(...)
  known <- names(args) %in% names(formals(softmix::softmix_control))
  do.call(softmix::softmix_control, args[known])
}

# Data ------------------------------------------------------------------------

load_mclust <- function(name) {
  env <- new.env()
  utils::data(list = name, package = "mclust", envir = env)
  get(name, envir = env)
}

# mclust's example data sets, as mclust's documentation fits them.
mclust_data <- function(name) {
  x <- switch(name,
    faithful = datasets::faithful,
    iris = datasets::iris[, 1:4],
    diabetes = load_mclust("diabetes")[, 2:4],
    banknote = load_mclust("banknote")[, 2:7],
    thyroid = load_mclust("thyroid")[, 2:6],
    wreath = load_mclust("wreath"),
    chevron = load_mclust("chevron")[, 2:3],
    acidity = load_mclust("acidity"),
    GvHD.pos = {
      env <- new.env()
      utils::data(list = "GvHD", package = "mclust", envir = env)
      env$GvHD.pos
    },
    stop("unknown data set ", name)
  )
  x <- as.matrix(x)
  dimnames(x) <- list(NULL, colnames(x))
  x
}
mclust_data_names <- c("faithful", "iris", "diabetes", "banknote", "thyroid", "wreath",
                       "chevron", "acidity", "GvHD.pos")

# Simulated mixture of k Gaussians in d dimensions, n points, under `seed`
# (the generator of bench/run.R): means drawn N(0, sd^2) with
# sd = separation / sqrt(2 d), so that two means lie about `separation`
# (default 4) standard deviations apart whatever d is; covariance j is
# v_j (A_j'A_j / d + I / 2) with A_j a d x d standard normal matrix and
# volume v_j ~ U(0.5, 1.5): varied orientation, shape and volume; mixing
# proportions proportional to U(1, 2) draws. Drawn with softmix::rmixture().
simulate_mixture <- function(n, d, k, seed, separation = 4) {
  simulate_mixture_truth(n, d, k, seed, separation)$x
}

# The same draw with the mixture it came from (`truth`) and each row's
# component (`labels`).
simulate_mixture_truth <- function(n, d, k, seed, separation = 4) {
  set.seed(seed)
  means <- matrix(stats::rnorm(k * d, sd = separation / sqrt(2 * d)), k, d)
  covariances <- array(0, c(d, d, k))
  for (j in seq_len(k)) {
    a <- matrix(stats::rnorm(d * d), d, d)
    covariances[, , j] <- stats::runif(1, 0.5, 1.5) * (crossprod(a) / d + diag(0.5, d))
  }
  proportions <- stats::runif(k, 1, 2)
  truth <- softmix::mixture_params(proportions / sum(proportions), means, covariances)
  x <- softmix::rmixture(n, truth)
  labels <- attr(x, "component")
  attr(x, "component") <- NULL
  list(x = x, labels = labels, truth = truth)
}

# Background load -------------------------------------------------------------

# Starts `count` busy processes (Rscript loops) and returns their process ids.
# Each checks every fraction of a second that this R process still exists and
# quits when it does not, so none outlives the benchmark even if it is killed
# by a signal; stop_busy() ends them at once.
start_busy <- function(count = 2L) {
  script <- tempfile("busy", fileext = ".R")
  writeLines(c(
    "parent <- as.integer(commandArgs(TRUE)[1])",
    "repeat {",
    "  for (i in seq_len(2e6)) NULL",
    "  if (!tools::pskill(parent, 0L)) q(\"no\")",
    "}"
  ), script)
  rscript <- file.path(R.home("bin"), "Rscript")
  pids <- vapply(seq_len(count), function(i) {
    out <- system2("sh", c("-c", shQuote(sprintf("%s --vanilla %s %d >/dev/null 2>&1 & echo $!",
                                                 shQuote(rscript), shQuote(script), Sys.getpid()))),
                   stdout = TRUE)
    as.integer(out[length(out)])
  }, integer(1))
  Sys.sleep(1)  # let them start spinning
  pids
}

stop_busy <- function(pids) {
  pids <- pids[!is.na(pids)]
  if (length(pids)) tools::pskill(pids, tools::SIGTERM)
  invisible()
}

# Evaluates `expr` with `count` busy processes running; they are stopped on the
# way out, also when `expr` fails.
with_busy <- function(count, expr) {
  pids <- start_busy(count)
  on.exit(stop_busy(pids), add = TRUE)
  message(sprintf("Background load: %d busy processes (pids %s)", count,
                  paste(pids, collapse = ", ")))
  force(expr)
}

elapsed <- function() proc.time()[["elapsed"]]

# Seconds `fit()` takes, garbage collected first; value in attribute "value".
time_it <- function(fit) {
  gc(verbose = FALSE)
  start <- elapsed()
  value <- fit()
  structure(elapsed() - start, value = value)
}

# Another version of softmix ----------------------------------------------------

# softmix as at `ref`, for benches that time it against the installed one:
# `git archive` of this repository unpacked into a temporary directory and
# installed with `R CMD INSTALL -l` into `lib` (a temporary library when
# ""), reused while that library's stamp names the same commit. Returns
# list(lib, commit, head, dirty, built, keep): the library, the commit, this
# worktree's HEAD, whether the package's files (bench/ aside) have
# uncommitted changes, whether it was built now and whether `lib` is kept.
build_softmix_at <- function(ref, lib = "") {
  git <- function(...) {
    out <- suppressWarnings(system2("git", shQuote(c(...)), stdout = TRUE, stderr = TRUE))
    status <- attr(out, "status")
    if (!is.null(status) && status != 0L) {
      stop(sprintf("git %s failed: %s", paste(c(...), collapse = " "), paste(out, collapse = "\n")))
    }
    out
  }
  commit <- git("rev-parse", "--verify", paste0(ref, "^{commit}"))
  head <- git("rev-parse", "HEAD")
  dirty <- length(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                      ":(exclude)bench")) > 0L
  keep <- nzchar(lib)
  if (!keep) lib <- tempfile("softmix-before-lib")
  stamp <- file.path(lib, "softmix-bench-commit")
  built <- FALSE
  if (!(file.exists(stamp) && identical(readLines(stamp), commit) &&
        file.exists(file.path(lib, "softmix", "DESCRIPTION")))) {
    source_dir <- tempfile("softmix-before-src")
    dir.create(source_dir)
    dir.create(lib, recursive = TRUE, showWarnings = FALSE)
    message(sprintf("Building softmix at %s into %s", substr(commit, 1, 7), lib))
    status <- system(sprintf("git archive %s | tar -x -C %s", commit, shQuote(source_dir)))
    if (status != 0L) stop("git archive ", commit, " failed")
    log <- file.path(tempdir(), "softmix-before-install.log")
    status <- system2(file.path(R.home("bin"), "R"),
                      c("CMD", "INSTALL", "--preclean", "-l", shQuote(lib), shQuote(source_dir)),
                      stdout = log, stderr = log)
    if (status != 0L) {
      stop("R CMD INSTALL of ", commit, " failed:\n", paste(readLines(log), collapse = "\n"))
    }
    unlink(source_dir, recursive = TRUE)
    writeLines(commit, stamp)
    built <- TRUE
  }
  list(lib = lib, commit = commit, head = head, dirty = dirty, built = built, keep = keep)
}

# CPU time the whole machine spent busy, in seconds (Linux; NA elsewhere):
# less this process's and its children's CPU time, what other processes
# used meanwhile.
ticks_per_second <- local({
  value <- suppressWarnings(as.numeric(system2("getconf", "CLK_TCK", stdout = TRUE,
                                               stderr = FALSE)))
  if (length(value) != 1L || is.na(value)) 100 else value
})
machine_busy_seconds <- function() {
  if (!file.exists("/proc/stat")) return(NA_real_)
  ticks <- as.numeric(strsplit(readLines("/proc/stat", n = 1L), " +")[[1]][-1])
  # user nice system idle iowait irq softirq steal (guest is inside user)
  sum(ticks[c(1:3, 6:8)]) / ticks_per_second
}
own_seconds <- function() sum(proc.time()[c("user.self", "sys.self", "user.child", "sys.child")])

# Seconds `f()` takes and the CPU seconds other processes used meanwhile
# (attribute "others"), garbage collected first.
time_with_others <- function(f) {
  gc(verbose = FALSE)
  busy <- machine_busy_seconds()
  own <- own_seconds()
  begin <- Sys.time()
  value <- f()
  seconds <- as.numeric(difftime(Sys.time(), begin, units = "secs"))
  others <- (machine_busy_seconds() - busy) - (own_seconds() - own)
  structure(seconds, others = others, value = value)
}

# Whether other processes used more CPU time than `share` of a timing's wall
# time (or 3 clock ticks, the counters' resolution) while it ran: on 2 cores
# one busy neighbour can double a 2-thread fit's time.
is_disturbed <- function(seconds, others, share = 0.25) {
  !is.na(others) & others > pmax(share * seconds, 3 / ticks_per_second)
}

# Waits (at most `limit` seconds) until other processes have used less than
# a fifth of a core over two seconds; returns the seconds waited.
wait_for_idle <- function(limit) {
  waited <- 0
  repeat {
    busy <- machine_busy_seconds()
    Sys.sleep(2)
    used <- machine_busy_seconds() - busy
    if (is.na(used) || used < 0.4 || waited >= limit) return(waited)
    waited <- waited + 2
  }
}
