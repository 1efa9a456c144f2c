# End-to-end model selection, softmix against mclust:
# `Rscript bench/selection.R` from the package root; writes bench/selection.md.
#
# For each data set times `softmix(x, k = 1:9, model = "all", n_threads = 2)`
# (its default start) and `mclust::Mclust(x, G = 1:9, verbose = FALSE)` (its
# defaults: all 14 models, E and V for one column, hierarchical start on 2000
# random rows when there are more) and compares the chosen (model, k) and its
# BIC, on softmix's scale (-2 loglik + df log n, lower is better; mclust's
# is the negative). Then does the same with two busy background processes
# (started and stopped here) and compares softmix on 2 threads against
# 1 thread under that load.
#
# Full run: about 1.5 to 2 hours on a 2-core machine, most of it Mclust() on
# sim200k (10 to 30 s per (k, model) pair at k = 8, 126 pairs, idle and
# again under load); SOFTMIX_BENCH_LOADED_DATA without sim200k saves about
# half. Quick mode: under a minute.
#
# Environment variables:
#   SOFTMIX_BENCH_QUICK=1        smoke test: faithful, iris, acidity and a
#                                2,000-row simulation; k = 1:2; VVV and EEE
#   SOFTMIX_BENCH_DATA           comma-separated data sets to run (names as in
#                                the table), e.g. faithful,sim20k
#   SOFTMIX_BENCH_LOADED_DATA    the same for the table under load (default:
#                                as SOFTMIX_BENCH_DATA)
#   SOFTMIX_BENCH_REPS           timings per small data set, median (default 3)

source(file.path("bench", "common.R"))
suppressPackageStartupMessages(library(softmix))
# Mclust() calls mclustBIC() by name from the caller's frame: it must be attached.
suppressPackageStartupMessages(library(mclust))
started <- Sys.time()
command <- bench_command("bench/selection.R")
quick <- bench_quick()

ks <- if (quick) 1:2 else 1:9
n_reps <- as.integer(Sys.getenv("SOFTMIX_BENCH_REPS", "3"))
# Data sets with at least this many rows are timed once: mclust takes minutes.
big_n <- 20000
bic_tol <- 1e-6

# Simulated data: simulate_mixture() in bench/common.R, fixed seeds.
simulated <- list(
  sim20k = list(n = 20000, d = 5, k = 4, seed = 20000),
  sim200k = list(n = 200000, d = 10, k = 8, seed = 200000),
  sim2k = list(n = 2000, d = 5, k = 4, seed = 2000)
)
all_names <- c(mclust_data_names, "sim20k", "sim200k")
data_names <- env_list("SOFTMIX_BENCH_DATA",
                       if (quick) c("faithful", "iris", "acidity", "sim2k") else all_names)
loaded_names <- env_list("SOFTMIX_BENCH_LOADED_DATA", data_names)
# n_threads = 2 against 1 under load: the issue's two data sets.
thread_names <- if (quick) c("faithful", "sim2k") else c("faithful", "sim20k")

get_data <- function(name) {
  if (name %in% names(simulated)) {
    s <- simulated[[name]]
    return(simulate_mixture(s$n, s$d, s$k, s$seed))
  }
  mclust_data(name)
}
data_cache <- new.env()
cached_data <- function(name) {
  if (is.null(data_cache[[name]])) data_cache[[name]] <- get_data(name)
  data_cache[[name]]
}

# In quick mode both fit only VVV and EEE (V and E for one column).
softmix_models <- function(d) if (quick) c("VVV", "EEE") else "all"
mclust_models <- function(d) {
  if (!quick) return(NULL)  # mclust's default: every model
  if (d == 1L) c("E", "V") else c("VVV", "EEE")
}

run_softmix <- function(x, threads = 2L) {
  set.seed(1)
  softmix(x, k = ks, model = softmix_models(ncol(x)), n_threads = threads, verbose = FALSE)
}
run_mclust <- function(x) {
  set.seed(1)  # the rows of its hierarchical start when n > 2000
  suppressWarnings(mclust::Mclust(x, G = ks, modelNames = mclust_models(ncol(x)),
                                  verbose = FALSE))
}

# Seconds per call of `fit()`, value in attribute "value": one call timed
# by time_it(), and where it took less than `short` seconds, the mean of a
# loop of as many calls as fill about `fill` seconds (garbage collected
# first): proc.time() counts whole milliseconds, and one call of a few
# milliseconds says more about the timer than about the call.
short <- 0.05
fill <- 0.25
seconds_per_call <- function(fit) {
  t <- time_it(fit)
  if (t >= short) return(t)
  calls <- as.integer(ceiling(fill / max(as.numeric(t), 0.001)))
  gc(verbose = FALSE)
  start <- elapsed()
  for (i in seq_len(calls)) fit()
  structure((elapsed() - start) / calls, value = attr(t, "value"))
}

# One data set: both fitted `reps` times, alternately, median seconds.
compare <- function(name) {
  x <- cached_data(name)
  reps <- if (nrow(x) >= big_n) 1L else n_reps
  s_sec <- m_sec <- numeric(reps)
  for (r in seq_len(reps)) {
    t <- seconds_per_call(function() run_softmix(x))
    s_sec[r] <- t
    s_fit <- attr(t, "value")
    t <- seconds_per_call(function() run_mclust(x))
    m_sec[r] <- t
    m_fit <- attr(t, "value")
  }
  s_bic <- s_fit$bic
  m_bic <- -m_fit$bic
  message(sprintf("  %-9s softmix %7.2f s, mclust %7.2f s", name, median(s_sec), median(m_sec)))
  data.frame(
    data = name, n = nrow(x), d = ncol(x), runs = reps,
    softmix_s = stats::median(s_sec), mclust_s = stats::median(m_sec),
    softmix_pick = sprintf("%s,%d", s_fit$model, s_fit$k),
    mclust_pick = sprintf("%s,%d", m_fit$modelName, m_fit$G),
    softmix_bic = s_bic, mclust_bic = m_bic,
    bic_ok = !is.na(s_bic) && s_bic <= m_bic + bic_tol * abs(m_bic),
    softmix_na = sum(is.na(s_fit$selection$bic)),
    mclust_na = sum(is.na(m_fit$BIC)),
    pairs = nrow(s_fit$selection),
    stringsAsFactors = FALSE
  )
}

failed <- character()  # data sets whose run stopped with an error, and why
compare_all <- function(names) {
  do.call(rbind, lapply(names, function(name) {
    tryCatch(compare(name), error = function(e) {
      message(sprintf("  %s failed: %s", name, conditionMessage(e)))
      failed <<- c(failed, sprintf("%s: %s", name, conditionMessage(e)))
      NULL
    })
  }))
}

# softmix alone on 1 and 2 threads, alternately, median of `n_reps`.
compare_threads <- function(name) {
  x <- cached_data(name)
  sec <- matrix(NA_real_, n_reps, 2, dimnames = list(NULL, c("1", "2")))
  for (r in seq_len(n_reps)) {
    for (threads in 1:2) sec[r, threads] <- seconds_per_call(function() run_softmix(x, threads))
  }
  one <- stats::median(sec[, "1"])
  two <- stats::median(sec[, "2"])
  data.frame(data = name, n = nrow(x), d = ncol(x), `1 thread s` = sprintf("%.3f", one),
             `2 threads s` = sprintf("%.3f", two), `2 / 1` = sprintf("%.2f", two / one),
             `<= 1.5` = if (two <= 1.5 * one) "yes" else "NO", check.names = FALSE)
}

format_table <- function(res) {
  fmt <- function(v) sprintf("%.3f", v)
  fmt_bic <- function(v) ifelse(is.na(v), "NA", sprintf("%.2f", v))
  rows <- data.frame(
    data = res$data, n = res$n, d = res$d, runs = res$runs,
    `softmix s` = fmt(res$softmix_s), `mclust s` = fmt(res$mclust_s),
    speedup = sprintf("%.1fx", res$mclust_s / res$softmix_s),
    `softmix pick` = res$softmix_pick, `mclust pick` = res$mclust_pick,
    `softmix BIC` = fmt_bic(res$softmix_bic), `mclust BIC` = fmt_bic(res$mclust_bic),
    `BIC <= mclust` = ifelse(res$bic_ok, "yes", "NO"),
    `NA pairs s / m` = sprintf("%d / %d", res$softmix_na, res$mclust_na),
    check.names = FALSE, stringsAsFactors = FALSE
  )
  total <- rows[1, ]
  total[] <- ""
  total$data <- "**total**"
  total$`softmix s` <- fmt(sum(res$softmix_s))
  total$`mclust s` <- fmt(sum(res$mclust_s))
  total$speedup <- sprintf("%.1fx", sum(res$mclust_s) / sum(res$softmix_s))
  total$`BIC <= mclust` <- sprintf("%d / %d", sum(res$bic_ok), nrow(res))
  rbind(rows, total)
}

targets <- function(res) {
  total <- sum(res$mclust_s) / sum(res$softmix_s)
  each <- res$mclust_s / res$softmix_s
  slow <- res$data[each < 3]
  worse <- res$data[!res$bic_ok]
  c(
    sprintf("- softmix >= 10x faster in total: %s (%.1fx)", if (total >= 10) "met" else "NOT MET", total),
    sprintf("- softmix >= 3x faster on each data set: %s", if (length(slow)) {
      paste("NOT MET on", paste(sprintf("%s (%.1fx)", slow, each[each < 3]), collapse = ", "))
    } else sprintf("met (lowest %.1fx, %s)", min(each), res$data[which.min(each)])),
    sprintf("- softmix's chosen BIC at least as good as mclust's (within %g relative) on each: %s",
            bic_tol, if (length(worse)) paste("NOT MET on", paste(worse, collapse = ", ")) else "met")
  )
}

# Untimed warm-up: loading code and first-call costs are not billed to a data set.
invisible(run_softmix(cached_data(data_names[1])))
invisible(run_mclust(cached_data(data_names[1])))

message("Selection, idle machine")
idle <- compare_all(data_names)
if (is.null(idle)) stop("every data set failed")
message("Selection under load")
# with_busy() stops the busy processes on its way out, also after an error.
with_busy(2L, {
  loaded <- compare_all(loaded_names)
  message("n_threads = 2 against 1 under load")
  threads <- do.call(rbind, lapply(thread_names, compare_threads))
})

new_api <- has_arg(softmix_control, "accelerate")
report <- c(
  bench_header("Model selection: softmix against mclust", command, started),
  sprintf(paste(
    "Each data set: `softmix(x, k = %s, model = %s, n_threads = 2)` with its default start",
    "and control, against `mclust::Mclust(x, G = %s%s, verbose = FALSE)`; `set.seed(1)`",
    "before each call (mclust draws the 2000 rows of its hierarchical start from R's",
    "generator when n > 2000). Seconds: median of %d alternating runs each, one run for",
    "n >= %s; a run of a call under 0.05 s is the mean of a loop of calls filling about",
    "0.25 s, since proc.time() counts whole milliseconds. BIC on softmix's scale,",
    "-2 loglik + df log n, lower is better (mclust's",
    "`$bic` negated). \"BIC <= mclust\": softmix's chosen BIC at most mclust's + %g x |mclust's|.",
    "NA pairs: (k, model) pairs with no BIC (degenerate or failed) in softmix's `$selection`",
    "and mclust's `$BIC`, of %s pairs. Speedup: mclust's seconds over softmix's."),
    deparse(ks), if (quick) "c(\"VVV\", \"EEE\")" else "\"all\"", deparse(ks),
    if (quick) ", modelNames = c(\"VVV\", \"EEE\")" else "", n_reps,
    format(big_n, big.mark = ","), bic_tol, idle$pairs[1]),
  "",
  sprintf(paste(
    "Simulated data (`simulate_mixture()` in bench/common.R): sim20k is n = 20,000,",
    "d = 5, K = 4, seed 20000; sim200k n = 200,000, d = 10, K = 8, seed 200000%s. Means",
    "N(0, (4 / sqrt(2d))^2 I), covariances v (A'A / d + I / 2) with A standard normal",
    "and v ~ U(0.5, 1.5), proportions proportional to U(1, 2); drawn by `rmixture()`."),
    if (quick) "; sim2k n = 2,000, d = 5, K = 4, seed 2000" else ""),
  if (!new_api) c("", "Note: the installed softmix has no `accelerate` control: an older version, run with its own defaults.") else NULL,
  "",
  table_heading(2, "Idle machine", command),
  "",
  markdown(format_table(idle)),
  "",
  "Targets:",
  "",
  targets(idle),
  "",
  table_heading(2, "Under load: two busy processes running", command),
  "",
  paste("Two `Rscript` processes spinning in a loop, started by the bench before these fits",
        "and stopped after them, take the machine's cores while both peers run."),
  "",
  markdown(format_table(loaded)),
  "",
  "Targets:",
  "",
  targets(loaded),
  "",
  table_heading(3, "softmix on 2 threads against 1 thread, same load", command),
  "",
  sprintf(paste("The same softmix call with `n_threads = 1` and `n_threads = 2`, alternately, median",
                "of %d runs each. Target: the 2-thread time at most 1.5 times the 1-thread time."), n_reps),
  "",
  markdown(threads),
  if (length(failed)) c("", "## Data sets that failed (left out of the tables)", "",
                        paste("-", unique(failed))) else NULL
)
writeLines(report, file.path("bench", "selection.md"))
writeLines(report)
