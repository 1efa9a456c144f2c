# Missing values in softmix(): which rows are fitted, and the first
# imputation the starts are made from.

#' Which rows of `data` softmix() fits under `missing` ("em", "omit" or
#' "fail"): NULL when every row is complete, otherwise a list with `keep`
#' (logical, the rows fitted) and `dropped` (their indices in `data`, the
#' rows left out). Reports dropped rows with a message.
#' @noRd
resolve_missing <- function(data, missing, call = sys.call(-1),
                            nonfinite = nonfinite_rows_cpp(data)) {
  incomplete <- incomplete_rows(data, nonfinite)
  if (is.null(incomplete)) return(NULL)
  first <- which(incomplete)[1L]
  if (missing == "fail") {
    softmix_abort(sprintf(paste(
      "`x` has missing values (NA or NaN) in %d row(s), the first being row %d;",
      "use `missing = \"em\"` (the default) or `\"omit\"`, or remove or impute them."
    ), sum(incomplete), first), call)
  }
  if (missing == "omit") {
    keep <- !incomplete
    if (!any(keep)) {
      softmix_abort("`x` has no row without missing values, so `missing = \"omit\"` leaves nothing to fit.",
                    call)
    }
    message(sprintf("softmix: omitted %d row(s) with missing values (`missing = \"omit\"`).",
                    sum(incomplete)))
    return(list(keep = keep, dropped = which(!keep)))
  }
  observed <- colSums(!is.na(data))
  if (any(observed == 0L)) {
    empty <- variable_names(data)[observed == 0L]
    softmix_abort(sprintf(
      "`x` has no observed value in column%s %s; remove %s.",
      if (length(empty) == 1L) "" else "s", quote_names(empty),
      if (length(empty) == 1L) "it" else "them"
    ), call)
  }
  keep <- rowSums(!is.na(data)) > 0L
  if (!all(keep)) {
    message(sprintf(
      "softmix: dropped %d row(s) with every value missing (the first: row %d); they carry no information.",
      sum(!keep), which(!keep)[1L]
    ))
  }
  list(keep = keep, dropped = which(!keep))
}

#' The data's first imputation, which the starts ("hc", "kmeans++",
#' "random", a posterior or labels) are made from: each missing value
#' replaced by its conditional mean given the row's observed values under
#' one multivariate normal fitted by EM with missing values (from the
#' observed means and variances; 100 iterations at most, tolerance 1e-6,
#' ridge 1e-6). If that fit fails, the normal of the observed means and
#' variances is used.
#' @noRd
impute_start <- function(data, weights, n_threads) {
  d <- ncol(data)
  w <- if (is.null(weights)) rep(1, nrow(data)) else weights
  observed <- !is.na(data)
  filled <- ifelse(observed, data, 0)
  counts <- colSums(observed * w)
  means <- colSums(filled * w) / counts
  centred <- ifelse(observed, sweep(data, 2, means), 0)
  variances <- colSums(centred^2 * w) / counts
  positive <- variances[is.finite(variances) & variances > 0]
  variances[!(is.finite(variances) & variances > 0)] <- if (length(positive)) mean(positive) else 1
  start <- list(proportions = 1, means = matrix(means, 1L),
                covariances = array(diag(variances, d), c(d, d, 1L)))
  control <- list(tol = 1e-6, max_iter = 100L, accelerate = TRUE, stopping = "relative",
                  reg = 1e-6)
  parameters <- tryCatch(
    fit_cpp(data, 1L, "VVV", "given", start, 1L, control, n_threads, row_info(weights))$parameters,
    error = function(e) start
  )
  impute_cpp(data, parameters, row_info())
}
