# References: stats::cov.wt(method = "ML") per component and the pooled,
# diagonal and spherical formulas of ref_m_step() in helper-reference.R;
# for hard partitions, group means and covariances computed directly.

test_that("VVV covariances are the weighted ML covariances of stats::cov.wt", {
  for (data in list(faithful_x, iris_x)) {
    w <- random_weights(nrow(data), 3, seed = ncol(data))
    fit <- m_step(data, w, model = "VVV", n_threads = 1)
    for (j in 1:3) {
      reference <- cov.wt(data, wt = w[, j], method = "ML")$cov
      # Tolerance 1e-12 relative to the largest entry.
      expect_max_diff(fit$covariances[, , j], reference, 1e-12, relative = TRUE)
    }
  }
})

test_that("proportions are N_k / N and means are weighted means", {
  w <- random_weights(nrow(iris_x), 3, seed = 11)
  fit <- m_step(iris_x, w, model = "VVV", n_threads = 1)
  # Tolerance 1e-12 (absolute for proportions, relative for means).
  expect_max_diff(fit$proportions, colSums(w) / sum(w), 1e-12)
  weighted_means <- t(vapply(1:3, function(j) apply(iris_x, 2, weighted.mean, w = w[, j]),
                             numeric(4)))
  expect_max_diff(fit$means, weighted_means, 1e-12, relative = TRUE)
})

test_that("every covariance model matches the reference formulas with normalised weights", {
  for (data in list(faithful_x, iris_x)) {
    w <- random_weights(nrow(data), 3, seed = 20 + ncol(data))
    for (model in multivariate_models) {
      # Tolerance 1e-12 for each parameter (see expect_params_match()).
      expect_params_match(m_step(data, w, model = model, n_threads = 1),
                          ref_m_step(data, w, model), 1e-12)
    }
  }
})

test_that("every covariance model matches the reference with unnormalised weights", {
  w <- random_weights(nrow(iris_x), 2, seed = 31, normalise = FALSE)
  expect_false(isTRUE(all.equal(rowSums(w), rep(1, nrow(w)))))
  for (model in multivariate_models) {
    # Tolerance 1e-12 for each parameter.
    expect_params_match(m_step(iris_x, w, model = model, n_threads = 1),
                        ref_m_step(iris_x, w, model), 1e-12)
  }
})

test_that("scaling every weight by a constant leaves the estimates unchanged", {
  w <- random_weights(nrow(faithful_x), 2, seed = 41)
  for (model in c("VVV", "EII")) {
    # Tolerance 1e-12: the estimates depend on the weights only up to scale.
    expect_params_match(m_step(faithful_x, 7.5 * w, model = model, n_threads = 1),
                        m_step(faithful_x, w, model = model, n_threads = 1), 1e-12)
  }
})

test_that("one-hot posteriors give the estimates of the hard partition", {
  for (data in list(faithful_x, iris_x)) {
    labels <- kmeans_labels(data, 3)
    fit <- m_step(data, one_hot(labels), model = "VVV", n_threads = 1)
    # Tolerance 1e-12 against group means and ML covariances of each group.
    expect_params_match(fit, ref_hard_estimates(data, labels), 1e-12)
  }
})

test_that("a positive reg adds exactly reg times the variance of x[, j] to the covariance diagonals", {
  w <- random_weights(nrow(iris_x), 3, seed = 51)
  reg <- 0.05
  ridge <- reg * ref_variance(iris_x)
  for (model in multivariate_models) {
    plain <- m_step(iris_x, w, model = model, reg = 0, n_threads = 1)
    ridged <- m_step(iris_x, w, model = model, reg = reg, n_threads = 1)
    added <- if (model %in% c("EII", "VII")) rep(mean(ridge), 4) else ridge
    expected <- array(diag(added), c(4, 4, 3))
    # Tolerance 1e-12 relative on the difference; the means do not change.
    expect_max_diff(ridged$covariances - plain$covariances, expected, 1e-12, relative = TRUE)
    expect_identical(ridged$means, plain$means)
  }
})

test_that("a positive reg matches the reference ridge for every model", {
  w <- random_weights(nrow(faithful_x), 2, seed = 52)
  for (model in multivariate_models) {
    # Tolerance 1e-12 for each parameter.
    expect_params_match(m_step(faithful_x, w, model = model, reg = 0.01, n_threads = 1),
                        ref_m_step(faithful_x, w, model, reg = 0.01), 1e-12)
  }
})

test_that("one-dimensional data take the E and V models", {
  w <- random_weights(length(sim_1d), 2, seed = 61)
  for (model in c("E", "V")) {
    # Tolerance 1e-12 for each parameter.
    expect_params_match(m_step(sim_1d, w, model = model, n_threads = 1),
                        ref_m_step(sim_1d, w, model), 1e-12)
  }
  # A multivariate code maps to its one-dimensional equivalent.
  expect_identical(flatten_params(m_step(sim_1d, w, model = "VVV", n_threads = 1)),
                   flatten_params(m_step(sim_1d, w, model = "V", n_threads = 1)))
  expect_identical(flatten_params(m_step(sim_1d, w, model = "EEE", n_threads = 1)),
                   flatten_params(m_step(sim_1d, w, model = "E", n_threads = 1)))
})

test_that("model aliases give the same estimates as their codes", {
  w <- random_weights(nrow(iris_x), 2, seed = 71)
  aliases <- c(full = "VVV", tied = "EEE", diagonal = "VVI", spherical = "VII")
  for (alias in names(aliases)) {
    expect_identical(flatten_params(m_step(iris_x, w, model = alias, n_threads = 1)),
                     flatten_params(m_step(iris_x, w, model = aliases[[alias]], n_threads = 1)))
  }
})

test_that("a data frame and a posterior data frame are accepted", {
  w <- random_weights(nrow(faithful), 2, seed = 81)
  expect_identical(flatten_params(m_step(faithful, as.data.frame(w), n_threads = 1)),
                   flatten_params(m_step(faithful_x, w, n_threads = 1)))
})

test_that("m_step returns a valid mixture_params object", {
  w <- random_weights(nrow(iris_x), 3, seed = 91)
  fit <- m_step(iris_x, w, model = "EEE", n_threads = 1)
  expect_s3_class(fit, "mixture_params")
  expect_identical(dim(fit$covariances), c(4L, 4L, 3L))
  expect_identical(colnames(fit$means), colnames(iris_x))
})

test_that("constrained models are the documented reductions of VVV and EEE", {
  w <- random_weights(nrow(iris_x), 3, seed = 95)
  fits <- lapply(setNames(nm = multivariate_models), function(model) {
    m_step(iris_x, w, model = model, n_threads = 1)$covariances
  })
  n_k <- colSums(w)
  diagonal_of <- function(covariances) {
    array(apply(covariances, 3, function(s) diag(diag(s))), dim(covariances))
  }
  # Each relation to 1e-12 relative, computed in R from the VVV estimates.
  expect_max_diff(fits$VVI, diagonal_of(fits$VVV), 1e-12, relative = TRUE)
  expect_max_diff(fits$EEI, diagonal_of(fits$EEE), 1e-12, relative = TRUE)
  pooled <- apply(sweep(fits$VVV, 3, n_k, `*`), c(1, 2), sum) / sum(n_k)
  expect_max_diff(fits$EEE[, , 2], pooled, 1e-12, relative = TRUE)
  traces <- apply(fits$VVV, 3, function(s) sum(diag(s)))
  expect_max_diff(fits$VII[1, 1, ], traces / 4, 1e-12, relative = TRUE)
  expect_max_diff(fits$EII[1, 1, 3], sum(n_k * traces) / (sum(n_k) * 4), 1e-12, relative = TRUE)
})

test_that("VVV covariances match cov.wt where the scatter runs on point-major rows", {
  old <- softmix:::softmix_kernel()
  on.exit(softmix:::softmix_kernel(old))
  # These dimensions take the row-wise kernel (see uses_row_scatter() in
  # kernels.h); 13 and 27 are not multiples of its panel height of 8, so the
  # padding is exercised too. Its weighted rows are built in registers for
  # short rows (up to 64 doubles with AVX-512, 16 with AVX2) and column by
  # column for longer ones, so every supported kernel takes both ways.
  for (d in c(13, 24, 27, 72)) {
    data <- with_seed(100 + d, matrix(rnorm(700 * d), 700, d) %*% matrix(rnorm(d * d), d, d) + 3)
    w <- random_weights(nrow(data), 3, seed = d)
    references <- lapply(1:3, function(j) cov.wt(data, wt = w[, j], method = "ML"))
    for (kernel in softmix:::supported_kernels()) {
      softmix:::softmix_kernel(kernel)
      fit <- m_step(data, w, model = "VVV", n_threads = 2)
      for (j in 1:3) {
        # Tolerance 1e-11 relative to the largest entry.
        expect_max_diff(fit$means[j, ], references[[j]]$center, 1e-11, relative = TRUE)
        expect_max_diff(fit$covariances[, , j], references[[j]]$cov, 1e-11, relative = TRUE)
      }
    }
  }
})

test_that("covariances of clusters far from the origin keep their accuracy", {
  # Clusters of standard deviation 0.01 around 1e4: one part in 1e6 of the
  # data's magnitude. The scatter is centred on the component means in one
  # factor, so rounding grows with that ratio, to about 1e-10 here.
  for (d in c(3, 12)) {
    data <- with_seed(200 + d, {
      centres <- 1e4 + matrix(rnorm(2 * d, sd = 0.05), 2, d)
      centres[rep(1:2, 300), ] + matrix(rnorm(600 * d, sd = 0.01), 600, d)
    })
    w <- random_weights(nrow(data), 2, seed = d)
    fit <- m_step(data, w, model = "VVV", n_threads = 1)
    for (j in 1:2) {
      reference <- cov.wt(data, wt = w[, j], method = "ML")$cov
      # Tolerance 1e-8 relative to the largest entry.
      expect_max_diff(fit$covariances[, , j], reference, 1e-8, relative = TRUE)
    }
  }
})

test_that("a singular M step points to m_step()'s own reg", {
  err <- expect_error(m_step(faithful_x[1:3, ], cbind(c(1, 1, 0), c(0, 0, 1)), "VVV",
                             n_threads = 1), "not positive definite", class = "softmix_error")
  expect_match(conditionMessage(err), "increase `reg` or", fixed = TRUE)
  expect_no_match(conditionMessage(err), "softmix_control", fixed = TRUE)
  # With m_step()'s reg it succeeds.
  expect_s3_class(m_step(faithful_x[1:3, ], cbind(c(1, 1, 0), c(0, 0, 1)), "VVV", reg = 1e-6,
                         n_threads = 1), "mixture_params")
})
