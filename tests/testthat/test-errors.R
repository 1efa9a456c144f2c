# Every bad input stops with an error of class `softmix_error` whose message
# names the argument at fault in backticks. Reference: the documented
# contract (see ?softmix and the argument docs).

# Two expectations: the class of the error, and that its message names
# `arg` in backticks (and matches `pattern`, a regular expression, if given).
expect_softmix_error <- function(code, arg, pattern = NULL) {
  err <- expect_error(code, class = "softmix_error")
  if (is.null(err)) return(invisible(NULL))
  expect_match(conditionMessage(err), paste0("`", arg, "`"), fixed = TRUE)
  if (!is.null(pattern)) expect_match(conditionMessage(err), pattern)
  invisible(err)
}

x <- faithful_x
params_2d <- mixture_params(c(0.5, 0.5), rbind(c(2, 60), c(4, 80)), diag(c(1, 100)))
fit_2d <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))

test_that("missing and infinite values in x are errors", {
  with_na <- x
  with_na[3, 1] <- NA
  expect_softmix_error(softmix(with_na, k = 2), "x", "missing")
  with_nan <- x
  with_nan[5, 2] <- NaN
  expect_softmix_error(softmix(with_nan, k = 2), "x", "row 5")
  with_inf <- x
  with_inf[7, 2] <- -Inf
  expect_softmix_error(softmix(with_inf, k = 2), "x", "infinite")
})

test_that("x of a non-numeric type is an error", {
  expect_softmix_error(softmix(matrix(letters[1:6], 3), k = 1), "x", "character")
  expect_softmix_error(softmix(factor(c("a", "b", "a")), k = 1), "x", "factor")
  expect_softmix_error(softmix(complex(real = 1:4, imaginary = 1), k = 1), "x")
  expect_softmix_error(softmix(list(1, 2, 3), k = 1), "x", "list")
  expect_softmix_error(softmix(NULL, k = 1), "x", "NULL")
  expect_softmix_error(softmix(matrix(TRUE, 4, 2), k = 1), "x", "logical")
})

test_that("empty data and non-numeric data frame columns are errors", {
  expect_softmix_error(softmix(matrix(numeric(0), 0, 2), k = 1), "x", "row")
  expect_softmix_error(softmix(faithful[0, ], k = 1), "x", "row")
  with_character <- data.frame(a = c(1, 2, 3), b = c("u", "v", "w"))
  expect_softmix_error(softmix(with_character, k = 1), "x", "`b`")
  expect_softmix_error(softmix(iris, k = 3), "x", "`Species`")
})

test_that("a bad number of components is an error", {
  expect_softmix_error(softmix(x, k = 0), "k", "at least 1")
  expect_softmix_error(softmix(x[1:5, ], k = 6), "k", "exceed")
  expect_softmix_error(softmix(x, k = 2.5), "k")
  expect_softmix_error(softmix(x, k = NA), "k")
  expect_softmix_error(softmix(x, k = "2"), "k")
  expect_softmix_error(softmix(x, k = c(2, 2)), "k", "repeat")
  expect_softmix_error(softmix(x), "k", "missing")
})

test_that("an unknown or mismatched model is an error", {
  expect_softmix_error(softmix(x, k = 2, model = "XYZ"), "model", "XYZ")
  expect_softmix_error(softmix(x, k = 2, model = "E"), "model", "one-dimensional")
  expect_softmix_error(softmix(x, k = 2, model = 1), "model")
  expect_softmix_error(softmix(x, k = 2, model = NA_character_), "model")
})

test_that("a bad init string or posterior matrix is an error", {
  n <- nrow(x)
  expect_softmix_error(softmix(x, k = 2, init = "kmeans"), "init", "kmeans")
  expect_softmix_error(softmix(x, k = 2, init = c("random", "kmeans++")), "init")
  expect_softmix_error(softmix(x, init = matrix(0.5, n - 1, 2)), "init", "row")
  expect_softmix_error(softmix(x, k = 3, init = matrix(0.5, n, 2)), "init", "2 components")
  negative <- matrix(0.5, n, 2)
  negative[4, 1] <- -0.1
  expect_softmix_error(softmix(x, init = negative), "init", "negative")
  empty_column <- cbind(1, matrix(0, n, 1))
  expect_softmix_error(softmix(x, init = empty_column), "init", "column 2")
  with_na <- matrix(0.5, n, 2)
  with_na[1, 2] <- NA
  expect_softmix_error(softmix(x, init = with_na), "init", "finite")
  expect_softmix_error(softmix(x, init = list(1, 2)), "init", "list")
})

test_that("bad labels as init are an error", {
  n <- nrow(x)
  labels <- rep(1:2, length.out = n)
  zero <- labels
  zero[1] <- 0
  expect_softmix_error(softmix(x, init = zero), "init", "1, ..., k")
  gap <- ifelse(labels == 2, 3, 1)
  expect_softmix_error(softmix(x, init = gap), "init", "2 unused")
  expect_softmix_error(softmix(x, k = 2, init = rep(1:3, length.out = n)), "init", "3 components")
  expect_softmix_error(softmix(x, init = labels[-1]), "init", "one entry per observation")
  with_na <- labels
  with_na[2] <- NA
  expect_softmix_error(softmix(x, init = with_na), "init", "missing")
  fractional <- labels + 0.5
  expect_softmix_error(softmix(x, init = fractional), "init", "whole")
})

test_that("init parameters of the wrong dimension are an error", {
  params_3d <- mixture_params(c(0.5, 0.5), matrix(1:6, 2, 3), diag(3))
  expect_softmix_error(softmix(x, init = params_3d), "init", "dimension")
  expect_softmix_error(softmix(x, k = 3, init = params_2d), "init", "2 components")
})

test_that("bad n_init and control are errors", {
  expect_softmix_error(softmix(x, k = 2, n_init = 0), "n_init", "at least 1")
  expect_softmix_error(softmix(x, k = 2, n_init = 1.5), "n_init")
  expect_softmix_error(softmix(x, k = 2, control = list(tol = 1e-8)), "control",
                       "softmix_control")
})

test_that("bad softmix_control settings are errors", {
  expect_softmix_error(softmix_control(tol = -1), "tol", "non-negative")
  expect_softmix_error(softmix_control(tol = "a"), "tol")
  expect_softmix_error(softmix_control(tol = c(1e-8, 1e-6)), "tol")
  expect_softmix_error(softmix_control(tol = Inf), "tol")
  expect_softmix_error(softmix_control(reg = -1e-6), "reg", "non-negative")
  expect_softmix_error(softmix_control(reg = NA), "reg")
  expect_softmix_error(softmix_control(max_iter = -1), "max_iter")
  expect_softmix_error(softmix_control(max_iter = 2.5), "max_iter")
  expect_softmix_error(softmix_control(max_iter = "10"), "max_iter")
})

test_that("a bad thread count is an error everywhere", {
  expect_softmix_error(softmix(x, k = 2, n_threads = 0), "n_threads", "at least 1")
  expect_softmix_error(softmix(x, k = 2, n_threads = -1), "n_threads")
  expect_softmix_error(softmix(x, k = 2, n_threads = 1.5), "n_threads")
  expect_softmix_error(softmix(x, k = 2, n_threads = "a"), "n_threads")
  expect_softmix_error(e_step(x, params_2d, n_threads = 0), "n_threads")
  expect_softmix_error(m_step(x, one_hot(rep(1:2, 136)), n_threads = NA), "n_threads")
  expect_softmix_error(dmixture(x, params_2d, n_threads = 2.5), "n_threads")
  expect_softmix_error(softmix_threads(0), "n")
  expect_softmix_error(softmix_threads("a"), "n")
})

test_that("bad proportions are an error in mixture_params", {
  expect_softmix_error(mixture_params(c(0.5, 0.6), c(0, 1), c(1, 1)), "proportions", "sum to 1")
  expect_softmix_error(mixture_params(c(-0.5, 1.5), c(0, 1), c(1, 1)), "proportions",
                       "positive")
  expect_softmix_error(mixture_params(c(0, 1), c(0, 1), c(1, 1)), "proportions", "positive")
  expect_softmix_error(mixture_params(c(NA, 1), c(0, 1), c(1, 1)), "proportions")
  expect_softmix_error(mixture_params("1", 0, 1), "proportions")
})

test_that("bad means are an error in mixture_params", {
  expect_softmix_error(mixture_params(c(0.5, 0.5), matrix(0, 3, 2), diag(2)), "means",
                       "one row per component")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, 1, 2), c(1, 1)), "means")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, NA), c(1, 1)), "means")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c("a", "b"), c(1, 1)), "means")
})

test_that("bad covariances are an error in mixture_params", {
  means <- rbind(c(0, 0), c(1, 1))
  asymmetric <- array(c(diag(2), 1, 0.5, 0.1, 1), c(2, 2, 2))
  expect_softmix_error(mixture_params(c(0.5, 0.5), means, asymmetric), "covariances[, , 2]",
                       "symmetric")
  not_pd <- array(c(diag(2), 1, 2, 2, 1), c(2, 2, 2))
  expect_softmix_error(mixture_params(c(0.5, 0.5), means, not_pd), "covariances[, , 2]",
                       "positive definite")
  negative_variance <- c(1, -1)
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, 1), negative_variance),
                       "covariances[, , 2]", "positive definite")
  expect_softmix_error(mixture_params(c(0.5, 0.5), means, diag(3)), "covariances", "2 x 2 x 2")
  expect_softmix_error(mixture_params(c(0.5, 0.5), means, array(1, c(2, 2, 3))), "covariances")
  expect_softmix_error(mixture_params(c(0.5, 0.5), means, array(NA_real_, c(2, 2, 2))),
                       "covariances")
})

test_that("e_step and dmixture reject parameters that do not fit the data", {
  params_3d <- mixture_params(c(0.5, 0.5), matrix(1:6, 2, 3), diag(3))
  expect_softmix_error(e_step(x, params_3d), "parameters", "3 dimension")
  expect_softmix_error(dmixture(x, params_3d), "parameters", "3 dimension")
  plain_list <- unclass(params_2d)
  expect_softmix_error(e_step(x, plain_list), "parameters", "mixture_params")
  expect_softmix_error(dmixture(x, plain_list), "parameters", "mixture_params")
  expect_softmix_error(dmixture(x, params_2d, log = NA), "log")
  expect_softmix_error(e_step(rbind(c(1, NA)), params_2d), "x", "missing")
})

test_that("m_step rejects a bad posterior or model", {
  n <- nrow(x)
  expect_softmix_error(m_step(x, matrix(0.5, n + 1, 2)), "posterior", "row")
  expect_softmix_error(m_step(x, rep(1, n)), "posterior", "matrix")
  expect_softmix_error(m_step(x, matrix("a", n, 2)), "posterior", "matrix")
  negative <- matrix(0.5, n, 2)
  negative[2, 2] <- -1
  expect_softmix_error(m_step(x, negative), "posterior", "negative")
  expect_softmix_error(m_step(x, cbind(matrix(0, n, 1), 1)), "posterior", "column 1")
  with_inf <- matrix(0.5, n, 2)
  with_inf[1, 1] <- Inf
  expect_softmix_error(m_step(x, with_inf), "posterior", "finite")
  w <- one_hot(rep(1:2, length.out = n))
  expect_softmix_error(m_step(x, w, model = c("VVV", "EII")), "model", "single")
  expect_softmix_error(m_step(x, w, model = "VEV"), "model", "VEV")
  expect_softmix_error(m_step(x, w, reg = -1), "reg")
})

test_that("predict and posterior reject new data of the wrong dimension", {
  expect_softmix_error(predict(fit_2d, matrix(1, 3, 3)), "newdata", "3 column")
  expect_softmix_error(predict(fit_2d, c(1, 2, 3), type = "posterior"), "newdata", "1 column")
  expect_softmix_error(posterior(fit_2d, matrix(1, 3, 1)), "newdata")
  expect_softmix_error(predict(fit_2d, rbind(c(1, NA))), "newdata", "missing")
})

test_that("rmixture and simulate reject bad counts", {
  expect_softmix_error(rmixture(-1, params_2d), "n")
  expect_softmix_error(rmixture(2.5, params_2d), "n")
  expect_softmix_error(rmixture(10, unclass(params_2d)), "parameters")
  expect_softmix_error(simulate(fit_2d, nsim = 0), "nsim")
})

test_that("a singular covariance with reg = 0 names the component and reg", {
  five <- cbind(c(0, 1, 2, 3, 4), c(0, 2, 1, 4, 3))
  err <- expect_softmix_error(
    softmix(five, k = 4, control = softmix_control(reg = 0), n_threads = 1), "reg",
    "component [1-4]"
  )
  expect_match(conditionMessage(err), "positive definite")
  # A shared covariance from collinear points is singular for EEE.
  line <- cbind(1:6, 2 * (1:6))
  expect_softmix_error(
    softmix(line, k = 2, model = "EEE", control = softmix_control(reg = 0), n_threads = 1),
    "reg", "common covariance"
  )
})

test_that("model selection in which every pair fails is an error", {
  five <- cbind(c(0, 1, 2, 3, 4), c(0, 2, 1, 4, 3))
  expect_softmix_error(
    softmix(five, k = 4:5, model = "VVV", control = softmix_control(reg = 0), n_threads = 1),
    "reg", "every"
  )
})

test_that("a posterior column of vanishing weight is an error naming posterior", {
  # The column sums to 1e-300 > 0, so it passes the zero-column check, but
  # the component is empty for all practical purposes.
  w <- cbind(1, c(1e-300, rep(0, nrow(x) - 1)))
  expect_softmix_error(m_step(x, w), "posterior", "column 2")
})
