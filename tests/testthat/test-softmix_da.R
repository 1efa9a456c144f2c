# Discriminant analysis: softmix_da(), predict() and softmix_da_cv(), checked
# against a brute-force Bayes rule from mvtnorm, plain-R class means and
# covariances (stats::cov.wt()), mclust's mstep(), nMclustParams() and
# balancedFolds(), and the cross-validated error of mclust's cvMclustDA() on
# the same folds.

# Two expectations: an error of class softmix_error, whose message names
# `arg` in backticks (and matches `pattern`, a regular expression, if given).
expect_da_error <- function(code, arg, pattern = NULL) {
  err <- expect_error(code, class = "softmix_error")
  if (is.null(err)) return(invisible(NULL))
  expect_match(conditionMessage(err), paste0("`", arg, "`"), fixed = TRUE)
  if (!is.null(pattern)) expect_match(conditionMessage(err), pattern)
  invisible(err)
}

mclust_data_set <- function(name) {
  env <- new.env()
  utils::data(list = name, package = "mclust", envir = env)
  env[[name]]
}

iris_class <- iris$Species
da_iris <- with_seed(1, softmix_da(iris_x, iris_class, k = 1:2, model = c("EEE", "VVV", "VVI"),
                                   n_threads = 1))

# Bayes' rule by brute force: each class's log mixture density from mvtnorm
# (log-sum-exp over its components), plus its log prior, normalised in log space.
ref_da_posterior <- function(x, parameters, prior) {
  log_joint <- vapply(seq_along(parameters), function(j) {
    ref_log_sum_exp(ref_log_joint(x, parameters[[j]])) + log(prior[[j]])
  }, numeric(nrow(x)))
  exp(log_joint - ref_log_sum_exp(log_joint))
}

test_that("predict() gives Bayes' rule from the class mixtures and priors", {
  skip_if_not_installed("mvtnorm")
  expect_identical(unname(da_iris$k), c(2L, 1L, 1L))
  # The training data, and points far out in the tails (30 to 5000 units
  # from the data), where the class densities underflow.
  far <- rbind(iris_x[1:3, ] + 30, iris_x[51, ] - 80, c(200, -50, -50, -50), rep(5e3, 4))
  for (x in list(iris_x, far)) {
    posterior <- predict(da_iris, x, type = "posterior")
    reference <- ref_da_posterior(x, da_iris$parameters, da_iris$prior)
    expect_max_diff(posterior, reference, 1e-10)
    expect_identical(colnames(posterior), levels(iris_class))
    expect_identical(predict(da_iris, x),
                     factor(levels(iris_class)[max.col(reference, "first")],
                            levels = levels(iris_class)))
  }
  # Priors other than the training proportions, named in another order.
  prior <- c(virginica = 0.6, setosa = 0.1, versicolor = 0.3)
  expect_max_diff(predict(da_iris, iris_x, type = "posterior", prior = prior),
                  ref_da_posterior(iris_x, da_iris$parameters, prior[levels(iris_class)]),
                  1e-10)
  expect_identical(predict(da_iris), predict(da_iris, iris_x))
})

test_that("MclustDA fits each class with softmix() by BIC and adds up the likelihood", {
  skip_if_not_installed("mvtnorm")
  # The classes in turn, from the same seed.
  alone <- with_seed(1, lapply(levels(iris_class), function(level) {
    softmix(iris_x[iris_class == level, ], k = 1:2, model = c("EEE", "VVV", "VVI"),
            n_threads = 1, verbose = FALSE)
  }))
  for (j in 1:3) {
    fit <- da_iris$fits[[j]]
    expect_identical(fit$selection$bic, alone[[j]]$selection$bic)
    expect_identical(fit$parameters, alone[[j]]$parameters)
  }
  # log L = sum_i log(prior of its class) + log(its class's mixture density).
  class_density <- vapply(seq_len(150), function(i) {
    j <- as.integer(iris_class[i])
    ref_log_sum_exp(ref_log_joint(iris_x[i, , drop = FALSE], da_iris$parameters[[j]]))
  }, numeric(1))
  expect_max_diff(da_iris$loglik, sum(log(1 / 3) + class_density), 1e-10, relative = TRUE)
  df <- 2 + sum(vapply(da_iris$fits, `[[`, 0, "df"))
  expect_identical(da_iris$df, df)
  expect_max_diff(BIC(da_iris), -2 * da_iris$loglik + df * log(150), 1e-12, relative = TRUE)
})

test_that("EDDA estimates are the class means and ML covariances of each model", {
  skip_if_not_installed("mvtnorm")
  skip_if_not_installed("mclust")
  labels <- as.integer(iris_class)
  for (model in c("VVV", "EEE", "VVI", "EEI", "VII", "EII")) {
    fit <- softmix_da(iris_x, iris_class, model = model, type = "EDDA",
                      control = softmix_control(reg = 0), n_threads = 1)
    reference <- ref_m_step(iris_x, one_hot(labels), model)
    for (j in 1:3) {
      expect_max_diff(fit$parameters[[j]]$means, reference$means[j, , drop = FALSE], 1e-10,
                      relative = TRUE)
      expect_max_diff(fit$parameters[[j]]$covariances[, , 1], reference$covariances[, , j],
                      1e-10, relative = TRUE)
    }
    expect_max_diff(fit$prior, reference$proportions, 1e-15)
    log_joint <- ref_log_joint(iris_x, mixture_params(reference$proportions, reference$means,
                                                      reference$covariances))
    expect_max_diff(fit$loglik, sum(log_joint[cbind(1:150, labels)]), 1e-10, relative = TRUE)
    expect_identical(fit$df, as.numeric(mclust::nMclustParams(model, 4, 3)))
  }
  # VVV is quadratic discriminant analysis: each class's own ML covariance.
  qda <- softmix_da(iris_x, iris_class, model = "VVV", type = "EDDA",
                    control = softmix_control(reg = 0), n_threads = 1)
  for (j in 1:3) {
    rows <- iris_x[labels == j, ]
    expect_max_diff(qda$parameters[[j]]$covariances[, , 1],
                    stats::cov.wt(rows, method = "ML")$cov, 1e-10, relative = TRUE)
  }
})

test_that("EDDA chooses the model of lowest BIC; VEV matches mclust's mstep()", {
  skip_if_not_installed("mclust")
  edda <- softmix_da(iris_x, iris_class, type = "EDDA", control = softmix_control(reg = 0),
                     n_threads = 1)
  expect_identical(nrow(edda$selection), 14L)
  expect_identical(edda$model[[1]], edda$selection$model[which.min(edda$selection$bic)])
  expect_identical(unname(edda$model), rep("VEV", 3))
  expect_identical(edda$bic, min(edda$selection$bic))
  # mclust's M step from the known classes, its inner iterations run tight
  # (mstep() would dispatch to mstepVEV() by name, which needs mclust attached).
  reference <- mclust::mstepVEV(iris_x, z = one_hot(as.integer(iris_class)),
                                control = mclust::emControl(tol = c(1e-5, 1e-14)))$parameters
  for (j in 1:3) {
    expect_max_diff(edda$parameters[[j]]$means[1, ], reference$mean[, j], 1e-8,
                    relative = TRUE)
    expect_max_diff(edda$parameters[[j]]$covariances[, , 1],
                    reference$variance$sigma[, , j], 1e-6, relative = TRUE)
  }
})

test_that("cross-validated posteriors are those of plain-R QDA fitted without each fold", {
  skip_if_not_installed("mvtnorm")
  qda <- softmix_da(iris_x, iris_class, model = "VVV", type = "EDDA",
                    control = softmix_control(reg = 0), n_threads = 1)
  cv <- with_seed(4, softmix_da_cv(qda, nfold = 5))
  reference <- matrix(NA_real_, 150, 3)
  prior <- rep(1 / 3, 3)
  for (test in cv$folds) {
    train <- setdiff(1:150, test)
    parameters <- lapply(levels(iris_class), function(level) {
      rows <- iris_x[train, ][iris_class[train] == level, ]
      mixture_params(1, colMeans(rows), stats::cov.wt(rows, method = "ML")$cov)
    })
    reference[test, ] <- ref_da_posterior(iris_x[test, ], parameters, prior)
  }
  expect_max_diff(cv$posterior, reference, 1e-10)
  predicted <- max.col(reference, "first")
  expect_identical(cv$error, mean(predicted != as.integer(iris_class)))
  truth <- one_hot(as.integer(iris_class))
  expect_max_diff(cv$brier, sum((truth - reference)^2) / 300, 1e-12)
  # The folds: balanced, each of the 5 with 10 rows of each class.
  expect_true(all(vapply(cv$folds, function(f) all(table(iris_class[f]) == 10), logical(1))))
})

test_that("softmix_da_cv() draws mclust's folds and takes folds as a list or a vector", {
  skip_if_not_installed("mclust")
  edda <- softmix_da(iris_x, iris_class, type = "EDDA", n_threads = 1)
  cv <- with_seed(7, softmix_da_cv(edda))
  folds <- with_seed(7, mclust:::balancedFolds(iris_class, 10))
  expect_identical(cv$folds, lapply(folds, as.integer))
  again <- softmix_da_cv(edda, folds = cv$folds)
  expect_identical(again$posterior, cv$posterior)
  fold_of_row <- integer(150)
  for (i in seq_along(cv$folds)) fold_of_row[cv$folds[[i]]] <- i
  expect_identical(softmix_da_cv(edda, folds = fold_of_row)$posterior, cv$posterior)
  # Leave-one-out: one row per fold, no random draws.
  loo <- softmix_da_cv(edda, nfold = 150)
  expect_identical(loo$folds, as.list(1:150))
  expect_s3_class(loo, "softmix_da_cv")
})

test_that("the cross-validated error is at most cvMclustDA()'s on the same folds", {
  skip_if_not_installed("mclust")
  # mclust's defaults on both sides (G = 1:5 and all 14 models for MclustDA),
  # the folds of cvMclustDA() under each seed; each package's own choices,
  # cross-validated as cvMclustDA() does (its fold fits keep the choices).
  errors <- function(x, class, type, seeds) {
    x <- as.matrix(x)
    reference <- with_mclust(mclust::MclustDA(x, class, modelType = type, verbose = FALSE))
    fit <- with_seed(1, softmix_da(x, class, type = type, n_threads = 2))
    t(vapply(seeds, function(seed) {
      mclust_cv <- with_seed(seed, with_mclust(mclust::cvMclustDA(reference, verbose = FALSE)))
      softmix_cv <- with_seed(seed, softmix_da_cv(fit))
      c(mclust = mclust_cv$ce, softmix = softmix_cv$error)
    }, numeric(2)))
  }
  # iris and banknote: at most mclust's error on each seed's folds. These
  # differ by at most one row either way on diabetes, so there the sum over
  # ten seeds is compared.
  banknote <- mclust_data_set("banknote")
  diabetes <- mclust_data_set("diabetes")
  for (type in c("MclustDA", "EDDA")) {
    iris_errors <- errors(iris_x, iris_class, type, 1:3)
    expect_true(all(iris_errors[, "softmix"] <= iris_errors[, "mclust"] + 1e-12),
                label = paste("iris", type))
    banknote_errors <- errors(banknote[, -1], banknote$Status, type, 1)
    expect_true(all(banknote_errors[, "softmix"] <= banknote_errors[, "mclust"] + 1e-12),
                label = paste("banknote", type))
    diabetes_errors <- errors(diabetes[, -1], diabetes$class, type, 1:10)
    expect_lte(sum(diabetes_errors[, "softmix"]), sum(diabetes_errors[, "mclust"]) + 1e-12)
  }
})

test_that("fold_models records each fold's fits, and they reach mclust's likelihood", {
  skip_if_not_installed("mclust")
  # mclust's start alone, so that softmix() can repeat each fold's fits.
  fit <- with_seed(1, softmix_da(iris_x, iris_class, k = 1:2, model = c("EEE", "VVV", "VVI"),
                                 init = "hc", n_threads = 1))
  cv <- with_seed(2, softmix_da_cv(fit, nfold = 4))
  expect_identical(names(cv$fold_models), c("fold", "class", "model", "k", "loglik"))
  expect_identical(cv$fold_models$fold, rep(1:4, each = 3))
  expect_identical(cv$fold_models$class, rep(levels(iris_class), 4))
  expect_identical(cv$fold_models$model, rep(unname(fit$model), 4))
  expect_identical(cv$fold_models$k, rep(unname(fit$k), 4))
  for (i in 1:4) {
    train <- -cv$folds[[i]]
    for (j in 1:3) {
      rows <- iris_x[train, ][iris_class[train] == levels(iris_class)[j], ]
      alone <- softmix(rows, k = fit$k[[j]], model = fit$model[[j]], init = "hc",
                       n_threads = 1, verbose = FALSE)
      expect_identical(cv$fold_models$loglik[3 * (i - 1) + j], alone$loglik)
    }
  }
  edda <- softmix_da(iris_x, iris_class, type = "EDDA", n_threads = 1)
  edda_cv <- softmix_da_cv(edda, folds = cv$folds)
  expect_identical(edda_cv$fold_models$class, rep("all classes", 4))
  expect_identical(edda_cv$fold_models$model, rep(edda$model[[1]], 4))
  expect_max_diff(edda_cv$fold_models$loglik[1],
                  softmix_da(iris_x[-cv$folds[[1]], ], iris_class[-cv$folds[[1]]],
                             model = edda$model[[1]], type = "EDDA", n_threads = 1)$loglik,
                  1e-12, relative = TRUE)
  # On diabetes, cvMclustDA()'s fold fits (MclustDA() with the kept G and
  # modelNames) against softmix's defaults: where both fit the same pair to a
  # fold's rows of a class, softmix's log-likelihood is at least mclust's,
  # less 0.01 (the default ridge lowers it by a few 1e-4 where the two reach
  # the same maximum).
  diabetes <- mclust_data_set("diabetes")
  x <- as.matrix(diabetes[, -1])
  class <- diabetes$class
  reference <- with_mclust(mclust::MclustDA(x, class, verbose = FALSE))
  da <- with_seed(1, softmix_da(x, class, n_threads = 1))
  expect_identical(da$model, vapply(reference$models, `[[`, "", "modelName"))
  expect_identical(da$k, vapply(reference$models, function(m) as.integer(m$G), 0L))
  folds <- with_seed(3, mclust:::balancedFolds(class, 10))
  da_cv <- with_seed(3, softmix_da_cv(da, folds = folds))
  compared <- 0
  for (i in seq_along(folds)) {
    mclust_fold <- with_mclust(mclust::MclustDA(
      x[-folds[[i]], ], class[-folds[[i]]], G = as.list(unname(da$k)),
      modelNames = as.list(unname(da$model)), verbose = FALSE
    ))
    ours <- da_cv$fold_models[da_cv$fold_models$fold == i, ]
    for (j in 1:3) {
      theirs <- mclust_fold$models[[j]]
      if (theirs$modelName == ours$model[j] && theirs$G == ours$k[j]) {
        compared <- compared + 1
        expect_gte(ours$loglik[j], theirs$loglik - 0.01)
      }
    }
  }
  expect_gte(compared, 20)
})

test_that("the standard errors and classifications are cvMclustDA()'s when the fits agree", {
  skip_if_not_installed("mclust")
  reference <- with_mclust(mclust::MclustDA(iris_x, iris_class, modelType = "EDDA",
                                            modelNames = "EEE", verbose = FALSE))
  fit <- softmix_da(iris_x, iris_class, model = "EEE", type = "EDDA",
                    control = softmix_control(reg = 0), n_threads = 1)
  mclust_cv <- with_seed(3, with_mclust(mclust::cvMclustDA(reference, verbose = FALSE)))
  cv <- with_seed(3, softmix_da_cv(fit))
  expect_identical(as.character(cv$classification), as.character(mclust_cv$classification))
  expect_max_diff(cv$error, mclust_cv$ce, 1e-15)
  expect_max_diff(cv$error_se, mclust_cv$se.ce, 1e-12)
  expect_max_diff(cv$posterior, mclust_cv$z, 1e-8)
  expect_max_diff(cv$brier, mclust_cv$brier, 1e-8)
  expect_max_diff(cv$brier_se, mclust_cv$se.brier, 1e-8)
})

test_that("reselect = TRUE chooses the models again in each fold", {
  fit <- with_seed(2, softmix_da(iris_x, iris_class, k = 1:2, model = c("EEE", "VVI"),
                                 n_threads = 1))
  cv <- with_seed(5, softmix_da_cv(fit, nfold = 3, reselect = TRUE))
  expect_true(cv$reselect)
  expect_true(cv$error < 0.1)
  expect_output(print(cv), "chosen again")
})

test_that("print() and summary() describe the classes and the training error", {
  expect_output(print(da_iris), "MclustDA")
  out <- summary(da_iris)
  expect_s3_class(out, "summary.softmix_da")
  expect_identical(out$classes$k, unname(da_iris$k))
  expect_identical(out$error, mean(predict(da_iris) != iris_class))
  expect_identical(sum(out$confusion), 150L)
  expect_output(print(out), "Training error")
  expect_identical(nobs(da_iris), 150L)
})

test_that("one-dimensional data and character classes work", {
  group <- ifelse(faithful$eruptions > 3, "long", "short")
  fit <- softmix_da(faithful$waiting, group, type = "EDDA", n_threads = 1)
  expect_identical(fit$classes, c("long", "short"))
  expect_true(all(fit$model %in% c("E", "V")))
  posterior <- predict(fit, c(50, 90), type = "posterior")
  expect_true(posterior[1, "short"] > 0.99 && posterior[2, "long"] > 0.99)
  # The vector's variable is named after its expression, as in softmix():
  # a data frame with that column predicts the same.
  expect_identical(colnames(fit$data), "waiting")
  expect_identical(predict(fit, data.frame(waiting = c(50, 90)), type = "posterior"), posterior)
})

test_that("bad input stops with an error naming the argument", {
  expect_da_error(softmix_da(iris_x, iris_class[-1]), "class", "149 for 150")
  with_na <- iris_class
  with_na[7] <- NA
  expect_da_error(softmix_da(iris_x, with_na), "class", "row 7")
  # NA as a level of a factor (addNA()) is missing too.
  expect_da_error(softmix_da(iris_x, addNA(with_na), type = "EDDA"), "class", "row 7")
  expect_da_error(softmix_da(iris_x), "class", "missing")
  expect_da_error(softmix_da(iris_x, rep("a", 150)), "class", "two classes")
  one_row <- as.character(iris_class)
  one_row[1] <- "lonely"
  expect_da_error(softmix_da(iris_x, one_row), "class", "\"lonely\" has only one")
  expect_da_error(softmix_da(iris_x, list(iris_class)), "class", "list")
  expect_da_error(softmix_da(iris_x, iris_class, type = "QDA"), "type")
  expect_da_error(softmix_da(iris_x, iris_class, model = "XYZ"), "model", "XYZ")
  expect_da_error(softmix_da(iris_x, iris_class, k = 0), "k")
  expect_da_error(softmix_da(iris_x, iris_class, k = 2, type = "EDDA"), "k", "EDDA")
  expect_da_error(softmix_da(iris_x, iris_class, model = list("VVV", "EEE")), "model",
                  "one entry per class")
  # Named entries go to their classes, in any order; a misspelt class name
  # is an error, not a silent match by position.
  named <- softmix_da(iris_x, iris_class, k = 1, n_threads = 1, model = list(
    virginica = "VVV", setosa = "EII", versicolor = "VVI"
  ))
  expect_identical(named$model, c(setosa = "EII", versicolor = "VVI", virginica = "VVV"))
  expect_da_error(softmix_da(iris_x, iris_class, k = 1, model = list(
    virginica = "VVV", setosa = "EII", versicolr = "VVI"
  )), "model", "`versicolr` is not a class")
  expect_da_error(softmix_da(iris_x, iris_class, k = list(setosa = 1, setosa = 2, virginica = 1)),
                  "k", "named twice")
  expect_da_error(softmix_da(iris_x, iris_class, type = "EDDA", init = "hc"), "...")
  expect_da_error(softmix_da(iris_x, iris_class, labels = 1), "...", "labels")
  expect_da_error(softmix_da(iris_x, iris_class, k = 1, start = 2), "...", "start")
  expect_da_error(softmix_da(iris_x, iris_class, weights = rep(1, 150)), "...",
                  "`weights`, which softmix_da\\(\\) does not support")
  with_missing <- iris_x
  with_missing[2, 2] <- NA
  expect_da_error(softmix_da(with_missing, iris_class), "x", "missing")
  # predict() and softmix_da_cv()
  expect_da_error(predict(da_iris, iris_x[, 1:3]), "newdata", "Petal\\.Width")
  expect_da_error(predict(da_iris, unname(iris_x[, 1:3])), "newdata", "3 column")
  expect_da_error(predict(da_iris, type = "density"), "type")
  expect_da_error(predict(da_iris, prior = c(1, 2)), "prior", "2 for 3")
  expect_da_error(predict(da_iris, prior = c(-1, 1, 1)), "prior", "non-negative")
  expect_da_error(predict(da_iris, prior = c(a = 1, b = 1, c = 1)), "prior", "names")
  # mclust's name for the priors, or a misspelt argument, is not ignored.
  expect_da_error(predict(da_iris, prop = c(0.1, 0.1, 0.8)), "prop", "`prior`")
  expect_da_error(predict(da_iris, type = "posterior", priors = c(1, 1, 1)), "priors")
  expect_da_error(softmix_da_cv(list()), "object")
  expect_da_error(softmix_da_cv(da_iris, nfold = 1), "nfold")
  expect_da_error(softmix_da_cv(da_iris, folds = list(1:10, 11:149)), "folds", "exactly once")
  expect_da_error(softmix_da_cv(da_iris, folds = rep(1, 150)), "folds", "two folds")
  expect_da_error(softmix_da_cv(da_iris, folds = replace(rep(1:5, 30), 146, NA)), "folds",
                  "NA for 1 row\\(s\\), the first being row 146")
  # A fold that leaves a class with fewer than two training rows.
  small <- c(rep("a", 3), rep("b", 20))
  fit_small <- softmix_da(matrix(c(1:3, 11:30) + 0.5 * sin(1:23)), small, type = "EDDA",
                          n_threads = 1)
  expect_da_error(softmix_da_cv(fit_small, folds = rep(1:2, length.out = 23)), "folds",
                  "class \"a\"")
})
