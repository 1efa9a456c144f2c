# softmix_bootstrap(), its methods and vcov()/confint() on fits, checked
# against a brute-force bootstrap in plain R (the same documented draws,
# weighted means and stats::cov.wt()), mclust's MclustBootstrap() and a
# two-worker PSOCK cluster.

# One component with no ridge: EM from any start is one M step, the
# weighted maximum likelihood estimate, so every replicate has a closed
# form.
fit_one_component <- function(x, ...) {
  softmix(x, k = 1, model = "VVV", control = softmix_control(reg = 0), n_threads = 1, ...)
}

# The replicates of a one-component fit in the order of vcov(): proportion,
# weighted mean, weighted ML covariance (upper triangle with the diagonal).
ref_one_component <- function(x, w) {
  x <- as.matrix(x)
  estimate <- stats::cov.wt(x, wt = w / sum(w), method = "ML")
  c(1, estimate$center, estimate$cov[upper.tri(estimate$cov, diag = TRUE)])
}

# Evaluates `code` with mclust attached: Mclust() and MclustBootstrap() call
# some of their helpers by name.
with_mclust_attached <- function(code) {
  if (!"package:mclust" %in% search()) {
    suppressPackageStartupMessages(attachNamespace("mclust"))
    on.exit(detach("package:mclust", character.only = TRUE), add = TRUE)
  }
  code
}

# The replicates without the call, which differs between the calls compared.
without_call <- function(boot) {
  boot$call <- NULL
  boot
}

n_faithful <- nrow(faithful_x)

test_that("one-component replicates equal a brute-force bootstrap from the same draws", {
  fit <- fit_one_component(faithful_x)
  n <- n_faithful
  draws <- list(
    nonparametric = function() tabulate(sample.int(n, n, replace = TRUE), n),
    weighted = function() {
      g <- stats::rexp(n)
      n * g / sum(g)
    }
  )
  for (type in names(draws)) {
    boot <- with_seed(5, softmix_bootstrap(fit, B = 20, type = type, n_threads = 2))
    reference <- with_seed(5, t(vapply(seq_len(20), function(b) {
      ref_one_component(faithful_x, draws[[type]]())
    }, numeric(6))))
    # 1e-8 relative: the same estimate, summed in another order.
    expect_max_diff(softmix:::replicate_matrix(boot), reference, 1e-8, relative = TRUE)
    expect_identical(nrow(boot$proportions), 20L)
  }
  boot <- with_seed(6, softmix_bootstrap(fit, B = 10, type = "parametric", n_threads = 1))
  reference <- with_seed(6, t(vapply(seq_len(10), function(b) {
    ref_one_component(rmixture(n, fit$parameters), rep(1, n))
  }, numeric(6))))
  expect_max_diff(softmix:::replicate_matrix(boot), reference, 1e-8, relative = TRUE)
})

test_that("standard errors of a one-component mean are near sd / sqrt(n)", {
  x <- sim_1d
  fit <- softmix(x, k = 1, model = "V", control = softmix_control(reg = 0), n_threads = 1)
  boot <- with_seed(7, softmix_bootstrap(fit, B = 400, n_threads = 1))
  analytic <- sqrt(mean((x - mean(x))^2) / length(x))
  # The bootstrap SE from B replicates has a relative standard error of about
  # 1 / sqrt(2 B) = 3.5%; 15% is more than four of those.
  expect_max_diff(summary(boot)$se$means, analytic, 0.15, relative = TRUE)
})

test_that("frequency weights resample the observations they stand for", {
  w <- with_seed(11, sample(0:3, n_faithful, replace = TRUE))
  fit <- fit_one_component(faithful_x, weights = w)
  boot <- with_seed(8, softmix_bootstrap(fit, B = 10, n_threads = 1))
  reference <- with_seed(8, t(vapply(seq_len(10), function(b) {
    ref_one_component(faithful_x, as.vector(stats::rmultinom(1, sum(w), w)))
  }, numeric(6))))
  expect_max_diff(softmix:::replicate_matrix(boot), reference, 1e-8, relative = TRUE)

  boot <- with_seed(9, softmix_bootstrap(fit, B = 10, type = "weighted", n_threads = 1))
  reference <- with_seed(9, t(vapply(seq_len(10), function(b) {
    g <- stats::rgamma(n_faithful, shape = w)
    ref_one_component(faithful_x, sum(w) * g / sum(g))
  }, numeric(6))))
  expect_max_diff(softmix:::replicate_matrix(boot), reference, 1e-8, relative = TRUE)
})

test_that("sampling weights keep the rows as the resampled units", {
  w <- with_seed(12, stats::runif(n_faithful, 0.5, 2))
  fit <- fit_one_component(faithful_x, weights = w, weight_type = "sampling")
  scaled <- w * n_faithful / sum(w)
  boot <- with_seed(10, softmix_bootstrap(fit, B = 10, n_threads = 1))
  reference <- with_seed(10, t(vapply(seq_len(10), function(b) {
    ref_one_component(faithful_x,
                      scaled * tabulate(sample.int(n_faithful, n_faithful, TRUE), n_faithful))
  }, numeric(6))))
  expect_max_diff(softmix:::replicate_matrix(boot), reference, 1e-8, relative = TRUE)
})

test_that("nonparametric replicates of faithful agree with mclust's MclustBootstrap", {
  skip_if_not_installed("mclust")
  mclust_fit <- with_mclust_attached(
    mclust::Mclust(faithful_x, G = 2, modelNames = "VVV", verbose = FALSE)
  )
  fit <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))
  # Both draw sample(n, n, TRUE) for each replicate and start it from the
  # fit, so they fit the same resamples to the same optimum, to mclust's
  # looser tolerance (1e-5) and the fits' own difference (about 1e-4).
  mclust_boot <- with_seed(2, with_mclust_attached(
    mclust::MclustBootstrap(mclust_fit, nboot = 30, type = "bs", verbose = FALSE)
  ))
  boot <- with_seed(2, softmix_bootstrap(fit, B = 30, n_threads = 2))
  expect_max_diff(boot$proportions, mclust_boot$pro, 0.005)
  expect_max_diff(boot$means, aperm(mclust_boot$mean, c(1, 3, 2)), 1e-3, relative = TRUE)
  expect_max_diff(boot$covariances, mclust_boot$variance, 0.02, relative = TRUE)
  expect_max_diff(summary(boot)$se$means, t(apply(mclust_boot$mean, c(2, 3), stats::sd)), 0.02,
                  relative = TRUE)
})

test_that("results are identical serially, on more threads and on two workers", {
  fit <- with_seed(1, softmix(iris_x, k = 3, n_threads = 1))
  cl <- two_workers()
  on.exit(parallel::stopCluster(cl))
  for (type in c("nonparametric", "parametric", "weighted")) {
    serial <- with_seed(3, softmix_bootstrap(fit, B = 12, type = type, n_threads = 1))
    threads <- with_seed(3, softmix_bootstrap(fit, B = 12, type = type, n_threads = 2))
    workers <- with_seed(3, softmix_bootstrap(fit, B = 12, type = type, cluster = cl))
    expect_identical(without_call(threads), without_call(serial))
    expect_identical(without_call(workers), without_call(serial))
  }
  # The workers hold no context once the run is over.
  left <- parallel::clusterCall(cl, function() {
    length(ls(get("worker_contexts", envir = asNamespace("softmix")), pattern = "^run_"))
  })
  expect_identical(unlist(left), c(0L, 0L))
})

test_that("replicate components permuted by EM are matched back to the fit's", {
  params <- random_params(3, 2, seed = 21)
  match <- softmix:::component_matcher(params)
  for (perm in list(c(2L, 3L, 1L), c(3L, 1L, 2L), c(1L, 3L, 2L))) {
    # The replicate's component j is the fit's component perm[j], slightly moved.
    replicate <- mixture_params(params$proportions[perm], params$means[perm, ] + 0.1,
                                params$covariances[, , perm] * 1.1)
    found <- match(replicate)
    expect_identical(found, order(perm))
    expect_identical(replicate$means[found, ], params$means + 0.1)
  }
  # Same mean, different spreads: told apart by the covariances.
  nested <- mixture_params(c(0.5, 0.5), rbind(c(0, 0), c(0, 0)),
                           array(c(diag(2), diag(9, 2)), c(2, 2, 2)))
  swapped <- mixture_params(c(0.5, 0.5), rbind(c(0, 0), c(0, 0)),
                            array(c(diag(8, 2), diag(1.2, 2)), c(2, 2, 2)))
  expect_identical(softmix:::component_matcher(nested)(swapped), c(2L, 1L))
  # Eight components: greedy matching with swaps.
  many <- random_params(8, 3, seed = 22)
  perm <- with_seed(23, sample(8))
  replicate <- mixture_params(many$proportions[perm], many$means[perm, ],
                              many$covariances[, , perm])
  expect_identical(softmix:::component_matcher(many)(replicate), order(perm))
  # Greedy takes the zero first; a swap then repairs the costly remainder.
  expect_identical(softmix:::greedy_match(matrix(c(0, 1, 1, 100), 2)), c(2L, 1L))
})

test_that("replicates of well-separated components keep the fit's order", {
  fit <- with_seed(1, softmix(iris_x, k = 3, n_threads = 1))
  boot <- with_seed(4, softmix_bootstrap(fit, B = 10, n_threads = 2))
  expect_identical(boot$permutation, matrix(1:3, 10, 3, byrow = TRUE,
                                            dimnames = list(NULL, 1:3)))
})

test_that("vcov() and confint() have the documented shape and names", {
  fit <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))
  boot <- with_seed(2, softmix_bootstrap(fit, B = 20, n_threads = 2))
  expected_names <- c("pro1", "pro2", "mean1.eruptions", "mean1.waiting", "mean2.eruptions",
                      "mean2.waiting", "var1.eruptions.eruptions", "var1.eruptions.waiting",
                      "var1.waiting.waiting", "var2.eruptions.eruptions",
                      "var2.eruptions.waiting", "var2.waiting.waiting")
  v <- vcov(fit, bootstrap = boot)
  expect_identical(dimnames(v), list(expected_names, expected_names))
  expect_equal(v["mean2.waiting", "var1.eruptions.waiting"],
               stats::cov(boot$means[, 2, "waiting"], boot$covariances[, 1, 2, 1]),
               tolerance = 1e-12)
  expect_identical(vcov(boot), v)
  ci <- confint(fit, bootstrap = boot, level = 0.9)
  expect_identical(dimnames(ci), list(expected_names, c("5 %", "95 %")))
  expect_equal(ci["var2.waiting.waiting", ],
               stats::quantile(boot$covariances[, 2, 2, 2], c(0.05, 0.95)),
               tolerance = 1e-12, ignore_attr = TRUE)
  expect_identical(confint(fit, c("pro2", "mean1.waiting"), bootstrap = boot),
                   confint(boot)[c(2, 4), ])
  expect_identical(confint(fit, 3:4, bootstrap = boot), confint(boot)[3:4, ])
  # Without `bootstrap`, they run one with the same draws.
  expect_identical(with_seed(2, vcov(fit, B = 20, n_threads = 2)), v)
  expect_identical(with_seed(2, confint(fit, B = 20, n_threads = 1)), confint(boot))

  # A misspelt argument is not ignored.
  expect_error(confint(boot, levels = 0.8), "Unknown argument `levels`", class = "softmix_error")
  expect_error(summary(boot, conf.level = 0.8), "Unknown argument `conf.level`",
               class = "softmix_error")
  s <- summary(boot, level = 0.8)
  expect_identical(rownames(s$table), expected_names)
  expect_equal(s$table$se, sqrt(diag(v)), tolerance = 1e-12, ignore_attr = TRUE)
  expect_identical(dim(s$se$covariances), c(2L, 2L, 2L))
  expect_equal(s$lower$means[1, 2], stats::quantile(boot$means[, 1, 2], 0.1),
               tolerance = 1e-12, ignore_attr = TRUE)
  expect_equal(s$table$estimate[3:4], fit$parameters$means[1, ], ignore_attr = TRUE)
  expect_output(print(boot), "Nonparametric bootstrap of model VVV with 2 components: 20")
  expect_output(print(s), "80% percentile intervals")

  one_d <- softmix(sim_1d, k = 2, model = "V", n_threads = 1)
  boot_1d <- with_seed(3, softmix_bootstrap(one_d, B = 5, type = "weighted", n_threads = 1))
  # A vector is named after the expression that gave it.
  expect_identical(rownames(vcov(boot_1d)),
                   c("pro1", "pro2", "mean1.sim_1d", "mean2.sim_1d", "var1.sim_1d.sim_1d",
                     "var2.sim_1d.sim_1d"))
})

test_that("failed and degenerate replicates are dropped, replaced and counted", {
  # Two components, one on three points; with reg = 0, a resample holding one
  # or none of the three makes that component singular or empty.
  x <- with_seed(3, c(stats::rnorm(30), 10 + c(0, 0.5, 1)))
  fit <- softmix(x, k = 2, model = "V", control = softmix_control(reg = 0), n_threads = 1)
  expect_warning(
    boot <- with_seed(1, softmix_bootstrap(fit, B = 20, n_threads = 1)),
    "Of [0-9]+ bootstrap replicates drawn, [0-9]+ failed .* replaced by new draws",
    class = "softmix_warning"
  )
  # The draws continue in order until 20 resamples hold two of the three.
  failed_draws <- with_seed(1, {
    kept <- 0
    failed <- 0
    while (kept < 20) {
      held <- sum(tabulate(sample.int(33, 33, replace = TRUE), 33)[31:33] > 0)
      if (held <= 1) failed <- failed + 1 else kept <- kept + 1
    }
    failed
  })
  expect_gt(failed_draws, 0)
  expect_identical(boot$n_failed, as.integer(failed_draws))
  expect_identical(boot$n_drawn, as.integer(20 + failed_draws))
  expect_identical(nrow(boot$proportions), 20L)
  expect_match(boot$failures, "not positive definite|weight", all = TRUE)
  # With the default ridge those replicates are degenerate instead.
  ridged <- softmix(x, k = 2, model = "V", n_threads = 1)
  expect_warning(
    boot <- with_seed(1, softmix_bootstrap(ridged, B = 20, n_threads = 1)),
    "gave a degenerate fit", class = "softmix_warning"
  )
  expect_identical(boot$n_degenerate, as.integer(failed_draws))
  expect_output(print(boot), sprintf("20 replicates \\(%d of %d drawn dropped\\)",
                                     failed_draws, 20 + failed_draws))
})

test_that("fixed parameters stay fixed and known labels are kept", {
  fit <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))
  fixed <- softmix(faithful_x, init = fit$parameters, fixed = c("means", "covariances"),
                   n_threads = 1)
  boot <- with_seed(2, softmix_bootstrap(fixed, B = 10, n_threads = 1))
  se <- summary(boot)$se
  expect_lte(max(se$means), 1e-12)
  expect_lte(max(se$covariances), 1e-12)
  expect_true(all(se$proportions > 0))

  known <- rep(NA, n_faithful)
  known[fit$classification == 1][1:5] <- 1
  known[fit$classification == 2][1:5] <- 2
  semi <- softmix(faithful_x, k = 2, labels = known, n_threads = 1)
  for (type in c("nonparametric", "parametric", "weighted")) {
    boot <- with_seed(3, softmix_bootstrap(semi, B = 5, type = type, n_threads = 1))
    expect_identical(nrow(boot$proportions), 5L)
  }
  weighted_semi <- softmix(faithful_x, k = 2, labels = known, weights = rep(2, n_faithful),
                           n_threads = 1)
  expect_error(softmix_bootstrap(weighted_semi, B = 5, type = "parametric"),
               "`type`.*weights and known labels", class = "softmix_error")
})

test_that("bad arguments are errors that name the argument", {
  fit <- with_seed(1, softmix(faithful_x, k = 2, n_threads = 1))
  for (B in list(0, 2.5, -1, NA, "10", c(10, 20))) {
    expect_error(softmix_bootstrap(fit, B = B), "`B`", class = "softmix_error")
  }
  expect_error(softmix_bootstrap(lm(eruptions ~ waiting, faithful), B = 5),
               "`fit` must be a softmix fit.*\"lm\"", class = "softmix_error")
  expect_error(softmix_bootstrap(list(), B = 5), "`fit`", class = "softmix_error")
  expect_error(softmix_bootstrap(fit, B = 5, type = "jackknife"), "`type`",
               class = "softmix_error")
  expect_error(softmix_bootstrap(fit, B = 5, cluster = 2), "`cluster`", class = "softmix_error")
  expect_error(softmix_bootstrap(fit, B = 5, n_threads = 0), "`n_threads`",
               class = "softmix_error")
  boot <- with_seed(2, softmix_bootstrap(fit, B = 5, n_threads = 1))
  expect_error(summary(boot, level = 1), "`level`", class = "softmix_error")
  expect_error(confint(boot, "mean9.x"), "`parm`.*mean9.x", class = "softmix_error")
  expect_error(confint(boot, 99), "`parm`", class = "softmix_error")
  expect_error(vcov(fit, B = 0), "`B`", class = "softmix_error")
  expect_error(vcov(fit, type = "jackknife"), "`type`", class = "softmix_error")
  expect_error(vcov(fit, bootstrap = fit), "`bootstrap`", class = "softmix_error")
  other <- with_seed(1, softmix(faithful_x, k = 3, n_threads = 1))
  expect_error(confint(other, bootstrap = boot), "`bootstrap`.*another fit",
               class = "softmix_error")
})

test_that("a fit that keeps no data stops before any replicate is drawn", {
  skip_if_not_installed("data.table")
  path <- tempfile(fileext = ".csv")
  on.exit(unlink(path), add = TRUE)
  utils::write.csv(faithful, path, row.names = FALSE)
  fit <- with_seed(1, softmix(softmix_file(path), k = 2, n_threads = 1))
  expect_null(fit$data)
  # Nothing drawn: the generator's state is the one before the call.
  set.seed(5)
  seed <- .Random.seed
  for (type in c("nonparametric", "parametric", "weighted")) {
    expect_error(softmix_bootstrap(fit, B = 3, type = type, n_threads = 1),
                 "keeps no data.*softmix_file\\(\\).*fit the data in memory",
                 class = "softmix_error")
  }
  expect_identical(.Random.seed, seed)
  expect_error(vcov(fit, B = 3), "keeps no data", class = "softmix_error")
})
