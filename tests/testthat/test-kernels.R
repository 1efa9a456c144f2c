# The E and M steps are compiled for several instruction sets (portable,
# AVX2+FMA, AVX-512) and the best the CPU supports runs by default. Every
# path this machine supports must agree with the portable one.

# Fits from the same starting parameters with each supported kernel.
fits_by_kernel <- function(x, k, model, labels) {
  old <- softmix:::softmix_kernel()
  on.exit(softmix:::softmix_kernel(old))
  start <- m_step(x, one_hot(labels, k), model = model, reg = 1e-6)
  lapply(stats::setNames(nm = softmix:::supported_kernels()), function(kernel) {
    softmix:::softmix_kernel(kernel)
    # Plain EM: acceleration's accept decisions may go either way on rounding.
    to_max_iter(softmix(x, k, model = model, init = start,
                        control = plain_control(max_iter = 20, tol = 0), n_threads = 2))
  })
}

test_that("the portable kernel is always available and one is active", {
  kernels <- softmix:::supported_kernels()
  expect_identical(kernels[1], "portable")
  expect_true(softmix:::softmix_kernel() %in% kernels)
  expect_error(softmix:::softmix_kernel("no-such-isa"), class = "softmix_error")
})

test_that("every supported kernel gives the portable kernel's fit", {
  # 2,000 points in 5 dimensions span 8 blocks, the last one partial.
  sim <- with_seed(7, rmixture(1999, random_params(3, 5, seed = 7)))
  labels <- kmeans_labels(sim, 3)
  for (model in multivariate_models) {
    fits <- fits_by_kernel(sim, 3, model, labels)
    reference <- fits$portable
    for (kernel in names(fits)[-1]) {
      fit <- fits[[kernel]]
      # Paths differ only by rounding (fused multiply-add, vector sums):
      # 1e-12 relative on the log-likelihood trace and the parameters.
      expect_max_diff(fit$loglik_trace, reference$loglik_trace, 1e-12, relative = TRUE)
      expect_max_diff(flatten_params(fit$parameters), flatten_params(reference$parameters),
                      1e-10)
      expect_max_diff(fit$posterior, reference$posterior, 1e-10)
    }
  }
})

test_that("every supported kernel gives the same densities and responsibilities", {
  old <- softmix:::softmix_kernel()
  on.exit(softmix:::softmix_kernel(old))
  # Up to 10 dimensions the full-covariance kernels are specialised for
  # each d; 13 and 32 take several groups of rows of the general
  # triangular product, the last one partial for 13.
  for (d in c(1, 2, 3, 5, 8, 10, 11, 13, 32)) {
    params <- random_params(4, d, seed = 11)
    x <- points_with_tails(params, n = 300, seed = 11)
    softmix:::softmix_kernel("portable")
    reference <- e_step(x, params, n_threads = 1)
    reference_density <- dmixture(x, params, log = TRUE, n_threads = 1)
    for (kernel in softmix:::supported_kernels()) {
      softmix:::softmix_kernel(kernel)
      result <- e_step(x, params, n_threads = 1)
      # Responsibilities to 1e-12 absolute; log-densities to 1e-12 relative.
      expect_max_diff(result$posterior, reference$posterior, 1e-12)
      expect_max_diff(result$loglik, reference$loglik, 1e-12, relative = TRUE)
      expect_max_diff(dmixture(x, params, log = TRUE, n_threads = 1), reference_density, 1e-12,
                      relative = TRUE)
    }
  }
})

test_that("the small-d kernels give every supported kernel's fit at each small d", {
  # Full covariances in 2, 7 and 10 dimensions: the specialised kernels of
  # each instruction set against the portable one's.
  for (d in c(2, 7, 10)) {
    sim <- with_seed(d, rmixture(1500, random_params(3, d, seed = d)))
    labels <- kmeans_labels(sim, 3)
    fits <- fits_by_kernel(sim, 3, "VVV", labels)
    for (kernel in names(fits)[-1]) {
      expect_max_diff(fits[[kernel]]$loglik_trace, fits$portable$loglik_trace, 1e-12,
                      relative = TRUE)
      expect_max_diff(flatten_params(fits[[kernel]]$parameters),
                      flatten_params(fits$portable$parameters), 1e-10)
    }
  }
})

test_that("fits with the small-d kernels are identical on 1 and 2 threads", {
  # 60,000 rows: enough work that 2 threads really run (see
  # threads_for_work()), in many chunks of blocks.
  for (d in c(2, 5)) {
    sim <- with_seed(d, rmixture(60000, random_params(3, d, seed = d)))
    start <- m_step(sim, one_hot(kmeans_labels(sim, 3), 3), model = "VVV", reg = 1e-6)
    fit <- function(threads) {
      to_max_iter(softmix(sim, 3, init = start, control = plain_control(max_iter = 5, tol = 0),
                          n_threads = threads))
    }
    one <- fit(1)
    two <- fit(2)
    expect_identical(two$loglik_trace, one$loglik_trace)
    expect_identical(two$parameters, one$parameters)
    expect_identical(two$posterior, one$posterior)
  }
})
