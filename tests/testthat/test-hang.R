# No fit can hang: the inner iterations of the M steps without closed form
# (VEI, VEV, VEE, EVE, VVE) are capped and check for interrupts. Each check
# runs under an elapsed-time guard, so a hang fails the test instead of
# stalling the suite (R raises the time limit at the interrupt checks, which
# the core now reaches from its inner iterations too).

with_time_guard <- function(code, seconds = 60) {
  setTimeLimit(elapsed = seconds, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
  code
}

# The fit, or the softmix_error it raised; any other error fails the test.
fit_or_error <- function(...) {
  tryCatch(softmix(..., n_threads = 1), softmix_error = function(e) e)
}

expect_fit_or_softmix_error <- function(result, label) {
  if (inherits(result, "softmix_error")) {
    expect_true(nzchar(conditionMessage(result)), label = label)
  } else {
    expect_s3_class(result, "softmix")
    expect_true(is.finite(result$loglik), label = paste(label, "log-likelihood is finite"))
  }
}

test_that("VVE on 30 rows of the diabetes data ends (it looped for ever)", {
  skip_if_not_installed("mclust")
  env <- new.env()
  utils::data("diabetes", package = "mclust", envir = env)
  diabetes <- env$diabetes
  folds <- with_seed(2, mclust:::balancedFolds(diabetes$class, 10))
  train <- setdiff(seq_len(nrow(diabetes)), folds[[2]])
  x <- as.matrix(diabetes[train, -1][diabetes$class[train] == "Overt", ])
  expect_identical(dim(x), c(30L, 3L))
  result <- with_time_guard(
    fit_or_error(x, 4, model = "VVE", init = "hc", control = softmix_control(reg = 0))
  )
  # A component collapses onto three points, which leaves no maximum of the
  # likelihood: the fit ends with that reason, as VVV's does, or returns.
  expect_fit_or_softmix_error(result, "diabetes VVE")
  if (inherits(result, "softmix_error")) {
    expect_match(conditionMessage(result), "not positive definite")
  }
  for (model in c("EVE", "VEE", "VEV", "VEI")) {
    expect_fit_or_softmix_error(
      with_time_guard(
        fit_or_error(x, 4, model = model, init = "hc", control = softmix_control(reg = 0))
      ),
      paste("diabetes", model)
    )
  }
})

test_that("every model ends on small and degenerate data with reg = 0", {
  set.seed(1)
  three <- matrix(stats::rnorm(6), 3, 2)
  base <- matrix(stats::rnorm(60), 20, 3)
  data_sets <- list(
    few_rows = matrix(stats::rnorm(10), 5, 2),
    duplicated_rows = three[rep(1:3, each = 5), ],
    some_ties = rbind(matrix(stats::rnorm(24), 12, 2), three[rep(1, 6), ]),
    collinear = cbind(base[, 1:2], base[, 1] + 2 * base[, 2]),
    d_near_n = matrix(stats::rnorm(48), 8, 6),
    constant_column = cbind(base[, 1], 1, base[, 2]),
    # Three points far from the rest: a component that collapses onto them.
    collapsing = rbind(base, matrix(stats::rnorm(9, sd = 1e-3), 3, 3) + 10),
    ties_1d = matrix(c(1, 1, 1, 2, 2, 2, 3, 5, 5, 8), ncol = 1),
    one_d = matrix(stats::rnorm(12), ncol = 1)
  )
  models <- softmix:::model_table$code[1:14]
  with_time_guard({
    for (name in names(data_sets)) {
      x <- data_sets[[name]]
      codes <- if (ncol(x) == 1) c(models, "E", "V") else models
      for (model in codes) {
        for (k in 2:3) {
          for (init in c("kmeans++", "hc")) {
            result <- fit_or_error(x, k, model = model, init = init,
                                   control = softmix_control(reg = 0))
            expect_fit_or_softmix_error(result, paste(name, model, k, init))
          }
        }
      }
    }
  }, seconds = 120)
})

test_that("the log-likelihood of EM never falls for the models with inner iterations", {
  for (model in c("VEI", "VEV", "VEE", "EVE", "VVE")) {
    for (x in list(sim3_x, iris_x)) {
      fit <- with_time_guard(
        softmix(x, 3, model = model, control = softmix_control(reg = 0, tol = 1e-10),
                n_threads = 1)
      )
      trace <- fit$loglik_trace
      expect_true(all(diff(trace) >= -1e-10 * abs(trace[-1])), label = paste(model, "trace"))
    }
  }
})
