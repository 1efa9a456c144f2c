# Shared fixtures and a brute-force reference implementation of Gaussian
# mixtures in plain R. The reference uses only base R, `stats::cov.wt()` and
# `mvtnorm::dmvnorm()`, never softmix's own computations, so the tests compare
# softmix against an independent implementation.

# Evaluation helpers -------------------------------------------------------

# Evaluates `code` with the random seed set to `seed` and restores the
# generator's previous state afterwards (base R stand-in for withr::with_seed).
with_seed <- function(seed, code) {
  env <- globalenv()
  old <- if (exists(".Random.seed", envir = env, inherits = FALSE)) {
    get(".Random.seed", envir = env)
  }
  on.exit(
    if (is.null(old)) {
      rm(".Random.seed", envir = env)
    } else {
      assign(".Random.seed", old, envir = env)
    },
    add = TRUE
  )
  set.seed(seed)
  code
}

# One expectation: the largest absolute difference between `actual` and
# `expected` (or, with `relative = TRUE`, that difference divided by the
# largest absolute value of `expected`) is at most `tolerance`. Shapes must
# agree and every value must be finite.
expect_max_diff <- function(actual, expected, tolerance, relative = FALSE) {
  label <- paste(deparse(substitute(actual)), collapse = " ")
  a <- as.vector(unclass(actual))
  b <- as.vector(unclass(expected))
  same_shape <- length(a) == length(b) &&
    (is.null(dim(actual)) || is.null(dim(expected)) ||
       identical(as.integer(dim(actual)), as.integer(dim(expected))))
  if (!same_shape) {
    expect(FALSE, sprintf("%s has length %d (dim %s); the reference has %d (dim %s).",
                          label, length(a), paste(dim(actual), collapse = " x "),
                          length(b), paste(dim(expected), collapse = " x ")))
    return(invisible(actual))
  }
  error <- if (length(a) == 0L) 0 else max(abs(a - b))
  if (relative && length(b) > 0L) error <- error / max(abs(b))
  expect(
    is.finite(error) && error <= tolerance,
    sprintf("%s differs from the reference by %s (%s), more than %s.", label,
            format(error, digits = 3), if (relative) "relative" else "absolute",
            format(tolerance))
  )
  invisible(actual)
}

# A softmix fit against an mclust fit (me(), mstep()-style lists): the
# log-likelihood, proportions (the noise's last), means and covariances, each
# to `tolerance` relative.
expect_mclust_fit <- function(fit, reference, tolerance) {
  expect_max_diff(fit$loglik, reference$loglik, tolerance, relative = TRUE)
  expect_max_diff(unname(fit$parameters$proportions), reference$parameters$pro, tolerance,
                  relative = TRUE)
  expect_max_diff(fit$parameters$means, t(reference$parameters$mean), tolerance, relative = TRUE)
  expect_max_diff(fit$parameters$covariances, reference$parameters$variance$sigma, tolerance,
                  relative = TRUE)
}

# A mixture_params object as one named vector, so that expect_identical()
# reports a difference readably (waldo cannot always print 3-d array diffs).
flatten_params <- function(parameters) {
  unlist(unclass(parameters))
}

# Fixtures -------------------------------------------------------------------

faithful_x <- as.matrix(faithful)
iris_x <- as.matrix(iris[, 1:4])
# One-dimensional data with two well-separated groups.
sim_1d <- with_seed(3, c(rnorm(150, 0, 1), rnorm(100, 4, 0.5)))

multivariate_models <- c("EII", "VII", "EEI", "VVI", "EEE", "VVV")

# Plain EM, without the default SQUAREM acceleration: for tests of the exact
# sequence of E and M steps, whose path acceleration changes.
plain_control <- function(...) softmix_control(..., accelerate = FALSE)

# Runs a fit that is meant to stop at max_iter, without its warning.
to_max_iter <- function(expr) suppressWarnings(expr, classes = "softmix_warning")

# A hard partition from stats::kmeans() with a fixed seed.
kmeans_labels <- function(x, k, seed = 1) {
  with_seed(seed, stats::kmeans(x, k, nstart = 5)$cluster)
}

# The one-hot n x K matrix of a vector of labels 1..K.
one_hot <- function(labels, k = max(labels)) {
  outer(labels, seq_len(k), "==") * 1
}

# Random mixture parameters in d dimensions with k components: proportions
# bounded away from zero, means spread over a few units and well-conditioned
# full covariance matrices.
random_params <- function(k, d, seed) {
  with_seed(seed, {
    proportions <- stats::runif(k, 0.5, 1.5)
    means <- matrix(stats::rnorm(k * d, sd = 3), k, d)
    covariances <- array(0, c(d, d, k))
    for (j in seq_len(k)) {
      a <- matrix(stats::rnorm(d * d), d, d)
      covariances[, , j] <- crossprod(a) + diag(0.5, d)
    }
    mixture_params(proportions / sum(proportions), means, covariances)
  })
}

# n x d points spread around the components of `parameters`, plus points far
# out in the tails (30 to several thousand standard deviations away).
points_with_tails <- function(parameters, n = 60, seed = 1) {
  d <- ncol(parameters$means)
  k <- nrow(parameters$means)
  centre <- parameters$means[1, ]
  regular <- with_seed(seed, {
    matrix(stats::rnorm(n * d, sd = 4), n, d) +
      parameters$means[rep_len(seq_len(k), n), , drop = FALSE]
  })
  tails <- rbind(
    centre + 30,
    centre - 80,
    parameters$means[k, ] + c(200, rep(-50, d - 1))[seq_len(d)],
    rep(1e3, d),
    rep(-5e3, d)
  )
  unname(rbind(regular, tails))
}

# Non-negative n x k weights; with `normalise = FALSE` rows do not sum to 1.
random_weights <- function(n, k, seed, normalise = TRUE) {
  w <- with_seed(seed, matrix(stats::runif(n * k), n, k))
  if (normalise) w / rowSums(w) else 3 * w
}

# Brute-force reference implementation ----------------------------------------

# The d x d covariance matrix of component j.
ref_sigma <- function(parameters, j) {
  d <- dim(parameters$covariances)[1]
  matrix(parameters$covariances[, , j], d, d)
}

# n x K matrix of log(pi_k) + log N(x_i | mu_k, Sigma_k) from mvtnorm.
ref_log_joint <- function(x, parameters) {
  x <- as.matrix(x)
  k <- length(parameters$proportions)
  out <- vapply(seq_len(k), function(j) {
    log(parameters$proportions[j]) +
      mvtnorm::dmvnorm(x, mean = parameters$means[j, ], sigma = ref_sigma(parameters, j),
                       log = TRUE)
  }, numeric(nrow(x)))
  matrix(out, nrow(x), k)
}

# Row-wise log(sum(exp(m))), shifted by the row maximum.
ref_log_sum_exp <- function(m) {
  top <- apply(m, 1, max)
  top + log(rowSums(exp(m - top)))
}

# Responsibilities, log responsibilities, log mixture densities and the
# log-likelihood.
ref_e_step <- function(x, parameters) {
  log_joint <- ref_log_joint(x, parameters)
  log_density <- ref_log_sum_exp(log_joint)
  log_posterior <- log_joint - log_density
  list(
    posterior = exp(log_posterior),
    log_posterior = log_posterior,
    log_density = log_density,
    loglik = sum(log_density)
  )
}

# Weighted ML covariance of the rows of x with weights w (any scale).
ref_weighted_cov <- function(x, w) {
  stats::cov.wt(x, wt = w, method = "ML")$cov
}

# Each column's variance with divisor n (the sum of the weights, if any),
# as the ridge of softmix_control() uses it.
ref_variance <- function(x, w = NULL) {
  x <- as.matrix(x)
  if (is.null(w)) w <- rep(1, nrow(x))
  means <- colSums(w * x) / sum(w)
  colSums(w * sweep(x, 2, means)^2) / sum(w)
}

# The ridge softmix_control(reg) adds: reg times each column's variance.
ref_ridge <- function(x, reg, w = NULL) {
  reg * ref_variance(x, w)
}

# Weighted maximum likelihood estimates of each covariance model from n x K
# weights, with `reg` as in softmix_control().
ref_m_step <- function(x, w, model, reg = 0) {
  x <- as.matrix(x)
  model <- c(E = "EII", V = "VII")[model] %|na|% model
  d <- ncol(x)
  k <- ncol(w)
  n_k <- colSums(w)
  total <- sum(n_k)
  mean_list <- lapply(seq_len(k), function(j) colSums(w[, j] * x) / n_k[j])
  means <- matrix(unlist(mean_list), k, d, byrow = TRUE)
  scatter <- lapply(seq_len(k), function(j) ref_weighted_cov(x, w[, j]))
  pooled <- Reduce(`+`, Map(`*`, n_k, scatter)) / total
  traces <- vapply(scatter, function(s) sum(diag(s)), numeric(1))
  covariances <- switch(model,
    VVV = scatter,
    EEE = rep(list(pooled), k),
    VVI = lapply(scatter, function(s) diag(diag(s), d)),
    EEI = rep(list(diag(diag(pooled), d)), k),
    VII = lapply(traces, function(tr) diag(tr / d, d)),
    EII = rep(list(diag(sum(n_k * traces) / (total * d), d)), k)
  )
  ridge <- ref_ridge(x, reg)
  if (model %in% c("VII", "EII")) ridge <- rep(mean(ridge), d)
  covariances <- lapply(covariances, function(s) s + diag(ridge, d))
  list(
    proportions = n_k / total,
    means = means,
    covariances = array(unlist(covariances), c(d, d, k))
  )
}

`%|na|%` <- function(x, y) if (is.na(x)) y else unname(x)

# Means and ML covariances of each group of a hard partition, computed
# directly from the rows of each group.
ref_hard_estimates <- function(x, labels) {
  x <- as.matrix(x)
  d <- ncol(x)
  k <- max(labels)
  means <- vapply(seq_len(d), function(j) tapply(x[, j], labels, mean), numeric(k))
  covariances <- array(0, c(d, d, k))
  for (j in seq_len(k)) {
    group <- x[labels == j, , drop = FALSE]
    centred <- sweep(group, 2, colMeans(group))
    covariances[, , j] <- crossprod(centred) / nrow(group)
  }
  list(
    proportions = as.vector(table(factor(labels, levels = seq_len(k)))) / length(labels),
    means = matrix(means, k, d),
    covariances = covariances
  )
}

# Expects `parameters` to match a reference list of proportions, means and
# covariances; three expectations, each with its own tolerance (means and
# covariances relative to their largest entry).
expect_params_match <- function(parameters, reference, tolerance) {
  expect_max_diff(parameters$proportions, reference$proportions, tolerance)
  expect_max_diff(parameters$means, reference$means, tolerance, relative = TRUE)
  expect_max_diff(parameters$covariances, reference$covariances, tolerance, relative = TRUE)
}

# Largest relative fall of a log-likelihood trace, 0 if it never falls.
max_relative_drop <- function(trace) {
  if (length(trace) < 2L) return(0)
  drops <- -diff(trace) / abs(trace[-1])
  max(0, drops)
}

# mclust's hc(), Mclust(), MclustDA() and cvMclustDA() evaluate calls by
# name, so mclust must be on the search path while they run; it is detached
# again afterwards.
with_mclust <- function(code) {
  if (!"package:mclust" %in% search()) {
    suppressPackageStartupMessages(attachNamespace("mclust"))
    on.exit(detach("package:mclust", character.only = TRUE), add = TRUE)
  }
  code
}
