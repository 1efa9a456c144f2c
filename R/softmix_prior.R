#' A conjugate prior for the mixture parameters
#'
#' Settings of the conjugate prior of Fraley and Raftery (2007), with which
#' [softmix()] (`prior = softmix_prior()`) fits by maximum a posteriori EM:
#' each M step is the posterior mode of the parameters instead of their
#' maximum likelihood estimate. The prior keeps covariances away from
#' singularity, so BIC selection no longer meets degenerate fits, at the
#' cost of a small bias towards the prior.
#'
#' Given its covariance, each component's mean has a normal prior centred
#' on `mean` with covariance \eqn{\Sigma_k / \kappa} (\eqn{\kappa} the
#' `shrinkage`); the covariance parameters have an inverse-Wishart prior
#' with `dof` degrees of freedom and scale matrix `scale` (ellipsoidal
#' models) or inverse-gamma priors with shape `dof / 2` and scale `scale / 2`
#' on the variances (diagonal, spherical and one-dimensional models). The
#' posterior mode is then, for `"VVV"`, \deqn{\mu_k = \frac{N_k \bar x_k +
#' \kappa \mu_P}{N_k + \kappa}, \quad \Sigma_k = \frac{\Lambda + W_k +
#' \frac{\kappa N_k}{N_k + \kappa} (\bar x_k - \mu_P)(\bar x_k - \mu_P)^T}
#' {\nu + N_k + d + 1 + \delta},} with \eqn{\delta} one when \eqn{\kappa > 0}
#' and zero otherwise. For the ten models mclust fits with a prior (EII,
#' VII, EEI, VEI, EVI, VVI, EEE, EEV, VEV, VVV, and E and V in one
#' dimension) softmix computes the mode exactly as mclust's `mstep()` does,
#' including its choices (mclust's EEV does not shrink the means, its VEV
#' does not use `dof`, its EII does not use `scale`, and its EEI returns the
#' unshrunk means). For EVE, VEE, VVE and EVV, which mclust fits without a
#' prior only, softmix gives the mode under a normal-inverse-Wishart prior on
#' each component's mean and covariance: the maximum likelihood step with
#' each scatter matrix \eqn{W_k} replaced by \eqn{\Lambda + W_k + S_k} and
#' each count \eqn{N_k} by \eqn{N_k + \nu + d + 1 + \delta} (\eqn{S_k} the
#' shrinkage term above, \eqn{\delta} one when \eqn{\kappa > 0}).
#'
#' As in mclust, the reported log-likelihood, BIC and ICL exclude the log
#' prior; EM raises the log posterior (log-likelihood plus log prior),
#' whose trace is the fit's `log_posterior_trace` (in the core's scaled
#' units, so up to a constant) and which its stopping rule watches. For
#' EII and EEI, whose M steps are mclust's and not the exact mode of the
#' log posterior, the trace can fall slightly, and those two models are
#' fitted without acceleration. With a prior the ridge `reg` of
#' [softmix_control()] is not used.
#'
#' @param shrinkage \eqn{\kappa}, the weight of the prior mean, in
#'   observations: a non-negative number (0: no prior on the means).
#'   mclust's default is 0.01.
#' @param mean The prior mean \eqn{\mu_P}: `NULL` for the data's column
#'   means (weighted, with observation weights), or a vector of d numbers.
#' @param dof \eqn{\nu}, the prior's degrees of freedom: `NULL` for d + 2
#'   (3 for one-dimensional data), mclust's default, or a number above
#'   d - 1.
#' @param scale The prior scale: `NULL` for mclust's default, the data's
#'   covariance matrix divided by \eqn{K^{2/d}} for a fit of K components
#'   (its diagonal when there are no more rows than variables; for the
#'   diagonal and spherical models the mean of the variances divided by
#'   \eqn{K^{2/d}}); or a positive number (a multiple of the identity) or a
#'   d x d positive definite matrix, used for every K (diagonal and spherical
#'   models take the mean of its diagonal).
#' @return An object of class `softmix_prior`, a list of the settings, to
#'   give to [softmix()] as `prior`.
#' @references
#' Fraley, C. and Raftery, A. E. (2007). Bayesian regularization for normal
#' mixture estimation and model-based clustering. *Journal of
#' Classification*, 24(2), 155-181. \doi{10.1007/s00357-007-0004-5}
#' @seealso [softmix()]; mclust's `priorControl()` and `defaultPrior()`.
#' @family fitting
#' @export
#' @examples
#' # a selection over every model, with mclust's default prior
#' fit <- softmix(iris[, 1:4], k = 1:3, model = c("VVV", "EEE", "VEV"),
#'                prior = softmix_prior(), n_threads = 1)
#' fit$selection[, c("k", "model", "bic")]
#'
#' # a stronger pull of the means towards the overall mean
#' softmix(faithful, k = 2, prior = softmix_prior(shrinkage = 10),
#'         n_threads = 1)$parameters$means
softmix_prior <- function(shrinkage = 0.01, mean = NULL, dof = NULL, scale = NULL) {
  if (!is.numeric(shrinkage) || length(shrinkage) != 1L || !is.finite(shrinkage) ||
      shrinkage < 0) {
    softmix_abort(sprintf("`shrinkage` must be one non-negative number, not %s.",
                          format_value(shrinkage)))
  }
  if (!is.null(mean) && (!is.numeric(mean) || anyNA(mean) || any(!is.finite(mean)))) {
    softmix_abort("`mean` must be NULL or a vector of finite numbers.")
  }
  if (!is.null(dof) && (!is.numeric(dof) || length(dof) != 1L || !is.finite(dof))) {
    softmix_abort(sprintf("`dof` must be NULL or one finite number, not %s.", format_value(dof)))
  }
  if (!is.null(scale)) {
    scale <- as.matrix(scale)
    if (!is.numeric(scale) || nrow(scale) != ncol(scale) || any(!is.finite(scale))) {
      softmix_abort("`scale` must be NULL, a positive number or a square positive definite matrix.")
    }
    if (length(scale) == 1L && !(scale[1] > 0)) {
      softmix_abort(sprintf("`scale` must be positive, not %s.", format(scale[1])))
    }
    if (length(scale) > 1L && !is_positive_definite(scale)) {
      softmix_abort("`scale` must be a symmetric positive definite matrix.")
    }
  }
  structure(list(shrinkage = as.double(shrinkage), mean = mean, dof = dof, scale = scale),
            class = "softmix_prior")
}

#' @export
print.softmix_prior <- function(x, ...) {
  describe <- function(value, default) {
    if (is.null(value)) default else paste(format(value, digits = 4), collapse = ", ")
  }
  cat("Conjugate prior (Fraley and Raftery 2007)\n")
  cat("  shrinkage: ", x$shrinkage, "\n", sep = "")
  cat("  mean:      ", describe(x$mean, "the column means"), "\n", sep = "")
  cat("  dof:       ", describe(x$dof, "d + 2"), "\n", sep = "")
  cat("  scale:     ", if (is.null(x$scale)) "var(x) / K^(2/d)" else
    if (length(x$scale) == 1L) format(x$scale) else
      sprintf("a %d x %d matrix", nrow(x$scale), ncol(x$scale)), "\n", sep = "")
  invisible(x)
}

#' Whether a square matrix is symmetric and positive definite
#' @noRd
is_positive_definite <- function(m) {
  isTRUE(all.equal(m, t(m), tolerance = 1e-10, check.attributes = FALSE)) &&
    !inherits(try(chol(m), silent = TRUE), "try-error")
}

#' The prior's values for the data, as the core takes them: NULL without a
#' prior
#' @noRd
resolve_prior <- function(prior, data, weights, call = sys.call(-1)) {
  if (is.null(prior)) return(NULL)
  if (!inherits(prior, "softmix_prior")) {
    softmix_abort(sprintf("`prior` must be NULL or made by softmix_prior(), not %s.",
                          describe_type(prior)), call)
  }
  n <- nrow(data)
  d <- ncol(data)
  w <- if (is.null(weights)) rep(1, n) else weights
  centre <- colSums(w * data) / sum(w)
  mean <- if (is.null(prior$mean)) centre else prior$mean
  if (length(mean) != d) {
    softmix_abort(sprintf("`prior` has a mean of %d value(s) for %d variable(s).",
                          length(mean), d), call)
  }
  dof <- if (is.null(prior$dof)) if (d == 1L) 3 else d + 2 else prior$dof
  if (!(dof > d - 1)) {
    softmix_abort(sprintf("`prior` needs `dof` above d - 1 = %d; it has %s.", d - 1,
                          format(dof)), call)
  }
  if (is.null(prior$scale)) {
    # mclust's defaultPrior(): var(x) (its diagonal when n <= d), divided
    # by K^(2/d) for each K in the core.
    centred <- sweep(data, 2, centre)
    covariance <- crossprod(centred * sqrt(w)) / (sum(w) - 1)
    scale <- if (n > d) covariance else diag(diag(covariance), d)
    scalar <- sum(diag(covariance)) / d
    per_component <- TRUE
  } else if (length(prior$scale) == 1L) {
    scalar <- prior$scale[1]
    scale <- diag(scalar, d)
    per_component <- FALSE
  } else {
    if (nrow(prior$scale) != d) {
      softmix_abort(sprintf("`prior` has a %d x %d scale for %d variable(s).",
                            nrow(prior$scale), ncol(prior$scale), d), call)
    }
    scale <- prior$scale
    scalar <- mean(diag(scale))
    per_component <- FALSE
  }
  list(shrinkage = prior$shrinkage, mean = as.double(mean), dof = as.double(dof),
       scale = matrix(as.double(scale), d, d), scale_scalar = as.double(scalar),
       per_component = per_component)
}
