#' Validate observation weights and scale them as `weight_type` says:
#' `"frequency"` keeps them, `"sampling"` scales them to sum to n. NULL stays
#' NULL.
#' @noRd
check_weights <- function(weights, n, weight_type = "frequency", call = sys.call(-1)) {
  if (is.null(weights)) return(NULL)
  if (!is.numeric(weights) || sum(dim(weights) > 1L) > 1L) {
    softmix_abort(sprintf("`weights` must be a numeric vector, not %s.", describe_type(weights)),
                  call)
  }
  weights <- as.vector(weights)
  if (length(weights) != n) {
    softmix_abort(sprintf("`weights` must have one entry per observation: %d for %d.",
                          length(weights), n), call)
  }
  if (anyNA(weights)) {
    softmix_abort(sprintf("`weights` must not be NA (entry %d is).", which(is.na(weights))[1]),
                  call)
  }
  if (any(!is.finite(weights))) {
    softmix_abort(sprintf("`weights` must be finite (entry %d is not).",
                          which(!is.finite(weights))[1]), call)
  }
  if (any(weights < 0)) {
    softmix_abort(sprintf("`weights` must be non-negative (entry %d is %s).",
                          which(weights < 0)[1], format(weights[weights < 0][1])), call)
  }
  if (!any(weights > 0)) softmix_abort("`weights` are all zero; at least one must be positive.",
                                       call)
  weights <- as.double(weights)
  if (identical(weight_type, "sampling")) weights <- weights * (n / sum(weights))
  weights
}

#' The weights of the rows kept where rows with missing values are dropped
#' (`keep`, logical); an error when none of them is positive, `dropped`
#' ending its sentence with why the others went. NULL stays NULL.
#' @noRd
weights_of_kept_rows <- function(weights, keep, dropped, call = sys.call(-1)) {
  if (is.null(weights)) return(NULL)
  weights <- weights[keep]
  if (!any(weights > 0)) {
    softmix_abort(paste("`weights` are zero on every row kept: the rows of positive weight",
                        dropped), call)
  }
  weights
}

#' The number of observations a fit's BIC, ICL and `nobs()` use: the sum of
#' frequency weights, otherwise the number of rows.
#' @noRd
effective_n <- function(n, weights, weight_type) {
  if (is.null(weights) || identical(weight_type, "sampling")) n else sum(weights)
}

#' Validate partly known labels: NULL, or a vector of length n with NA for
#' unknown rows and otherwise a component number (whole, >= 1) or a factor
#' whose levels name the first components. Returns NULL or a list with the
#' integer `labels` (NA unknown), the number of components they need
#' (`levels`), and the level names (`names`, NULL for numbers).
#' @noRd
check_known_labels <- function(labels, n, call = sys.call(-1)) {
  if (is.null(labels)) return(NULL)
  if (is.factor(labels)) {
    names <- levels(labels)
    values <- as.integer(labels)
  } else if (is.numeric(labels) || is.logical(labels) && all(is.na(labels))) {
    if (!is.null(dim(labels)) && length(dim(labels)) > 1L && min(dim(labels)) > 1L) {
      softmix_abort("`labels` must be a vector, not a matrix.", call)
    }
    names <- NULL
    values <- as.vector(labels)
    known <- !is.na(values)
    if (any(!is.finite(values[known])) || any(values[known] != round(values[known])) ||
        any(values[known] < 1)) {
      softmix_abort("`labels` must be NA or whole component numbers 1, 2, ....", call)
    }
    values <- as.integer(values)
  } else {
    softmix_abort(sprintf("`labels` must be a factor or component numbers (NA for unknown), not %s.",
                          describe_type(labels)), call)
  }
  if (length(values) != n) {
    softmix_abort(sprintf("`labels` must have one entry per observation: %d for %d.",
                          length(values), n), call)
  }
  if (all(is.na(values))) {
    softmix_abort("`labels` has no known entry; leave it NULL to fit without labels.", call)
  }
  levels <- if (is.null(names)) max(values, na.rm = TRUE) else length(names)
  list(labels = values, levels = levels, names = names)
}

#' Checks that every k can hold the known labels
#' @noRd
check_k_for_labels <- function(ks, known, call = sys.call(-1)) {
  if (is.null(known)) return(ks)
  kept <- ks[ks >= known$levels]
  if (length(kept) == 0L) {
    softmix_abort(sprintf(
      "`labels` name %d components, more than `k` = %s allows.", known$levels,
      paste(ks, collapse = ", ")
    ), call)
  }
  kept
}

#' The rows' weights and labels as the core takes them; `complete` TRUE
#' tells it the data have no missing value, so that it need not look
#' @noRd
row_info <- function(weights = NULL, known = NULL, hypervolume = NULL, prior = NULL,
                     imputed = NULL, complete = FALSE) {
  list(weights = weights, labels = if (is.null(known)) NULL else known$labels,
       hypervolume = hypervolume, prior = prior, imputed = imputed, complete = complete)
}

#' The core's row information of a fit's settings (see softmix())
#' @noRd
rows_info <- function(rows) {
  row_info(rows$weights, rows$known, rows$noise$hypervolume, rows$prior, rows$imputed,
           isTRUE(rows$complete))
}

#' Starting partitions (an n x starts matrix of labels 1..k, NA for rows left
#' out) made to agree with the known labels: each start's clusters are renamed
#' to match the known components they overlap most (greedily, largest overlap
#' first), and the known rows then take their labels.
#' @noRd
align_partitions <- function(partitions, known, k) {
  if (is.null(known)) return(partitions)
  labels <- known$labels
  rows <- !is.na(labels)
  for (s in seq_len(ncol(partitions))) {
    start <- partitions[, s]
    noise <- !is.na(start) & start > k
    start[noise] <- NA
    used <- !is.na(start) & rows
    overlap <- table(factor(start[used], levels = seq_len(k)),
                     factor(labels[used], levels = seq_len(k)))
    rename <- rep(NA_integer_, k)
    while (any(overlap >= 0)) {
      at <- which(overlap == max(overlap), arr.ind = TRUE)[1L, ]
      rename[at[1]] <- at[2]
      overlap[at[1], ] <- -1
      overlap[, at[2]] <- -1
    }
    free <- setdiff(seq_len(k), rename)
    rename[is.na(rename)] <- free
    start <- rename[start]
    start[noise] <- k + 1L
    start[rows] <- labels[rows]
    partitions[, s] <- start
  }
  partitions
}

#' Validate `fixed`: NULL, or parts of given starting parameters to hold
#' @noRd
check_fixed <- function(fixed, start, call = sys.call(-1)) {
  if (is.null(fixed) || length(fixed) == 0L) return(character(0))
  parts <- c("proportions", "means", "covariances")
  if (!is.character(fixed) || anyNA(fixed) || !all(fixed %in% parts)) {
    softmix_abort(sprintf("`fixed` must name parts of the parameters among %s; got %s.",
                          paste0("\"", parts, "\"", collapse = ", "), format_value(fixed)), call)
  }
  if (!identical(start$method, "given") || is.null(start$parameters)) {
    softmix_abort(paste(
      "`fixed` needs parameters to fix: give them as `init`, a mixture_params object",
      "(see mixture_params())."
    ), call)
  }
  unique(fixed)
}

#' The number of free parameters of a model with some parts fixed
#' @noRd
free_df <- function(model, d, k, fixed = character(0)) {
  df <- model_df(model, d, k)
  if ("proportions" %in% fixed) df <- df - (k - 1)
  if ("means" %in% fixed) df <- df - d * k
  if ("covariances" %in% fixed) df <- df - (model_df(model, d, k) - (k - 1) - d * k)
  df
}

#' The settings the core takes: softmix_control()'s, with the fixed parts,
#' and no ridge under a prior (which regularises instead)
#' @noRd
core_control <- function(control, rows) {
  if (length(rows$fixed) > 0L) control$fixed <- rows$fixed
  if (!is.null(rows$prior)) control$reg <- 0
  control
}
