#' Read or set the default number of threads
#'
#' softmix runs its E and M steps on several threads with OpenMP. Results do
#' not depend on the thread count: every fit is bit-identical for 1, 2 or 16
#' threads, because the data are cut into blocks of fixed size and their
#' partial sums are added in block order.
#'
#' The default is at most 2 threads, so that softmix is a good neighbour on
#' shared machines; set more with `softmix_threads(n)`, or per call with the
#' `n_threads` argument of [softmix()] and the other functions. Every count
#' is capped by the environment variable `OMP_THREAD_LIMIT` and by the number
#' of processors R may run on (more threads would only wait on each other).
#' softmix never
#' calls `omp_set_num_threads()`, so it does not change the thread settings of
#' R or other packages.
#'
#' A process forked from R (as by [parallel::mclapply()]) runs softmix on
#' one thread, because the OpenMP thread pool of its parent does not survive
#' the fork. The vignette `vignette("speed", package = "softmix")` says more.
#'
#' @param n `NULL` to read the default, or a whole number of threads to set
#'   it (the option `softmix.threads` holds it).
#' @return The number of threads a call without `n_threads` will use, after
#'   the caps by `OMP_THREAD_LIMIT` and the number of processors (1 when
#'   softmix was built without OpenMP). When setting, the previous value,
#'   invisibly.
#' @family threads
#' @export
#' @examples
#' softmix_threads()
#' old <- softmix_threads(1)
#' softmix_threads()
#' softmix_threads(old)
#'
#' # the thread count does not change the fit
#' set.seed(1)
#' x <- rmixture(2000, mixture_params(c(0.5, 0.5), rbind(c(0, 0), c(3, 3)), diag(2)))
#' set.seed(2)
#' one <- softmix(x, k = 2, n_threads = 1)
#' set.seed(2)
#' two <- softmix(x, k = 2, n_threads = 2)
#' identical(one$posterior, two$posterior)
softmix_threads <- function(n = NULL) {
  if (is.null(n)) {
    return(resolve_threads(NULL))
  }
  n <- check_count(n, "n", min = 1)
  old <- resolve_threads(NULL)
  options(softmix.threads = n)
  invisible(old)
}

#' The thread count for one call: the argument, else the package default
#' (option `softmix.threads`), else min(2, what OpenMP offers); capped by
#' OMP_THREAD_LIMIT and the processors.
#' @noRd
resolve_threads <- function(n_threads, call = sys.call(-1)) {
  arg <- "n_threads"
  if (is.null(n_threads)) {
    n_threads <- getOption("softmix.threads")
    # A bad option is named as such, not as the argument the user left out.
    if (!is.null(n_threads)) arg <- "options(softmix.threads)" else
      n_threads <- min(2L, available_threads_cpp())
  }
  n_threads <- check_count(n_threads, arg, min = 1, call = call)
  cap_threads_cpp(n_threads)
}
