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
#' @param tol Relative tolerance of the quantile: the iteration stops once
#'   the bracket around it is narrower than `tol` times its size (times the
#'   smallest component standard deviation, if that is larger, so quantiles
#'   near zero stop too). The default, four times the machine epsilon, gives
#'   the quantile to within a few units in the last place of what `p`
#'   determines.
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

  # Numerical Recipes' rtsafe, vectorised: every evaluated point replaces the
  # end of the bracket on its side of the root, so F(low) <= p <= F(high)
  # always holds, and a quantile is done only once its bracket is narrower
  # than the tolerance (or g is exactly zero). Stopping instead when a step
  # did not move returned the starting guess whenever that was the midpoint.
  open <- which(low < high)
  at <- x
  # g and the Newton step at each end; the starting ends, never evaluated,
  # are never chosen.
  g_low <- rep(-Inf, n)
  g_high <- rep(Inf, n)
  newton_low <- numeric(n)
  newton_high <- numeric(n)
  step <- high - low
  step_before <- step
  for (iteration in seq_len(max_iter)) {
    if (length(open) == 0L) break
    state <- objective(at[open], log_p[open])
    g <- state$value
    # Far between components the density, and so the slope, can underflow
    # to zero: no Newton step there, rather than 0 / 0.
    newton <- -g / state$slope
    newton[!is.finite(newton)] <- NA
    below <- !is.na(g) & g < 0
    left <- open[below]
    right <- open[!below]
    low[left] <- at[left]
    g_low[left] <- g[below]
    newton_low[left] <- newton[below]
    high[right] <- at[right]
    g_high[right] <- g[!below]
    newton_high[right] <- newton[!below]

    width <- high[open] - low[open]
    middle <- low[open] + width / 2
    # Relative to the end nearer zero, so to the quantile's own size; the
    # midpoint equals an end once the ends are adjacent doubles.
    tol_x <- tol * pmax(pmin(abs(low[open]), abs(high[open])), floor)
    done <- (!is.na(g) & g == 0) | width <= tol_x | middle <= low[open] |
      middle >= high[open]
    finished <- open[done]
    x[finished] <- best_in_bracket(finished, low, high, g_low, g_high, newton_low,
                                   newton_high)

    # A Newton step shorter than the tolerance is lengthened to half of it,
    # so that the next point lands beyond the root and closes the bracket
    # rather than creeping up on the root from one side.
    short <- which(abs(newton) < tol_x / 2)
    newton[short] <- -sign(g[short]) * tol_x[short] / 2
    moved <- at[open] + newton
    # Bisect when the Newton step leaves the bracket (or there is none), or
    # when the steps are not shrinking fast enough.
    bisect <- !(moved > low[open] & moved < high[open]) |
      abs(2 * newton) > step_before[open]
    bisect[is.na(bisect)] <- TRUE
    step_before[open] <- step[open]
    step[open] <- ifelse(bisect, width / 2, abs(newton))
    at[open] <- ifelse(bisect, middle, moved)
    open <- open[!done]
  }
  if (length(open) > 0L) {
    x[open] <- best_in_bracket(open, low, high, g_low, g_high, newton_low, newton_high)
    softmix_warn(sprintf(
      "qmixture() did not reach `tol` for %d value(s) of `p` in %d iterations.",
      length(open), max_iter), call)
  }
  x
}

#' The end of the brackets `i` where |g| is smaller, moved by its Newton
#' step where that stays within the bracket
#' @noRd
best_in_bracket <- function(i, low, high, g_low, g_high, newton_low, newton_high) {
  lower_end <- -g_low[i] <= g_high[i]
  best <- ifelse(lower_end, low[i], high[i])
  refined <- best + ifelse(lower_end, newton_low[i], newton_high[i])
  inside <- which(refined >= low[i] & refined <= high[i])
  best[inside] <- refined[inside]
  best
}
