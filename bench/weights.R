# What observation weights cost per EM iteration, and whether the unweighted
# path got slower with them: `Rscript bench/weights.R` from the package root
# (`make bench-weights`); writes bench/weights.md and every timing to
# bench/weights-times.csv.
#
# Weights enter the fused E+M pass as a multiplier of the responsibilities
# (weight_responsibilities() in inst/include/softmix/estep.h), not as a
# second pass. For each case (VVV; n, d, K below) this times 20 plain EM
# iterations (`control = softmix_control(tol = 0, max_iter = 20,
# accelerate = FALSE)`, default ridge) from one fixed start, on 1 and 2
# threads, in three variants:
#   before      unweighted, softmix as at commit 9d3c7fa (the parent of the
#               weights work)
#   now         unweighted, the softmix that `library(softmix)` finds
#   weighted    now, with `weights = runif(n, 0.5, 1.5)` (fixed seed)
#
# Two versions of one package cannot be loaded in one R process, so every
# timing runs in a child Rscript (this script again, with `--time`): the
# parent simulates the data, the start (softmix's k-means++ and one plain EM
# iteration) and the weights once, saves them with saveRDS(), and then runs
# rounds of one child for "before" and one for "now", alternating which goes
# first. The "now" child times weighted and unweighted fits interleaved,
# alternating which goes first, so that drift in the machine's speed touches
# every variant alike. Each child reads from /proc/stat how much CPU other
# processes used during each fit; a fit they used more than a quarter of a
# core of is "disturbed" (on 2 cores one busy neighbour can double a 2-thread
# fit's time). Rounds go on, each after waiting for the machine to be idle,
# until every variant has SOFTMIX_BENCH_REPS undisturbed timings or
# SOFTMIX_BENCH_MAX_ROUNDS rounds have run. Reported: the median over the
# undisturbed timings of each variant's seconds over its iterations, fixed
# costs of a call (checks, the final E step) included.
#
# The "before" version is built by this script: `git archive <commit>` of
# this repository is unpacked into a temporary directory and installed with
# `R CMD INSTALL -l <library>` (about 20 seconds), into a temporary library
# that is removed afterwards, or into SOFTMIX_BENCH_BEFORE_LIB, where it is
# kept and reused while that library's stamp names the same commit. Needs
# git and a compiler. "now" is whatever `library(softmix)` finds (R_LIBS
# chooses, e.g. R_LIBS=/tmp/lib ... after `R CMD INSTALL -l /tmp/lib .`).
#
# Full run: about 2.5 minutes on an idle 2-core machine, 10 or more on a
# busy one; quick mode: about a minute.
#
# Environment variables:
#   SOFTMIX_BENCH_QUICK=1      smoke test: a twentieth of each n, 2 rounds
#   SOFTMIX_BENCH_REPS         undisturbed timings wanted per variant, median
#                              reported (default 9; at least 3 outside quick
#                              mode)
#   SOFTMIX_BENCH_MAX_ROUNDS   most rounds (default 4 x SOFTMIX_BENCH_REPS)
#   SOFTMIX_BENCH_BEFORE       the commit to compare with (default 9d3c7fa)
#   SOFTMIX_BENCH_BEFORE_LIB   library for the "before" build (default: a
#                              temporary one)

source(file.path("bench", "common.R"))
n_iter <- 20L
thread_counts <- c(1L, 2L)
# A timing during which other processes used more CPU than this share of one
# core is disturbed (is_disturbed()): with 2 threads on 2 cores one busy
# neighbour can double a fit's time.
disturbed_share <- 0.25


# Child: `Rscript bench/weights.R --time <library> <cases.rds> <variants>
# <round> <out.rds>` loads softmix from <library>, times each case's
# variants (comma-separated: unweighted, weighted) once per thread count
# and saves a data frame with one row per fit.
time_cases <- function(args) {
  lib <- args[2]
  .libPaths(c(lib, .libPaths()))
  suppressPackageStartupMessages(library(softmix, lib.loc = lib))
  cases <- readRDS(args[3])
  variants <- strsplit(args[4], ",", fixed = TRUE)[[1]]
  round <- as.integer(args[5])
  if ("weighted" %in% variants && !has_arg(softmix, "weights")) {
    stop("the softmix in ", lib, " has no `weights` argument")
  }
  # Odd rounds time the variants in the order given, even rounds reversed.
  if (round %% 2L == 0L) variants <- rev(variants)
  control <- softmix_control(tol = 0, max_iter = n_iter, accelerate = FALSE)
  fit_case <- function(case, start, threads, variant, max_iter = n_iter) {
    control$max_iter <- max_iter
    # tol = 0: it stops at max_iter by design, so its warning says nothing
    suppressWarnings(if (variant == "weighted") {
      softmix(case$x, case$k, "VVV", init = start, control = control, n_threads = threads,
              verbose = FALSE, weights = case$weights)
    } else {
      softmix(case$x, case$k, "VVV", init = start, control = control, n_threads = threads,
              verbose = FALSE)
    })
  }
  rows <- list()
  for (case in cases) {
    start <- mixture_params(case$start$proportions, case$start$means, case$start$covariances)
    for (threads in thread_counts) {
      # one iteration first: page faults, the thread pool and the workspaces
      # of a first call are not billed to the timed fits
      fit_case(case, start, threads, variants[1], max_iter = 1L)
      for (variant in variants) {
        # garbage from earlier fits is collected before, not during, the fit
        gc(verbose = FALSE)
        busy <- machine_busy_seconds()
        own <- own_seconds()
        # Sys.time() to the microsecond: proc.time()'s millisecond is 2%
        # of the shortest fits (20 iterations of 3 ms)
        begin <- Sys.time()
        fit <- fit_case(case, start, threads, variant)
        seconds <- as.numeric(difftime(Sys.time(), begin, units = "secs"))
        others <- (machine_busy_seconds() - busy) - (own_seconds() - own)
        rows[[length(rows) + 1L]] <- data.frame(
          case = case$name, threads = threads, variant = variant, round = round,
          seconds = seconds, others_cpu = others,
          iterations = fit$iterations, loglik = fit$loglik,
          version = as.character(utils::packageVersion("softmix", lib.loc = lib)),
          stringsAsFactors = FALSE
        )
        rm(fit)
      }
    }
  }
  saveRDS(do.call(rbind, rows), args[6])
}

if (identical(commandArgs(TRUE)[1], "--time")) {
  time_cases(commandArgs(TRUE))
  quit(save = "no")
}

# Parent -----------------------------------------------------------------------

suppressPackageStartupMessages(library(softmix))
started <- Sys.time()
command <- bench_command("bench/weights.R")
quick <- bench_quick()
# Rounds go on until every variant of every row has n_reps undisturbed
# timings (see disturbed_share), or max_rounds have run.
n_reps <- bench_reps(9L, 2L)
max_rounds <- suppressWarnings(as.integer(Sys.getenv("SOFTMIX_BENCH_MAX_ROUNDS", "")))
if (is.na(max_rounds)) max_rounds <- if (quick) n_reps else 4L * n_reps
max_rounds <- max(max_rounds, n_reps)
before_ref <- Sys.getenv("SOFTMIX_BENCH_BEFORE", "9d3c7fa")
now_lib <- dirname(find.package("softmix"))
if (!has_arg(softmix, "weights")) {
  stop("the softmix in ", now_lib, " has no `weights` argument: install this version first")
}
rscript <- file.path(R.home("bin"), "Rscript")

# Simulated data: simulate_mixture() in bench/common.R, fixed seeds. The
# first case is the issue's: the weighted fit within 5% of the unweighted.
case_specs <- list(
  list(n = 100000, d = 32, k = 16, seed = 100032),
  list(n = 200000, d = 5, k = 8, seed = 200005),
  list(n = 1000000, d = 2, k = 5, seed = 1000002)
)
target_case <- 1L
weight_ratio_target <- 1.05
# "No slower": now / before at most this; the median of one variant moves by
# 1 to 2% from one run to the next on a 2-core machine.
no_slower_allowance <- 1.02

# The "before" library (see build_softmix_at() in common.R): reused when its
# stamp names the commit, built otherwise.
before <- build_softmix_at(before_ref, Sys.getenv("SOFTMIX_BENCH_BEFORE_LIB", ""))
before_commit <- before$commit
head_commit <- before$head
head_dirty <- before$dirty
before_lib <- before$lib
keep_before_lib <- before$keep
built_here <- before$built

# Cases: data, start and weights, made once and read by every child.
make_case <- function(spec) {
  n <- if (quick) spec$n %/% 20 else spec$n
  x <- simulate_mixture(n, spec$d, spec$k, spec$seed)
  set.seed(spec$seed + 1L)
  start <- suppressWarnings(  # "stopped at max_iter = 1 before converging"
    softmix(x, spec$k, "VVV", init = "kmeans++", n_threads = 2, verbose = FALSE,
            control = softmix_control(max_iter = 1, accelerate = FALSE))
  )$parameters
  set.seed(spec$seed + 2L)
  weights <- stats::runif(n, 0.5, 1.5)
  list(name = sprintf("VVV n=%s d=%d K=%d", format(n, big.mark = ",", scientific = FALSE),
                      spec$d, spec$k),
       n = n, d = spec$d, k = spec$k, x = x, weights = weights,
       start = list(proportions = start$proportions, means = start$means,
                    covariances = start$covariances))
}
message("Simulating the cases")
cases <- lapply(case_specs, make_case)
case_names <- vapply(cases, function(case) case$name, character(1))
cases_path <- tempfile("softmix-weights-cases", fileext = ".rds")
saveRDS(cases, cases_path)
rm(cases)
invisible(gc(verbose = FALSE))

# The machine may be shared: each round first waits for it (wait_for_idle()
# in common.R).
waited <- if (quick) 0 else wait_for_idle(120)
load_before <- load_average()

run_child <- function(lib, variants, round) {
  out <- tempfile("softmix-weights-times", fileext = ".rds")
  on.exit(unlink(out))
  status <- system2(rscript, c("bench/weights.R", "--time", shQuote(lib), shQuote(cases_path),
                               variants, round, shQuote(out)))
  if (status != 0L || !file.exists(out)) {
    stop(sprintf("the timing child for %s failed (exit status %s)", lib, status))
  }
  readRDS(out)
}

# A timing during which other processes used more CPU time than
# disturbed_share of its wall time (or 3 clock ticks, the counters'
# resolution) is disturbed.
is_disturbed <- function(times) {
  !is.na(times$others_cpu) &
    times$others_cpu > pmax(disturbed_share * times$seconds, 3 / ticks_per_second)
}
# The fewest undisturbed timings of any (case, threads, variant).
fewest_undisturbed <- function(times) {
  clean <- times[!is_disturbed(times), ]
  keys <- unique(paste(times$case, times$threads, times$variant))
  min(vapply(keys, function(key) sum(paste(clean$case, clean$threads, clean$variant) == key),
             integer(1)))
}

busy_start <- machine_busy_seconds()
own_start <- own_seconds()
timing_start <- elapsed()
times <- NULL
round <- 0L
while (round < max_rounds && (round < n_reps || fewest_undisturbed(times) < n_reps)) {
  round <- round + 1L
  if (round > 1L && !quick) waited <- waited + wait_for_idle(60)
  children <- list(before = list(lib = before_lib, variants = "unweighted"),
                   now = list(lib = now_lib, variants = "unweighted,weighted"))
  if (round %% 2L == 0L) children <- rev(children)
  message(sprintf("Round %d: %s", round, paste(names(children), collapse = ", then ")))
  for (version in names(children)) {
    child <- children[[version]]
    rows <- run_child(child$lib, child$variants, round)
    rows$version <- version
    rows$variant[rows$version == "before"] <- "before"
    times <- rbind(times, rows)
  }
}
n_rounds <- round
timing_seconds <- elapsed() - timing_start
others_seconds <- (machine_busy_seconds() - busy_start) - (own_seconds() - own_start)
load_after <- load_average()
times$ms_per_iter <- 1000 * times$seconds / times$iterations
times$disturbed <- is_disturbed(times)
utils::write.csv(times, file.path("bench", "weights-times.csv"), row.names = FALSE)

# Summary ----------------------------------------------------------------------

# Timings that other processes disturbed are left out of a row's medians
# while each of its three variants keeps at least 3 undisturbed ones;
# otherwise the row uses them all and says so.
cell <- function(case, threads, variant) {
  times[times$case == case & times$threads == threads & times$variant == variant, ]
}
med_ms <- function(rows) stats::median(rows$ms_per_iter)
spread <- function(rows) diff(range(rows$ms_per_iter)) / stats::median(rows$ms_per_iter)
summary_rows <- list()
for (case in case_names) {
  for (threads in thread_counts) {
    cells <- list(before = cell(case, threads, "before"), now = cell(case, threads, "unweighted"),
                  weighted = cell(case, threads, "weighted"))
    clean <- lapply(cells, function(rows) rows[!rows$disturbed, ])
    all_used <- any(vapply(clean, nrow, integer(1)) < min(3L, n_reps))
    if (!all_used) cells <- clean
    before <- cells$before
    now <- cells$now
    weighted <- cells$weighted
    summary_rows[[length(summary_rows) + 1L]] <- data.frame(
      case = case, threads = threads, before = med_ms(before), now = med_ms(now),
      weighted = med_ms(weighted), weighted_ratio = med_ms(weighted) / med_ms(now),
      now_ratio = med_ms(now) / med_ms(before),
      used = sprintf("%d / %d / %d%s", nrow(before), nrow(now), nrow(weighted),
                     if (all_used) " (all: too few undisturbed)" else ""),
      spread = max(spread(before), spread(now), spread(weighted)),
      # the same start and iterations: before and now should end alike
      dll = max(abs(now$loglik - before$loglik[1]) / abs(before$loglik[1])),
      stringsAsFactors = FALSE
    )
  }
}
summary <- do.call(rbind, summary_rows)

fmt_ms <- function(v) sprintf("%.2f", v)
fmt_ratio <- function(v) sprintf("%.3f", v)
table <- data.frame(
  case = summary$case, threads = summary$threads,
  `unweighted ms/iter (before)` = fmt_ms(summary$before),
  `unweighted ms/iter (now)` = fmt_ms(summary$now),
  `weighted ms/iter (now)` = fmt_ms(summary$weighted),
  `weighted / unweighted` = fmt_ratio(summary$weighted_ratio),
  `now / before` = fmt_ratio(summary$now_ratio),
  `rounds used (before / now / weighted)` = summary$used,
  check.names = FALSE
)

target_rows <- summary$case == case_names[target_case]
weights_met <- all(summary$weighted_ratio[target_rows] <= weight_ratio_target)
no_slower_met <- all(summary$now_ratio <= no_slower_allowance)
bad_iterations <- any(times$iterations != n_iter)
stamp_note <- function(commit) substr(commit, 1, 7)

report <- c(
  bench_header("Observation weights: cost per EM iteration", command, started),
  sprintf("- Load average (1, 5, 15 min) before the timings %s, after them %s; other processes used %.0f CPU seconds during the %.0f seconds of the rounds, waits included (%.0f%% of one core)",
          load_before, load_after, max(0, others_seconds), timing_seconds,
          max(0, 100 * others_seconds / timing_seconds)),
  sprintf("- before: softmix at %s, built by this script (`git archive` + `R CMD INSTALL`)%s; now: softmix %s from %s (worktree at %s%s)",
          stamp_note(before_commit), if (built_here) "" else sprintf(" earlier, kept in %s", before_lib),
          utils::packageVersion("softmix"), now_lib, stamp_note(head_commit),
          if (head_dirty) ", with uncommitted changes" else ""),
  "",
  table_heading(2, "Weighted against unweighted EM, and unweighted against before", command),
  "",
  markdown(table),
  "",
  sprintf(paste(
    "- Target: the weighted fit of (100,000, 32, 16) within 5%% of the unweighted one per",
    "iteration: %s (weighted / unweighted %s on 1 and 2 threads)."),
    if (weights_met) "met" else "NOT MET",
    paste(fmt_ratio(summary$weighted_ratio[target_rows]), collapse = " and ")),
  sprintf(paste(
    "- Target: the unweighted path no slower than before (now / before at most %.2f, the",
    "allowance for run-to-run noise, in every row): %s (largest %s)."),
    no_slower_allowance, if (no_slower_met) "met" else "NOT MET",
    fmt_ratio(max(summary$now_ratio))),
  "",
  sprintf(paste(
    "Each cell is the median over the undisturbed timings (below) of %d rounds of seconds per iteration of one call of",
    "`softmix(x, k, \"VVV\", init = start, control = softmix_control(tol = 0, max_iter = %d,",
    "accelerate = FALSE), n_threads = threads)` (with `weights = w` in the weighted column),",
    "its time over its %d iterations, the call's fixed costs included. Data: simulate_mixture()",
    "in bench/common.R; start: softmix's k-means++ and one plain EM iteration, the same for every",
    "variant; w = runif(n, 0.5, 1.5) under a fixed seed. Each round runs one Rscript child with",
    "the before version and one with the now version, alternating which goes first; the now",
    "child times the unweighted and weighted fits interleaved, alternating which goes first; each",
    "child first runs one iteration per case and thread count, untimed. now / before and",
    "weighted / unweighted are ratios of the medians."),
    n_rounds, n_iter, n_iter),
  "",
  sprintf(paste(
    "Disturbed: a timing during which other processes used more CPU time than %.0f%% of the",
    "fit's wall time (or 3 clock ticks, the counters' resolution), read from /proc/stat less",
    "the child's own CPU time; on 2 cores one busy neighbour can double a 2-thread fit's time.",
    "A row's medians leave them out while each variant keeps at least 3; rounds used says how",
    "many each kept. Rounds went on until every variant of every row had %d undisturbed",
    "timings, or %d rounds had run; before each round the script waited until other processes",
    "had used less than a fifth of a core for 2 seconds (at most a minute; %.0f s in all).",
    "%d of %d timings were disturbed."),
    100 * disturbed_share, n_reps, max_rounds, waited, sum(times$disturbed), nrow(times)),
  "",
  "## Notes",
  "",
  sprintf("- Run-to-run spread of the rounds used (max - min over median, largest of the three variants) per row: %s.",
          paste(sprintf("%s, %d thread(s): %.1f%%", summary$case, summary$threads,
                        100 * summary$spread), collapse = "; ")),
  sprintf(paste(
    "- before and now end at the same log-likelihood from the same start: largest relative",
    "difference %.1e."),
    max(summary$dll)),
  if (bad_iterations) "- SOME FIT DID NOT RUN EXACTLY 20 ITERATIONS; see bench/weights-times.csv." else
    sprintf("- Every fit ran exactly %d iterations.", n_iter),
  if (any(summary$spread > 0.2) || any(grepl("all", summary$used))) paste(
    "- The machine was not quiet enough (a spread above 20%, or a row with too few",
    "undisturbed timings): rerun when it is idle before trusting a ratio near its target."),
  "- Every timing, one row per fit and round, is in bench/weights-times.csv."
)
writeLines(report, file.path("bench", "weights.md"))
writeLines(report)
# The temporary library (when not SOFTMIX_BENCH_BEFORE_LIB) and the cases
# live in tempdir(), which R removes on exit, also after an error.
unlink(cases_path)
if (!keep_before_lib) unlink(before_lib, recursive = TRUE)
