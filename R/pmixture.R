#' Distribution function of a Gaussian mixture
#'
#' Evaluates the mixture's cumulative distribution function
#' \eqn{F(q) = \sum_k \pi_k \Phi((q - \mu_k) / \sigma_k)} in one dimension,
#' following R's `p` convention for distributions, and in d dimensions the
#' probability of rectangles, \eqn{P(l < X \le u) = \sum_k \pi_k
#' P_k(l < X \le u)}, through [mvtnorm::pmvnorm()].
#'
#' In one dimension the sums are computed so that neither tail loses
#' precision: `lower.tail = FALSE` sums the components' upper tails rather
#' than taking \eqn{1 - F}, and `log.p = TRUE` combines the components'
#' `pnorm(log.p = TRUE)` by a max-shifted log-sum-exp (or, where the
#' probability is above 1/2, takes `log1p()` of minus the other tail), so
#' log-probabilities stay finite and accurate far beyond where the
#' probability underflows. An interval (`lower` finite) subtracts each
#' component's probabilities in the tail on the side of its mean where the
#' interval lies; with `log.p = TRUE` it does so on the log scale, so the
#' log-probability of an interval stays finite and accurate too.
#'
#' In d > 1 dimensions each component's rectangle probability comes from
#' [mvtnorm::pmvnorm()] (the package must be installed; it is suggested,
#' not required). Its default algorithm, `mvtnorm::GenzBretz()`, computes
#' two-dimensional probabilities deterministically to about 1e-15, but in
#' three or more dimensions it is randomised quasi-Monte Carlo with an
#' absolute error of about `abseps = 0.001`: results then depend on, and
#' advance, R's random number state, as `pmvnorm()`'s own do. Call
#' [set.seed()] first (or, with mvtnorm 1.2-0 or later, pass `seed`) for
#' reproducible values, pass
#' `abseps` and `maxpts` (or `algorithm = mvtnorm::GenzBretz(...)`) through
#' `...` for more accuracy, or `algorithm = mvtnorm::Miwa()` for a
#' deterministic method up to 20 dimensions.
#'
#' @param q In one dimension, a numeric vector of quantiles (or a one-column
#'   matrix). In d dimensions, the upper corner of a rectangle: a numeric
#'   vector of length d, or a matrix (or data frame) with d columns, one
#'   rectangle per row. `NA` gives `NA`; infinite values are allowed.
#' @param parameters A [mixture_params()] object, or a [softmix()] fit,
#'   whose `$parameters` are then used.
#' @param lower.tail If `TRUE`, probabilities \eqn{P(X \le q)}; if `FALSE`,
#'   \eqn{P(X > q)}, computed directly rather than as one minus the lower
#'   tail. One dimension only, and only with `lower = -Inf`.
#' @param log.p If `TRUE`, the logarithm of the probability. In one
#'   dimension it is accurate where the probability itself underflows; in d
#'   dimensions it is the log of the computed probability.
#' @param lower The lower corner of the rectangles or the lower ends of the
#'   intervals: `-Inf` (the default, which gives the distribution function),
#'   a single number used in every coordinate, a vector of length d used for
#'   every rectangle (in one dimension, a vector as long as `q`), or a matrix
#'   like `q`. It must not exceed `q`. `NA` gives `NA`, as in `q`.
#' @param ... In d > 1 dimensions, passed to [mvtnorm::pmvnorm()]: for
#'   example `algorithm`, `abseps`, `maxpts` or (mvtnorm 1.2-0 or later)
#'   `seed`. Must be empty in one dimension.
#' @return A numeric vector of probabilities (log-probabilities with
#'   `log.p = TRUE`): in one dimension one per element of `q`, with the names
#'   of `q`; in d dimensions one per rectangle, named by the row names of
#'   `q`, with an attribute `"error"`, the absolute error of each
#'   probability that `pmvnorm()` estimates (weighted by the proportions and
#'   summed; `NA` where the algorithm gives none). A rectangle for which
#'   `pmvnorm()` reports a problem (such as an error above `abseps`) gives a
#'   warning of class `softmix_warning`.
#' @seealso [qmixture()] inverts the one-dimensional distribution function;
#'   [dmixture()] gives the density.
#' @family mixture functions
#' @export
#' @examples
#' params <- mixture_params(c(0.3, 0.7), means = c(0, 4), covariances = c(1, 2))
#' pmixture(c(-1, 2, 5), params)
#' curve(pmixture(x, params), -4, 9)
#'
#' # far in a tail: the upper tail directly and the log-probability
#' pmixture(40, params, lower.tail = FALSE)
#' pmixture(-60, params, log.p = TRUE)
#'
#' # the probability of an interval
#' pmixture(3, params, lower = 1)
#'
#' @examplesIf requireNamespace("mvtnorm", quietly = TRUE)
#' # rectangles in two dimensions (needs the mvtnorm package)
#' two <- mixture_params(c(0.5, 0.5), means = rbind(c(0, 0), c(3, 3)),
#'                       covariances = diag(2))
#' pmixture(c(1, 1), two)  # P(X1 <= 1, X2 <= 1)
#' pmixture(rbind(c(1, 1), c(4, 4)), two, lower = c(-1, -1))
pmixture <- function(q, parameters, lower.tail = TRUE, log.p = FALSE, lower = -Inf, ...) {
  call <- sys.call()
  parameters <- params_or_fit(parameters, call = call)
  check_flag(lower.tail, "lower.tail", call)
  check_flag(log.p, "log.p", call)
  d <- ncol(parameters$means)
  if (d > 1L) {
    if (!lower.tail) {
      softmix_abort(sprintf(paste0(
        "`lower.tail` must be TRUE for rectangles in %d dimensions; for the ",
        "complement of a rectangle take one minus its probability."), d), call)
    }
    upper <- as_corner_matrix(q, d, NULL, "q", call)
    lower <- as_corner_matrix(lower, d, nrow(upper), "lower", call)
    check_corners(lower, upper, call)
    probability <- rectangle_probability(upper, lower, parameters, call, ...)
    if (log.p) probability[] <- log(probability)
    return(probability)
  }

  if (...length() > 0L) {
    softmix_abort(paste0(
      "`...` is passed to mvtnorm::pmvnorm() for rectangles in d > 1 dimensions ",
      "and must be empty in one dimension."), call)
  }
  q <- as_quantile_vector(q, "q", call)
  lower <- as_quantile_vector(lower, "lower", call)
  if (length(lower) != 1L && length(lower) != length(q)) {
    softmix_abort(sprintf(
      "`lower` must be a single number or have one value per quantile (%d); it has %d.",
      length(q), length(lower)), call)
  }
  lower <- rep_len(lower, length(q))
  check_corners(lower, q, call)
  interval <- which(lower > -Inf)
  if (!lower.tail && length(interval) > 0L) {
    softmix_abort("`lower.tail` must be TRUE when `lower` is finite.", call)
  }
  probability <- if (log.p) {
    mixture_log_tail(q, parameters, lower.tail)
  } else {
    mixture_tail(q, parameters, lower.tail)
  }
  if (length(interval) > 0L) {
    probability[interval] <- if (log.p) {
      mixture_log_interval(lower[interval], q[interval], parameters)
    } else {
      mixture_interval(lower[interval], q[interval], parameters)
    }
  }
  # A missing lower end is not -Inf: it gives NA (NaN stays NaN, as in `q`),
  # as a missing corner does in d dimensions.
  unknown <- which(is.na(lower))
  probability[unknown] <- lower[unknown]
  names(probability) <- names(q)
  probability
}

# One dimension ----------------------------------------------------------------

#' Coerce quantiles or probabilities to a plain numeric vector, keeping names
#'
#' Accepts a numeric vector or a one-column matrix or data frame; NA and
#' infinite values pass through. A vector of logical NA counts as numeric, as
#' it does for pnorm().
#' @noRd
as_quantile_vector <- function(x, arg, call) {
  if (is.data.frame(x) && ncol(x) == 1L && is.numeric(x[[1]])) {
    x <- stats::setNames(x[[1]], row.names(x))
  }
  if (is.matrix(x) && ncol(x) == 1L) {
    x <- stats::setNames(x[, 1], rownames(x))
  }
  all_na <- is.logical(x) && is.null(dim(x)) && all(is.na(x))
  if (!(is.numeric(x) || all_na) || is.factor(x) || !is.null(dim(x))) {
    what <- if (!is.null(dim(x)) && (is.numeric(x) || is.data.frame(x))) {
      sprintf("a %s with %d columns (`parameters` is one-dimensional)",
              if (is.data.frame(x)) "data frame" else "matrix", ncol(x))
    } else {
      describe_type(x)
    }
    softmix_abort(sprintf("`%s` must be a numeric vector, not %s.", arg, what), call)
  }
  out <- as.double(x)
  names(out) <- names(x)
  out
}

#' n x K matrix of one tail of each component at x: pi_k times the
#' component's probability, or with `log = TRUE` the log of that
#' @noRd
component_tails <- function(x, parameters, lower.tail, log = FALSE) {
  k <- length(parameters$proportions)
  sd <- sqrt(parameters$covariances[1, 1, ])
  out <- matrix(0, length(x), k)
  for (j in seq_len(k)) {
    tail <- stats::pnorm(x, parameters$means[j, 1], sd[j], lower.tail = lower.tail,
                         log.p = log)
    out[, j] <- if (log) log(parameters$proportions[j]) + tail
                else parameters$proportions[j] * tail
  }
  out
}

#' One tail of a one-dimensional mixture, as the plain sum of the
#' components' tails: non-negative terms, so accurate to rounding
#' @noRd
mixture_tail <- function(x, parameters, lower.tail) {
  tails <- component_tails(x, parameters, lower.tail)
  total <- tails[, 1]
  for (j in seq_len(ncol(tails))[-1]) total <- total + tails[, j]
  total
}

#' The log of one tail of a one-dimensional mixture, accurate in both tails
#' @noRd
mixture_log_tail <- function(x, parameters, lower.tail) {
  out <- log_sum_exp_rows(component_tails(x, parameters, lower.tail, log = TRUE))
  if (length(parameters$proportions) > 1L) {
    # Near probability one the log-sum-exp rounds log(1 - s) to log(1) and
    # loses s entirely; log1p(-s) of the other tail keeps it. (A single
    # component needs no sum: pnorm()'s own log is already accurate.)
    other <- mixture_tail(x, parameters, !lower.tail)
    high <- which(other < 0.5)
    out[high] <- log1p(-other[high])
  }
  out
}

#' Row-wise log(sum(exp(m))), shifted by the row maximum; -Inf where every
#' term is -Inf, NA where any is NA
#' @noRd
log_sum_exp_rows <- function(m) {
  top <- m[, 1]
  for (j in seq_len(ncol(m))[-1]) top <- pmax(top, m[, j])
  out <- top + log(rowSums(exp(m - top)))
  out[which(top == -Inf)] <- -Inf
  out
}

#' Mixture probability of the intervals (lower, upper], lower finite
#' @noRd
mixture_interval <- function(lower, upper, parameters) {
  sd <- sqrt(parameters$covariances[1, 1, ])
  total <- numeric(length(lower))
  for (j in seq_along(parameters$proportions)) {
    mean <- parameters$means[j, 1]
    # Subtract in the tail that is small at both ends, where the two
    # probabilities keep their relative precision.
    right <- !is.na(lower) & lower > mean
    inside <- stats::pnorm(upper, mean, sd[j]) - stats::pnorm(lower, mean, sd[j])
    inside[right] <- stats::pnorm(lower[right], mean, sd[j], lower.tail = FALSE) -
      stats::pnorm(upper[right], mean, sd[j], lower.tail = FALSE)
    total <- total + parameters$proportions[j] * inside
  }
  total
}

#' The log of the mixture probability of the intervals (lower, upper], lower
#' finite, accurate where the probability underflows and where it is near one
#' @noRd
mixture_log_interval <- function(lower, upper, parameters) {
  sd <- sqrt(parameters$covariances[1, 1, ])
  k <- length(parameters$proportions)
  terms <- matrix(0, length(lower), k)
  for (j in seq_len(k)) {
    mean <- parameters$means[j, 1]
    # As in mixture_interval(), in the tail on the interval's side of the
    # mean: log(a - b) = log(a) + log(1 - b / a) with a the larger tail, from
    # pnorm()'s logs, so that neither a nor the difference underflows.
    right <- !is.na(lower) & lower > mean
    larger <- stats::pnorm(upper, mean, sd[j], log.p = TRUE)
    smaller <- stats::pnorm(lower, mean, sd[j], log.p = TRUE)
    larger[right] <- stats::pnorm(lower[right], mean, sd[j], lower.tail = FALSE, log.p = TRUE)
    smaller[right] <- stats::pnorm(upper[right], mean, sd[j], lower.tail = FALSE,
                                   log.p = TRUE)
    log_inside <- larger + log1mexp(smaller - larger)
    log_inside[which(larger == -Inf)] <- -Inf
    terms[, j] <- log(parameters$proportions[j]) + log_inside
  }
  out <- log_sum_exp_rows(terms)
  # Near one the log-sum-exp rounds to log(1) and loses the probability
  # outside the interval; log1p() of minus that keeps it, as
  # mixture_log_tail() does for the tails.
  outside <- mixture_tail(lower, parameters, TRUE) + mixture_tail(upper, parameters, FALSE)
  high <- which(outside < 0.5)
  out[high] <- log1p(-outside[high])
  out
}

#' log(1 - exp(a)) for a <= 0, accurate for a near 0 and for a very negative
#' (Maechler 2012, "Accurately computing log(1 - exp(-|a|))")
#' @noRd
log1mexp <- function(a) {
  out <- a
  near_zero <- which(a > -log(2))
  far <- which(a <= -log(2))
  out[near_zero] <- log(-expm1(a[near_zero]))
  out[far] <- log1p(-exp(a[far]))
  out
}

#' Check that no lower limit exceeds its upper limit (NA pairs pass)
#' @noRd
check_corners <- function(lower, upper, call) {
  bad <- which(lower > upper)
  if (length(bad) > 0L) {
    position <- if (is.matrix(upper)) {
      sprintf("row %d", (bad[1] - 1L) %% nrow(upper) + 1L)
    } else {
      sprintf("element %d", bad[1])
    }
    softmix_abort(sprintf(
      "`lower` must not exceed `q`; it does in %d place(s), the first in %s.",
      length(bad), position), call)
  }
}

# d dimensions -------------------------------------------------------------------

#' Coerce rectangle corners to an m x d matrix
#'
#' A vector of length d is one corner; `rows` (when not NULL) is the number
#' of rectangles to match, to which a single number or one corner is
#' recycled.
#' @noRd
as_corner_matrix <- function(x, d, rows, arg, call) {
  if (is.data.frame(x)) {
    if (!all(vapply(x, is.numeric, logical(1)))) {
      softmix_abort(sprintf("`%s` must have only numeric columns.", arg), call)
    }
    x <- as.matrix(x)
  }
  all_na <- is.logical(x) && all(is.na(x))
  if (!(is.numeric(x) || all_na) || is.factor(x) || length(x) == 0L) {
    softmix_abort(sprintf(
      "`%s` must be a numeric vector of length %d or a matrix with %d columns, not %s.",
      arg, d, d, if (length(x) == 0L && is.numeric(x)) "empty" else describe_type(x)), call)
  }
  if (is.null(dim(x))) {
    if (!is.null(rows) && length(x) == 1L) x <- rep(x, d)
    if (length(x) != d) {
      softmix_abort(sprintf(
        "`%s` must have one value per dimension (%d) or be a matrix with %d columns; %s.",
        arg, d, d, sprintf("it has length %d", length(x))), call)
    }
    x <- matrix(x, nrow = 1L)
  }
  if (length(dim(x)) != 2L || ncol(x) != d) {
    softmix_abort(sprintf(
      "`%s` must have one column per dimension (%d); it is %s.", arg, d,
      paste(dim(x), collapse = " x ")), call)
  }
  if (!is.null(rows) && nrow(x) != rows) {
    if (nrow(x) != 1L) {
      softmix_abort(sprintf(
        "`%s` must have one row per rectangle of `q` (%d) or be a single corner; it has %d rows.",
        arg, rows, nrow(x)), call)
    }
    x <- x[rep(1L, rows), , drop = FALSE]
  }
  storage.mode(x) <- "double"
  x
}

#' Mixture probabilities of the rectangles (lower, upper] through
#' mvtnorm::pmvnorm(), with the summed error estimates as an attribute
#' @noRd
rectangle_probability <- function(upper, lower, parameters, call, ...) {
  d <- ncol(upper)
  if (!requireNamespace("mvtnorm", quietly = TRUE)) {
    softmix_abort(sprintf(paste0(
      "`parameters` has %d dimensions, and probabilities of rectangles in more ",
      "than one need the mvtnorm package: install.packages(\"mvtnorm\")."), d), call)
  }
  taken <- intersect(names(list(...)),
                     c("lower", "upper", "mean", "corr", "sigma", "keepAttr"))
  if (length(taken) > 0L) {
    softmix_abort(sprintf(
      "`...` must not set %s; pmixture() sets it from `q`, `lower` and `parameters`.",
      paste0("`", taken, "`", collapse = ", ")), call)
  }
  m <- nrow(upper)
  probability <- rep(NA_real_, m)
  error <- rep(NA_real_, m)
  problems <- character(m)
  complete <- which(stats::complete.cases(upper, lower))
  for (i in complete) {
    probability[i] <- 0
    error[i] <- 0
    for (j in seq_along(parameters$proportions)) {
      sigma <- matrix(parameters$covariances[, , j], d, d)
      value <- tryCatch(
        mvtnorm::pmvnorm(lower = lower[i, ], upper = upper[i, ],
                         mean = parameters$means[j, ], sigma = sigma, ...),
        error = function(e) {
          softmix_abort(paste("mvtnorm::pmvnorm(), with the arguments in `...`, failed:",
                              conditionMessage(e)), call)
        }
      )
      weight <- parameters$proportions[j]
      probability[i] <- probability[i] + weight * as.numeric(value)
      error[i] <- error[i] + weight * as.numeric(attr(value, "error") %||% NA_real_)
      message <- attr(value, "msg") %||% "Normal Completion"
      if (!message %in% c("Normal Completion", "lower == upper")) problems[i] <- message
    }
  }
  flagged <- which(nzchar(problems))
  if (length(flagged) > 0L) {
    softmix_warn(sprintf(paste0(
      "mvtnorm::pmvnorm() reported \"%s\" for %d rectangle(s), the first being ",
      "row %d; attr(, \"error\") holds the error estimates."),
      problems[flagged[1]], length(flagged), flagged[1]), call)
  }
  names(probability) <- rownames(upper)
  attr(probability, "error") <- error
  probability
}

`%||%` <- function(x, y) if (is.null(x)) y else x
