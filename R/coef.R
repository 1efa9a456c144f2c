#' Parameters, fitted values and residuals of a fitted mixture
#'
#' `coef()` returns the estimated parameters as one named vector, `fitted()`
#' the classification or the posterior of the fitted data, and
#' `residuals()` each observation's distance from its posterior-weighted
#' mean.
#'
#' @section Coefficients:
#' `coef()` lists, in this order, the parameters that the fit estimated
#' (parts held by `fixed` in [softmix()] are left out):
#' * `proportion.1`, ..., `proportion.<K-1>`: the mixing proportions but the
#'   last, which is one minus their sum (none for one component). mclust's
#'   `nMclustParams()` and the fit's `df` count these K - 1.
#' * `mean.<k>.<variable>`: the means, component by component.
#' * the covariance parameters, as the distinct entries of the distinct
#'   covariance matrices the model allows: for spherical models (`EII`,
#'   `VII`, and `E`, `V` in one dimension) the variance \eqn{\lambda},
#'   `var` or `var.<k>`; for diagonal ones (`EEI`, `VEI`, `EVI`, `VVI`) the
#'   variances `var.<variable>` or `var.<k>.<variable>`; for ellipsoidal
#'   ones the upper triangle by rows (the lower one by columns), variances
#'   `var.<variable>` and covariances `cov.<variable i>.<variable j>` for
#'   i < j, or with `<k>.` after the prefix for each component's matrix.
#'   The matrix is listed once, without a component number, for the models
#'   where all components share it (`EII`, `EEI`, `EEE`, `E`).
#'
#' For `EII`, `VII`, `EEI`, `VVI`, `EEE`, `VVV`, `E` and `V`, whose
#' covariance entries vary freely, the length of `coef()` is the number of
#' free parameters, the fit's `df`. The other eight models tie the entries
#' of different components through a shared volume, shape or orientation
#' (\eqn{\Sigma_k = \lambda_k D_k A_k D_k^T}; see [softmix()]), so `coef()`
#' has more entries than `df` counts: for `VEI`, for example, the K x d
#' variances come from K volumes and d - 1 free shape values. The entries
#' are reported rather than the volume, shape and orientation because the
#' orientation, a rotation, has no natural set of d (d - 1) / 2 coordinates
#' to report. `fit$parameters` holds the same estimates as matrices.
#'
#' @section Residuals:
#' `residuals()` is the n x d matrix
#' \eqn{x_i - \sum_k z_{ik} \mu_k}, the data less the mean of the mixture
#' given each observation's posterior \eqn{z_{ik}} (a labelled row's
#' posterior is one for its component). Weights do not enter: each row's
#' residual is its own. At the maximum likelihood estimate of unconstrained
#' means, the residuals of the components balance, so the columns of the
#' weighted residuals sum to about zero.
#'
#' @param object A `softmix` fit.
#' @param type For `fitted()`: `"class"` (default), the component of highest
#'   posterior for each observation, `"posterior"`, the n x K matrix of
#'   posterior probabilities, or `"imputed"`, the fitted data with each
#'   missing value replaced by its conditional expectation given the row's
#'   observed values, \eqn{\sum_k r_{ik} E[x_m \mid x_o, k]} (see the
#'   section on missing values in [softmix()]).
#' @param ... Unused.
#' @return `coef()`: a named numeric vector (see the section above);
#'   `fitted()`: an integer vector of components or the n x K posterior
#'   matrix, as `$classification` and `$posterior` hold them, or the n x d
#'   imputed data; `residuals()`:
#'   an n x d matrix with the data's row and column names.
#' @seealso [predict.softmix()] for new data; [mixture_params()] for the
#'   layout of `fit$parameters`.
#' @family softmix methods
#' @importFrom stats coef
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' coef(fit)
#' length(coef(fit)) == fit$df
#' # a shared covariance is listed once
#' coef(softmix(faithful, k = 2, model = "EEE", n_threads = 1))
#' table(fitted(fit))
#' head(fitted(fit, type = "posterior"))
#' head(residuals(fit))
coef.softmix <- function(object, ...) {
  parameters <- object$parameters
  k <- nrow(parameters$means)
  vars <- colnames(parameters$means)
  if (is.null(vars)) vars <- paste0("V", seq_len(ncol(parameters$means)))
  fixed <- object$fixed
  parts <- list()
  noise <- !is.null(parameters$hypervolume)
  if (!"proportions" %in% fixed && k > 0L && (k > 1L || noise)) {
    # All but one share are free: the last component's, or with a noise
    # component the noise's (the components' listed in full).
    shares <- if (noise) k else k - 1L
    parts$proportions <- stats::setNames(unname(parameters$proportions[seq_len(shares)]),
                                         paste0("proportion.", seq_len(shares)))
  }
  if (!"means" %in% fixed && k > 0L) {
    parts$means <- stats::setNames(
      as.vector(t(parameters$means)),
      paste("mean", rep(seq_len(k), each = length(vars)), rep(vars, k), sep = ".")
    )
  }
  if (!"covariances" %in% fixed && k > 0L) {
    parts$covariances <- covariance_coef(parameters$covariances, object$model, vars)
  }
  # Nothing free (every part fixed, or the noise alone): an empty vector.
  out <- unlist(unname(parts))
  if (is.null(out)) stats::setNames(numeric(0), character(0)) else out
}

#' The covariance entries coef() reports for a model: see its documentation
#' @noRd
covariance_coef <- function(covariances, model, vars) {
  d <- length(vars)
  k <- dim(covariances)[3L]
  spherical <- model %in% c("EII", "VII", "E", "V")
  diagonal <- model %in% c("EEI", "VEI", "EVI", "VVI")
  shared <- model %in% c("EII", "EEI", "EEE", "E")
  components <- if (shared) 1L else seq_len(k)
  one <- function(j) {
    sigma <- matrix(covariances[, , j], d, d)
    prefix <- if (shared) "" else paste0(j, ".")
    if (spherical) {
      # lambda I: every variance is lambda.
      return(stats::setNames(sigma[1L, 1L], if (shared) "var" else paste0("var.", j)))
    }
    if (diagonal || d == 1L) {
      return(stats::setNames(diag(sigma), paste0("var.", prefix, vars)))
    }
    lower <- which(lower.tri(sigma, diag = TRUE), arr.ind = TRUE)
    lower <- lower[order(lower[, "col"], lower[, "row"]), , drop = FALSE]
    names <- ifelse(
      lower[, "row"] == lower[, "col"],
      paste0("var.", prefix, vars[lower[, "row"]]),
      paste0("cov.", prefix, vars[lower[, "col"]], ".", vars[lower[, "row"]])
    )
    stats::setNames(sigma[lower], names)
  }
  unlist(lapply(components, one))
}

#' @rdname coef.softmix
#' @importFrom stats fitted
#' @export
fitted.softmix <- function(object, type = c("class", "posterior", "imputed"), ...) {
  type <- match_choice(type, c("class", "posterior", "imputed"), "type")
  if (type == "imputed") return(imputed_data(object))
  if (is.null(object$posterior) && !is.null(object$shards)) {
    # The rows are on the workers: their posterior is gathered.
    posterior <- posterior(object)
    if (type == "posterior") return(posterior)
    return(max.col(posterior, ties.method = "first"))
  }
  if (type == "class") object$classification else object$posterior
}

#' The fitted data with each missing value replaced by its conditional
#' expectation given the row's observed values, mixed over the components
#' by the row's posterior
#' @noRd
imputed_data <- function(object, call = sys.call(-1)) {
  data <- fitted_data(object, call)
  if (is.null(incomplete_rows(data))) return(data)
  call_core(impute_cpp(data, object$parameters, row_info(known = object$labels)))
}

#' @rdname coef.softmix
#' @importFrom stats residuals
#' @export
residuals.softmix <- function(object, ...) {
  data <- fitted_data(object)
  # Noise rows have no component mean: only the components' posterior
  # enters (a row that is all noise keeps its values as residuals).
  residuals <- data - object$posterior[, seq_len(object$k), drop = FALSE] %*%
    object$parameters$means
  dimnames(residuals) <- list(rownames(data), variable_names(data))
  residuals
}
