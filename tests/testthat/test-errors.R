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

test_that("missing values with missing = \"fail\" and infinite values in x are errors", {
  with_na <- x
  with_na[3, 1] <- NA
  expect_softmix_error(softmix(with_na, k = 2, missing = "fail"), "x", "missing")
  with_nan <- x
  with_nan[5, 2] <- NaN
  expect_softmix_error(softmix(with_nan, k = 2, missing = "fail"), "x", "row 5")
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
  expect_softmix_error(softmix(x, k = c(1, NA)), "k", "not NA")
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

test_that("m_step() needs `parameters` for missing values", {
  with_na <- x
  with_na[c(4, 9), 2] <- NA
  w <- one_hot(rep(1:2, 136))
  err <- expect_softmix_error(m_step(with_na, w), "x", "2 row\\(s\\), the first being row 4")
  expect_match(conditionMessage(err), "`parameters`", fixed = TRUE)
  with_na[4, 2] <- NaN
  expect_softmix_error(m_step(with_na, w), "parameters", "conditional means")
  expect_s3_class(m_step(with_na, w, parameters = params_2d, n_threads = 1), "mixture_params")
  # e_step() takes them: each row's posterior from its observed coordinates.
  expect_identical(dim(e_step(with_na, params_2d, n_threads = 1)$posterior), c(272L, 2L))
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
  expect_softmix_error(e_step(rbind(c(NA_real_, NA_real_)), params_2d), "x", "every value missing")
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
  expect_softmix_error(m_step(x, w, model = "VVX"), "model", "VVX")
  expect_softmix_error(m_step(x, w, reg = -1), "reg")
})

test_that("predict and posterior reject new data of the wrong dimension", {
  expect_softmix_error(predict(fit_2d, matrix(1, 3, 3)), "newdata", "3 column")
  expect_softmix_error(predict(fit_2d, c(1, 2, 3), type = "posterior"), "newdata", "1 column")
  expect_softmix_error(posterior(fit_2d, matrix(1, 3, 1)), "newdata")
  expect_softmix_error(predict(fit_2d, rbind(c(NA_real_, NA_real_))), "newdata", "every value missing")
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

# The catalogue below covers every exported function with each kind of
# malformed argument: missing and infinite values, wrong types (character,
# factor, complex, lists, NULL), empty data, out-of-range or fractional
# counts, unknown codes, malformed posteriors and parameters, mismatched
# dimensions, negative tolerances and thread counts.

test_that("e_step rejects malformed data, parameters and thread counts", {
  expect_softmix_error(e_step(matrix(letters[1:4], 2), params_2d), "x", "character")
  expect_softmix_error(e_step(factor(1:3), params_2d), "x", "factor")
  expect_softmix_error(e_step(complex(real = 1:4), params_2d), "x", "complex")
  expect_softmix_error(e_step(list(1, 2), params_2d), "x", "list")
  expect_softmix_error(e_step(NULL, params_2d), "x", "NULL")
  expect_softmix_error(e_step(x[0, ], params_2d), "x", "0 x 2")
  expect_softmix_error(e_step(rbind(c(1, Inf)), params_2d), "x", "infinite")
  expect_softmix_error(e_step(rbind(c(NaN, NA)), params_2d), "x", "every value missing")
  expect_softmix_error(e_step(x, NULL), "parameters", "NULL")
  expect_softmix_error(e_step(x, params_2d, n_threads = c(1, 2)), "n_threads", "length 2")
})

test_that("m_step rejects malformed data, posteriors, models and ridges", {
  n <- nrow(x)
  w <- one_hot(rep(1:2, length.out = n))
  expect_softmix_error(m_step(NULL, w), "x", "NULL")
  expect_softmix_error(m_step(x[0, ], w[0, ]), "x", "0 x 2")
  expect_softmix_error(m_step(factor(1:n), w), "x", "factor")
  expect_softmix_error(m_step(x, NULL), "posterior", "NULL")
  expect_softmix_error(m_step(x, list(1, 2)), "posterior", "list")
  expect_softmix_error(m_step(x, matrix(0.5, n, 0)), "posterior", "no columns")
  expect_softmix_error(m_step(x, array(1, c(n, 2, 1))), "posterior", "matrix")
  expect_softmix_error(m_step(x, matrix(complex(real = 1), n, 2)), "posterior", "complex")
  expect_softmix_error(m_step(x, matrix(NaN, n, 2)), "posterior", "finite")
  expect_softmix_error(m_step(x, -as.data.frame(w)), "posterior", "negative")
  expect_softmix_error(m_step(x, w, model = NA), "model")
  expect_softmix_error(m_step(x, w, model = "E"), "model", "one-dimensional")
  expect_softmix_error(m_step(x, w, reg = "a"), "reg")
  expect_softmix_error(m_step(x, w, reg = NaN), "reg")
  expect_softmix_error(m_step(x, w, n_threads = 0), "n_threads", "at least 1")
})

test_that("dmixture rejects malformed data, parameters and flags", {
  expect_softmix_error(dmixture(factor(1:3), params_2d), "x", "factor")
  expect_softmix_error(dmixture(matrix("1", 2, 2), params_2d), "x", "character")
  expect_softmix_error(dmixture(rbind(c(NA, NaN)), params_2d), "x", "every value missing")
  expect_softmix_error(dmixture(x, NULL), "parameters", "NULL")
  expect_softmix_error(dmixture(matrix(1, 3, 3), params_2d), "parameters", "3 column")
  expect_softmix_error(dmixture(x, params_2d, log = "yes"), "log")
  expect_softmix_error(dmixture(x, params_2d, n_threads = -1), "n_threads")
})

test_that("rmixture and simulate reject sample sizes that are not whole counts", {
  expect_softmix_error(rmixture(NA, params_2d), "n")
  expect_softmix_error(rmixture("10", params_2d), "n")
  expect_softmix_error(rmixture(c(1, 2), params_2d), "n", "length 2")
  expect_softmix_error(rmixture(Inf, params_2d), "n")
  expect_softmix_error(rmixture(NULL, params_2d), "n", "NULL")
  expect_softmix_error(rmixture(10, NULL), "parameters", "NULL")
  expect_softmix_error(simulate(fit_2d, nsim = 1.5), "nsim")
})

test_that("rmixture rejects a sample size beyond R's integer range", {
  # 3e9 draws cannot be indexed by R's integers: the count is out of range
  # and should be reported as such, naming the argument.
  expect_softmix_error(rmixture(3e9, params_2d), "n")
})

test_that("simulate rejects a number of simulations beyond R's integer range", {
  expect_softmix_error(simulate(fit_2d, nsim = 3e9), "nsim")
})

test_that("predict and posterior reject malformed new data", {
  expect_softmix_error(predict(fit_2d, matrix("a", 2, 2)), "newdata", "character")
  expect_softmix_error(predict(fit_2d, NULL), "newdata", "NULL")
  expect_softmix_error(predict(fit_2d, list(1, 2)), "newdata", "list")
  expect_softmix_error(predict(fit_2d, x[0, ]), "newdata", "0 x 2")
  expect_softmix_error(predict(fit_2d, rbind(c(1, Inf))), "newdata", "infinite")
  expect_softmix_error(predict(fit_2d, data.frame(a = "u", b = 1)), "newdata", "`a`")
  expect_softmix_error(posterior(fit_2d, factor(1:2)), "newdata", "factor")
})

test_that("predict rejects an unknown type naming the argument", {
  expect_softmix_error(predict(fit_2d, x, type = "probabilities"), "type")
})

test_that("mixture_params rejects malformed proportions, means and covariances", {
  expect_softmix_error(mixture_params(complex(real = 1), 0, 1), "proportions")
  expect_softmix_error(mixture_params(list(1), 0, 1), "proportions")
  expect_softmix_error(mixture_params(NULL, 0, 1), "proportions")
  expect_softmix_error(mixture_params(numeric(0), 0, 1), "proportions")
  expect_softmix_error(mixture_params(c(Inf, 1), 0, 1), "proportions")
  expect_softmix_error(mixture_params(factor(1), 0, 1), "proportions")
  expect_softmix_error(mixture_params(c(0.2, 0.2, 0.2), c(0, 1, 2), c(1, 1, 1)), "proportions",
                       "sum to 1")
  expect_softmix_error(mixture_params(c(0.5, 0.5), list(0, 1), c(1, 1)), "means")
  expect_softmix_error(mixture_params(c(0.5, 0.5), NULL, c(1, 1)), "means")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, Inf), c(1, 1)), "means", "finite")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, 1), c("a", "b")), "covariances")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, 1), NULL), "covariances")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, 1), c(1, Inf)), "covariances", "finite")
  expect_softmix_error(mixture_params(c(0.5, 0.5), c(0, 1), c(1, 0)), "covariances[, , 2]",
                       "positive definite")
  singular <- matrix(1, 2, 2)
  expect_softmix_error(mixture_params(c(0.5, 0.5), rbind(c(0, 0), c(1, 1)), singular),
                       "covariances[, , 1]", "positive definite")
  expect_softmix_error(mixture_params(c(0.5, 0.5), rbind(c(0, 0), c(1, 1)),
                                      array(1, c(2, 2, 2, 1))), "covariances", "2 x 2 x 2 x 1")
})

test_that("softmix rejects malformed data of every kind", {
  expect_softmix_error(softmix(array(1, c(3, 2, 2)), k = 1), "x", "3 dimensions")
  expect_softmix_error(softmix(matrix(1 + 0i, 3, 2), k = 1), "x", "complex")
  expect_softmix_error(softmix(data.frame(a = 1:3, b = factor(1:3)), k = 1), "x", "`b`")
  expect_softmix_error(softmix(data.frame(a = 1:3, b = c(1 + 0i, 2, 3)), k = 1), "x", "`b`")
  expect_softmix_error(softmix(data.frame(a = c(1, NA, 3)), k = 1, missing = "fail"), "x",
                       "row 2")
  expect_softmix_error(softmix(x[, 0], k = 1), "x", "272 x 0")
  expect_softmix_error(softmix(numeric(0), k = 1), "x", "0 x 1")
  expect_softmix_error(softmix(c(1, NaN, 3), k = 1, missing = "fail"), "x", "row 2")
  expect_softmix_error(softmix(c(1, Inf, 3), k = 1), "x", "infinite")
  expect_softmix_error(softmix(list(a = 1:3, b = 4:6), k = 1), "x", "list")
  expect_softmix_error(softmix("1", k = 1), "x", "character")
})

test_that("softmix rejects malformed k, model, init, n_init, control and n_threads", {
  n <- nrow(x)
  expect_softmix_error(softmix(x, k = Inf), "k")
  expect_softmix_error(softmix(x, k = -1), "k", "at least 1")
  expect_softmix_error(softmix(x, k = n + 1), "k", "exceed")
  expect_softmix_error(softmix(x, k = NULL), "k", "NULL")
  expect_softmix_error(softmix(x, k = list(2)), "k", "list")
  expect_softmix_error(softmix(x, k = 2 + 0i), "k")
  expect_softmix_error(softmix(x, k = numeric(0)), "k", "length 0")
  expect_softmix_error(softmix(x, k = 2, model = NULL), "model")
  expect_softmix_error(softmix(x, k = 2, model = character(0)), "model")
  expect_softmix_error(softmix(x, k = 1:2, model = c("VVV", "VVX")), "model", "VVX")
  expect_softmix_error(softmix(x, k = 2, init = NULL), "init", "NULL")
  expect_softmix_error(softmix(x, k = 2, init = TRUE), "init", "logical")
  expect_softmix_error(softmix(x, k = 2, init = "Random"), "init", "Random")
  expect_softmix_error(softmix(x, k = 2, init = matrix(0.5, n, 2) + 0i), "init", "complex")
  expect_softmix_error(softmix(x, k = 2, init = array(0.5, c(n, 2, 1))), "init")
  expect_softmix_error(softmix(x, k = 2, init = -rep(1:2, length.out = n)), "init", "whole")
  expect_softmix_error(softmix(x, k = 2, init = rep(c(1, 2, 4), length.out = n)), "init",
                       "3 unused")
  expect_softmix_error(softmix(x, k = 2, n_init = NA), "n_init")
  expect_softmix_error(softmix(x, k = 2, n_init = "3"), "n_init")
  expect_softmix_error(softmix(x, k = 2, n_init = Inf), "n_init")
  expect_softmix_error(softmix(x, k = 2, control = NULL), "control", "softmix_control")
  expect_softmix_error(softmix(x, k = 2, control = softmix_control), "control")
  expect_softmix_error(softmix(x, k = 2, n_threads = NA), "n_threads")
  expect_softmix_error(softmix(x, k = 2, n_threads = c(1, 2)), "n_threads", "length 2")
  expect_softmix_error(softmix(x, k = 2, n_threads = Inf), "n_threads")
})

test_that("softmix_control and softmix_threads reject every malformed setting", {
  expect_softmix_error(softmix_control(tol = NaN), "tol")
  expect_softmix_error(softmix_control(tol = NULL), "tol", "NULL")
  expect_softmix_error(softmix_control(tol = TRUE), "tol")
  expect_softmix_error(softmix_control(tol = -1e-300), "tol", "non-negative")
  expect_softmix_error(softmix_control(max_iter = NA), "max_iter")
  expect_softmix_error(softmix_control(max_iter = Inf), "max_iter")
  expect_softmix_error(softmix_control(max_iter = 1e10), "max_iter", "between")
  expect_softmix_error(softmix_control(reg = Inf), "reg")
  expect_softmix_error(softmix_control(reg = -Inf), "reg")
  expect_softmix_error(softmix_control(reg = "0"), "reg")
  expect_softmix_error(softmix_control(reg = c(0, 1)), "reg", "length 2")
  expect_softmix_error(softmix_threads(NA), "n")
  expect_softmix_error(softmix_threads(-1), "n", "at least 1")
  expect_softmix_error(softmix_threads(2.5), "n")
  expect_softmix_error(softmix_threads(c(1, 2)), "n")
})
