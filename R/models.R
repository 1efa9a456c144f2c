# The covariance models softmix implements, by mclust's codes.

#' Table of implemented models, in mclust's order, with mclust's descriptions
#' @noRd
model_table <- data.frame(
  code = c(
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV",
    "VVV", "E", "V"
  ),
  description = c(
    "spherical, equal volume",
    "spherical, varying volume",
    "diagonal, equal volume and shape",
    "diagonal, equal shape",
    "diagonal, equal volume, varying shape",
    "diagonal, varying volume and shape",
    "ellipsoidal, equal volume, shape and orientation",
    "ellipsoidal, equal shape and orientation",
    "ellipsoidal, equal volume and orientation",
    "ellipsoidal, equal orientation",
    "ellipsoidal, equal volume and shape",
    "ellipsoidal, equal shape",
    "ellipsoidal, equal volume",
    "ellipsoidal, varying volume, shape and orientation",
    "univariate, equal variance",
    "univariate, varying variance"
  ),
  univariate = rep(c(FALSE, TRUE), c(14L, 2L)),
  stringsAsFactors = FALSE
)

model_aliases <- c(spherical = "VII", diagonal = "VVI", tied = "EEE", full = "VVV")

#' Resolve model names: aliases to codes, and for one-dimensional data every
#' multivariate code to its univariate equivalent ("E" or "V").
#' @noRd
match_models <- function(model, d, call = sys.call(-1)) {
  if (!is.character(model) || length(model) < 1L || anyNA(model)) {
    softmix_abort("`model` must be a character vector of covariance model codes.", call)
  }
  if (identical(model, "all")) {
    model <- if (d == 1L) c("E", "V") else model_table$code[!model_table$univariate]
  }
  codes <- ifelse(model %in% names(model_aliases), model_aliases[model], model)
  unknown <- setdiff(codes, model_table$code)
  if (length(unknown) > 0L) {
    softmix_abort(sprintf(
      "`model` has unknown code(s) %s; use one of %s, or the aliases %s.",
      paste0("\"", unknown, "\"", collapse = ", "),
      paste(model_table$code, collapse = ", "),
      paste(names(model_aliases), collapse = ", ")
    ), call)
  }
  if (d == 1L) {
    codes <- ifelse(substr(codes, 1L, 1L) == "E", "E", "V")
  } else if (any(codes %in% c("E", "V"))) {
    softmix_abort(sprintf(
      "`model` \"E\" and \"V\" are for one-dimensional data; `x` has %d columns.", d
    ), call)
  }
  unique(codes)
}

#' Number of free parameters of a fitted model: k - 1 proportions, k * d
#' means and the covariance parameters as mclust's nVarParams() counts them
#' (a volume, d - 1 shape entries and d (d - 1) / 2 orientation angles,
#' each once or per component).
#' @noRd
model_df <- function(model, d, k) {
  # E and V are EII and VII in one dimension.
  code <- c(E = "EII", V = "VII")[model]
  if (is.na(code)) code <- model
  orientation <- d * (d - 1) / 2
  covariance <- switch(code,
    EII = 1,
    VII = k,
    EEI = d,
    VEI = k + (d - 1),
    EVI = 1 + k * (d - 1),
    VVI = k * d,
    EEE = d * (d + 1) / 2,
    VEE = k + (d - 1) + orientation,
    EVE = 1 + k * (d - 1) + orientation,
    VVE = k * d + orientation,
    EEV = 1 + (d - 1) + k * orientation,
    VEV = k + (d - 1) + k * orientation,
    EVV = 1 - k + k * d * (d + 1) / 2,
    VVV = k * d * (d + 1) / 2
  )
  (k - 1) + k * d + covariance
}
