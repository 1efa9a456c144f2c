# SQUAREM acceleration and the stopping rules of softmix_control().
# References: plain EM (accelerate = FALSE) from the same start, run to a
# far tighter tolerance as the limit; the documented guarantee that the
# accepted log-likelihoods never fall with reg = 0.

all_models <- softmix:::model_table$code[!softmix:::model_table$univariate]

test_that("accelerated traces never fall with reg = 0, for every model and in 1-D", {
  control <- softmix_control(tol = 1e-10, max_iter = 2000, reg = 0)
  for (model in all_models) {
    for (name in c("faithful", "iris")) {
      x <- if (name == "faithful") faithful_x else iris_x
      fit <- tryCatch(with_seed(1, softmix(x, k = 3, model = model, control = control,
                                           n_threads = 1)),
                      softmix_error = function(e) NULL)
      if (is.null(fit)) next
      # Rounding only: a relative fall of at most 1e-12.
      expect_lte(max_relative_drop(fit$loglik_trace), 1e-12,
                 label = sprintf("largest fall for %s %s", name, model))
    }
  }
  for (model in c("E", "V")) {
    for (init in c("kmeans++", "random")) {
      fit <- with_seed(1, softmix(sim_1d, k = 2, model = model, init = init,
                                  control = control, n_threads = 1))
      expect_lte(max_relative_drop(fit$loglik_trace), 1e-12,
                 label = sprintf("largest fall for 1-D %s from %s", model, init))
    }
  }
})

test_that("the accelerated fit reaches plain EM's limit from the same start", {
  z <- one_hot(kmeans_labels(iris_x, 3))
  for (model in all_models) {
    limit <- tryCatch(softmix(iris_x, model = model, init = z, n_threads = 1,
                              control = plain_control(tol = 1e-13, max_iter = 20000, reg = 0)),
                      softmix_error = function(e) NULL)
    if (is.null(limit)) next
    fast <- softmix(iris_x, model = model, init = z, n_threads = 1,
                    control = softmix_control(tol = 1e-10, reg = 0))
    expect_true(fast$converged)
    expect_lte(fast$iterations, limit$iterations)
    # A fixed point of plain EM: plain EM from it stays there.
    again <- softmix(iris_x, model = model, init = fast$parameters, n_threads = 1,
                     control = plain_control(tol = 1e-13, max_iter = 20000, reg = 0))
    expect_max_diff(again$loglik, fast$loglik, 1e-8, relative = TRUE)
    # The same maximum, to 1e-8 relative, but for EVV: from this start its
    # first long step lands near another maximum (-205.60 against
    # -205.54), as any extrapolation can; bench/acceleration.R counts how
    # often over many fits.
    if (model != "EVV") expect_max_diff(fast$loglik, limit$loglik, 1e-8, relative = TRUE)
  }
})

test_that("acceleration leaves the saddle plain EM crawls along", {
  # From random responsibilities the two components of the E model start
  # nearly equal, a saddle of the likelihood that plain EM leaves slowly.
  # Near it the log-likelihood rises by about 1e-12 relative per step.
  control <- softmix_control(tol = 1e-13, max_iter = 500, reg = 0)
  plain <- to_max_iter(with_seed(1, softmix(sim_1d, k = 2, model = "E", init = "random",
                                            control = plain_control(tol = 1e-13,
                                                                    max_iter = 500, reg = 0),
                                            n_threads = 1)))
  fast <- with_seed(1, softmix(sim_1d, k = 2, model = "E", init = "random", control = control,
                               n_threads = 1))
  expect_false(plain$converged)
  expect_true(fast$converged)
  expect_lt(fast$iterations, 200L)
  # The maximum lies far above the saddle (by about 86 here).
  expect_gt(fast$loglik, plain$loglik + 10)
})

test_that("Aitken's rule stops within its tolerance of the limit", {
  labels <- kmeans_labels(iris_x, 3)
  for (accelerate in c(FALSE, TRUE)) {
    limit <- softmix(iris_x, init = labels, n_threads = 1,
                     control = plain_control(tol = 1e-14, max_iter = 20000, reg = 0))
    aitken <- softmix(iris_x, init = labels, n_threads = 1,
                      control = softmix_control(tol = 1e-6, reg = 0, accelerate = accelerate,
                                                stopping = "aitken"))
    expect_true(aitken$converged)
    # Within the tolerance of the limit, relative to 1 + |l|.
    expect_lte(abs(limit$loglik - aitken$loglik) / (1 + abs(limit$loglik)), 1e-6)
  }
})

test_that("accelerate = FALSE is plain EM: every pass an accepted step", {
  fit <- with_seed(2, softmix(iris_x, k = 3, control = plain_control(), n_threads = 1))
  expect_identical(fit$iterations, length(fit$loglik_trace) - 1L)
  expect_output(print(softmix_control(accelerate = FALSE)), "accelerate = FALSE")
})
