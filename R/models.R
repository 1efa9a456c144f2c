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

#' Whether covariances (a d x d x k array) have the structure of `model`,
#' read from its code: volume, shape and orientation each equal across
#' components (E), varying (V) or, for shape and orientation, the identity
#' (I), as in Celeux and Govaert's decomposition
#' Sigma_k = lambda_k D_k A_k D_k'. Returns NULL when they do, else the part
#' that does not hold, for a message. `tol` is relative.
#' @noRd
covariance_structure_problem <- function(covariances, model, tol = 1e-8) {
  code <- c(E = "EII", V = "VII")[model]
  if (is.na(code)) code <- model
  letters <- strsplit(code, "")[[1]]
  d <- dim(covariances)[1]
  k <- dim(covariances)[3]
  sigma <- lapply(seq_len(k), function(j) matrix(covariances[, , j], d, d))
  near <- function(a, b) max(abs(a - b)) <= tol * max(abs(a), abs(b))
  all_near <- function(items) all(vapply(items, near, logical(1), items[[1]]))
  volume <- vapply(sigma, function(s) det(s)^(1 / d), numeric(1))
  scaled <- Map(`/`, sigma, volume)
  shape <- lapply(scaled, function(s) sort(eigen(s, symmetric = TRUE, only.values = TRUE)$values))
  diagonal <- vapply(sigma, function(s) near(s, diag(diag(s), d)), logical(1))
  if (letters[1] == "E" && !all_near(as.list(volume))) return("equal volumes")
  if (letters[3] == "I" && !all(diagonal)) return("diagonal matrices")
  if (letters[2] == "I" && !all_near(c(list(rep(1, d)), shape))) return("spherical matrices")
  if (letters[2] == "E" && !all_near(shape)) return("equal shapes")
  if (letters[3] == "E") {
    # A common orientation: matrices with the same eigenvectors commute.
    commute <- vapply(sigma, function(s) near(s %*% sigma[[1]], sigma[[1]] %*% s), logical(1))
    if (!all(commute)) return("a common orientation")
  }
  NULL
}
