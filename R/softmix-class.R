#' Methods for fitted mixtures
#'
#' `print()` shows the model, the log-likelihood and the mixing proportions;
#' `summary()` adds the means, the classification table and BIC;
#' `logLik()` returns a `logLik` object with `df` and `nobs`, so
#' [stats::AIC()] and [stats::BIC()] work; `nobs()` returns the number of
#' observations.
#'
#' @param x,object A `softmix` fit.
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return `print()` returns `x` invisibly; `summary()` an object of class
#'   `summary.softmix`; `logLik()` an object of class `logLik`; `nobs()` an
#'   integer.
#' @family softmix methods
#' @name softmix-methods
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' print(fit)
#' summary(fit)
#' logLik(fit)
#' BIC(fit)
#' nobs(fit)
NULL

#' @rdname softmix-methods
#' @export
print.softmix <- function(x, digits = getOption("digits") - 3, ...) {
  cat(sprintf("Gaussian mixture fitted by EM: model %s with %d component%s\n",
              x$model, x$k, if (x$k == 1) "" else "s"))
  cat(sprintf("n = %d, d = %d, log-likelihood = %s, BIC = %s\n", x$n, x$d,
              format(x$loglik, digits = digits + 3), format(x$bic, digits = digits + 3)))
  cat(sprintf("%s after %d iteration%s\n",
              if (x$converged) "Converged" else "Did not converge",
              x$iterations, if (x$iterations == 1) "" else "s"))
  cat("\nMixing proportions:\n")
  print(stats::setNames(x$parameters$proportions, seq_len(x$k)), digits = digits)
  invisible(x)
}

#' @rdname softmix-methods
#' @export
summary.softmix <- function(object, ...) {
  means <- object$parameters$means
  rownames(means) <- seq_len(object$k)
  structure(
    list(
      model = object$model,
      k = object$k,
      n = object$n,
      d = object$d,
      loglik = object$loglik,
      df = object$df,
      bic = object$bic,
      iterations = object$iterations,
      converged = object$converged,
      proportions = stats::setNames(object$parameters$proportions, seq_len(object$k)),
      means = means,
      classification = table(factor(object$classification, levels = seq_len(object$k)),
                             dnn = NULL),
      mean_uncertainty = mean(object$uncertainty),
      selection = object$selection
    ),
    class = "summary.softmix"
  )
}

#' @rdname softmix-methods
#' @export
print.summary.softmix <- function(x, digits = getOption("digits") - 3, ...) {
  cat("Gaussian mixture model fitted by EM\n")
  cat("-----------------------------------\n")
  cat(sprintf("Model %s (%s) with %d component%s\n", x$model,
              model_table$description[model_table$code == x$model], x$k,
              if (x$k == 1) "" else "s"))
  stats_table <- data.frame(
    n = x$n, d = x$d, loglik = x$loglik, df = x$df, BIC = x$bic,
    iterations = x$iterations, converged = x$converged
  )
  print(stats_table, row.names = FALSE, digits = digits + 3)
  cat("\nMixing proportions:\n")
  print(x$proportions, digits = digits)
  cat("\nMeans:\n")
  print(x$means, digits = digits)
  cat("\nClassification (highest posterior):\n")
  print(x$classification)
  cat(sprintf("\nMean uncertainty (1 - max posterior): %s\n",
              format(x$mean_uncertainty, digits = digits)))
  if (!is.null(x$selection)) {
    cat("\nBest models by BIC (lower is better):\n")
    selection <- x$selection[order(x$selection$bic), , drop = FALSE]
    print(utils::head(selection[, c("k", "model", "loglik", "df", "bic")], 5),
          row.names = FALSE, digits = digits + 3)
  }
  invisible(x)
}

#' @rdname softmix-methods
#' @export
logLik.softmix <- function(object, ...) {
  structure(object$loglik, df = object$df, nobs = object$n, class = "logLik")
}

#' @rdname softmix-methods
#' @importFrom stats nobs
#' @export
nobs.softmix <- function(object, ...) {
  object$n
}

#' Predict components or densities for new data
#'
#' @param object A `softmix` fit.
#' @param newdata Data with the same columns as the fitted data (a matrix,
#'   data frame or, for one-dimensional fits, a vector). Omitted: the fitted
#'   data.
#' @param type `"class"`: the component of highest posterior probability;
#'   `"posterior"`: the n x K matrix of responsibilities; `"density"`: the
#'   mixture density at each observation.
#' @param n_threads Number of threads; `NULL` uses the fit's.
#' @param ... Unused.
#' @return An integer vector, a matrix or a numeric vector, by `type`.
#' @family softmix methods
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' new <- data.frame(eruptions = c(2, 4.5), waiting = c(55, 80))
#' predict(fit, new)
#' predict(fit, new, type = "posterior")
#' predict(fit, new, type = "density")
predict.softmix <- function(object, newdata, type = c("class", "posterior", "density"),
                            n_threads = NULL, ...) {
  type <- match_choice(type, c("class", "posterior", "density"), "type")
  data <- if (missing(newdata)) object$data else as_newdata(newdata, object)
  if (is.null(n_threads)) n_threads <- object$n_threads
  switch(type,
    class = max.col(e_step(data, object$parameters, n_threads)$posterior,
                    ties.method = "first"),
    posterior = e_step(data, object$parameters, n_threads)$posterior,
    density = dmixture(data, object$parameters, n_threads = n_threads)
  )
}

#' New data as a matrix with the fitted columns
#' @noRd
as_newdata <- function(newdata, object, call = sys.call(-1)) {
  data <- as_data_matrix(newdata, "newdata", call)
  if (ncol(data) != object$d) {
    softmix_abort(sprintf("`newdata` has %d column(s) but the model was fitted to %d.",
                          ncol(data), object$d), call)
  }
  # Match columns by name when both sides have names.
  fitted_names <- colnames(object$data)
  if (!is.null(fitted_names) && !is.null(colnames(data)) &&
      all(fitted_names %in% colnames(data))) {
    data <- data[, fitted_names, drop = FALSE]
  }
  data
}

#' Simulate data from a fitted mixture
#'
#' @param object A `softmix` fit.
#' @param nsim Number of simulated data sets.
#' @param seed An integer seed for [set.seed()], or `NULL` to use the current
#'   state of the generator.
#' @param n Number of observations per data set; by default the fit's.
#' @param ... Unused.
#' @return A list of `nsim` matrices from [rmixture()], each with a
#'   `"component"` attribute; the list has the attribute `"seed"` as
#'   [stats::simulate()] describes.
#' @family softmix methods
#' @importFrom stats simulate
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' sims <- simulate(fit, nsim = 2, seed = 42)
#' dim(sims[[1]])
simulate.softmix <- function(object, nsim = 1, seed = NULL, n = object$n, ...) {
  nsim <- check_count(nsim, "nsim", min = 1)
  if (!exists(".Random.seed", envir = globalenv(), inherits = FALSE)) stats::runif(1)
  if (is.null(seed)) {
    rng_state <- get(".Random.seed", envir = globalenv())
  } else {
    old <- get(".Random.seed", envir = globalenv())
    set.seed(seed)
    rng_state <- structure(seed, kind = as.list(RNGkind()))
    on.exit(assign(".Random.seed", old, envir = globalenv()))
  }
  sims <- lapply(seq_len(nsim), function(i) rmixture(n, object$parameters))
  names(sims) <- paste0("sim_", seq_len(nsim))
  attr(sims, "seed") <- rng_state
  sims
}

#' Posterior probabilities (responsibilities)
#'
#' The n x K matrix whose entry (i, k) is the probability that observation i
#' belongs to component k given the fitted parameters. Rows sum to one.
#'
#' @param object A fitted model.
#' @param newdata Optional new data; omitted: the fitted data.
#' @param ... Passed to methods.
#' @return An n x K numeric matrix.
#' @family softmix methods
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' head(posterior(fit))
posterior <- function(object, ...) {
  UseMethod("posterior")
}

#' @rdname posterior
#' @export
posterior.softmix <- function(object, newdata, ...) {
  if (missing(newdata)) return(object$posterior)
  stats::predict(object, newdata, type = "posterior", ...)
}
