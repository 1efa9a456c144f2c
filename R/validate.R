# Argument checks shared by the exported functions. Each names the argument
# and the problem.

#' Coerce data to a finite double matrix
#'
#' Accepts a numeric matrix, a data frame of numeric columns or a numeric
#' vector (one variable), whose column is named `vector_name`. Missing
#' values (NA or NaN) are an error unless `missing_ok`, whose message ends
#' with `missing_hint`; infinite values always are.
#' @noRd
as_data_matrix <- function(x, arg = "x", call = sys.call(-1), vector_name = "x",
                           missing_ok = FALSE, missing_hint = "remove or impute them.") {
  checked_data_matrix(x, arg, call, vector_name, missing_ok, missing_hint)$data
}

#' The columns of data `x` for `parameters`: taken by name when both have
#' variable names and `x` has every one of the parameters' (other columns
#' are dropped), by position when `x`'s names share none of them (the same
#' variables under other names); a partial match is an error. Call before
#' as_data_matrix().
#' @noRd
columns_for_params <- function(x, parameters, arg = "x", call = sys.call(-1)) {
  wanted <- colnames(parameters$means)
  have <- if (is.data.frame(x)) names(x) else if (is.matrix(x)) colnames(x) else NULL
  if (is.null(wanted) || is.null(have) || anyNA(wanted) || !all(nzchar(wanted)) ||
      anyDuplicated(wanted)) {
    return(x)
  }
  # Already in order: no copy of the data.
  if (identical(have, wanted)) return(x)
  found <- wanted %in% have
  if (all(found)) return(x[, wanted, drop = FALSE])
  if (any(found)) {
    softmix_abort(sprintf(paste(
      "`%s` has some of the variables of `parameters` but not %s (it has %s).",
      "Name its columns as the parameters' means, or remove the names to match by position."
    ), arg, quote_names(wanted[!found]), quote_names(have)), call)
  }
  x
}

#' as_data_matrix() with what its scan for non-finite values found:
#' list(data, nonfinite), `nonfinite` as nonfinite_rows_cpp() returns it, so
#' that a caller need not scan the data again (see incomplete_rows())
#' @noRd
checked_data_matrix <- function(x, arg = "x", call = sys.call(-1), vector_name = "x",
                                missing_ok = FALSE, missing_hint = "remove or impute them.") {
  if (is.null(x)) {
    softmix_abort(sprintf("`%s` must be numeric data, not NULL.", arg), call)
  }
  if (inherits(x, c("softmix_file", "softmix_shards"))) {
    softmix_abort(sprintf(paste(
      "`%s` is a %s() object: only softmix() fits data on disk or on workers;",
      "give the rows in memory here."
    ), arg, class(x)[1]), call)
  }
  if (is.data.frame(x)) {
    # A column of NA alone is logical to R (data.frame(a = NA)): missing values.
    numeric_cols <- vapply(x, function(col) {
      (is.numeric(col) && !is.factor(col)) || (is.logical(col) && all(is.na(col)))
    }, logical(1))
    if (!all(numeric_cols)) {
      bad <- names(x)[!numeric_cols]
      softmix_abort(sprintf(
        "`%s` must have only numeric columns; not numeric: %s.", arg,
        paste0("`", bad, "`", collapse = ", ")
      ), call)
    }
    x <- as.matrix(x)
  } else if (is.factor(x) || !(is.numeric(x) || is.logical(x)) || is.complex(x)) {
    softmix_abort(sprintf(
      "`%s` must be a numeric matrix, data frame or vector, not %s.", arg,
      describe_type(x)
    ), call)
  } else if (is.logical(x) && !all(is.na(x))) {
    softmix_abort(sprintf("`%s` must be numeric, not logical.", arg), call)
  }
  if (is.null(dim(x))) {
    x <- matrix(as.numeric(x), ncol = 1L, dimnames = list(names(x), vector_name))
  } else if (length(dim(x)) != 2L) {
    softmix_abort(sprintf("`%s` must be a matrix, not an array with %d dimensions.", arg,
                          length(dim(x))), call)
  }
  if (nrow(x) == 0L || ncol(x) == 0L) {
    softmix_abort(sprintf("`%s` must have at least one row and one column; it is %d x %d.",
                          arg, nrow(x), ncol(x)), call)
  }
  if (storage.mode(x) != "double") storage.mode(x) <- "double"
  # Checked in C++ to avoid n x d logical temporaries on large data.
  bad <- nonfinite_rows_cpp(x)
  if (bad[1] > 0L && !missing_ok) {
    softmix_abort(sprintf(
      "`%s` has missing values (NA or NaN) in %d row(s), the first being row %d; %s",
      arg, bad[1], bad[2], missing_hint
    ), call)
  }
  if (bad[3] > 0L) {
    softmix_abort(sprintf(
      "`%s` has infinite values in %d row(s), the first being row %d.",
      arg, bad[3], bad[4]
    ), call)
  }
  # Column names are left as they are: adding them would copy the data.
  list(data = x, nonfinite = bad)
}

#' Rows of a data matrix with at least one missing value (logical), or
#' NULL when there are none; `nonfinite` is nonfinite_rows_cpp(data), where
#' the caller has it
#' @noRd
incomplete_rows <- function(data, nonfinite = nonfinite_rows_cpp(data)) {
  if (nonfinite[1] == 0L) return(NULL)
  rowSums(is.na(data)) > 0L
}

#' Stop when a row of `data` has no observed value (`what` names the rows)
#' @noRd
check_observed_rows <- function(data, arg = "x", call = sys.call(-1)) {
  if (nonfinite_rows_cpp(data)[1] == 0L) return(invisible())
  empty <- which(rowSums(!is.na(data)) == 0L)
  if (length(empty) > 0L) {
    softmix_abort(sprintf(
      "`%s` has %d row(s) with every value missing, the first being row %d; such a row has no density or posterior.",
      arg, length(empty), empty[1]
    ), call)
  }
  invisible()
}

#' Variable names of a data matrix: its column names, or V1, V2, ...
#' @noRd
variable_names <- function(data) {
  names <- colnames(data)
  if (is.null(names)) names <- paste0("V", seq_len(ncol(data)))
  names
}

#' The variable name of data given as a plain vector, from the expression
#' that gave it (`substitute(x)`), as base R's plots label an axis: `waiting`
#' for `waiting`, `faithful$waiting`, `faithful[["waiting"]]` or
#' `faithful[, "waiting"]`; the deparsed text for another call up to 60
#' characters long (`log(waiting)`); otherwise, for a value (as `do.call()`
#' passes it) or a longer call, `"x"`.
#' @noRd
expression_name <- function(expr) {
  name <- if (is.name(expr)) {
    as.character(expr)
  } else if (is.call(expr)) {
    extracted <- extracted_name(expr)
    if (!is.null(extracted)) {
      extracted
    } else {
      text <- paste(deparse(expr, width.cutoff = 500L), collapse = " ")
      if (nchar(text) <= 60L) text else ""
    }
  } else {
    ""
  }
  if (nzchar(name)) name else "x"
}

#' The name a `$`, `[[` or `[` call extracts by (`b` in `a$b`, `a[["b"]]`,
#' `a[, "b"]`), or NULL
#' @noRd
extracted_name <- function(expr) {
  operator <- expr[[1L]]
  if (!is.name(operator) || !as.character(operator) %in% c("$", "[[", "[") ||
      length(expr) < 3L) {
    return(NULL)
  }
  key <- expr[[length(expr)]]
  if (identical(as.character(operator), "$") && is.name(key)) return(as.character(key))
  if (is.character(key) && length(key) == 1L && !is.na(key)) return(key)
  NULL
}

#' A short description of an object's type for error messages
#' @noRd
describe_type <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.factor(x)) return("a factor")
  if (is.data.frame(x)) return("a data frame")
  if (is.list(x)) return("a list")
  paste("of type", typeof(x))
}

#' Check a single whole number within bounds
#' @noRd
check_count <- function(value, arg, min = 0, max = .Machine$integer.max, call = sys.call(-1)) {
  ok <- is.numeric(value) && length(value) == 1L && !is.na(value) &&
    is.finite(value) && value == round(value)
  if (!ok) {
    softmix_abort(sprintf("`%s` must be a single whole number, not %s.", arg,
                          format_value(value)), call)
  }
  if (value < min || value > max) {
    range <- if (value < min && max == .Machine$integer.max) {
      sprintf("at least %s", min)
    } else {
      sprintf("between %s and %s", min, max)
    }
    softmix_abort(sprintf("`%s` must be %s; it is %s.", arg, range, format(value)), call)
  }
  as.integer(value)
}

#' Check a single non-negative finite number
#' @noRd
check_nonnegative <- function(value, arg, call = sys.call(-1)) {
  ok <- is.numeric(value) && length(value) == 1L && !is.na(value) && is.finite(value)
  if (!ok) {
    softmix_abort(sprintf("`%s` must be a single finite number, not %s.", arg,
                          format_value(value)), call)
  }
  if (value < 0) {
    softmix_abort(sprintf("`%s` must be non-negative; it is %s.", arg, format(value)), call)
  }
  as.numeric(value)
}

#' Format a value briefly for an error message
#' @noRd
format_value <- function(value) {
  if (is.null(value)) return("NULL")
  if (!is.atomic(value)) return(describe_type(value))
  if (length(value) != 1L) return(sprintf("a vector of length %d", length(value)))
  if (is.character(value)) return(sprintf("\"%s\"", value))
  format(value)
}

#' Check the number of components against the number of observations
#' @noRd
check_k <- function(k, n, call = sys.call(-1), min = 1L, noise_hint = TRUE) {
  ok <- is.numeric(k) && length(k) >= 1L && !anyNA(k) && all(is.finite(k)) &&
    all(k == round(k))
  if (!ok) {
    softmix_abort(sprintf("`k` must be whole numbers of components, not %s.",
                          if (is.numeric(k) && anyNA(k)) "NA" else format_value(k)), call)
  }
  if (any(k < min)) {
    softmix_abort(if (min == 0L) "`k` must be at least 0." else if (noise_hint)
      "`k` must be at least 1 (0, the all-noise model, needs `noise`)." else
      "`k` must be at least 1.", call)
  }
  if (any(k > n)) {
    softmix_abort(sprintf("`k` (%s) must not exceed the number of observations (%d).",
                          max(k), n), call)
  }
  if (anyDuplicated(k)) softmix_abort("`k` must not repeat values.", call)
  as.integer(k)
}

#' match.arg() with a softmix error naming the argument: an exact choice or
#' an unambiguous abbreviation of one (`stopping = "ait"`), as match.arg()
#' accepts
#' @noRd
match_choice <- function(value, choices, arg, call = sys.call(-1)) {
  if (identical(value, choices)) return(choices[1])
  index <- if (is.character(value) && length(value) == 1L && !is.na(value)) {
    pmatch(value, choices)
  } else {
    NA_integer_
  }
  if (is.na(index)) {
    softmix_abort(sprintf("`%s` must be one of %s; got %s.", arg,
                          paste0("\"", choices, "\"", collapse = ", "), format_value(value)),
                  call)
  }
  choices[index]
}

#' Check a single TRUE or FALSE
#' @noRd
check_flag <- function(value, arg, call = sys.call(-1)) {
  if (!is.logical(value) || length(value) != 1L || is.na(value)) {
    softmix_abort(sprintf("`%s` must be TRUE or FALSE; got %s.", arg, format_value(value)), call)
  }
  value
}

#' Stop when `data` has missing values and `parameters` a noise component:
#' the noise's uniform density has no marginal on the observed coordinates
#' (its region need not be a box), so such rows cannot be classified.
#' @noRd
check_noise_complete <- function(data, parameters, arg = "x", call = sys.call(-1)) {
  if (is.null(parameters$hypervolume)) return(invisible())
  incomplete <- incomplete_rows(data)
  if (is.null(incomplete)) return(invisible())
  softmix_abort(sprintf(paste(
    "`%s` has missing values in %d row(s), the first being row %d, and the mixture has a",
    "noise component, whose density has no marginal on the observed values; remove or",
    "impute them."
  ), arg, sum(incomplete), which(incomplete)[1L]), call)
}

#' Stop when a method's `...` holds anything: it takes no further
#' arguments, and a misspelt or foreign one (mclust's `prop`) would be
#' ignored. `hint` is added to the message.
#' @noRd
check_dots_empty <- function(dots, hint = "", call = sys.call(-1)) {
  if (length(dots) == 0L) return(invisible())
  given <- names(dots)
  if (is.null(given)) given <- rep("", length(dots))
  shown <- unique(ifelse(nzchar(given), paste0("`", given, "`"), "an unnamed argument"))
  softmix_abort(sprintf("Unknown argument%s %s.%s", if (length(shown) > 1L) "s" else "",
                        paste(shown, collapse = ", "), if (nzchar(hint)) paste0(" ", hint) else ""),
                call)
}
