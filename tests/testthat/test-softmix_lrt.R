# softmix_lrt(), the bootstrap likelihood-ratio test for the number of
# components, checked against the fits it tests, its own replicates,
# mclust's mclustBootstrapLRT() and a two-worker PSOCK cluster.

# Two well-separated groups in two dimensions.
separated_x <- with_seed(10, rbind(matrix(stats::rnorm(120), 60),
                                   matrix(stats::rnorm(120, 5), 60)))

# Evaluates `code` with mclust attached: mclustBootstrapLRT() calls some of
# its helpers by name.
with_mclust_attached <- function(code) {
  if (!"package:mclust" %in% search()) {
    suppressPackageStartupMessages(attachNamespace("mclust"))
    on.exit(detach("package:mclust", character.only = TRUE), add = TRUE)
  }
  code
}

# Runs softmix_lrt() without the warnings about dropped or degenerate
# replicates (and degenerate fits with more components than the data hold).
quiet_lrt <- function(...) suppressWarnings(softmix_lrt(...), classes = "softmix_warning")

test_that("the statistic is twice the log-likelihood gain of the fits it tests", {
  lrt <- with_seed(1, quiet_lrt(separated_x, k = 1:2, init = "hc", B = 9, sequential = FALSE,
                                n_threads = 1))
  # init = "hc" draws nothing, so these are the fits softmix_lrt() made.
  loglik <- vapply(1:3, function(k) {
    softmix(separated_x, k = k, init = "hc", n_threads = 2)$loglik
  }, numeric(1))
  expect_identical(unname(lrt$loglik), loglik)
  expect_equal(unname(lrt$statistic), 2 * diff(loglik), tolerance = 1e-12)
  expect_identical(names(lrt$statistic), c("1 vs 2", "2 vs 3"))
  for (t in 1:2) {
    boot <- lrt$boot[, t]
    expect_identical(unname(lrt$p_value[t]),
                     (1 + sum(boot >= lrt$statistic[t], na.rm = TRUE)) / (sum(!is.na(boot)) + 1))
  }
})

test_that("two separated components reject one component but not two", {
  lrt <- with_seed(4, quiet_lrt(separated_x, k = 1:3, B = 29, n_threads = 2))
  # Sequential: the test of 2 against 3 is not rejected, so 3 is not tested.
  expect_identical(lrt$k, 1:2)
  expect_identical(unname(lrt$p_value[1]), 1 / 30)
  expect_gt(lrt$p_value[2], 0.05)
  expect_identical(lrt$selected, 2L)
  expect_identical(dim(lrt$boot), c(29L, 2L))
  expect_output(print(lrt), "1 vs 2.*Selected: 2 components")

  all_tests <- with_seed(4, quiet_lrt(separated_x, k = 1:3, B = 9, sequential = FALSE,
                                      n_threads = 1))
  expect_identical(all_tests$k, 1:3)
})

test_that("the test agrees with mclust's mclustBootstrapLRT", {
  skip_if_not_installed("mclust")
  mclust_lrt <- with_seed(4, with_mclust_attached(
    mclust::mclustBootstrapLRT(separated_x, modelName = "VVV", nboot = 19, maxG = 1,
                               verbose = FALSE)
  ))
  lrt <- with_seed(4, quiet_lrt(separated_x, k = 1, B = 19, n_threads = 2))
  # The same optimum from both packages' starts, to mclust's tolerance.
  expect_max_diff(lrt$statistic, mclust_lrt$obs, 1e-6, relative = TRUE)
  # Every null replicate falls far below the observed statistic in both.
  expect_identical(unname(lrt$p_value), mclust_lrt$p.value)
})

test_that("the test is identical serially and on two workers", {
  cl <- tryCatch(parallel::makePSOCKcluster(2), error = function(e) NULL)
  if (is.null(cl)) skip("cannot start a PSOCK cluster")
  on.exit(parallel::stopCluster(cl))
  found <- tryCatch(unlist(parallel::clusterCall(cl, function(paths) {
    .libPaths(paths)
    find.package("softmix", quiet = TRUE)
  }, .libPaths())), error = function(e) character(0))
  if (length(found) != 2L || !all(found == find.package("softmix"))) {
    skip("PSOCK workers cannot load the softmix under test")
  }
  x <- faithful_x[, "waiting"]
  serial <- with_seed(5, quiet_lrt(x, k = 1:2, model = "V", B = 15, n_threads = 1))
  workers <- with_seed(5, quiet_lrt(x, k = 1:2, model = "V", B = 15, cluster = cl))
  serial$call <- workers$call <- NULL
  expect_identical(workers, serial)
})

test_that("bad arguments are errors that name the argument", {
  x <- separated_x
  for (B in list(0, 1.5, NA, "9")) {
    expect_error(softmix_lrt(x, B = B), "`B`", class = "softmix_error")
  }
  expect_error(softmix_lrt(x, model = c("VVV", "EEE"), B = 9), "`model`.*single",
               class = "softmix_error")
  expect_error(softmix_lrt(x, model = "XYZ", B = 9), "`model`", class = "softmix_error")
  expect_error(softmix_lrt(x[1:3, ], k = 3, B = 9), "`k`", class = "softmix_error")
  expect_error(softmix_lrt(x, k = 0, B = 9), "`k` must be at least 1\\.$",
               class = "softmix_error")
  k_error <- tryCatch(softmix_lrt(x, k = 0, B = 9), softmix_error = identity)
  expect_identical(conditionCall(k_error)[[1]], quote(softmix_lrt))
  start <- mixture_params(1, colMeans(x), stats::cov(x))
  expect_error(softmix_lrt(x, k = 1, B = 9, init = start),
               "`init` must name the starts", class = "softmix_error")
  expect_error(softmix_lrt(x, level = 0, B = 9), "`level`", class = "softmix_error")
  expect_error(softmix_lrt(x, sequential = NA, B = 9), "`sequential`", class = "softmix_error")
  expect_error(softmix_lrt(x, cluster = "two", B = 9), "`cluster`", class = "softmix_error")
  expect_error(softmix_lrt("a", B = 9), "`x`", class = "softmix_error")
})
