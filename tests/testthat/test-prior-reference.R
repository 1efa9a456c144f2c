# The plain-R reference of the M step under mclust's conjugate prior
# (helper-prior.R) against mclust, and its four new models (EVE, VEE, VVE,
# EVV) against direct numerical maximisation of the log posterior.

# mclust::mstep()'s parameters as list(proportions, means K x d, covariances d x d x K).
mclust_prior_params <- function(fit) {
  p <- fit$parameters
  k <- length(p$pro)
  d <- if (is.null(dim(p$mean))) 1L else nrow(p$mean)
  sigma <- if (d > 1) p$variance$sigma else rep_len(p$variance$sigmasq, k)
  list(proportions = p$pro, means = t(matrix(p$mean, d, k)), covariances = array(sigma, c(d, d, k)))
}

# priorControl() for a fixed list of prior values (defaultPrior() would
# ignore a dof).
fixed_prior_control <- function(prior) {
  mclust::priorControl(functionName = function(data, G, modelName, ...) prior)
}

# mclust::mstep() dispatches by evaluating a call to mstepXXX() in its
# caller's frame, which finds it only when mclust is attached; this calls
# mstepXXX() itself, as mstep() would.
expect_prior_m_step_matches_mclust <- function(x, z, model, prior, control, tolerance = 1e-10) {
  mstep_model <- getExportedValue("mclust", paste0("mstep", model))
  fit <- mstep_model(data = x, z = z, prior = control)
  expect_params_match(ref_m_step_prior(x, z, model, prior), mclust_prior_params(fit), tolerance)
}

small_iris <- iris_x[with_seed(2, sample(150, 45)), 1:3]
small_faithful <- faithful_x[with_seed(3, sample(272, 40)), ]

test_that("ref_default_prior() gives mclust::defaultPrior()'s values", {
  skip_if_not_installed("mclust")
  tiny <- iris_x[1:3, ]  # n <= d: a diagonal scale for the ellipsoidal models
  for (x in list(faithful_x, iris_x, tiny)) {
    for (model in c(prior_mclust_models, prior_new_models)) {
      for (k in c(1, 3)) {
        expect_equal(ref_default_prior(x, k, model), mclust::defaultPrior(x, k, model),
                     tolerance = 1e-14, label = model)
      }
      centre <- seq_len(ncol(x))
      expect_equal(ref_default_prior(x, 2, model, shrinkage = 0.2, mean = centre, scale = 0.5),
                   mclust::defaultPrior(x, 2, model, shrinkage = 0.2, mean = centre, scale = 0.5),
                   tolerance = 1e-14)
      expect_equal(ref_default_prior(x, 2, model, shrinkage = 0),
                   mclust::defaultPrior(x, 2, model, shrinkage = 0), tolerance = 1e-14)
    }
  }
  for (x in list(faithful_x[, 1], iris_x[, 3])) {
    for (model in prior_1d_models) {
      expect_equal(ref_default_prior(x, 3, model), mclust::defaultPrior(x, 3, model),
                   tolerance = 1e-14)
    }
  }
  expect_error(ref_default_prior(iris_x, 2, "VVV", shrinkage = 0, mean = 1:4), "not shrinkage")
})

test_that("ref_m_step_prior() matches mclust::mstep() with the default prior", {
  skip_if_not_installed("mclust")
  for (x in list(faithful_x, iris_x)) {
    z <- soft_start(x, 3)
    for (model in prior_mclust_models) {
      expect_prior_m_step_matches_mclust(x, z, model, ref_default_prior(x, 3, model),
                                         mclust::priorControl())
    }
    x1 <- if (ncol(x) == 2) x[, 1] else x[, 3]
    for (model in prior_1d_models) {
      expect_prior_m_step_matches_mclust(x1, z, model, ref_default_prior(x1, 3, model),
                                         mclust::priorControl())
    }
  }
})

test_that("ref_m_step_prior() matches mclust::mstep() term by term with other priors", {
  skip_if_not_installed("mclust")
  # A dof, scale and mean far from the defaults, so that every coefficient
  # shows, and shrinkage 0, which removes the mean prior's counts.
  x <- iris_x
  z <- soft_start(x, 3, seed = 2)
  scale_matrix <- with_seed(5, crossprod(matrix(stats::rnorm(16), 4)) + diag(4))
  for (shrinkage in c(0.3, 0)) {
    for (model in prior_mclust_models) {
      prior <- ref_default_prior(
        x, 3, model, shrinkage = shrinkage, mean = if (shrinkage > 0) c(5, 3, 2, 1),
        dof = 9, scale = if (model %in% prior_diagonal_models) 0.7 else scale_matrix
      )
      expect_prior_m_step_matches_mclust(x, z, model, prior, fixed_prior_control(prior))
    }
    x1 <- x[, 3]
    for (model in prior_1d_models) {
      prior <- ref_default_prior(x1, 3, model, shrinkage = shrinkage,
                                 mean = if (shrinkage > 0) 2, dof = 6, scale = 0.4)
      expect_prior_m_step_matches_mclust(x1, z, model, prior, fixed_prior_control(prior))
    }
  }
})

test_that("the closed/MM M steps of EVE, VEE, VVE and EVV maximise the log posterior", {
  cases <- list(
    list(x = small_iris, prior = ref_default_prior(small_iris, 2, "VVV", shrinkage = 0.5,
                                                   mean = colMeans(small_iris) + 1)),
    list(x = small_faithful, prior = ref_default_prior(small_faithful, 2, "VVV"))
  )
  for (case in cases) {
    x <- case$x
    z <- soft_start(x, 2)
    stats <- prior_statistics(x, z, case$prior)
    scatter <- Map(function(w, s) case$prior$scale + w + s, stats$scatter, stats$shrinkage)
    count <- stats$n_k + case$prior$dof + ncol(x) + 1 + stats$delta
    for (model in prior_new_models) {
      closed <- ref_m_step_prior(x, z, model, case$prior)
      direct <- ref_m_step_prior(x, z, model, case$prior, method = "optim")
      expect_params_match(closed, direct, 1e-6)
      # Not below the optimum optim found, beyond rounding.
      expect_gte(ref_map_objective(x, z, closed, case$prior, model),
                 ref_map_objective(x, z, direct, case$prior, model) - 1e-9)
      # The ML M step with W_k -> B_k and N_k -> c_k (Jacobi rotations for
      # the orientation instead of MM steps).
      expect_max_diff(closed$covariances, ref_covariances(scatter, count, model), 1e-10,
                      relative = TRUE)
    }
  }
})

test_that("every M step is a stationary point of ref_map_objective() (exact = TRUE)", {
  # Central differences along directions that stay in every model's space:
  # all covariances times e^t, one component's covariance times e^t (models
  # whose volumes vary), and each coordinate of each mean plus t.
  varying_volume <- c("V", "VII", "VEI", "VVI", "VEE", "VVE", "VEV", "VVV")
  slope <- function(x, z, params, prior, model, move, h = 1e-5) {
    up <- ref_map_objective(x, z, move(params, h), prior, model)
    down <- ref_map_objective(x, z, move(params, -h), prior, model)
    (up - down) / (2 * h)
  }
  scale_covariances <- function(which) {
    function(params, t) {
      params$covariances[, , which] <- params$covariances[, , which] * exp(t)
      params
    }
  }
  shift_mean <- function(j, l) function(params, t) {
    params$means[j, l] <- params$means[j, l] + t
    params
  }
  check <- function(x, model, prior) {
    x <- as.matrix(x)
    z <- soft_start(x, 2)
    params <- ref_m_step_prior(x, z, model, prior, exact = TRUE)
    moves <- list(scale_covariances(1:2))
    if (model %in% varying_volume) moves <- c(moves, list(scale_covariances(2)))
    for (j in 1:2) for (l in seq_len(ncol(x))) moves <- c(moves, list(shift_mean(j, l)))
    slopes <- vapply(moves, function(move) slope(x, z, params, prior, model, move), numeric(1))
    # The objective's slopes are of order N d; the inner iterations of VEI
    # and VEV stop at relative changes of sqrt(eps).
    expect_lte(max(abs(slopes)), 1e-5 * nrow(x), label = model)
  }
  for (model in c(prior_mclust_models, prior_new_models)) {
    check(small_iris, model, ref_default_prior(small_iris, 2, model, shrinkage = 0.5,
                                               mean = colMeans(small_iris) + 1))
  }
  for (model in prior_1d_models) {
    check(faithful_x[, 1], model, ref_default_prior(faithful_x[, 1], 2, model, shrinkage = 0.5,
                                                    mean = 2))
  }
})

test_that("the log posterior never decreases along EM", {
  em_log_posterior <- function(x, model, prior, iterations = 12) {
    z <- soft_start(as.matrix(x), 2)
    vapply(seq_len(iterations), function(i) {
      params <- ref_m_step_prior(x, z, model, prior, exact = TRUE)
      e_step <- ref_e_step(as.matrix(x), params)
      z <<- e_step$posterior
      e_step$loglik + ref_log_prior(params, prior, model)
    }, numeric(1))
  }
  for (model in c(prior_mclust_models, prior_new_models)) {
    prior <- ref_default_prior(small_iris, 2, model, shrinkage = 0.5,
                               mean = colMeans(small_iris) + 1)
    trace <- em_log_posterior(small_iris, model, prior)
    expect_lte(max_relative_drop(trace), 1e-12, label = model)
  }
  x1 <- faithful_x[, 1]
  for (model in prior_1d_models) {
    trace <- em_log_posterior(x1, model, ref_default_prior(x1, 2, model, shrinkage = 0.5, mean = 2))
    expect_lte(max_relative_drop(trace), 1e-12, label = model)
  }
})

test_that("mclust's EII and EEI M steps are not the posterior mode; exact = TRUE is", {
  x <- small_iris
  z <- soft_start(x, 2)
  for (model in c("EII", "EEI")) {
    prior <- ref_default_prior(x, 2, model, shrinkage = 0.5, mean = colMeans(x) + 1)
    as_mclust <- ref_map_objective(x, z, ref_m_step_prior(x, z, model, prior), prior, model)
    exact <- ref_map_objective(x, z, ref_m_step_prior(x, z, model, prior, exact = TRUE),
                               prior, model)
    expect_gt(exact, as_mclust + 1e-6)
  }
})

test_that("ref_log_prior() is the normal-inverse-Wishart (VVV) or -gamma (VII, V) density", {
  # Log densities with all their constants, written out independently.
  log_inverse_wishart <- function(sigma, dof, scale) {
    d <- nrow(sigma)
    dof / 2 * log(det(scale)) - dof * d / 2 * log(2) - d * (d - 1) / 4 * log(pi) -
      sum(lgamma((dof + 1 - seq_len(d)) / 2)) - (dof + d + 1) / 2 * log(det(sigma)) -
      sum(diag(scale %*% solve(sigma))) / 2
  }
  log_inverse_gamma <- function(variance, shape, rate) {
    shape * log(rate) - lgamma(shape) - (shape + 1) * log(variance) - rate / variance
  }
  full_log_prior <- function(params, prior, model) {
    d <- ncol(params$means)
    sum(vapply(seq_along(params$proportions), function(j) {
      sigma <- matrix(params$covariances[, , j], d, d)
      mean_part <- mvtnorm::dmvnorm(params$means[j, ], prior$mean, sigma / prior$shrinkage,
                                    log = TRUE)
      mean_part + if (model == "VVV") {
        log_inverse_wishart(sigma, prior$dof, prior$scale)
      } else {
        log_inverse_gamma(sigma[1, 1], prior$dof / 2, prior$scale / 2)
      }
    }, numeric(1)))
  }
  for (model in c("VVV", "VII", "V")) {
    x <- if (model == "V") faithful_x[, 1] else small_iris
    prior <- ref_default_prior(x, 2, model, shrinkage = 0.3)
    one <- ref_m_step_prior(x, soft_start(as.matrix(x), 2), model, prior)
    two <- ref_m_step_prior(x, soft_start(as.matrix(x), 2, seed = 4), model, prior)
    expect_equal(ref_log_prior(one, prior, model) - ref_log_prior(two, prior, model),
                 full_log_prior(one, prior, model) - full_log_prior(two, prior, model),
                 tolerance = 1e-10)
  }
})
