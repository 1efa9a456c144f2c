# softmix at small d against a floor measured on this machine, against
# Armadillo's gmm_full/gmm_diag, and against the version before the small-d
# kernels: `Rscript bench/small-d.R` from the package root
# (`make bench-small-d`; `make bench` runs it too); writes bench/small-d.md
# and every timing to bench/small-d-times.csv.
#
# The floor of one EM iteration of a case (n, d, K) with T threads is the
# largest of three times, each measured in this run:
#   FMA     the flops of the pass at the measured FMA peak (bench/peak_flops.cpp,
#           T threads): 2 n K d^2 for the full-covariance quadratic form and
#           scatter (4 n K d for diagonal and spherical models) plus the E
#           step's other flops, n K (3 d + 4) (centring, squaring, the
#           offset, the shift, the sum and the normalisation of the
#           log-sum-exp);
#   exp     n K exponentials at the measured rate of softmix's own
#           vectorised exp (exp_lanes() of the active kernel, in the loop of
#           exp_in_place(), on L1-resident arguments, T threads, run alone;
#           bench/small_d_floor.cpp);
#   stream  8 n d bytes at the measured rate of reading a 1 GiB array
#           (T threads).
# softmix's time per iteration is the difference between a fit of 25 and
# one of 5 plain EM iterations from the same start (tol = 0, no
# acceleration, no ridge), divided by 20, so that the costs paid once per
# call (checks, the final E step, the R object) cancel, as in
# bench/noise-prior.R; those fixed costs are reported on their own, and the
# time of the 25-iteration call over 25 is reported too.
#
# Two versions of one package cannot be loaded in one R process, so every
# timing runs in a child Rscript (this script again, with `--time`): the
# parent simulates the cases once; each round runs one child with the
# version before (SOFTMIX_BENCH_BEFORE, default 2d6eb2b, built here by
# `git archive` + `R CMD INSTALL` into a temporary library, or into
# SOFTMIX_BENCH_BEFORE_LIB, kept and reused) and one with the installed
# version, alternating which goes first. The installed version's child also
# measures the floor's rates, times Armadillo (5 iterations; its EM has no
# final E step) and times the fits on faithful against mclust. Medians over
# the rounds are reported (SOFTMIX_BENCH_REPS rounds, default 3); the
# floor's rates are the best over the rounds, the machine's capability.
#
# Environment variables:
#   SOFTMIX_BENCH_QUICK=1      smoke test: a twentieth of each n, 1 round
#   SOFTMIX_BENCH_REPS         rounds (default 3; at least 3 outside quick mode)
#   SOFTMIX_BENCH_BEFORE       the commit to compare with (default 2d6eb2b)
#   SOFTMIX_BENCH_BEFORE_LIB   library for the "before" build (default: a
#                              temporary one)

source(file.path("bench", "common.R"))
thread_counts <- c(1L, 2L)
iter_long <- 25L
iter_short <- 5L
iter_gmm <- 5L

# The cases of the floor table; (100,000, 32, 16) checks that the kernels of
# larger d kept their speed.
case_specs <- list(
  list(model = "VVV", n = 1000000, d = 2, k = 5),
  list(model = "VVV", n = 200000, d = 5, k = 8),
  list(model = "VVV", n = 200000, d = 10, k = 8),
  list(model = "VVI", n = 1000000, d = 2, k = 5),
  list(model = "VVI", n = 200000, d = 5, k = 8),
  list(model = "VVI", n = 200000, d = 10, k = 8),
  list(model = "VII", n = 1000000, d = 2, k = 5),
  list(model = "VII", n = 200000, d = 5, k = 8),
  list(model = "VII", n = 200000, d = 10, k = 8),
  list(model = "VVV", n = 100000, d = 32, k = 16)
)
# Whether a case is compared with Armadillo and held to the floor targets.
small_case <- function(spec) spec$d <= 10

# Flops of one pass counted for the floor (see the top of this file).
floor_flops <- function(model, n, d, k) {
  main <- if (model == "VVV") 2 * n * k * d^2 else 4 * n * k * d
  main + n * k * (3 * d + 4)
}

# Child ------------------------------------------------------------------------
# `Rscript bench/small-d.R --time <library> <cases.rds> <round> <out.rds>
# <cache dir> <now|before>`: loads softmix from <library>, times every case
# once per thread count, and for "now" also the floor's rates, Armadillo
# and the fits on faithful; saves list(times, rates, faithful).

time_child <- function(args) {
  lib <- args[2]
  .libPaths(c(lib, .libPaths()))
  suppressPackageStartupMessages(library(softmix, lib.loc = lib))
  cases <- readRDS(args[3])
  round <- as.integer(args[4])
  cache_dir <- args[6]
  is_now <- identical(args[7], "now")
  if (is_now) {
    Rcpp::sourceCpp(file.path("bench", "peak_flops.cpp"), cacheDir = cache_dir)
    Rcpp::sourceCpp(file.path("bench", "gmm_arma.cpp"), cacheDir = cache_dir)
    Rcpp::sourceCpp(file.path("bench", "small_d_floor.cpp"), cacheDir = cache_dir)
  }
  control <- function(iterations) {
    make_control(max_iter = iterations, tol = 0, reg = 0, accelerate = FALSE)
  }
  fit_seconds <- function(case, start, iterations, threads) {
    timing <- time_with_others(function() {
      suppressWarnings(softmix(case$x, case$k, case$model, init = start,
                               control = control(iterations), n_threads = threads))
    })
    fit <- attr(timing, "value")
    structure(as.numeric(timing), others = attr(timing, "others"), loglik = fit$loglik,
              iterations = fit$iterations)
  }
  rows <- list()
  for (case in cases) {
    start <- mixture_params(case$start$proportions, case$start$means, case$start$covariances)
    xt <- if (is_now && small_case(case)) t(case$x)
    for (threads in thread_counts) {
      # untimed: page faults, the thread pool and the workspaces of a first call
      fit_seconds(case, start, 1L, threads)
      long <- fit_seconds(case, start, iter_long, threads)
      short <- fit_seconds(case, start, iter_short, threads)
      gmm <- NA_real_
      gmm_others <- NA_real_
      if (!is.null(xt)) {
        gmm <- time_with_others(function() {
          if (case$model == "VVV") {
            arma_gmm_full(xt, t(start$means), start$covariances, start$proportions, iter_gmm,
                          threads)
          } else {
            arma_gmm_diag(xt, t(start$means), apply(start$covariances, 3, diag),
                          start$proportions, iter_gmm, threads)
          }
        })
        gmm_others <- attr(gmm, "others")
        gmm <- as.numeric(gmm)
      }
      rows[[length(rows) + 1L]] <- data.frame(
        case = case$name, model = case$model, n = case$n, d = case$d, k = case$k,
        threads = threads, round = round, long = as.numeric(long), short = as.numeric(short),
        gmm = gmm, long_others = attr(long, "others"), short_others = attr(short, "others"),
        gmm_others = gmm_others, loglik = attr(long, "loglik"), iterations = attr(long, "iterations"),
        stringsAsFactors = FALSE
      )
    }
  }
  rates <- NULL
  faithful_times <- NULL
  if (is_now) {
    kernel <- softmix:::softmix_kernel()
    best_of <- function(f, reps = 5L) max(vapply(seq_len(reps), function(i) f(), numeric(1)))
    peak_gflops(1L, 1e6)  # warm up (frequency ramp)
    rates <- do.call(rbind, lapply(thread_counts, function(threads) data.frame(
      threads = threads, round = round, kernel = kernel,
      fma_gflops = best_of(function() peak_gflops(threads)),
      exp_per_s = best_of(function() exp_rate(kernel, threads)),
      read_bytes_per_s = best_of(function() read_bandwidth(threads), 3L)
    )))
  }
  # faithful: one fit of K = 3 (default model and start) and the 9 x 14
  # selection of Mclust()'s defaults, in both versions; mclust in "now" only.
  x <- as.matrix(datasets::faithful)
  reps <- 20L
  per_call <- function(f, count) {
    f()
    timing <- time_with_others(function() for (i in seq_len(count)) f())
    structure(as.numeric(timing) / count, others = attr(timing, "others") / count)
  }
  faithful_row <- function(what, timing) {
    data.frame(round = round, what = what, seconds = as.numeric(timing),
               others = attr(timing, "others"), stringsAsFactors = FALSE)
  }
  start3 <- suppressWarnings(softmix(x, 3))$parameters
  faithful_times <- rbind(
    faithful_row("softmix(faithful, k = 3)", per_call(function() softmix(x, k = 3), reps)),
    faithful_row("softmix(faithful, k = 1:9, model = \"all\")",
                 per_call(function() softmix(x, k = 1:9, model = "all"), 2L)),
    faithful_row("fixed cost: softmix(faithful, 3, init = fit, max_iter = 1)",
                 per_call(function() {
                   suppressWarnings(softmix(x, 3, init = start3, control = control(1L)))
                 }, 5L * reps))
  )
  if (is_now) {
    # Mclust() finds mclustBIC() and its kin on the search path only.
    suppressPackageStartupMessages(library(mclust))
    mclust_fit <- function(...) suppressWarnings(mclust::Mclust(x, verbose = FALSE, ...))
    faithful_times <- rbind(
      faithful_times,
      faithful_row("mclust: Mclust(faithful, G = 3, modelNames = \"VVV\")",
                   per_call(function() mclust_fit(G = 3, modelNames = "VVV"), reps)),
      faithful_row("mclust: Mclust(faithful) (G = 1:9, 14 models)",
                   per_call(function() mclust_fit(), 2L))
    )
  }
  saveRDS(list(times = do.call(rbind, rows), rates = rates, faithful = faithful_times), args[5])
}

if (identical(commandArgs(TRUE)[1], "--time")) {
  time_child(commandArgs(TRUE))
  quit(save = "no")
}

# Parent -----------------------------------------------------------------------

suppressPackageStartupMessages(library(softmix))
started <- Sys.time()
command <- bench_command("bench/small-d.R")
quick <- bench_quick()
n_rounds <- bench_reps(3L, 1L)
for (package in c("mclust", "RcppArmadillo", "Rcpp")) {
  if (!requireNamespace(package, quietly = TRUE)) stop("bench/small-d.R needs the package ", package)
}
before_ref <- Sys.getenv("SOFTMIX_BENCH_BEFORE", "2d6eb2b")
now_lib <- dirname(find.package("softmix"))
rscript <- file.path(R.home("bin"), "Rscript")
before <- build_softmix_at(before_ref, Sys.getenv("SOFTMIX_BENCH_BEFORE_LIB", ""))
cache_dir <- file.path(tempdir(), "rcpp-cache")
dir.create(cache_dir, showWarnings = FALSE)

make_case <- function(spec, index) {
  n <- if (quick) spec$n %/% 20 else spec$n
  seed <- 23000L + index
  x <- simulate_mixture(n, spec$d, spec$k, seed)
  set.seed(seed + 1L)
  start <- suppressWarnings(  # "stopped at max_iter = 1 before converging"
    softmix(x, spec$k, spec$model, init = "kmeans++", n_threads = 2,
            control = make_control(max_iter = 1, accelerate = FALSE))
  )$parameters
  list(name = sprintf("%s n=%s d=%d K=%d", spec$model,
                      format(n, big.mark = ",", scientific = FALSE), spec$d, spec$k),
       model = spec$model, n = n, d = spec$d, k = spec$k, x = x,
       start = list(proportions = start$proportions, means = start$means,
                    covariances = start$covariances))
}
message("Simulating the cases")
cases <- Map(make_case, case_specs, seq_along(case_specs))
cases_path <- tempfile("softmix-small-d-cases", fileext = ".rds")
saveRDS(cases, cases_path)
case_names <- vapply(cases, function(case) case$name, character(1))
rm(cases)
invisible(gc(verbose = FALSE))

load_before <- load_average()
run_child <- function(lib, round, version) {
  out <- tempfile("softmix-small-d-times", fileext = ".rds")
  on.exit(unlink(out))
  status <- system2(rscript, c("bench/small-d.R", "--time", shQuote(lib), shQuote(cases_path),
                               round, shQuote(out), shQuote(cache_dir), version))
  if (status != 0L || !file.exists(out)) {
    stop(sprintf("the timing child for %s failed (exit status %s)", version, status))
  }
  result <- readRDS(out)
  result$times$version <- version
  result$faithful$version <- version
  result
}
# A cell (case, threads, version) keeps the rounds whose 25- and 5-iteration
# fits other processes did not disturb; rounds go on, each after waiting
# for the machine to be idle, until every cell has n_rounds of them or
# max_rounds have run.
undisturbed <- function(times) {
  !is_disturbed(times$long, times$long_others) & !is_disturbed(times$short, times$short_others)
}
fewest_undisturbed <- function(times) {
  keys <- paste(times$case, times$threads, times$version)
  clean <- keys[undisturbed(times)]
  min(vapply(unique(keys), function(key) sum(clean == key), integer(1)))
}
max_rounds <- if (quick) n_rounds else 4L * n_rounds
times <- NULL
rates <- NULL
faithful_times <- NULL
waited <- 0
round <- 0L
busy_start <- machine_busy_seconds()
own_start <- own_seconds()
timing_start <- elapsed()
while (round < max_rounds && (round < n_rounds || fewest_undisturbed(times) < n_rounds)) {
  round <- round + 1L
  if (!quick) waited <- waited + wait_for_idle(60)
  order <- if (round %% 2L == 1L) c("now", "before") else c("before", "now")
  message(sprintf("Round %d: %s", round, paste(order, collapse = ", then ")))
  for (version in order) {
    result <- run_child(if (version == "now") now_lib else before$lib, round, version)
    times <- rbind(times, result$times)
    rates <- rbind(rates, result$rates)
    faithful_times <- rbind(faithful_times, result$faithful)
  }
}
rounds_run <- round
timing_seconds <- elapsed() - timing_start
others_seconds <- (machine_busy_seconds() - busy_start) - (own_seconds() - own_start)
load_after <- load_average()
times$undisturbed <- undisturbed(times)
times$gmm_undisturbed <- !is_disturbed(times$gmm, times$gmm_others)
times$per_iter <- (times$long - times$short) / (iter_long - iter_short)
times$fixed <- times$short - iter_short * times$per_iter
times$per_call_iter <- times$long / iter_long
times$gmm_iter <- times$gmm / iter_gmm
utils::write.csv(times, file.path("bench", "small-d-times.csv"), row.names = FALSE)

# Summary ----------------------------------------------------------------------

best_rate <- function(column, threads) max(rates[[column]][rates$threads == threads])
med <- function(rows, column) stats::median(rows[[column]])
summary <- do.call(rbind, lapply(seq_along(case_specs), function(i) {
  spec <- case_specs[[i]]
  do.call(rbind, lapply(thread_counts, function(threads) {
    cell <- function(version) {
      rows <- times[times$case == case_names[i] & times$threads == threads &
                      times$version == version, ]
      clean <- rows[rows$undisturbed, ]
      if (nrow(clean) >= min(3L, n_rounds)) clean else structure(rows, all_used = TRUE)
    }
    now <- cell("now")
    old <- cell("before")
    gmm_rows <- now[now$gmm_undisturbed, ]
    if (nrow(gmm_rows) == 0L) gmm_rows <- now
    n <- now$n[1]
    fma <- floor_flops(spec$model, n, spec$d, spec$k) / (1e9 * best_rate("fma_gflops", threads))
    exp_time <- n * spec$k / best_rate("exp_per_s", threads)
    stream <- 8 * n * spec$d / best_rate("read_bytes_per_s", threads)
    floor <- max(fma, exp_time, stream)
    data.frame(
      case = case_names[i], model = spec$model, d = spec$d, threads = threads,
      small = small_case(spec), fma = fma, exp = exp_time, stream = stream, floor = floor,
      bound = c("FMA", "exp", "stream")[which.max(c(fma, exp_time, stream))],
      now = med(now, "per_iter"), now_call = med(now, "per_call_iter"),
      before = med(old, "per_iter"), before_call = med(old, "per_call_iter"),
      fixed_now = med(now, "fixed"), fixed_before = med(old, "fixed"),
      gmm = med(gmm_rows, "gmm_iter"),
      used = sprintf("%d / %d%s", nrow(old), nrow(now),
                     if (isTRUE(attr(now, "all_used")) || isTRUE(attr(old, "all_used")))
                       " (all: too few undisturbed)" else ""),
      spread = diff(range(now$per_iter)) / med(now, "per_iter"),
      dll = max(abs(now$loglik - old$loglik[1]) / abs(old$loglik[1])),
      iterations_ok = all(c(now$iterations, old$iterations) == iter_long),
      stringsAsFactors = FALSE
    )
  }))
}))
summary$pct_floor <- 100 * summary$floor / summary$now
summary$pct_floor_call <- 100 * summary$floor / summary$now_call
summary$pct_floor_before <- 100 * summary$floor / summary$before
summary$vs_gmm <- summary$gmm / summary$now_call
summary$now_ratio <- summary$now_call / summary$before_call

fmt_ms <- function(v) ifelse(is.na(v), "NA", sprintf("%.2f", 1000 * v))
fmt_pct <- function(v) ifelse(is.na(v), "NA", sprintf("%.0f%%", v))
fmt_x <- function(v) ifelse(is.na(v), "NA", sprintf("%.1fx", v))
floor_table <- data.frame(
  case = summary$case, threads = summary$threads,
  `FMA ms` = fmt_ms(summary$fma), `exp ms` = fmt_ms(summary$exp),
  `stream ms` = fmt_ms(summary$stream), `floor ms` = fmt_ms(summary$floor),
  `bound` = summary$bound,
  `softmix ms/iter` = fmt_ms(summary$now), `% floor` = fmt_pct(summary$pct_floor),
  `call ms/iter` = fmt_ms(summary$now_call), `% floor (call)` = fmt_pct(summary$pct_floor_call),
  `before ms/iter` = fmt_ms(summary$before), `% floor (before)` = fmt_pct(summary$pct_floor_before),
  `gmm ms/iter` = fmt_ms(summary$gmm), `vs gmm` = fmt_x(summary$vs_gmm),
  check.names = FALSE
)
fixed_table <- data.frame(
  case = summary$case, threads = summary$threads,
  `fixed ms (before)` = fmt_ms(summary$fixed_before), `fixed ms (now)` = fmt_ms(summary$fixed_now),
  `call ms/iter (before)` = fmt_ms(summary$before_call),
  `call ms/iter (now)` = fmt_ms(summary$now_call),
  `now / before` = sprintf("%.3f", summary$now_ratio),
  `rounds used (before / now)` = summary$used,
  check.names = FALSE
)
rate_table <- do.call(rbind, lapply(thread_counts, function(threads) data.frame(
  threads = threads,
  `FMA peak GFLOP/s` = sprintf("%.1f", best_rate("fma_gflops", threads)),
  exp = sprintf("%.3f", 1e9 / best_rate("exp_per_s", threads)),
  `read GB/s` = sprintf("%.1f", best_rate("read_bytes_per_s", threads) / 1e9),
  check.names = FALSE
)))
names(rate_table)[3] <- sprintf("exp (%s) ns per value", rates$kernel[1])
faithful_summary <- do.call(rbind, lapply(unique(faithful_times$what), function(what) {
  rows <- faithful_times[faithful_times$what == what, ]
  clean <- rows[!is_disturbed(rows$seconds, rows$others), ]
  if (nrow(clean) >= min(3L, n_rounds)) rows <- clean
  data.frame(call = what,
             before = if (any(rows$version == "before"))
               stats::median(rows$seconds[rows$version == "before"]) else NA_real_,
             now = stats::median(rows$seconds[rows$version == "now"]),
             stringsAsFactors = FALSE)
}))
mclust_of <- function(what) faithful_summary$now[faithful_summary$call == what]
faithful_summary$vs_mclust <- NA_real_
faithful_summary$vs_mclust[1] <-
  mclust_of("mclust: Mclust(faithful, G = 3, modelNames = \"VVV\")") / faithful_summary$now[1]
faithful_summary$vs_mclust[2] <-
  mclust_of("mclust: Mclust(faithful) (G = 1:9, 14 models)") / faithful_summary$now[2]
faithful_table <- data.frame(
  call = sprintf("`%s`", faithful_summary$call),
  `ms (before)` = fmt_ms(faithful_summary$before), `ms (now)` = fmt_ms(faithful_summary$now),
  `mclust / softmix` = fmt_x(faithful_summary$vs_mclust),
  check.names = FALSE
)

# Targets (issue 23).
small <- summary[summary$small, ]
floor_rows <- small[small$model == "VVV", ]
full_mid <- small[small$model == "VVV" & small$d >= 5, ]
full_two <- small[small$model == "VVV" & small$d == 2, ]
diag_rows <- small[small$model != "VVV", ]
# "At least as far ahead of gmm_diag" as the full models are of gmm_full:
# the same 10x (5 <= d <= 10) and 8x (d = 2).
diag_needed <- ifelse(diag_rows$d == 2, 8, 10)
large <- summary[summary$d == 32, ]
verdict <- function(ok) if (all(ok)) "met" else "NOT MET"
worst <- function(v, f = min) sprintf("%.1f", f(v))
targets <- c(
  sprintf("- At least 40%% of the floor, VVV (1,000,000, 2, 5), (200,000, 5, 8), (200,000, 10, 8), 1 and 2 threads (per iteration): %s (lowest %s%%; with each call's fixed costs spread over its 25 iterations, lowest %s%%).",
          verdict(floor_rows$pct_floor >= 40), worst(floor_rows$pct_floor),
          worst(floor_rows$pct_floor_call)),
  sprintf("- At least 10x faster than gmm_full for VVV with 5 <= d <= 10: %s (lowest %sx); 8x at d = 2: %s (lowest %sx).",
          verdict(full_mid$vs_gmm >= 10), worst(full_mid$vs_gmm),
          verdict(full_two$vs_gmm >= 8), worst(full_two$vs_gmm)),
  sprintf("- Diagonal (VVI) and spherical (VII) models at least as far ahead of gmm_diag (10x, 8x at d = 2): %s (lowest %s).",
          verdict(diag_rows$vs_gmm >= diag_needed),
          paste(sprintf("%s %d thread(s): %.1fx", diag_rows$case, diag_rows$threads,
                        diag_rows$vs_gmm)[which.min(diag_rows$vs_gmm / diag_needed)])),
  sprintf("- (100,000, 32, 16) no more than 3%% slower than before, per call over its iterations: %s (now / before %s).",
          verdict(large$now_ratio <= 1.03), paste(sprintf("%.3f", large$now_ratio), collapse = " and "))
)
kernel_name <- rates$kernel[1]
report <- c(
  bench_header("softmix at small d against a measured floor", command, started),
  sprintf("- Load average (1, 5, 15 min) before the rounds %s, after them %s; other processes used %.0f CPU seconds during the %.0f seconds of the %d rounds, waits included (%.0f%% of one core; %.0f s waiting for an idle machine)",
          load_before, load_after, max(0, others_seconds), timing_seconds, rounds_run,
          max(0, 100 * others_seconds / timing_seconds), waited),
  sprintf("- before: softmix at %s, built by this script (`git archive` + `R CMD INSTALL`)%s; now: softmix %s from %s (worktree at %s%s); active kernel `%s`",
          substr(before$commit, 1, 7), if (before$built) "" else sprintf(" earlier, kept in %s", before$lib),
          utils::packageVersion("softmix"), now_lib, substr(before$head, 1, 7),
          if (before$dirty) ", with uncommitted changes" else "", kernel_name),
  "",
  table_heading(2, "The floor's rates, measured in this run", command),
  "",
  markdown(rate_table),
  "",
  sprintf("The best over %d rounds: the FMA peak of bench/peak_flops.cpp; softmix's own exp (`exp_lanes()` of the `%s` kernel, in the loop of `exp_in_place()`, on L1-resident arguments in [-40, 0], each thread its own array, run alone; bench/small_d_floor.cpp); a sum over a 1 GiB array, each thread its own share (bench/small_d_floor.cpp).",
          rounds_run, kernel_name),
  "",
  table_heading(2, "Time per EM iteration against the floor and Armadillo", command),
  "",
  markdown(floor_table),
  "",
  "Targets:",
  "",
  targets,
  "",
  sprintf(paste(
    "Times are medians over the undisturbed rounds of %d (see the notes). softmix ms/iter: (T(%d) - T(%d)) / %d, where T(t) is one call of",
    "`softmix(x, K, model, init = start, control = softmix_control(max_iter = t, tol = 0, reg = 0,",
    "accelerate = FALSE), n_threads = threads)`; call ms/iter: T(%d) / %d, the call's fixed costs included;",
    "%% floor: the floor over the time. Floor: the largest of FMA (the pass's flops, 2 n K d^2 for VVV or",
    "4 n K d for VVI and VII plus n K (3 d + 4), at the FMA peak), exp (n K values at the exp rate) and",
    "stream (8 n d bytes at the read rate), for the same thread count; bound: which. gmm: Armadillo's",
    "gmm_full (VVV) or gmm_diag (VVI, VII) from the same start, %d iterations, its time over %d; vs gmm:",
    "gmm's time over softmix's call ms/iter. Armadillo has no spherical model: VII is compared with",
    "gmm_diag. Start: softmix's k-means++ and one plain EM iteration; data: simulate_mixture() in",
    "bench/common.R."),
    rounds_run, iter_long, iter_short, iter_long - iter_short, iter_long, iter_long, iter_gmm, iter_gmm),
  "",
  table_heading(2, "Fixed costs per call, and before against now", command),
  "",
  markdown(fixed_table),
  "",
  sprintf("fixed: T(%d) - %d times the time per iteration: the data checks and conversions, the final E step with the n x K posterior, the classification and the R object. now / before: call ms/iter now over before.",
          iter_short, iter_short),
  "",
  table_heading(2, "Small n: faithful (272 x 2) against mclust", command),
  "",
  markdown(faithful_table),
  "",
  sprintf(paste(
    "Medians over the undisturbed rounds of %d of the time per call (20 calls of k = 3, 100 of the fixed-cost fit, 2 of",
    "the selections, after one untimed call). Defaults throughout: softmix's model VVV and",
    "hierarchical start, Mclust()'s hierarchical start. The fixed-cost fit starts from fitted",
    "parameters and runs one EM iteration: checks, conversions, one pass, the final E step and the",
    "R object, without the start."), rounds_run),
  "",
  "## Notes",
  "",
  sprintf(paste(
    "- Disturbed: a timing during which other processes used more CPU time than 25%% of its wall",
    "time (or 3 clock ticks), read from /proc/stat less the child's own CPU time. A cell's",
    "medians leave out the rounds whose 25- or 5-iteration fit was disturbed while at least 3",
    "remain (rounds used); rounds went on until every cell had %d, or %d rounds had run. %d of",
    "%d rounds of cells were disturbed."),
    n_rounds, max_rounds, sum(!times$undisturbed), nrow(times)),
  sprintf("- Run-to-run spread of softmix's time per iteration (max - min over median): largest %.0f%% (%s, %d thread(s)).",
          100 * max(summary$spread), summary$case[which.max(summary$spread)],
          summary$threads[which.max(summary$spread)]),
  sprintf("- before and now end at the same log-likelihood from the same start: largest relative difference %.1e.",
          max(summary$dll)),
  if (all(summary$iterations_ok)) sprintf("- Every %d-iteration fit ran exactly %d iterations.", iter_long, iter_long) else
    "- SOME FIT DID NOT RUN ALL ITS ITERATIONS; see bench/small-d-times.csv.",
  "- Every timing, one row per fit and round, is in bench/small-d-times.csv."
)
writeLines(report, file.path("bench", "small-d.md"))
writeLines(report)
unlink(cases_path)
if (!before$keep) unlink(before$lib, recursive = TRUE)
