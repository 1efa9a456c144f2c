#' M step: weighted maximum likelihood from soft assignments
#'
#' Estimates mixture parameters from any n x K matrix of non-negative
#' weights, usually responsibilities: with \eqn{N_k = \sum_i r_{ik}} (the
#' effective count of component k) and \eqn{N = \sum_k N_k},
#' \eqn{\pi_k = N_k / N}, \eqn{\mu_k = \sum_i r_{ik} x_i / N_k} and, for the
#' unconstrained model `"VVV"`, \eqn{\Sigma_k = \sum_i r_{ik} (x_i -
#' \mu_k)(x_i - \mu_k)^T / N_k}. The other covariance models constrain the
#' \eqn{\Sigma_k} as described in [softmix()]. One-hot weights give the
#' usual estimates from a hard partition.
#'
#' @inheritParams e_step
#' @param x Data: a numeric matrix (n x d), a data frame of numeric columns,
#'   or a numeric vector for one-dimensional data. Rows with missing values
#'   (`NA`, `NaN`) need `parameters`: see there.
#' @param posterior An n x K matrix of non-negative weights with no column
#'   summing to zero; rows need not sum to one.
#' @param model A covariance model code (see [softmix()]).
#' @param reg Ridge for the covariance diagonals, relative to each
#'   variable's variance, as in [softmix_control()]. The default 0 gives the
#'   exact weighted maximum likelihood estimates.
#' @param weights Optional observation weights, n non-negative finite
#'   numbers, which multiply each row of `posterior`: the estimates from
#'   \eqn{w_i r_{ik}}, as if row i were repeated \eqn{w_i} times.
#' @param parameters Used only when `x` has missing values, and then
#'   required: the [mixture_params()] the posterior was computed from (for
#'   example `fit$parameters`, or those given to [e_step()]). The M step of
#'   EM with missing values (Ghahramani and Jordan 1994) completes row i for
#'   component k by the conditional mean of its missing coordinates m given
#'   its observed ones o, \eqn{\mu_{k,m} + \Sigma_{k,mo} \Sigma_{k,oo}^{-1}
#'   (x_{i,o} - \mu_{k,o})}, and adds the conditional covariance
#'   \eqn{\Sigma_{k,mm} - \Sigma_{k,mo} \Sigma_{k,oo}^{-1} \Sigma_{k,om}}
#'   to the scatter, all under these parameters; the estimates are then
#'   those of every covariance model from the completed statistics, as in
#'   one EM iteration of [softmix()].
#' @return A [mixture_params()] object: `proportions` (\eqn{N_k / N}),
#'   `means` (K x d) and `covariances` (d x d x K).
#' @references
#' Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood
#' from incomplete data via the EM algorithm. *Journal of the Royal
#' Statistical Society B*, 39(1), 1-38. \doi{10.1111/j.2517-6161.1977.tb01600.x}
#'
#' Ghahramani, Z. and Jordan, M. I. (1994). Supervised learning from
#' incomplete data via an EM approach. *Advances in Neural Information
#' Processing Systems* 6, 120-127.
#'
#' Celeux, G. and Govaert, G. (1995). Gaussian parsimonious clustering models.
#' *Pattern Recognition*, 28(5), 781-793. \doi{10.1016/0031-3203(94)00125-6}
#' @seealso [e_step()] for the responsibilities; [softmix()] for the whole
#'   EM fit; `vignette("softmix", package = "softmix")`.
#' @family EM steps
#' @export
#' @examples
#' x <- as.matrix(faithful)
#' set.seed(1)
#' labels <- kmeans(x, 2)$cluster
#'
#' # one-hot weights give the estimates of each group of a hard partition
#' one_hot <- outer(labels, 1:2, "==") * 1
#' params <- m_step(x, one_hot, model = "VVV", n_threads = 1)
#' params$means
#' rbind(colMeans(x[labels == 1, ]), colMeans(x[labels == 2, ]))
#'
#' # soft weights: one EM iteration by hand
#' e <- e_step(x, params, n_threads = 1)
#' m_step(x, e$posterior, model = "VVV", n_threads = 1)
#'
#' # a covariance model shared by both components
#' m_step(x, e$posterior, model = "EEE", n_threads = 1)$covariances
#'
#' # with missing values: the M step needs the parameters of the E step
#' x[c(3, 10, 25), 2] <- NA
#' e <- e_step(x, params, n_threads = 1)
#' m_step(x, e$posterior, model = "VVV", n_threads = 1, parameters = params)$means
m_step <- function(x, posterior, model = "VVV", reg = 0, n_threads = NULL, weights = NULL,
                   parameters = NULL) {
  data <- as_data_matrix(x, missing_ok = TRUE)
  incomplete <- nonfinite_rows_cpp(data)
  if (incomplete[1] > 0L && is.null(parameters)) {
    softmix_abort(sprintf(paste(
      "`x` has missing values (NA or NaN) in %d row(s), the first being row %d; the M step",
      "completes them by their conditional means under the parameters the posterior was",
      "computed from, so give those as `parameters` (e.g. `fit$parameters`)."
    ), incomplete[1], incomplete[2]))
  }
  if (incomplete[1] > 0L) check_observed_rows(data)
  posterior <- check_posterior(posterior, nrow(data))
  if (!is.null(parameters)) {
    check_params(parameters, ncol(data))
    if (nrow(parameters$means) != ncol(posterior)) {
      softmix_abort(sprintf(
        "`parameters` has %d component(s) but `posterior` has %d column(s).",
        nrow(parameters$means), ncol(posterior)
      ))
    }
    if (!is.null(parameters$hypervolume)) {
      softmix_abort("`parameters` has a noise component, which m_step() does not estimate.")
    }
  }
  weights <- check_weights(weights, nrow(data))
  if (!is.null(weights)) {
    empty <- which(!(colSums(posterior * weights) > 1e-12 * sum(posterior * weights)))
    if (length(empty) > 0L) {
      softmix_abort(sprintf(
        "Component %d has (almost) zero total weight once `weights` multiply `posterior`.",
        empty[1]
      ))
    }
  }
  model <- match_models(model, ncol(data))
  if (length(model) != 1L) softmix_abort("`model` must be a single model code.")
  reg <- check_nonnegative(reg, "reg")
  n_threads <- resolve_threads(n_threads)
  given <- if (incomplete[1] > 0L) parameters
  this_call <- sys.call()
  out <- tryCatch(
    call_core(m_step_cpp(data, posterior, model, reg, n_threads, row_info(weights), given),
              this_call),
    softmix_error = function(e) {
      # The core's advice speaks of softmix()'s control; m_step() has its own `reg`.
      softmix_abort(sub("`reg` in softmix_control()", "`reg`", conditionMessage(e),
                        fixed = TRUE), this_call)
    }
  )
  means <- out$means
  colnames(means) <- variable_names(data)
  mixture_params(out$proportions, means, out$covariances)
}

#' Validate an n x K weight matrix
#' @noRd
check_posterior <- function(posterior, n, k = NULL, arg = "posterior", call = sys.call(-1)) {
  if (is.data.frame(posterior)) posterior <- as.matrix(posterior)
  if (!is.matrix(posterior) || !is.numeric(posterior)) {
    softmix_abort(sprintf("`%s` must be a numeric n x K matrix, not %s.", arg,
                          describe_type(posterior)), call)
  }
  if (nrow(posterior) != n) {
    softmix_abort(sprintf("`%s` must have one row per observation: %d rows for %d observations.",
                          arg, nrow(posterior), n), call)
  }
  if (!is.null(k) && ncol(posterior) != k) {
    softmix_abort(sprintf("`%s` must have k = %d columns; it has %d.", arg, k,
                          ncol(posterior)), call)
  }
  if (ncol(posterior) < 1L) softmix_abort(sprintf("`%s` has no columns.", arg), call)
  if (anyNA(posterior) || any(!is.finite(posterior))) {
    softmix_abort(sprintf("`%s` must contain only finite numbers.", arg), call)
  }
  if (any(posterior < 0)) {
    softmix_abort(sprintf("`%s` must not contain negative weights.", arg), call)
  }
  # The core's threshold for a component too light to estimate.
  empty <- which(!(colSums(posterior) > 1e-12 * sum(posterior)))
  if (length(empty) > 0L) {
    softmix_abort(sprintf("`%s` column %d has (almost) zero total weight: an empty component.",
                          arg, empty[1]), call)
  }
  storage.mode(posterior) <- "double"
  posterior
}
