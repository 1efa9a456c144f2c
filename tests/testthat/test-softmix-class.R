# References: mclust's parameter counts and BIC, the mvtnorm E step of
# helper-reference.R, dmixture(), base R summaries of the posterior, and for
# a vector's name the expression it was given as.

class_fit <- with_seed(1, softmix(faithful, k = 2, n_threads = 1))

test_that("a fit records its data, sizes and call", {
  expect_s3_class(class_fit, "softmix")
  expect_identical(class_fit$n, nrow(faithful))
  expect_identical(class_fit$d, 2L)
  expect_identical(class_fit$k, 2L)
  expect_identical(class_fit$model, "VVV")
  expect_identical(unname(class_fit$data), unname(as.matrix(faithful)))
  expect_identical(dim(class_fit$posterior), c(nrow(faithful), 2L))
})

test_that("logLik has the df and nobs attributes", {
  ll <- logLik(class_fit)
  expect_s3_class(ll, "logLik")
  expect_identical(as.numeric(ll), class_fit$loglik)
  expect_identical(attr(ll, "df"), class_fit$df)
  expect_identical(attr(ll, "nobs"), nrow(faithful))
  expect_identical(nobs(class_fit), nrow(faithful))
})

test_that("AIC and BIC follow -2 loglik + 2 df and -2 loglik + df log n", {
  df <- 2 * 2 + 2 * 3 + 1 # means, covariances, proportions of 2 VVV components
  # Tolerance 1e-12 relative.
  expect_max_diff(AIC(class_fit), -2 * class_fit$loglik + 2 * df, 1e-12, relative = TRUE)
  expected_bic <- -2 * class_fit$loglik + df * log(nrow(faithful))
  expect_max_diff(BIC(class_fit), expected_bic, 1e-12, relative = TRUE)
  expect_max_diff(class_fit$bic, expected_bic, 1e-12, relative = TRUE)
})

test_that("df equals mclust's number of parameters for every model", {
  skip_if_not_installed("mclust")
  for (model in multivariate_models) {
    for (k in 1:3) {
      fit <- with_seed(1, softmix(iris_x, k = k, model = model, n_threads = 1))
      # Parameter counts are whole numbers: compared exactly.
      expect_identical(as.numeric(fit$df), as.numeric(mclust::nMclustParams(model, 4, k)))
    }
  }
  for (model in c("E", "V")) {
    fit <- with_seed(1, softmix(sim_1d, k = 3, model = model, n_threads = 1))
    expect_identical(as.numeric(fit$df), as.numeric(mclust::nMclustParams(model, 1, 3)))
  }
})

test_that("bic is the negative of mclust's bic for the same log-likelihood", {
  skip_if_not_installed("mclust")
  for (model in c("EEI", "VVV")) {
    fit <- with_seed(1, softmix(iris_x, k = 3, model = model, n_threads = 1))
    reference <- mclust::bic(model, fit$loglik, n = 150, d = 4, G = 3)
    # Tolerance 1e-12 relative.
    expect_max_diff(fit$bic, -reference, 1e-12, relative = TRUE)
  }
})

test_that("classification and uncertainty summarise the posterior", {
  posterior <- class_fit$posterior
  expect_identical(class_fit$classification, unname(apply(posterior, 1, which.max)))
  # Tolerance 1e-15 absolute.
  expect_max_diff(class_fit$uncertainty, 1 - apply(posterior, 1, max), 1e-15)
})

test_that("predict on the training data reproduces the fit", {
  # Tolerance 1e-12 on the posterior.
  expect_max_diff(predict(class_fit, type = "posterior"), class_fit$posterior, 1e-12)
  expect_max_diff(predict(class_fit, faithful, type = "posterior"), class_fit$posterior, 1e-12)
  expect_identical(predict(class_fit, faithful), class_fit$classification)
  expect_identical(predict(class_fit, type = "class"), class_fit$classification)
  expect_identical(unname(predict(class_fit, faithful, type = "density")),
                   unname(dmixture(faithful, class_fit$parameters, n_threads = 1)))
})

test_that("predict on new data matches the mvtnorm reference", {
  skip_if_not_installed("mvtnorm")
  new <- data.frame(eruptions = c(1.5, 3, 4.5, 10), waiting = c(50, 70, 80, 20))
  reference <- ref_e_step(as.matrix(new), class_fit$parameters)
  # Tolerance 1e-10: absolute on probabilities, relative on densities.
  expect_max_diff(predict(class_fit, new, type = "posterior"), reference$posterior, 1e-10)
  expect_max_diff(predict(class_fit, new, type = "density"), exp(reference$log_density), 1e-10,
                  relative = TRUE)
  expect_identical(predict(class_fit, new), unname(apply(reference$posterior, 1, which.max)))
})

test_that("predict matches data frame columns by name", {
  swapped <- faithful[, c("waiting", "eruptions")]
  # Tolerance 1e-12 on the posterior.
  expect_max_diff(predict(class_fit, swapped, type = "posterior"), class_fit$posterior, 1e-12)
  swapped_matrix <- as.matrix(swapped)
  expect_max_diff(predict(class_fit, swapped_matrix, type = "posterior"), class_fit$posterior,
                  1e-12)
})

test_that("predict takes a vector for a one-dimensional fit", {
  fit <- with_seed(1, softmix(sim_1d, k = 2, model = "V", n_threads = 1))
  new <- c(-1, 2, 3.5)
  p <- fit$parameters
  joint <- cbind(p$proportions[1] * dnorm(new, p$means[1, 1], sqrt(p$covariances[1, 1, 1])),
                 p$proportions[2] * dnorm(new, p$means[2, 1], sqrt(p$covariances[1, 1, 2])))
  # Tolerance 1e-12 against Bayes' rule with dnorm().
  expect_max_diff(predict(fit, new, type = "posterior"), joint / rowSums(joint), 1e-12)
})

test_that("posterior() returns the fitted or predicted responsibilities", {
  expect_identical(posterior(class_fit), class_fit$posterior)
  expect_error(posterior(1:3), "`object` must be a fitted model.*e_step\\(\\)",
               class = "softmix_error")
  new <- faithful[1:5, ]
  expect_identical(posterior(class_fit, new), predict(class_fit, new, type = "posterior"))
})

test_that("print and summary show the model code", {
  expect_output(print(class_fit), "model VVV with 2 components")
  capture.output(shown <- withVisible(print(class_fit)))
  expect_false(shown$visible)
  fit_eii <- with_seed(1, softmix(iris_x, k = 3, model = "EII", n_threads = 1))
  expect_output(print(fit_eii), "EII")
  expect_output(print(summary(fit_eii)), "Model EII")
  expect_output(print(summary(fit_eii)), "spherical, equal volume")
})

test_that("summary tabulates the classification and lists the selection", {
  s <- summary(class_fit)
  expect_s3_class(s, "summary.softmix")
  expect_identical(as.vector(s$classification), as.vector(table(class_fit$classification)))
  # Mean uncertainty to 1e-15.
  expect_max_diff(s$mean_uncertainty, mean(1 - apply(class_fit$posterior, 1, max)), 1e-15)
  selected <- with_seed(1, softmix(faithful, k = 1:2, model = c("VVV", "EEE"), n_threads = 1))
  expect_output(print(summary(selected)), "Best models by BIC")
})

test_that("simulate with a seed is reproducible and has the fitted dimensions", {
  first <- simulate(class_fit, nsim = 2, seed = 1)
  second <- simulate(class_fit, nsim = 2, seed = 1)
  expect_identical(first, second)
  expect_length(first, 2)
  expect_identical(dim(first[[1]]), c(nrow(faithful), 2L))
  expect_false(identical(first[[1]], first[[2]]))
  expect_identical(unname(first[[1]]), unname(with_seed(1, rmixture(272, class_fit$parameters))))
  expect_identical(dim(simulate(class_fit, seed = 2, n = 10)[[1]]), c(10L, 2L))
})

test_that("simulate with a seed leaves the global random stream untouched", {
  expected <- with_seed(99, runif(3))
  after_simulate <- with_seed(99, {
    simulate(class_fit, nsim = 1, seed = 5)
    runif(3)
  })
  expect_identical(after_simulate, expected)
})

# A vector's name ---------------------------------------------------------------

test_that("a vector's variable is named after its expression", {
  fit <- with_seed(1, softmix(faithful$waiting, k = 2, n_threads = 1))
  expect_identical(colnames(fit$data), "waiting")
  expect_identical(colnames(fit$parameters$means), "waiting")
  expect_identical(dimnames(fit$parameters$covariances)[1:2], list("waiting", "waiting"))
  expect_output(print(fit), "proportion waiting", fixed = TRUE)
  expect_identical(names(coef(fit))[2], "mean.1.waiting")
  waiting_times <- faithful$waiting
  name_of <- function(fit) colnames(fit$data)
  expect_identical(name_of(softmix(waiting_times, k = 1, n_threads = 1)), "waiting_times")
  expect_identical(name_of(softmix(faithful[["waiting"]], k = 1, n_threads = 1)), "waiting")
  expect_identical(name_of(softmix(faithful[, "waiting"], k = 1, n_threads = 1)), "waiting")
  expect_identical(name_of(softmix(log(waiting_times), k = 1, n_threads = 1)),
                   "log(waiting_times)")
  expect_identical(name_of(do.call(softmix, list(waiting_times, k = 1, n_threads = 1))), "x")
  long <- softmix(c(waiting_times[1:100], waiting_times[101:200], waiting_times[201:272]),
                  k = 1, n_threads = 1)
  expect_identical(name_of(long), "x")
  # Matrices and data frames keep their own names.
  expect_identical(name_of(softmix(faithful_x, k = 1, n_threads = 1)), colnames(faithful_x))
  expect_null(name_of(softmix(unname(faithful_x), k = 1, n_threads = 1)))
})

test_that("a named vector keeps its names as row names, and predicts from data by name", {
  named <- stats::setNames(faithful$waiting, paste0("day", 1:272))
  fit <- with_seed(1, softmix(named, k = 2, n_threads = 1))
  expect_identical(colnames(fit$data), "named")
  expect_identical(rownames(fit$posterior), names(named))
  expect_identical(names(logLik(fit, type = "obs")), names(named))
  new <- c(50, 80)
  expect_identical(predict(fit, data.frame(named = new)), predict(fit, new))
  expect_error(predict(fit, data.frame(waiting = new)), "`newdata`", class = "softmix_error")
})
