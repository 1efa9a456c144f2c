#' Control settings for EM
#'
#' @param tol Convergence tolerance: EM stops when the relative change of the
#'   log-likelihood between iterations, \eqn{|\ell_t - \ell_{t-1}| / (1 +
#'   |\ell_t|)}, falls below `tol`. Non-negative; 0 runs until `max_iter`.
#' @param max_iter Maximum number of EM iterations (M steps); a whole number,
#'   0 or more. With `max_iter = t` a fit performs exactly `t` E and M rounds
#'   and one final E step.
#' @param reg Ridge added to the covariance diagonals, relative to each
#'   variable's scale: `reg * var(x[, j])` is added to the `j`-th diagonal
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
#'   largest absolute value in the data, rounded up to a power of two.
#' @return A list of class `softmix_control`.
#' @family fitting
#' @export
#' @examples
#' softmix_control(tol = 1e-10, max_iter = 500)
softmix_control <- function(tol = 1e-8, max_iter = 1000, reg = 1e-6) {
  tol <- check_nonnegative(tol, "tol")
  max_iter <- check_count(max_iter, "max_iter", min = 0, max = .Machine$integer.max)
  reg <- check_nonnegative(reg, "reg")
  structure(list(tol = tol, max_iter = max_iter, reg = reg), class = "softmix_control")
}

#' @export
print.softmix_control <- function(x, ...) {
  cat("<softmix_control> tol = ", format(x$tol), ", max_iter = ", x$max_iter,
      ", reg = ", format(x$reg), "\n", sep = "")
  invisible(x)
}

#' Check a control argument
#' @noRd
check_control <- function(control, call = sys.call(-1)) {
  if (!inherits(control, "softmix_control")) {
    softmix_abort("`control` must be made by softmix_control().", call)
  }
  control
}
