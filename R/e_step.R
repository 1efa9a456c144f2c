#' E step: responsibilities for given parameters
#'
#' Computes the posterior probability that each observation belongs to each
#' component, by Bayes' rule: prior times likelihood, normalised,
#' \deqn{r_{ik} = \frac{\pi_k N(x_i \mid \mu_k, \Sigma_k)}{\sum_j \pi_j
#' N(x_i \mid \mu_j, \Sigma_j)},}
#' and the log-likelihood \eqn{\sum_i \log \sum_k \pi_k N(x_i \mid \mu_k,
#' \Sigma_k)}. The densities are evaluated through the Cholesky factors of
#' the precision matrices and the normalisation by a max-shifted
#' log-sum-exp, so extreme points do not underflow.
#'
#' @param x Data: a numeric matrix (n x d), a data frame of numeric columns,
#'   or a numeric vector for one-dimensional data. When `x` and the
#'   parameters' means both have column names and `x` has every variable of
#'   the parameters, the columns are taken by name (in any order; others are
#'   ignored); when none of its names is one of theirs, by position. A row
#'   with missing values (`NA`, `NaN`) gets its posterior and log-density from its
#'   observed coordinates (a row with none is an error).
#' @param parameters A [mixture_params()] object, such as
#'   `fit$parameters`.
#' @param n_threads Number of threads; `NULL` uses [softmix_threads()].
#' @param weights Optional observation weights, n non-negative finite
#'   numbers: the log-likelihood becomes \eqn{\sum_i w_i \log f(x_i)}
#'   (a row of weight 2 counts twice); the posterior is unchanged.
#' @return A list with `posterior`, the n x K matrix of responsibilities
#'   (rows sum to one; row names from `x`), and `loglik`, the
#'   (weighted) log-likelihood of `x` under `parameters`.
#' @references
#' Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood
#' from incomplete data via the EM algorithm. *Journal of the Royal
#' Statistical Society B*, 39(1), 1-38. \doi{10.1111/j.2517-6161.1977.tb01600.x}
#' @seealso [softmix()] runs E and M steps until convergence;
#'   [dmixture()] gives each observation's mixture density; the vignette
#'   `vignette("softmix", package = "softmix")` builds EM from these steps.
#' @family EM steps
#' @export
#' @examples
#' params <- mixture_params(c(0.5, 0.5), means = c(0, 4), covariances = c(1, 1))
#' e_step(c(-1, 1.9, 2, 2.1, 5), params, n_threads = 1)
#'
#' # unequal weights move the boundary towards the smaller component
#' unequal <- mixture_params(c(0.9, 0.1), means = c(0, 4), covariances = c(1, 1))
#' e_step(c(-1, 1.9, 2, 2.1, 5), unequal, n_threads = 1)$posterior
#'
#' # responsibilities of a fitted model, as stored in the fit
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' e <- e_step(faithful, fit$parameters, n_threads = 1)
#' all.equal(e$posterior, fit$posterior)
#' all.equal(e$loglik, fit$loglik)
e_step <- function(x, parameters, n_threads = NULL, weights = NULL) {
  if (inherits(parameters, "mixture_params")) x <- columns_for_params(x, parameters)
  data <- as_data_matrix(x, missing_ok = TRUE)
  check_observed_rows(data)
  check_params(parameters, ncol(data))
  check_noise_complete(data, parameters)
  n_threads <- resolve_threads(n_threads)
  weights <- check_weights(weights, nrow(data))
  out <- call_core(e_step_cpp(data, parameters, TRUE, FALSE, n_threads,
                              row_info(weights, hypervolume = parameters$hypervolume)))
  posterior <- out$posterior
  dimnames(posterior) <- list(
    rownames(data),
    if (is.null(parameters$hypervolume)) NULL else c(seq_len(nrow(parameters$means)), "noise")
  )
  list(posterior = posterior, loglik = out$loglik)
}
