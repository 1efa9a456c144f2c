#' Control settings for EM
#'
#' Gathers the settings of the EM iterations of [softmix()]: when to stop,
#' whether to accelerate, and how much to regularise the covariances.
#'
#' @param tol Convergence tolerance, non-negative. With `stopping =
#'   "relative"` (the default) EM stops when the relative change of the
#'   log-likelihood between accepted parameters, \eqn{|\ell_t - \ell_{t-1}| /
#'   (1 + |\ell_t|)}, falls below `tol`; with `stopping = "aitken"`, when
#'   Aitken's estimate of the distance to the limit of the log-likelihood,
#'   \eqn{\Delta_t a_t / (1 - a_t)} with \eqn{\Delta_t = \ell_t - \ell_{t-1}}
#'   and rate \eqn{a_t = \Delta_t / \Delta_{t-1}} in \eqn{[0, 1)}, does
#'   (relative to \eqn{1 + |\ell_t|}) and the last relative change is below
#'   \eqn{\sqrt{tol}} (McNicholas et al. 2010); a rate outside \eqn{[0, 1)}
#'   stops only on a change of zero. `0` runs until `max_iter`.
#' @param max_iter Maximum number of EM iterations: passes over the data,
#'   each an E step and an M step; a whole number, at least 1. With
#'   `max_iter = t` and `accelerate = FALSE` a fit performs exactly `t` E and
#'   M rounds and one final E step. A fit that stops here without meeting
#'   `tol` warns.
#' @param reg Ridge added to the covariance diagonals, relative to each
#'   variable's scale: `reg` times the variance of `x[, j]` (with divisor
#'   n, or with observation weights the weighted variance with divisor the
#'   sum of the weights, so that a row of weight 2 counts as two rows and
#'   equal weights change nothing) is added to the `j`-th diagonal
#'   entry of every covariance matrix (for spherical models, `reg` times the
#'   mean variance is added to each variance; for the models whose estimate
#'   is not linear in the scatter matrices, such as `"VEE"` or `"EVE"`, it is
#'   added to each component's scatter matrix divided by its weight before
#'   the estimate, see [softmix()]), so a fit does not depend on
#'   the units of the data. It keeps covariances positive definite when a
#'   component collapses onto few points. `0` gives the exact maximum
#'   likelihood estimates, and a log-likelihood that never decreases; with
#'   `reg > 0` EM maximises a slightly penalised likelihood, so the plain
#'   log-likelihood may fall by amounts of the order of `reg`. A constant
#'   column, which has no variance of its own, borrows the mean variance of
#'   the other columns; when all columns are constant, the square of the
#'   smallest power of two above the largest absolute value in the data
#'   (the scale softmix works in: 16 for data of 3, 4 for data of 1).
#' @param accelerate Whether to accelerate EM by SQUAREM extrapolation
#'   (Varadhan and Roland 2008): after two EM steps, a longer step along
#'   the parabola through the three parameter sets (in log proportions,
#'   means and log-Cholesky factors of the covariances) is tried and kept
#'   only if it gives a mixture of the model whose log-likelihood is at
#'   least that of the last EM step; otherwise EM goes on as plain EM would.
#'   The log-likelihood trace never falls (with `reg = 0`), and fits need
#'   fewer passes over the data, the more so the slower plain EM converges;
#'   `vignette("speed", package = "softmix")` shows the measurements.
#'   `FALSE` gives plain EM.
#' @param stopping The stopping rule: `"relative"` (the default) or
#'   `"aitken"`; see `tol`.
#' @param x A `softmix_control` object.
#' @param ... Unused.
#' @return `softmix_control()` returns a list of class `softmix_control`
#'   with elements `tol`, `max_iter`, `reg`, `accelerate` and `stopping`,
#'   for the `control` argument of [softmix()]; a fit keeps it as
#'   `$control`. The `print()` method returns `x` invisibly.
#' @references
#' Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood
#' from incomplete data via the EM algorithm. *Journal of the Royal
#' Statistical Society B*, 39(1), 1-38. \doi{10.1111/j.2517-6161.1977.tb01600.x}
#'
#' Varadhan, R. and Roland, C. (2008). Simple and globally convergent
#' methods for accelerating the convergence of any EM algorithm.
#' *Scandinavian Journal of Statistics*, 35(2), 335-353.
#' \doi{10.1111/j.1467-9469.2007.00585.x}
#'
#' McNicholas, P. D., Murphy, T. B., McDaid, A. F. and Frost, D. (2010).
#' Serial and parallel implementations of model-based clustering via
#' parsimonious Gaussian mixture models. *Computational Statistics and Data
#' Analysis*, 54(3), 711-723.
#' @family fitting
#' @export
#' @examples
#' softmix_control(tol = 1e-10, max_iter = 500)
#'
#' # exact maximum likelihood, no ridge
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, control = softmix_control(reg = 0), n_threads = 1)
#' fit$control
#' fit$iterations
#'
#' # plain EM, without acceleration, stopping after three iterations
#' set.seed(1)
#' short <- suppressWarnings(softmix(
#'   faithful, k = 2, n_threads = 1,
#'   control = softmix_control(max_iter = 3, accelerate = FALSE)
#' ))
#' c(short$iterations, short$converged)
softmix_control <- function(tol = 1e-8, max_iter = 1000, reg = 1e-6, accelerate = TRUE,
                            stopping = c("relative", "aitken")) {
  tol <- check_nonnegative(tol, "tol")
  max_iter <- check_count(max_iter, "max_iter", min = 1, max = .Machine$integer.max)
  reg <- check_nonnegative(reg, "reg")
  accelerate <- check_flag(accelerate, "accelerate")
  stopping <- match_choice(stopping, c("relative", "aitken"), "stopping")
  structure(list(tol = tol, max_iter = max_iter, reg = reg, accelerate = accelerate,
                 stopping = stopping),
            class = "softmix_control")
}

#' @rdname softmix_control
#' @export
print.softmix_control <- function(x, ...) {
  cat("<softmix_control> tol = ", format(x$tol), ", max_iter = ", x$max_iter,
      ", reg = ", format(x$reg), ", accelerate = ", x$accelerate, ", stopping = \"",
      x$stopping, "\"\n", sep = "")
  invisible(x)
}

#' Check a control argument
#' @noRd
check_control <- function(control, call = sys.call(-1)) {
  if (!inherits(control, "softmix_control")) {
    softmix_abort("`control` must be made by softmix_control().", call)
  }
  # Objects saved before `accelerate` and `stopping` existed get their defaults.
  defaults <- softmix_control()
  for (name in setdiff(names(defaults), names(control))) control[[name]] <- defaults[[name]]
  # Checked again as softmix_control() checks them: an object edited by
  # hand (control$max_iter <- 0) would otherwise pass unchecked.
  tryCatch(
    do.call(softmix_control, unclass(control)[names(defaults)]),
    softmix_error = function(e) {
      softmix_abort(paste("`control` holds an invalid setting:", conditionMessage(e)), call)
    }
  )
}
