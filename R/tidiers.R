# broom-style tidiers. The generics come from the light `generics` package,
# which is only suggested: the methods are registered when it is loaded.

#' Tidy a fitted mixture into data frames
#'
#' Methods for the [generics::tidy()], [generics::augment()] and
#' [generics::glance()] generics that the broom family of packages uses,
#' with the column conventions of broom's tidiers for mclust, adapted to
#' soft assignments. They need the `generics` package (or broom, which
#' re-exports its generics) and return plain data frames.
#'
#' * `tidy()`: one row per component with `component` (a factor), `size`
#'   (the number of observations whose most probable component it is),
#'   `proportion` (the mixing proportion) and one column `mean.<variable>`
#'   per variable.
#' * `augment()`: the data with the columns `.class` (a factor, the most
#'   probable component), `.uncertainty` (one minus the largest posterior
#'   probability) and `.posterior_1`, ..., `.posterior_K` (the posterior
#'   probabilities) added. With `newdata`, these are predicted for the new
#'   observations.
#' * `glance()`: one row with `k`, `model`, `loglik`, `df`, `bic`, `icl`
#'   (both lower is better, see [softmix()]), `n`, `nobs` (the number of
#'   observations BIC uses: the sum of frequency weights, or `n`),
#'   `converged` and `iterations`.
#'
#' @param x A `softmix` fit.
#' @param data For `augment()`: the data the model was fitted to, as a data
#'   frame with one row per observation; it may hold more columns than were
#'   used in the fit (for example a known class). Default: the fitted data.
#' @param newdata For `augment()`: new observations to classify, a data frame
#'   or matrix containing the fitted variables, matched by name as
#'   [predict.softmix()] matches them (and, as it does, classifying a row
#'   with missing values from its observed ones). Takes precedence over
#'   `data`.
#' @param ... Unused.
#' @return A data frame.
#' @family softmix methods
#' @name softmix-tidiers
#' @examplesIf requireNamespace("generics", quietly = TRUE)
#' set.seed(1)
#' fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
#' generics::tidy(fit)
#' generics::glance(fit)
#' head(generics::augment(fit, data = iris))
#' generics::augment(fit, newdata = iris[c(1, 51, 101), ])
NULL

#' @rdname softmix-tidiers
#' @exportS3Method generics::tidy
tidy.softmix <- function(x, ...) {
  k <- x$k
  means <- x$parameters$means
  # The means name the variables, also for a fit whose rows are elsewhere.
  colnames(means) <- paste0("mean.", variable_names(means))
  sizes <- as.vector(classification_table(x))
  out <- data.frame(
    component = factor(seq_len(k)),
    size = sizes[seq_len(k)],
    proportion = unname(x$parameters$proportions[seq_len(k)]),
    stringsAsFactors = FALSE
  )
  out <- cbind(out, as.data.frame(means, stringsAsFactors = FALSE), stringsAsFactors = FALSE)
  if (!is.null(x$noise)) {
    # The noise component: its size and share, no mean.
    noise_row <- out[1L, , drop = FALSE]
    noise_row[1L, ] <- NA
    noise_row$component <- "noise"
    noise_row$size <- sizes[k + 1L]
    noise_row$proportion <- noise_share(x$parameters)
    out$component <- as.character(out$component)
    out <- rbind(out, noise_row)
    out$component <- factor(out$component, levels = c(seq_len(k), "noise"))
    rownames(out) <- NULL
  }
  out
}

#' @rdname softmix-tidiers
#' @exportS3Method generics::augment
augment.softmix <- function(x, data = NULL, newdata = NULL, ...) {
  if (!is.null(newdata)) {
    # The columns as predict() takes them (by name where both sides have
    # names), then its E step: `values` may be named otherwise (a vector's).
    values <- as_newdata(newdata, x, "newdata", missing_ok = TRUE)
    posterior <- e_step(values, x$parameters, x$n_threads)$posterior
    out <- as.data.frame(newdata, stringsAsFactors = FALSE)
  } else {
    posterior <- x$posterior
    if (is.null(data)) {
      out <- as.data.frame(fitted_data(x, instead = paste(
        "Pass them as `data`, or new rows as `newdata`."
      )), stringsAsFactors = FALSE)
    } else {
      out <- as.data.frame(data, stringsAsFactors = FALSE)
      if (nrow(out) != x$n) {
        softmix_abort(sprintf(
          "`data` must have one row per fitted observation: %d rows for %d; use `newdata` %s",
          nrow(out), x$n, "for new observations."
        ))
      }
    }
  }
  classification <- max.col(posterior, ties.method = "first")
  labels <- component_names(x)
  out$.class <- factor(labels[classification], levels = labels)
  out$.uncertainty <- 1 - posterior[cbind(seq_len(nrow(posterior)), classification)]
  posterior_columns <- as.data.frame(unname(posterior))
  names(posterior_columns) <- paste0(".posterior_", labels)
  out[names(posterior_columns)] <- posterior_columns
  out
}

#' @rdname softmix-tidiers
#' @exportS3Method generics::glance
glance.softmix <- function(x, ...) {
  data.frame(
    k = x$k, model = x$model, loglik = x$loglik, df = x$df, bic = x$bic, icl = x$icl,
    n = x$n, nobs = fit_nobs(x), converged = x$converged, iterations = x$iterations,
    stringsAsFactors = FALSE
  )
}
