# References: in one dimension the explicit weighted sum of stats::pnorm()
# and integrate() of dmixture(); in d dimensions the explicit weighted sum of
# mvtnorm::pmvnorm() per component, Monte Carlo estimates from rmixture()
# and, for rectangles unbounded in all but one coordinate, the
# one-dimensional marginal mixture.

params_1d <- mixture_params(c(0.2, 0.5, 0.3), means = c(-3, 0, 5), covariances = c(0.5, 2, 1))
grid_1d <- c(-40, -20, seq(-8, 12, by = 0.5), 20, 40)

# The explicit sum of pi_k pnorm(x, mu_k, sigma_k) in one tail.
ref_pmixture_1d <- function(x, parameters, lower.tail = TRUE) {
  sd <- sqrt(parameters$covariances[1, 1, ])
  total <- 0
  for (j in seq_along(parameters$proportions)) {
    total <- total + parameters$proportions[j] *
      pnorm(x, parameters$means[j, 1], sd[j], lower.tail = lower.tail)
  }
  total
}

params_2d <- mixture_params(
  c(0.4, 0.6),
  means = rbind(c(0, 1), c(3, -1)),
  covariances = array(c(1, 0.6, 0.6, 2, 0.5, -0.2, -0.2, 0.8), c(2, 2, 2))
)

# The explicit sum of pi_k pmvnorm(lower, upper, mu_k, Sigma_k).
ref_rectangle <- function(lower, upper, parameters, ...) {
  total <- 0
  for (j in seq_along(parameters$proportions)) {
    total <- total + parameters$proportions[j] *
      as.numeric(mvtnorm::pmvnorm(lower, upper, mean = parameters$means[j, ],
                                  sigma = ref_sigma(parameters, j), ...))
  }
  total
}

test_that("pmixture in one dimension is the weighted sum of pnorm, in both tails", {
  for (lower_tail in c(TRUE, FALSE)) {
    p <- pmixture(grid_1d, params_1d, lower.tail = lower_tail)
    ref <- ref_pmixture_1d(grid_1d, params_1d, lower.tail = lower_tail)
    expect_true(all(ref > 0))
    # Each probability within 1e-14 of the sum, relative to its own size.
    expect_max_diff(p / ref, rep(1, length(ref)), 1e-14)
  }
})

test_that("pmixture matches integrate() of dmixture", {
  for (q in c(-6, -3, -1, 0, 2.5, 5, 8)) {
    integral <- integrate(function(x) dmixture(x, params_1d, n_threads = 1), -Inf, q,
                          rel.tol = 1e-12)$value
    # Tolerance 1e-8 for the quadrature.
    expect_max_diff(pmixture(q, params_1d), integral, 1e-8)
  }
  upper <- integrate(function(x) dmixture(x, params_1d, n_threads = 1), 4, Inf,
                     rel.tol = 1e-12)$value
  expect_max_diff(pmixture(4, params_1d, lower.tail = FALSE), upper, 1e-8)
})

test_that("pmixture with log.p = TRUE matches the log of the sum and stays accurate in the tails", {
  for (lower_tail in c(TRUE, FALSE)) {
    log_p <- pmixture(grid_1d, params_1d, lower.tail = lower_tail, log.p = TRUE)
    ref <- log(ref_pmixture_1d(grid_1d, params_1d, lower.tail = lower_tail))
    # Each log-probability within 1e-13 of the reference, relative to its own
    # size (near probability one the log is tiny and the relative error of
    # log(sum) grows, so those points are checked below).
    far <- abs(ref) > 1e-3
    expect_max_diff(log_p[far] / abs(ref[far]), ref[far] / abs(ref[far]), 1e-13)
  }
  # Where the probability underflows, the log is the log-sum-exp of the
  # components' log-probabilities (the reference log-sum-exp of
  # helper-reference.R).
  x <- c(-1e3, -200, -60)
  terms <- sapply(1:3, function(j) {
    log(params_1d$proportions[j]) +
      pnorm(x, params_1d$means[j, 1], sqrt(params_1d$covariances[1, 1, j]), log.p = TRUE)
  })
  expect_identical(pmixture(x, params_1d), c(0, 0, 0))
  log_p <- pmixture(x, params_1d, log.p = TRUE)
  ref <- ref_log_sum_exp(terms)
  expect_max_diff(log_p / abs(ref), ref / abs(ref), 1e-13)
  # The same in the upper tail.
  upper_terms <- sapply(1:3, function(j) {
    log(params_1d$proportions[j]) +
      pnorm(-x, params_1d$means[j, 1], sqrt(params_1d$covariances[1, 1, j]),
            lower.tail = FALSE, log.p = TRUE)
  })
  expect_identical(pmixture(-x, params_1d, lower.tail = FALSE), c(0, 0, 0))
  upper_log_p <- pmixture(-x, params_1d, lower.tail = FALSE, log.p = TRUE)
  upper_ref <- ref_log_sum_exp(upper_terms)
  expect_max_diff(upper_log_p / abs(upper_ref), upper_ref / abs(upper_ref), 1e-13)
})

test_that("log-probabilities near one keep the size of the other tail", {
  # log(1 - s) = -s (1 + s / 2 + ...), so for s < 1e-12 the log-probability
  # is -s to 1e-12 relative; log(sum of pnorm) would round it to zero.
  x <- c(15, 20, 30)
  s <- ref_pmixture_1d(x, params_1d, lower.tail = FALSE)
  expect_true(all(s < 1e-12 & s > 0))
  expect_identical(log(ref_pmixture_1d(x, params_1d)), c(0, 0, 0))
  expect_max_diff(pmixture(x, params_1d, log.p = TRUE) / s, rep(-1, 3), 1e-12)
  t <- ref_pmixture_1d(-x, params_1d)
  expect_max_diff(pmixture(-x, params_1d, lower.tail = FALSE, log.p = TRUE) / t, rep(-1, 3),
                  1e-12)
})

test_that("the upper tail is computed directly, not as one minus the lower tail", {
  p <- pmixture(c(20, 40), params_1d, lower.tail = FALSE)
  expect_identical(1 - pmixture(c(20, 40), params_1d), c(0, 0))
  expect_true(all(p > 0))
  expect_max_diff(p / ref_pmixture_1d(c(20, 40), params_1d, FALSE), c(1, 1), 1e-14)
})

test_that("a single-component mixture gives pnorm exactly", {
  one <- mixture_params(1, means = 2, covariances = 3)
  x <- c(-50, -5, 0, 2, 3.5, 10, 60)
  for (lower_tail in c(TRUE, FALSE)) {
    for (log_p in c(FALSE, TRUE)) {
      expect_identical(pmixture(x, one, lower.tail = lower_tail, log.p = log_p),
                       pnorm(x, 2, sqrt(3), lower.tail = lower_tail, log.p = log_p))
    }
  }
})

test_that("pmixture is vectorised, keeps names and passes NA, NaN and infinities", {
  x <- c(a = -Inf, b = NA, c = 0, d = Inf, e = NaN)
  p <- pmixture(x, params_1d)
  expect_named(p, names(x))
  expect_identical(unname(p[c("a", "d")]), c(0, 1))
  expect_true(is.na(p[["b"]]) && is.nan(p[["e"]]))
  expect_identical(pmixture(x, params_1d, log.p = TRUE)[c("a", "d")], c(a = -Inf, d = 0))
  expect_identical(pmixture(numeric(0), params_1d), numeric(0))
  expect_identical(pmixture(NA, params_1d), NA_real_)
  expect_identical(pmixture(1:3, params_1d), pmixture(c(1, 2, 3), params_1d))
  column <- matrix(c(-1, 0, 1), ncol = 1, dimnames = list(c("u", "v", "w"), "x"))
  expect_identical(pmixture(column, params_1d), pmixture(c(u = -1, v = 0, w = 1), params_1d))
  expect_true(all(diff(pmixture(grid_1d, params_1d)) >= 0))
})

test_that("pmixture accepts a softmix fit and uses its parameters", {
  fit <- with_seed(1, softmix(sim_1d, k = 2, n_threads = 1))
  expect_identical(pmixture(grid_1d, fit), pmixture(grid_1d, fit$parameters))
  expect_identical(pmixture(grid_1d, fit, lower.tail = FALSE, log.p = TRUE),
                   pmixture(grid_1d, fit$parameters, lower.tail = FALSE, log.p = TRUE))
})

test_that("intervals in one dimension are differences of the distribution function", {
  lower <- c(-5, -1, 0, 3, 9, 9)
  upper <- c(-2, 1, 0, 6, 10, Inf)
  p <- pmixture(upper, params_1d, lower = lower)
  # Tolerance 1e-14 absolute.
  expect_max_diff(p, pmixture(upper, params_1d) - pmixture(lower, params_1d), 1e-14)
  expect_identical(p[3], 0)
  expect_identical(pmixture(upper, params_1d, lower = -Inf), pmixture(upper, params_1d))
  # Far to the right, where F(upper) - F(lower) is all rounding error, the
  # difference of the upper tails keeps the precision.
  far <- pmixture(31, params_1d, lower = 30)
  ref <- ref_pmixture_1d(30, params_1d, FALSE) - ref_pmixture_1d(31, params_1d, FALSE)
  expect_identical(pmixture(31, params_1d) - pmixture(30, params_1d), 0)
  expect_max_diff(far / ref, 1, 1e-13)
  expect_max_diff(pmixture(31, params_1d, lower = 30, log.p = TRUE), log(ref), 1e-13,
                  relative = TRUE)
  # A single lower end is recycled.
  expect_identical(pmixture(c(1, 2), params_1d, lower = 0),
                   pmixture(c(1, 2), params_1d, lower = c(0, 0)))
})

test_that("log-probabilities of intervals stay finite where the probability underflows", {
  # The interval's probability used to be computed and then logged, so it
  # underflowed to log(0) = -Inf far in a tail and lost the probability
  # outside the interval near one.
  # Far tails: integrate() of the density scaled by its value at the end
  # nearer the mean, logged after integrating; tolerance 1e-8 absolute.
  ref_log_interval <- function(lower, upper, parameters) {
    shift <- dmixture(upper, parameters, log = TRUE, n_threads = 1)
    scaled <- function(x) exp(dmixture(x, parameters, log = TRUE, n_threads = 1) - shift)
    log(integrate(scaled, lower, upper, rel.tol = 1e-12)$value) + shift
  }
  p <- pmixture(-100, params_1d, lower = -101, log.p = TRUE)
  expect_true(is.finite(p))
  expect_max_diff(p, ref_log_interval(-101, -100, params_1d), 1e-8)
  right <- pmixture(81, params_1d, lower = 80, log.p = TRUE)
  # The mirror image of the interval under the mirrored mixture.
  expect_max_diff(right, ref_log_interval(-81, -80, mixture_params(
    params_1d$proportions, -params_1d$means, params_1d$covariances
  )), 1e-8)
  # Near one: the log of one minus the explicit sum of the tails outside the
  # interval, about -4e-13; tolerance 1e-12 relative.
  outside <- ref_pmixture_1d(-12, params_1d) + ref_pmixture_1d(12, params_1d, FALSE)
  expect_max_diff(pmixture(12, params_1d, lower = -12, log.p = TRUE), log1p(-outside), 1e-12,
                  relative = TRUE)
  # Elsewhere the log of the probability, with an empty interval giving -Inf.
  lower <- c(-5, -1, 0, 3, 9, 9)
  upper <- c(-2, 1, 0, 6, 10, Inf)
  expect_max_diff(pmixture(upper, params_1d, lower = lower, log.p = TRUE)[-3],
                  log(pmixture(upper, params_1d, lower = lower))[-3], 1e-14)
  expect_identical(pmixture(0, params_1d, lower = 0, log.p = TRUE), -Inf)
})

test_that("a missing end of an interval gives NA in one dimension", {
  # lower = NA used to count as -Inf, giving P(X <= q).
  ends <- c(a = NA, b = NaN, c = 0, d = -Inf)
  q <- c(a = 1, b = 1, c = 1, d = 1)
  for (log_p in c(FALSE, TRUE)) {
    p <- pmixture(q, params_1d, lower = ends, log.p = log_p)
    expect_named(p, names(q))
    expect_true(is.na(p[["a"]]) && !is.nan(p[["a"]]) && is.nan(p[["b"]]))
    expect_identical(unname(p[c("c", "d")]),
                     pmixture(c(1, 1), params_1d, lower = c(0, -Inf), log.p = log_p))
  }
  expect_identical(pmixture(1, params_1d, lower = NA), NA_real_)
  expect_identical(pmixture(1, params_1d, lower = NA, lower.tail = FALSE), NA_real_)
  expect_identical(pmixture(c(1, 2), params_1d, lower = NA_real_), c(NA_real_, NA_real_))
  # A missing upper end, with a finite lower end, is missing too.
  p <- pmixture(c(NA, NaN), params_1d, lower = 0)
  expect_true(all(is.na(p)))
  skip_if_not_installed("mvtnorm")
  # As a missing corner is in two dimensions.
  expect_identical(as.numeric(pmixture(c(1, 2), params_2d, lower = c(NA, 0))), NA_real_)
})

test_that("rectangles in two dimensions are the weighted sum of pmvnorm", {
  skip_if_not_installed("mvtnorm")
  upper <- rbind(c(1, 2), c(4, 0), c(Inf, 1.5), c(0.5, Inf), c(Inf, Inf))
  lower <- rbind(c(-1, -1), c(2, -3), c(-Inf, -Inf), c(-2, 0), c(-Inf, -Inf))
  p <- pmixture(upper, params_2d, lower = lower)
  ref <- vapply(1:5, function(i) ref_rectangle(lower[i, ], upper[i, ], params_2d), numeric(1))
  # pmvnorm computes bivariate probabilities deterministically, to ~1e-15;
  # tolerance 1e-6.
  expect_max_diff(p, ref, 1e-6)
  expect_identical(p[[5]], 1)
  expect_true(all(attr(p, "error") < 1e-6))
  # One rectangle as vectors, the default lower corner, and log.p.
  expect_max_diff(pmixture(c(1, 2), params_2d), ref_rectangle(c(-Inf, -Inf), c(1, 2), params_2d),
                  1e-6)
  expect_max_diff(pmixture(c(1, 2), params_2d, lower = c(-1, -1), log.p = TRUE), log(ref[1]),
                  1e-6)
})

test_that("a rectangle probability matches a Monte Carlo estimate from rmixture", {
  skip_if_not_installed("mvtnorm")
  n <- 1e5
  x <- with_seed(11, rmixture(n, params_2d))
  lower <- rbind(c(-1, -1), c(2, -3), c(-0.5, -Inf))
  upper <- rbind(c(1, 2), c(4, 0), c(3.5, 0.5))
  p <- pmixture(upper, params_2d, lower = lower)
  for (i in 1:3) {
    inside <- mean(x[, 1] > lower[i, 1] & x[, 1] <= upper[i, 1] &
                     x[, 2] > lower[i, 2] & x[, 2] <= upper[i, 2])
    # Four binomial standard errors.
    expect_max_diff(inside, p[[i]], 4 * sqrt(p[[i]] * (1 - p[[i]]) / n))
  }
})

test_that("a rectangle open in all coordinates but one gives the marginal mixture", {
  skip_if_not_installed("mvtnorm")
  marginal <- mixture_params(params_2d$proportions, means = params_2d$means[, 2],
                             covariances = params_2d$covariances[2, 2, ])
  q <- c(-3, -1, 0, 1.7, 4)
  p <- pmixture(cbind(Inf, q), params_2d, lower = c(-Inf, -Inf))
  expect_max_diff(p, pmixture(q, marginal), 1e-10)
})

test_that("rectangles in more dimensions pass `...` on to pmvnorm", {
  skip_if_not_installed("mvtnorm")
  params <- random_params(2, 3, seed = 41)
  upper <- rbind(c(1, 2, 3), c(0, 0, 0))
  lower <- c(-2, -1, -3)
  # Quasi-Monte Carlo in three dimensions: the same seed, the same value.
  first <- with_seed(5, pmixture(upper, params, lower = lower))
  expect_identical(with_seed(5, pmixture(upper, params, lower = lower)), first)
  # Miwa's deterministic algorithm through `...`, against the reference
  # sum with the same algorithm (1e-12) and GenzBretz at its default
  # abseps 1e-3 (tolerance 3e-3, three times the bound).
  miwa <- pmixture(upper, params, lower = lower, algorithm = mvtnorm::Miwa())
  ref <- vapply(1:2, function(i) {
    ref_rectangle(lower, upper[i, ], params, algorithm = mvtnorm::Miwa())
  }, numeric(1))
  expect_max_diff(miwa, ref, 1e-12)
  expect_max_diff(first, miwa, 3e-3)
  precise <- with_seed(5, pmixture(upper, params, lower = lower, abseps = 1e-6,
                                   maxpts = 1e6))
  expect_max_diff(precise, miwa, 1e-5)
  # An unreachable abseps: pmvnorm says so, and pmixture passes it on.
  expect_warning(
    coarse <- with_seed(5, pmixture(upper, params, lower = lower, abseps = 1e-12,
                                    maxpts = 100)),
    "error > abseps", class = "softmix_warning"
  )
  expect_true(all(attr(coarse, "error") > 1e-12))
})

test_that("pmixture rejects bad input, naming the argument", {
  expect_error(pmixture("1", params_1d), "`q`", class = "softmix_error")
  expect_error(pmixture(factor(1:3), params_1d), "`q`", class = "softmix_error")
  expect_error(pmixture(list(1, 2), params_1d), "`q`", class = "softmix_error")
  expect_error(pmixture(matrix(1:4, 2), params_1d), "`q`", class = "softmix_error")
  expect_error(pmixture(1, list(1)), "`parameters`", class = "softmix_error")
  expect_error(pmixture(1, params_1d, lower.tail = NA), "`lower.tail`", class = "softmix_error")
  expect_error(pmixture(1, params_1d, log.p = "yes"), "`log.p`", class = "softmix_error")
  expect_error(pmixture(1:3, params_1d, lower = c(0, 1)), "`lower`", class = "softmix_error")
  expect_error(pmixture(1, params_1d, lower = 2), "`lower`", class = "softmix_error")
  expect_error(pmixture(1, params_1d, lower = 0, lower.tail = FALSE), "`lower.tail`",
               class = "softmix_error")
  expect_error(pmixture(1, params_1d, abseps = 1e-4), "`...`", class = "softmix_error")
  skip_if_not_installed("mvtnorm")
  expect_error(pmixture(c(1, 2, 3), params_2d), "`q`", class = "softmix_error")
  expect_error(pmixture(1, params_2d), "`q`", class = "softmix_error")
  expect_error(pmixture(matrix(1, 2, 3), params_2d), "`q`", class = "softmix_error")
  expect_error(pmixture(c("a", "b"), params_2d), "`q`", class = "softmix_error")
  expect_error(pmixture(c(1, 2), params_2d, lower = c(0, 0, 0)), "`lower`",
               class = "softmix_error")
  expect_error(pmixture(rbind(c(1, 2), c(3, 4)), params_2d, lower = matrix(0, 3, 2)),
               "`lower`", class = "softmix_error")
  expect_error(pmixture(c(1, 2), params_2d, lower = c(0, 3)), "`lower` must not exceed",
               class = "softmix_error")
  expect_error(pmixture(c(1, 2), params_2d, lower.tail = FALSE), "`lower.tail`",
               class = "softmix_error")
  expect_error(pmixture(c(1, 2), params_2d, sigma = diag(2)), "`...`", class = "softmix_error")
})

test_that("rectangles with missing corners give NA", {
  skip_if_not_installed("mvtnorm")
  upper <- rbind(a = c(1, 2), b = c(NA, 1), c = c(2, 2))
  p <- pmixture(upper, params_2d)
  expect_named(p, c("a", "b", "c"))
  expect_true(is.na(p[["b"]]) && is.na(attr(p, "error")[2]))
  expect_max_diff(p[c(1, 3)], pmixture(upper[c(1, 3), ], params_2d), 0)
})
