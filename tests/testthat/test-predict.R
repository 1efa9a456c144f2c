# References: e_step() and dmixture() for the same parameters, the mvtnorm
# E step of helper-reference.R, dnorm() for one variable, and the entropy
# and uncertainty computed from those posteriors in plain R.

predict_fit <- with_seed(1, softmix(iris_x, k = 3, model = "VVV", n_threads = 1))
predict_new <- rbind(
  iris_x[c(1, 60, 120), ],
  c(6, 3, 4.5, 1.5),
  c(20, -5, 30, 10) # far from every component
)

test_that("every type on new data matches e_step() and the mvtnorm reference", {
  from_e_step <- e_step(predict_new, predict_fit$parameters, n_threads = 1)
  reference <- ref_e_step(predict_new, predict_fit$parameters)
  posterior <- predict(predict_fit, predict_new, type = "posterior")
  expect_identical(posterior, from_e_step$posterior)
  # Tolerance 1e-10 absolute on probabilities.
  expect_max_diff(posterior, reference$posterior, 1e-10)
  expect_identical(predict(predict_fit, predict_new),
                   unname(apply(reference$posterior, 1, which.max)))
  expect_identical(predict(predict_fit, predict_new, type = "class"),
                   max.col(from_e_step$posterior, ties.method = "first"))
  # Log-densities to 1e-10 relative; densities to 1e-10 relative.
  log_density <- predict(predict_fit, predict_new, type = "logdensity")
  expect_max_diff(log_density, reference$log_density, 1e-10, relative = TRUE)
  expect_max_diff(sum(log_density), from_e_step$loglik, 1e-12, relative = TRUE)
  expect_identical(unname(predict(predict_fit, predict_new, type = "density")),
                   unname(dmixture(predict_new, predict_fit$parameters, n_threads = 1)))
  expect_max_diff(predict(predict_fit, predict_new, type = "density")[1:4],
                  exp(reference$log_density[1:4]), 1e-10, relative = TRUE)
  # Uncertainty to 1e-10 absolute.
  expect_max_diff(predict(predict_fit, predict_new, type = "uncertainty"),
                  1 - apply(reference$posterior, 1, max), 1e-10)
})

test_that("the log-density stays finite where the density underflows", {
  far <- rbind(c(200, -200, 300, 100))
  expect_identical(unname(predict(predict_fit, far, type = "density")), 0)
  log_density <- predict(predict_fit, far, type = "logdensity")
  expect_true(is.finite(log_density))
  # Tolerance 1e-10 relative against mvtnorm in log space.
  expect_max_diff(log_density, ref_e_step(far, predict_fit$parameters)$log_density, 1e-10,
                  relative = TRUE)
})

test_that("entropy is -sum z log z, 0 when certain and at most log K", {
  reference <- ref_e_step(predict_new, predict_fit$parameters)$posterior
  brute <- apply(reference, 1, function(z) -sum(ifelse(z > 0, z * log(z), 0)))
  entropy <- predict(predict_fit, predict_new, type = "entropy")
  # Tolerance 1e-9 absolute (entropy of probabilities accurate to 1e-10).
  expect_max_diff(entropy, brute, 1e-9)
  expect_true(all(entropy >= 0 & entropy <= log(3) + 1e-12))
  # A setosa flower is placed with near certainty, a versicolor one is not.
  expect_lt(entropy[1], 1e-6)
  expect_gt(entropy[2], 0.01)
  # Exact zeros in the posterior give 0 log 0 = 0, not NaN.
  certain <- predict(predict_fit, rbind(c(200, -200, 300, 100)), type = "entropy")
  expect_true(is.finite(certain) && certain >= 0 && certain < 1e-12)
})

test_that("an equal two-way split has entropy log 2 and uncertainty 1/2", {
  parameters <- mixture_params(c(0.5, 0.5), matrix(c(-1, 1), 2, 1), array(1, c(1, 1, 2)))
  # One EM step keeps the start's symmetry about 0.
  fit <- to_max_iter(softmix(c(-1, 0, 1), init = parameters, model = "E",
                             control = plain_control(max_iter = 1), n_threads = 1))
  # The midpoint 0 is shared equally: exact up to rounding, 1e-15.
  expect_max_diff(predict(fit, 0, type = "entropy"), log(2), 1e-15)
  expect_max_diff(predict(fit, 0, type = "uncertainty"), 0.5, 1e-15)
})

test_that("without newdata every type describes the fitted data", {
  expect_identical(predict(predict_fit, type = "class"), predict_fit$classification)
  # Tolerances 1e-12 absolute: the same E step, once more.
  expect_max_diff(predict(predict_fit, type = "posterior"), predict_fit$posterior, 1e-12)
  expect_max_diff(predict(predict_fit, type = "uncertainty"), predict_fit$uncertainty, 1e-12)
  expect_max_diff(sum(predict(predict_fit, type = "logdensity")), predict_fit$loglik, 1e-12,
                  relative = TRUE)
  expect_identical(length(predict(predict_fit, type = "entropy")), 150L)
})

test_that("one-dimensional fits predict from a vector, matching dnorm()", {
  fit <- with_seed(1, softmix(sim_1d, k = 2, model = "V", n_threads = 1))
  new <- c(-1, 2, 3.5)
  p <- fit$parameters
  joint <- cbind(p$proportions[1] * dnorm(new, p$means[1, 1], sqrt(p$covariances[1, 1, 1])),
                 p$proportions[2] * dnorm(new, p$means[2, 1], sqrt(p$covariances[1, 1, 2])))
  posterior <- joint / rowSums(joint)
  # Tolerance 1e-12 against Bayes' rule with dnorm().
  expect_max_diff(predict(fit, new, type = "logdensity"), log(rowSums(joint)), 1e-12,
                  relative = TRUE)
  expect_max_diff(predict(fit, new, type = "uncertainty"), 1 - apply(posterior, 1, max), 1e-12)
  expect_max_diff(predict(fit, new, type = "entropy"), -rowSums(posterior * log(posterior)),
                  1e-12)
})

test_that("an unknown type is an error naming type", {
  expect_error(predict(predict_fit, type = "probability"), "`type`", class = "softmix_error")
})

# Columns by name --------------------------------------------------------------------

named_fit <- with_seed(1, softmix(faithful, k = 2, n_threads = 1))

test_that("predict() takes the fitted columns by name, in any order, among others", {
  shuffled <- cbind(note = "a", faithful[, c("waiting", "eruptions")])
  expect_identical(predict(named_fit, shuffled, type = "posterior"),
                   predict(named_fit, faithful, type = "posterior"))
  expect_identical(predict(named_fit, unname(faithful_x)), predict(named_fit, faithful))
})

test_that("predict() errors on named columns that differ from the fitted ones", {
  renamed <- faithful
  names(renamed) <- c("eruption", "waiting")
  err <- expect_error(predict(named_fit, renamed), "`newdata`", class = "softmix_error")
  expect_match(conditionMessage(err), "`eruptions`", fixed = TRUE)
  expect_error(predict(named_fit, as.matrix(renamed)), "`newdata`", class = "softmix_error")
  skip_if_not_installed("generics")
  expect_error(generics::augment(named_fit, newdata = renamed), "`newdata`",
               class = "softmix_error")
})

test_that("predict() keeps positional use when either side has no names", {
  unnamed_fit <- softmix(unname(faithful_x), k = 2, n_threads = 1)
  renamed <- faithful
  names(renamed) <- c("a", "b")
  expect_identical(predict(unnamed_fit, renamed), predict(unnamed_fit, unname(faithful_x)))
  expect_error(predict(named_fit, unname(faithful_x[, 1, drop = FALSE])), "`newdata`",
               class = "softmix_error")
})
