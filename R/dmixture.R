#' Density of a Gaussian mixture
#'
#' Evaluates \eqn{f(x) = \sum_k \pi_k N(x \mid \mu_k, \Sigma_k)} at each
#' observation, following R's `d` convention for distributions.
#'
#' @inheritParams e_step
#' @param log If `TRUE`, the log-density, computed without underflow by a
#'   max-shifted log-sum-exp.
#' @return A numeric vector with one density per observation (row of `x`),
#'   named by the row names of `x`.
#' @seealso [predict.softmix()] with `type = "density"` for a fitted model;
#'   [rmixture()] to simulate.
#' @family mixture functions
#' @export
#' @examples
#' params <- mixture_params(c(0.3, 0.7), means = c(0, 4), covariances = c(1, 2))
#' curve(dmixture(x, params, n_threads = 1), -4, 9)
#' dmixture(c(0, 2, 4), params, log = TRUE, n_threads = 1)
#'
#' # the log-likelihood of data is the sum of the log-densities
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' c(sum(dmixture(faithful, fit$parameters, log = TRUE, n_threads = 1)), fit$loglik)
dmixture <- function(x, parameters, log = FALSE, n_threads = NULL) {
  if (inherits(parameters, "mixture_params")) x <- columns_for_params(x, parameters)
  data <- as_data_matrix(x, missing_ok = TRUE)
  check_observed_rows(data)
  check_params(parameters, ncol(data))
  check_noise_complete(data, parameters)
  if (!is.logical(log) || length(log) != 1L || is.na(log)) {
    softmix_abort("`log` must be TRUE or FALSE.")
  }
  n_threads <- resolve_threads(n_threads)
  out <- call_core(e_step_cpp(data, parameters, FALSE, TRUE, n_threads,
                              row_info(hypervolume = parameters$hypervolume)))
  density <- if (log) out$log_density else exp(out$log_density)
  names(density) <- rownames(data)
  density
}
