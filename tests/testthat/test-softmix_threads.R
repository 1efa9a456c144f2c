# Reference: the documented contract of softmix_threads() (option
# `softmix.threads`, default at most 2, capped by OMP_THREAD_LIMIT).

test_that("the default thread count is at most two", {
  old <- options(softmix.threads = NULL)
  on.exit(options(old), add = TRUE)
  threads <- softmix_threads()
  expect_true(threads %in% 1:2)
  fit <- softmix(faithful_x, k = 2)
  expect_identical(fit$n_threads, threads)
})

test_that("setting the thread count stores it and returns the old one invisibly", {
  old <- options(softmix.threads = NULL)
  on.exit(options(old), add = TRUE)
  softmix_threads(2)
  expect_identical(getOption("softmix.threads"), 2L)
  before <- softmix_threads()
  result <- withVisible(softmix_threads(1))
  expect_false(result$visible)
  expect_identical(result$value, before)
  expect_identical(getOption("softmix.threads"), 1L)
  expect_identical(softmix_threads(), 1L)
})

test_that("calls without n_threads use the default", {
  old <- options(softmix.threads = 1L)
  on.exit(options(old), add = TRUE)
  expect_identical(softmix(faithful_x, k = 2)$n_threads, 1L)
  options(softmix.threads = 2L)
  # Two threads, or one where OpenMP is missing or limited.
  expect_true(softmix(faithful_x, k = 2)$n_threads %in% 1:2)
  expect_identical(softmix(faithful_x, k = 2, n_threads = 1)$n_threads, 1L)
})

test_that("the thread count does not change the fit", {
  old <- options(softmix.threads = 1L)
  on.exit(options(old), add = TRUE)
  x <- with_seed(8, rmixture(1500, random_params(2, 2, seed = 8)))
  with_default_one <- with_seed(1, softmix(x, k = 2))
  options(softmix.threads = 2L)
  with_default_two <- with_seed(1, softmix(x, k = 2))
  expect_identical(with_default_two$loglik_trace, with_default_one$loglik_trace)
  expect_identical(with_default_two$posterior, with_default_one$posterior)
})

test_that("OMP_THREAD_LIMIT caps every thread count", {
  skip_on_cran()
  lib_paths <- paste(deparse(.libPaths()), collapse = "")
  code <- paste0(
    ".libPaths(", lib_paths, "); ",
    "if (!requireNamespace('softmix', quietly = TRUE)) { cat('NOPKG'); q() }; ",
    "options(softmix.threads = 2L); ",
    "fit <- softmix::softmix(faithful, k = 2, n_threads = 2); ",
    "cat(softmix::softmix_threads(), fit$n_threads)"
  )
  rscript <- file.path(R.home("bin"), "Rscript")
  out <- suppressWarnings(system2(rscript, c("--vanilla", "-e", shQuote(code)),
                                  stdout = TRUE, stderr = FALSE,
                                  env = "OMP_THREAD_LIMIT=1"))
  if (identical(out, "NOPKG")) skip("softmix is not installed for a subprocess")
  expect_identical(out, "1 1")
})

test_that("a thread count above the processors is capped, and a huge one is harmless", {
  # The processors this process may run on are at most the machine's.
  processors <- parallel::detectCores()
  skip_if(is.na(processors), "the number of processors is unknown")
  old <- softmix_threads(1e6)
  on.exit(softmix_threads(old), add = TRUE)
  expect_lte(softmix_threads(), processors)
  fit <- softmix(faithful, k = 2, n_threads = 1e6)
  expect_lte(fit$n_threads, processors)
  set.seed(1)
  one <- softmix(faithful, k = 2, n_threads = 1)
  set.seed(1)
  many <- softmix(faithful, k = 2, n_threads = .Machine$integer.max)
  expect_identical(many$posterior, one$posterior)
  expect_equal(e_step(faithful, one$parameters, n_threads = 1e6)$posterior, one$posterior,
               tolerance = 1e-12, ignore_attr = TRUE)
})

test_that("a bad softmix.threads option is named as the option", {
  withr::local_options(softmix.threads = 0)
  expect_error(e_step(faithful_x, random_params(2, 2, seed = 1)),
               "`options(softmix.threads)` must be at least 1", fixed = TRUE)
  expect_error(e_step(faithful_x, random_params(2, 2, seed = 1), n_threads = 0),
               "`n_threads` must be at least 1", fixed = TRUE)
})
