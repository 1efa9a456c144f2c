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

test_that("edited parameters are checked again where they are used", {
  params <- mixture_params(c(0.5, 0.5), c(0, 1), c(1, 1))
  edited <- function(name, value) {
    params[[name]] <- value
    params
  }
  # Each of these gave a number (pmixture(Inf) of 4, a finite log-likelihood,
  # a density of 3e307) or an obscure error from R or Rcpp.
  expect_error(pmixture(Inf, edited("proportions", c(2, 2))),
               "`parameters\\$proportions` must sum to 1; they sum to 4", class = "softmix_error")
  expect_error(e_step(1:3, edited("proportions", c(0.5, NA))),
               "`parameters\\$proportions` must be a vector of finite numbers",
               class = "softmix_error")
  expect_error(dmixture(1, edited("proportions", c(0.5, NaN))),
               "`parameters\\$proportions`.*NaN", class = "softmix_error")
  expect_error(e_step(1:3, edited("proportions", c(1.5, -0.5))),
               "`parameters\\$proportions` must all be non-negative", class = "softmix_error")
  expect_error(e_step(1:3, edited("proportions", c(0.2, 0.3, 0.5))),
               "must have 2 entries", class = "softmix_error")
  expect_error(e_step(1:3, edited("means", c(0, 1))),
               "`parameters\\$means` must be a numeric K x d matrix", class = "softmix_error")
  expect_error(dmixture(1, edited("means", matrix(c(0, Inf), 2, 1))),
               "`parameters\\$means` must contain only finite numbers", class = "softmix_error")
  expect_error(e_step(1:3, edited("covariances", NULL)),
               "`parameters\\$covariances` must be a 1 x 1 x 2", class = "softmix_error")
  expect_error(rmixture(3, edited("covariances", array(c(1, NA), c(1, 1, 2)))),
               "`parameters\\$covariances` must contain only finite numbers",
               class = "softmix_error")
  # An asymmetric edit: the core reads one triangle, so the other side's
  # value was ignored after a warning from Armadillo.
  fit2 <- softmix(faithful_x, 2, model = "VVV", n_threads = 1)
  asymmetric <- fit2$parameters
  asymmetric$covariances[1, 2, 2] <- asymmetric$covariances[1, 2, 2] + 0.5
  for (call in list(quote(dmixture(faithful_x, asymmetric)), quote(e_step(faithful_x, asymmetric)),
                    quote(rmixture(2, asymmetric)), quote(pmixture(c(2, 60), asymmetric)))) {
    expect_error(eval(call), "`parameters\\$covariances\\[, , 2\\]` is not symmetric",
                 class = "softmix_error")
  }
  expect_error(softmix(faithful_x, 2, init = asymmetric, n_threads = 1),
               "`init\\$covariances\\[, , 2\\]` is not symmetric", class = "softmix_error")
  # A fit's parameters, edited, are checked before predict() uses them.
  fit <- softmix(faithful$waiting, k = 2, n_threads = 1)
  fit$parameters$proportions <- c(0.5, 0.6)
  expect_error(predict(fit, 60), "they sum to 1.1", class = "softmix_error")
  # Unedited parameters still work.
  expect_equal(pmixture(Inf, params), 1)
  expect_equal(sum(e_step(1:3, params)$posterior[1, ]), 1)
})

test_that("a fit given where parameters go says to pass its $parameters", {
  fit <- softmix(faithful_x, 2, model = "VVV", n_threads = 1)
  for (call in list(quote(e_step(faithful_x, fit)), quote(dmixture(faithful_x, fit)),
                    quote(rmixture(2, fit)))) {
    expect_error(eval(call), "is a softmix\\(\\) fit; pass its parameters, `fit\\$parameters`",
                 class = "softmix_error")
  }
})

test_that("edited noise parameters are checked again where they are used", {
  params <- mixture_params(c(0.4, 0.4, 0.2), c(0, 1), c(1, 1), hypervolume = 10)
  expect_equal(dmixture(0, params), 0.4 * dnorm(0) + 0.4 * dnorm(0, 1) + 0.2 / 10)
  shrunk <- params
  shrunk$hypervolume <- -1
  expect_error(dmixture(1, shrunk), "`parameters\\$hypervolume` must be one positive finite",
               class = "softmix_error")
  # A noise box must have the hypervolume's volume: rmixture() draws from it.
  expect_error(mixture_params(c(0.4, 0.4, 0.2), rbind(c(0, 0), c(2, 2)), diag(2),
                              hypervolume = 100, noise_box = rbind(c(0, 0), c(1, 1))),
               "`noise_box` has volume 1 but `hypervolume` is 100", class = "softmix_error")
  boxed <- mixture_params(c(0.4, 0.4, 0.2), c(0, 1), c(1, 1), noise_box = rbind(-5, 5))
  expect_identical(boxed$hypervolume, 10)
  boxed$hypervolume <- 20
  expect_error(rmixture(5, boxed), "`parameters\\$noise_box` has volume 10 but",
               class = "softmix_error")
  no_share <- params
  no_share$proportions <- c(0.5, 0.5)
  expect_error(dmixture(1, no_share), "one per component and the noise's share last",
               class = "softmix_error")
})

test_that("mixture_params() and the re-check share their messages", {
  expect_error(mixture_params(c(0.5, NA), c(0, 1), c(1, 1)),
               "`proportions` must be a vector of finite numbers", class = "softmix_error")
  expect_error(mixture_params(c(0.5, 0.6), c(0, 1), c(1, 1)), "they sum to 1.1",
               class = "softmix_error")
  expect_error(mixture_params(c(1, 0), c(0, 1), c(1, 1)), "must all be positive",
               class = "softmix_error")
  expect_error(mixture_params(1, NaN, 1), "`means` must contain only finite numbers",
               class = "softmix_error")
})
