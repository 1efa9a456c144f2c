# The eight covariance models with parts shared across components (VEI, EVI,
# VEE, EVE, VVE, EEV, VEV, EVV). References: mclust's mstep(), me(),
# nMclustParams() and model names; the plain-R reference M steps of
# helper-shared-models.R; mvtnorm through ref_e_step().

datasets <- list(faithful = faithful_x, iris = iris_x, sim3 = sim3_x)

# mclust's VVE is not the maximum likelihood estimate (see ?softmix), so
# only the plain-R reference checks softmix's.
mclust_exact <- setdiff(new_models, "VVE")

# mclust with its inner iterations run to 1e-14, so that its M steps are
# exact to about 1e-8.
tight_inner <- function() mclust::emControl(tol = c(1e-5, 1e-14))

# mclust::mstep() and me() dispatch by evaluating mstep<model>() or
# me<model>() in the caller's frame, which needs mclust attached; call the
# exported functions directly instead.
mclust_mstep <- function(x, model, z) {
  getExportedValue("mclust", paste0("mstep", model))(x, z = z, control = tight_inner())
}
mclust_me <- function(x, model, z) {
  getExportedValue("mclust", paste0("me", model))(
    x, z = z, control = mclust::emControl(tol = c(1e-12, 1e-14))
  )
}

# Tolerances (relative to the largest entry) of one M step against exact
# references: the closed forms to rounding; VEI, VEV and VEE stop when no
# parameter changes by more than sqrt(.Machine$double.eps), which leaves
# errors of about 1e-9; EVE and VVE stop, as mclust does, when the objective
# falls by less than that in one iteration, which leaves it above its
# minimum by up to about 4e-8 relative (see m_step_objective_gap()) and the
# estimates up to about 5e-4 from the minimiser.
m_step_tolerance <- c(
  EVI = 1e-12, EEV = 1e-12, EVV = 1e-12, VEI = 1e-7, VEV = 1e-7, VEE = 1e-7, EVE = 2e-3,
  VVE = 2e-3
)

# How far above the reference's the M step's objective (-2 times the
# expected complete-data log-likelihood's covariance part) is, relative.
m_step_objective_gap <- function(x, w, covariances, reference, ridge = 0) {
  scatter <- ref_scatter(x, w, ridge)
  best <- ref_m_objective(scatter, colSums(w), reference)
  (ref_m_objective(scatter, colSums(w), covariances) - best) / abs(best)
}

# Plain EM (acceleration stops at other points near the same fixed point).
no_ridge <- function(tol = 1e-12) plain_control(tol = tol, max_iter = 5000, reg = 0)

test_that("the model table lists mclust's 14 models in its order with its descriptions", {
  skip_if_not_installed("mclust")
  table <- softmix:::model_table[!softmix:::model_table$univariate, ]
  expect_identical(table$code, mclust::mclust.options("emModelNames"))
  expect_identical(table$code, all_models)
  for (code in new_models) {
    expect_identical(table$description[table$code == code], mclust::mclustModelNames(code)$type)
  }
  expect_identical(softmix:::match_models("all", 3L), all_models)
  expect_identical(softmix:::match_models("all", 1L), c("E", "V"))
  # In one dimension a code keeps only its volume: V... is "V", E... is "E".
  expect_identical(softmix:::match_models(c("VEI", "EVE", "VVE"), 1L), c("V", "E"))
})

test_that("the number of parameters of every model is mclust's", {
  skip_if_not_installed("mclust")
  for (model in all_models) {
    for (d in 2:5) {
      for (k in 1:4) {
        expect_identical(softmix:::model_df(model, d, k),
                         as.numeric(mclust::nMclustParams(model, d, k)))
      }
    }
  }
  fit <- softmix(iris_x, k = 3, model = "EVE", init = kmeans_labels(iris_x, 3), n_threads = 1)
  expect_identical(attr(logLik(fit), "df"), as.numeric(mclust::nMclustParams("EVE", 4, 3)))
})

test_that("one M step of each new model matches mclust::mstep()", {
  skip_if_not_installed("mclust")
  for (name in names(datasets)) {
    x <- datasets[[name]]
    w <- soft_start(x, 3)
    for (model in mclust_exact) {
      ours <- m_step(x, w, model = model, n_threads = 1)
      ref <- mclust_mstep(x, model, w)$parameters
      expect_max_diff(ours$proportions, ref$pro, 1e-12)
      expect_max_diff(ours$means, t(ref$mean), 1e-12, relative = TRUE)
      expect_max_diff(ours$covariances, ref$variance$sigma, m_step_tolerance[[model]],
                      relative = TRUE)
    }
  }
})

test_that("one M step of each new model matches the plain-R reference", {
  for (name in names(datasets)) {
    x <- datasets[[name]]
    w <- soft_start(x, 3, seed = 2)
    for (model in new_models) {
      ours <- m_step(x, w, model = model, n_threads = 1)
      reference <- ref_m_step_shared(x, w, model)
      expect_params_match(ours, reference, m_step_tolerance[[model]])
      # The objective at its minimum to 1e-12 relative, 1e-6 for EVE and VVE.
      expect_lt(m_step_objective_gap(x, w, ours$covariances, reference$covariances),
                if (model %in% c("EVE", "VVE")) 1e-6 else 1e-12)
    }
  }
})

test_that("the ridge enters the new models as N_k * ridge on each scatter diagonal", {
  w <- soft_start(iris_x, 3, seed = 3)
  for (model in new_models) {
    expect_params_match(m_step(iris_x, w, model = model, reg = 0.05, n_threads = 1),
                        ref_m_step_shared(iris_x, w, model, reg = 0.05),
                        m_step_tolerance[[model]])
  }
})

test_that("softmix's VVE M step reaches a higher expected likelihood than mclust's", {
  skip_if_not_installed("mclust")
  for (x in list(iris_x, sim3_x)) {
    w <- soft_start(x, 3, seed = 4)
    scatter <- ref_scatter(x, w)
    ours <- m_step(x, w, model = "VVE", n_threads = 1)$covariances
    theirs <- mclust_mstep(x, "VVE", w)
    reference <- ref_m_step_shared(x, w, "VVE")$covariances
    # The M step minimises this objective; softmix's is the reference's to
    # 1e-6 relative (see m_step_tolerance) and mclust's is higher by more
    # than 1e-5 relative.
    objective <- function(covariances) ref_m_objective(scatter, colSums(w), covariances)
    expect_lt(abs(objective(ours) - objective(reference)), 1e-6 * abs(objective(reference)))
    expect_gt(objective(theirs$parameters$variance$sigma) - objective(ours),
              1e-5 * abs(objective(ours)))
  }
})

test_that("EM of each new model from a posterior matrix matches mclust::me()", {
  skip_if_not_installed("mclust")
  for (name in names(datasets)) {
    x <- datasets[[name]]
    k <- if (name == "faithful") 2 else 3
    z <- soft_start(x, k, seed = 5)
    for (model in mclust_exact) {
      fit <- softmix(x, k, model = model, init = z, control = no_ridge(), n_threads = 1)
      ref <- mclust_me(x, model, z)
      expect_true(fit$converged)
      # Log-likelihoods to 1e-10 relative (they agree to 1e-12). Stopping
      # when the log-likelihood changes by less than 1e-12 relative leaves
      # the parameters where it is flat (EVE's orientation) up to about
      # 2e-6 apart, so parameters and posteriors to 1e-5.
      expect_max_diff(fit$loglik, ref$loglik, 1e-10 * abs(ref$loglik))
      expect_max_diff(fit$parameters$proportions, ref$parameters$pro, 1e-5)
      expect_max_diff(fit$parameters$means, t(ref$parameters$mean), 1e-5, relative = TRUE)
      expect_max_diff(fit$parameters$covariances, ref$parameters$variance$sigma, 1e-5,
                      relative = TRUE)
      expect_max_diff(fit$posterior, ref$z, 1e-5)
    }
  }
})

test_that("EM of VVE ends at a fixed point of the reference M step, above mclust's", {
  skip_if_not_installed("mclust")
  for (name in c("iris", "sim3")) {
    x <- datasets[[name]]
    z <- soft_start(x, 3, seed = 5)
    fit <- softmix(x, 3, model = "VVE", init = z, control = no_ridge(1e-13), n_threads = 1)
    ref <- mclust_me(x, "VVE", z)
    expect_true(fit$converged)
    expect_gt(fit$loglik, ref$loglik)
    # One more reference M step moves the parameters by less than 1e-5.
    expect_params_match(ref_m_step_shared(x, fit$posterior, "VVE"), fit$parameters, 1e-5)
  }
})

test_that("EM of every new model never lowers the log-likelihood, and its E step agrees", {
  skip_if_not_installed("mvtnorm")
  for (model in new_models) {
    fit <- with_seed(6, softmix(iris_x, k = 3, model = model, control = no_ridge(1e-10),
                                n_threads = 1))
    trace <- fit$loglik_trace
    # Rounding only: 1e-12 relative.
    expect_true(all(diff(trace) >= -1e-12 * abs(trace[-1])), label = model)
    expect_true(fit$converged, label = model)
    step <- e_step(iris_x, fit$parameters, n_threads = 1)
    expect_max_diff(step$posterior, fit$posterior, 1e-10)
    expect_max_diff(step$loglik, fit$loglik, 1e-10 * abs(fit$loglik))
    reference <- ref_e_step(iris_x, fit$parameters)
    expect_max_diff(step$posterior, reference$posterior, 1e-10)
    expect_max_diff(step$loglik, reference$loglik, 1e-10 * abs(reference$loglik))
  }
})

test_that("the new models give identical fits for 1 and 2 threads", {
  for (model in new_models) {
    one <- with_seed(7, softmix(sim3_x, k = 3, model = model, n_threads = 1))
    two <- with_seed(7, softmix(sim3_x, k = 3, model = model, n_threads = 2))
    expect_identical(flatten_params(two$parameters), flatten_params(one$parameters))
    expect_identical(two$loglik_trace, one$loglik_trace)
  }
})

test_that("the inner iterations stop independently of the data's units", {
  w <- soft_start(sim3_x, 3, seed = 8)
  for (model in c("VEI", "VEV", "VEE", "EVE", "VVE")) {
    plain <- m_step(sim3_x, w, model = model, n_threads = 1)
    scaled <- m_step(1000 * sim3_x, w, model = model, n_threads = 1)
    # Scaling x by 1000 scales the covariances by 1e6, to the inner
    # tolerance's accuracy.
    expect_max_diff(scaled$covariances / 1e6, plain$covariances, m_step_tolerance[[model]],
                    relative = TRUE)
  }
})

test_that("a singular component is an error only where its model cannot share it away", {
  labels <- c(rep(1L, 148), 2L, 2L)  # component 2 has two points in four dimensions
  w <- one_hot(labels)
  for (model in c("EVV", "EVE", "VVE")) {
    expect_error(m_step(iris_x, w, model = model, n_threads = 1),
                 class = "softmix_error", regexp = "component 2 is not positive definite.*`reg`")
    expect_s3_class(m_step(iris_x, w, model = model, reg = 1e-6, n_threads = 1),
                    "mixture_params")
  }
  # Models that share shape (and orientation) across components estimate a
  # positive definite covariance for it from the other component.
  for (model in c("VEI", "VEE", "EEV", "VEV")) {
    fit <- m_step(iris_x, w, model = model, n_threads = 1)
    expect_true(all(eigen(fit$covariances[, , 2], only.values = TRUE)$values > 0), label = model)
  }
  # A variable constant within a component leaves EVI's shape singular.
  constant <- iris_x
  constant[labels == 2L, 1] <- 5
  expect_error(m_step(constant, w, model = "EVI", n_threads = 1),
               class = "softmix_error", regexp = "component 2")
})
