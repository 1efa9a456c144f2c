# Reliability: results that do not depend on the number of threads, the seed
# alone or the load of the machine; EM that never lowers the log-likelihood;
# fits inside forked processes; and memory in proportion to the data.
# References: the documented contract (README "Design": "results are
# bit-identical for any number of threads", "the extra memory of an
# iteration does not grow with n", "Random numbers come from R's generator";
# ?softmix: "With `reg = 0` the log-likelihood never decreases") and, for
# monotone EM, Dempster, Laird and Rubin (1977), Theorem 1.

# Helpers ---------------------------------------------------------------------

# Three expectations: the posterior, the log-likelihood trace and the
# parameters of two fits are the same bits.
expect_same_fit <- function(actual, expected) {
  expect_identical(actual$posterior, expected$posterior)
  expect_identical(actual$loglik_trace, expected$loglik_trace)
  expect_identical(flatten_params(actual$parameters), flatten_params(expected$parameters))
}

# n points from the random mixture random_params(k, d) (helper-reference.R),
# without the "component" attribute.
mixture_data <- function(n, k, d, seed) {
  x <- with_seed(seed, rmixture(n, random_params(k, d, seed = seed + 1)))
  attr(x, "component") <- NULL
  x
}

# Random mixture parameters for the monotonicity test: K components in d
# dimensions with proportions bounded away from zero and covariances
# crossprod(A) / d + 0.1 I, so every component is well conditioned.
random_mixture <- function(k, d) {
  proportions <- stats::runif(k, 0.5, 1.5)
  means <- matrix(stats::rnorm(k * d, sd = 3), k, d)
  covariances <- array(0, c(d, d, k))
  for (j in seq_len(k)) {
    a <- matrix(stats::rnorm(d * d), d, d)
    covariances[, , j] <- crossprod(a) / d + diag(0.1, d)
  }
  mixture_params(proportions / sum(proportions), means, covariances)
}

# Largest fall of a trace from one iteration to the next, relative to
# 1 + |previous log-likelihood| (the scale of softmix's own stopping rule);
# 0 when it never falls.
largest_relative_fall <- function(trace) {
  if (length(trace) < 2L) return(0)
  previous <- trace[-length(trace)]
  max(0, (previous - trace[-1]) / (1 + abs(previous)))
}

# Starts `count` R processes that keep a CPU busy until `stop_file` exists
# (or 60 s pass) and waits until each has written its process id. Returns
# the ids.
start_cpu_burners <- function(count, stop_file) {
  pid_dir <- tempfile("burner-pids-")
  dir.create(pid_dir)
  code <- sprintf(paste0(
    "writeLines(as.character(Sys.getpid()), file.path('%s', Sys.getpid()));",
    "start <- proc.time()[[3]];",
    "while (!file.exists('%s') && proc.time()[[3]] - start < 60) for (i in 1:1e6) NULL"
  ), pid_dir, stop_file)
  rscript <- file.path(R.home("bin"), "Rscript")
  for (i in seq_len(count)) {
    system2(rscript, c("--vanilla", "-e", shQuote(code)), wait = FALSE, stdout = FALSE,
            stderr = FALSE)
  }
  waited <- 0
  while (length(list.files(pid_dir)) < count && waited < 30) {
    Sys.sleep(0.1)
    waited <- waited + 0.1
  }
  as.integer(list.files(pid_dir))
}

# Whether each process id is alive (signal 0 only checks).
processes_alive <- function(pids) {
  vapply(pids, function(pid) isTRUE(tools::pskill(pid, 0L)), logical(1))
}

# Thread counts ----------------------------------------------------------------

test_that("fits are bit-identical for 1, 2 and 4 threads over several waves of blocks", {
  # 150,000 points are 586 blocks of 256. With at most 2048 statistics per
  # block (here 16 to 22) every block has its own partial-sum buffer and the
  # core adds the buffers in waves of 256, so this is three waves, the last
  # one partial, and a short last block of 240 points. (20,000 points would
  # be 79 blocks: one wave.) Four threads on a two-core machine are fine:
  # only the bits count.
  x <- mixture_data(150000, k = 3, d = 2, seed = 101)
  control <- softmix_control(max_iter = 15)
  for (model in c("VVV", "EEE", "VII")) {
    fits <- lapply(c(1L, 2L, 4L), function(threads) {
      to_max_iter(with_seed(7, softmix(x, k = 3, model = model, control = control,
                                       n_threads = threads)))
    })
    expect_gt(fits[[1]]$iterations, 1L)
    expect_same_fit(fits[[2]], fits[[1]])
    expect_same_fit(fits[[3]], fits[[1]])
  }
})

test_that("e_step, m_step and dmixture are bit-identical for 1, 2 and 4 threads on many blocks", {
  x <- mixture_data(150000, k = 3, d = 3, seed = 102)
  params <- random_params(3, 3, seed = 103)
  one <- e_step(x, params, n_threads = 1)
  for (threads in c(2L, 4L)) {
    expect_identical(e_step(x, params, n_threads = threads), one)
    expect_identical(dmixture(x, params, log = TRUE, n_threads = threads),
                     dmixture(x, params, log = TRUE, n_threads = 1))
    for (model in c("VVV", "VII")) {
      expect_identical(
        flatten_params(m_step(x, one$posterior, model = model, n_threads = threads)),
        flatten_params(m_step(x, one$posterior, model = model, n_threads = 1))
      )
    }
  }
})

test_that("high-dimensional fits are bit-identical for 1, 2 and 4 threads in shared chunks", {
  # VVV with d = 20 and K = 10 keeps 1 + 10 + 200 + 4000 = 4211 statistics
  # per block, so pairs of consecutive blocks share one partial-sum buffer (a
  # chunk) and waves hold 249 chunks: 140,000 points (547 blocks, 274
  # chunks, the last a single short block) make two waves, and the
  # reduction of a wave's buffers runs in parallel too.
  x <- mixture_data(140000, k = 10, d = 20, seed = 104)
  control <- softmix_control(max_iter = 2)
  fits <- lapply(c(1L, 2L, 4L), function(threads) {
    to_max_iter(with_seed(8, softmix(x, k = 10, control = control, n_threads = threads)))
  })
  expect_same_fit(fits[[2]], fits[[1]])
  expect_same_fit(fits[[3]], fits[[1]])
})

# Seeds -------------------------------------------------------------------------

test_that("the same seed gives the same fit from k-means++ and random starts with n_init = 3", {
  x <- mixture_data(3000, k = 4, d = 3, seed = 105)
  for (init in c("kmeans++", "random")) {
    run <- function(seed) {
      with_seed(seed, {
        fit <- softmix(x, k = 4, init = init, n_init = 3, n_threads = 2,
                       control = softmix_control(max_iter = 100))
        list(fit = fit, stream = get(".Random.seed", envir = globalenv()))
      })
    }
    first <- run(31)
    second <- run(31)
    expect_same_fit(second$fit, first$fit)
    # The generator is left in the same state, so later draws agree too.
    expect_identical(second$stream, first$stream)
    # The seed is used: another seed starts elsewhere.
    other <- run(32)
    expect_false(identical(other$fit$loglik_trace, first$fit$loglik_trace))
  }
})

# Machine load -------------------------------------------------------------------

test_that("a fit under heavy CPU load from other processes is bit-identical to one without", {
  x <- mixture_data(150000, k = 3, d = 2, seed = 106)
  fit_now <- function() {
    with_seed(9, softmix(x, k = 3, control = softmix_control(max_iter = 25), n_threads = 2))
  }
  quiet <- fit_now()
  stop_file <- tempfile("stop-burners-")
  on.exit(file.create(stop_file), add = TRUE)
  # Two busy processes on top of two threads oversubscribe a two-core
  # machine (and load any other), so threads are descheduled and chunks of
  # blocks go to threads in another order than without load.
  pids <- start_cpu_burners(2, stop_file)
  on.exit(tools::pskill(pids), add = TRUE)
  expect_length(pids, 2)
  busy <- fit_now()
  # The load ran throughout the fit.
  expect_true(all(processes_alive(pids)))
  expect_same_fit(busy, quiet)
})

# Monotone EM ---------------------------------------------------------------------

test_that("EM never lowers the log-likelihood with reg = 0 over 500 random mixtures", {
  control <- softmix_control(reg = 0, tol = 1e-10, max_iter = 200)
  univariate <- c("E", "V")
  multivariate <- c("EII", "VII", "EEI", "VVI", "EEE", "VVV")
  n_fits <- 500L
  outcomes <- with_seed(2024, lapply(seq_len(n_fits), function(i) {
    k <- sample.int(4L, 1L)
    d <- sample.int(6L, 1L)
    n <- sample(60:300, 1L)
    model <- if (d == 1L) sample(univariate, 1L) else sample(multivariate, 1L)
    init <- sample(c("kmeans++", "random"), 1L)
    x <- rmixture(n, random_mixture(k, d))
    fit <- tryCatch(
      to_max_iter(softmix(x, k = k, model = model, init = init, control = control,
                          n_threads = 1)),
      softmix_error = function(e) e
    )
    case <- sprintf("fit %d: model %s, K = %d, d = %d, n = %d, init %s", i, model, k, d, n, init)
    if (inherits(fit, "softmix_error")) {
      return(list(ok = FALSE, case = case, fall = NA_real_, length = NA_integer_))
    }
    list(ok = TRUE, case = case, fall = largest_relative_fall(fit$loglik_trace),
         length = length(fit$loglik_trace), finite = all(is.finite(fit$loglik_trace)))
  }))
  ok <- vapply(outcomes, `[[`, logical(1), "ok")
  fitted <- outcomes[ok]
  falls <- vapply(fitted, `[[`, numeric(1), "fall")
  # Singular covariances with reg = 0 are legitimate failures for tiny
  # clusters, but at most 10% of these well-conditioned mixtures.
  expect_gte(mean(ok), 0.9)
  expect_true(all(vapply(fitted, `[[`, logical(1), "finite")))
  # The test has teeth only if EM iterates: most traces are longer than 3.
  expect_gt(stats::median(vapply(fitted, `[[`, integer(1), "length")), 3)
  # Rounding in the log-likelihood sums is about 1e-15 relative; 1e-10
  # relative (to 1 + |l|) leaves a wide margin but catches any real fall.
  worst <- which.max(falls)
  expect(
    falls[worst] <= 1e-10,
    sprintf("The log-likelihood fell by %s (relative) in %s.", format(falls[worst], digits = 3),
            fitted[[worst]]$case)
  )
})

# Fork safety -------------------------------------------------------------------------

test_that("fits inside parallel::mclapply work and equal the fit in the parent process", {
  skip_on_os("windows")
  lib <- dirname(system.file(package = "softmix"))
  # The check needs an installed copy to load in a fresh R process.
  skip_if_not(file.exists(file.path(lib, "softmix", "Meta", "package.rds")),
              "softmix is not installed")
  # The parent fits with two threads first, so OpenMP's thread pool exists
  # before the fork, as in any session that fitted before calling mclapply().
  # It runs in a separate R process with a time limit, so a hang fails the
  # test instead of stopping the suite.
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script), add = TRUE)
  writeLines(c(
    sprintf("library(softmix, lib.loc = '%s')", lib),
    "x <- as.matrix(faithful)",
    "fit_once <- function() {",
    "  set.seed(1)",
    "  softmix(x, k = 2, n_threads = 2)",
    "}",
    "parent <- fit_once()",
    "children <- parallel::mclapply(1:2, function(i) fit_once(), mc.cores = 2)",
    "same <- vapply(children, function(child) {",
    "  inherits(child, 'softmix') &&",
    "    identical(child$posterior, parent$posterior) &&",
    "    identical(child$loglik_trace, parent$loglik_trace) &&",
    "    identical(unlist(unclass(child$parameters)), unlist(unclass(parent$parameters)))",
    "}, logical(1))",
    "cat('children equal parent:', same, '\\n')"
  ), script)
  output <- suppressWarnings(system2(
    file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(script)),
    stdout = TRUE, stderr = TRUE, timeout = 15
  ))
  status <- attr(output, "status")
  # No status means exit code 0; 124 means the 15 s limit was reached (the
  # whole script takes about a second).
  expect(is.null(status), sprintf(
    "The forked fits did not finish (exit status %s; 124 = timed out after 15 s):\n%s",
    format(status), paste(utils::tail(output, 20), collapse = "\n")
  ))
  expect_true("children equal parent: TRUE TRUE " %in% output)
})

# Resource use ------------------------------------------------------------------------

# Vcells (8 bytes each) a fit may allocate in R beyond its input. gc()'s
# "max used" counts what was allocated since the reset and not yet
# collected, and usually no garbage collection runs during a fit of this
# size, so temporaries count in full: the data checks and the
# column variances of the ridge (stats::var() through apply(): a transposed
# copy, one column at a time and var()'s own copies; with the logical NA and
# Inf checks at most 4 n d in all); the n x K posterior the core writes, one
# copy when its dimnames are set and one temporary (3 n K); classification,
# uncertainty and the temporaries that compute them (4 n); and 1e5 cells for
# everything whose size does not grow with n. Memory the C++ core takes
# outside R's heap does not count here; its per-iteration scratch does not
# grow with n.
peak_bound <- function(n, d, k) {
  4 * n * d + 3 * n * k + 4 * n + 1e5
}

# The growth of R's heap (in Vcells) at the peak of evaluating `code`.
peak_vcells <- function(code) {
  invisible(gc(reset = TRUE))
  before <- gc()["Vcells", "used"]
  force(code)
  gc()["Vcells", "max used"] - before
}

test_that("a fit of 200,000 points holds the data, the posterior and per-point vectors only", {
  n <- 200000
  d <- 2
  k <- 5
  x <- mixture_data(n, k = k, d = d, seed = 107)
  peak <- peak_vcells(
    fit <- with_seed(10, softmix(x, k = k, control = softmix_control(max_iter = 20),
                                 n_threads = 2))
  )
  # Whole fit: data (n d doubles), posterior (n K), classification and
  # uncertainty (n each), 10% and 1 MB for everything else.
  expect_lt(as.numeric(object.size(fit)), 1.1 * 8 * n * (d + k + 2) + 1e6)
  # Each big member holds exactly its own values plus attributes (dimnames
  # and names: under 10 kB).
  expect_lt(as.numeric(object.size(fit$data)), 8 * n * d + 1e4)
  expect_lt(as.numeric(object.size(fit$posterior)), 8 * n * k + 1e4)
  expect_lt(as.numeric(object.size(fit$classification)), 4 * n + 1e4)
  expect_lt(as.numeric(object.size(fit$uncertainty)), 8 * n + 1e4)
  big <- c("data", "posterior", "classification", "uncertainty")
  small <- vapply(unclass(fit)[setdiff(names(fit), big)], function(member) {
    as.numeric(object.size(member))
  }, numeric(1))
  expect_lt(sum(small), 1e5)
  # Peak heap growth during the fit: see peak_bound(). A fit allocates about
  # 4e6 cells here; a hidden n x K x d array (2e6 cells) would take it past
  # the bound (5.5e6 cells).
  expect_lt(peak, peak_bound(n, d, k))
})

test_that("the peak memory of a high-dimensional fit holds no n x K x d array", {
  # With d = 10 an n x K x d array (2.5e6 cells) is ten times the posterior:
  # a fit allocates about 2.7e6 cells, the bound is 3.05e6, and such an array
  # would take the peak past 5e6 (see peak_bound()).
  n <- 50000
  d <- 10
  k <- 5
  x <- mixture_data(n, k = k, d = d, seed = 108)
  peak <- peak_vcells(
    fit <- with_seed(11, softmix(x, k = k, control = softmix_control(max_iter = 3),
                                 n_threads = 2))
  )
  expect_s3_class(fit, "softmix")
  expect_lt(peak, peak_bound(n, d, k))
})
