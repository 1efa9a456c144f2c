# References: the parameters themselves, with tolerances of four standard
# errors of the sample statistics (the draws use fixed seeds, so the checks
# are deterministic).

rmixture_params <- mixture_params(
  c(0.3, 0.7),
  means = rbind(c(0, 1), c(4, -2)),
  covariances = array(c(1, 0.6, 0.6, 2, 0.5, -0.2, -0.2, 0.8), c(2, 2, 2))
)

rmixture_draw <- with_seed(42, rmixture(20000, rmixture_params))

test_that("rmixture returns an n x d matrix with the component of each row", {
  expect_identical(dim(rmixture_draw), c(20000L, 2L))
  component <- attr(rmixture_draw, "component")
  expect_type(component, "integer")
  expect_length(component, 20000)
  expect_setequal(unique(component), 1:2)
  expect_identical(colnames(rmixture_draw), colnames(rmixture_params$means))
})

test_that("component frequencies approach the proportions", {
  frequencies <- as.vector(table(attr(rmixture_draw, "component"))) / 20000
  p <- rmixture_params$proportions
  # Four binomial standard errors.
  expect_max_diff(frequencies, p, 4 * sqrt(max(p * (1 - p)) / 20000))
})

test_that("sample means of each component approach the component means", {
  component <- attr(rmixture_draw, "component")
  for (j in 1:2) {
    rows <- rmixture_draw[component == j, , drop = FALSE]
    sigma <- rmixture_params$covariances[, , j]
    standard_error <- sqrt(diag(sigma) / nrow(rows))
    # Four standard errors of the mean, per coordinate.
    expect_true(all(abs(colMeans(rows) - rmixture_params$means[j, ]) < 4 * standard_error))
  }
})

test_that("sample covariances of each component approach the component covariances", {
  component <- attr(rmixture_draw, "component")
  for (j in 1:2) {
    rows <- rmixture_draw[component == j, , drop = FALSE]
    sigma <- rmixture_params$covariances[, , j]
    # Standard error of a normal sample covariance: sqrt((s_ii s_jj + s_ij^2) / n).
    standard_error <- sqrt((outer(diag(sigma), diag(sigma)) + sigma^2) / nrow(rows))
    expect_true(all(abs(cov(rows) - sigma) < 4 * standard_error))
  }
})

test_that("the overall sample mean approaches the mixture mean", {
  p <- rmixture_params$proportions
  mu <- colSums(p * rmixture_params$means)
  second <- Reduce(`+`, lapply(1:2, function(j) {
    p[j] * (rmixture_params$covariances[, , j] + tcrossprod(rmixture_params$means[j, ]))
  }))
  total_cov <- second - tcrossprod(mu)
  # Four standard errors of the mean under the mixture's covariance.
  expect_true(all(abs(colMeans(rmixture_draw) - mu) < 4 * sqrt(diag(total_cov) / 20000)))
})

test_that("set.seed reproduces the draws", {
  first <- with_seed(7, rmixture(50, rmixture_params))
  second <- with_seed(7, rmixture(50, rmixture_params))
  expect_identical(first, second)
  expect_false(identical(first, with_seed(8, rmixture(50, rmixture_params))))
})

test_that("one-dimensional draws approach the mixture variance", {
  params <- mixture_params(c(0.5, 0.5), means = c(-2, 2), covariances = c(1, 1))
  x <- with_seed(3, rmixture(20000, params))
  expect_identical(dim(x), c(20000L, 1L))
  # Mixture variance 1 + 4 = 5; the standard error of a sample variance is
  # about sqrt((mu4 - sigma^4) / n) with mu4 = 3 + 6 * 4 + 16 = 43.
  expect_max_diff(var(x[, 1]), 5, 4 * sqrt((43 - 25) / 20000))
})

test_that("n = 0 gives an empty matrix", {
  x <- rmixture(0, rmixture_params)
  expect_identical(dim(x), c(0L, 2L))
  expect_length(attr(x, "component"), 0)
})

test_that("an edited covariance that is not positive definite is named, drawn or not", {
  params <- mixture_params(c(0.5, 0.5), rbind(c(0, 0), c(3, 3)), diag(2))
  params$covariances[, , 2] <- matrix(1, 2, 2)
  for (n in c(0, 50)) {
    expect_error(rmixture(n, params),
                 "`parameters\\$covariances\\[, , 2\\]` is not positive definite",
                 class = "softmix_error")
  }
})
