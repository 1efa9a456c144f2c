#' Methods for fitted mixtures
#'
#' `print()` shows the model and its description, the sizes, the
#' log-likelihood, BIC, ICL, convergence, and a table of the mixing
#' proportions with the means (the means are left to `summary()` beyond
#' `max_vars` variables); `summary()` adds the classification table, the
#' mean uncertainty, with `parameters = TRUE` the covariance matrices, and,
#' for a fit chosen among several (k, model) pairs, the best pairs by the
#' selection criterion; `logLik()` returns a `logLik` object with `df` and
#' `nobs`, so [stats::AIC()] and [stats::BIC()] work, or with
#' `type = "obs"` the log-density of each observation; `nobs()` returns the
#' number of observations; `as.data.frame()` returns the table of fitted
#' (k, model) pairs.
#'
#' BIC and ICL are on R's [stats::BIC()] scale, lower is better (mclust
#' reports their negatives); see [softmix()].
#'
#' @section Per-observation log-likelihood:
#' `logLik(fit, type = "obs")` is the vector of
#' \eqn{\log f(x_i) = \log \sum_k \pi_k N(x_i \mid \mu_k, \Sigma_k)}
#' over the fitted rows, as `predict(fit, type = "logdensity")` computes it.
#' Without weights or known labels these sum to `logLik(fit)`. They are not
#' weighted: with `weights` the total is \eqn{\sum_i w_i \log f(x_i)}
#' (sampling weights after their scaling to sum to n). With known `labels`
#' the total counts a labelled row by its complete-data density
#' \eqn{\log \pi_{y_i} N(x_i \mid \mu_{y_i}, \Sigma_{y_i})}, which is
#' smaller than \eqn{\log f(x_i)}, so the values sum to more than the total;
#' they are the log-densities the mixture gives each row, labels set aside.
#'
#' @param x,object A `softmix` fit, or for `print()` its summary.
#' @param digits Significant digits to print.
#' @param max_vars `print()` shows the means with the proportions for fits of
#'   at most this many variables.
#' @param n_models For a selection, how many of the best (k, model) pairs
#'   `summary()` keeps.
#' @param parameters Whether the summary prints the covariance matrices as
#'   well as the proportions and means: the variances for diagonal
#'   covariances, a matrix shared by all components once.
#' @param type For `logLik()`: `"total"` (default), the log-likelihood as a
#'   `logLik` object, or `"obs"`, the log-density of each observation.
#' @param row.names,optional For `as.data.frame()`: row names for the table
#'   (`NULL` keeps `1, 2, ...`); `optional` is ignored.
#' @param ... Unused.
#' @return `print()` returns `x` invisibly; `summary()` an object of class
#'   `summary.softmix`, a list with the fields of the fit's statistics
#'   (`model`, `k`, `n`, `d`, `loglik`, `df`, `bic`, `icl`, `iterations`,
#'   `converged`), `proportions`, `means` (K x d), `covariances` (d x d x K),
#'   `parameters` (whether to print the covariances), `classification` (a
#'   table of the hard classification), `mean_uncertainty` and, for a
#'   selection, `criterion`, `n_pairs`, `n_failed`, `n_degenerate` (pairs
#'   whose fit failed, or was degenerate and so has no criterion) and
#'   `top_models` (the best `n_models` rows of `$selection`, lowest criterion
#'   first); `logLik()` an object of class `logLik`, or for `type = "obs"` a
#'   numeric vector with one value per fitted row, named by the data's row
#'   names; `nobs()` the number of rows, or the sum of frequency weights;
#'   `as.data.frame()` the fit's `$selection` table (see [softmix()]) for a
#'   fit chosen among several (k, model) pairs, otherwise the same columns
#'   for the one fit (`bic` and `icl` `NA` and `message` saying why if it is
#'   degenerate, as in the selection table).
#' @family softmix methods
#' @name softmix-methods
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' print(fit)
#' summary(fit)
#' summary(fit, parameters = TRUE)
#' logLik(fit)
#' head(logLik(fit, type = "obs"))
#' BIC(fit)
#' nobs(fit)
#' as.data.frame(fit)
#'
#' best <- softmix(faithful, k = 1:3, model = c("VVV", "EEE"), n_threads = 1)
#' summary(best)
#' as.data.frame(best)
NULL

#' The table of the hard classification; for a fit whose rows stay on a
#' cluster's workers, the counts they computed
#' @noRd
classification_table <- function(object) {
  if (is.null(object$classification) && !is.null(object$sizes)) {
    return(as.table(stats::setNames(round(object$sizes), component_names(object))))
  }
  table(factor(object$classification, levels = classification_levels(object),
               labels = component_names(object)), dnn = NULL)
}

#' @rdname softmix-methods
#' @export
print.softmix <- function(x, digits = getOption("digits") - 3, max_vars = 6, ...) {
  cat(sprintf("Gaussian mixture fitted by EM: model %s with %d component%s\n",
              x$model, x$k, if (x$k == 1) "" else "s"))
  cat(sprintf("Covariances: %s\n", model_description(x$model)))
  cat(sprintf("n = %d, d = %d, log-likelihood = %s, df = %s\n", x$n, x$d,
              format(x$loglik, digits = digits + 3), format(x$df)))
  cat(sprintf("BIC = %s, ICL = %s (lower is better)\n", format(x$bic, digits = digits + 3),
              format(x$icl, digits = digits + 3)))
  extras <- fit_extras_line(x)
  if (nzchar(extras)) cat(extras, "\n", sep = "")
  cat(sprintf("%s after %d iteration%s\n",
              if (x$converged) "Converged" else "Did not converge",
              x$iterations, if (x$iterations == 1) "" else "s"))
  if (isTRUE(nzchar(x$degenerate))) cat("Degenerate: ", x$degenerate, "\n", sep = "")
  if (!is.null(x$selection)) {
    cat(selection_line(x$selection, x$criterion), "\n", sep = "")
  }
  proportions <- x$parameters$proportions
  if (x$d <= max_vars && x$k > 0L) {
    cat("\nMixing proportions and means:\n")
    means <- x$parameters$means
    table <- cbind(proportion = proportions[seq_len(x$k)], means)
    rownames(table) <- seq_len(x$k)
    print(table, digits = digits)
    if (!is.null(x$noise)) {
      cat(sprintf("Noise proportion: %s\n", format(noise_share(x$parameters), digits = digits)))
    }
  } else {
    cat("\nMixing proportions:\n")
    print(stats::setNames(proportions, component_names(x)), digits = digits)
    if (x$k > 0L) {
      cat(sprintf("Means of %d variables: see summary() or $parameters$means.\n", x$d))
    }
  }
  invisible(x)
}

#' A line on weights, known labels and fixed parameters, "" for none:
#' "Frequency weights summing to 300; 75 rows with known labels; fixed: means."
#' @noRd
fit_extras_line <- function(x) {
  parts <- character(0)
  if (!is.null(x$weights)) {
    parts <- c(parts, sprintf("%s weights summing to %s (nobs = %s)",
                              if (identical(x$weight_type, "sampling")) "Sampling" else "Frequency",
                              format(sum(x$weights), digits = 7), format(fit_nobs(x), digits = 7)))
  }
  if (!is.null(x$labels)) {
    known <- sum(!is.na(x$labels$labels))
    parts <- c(parts, sprintf("%d row%s with known labels", known, if (known == 1) "" else "s"))
  }
  if (!is.null(x$fixed)) parts <- c(parts, paste("fixed:", paste(x$fixed, collapse = ", ")))
  if (!is.null(x$noise)) {
    parts <- c(parts, sprintf("uniform noise over a hypervolume of %s, %d rows classed as noise",
                              format(x$noise$hypervolume, digits = 5),
                              sum(x$classification == 0L)))
  }
  if (length(parts) == 0L) return("")
  paste0(paste(parts, collapse = "; "), ".")
}

#' The number of observations of a fit: the sum of frequency weights, or rows
#' @noRd
fit_nobs <- function(x) {
  if (is.null(x$nobs)) x$n else x$nobs
}

#' "Chosen by BIC (lower is better) among 12 (k, model) pairs; 2 failed."
#' @noRd
selection_line <- function(selection, criterion) {
  failed <- sum(is.na(selection$loglik))
  degenerate <- sum(!is.na(selection$loglik) & selection$message != "")
  sprintf("Chosen by %s (lower is better) among %d (k, model) pair%s%s%s.",
          toupper(criterion), nrow(selection), if (nrow(selection) == 1) "" else "s",
          if (failed > 0) sprintf("; %d failed", failed) else "",
          if (degenerate > 0) sprintf("; %d degenerate", degenerate) else "")
}

#' @rdname softmix-methods
#' @export
summary.softmix <- function(object, n_models = 5, parameters = FALSE, ...) {
  n_models <- check_count(n_models, "n_models", min = 1)
  parameters <- check_flag(parameters, "parameters")
  means <- object$parameters$means
  rownames(means) <- seq_len(object$k)
  covariances <- object$parameters$covariances
  dimnames(covariances)[[3L]] <- seq_len(object$k)
  out <- list(
    model = object$model,
    k = object$k,
    n = object$n,
    nobs = fit_nobs(object),
    extras = fit_extras_line(object),
    d = object$d,
    loglik = object$loglik,
    df = object$df,
    bic = object$bic,
    icl = object$icl,
    iterations = object$iterations,
    converged = object$converged,
    proportions = stats::setNames(object$parameters$proportions, component_names(object)),
    means = means,
    covariances = covariances,
    parameters = parameters,
    classification = classification_table(object),
    mean_uncertainty = if (is.null(object$uncertainty)) object$mean_uncertainty else
      mean(object$uncertainty)
  )
  selection <- object$selection
  if (!is.null(selection)) {
    criterion <- if (is.null(object$criterion)) "bic" else object$criterion
    # Failed and degenerate pairs (NA criterion) sort last and are dropped
    # from the top list.
    ranked <- selection[order(selection[[criterion]]), , drop = FALSE]
    ranked <- ranked[!is.na(ranked[[criterion]]), , drop = FALSE]
    rownames(ranked) <- NULL
    out$criterion <- criterion
    out$n_pairs <- nrow(selection)
    out$n_failed <- sum(is.na(selection$loglik))
    out$n_degenerate <- sum(!is.na(selection$loglik) & selection$message != "")
    out$top_models <- utils::head(ranked, n_models)
    out$selection_line <- selection_line(selection, criterion)
  }
  structure(out, class = "summary.softmix")
}

#' @rdname softmix-methods
#' @export
print.summary.softmix <- function(x, digits = getOption("digits") - 3, ...) {
  cat("Gaussian mixture model fitted by EM\n")
  cat("-----------------------------------\n")
  cat(sprintf("Model %s (%s) with %d component%s\n", x$model,
              model_description(x$model), x$k, if (x$k == 1) "" else "s"))
  stats_table <- data.frame(
    n = x$n, d = x$d, loglik = x$loglik, df = x$df, BIC = x$bic, ICL = x$icl,
    iterations = x$iterations, converged = x$converged
  )
  print(stats_table, row.names = FALSE, digits = digits + 3)
  if (isTRUE(nzchar(x$extras))) cat(x$extras, "\n", sep = "")
  cat("BIC and ICL: lower is better (mclust reports their negatives).\n")
  cat("\nMixing proportions:\n")
  print(x$proportions, digits = digits)
  cat("\nMeans:\n")
  print(x$means, digits = digits)
  if (isTRUE(x$parameters) && !is.null(x$covariances)) {
    print_covariances(x$covariances, digits)
  }
  cat("\nClassification (highest posterior):\n")
  print(x$classification)
  cat(sprintf("\nMean uncertainty (1 - max posterior): %s\n",
              format(x$mean_uncertainty, digits = digits)))
  if (!is.null(x$top_models)) {
    cat(sprintf("\n%s\nBest models by %s:\n", x$selection_line, toupper(x$criterion)))
    top <- x$top_models[, c("k", "model", "loglik", "df", "bic", "icl", "converged")]
    names(top)[names(top) %in% c("bic", "icl")] <- c("BIC", "ICL")
    top$chosen <- ifelse(top$k == x$k & top$model == x$model, "*", "")
    names(top)[names(top) == "chosen"] <- ""
    print(top, row.names = FALSE, digits = digits + 3)
  }
  invisible(x)
}

#' Print a d x d x K array of covariances: the variances alone when every
#' matrix is diagonal (a K x d table), one matrix when all are equal
#' (a shared covariance), otherwise each component's matrix.
#' @noRd
print_covariances <- function(covariances, digits) {
  k <- dim(covariances)[3L]
  d <- dim(covariances)[1L]
  vars <- dimnames(covariances)[[1L]]
  variances <- matrix(apply(covariances, 3L, function(m) diag(matrix(m, d, d))), k, d,
                      byrow = TRUE, dimnames = list(seq_len(k), vars))
  off_diagonal <- d > 1L && any(apply(covariances, 3L, function(m) any(m[lower.tri(m)] != 0)))
  shared <- k > 1L && all(vapply(seq_len(k), function(j) {
    identical(covariances[, , j], covariances[, , 1L])
  }, logical(1)))
  if (!off_diagonal) {
    header <- if (d == 1L && shared) {
      "Variance (shared by all components):"
    } else if (d == 1L) {
      "Variances:"
    } else if (shared) {
      "Variances (diagonal covariance, shared by all components):"
    } else {
      "Variances (diagonal covariances):"
    }
    cat("\n", header, "\n", sep = "")
    if (shared) {
      variances <- variances[1L, , drop = FALSE]
      rownames(variances) <- "all"
    }
    print(variances, digits = digits)
    return(invisible())
  }
  if (shared || k == 1L) {
    cat(if (shared) "\nCovariance (shared by all components):\n" else "\nCovariance:\n")
    print(matrix(covariances[, , 1L], d, d, dimnames = list(vars, vars)), digits = digits)
    return(invisible())
  }
  cat("\nCovariances:\n")
  for (j in seq_len(k)) {
    cat(sprintf("Component %d:\n", j))
    print(matrix(covariances[, , j], d, d, dimnames = list(vars, vars)), digits = digits)
  }
  invisible()
}

#' The description of a model code, or the code itself for one not in the table
#' @noRd
model_description <- function(code) {
  description <- model_table$description[model_table$code == code]
  if (length(description) == 1L) description else code
}

#' @rdname softmix-methods
#' @export
logLik.softmix <- function(object, type = c("total", "obs"), ...) {
  type <- match_choice(type, c("total", "obs"), "type")
  if (type == "obs") {
    data <- fitted_data(object)
    return(dmixture(data, object$parameters, log = TRUE, n_threads = object$n_threads))
  }
  structure(object$loglik, df = object$df, nobs = fit_nobs(object), class = "logLik")
}

#' The fitted data of a fit, or an error for an object saved without it
#' @noRd
fitted_data <- function(object, call = sys.call(-1), instead = NULL) {
  if (is.null(object$data)) {
    where <- if (is.null(object$shards)) "" else paste(
      " A fit of data on disk or on cluster workers leaves the rows there;",
      if (inherits(object$shards, "softmix_file")) {
        "posterior() reads their posterior from the file."
      } else {
        "posterior() gathers their posterior, softmix_write_posterior() writes it."
      }
    )
    softmix_abort(paste0("`object` does not contain the fitted data (`$data`).", where,
                         if (is.null(instead)) "" else paste0(" ", instead)), call)
  }
  object$data
}

#' @rdname softmix-methods
#' @importFrom stats nobs
#' @export
nobs.softmix <- function(object, ...) {
  fit_nobs(object)
}

#' @rdname softmix-methods
#' @export
as.data.frame.softmix <- function(x, row.names = NULL, optional = FALSE, ...) {
  table <- x$selection
  if (is.null(table)) {
    table <- selection_table(list(x), x$k, x$model, x$d, x$fixed, noise = !is.null(x$noise))
  }
  if (!is.null(row.names)) rownames(table) <- row.names
  table
}

#' Predict components, densities and uncertainty for new data
#'
#' Evaluates the fitted mixture at each observation of `newdata` (by default
#' the fitted data). With \eqn{z_{ik}} the posterior probability of component
#' k for observation i (see [e_step()]):
#' * `"class"`: the component of highest posterior, \eqn{\arg\max_k z_{ik}}
#'   (the first on ties);
#' * `"posterior"`: the n x K matrix of \eqn{z_{ik}};
#' * `"density"`, `"logdensity"`: the mixture density
#'   \eqn{f(x_i) = \sum_k \pi_k N(x_i | \mu_k, \Sigma_k)} or its logarithm,
#'   computed in log space, so it stays finite far into the tails where the
#'   density underflows to 0;
#' * `"uncertainty"`: \eqn{1 - \max_k z_{ik}}, as mclust defines it;
#' * `"entropy"`: the entropy of the posterior,
#'   \eqn{-\sum_k z_{ik} \log z_{ik}} (natural logarithm, with
#'   \eqn{0 \log 0 = 0}): 0 for an observation assigned with certainty, at
#'   most \eqn{\log K} for one shared equally by all components. Unlike the
#'   uncertainty it uses the whole posterior, not only its largest value.
#'
#' @param object A `softmix` fit.
#' @param newdata Data with the fitted variables (a matrix, data frame or,
#'   for one-dimensional fits, a vector). When both `newdata` and the fitted
#'   data have column names, the fitted variables are taken from `newdata`
#'   by name, in any order (other columns are ignored), and a missing one is
#'   an error of class `softmix_error`; without names in either, the columns
#'   are taken by position and must be as many as the fitted ones. Omitted:
#'   the fitted data, which a fit of [softmix_file()] or [softmix_shards()]
#'   data does not keep. Rows with missing values get their posterior and
#'   density from their observed coordinates; a row with no observed value
#'   is an error.
#' @param type What to compute; see Details.
#' @param n_threads Number of threads; `NULL` uses the fit's.
#' @param ... Unused.
#' @return An integer vector (`"class"`), an n x K matrix (`"posterior"`) or
#'   a numeric vector with one value per observation.
#' @seealso [e_step()] and [dmixture()], which compute the same from any
#'   parameters.
#' @family softmix methods
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' new <- data.frame(eruptions = c(2, 3.3, 4.5), waiting = c(55, 68, 80))
#' predict(fit, new)
#' predict(fit, new, type = "posterior")
#' predict(fit, new, type = "density")
#' predict(fit, new, type = "uncertainty")
#' predict(fit, new, type = "entropy")
#' # the most ambiguous observations of the fitted data
#' head(order(predict(fit, type = "entropy"), decreasing = TRUE))
predict.softmix <- function(object, newdata,
                            type = c("class", "posterior", "density", "logdensity",
                                     "uncertainty", "entropy"),
                            n_threads = NULL, ...) {
  type <- match_choice(
    type, c("class", "posterior", "density", "logdensity", "uncertainty", "entropy"), "type"
  )
  data <- if (missing(newdata)) {
    fitted_data(object, instead = "Pass the rows to predict as `newdata`.")
  } else {
    as_newdata(newdata, object, missing_ok = TRUE)
  }
  if (is.null(n_threads)) n_threads <- object$n_threads
  if (type %in% c("density", "logdensity")) {
    log_density <- dmixture(data, object$parameters, log = TRUE, n_threads = n_threads)
    return(if (type == "density") exp(log_density) else log_density)
  }
  posterior <- e_step(data, object$parameters, n_threads)$posterior
  switch(type,
    class = noise_as_zero(max.col(posterior, ties.method = "first"), object$parameters),
    posterior = posterior,
    uncertainty = stats::setNames(1 - matrix_row_max(posterior), rownames(posterior)),
    entropy = stats::setNames(posterior_entropy(posterior), rownames(posterior))
  )
}

#' Largest entry of each row
#' @noRd
matrix_row_max <- function(m) {
  m[cbind(seq_len(nrow(m)), max.col(m, ties.method = "first"))]
}

#' Entropy of each row of a posterior matrix, with 0 log 0 = 0
#' @noRd
posterior_entropy <- function(posterior) {
  terms <- posterior * log(posterior)
  terms[posterior == 0] <- 0
  -rowSums(terms)
}

#' New data as a matrix with the fitted columns. When the fit's variables
#' and the new data's columns both have names, the fitted ones are taken by
#' name (in the fitted order; other columns are ignored) and a missing one is
#' an error; otherwise the columns are taken by position. A vector has no
#' names.
#' @noRd
as_newdata <- function(newdata, object, arg = "newdata", call = sys.call(-1),
                       missing_ok = FALSE) {
  # A fit of data on disk or on a cluster keeps no rows, but its means have
  # the variables' names.
  fitted_names <- if (is.null(object$data)) colnames(object$parameters$means) else
    colnames(object$data)
  new_names <- if (is.data.frame(newdata)) names(newdata) else colnames(newdata)
  by_name <- !is.null(new_names) && !is.null(fitted_names) && !anyNA(fitted_names) &&
    all(nzchar(fitted_names)) && !anyDuplicated(fitted_names)
  if (by_name) {
    missing_names <- setdiff(fitted_names, new_names)
    if (length(missing_names) > 0L) {
      softmix_abort(sprintf(paste(
        "`%s` has column names, but not the fitted variable%s %s (it has %s).",
        "Name its columns as the fitted data's, or remove the names to match by position."
      ), arg, if (length(missing_names) == 1L) "" else "s", quote_names(missing_names),
      quote_names(new_names)), call)
    }
    if (!identical(new_names, fitted_names)) newdata <- newdata[, fitted_names, drop = FALSE]
  }
  data <- as_data_matrix(newdata, arg, call, missing_ok = missing_ok)
  if (missing_ok) {
    check_observed_rows(data, arg, call)
    check_noise_complete(data, object$parameters, arg, call)
  }
  if (ncol(data) != object$d) {
    softmix_abort(sprintf("`%s` has %d column(s) but the model was fitted to %d.",
                          arg, ncol(data), object$d), call)
  }
  data
}

#' Names in backquotes, at most 10 of them: "`a`, `b`"
#' @noRd
quote_names <- function(names) {
  shown <- paste0("`", utils::head(names, 10L), "`", collapse = ", ")
  if (length(names) > 10L) paste0(shown, ", ...") else shown
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
posterior.default <- function(object, ...) {
  softmix_abort(sprintf(paste(
    "`object` must be a fitted model, such as a softmix() fit, not %s;",
    "for the posterior of data under given parameters, use e_step()."
  ), describe_type(object)))
}

#' @rdname posterior
#' @export
posterior.softmix <- function(object, newdata, ...) {
  if (missing(newdata)) {
    if (is.null(object$posterior) && !is.null(object$shards)) {
      return(gather_posterior(object, sys.call()))
    }
    return(object$posterior)
  }
  stats::predict(object, newdata, type = "posterior", ...)
}
