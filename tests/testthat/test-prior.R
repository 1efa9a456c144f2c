# softmix(prior = softmix_prior()): MAP-EM under the conjugate prior,
# checked against mclust's EM with priorControl() and, for the four models
# mclust fits without a prior, against a plain-R EM of ref_m_step_prior()
# (helper-prior.R).

prior_mclust_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")

# mclust's EM with its default prior, from the posterior z, run far.
mclust_prior_fit <- function(x, z, model) {
  me_model <- get(paste0("me", model), envir = asNamespace("mclust"))
  me_model(x, z = z, prior = mclust::priorControl(),
           control = mclust::emControl(tol = c(1e-14, 1e-12)))
}

test_that("softmix reaches mclust's me(prior = priorControl()) fixed point, 10 models", {
  skip_if_not_installed("mclust")
  z <- one_hot(kmeans_labels(iris_x, 3), 3)
  for (model in prior_mclust_models) {
    reference <- mclust_prior_fit(iris_x, z, model)
    fit <- softmix(iris_x, model = model, init = z, prior = softmix_prior(),
                   control = softmix_control(tol = 1e-14), n_threads = 2)
    expect_mclust_fit(fit, reference, 1e-6)
  }
})

test_that("one-dimensional E and V reach mclust's fixed point with a prior", {
  skip_if_not_installed("mclust")
  x <- faithful_x[, "waiting"]
  z <- one_hot(kmeans_labels(matrix(x), 2), 2)
  for (model in c("E", "V")) {
    reference <- mclust_prior_fit(x, z, model)
    fit <- softmix(x, model = model, init = z, prior = softmix_prior(),
                   control = softmix_control(tol = 1e-14), n_threads = 1)
    expect_max_diff(fit$loglik, reference$loglik, 1e-6, relative = TRUE)
    expect_max_diff(fit$parameters$means[, 1], reference$parameters$mean, 1e-6,
                    relative = TRUE)
    # E has one variance, V one per component.
    expect_max_diff(fit$parameters$covariances[1, 1, ],
                    rep_len(reference$parameters$variance$sigmasq, 2), 1e-6, relative = TRUE)
  }
})

test_that("EVE, VEE, VVE and EVV reach the fixed point of a plain-R MAP-EM", {
  x <- faithful_x[seq(1, 272, by = 4), ]
  z <- one_hot(kmeans_labels(x, 2), 2)
  for (model in prior_new_models) {
    prior <- ref_default_prior(x, 2, model)
    params <- ref_m_step_prior(x, z, model, prior)
    for (i in 1:300) {
      posterior <- ref_e_step(x, do.call(mixture_params, params))$posterior
      params <- ref_m_step_prior(x, posterior, model, prior)
    }
    fit <- softmix(x, model = model, init = z, prior = softmix_prior(),
                   control = softmix_control(tol = 1e-14, max_iter = 5000), n_threads = 1)
    expect_max_diff(unname(fit$parameters$proportions), params$proportions, 1e-6,
                    relative = TRUE)
    expect_max_diff(fit$parameters$means, params$means, 1e-6, relative = TRUE)
    expect_max_diff(fit$parameters$covariances, params$covariances, 1e-6, relative = TRUE)
  }
})

test_that("the log posterior never falls, for every model", {
  z <- one_hot(kmeans_labels(iris_x, 3), 3)
  for (model in all_models) {
    fit <- softmix(iris_x, model = model, init = z, prior = softmix_prior(),
                   control = softmix_control(tol = 1e-12), n_threads = 1)
    trace <- fit$log_posterior_trace
    expect_true(length(trace) >= 2)
    expect_true(all(diff(trace) >= -1e-9 * abs(trace[-1])),
                info = paste(model, min(diff(trace))))
    # The reported log-likelihood excludes the prior, as mclust's does.
    expect_max_diff(fit$loglik, ref_e_step(iris_x, fit$parameters)$loglik, 1e-10,
                    relative = TRUE)
  }
})

test_that("a prior rescues the degenerate selection of 10 x 20 noise", {
  x <- with_seed(1, matrix(rnorm(200), 10, 20))
  fit <- softmix(x, k = 1:2, model = "all", prior = softmix_prior(), n_threads = 2,
                 verbose = FALSE)
  expect_true(all(!is.na(fit$selection$loglik)))
  expect_identical(fit$degenerate, "")
  expect_true(all(fit$selection$message == ""))
})

test_that("a prior combines with weights, noise and labels", {
  w <- with_seed(2, sample(1:2, nrow(faithful_x), replace = TRUE))
  rows <- rep(seq_len(nrow(faithful_x)), w)
  z <- one_hot(kmeans_labels(faithful_x, 2), 2)
  control <- plain_control(tol = 0, max_iter = 10)
  weighted <- to_max_iter(softmix(faithful_x, init = z, weights = w, prior = softmix_prior(),
                                  control = control, n_threads = 1))
  repeated <- to_max_iter(softmix(faithful_x[rows, ], init = z[rows, ], prior = softmix_prior(),
                                  control = control, n_threads = 1))
  expect_max_diff(weighted$loglik_trace, repeated$loglik_trace, 1e-10, relative = TRUE)
  noisy <- softmix(faithful_x, k = 2, noise = TRUE, prior = softmix_prior(), n_threads = 1)
  expect_true(noisy$converged)
  labels <- rep(NA, nrow(faithful_x))
  labels[1:10] <- kmeans_labels(faithful_x, 2)[1:10]
  labelled <- softmix(faithful_x, k = 2, labels = labels, prior = softmix_prior(),
                      n_threads = 1)
  expect_identical(labelled$classification[1:10], as.integer(labels[1:10]))
})

test_that("softmix_prior() settings reach the fit", {
  fit <- softmix(faithful_x, k = 2, prior = softmix_prior(shrinkage = 5, dof = 10,
                                                          scale = diag(c(0.1, 20))),
                 n_threads = 1)
  expect_identical(fit$prior$dof, 10)
  expect_identical(fit$prior$shrinkage, 5)
  expect_identical(fit$prior$scale, diag(c(0.1, 20)))
  expect_false(fit$prior$per_component)
  expect_output(print(softmix_prior()), "shrinkage: 0.01")
})

test_that("bad priors get an error naming the argument", {
  expect_error(softmix_prior(shrinkage = -1), "`shrinkage` must be one non-negative number",
               class = "softmix_error")
  expect_error(softmix_prior(scale = -2), "`scale` must be positive", class = "softmix_error")
  expect_error(softmix_prior(scale = matrix(c(1, 2, 2, 1), 2)),
               "`scale` must be a symmetric positive definite matrix", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, prior = softmix_prior(dof = 1), n_threads = 1),
               "`prior` needs `dof` above d - 1 = 1", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, prior = softmix_prior(mean = 1:3), n_threads = 1),
               "`prior` has a mean of 3 value\\(s\\) for 2 variable\\(s\\)",
               class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, prior = softmix_prior(scale = diag(3)),
                       n_threads = 1), "`prior` has a 3 x 3 scale", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 2, prior = list(), n_threads = 1),
               "`prior` must be NULL or made by softmix_prior()", class = "softmix_error")
})
