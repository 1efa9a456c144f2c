# Observation weights: softmix(weights =), e_step(weights =) and
# m_step(weights =), checked against the data with rows repeated or removed,
# mvtnorm's densities, stats::cov.wt() and mclust's me.weighted().

# Integer weights 0..3 for faithful, and the data with each row repeated as
# often as its weight says.
weights_int <- with_seed(11, sample(0:3, nrow(faithful_x), replace = TRUE))
repeated_x <- faithful_x[rep(seq_len(nrow(faithful_x)), weights_int), ]
faithful_start <- with(
  ref_m_step(faithful_x, one_hot(kmeans_labels(faithful_x, 3)), "VVV"),
  mixture_params(proportions, means, covariances)
)

test_that("integer weights give the fit of the data with rows repeated, for every model", {
  for (model in all_models) {
    control <- plain_control(tol = 0, max_iter = 15)
    weighted <- to_max_iter(softmix(faithful_x, model = model, init = faithful_start,
                                    weights = weights_int, control = control, n_threads = 2))
    repeated <- to_max_iter(softmix(repeated_x, model = model, init = faithful_start,
                                    control = control, n_threads = 2))
    # 1e-10 relative: the same sums, added in another order.
    expect_max_diff(weighted$loglik_trace, repeated$loglik_trace, 1e-10, relative = TRUE)
    expect_max_diff(flatten_params(weighted$parameters), flatten_params(repeated$parameters),
                    1e-10, relative = TRUE)
    expect_identical(nobs(weighted), as.numeric(nrow(repeated_x)))
    expect_max_diff(weighted$bic, repeated$bic, 1e-10, relative = TRUE)
    expect_max_diff(weighted$icl, repeated$icl, 1e-10, relative = TRUE)
  }
})

test_that("weighted fits to convergence, accelerated, match the rows repeated", {
  weighted <- softmix(faithful_x, init = faithful_start, weights = weights_int, n_threads = 1)
  repeated <- softmix(repeated_x, init = faithful_start, n_threads = 1)
  expect_true(weighted$converged)
  expect_max_diff(weighted$loglik, repeated$loglik, 1e-10, relative = TRUE)
  expect_max_diff(flatten_params(weighted$parameters), flatten_params(repeated$parameters),
                  1e-8, relative = TRUE)
})

test_that("zero weights give the fit without those rows", {
  kept <- weights_int > 0
  w <- as.numeric(kept)
  for (model in c("VVV", "EEE", "VII", "VEV", "EVE")) {
    control <- plain_control(tol = 0, max_iter = 15)
    weighted <- to_max_iter(softmix(faithful_x, model = model, init = faithful_start,
                                    weights = w, control = control, n_threads = 1))
    subset <- to_max_iter(softmix(faithful_x[kept, ], model = model, init = faithful_start,
                                  control = control, n_threads = 1))
    expect_max_diff(weighted$loglik_trace, subset$loglik_trace, 1e-10, relative = TRUE)
    expect_max_diff(flatten_params(weighted$parameters), flatten_params(subset$parameters),
                    1e-10, relative = TRUE)
    # The posterior of the left-out rows is still that of the fitted mixture.
    expect_max_diff(weighted$posterior, ref_e_step(faithful_x, weighted$parameters)$posterior,
                    1e-10)
  }
})

test_that("equal weights give the unweighted parameters, with the ridge too", {
  for (model in c("VVV", "VVI", "EEV")) {
    # Plain EM: in 20 unconverged accelerated iterations, rounding can decide
    # whether an extrapolated step is taken, and the two fits then part by
    # up to 7e-10 from some starts, which says nothing of the weights.
    control <- softmix_control(tol = 0, max_iter = 20, accelerate = FALSE)
    plain <- to_max_iter(with_seed(3, softmix(iris_x, k = 3, model = model, init = "kmeans++",
                                              control = control, n_threads = 1)))
    scaled <- to_max_iter(with_seed(1, softmix(iris_x, model = model, init = plain$parameters,
                                               weights = rep(2.5, 150), control = control,
                                               n_threads = 1)))
    again <- to_max_iter(with_seed(1, softmix(iris_x, model = model, init = plain$parameters,
                                              control = control, n_threads = 1)))
    expect_max_diff(flatten_params(scaled$parameters), flatten_params(again$parameters),
                    1e-10, relative = TRUE)
    expect_max_diff(scaled$loglik, 2.5 * again$loglik, 1e-10, relative = TRUE)
    expect_identical(nobs(scaled), 375)
  }
})

test_that("sampling weights are scaled to sum to n and BIC counts the rows", {
  w <- with_seed(3, runif(nrow(faithful_x), 0.2, 2))
  control <- plain_control(tol = 0, max_iter = 10)
  sampling <- to_max_iter(softmix(faithful_x, init = faithful_start, weights = w,
                                  weight_type = "sampling", control = control, n_threads = 1))
  frequency <- to_max_iter(softmix(faithful_x, init = faithful_start,
                                   weights = w * nrow(faithful_x) / sum(w), control = control,
                                   n_threads = 1))
  expect_max_diff(sampling$loglik, frequency$loglik, 1e-12, relative = TRUE)
  expect_identical(nobs(sampling), nrow(faithful_x))
  expect_max_diff(sampling$bic, -2 * sampling$loglik + sampling$df * log(nrow(faithful_x)),
                  1e-12, relative = TRUE)
  expect_identical(sampling$weight_type, "sampling")
  expect_max_diff(sum(sampling$weights), nrow(faithful_x), 1e-12, relative = TRUE)
})

test_that("e_step() gives the weighted log-likelihood and the unweighted posterior", {
  w <- with_seed(4, runif(nrow(iris_x)))
  params <- with(ref_m_step(iris_x, one_hot(kmeans_labels(iris_x, 3)), "VVV"),
                 mixture_params(proportions, means, covariances))
  e <- e_step(iris_x, params, weights = w, n_threads = 2)
  reference <- ref_e_step(iris_x, params)
  expect_max_diff(e$loglik, sum(w * reference$log_density), 1e-12, relative = TRUE)
  expect_max_diff(e$posterior, reference$posterior, 1e-12)
})

test_that("m_step() with weights is the M step of the posterior times the weights", {
  w <- with_seed(5, runif(nrow(iris_x), 0, 3))
  posterior <- ref_e_step(iris_x, with(
    ref_m_step(iris_x, one_hot(kmeans_labels(iris_x, 3)), "VVV"),
    mixture_params(proportions, means, covariances)
  ))$posterior
  for (model in c("VVV", "EEE", "VVI", "EII")) {
    got <- m_step(iris_x, posterior, model = model, weights = w, n_threads = 2)
    reference <- ref_m_step(iris_x, posterior * w, model)
    expect_max_diff(got$proportions, reference$proportions, 1e-12, relative = TRUE)
    expect_max_diff(got$means, reference$means, 1e-12, relative = TRUE)
    expect_max_diff(got$covariances, reference$covariances, 1e-12, relative = TRUE)
  }
  # The VVV covariance is stats::cov.wt()'s ML estimate with weights w * z.
  got <- m_step(iris_x, posterior, model = "VVV", weights = w, n_threads = 1)
  expect_max_diff(got$covariances[, , 2],
                  stats::cov.wt(iris_x, wt = w * posterior[, 2], method = "ML")$cov,
                  1e-12, relative = TRUE)
})

test_that("the ridge uses the weighted variance", {
  w <- with_seed(6, runif(nrow(iris_x), 0, 3))
  posterior <- one_hot(kmeans_labels(iris_x, 3))
  ridged <- m_step(iris_x, posterior, model = "VVV", reg = 0.01, weights = w, n_threads = 1)
  plain <- m_step(iris_x, posterior, model = "VVV", reg = 0, weights = w, n_threads = 1)
  for (j in 1:3) {
    expect_max_diff(diag(ridged$covariances[, , j] - plain$covariances[, , j]),
                    ref_ridge(iris_x, 0.01, w), 1e-9, relative = TRUE)
  }
})

test_that("weighted fits reach the fixed point of mclust's me.weighted()", {
  skip_if_not_installed("mclust")
  w <- with_seed(7, runif(nrow(faithful_x), 0.1, 1))
  z <- one_hot(kmeans_labels(faithful_x, 2))
  for (model in c("VVV", "EEE", "VVI", "EEV")) {
    reference <- mclust::me.weighted(faithful_x, modelName = model, z = z, weights = w,
                                     control = mclust::emControl(tol = c(1e-13, 1e-13)))
    fit <- softmix(faithful_x, model = model, init = z, weights = w,
                   control = softmix_control(tol = 1e-13, reg = 0), n_threads = 1)
    expect_max_diff(fit$parameters$proportions, reference$parameters$pro, 1e-6,
                    relative = TRUE)
    expect_max_diff(fit$parameters$means, t(reference$parameters$mean), 1e-6, relative = TRUE)
    expect_max_diff(fit$parameters$covariances, reference$parameters$variance$sigma, 1e-6,
                    relative = TRUE)
    # me.weighted() reports the log-likelihood divided by the mean weight.
    expect_max_diff(fit$loglik / mean(w), reference$loglik, 1e-6, relative = TRUE)
  }
})

test_that("k-means++ starts draw and average by weight", {
  weighted <- to_max_iter(with_seed(21, softmix(
    faithful_x, k = 3, init = "kmeans++", weights = weights_int,
    control = plain_control(tol = 0, max_iter = 5), n_threads = 1
  )))
  repeated <- to_max_iter(with_seed(21, softmix(
    repeated_x, k = 3, init = "kmeans++", control = plain_control(tol = 0, max_iter = 5),
    n_threads = 1
  )))
  expect_max_diff(weighted$loglik_trace, repeated$loglik_trace, 1e-10, relative = TRUE)
})

test_that("a weighted selection counts n as the sum of the weights", {
  w <- with_seed(8, runif(nrow(iris_x), 0.5, 2))
  fit <- with_seed(2, softmix(iris_x, k = 1:3, model = c("VVV", "EEE"), weights = w,
                              n_threads = 2, verbose = FALSE))
  sound <- !is.na(fit$selection$bic)
  expect_max_diff(fit$selection$bic[sound],
                  -2 * fit$selection$loglik[sound] + fit$selection$df[sound] * log(sum(w)),
                  1e-12, relative = TRUE)
  # The chosen pair, refitted alone from the same starts, is the same fit.
  alone <- with_seed(2, softmix(iris_x, k = fit$k, model = fit$model, weights = w,
                                n_threads = 1))
  expect_max_diff(alone$loglik, fit$loglik, 1e-12, relative = TRUE)
  expect_max_diff(fit$posterior, ref_e_step(iris_x, fit$parameters)$posterior, 1e-9)
  expect_identical(generics::glance(fit)$nobs, sum(w))
  expect_identical(attr(logLik(fit), "nobs"), sum(w))
  expect_output(print(summary(fit)), "Frequency weights summing to")
})

test_that("bad weights get an error naming the argument", {
  n <- nrow(faithful_x)
  expect_error(softmix(faithful_x, k = 2, weights = rep(1, n - 1), n_threads = 1),
               "`weights` must have one entry per observation: 271 for 272", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, weights = c(-1, rep(1, n - 1)), n_threads = 1),
               "`weights` must be non-negative \\(entry 1", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, weights = c(NA, rep(1, n - 1)), n_threads = 1),
               "`weights` must not be NA", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, weights = c(Inf, rep(1, n - 1)), n_threads = 1),
               "`weights` must be finite", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, weights = rep(0, n), n_threads = 1),
               "`weights` are all zero", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, weights = letters[1:2], n_threads = 1),
               "`weights` must be a numeric vector", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, weights = rep(1, n), weight_type = "x",
                       n_threads = 1), "weight_type", class = "softmix_error")
  expect_error(e_step(faithful_x, faithful_start, weights = 1:3, n_threads = 1),
               "`weights` must have one entry per observation", class = "softmix_error")
  expect_error(m_step(faithful_x, one_hot(kmeans_labels(faithful_x, 2)),
                      weights = c(-1, rep(1, n - 1)), n_threads = 1),
               "`weights` must be non-negative", class = "softmix_error")
})

test_that("a component on one row of large weight is degenerate, as on its copies", {
  x <- rbind(faithful_x, c(10, 200))
  w <- c(rep(1, nrow(faithful_x)), 20)
  start <- mixture_params(c(0.45, 0.45, 0.1), means = rbind(c(2, 55), c(4.3, 80), c(10, 200)),
                          covariances = array(c(0.1, 0, 0, 30, 0.2, 0, 0, 40, 1, 0, 0, 1),
                                              c(2, 2, 3)))
  weighted <- suppressWarnings(softmix(x, init = start, weights = w, n_threads = 1))
  repeated <- suppressWarnings(softmix(x[rep(seq_len(nrow(x)), w), ], init = start,
                                       n_threads = 1))
  expect_match(weighted$degenerate, "component 3 rests on 1 point")
  # Copies of a point are distinct rows, so that fit is degenerate by the
  # ridge's share instead.
  expect_match(repeated$degenerate, "component 3 is singular but for the ridge")
})

test_that("the default starts (hc and k-means++) use the weights as repeated rows", {
  # Whole-number weights summing to at most 2000: the hc tree is built on
  # the rows repeated, and k-means++ draws the same points.
  for (init in list("hc", c("hc", "kmeans++"))) {
    weighted <- with_seed(5, softmix(faithful_x, k = 3, init = init, weights = weights_int,
                                     n_threads = 1))
    repeated <- with_seed(5, softmix(repeated_x, k = 3, init = init, n_threads = 1))
    expect_max_diff(weighted$loglik_trace, repeated$loglik_trace, 1e-10, relative = TRUE)
  }
  partition <- softmix:::hc_partitions(faithful_x, 3, weights = weights_int)
  expect_true(all(is.na(partition[weights_int == 0, 1])))
  expect_identical(partition[rep(seq_len(nrow(faithful_x)), weights_int), 1],
                   softmix:::hc_partitions(repeated_x, 3)[, 1])
})
