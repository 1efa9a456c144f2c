#' Parameters of a Gaussian mixture
#'
#' Builds and validates the parameters of a mixture of K multivariate normal
#' distributions in d dimensions, in the layout softmix uses everywhere:
#' means as a K x d matrix (one row per component, like `kmeans()$centers`)
#' and covariances as a d x d x K array (like mclust's
#' `parameters$variance$sigma`).
#'
#' @param proportions Mixing proportions: K positive numbers summing to one
#'   (within 1e-8; they are then rescaled to sum to exactly one).
#' @param means A K x d matrix of component means. For one-dimensional
#'   mixtures a vector of K means; for one component, a vector of d means.
#' @param covariances A d x d x K array of symmetric positive definite
#'   covariance matrices, a single d x d matrix shared by all components, or
#'   for one-dimensional mixtures a vector of K variances.
#' @param x A `mixture_params` object.
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return `mixture_params()` returns an object of class `mixture_params`: a
#'   list with `proportions`, `means` (K x d, columns named after the
#'   variables, `V1`, `V2`, ... when `means` has no column names) and
#'   `covariances` (d x d x K). A fit's `$parameters` has the same class.
#'   The `print()` method shows the proportions and means and returns `x`
#'   invisibly.
#' @seealso [e_step()], [dmixture()], [pmixture()], [qmixture()] and
#'   [rmixture()] take these parameters;
#'   [softmix()] accepts them as a starting point (`init`).
#' @family mixture functions
#' @export
#' @examples
#' params <- mixture_params(
#'   proportions = c(0.3, 0.7),
#'   means = rbind(c(0, 0), c(3, 3)),
#'   covariances = array(c(diag(2), 0.5 * diag(2)), dim = c(2, 2, 2))
#' )
#' params
#' # one dimension: means and variances as vectors
#' mixture_params(c(0.5, 0.5), means = c(-1, 1), covariances = c(1, 2))
mixture_params <- function(proportions, means, covariances) {
  call <- sys.call()
  if (!is.numeric(proportions) || length(proportions) < 1L || anyNA(proportions) ||
      any(!is.finite(proportions))) {
    softmix_abort("`proportions` must be a vector of finite numbers.", call)
  }
  if (any(proportions <= 0)) {
    softmix_abort("`proportions` must all be positive.", call)
  }
  if (abs(sum(proportions) - 1) > 1e-8) {
    softmix_abort(sprintf("`proportions` must sum to 1; they sum to %s.",
                          format(sum(proportions), digits = 10)), call)
  }
  k <- length(proportions)
  means <- as_means_matrix(means, k, call)
  d <- ncol(means)
  covariances <- as_covariance_array(covariances, d, k, call)
  vars <- colnames(means)
  if (is.null(vars)) vars <- paste0("V", seq_len(d))
  colnames(means) <- vars
  rownames(means) <- NULL
  dimnames(covariances) <- list(vars, vars, NULL)
  structure(
    list(
      proportions = as.numeric(proportions) / sum(proportions),
      means = means,
      covariances = covariances
    ),
    class = "mixture_params"
  )
}

#' @rdname mixture_params
#' @export
print.mixture_params <- function(x, digits = getOption("digits") - 3, ...) {
  k <- length(x$proportions)
  d <- ncol(x$means)
  cat(sprintf("<mixture_params> %d component%s in %d dimension%s\n", k,
              if (k == 1) "" else "s", d, if (d == 1) "" else "s"))
  cat("\nProportions:\n")
  print(stats::setNames(x$proportions, paste0("[", seq_len(k), "]")), digits = digits)
  cat("\nMeans:\n")
  means <- x$means
  rownames(means) <- paste0("[", seq_len(k), "]")
  print(means, digits = digits)
  cat("\nCovariances: ", d, " x ", d, " x ", k, " array\n", sep = "")
  invisible(x)
}

#' Validate and shape means as K x d
#' @noRd
as_means_matrix <- function(means, k, call) {
  if (!is.numeric(means) || length(means) < 1L) {
    softmix_abort("`means` must be a numeric K x d matrix.", call)
  }
  if (is.null(dim(means))) {
    means <- if (k == 1L) matrix(means, nrow = 1L, dimnames = list(NULL, names(means)))
             else matrix(means, ncol = 1L)
  }
  if (length(dim(means)) != 2L) {
    softmix_abort("`means` must be a K x d matrix.", call)
  }
  if (nrow(means) != k) {
    softmix_abort(sprintf(
      "`means` must have one row per component: %d rows for %d proportions.",
      nrow(means), k
    ), call)
  }
  if (anyNA(means) || any(!is.finite(means))) {
    softmix_abort("`means` must contain only finite numbers.", call)
  }
  storage.mode(means) <- "double"
  means
}

#' Validate and shape covariances as d x d x K, symmetric positive definite
#' @noRd
as_covariance_array <- function(covariances, d, k, call) {
  if (!is.numeric(covariances) || length(covariances) < 1L) {
    softmix_abort("`covariances` must be a numeric d x d x K array.", call)
  }
  dims <- dim(covariances)
  if (is.null(dims) && d == 1L && length(covariances) %in% c(1L, k)) {
    covariances <- array(rep_len(as.numeric(covariances), k), dim = c(1L, 1L, k))
  } else if (length(dims) == 2L && all(dims == c(d, d))) {
    covariances <- array(rep(as.numeric(covariances), k), dim = c(d, d, k))
  } else if (!(length(dims) == 3L && all(dims == c(d, d, k)))) {
    got <- if (is.null(dims)) sprintf("a vector of length %d", length(covariances))
           else paste(dims, collapse = " x ")
    softmix_abort(sprintf(
      "`covariances` must be a %d x %d x %d array (d x d x K) or one %d x %d matrix; got %s.",
      d, d, k, d, d, got
    ), call)
  }
  if (anyNA(covariances) || any(!is.finite(covariances))) {
    softmix_abort("`covariances` must contain only finite numbers.", call)
  }
  storage.mode(covariances) <- "double"
  for (c in seq_len(k)) {
    sigma <- covariances[, , c, drop = FALSE]
    dim(sigma) <- c(d, d)
    scale <- max(abs(sigma))
    if (max(abs(sigma - t(sigma))) > 1e-8 * scale) {
      softmix_abort(sprintf("`covariances[, , %d]` is not symmetric.", c), call)
    }
    sigma <- (sigma + t(sigma)) / 2
    factor <- tryCatch(chol(sigma), error = function(e) NULL)
    if (is.null(factor) || any(diag(factor) <= 0)) {
      softmix_abort(sprintf("`covariances[, , %d]` is not positive definite.", c), call)
    }
    covariances[, , c] <- sigma
  }
  covariances
}

#' Check that `parameters` is a mixture_params object matching d columns
#' @noRd
check_params <- function(parameters, d = NULL, arg = "parameters", call = sys.call(-1)) {
  if (!inherits(parameters, "mixture_params")) {
    softmix_abort(sprintf(
      "`%s` must be a mixture_params object (see mixture_params()), not %s.",
      arg, describe_type(parameters)
    ), call)
  }
  if (!is.null(d) && ncol(parameters$means) != d) {
    softmix_abort(sprintf(
      "`%s` has %d dimension(s) but the data have %d column(s).",
      arg, ncol(parameters$means), d
    ), call)
  }
  parameters
}

#' Take `parameters` as a mixture_params object or a softmix fit's parameters
#' @noRd
params_or_fit <- function(parameters, arg = "parameters", call = sys.call(-1)) {
  if (inherits(parameters, "softmix")) parameters <- parameters$parameters
  if (!inherits(parameters, "mixture_params")) {
    softmix_abort(sprintf(
      "`%s` must be a mixture_params object (see mixture_params()) or a softmix fit, not %s.",
      arg, describe_type(parameters)
    ), call)
  }
  parameters
}
