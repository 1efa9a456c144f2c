# softmix benchmark: `make bench` (run from the package root).
#
# Times a fixed number of EM iterations of softmix against mclust, Armadillo's
# gmm_full/gmm_diag (through RcppArmadillo) and scikit-learn's
# GaussianMixture, all in this one R process and from identical starting
# parameters; checks that every peer ends at the same log-likelihood;
# relates softmix's speed to the machine's measured FMA peak; measures
# softmix's peak memory; and writes that to bench/per-iteration.md and to
# bench/results.md, which gathers every part's report. Then
# runs bench/selection.R (whole model selections against Mclust(), idle and
# under load), bench/acceleration.R (accelerated against plain EM) and
# bench/weights.R (weighted against unweighted EM, and unweighted against
# the version before weights), bench/noise-prior.R and bench/small-d.R
# (small d against a floor measured on this machine, printing softmix's
# time as a percentage of it for every case) and appends their reports
# (see the end of this file).
#
# Environment variables (for quick trials, not for the published numbers):
#   SOFTMIX_BENCH_SCALE  multiplies every n (default 1)
#   SOFTMIX_BENCH_REPS   repetitions per timing, median reported (default 3)
#   SOFTMIX_BENCH_QUICK  1: selection, acceleration and weights on tiny subsets
#   SOFTMIX_BENCH_SKIP   selection, acceleration, weights, noise-prior, small-d,
#                        cluster and/or file (comma-separated):
#                        not run

bench_started <- Sys.time()
# The machine may be shared: the load average before and after goes into the
# report so that odd timings can be read against it.
load_average <- function() {
  if (!file.exists("/proc/loadavg")) return(NA_character_)
  paste(strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3], collapse = " ")
}
load_at_start <- load_average()
bench_dir <- "bench"
if (!file.exists(file.path(bench_dir, "run.R"))) {
  stop("run bench/run.R from the softmix package root (as `make bench` does)")
}

# Setup -----------------------------------------------------------------------

# The peers come from CRAN: tools/install-deps.R installs what is missing
# (so repeated runs touch the network at most once), asking a fresh R which
# packages load, and says what to set when no CRAN mirror is.
status <- system2(file.path(R.home("bin"), "Rscript"),
                  c(file.path("tools", "install-deps.R"), "mclust", "RcppArmadillo", "reticulate"))
if (!identical(as.integer(status), 0L)) stop("tools/install-deps.R could not install the peers")

library(softmix)

env_number <- function(name, default) {
  value <- suppressWarnings(as.numeric(Sys.getenv(name, "")))
  if (is.na(value) || value <= 0) default else value
}
scale_n <- env_number("SOFTMIX_BENCH_SCALE", 1)
n_reps <- as.integer(env_number("SOFTMIX_BENCH_REPS", 3))
thread_counts <- c(1L, 2L)
python_path <- "/usr/bin/python3"

# scikit-learn runs through reticulate in this process. Returns the loaded
# helper module, or a string saying why scikit-learn is unavailable: the
# sklearn columns then read NA and the bench goes on.
setup_sklearn <- function() {
  if (!requireNamespace("reticulate", quietly = TRUE)) {
    return("the R package reticulate could not be installed")
  }
  if (!file.exists(python_path)) return(paste(python_path, "does not exist"))
  can_import <- function() {
    status <- suppressWarnings(system2(
      python_path, c("-c", shQuote("import sklearn, threadpoolctl")),
      stdout = FALSE, stderr = FALSE
    ))
    identical(as.integer(status), 0L)
  }
  if (!can_import()) {
    is_root <- identical(unname(Sys.info()[["effective_user"]]), "root")
    if (is_root && nzchar(Sys.which("apt-get"))) {
      message("Installing python3-sklearn with apt-get")
      system("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn >/dev/null")
    }
    if (!can_import()) {
      return(sprintf("%s cannot import sklearn and threadpoolctl (python3-sklearn is not installed%s)",
                     python_path, if (is_root) " and apt-get could not install it" else "; install it as root"))
    }
  }
  # Pin the interpreter before reticulate starts one (a pyenv shim or an
  # r-reticulate virtualenv would not see Debian's scikit-learn).
  Sys.setenv(RETICULATE_PYTHON = python_path)
  # no __pycache__ left behind in bench/
  Sys.setenv(PYTHONDONTWRITEBYTECODE = "1")
  module <- tryCatch({
    reticulate::use_python(python_path, required = TRUE)
    reticulate::import_from_path("sklearn_fit", path = bench_dir, convert = FALSE)
  }, error = function(e) conditionMessage(e))
  if (is.character(module)) return(paste("reticulate could not load scikit-learn:", module))
  module
}

sklearn <- setup_sklearn()
sklearn_ok <- !is.character(sklearn)
if (!sklearn_ok) message("scikit-learn columns will be NA: ", sklearn)

message("Compiling the FMA peak kernel and the Armadillo peer")
Rcpp::sourceCpp(file.path(bench_dir, "peak_flops.cpp"))
Rcpp::sourceCpp(file.path(bench_dir, "gmm_arma.cpp"))
Rcpp::sourceCpp(file.path(bench_dir, "heap_trim.cpp"))

# Helpers ---------------------------------------------------------------------

elapsed <- function() proc.time()[["elapsed"]]

# Runs `fit()` once and returns its value with the wall-clock seconds it took
# as attribute "seconds". Garbage is collected first so that a collection
# triggered by an earlier run is not billed to this one.
timed <- function(fit) {
  gc(verbose = FALSE)
  start <- elapsed()
  value <- fit()
  seconds <- elapsed() - start
  # a peer may time itself more precisely (scikit-learn times only fit())
  if (is.list(value) && !is.null(value$seconds)) seconds <- value$seconds
  attr(value, "seconds") <- seconds
  value
}

# Peak extra resident memory of `fit()`: the high-water mark of the process
# after the fit minus its resident size before, in bytes. Linux only; NA
# elsewhere. Writing "5" to clear_refs resets the high-water mark; freed heap
# pages are handed back first (see heap_trim.cpp) so that the fit cannot hide
# its allocations in memory that is resident already.
peak_memory <- function(fit) {
  status_kb <- function(field) {
    line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
    as.numeric(gsub("[^0-9]", "", line)) * 1024
  }
  if (!file.exists("/proc/self/clear_refs")) return(NA_real_)
  gc(verbose = FALSE)
  gc(verbose = FALSE)
  release_free_heap()
  before <- status_kb("VmRSS")
  reset <- tryCatch({
    writeLines("5", "/proc/self/clear_refs")
    TRUE
  }, error = function(e) FALSE, warning = function(w) FALSE)
  if (!reset) return(NA_real_)
  result <- fit()
  peak <- status_kb("VmHWM")
  rm(result)
  peak - before
}

# Mixture parameters that are well separated but overlap: means spread so
# that two components are about 4 standard deviations apart whatever d is,
# covariances of varied orientation, shape and volume.
make_params <- function(d, k, model) {
  means <- matrix(stats::rnorm(k * d, sd = 4 / sqrt(2 * d)), k, d)
  covariances <- array(0, c(d, d, k))
  for (j in seq_len(k)) {
    volume <- stats::runif(1, 0.5, 1.5)
    covariances[, , j] <- if (model == "VVI") {
      diag(volume * stats::runif(d, 0.5, 2), d)
    } else {
      a <- matrix(stats::rnorm(d * d), d, d)
      volume * (crossprod(a) / d + diag(0.5, d))
    }
  }
  proportions <- stats::runif(k, 1, 2)
  mixture_params(proportions / sum(proportions), means, covariances)
}

# softmix_control() for the runs of a fixed number of iterations: plain EM,
# without the extrapolation of softmix's default (`accelerate`, in versions
# that have it), so that every peer does the same E+M rounds.
plain_control <- function(...) {
  args <- list(...)
  if ("accelerate" %in% names(formals(softmix_control))) args$accelerate <- FALSE
  do.call(softmix_control, args)
}

# A benchmark case: the data and the starting parameters every peer gets.
# The start is softmix's own k-means++ initialisation and one plain EM
# iteration (softmix_control() refuses max_iter = 0 now), so EM begins near a
# sensible solution, as it does in practice.
make_case <- function(model, n, d, k, seed) {
  # a scaled-down trial still needs enough points per covariance entry
  n <- max(as.integer(10 * k * d), 1000L, as.integer(round(n * scale_n)))
  set.seed(seed)
  x <- rmixture(n, make_params(d, k, model))
  attr(x, "component") <- NULL
  set.seed(seed + 1L)
  start <- suppressWarnings(  # "stopped at max_iter = 1 before converging"
    softmix(x, k, model, init = "kmeans++", control = plain_control(max_iter = 1))
  )$parameters
  list(model = model, n = n, d = d, k = k, x = x, start = start)
}

# softmix's parameters in each peer's form, and back --------------------------

to_mclust <- function(params, model) {
  d <- ncol(params$means)
  k <- length(params$proportions)
  sigma <- params$covariances
  variance <- list(modelName = model, d = d, G = k, sigma = sigma)
  if (model == "VVV") {
    variance$cholsigma <- array(apply(sigma, 3, chol), c(d, d, k))
  } else {
    # VVI is sigma_k = scale_k * diag(shape_k) with prod(shape_k) = 1
    variances <- apply(sigma, 3, diag)
    variance$scale <- apply(variances, 2, function(v) exp(mean(log(v))))
    variance$shape <- sweep(variances, 2, variance$scale, "/")
  }
  list(pro = params$proportions, mean = t(params$means), variance = variance)
}

from_mclust <- function(fit) {
  p <- fit$parameters
  mixture_params(p$pro, t(p$mean), p$variance$sigma)
}

from_arma <- function(fit, model) {
  covs <- if (model == "VVI") {
    array(apply(fit$covs, 2, diag), c(nrow(fit$covs), nrow(fit$covs), ncol(fit$covs)))
  } else {
    fit$covs
  }
  mixture_params(fit$hefts / sum(fit$hefts), t(fit$means), covs)
}

from_sklearn <- function(fit, model) {
  covs <- fit$covariances
  covs <- if (model == "VVI") {
    array(apply(covs, 1, diag), c(ncol(covs), ncol(covs), nrow(covs)))
  } else {
    aperm(covs, c(2, 3, 1))
  }
  weights <- as.numeric(fit$weights)
  mixture_params(weights / sum(weights), fit$means, covs)
}

# The peers ---------------------------------------------------------------------
# Each runner returns list(params, iterations) after timed(): `n_iter` EM
# iterations from case$start with `threads` threads, no convergence test, no
# ridge. prep() does the one-off conversions outside the timed region.

run_softmix <- function(case, n_iter, threads, prep) {
  # tol = 0: it stops at max_iter by design, so its warning says nothing
  fit <- suppressWarnings(softmix(case$x, case$k, case$model, init = case$start,
                                  control = plain_control(max_iter = n_iter, tol = 0, reg = 0),
                                  n_threads = threads))
  list(params = fit$parameters, iterations = fit$iterations, trace = fit$loglik_trace)
}

# mclust's per-model functions (estepVVV, meVVI, ...). Called directly
# because the generic estep()/me() look them up unqualified, which needs
# mclust attached, and the bench keeps the search path clean.
mclust_step <- function(step, model) getExportedValue("mclust", paste0(step, model))

# mclust::em() is estep() + me() + one more mstep(), and in mclust 6 it
# returns only that last M step's result, without the iteration count. The
# bench runs estep() + me() itself: the same t E+M rounds and final E step as
# the other peers, and me() reports its iterations (negative when it stopped
# at itmax). tol = 0 turns the convergence test off.
mclust_em <- function(x, model, start, control) {
  z <- mclust_step("estep", model)(x, parameters = start)$z
  fit <- mclust_step("me", model)(x, z = z, control = control, warn = FALSE)
  fit$iterations <- abs(attr(fit, "info")[["iterations"]])
  fit
}

run_mclust <- function(case, n_iter, threads, prep) {
  fit <- mclust_em(case$x, case$model, prep$mclust_start,
                   mclust::emControl(itmax = n_iter, tol = 0))
  list(params = fit, iterations = fit$iterations)
}

run_arma <- function(case, n_iter, threads, prep) {
  start <- case$start
  fit <- if (case$model == "VVI") {
    arma_gmm_diag(prep$xt, t(start$means), apply(start$covariances, 3, diag),
                  start$proportions, n_iter, threads)
  } else {
    arma_gmm_full(prep$xt, t(start$means), start$covariances, start$proportions,
                  n_iter, threads)
  }
  # learn() reports no iteration count; see the early-stop check in run_case()
  list(params = fit, iterations = NA_integer_)
}

run_sklearn <- function(case, n_iter, threads, prep) {
  start <- case$start
  covs <- if (case$model == "VVI") {
    t(apply(start$covariances, 3, diag))
  } else {
    aperm(start$covariances, c(3, 1, 2))
  }
  fit <- sklearn$fit_em(prep$x_py, start$proportions, start$means, covs,
                        if (case$model == "VVI") "diag" else "full",
                        as.integer(n_iter), as.integer(threads))
  # converted after fit() was timed, in Python
  fit <- reticulate::py_to_r(fit)
  list(params = fit, iterations = fit$iterations, seconds = fit$seconds)
}

peer_names <- c("softmix", "mclust", "gmm", "sklearn")
runners <- list(softmix = run_softmix, mclust = run_mclust, gmm = run_arma,
                sklearn = run_sklearn)
to_params <- list(
  softmix = function(fit, model) fit,
  mclust = function(fit, model) from_mclust(fit),
  gmm = from_arma,
  sklearn = from_sklearn
)

# Whether a peer really runs with `threads` threads here. mclust is serial
# Fortran; GaussianMixture is parallel only through numpy's BLAS, and a
# reference BLAS (not seen by threadpoolctl) is serial. A serial peer is timed
# once and its 1-thread time is reported for 2 threads as well.
sklearn_parallel <- sklearn_ok && reticulate::py_to_r(sklearn$has_threaded_blas())
peer_is_parallel <- c(softmix = TRUE, mclust = FALSE, gmm = arma_gmm_uses_openmp(),
                      sklearn = sklearn_parallel)

# Flops of one EM iteration as counted here: 2 n K d^2 for full covariances
# (the quadratic form in the E step and the scatter in the M step, d^2/2
# multiply-adds each per point and component), 4 n K d for diagonal ones.
flops_per_iter <- function(model, n, d, k) {
  ifelse(model == "VVI", 4 * n * k * d, 2 * n * k * d^2)
}

rel_diff <- function(a, b) abs(a - b) / abs(b)

# One case: every (peer, threads) `n_reps` times, interleaved so that a burst
# of background load hits all peers alike rather than one of them.
run_case <- function(spec, seed) {
  case <- make_case(spec$model, spec$n, spec$d, spec$k, seed)
  n_iter <- spec$iter
  message(sprintf("Case %s n=%d d=%d K=%d: %d EM iterations x %d repetitions",
                  case$model, case$n, case$d, case$k, n_iter, n_reps))
  prep <- list(mclust_start = to_mclust(case$start, case$model), xt = t(case$x))
  if (sklearn_ok) prep$x_py <- sklearn$as_points(case$x)
  peers <- if (sklearn_ok) peer_names else setdiff(peer_names, "sklearn")
  runs <- list()
  for (rep in seq_len(n_reps)) {
    for (threads in thread_counts) {
      for (peer in peers) {
        if (threads > 1L && !peer_is_parallel[[peer]]) next
        key <- paste(peer, threads)
        # What the machine delivers right now: one FMA burst just before
        # softmix's fit, on as many threads (see pct_burst below).
        if (peer == "softmix") {
          runs[[key]]$burst <- c(runs[[key]]$burst, peak_gflops(threads))
        }
        fit <- tryCatch(timed(function() runners[[peer]](case, n_iter, threads, prep)),
                        error = function(e) e)
        if (inherits(fit, "error")) {
          message(sprintf("  %s, %d thread(s) failed: %s", peer, threads, conditionMessage(fit)))
          runs[[key]] <- list(seconds = NA_real_, fit = NULL)
          next
        }
        runs[[key]]$seconds <- c(runs[[key]]$seconds, attr(fit, "seconds"))
        runs[[key]]$fit <- fit
      }
    }
  }
  ll_softmix <- NULL
  rows <- list()
  for (threads in thread_counts) {
    row <- data.frame(model = case$model, n = case$n, d = case$d, K = case$k,
                      threads = threads, iters = n_iter)
    for (peer in peer_names) {
      key <- paste(peer, if (peer_is_parallel[[peer]]) threads else 1L)
      run <- runs[[key]]
      seconds <- if (is.null(run)) NA_real_ else stats::median(run$seconds)
      row[[paste0(peer, "_s")]] <- seconds / n_iter
      row[[paste0(peer, "_spread")]] <- if (is.null(run)) NA_real_ else
        diff(range(run$seconds)) / stats::median(run$seconds)
      loglik <- NA_real_
      iterations <- NA_integer_
      if (!is.null(run$fit)) {
        iterations <- run$fit$iterations
        params <- tryCatch(to_params[[peer]](run$fit$params, case$model),
                           error = function(e) NULL)
        if (!is.null(params)) loglik <- e_step(case$x, params, n_threads = 2)$loglik
      }
      if (peer == "softmix") ll_softmix <- loglik
      row[[paste0(peer, "_loglik")]] <- loglik
      row[[paste0(peer, "_iters")]] <- iterations
    }
    # softmix's rate in each repetition over the burst run just before it,
    # median over repetitions: its efficiency against the FMA rate the
    # machine offered at that moment, which on a shared machine varies.
    own <- runs[[paste("softmix", threads)]]
    row$pct_burst <- if (length(own$burst) == length(own$seconds)) {
      stats::median(100 * flops_per_iter(case$model, case$n, case$d, case$k) /
                      (own$seconds / n_iter) / 1e9 / own$burst)
    } else {
      NA_real_  # a failed fit dropped the bursts
    }
    for (peer in setdiff(peer_names, "softmix")) {
      row[[paste0("dll_", peer)]] <- rel_diff(row[[paste0(peer, "_loglik")]], ll_softmix)
    }
    # Armadillo stops early once its average log-likelihood changes by at most
    # machine epsilon between iterations; softmix's trace shows whether that
    # could have happened within these iterations.
    trace <- runs[[paste("softmix", threads)]]$fit$trace
    row$gmm_may_stop_early <- !is.null(trace) &&
      min(abs(diff(trace))) / case$n <= .Machine$double.eps
    # How much the last iteration still moved the log-likelihood: a peer that
    # ran one iteration more or fewer would be off by about this much, so a
    # dll far below it means the peers really did the same iterations.
    row$last_step <- if (is.null(trace)) NA_real_ else
      rel_diff(trace[length(trace)], trace[length(trace) - 1L])
    row$mem_bytes <- tryCatch(
      peak_memory(function() run_softmix(case, n_iter, threads, prep)),
      error = function(e) NA_real_
    )
    row$mem_base <- 8 * case$n * case$d + 8 * case$n * case$k
    rows[[length(rows) + 1L]] <- row
  }
  do.call(rbind, rows)
}

# Peak FLOP rate ----------------------------------------------------------------

message("Measuring the FMA peak")
# The peak is the best of several short runs: anything lower is the machine
# being busy, not its capability.
measure_peak <- function(threads, reps = 7L) {
  max(vapply(seq_len(reps), function(i) peak_gflops(threads), numeric(1)))
}
peak_gflops(1L, 1e6)  # warm up (frequency ramp, page faults)
peak <- vapply(thread_counts, measure_peak, numeric(1))
names(peak) <- thread_counts

# Main table ---------------------------------------------------------------------

# iter: EM iterations timed per repetition: enough that the one-off work of
# a fitting call (checking the data, the final E step, building the result)
# weighs little in the time per iteration; 5 for the diagonal case, whose
# slowest peers take seconds per iteration on a million points.
case_specs <- list(
  list(model = "VVV", n = 200000, d = 10, k = 8, iter = 10),
  list(model = "VVV", n = 100000, d = 32, k = 16, iter = 10),
  list(model = "VVV", n = 20000, d = 50, k = 5, iter = 10),
  list(model = "VVV", n = 1000000, d = 2, k = 5, iter = 10),
  list(model = "VVI", n = 1000000, d = 16, k = 16, iter = 5)
)

results <- do.call(rbind, lapply(seq_along(case_specs), function(i) {
  run_case(case_specs[[i]], seed = 1000L * i)
}))

# Measured again now and the better kept: one busy moment at the start must
# not make softmix look closer to the peak than it is.
peak <- pmax(peak, vapply(thread_counts, measure_peak, numeric(1)))

results$gflops <- flops_per_iter(results$model, results$n, results$d, results$K) /
  results$softmix_s / 1e9
results$pct_peak <- 100 * results$gflops / peak[as.character(results$threads)]
results$mem_ratio <- results$mem_bytes / results$mem_base
loglik_tol <- 1e-8
dll <- as.matrix(results[paste0("dll_", c("mclust", "gmm", "sklearn"))])
results$agree <- ifelse(apply(dll, 1, function(v) any(v > loglik_tol, na.rm = TRUE)),
                        "NO", "yes")

# Whole fits to convergence ------------------------------------------------------

message("Default fit to convergence (VVV, n=1e6, d=2, K=5)")
conv_case <- make_case("VVV", 1000000, 2, 5, seed = 4000L)
conv_start_mclust <- to_mclust(conv_case$start, "VVV")
has_accelerate <- "accelerate" %in% names(formals(softmix_control))
default_label <- if (has_accelerate) "tol 1e-8, reg 1e-6, accelerated" else "tol 1e-8, reg 1e-6"
conv_runs <- list(
  list(label = sprintf("softmix, default control (%s), 1 thread", default_label),
       fit = function() {
         f <- softmix(conv_case$x, 5, model = "VVV", init = conv_case$start, n_threads = 1)
         list(iterations = f$iterations, loglik = f$loglik)
       }),
  list(label = sprintf("softmix, default control (%s), 2 threads (the default)", default_label),
       fit = function() {
         f <- softmix(conv_case$x, 5, model = "VVV", init = conv_case$start)
         list(iterations = f$iterations, loglik = f$loglik)
       }),
  if (has_accelerate) list(
    label = "softmix, plain EM (accelerate = FALSE, tol 1e-8, reg 1e-6), 2 threads",
    fit = function() {
      f <- softmix(conv_case$x, 5, model = "VVV", init = conv_case$start,
                   control = softmix_control(accelerate = FALSE))
      list(iterations = f$iterations, loglik = f$loglik)
    }),
  list(label = "mclust estep + me, tol 1e-8 (softmix's criterion)",
       fit = function() {
         f <- mclust_em(conv_case$x, "VVV", conv_start_mclust, mclust::emControl(tol = 1e-8))
         list(iterations = f$iterations, loglik = f$loglik)
       }),
  list(label = "mclust estep + me, default emControl() (tol 1e-5)",
       fit = function() {
         f <- mclust_em(conv_case$x, "VVV", conv_start_mclust, mclust::emControl())
         list(iterations = f$iterations, loglik = f$loglik)
       })
)
conv_runs <- Filter(Negate(is.null), conv_runs)
convergence <- do.call(rbind, lapply(conv_runs, function(run) {
  fits <- lapply(seq_len(n_reps), function(i) timed(run$fit))
  seconds <- vapply(fits, attr, numeric(1), "seconds")
  data.frame(fit = run$label, seconds = stats::median(seconds),
             iterations = fits[[1]]$iterations, loglik = fits[[1]]$loglik,
             s_per_iter = stats::median(seconds) / fits[[1]]$iterations)
}))
conv_n <- conv_case$n
rm(conv_case)

# Linear cost in n and K ------------------------------------------------------------

message("Scaling in n and K (softmix, 1 thread)")
scaling_iter <- 10L
# softmix alone is cheap, so more repetitions steady these medians
scaling_reps <- max(n_reps, 5L)
scaling_specs <- data.frame(n = c(50000, 100000, 200000, 100000, 100000),
                            d = 10, K = c(8, 8, 8, 4, 16))
scaling <- do.call(rbind, lapply(seq_len(nrow(scaling_specs)), function(i) {
  spec <- scaling_specs[i, ]
  case <- make_case("VVV", spec$n, spec$d, spec$K, seed = 5000L + spec$K)
  seconds <- vapply(seq_len(scaling_reps), function(r) {
    attr(timed(function() run_softmix(case, scaling_iter, 1L, NULL)), "seconds")
  }, numeric(1))
  s_iter <- stats::median(seconds) / scaling_iter
  data.frame(n = case$n, d = case$d, K = case$k, s_per_iter = s_iter,
             ns_per_point_component = 1e9 * s_iter / (case$n * case$k))
}))
scaling$relative <- scaling$ns_per_point_component / scaling$ns_per_point_component[2]

# Report ---------------------------------------------------------------------------

fmt_s <- function(x) ifelse(is.na(x), "NA", formatC(x, format = "g", digits = 3))
fmt_x <- function(x) ifelse(is.na(x), "NA", sprintf("%.1fx", x))
fmt_e <- function(x) ifelse(is.na(x), "NA", formatC(x, format = "e", digits = 1))
fmt_f <- function(x, digits = 1) ifelse(is.na(x), "NA", formatC(x, format = "f", digits = digits))

main_table <- with(results, data.frame(
  case = sprintf("%s n=%s d=%d K=%d", model, format(n, big.mark = ",", scientific = FALSE, trim = TRUE), d, K),
  threads = threads,
  iters = iters,
  softmix = fmt_s(softmix_s),
  mclust = fmt_s(mclust_s),
  gmm = fmt_s(gmm_s),
  sklearn = fmt_s(sklearn_s),
  `vs mclust` = fmt_x(mclust_s / softmix_s),
  `vs gmm` = fmt_x(gmm_s / softmix_s),
  `vs sklearn` = fmt_x(sklearn_s / softmix_s),
  GFLOPs = fmt_f(gflops),
  `% peak` = fmt_f(pct_peak),
  `% burst` = fmt_f(pct_burst),
  `mem ratio` = fmt_f(mem_ratio, 2),
  `dll mclust` = fmt_e(dll_mclust),
  `dll gmm` = fmt_e(dll_gmm),
  `dll sklearn` = fmt_e(dll_sklearn),
  agree = agree,
  `last step` = fmt_e(last_step),
  check.names = FALSE
))

scaling_table <- with(scaling, data.frame(
  n = format(n, big.mark = ",", scientific = FALSE, trim = TRUE), d = d, K = K,
  `s/iter` = fmt_s(s_per_iter),
  `ns / (n K)` = fmt_f(ns_per_point_component, 2),
  `relative to n=100,000 K=8` = fmt_f(relative, 2),
  check.names = FALSE
))

convergence_table <- with(convergence, data.frame(
  fit = fit, seconds = fmt_s(seconds), iterations = iterations,
  `s/iter` = fmt_s(s_per_iter), loglik = formatC(loglik, format = "f", digits = 3),
  check.names = FALSE
))

markdown <- function(df) {
  if (requireNamespace("knitr", quietly = TRUE)) {
    return(as.character(knitr::kable(df, format = "pipe", row.names = FALSE, align = "r")))
  }
  header <- paste0("| ", paste(names(df), collapse = " | "), " |")
  rule <- paste0("|", paste(rep("---:", ncol(df)), collapse = "|"), "|")
  body <- apply(df, 1, function(r) paste0("| ", paste(r, collapse = " | "), " |"))
  c(header, rule, body)
}

# Cells with unusual variance: the spread of the repetitions (max - min) over
# their median, above 20 %. The machine may be shared, so say where. A serial
# peer's 2-thread cell is its 1-thread run, listed once.
spread_cols <- paste0(peer_names, "_spread")
noisy <- do.call(rbind, lapply(seq_len(nrow(results)), function(i) {
  s <- unlist(results[i, spread_cols])
  own_run <- results$threads[i] == 1L | peer_is_parallel[peer_names]
  hit <- which(!is.na(s) & s > 0.2 & own_run)
  if (length(hit) == 0L) return(NULL)
  data.frame(case = main_table$case[i], threads = results$threads[i],
             peer = peer_names[hit], spread = sprintf("%.0f%%", 100 * s[hit]))
}))

disagreements <- results[results$agree == "NO", ]
early_stop <- results[results$gmm_may_stop_early, ]
bad_iters <- results[(!is.na(results$softmix_iters) & results$softmix_iters != results$iters) |
                       (!is.na(results$mclust_iters) & results$mclust_iters != results$iters) |
                       (!is.na(results$sklearn_iters) & results$sklearn_iters != results$iters), ]

cpu <- sub(".*:\\s*", "", grep("^model name", readLines("/proc/cpuinfo"), value = TRUE)[1])
session <- utils::sessionInfo()
blas <- if (!is.null(session$BLAS)) session$BLAS else "unknown"
sklearn_version <- if (sklearn_ok) {
  sk_mod <- reticulate::import("sklearn")
  np_mod <- reticulate::import("numpy")
  sprintf("scikit-learn %s, numpy %s (Python %s)", sk_mod$`__version__`, np_mod$`__version__`,
          reticulate::py_config()$version)
} else {
  paste("not available:", sklearn)
}
sklearn_threads_note <- if (!sklearn_ok) {
  "not run."
} else if (sklearn_parallel) {
  "threads set with threadpoolctl.threadpool_limits(limits = threads) around fit()."
} else {
  sprintf(paste("numpy's BLAS here is not one threadpoolctl can control (it sees only: %s),",
                "i.e. the single-threaded reference BLAS, so GaussianMixture is serial: timed",
                "with 1 thread and that time repeated in the 2-thread rows."),
          paste(reticulate::py_to_r(sklearn$blas_threading()), collapse = "; "))
}
minutes <- as.numeric(difftime(Sys.time(), bench_started, units = "mins"))

# The timing columns; the agreement columns go into a table of their own.
timing_columns <- c("case", "threads", "softmix", "mclust", "gmm", "sklearn", "vs mclust",
                    "vs gmm", "vs sklearn", "GFLOPs", "% peak", "mem ratio", "agree")

# Headings say the CPU, the date and the command, as the other reports' do
# (tools/bench-tables.R copies the tables with that caption).
common <- new.env()
sys.source(file.path(bench_dir, "common.R"), envir = common)
command <- common$bench_command("bench/run.R")
heading <- function(title) common$table_heading(2, title, command)

# The main table in a few ranges, for the README and the speed vignette.
ratio_range <- function(ratio) {
  ratio <- ratio[is.finite(ratio)]
  if (length(ratio) == 0L) return("not measured")
  sprintf("%.1f to %.1f times", min(ratio), max(ratio))
}
full_large <- results$model == "VVV" & results$d >= 10
full_small <- results$model == "VVV" & results$d < 10
diagonal <- results$model == "VVI"
summary_bullets <- c(
  sprintf("- Per iteration, softmix is %s faster than mclust, %s faster than scikit-learn.",
          ratio_range(results$mclust_s / results$softmix_s),
          ratio_range(results$sklearn_s / results$softmix_s)),
  sprintf("- Against Armadillo: %s faster than `gmm_full` with d >= 10, %s at d = 2, and %s faster than `gmm_diag` on the diagonal case.",
          ratio_range((results$gmm_s / results$softmix_s)[full_large]),
          ratio_range((results$gmm_s / results$softmix_s)[full_small]),
          ratio_range((results$gmm_s / results$softmix_s)[diagonal])),
  sprintf("- Peak extra memory during a fit: at most %.2f times the data plus the posterior.",
          max(results$mem_ratio, na.rm = TRUE)),
  sprintf("- The whole default fit of (%s, 2, 5): %.1f (1 thread) and %.1f (2 threads) times faster than mclust's EM to the same tolerance.",
          format(conv_n, big.mark = ",", scientific = FALSE), convergence$seconds[grepl("^mclust.*1e-8", convergence$fit)] /
            convergence$seconds[grepl("^softmix, default.*1 thread", convergence$fit)],
          convergence$seconds[grepl("^mclust.*1e-8", convergence$fit)] /
            convergence$seconds[grepl("^softmix, default.*2 threads", convergence$fit)])
)

report <- c(
  "# softmix per EM iteration against mclust, Armadillo and scikit-learn",
  "",
  sprintf("- Date: %s", format(Sys.time(), "%Y-%m-%d %H:%M %Z")),
  sprintf("- Command: `%s` (from the package root, softmix installed; `make bench` installs it from the working tree and runs every part)", command),
  sprintf("- Machine: %s, %d cores; %s", cpu, parallel::detectCores(), R.version.string),
  sprintf("- BLAS: %s", blas),
  sprintf("- softmix %s, active kernel `%s` (supported: %s)", utils::packageVersion("softmix"),
          softmix:::softmix_kernel(), paste(softmix:::supported_kernels(), collapse = ", ")),
  sprintf("- Peers: mclust %s; Armadillo gmm_full/gmm_diag from RcppArmadillo %s (OpenMP: %s; compiled by Rcpp::sourceCpp with R's default flags); %s",
          utils::packageVersion("mclust"), utils::packageVersion("RcppArmadillo"),
          if (arma_gmm_uses_openmp()) "yes" else "no", sklearn_version),
  sprintf("- Measured FMA peak (%s vectors, 12 independent FMA chains per thread, best of 7 runs at the start and 7 after the main table): %.1f GFLOP/s with 1 thread, %.1f GFLOP/s with 2 threads",
          peak_isa(), peak[["1"]], peak[["2"]]),
  sprintf("- Run time: %.1f minutes%s; load average (1, 5, 15 min) %s at the start, %s at the end",
          minutes,
          if (scale_n != 1) sprintf(" (SOFTMIX_BENCH_SCALE = %g: n scaled down)", scale_n) else "",
          load_at_start, load_average()),
  "",
  heading("EM iterations from identical starting parameters"),
  "",
  markdown(main_table[timing_columns]),
  "",
  summary_bullets,
  "",
  sprintf(paste(
    "Times are seconds per EM iteration: the median over %d repetitions of one fitting call",
    "doing `iters` iterations, divided by `iters`. Every peer starts from the same parameters",
    "(softmix's k-means++ start and one plain EM iteration), runs `iters` E+M rounds with the convergence test",
    "and any ridge turned off, and (except Armadillo, whose E step is fused with the next M",
    "step) one final E step. Only the fitting call is timed: data conversion (transposing",
    "for Armadillo, the C-ordered numpy array for scikit-learn) happens before."), n_reps),
  "",
  "- softmix: `softmix(x, K, model, init = start, control = softmix_control(max_iter = iters, tol = 0, reg = 0, accelerate = FALSE), n_threads = threads)`: plain EM, no extrapolation.",
  "- mclust: `estep()` then `me(control = emControl(itmax = iters, tol = 0))`, which is `em()` without its extra trailing M step (mclust 6's `em()` returns only that M step's result and no iteration count). mclust is serial Fortran, so its 2-thread column repeats the 1-thread time.",
  "- gmm: Armadillo `set_params()` then `learn(data, K, eucl_dist, keep_existing, 0, iters, 1e-10, false)`; threads set with `omp_set_num_threads()` inside the bench's compiled function (and restored after). Its EM does `iters` fused E+M passes and no final E step.",
  sprintf("- sklearn: `GaussianMixture(covariance_type = \"full\"/\"diag\", max_iter = iters, tol = 0, reg_covar = 0, warm_start = True)` with the fitted attributes (`weights_`, `means_`, `precisions_cholesky_`) set to the start, so that `fit()` skips its initialisation step (given `weights_init`/`means_init`/`precisions_init`, it would still run one full M step from random responsibilities before EM); only `fit()` is timed, in Python. Threads: %s", sklearn_threads_note),
  "- vs mclust, vs gmm, vs sklearn: the peer's time over softmix's (above 1x: softmix is faster).",
  "- GFLOPs: softmix's rate, counting 2 n K d^2 flops per iteration for full covariances (VVV) and 4 n K d for diagonal ones (VVI); % peak: that rate over the measured FMA peak for the same thread count.",
  "- % burst: the median over the repetitions of softmix's rate over the rate of one FMA burst (the peak's kernel, same thread count) run just before that repetition's fit. The machine may be shared: the FMA rate it offers varies from minute to minute, and this column shows how close softmix came to what it offered at the time. The targets are judged on % peak.",
  "- mem ratio: softmix's peak resident memory during the fit (same call as timed) above the resident size before it, over the data plus posterior size, 8 n d + 8 n K bytes. Target: at most 1.25. Measured in this process: garbage collected and freed heap handed back to the kernel (malloc_trim) first, VmRSS read, the high-water mark reset by writing 5 to /proc/self/clear_refs, VmHWM read after the fit.",
  sprintf("- dll peer: |loglik(peer) - loglik(softmix)| / |loglik(softmix)|, each evaluated with `softmix::e_step(x, params)$loglik` on the peer's final parameters; agree: all within %g.", loglik_tol),
  "- last step: the relative change of softmix's log-likelihood in its last iteration, the size of the disagreement one iteration more or fewer would cause; dll far below it shows the peers did the same iterations.",
  "",
  heading("The peers' final log-likelihoods against softmix's, and % burst"),
  "",
  markdown(main_table[setdiff(names(main_table), setdiff(timing_columns, c("case", "threads")))]),
  "",
  heading(sprintf("Whole default fit to convergence: VVV, n = %s, d = 2, K = 5, same start",
                  format(conv_n, big.mark = ",", scientific = FALSE))),
  "",
  markdown(convergence_table),
  "",
  sprintf("Median of %d runs. The stopping rule is the same relative change |l_t - l_(t-1)| / (1 + |l_t|) for both; softmix's default also adds a 1e-6 ridge, so its log-likelihood differs slightly. Iterations are the EM iterations each reports.", n_reps),
  "",
  heading(sprintf("Cost is linear in n and K: softmix, VVV, 1 thread, %d iterations, median of %d runs",
                  scaling_iter, scaling_reps)),
  "",
  markdown(scaling_table),
  "",
  "ns / (n K): nanoseconds per iteration per point and component; constant when cost grows linearly in n and K.",
  "",
  "## Notes",
  ""
)
notes <- character()
if (!sklearn_ok) notes <- c(notes, paste("- scikit-learn was not run:", sklearn))
if (nrow(disagreements) > 0L) {
  notes <- c(notes, sprintf("- LOG-LIKELIHOODS DISAGREE (> %g relative) in: %s.", loglik_tol,
                            paste(main_table$case[results$agree == "NO"], "threads",
                                  results$threads[results$agree == "NO"], collapse = "; ")))
} else {
  notes <- c(notes, sprintf("- Every peer's final log-likelihood agrees with softmix's within %g relative.", loglik_tol))
}
if (nrow(bad_iters) > 0L) {
  notes <- c(notes, "- Some peer reported a different number of iterations than asked for; see the raw results.")
} else {
  notes <- c(notes, "- softmix, mclust and scikit-learn each reported exactly `iters` iterations.")
}
if (nrow(early_stop) > 0L) {
  notes <- c(notes, "- Armadillo may have stopped early (log-likelihood change within machine epsilon) in some cases; its times there are per requested iteration.")
} else {
  notes <- c(notes, "- Armadillo cannot have stopped early: softmix's log-likelihood changed by more than machine epsilon per point at every iteration.")
}
# Two threads should reach about twice the one-thread FMA peak. If not, the
# second core was busy with another process (or both vCPUs share a physical
# core), and 2-thread timings say more about the machine than about softmix.
peak_scaling <- peak[["2"]] / peak[["1"]]
if (peak_scaling < 1.5) {
  notes <- c(notes, sprintf(paste(
    "- The 2-thread FMA peak is only %.2f times the 1-thread peak: the second core was not",
    "free (another process was running, or the two vCPUs share a physical core). Read the",
    "2-thread rows with that in mind."), peak_scaling))
}
slower <- results$threads == 2L &
  results$softmix_s > results$softmix_s[match(paste(results$model, results$n, results$d, results$K, 1L),
                                              paste(results$model, results$n, results$d, results$K, results$threads))]
if (any(slower, na.rm = TRUE)) {
  notes <- c(notes, sprintf("- softmix was slower with 2 threads than with 1 in: %s.",
                            paste(main_table$case[which(slower)], collapse = "; ")))
}
if (!is.null(noisy) && nrow(noisy) > 0L) {
  notes <- c(notes, sprintf("- Unusual variance (max - min over median above 20%%; the machine may have been shared): %s.",
                            paste(sprintf("%s, %d thread(s), %s: %s", noisy$case, noisy$threads,
                                          noisy$peer, noisy$spread), collapse = "; ")))
} else {
  notes <- c(notes, "- No timing varied by more than 20% between repetitions.")
}
report <- c(report, notes)

# per-iteration.md is kept in the repository, as the other parts' reports;
# results.md gathers every part.
writeLines(report, file.path(bench_dir, "per-iteration.md"))
writeLines(report, file.path(bench_dir, "results.md"))

cat("\nEM iterations from identical starting parameters (seconds per iteration)\n")
print(main_table, row.names = FALSE)
cat("\nWhole default fit to convergence\n")
print(convergence_table, row.names = FALSE)
cat("\nScaling in n and K\n")
print(scaling_table, row.names = FALSE)
cat("\n", paste(notes, collapse = "\n"), "\n", sep = "")
cat(sprintf("\nWrote %s (%.1f minutes)\n", file.path(bench_dir, "results.md"), minutes))

# Model selection, accelerated EM and weights ----------------------------------------
# bench/selection.R (softmix(k = 1:9, model = "all") against Mclust(), idle and
# under load), bench/acceleration.R (SQUAREM against plain EM, Aitken's
# stopping rule), bench/weights.R (EM with observation weights against
# without, and without against commit 9d3c7fa, which it builds) and
# bench/noise-prior.R (a noise component and the prior against neither) and
# bench/small-d.R (d <= 10 against a measured floor and Armadillo, fixed
# costs, faithful against mclust), bench/cluster.R (EM over two local
# PSOCK workers against EM in memory) and bench/file.R (EM streamed from a
# CSV file and a big.matrix against in memory, and the peak memory of a
# 2 GB file's fit) each run in their own R process, so
# that none shares this one's state, and write
# their own markdown, appended here to results.md with their headings one
# level down. SOFTMIX_BENCH_QUICK=1 reaches them through the environment;
# SOFTMIX_BENCH_SKIP=selection (or acceleration, weights, noise-prior, small-d, cluster, file, or
# several, comma-separated) leaves them out.

skip_sections <- trimws(strsplit(Sys.getenv("SOFTMIX_BENCH_SKIP", ""), ",", fixed = TRUE)[[1]])
results_path <- file.path(bench_dir, "results.md")
for (section in setdiff(c("selection", "acceleration", "weights", "noise-prior", "small-d",
                          "cluster", "file"),
                        skip_sections)) {
  script <- file.path(bench_dir, paste0(section, ".R"))
  section_md <- file.path(bench_dir, paste0(section, ".md"))
  message(sprintf("Running %s", script))
  unlink(section_md)
  status <- system2(file.path(R.home("bin"), "Rscript"), script)
  lines <- if (identical(as.integer(status), 0L) && file.exists(section_md)) {
    sub("^(#+) ", "\\1# ", readLines(section_md))
  } else {
    c(sprintf("## %s", section), "",
      sprintf("`Rscript %s` failed (exit status %s); see its output.", script, status))
  }
  cat(c("", lines), file = results_path, sep = "\n", append = TRUE)
}
cat(sprintf("\nWrote %s (%.1f minutes in all)\n", results_path,
            as.numeric(difftime(Sys.time(), bench_started, units = "mins"))))
