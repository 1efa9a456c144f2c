# References: the documented defaults and rules of softmix_control(), the
# brute-force M step of helper-reference.R, and the scale equivariance that
# the relative ridge promises.

test_that("the defaults are tol = 1e-8, max_iter = 1000, reg = 1e-6, accelerated", {
  control <- softmix_control()
  expect_s3_class(control, "softmix_control")
  expect_identical(control$tol, 1e-8)
  expect_identical(control$max_iter, 1000L)
  expect_identical(control$reg, 1e-6)
  expect_identical(control$accelerate, TRUE)
  expect_identical(control$stopping, "relative")
})

test_that("max_iter below 1, a negative tol and unknown settings are errors naming them", {
  expect_error(softmix_control(max_iter = 0), "`max_iter` must be at least 1",
               class = "softmix_error")
  expect_error(softmix_control(tol = -1e-8), "`tol` must be non-negative",
               class = "softmix_error")
  expect_error(softmix_control(accelerate = NA), "`accelerate` must be TRUE or FALSE",
               class = "softmix_error")
  expect_error(softmix_control(stopping = "absolute"), "`stopping` must be one of",
               class = "softmix_error")
})

test_that("choices may be abbreviated, as match.arg() allows", {
  expect_identical(softmix_control(stopping = "ait")$stopping, "aitken")
  expect_identical(softmix_control(stopping = "rel")$stopping, "relative")
  expect_error(softmix_control(stopping = ""), "`stopping` must be one of",
               class = "softmix_error")
  expect_error(softmix_control(stopping = NA_character_), "`stopping` must be one of",
               class = "softmix_error")
  full <- softmix(faithful_x, k = 1:2, model = "VVV", criterion = "icl", n_threads = 1)
  short <- softmix(faithful_x, k = 1:2, model = "VVV", criterion = "ic", n_threads = 1)
  expect_identical(short$criterion, "icl")
  expect_identical(short$loglik, full$loglik)
})

test_that("a control object edited by hand is checked again when used", {
  edits <- list(max_iter = 0, tol = NA, reg = -0.5, stopping = "foo", accelerate = NA,
                tol = "1e-3")
  messages <- c("`max_iter` must be at least 1", "`tol`", "`reg`", "`stopping` must be one of",
                "`accelerate` must be TRUE or FALSE", "`tol`")
  for (i in seq_along(edits)) {
    control <- softmix_control()
    control[[names(edits)[i]]] <- edits[[i]]
    expect_error(softmix(faithful_x, k = 2, control = control, n_threads = 1),
                 paste0("`control` holds an invalid setting: ", messages[i]),
                 class = "softmix_error")
  }
  # A valid edit is used.
  control <- softmix_control()
  control$max_iter <- 3
  expect_identical(suppressWarnings(softmix(faithful_x, k = 2, control = control,
                                            n_threads = 1))$control$max_iter, 3L)
})

test_that("settings are stored as given", {
  control <- softmix_control(tol = 0, max_iter = 7, reg = 0.5)
  expect_identical(control$tol, 0)
  expect_identical(control$max_iter, 7L)
  expect_identical(control$reg, 0.5)
  expect_output(print(control), "max_iter = 7")
})

test_that("tol = 0 runs until max_iter without converging, and warns", {
  for (accelerate in c(FALSE, TRUE)) {
    control <- softmix_control(tol = 0, max_iter = 25, accelerate = accelerate)
    expect_warning(
      fit <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1, control = control)),
      "EM stopped at max_iter = 25 before converging", class = "softmix_warning"
    )
    expect_identical(fit$iterations, 25L)
    expect_false(fit$converged)
    # Plain EM accepts every step; SQUAREM's rejected or intermediate
    # passes leave no trace entry.
    if (accelerate) expect_lte(length(fit$loglik_trace), 26) else expect_length(fit$loglik_trace, 26)
  }
})

test_that("a fit stored control is the one passed", {
  control <- softmix_control(tol = 1e-6, max_iter = 50, reg = 1e-3)
  fit <- with_seed(1, softmix(faithful_x, k = 2, control = control, n_threads = 1))
  expect_identical(fit$control, control)
})

test_that("reg adds reg times the variance of x[, j] to the starting covariances", {
  labels <- kmeans_labels(faithful_x, 2)
  for (model in c("VVV", "VVI", "EII")) {
    fit <- to_max_iter(softmix(faithful_x, model = model, init = labels, n_threads = 1,
                               control = plain_control(max_iter = 1, reg = 0.02)))
    # The first trace entry is the log-likelihood of the start: the
    # reference M step with the same relative ridge, to 1e-12.
    start <- with(ref_m_step(faithful_x, one_hot(labels), model, 0.02),
                  mixture_params(proportions, means, covariances))
    expect_max_diff(fit$loglik_trace[1], e_step(faithful_x, start, n_threads = 1)$loglik,
                    1e-12, relative = TRUE)
  }
})

test_that("with a relative reg, rescaling the variables rescales the fit", {
  labels <- kmeans_labels(iris_x, 3)
  scale <- c(1000, 1, 0.001, 10)
  scaled <- sweep(iris_x, 2, scale, `*`)
  control <- plain_control(reg = 0.01, tol = 0, max_iter = 50)
  for (model in c("VVV", "EEI")) {
    fit <- to_max_iter(softmix(iris_x, model = model, init = labels, control = control,
                               n_threads = 1))
    fit_scaled <- to_max_iter(softmix(scaled, model = model, init = labels, control = control,
                                      n_threads = 1))
    # Posterior to 1e-8 absolute; the means scale with the variables (1e-8
    # relative per column).
    expect_max_diff(fit_scaled$posterior, fit$posterior, 1e-8)
    expect_max_diff(sweep(fit_scaled$parameters$means, 2, scale, `/`), fit$parameters$means,
                    1e-8, relative = TRUE)
  }
})

test_that("a constant column borrows the mean variance of the others for its ridge", {
  x <- cbind(faithful_x, constant = 5)
  w <- random_weights(nrow(x), 2, seed = 3)
  fit <- m_step(x, w, model = "VVV", reg = 0.1, n_threads = 1)
  expected <- 0.1 * mean(ref_variance(faithful_x))
  # Tolerance 1e-12 relative: the weighted variance of a constant is zero.
  expect_max_diff(fit$covariances[3, 3, ], rep(expected, 2), 1e-12, relative = TRUE)
})
