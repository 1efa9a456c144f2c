# Which compiled kernels run the E and M steps. The core picks the best the
# CPU supports (AVX-512, AVX2+FMA or portable code); these internal helpers
# let tests and benchmarks force one. The environment variable
# SOFTMIX_KERNEL does the same when set before the first fit.

#' Read or set the kernels in use
#'
#' @param name `NULL` to read, or one of `supported_kernels()` to set.
#' @return The active kernel's name (invisibly the previous one when
#'   setting).
#' @noRd
softmix_kernel <- function(name = NULL) {
  old <- active_kernel_cpp()
  if (is.null(name)) return(old)
  if (!is.character(name) || length(name) != 1L || !set_kernel_cpp(name)) {
    softmix_abort(sprintf("`name` must be one of %s.",
                          paste0("\"", supported_kernels(), "\"", collapse = ", ")))
  }
  invisible(old)
}

#' The kernels this CPU can run, portable first and best last
#' @noRd
supported_kernels <- function() {
  supported_kernels_cpp()
}
