# References: pmixture() (itself checked against the explicit sum of pnorm
# in test-pmixture.R), uniroot() on the explicit sum of pnorm, and
# stats::qnorm() for one component.

params_q <- mixture_params(c(0.2, 0.5, 0.3), means = c(-3, 0, 5), covariances = c(0.5, 2, 1))

test_that("qmixture inverts pmixture over a grid reaching far into the tails", {
  # log.p = TRUE: probabilities down to about exp(-2e4), far below 1e-300.
  x <- c(-300, -100, -40, seq(-20, 25, by = 0.25), 40, 100, 300)
  for (lower_tail in c(TRUE, FALSE)) {
    log_p <- pmixture(x, params_q, lower.tail = lower_tail, log.p = TRUE)
    # Only points whose log-probability is not rounded to 0 determine x.
    tail <- log_p < -1e-300
    back <- qmixture(log_p[tail], params_q, lower.tail = lower_tail, log.p = TRUE)
    # Each quantile within 1e-10 of x, relative to |x| (to 1 near zero).
    expect_max_diff((back - x[tail]) / pmax(abs(x[tail]), 1), rep(0, sum(tail)), 1e-10)
  }
  expect_lt(pmixture(-100, params_q, log.p = TRUE), log(1e-300))
})

test_that("qmixture inverts pmixture for plain probabilities in the tail that is small", {
  # A probability near one keeps only about 1e-16 / f(x) of x, so each x is
  # taken from the tail in which its probability is below one half.
  x <- seq(-50, 50, by = 0.25)
  for (lower_tail in c(TRUE, FALSE)) {
    p <- pmixture(x, params_q, lower.tail = lower_tail)
    small <- p < 0.5 & p > 0
    back <- qmixture(p[small], params_q, lower.tail = lower_tail)
    expect_max_diff((back - x[small]) / pmax(abs(x[small]), 1), rep(0, sum(small)), 1e-10)
  }
  expect_lt(pmixture(-50, params_q), 1e-270)
})

test_that("qmixture matches uniroot() on the explicit sum of pnorm", {
  cdf <- function(x) {
    0.2 * pnorm(x, -3, sqrt(0.5)) + 0.5 * pnorm(x, 0, sqrt(2)) + 0.3 * pnorm(x, 5, 1)
  }
  p <- c(1e-6, 0.01, 0.2, 0.45, 0.5, 0.7, 0.95, 0.999)
  ref <- vapply(p, function(target) {
    uniroot(function(x) cdf(x) - target, c(-20, 20), tol = 1e-14)$root
  }, numeric(1))
  # Tolerance 1e-10 relative to the largest quantile.
  expect_max_diff(qmixture(p, params_q), ref, 1e-10, relative = TRUE)
})

test_that("pmixture of qmixture gives back the probability", {
  log_p <- -c(1e4, 700, 50, 5, 1, 0.5, 0.1, 1e-5, 1e-20)
  for (lower_tail in c(TRUE, FALSE)) {
    back <- pmixture(qmixture(log_p, params_q, lower.tail = lower_tail, log.p = TRUE),
                     params_q, lower.tail = lower_tail, log.p = TRUE)
    # Within 1e-12 of each log-probability, relative to its own size.
    expect_max_diff(back / abs(log_p), log_p / abs(log_p), 1e-12)
  }
  p <- c(1e-300, 1e-100, 1e-10, 0.001, 0.3, 0.5)
  for (lower_tail in c(TRUE, FALSE)) {
    back <- pmixture(qmixture(p, params_q, lower.tail = lower_tail), params_q,
                     lower.tail = lower_tail)
    # Relative error of p about |x| f(x) / F(x) times that of x: 1e-12.
    expect_max_diff(back / p, rep(1, length(p)), 1e-12)
  }
})

test_that("the lower.tail and log.p combinations agree", {
  # Binary fractions, so that 1 - p is exact.
  p <- c(2^-30, 2^-10, 0.0625, 0.25, 0.5, 0.75, 0.9375)
  q <- qmixture(p, params_q)
  expect_max_diff(qmixture(1 - p, params_q, lower.tail = FALSE), q, 1e-12, relative = TRUE)
  expect_max_diff(qmixture(log(p), params_q, log.p = TRUE), q, 1e-12, relative = TRUE)
  expect_max_diff(qmixture(log1p(-p), params_q, lower.tail = FALSE, log.p = TRUE), q, 1e-12,
                  relative = TRUE)
})

test_that("a single-component mixture gives qnorm exactly", {
  one <- mixture_params(1, means = 2, covariances = 3)
  p <- c(1e-300, 1e-20, 0.01, 0.3, 0.5, 0.9, 1 - 1e-12)
  for (lower_tail in c(TRUE, FALSE)) {
    expect_identical(qmixture(p, one, lower.tail = lower_tail),
                     qnorm(p, 2, sqrt(3), lower.tail = lower_tail))
    expect_identical(qmixture(log(p), one, lower.tail = lower_tail, log.p = TRUE),
                     qnorm(log(p), 2, sqrt(3), lower.tail = lower_tail, log.p = TRUE))
  }
})

test_that("the quantile lies between the components' quantiles and increases with p", {
  p <- c(1e-12, seq(0.01, 0.99, by = 0.01), 1 - 1e-12)
  q <- qmixture(p, params_q)
  sd <- sqrt(params_q$covariances[1, 1, ])
  components <- sapply(1:3, function(j) qnorm(p, params_q$means[j, 1], sd[j]))
  expect_true(all(q >= apply(components, 1, min) & q <= apply(components, 1, max)))
  expect_true(all(diff(q) > 0))
})

test_that("separated, narrow components are inverted to the precision p allows", {
  hard <- mixture_params(c(0.01, 0.98, 0.01), means = c(-1e3, 0, 1e3),
                         covariances = c(1e-12, 1e4, 1e-12))
  x <- c(-2000, -1000 - 1e-7, -1000, -1000 + 1e-7, -1, 0.5, 700, 1000 + 1e-7, 3000)
  for (lower_tail in c(TRUE, FALSE)) {
    log_p <- pmixture(x, hard, lower.tail = lower_tail, log.p = TRUE)
    back <- qmixture(log_p, hard, lower.tail = lower_tail, log.p = TRUE)
    # A relative error of 1e-16 in log F moves x by 1e-16 |log F| / (f / F):
    # tolerance that bound, times ten.
    bound <- 10 * .Machine$double.eps * abs(log_p) * exp(
      pmixture(x, hard, lower.tail = lower_tail, log.p = TRUE) -
        dmixture(x, hard, log = TRUE, n_threads = 1))
    expect_true(all(abs(back - x) <= pmax(bound, 1e-15 * abs(x))))
  }
})

# uniroot() on the explicit sum of pi_k pnorm(x, mu_k, sigma_k) in one tail.
ref_qmixture <- function(p, parameters, lower.tail = TRUE, interval = c(-50, 150)) {
  sd <- sqrt(parameters$covariances[1, 1, ])
  tail <- function(x) {
    sum(parameters$proportions *
          pnorm(x, parameters$means[, 1], sd, lower.tail = lower.tail))
  }
  vapply(p, function(target) {
    uniroot(function(x) tail(x) - target, interval, tol = 1e-14)$root
  }, numeric(1))
}

# With equal proportions and standard deviations the starting guess, the
# mean of the components' quantiles, is the midpoint of the bracket; the
# first bisection did not move it, and qmixture() returned it unchanged.
symmetric_q <- mixture_params(c(0.5, 0.5), means = c(0, 3), covariances = c(1, 1))
three_q <- mixture_params(rep(1 / 3, 3), means = c(0, 5, 10), covariances = c(1, 1, 1))

test_that("equal-weight mixtures are inverted, not left at the starting guess", {
  p <- c(1e-12, 1e-6, 0.01, 0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95, 0.99)
  for (params in list(symmetric_q, three_q)) {
    q <- qmixture(p, params)
    # F(q) within 1e-10 of p, and q within 1e-10 of uniroot's root,
    # relative to the largest quantile.
    expect_max_diff(pmixture(q, params), p, 1e-10)
    expect_max_diff(q, ref_qmixture(p, params), 1e-10, relative = TRUE)
  }
  # The symmetric mixture's quantiles are symmetric about 1.5.
  expect_max_diff(qmixture(p, symmetric_q) + qmixture(p, symmetric_q, lower.tail = FALSE),
                  rep(3, length(p)), 1e-10)
})

test_that("equal-weight mixtures are inverted with log.p and in the upper tail", {
  p <- c(1e-12, 0.01, 0.05, 0.15, 0.5, 0.9)
  for (params in list(symmetric_q, three_q)) {
    for (lower_tail in c(TRUE, FALSE)) {
      ref <- ref_qmixture(p, params, lower.tail = lower_tail)
      q <- qmixture(p, params, lower.tail = lower_tail)
      log_q <- qmixture(log(p), params, lower.tail = lower_tail, log.p = TRUE)
      # Tolerance 1e-10 relative to the largest quantile, and 1e-10 for F.
      expect_max_diff(q, ref, 1e-10, relative = TRUE)
      expect_max_diff(log_q, ref, 1e-10, relative = TRUE)
      expect_max_diff(pmixture(q, params, lower.tail = lower_tail), p, 1e-10)
    }
  }
})

test_that("far-apart components give finite quantiles, also between them", {
  # Midway between means 0 and 100 the density underflows to zero, and the
  # Newton step was 0 / 0.
  far <- mixture_params(c(0.5, 0.5), means = c(0, 100), covariances = c(1, 1))
  for (lower_tail in c(TRUE, FALSE)) {
    half <- qmixture(0.5, far, lower.tail = lower_tail)
    # F is 0.5 to double precision anywhere well between the components.
    expect_true(is.finite(half) && half > 10 && half < 90)
    expect_identical(pmixture(half, far, lower.tail = lower_tail), 0.5)
    half_log <- qmixture(log(0.5), far, lower.tail = lower_tail, log.p = TRUE)
    expect_true(is.finite(half_log) && half_log > 10 && half_log < 90)
    p <- c(1e-12, 1e-6, 0.01, 0.25, 0.49, 0.51, 0.75)
    q <- qmixture(p, far, lower.tail = lower_tail)
    # Tolerance 1e-10 relative to the largest quantile, and 1e-10 for F.
    expect_max_diff(q, ref_qmixture(p, far, lower.tail = lower_tail), 1e-10, relative = TRUE)
    expect_max_diff(pmixture(q, far, lower.tail = lower_tail), p, 1e-10)
    grid <- seq(0.01, 0.99, by = 0.01)
    q <- qmixture(grid, far, lower.tail = lower_tail)
    expect_true(all(is.finite(q)))
    expect_max_diff(pmixture(q, far, lower.tail = lower_tail), grid, 1e-10)
  }
})

test_that("the iteration ends with tol = 0, at a bracket of adjacent doubles", {
  p <- c(0.05, 0.5, 0.95)
  for (params in list(symmetric_q, three_q, params_q)) {
    exact <- qmixture(p, params, tol = 0)
    expect_max_diff(exact, qmixture(p, params), 1e-14, relative = TRUE)
  }
})

test_that("p of 0 and 1, NA and values outside [0, 1] follow qnorm", {
  p <- c(a = 0, b = 1, c = NA, d = NaN, e = 0.5)
  q <- qmixture(p, params_q)
  expect_named(q, names(p))
  expect_identical(unname(q[1:2]), c(-Inf, Inf))
  expect_true(is.na(q[["c"]]) && !is.nan(q[["c"]]) && is.nan(q[["d"]]))
  expect_identical(unname(qmixture(c(0, 1), params_q, lower.tail = FALSE)), c(Inf, -Inf))
  expect_identical(qmixture(c(-Inf, 0), params_q, log.p = TRUE), c(-Inf, Inf))
  expect_identical(qmixture(c(-Inf, 0), params_q, lower.tail = FALSE, log.p = TRUE),
                   c(Inf, -Inf))
  expect_warning(out <- qmixture(c(-0.1, 0.5, 1.1), params_q), "NaNs produced",
                 class = "softmix_warning")
  expect_identical(out[c(1, 3)], c(NaN, NaN))
  expect_identical(out[2], qmixture(0.5, params_q))
  expect_warning(out <- qmixture(0.1, params_q, log.p = TRUE), "NaNs produced")
  expect_identical(out, NaN)
  expect_identical(qmixture(numeric(0), params_q), numeric(0))
  expect_identical(qmixture(NA, params_q), NA_real_)
})

test_that("qmixture accepts a softmix fit of one variable", {
  fit <- with_seed(1, softmix(sim_1d, k = 2, n_threads = 1))
  p <- c(0.01, 0.5, 0.99)
  expect_identical(qmixture(p, fit), qmixture(p, fit$parameters))
})

test_that("a looser tol still gives a quantile within it", {
  p <- c(0.01, 0.3, 0.5, 0.8)
  exact <- qmixture(p, params_q)
  expect_max_diff(qmixture(p, params_q, tol = 1e-6), exact, 1e-5, relative = TRUE)
})

test_that("qmixture rejects bad input, naming the argument", {
  params_2d <- random_params(2, 2, seed = 1)
  expect_error(qmixture(0.5, params_2d), "`parameters` must be one-dimensional",
               class = "softmix_error")
  expect_error(qmixture(0.5, "params"), "`parameters`", class = "softmix_error")
  expect_error(qmixture("0.5", params_q), "`p`", class = "softmix_error")
  expect_error(qmixture(factor(0.5), params_q), "`p`", class = "softmix_error")
  expect_error(qmixture(matrix(0.5, 2, 2), params_q), "`p`", class = "softmix_error")
  expect_error(qmixture(0.5, params_q, lower.tail = "no"), "`lower.tail`",
               class = "softmix_error")
  expect_error(qmixture(0.5, params_q, log.p = NA), "`log.p`", class = "softmix_error")
  expect_error(qmixture(0.5, params_q, tol = -1), "`tol`", class = "softmix_error")
  expect_error(qmixture(0.5, params_q, tol = c(1, 2)), "`tol`", class = "softmix_error")
})
