#' Refit a mixture with changed arguments
#'
#' Calls [softmix()] again with the fit's stored call (`object$call`), the
#' arguments in `...` replacing or adding to the original ones; an argument
#' given as `NULL` is removed. For example `update(fit, k = 3)` or
#' `update(fit, model = "EEE", init = "kmeans++")`.
#'
#' As [stats::update()] does, the call is evaluated where `update()` is
#' called, so the original expressions are evaluated again there: a changed
#' data set gives a fit of the changed data, and an `init = "kmeans++"`
#' start draws from R's random number generator again (use [set.seed()]
#' before both calls for the same draws). When the data were a local
#' variable of another function and cannot be found there, the fit's stored
#' copies are used instead: `object$data` for `x`, and `object$weights`,
#' `object$labels` and `object$control` for `weights`, `labels` and
#' `control`. The new fit's call keeps the original expressions. Any other
#' argument that cannot be found (a starting `init` held in a local
#' variable, say) is an error of class `softmix_error` that names it: give
#' its value to `update()`.
#'
#' @param object A `softmix` fit.
#' @param ... Arguments of [softmix()] to change, by name.
#' @param evaluate If `FALSE`, return the updated call instead of fitting.
#' @return A new `softmix` fit, or the updated call.
#' @seealso [softmix()] for the arguments.
#' @family softmix methods
#' @importFrom stats update
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' fit3 <- update(fit, k = 3)
#' c(fit$bic, fit3$bic)
#' update(fit, model = "EEE", evaluate = FALSE)
#'
#' # data held in a function's local variable
#' fit_local <- function() {
#'   waiting <- faithful$waiting
#'   softmix(waiting, k = 2, n_threads = 1)
#' }
#' update(fit_local(), k = 3)
update.softmix <- function(object, ..., evaluate = TRUE) {
  call <- object$call
  if (is.null(call)) {
    softmix_abort("`object` has no stored call (`$call`) to update.")
  }
  evaluate <- check_flag(evaluate, "evaluate")
  changes <- match.call(expand.dots = FALSE)$...
  if (length(changes) > 0L && (is.null(names(changes)) || !all(nzchar(names(changes))))) {
    softmix_abort("The arguments in `...` must be named, as in `update(fit, k = 3)`.")
  }
  # A NULL value removes the argument, as `[[<-` does on a call.
  for (name in names(changes)) call[[name]] <- changes[[name]]
  if (!evaluate) return(call)

  env <- parent.frame()
  eval_env <- new.env(parent = env)
  stored <- list(
    x = object$data,
    weights = object$weights,
    labels = stored_labels(object$labels),
    control = object$control
  )
  # A name found only as a function (a local `df` or `data`, where the
  # caller's frame is gone, finds stats::df or utils::data) is not data.
  found <- function(v) exists(v, envir = env) && !is.function(get(v, envir = env))
  original <- call
  replaced <- character(0)
  for (name in setdiff(names(call)[-1L], c("", names(changes)))) {
    missing_vars <- Filter(Negate(found), free_symbols(call[[name]]))
    if (length(missing_vars) == 0L) next
    if (name %in% names(stored) && !is.null(stored[[name]])) {
      stand_in <- paste0(".softmix_stored_", name)
      assign(stand_in, stored[[name]], envir = eval_env)
      call[[name]] <- as.name(stand_in)
      replaced <- c(replaced, name)
    } else {
      softmix_abort(sprintf(paste(
        "`update()` cannot find %s, which `%s` uses in the original call, where it is called;",
        "give `%s` to update()."
      ), quote_names(missing_vars), name, name))
    }
  }
  # Stored weights and labels hold the fitted rows only; `x` found again
  # holds the rows dropped for missing values too, which get weight 0 and
  # no label (they are dropped again).
  dropped <- object$missing$dropped
  if (!"x" %in% replaced && length(dropped) > 0L) {
    for (name in intersect(replaced, c("weights", "labels"))) {
      stand_in <- paste0(".softmix_stored_", name)
      fitted_rows <- get(stand_in, envir = eval_env)
      all_rows <- rep(if (name == "weights") 0 else NA, length(fitted_rows) + length(dropped))
      if (is.factor(fitted_rows)) all_rows <- factor(all_rows, levels = levels(fitted_rows))
      all_rows[-dropped] <- fitted_rows
      assign(stand_in, all_rows, envir = eval_env)
    }
  }
  fit <- eval(call, eval_env)
  if (inherits(fit, "softmix")) {
    for (name in replaced) fit$call[[name]] <- original[[name]]
  }
  fit
}

#' The known labels of a fit as softmix() takes them: a factor with the
#' stored level names, or component numbers; NULL for none
#' @noRd
stored_labels <- function(known) {
  if (is.null(known)) return(NULL)
  if (is.null(known$names)) return(known$labels)
  factor(known$names[known$labels], levels = known$names)
}

#' The names an expression looks up: its symbols, less the function names,
#' the element names after `$` or `@` and the names in `pkg::name`
#' @noRd
free_symbols <- function(expr) {
  if (is.name(expr)) {
    name <- as.character(expr)
    return(if (nzchar(name)) name else character(0))
  }
  if (!is.call(expr)) return(character(0))
  operator <- expr[[1L]]
  arguments <- as.list(expr)[-1L]
  if (is.name(operator) && as.character(operator) %in% c("::", ":::")) return(character(0))
  if (is.name(operator) && as.character(operator) %in% c("$", "@")) {
    arguments <- arguments[1L]
  }
  heads <- if (is.name(operator)) character(0) else free_symbols(operator)
  unique(c(heads, unlist(lapply(arguments, free_symbols), use.names = FALSE)))
}
