# References: the fit's own fields (parameters, posterior, data), mclust's
# parameter counts, the mvtnorm densities of helper-reference.R, covariance
# matrices rebuilt in plain R from coef()'s names, and direct calls to
# softmix() for update().

methods_fit <- with_seed(1, softmix(faithful, k = 2, n_threads = 1))

all_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
                "VEV", "EVV", "VVV")
# Models whose covariance entries vary freely: coef() lists exactly df values.
entry_models <- c("EII", "VII", "EEI", "VVI", "EEE", "VVV", "E", "V")

# The d x d x K covariances from coef()'s names alone, with the names used.
rebuild_covariances <- function(cf, vars, k) {
  d <- length(vars)
  out <- array(0, c(d, d, k))
  used <- character(0)
  for (j in seq_len(k)) {
    for (a in seq_len(d)) {
      for (b in seq_len(d)) {
        keys <- if (a == b) {
          c(paste0("var.", j, ".", vars[a]), paste0("var.", vars[a]), paste0("var.", j), "var")
        } else {
          lo <- vars[min(a, b)]
          hi <- vars[max(a, b)]
          c(paste0("cov.", j, ".", lo, ".", hi), paste0("cov.", lo, ".", hi))
        }
        found <- keys[keys %in% names(cf)]
        if (length(found) > 0L) {
          out[a, b, j] <- cf[[found[1]]]
          used <- c(used, found[1])
        }
      }
    }
  }
  list(covariances = out, used = unique(used))
}

# coef() --------------------------------------------------------------------------

test_that("coef() lists K - 1 proportions, the means and the covariance entries", {
  cf <- coef(methods_fit)
  p <- methods_fit$parameters
  expect_identical(names(cf), c(
    "proportion.1", "mean.1.eruptions", "mean.1.waiting", "mean.2.eruptions", "mean.2.waiting",
    "var.1.eruptions", "cov.1.eruptions.waiting", "var.1.waiting",
    "var.2.eruptions", "cov.2.eruptions.waiting", "var.2.waiting"
  ))
  expect_identical(unname(cf[1]), p$proportions[1])
  expect_identical(unname(cf[2:5]), unname(c(p$means[1, ], p$means[2, ])))
  for (j in 1:2) {
    expect_identical(unname(cf[3 * j + 3:5]),
                     c(p$covariances[1, 1, j], p$covariances[1, 2, j], p$covariances[2, 2, j]))
  }
  expect_identical(length(cf), as.integer(methods_fit$df))
})

test_that("coef() is an empty named vector when nothing is free: the all-noise model", {
  noisy <- with_seed(3, rbind(faithful_x, cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  empty <- stats::setNames(numeric(0), character(0))
  expect_identical(coef(softmix(noisy, k = 0, noise = TRUE, n_threads = 1)), empty)
  expect_identical(coef(softmix(noisy[, 2], k = 0, noise = TRUE, n_threads = 1)), empty)
  # Every part fixed: likewise.
  fit <- softmix(faithful_x, 2, model = "VVV", init = methods_fit$parameters, n_threads = 1,
                 fixed = c("proportions", "means", "covariances"))
  expect_identical(coef(fit), empty)
})

test_that("coef() rebuilds every model's parameters and counts df where entries are free", {
  for (model in c(all_models, "E", "V")) {
    one_d <- model %in% c("E", "V")
    fit <- if (one_d) {
      with_seed(1, softmix(sim_1d, k = 2, model = model, n_threads = 1))
    } else {
      with_seed(1, softmix(iris_x, k = 2, model = model, n_threads = 1))
    }
    cf <- coef(fit)
    p <- fit$parameters
    vars <- colnames(p$means)
    d <- length(vars)
    expect_false(anyDuplicated(names(cf)) > 0)
    # Proportions: K - 1 listed, the last one minus their sum (1e-15).
    expect_identical(unname(cf["proportion.1"]), p$proportions[1])
    expect_false("proportion.2" %in% names(cf))
    expect_max_diff(1 - cf[["proportion.1"]], p$proportions[2], 1e-15)
    means <- rbind(cf[paste0("mean.1.", vars)], cf[paste0("mean.2.", vars)])
    expect_identical(unname(means), unname(p$means))
    rebuilt <- rebuild_covariances(cf, vars, 2)
    expect_identical(rebuilt$covariances, unname(p$covariances), info = model)
    # Every name is a proportion, a mean or a covariance entry used above.
    expect_setequal(names(cf), c("proportion.1", paste0("mean.", rep(1:2, each = d), ".", vars),
                                 rebuilt$used))
    # Entries: 1 or K spherical variances, d or K d diagonal ones, d (d + 1) / 2
    # per ellipsoidal matrix; shared models list one matrix.
    family <- if (model %in% c("EII", "VII", "E", "V")) {
      1
    } else if (substr(model, 3, 3) == "I") {
      d
    } else {
      d * (d + 1) / 2
    }
    matrices <- if (model %in% c("EII", "EEI", "EEE", "E")) 1 else 2
    expect_identical(length(cf), as.integer(1 + 2 * d + matrices * family), info = model)
    if (model %in% entry_models) {
      expect_identical(length(cf), as.integer(fit$df), info = model)
    } else {
      expect_gt(length(cf), fit$df)
    }
  }
})

test_that("coef() has as many entries as mclust counts parameters for the free-entry models", {
  skip_if_not_installed("mclust")
  for (model in setdiff(entry_models, c("E", "V"))) {
    for (k in c(1, 3)) {
      fit <- with_seed(1, softmix(iris_x, k = k, model = model, n_threads = 1))
      # Parameter counts are whole numbers: compared exactly.
      expect_identical(length(coef(fit)), as.integer(mclust::nMclustParams(model, 4, k)),
                       info = paste(model, k))
    }
  }
})

test_that("coef() leaves out fixed parts, keeping its length equal to df", {
  start <- methods_fit$parameters
  fixed_means <- softmix(faithful, init = start, fixed = "means", n_threads = 1)
  cf <- coef(fixed_means)
  expect_false(any(startsWith(names(cf), "mean.")))
  expect_identical(length(cf), as.integer(fixed_means$df))
  only_proportions <- softmix(faithful, init = start, fixed = c("means", "covariances"),
                              n_threads = 1)
  expect_identical(names(coef(only_proportions)), "proportion.1")
  expect_identical(length(coef(only_proportions)), as.integer(only_proportions$df))
  nothing <- softmix(faithful, init = start, fixed = c("proportions", "means", "covariances"),
                     n_threads = 1)
  expect_length(coef(nothing), 0)
  expect_identical(nothing$df, 0)
})

test_that("coef() of one component lists no proportion", {
  fit <- softmix(faithful, k = 1, model = "EEE", n_threads = 1)
  expect_identical(names(coef(fit)), c("mean.1.eruptions", "mean.1.waiting", "var.eruptions",
                                       "cov.eruptions.waiting", "var.waiting"))
})

# fitted() and residuals() --------------------------------------------------------

test_that("fitted() returns the classification or the posterior", {
  expect_identical(fitted(methods_fit), methods_fit$classification)
  expect_identical(fitted(methods_fit, type = "class"), predict(methods_fit, type = "class"))
  expect_identical(fitted(methods_fit, type = "posterior"), methods_fit$posterior)
  expect_error(fitted(methods_fit, type = "density"), "`type`", class = "softmix_error")
})

test_that("residuals() are the data less the posterior-weighted means", {
  res <- residuals(methods_fit)
  expect_identical(dim(res), dim(faithful_x))
  expect_identical(dimnames(res), dimnames(faithful_x))
  z <- methods_fit$posterior
  mu <- methods_fit$parameters$means
  brute <- faithful_x - cbind(z[, 1] * mu[1, 1] + z[, 2] * mu[2, 1],
                              z[, 1] * mu[1, 2] + z[, 2] * mu[2, 2])
  # Tolerance 1e-12 absolute (values of order 10).
  expect_max_diff(res, brute, 1e-12)
  # At the estimate of free means the residuals balance: column means within
  # 1e-4 standard deviations (EM stops at tol = 1e-8).
  expect_true(all(abs(colMeans(res)) / apply(faithful_x, 2, sd) < 1e-4))
  unnamed <- softmix(unname(faithful_x), k = 2, n_threads = 1)
  expect_identical(colnames(residuals(unnamed)), c("V1", "V2"))
})

# logLik(type = "obs") ------------------------------------------------------------

test_that("logLik(type = 'obs') gives log-densities summing to the total", {
  skip_if_not_installed("mvtnorm")
  obs <- logLik(methods_fit, type = "obs")
  expect_identical(names(obs), rownames(faithful))
  reference <- ref_e_step(faithful_x, methods_fit$parameters)$log_density
  # Tolerance 1e-10 relative against mvtnorm; the sum to 1e-12 relative.
  expect_max_diff(obs, reference, 1e-10, relative = TRUE)
  expect_max_diff(sum(obs), methods_fit$loglik, 1e-12, relative = TRUE)
  expect_identical(obs, predict(methods_fit, type = "logdensity"))
  expect_s3_class(logLik(methods_fit, type = "total"), "logLik")
  expect_error(logLik(methods_fit, type = "mean"), "`type`", class = "softmix_error")
})

test_that("weighted fits give unweighted values whose weighted sum is the total", {
  w <- rep(1:3, length.out = nrow(faithful))
  frequency <- with_seed(1, softmix(faithful, k = 2, weights = w, n_threads = 1))
  obs <- logLik(frequency, type = "obs")
  expect_identical(obs, dmixture(faithful, frequency$parameters, log = TRUE, n_threads = 1))
  # Tolerance 1e-12 relative.
  expect_max_diff(sum(w * obs), frequency$loglik, 1e-12, relative = TRUE)
  sampling <- with_seed(1, softmix(faithful, k = 2, weights = w, weight_type = "sampling",
                                   n_threads = 1))
  scaled <- w * nrow(faithful) / sum(w)
  expect_max_diff(sum(scaled * logLik(sampling, type = "obs")), sampling$loglik, 1e-12,
                  relative = TRUE)
})

test_that("labelled fits give mixture log-densities, above the complete-data total", {
  skip_if_not_installed("mvtnorm")
  known <- iris$Species
  known[seq(2, 150, by = 2)] <- NA
  fit <- with_seed(1, softmix(iris_x, k = 3, labels = known, n_threads = 1))
  obs <- logLik(fit, type = "obs")
  joint <- ref_log_joint(iris_x, fit$parameters)
  labelled <- !is.na(known)
  # Tolerance 1e-10 relative: each value is log sum_k exp(joint).
  expect_max_diff(obs, ref_log_sum_exp(joint), 1e-10, relative = TRUE)
  # The total counts labelled rows by their complete-data density.
  total <- sum(obs[!labelled]) + sum(joint[cbind(which(labelled), as.integer(known[labelled]))])
  expect_max_diff(total, fit$loglik, 1e-10, relative = TRUE)
  expect_gt(sum(obs), fit$loglik)
})

# summary(parameters = TRUE) and print() ------------------------------------------

test_that("summary(parameters = TRUE) prints each covariance, a shared one once", {
  default <- capture.output(print(summary(methods_fit)))
  expect_false(any(grepl("Covariance|Variances", default)))
  s <- summary(methods_fit, parameters = TRUE)
  expect_identical(unname(s$covariances), unname(methods_fit$parameters$covariances))
  shown <- capture.output(print(s, digits = 4))
  expect_identical(sum(grepl("^Component [12]:$", shown)), 2L)
  # The matrix printed is the fitted one, as print() shows it.
  sigma_2 <- capture.output(print(methods_fit$parameters$covariances[, , 2], digits = 4))
  at <- which(shown == "Component 2:")
  expect_identical(shown[at + seq_along(sigma_2)], sigma_2)

  tied <- with_seed(1, softmix(faithful, k = 2, model = "EEE", n_threads = 1))
  shown <- capture.output(print(summary(tied, parameters = TRUE)))
  expect_identical(sum(grepl("Covariance (shared by all components):", shown, fixed = TRUE)), 1L)
  expect_false(any(grepl("^Component", shown)))

  diagonal <- with_seed(1, softmix(iris_x, k = 3, model = "VVI", n_threads = 1))
  shown <- capture.output(print(summary(diagonal, parameters = TRUE), digits = 4))
  variances <- t(apply(diagonal$parameters$covariances, 3, diag))
  dimnames(variances) <- list(1:3, colnames(iris_x))
  at <- which(shown == "Variances (diagonal covariances):")
  expect_length(at, 1)
  expected <- capture.output(print(variances, digits = 4))
  expect_identical(shown[at + seq_along(expected)], expected)

  spherical <- with_seed(1, softmix(iris_x, k = 3, model = "EII", n_threads = 1))
  expect_output(print(summary(spherical, parameters = TRUE)),
                "Variances (diagonal covariance, shared by all components):", fixed = TRUE)
  expect_error(summary(methods_fit, parameters = "yes"), "`parameters`",
               class = "softmix_error")
})

test_that("print() shows the model, sizes, criteria and the components at a glance", {
  shown <- capture.output(print(methods_fit, digits = 4))
  expect_true(any(grepl("model VVV with 2 components", shown, fixed = TRUE)))
  expect_true(any(grepl("Covariances: ellipsoidal, varying volume, shape and orientation",
                        shown, fixed = TRUE)))
  expect_true(any(grepl("n = 272, d = 2", shown, fixed = TRUE)))
  expect_true(any(grepl(sprintf("df = %d", as.integer(methods_fit$df)), shown, fixed = TRUE)))
  expect_true(any(grepl("(lower is better)", shown, fixed = TRUE)))
  expect_true(any(grepl("proportion eruptions waiting", shown, fixed = TRUE)))
  table <- cbind(proportion = methods_fit$parameters$proportions, methods_fit$parameters$means)
  rownames(table) <- 1:2
  expected <- capture.output(print(table, digits = 4))
  at <- which(shown == "Mixing proportions and means:")
  expect_identical(shown[at + seq_along(expected)], expected)
  # Many variables: the means are left to summary().
  wide <- softmix(cbind(iris_x, iris_x * 2 + 1), k = 1, model = "VVI", n_threads = 1)
  shown <- capture.output(print(wide))
  expect_true(any(grepl("Means of 8 variables: see summary()", shown, fixed = TRUE)))
  expect_true(any(grepl("proportion", capture.output(print(wide, max_vars = 8)))))
})

# update() --------------------------------------------------------------------------

test_that("update() refits with changed arguments as a direct call would", {
  fit3 <- with_seed(2, update(methods_fit, k = 3))
  direct <- with_seed(2, softmix(faithful, k = 3, n_threads = 1))
  expect_identical(fit3$k, 3L)
  expect_identical(flatten_params(fit3$parameters), flatten_params(direct$parameters))
  expect_identical(fit3$loglik, direct$loglik)
  expect_identical(fit3$call, quote(softmix(x = faithful, k = 3, n_threads = 1)))
  tied <- update(methods_fit, model = "EEE", init = "hc")
  expect_identical(tied$model, "EEE")
  expect_identical(update(methods_fit, model = "EEE", evaluate = FALSE),
                   quote(softmix(x = faithful, k = 2, n_threads = 1, model = "EEE")))
  expect_identical(update(methods_fit, n_threads = NULL, evaluate = FALSE),
                   quote(softmix(x = faithful, k = 2)))
  expect_error(update(methods_fit, 3), "named", class = "softmix_error")
})

test_that("update() evaluates the data where it is called", {
  local_data <- faithful_x[1:100, ]
  fit <- with_seed(1, softmix(local_data, k = 2, n_threads = 1))
  local_data <- faithful_x[101:272, ]
  expect_identical(update(fit, k = 1)$n, 172L)
})

test_that("update() uses the stored data, weights and labels of a function's locals", {
  make_fit <- function() {
    waiting <- faithful$waiting
    w <- rep(1:2, length.out = 272)
    known <- factor(rep(c("short", NA), length.out = 272), levels = c("short", "long"))
    known[faithful$waiting > 80] <- "long"
    softmix(waiting, k = 2, weights = w, labels = known, n_threads = 1)
  }
  fit <- with_seed(1, make_fit())
  expect_identical(colnames(fit$data), "waiting")
  updated <- with_seed(1, update(fit, model = "E"))
  w <- rep(1:2, length.out = 272)
  known <- factor(rep(c("short", NA), length.out = 272), levels = c("short", "long"))
  known[faithful$waiting > 80] <- "long"
  waiting <- faithful$waiting
  direct <- with_seed(1, softmix(waiting, k = 2, model = "E", weights = w, labels = known,
                                 n_threads = 1))
  expect_identical(flatten_params(updated$parameters), flatten_params(direct$parameters))
  expect_identical(updated$loglik, direct$loglik)
  expect_identical(colnames(updated$data), "waiting")
  # The new call keeps the original expressions.
  expect_identical(updated$call$x, quote(waiting))
  expect_identical(updated$call$weights, quote(w))
  # Again from the updated fit.
  expect_identical(update(updated, k = 3)$k, 3L)
})

test_that("update() uses stored data for a local named like a function (df, data)", {
  make_fit <- function() {
    df <- faithful
    softmix(df, k = 2, n_threads = 1)
  }
  fit <- with_seed(1, make_fit())
  updated <- with_seed(1, update(fit, k = 3))
  expect_identical(updated$loglik, with_seed(1, softmix(faithful, k = 3, n_threads = 1))$loglik)
  expect_identical(updated$call$x, quote(df))
})

test_that("update() lines stored weights and labels up with rows dropped as missing", {
  x <- as.matrix(iris[, 1:4])
  x[3, ] <- NA
  w <- with_seed(2, stats::runif(150))
  known <- rep(NA, 150)
  known[c(1:5, 51:55)] <- rep(1:2, each = 5)
  direct <- with_seed(1, suppressMessages(softmix(x, 2, model = "EEE", weights = w,
                                                  labels = known, n_threads = 1)))
  fit <- with_seed(1, suppressMessages(softmix(x, 2, weights = w, labels = known,
                                               n_threads = 1)))
  rm(w, known)
  updated <- with_seed(1, suppressMessages(update(fit, model = "EEE")))
  expect_identical(updated$loglik, direct$loglik)
  expect_identical(flatten_params(updated$parameters), flatten_params(direct$parameters))
})

test_that("update() names an argument it cannot find", {
  make_fit <- function() {
    start <- methods_fit$parameters
    softmix(faithful, init = start, fixed = "means", n_threads = 1)
  }
  fit <- make_fit()
  expect_error(update(fit, model = "EEE"), "`init`", class = "softmix_error")
  refit <- update(fit, init = fit$parameters)
  expect_identical(refit$parameters$means, fit$parameters$means)
})

# as.data.frame() ---------------------------------------------------------------------

test_that("as.data.frame() is the selection table, or one row for a single fit", {
  selected <- with_seed(1, softmix(faithful, k = 1:2, model = c("VVV", "EEE"), n_threads = 1))
  expect_identical(as.data.frame(selected), selected$selection)
  row <- as.data.frame(methods_fit)
  expect_identical(names(row), names(selected$selection))
  expect_identical(row, data.frame(
    k = 2L, model = "VVV", loglik = methods_fit$loglik, df = methods_fit$df,
    bic = methods_fit$bic, icl = methods_fit$icl, converged = methods_fit$converged,
    iterations = methods_fit$iterations, message = "", stringsAsFactors = FALSE
  ))
  expect_identical(rownames(as.data.frame(methods_fit, row.names = "fit")), "fit")
  degenerate <- suppressWarnings(
    with_seed(1, softmix(cbind(faithful_x, constant = 5), k = 2, n_threads = 1)),
    classes = "softmix_warning"
  )
  row <- as.data.frame(degenerate)
  expect_true(is.na(row$bic) && is.na(row$icl))
  expect_identical(row$message, degenerate$degenerate)
})
