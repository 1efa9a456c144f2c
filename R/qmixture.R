#' Quantile function of a one-dimensional Gaussian mixture
#'
#' Inverts the distribution function of a one-dimensional mixture,
#' [pmixture()], following R's `q` convention for distributions: the
#' quantile \eqn{x} with \eqn{F(x) = p}.
#'
#' A mixture's quantile has no closed form. Each component's own quantile
#' \eqn{x_k} (from [stats::qnorm()]) bounds it, since \eqn{F(\min_k x_k) \le
#' p \le F(\max_k x_k)}; within those bounds a safeguarded Newton iteration
#' (Newton steps, with bisection whenever a step would leave the bracket or
#' shrink it too slowly) solves \eqn{\log F(x) = \log p} (or the same for the
#' upper tail) for all of `p` at once. Working with log-probabilities from
#' `pmixture(log.p = TRUE)` keeps the far tails, down to probabilities of
#' `1e-300` and beyond with `log.p = TRUE`, as accurate as the centre. With
#' one component the bounds meet and the result is exactly [stats::qnorm()].
#'
#' @param p A numeric vector of probabilities (log-probabilities with
#'   `log.p = TRUE`). As for [stats::qnorm()], 0 gives `-Inf` and 1 gives
#'   `Inf` (the reverse with `lower.tail = FALSE`), `NA` stays `NA`, and
#'   values outside \eqn{[0, 1]} give `NaN` with a warning.
#' @param parameters A one-dimensional [mixture_params()] object, or a
#'   [softmix()] fit of one variable, whose `$parameters` are then used.
#' @param lower.tail If `TRUE`, `p` is \eqn{P(X \le x)}; if `FALSE`,
#'   \eqn{P(X > x)}.
#' @param log.p If `TRUE`, `p` is given as `log(p)`.
#' @param tol Relative tolerance of the quantile: the iteration stops once a
#'   step moves it by less than `tol` times its size (times the smallest
#'   component standard deviation, if that is larger, so quantiles near zero
#'   stop too). The default, four times the machine epsilon, gives the
#'   quantile to within a few units in the last place of what `p` determines.
#' @return A numeric vector of quantiles, one per element of `p`, with the
#'   names of `p`.
#' @seealso [pmixture()] for the distribution function, [dmixture()] for the
#'   density, [rmixture()] to simulate.
#' @family mixture functions
#' @export
#' @examples
#' params <- mixture_params(c(0.3, 0.7), means = c(0, 4), covariances = c(1, 2))
#' qmixture(c(0.025, 0.5, 0.975), params)
#' pmixture(qmixture(0.9, params), params)
#'
#' # far tails, through the upper tail and log-probabilities
#' qmixture(1e-20, params, lower.tail = FALSE)
#' qmixture(log(1e-300), params, log.p = TRUE)
#'
#' # the median of a fitted model of one variable
#' set.seed(1)
#' fit <- softmix(faithful$waiting, k = 2, n_threads = 1)
#' qmixture(0.5, fit)
qmixture <- function(p, parameters, lower.tail = TRUE, log.p = FALSE,
                     tol = 4 * .Machine$double.eps) {
  call <- sys.call()
  parameters <- params_or_fit(parameters, call = call)
  d <- ncol(parameters$means)
  if (d != 1L) {
    softmix_abort(sprintf(paste0(
      "`parameters` must be one-dimensional for qmixture(); it has %d dimensions. ",
      "A mixture in several dimensions has no quantile function; pmixture() gives ",
      "probabilities of rectangles."), d), call)
  }
  check_flag(lower.tail, "lower.tail", call)
  check_flag(log.p, "log.p", call)
  tol <- check_nonnegative(tol, "tol", call)
  p <- as_quantile_vector(p, "p", call)

  quantiles <- p
  outside <- which(if (log.p) p > 0 else p < 0 | p > 1)
  if (length(outside) > 0L) {
    quantiles[outside] <- NaN
    softmix_warn(sprintf(
      "NaNs produced: %d value(s) of `p` outside %s, the first being element %d.",
      length(outside), if (log.p) "(-Inf, 0]" else "[0, 1]", outside[1]), call)
  }
  log_p <- p
  log_p[outside] <- NA
  if (!log.p) log_p <- log(log_p)
  impossible <- which(log_p == -Inf)
  certain <- which(log_p == 0)
  quantiles[impossible] <- if (lower.tail) -Inf else Inf
  quantiles[certain] <- if (lower.tail) Inf else -Inf
  solve <- which(log_p > -Inf & log_p < 0)
  quantiles[solve] <- invert_mixture_tail(p[solve], log.p, parameters, lower.tail, tol, call)
  names(quantiles) <- names(p)
  quantiles
}

#' Solve P(x) = p for x, P the lower or upper tail of a one-dimensional
#' mixture, for p strictly between 0 and 1 (log p with log.p = TRUE)
#' @noRd
invert_mixture_tail <- function(p, log.p, parameters, lower.tail, tol, call,
                                max_iter = 500L) {
  n <- length(p)
  log_p <- if (log.p) p else log(p)
  if (n == 0L) return(numeric(0))
  k <- length(parameters$proportions)
  mean <- parameters$means[, 1]
  sd <- sqrt(parameters$covariances[1, 1, ])
  component <- matrix(0, n, k)
  for (j in seq_len(k)) {
    component[, j] <- stats::qnorm(p, mean[j], sd[j], lower.tail = lower.tail,
                                   log.p = log.p)
  }
  # At the smallest component quantile every component's tail is on one side
  # of p, at the largest on the other, so the mixture's tail, their weighted
  # mean, crosses p between them.
  low <- component[, 1]
  high <- component[, 1]
  for (j in seq_len(k)[-1]) {
    low <- pmin(low, component[, j])
    high <- pmax(high, component[, j])
  }
  x <- pmin(pmax(drop(component %*% parameters$proportions), low), high)
  x[low == high] <- low[low == high]
  floor <- min(sd)

  # g(x) = log P(x) - log p, signed to increase with x, and its derivative
  # f(x) / P(x), both from logs so that neither underflows in the tails.
  objective <- function(x, log_p) {
    log_tail <- mixture_log_tail(x, parameters, lower.tail)
    log_density <- matrix(0, length(x), k)
    for (j in seq_len(k)) {
      log_density[, j] <- log(parameters$proportions[j]) +
        stats::dnorm(x, mean[j], sd[j], log = TRUE)
    }
    value <- if (lower.tail) log_tail - log_p else log_p - log_tail
    list(value = value, slope = exp(log_sum_exp_rows(log_density) - log_tail))
  }

  active <- which(low < high)
  state <- objective(x[active], log_p[active])
  g <- state$value
  slope <- state$slope
  low <- low[active]
  high <- high[active]
  at <- x[active]
  step <- high - low
  step_before <- step
  for (iteration in seq_len(max_iter)) {
    if (length(active) == 0L) break
    # Numerical Recipes' rtsafe: bisect when the Newton step would leave the
    # bracket or when the steps are not shrinking fast enough.
    bisect <- ((at - high) * slope - g) * ((at - low) * slope - g) > 0 |
      abs(2 * g) > abs(step_before * slope)
    bisect[is.na(bisect)] <- TRUE
    step_before <- step
    step <- ifelse(bisect, (high - low) / 2, g / slope)
    moved <- ifelse(bisect, low + step, at - step)
    converged <- abs(step) <= tol * pmax(abs(moved), floor) | moved == at |
      (bisect & (moved <= low | moved >= high))
    at <- moved
    x[active] <- at
    keep <- which(!converged)
    active <- active[keep]
    if (length(active) == 0L) break
    at <- at[keep]
    low <- low[keep]
    high <- high[keep]
    step <- step[keep]
    step_before <- step_before[keep]
    state <- objective(at, log_p[active])
    g <- state$value
    slope <- state$slope
    root <- which(g == 0)
    if (length(root) > 0L) {
      active <- active[-root]
      at <- at[-root]
      low <- low[-root]
      high <- high[-root]
      step <- step[-root]
      step_before <- step_before[-root]
      g <- g[-root]
      slope <- slope[-root]
    }
    below <- !is.na(g) & g < 0
    low[below] <- at[below]
    high[!below] <- at[!below]
  }
  if (length(active) > 0L) {
    softmix_warn(sprintf(
      "qmixture() did not reach `tol` for %d value(s) of `p` in %d iterations.",
      length(active), max_iter), call)
  }
  x
}
