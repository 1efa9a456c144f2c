# References: the documented layout (means K x d, covariances d x d x K),
# built by hand with base R.

test_that("full parameters keep their values in the documented layout", {
  means <- rbind(c(0, 1), c(3, 3))
  covariances <- array(c(2, 0.5, 0.5, 1, 1, -0.2, -0.2, 0.5), c(2, 2, 2))
  params <- mixture_params(c(0.3, 0.7), means, covariances)
  expect_s3_class(params, "mixture_params")
  expect_identical(params$proportions, c(0.3, 0.7))
  expect_identical(unname(params$means), means)
  expect_identical(unname(params$covariances), covariances)
})

test_that("one-dimensional means and variances may be vectors", {
  params <- mixture_params(c(0.5, 0.5), means = c(-1, 1), covariances = c(1, 2))
  expect_identical(unname(params$means), matrix(c(-1, 1), 2, 1))
  expect_identical(unname(params$covariances), array(c(1, 2), c(1, 1, 2)))
})

test_that("one shared covariance matrix is repeated for every component", {
  sigma <- matrix(c(2, 0.3, 0.3, 1), 2, 2)
  params <- mixture_params(c(0.2, 0.3, 0.5), matrix(1:6, 3, 2), sigma)
  expect_identical(unname(params$covariances), array(rep(sigma, 3), c(2, 2, 3)))
})

test_that("a single component takes a vector of d means", {
  params <- mixture_params(1, means = c(a = 1, b = 2, c = 3), covariances = diag(3))
  expect_identical(unname(params$means), matrix(c(1, 2, 3), 1, 3))
  expect_identical(colnames(params$means), c("a", "b", "c"))
})

test_that("proportions within 1e-8 of summing to one are rescaled to sum to one", {
  params <- mixture_params(c(0.25, 0.75 + 5e-9), means = c(0, 1), covariances = c(1, 1))
  # Tolerance 1e-15 on the sum after rescaling (was 5e-9 away before).
  expect_max_diff(sum(params$proportions), 1, 1e-15)
  expect_max_diff(params$proportions, c(0.25, 0.75 + 5e-9) / (1 + 5e-9), 1e-15)
})

test_that("covariances asymmetric within rounding are symmetrised", {
  sigma <- matrix(c(2, 0.5, 0.5 + 1e-12, 1), 2, 2)
  params <- mixture_params(1, means = c(0, 0), covariances = sigma)
  stored <- params$covariances[, , 1]
  expect_identical(stored, t(stored))
  # Tolerance 1e-12: the average of the two off-diagonal entries.
  expect_max_diff(stored[1, 2], 0.5 + 5e-13, 1e-15)
})

test_that("print shows the numbers of components and dimensions", {
  params <- mixture_params(c(0.3, 0.7), rbind(c(0, 0), c(3, 3)), diag(2))
  expect_output(print(params), "2 components in 2 dimensions")
  expect_output(print(params), "Proportions")
  capture.output(shown <- withVisible(print(params)))
  expect_false(shown$visible)
})
