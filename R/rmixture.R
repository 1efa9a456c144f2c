#' Simulate from a Gaussian mixture
#'
#' Draws each observation's component with the mixing proportions, then the
#' observation from that component's normal distribution. Uses R's random
#' number generator, so `set.seed()` makes the draws reproducible.
#'
#' @param n Number of observations, a whole number, 0 or more.
#' @param parameters A [mixture_params()] object.
#' @return An n x d numeric matrix, with the variable names of
#'   `parameters$means` as column names and an attribute `"component"`, the
#'   integer component of each row (0 for a point of the noise component,
#'   drawn uniformly from `parameters$noise_box`).
#' @seealso [simulate.softmix()] to simulate from a fitted model.
#' @family mixture functions
#' @export
#' @examples
#' params <- mixture_params(c(0.3, 0.7), means = rbind(c(0, 0), c(3, 3)),
#'                          covariances = diag(2))
#' set.seed(1)
#' x <- rmixture(500, params)
#' table(attr(x, "component"))
#'
#' # fitting the simulated data recovers the parameters
#' fit <- softmix(x, k = 2, n_threads = 1)
#' fit$parameters$proportions
#' fit$parameters$means
rmixture <- function(n, parameters) {
  call <- sys.call()
  n <- check_count(n, "n", min = 0)
  check_params(parameters)
  k <- nrow(parameters$means)
  d <- ncol(parameters$means)
  noise <- !is.null(parameters$hypervolume)
  if (noise && is.null(parameters$noise_box)) {
    softmix_abort(paste(
      "`parameters` has a noise component but no `noise_box` to draw its points from;",
      "see mixture_params()."
    ))
  }
  # Each covariance's factor, before any draw: one that is not positive
  # definite (an edited object) is named, whether or not it gets rows.
  factors <- lapply(seq_len(k), function(c) {
    sigma <- parameters$covariances[, , c, drop = FALSE]
    dim(sigma) <- c(d, d)
    tryCatch(chol(sigma), error = function(e) {
      softmix_abort(sprintf(
        "`parameters$covariances[, , %d]` is not positive definite (singular or nearly so).", c
      ), call)
    })
  })
  component <- sample.int(k + noise, n, replace = TRUE, prob = parameters$proportions)
  x <- matrix(stats::rnorm(n * d), n, d)
  if (noise) {
    # Noise points, labelled 0, uniform over the box.
    rows <- which(component == k + 1L)
    box <- parameters$noise_box
    x[rows, ] <- matrix(stats::runif(length(rows) * d), length(rows), d) %*%
      diag(box[2, ] - box[1, ], d) + matrix(box[1, ], length(rows), d, byrow = TRUE)
    component[rows] <- 0L
  }
  for (c in seq_len(k)) {
    rows <- which(component == c)
    if (length(rows) == 0L) next
    # rows of z R have covariance R'R = sigma
    x[rows, ] <- x[rows, , drop = FALSE] %*% factors[[c]] +
      matrix(parameters$means[c, ], length(rows), d, byrow = TRUE)
  }
  colnames(x) <- colnames(parameters$means)
  attr(x, "component") <- component
  x
}
