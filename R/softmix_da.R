#' Discriminant analysis with Gaussian mixtures
#'
#' Fits a classifier from data with known classes by modelling the density
#' of each class with Gaussian mixtures, as mclust's `MclustDA()` does
#' (Fraley and Raftery 2002): Bayes' rule then gives the probability of
#' each class at a point, \eqn{P(c \mid x) \propto \tau_c f_c(x)}, from the
#' class priors \eqn{\tau_c} (by default the class proportions of the
#' training data) and the class densities \eqn{f_c}.
#'
#' @section Two kinds of model:
#' * `type = "MclustDA"` (default): a mixture per class. For each class
#'   \eqn{c}, [softmix()] fits its rows with every number of components in
#'   `k` (default `1:5`) and every covariance model in `model` (default all
#'   fourteen) and keeps the pair of lowest BIC (or ICL); the classes are
#'   fitted independently, so each can have its own number of components
#'   and its own model. As in mclust, a class with no more rows than
#'   variables is fitted with the diagonal and spherical models only (`EII`,
#'   `VII`, `EEI`, `VEI`, `EVI`, `VVI`), and values of `k` above its number
#'   of rows are left out.
#' * `type = "EDDA"`: one Gaussian component per class, all classes sharing
#'   the covariance model (eigenvalue decomposition discriminant analysis,
#'   Bensmail and Celeux 1996). `EEE` is linear discriminant analysis, `VVV`
#'   quadratic discriminant analysis, and the other models lie between them.
#'   Each model is fitted by [softmix()] with `k` the number of classes and
#'   every row's class given as its known component (`labels`), so EM's E
#'   step keeps the classes and the fit is the maximum likelihood estimate
#'   of the model from the known classes: one M step for the models with a
#'   closed form, the M step's own iterations run to convergence for the
#'   others (see [softmix()]). The model of lowest BIC is kept.
#'
#' The log-likelihood is that of the data and their classes,
#' \eqn{\ell = \sum_i \log \tau_{y_i} + \log f_{y_i}(x_i)}, the quantity
#' both kinds of fit maximise, with `df` the number of free parameters (the
#' \eqn{C - 1} priors, and each class's mixture or the shared model) and
#' BIC \eqn{= -2 \ell + df \log n}, lower is better. For `"MclustDA"`
#' \eqn{\ell} is the sum of the classes' log-likelihoods and the priors'
#' term \eqn{\sum_c n_c \log \tau_c}; each class's mixture is chosen by
#' its own BIC, on its own \eqn{n_c} rows, as mclust chooses it. mclust
#' reports instead the log-likelihood of the mixture of the class densities,
#' \eqn{\sum_i \log \sum_c \tau_c f_c(x_i)}, and for `"EDDA"` chooses the
#' model by that log-likelihood, with the priors not counted in `df`; its
#' choice can differ from softmix's, whose criterion is the one the
#' estimates maximise (on iris, banknote and diabetes the two choose the
#' same models).
#'
#' Missing values in `x` or in new data are an error (mclust drops such
#' rows); [softmix()], by contrast, fits them by EM by default.
#' Unused levels of a factor `class` are dropped. Each class needs at least
#' two rows.
#'
#' @param x Training data: a numeric matrix (n x d), a data frame of numeric
#'   columns, or a numeric vector for one-dimensional data.
#' @param class The known class of each row: a factor, or a vector (numbers
#'   or strings) that is turned into one; no missing values, at least two
#'   classes, each with at least two rows.
#' @param model Covariance model codes (see [softmix()]); `NULL` (default)
#'   for all of them (`"E"` and `"V"` for one-dimensional data). For
#'   `"MclustDA"`, also a list with one vector of codes per class, in the
#'   order of the class levels. mclust calls this `modelNames`.
#' @param k For `"MclustDA"`, the numbers of components to try for each
#'   class, by default `1:5`, or a list with one vector per class (mclust's
#'   `G`). For `"EDDA"`, `NULL` or 1: one component per class.
#' @param type `"MclustDA"` (a mixture per class) or `"EDDA"` (one
#'   component per class, a shared covariance model); mclust's `modelType`.
#' @param criterion `"bic"` (default) or `"icl"`, the criterion of
#'   [softmix()] that chooses each class's mixture for `"MclustDA"`. For
#'   `"EDDA"` the two are equal (the classes are known).
#' @param control Settings from [softmix_control()], used for every fit. The
#'   default ridge `reg` slightly inflates the covariances; set `reg = 0`
#'   for the plain maximum likelihood estimates.
#' @param n_threads Number of threads; `NULL` uses [softmix_threads()].
#' @param ... For `"MclustDA"`, further arguments to [softmix()] for each
#'   class's fit, such as `init` or `n_init`; none for `"EDDA"`.
#' @return An object of class `softmix_da`, a list with:
#'   * `call`, `type`: the matched call and the kind of model;
#'   * `classes`: the class names; `class`: the training classes (a
#'     factor); `prior`: the class proportions of the training data, named;
#'   * `model`, `k`: each class's covariance model and number of
#'     components, named by class;
#'   * `parameters`: a named list of each class's [mixture_params()];
#'   * `fits`: for `"MclustDA"`, a named list of each class's [softmix()]
#'     fit, with its `$selection` table; for `"EDDA"`, a list holding the one
#'     fit of all classes, the chosen model's;
#'   * `selection`: for `"EDDA"`, a data frame with a row per model (`model`,
#'     `loglik`, `df`, `bic`, `message` as in [softmix()]); `NULL` for
#'     `"MclustDA"`, whose selections are in `fits`;
#'   * `loglik`, `df`, `bic`: the log-likelihood of the data and classes,
#'     its number of free parameters and its BIC (see Details);
#'   * `n`, `d`, `data`, `control`, `n_threads`, `criterion`; and
#'     `settings`, the candidate `k` and models and the arguments in `...`,
#'     which [softmix_da_cv()] uses to refit.
#' @references
#' Fraley, C. and Raftery, A. E. (2002). Model-based clustering, discriminant
#' analysis, and density estimation. *Journal of the American Statistical
#' Association*, 97(458), 611-631. \doi{10.1198/016214502760047131}
#'
#' Bensmail, H. and Celeux, G. (1996). Regularized Gaussian discriminant
#' analysis through eigenvalue decomposition. *Journal of the American
#' Statistical Association*, 91(436), 1743-1748.
#' \doi{10.1080/01621459.1996.10476746}
#' @seealso [softmix()], which fits each class; [predict.softmix_da()] to
#'   classify; [softmix_da_cv()] for the cross-validated error; mclust's
#'   `MclustDA()`, which this follows.
#' @family discriminant analysis
#' @export
#' @examples
#' set.seed(1)
#' train <- seq(1, 150, by = 2)
#' da <- softmix_da(iris[train, 1:4], iris$Species[train], k = 1:2,
#'                  model = c("EEE", "VVV", "VVI"), n_threads = 1)
#' da
#' predicted <- predict(da, iris[-train, 1:4])
#' table(predicted, iris$Species[-train])
#' head(predict(da, iris[-train, 1:4], type = "posterior"))
#'
#' # one component per class with a shared covariance model (EDDA)
#' edda <- softmix_da(iris[, 1:4], iris$Species, type = "EDDA", n_threads = 1)
#' edda$selection
#' summary(edda)
softmix_da <- function(x, class, model = NULL, k = NULL, type = c("MclustDA", "EDDA"),
                       criterion = c("bic", "icl"), control = softmix_control(),
                       n_threads = NULL, ...) {
  call <- match.call()
  # A vector's variable is named after its expression, as in softmix().
  data <- as_data_matrix(x, vector_name = expression_name(substitute(x)))
  n <- nrow(data)
  d <- ncol(data)
  type <- match_choice(type, c("MclustDA", "EDDA"), "type")
  criterion <- match_choice(criterion, c("bic", "icl"), "criterion")
  control <- check_control(control)
  n_threads <- resolve_threads(n_threads)
  class <- check_class(class, n)
  classes <- levels(class)
  dots <- check_da_dots(list(...), type)
  settings <- da_settings(model, k, type, classes, d)
  settings$dots <- dots
  fit <- if (type == "EDDA") {
    fit_edda(data, class, settings$model[[1L]], control, n_threads, call)
  } else {
    fit_mclustda(data, class, settings, criterion, control, n_threads, call)
  }
  new_softmix_da(fit, data, class, type, criterion, control, n_threads, settings, call)
}

#' Validate the classes: a factor without NA, unused levels dropped, at least
#' two classes of at least two rows each
#' @noRd
check_class <- function(class, n, call = sys.call(-1)) {
  if (missing(class) || is.null(class)) {
    softmix_abort("`class` is missing; give the known class of each row of `x`.", call)
  }
  if (!is.null(dim(class)) && sum(dim(class) > 1L) > 1L) {
    softmix_abort(sprintf("`class` must be a vector or factor, not %s.", describe_type(class)),
                  call)
  }
  if (is.list(class) || !(is.atomic(class) || is.factor(class))) {
    softmix_abort(sprintf("`class` must be a vector or factor, not %s.", describe_type(class)),
                  call)
  }
  if (length(class) != n) {
    softmix_abort(sprintf("`class` must have one entry per row of `x`: %d for %d.",
                          length(class), n), call)
  }
  # A factor may hold NA as a level (addNA()), which is.na() does not see.
  na_rows <- is.na(class)
  if (is.factor(class)) na_rows <- na_rows | is.na(levels(class)[class])
  if (any(na_rows)) {
    missing_rows <- which(na_rows)
    softmix_abort(sprintf("`class` has missing values in %d row(s), the first being row %d.",
                          length(missing_rows), missing_rows[1]), call)
  }
  # A factor keeps its level order; other vectors are sorted, as factor() does.
  class <- if (is.factor(class)) droplevels(class) else factor(as.vector(class))
  if (nlevels(class) < 2L) {
    softmix_abort(sprintf("`class` must have at least two classes; it has %d.",
                          nlevels(class)), call)
  }
  sizes <- table(class)
  if (any(sizes < 2L)) {
    small <- names(sizes)[sizes < 2L]
    softmix_abort(sprintf(
      "`class` must have at least two rows per class; %s %s only one.",
      paste0("\"", small, "\"", collapse = ", "), if (length(small) == 1L) "has" else "have"
    ), call)
  }
  class
}

#' The arguments in `...` for each class's softmix() fit: none that
#' softmix_da() sets itself, and none for EDDA
#' @noRd
check_da_dots <- function(dots, type, call = sys.call(-1)) {
  if (length(dots) == 0L) return(list())
  if (type == "EDDA") {
    softmix_abort(sprintf("`...` is not used with type = \"EDDA\"; got %s.",
                          paste0("`", names(dots), "`", collapse = ", ")), call)
  }
  if (is.null(names(dots)) || any(!nzchar(names(dots)))) {
    softmix_abort("`...` must be named arguments of softmix(), such as `init` or `n_init`.",
                  call)
  }
  set_here <- c("x", "k", "model", "control", "n_threads", "criterion", "labels", "fixed")
  taken <- intersect(names(dots), set_here)
  if (length(taken) > 0L) {
    softmix_abort(sprintf("`...` must not set %s: softmix_da() sets %s itself.",
                          paste0("`", taken, "`", collapse = ", "),
                          if (length(taken) == 1L) "it" else "them"), call)
  }
  unsupported <- intersect(names(dots), c("weights", "weight_type"))
  if (length(unsupported) > 0L) {
    softmix_abort(sprintf("`...` sets %s, which softmix_da() does not support.",
                          paste0("`", unsupported, "`", collapse = ", ")), call)
  }
  unknown <- setdiff(names(dots), names(formals(softmix)))
  if (length(unknown) > 0L) {
    softmix_abort(sprintf("`...` has argument(s) that softmix() does not take: %s.",
                          paste0("`", unknown, "`", collapse = ", ")), call)
  }
  dots
}

#' Candidate models and numbers of components for each class: lists named by
#' class. For EDDA, one vector of models (shared) and k = 1.
#' @noRd
da_settings <- function(model, k, type, classes, d, call = sys.call(-1)) {
  n_classes <- length(classes)
  per_class <- function(value, arg, default) {
    if (is.null(value)) value <- default
    if (is.list(value)) {
      if (type == "EDDA") {
        softmix_abort(sprintf(
          "`%s` must be a vector for type = \"EDDA\": the classes share the model.", arg
        ), call)
      }
      if (length(value) != n_classes) {
        softmix_abort(sprintf("`%s`, a list, must have one entry per class: %d for %d.",
                              arg, length(value), n_classes), call)
      }
      # Named entries go to their classes; names that are not classes would
      # otherwise silently give every class another's setting.
      given <- names(value)
      if (!is.null(given) && !all(given == "")) {
        unknown <- setdiff(given, classes)
        if (length(unknown) > 0L || anyDuplicated(given)) {
          softmix_abort(sprintf(
            "`%s`, a named list, must name each class once; %s. The classes: %s.", arg,
            if (length(unknown) > 0L) sprintf("%s %s not a class", quote_names(unknown),
                                              if (length(unknown) == 1L) "is" else "are")
            else "a class is named twice", quote_names(classes)
          ), call)
        }
        value <- value[classes]
      }
      return(stats::setNames(value, classes))
    }
    stats::setNames(rep(list(value), n_classes), classes)
  }
  models <- per_class(model, "model", "all")
  models <- lapply(models, match_models, d = d, call = call)
  if (type == "EDDA") {
    if (!is.null(k) && !identical(as.numeric(k), 1)) {
      softmix_abort(sprintf(
        "`k` must be NULL or 1 for type = \"EDDA\", one component per class; got %s.",
        format_value(k)
      ), call)
    }
    ks <- stats::setNames(rep(list(1L), n_classes), classes)
  } else {
    ks <- per_class(k, "k", 1:5)
    ks <- lapply(ks, check_k, n = .Machine$integer.max, call = call)
  }
  list(model = models, k = ks)
}

#' EDDA: every model fitted with the classes as known components; the one of
#' lowest BIC kept
#' @noRd
fit_edda <- function(data, class, models, control, n_threads, call) {
  labels <- as.integer(class)
  # The classes as the start (no random draws) and as known labels (kept by
  # every E step).
  fit <- tryCatch(
    softmix(data, k = nlevels(class), model = models, init = labels, labels = labels,
            control = control, n_threads = n_threads, verbose = FALSE),
    softmix_error = function(e) {
      softmix_abort(sprintf("No EDDA model could be fitted to the classes: %s",
                            conditionMessage(e)), call)
    }
  )
  fit$call <- call
  selection <- fit$selection
  if (is.null(selection)) {
    selection <- data.frame(model = fit$model, loglik = fit$loglik, df = fit$df, bic = fit$bic,
                            message = fit$degenerate, stringsAsFactors = FALSE)
  } else {
    selection <- selection[, c("model", "loglik", "df", "bic", "message")]
  }
  d <- ncol(data)
  parameters <- lapply(seq_len(nlevels(class)), function(j) {
    mixture_params(1, fit$parameters$means[j, , drop = FALSE],
                   array(fit$parameters$covariances[, , j], c(d, d, 1L)))
  })
  list(
    fits = list(fit),
    parameters = parameters,
    model = rep(fit$model, nlevels(class)),
    k = rep(1L, nlevels(class)),
    loglik = fit$loglik,
    df = fit$df,
    selection = selection
  )
}

#' MclustDA: each class's mixture chosen by softmix() among its candidates
#' @noRd
fit_mclustda <- function(data, class, settings, criterion, control, n_threads, call) {
  classes <- levels(class)
  d <- ncol(data)
  fits <- lapply(classes, function(level) {
    rows <- data[class == level, , drop = FALSE]
    candidates <- class_candidates(settings$k[[level]], settings$model[[level]], nrow(rows), d,
                                   level, call)
    fit <- tryCatch(
      do.call(softmix, c(list(rows, k = candidates$k, model = candidates$model,
                              control = control, n_threads = n_threads,
                              criterion = criterion), class_fit_dots(settings$dots))),
      softmix_error = function(e) {
        softmix_abort(sprintf("Class \"%s\" (%d rows) could not be fitted: %s", level,
                              nrow(rows), conditionMessage(e)), call)
      }
    )
    fit$call <- call
    fit
  })
  names(fits) <- classes
  prior_term <- sum(table(class) * log(as.vector(table(class)) / length(class)))
  list(
    fits = fits,
    parameters = lapply(fits, `[[`, "parameters"),
    model = vapply(fits, `[[`, "", "model"),
    k = vapply(fits, `[[`, 0L, "k"),
    loglik = prior_term + sum(vapply(fits, `[[`, 0, "loglik")),
    df = nlevels(class) - 1 + sum(vapply(fits, `[[`, 0, "df")),
    selection = NULL
  )
}

#' The arguments in `...` for a class's softmix() fit, quiet unless they ask
#' for progress
#' @noRd
class_fit_dots <- function(dots) {
  utils::modifyList(list(verbose = FALSE), dots)
}

#' A class's candidate k and models: k at most its rows, and as in mclust only
#' the diagonal and spherical models when it has no more rows than variables
#' @noRd
class_candidates <- function(ks, models, n_rows, d, level, call) {
  ks <- ks[ks <= n_rows]
  if (length(ks) == 0L) {
    softmix_abort(sprintf("`k` leaves no number of components for class \"%s\" (%d rows).",
                          level, n_rows), call)
  }
  if (n_rows <= d && d > 1L) {
    models <- intersect(models, c("EII", "VII", "EEI", "VEI", "EVI", "VVI"))
    if (length(models) == 0L) {
      softmix_abort(sprintf(paste(
        "`model` leaves no model for class \"%s\": with %d rows in %d dimensions it can take",
        "only the diagonal and spherical models (EII, VII, EEI, VEI, EVI, VVI)."
      ), level, n_rows, d), call)
    }
  }
  list(k = ks, model = models)
}

#' Assemble a softmix_da object
#' @noRd
new_softmix_da <- function(fit, data, class, type, criterion, control, n_threads, settings,
                           call) {
  classes <- levels(class)
  n <- nrow(data)
  prior <- stats::setNames(as.vector(table(class)) / n, classes)
  names(fit$parameters) <- classes
  if (type == "EDDA") names(fit$fits) <- "all classes"
  structure(
    list(
      call = call,
      type = type,
      classes = classes,
      class = class,
      prior = prior,
      model = stats::setNames(fit$model, classes),
      k = stats::setNames(as.integer(fit$k), classes),
      parameters = fit$parameters,
      fits = fit$fits,
      selection = fit$selection,
      loglik = fit$loglik,
      df = fit$df,
      bic = -2 * fit$loglik + fit$df * log(n),
      n = n,
      d = ncol(data),
      data = data,
      criterion = criterion,
      control = control,
      n_threads = n_threads,
      settings = settings
    ),
    class = "softmix_da"
  )
}

#' Methods for discriminant analysis fits
#'
#' `print()` shows each class's size, prior, model and number of
#' components with the log-likelihood and BIC; `summary()` adds the
#' classification of the training data (the confusion table, the training
#' error and Brier score) and for `"EDDA"` the models compared. `logLik()`
#' returns the log-likelihood of the data and their classes with `df` and
#' `nobs`, so [stats::AIC()] and [stats::BIC()] work.
#'
#' The training error is optimistic; [softmix_da_cv()] estimates the error
#' on new data.
#'
#' @param x,object A `softmix_da` fit, or for `print()` its summary.
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return `print()` returns `x` invisibly; `summary()` an object of class
#'   `summary.softmix_da`, a list with `type`, `n`, `d`, `loglik`, `df`,
#'   `bic`, `classes` (a data frame with each class's `n`, `prior`, `model`
#'   and `k`), `confusion` (the training classes against the predicted
#'   ones), `error` and `brier` (on the training data) and `selection` (for
#'   `"EDDA"`); `logLik()` an object of class `logLik`.
#' @family discriminant analysis
#' @name softmix_da-methods
#' @examples
#' da <- softmix_da(iris[, 1:4], iris$Species, type = "EDDA", n_threads = 1)
#' print(da)
#' summary(da)
#' BIC(da)
NULL

#' @rdname softmix_da-methods
#' @export
print.softmix_da <- function(x, digits = getOption("digits") - 3, ...) {
  cat(sprintf("Discriminant analysis with Gaussian mixtures (%s): %s\n", x$type,
              if (x$type == "EDDA") "one component per class, a shared covariance model"
              else "a mixture per class"))
  cat(sprintf("n = %d, d = %d, %d classes, log-likelihood = %s, df = %s, BIC = %s\n\n", x$n,
              x$d, length(x$classes), format(x$loglik, digits = digits + 3), format(x$df),
              format(x$bic, digits = digits + 3)))
  print(da_class_table(x), digits = digits)
  invisible(x)
}

#' A data frame with each class's size, prior, model and number of components
#' @noRd
da_class_table <- function(x) {
  data.frame(n = as.vector(table(x$class)), prior = unname(x$prior), model = unname(x$model),
             k = unname(x$k), row.names = x$classes, stringsAsFactors = FALSE)
}

#' @rdname softmix_da-methods
#' @export
summary.softmix_da <- function(object, ...) {
  posterior <- stats::predict(object, type = "posterior")
  predicted <- factor(object$classes[max.col(posterior, ties.method = "first")],
                      levels = object$classes)
  structure(
    list(
      type = object$type,
      n = object$n,
      d = object$d,
      loglik = object$loglik,
      df = object$df,
      bic = object$bic,
      classes = da_class_table(object),
      confusion = table(class = object$class, predicted = predicted),
      error = mean(predicted != object$class),
      brier = brier_score(posterior, object$class),
      selection = object$selection
    ),
    class = "summary.softmix_da"
  )
}

#' @rdname softmix_da-methods
#' @export
print.summary.softmix_da <- function(x, digits = getOption("digits") - 3, ...) {
  title <- sprintf("Gaussian mixture discriminant analysis (%s)", x$type)
  cat(title, "\n", strrep("-", nchar(title)), "\n", sep = "")
  print(data.frame(n = x$n, d = x$d, loglik = x$loglik, df = x$df, BIC = x$bic),
        row.names = FALSE, digits = digits + 3)
  cat("Log-likelihood of the data and their classes; BIC: lower is better.\n\nClasses:\n")
  print(x$classes, digits = digits)
  if (!is.null(x$selection)) {
    cat("\nModels compared (EDDA), by BIC:\n")
    selection <- x$selection[order(x$selection$bic), , drop = FALSE]
    names(selection)[names(selection) == "bic"] <- "BIC"
    print(selection, row.names = FALSE, digits = digits + 3)
  }
  cat("\nTraining data classified:\n")
  print(x$confusion)
  cat(sprintf("Training error %s, Brier score %s (see softmix_da_cv() for new data)\n",
              format(x$error, digits = digits), format(x$brier, digits = digits)))
  invisible(x)
}

#' @rdname softmix_da-methods
#' @export
logLik.softmix_da <- function(object, ...) {
  structure(object$loglik, df = object$df, nobs = object$n, class = "logLik")
}

#' @rdname softmix_da-methods
#' @export
nobs.softmix_da <- function(object, ...) {
  object$n
}

#' Classify new data with a discriminant analysis fit
#'
#' The posterior probability of class \eqn{c} at \eqn{x} is
#' \eqn{\tau_c f_c(x) / \sum_j \tau_j f_j(x)}, with \eqn{f_c} the class's
#' fitted mixture density (see [dmixture()]) and \eqn{\tau_c} its prior,
#' computed from the log-densities by a max-shifted log-sum-exp, so it
#' stays accurate far into the tails where the densities underflow. The
#' predicted class is the one of highest posterior (the first on ties), as
#' mclust's `predict.MclustDA()` gives.
#'
#' @param object A `softmix_da` fit.
#' @param newdata Data with the fitted variables (a matrix, data frame or,
#'   for one-dimensional fits, a vector); columns are matched by name when
#'   both have names. Omitted: the training data.
#' @param type `"class"` (default): the predicted classes, a factor with the
#'   training classes as levels; `"posterior"`: the n x C matrix of class
#'   probabilities, one column per class.
#' @param prior The class priors: `NULL` (default) for the class proportions
#'   of the training data, or one non-negative number per class (in the
#'   order of `object$classes`, or named by class), not all zero, rescaled
#'   to sum to one. mclust calls this `prop`. Use it when the classes are
#'   known to occur in other proportions in the new data.
#' @param n_threads Number of threads; `NULL` uses the fit's.
#' @param ... Unused: an error if given, so that a misspelt argument (or
#'   mclust's `prop`) is not silently ignored.
#' @return A factor (`"class"`) or a matrix (`"posterior"`), with one entry
#'   or row per row of `newdata`.
#' @seealso [softmix_da()]; [dmixture()] for the class densities.
#' @family discriminant analysis
#' @export
#' @examples
#' train <- seq(1, 150, by = 2)
#' da <- softmix_da(iris[train, 1:4], iris$Species[train], type = "EDDA", n_threads = 1)
#' new <- iris[-train, 1:4]
#' mean(predict(da, new) != iris$Species[-train])
#' round(head(predict(da, new, type = "posterior")), 3)
#' # priors other than the training proportions
#' table(predict(da, new, prior = c(0.1, 0.1, 0.8)))
predict.softmix_da <- function(object, newdata, type = c("class", "posterior"), prior = NULL,
                               n_threads = NULL, ...) {
  dots <- list(...)
  check_dots_empty(dots, if ("prop" %in% names(dots)) {
    "The classes' prior probabilities (mclust's `prop`) are `prior`."
  } else "")
  type <- match_choice(type, c("class", "posterior"), "type")
  data <- if (missing(newdata)) object$data else as_newdata(newdata, object)
  prior <- check_prior(prior, object)
  if (is.null(n_threads)) n_threads <- object$n_threads
  posterior <- da_posterior(data, object$parameters, prior, n_threads)
  colnames(posterior) <- object$classes
  if (!is.null(rownames(data))) rownames(posterior) <- rownames(data)
  if (type == "posterior") return(posterior)
  factor(object$classes[max.col(posterior, ties.method = "first")], levels = object$classes)
}

#' Validate class priors: NULL for the fit's, else one non-negative number per
#' class, rescaled to sum to one
#' @noRd
check_prior <- function(prior, object, call = sys.call(-1)) {
  if (is.null(prior)) return(object$prior)
  classes <- object$classes
  ok <- is.numeric(prior) && is.null(dim(prior)) && !anyNA(prior) && all(is.finite(prior))
  if (!ok) {
    softmix_abort(sprintf("`prior` must be a vector of finite numbers, one per class; got %s.",
                          format_value(prior)), call)
  }
  if (length(prior) != length(classes)) {
    softmix_abort(sprintf("`prior` must have one entry per class: %d for %d.", length(prior),
                          length(classes)), call)
  }
  if (!is.null(names(prior))) {
    if (!setequal(names(prior), classes)) {
      softmix_abort(sprintf("`prior` has names %s; the classes are %s.",
                            paste0("\"", names(prior), "\"", collapse = ", "),
                            paste0("\"", classes, "\"", collapse = ", ")), call)
    }
    prior <- prior[classes]
  }
  if (any(prior < 0)) softmix_abort("`prior` must be non-negative.", call)
  if (!any(prior > 0)) softmix_abort("`prior` must not be all zero.", call)
  stats::setNames(as.numeric(prior) / sum(prior), classes)
}

#' n x C posterior class probabilities from each class's mixture and the priors
#' @noRd
da_posterior <- function(data, parameters, prior, n_threads) {
  log_joint <- vapply(seq_along(parameters), function(j) {
    unname(dmixture(data, parameters[[j]], log = TRUE, n_threads = n_threads)) + log(prior[[j]])
  }, numeric(nrow(data)))
  log_joint <- matrix(log_joint, nrow(data), length(parameters))
  top <- log_joint[cbind(seq_len(nrow(data)), max.col(log_joint, ties.method = "first"))]
  # A point whose every class density underflows (or whose classes all have
  # prior 0 but one) carries no information: it gets the priors.
  lost <- !is.finite(top)
  top[lost] <- 0
  shifted <- exp(log_joint - top)
  posterior <- shifted / rowSums(shifted)
  if (any(lost)) posterior[lost, ] <- rep(prior, each = sum(lost))
  posterior
}

#' Brier score as mclust's BrierScore() computes it: half the mean squared
#' distance between the posterior rows and the one-hot classes
#' @noRd
brier_score <- function(posterior, class) {
  truth <- outer(as.integer(class), seq_len(ncol(posterior)), "==") * 1
  sum((truth - posterior)^2) / (2 * nrow(posterior))
}

#' Cross-validated error of a discriminant analysis
#'
#' Estimates the classification error and the Brier score of a
#' [softmix_da()] fit on new data by V-fold cross-validation, as mclust's
#' `cvMclustDA()` does: each fold in turn is left out, the model is fitted
#' to the other rows, and the left-out rows are classified.
#'
#' By default (`reselect = FALSE`) each fold's fit keeps the fitted object's
#' choices, as `cvMclustDA()` does: for `"MclustDA"` each class's number of
#' components and covariance model, for `"EDDA"` the shared model; only the
#' parameters are estimated again. The choices were made on all the data,
#' left-out rows included, so the estimate is slightly optimistic. With
#' `reselect = TRUE` each fold makes the choices afresh among the
#' candidates `object` was given, for an honest estimate of the whole
#' procedure, at the cost of the full selection in every fold. If a fold's
#' fit of a class with the kept number of components fails or is degenerate
#' (see [softmix()]), fewer components of the same model are tried. There
#' `cvMclustDA()` differs: its `MclustDA()` keeps the number of components
#' and tries the next simpler model in mclust's list (`"VVV"`, `"EVV"`,
#' `"VEV"`, `"EEV"`, ...), and fewer components only once the list's first,
#' `"EII"`, fails. `fold_models` shows what each fold fitted.
#'
#' Compared with mclust on the same folds (`bench/da.md` in the package
#' sources, 20 seeds' folds): with the default `reselect = FALSE`, the error
#' on iris and banknote was at most that of `cvMclustDA()` on every seed's
#' folds, and on diabetes lower on average but higher on some seeds. Where
#' both fit the same model to a fold's rows, softmix's log-likelihood was
#' never lower than mclust's; the rows the two classify differently lie
#' near the boundary of two classes and move with the fallback above, with
#' the local maximum reached (softmix's is often higher) and with mclust's
#' EM stopping at a relative change of 1e-5 short of the maximum. mclust
#' itself, run to a tighter tolerance, or softmix with its k-means++ starts
#' drawn from other random numbers, differ from the defaults on single
#' seeds in the same way. With `reselect = TRUE` softmix was at times one or
#' two rows above mclust's models chosen in each fold, because softmix's EM
#' reaches sharp maxima on data recorded to few digits (a component on rows
#' with tied values) that mclust's looser EM stops short of, and BIC then
#' chooses them.
#'
#' The folds are drawn as mclust's `cvMclustDA()` draws them, with the same
#' random numbers: balanced, each class spread evenly over the folds
#' (mclust's `balancedFolds()`), and one row per fold when `nfold` is the
#' number of rows (leave-one-out). So after the same [set.seed()] both
#' functions use the same folds; or give them in `folds`. The left-out rows
#' are classified with the priors `prior`, by default the class proportions
#' of all the data as in `cvMclustDA()`.
#'
#' The error is the proportion of rows misclassified, and the Brier score
#' half the mean squared distance between a row's class probabilities and
#' its class as a one-hot vector (mclust's `BrierScore()`), between 0 and 1;
#' both are the folds' values weighted by their sizes. Their standard
#' errors are those of `cvMclustDA()`: the weighted standard deviation of
#' the fold values over the square root of the number of folds.
#'
#' @param object A [softmix_da()] fit; the folds' fits use its data,
#'   classes, `control`, `criterion` and settings.
#' @param nfold The number of folds, at most the number of rows (default
#'   10); the number of rows gives leave-one-out. Otherwise, as in mclust,
#'   at most the size of the largest class: a larger `nfold` gives that many
#'   folds. Ignored when `folds` is given.
#' @param folds Optional folds: a list of disjoint vectors of row numbers
#'   that together cover every row once, or a vector with the fold of each
#'   row (numbers or labels).
#' @param reselect Whether each fold chooses the models afresh (see
#'   Details).
#' @param prior The priors used to classify the left-out rows: `NULL` for
#'   the fit's (the class proportions of all the data), or as in
#'   [predict.softmix_da()].
#' @param n_threads Number of threads; `NULL` uses the fit's.
#' @param x A `softmix_da_cv` object.
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @return An object of class `softmix_da_cv`, a list with `error` and
#'   `error_se` (the cross-validated classification error and its standard
#'   error; mclust's `ce` and `se.ce`), `brier` and `brier_se` (the Brier
#'   score; mclust's `brier` and `se.brier`), `classification` (each row's
#'   class predicted when it was left out, a factor) and `posterior` (its
#'   class probabilities; mclust's `z`), `folds` (the list of left-out rows),
#'   `fold_error` and `fold_brier` (each fold's values), `fold_models` (a
#'   data frame with a row per fold and class, or per fold for `"EDDA"`:
#'   `fold`, `class`, the `model` and number of components `k` fitted to the
#'   fold's training rows, and the fit's `loglik` on them), `reselect` and
#'   `prior`. `print()` returns `x` invisibly.
#' @seealso [softmix_da()], [predict.softmix_da()].
#' @family discriminant analysis
#' @export
#' @examples
#' da <- softmix_da(iris[, 1:4], iris$Species, type = "EDDA", n_threads = 1)
#' set.seed(1)
#' cv <- softmix_da_cv(da, nfold = 5)
#' cv
#' table(cv$classification, iris$Species)
#' # the same folds again
#' again <- softmix_da_cv(da, folds = cv$folds)
#' identical(again$error, cv$error)
softmix_da_cv <- function(object, nfold = 10, folds = NULL, reselect = FALSE, prior = NULL,
                          n_threads = NULL) {
  call <- match.call()
  if (!inherits(object, "softmix_da")) {
    softmix_abort(sprintf("`object` must be a softmix_da fit, not %s.", describe_type(object)))
  }
  reselect <- check_flag(reselect, "reselect")
  prior <- check_prior(prior, object)
  n_threads <- if (is.null(n_threads)) object$n_threads else resolve_threads(n_threads)
  n <- object$n
  class <- object$class
  folds <- if (is.null(folds)) {
    nfold <- check_count(nfold, "nfold", min = 2, max = n)
    if (nfold == n) as.list(seq_len(n)) else balanced_folds(class, nfold)
  } else {
    check_folds(folds, n)
  }
  for (i in seq_along(folds)) check_fold_classes(class[-folds[[i]]], i, object$classes)
  posterior <- matrix(NA_real_, n, length(object$classes),
                      dimnames = list(rownames(object$data), object$classes))
  fold_error <- fold_brier <- numeric(length(folds))
  fold_models <- vector("list", length(folds))
  for (i in seq_along(folds)) {
    test <- folds[[i]]
    refit <- refit_da(object, object$data[-test, , drop = FALSE], class[-test], reselect,
                      n_threads, call)
    fold_models[[i]] <- cbind(fold = i, refit$models)
    fold_posterior <- da_posterior(object$data[test, , drop = FALSE], refit$parameters, prior,
                                   n_threads)
    predicted <- max.col(fold_posterior, ties.method = "first")
    posterior[test, ] <- fold_posterior
    fold_error[i] <- mean(predicted != as.integer(class[test]))
    fold_brier[i] <- brier_score(fold_posterior, class[test])
  }
  sizes <- lengths(folds)
  weighted_mean <- function(v) sum(v * sizes) / sum(sizes)
  # cvMclustDA()'s standard error: a size-weighted standard deviation of the
  # fold values, over the square root of the number of folds.
  weighted_se <- function(v) {
    m <- length(v)
    sqrt(sum((v - weighted_mean(v))^2 * sizes) / (sum(sizes) * (m - 1) / m) / m)
  }
  structure(
    list(
      error = weighted_mean(fold_error),
      error_se = weighted_se(fold_error),
      brier = weighted_mean(fold_brier),
      brier_se = weighted_se(fold_brier),
      classification = factor(object$classes[max.col(posterior, ties.method = "first")],
                              levels = object$classes),
      posterior = posterior,
      folds = folds,
      fold_error = fold_error,
      fold_brier = fold_brier,
      fold_models = do.call(rbind, fold_models),
      reselect = reselect,
      prior = prior,
      type = object$type
    ),
    class = "softmix_da_cv"
  )
}

#' @rdname softmix_da_cv
#' @export
print.softmix_da_cv <- function(x, digits = getOption("digits") - 3, ...) {
  cat(sprintf("Cross-validation of a discriminant analysis (%s), %d folds%s\n", x$type,
              length(x$folds), if (x$reselect) ", models chosen again in each fold" else ""))
  print(data.frame(
    row.names = c("Classification error", "Brier score"),
    estimate = c(x$error, x$brier),
    se = c(x$error_se, x$brier_se)
  ), digits = digits)
  invisible(x)
}

#' Balanced folds drawn exactly as mclust's balancedFolds() draws them (same
#' random numbers): each class's rows shuffled, dealt to the folds in turn,
#' and each fold's classes taken in a random order
#' @noRd
balanced_folds <- function(class, nfold) {
  totals <- table(class)
  largest <- max(totals)
  nfold <- min(nfold, largest)
  ids <- split(seq_along(class), class)
  dealt <- matrix(NA_real_, nrow = ceiling(largest / nfold) * nfold, ncol = length(totals))
  for (i in seq_along(totals)) {
    dealt[seq_len(totals[i]), i] <- if (totals[i] == 1) ids[[i]] else sample(ids[[i]])
  }
  by_fold <- t(matrix(dealt, nrow = nfold))
  # mclust's permuteRows(): each row's entries in a random order.
  order_key <- stats::runif(length(by_fold)) +
    rep(seq_len(nrow(by_fold)) * 10, rep(ncol(by_fold), nrow(by_fold)))
  by_fold <- matrix(t(by_fold)[order(order_key)], nrow(by_fold), ncol(by_fold), byrow = TRUE)
  lapply(seq_len(nfold), function(j) {
    rows <- by_fold[, j]
    as.integer(rows[!is.na(rows)])
  })
}

#' Validate given folds: a list of disjoint row numbers covering 1..n, or a
#' vector with each row's fold
#' @noRd
check_folds <- function(folds, n, call = sys.call(-1)) {
  if (is.list(folds)) {
    rows <- unlist(folds)
    ok <- all(vapply(folds, function(f) is.numeric(f) && length(f) > 0L, logical(1))) &&
      length(rows) == n && !anyNA(rows) && all(rows == round(rows)) &&
      setequal(rows, seq_len(n)) && !anyDuplicated(rows)
    if (!ok) {
      softmix_abort(sprintf(paste(
        "`folds`, a list, must hold non-empty vectors of row numbers that together cover",
        "every row 1..%d exactly once."
      ), n), call)
    }
    folds <- lapply(folds, as.integer)
  } else if (is.atomic(folds) || is.factor(folds)) {
    if (length(folds) != n) {
      softmix_abort(sprintf(
        "`folds`, a vector, must give the fold of each row: %d entries for %d rows.",
        length(folds), n
      ), call)
    }
    if (anyNA(folds)) {
      softmix_abort(sprintf(
        "`folds`, a vector, must give the fold of each row; it is NA for %d row(s), the first being row %d.",
        sum(is.na(folds)), which(is.na(folds))[1L]
      ), call)
    }
    folds <- unname(split(seq_len(n), folds, drop = TRUE))
  } else {
    softmix_abort(sprintf("`folds` must be a list of row numbers or a vector of folds, not %s.",
                          describe_type(folds)), call)
  }
  if (length(folds) < 2L) {
    softmix_abort("`folds` must have at least two folds.", call)
  }
  folds
}

#' A fold's training rows must keep two rows of every class
#' @noRd
check_fold_classes <- function(training_class, fold, classes, call = sys.call(-1)) {
  sizes <- table(factor(training_class, levels = classes))
  if (any(sizes < 2L)) {
    small <- names(sizes)[sizes < 2L][1]
    softmix_abort(sprintf(paste(
      "Fold %d leaves %d training row(s) of class \"%s\"; each class needs two. Use fewer",
      "folds (`nfold`) or other `folds`."
    ), fold, sizes[[small]], small), call)
  }
}

#' Each class's mixture refitted to a fold's training rows: the object's
#' choices (reselect = FALSE) or a new selection among its candidates. Returns
#' the parameters and a data frame of the models fitted (class, model, k,
#' loglik on the training rows).
#' @noRd
refit_da <- function(object, data, class, reselect, n_threads, call) {
  settings <- object$settings
  if (object$type == "EDDA") {
    models <- if (reselect) settings$model[[1L]] else object$model[[1L]]
    fit <- fit_edda(data, class, models, object$control, n_threads, call)
    return(list(parameters = fit$parameters,
                models = data.frame(class = "all classes", model = fit$model[[1L]], k = 1L,
                                    loglik = fit$loglik, stringsAsFactors = FALSE)))
  }
  fits <- if (reselect) {
    fit_mclustda(data, class, settings, object$criterion, object$control, n_threads,
                 call)$fits
  } else {
    lapply(object$classes, function(level) {
      rows <- data[class == level, , drop = FALSE]
      fit_kept_class(rows, object$k[[level]], object$model[[level]], object, n_threads, level,
                     call)
    })
  }
  list(parameters = lapply(fits, `[[`, "parameters"),
       models = data.frame(class = object$classes, model = vapply(fits, `[[`, "", "model"),
                           k = vapply(fits, `[[`, 0L, "k"),
                           loglik = vapply(fits, `[[`, 0, "loglik"), stringsAsFactors = FALSE,
                           row.names = NULL))
}

#' A class's mixture with the kept (k, model), with fewer components while
#' the fit fails or is degenerate, as cvMclustDA() does
#' @noRd
fit_kept_class <- function(rows, k, model, object, n_threads, level, call) {
  k <- min(k, nrow(rows))
  repeat {
    degenerate <- FALSE
    fit <- tryCatch(
      withCallingHandlers(
        do.call(softmix, c(list(rows, k = k, model = model, control = object$control,
                                n_threads = n_threads), class_fit_dots(object$settings$dots))),
        softmix_warning = function(w) {
          # A degenerate single fit warns; it is retried with fewer components.
          if (grepl("degenerate", conditionMessage(w), fixed = TRUE)) {
            degenerate <<- TRUE
            if (k > 1L) invokeRestart("muffleWarning")
          }
        }
      ),
      softmix_error = function(e) e
    )
    if (k == 1L || (inherits(fit, "softmix") && !degenerate)) break
    k <- k - 1L
  }
  if (inherits(fit, "softmix_error")) {
    softmix_abort(sprintf("Class \"%s\" could not be fitted in a fold: %s", level,
                          conditionMessage(fit)), call)
  }
  fit
}
