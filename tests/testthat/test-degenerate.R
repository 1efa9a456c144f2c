# Degenerate data end in a documented outcome, never in NaN or a crash.
# References: the documented contract. ?softmix_control: the default ridge
# `reg times the variance of x[, j]` keeps covariances positive definite and makes a fit
# independent of the units of the data; a constant column borrows the mean
# variance of the others. ?softmix: with `reg = 0` a singular covariance is an
# error of class `softmix_error` naming the component and `reg`, and in model
# selection such a pair is reported in `$selection$message` and skipped.
# ?e_step: posterior rows sum to one and extreme points do not underflow.
# Scaling the data by c multiplies every density by c^-d, so the
# log-likelihood shifts by exactly -n d log(c) and responsibilities are
# unchanged.

# Helpers ---------------------------------------------------------------------

# Expectations that a fit succeeded with every number finite and posterior
# rows that are probabilities summing to 1.
expect_finite_fit <- function(fit) {
  expect_s3_class(fit, "softmix")
  if (!inherits(fit, "softmix")) return(invisible(fit))
  numbers <- c(flatten_params(fit$parameters), fit$posterior, fit$uncertainty, fit$loglik,
               fit$loglik_trace, fit$bic)
  expect(all(is.finite(numbers)),
         sprintf("The fit has %d non-finite numbers.", sum(!is.finite(numbers))))
  expect_true(all(fit$posterior >= 0 & fit$posterior <= 1))
  # Each row is K non-negative terms normalised to 1: rounding only, 1e-12.
  expect_max_diff(rowSums(fit$posterior), rep(1, fit$n), 1e-12)
  invisible(fit)
}

# Expectations that `code` stops with a softmix_error saying which component
# is singular and pointing to `reg`.
expect_singular_component <- function(code, component) {
  err <- expect_error(code, class = "softmix_error")
  if (is.null(err)) return(invisible(NULL))
  expect_match(conditionMessage(err), sprintf("component %d\\b", component))
  expect_match(conditionMessage(err), "`reg`", fixed = TRUE)
  invisible(err)
}

# Evaluates a single fit, muffling its warning of a degenerate fit, and
# expects that warning (of class softmix_warning, quoting $degenerate) if and
# only if the fit is degenerate; `degenerate` TRUE or FALSE also says which.
quiet_fit <- function(code, degenerate = NA) {
  warned <- NULL
  fit <- withCallingHandlers(code, softmix_warning = function(w) {
    warned <<- w
    invokeRestart("muffleWarning")
  })
  flagged <- nzchar(fit$degenerate)
  expect_identical(!is.null(warned), flagged)
  if (flagged && !is.null(warned)) {
    expect_match(conditionMessage(warned), fit$degenerate, fixed = TRUE)
  }
  if (!is.na(degenerate)) expect_identical(flagged, degenerate)
  fit
}

no_reg <- softmix_control(reg = 0)

# 100 standard normal points and 20 copies of the point (10, 10).
copies_cluster <- rbind(with_seed(5, matrix(rnorm(200), 100, 2)),
                        matrix(c(10, 10), 20, 2, byrow = TRUE))
copies_labels <- rep(1:2, c(100, 20))

# 3,000 standard normal points and one point at (100, 100).
lone_point <- rbind(with_seed(4, matrix(rnorm(6000), 3000, 2)), c(100, 100))
lone_labels <- c(rep(1L, 3000), 2L)

# Duplicated points ----------------------------------------------------------------

test_that("every row repeated three times gives the same fit and three times the log-likelihood", {
  labels <- kmeans_labels(faithful_x, 2)
  tripled <- faithful_x[rep(seq_len(nrow(faithful_x)), each = 3), ]
  control <- softmix_control(reg = 0, tol = 0, max_iter = 50)
  once <- softmix(faithful_x, init = labels, control = control, n_threads = 1)
  thrice <- softmix(tripled, init = rep(labels, each = 3), control = control, n_threads = 1)
  expect_finite_fit(thrice)
  # Tripling every weight leaves weighted ML estimates unchanged; the sums
  # run over other blocks, so rounding differs: 1e-10 relative.
  expect_params_match(thrice$parameters, once$parameters, 1e-10)
  expect_max_diff(thrice$loglik, 3 * once$loglik, 1e-10, relative = TRUE)
  expect_finite_fit(with_seed(1, softmix(tripled, k = 2, n_threads = 1)))
})

test_that("a cluster of one point repeated 20 times gets a ridge covariance by default", {
  fit <- quiet_fit(softmix(copies_cluster, init = copies_labels, n_threads = 1), TRUE)
  expect_match(fit$degenerate, "component 2 is singular but for the ridge")
  expect_finite_fit(fit)
  expect_identical(fit$classification, copies_labels)
  expect_identical(unname(fit$parameters$means[2, ]), c(10, 10))
  # The copies have no scatter, so their covariance is the ridge itself,
  # reg times the variance of x[, j] (1e-10 relative: rounding in the ridge).
  ridge <- 1e-6 * ref_variance(copies_cluster)
  expect_max_diff(fit$parameters$covariances[, , 2], diag(ridge), 1e-10, relative = TRUE)
  expect_finite_fit(quiet_fit(with_seed(2, softmix(copies_cluster, k = 2, n_threads = 1)), TRUE))
})

test_that("a cluster of one point repeated 20 times is a singular component with reg = 0", {
  expect_singular_component(
    softmix(copies_cluster, init = copies_labels, control = no_reg, n_threads = 1), 2
  )
})

test_that("exactly collinear columns are a singular component with reg = 0", {
  # chol() of their covariance succeeds on a rounding residual for some
  # slopes (1/3 and 1.1 here); the pivot's share of its variance says it
  # is singular, and the pair fails rather than win with a near-infinite
  # log-likelihood.
  a <- with_seed(1, stats::rnorm(30))
  control <- softmix_control(reg = 0)
  for (slope in c(1 / 3, 1.1)) {
    expect_error(softmix(cbind(a, a * slope), k = 1, model = "VVV", control = control,
                         n_threads = 1), "not positive definite", class = "softmix_error")
  }
  chosen <- softmix(cbind(a, a / 3), k = 1:2, model = c("VVV", "EII"), control = control,
                    n_threads = 1)
  expect_identical(chosen$model, "EII")
  expect_true(is.na(chosen$selection$bic[chosen$selection$model == "VVV" &
                                           chosen$selection$k == 1]))
})

test_that("the singular-covariance error gives its advice once", {
  err <- expect_error(
    softmix(copies_cluster, init = copies_labels, control = no_reg, n_threads = 1),
    class = "softmix_error"
  )
  advice <- gregexpr("increase `reg`", conditionMessage(err), fixed = TRUE)[[1]]
  expect_length(advice, 1)
})

# Constant columns, n < d, n = 1 and k = n ----------------------------------------

test_that("a constant column borrows the mean variance of the others for its ridge", {
  with_constant <- cbind(faithful_x, constant = 5)
  # The constant's variance is the ridge's alone: degenerate.
  fit <- quiet_fit(with_seed(1, softmix(with_constant, k = 2, n_threads = 1)), TRUE)
  expect_finite_fit(fit)
  # A constant has no scatter: its variance in each component is the ridge,
  # reg times the mean variance of the other columns (rounding: 1e-10).
  borrowed <- 1e-6 * mean(ref_variance(faithful_x))
  expect_max_diff(fit$parameters$covariances[3, 3, ], rep(borrowed, 2), 1e-10, relative = TRUE)
  # The other columns are fitted as without the constant (1e-6 relative:
  # the ridges differ only by reg).
  without <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))
  expect_max_diff(fit$parameters$means[, 1:2], without$parameters$means, 1e-6, relative = TRUE)
})

test_that("a constant column with reg = 0 is a singular component", {
  with_constant <- cbind(faithful_x, constant = 5)
  labels <- kmeans_labels(faithful_x, 2)
  expect_singular_component(
    softmix(with_constant, init = labels, control = no_reg, n_threads = 1), 1
  )
  err <- expect_error(
    softmix(with_constant, init = labels, model = "EEE", control = no_reg, n_threads = 1),
    class = "softmix_error"
  )
  expect_match(conditionMessage(err), "common covariance")
})

test_that("fewer points than dimensions fit every model with the default reg", {
  wide <- with_seed(6, matrix(rnorm(50), 5, 10))
  for (model in multivariate_models) {
    for (k in 1:2) {
      # Fits whose covariance needs more than five points are degenerate.
      fit <- quiet_fit(with_seed(1, softmix(wide, k = k, model = model, n_threads = 1)))
      expect_finite_fit(fit)
      if (model %in% c("EEE", "VVV")) expect_match(fit$degenerate, "ridge|points")
    }
  }
  expect_singular_component(softmix(wide, k = 1, control = no_reg, n_threads = 1), 1)
})

test_that("a single point fits one component in every model", {
  point <- matrix(c(1.5, -2), 1, 2)
  for (model in multivariate_models) {
    fit <- quiet_fit(softmix(point, k = 1, model = model, n_threads = 1), TRUE)
    expect_finite_fit(fit)
    expect_identical(unname(fit$parameters$means[1, ]), c(1.5, -2))
  }
  for (model in c("E", "V")) {
    expect_finite_fit(quiet_fit(softmix(3, k = 1, model = model, n_threads = 1), TRUE))
  }
  expect_singular_component(softmix(point, k = 1, control = no_reg, n_threads = 1), 1)
})

test_that("as many components as points fit every model with the default reg", {
  six <- faithful_x[1:6, ]
  for (model in multivariate_models) {
    fit <- quiet_fit(with_seed(1, softmix(six, k = 6, model = model, n_threads = 1)), TRUE)
    expect_finite_fit(fit)
    expect_setequal(fit$classification, 1:6)
  }
  # Every component is singular; the first to be factorised is named.
  expect_singular_component(with_seed(1, softmix(six, k = 6, control = no_reg, n_threads = 1)), 1)
})

# Scale ------------------------------------------------------------------------------

test_that("scaling the data keeps the classification and shifts the log-likelihood", {
  # The shift is -n d log(c).
  n <- nrow(faithful_x)
  d <- ncol(faithful_x)
  labels <- kmeans_labels(faithful_x, 2)
  for (model in c("VVV", "EEE", "VVI", "EII")) {
    for (reg in c(0, 1e-6)) {
      control <- softmix_control(reg = reg)
      reference <- softmix(faithful_x, init = labels, model = model, control = control,
                           n_threads = 1)
      for (c in c(1e150, 1e-150, 1e3)) {
        scaled <- softmix(faithful_x * c, init = labels, model = model, control = control,
                          n_threads = 1)
        expect_finite_fit(scaled)
        expect_identical(scaled$classification, reference$classification)
        # Exact in exact arithmetic. Rounding, and the scaled fit stopping an
        # iteration or two earlier (tol = 1e-8 of 1 + |l|, see the test of
        # the stopping rule below), stay below 1e-9 of the shift: 1e-8.
        shift <- -n * d * log(c)
        expect_max_diff((scaled$loglik - reference$loglik - shift) / shift, 0, 1e-8)
      }
    }
  }
})

test_that("with the same number of iterations a scaled fit is the scaled fit", {
  n <- nrow(faithful_x)
  d <- ncol(faithful_x)
  labels <- kmeans_labels(faithful_x, 2)
  # tol = 0: both fits run exactly 30 iterations, so only the scale differs.
  for (reg in c(0, 1e-6)) {
    control <- plain_control(reg = reg, tol = 0, max_iter = 30)
    reference <- to_max_iter(softmix(faithful_x, init = labels, control = control, n_threads = 1))
    for (c in c(1e150, 1e-150, 1e3)) {
      scaled <- to_max_iter(softmix(faithful_x * c, init = labels, control = control,
                                    n_threads = 1))
      # Rounding only: posteriors to 1e-12 absolute, means and covariances
      # to 1e-12 relative after undoing the scale. The scaled
      # log-likelihoods are about 2e5 in size, so their rounding is about
      # 1e-13 of the unscaled trace (about 1e3): 1e-11 relative.
      expect_max_diff(scaled$posterior, reference$posterior, 1e-12)
      expect_max_diff(scaled$parameters$means / c, reference$parameters$means, 1e-12,
                      relative = TRUE)
      expect_max_diff(scaled$parameters$covariances / c^2, reference$parameters$covariances,
                      1e-12, relative = TRUE)
      expect_max_diff(scaled$loglik_trace + n * d * log(c), reference$loglik_trace, 1e-11,
                      relative = TRUE)
    }
  }
})

# Far starts, emptied components and lone points ----------------------------------------

test_that("a starting mean far from all data leaves its component empty, an error naming it", {
  far <- mixture_params(c(0.5, 0.5), rbind(c(3, 70), c(1e6, 1e6)), diag(c(1, 100)))
  # The E step itself is well defined: every point belongs to component 1.
  step <- e_step(faithful_x, far, n_threads = 1)
  expect_true(all(is.finite(step$posterior)) && is.finite(step$loglik))
  expect_identical(unname(step$posterior), cbind(rep(1, nrow(faithful_x)), 0))
  expect_true(all(is.finite(dmixture(faithful_x, far, log = TRUE))))
  for (model in c("VVV", "EII")) {
    err <- expect_error(softmix(faithful_x, init = far, model = model, n_threads = 1),
                        class = "softmix_error")
    expect_match(conditionMessage(err), "component 2 has vanishing weight")
  }
  # With a covariance wide enough to reach the data, EM pulls it in.
  wide <- mixture_params(c(0.5, 0.5), rbind(c(3, 70), c(1e6, 1e6)), diag(c(1e12, 1e12)))
  expect_finite_fit(softmix(faithful_x, init = wide, n_threads = 1))
})

test_that("a component that empties during EM stops the fit with an error naming it", {
  y <- with_seed(3, c(rnorm(200, 0), rnorm(200, 8)))
  # Component 3 starts with weight 3e-11 on every point (total 1.2e-8, above
  # the 1e-12 relative threshold) and loses weight each iteration.
  start <- cbind(as.numeric(y < 4), as.numeric(y >= 4), 3e-11)
  early <- to_max_iter(softmix(y, init = start, model = "E",
                               control = softmix_control(tol = 0, max_iter = 5), n_threads = 1))
  expect_finite_fit(early)
  expect_gt(early$parameters$proportions[3], 0)
  err <- expect_error(
    softmix(y, init = start, model = "E", control = softmix_control(tol = 0, max_iter = 500),
            n_threads = 1),
    class = "softmix_error"
  )
  expect_match(conditionMessage(err), "component 3 has vanishing weight")
})

test_that("a single point among thousands gets a component of its own by default", {
  fit <- quiet_fit(with_seed(1, softmix(lone_point, k = 2, n_threads = 1)), TRUE)
  expect_finite_fit(fit)
  alone <- fit$classification[3001]
  expect_identical(sum(fit$classification == alone), 1L)
  # Its component sits on it (rounding: 1e-12 relative) with weight 1/3001
  # (1e-9 absolute: the point's responsibility is 1 to rounding).
  expect_max_diff(fit$parameters$means[alone, ], c(100, 100), 1e-12, relative = TRUE)
  expect_max_diff(fit$parameters$proportions[alone], 1 / 3001, 1e-9)
})

test_that("a single point among thousands is a singular component with reg = 0", {
  expect_singular_component(
    softmix(lone_point, init = lone_labels, control = no_reg, n_threads = 1), 2
  )
})

test_that("model selection with reg = 0 marks the singular pairs failed and keeps the others", {
  fit <- with_seed(1, softmix(lone_point, k = 1:3, control = no_reg, n_threads = 1))
  expect_finite_fit(fit)
  selection <- fit$selection
  expect_identical(selection$k, 1:3)
  expect_identical(selection$message[1], "")
  expect_true(is.finite(selection$bic[1]))
  failed <- selection$k >= 2
  expect_true(all(is.na(selection$bic[failed])))
  expect_true(all(grepl("component [0-9]+", selection$message[failed])))
  expect_true(all(grepl("`reg`", selection$message[failed], fixed = TRUE)))
  expect_identical(fit$k, 1L)
})

test_that("data scaled by 1e150 fit without overflow also with thousands of points", {
  # 20,000 points with standard deviation 300 scaled by 1e150: every
  # variance (about 1e305) is a double, but a sum of 10,000 squared
  # deviations (about 1e309) is not.
  params <- mixture_params(c(0.5, 0.5), c(0, 3000), c(300^2, 300^2))
  x <- with_seed(7, rmixture(20000, params))
  labels <- attr(x, "component")
  x <- as.vector(x)
  reference <- softmix(x, init = labels, n_threads = 1)
  scaled <- tryCatch(softmix(x * 1e150, init = labels, n_threads = 1),
                     softmix_error = function(e) e)
  failed <- inherits(scaled, "softmix_error")
  expect(!failed, paste("The scaled fit failed:", if (failed) conditionMessage(scaled)))
  if (!failed) {
    expect_finite_fit(scaled)
    expect_identical(scaled$classification, reference$classification)
  }
})

test_that("points too far for their density to be represented still get posteriors summing to 1", {
  fit <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))
  far <- rbind(c(1e6, 1e6), c(1e200, 1e200), c(-1e300, 1e300))
  posterior <- predict(fit, far, type = "posterior")
  expect_true(all(is.finite(posterior)))
  # Rounding only: 1e-12.
  expect_max_diff(rowSums(posterior), rep(1, 3), 1e-12)
  expect_max_diff(rowSums(e_step(far, fit$parameters)$posterior), rep(1, 3), 1e-12)
})

# Degenerate fits in model selection -----------------------------------------------
# References: mclust::Mclust() reports singular fits with an NA BIC and picks
# among the others; ?softmix, section "Model selection", states the criteria.

# mclust's choice by BIC among k = `ks` and every model: c(k, model).
mclust_choice <- function(data, ks = 1:9) {
  best <- names(summary(mclust::mclustBIC(data, G = ks, verbose = FALSE)))[1]
  parts <- strsplit(best, ",", fixed = TRUE)[[1]]
  c(as.integer(parts[2]), parts[1])
}

# The family of a covariance model: spherical (xII), diagonal (xxI) or
# ellipsoidal.
model_family <- function(model) {
  ifelse(grepl("II$", model), "spherical", ifelse(grepl("I$", model), "diagonal", "ellipsoidal"))
}

# Ten points in 20 dimensions: no ellipsoidal covariance can be estimated.
wide_normals <- with_seed(1, matrix(rnorm(200), 10, 20))
# Every model, as `model = "all"` (VVE, 2 was the pair chosen before
# degenerate fits were told apart, with a log-likelihood of +737).
wide_models <- "all"

test_that("independent normals, 10 x 20, select a sound pair as mclust does", {
  fit <- with_seed(1, softmix(wide_normals, k = 1:2, model = wide_models, n_threads = 1,
                              verbose = FALSE))
  selection <- fit$selection
  expect_identical(fit$degenerate, "")
  expect_identical(c(fit$k, fit$model), c(1L, "EII"))
  degenerate <- model_family(selection$model) == "ellipsoidal"
  # Every ellipsoidal pair is degenerate: NA criteria and a reason, but its
  # log-likelihood (VVV, 2 reaches +839 on the ridge) and run are kept.
  expect_true(all(is.na(selection$bic[degenerate])))
  expect_true(all(is.na(selection$icl[degenerate])))
  expect_true(all(grepl("singular but for the ridge|too few for a covariance",
                        selection$message[degenerate])))
  expect_true(all(is.finite(selection$loglik)))
  expect_true(all(!is.na(selection$converged)))
  # EVE and VVE stop at the first M step whose scatter the ridge holds up,
  # where their MM steps would otherwise run to their cap at every step.
  mm <- selection$model %in% c("EVE", "VVE")
  expect_true(all(!selection$converged[mm] & selection$iterations[mm] <= 2L))
  expect_true(selection$loglik[selection$k == 2 & selection$model == "VVV"] > 700)
  expect_true(all(is.finite(selection$bic[!degenerate])))
  expect_identical(selection$message[!degenerate], rep("", sum(!degenerate)))
  expect_identical(fit$bic, min(selection$bic, na.rm = TRUE))
  expect_identical(sum(degenerate), 16L)
  expect_match(summary(fit)$selection_line, "; 16 degenerate.", fixed = TRUE)
  skip_if_not_installed("mclust")
  reference <- mclust_choice(wide_normals, 1:2)
  expect_identical(fit$k, as.integer(reference[1]))
  expect_identical(model_family(fit$model), model_family(reference[2]))
  # mclust, too, has no BIC for an ellipsoidal model here (it leaves them
  # out when n <= d).
  bic <- mclust::mclustBIC(wide_normals, G = 1:2, verbose = FALSE)
  ellipsoidal <- colnames(bic)[model_family(colnames(bic)) == "ellipsoidal"]
  expect_true(all(is.na(bic[, ellipsoidal])))
})

test_that("a selection in which every pair is degenerate is one clear error", {
  err <- expect_error(
    with_seed(1, softmix(wide_normals, k = 1:2, model = c("VVV", "EEE"), n_threads = 1,
                         verbose = FALSE)),
    class = "softmix_error"
  )
  expect_match(conditionMessage(err), "every (k, model) pair gave a degenerate fit", fixed = TRUE)
  expect_match(conditionMessage(err), "singular but for the ridge", fixed = TRUE)
})

test_that("a single degenerate fit is returned with a softmix_warning naming the component", {
  warning <- expect_warning(
    with_seed(1, softmix(wide_normals, k = 2, model = "VVE", n_threads = 1)),
    class = "softmix_warning"
  )
  expect_match(conditionMessage(warning), "degenerate: the covariance matrix of component \\d")
  expect_match(conditionMessage(warning), "fewer components or a simpler covariance model",
               fixed = TRUE)
  fit <- quiet_fit(with_seed(1, softmix(wide_normals, k = 2, model = "VVE", n_threads = 1)), TRUE)
  expect_s3_class(fit, "softmix")
  expect_true(is.finite(fit$bic))
  expect_output(print(fit), "Degenerate: the covariance matrix of component", fixed = TRUE)
  # A sound fit does not warn.
  expect_no_warning(sound <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1)))
  expect_identical(sound$degenerate, "")
})

test_that("a component on d or fewer points is collapsed for VVV, not for VVI", {
  # Component 2 on three points (and traces of weight elsewhere) in 3-D.
  x <- with_seed(3, matrix(rnorm(300), 100, 3))
  weights <- cbind(c(rep(1 - 1e-9, 97), 0, 0, 0), c(rep(1e-9, 97), 1, 1, 1))
  # One iteration: the start's M step, then one round of EM.
  one_round <- function(model) {
    suppressWarnings(softmix(x, init = weights, model = model,
                             control = plain_control(max_iter = 1), n_threads = 1),
                     classes = "softmix_warning")
  }
  expect_match(one_round("VVV")$degenerate, "component 2 rests on 3 points")
  expect_identical(one_round("VVI")$degenerate, "")
})

test_that("iris and faithful selections keep mclust's choice and flag nothing chosen", {
  skip_if_not_installed("mclust")
  for (data in list(iris_x, faithful_x)) {
    fit <- with_seed(1, softmix(data, k = 1:9, model = "all", n_threads = 1, verbose = FALSE))
    expect_identical(c(fit$k, fit$model), mclust_choice(data))
    expect_identical(fit$degenerate, "")
    # Few pairs are degenerate (at most a tenth of the 126), each with a
    # component on a point or a tie, its covariance all ridge, or, for EVE
    # and VVE, one that EM was flattening when the ridge held it up (EM
    # stops there, see ?softmix).
    flagged <- fit$selection[nzchar(fit$selection$message), ]
    expect_lte(nrow(flagged), 12L)
    held <- flagged$model %in% c("EVE", "VVE") &
      grepl("singular but for the ridge", flagged$message)
    expect_true(all(held | grepl("supplies 100% of its variance|rests on", flagged$message)))
  }
})

test_that("a larger reg does not make a sound but narrow component degenerate", {
  # With reg = 0.01 the ridge supplies 57% of setosa's variance in one
  # direction, but its own variance there is far above a millionth of the
  # data's; one point repeated is still degenerate.
  labels <- kmeans_labels(iris_x, 3)
  control <- softmix_control(reg = 0.01)
  expect_identical(quiet_fit(softmix(iris_x, init = labels, control = control, n_threads = 1),
                             FALSE)$degenerate, "")
  quiet_fit(softmix(copies_cluster, init = copies_labels, control = control, n_threads = 1), TRUE)
})
