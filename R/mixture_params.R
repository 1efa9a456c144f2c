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
#' @param hypervolume For a mixture with a uniform noise component (see
#'   `noise` in [softmix()]): the volume V of the region over which the
#'   noise is uniform, with density 1 / V. `proportions` then has K + 1
#'   entries, the noise's share last. `NULL` (default) for none, or the
#'   volume of `noise_box` when that is given.
#' @param noise_box For a noise component: a 2 x d matrix whose rows are the
#'   lower and upper corners of a box of volume `hypervolume`, from which
#'   [rmixture()] draws noise points. Optional.
#' @param x A `mixture_params` object.
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return `mixture_params()` returns an object of class `mixture_params`: a
#'   list with `proportions`, `means` (K x d, columns named after the
#'   variables, `V1`, `V2`, ... when `means` has no column names) and
#'   `covariances` (d x d x K), and with a noise component `hypervolume` and
#'   `noise_box` (`NULL` if not given); the noise's share is the last of the
#'   K + 1 `proportions`, named `"noise"`. A fit's `$parameters` has the
#'   same class.
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
mixture_params <- function(proportions, means, covariances, hypervolume = NULL,
                           noise_box = NULL) {
  call <- sys.call()
  check_proportions(proportions, "proportions", call, positive = TRUE)
  noise <- !is.null(hypervolume) || !is.null(noise_box)
  k <- length(proportions) - noise
  if (k < 1L) softmix_abort("`proportions` needs a share for each component and the noise.", call)
  means <- as_means_matrix(means, k, call)
  d <- ncol(means)
  covariances <- as_covariance_array(covariances, d, k, call)
  if (noise) {
    noise_box <- check_noise_box(noise_box, d, call)
    if (is.null(hypervolume)) hypervolume <- prod(noise_box[2, ] - noise_box[1, ])
    hypervolume <- check_hypervolume(hypervolume, call)
    check_box_volume(noise_box, hypervolume, call)
  }
  vars <- colnames(means)
  if (is.null(vars)) vars <- paste0("V", seq_len(d))
  colnames(means) <- vars
  rownames(means) <- NULL
  dimnames(covariances) <- list(vars, vars, NULL)
  proportions <- as.numeric(proportions) / sum(proportions)
  if (noise) names(proportions) <- c(rep("", k), "noise")
  structure(
    c(
      list(proportions = proportions, means = means, covariances = covariances),
      if (noise) list(hypervolume = hypervolume, noise_box = noise_box)
    ),
    class = "mixture_params"
  )
}

#' @rdname mixture_params
#' @export
print.mixture_params <- function(x, digits = getOption("digits") - 3, ...) {
  k <- nrow(x$means)
  d <- ncol(x$means)
  cat(sprintf("<mixture_params> %d component%s in %d dimension%s%s\n", k,
              if (k == 1) "" else "s", d, if (d == 1) "" else "s",
              if (is.null(x$hypervolume)) "" else
                sprintf(", with uniform noise over a volume of %s",
                        format(x$hypervolume, digits = digits))))
  cat("\nProportions:\n")
  labels <- paste0("[", seq_len(k), "]")
  if (!is.null(x$hypervolume)) labels <- c(labels, "noise")
  print(stats::setNames(unname(x$proportions), labels), digits = digits)
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
  check_finite(means, "means", call)
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
  check_finite(covariances, "covariances", call)
  storage.mode(covariances) <- "double"
  for (c in seq_len(k)) {
    sigma <- covariances[, , c, drop = FALSE]
    dim(sigma) <- c(d, d)
    check_symmetric(sigma, sprintf("covariances[, , %d]", c), call)
    sigma <- (sigma + t(sigma)) / 2
    factor <- tryCatch(chol(sigma), error = function(e) NULL)
    if (is.null(factor) || any(diag(factor) <= 0)) {
      softmix_abort(sprintf("`covariances[, , %d]` is not positive definite.", c), call)
    }
    covariances[, , c] <- sigma
  }
  covariances
}

#' Stop when a covariance matrix is not symmetric (to 1e-8 of its largest
#' entry): the core reads one triangle, so an edited entry on the other side
#' would be ignored.
#' @noRd
check_symmetric <- function(sigma, arg, call = sys.call(-1)) {
  if (max(abs(sigma - t(sigma))) > 1e-8 * max(abs(sigma))) {
    softmix_abort(sprintf("`%s` is not symmetric.", arg), call)
  }
  invisible(sigma)
}

#' Validate mixing proportions: finite, non-negative (positive for
#' mixture_params(); a fit may empty a component) and summing to one
#' @noRd
check_proportions <- function(proportions, arg, call = sys.call(-1), positive = FALSE) {
  if (!is.numeric(proportions) || length(proportions) < 1L || any(!is.finite(proportions))) {
    softmix_abort(sprintf("`%s` must be a vector of finite numbers, not %s.", arg,
                          describe_numbers(proportions)), call)
  }
  if (positive && any(proportions <= 0)) {
    softmix_abort(sprintf("`%s` must all be positive.", arg), call)
  }
  if (any(proportions < 0)) {
    softmix_abort(sprintf("`%s` must all be non-negative.", arg), call)
  }
  if (abs(sum(proportions) - 1) > 1e-8) {
    softmix_abort(sprintf("`%s` must sum to 1; they sum to %s.", arg,
                          format(sum(proportions), digits = 10)), call)
  }
  invisible(proportions)
}

#' Check that numbers are all finite (no NA, NaN or Inf)
#' @noRd
check_finite <- function(x, arg, call = sys.call(-1)) {
  if (any(!is.finite(x))) {
    softmix_abort(sprintf("`%s` must contain only finite numbers; it has %s.", arg,
                          format(x[!is.finite(x)][1])), call)
  }
  invisible(x)
}

#' Describe a value that should have been finite numbers, by its first bad entry
#' @noRd
describe_numbers <- function(x) {
  if (!is.numeric(x)) return(describe_type(x))
  if (length(x) == 0L) return("an empty vector")
  sprintf("%s at entry %d", format(x[!is.finite(x)][1]), which(!is.finite(x))[1])
}

#' Check that `parameters` is a well-formed mixture_params object matching d
#' columns. It runs before every E step, density and prediction, and objects
#' can be edited after mixture_params() built them, so the layout is
#' re-checked here, cheaply: shapes and finiteness, no decompositions.
#' @noRd
check_params <- function(parameters, d = NULL, arg = "parameters", call = sys.call(-1)) {
  if (inherits(parameters, "softmix")) {
    softmix_abort(sprintf("`%s` is a softmix() fit; pass its parameters, `fit$parameters`.",
                          arg), call)
  }
  if (!inherits(parameters, "mixture_params")) {
    softmix_abort(sprintf(
      "`%s` must be a mixture_params object (see mixture_params()), not %s.",
      arg, describe_type(parameters)
    ), call)
  }
  element <- function(name) sprintf("%s$%s", arg, name)
  noise <- !is.null(parameters$hypervolume)
  means <- parameters$means
  # With a noise component K may be 0 (the all-noise model).
  if (!is.numeric(means) || length(dim(means)) != 2L || ncol(means) < 1L ||
      nrow(means) < 1L - noise) {
    softmix_abort(sprintf("`%s` must be a numeric K x d matrix, not %s.", element("means"),
                          if (is.null(dim(means))) format_value(means) else
                            paste(dim(means), collapse = " x ")), call)
  }
  check_finite(means, element("means"), call)
  k <- nrow(means)
  dims <- c(ncol(means), ncol(means), k)
  covariances <- parameters$covariances
  if (!is.numeric(covariances) || !identical(as.integer(dim(covariances)), dims)) {
    got <- if (!is.numeric(covariances) || is.null(dim(covariances))) format_value(covariances)
           else paste(dim(covariances), collapse = " x ")
    softmix_abort(sprintf("`%s` must be a %s numeric array (d x d x K), not %s.",
                          element("covariances"), paste(dims, collapse = " x "), got), call)
  }
  check_finite(covariances, element("covariances"), call)
  for (c in seq_len(k)) {
    check_symmetric(matrix(covariances[, , c], dims[1]),
                    sprintf("%s[, , %d]", element("covariances"), c), call)
  }
  if (noise) check_hypervolume(parameters$hypervolume, call, element("hypervolume"))
  if (!is.null(parameters$noise_box)) {
    check_noise_box(parameters$noise_box, ncol(means), call, element("noise_box"))
    check_box_volume(parameters$noise_box, parameters$hypervolume, call, element("noise_box"),
                     element("hypervolume"))
  }
  proportions <- parameters$proportions
  check_proportions(proportions, element("proportions"), call)
  if (length(proportions) != k + noise) {
    softmix_abort(sprintf(
      "`%s` must have %d entries, one per component%s; it has %d.", element("proportions"),
      k + noise, if (noise) " and the noise's share last" else "", length(proportions)
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

#' Stop when a noise box's volume is not the hypervolume: rmixture() draws
#' the noise from the box and densities use the hypervolume
#' @noRd
check_box_volume <- function(noise_box, hypervolume, call = sys.call(-1), arg = "noise_box",
                             volume_arg = "hypervolume") {
  if (is.null(noise_box) || is.null(hypervolume)) return(invisible())
  log_volume <- sum(log(noise_box[2, ] - noise_box[1, ]))
  if (abs(log_volume - log(hypervolume)) > 1e-8) {
    softmix_abort(sprintf(
      "`%s` has volume %s but `%s` is %s; they must agree (give one of them).",
      arg, format(exp(log_volume)), volume_arg, format(hypervolume)
    ), call)
  }
  invisible()
}

#' Validate a noise box: NULL, or 2 x d with lower corner below upper
#' @noRd
check_noise_box <- function(noise_box, d, call = sys.call(-1), arg = "noise_box") {
  if (is.null(noise_box)) return(NULL)
  if (!is.numeric(noise_box) || !identical(dim(noise_box), c(2L, as.integer(d))) ||
      any(!is.finite(noise_box)) || any(noise_box[2, ] <= noise_box[1, ])) {
    softmix_abort(sprintf(paste(
      "`%s` must be a 2 x %d matrix of finite numbers, its rows the lower and upper",
      "corners of a box with positive sides."
    ), arg, d), call)
  }
  noise_box
}

#' Validate a hypervolume: one positive finite number
#' @noRd
check_hypervolume <- function(hypervolume, call = sys.call(-1), arg = "hypervolume") {
  if (!is.numeric(hypervolume) || length(hypervolume) != 1L || !is.finite(hypervolume) ||
      hypervolume <= 0) {
    softmix_abort(sprintf("`%s` must be one positive finite number, not %s.", arg,
                          format_value(hypervolume)), call)
  }
  as.double(hypervolume)
}

#' The share of the noise component, 0 without one
#' @noRd
noise_share <- function(parameters) {
  if (is.null(parameters$hypervolume)) 0 else parameters$proportions[nrow(parameters$means) + 1L]
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
  if (!is.null(parameters$hypervolume)) {
    softmix_abort(sprintf(paste(
      "`%s` has a uniform noise component, whose distribution function over its region",
      "is not defined; drop it (the first K proportions, renormalised) to use this function."
    ), arg), call)
  }
  check_params(parameters, arg = arg, call = call)
}
