#' Bootstrap likelihood-ratio test for the number of components
#'
#' Tests \eqn{k_0} against \eqn{k_0 + 1} components of a covariance model by
#' the parametric bootstrap of the likelihood-ratio statistic (McLachlan
#' 1987), for \eqn{k_0} in `k` in turn, as mclust's `mclustBootstrapLRT()`
#' does. The statistic has no chi-squared distribution for mixtures (the null
#' hypothesis lies on the boundary of the alternative), so its distribution
#' under the null is simulated.
#'
#' For each \eqn{k_0}, the mixtures with \eqn{k_0} and \eqn{k_0 + 1}
#' components are fitted to `x` with [softmix()] (the same `init` and
#' `control`; the default start is mclust's and k-means++), and the observed
#' statistic is \eqn{LRTS = 2 (\ell_{k_0 + 1} - \ell_{k_0})}. Then `B` data
#' sets of `n` rows are simulated from the \eqn{k_0}-component fit
#' (`rmixture(n, fit0$parameters)`), and on each both mixtures are fitted
#' again, each started from the parameters fitted to `x` (as mclust does),
#' giving `B` statistics under the null hypothesis. The p-value is one
#' plus the number of bootstrap statistics at least the observed one, over
#' `B + 1`: `(1 + sum(boot >= LRTS)) / (B + 1)`. A replicate whose
#' fits fail or are degenerate is dropped and replaced by a new one, as
#' mclust does, up to `10 * B` dropped (see [softmix_bootstrap()]); the
#' p-value then counts the replicates kept.
#'
#' With `sequential = TRUE` the tests stop at the first \eqn{k_0} whose
#' p-value exceeds `level`, which is then the chosen number of components,
#' as mclust's test does without `maxG`; with `FALSE` every \eqn{k_0} in `k`
#' is tested (mclust with `maxG`). If the data reject every \eqn{k_0},
#' `$selected` is `max(k) + 1`. A \eqn{k_0 + 1} mixture that cannot be fitted
#' to `x` ends the tests, with a warning.
#'
#' The simulated data are drawn from R's random number generator on this
#' process, test by test and replicate by replicate, so `set.seed()`
#' reproduces the result, serially or on a `cluster` of any number of
#' workers (see [softmix_bootstrap()]).
#'
#' @param x Data: a numeric matrix, data frame or vector, as for [softmix()];
#'   for `print()`, a `softmix_lrt` object.
#' @param k The numbers of components \eqn{k_0} of the null hypotheses, each
#'   tested against \eqn{k_0 + 1}: whole numbers from 1, at most `n - 1`;
#'   tested in increasing order.
#' @param model One covariance model code (see [softmix()]).
#' @param B Number of bootstrap replicates per test.
#' @param level Significance level: a test rejects \eqn{k_0} when its
#'   p-value is at most `level`.
#' @param sequential Whether to stop at the first \eqn{k_0} not rejected.
#' @param init,control The start and the settings of the fits to `x`, as in
#'   [softmix()]; `control` is also used for the replicates' fits.
#' @param cluster,n_threads As in [softmix_bootstrap()]: `NULL` to fit the
#'   replicates in this process on `n_threads` threads, or a cluster of the
#'   `parallel` package. The fits to `x` run in this process on `n_threads`
#'   threads (the [softmix_threads()] default when `NULL`).
#' @return An object of class `softmix_lrt`, a list with:
#'   * `model`, `n`, `B`, `level`, `sequential`: the settings;
#'   * `k`: the \eqn{k_0} tested; `statistic`: their observed LRTS;
#'     `p_value`: their p-values; `boot`: the B x tests matrix of bootstrap
#'     statistics (`NA` where fewer than `B` replicates could be kept), with
#'     columns named `"1 vs 2"`, ...;
#'   * `loglik`: the log-likelihoods of the fits to `x`, named by number of
#'     components;
#'   * `selected`: the first \eqn{k_0} not rejected, or `max(k) + 1`;
#'   * `n_failed`, `n_degenerate`, `n_unconverged`: per test, the replicates
#'     that failed or were degenerate (dropped and replaced) or stopped at
#'     `max_iter` (kept);
#'   * `call`: the call.
#' @references
#' McLachlan, G. J. (1987). On bootstrapping the likelihood ratio test
#' statistic for the number of components in a normal mixture. *Journal of
#' the Royal Statistical Society C (Applied Statistics)*, 36(3), 318-324.
#' @seealso [softmix()] to choose the number of components by BIC or ICL.
#' @family bootstrap
#' @export
#' @examples
#' set.seed(1)
#' lrt <- softmix_lrt(faithful$waiting, k = 1:2, model = "V", B = 19, n_threads = 1)
#' lrt
#' lrt$selected
softmix_lrt <- function(x, k = 1:3, model = "VVV", B = 99, level = 0.05, sequential = TRUE,
                        init = c("hc", "kmeans++"), control = softmix_control(),
                        cluster = NULL, n_threads = NULL) {
  call <- match.call()
  data <- as_data_matrix(x)
  n <- nrow(data)
  model <- match_models(model, ncol(data))
  if (length(model) != 1L) {
    softmix_abort(sprintf("`model` must be a single covariance model code, not %d.",
                          length(model)))
  }
  k <- check_k(k, n, call = sys.call(), noise_hint = FALSE)
  k <- sort(k)
  # Each k and k + 1 gets its own fit, so the start must be a method, not
  # parameters or a partition with a number of components of its own.
  if (!is.character(init)) {
    softmix_abort(sprintf(paste(
      "`init` must name the starts (\"hc\", \"kmeans++\" or \"random\"), not %s:",
      "softmix_lrt() fits every k and k + 1 from starts of their own."
    ), describe_type(init)))
  }
  if (max(k) >= n) {
    softmix_abort(sprintf(paste(
      "`k` must be below the number of observations (%d): each k is tested against k + 1",
      "components."
    ), n))
  }
  B <- check_count(B, "B", min = 1)
  level <- check_level(level, "level")
  sequential <- check_flag(sequential, "sequential")
  control <- check_control(control)
  cluster <- check_cluster(cluster)
  fit_threads <- resolve_threads(n_threads)
  replicate_n_threads <- replicate_threads(n_threads, cluster)

  fits <- list()
  fit_k <- function(kk) {
    name <- as.character(kk)
    if (is.null(fits[[name]])) {
      fits[[name]] <<- softmix(data, k = kk, model = model, init = init, control = control,
                               n_threads = fit_threads, verbose = FALSE)
    }
    fits[[name]]
  }
  tests <- length(k)
  statistic <- p_value <- rep(NA_real_, tests)
  boot <- matrix(NA_real_, B, tests)
  n_failed <- n_degenerate <- n_unconverged <- rep(NA_integer_, tests)
  done <- 0L
  for (t in seq_len(tests)) {
    fit0 <- fit_k(k[t])
    fit1 <- tryCatch(fit_k(k[t] + 1L), softmix_error = function(e) e)
    if (inherits(fit1, "softmix_error")) {
      if (t == 1L) stop(fit1)
      softmix_warn(sprintf("The tests stop at k = %d: %d components could not be fitted (%s).",
                           k[t - 1L], k[t] + 1L, conditionMessage(fit1)), call)
      break
    }
    statistic[t] <- 2 * (fit1$loglik - fit0$loglik)
    context <- list(
      task = "lrt", model = model, control = control, n_threads = replicate_n_threads,
      k0 = k[t], parameters0 = fit0$parameters, parameters1 = fit1$parameters
    )
    parameters0 <- fit0$parameters
    draw <- function() {
      sim <- rmixture(n, parameters0)
      attr(sim, "component") <- NULL
      list(x = sim)
    }
    results <- run_replicates(B, draw, n * ncol(data), context, cluster, call,
                              usable_replicate)
    tally <- tally_replicates(results)
    if (!any(tally$kept)) {
      softmix_abort(sprintf(
        "Every one of the %d replicates of the test of %d against %d components failed: %s",
        length(results), k[t], k[t] + 1L,
        paste(utils::head(c(tally$failures, "degenerate fits"), 3), collapse = " | ")
      ), call)
    }
    kept_results <- results[tally$kept]
    stats_t <- vapply(kept_results, function(r) 2 * (r$loglik1 - r$loglik0), numeric(1))
    boot[seq_along(stats_t), t] <- stats_t
    unconverged <- vapply(kept_results, function(r) !r$converged, logical(1))
    n_failed[t] <- sum(tally$failed)
    n_degenerate[t] <- sum(tally$degenerate)
    n_unconverged[t] <- sum(unconverged)
    warn_replicates(B, tally, sum(unconverged),
                    sprintf("replicates of the test of %d against %d components", k[t],
                            k[t] + 1L), call)
    p_value[t] <- (1 + sum(stats_t >= statistic[t])) / (length(stats_t) + 1)
    done <- t
    if (sequential && p_value[t] > level) break
  }
  kept <- seq_len(done)
  rejected <- p_value[kept] <= level
  selected <- if (all(rejected)) max(k[kept]) + 1L else k[kept][which(!rejected)[1]]
  tested <- sprintf("%d vs %d", k[kept], k[kept] + 1L)
  loglik <- vapply(fits, function(f) f$loglik, numeric(1))
  structure(
    list(
      model = model,
      n = n,
      B = B,
      level = level,
      sequential = sequential,
      k = k[kept],
      statistic = stats::setNames(statistic[kept], tested),
      p_value = stats::setNames(p_value[kept], tested),
      boot = matrix(boot[, kept], B, done, dimnames = list(NULL, tested)),
      loglik = loglik[order(as.integer(names(loglik)))],
      selected = as.integer(selected),
      n_failed = n_failed[kept],
      n_degenerate = n_degenerate[kept],
      n_unconverged = n_unconverged[kept],
      call = call
    ),
    class = "softmix_lrt"
  )
}

#' Fit the null and alternative mixtures to one simulated data set, each from
#' the parameters fitted to the data, and return their log-likelihoods
#' @noRd
lrt_task <- function(task, context) {
  fit_from <- function(parameters) {
    quiet_fit(softmix(task$x, k = length(parameters$proportions), model = context$model,
                      init = parameters, control = context$control,
                      n_threads = context$n_threads, verbose = FALSE))
  }
  fit0 <- fit_from(context$parameters0)
  if (is.character(fit0)) return(list(message = fit0))
  fit1 <- fit_from(context$parameters1)
  if (is.character(fit1)) return(list(message = fit1))
  list(message = "", loglik0 = fit0$loglik, loglik1 = fit1$loglik,
       converged = fit0$converged && fit1$converged,
       degenerate = nzchar(fit0$degenerate) || nzchar(fit1$degenerate))
}

#' @rdname softmix_lrt
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @export
print.softmix_lrt <- function(x, digits = getOption("digits") - 3, ...) {
  cat("Bootstrap sequential likelihood-ratio test for the number of components\n")
  cat(sprintf("Model %s, n = %d, %d replicate%s per test, level %s\n", x$model, x$n, x$B,
              if (x$B == 1) "" else "s", format(x$level)))
  table <- data.frame(LRTS = x$statistic, "p-value" = x$p_value, check.names = FALSE,
                      row.names = names(x$statistic))
  print(table, digits = digits)
  dropped <- x$n_failed + x$n_degenerate
  if (any(dropped > 0)) {
    cat(sprintf("Replicates dropped and replaced (failed or degenerate): %s\n",
                paste(dropped, collapse = ", ")))
  }
  last <- length(x$k)
  cat(sprintf("Selected: %d component%s%s\n", x$selected, if (x$selected == 1) "" else "s",
              if (x$selected > x$k[last]) " (every tested k rejected)" else ""))
  invisible(x)
}
