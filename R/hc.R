#' Model-based hierarchical clustering
#'
#' Agglomerative hierarchical clustering by the classification likelihood of
#' a Gaussian model (Banfield and Raftery 1993; Fraley 1998), the algorithm of
#' mclust's `hc()`: starting from single observations, each stage merges the
#' two clusters whose union lowers the likelihood least. It gives
#' `softmix(init = "hc")` its starting partitions, and the tree can be cut at
#' any number of clusters with [hc_cut()].
#'
#' The criteria, all minimised over the merges:
#' * `"EII"` (and `"E"` for one variable): Ward's increase of the
#'   within-cluster sum of squares.
#' * `"VII"` (and `"V"`): \eqn{\sum_k n_k \log((tr W_k + \alpha) / n_k)}, with
#'   \eqn{W_k} the scatter matrix of cluster k.
#' * `"VVV"`: \eqn{\sum_k n_k \log(\det(W_k / n_k) + \beta (tr W_k + \alpha)
#'   / n_k)}, the trace term keeping clusters of at most d points finite.
#' * `"EEE"`: the pooled \eqn{tr W} while \eqn{W = \sum_k W_k} is singular,
#'   then a blend of \eqn{\log\det W} and \eqn{tr W}, then \eqn{\log\det W}.
#'
#' \eqn{\alpha} is the trace of the data's scatter divided by \eqn{n d} and
#' \eqn{\beta = 1}, mclust's defaults (for `"V"` mclust ends up using machine
#' epsilon, and so does softmix). The merges, their order and the handling of
#' ties are mclust's, so `softmix_hc()` and `mclust::hc()` give the same tree
#' on the same data (the tests check this for every model). The cost is
#' quadratic in memory and about cubic in time for `n` rows (`"EEE"` more),
#' which is why `softmix(init = "hc")` builds the tree on at most 2000 rows.
#'
#' @param x Data: a numeric matrix, data frame or vector, as for [softmix()].
#' @param model The criterion: `"VVV"` (default, mclust's default for more
#'   than one variable), `"EEE"`, `"VII"`, `"EII"`, or `"V"`/`"E"` for one
#'   variable. For one variable the four multivariate codes stand for `"V"`
#'   (VVV, VII) and `"E"` (EEE, EII), as in [softmix()].
#' @param use The data the tree is built on: `"SVD"` (default, mclust's
#'   default `mclust.options("hcUse")`): the variables standardised, rotated
#'   onto their principal axes and each scaled by one over the square root of
#'   its singular value (constant variables and null directions dropped);
#'   `"VARS"`: the variables as given.
#' @return An object of class `softmix_hc`: a list with `merges`, an
#'   \eqn{(n - 1) \times 2} integer matrix whose row `s` gives the clusters
#'   merged at stage `s`, each named by its smallest row number, as mclust
#'   names them; `n`; `model`; `use`.
#' @references
#' Banfield, J. D. and Raftery, A. E. (1993). Model-based Gaussian and
#' non-Gaussian clustering. *Biometrics*, 49(3), 803-821.
#'
#' Fraley, C. (1998). Algorithms for model-based Gaussian hierarchical
#' clustering. *SIAM Journal on Scientific Computing*, 20(1), 270-281.
#' @family hierarchical clustering
#' @export
#' @examples
#' tree <- softmix_hc(iris[, 1:4])
#' tree
#' table(hc_cut(tree, 3), iris$Species)
#'
#' # the first merges of Ward's method on the raw variables
#' head(softmix_hc(faithful, model = "EII", use = "VARS")$merges)
softmix_hc <- function(x, model = "VVV", use = "SVD") {
  call <- match.call()
  data <- as_data_matrix(x)
  if (nrow(data) < 2L) {
    softmix_abort("`x` must have at least two rows for hierarchical clustering.")
  }
  model <- check_hc_model(model, ncol(data))
  use <- check_hc_use(use)
  merges <- call_core(hc_cpp(data, model, use))
  structure(list(merges = merges, n = nrow(data), model = model, use = use, call = call),
            class = "softmix_hc")
}

#' Cut a model-based hierarchical clustering into k clusters
#'
#' The partition left after the first `n - k` merges of a [softmix_hc()]
#' tree, as mclust's `hclass()` gives it.
#'
#' @param tree A `softmix_hc` object.
#' @param k Number(s) of clusters, whole numbers between 1 and the number of
#'   observations.
#' @return For one `k`, an integer vector of cluster labels `1..k`, numbered
#'   in the order of each cluster's first observation; for several, a matrix
#'   with one such column per `k`, named by `k`.
#' @family hierarchical clustering
#' @export
#' @examples
#' tree <- softmix_hc(faithful)
#' table(hc_cut(tree, 2))
#' head(hc_cut(tree, 1:4))
hc_cut <- function(tree, k) {
  merges <- check_hc_tree(tree)
  n <- nrow(merges) + 1L
  k <- check_k(k, n, noise_hint = FALSE)
  labels <- call_core(hc_partition_cpp(merges, n, k))
  if (length(k) == 1L) return(labels[, 1L])
  colnames(labels) <- k
  labels
}

#' @export
print.softmix_hc <- function(x, ...) {
  cat("Model-based hierarchical clustering (", x$model, ", data \"", x$use, "\") of ",
      x$n, " observations: ", nrow(x$merges), " merges\n", sep = "")
  invisible(x)
}

#' Check a softmix_hc tree before it reaches the C++ core, which indexes by
#' the merges unchecked: `n` a positive whole number, `merges` an (n - 1) x 2
#' matrix of observation numbers whose row s joins two clusters still apart
#' after the first s - 1 merges. A cluster is named by its smallest
#' observation, so each merge retires the larger of its two names. Returns
#' the merges as an integer matrix.
#' @noRd
check_hc_tree <- function(tree, arg = "tree", call = sys.call(-1)) {
  if (!inherits(tree, "softmix_hc")) {
    softmix_abort(sprintf("`%s` must be a softmix_hc object, not %s.", arg, describe_type(tree)),
                  call)
  }
  invalid <- function(problem) {
    softmix_abort(sprintf("`%s` is not a valid hierarchical clustering: %s.", arg, problem), call)
  }
  n <- tree$n
  if (!is.numeric(n) || length(n) != 1L || !is.finite(n) || n < 1 || n != round(n) ||
      n > .Machine$integer.max) {
    invalid(sprintf("`n` must be a positive whole number, not %s", format_value(n)))
  }
  n <- as.integer(n)
  merges <- tree$merges
  if (!is.numeric(merges) || length(dim(merges)) != 2L || ncol(merges) != 2L) {
    invalid(sprintf("`merges` must be an integer matrix with 2 columns, not %s",
                    if (is.null(dim(merges))) format_value(merges) else
                      paste(paste(dim(merges), collapse = " x "), typeof(merges), "array")))
  }
  if (nrow(merges) != n - 1) {
    invalid(sprintf("%d observations take %d merges, but `merges` has %d rows",
                    n, n - 1L, nrow(merges)))
  }
  if (nrow(merges) == 0L) {
    storage.mode(merges) <- "integer"
    return(merges)
  }
  stage <- seq_len(nrow(merges))
  missing <- rowSums(is.na(merges)) > 0
  if (any(missing)) invalid(sprintf("merge %d has a missing value", which(missing)[1]))
  outside <- merges < 1 | merges > n | merges != round(merges)
  if (any(outside)) {
    s <- which(rowSums(outside) > 0)[1]
    invalid(sprintf("merge %d refers to %s, not an observation number between 1 and %d",
                    s, format(merges[s, outside[s, ]][1]), n))
  }
  storage.mode(merges) <- "integer"
  smaller <- pmin(merges[, 1], merges[, 2])
  larger <- pmax(merges[, 1], merges[, 2])
  # The stage at which each name is retired, the first one where it is
  # retired twice (rev() makes the earliest assignment win).
  retired <- rep(NA_integer_, n)
  retired[rev(larger)] <- rev(stage)
  stale <- cbind(retired[merges[, 1]], retired[merges[, 2]]) < stage
  stale[is.na(stale)] <- FALSE
  bad <- which(smaller == larger | rowSums(stale) > 0)
  if (length(bad) > 0L) {
    s <- bad[1]
    if (smaller[s] == larger[s]) {
      invalid(sprintf("merge %d joins cluster %d with itself", s, smaller[s]))
    }
    name <- merges[s, stale[s, ]][1]
    invalid(sprintf("merge %d refers to cluster %d, which merge %d already merged into cluster %d",
                    s, name, retired[name], smaller[retired[name]]))
  }
  merges
}

check_hc_model <- function(model, d, call = sys.call(-1)) {
  multivariate <- c("VVV", "EEE", "VII", "EII")
  allowed <- if (d == 1L) c("E", "V") else multivariate
  # In one dimension the multivariate models are their univariate
  # equivalents, as for softmix() (see match_models()): the default "VVV"
  # then works on a vector.
  if (d == 1L && is.character(model) && length(model) == 1L && model %in% multivariate) {
    model <- substr(model, 1L, 1L)
  }
  if (!is.character(model) || length(model) != 1L || !model %in% allowed) {
    softmix_abort(sprintf(
      "`model` must be one of %s for %s data; got %s.",
      paste0("\"", allowed, "\"", collapse = ", "),
      if (d == 1L) "one-dimensional" else "multivariate", format_value(model)
    ), call)
  }
  model
}

check_hc_use <- function(use, call = sys.call(-1)) {
  if (!is.character(use) || length(use) != 1L || !use %in% c("SVD", "VARS")) {
    softmix_abort(sprintf("`use` must be \"SVD\" or \"VARS\"; got %s.", format_value(use)), call)
  }
  use
}

# The most rows the hierarchical clustering of init = "hc" runs on: mclust's
# default subset (mclust.options("subset")), so that under the same seed both
# draw the same rows, and a size at which the VVV tree takes seconds.
hc_subset_size <- 2000L

#' Starting partitions from hierarchical clustering, one column per k
#'
#' On a random subset of `hc_subset_size` rows when there are more (drawn
#' with R's generator as mclust draws it), with mclust's default model (VVV,
#' or EII when the subset has no more rows than columns; E in one dimension)
#' and "SVD" data. Rows outside the subset are NA: the first M step uses the
#' subset only, and EM then runs on all rows.
#' @noRd
hc_partitions <- function(data, ks, call = sys.call(-1), weights = NULL) {
  n <- nrow(data)
  d <- ncol(data)
  rows <- if (is.null(weights)) {
    if (n > hc_subset_size) sample(seq_len(n), hc_subset_size) else seq_len(n)
  } else {
    hc_weighted_rows(weights)
  }
  if (max(ks) > length(rows)) {
    softmix_abort(sprintf(
      "`init = \"hc\"` cuts a tree of %d rows, so `k` can be at most %d.",
      length(rows), length(rows)
    ), call)
  }
  if (length(rows) < 2L) {
    return(matrix(1L, n, length(ks)))
  }
  model <- if (d == 1L) "E" else if (length(rows) > d) "VVV" else "EII"
  merges <- call_core(hc_cpp(data[rows, , drop = FALSE], model, "SVD"), call)
  labels <- call_core(hc_partition_cpp(merges, length(rows), ks), call)
  out <- matrix(NA_integer_, n, length(ks))
  # A row the tree holds several times takes the label of its first copy.
  first <- !duplicated(rows)
  out[rows[first], ] <- labels[first, , drop = FALSE]
  out
}

#' The rows the tree of a weighted fit is built on, each as often as its
#' weight counts it: with whole-number weights summing to at most 2000, every
#' row repeated as many times as its weight (so the tree is that of the data
#' with rows repeated); otherwise 2000 rows drawn with replacement in
#' proportion to the weights. Rows of weight zero stay out.
#' @noRd
hc_weighted_rows <- function(weights) {
  positive <- which(weights > 0)
  whole <- all(weights[positive] == round(weights[positive]))
  if (whole && sum(weights[positive]) <= hc_subset_size) {
    return(rep(positive, weights[positive]))
  }
  sort(positive[sample.int(length(positive), hc_subset_size, replace = TRUE,
                           prob = weights[positive])])
}

#' The starting partitions of every k for the methods whose starts do not
#' depend on the model ("hc", "kmeans++" or both), to be shared by all
#' models: a list named by k of n x starts integer matrices, the hc
#' partition first, then the n_init k-means++ partitions. The tree is built
#' (its subset drawn) first, then the k-means++ partitions are drawn in the
#' order of `ks`, before any fit.
#' @noRd
shared_partitions <- function(data, ks, method, n_init, n_threads, call = sys.call(-1),
                              rows = list()) {
  # With missing values the partitions are made of the first imputation.
  if (!is.null(rows$imputed)) data <- rows$imputed
  # With a noise component the partitions are made of the rows outside the
  # starting noise set, and the noise rows get label k + 1.
  kept <- if (is.null(rows$noise)) seq_len(nrow(data)) else which(!rows$noise$set)
  subset <- data[kept, , drop = FALSE]
  weights <- rows$weights[kept]
  starts <- rep(list(matrix(integer(0), length(kept), 0L)), length(ks))
  if ("hc" %in% method) {
    labels <- hc_partitions(subset, ks, call, weights = weights)
    starts <- lapply(seq_along(ks), function(i) cbind(starts[[i]], labels[, i]))
  }
  if ("kmeans++" %in% method) {
    info <- row_info(weights)
    # Drawn in increasing k, whatever the order of `ks`, so that a selection
    # over 5:2 starts each k as one over 2:5 does.
    drawn <- vector("list", length(ks))
    for (i in order(ks)) {
      drawn[[i]] <- call_core(kmeans_pp_partitions_cpp(subset, ks[i], n_init, n_threads, info),
                              call)
    }
    starts <- Map(cbind, starts, drawn)
  }
  if (!is.null(rows$noise)) {
    starts <- Map(function(start, k) {
      out <- matrix(k + 1L, nrow(data), ncol(start))
      out[kept, ] <- start
      out
    }, starts, ks)
  }
  starts <- Map(align_partitions, starts, list(rows$known), ks)
  names(starts) <- ks
  starts
}
