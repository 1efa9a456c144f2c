# Accelerated (SQUAREM) against plain EM, and the Aitken stopping rule against
# the relative one: `Rscript bench/acceleration.R` from the package root;
# writes bench/acceleration.md and one row per fit to bench/acceleration-fits.csv.
#
# Every fit of a (data set, k, model) case starts from the same parameters:
# softmix's k-means++ start under set.seed(1) and one plain EM iteration
# (`init = "kmeans++", control = softmix_control(max_iter = 1, accelerate =
# FALSE)`; max_iter = 0 is refused), passed as `init`. From there:
#   limit     plain EM (accelerate = FALSE), tol = 1e-10: defines the limit
#   plain     plain EM, tol = 1e-8 (relative rule)
#   acc       accelerated EM, tol = 1e-8 (relative rule)
#   plain/aitken, acc/aitken: the same with stopping = "aitken"
#   plain/reg0, acc/reg0: tol = 1e-8 and reg = 0, where EM must not lower the
#             log-likelihood: does any trace fall?
# All but the reg0 fits use the default ridge (reg = 1e-6).
#
# Passes to a log-likelihood, counted exactly for both: plain EM's trace
# holds one entry per pass (max_iter = t: exactly t passes), so its count
# is an index into the limit fit's trace. The accelerated trace holds only
# the accepted parameter sets, several passes apart, so its count is the
# smallest max_iter after which the accelerated fit (tol = 1e-10, so that
# only max_iter stops it) ends within 1e-7 of the target: found by
# bisection, checked by the fit at one pass fewer. Both then include the
# last E step that every fit stopped by max_iter takes.
#
# Full run (710 cases): a few minutes on a 2-core machine; quick mode: seconds.
#
# Environment variables:
#   SOFTMIX_BENCH_QUICK=1   smoke test: faithful, acidity and one simulation;
#                           k = 2:3; VVV and EEE
#   SOFTMIX_BENCH_DATA      comma-separated data sets (names as in the table)
#   SOFTMIX_BENCH_MODELS    comma-separated models (default: all 14)
#   SOFTMIX_BENCH_K         k values as an R expression, e.g. 2:4

source(file.path("bench", "common.R"))
suppressPackageStartupMessages(library(softmix))
started <- Sys.time()
command <- bench_command("bench/acceleration.R")
quick <- bench_quick()

ks <- eval(parse(text = Sys.getenv("SOFTMIX_BENCH_K", if (quick) "2:3" else "2:6")))
models <- env_list("SOFTMIX_BENCH_MODELS", if (quick) c("VVV", "EEE") else
  c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV", "VEV",
    "EVV", "VVV"))
# Simulated data (simulate_mixture() in bench/common.R): simsep is well
# separated; simoverlap's components overlap (means about 2 standard
# deviations apart), where plain EM is slow.
simulated <- list(
  simsep = list(n = 2000, d = 3, k = 3, seed = 31, separation = 6),
  simoverlap = list(n = 5000, d = 4, k = 4, seed = 44, separation = 2)
)
data_names <- env_list("SOFTMIX_BENCH_DATA", if (quick) c("faithful", "acidity", "simoverlap") else
  c(mclust_data_names, names(simulated)))

tol <- 1e-8
tol_limit <- 1e-10
max_iter <- 10000L
max_iter_limit <- 50000L
reach_tol <- 1e-7  # "reached plain EM's log-likelihood": within this, relative
lower_tol <- 1e-7  # "accelerated ends lower": by more than this, relative
fall_tol <- 1e-10  # a trace "falls": one step lowers it by more than this, relative

new_api <- has_arg(softmix_control, "accelerate") && has_arg(softmix_control, "stopping")
if (!new_api) {
  message("The installed softmix has no `accelerate`/`stopping` controls: every variant ",
          "runs plain EM with the relative rule (smoke test only).")
}

get_data <- function(name) {
  if (name %in% names(simulated)) {
    s <- simulated[[name]]
    return(simulate_mixture(s$n, s$d, s$k, s$seed, s$separation))
  }
  mclust_data(name)
}

fit_from <- function(x, k, model, start, ...) {
  softmix(x, k, model, init = start, control = make_control(...), n_threads = 2, verbose = FALSE)
}

# The fewest passes after which the accelerated fit from `start`, stopped
# there by max_iter, is within reach_tol of `target`; NA if it never gets
# there (another maximum). `upper`: the passes of the fit run to tol_limit.
acc_passes_to <- function(x, k, model, start, target, upper, final_loglik, at_start) {
  if (at_start) return(0L)
  if (final_loglik < target - reach_tol * abs(target)) return(NA_integer_)
  reached <- function(m) {
    fit <- suppressWarnings(fit_from(x, k, model, start, tol = tol_limit, max_iter = m,
                                     accelerate = TRUE, stopping = "relative"))
    fit$loglik >= target - reach_tol * abs(target)
  }
  lo <- 0L  # the start: not within reach
  hi <- max(1L, upper)
  while (hi - lo > 1L) {
    mid <- (lo + hi) %/% 2L
    if (reached(mid)) hi <- mid else lo <- mid
  }
  hi
}

# Index (0 = the start) of the first trace entry within reach_tol of target.
steps_to <- function(trace, target) {
  hit <- which(trace >= target - reach_tol * abs(target))
  if (length(hit)) hit[1] - 1L else NA_integer_
}
# Largest one-step fall of a trace, relative to the log-likelihood (0 if
# none; NA when the fit failed).
max_fall <- function(trace) {
  if (is.null(trace)) return(NA_real_)
  if (length(trace) < 2L) return(0)
  max(0, -diff(trace) / abs(trace[-1]))
}

run_case <- function(name, x, k, model) {
  set.seed(1)
  start <- suppressWarnings(  # "stopped at max_iter = 1 before converging"
    softmix(x, k, model, init = "kmeans++", n_threads = 2, verbose = FALSE,
            control = make_control(max_iter = 1, accelerate = FALSE))
  )$parameters
  # The two default-tolerance fits, timed (seconds of one call each).
  timed <- function(accelerate) {
    t0 <- elapsed()
    fit <- fit_from(x, k, model, start, tol = tol, max_iter = max_iter,
                    accelerate = accelerate, stopping = "relative")
    list(fit = fit, seconds = elapsed() - t0)
  }
  plain_run <- timed(FALSE)
  acc_run <- timed(TRUE)
  fits <- list(
    limit = fit_from(x, k, model, start, tol = tol_limit, max_iter = max_iter_limit,
                     accelerate = FALSE, stopping = "relative"),
    plain = plain_run$fit,
    acc = acc_run$fit,
    plain_aitken = fit_from(x, k, model, start, tol = tol, max_iter = max_iter,
                            accelerate = FALSE, stopping = "aitken"),
    acc_aitken = fit_from(x, k, model, start, tol = tol, max_iter = max_iter,
                          accelerate = TRUE, stopping = "aitken"),
    # Without the ridge a component can become singular: such a fit fails
    # alone (its fall reads NA) and the case stays in.
    plain_reg0 = tryCatch(fit_from(x, k, model, start, tol = tol, max_iter = max_iter, reg = 0,
                                   accelerate = FALSE, stopping = "relative"),
                          error = function(e) NULL),
    acc_reg0 = tryCatch(fit_from(x, k, model, start, tol = tol, max_iter = max_iter, reg = 0,
                                 accelerate = TRUE, stopping = "relative"),
                        error = function(e) NULL)
  )
  target <- fits$plain$loglik
  limit <- fits$limit$loglik
  acc <- fits$acc
  acc_limit <- fit_from(x, k, model, start, tol = tol_limit, max_iter = max_iter_limit,
                        accelerate = TRUE, stopping = "relative")
  gap <- function(fit) (limit - fit$loglik) / abs(limit)
  passes_to <- function(target) {
    acc_passes_to(x, k, model, start, target, acc_limit$iterations, acc_limit$loglik,
                  at_start = steps_to(fits$limit$loglik_trace, target) == 0L)
  }
  data.frame(
    data = name, n = nrow(x), d = ncol(x), k = k, model = fits$plain$model,
    limit_loglik = limit, limit_iter = fits$limit$iterations,
    limit_converged = fits$limit$converged,
    plain_iter = fits$plain$iterations, plain_converged = fits$plain$converged,
    plain_loglik = target,
    acc_iter = acc$iterations, acc_converged = acc$converged, acc_loglik = acc$loglik,
    acc_limit_loglik = acc_limit$loglik,
    plain_to_limit = steps_to(fits$limit$loglik_trace, limit),
    acc_to_limit = passes_to(limit),
    plain_to_target = steps_to(fits$plain$loglik_trace, target),
    acc_to_target = passes_to(target),
    plain_seconds = plain_run$seconds, acc_seconds = acc_run$seconds,
    acc_lower = acc$loglik < target - lower_tol * abs(target),
    acc_higher = acc$loglik > target + lower_tol * abs(target),
    plain_gap = gap(fits$plain), acc_gap = gap(acc),
    plain_aitken_iter = fits$plain_aitken$iterations, plain_aitken_gap = gap(fits$plain_aitken),
    acc_aitken_iter = fits$acc_aitken$iterations, acc_aitken_gap = gap(fits$acc_aitken),
    plain_reg0_fall = max_fall(fits$plain_reg0$loglik_trace),
    acc_reg0_fall = max_fall(fits$acc_reg0$loglik_trace),
    stringsAsFactors = FALSE
  )
}

rows <- list()
failures <- character()
for (name in data_names) {
  x <- get_data(name)
  case_models <- if (ncol(x) == 1L) unique(ifelse(substr(models, 1, 1) == "E", "E", "V")) else models
  t0 <- elapsed()
  for (k in ks) {
    for (model in case_models) {
      row <- tryCatch(run_case(name, x, k, model), error = function(e) conditionMessage(e))
      if (is.character(row)) {
        failures <- c(failures, sprintf("%s k=%d %s: %s", name, k, model, row))
      } else {
        rows[[length(rows) + 1L]] <- row
      }
    }
  }
  message(sprintf("  %-10s %6.1f s", name, elapsed() - t0))
}
fits <- do.call(rbind, rows)
utils::write.csv(fits, file.path("bench", "acceleration-fits.csv"), row.names = FALSE)

# Summaries -----------------------------------------------------------------------

med <- function(v) stats::median(v, na.rm = TRUE)
fmt_e <- function(v) ifelse(is.na(v), "NA", formatC(v, format = "e", digits = 1))
# Accelerated over plain passes to a target: Inf where the accelerated fit
# never gets there (it converges to another maximum), 1 where the start is
# there already.
pass_ratio <- function(acc, plain) {
  ifelse(is.na(acc), Inf, ifelse(plain == 0L, 1, acc / pmax(plain, 1L)))
}
ratio_limit <- pass_ratio(fits$acc_to_limit, fits$plain_to_limit)
ratio_iter <- fits$acc_iter / fits$plain_iter
fall_any <- fits$plain_reg0_fall > fall_tol | fits$acc_reg0_fall > fall_tol
fall_any[is.na(fall_any)] <- FALSE

summarise <- function(rows, label) {
  r_limit <- pass_ratio(rows$acc_to_limit, rows$plain_to_limit)
  data.frame(
    data = label, fits = nrow(rows),
    `plain passes to limit (median)` = med(rows$plain_to_limit),
    `acc passes to limit (median)` = med(rows$acc_to_limit),
    `acc / plain to limit (median)` = sprintf("%.2f", med(r_limit)),
    `acc / plain to limit <= 0.2` = sprintf("%.0f%%", 100 * mean(r_limit <= 0.2)),
    `plain iter (median)` = med(rows$plain_iter), `acc iter (median)` = med(rows$acc_iter),
    `acc / plain iter (median)` = sprintf("%.2f", med(rows$acc_iter / rows$plain_iter)),
    `seconds plain / acc` = sprintf("%.2f / %.2f", sum(rows$plain_seconds), sum(rows$acc_seconds)),
    `unconverged plain / acc` = sprintf("%d / %d", sum(!rows$plain_converged),
                                        sum(!rows$acc_converged)),
    `acc off the limit` = sum(is.na(rows$acc_to_limit)),
    `acc lower` = sum(rows$acc_lower), `acc higher` = sum(rows$acc_higher),
    `reg0 trace falls (plain / acc)` = sprintf("%d / %d", sum(rows$plain_reg0_fall > fall_tol, na.rm = TRUE),
                                               sum(rows$acc_reg0_fall > fall_tol, na.rm = TRUE)),
    `reg0 failed (plain / acc)` = sprintf("%d / %d", sum(is.na(rows$plain_reg0_fall)),
                                          sum(is.na(rows$acc_reg0_fall))),
    check.names = FALSE
  )
}
per_data <- rbind(
  do.call(rbind, lapply(unique(fits$data), function(nm) summarise(fits[fits$data == nm, ], nm))),
  summarise(fits, "**all**")
)

# The same ratio by how many passes plain EM needs.
bins <- c(-1, 5, 10, 20, 40, 80, 160, Inf)
bin <- cut(fits$plain_to_limit, bins, labels = c("0-5", "6-10", "11-20", "21-40", "41-80",
                                                   "81-160", "over 160"))
by_length <- do.call(rbind, lapply(levels(bin), function(b) {
  in_bin <- which(bin == b)
  if (!length(in_bin)) return(NULL)
  data.frame(
    `plain passes to limit` = b, fits = length(in_bin),
    `acc / plain to limit (median)` = sprintf("%.2f", med(ratio_limit[in_bin])),
    `acc / plain to limit <= 0.2` = sprintf("%.0f%%", 100 * mean(ratio_limit[in_bin] <= 0.2)),
    `acc / plain iter (median)` = sprintf("%.2f", med(ratio_iter[in_bin])),
    check.names = FALSE
  )
}))

# Other readings of "plain EM's converged log-likelihood" and of "its
# iterations".
readings <- data.frame(
  reading = c(
    "passes to within 1e-7 of the limit, acc / plain (the target's reading)",
    "passes to within 1e-7 of plain EM's tol = 1e-8 result, acc / plain",
    "passes to within 1e-7 of plain EM's tol = 1e-8 result, over plain EM's iterations to stop",
    "iterations to stop at tol = 1e-8, acc / plain"
  ),
  median = sprintf("%.2f", c(
    med(ratio_limit),
    med(pass_ratio(fits$acc_to_target, fits$plain_to_target)),
    med(pass_ratio(fits$acc_to_target, fits$plain_iter)),
    med(ratio_iter)
  )),
  check.names = FALSE
)

variants <- list(
  "plain, relative" = c("plain_iter", "plain_gap"),
  "plain, aitken" = c("plain_aitken_iter", "plain_aitken_gap"),
  "accelerated, relative" = c("acc_iter", "acc_gap"),
  "accelerated, aitken" = c("acc_aitken_iter", "acc_aitken_gap")
)
stopping <- do.call(rbind, lapply(names(variants), function(v) {
  iter <- fits[[variants[[v]][1]]]
  gap <- fits[[variants[[v]][2]]]
  data.frame(
    variant = v, `iterations (median)` = med(iter), `iterations (total)` = sum(iter),
    `gap to limit (median)` = fmt_e(med(gap)),
    `gap (90th percentile)` = fmt_e(stats::quantile(gap, 0.9, na.rm = TRUE)),
    `gap (max)` = fmt_e(max(gap, na.rm = TRUE)),
    `gap <= 1e-8` = sprintf("%.0f%%", 100 * mean(gap <= 1e-8, na.rm = TRUE)),
    check.names = FALSE
  )
}))

exceptions <- fits[fits$acc_lower | fall_any, ]
exception_table <- if (nrow(exceptions)) {
  with(exceptions, data.frame(
    data = data, k = k, model = model, `plain loglik` = sprintf("%.6f", plain_loglik),
    `acc loglik` = sprintf("%.6f", acc_loglik), `acc lower` = acc_lower,
    `limit` = sprintf("%.6f", limit_loglik),
    `acc, tol = 1e-10` = sprintf("%.6f", acc_limit_loglik),
    `plain reg0 fall` = fmt_e(plain_reg0_fall), `acc reg0 fall` = fmt_e(acc_reg0_fall),
    check.names = FALSE
  ))
}
slowest <- fits[order(-ratio_iter), ][seq_len(min(10L, nrow(fits))), ]
slowest_table <- with(slowest, data.frame(
  data = data, k = k, model = model, `plain iter` = plain_iter, `acc iter` = acc_iter,
  `acc / plain` = sprintf("%.2f", acc_iter / plain_iter), check.names = FALSE
))

median_ratio <- med(ratio_limit)
n_lower <- sum(fits$acc_lower)
report <- c(
  bench_header("Accelerated and plain EM", command, started),
  if (!new_api) c("**The installed softmix has no `accelerate` or `stopping` control: every variant ran plain EM with the relative rule. Numbers below do not measure acceleration.**", "") else NULL,
  sprintf(paste(
    "Cases: data sets %s; k = %s; models %s (E and V for one column); %d fits%s.",
    "Each case starts every fit from the same parameters (k-means++ under `set.seed(1)` and",
    "one plain EM iteration: `softmix(..., init = \"kmeans++\", control = softmix_control(max_iter = 1, accelerate = FALSE))$parameters`,",
    "passed as `init`), on 2 threads. plain: `accelerate = FALSE`; acc: `accelerate = TRUE`",
    "(SQUAREM); both tol = %g, max_iter = %d, default ridge. The limit: plain EM with",
    "tol = %g, max_iter = %d (%d of %d converged). Iterations are `$iterations`, EM passes",
    "over the data."),
    paste(unique(fits$data), collapse = ", "), deparse(ks), paste(models, collapse = ", "),
    nrow(fits), if (length(failures)) sprintf(" (%d cases failed, listed below)", length(failures)) else "",
    tol, max_iter, tol_limit, max_iter_limit, sum(fits$limit_converged), nrow(fits)),
  "",
  table_heading(2, "Passes over the data, accelerated against plain EM", command),
  "",
  markdown(per_data),
  "",
  sprintf(paste(
    "- acc / plain to limit: the passes over the data each needs until its log-likelihood is",
    "within %g (relative) of the limit, accelerated over plain, per fit (Inf where the",
    "accelerated fit converges elsewhere: acc off the limit). Plain EM's count is an index into",
    "the limit fit's trace, one entry per pass; the accelerated count is the fewest `max_iter`",
    "after which the accelerated fit is there, found by bisection. Target: at most 0.2 at the",
    "median: %s (%.2f)."), reach_tol, if (median_ratio <= 0.2) "met" else "NOT MET",
    median_ratio),
  "- acc / plain iter: iterations (`$iterations`, passes) to stop at tol = 1e-8, per fit.",
  "- seconds: total time of the tol = 1e-8 fits, one call each, R overhead included.",
  sprintf(paste(
    "- acc off the limit: accelerated fits that, run to tol = %g, never get within %g of the",
    "limit: they converge to another stationary point."), tol_limit, reach_tol),
  sprintf(paste(
    "- acc lower / higher: accelerated EM ends lower / higher than plain EM by more than %g",
    "relative (higher: plain EM stopped short of its limit, which crawls, or accelerated EM",
    "reached another optimum; the gaps below tell which). Target: no fit lower: %s (%d)."),
    lower_tol, if (n_lower == 0L) "met" else "NOT MET", n_lower),
  sprintf(paste(
    "- reg0 trace falls: fits with `reg = 0` (where EM cannot lower the log-likelihood) whose",
    "trace falls by more than %g relative in one step, plain / accelerated; reg0 failed: those",
    "fits that stopped with an error (a singular component without the ridge)."), fall_tol),
  "",
  table_heading(2, "The ratio by the length of plain EM's run", command),
  "",
  markdown(by_length),
  "",
  paste(
    "Fits grouped by the passes plain EM needs to get within 1e-7 of the limit. A pass is the",
    "least any scheme spends, and extrapolation needs two EM steps before its first long step,",
    "so where plain EM needs few passes no scheme can need a fifth of them."
  ),
  "",
  table_heading(2, "Other readings of the target", command),
  "",
  markdown(readings),
  "",
  table_heading(2, "Stopping rules: relative change against Aitken", command),
  "",
  markdown(stopping),
  "",
  sprintf(paste(
    "Same cases and starts, tol = %g for both rules (`stopping = \"relative\"`: |l_t - l_(t-1)| /",
    "(1 + |l_t|) < tol; `\"aitken\"`: Aitken's estimate of the distance to the limit below tol).",
    "Gap: (limit - final log-likelihood) / |limit|, the limit being the tol = %g plain fit;",
    "a negative gap is a fit that ended above it (another optimum)."), tol, tol_limit),
  "",
  table_heading(2, "Fits where accelerated EM ends lower or a reg = 0 trace falls", command),
  "",
  if (is.null(exception_table)) "None." else markdown(exception_table),
  "",
  table_heading(2, "Highest accelerated / plain iteration ratios", command),
  "",
  markdown(slowest_table),
  "",
  "One row per fit, with every column above, in bench/acceleration-fits.csv.",
  if (length(failures)) c("", "## Failed cases", "", paste("-", failures)) else NULL
)
writeLines(report, file.path("bench", "acceleration.md"))
writeLines(report)
