# References: the log-sum-exp of mvtnorm::dmvnorm(log = TRUE) from
# helper-reference.R, and in one dimension stats::dnorm() and integrate().

test_that("dmixture matches the mvtnorm reference density in d = 1, 2, 5", {
  skip_if_not_installed("mvtnorm")
  for (d in c(1, 2, 5)) {
    params <- random_params(3, d, seed = 200 + d)
    x <- with_seed(d, matrix(rnorm(50 * d, sd = 3), 50, d))
    # Tolerance 1e-10 relative to the largest density.
    expect_max_diff(dmixture(x, params, n_threads = 1), exp(ref_e_step(x, params)$log_density),
                    1e-10, relative = TRUE)
  }
})

test_that("dmixture with log = TRUE matches the reference log-density, tails included", {
  skip_if_not_installed("mvtnorm")
  for (d in c(1, 2, 5)) {
    params <- random_params(3, d, seed = 300 + d)
    x <- points_with_tails(params, seed = d)
    log_density <- dmixture(x, params, log = TRUE, n_threads = 1)
    ref <- ref_e_step(x, params)$log_density
    # Each element within 1e-10 of the reference, relative to its own size.
    expect_max_diff(log_density / abs(ref), ref / abs(ref), 1e-10)
  }
})

test_that("dmixture in one dimension is the weighted sum of normal densities", {
  params <- mixture_params(c(0.3, 0.7), means = c(0, 4), covariances = c(1, 2))
  x <- seq(-5, 10, by = 0.25)
  direct <- 0.3 * dnorm(x, 0, 1) + 0.7 * dnorm(x, 4, sqrt(2))
  # Tolerance 1e-12 relative to the largest density.
  expect_max_diff(dmixture(x, params, n_threads = 1), direct, 1e-12, relative = TRUE)
})

test_that("dmixture with log = TRUE stays finite where the density underflows", {
  params <- mixture_params(c(0.3, 0.7), means = c(0, 4), covariances = c(1, 2))
  x <- c(-1e3, 2e3)
  expect_identical(dmixture(x, params, n_threads = 1), c(0, 0))
  # log(0.7 dnorm) dominates both points; the other term is exp(-1e5) smaller.
  expected <- log(0.7) + dnorm(x, 4, sqrt(2), log = TRUE)
  expect_max_diff(dmixture(x, params, log = TRUE, n_threads = 1), expected, 1e-12,
                  relative = TRUE)
})

test_that("a one-dimensional mixture density integrates to one", {
  params <- mixture_params(c(0.2, 0.5, 0.3), means = c(-3, 0, 5), covariances = c(0.5, 2, 1))
  total <- integrate(function(x) dmixture(x, params, n_threads = 1), -Inf, Inf,
                     rel.tol = 1e-10)$value
  # Tolerance 1e-8 for the quadrature.
  expect_max_diff(total, 1, 1e-8)
})

test_that("dmixture keeps the row names of the data", {
  params <- random_params(2, 2, seed = 5)
  x <- matrix(1:6, 3, 2, dimnames = list(c("a", "b", "c"), NULL))
  expect_named(dmixture(x, params, n_threads = 1), c("a", "b", "c"))
})
