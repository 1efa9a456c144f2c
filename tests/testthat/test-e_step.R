# Reference: the brute-force E step of helper-reference.R, built on
# mvtnorm::dmvnorm(log = TRUE) and a row-wise log-sum-exp.

e_step_cases <- expand.grid(d = c(1, 2, 5), k = c(1, 3))

# softmix's and the reference E step for case i of e_step_cases, on points
# that include far tails.
compare_e_step_case <- function(i) {
  d <- e_step_cases$d[i]
  k <- e_step_cases$k[i]
  params <- random_params(k, d, seed = 10 * d + k)
  x <- points_with_tails(params)
  list(out = e_step(x, params, n_threads = 1), ref = ref_e_step(x, params))
}

test_that("responsibilities match the mvtnorm reference for d = 1, 2, 5 and K = 1, 3", {
  skip_if_not_installed("mvtnorm")
  for (i in seq_len(nrow(e_step_cases))) {
    case <- compare_e_step_case(i)
    out <- case$out
    ref <- case$ref
    # Tolerance 1e-10 absolute on probabilities, including the tail points.
    expect_max_diff(out$posterior, ref$posterior, 1e-10)
  }
})

test_that("responsibilities of tail points are finite and correct in log space", {
  skip_if_not_installed("mvtnorm")
  for (i in seq_len(nrow(e_step_cases))) {
    case <- compare_e_step_case(i)
    out <- case$out
    ref <- case$ref
    expect_true(all(is.finite(out$posterior)))
    # Log responsibilities that do not underflow in double precision agree
    # with the reference to 1e-10 times the largest of them (at least 1).
    keep <- ref$log_posterior > log(.Machine$double.xmin) + 10
    scale <- max(1, abs(ref$log_posterior[keep]))
    expect_max_diff(log(out$posterior[keep]), ref$log_posterior[keep], 1e-10 * scale)
  }
})

test_that("responsibilities sum to one in every row", {
  for (i in seq_len(nrow(e_step_cases))) {
    params <- random_params(e_step_cases$k[i], e_step_cases$d[i], seed = 100 + i)
    x <- points_with_tails(params, seed = i)
    posterior <- e_step(x, params, n_threads = 1)$posterior
    # Tolerance 1e-12 on each row sum.
    expect_max_diff(rowSums(posterior), rep(1, nrow(x)), 1e-12)
  }
})

test_that("the log-likelihood is the sum of log mixture densities", {
  skip_if_not_installed("mvtnorm")
  for (i in seq_len(nrow(e_step_cases))) {
    d <- e_step_cases$d[i]
    k <- e_step_cases$k[i]
    params <- random_params(k, d, seed = 10 * d + k)
    # Moderate points, where the plain sum of pi_k dmvnorm does not underflow.
    x <- with_seed(i, matrix(rnorm(40 * d, sd = 3), 40, d))
    direct <- sum(log(rowSums(vapply(seq_len(k), function(j) {
      params$proportions[j] *
        mvtnorm::dmvnorm(x, params$means[j, ], ref_sigma(params, j))
    }, numeric(nrow(x))))))
    # Tolerance 1e-10 relative.
    expect_max_diff(e_step(x, params, n_threads = 1)$loglik, direct, 1e-10, relative = TRUE)
  }
})

test_that("the log-likelihood of tail points matches the log-sum-exp reference", {
  skip_if_not_installed("mvtnorm")
  params <- random_params(3, 5, seed = 53)
  x <- points_with_tails(params)
  out <- e_step(x, params, n_threads = 1)
  # Tolerance 1e-10 relative; the naive sum would underflow to -Inf here.
  expect_true(is.finite(out$loglik))
  expect_max_diff(out$loglik, ref_e_step(x, params)$loglik, 1e-10, relative = TRUE)
})

test_that("one component gives responsibilities of exactly one", {
  params <- random_params(1, 2, seed = 7)
  x <- points_with_tails(params)
  expect_identical(unname(e_step(x, params, n_threads = 1)$posterior),
                   matrix(1, nrow(x), 1))
})

test_that("a vector and a data frame are accepted like the matrix they hold", {
  params <- random_params(3, 1, seed = 31)
  x <- points_with_tails(params)
  from_matrix <- e_step(x, params, n_threads = 1)
  expect_identical(e_step(as.vector(x), params, n_threads = 1), from_matrix)
  params2 <- random_params(3, 2, seed = 32)
  x2 <- points_with_tails(params2)
  expect_identical(
    unname(e_step(as.data.frame(x2), params2, n_threads = 1)$posterior),
    unname(e_step(x2, params2, n_threads = 1)$posterior)
  )
})

test_that("diagonal covariances give the same responsibilities as the reference", {
  skip_if_not_installed("mvtnorm")
  # Diagonal covariances take the core's O(d) kernel; check it separately.
  params <- mixture_params(
    c(0.2, 0.5, 0.3),
    means = rbind(c(0, 0, 0), c(3, -1, 2), c(-2, 4, 1)),
    covariances = array(c(diag(c(1, 2, 0.5)), diag(c(0.3, 0.3, 0.3)), diag(c(4, 1, 2))),
                        c(3, 3, 3))
  )
  x <- points_with_tails(params, seed = 9)
  out <- e_step(x, params, n_threads = 1)
  ref <- ref_e_step(x, params)
  # Tolerance 1e-10 absolute on probabilities, 1e-10 relative on the loglik.
  expect_max_diff(out$posterior, ref$posterior, 1e-10)
  expect_max_diff(out$loglik, ref$loglik, 1e-10, relative = TRUE)
})

test_that("columns are taken by name when the parameters name the variables", {
  set.seed(1)
  fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  # Reference: the columns in the fitted order, and mvtnorm's densities.
  expected <- ref_e_step(as.matrix(iris[, 1:4]), fit$parameters)
  reversed <- iris[, 4:1]
  out <- e_step(reversed, fit$parameters, n_threads = 1)
  expect_equal(out$loglik, expected$loglik, tolerance = 1e-10)
  expect_equal(out$posterior, expected$posterior, tolerance = 1e-10, ignore_attr = TRUE)
  expect_equal(sum(dmixture(as.matrix(reversed), fit$parameters, log = TRUE, n_threads = 1)),
               expected$loglik, tolerance = 1e-10)
  # Extra columns are ignored; other names entirely are taken by position.
  expect_equal(e_step(iris, fit$parameters, n_threads = 1)$loglik, expected$loglik,
               tolerance = 1e-10)
  renamed <- stats::setNames(iris[, 1:4], c("a", "b", "c", "d"))
  expect_equal(e_step(renamed, fit$parameters, n_threads = 1)$loglik, expected$loglik,
               tolerance = 1e-10)
  partly <- stats::setNames(iris[, 1:4], c("Sepal.Length", "b", "c", "d"))
  expect_error(e_step(partly, fit$parameters, n_threads = 1),
               "`x` has some of the variables.*`Sepal.Width`", class = "softmix_error")
  expect_error(dmixture(partly, fit$parameters, n_threads = 1), "`x` has some",
               class = "softmix_error")
})
