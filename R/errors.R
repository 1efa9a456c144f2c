# Every error softmix raises has class `softmix_error`, so scripts can catch
# them apart from other failures.

#' Signal a softmix error
#' @param message The message; it should name the argument at fault.
#' @param call The call to report, by default the user-facing caller.
#' @param class Classes to put before `softmix_error`.
#' @noRd
softmix_abort <- function(message, call = sys.call(-1), class = NULL) {
  condition <- structure(
    class = c(class, "softmix_error", "error", "condition"),
    list(message = message, call = call)
  )
  stop(condition)
}

#' Evaluate a call into the C++ core, turning its errors into softmix errors
#' @noRd
call_core <- function(expr, call = sys.call(-1)) {
  tryCatch(expr, error = function(e) {
    if (inherits(e, "softmix_error")) stop(e)
    softmix_abort(conditionMessage(e), call = call)
  })
}

#' Signal a softmix warning, of class `softmix_warning`
#' @param message The message.
#' @param call The call to report, by default the user-facing caller.
#' @noRd
softmix_warn <- function(message, call = sys.call(-1)) {
  condition <- structure(
    class = c("softmix_warning", "warning", "condition"),
    list(message = message, call = call)
  )
  warning(condition)
}
