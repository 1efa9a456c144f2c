# EM with missing values against complete-case fitting and imputation, and
# its cost per EM iteration. Writes bench/missing.md. Run from the package
# root with softmix installed:
#   Rscript bench/missing.R
#
# Accuracy: data sets of n = 2000 points from a known mixture of K = 3
# components in d = 4 dimensions (drawn as simulate_mixture() draws them,
# keeping the parameters and the labels), with values removed
#   - MCAR: each value missing with probability p (a row left with no value
#     gets one back, at random), p = 10% and 30% of all values;
#   - MAR: only variable 2 missing, with probability plogis(a + 2 z1), z1
#     the standardised variable 1 (always observed), a set so that p = 10%
#     or 30% of variable 2 is missing: large values of variable 1 lose
#     their variable 2 more often.
# Each data set is fitted (K = 3, VVV, the default "hc" start) by EM with
# the missing values (softmix's default), by the complete cases
# (`missing = "omit"`, every row then classified by predict() from its
# observed values), by softmix on the data with each missing value
# replaced by its variable's mean, and, when the mix package is installed,
# by softmix on mclust::imputeData()'s draws. The parameter error is the
# largest absolute difference between the fitted and the true means after
# matching the components by their means; the agreement is the adjusted
# Rand index of the classification against the true labels. Medians over
# SOFTMIX_BENCH_DATASETS data sets (default 10).
#
# mixture::gpcm() (McNicholas et al.) also fits the 14 models to data with
# missing values. Its package needs GSL through RcppGSL: on Debian or
# Ubuntu, `apt-get install libgsl-dev` before `install.packages("mixture")`;
# without it this part is left out and the report says so. On the same data
# sets (the first SOFTMIX_BENCH_GPCM_DATASETS, default all), gpcm(G = 3,
# mnames = "VVV") and softmix(k = 3, model = "VVV") start from the same
# partition, passed to both as a one-hot posterior (gpcm's `start` matrix,
# softmix's `init`): k-means (10 starts) on the data with each missing value
# replaced by its variable's mean (gpcm's own k-means start refuses data
# with missing values). gpcm's algorithm differs: it first runs EM on the
# complete rows (`burn` = 5 iterations), then, at every iteration, replaces
# each missing value by its conditional mean mixed over the components and
# takes the M step of the filled data, without the conditional covariance;
# the log-likelihood it reports is that of the filled data. So the table
# gives, for both, the observed-data log-likelihood of the returned
# parameters, sum_i log sum_k pi_k N(x_i,o | ...), computed by
# softmix::e_step(), the quantity EM with missing values maximises, with
# their seconds, iterations and accuracy against the truth; each package
# runs to its default tolerance (gpcm: Aitken, atol = 1e-8; softmix:
# relative change 1e-8).
#
# Cost: (100,000, 10, 8) VVV with 10% of the values missing completely at
# random against the same data complete, from the same start: the time per
# iteration is (time of 25 iterations - time of 5) / 20, plain EM
# (`tol = 0`, no acceleration), as bench/noise-prior.R reads it; medians
# over SOFTMIX_BENCH_REPS rounds (default 5).

source(file.path("bench", "common.R"))
suppressPackageStartupMessages(library(softmix))

started <- Sys.time()
command <- bench_command("bench/missing.R")
datasets <- as.integer(Sys.getenv("SOFTMIX_BENCH_DATASETS", if (bench_quick()) "2" else "10"))
reps <- as.integer(Sys.getenv("SOFTMIX_BENCH_REPS", if (bench_quick()) "1" else "5"))
has_mix <- requireNamespace("mix", quietly = TRUE)
has_mixture <- requireNamespace("mixture", quietly = TRUE)
gpcm_datasets <- min(datasets, as.integer(Sys.getenv("SOFTMIX_BENCH_GPCM_DATASETS", datasets)))

# `x` with values removed: MCAR, a share `p` of all values; MAR, a share
# `p` of variable 2, more often where variable 1 is large.
remove_values <- function(x, mechanism, p) {
  if (mechanism == "MCAR") {
    holes <- matrix(stats::runif(length(x)) < p, nrow(x))
    empty <- which(rowSums(!holes) == 0L)
    holes[cbind(empty, sample(ncol(x), length(empty), replace = TRUE))] <- FALSE
    x[holes] <- NA
    return(x)
  }
  z <- (x[, 1] - mean(x[, 1])) / stats::sd(x[, 1])
  shift <- stats::uniroot(function(a) mean(stats::plogis(a + 2 * z)) - p, c(-20, 20))$root
  x[stats::runif(nrow(x)) < stats::plogis(shift + 2 * z), 2] <- NA
  x
}

# The order of the fitted components that best matches the true means.
match_components <- function(means, truth) {
  k <- nrow(truth)
  orders <- as.matrix(expand.grid(rep(list(seq_len(k)), k)))
  orders <- orders[apply(orders, 1, anyDuplicated) == 0L, , drop = FALSE]
  cost <- apply(orders, 1, function(o) sum((means[o, , drop = FALSE] - truth)^2))
  orders[which.min(cost), ]
}

score <- function(means, classes, sim) {
  o <- match_components(means, sim$truth$means)
  c(mean_error = max(abs(means[o, , drop = FALSE] - sim$truth$means)),
    ari = mclust::adjustedRandIndex(classes, sim$labels))
}

fit_softmix <- function(x) softmix(x, k = 3, n_threads = 1, verbose = FALSE)

methods <- list(
  "EM with missing values" = function(x, sim) {
    fit <- fit_softmix(x)
    score(fit$parameters$means, fit$classification, sim)
  },
  "complete cases" = function(x, sim) {
    fit <- suppressMessages(softmix(x, k = 3, missing = "omit", n_threads = 1))
    score(fit$parameters$means, predict(fit, x), sim)
  },
  "mean imputation" = function(x, sim) {
    for (j in seq_len(ncol(x))) x[is.na(x[, j]), j] <- mean(x[, j], na.rm = TRUE)
    fit <- fit_softmix(x)
    score(fit$parameters$means, fit$classification, sim)
  }
)
if (has_mix) {
  methods[["mclust::imputeData()"]] <- function(x, sim) {
    fit <- fit_softmix(mclust::imputeData(x, verbose = FALSE))
    score(fit$parameters$means, fit$classification, sim)
  }
}

# Cost per iteration --------------------------------------------------------

# Measured first, before the longer parts load the machine.
load_before <- load_average()

scale_n <- if (bench_quick()) 0.05 else 1
n <- as.integer(100000 * scale_n)
d <- 10L
k <- 8L
complete <- simulate_mixture(n, d, k, seed = 1)
set.seed(2)
holes <- matrix(stats::runif(length(complete)) < 0.1, n)
# A row with no value would be dropped; give it one back.
empty <- which(rowSums(!holes) == 0L)
holes[cbind(empty, sample(d, length(empty), replace = TRUE))] <- FALSE
incomplete <- complete
incomplete[holes] <- NA
start <- suppressWarnings(softmix(
  complete, k = k, init = "kmeans++", n_threads = 2,
  control = softmix_control(max_iter = 1, accelerate = FALSE)
))$parameters
variants <- list(complete = complete, incomplete = incomplete)

seconds_for <- function(data, iterations, threads) {
  control <- softmix_control(tol = 0, max_iter = iterations, accelerate = FALSE)
  before <- elapsed()
  suppressWarnings(softmix(data, init = start, control = control, n_threads = threads))
  elapsed() - before
}
per_iteration <- function(data, threads) {
  (seconds_for(data, 25L, threads) - seconds_for(data, 5L, threads)) / 20
}

cost <- list()
for (threads in c(1L, 2L)) {
  times <- matrix(NA_real_, reps, length(variants), dimnames = list(NULL, names(variants)))
  for (r in seq_len(reps)) {
    # Alternate the order, so that drift affects both alike.
    order <- if (r %% 2L == 1L) seq_along(variants) else rev(seq_along(variants))
    for (v in order) times[r, v] <- per_iteration(variants[[v]], threads)
  }
  medians <- apply(times, 2, stats::median)
  cost[[length(cost) + 1L]] <- data.frame(
    case = sprintf("VVV n=%s d=%d K=%d", format(n, big.mark = ","), d, k),
    threads = threads,
    `complete ms/iter` = sprintf("%.2f", 1000 * medians[["complete"]]),
    `10% MCAR ms/iter` = sprintf("%.2f", 1000 * medians[["incomplete"]]),
    `MCAR / complete` = sprintf("%.2f", medians[["incomplete"]] / medians[["complete"]]),
    check.names = FALSE
  )
}
cost <- do.call(rbind, cost)

load_after_cost <- load_average()

# Accuracy ------------------------------------------------------------------

scenarios <- expand.grid(p = c(0.1, 0.3), mechanism = c("MCAR", "MAR"),
                         stringsAsFactors = FALSE)
accuracy <- list()
for (s in seq_len(nrow(scenarios))) {
  mechanism <- scenarios$mechanism[s]
  p <- scenarios$p[s]
  results <- array(NA_real_, c(datasets, length(methods), 3),
                   dimnames = list(NULL, names(methods), c("mean_error", "ari", "seconds")))
  shares <- numeric(datasets)
  for (i in seq_len(datasets)) {
    sim <- simulate_mixture_truth(2000, 4, 3, seed = i)
    set.seed(1000 + i)
    x <- remove_values(sim$x, mechanism, p)
    shares[i] <- mean(!stats::complete.cases(x))
    for (m in names(methods)) {
      set.seed(i)
      seconds <- time_it(function() methods[[m]](x, sim))
      results[i, m, ] <- c(attr(seconds, "value"), seconds)
    }
  }
  for (m in names(methods)) {
    accuracy[[length(accuracy) + 1L]] <- data.frame(
      data = sprintf("%s %d%%", mechanism, round(100 * p)),
      `incomplete rows` = sprintf("%.0f%%", 100 * stats::median(shares)),
      method = m,
      `mean error` = sprintf("%.3f", stats::median(results[, m, "mean_error"])),
      `worst mean error` = sprintf("%.3f", max(results[, m, "mean_error"])),
      ARI = sprintf("%.3f", stats::median(results[, m, "ari"])),
      `worst ARI` = sprintf("%.3f", min(results[, m, "ari"])),
      seconds = sprintf("%.3f", stats::median(results[, m, "seconds"])),
      check.names = FALSE
    )
  }
}
accuracy <- do.call(rbind, accuracy)

# mixture::gpcm() ------------------------------------------------------------

# The parameters of gpcm()'s best model as mixture_params.
gpcm_parameters <- function(fit) {
  model <- fit$best_model$model_obj[[1]]
  d <- length(model$mus[[1]])
  softmix::mixture_params(
    drop(model$pi_gs), do.call(rbind, lapply(model$mus, as.numeric)),
    array(unlist(model$sigs), c(d, d, length(model$sigs)))
  )
}

gpcm_rows <- list()
if (has_mixture) {
  for (s in seq_len(nrow(scenarios))) {
    mechanism <- scenarios$mechanism[s]
    p <- scenarios$p[s]
    results <- array(NA_real_, c(gpcm_datasets, 2, 6), dimnames = list(
      NULL, c("softmix", "gpcm"),
      c("loglik", "seconds", "iterations", "mean_error", "ari", "reported")
    ))
    for (i in seq_len(gpcm_datasets)) {
      sim <- simulate_mixture_truth(2000, 4, 3, seed = i)
      set.seed(1000 + i)
      x <- remove_values(sim$x, mechanism, p)
      filled <- x
      for (j in seq_len(ncol(x))) filled[is.na(x[, j]), j] <- mean(x[, j], na.rm = TRUE)
      set.seed(i)
      start <- outer(stats::kmeans(filled, 3, nstart = 10)$cluster, 1:3, "==") * 1
      seconds <- time_it(function() softmix(x, k = 3, init = start, n_threads = 1))
      fit <- attr(seconds, "value")
      results[i, "softmix", ] <- c(
        fit$loglik, seconds, fit$iterations,
        score(fit$parameters$means, fit$classification, sim), fit$loglik
      )
      # gpcm stops with "no models estimated" when its EM fails (it treats a
      # falling log-likelihood as a failure).
      seconds <- time_it(function() {
        tryCatch(mixture::gpcm(x, G = 3, mnames = "VVV", start = start, pwarning = FALSE),
                 error = function(e) NULL)
      })
      fit <- attr(seconds, "value")
      if (is.null(fit)) next
      parameters <- gpcm_parameters(fit)
      observed <- softmix::e_step(x, parameters, n_threads = 1)
      classes <- max.col(observed$posterior, ties.method = "first")
      results[i, "gpcm", ] <- c(
        observed$loglik, seconds, length(fit$best_model$model_obj[[1]]$logliks) - 1L,
        score(parameters$means, classes, sim), fit$best_model$loglik
      )
    }
    # softmix over every data set; gpcm, and the differences, over those
    # where it returned a fit.
    ran <- !is.na(results[, "gpcm", "loglik"])
    middle <- function(values, digits) {
      if (length(values) == 0L) return("NA")
      formatC(stats::median(values), format = "f", digits = digits)
    }
    difference <- results[ran, "softmix", "loglik"] - results[ran, "gpcm", "loglik"]
    gpcm_rows[[length(gpcm_rows) + 1L]] <- data.frame(
      data = sprintf("%s %d%%", mechanism, round(100 * p)),
      `gpcm fits` = sprintf("%d of %d", sum(ran), length(ran)),
      `softmix - gpcm log-lik. (median)` = middle(difference, 2),
      `min` = if (any(ran)) sprintf("%.2f", min(difference)) else "NA",
      `max` = if (any(ran)) sprintf("%.2f", max(difference)) else "NA",
      `softmix s` = middle(results[, "softmix", "seconds"], 3),
      `gpcm s` = middle(results[ran, "gpcm", "seconds"], 3),
      `softmix iter.` = middle(results[, "softmix", "iterations"], 0),
      `gpcm iter.` = middle(results[ran, "gpcm", "iterations"], 0),
      `mean error softmix / gpcm` = paste(middle(results[, "softmix", "mean_error"], 3),
                                          middle(results[ran, "gpcm", "mean_error"], 3),
                                          sep = " / "),
      `ARI softmix / gpcm` = paste(middle(results[, "softmix", "ari"], 3),
                                   middle(results[ran, "gpcm", "ari"], 3), sep = " / "),
      `gpcm reported - observed log-lik.` = middle(
        results[ran, "gpcm", "reported"] - results[ran, "gpcm", "loglik"], 0
      ),
      check.names = FALSE
    )
  }
}

gpcm_lines <- if (has_mixture) {
  c(
    table_heading(2, "softmix and mixture::gpcm() from the same start", command),
    "",
    markdown(do.call(rbind, gpcm_rows)),
    "",
    sprintf(paste(
      "- mixture %s (needs GSL: `apt-get install libgsl-dev` on Debian or Ubuntu, then",
      "`install.packages(\"mixture\")`). Medians (min and max of the difference) over the",
      "first %d data sets of the accuracy table: softmix's over all of them, gpcm's and",
      "the differences over those where gpcm returned a fit (\"gpcm fits\"; it gives up",
      "with \"no models estimated\" when its log-likelihood falls); K = 3, VVV, one",
      "thread for softmix (gpcm has no threads)."
    ), utils::packageVersion("mixture"), gpcm_datasets),
    paste(
      "- Start: the same partition for both, k-means (`kmeans(nstart = 10)`) on the data",
      "with each missing value replaced by its variable's mean, given as a one-hot",
      "posterior (gpcm's `start` matrix, softmix's `init`)."
    ),
    paste(
      "- log-lik.: the observed-data log-likelihood of each package's returned parameters,",
      "computed by softmix::e_step() for both; positive differences mean softmix reached",
      "a higher one. gpcm fills each missing value with its conditional mean, mixed over",
      "the components, at every iteration and takes the M step of the filled data without",
      "the conditional covariance (after 5 iterations on the complete rows): it does not",
      "maximise this likelihood, and the log-likelihood it reports is that of its filled",
      "data (last column: how much higher that is)."
    ),
    paste(
      "- s: seconds of the whole call (gpcm's includes its R-side checks); iter.: EM",
      "iterations (gpcm's after its burn-in); mean error and ARI as in the accuracy table,",
      "gpcm's classes from the posterior of its parameters on the observed coordinates."
    )
  )
} else {
  paste(
    "- mixture::gpcm() was not run: the mixture package is not installed here. It needs",
    "GSL (through RcppGSL): on Debian or Ubuntu `apt-get install libgsl-dev`, then",
    "`install.packages(\"mixture\")`."
  )
}

report <- c(
  bench_header("EM with missing values: accuracy and cost", command, started),
  sprintf("- Load average before %s, after the cost table %s, at the end %s", load_before,
          load_after_cost, load_average()),
  sprintf("- mix %s", if (has_mix) as.character(utils::packageVersion("mix")) else
    "not installed: mclust::imputeData() left out"),
  "",
  table_heading(2, "Accuracy against the truth, n = 2000, d = 4, K = 3", command),
  "",
  markdown(accuracy),
  "",
  sprintf(paste(
    "- Medians (and the worst) over %d data sets of the mixture of `simulate_mixture()`",
    "(separation 4); MCAR p: a share p of all values missing; MAR p: a share p of",
    "variable 2 missing with probability plogis(a + 2 z1), z1 the standardised",
    "variable 1. \"incomplete rows\": the median share of rows with a missing value."
  ), datasets),
  paste(
    "- mean error: the largest |fitted - true| mean coordinate after matching the",
    "components by their means; ARI: adjusted Rand index (mclust::adjustedRandIndex())",
    "of the classification of all 2000 rows against the true labels (complete cases:",
    "predict() of the complete-case fit on every row); seconds: the whole call, the",
    "imputation included. Every fit: K = 3, VVV, the default \"hc\" start, one thread."
  ),
  "",
  gpcm_lines,
  "",
  table_heading(2, "Cost per EM iteration with 10% of values missing", command),
  "",
  markdown(cost),
  "",
  sprintf(paste(
    "- Each cell is the median over %d rounds of (time of 25 iterations - time of 5) / 20,",
    "plain EM (`tol = 0`, `accelerate = FALSE`) from the same start (one iteration from a",
    "kmeans++ start on the complete data), so that what a call costs besides its",
    "iterations (checks, the split of the rows by pattern, the final E step) cancels.",
    "The incomplete data have %.1f%% of values and %.0f%% of rows",
    "with a missing value. Incomplete rows are completed block by block (each component's",
    "conditional means) and go through the complete data's kernels, in blocks shared by",
    "the threads."
  ), reps, 100 * mean(is.na(incomplete)), 100 * mean(!stats::complete.cases(incomplete)))
)
writeLines(report, file.path("bench", "missing.md"))
cat(report, sep = "\n")
