# References: mclust::me() from the same starting posterior, the brute-force
# E and M steps of helper-reference.R, manual EM rounds with e_step() and
# m_step(), and closed forms for one component.

# mclust's fitted parameters in softmix's layout.
mclust_params <- function(fit, d) {
  k <- fit$G
  p <- fit$parameters
  if (d == 1L) {
    means <- matrix(p$mean, k, 1)
    covariances <- array(rep_len(p$variance$sigmasq, k), c(1, 1, k))
  } else {
    means <- t(p$mean)
    covariances <- p$variance$sigma
  }
  list(proportions = p$pro, means = unname(means), covariances = unname(covariances))
}

mclust_cases <- rbind(
  data.frame(data = "faithful", model = multivariate_models, k = 2),
  data.frame(data = "iris", model = multivariate_models, k = 3),
  data.frame(data = "waiting", model = c("E", "V"), k = 2)
)

# mclust::me() dispatches by evaluating `me<model>()` in the caller's frame,
# which needs mclust attached; call the exported function directly instead.
mclust_me <- function(x, model, z, tol = 1e-12) {
  me_model <- getExportedValue("mclust", paste0("me", model))
  me_model(x, z = z, control = mclust::emControl(tol = c(tol, tol)))
}

case_data <- function(name) {
  switch(name, faithful = faithful_x, iris = iris_x, waiting = faithful$waiting)
}

test_that("fits match mclust::me from the same starting posterior for every model", {
  skip_if_not_installed("mclust")
  control <- plain_control(tol = 1e-12, reg = 0)
  for (i in seq_len(nrow(mclust_cases))) {
    x <- case_data(mclust_cases$data[i])
    model <- mclust_cases$model[i]
    z <- mclust::unmap(kmeans_labels(x, mclust_cases$k[i]))
    reference <- mclust_me(x, model, z)
    fit <- softmix(x, model = model, init = z, control = control, n_threads = 1)
    # Log-likelihood to 1e-7 relative; parameters to 1e-5 (proportions
    # absolute, means and covariances relative to their largest entry).
    expect_max_diff(fit$loglik, reference$loglik, 1e-7, relative = TRUE)
    expect_params_match(fit$parameters, mclust_params(reference, NCOL(x)), 1e-5)
  }
})

test_that("the fitted posterior matches mclust::me's responsibilities", {
  skip_if_not_installed("mclust")
  z <- mclust::unmap(kmeans_labels(iris_x, 3))
  reference <- mclust_me(iris_x, "VVV", z)
  fit <- softmix(iris_x, model = "VVV", init = z,
                 control = plain_control(tol = 1e-12, reg = 0), n_threads = 1)
  # Tolerance 1e-6 absolute on probabilities.
  expect_max_diff(fit$posterior, reference$z, 1e-6)
})

# Fits every model from both random starts and checks that no step of the
# log-likelihood trace falls by more than `tolerance` relative.
expect_monotone_traces <- function(control, tolerance) {
  for (init in c("kmeans++", "random")) {
    for (name in c("faithful", "iris")) {
      for (model in multivariate_models) {
        fit <- with_seed(1, softmix(case_data(name), k = 3, model = model, init = init,
                                    control = control, n_threads = 1))
        expect_lte(max_relative_drop(fit$loglik_trace), tolerance,
                   label = sprintf("largest fall for %s %s from %s", name, model, init))
      }
    }
    for (model in c("E", "V")) {
      fit <- with_seed(1, softmix(sim_1d, k = 2, model = model, init = init,
                                  control = control, n_threads = 1))
      expect_lte(max_relative_drop(fit$loglik_trace), tolerance,
                 label = sprintf("largest fall for 1-D %s from %s", model, init))
    }
  }
}

test_that("the log-likelihood never falls along the trace with reg = 0", {
  # Exact EM (reg = 0) never lowers the log-likelihood; a relative fall of
  # at most 1e-12 is allowed for rounding.
  expect_monotone_traces(softmix_control(tol = 1e-12, max_iter = 500, reg = 0), 1e-12)
})

test_that("with the default reg the log-likelihood falls by negligible amounts at most", {
  # The ridge makes each M step a penalised estimate, so ?softmix documents
  # falls of the order of reg; with reg = 1e-6 they stay below 1e-9 relative.
  expect_monotone_traces(softmix_control(tol = 1e-12, max_iter = 500), 1e-9)
})

test_that("max_iter = t from given parameters does exactly t rounds of e_step and m_step", {
  labels <- kmeans_labels(iris_x, 3)
  reg <- 1e-3
  for (model in multivariate_models) {
    start <- m_step(iris_x, one_hot(labels), model = model, reg = reg, n_threads = 1)
    for (t in c(1, 4)) {
      fit <- to_max_iter(softmix(iris_x, model = model, init = start,
                                 control = plain_control(tol = 0, max_iter = t, reg = reg),
                                 n_threads = 1))
      manual <- start
      manual_trace <- numeric(0)
      for (round in seq_len(t)) {
        step <- e_step(iris_x, manual, n_threads = 1)
        manual_trace <- c(manual_trace, step$loglik)
        manual <- m_step(iris_x, step$posterior, model = model, reg = reg, n_threads = 1)
      }
      expect_identical(fit$iterations, as.integer(t))
      expect_length(fit$loglik_trace, t + 1)
      # Parameters to 1e-10 against the manual rounds; the trace to 1e-12
      # relative against the manual log-likelihoods.
      expect_params_match(fit$parameters, manual, 1e-10)
      expect_max_diff(fit$loglik_trace[seq_len(t)], manual_trace, 1e-12, relative = TRUE)
      # The final loglik and posterior are those of the returned parameters.
      final <- e_step(iris_x, fit$parameters, n_threads = 1)
      expect_max_diff(fit$loglik, final$loglik, 1e-12, relative = TRUE)
      expect_max_diff(fit$posterior, final$posterior, 1e-12)
    }
  }
})

test_that("the returned loglik and posterior belong to the returned parameters", {
  skip_if_not_installed("mvtnorm")
  for (model in multivariate_models) {
    fit <- with_seed(2, softmix(iris_x, k = 3, model = model, n_threads = 1))
    reference <- ref_e_step(iris_x, fit$parameters)
    # loglik to 1e-12 relative against e_step() and 1e-10 against mvtnorm;
    # the posterior to 1e-12 against e_step() and 1e-10 against mvtnorm.
    expect_max_diff(fit$loglik, e_step(iris_x, fit$parameters, n_threads = 1)$loglik, 1e-12,
                    relative = TRUE)
    expect_max_diff(fit$loglik, reference$loglik, 1e-10, relative = TRUE)
    expect_max_diff(fit$posterior, e_step(iris_x, fit$parameters, n_threads = 1)$posterior,
                    1e-12)
    expect_max_diff(fit$posterior, reference$posterior, 1e-10)
    expect_identical(fit$loglik, fit$loglik_trace[length(fit$loglik_trace)])
  }
})

test_that("a full-covariance start for a diagonal model uses its off-diagonal entries", {
  skip_if_not_installed("mvtnorm")
  # The start has correlated covariances; the first E step must evaluate
  # them as given (as e_step() does), whatever model the M steps then fit.
  start <- m_step(iris_x, one_hot(kmeans_labels(iris_x, 3)), model = "VVV", n_threads = 1)
  reference <- ref_e_step(iris_x, start)
  for (model in c("EII", "VVI")) {
    fit <- to_max_iter(softmix(iris_x, model = model, init = start,
                               control = plain_control(tol = 0, max_iter = 1, reg = 0),
                               n_threads = 1))
    # The first trace entry to 1e-10 relative against mvtnorm.
    expect_max_diff(fit$loglik_trace[1], reference$loglik, 1e-10, relative = TRUE)
  }
  # One round: the M step from the start's responsibilities, to 1e-8.
  manual <- ref_m_step(iris_x, reference$posterior, "VVI")
  expect_max_diff(fit$parameters$means, manual$means, 1e-8, relative = TRUE)
})

test_that("the trace starts with the log-likelihood of the start", {
  skip_if_not_installed("mvtnorm")
  start <- m_step(faithful_x, one_hot(kmeans_labels(faithful_x, 2)), n_threads = 1)
  fit <- to_max_iter(softmix(faithful_x, init = start, control = plain_control(max_iter = 1),
                             n_threads = 1))
  expect_identical(fit$iterations, 1L)
  expect_length(fit$loglik_trace, 2)
  # To 1e-10 relative against mvtnorm.
  expect_max_diff(fit$loglik_trace[1], ref_e_step(faithful_x, start)$loglik, 1e-10,
                  relative = TRUE)
})

test_that("a posterior or labels start begins with an M step from it", {
  labels <- kmeans_labels(iris_x, 3)
  z <- random_weights(nrow(iris_x), 3, seed = 5)
  control <- plain_control(max_iter = 1, reg = 1e-4)
  # The first trace entry is the log-likelihood of the reference M step in
  # plain R, to 1e-12 relative.
  start_loglik <- function(weights, model) {
    start <- with(ref_m_step(iris_x, weights, model, reg = 1e-4),
                  mixture_params(proportions, means, covariances))
    e_step(iris_x, start, n_threads = 1)$loglik
  }
  for (model in c("VVV", "EEI")) {
    from_posterior <- to_max_iter(softmix(iris_x, model = model, init = z, control = control,
                                          n_threads = 1))
    expect_max_diff(from_posterior$loglik_trace[1], start_loglik(z, model), 1e-12,
                    relative = TRUE)
    from_labels <- to_max_iter(softmix(iris_x, model = model, init = labels, control = control,
                                       n_threads = 1))
    expect_max_diff(from_labels$loglik_trace[1], start_loglik(one_hot(labels), model), 1e-12,
                    relative = TRUE)
  }
})

test_that("k is taken from the start and labels equal their one-hot posterior", {
  labels <- kmeans_labels(faithful_x, 2)
  from_labels <- softmix(faithful_x, init = labels, n_threads = 1)
  from_matrix <- softmix(faithful_x, init = one_hot(labels), n_threads = 1)
  from_frame <- softmix(faithful_x, init = as.data.frame(one_hot(labels)), n_threads = 1)
  expect_identical(from_labels$k, 2L)
  expect_identical(from_labels$loglik_trace, from_matrix$loglik_trace)
  expect_identical(from_frame$loglik_trace, from_matrix$loglik_trace)
  params_start <- softmix(faithful_x, init = from_labels$parameters, n_threads = 1)
  expect_identical(params_start$k, 2L)
})

test_that("EM stops at the first relative change below tol", {
  # Rescaling faithful by c shifts its log-likelihood by 544 log(c); mclust's
  # maximum for two VVV components is -1130.264, so c = exp(-1130.264 / 544)
  # brings it near zero, where |l| and 1 + |l| differ most.
  grid <- expand.grid(tol = c(1e-4, 1e-8), scale = c(1, exp(-1130.264 / 544)))
  for (i in seq_len(nrow(grid))) {
    tol <- grid$tol[i]
    fit <- with_seed(4, softmix(faithful_x * grid$scale[i], k = 2, n_threads = 1,
                                control = plain_control(tol = tol)))
    trace <- fit$loglik_trace
    change <- abs(diff(trace)) / (1 + abs(trace[-1]))
    expect_true(fit$converged)
    expect_identical(fit$iterations, length(trace) - 1L)
    # Only the last change is below tol (documented stopping rule).
    expect_lt(change[length(change)], tol)
    expect_true(all(change[-length(change)] >= tol))
  }
})

test_that("one component gives the sample mean and ML covariance", {
  skip_if_not_installed("mvtnorm")
  control <- softmix_control(reg = 0)
  n <- nrow(faithful_x)
  ml_cov <- cov(faithful_x) * (n - 1) / n
  fit <- softmix(faithful_x, k = 1, control = control, n_threads = 1)
  # Tolerance 1e-12 relative for the estimates, 1e-10 for the loglik.
  expect_max_diff(fit$parameters$means, matrix(colMeans(faithful_x), 1), 1e-12,
                  relative = TRUE)
  expect_max_diff(fit$parameters$covariances[, , 1], ml_cov, 1e-12, relative = TRUE)
  expected_loglik <- sum(mvtnorm::dmvnorm(faithful_x, colMeans(faithful_x), ml_cov, log = TRUE))
  expect_max_diff(fit$loglik, expected_loglik, 1e-10, relative = TRUE)
  spherical <- softmix(faithful_x, k = 1, model = "EII", control = control, n_threads = 1)
  expect_max_diff(spherical$parameters$covariances[, , 1], diag(mean(diag(ml_cov)), 2), 1e-12,
                  relative = TRUE)
})

test_that("data near the largest doubles fit as the same data in ordinary units", {
  # The core scales the data by a power of two (2^-7 for faithful), so data
  # times 2^505 are scaled to the same bits and the fit differs only by
  # exact powers of two. Their scale's square, 2^1024, overflows: the
  # covariances were once brought back to the data's units with it. (The
  # stopping rule and the choice of extrapolated steps compare
  # log-likelihoods, which differ by a constant: a fixed number of plain EM
  # iterations keeps the two fits step for step.)
  power <- 505
  s <- 2^power
  control <- softmix_control(max_iter = 40, tol = 0, accelerate = FALSE)
  run <- function(x) suppressWarnings(softmix(x, 2, model = "VVV", control = control, n_threads = 1))
  fit <- with_seed(1, run(faithful_x))
  huge <- with_seed(1, run(faithful_x * s))
  expect_identical(huge$parameters$means, fit$parameters$means * s)
  expect_identical(huge$parameters$covariances, fit$parameters$covariances * s * s)
  expect_identical(huge$posterior, fit$posterior)
  expect_equal(huge$loglik, fit$loglik - length(faithful_x) * power * log(2), tolerance = 1e-12)
  expect_equal(predict(huge, faithful_x[1:5, ] * s, type = "posterior"),
               predict(fit, faithful_x[1:5, ], type = "posterior"), tolerance = 1e-12)
  expect_equal(dmixture(faithful_x[1:5, ] * s, huge$parameters, log = TRUE),
               dmixture(faithful_x[1:5, ], fit$parameters, log = TRUE) - 2 * power * log(2),
               tolerance = 1e-12)
})

test_that("fits are bit-identical for one and two threads over several blocks", {
  params <- random_params(3, 3, seed = 17)
  x <- with_seed(18, rmixture(2600, params))
  for (model in c("VVV", "VVI")) {
    for (init in c("kmeans++", "random")) {
      one <- with_seed(1, softmix(x, k = 3, model = model, init = init, n_threads = 1,
                                  control = softmix_control(max_iter = 50)))
      two <- with_seed(1, softmix(x, k = 3, model = model, init = init, n_threads = 2,
                                  control = softmix_control(max_iter = 50)))
      expect_identical(two$posterior, one$posterior)
      expect_identical(two$loglik_trace, one$loglik_trace)
      expect_identical(flatten_params(two$parameters), flatten_params(one$parameters))
    }
  }
})

test_that("e_step, m_step and dmixture are bit-identical for one and two threads", {
  params <- random_params(3, 4, seed = 19)
  x <- with_seed(20, rmixture(2100, params))
  expect_identical(e_step(x, params, n_threads = 2), e_step(x, params, n_threads = 1))
  expect_identical(dmixture(x, params, n_threads = 2), dmixture(x, params, n_threads = 1))
  w <- e_step(x, params, n_threads = 1)$posterior
  for (model in c("VVV", "EEI")) {
    expect_identical(flatten_params(m_step(x, w, model = model, n_threads = 2)),
                     flatten_params(m_step(x, w, model = model, n_threads = 1)))
  }
})

test_that("set.seed reproduces fits from k-means++ and random starts", {
  for (init in c("kmeans++", "random")) {
    first <- with_seed(11, softmix(iris_x, k = 3, init = init, n_init = 3, n_threads = 1))
    second <- with_seed(11, softmix(iris_x, k = 3, init = init, n_init = 3, n_threads = 1))
    expect_identical(second$posterior, first$posterior)
    expect_identical(second$loglik_trace, first$loglik_trace)
    other <- with_seed(12, softmix(iris_x, k = 3, init = init, n_init = 3, n_threads = 1))
    expect_false(identical(other$loglik_trace, first$loglik_trace))
  }
})

test_that("n_init keeps the best of the starts drawn in sequence", {
  for (init in c("kmeans++", "random")) {
    singles <- with_seed(21, lapply(1:3, function(i) {
      softmix(iris_x, k = 4, init = init, n_threads = 1,
              control = softmix_control(max_iter = 30))
    }))
    best <- with_seed(21, softmix(iris_x, k = 4, init = init, n_init = 3, n_threads = 1,
                                  control = softmix_control(max_iter = 30)))
    logliks <- vapply(singles, `[[`, numeric(1), "loglik")
    expect_identical(best$loglik, max(logliks))
    expect_identical(flatten_params(best$parameters),
                     flatten_params(singles[[which.max(logliks)]]$parameters))
  }
})

test_that("a vector is one-dimensional data fitted with the E and V models", {
  for (model in c("E", "V")) {
    from_vector <- with_seed(1, softmix(sim_1d, k = 2, model = model, n_threads = 1))
    from_matrix <- with_seed(1, softmix(matrix(sim_1d), k = 2, model = model, n_threads = 1))
    expect_identical(from_vector$model, model)
    expect_identical(from_vector$d, 1L)
    expect_identical(from_vector$loglik_trace, from_matrix$loglik_trace)
  }
  variances <- with_seed(1, softmix(sim_1d, k = 2, model = "E", n_threads = 1))
  expect_identical(variances$parameters$covariances[1, 1, 1],
                   variances$parameters$covariances[1, 1, 2])
})

test_that("multivariate codes map to E and V for one-dimensional data", {
  mapping <- c(EII = "E", EEI = "E", EEE = "E", VII = "V", VVI = "V", VVV = "V", full = "V")
  for (code in names(mapping)) {
    fit <- with_seed(1, softmix(sim_1d, k = 2, model = code, n_threads = 1))
    same <- with_seed(1, softmix(sim_1d, k = 2, model = mapping[[code]], n_threads = 1))
    expect_identical(fit$model, mapping[[code]])
    expect_identical(fit$loglik_trace, same$loglik_trace)
  }
})

test_that("model aliases give the same fit as their codes", {
  aliases <- c(full = "VVV", tied = "EEE", diagonal = "VVI", spherical = "VII")
  for (alias in names(aliases)) {
    fit <- with_seed(1, softmix(iris_x, k = 3, model = alias, n_threads = 1))
    code <- with_seed(1, softmix(iris_x, k = 3, model = aliases[[alias]], n_threads = 1))
    expect_identical(fit$model, aliases[[alias]])
    expect_identical(flatten_params(fit$parameters), flatten_params(code$parameters))
  }
})

test_that("model selection returns the pair with the lowest BIC", {
  fit <- with_seed(1, softmix(faithful_x, k = 1:3, model = c("VVV", "EII"), n_threads = 1))
  selection <- fit$selection
  expect_s3_class(selection, "data.frame")
  expect_setequal(paste(selection$k, selection$model),
                  paste(rep(1:3, 2), rep(c("VVV", "EII"), each = 3)))
  best <- which.min(selection$bic)
  expect_identical(fit$k, selection$k[best])
  expect_identical(fit$model, selection$model[best])
  expect_identical(fit$bic, min(selection$bic))
  # BIC = -2 loglik + df log n, to 1e-12 relative.
  expect_max_diff(selection$bic, -2 * selection$loglik + selection$df * log(nrow(faithful_x)),
                  1e-12, relative = TRUE)
})

test_that("model selection reports failing pairs and skips them", {
  x <- with_seed(2, matrix(rnorm(12), 6, 2))
  fit <- with_seed(1, softmix(x, k = 1:4, model = c("VVV", "EII"),
                              control = softmix_control(reg = 0), n_threads = 1))
  selection <- fit$selection
  # With 6 points, 3 or 4 full covariances always include a singular one.
  failing <- selection$model == "VVV" & selection$k >= 3
  expect_true(all(is.na(selection$bic[failing])))
  expect_true(all(grepl("positive definite", selection$message[failing])))
  expect_true(all(grepl("`reg`", selection$message[failing])))
  expect_true(all(selection$message[selection$model == "EII"] == ""))
  expect_identical(fit$bic, min(selection$bic, na.rm = TRUE))
})

test_that("\"all\" selects among every multivariate model", {
  fit <- with_seed(1, softmix(faithful_x, k = 2, model = "all", n_threads = 1))
  expect_identical(fit$selection$model, all_models)
  one_d <- with_seed(1, softmix(sim_1d, k = 2, model = "all", n_threads = 1))
  expect_setequal(one_d$selection$model, c("E", "V"))
})
