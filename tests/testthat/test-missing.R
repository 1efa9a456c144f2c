# Missing values: EM on the observed coordinates (softmix(missing = "em")).

# Plain-R EM with missing values for VVV, VVI, EEE and VII: E step on each
# row's observed coordinates, M step from the completed statistics (the
# conditional means, and the conditional covariances added to the scatter).
# Returns the log-likelihood of the start and of each of `iterations` EM
# steps.
ref_missing_trace <- function(x, parameters, model, iterations) {
  n <- nrow(x)
  d <- ncol(x)
  k <- length(parameters$proportions)
  pro <- parameters$proportions
  mu <- parameters$means
  sigma <- parameters$covariances
  trace <- numeric(0)
  for (it in 0:iterations) {
    log_joint <- matrix(0, n, k)
    completed <- array(0, c(n, d, k))
    correction <- array(0, c(d, d, n, k))
    for (i in seq_len(n)) {
      o <- which(!is.na(x[i, ]))
      m <- which(is.na(x[i, ]))
      for (j in seq_len(k)) {
        s_oo <- matrix(sigma[o, o, j], length(o))
        diff <- x[i, o] - mu[j, o]
        log_joint[i, j] <- log(pro[j]) - 0.5 * length(o) * log(2 * pi) -
          0.5 * as.numeric(determinant(s_oo)$modulus) - 0.5 * sum(diff * solve(s_oo, diff))
        row <- x[i, ]
        if (length(m) > 0L) {
          s_mo <- matrix(sigma[m, o, j], length(m), length(o))
          row[m] <- mu[j, m] + s_mo %*% solve(s_oo, diff)
          correction[m, m, i, j] <- matrix(sigma[m, m, j], length(m)) -
            s_mo %*% solve(s_oo, t(s_mo))
        }
        completed[i, , j] <- row
      }
    }
    top <- apply(log_joint, 1, max)
    lse <- top + log(rowSums(exp(log_joint - top)))
    trace <- c(trace, sum(lse))
    if (it == iterations) break
    r <- exp(log_joint - lse)
    nk <- colSums(r)
    pro <- nk / n
    scatter <- array(0, c(d, d, k))
    for (j in seq_len(k)) {
      xj <- matrix(completed[, , j], n, d)
      mu[j, ] <- colSums(r[, j] * xj) / nk[j]
      centred <- sweep(xj, 2, mu[j, ])
      scatter[, , j] <- crossprod(centred * sqrt(r[, j])) +
        apply(sweep(correction[, , , j, drop = FALSE], 3, r[, j], "*"), c(1, 2), sum)
    }
    for (j in seq_len(k)) {
      sigma[, , j] <- switch(model,
        VVV = scatter[, , j] / nk[j],
        VVI = diag(diag(scatter[, , j]), d) / nk[j],
        EEE = apply(scatter, c(1, 2), sum) / n,
        VII = diag(sum(diag(scatter[, , j])) / (d * nk[j]), d)
      )
    }
  }
  trace
}

# iris with `share` of its values missing completely at random (rows left
# with no value dropped).
iris_mcar <- function(share, seed = 1) {
  x <- as.matrix(iris[, 1:4])
  with_seed(seed, x[sample(length(x), round(share * length(x)))] <- NA)
  x[rowSums(!is.na(x)) > 0L, , drop = FALSE]
}

iris_start <- function() {
  mixture_params(
    c(0.3, 0.3, 0.4),
    means = rbind(c(5, 3.4, 1.5, 0.2), c(5.9, 2.8, 4.3, 1.3), c(6.6, 3, 5.5, 2)),
    covariances = array(diag(c(0.3, 0.2, 0.4, 0.1)), c(4, 4, 3))
  )
}

test_that("EM with missing values gives the reference trace from the same start", {
  x <- iris_mcar(0.15)
  control <- softmix_control(accelerate = FALSE, tol = 0, max_iter = 10, reg = 0)
  for (model in c("VVV", "VVI", "EEE", "VII")) {
    fit <- to_max_iter(softmix(x, init = iris_start(), model = model, control = control,
                               n_threads = 1))
    expected <- ref_missing_trace(x, iris_start(), model, 10)
    expect_length(fit$loglik_trace, 11L)
    expect_max_diff(fit$loglik_trace, expected, 1e-9, relative = TRUE)
  }
})

test_that("one component reaches the MLE of norm's em.norm()", {
  skip_if_not_installed("norm")
  x <- iris_mcar(0.2, seed = 3)
  fit <- softmix(x, k = 1, control = softmix_control(tol = 1e-14, reg = 0, max_iter = 5000),
                 n_threads = 1)
  s <- norm::prelim.norm(x)
  theta <- norm::em.norm(s, showits = FALSE, criterion = 1e-12, maxits = 5000)
  reference <- norm::getparam.norm(s, theta)
  expect_max_diff(drop(fit$parameters$means), reference$mu, 1e-6, relative = TRUE)
  expect_max_diff(fit$parameters$covariances[, , 1], reference$sigma, 1e-6, relative = TRUE)
})

test_that("without missing values the fit is the one before, bit for bit", {
  x <- as.matrix(iris[, 1:4])
  a <- with_seed(1, softmix(x, k = 3, n_threads = 1))
  b <- with_seed(1, softmix(x, k = 3, n_threads = 1, missing = "fail"))
  a$call <- b$call <- NULL
  expect_identical(a, b)
  # And through the split path: the same rows, none missing.
  expect_identical(a$parameters, with_seed(1, softmix(x, k = 3, n_threads = 2))$parameters)
})

test_that("traces never fall for every model with 5-40% missing", {
  models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
              "VEV", "EVV", "VVV")
  for (share in c(0.05, 0.4)) {
    x <- iris_mcar(share, seed = 7)
    for (model in models) {
      fit <- to_max_iter(softmix(x, k = 2, model = model, init = "kmeans++", n_threads = 1,
                                 control = softmix_control(reg = 0, max_iter = 40),
                                 verbose = FALSE))
      trace <- fit$loglik_trace
      expect_true(all(diff(trace) >= -1e-9 * abs(trace[-1])), info = paste(model, share))
    }
  }
})

test_that("results do not depend on the number of threads", {
  x <- iris_mcar(0.2, seed = 4)
  a <- with_seed(2, softmix(x, k = 3, n_threads = 1))
  b <- with_seed(2, softmix(x, k = 3, n_threads = 2))
  a$n_threads <- b$n_threads <- NULL
  a$call <- b$call <- NULL
  expect_identical(a, b)
})

test_that("rows with every value missing are dropped with a message", {
  x <- as.matrix(iris[, 1:4])
  x[c(3, 10), ] <- NA
  x[5, 2] <- NA
  expect_message(fit <- softmix(x, k = 2, n_threads = 1), "dropped 2 row")
  expect_equal(fit$n, 148L)
  expect_equal(fit$missing$dropped, c(3L, 10L))
  expect_equal(nrow(fit$posterior), 148L)
  expect_equal(nobs(fit), 148)
})

test_that("missing = \"omit\" and \"fail\"", {
  x <- iris_mcar(0.05)
  expect_message(fit <- softmix(x, k = 2, missing = "omit", n_threads = 1), "omitted")
  complete <- x[stats::complete.cases(x), ]
  expect_equal(fit$n, nrow(complete))
  expect_equal(fit$loglik, with_seed(1, softmix(complete, k = 2, n_threads = 1))$loglik)
  expect_error(softmix(x, k = 2, missing = "fail"), "missing values", class = "softmix_error")
  expect_error(softmix(x, k = 2, missing = "drop"), "`missing` must be one of",
               class = "softmix_error")
})

test_that("bad input gives clear errors", {
  x <- as.matrix(iris[, 1:4])
  x[, 2] <- NA
  expect_error(softmix(x, k = 2), "no observed value in column `Sepal.Width`",
               class = "softmix_error")
  y <- iris_mcar(0.1)
  y[1, 1] <- NaN
  expect_s3_class(softmix(y, k = 2, n_threads = 1), "softmix")
  y[2, 1] <- Inf
  expect_error(softmix(y, k = 2), "infinite", class = "softmix_error")
  fit <- softmix(iris_mcar(0.1), k = 2, n_threads = 1)
  expect_error(predict(fit, matrix(NA_real_, 1, 4)), "every value missing",
               class = "softmix_error")
  expect_error(softmix(iris_mcar(0.1), k = 2, noise = TRUE), "noise",
               class = "softmix_error")
  # Positive weights only on rows that are dropped.
  x <- as.matrix(iris[, 1:4])
  x[3, ] <- NA
  w <- replace(numeric(150), 3, 1)
  for (type in c("frequency", "sampling")) {
    expect_error(suppressMessages(softmix(x, k = 1, weights = w, weight_type = type)),
                 "`weights` are zero on every row kept", class = "softmix_error")
  }
})

test_that("predict(), e_step() and dmixture() use the observed coordinates", {
  x <- iris_mcar(0.2, seed = 5)
  fit <- softmix(x, k = 3, n_threads = 1)
  expect_equal(predict(fit, x, type = "posterior"), fit$posterior, ignore_attr = TRUE)
  e <- e_step(x, fit$parameters, n_threads = 1)
  expect_equal(e$loglik, fit$loglik)
  # A row missing its second coordinate: the marginal of the other three.
  p <- fit$parameters
  row <- c(5.1, NA, 1.4, 0.2)
  o <- c(1, 3, 4)
  joint <- vapply(1:3, function(j) {
    p$proportions[j] * mvtnorm::dmvnorm(row[o], p$means[j, o], p$covariances[o, o, j])
  }, numeric(1))
  expect_equal(predict(fit, rbind(row), type = "posterior")[1, ], joint / sum(joint),
               ignore_attr = TRUE)
  expect_equal(dmixture(rbind(row), p), sum(joint), ignore_attr = TRUE)
  # The same row as a data frame, where a column of NA alone is logical.
  frame <- data.frame(Sepal.Length = 5.1, Sepal.Width = NA, Petal.Length = 1.4,
                      Petal.Width = 0.2)
  expect_equal(predict(fit, frame, type = "posterior")[1, ], joint / sum(joint),
               ignore_attr = TRUE)
})

test_that("fitted(type = \"imputed\") mixes the conditional means", {
  x <- iris_mcar(0.1, seed = 6)
  fit <- softmix(x, k = 2, model = "VVV", n_threads = 1)
  imputed <- fitted(fit, type = "imputed")
  expect_equal(dim(imputed), dim(x))
  expect_false(anyNA(imputed))
  observed <- !is.na(x)
  expect_identical(imputed[observed], x[observed])
  i <- which(!stats::complete.cases(x))[1]
  o <- which(observed[i, ])
  m <- which(!observed[i, ])
  p <- fit$parameters
  expected <- Reduce(`+`, lapply(1:2, function(j) {
    s <- p$covariances[, , j]
    fit$posterior[i, j] *
      (p$means[j, m] + s[m, o, drop = FALSE] %*% solve(s[o, o], x[i, o] - p$means[j, o]))
  }))
  expect_equal(imputed[i, m], drop(expected), ignore_attr = TRUE)
  complete <- softmix(iris[, 1:4], k = 2, n_threads = 1)
  expect_identical(fitted(complete, type = "imputed"), complete$data)
})

test_that("selection, weights and labels work with missing values", {
  x <- iris_mcar(0.1, seed = 8)
  sel <- with_seed(1, softmix(x, k = 1:3, model = c("VVI", "EEE"), n_threads = 2,
                              verbose = FALSE))
  expect_s3_class(sel, "softmix")
  expect_equal(sel$bic, min(sel$selection$bic, na.rm = TRUE))
  expect_equal(sel$n, nrow(x))
  # Integer weights: each row repeated.
  w <- rep(1:2, length.out = nrow(x))
  control <- softmix_control(accelerate = FALSE, tol = 0, max_iter = 5, reg = 0)
  weighted <- to_max_iter(softmix(x, init = iris_start(), model = "VVI", weights = w,
                                  n_threads = 1, control = control))
  repeated <- to_max_iter(softmix(x[rep(seq_len(nrow(x)), w), ], init = iris_start(),
                                  model = "VVI", n_threads = 1, control = control))
  expect_equal(weighted$loglik_trace, repeated$loglik_trace, tolerance = 1e-10)
  labels <- rep(NA_integer_, nrow(x))
  labels[1:5] <- 1L
  fit <- softmix(x, k = 3, labels = labels, n_threads = 1)
  expect_true(all(fit$classification[1:5] == 1L))
})

# The completed statistics of plain R: for every row and component, the row
# with its missing values replaced by their conditional means under
# `parameters`, and the conditional covariance of those values (zero
# elsewhere).
ref_completed <- function(x, parameters) {
  n <- nrow(x)
  d <- ncol(x)
  k <- length(parameters$proportions)
  completed <- array(0, c(n, d, k))
  correction <- array(0, c(d, d, n, k))
  for (i in seq_len(n)) {
    o <- which(!is.na(x[i, ]))
    m <- which(is.na(x[i, ]))
    for (j in seq_len(k)) {
      s <- parameters$covariances[, , j]
      row <- x[i, ]
      if (length(m) > 0L) {
        s_oo <- s[o, o, drop = FALSE]
        s_mo <- s[m, o, drop = FALSE]
        row[m] <- parameters$means[j, m] + s_mo %*% solve(s_oo, x[i, o] - parameters$means[j, o])
        correction[m, m, i, j] <- s[m, m, drop = FALSE] - s_mo %*% solve(s_oo, t(s_mo))
      }
      completed[i, , j] <- row
    }
  }
  list(completed = completed, correction = correction)
}

# The M step of plain R from the completed statistics, for VVV, VVI, EEE
# and VII, with the posterior times the weights.
ref_completed_m_step <- function(x, posterior, parameters, model, weights = rep(1, nrow(x))) {
  d <- ncol(x)
  k <- ncol(posterior)
  stats <- ref_completed(x, parameters)
  r <- posterior * weights
  nk <- colSums(r)
  means <- matrix(0, k, d)
  scatter <- array(0, c(d, d, k))
  for (j in seq_len(k)) {
    xj <- matrix(stats$completed[, , j], nrow(x), d)
    means[j, ] <- colSums(r[, j] * xj) / nk[j]
    centred <- sweep(xj, 2, means[j, ])
    scatter[, , j] <- crossprod(centred * sqrt(r[, j])) +
      apply(sweep(stats$correction[, , , j, drop = FALSE], 3, r[, j], "*"), c(1, 2), sum)
  }
  covariances <- array(0, c(d, d, k))
  for (j in seq_len(k)) {
    covariances[, , j] <- switch(model,
      VVV = scatter[, , j] / nk[j],
      VVI = diag(diag(scatter[, , j]), d) / nk[j],
      EEE = apply(scatter, c(1, 2), sum) / sum(nk),
      VII = diag(sum(diag(scatter[, , j])) / (d * nk[j]), d)
    )
  }
  list(proportions = nk / sum(nk), means = means, covariances = covariances)
}

# iris_start() with correlated covariances, so that conditional means
# differ from the means.
iris_correlated_start <- function() {
  p <- iris_start()
  covariances <- p$covariances
  for (j in 1:3) {
    covariances[, , j] <- covariances[, , j] + 0.04 * j
    diag(covariances[, , j]) <- diag(covariances[, , j]) + 0.05
  }
  mixture_params(p$proportions, p$means, covariances)
}

test_that("m_step() with missing values is the M step of the completed statistics", {
  x <- iris_mcar(0.2, seed = 9)
  p <- iris_correlated_start()
  # Any soft assignment, not only the E step's.
  posterior <- with_seed(3, matrix(stats::rexp(3 * nrow(x)), ncol = 3))
  w <- rep(c(1, 0.5, 2), length.out = nrow(x))
  for (model in c("VVV", "VVI", "EEE", "VII")) {
    for (weights in list(NULL, w)) {
      actual <- m_step(x, posterior, model = model, n_threads = 1, weights = weights,
                       parameters = p)
      expected <- ref_completed_m_step(x, posterior, p, model,
                                       if (is.null(weights)) rep(1, nrow(x)) else weights)
      expect_max_diff(actual$proportions, expected$proportions, 1e-10, relative = TRUE)
      expect_max_diff(actual$means, expected$means, 1e-10, relative = TRUE)
      expect_max_diff(actual$covariances, expected$covariances, 1e-10, relative = TRUE)
    }
  }
})

# Complete rows whose weighted moments are the completed statistics: each
# incomplete row i stands, for component j, for 2 |m| points x^_ij +- sqrt(|m|)
# l_t (l_t the columns of a square root of the conditional covariance),
# each of posterior weight r_ij / (2 |m|) in component j alone; their mean
# is x^_ij and their scatter adds the conditional covariance.
completed_as_rows <- function(x, posterior, parameters) {
  stats <- ref_completed(x, parameters)
  k <- ncol(posterior)
  rows <- list()
  weights <- list()
  for (i in seq_len(nrow(x))) {
    m <- which(is.na(x[i, ]))
    if (length(m) == 0L) {
      rows[[length(rows) + 1L]] <- x[i, ]
      weights[[length(weights) + 1L]] <- posterior[i, ]
      next
    }
    for (j in seq_len(k)) {
      root <- t(chol(stats$correction[m, m, i, j]))
      for (t in seq_along(m)) {
        for (sign in c(-1, 1)) {
          row <- stats$completed[i, , j]
          row[m] <- row[m] + sign * sqrt(length(m)) * root[, t]
          rows[[length(rows) + 1L]] <- row
          weights[[length(weights) + 1L]] <- replace(numeric(k), j,
                                                     posterior[i, j] / (2 * length(m)))
        }
      }
    }
  }
  list(x = do.call(rbind, rows), posterior = do.call(rbind, weights))
}

test_that("m_step() with missing values is that of the completed rows, every model", {
  x <- iris_mcar(0.15, seed = 10)
  p <- iris_correlated_start()
  posterior <- e_step(x, p, n_threads = 1)$posterior
  rows <- completed_as_rows(x, posterior, p)
  # Models without a closed-form M step iterate to a tolerance of 1.5e-8.
  iterative <- c("VEI", "VEE", "EVE", "VVE", "VEV")
  for (model in c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
                  "VEV", "EVV", "VVV")) {
    m <- m_step(x, posterior, model = model, n_threads = 1, parameters = p)
    expected <- m_step(rows$x, rows$posterior, model = model, n_threads = 1)
    tolerance <- if (model %in% iterative) 1e-7 else 1e-10
    expect_max_diff(m$proportions, expected$proportions, 1e-12, relative = TRUE)
    expect_max_diff(m$means, expected$means, 1e-10, relative = TRUE)
    expect_max_diff(m$covariances, expected$covariances, tolerance, relative = TRUE)
  }
  # And one EM iteration from the parameters of the posterior, for the
  # models whose M step EM takes exactly.
  control <- softmix_control(accelerate = FALSE, tol = 0, max_iter = 1, reg = 0)
  for (model in c("VII", "EVI", "EEE", "EVV", "VVV")) {
    em <- to_max_iter(softmix(x, init = p, model = model, control = control, n_threads = 1))
    m <- m_step(x, posterior, model = model, n_threads = 1, parameters = p)
    expect_max_diff(m$means, em$parameters$means, 1e-10, relative = TRUE)
    expect_max_diff(m$covariances, em$parameters$covariances, 1e-10, relative = TRUE)
  }
})

test_that("m_step() with missing values needs the parameters of the posterior", {
  x <- iris_mcar(0.1, seed = 11)
  p <- iris_start()
  posterior <- e_step(x, p, n_threads = 1)$posterior
  expect_error(m_step(x, posterior), "give those as `parameters`", class = "softmix_error")
  expect_error(m_step(x, posterior[, 1:2], parameters = p), "3 component\\(s\\) but `posterior`",
               class = "softmix_error")
  expect_error(m_step(x, posterior, parameters = list()), "mixture_params",
               class = "softmix_error")
  y <- x
  y[1, ] <- NA
  expect_error(m_step(y, posterior, parameters = p), "every value missing",
               class = "softmix_error")
  # Without missing values `parameters` changes nothing.
  complete <- as.matrix(iris[, 1:4])
  posterior <- e_step(complete, p, n_threads = 1)$posterior
  expect_identical(m_step(complete, posterior, n_threads = 1, parameters = p),
                   m_step(complete, posterior, n_threads = 1))
})

test_that("many patterns in 40 dimensions give the reference trace", {
  # 256 rows in one block with distinct patterns: more conditional
  # covariances than the block keeps, and the row-wise scatter of larger d.
  d <- 40
  x <- with_seed(12, matrix(stats::rnorm(256 * d), 256) + rep(c(0, 3), each = 128))
  with_seed(13, x[matrix(stats::runif(length(x)) < 0.5, nrow(x))] <- NA)
  x <- x[rowSums(!is.na(x)) > 0L, ]
  ar1 <- 0.5^abs(outer(1:d, 1:d, "-"))
  start <- mixture_params(c(0.3, 0.3, 0.4), rbind(rep(0, d), rep(3, d), rep(1.5, d)),
                          array(c(ar1, 1.5 * ar1, 2 * ar1), c(d, d, 3)))
  control <- softmix_control(accelerate = FALSE, tol = 0, max_iter = 2, reg = 0)
  for (model in c("VVV", "VII")) {
    fit <- to_max_iter(softmix(x, init = start, model = model, control = control,
                               n_threads = 1))
    expect_max_diff(fit$loglik_trace, ref_missing_trace(x, start, model, 2), 1e-9,
                    relative = TRUE)
  }
})

test_that("large data give the same fit and E step on 1 and 2 threads", {
  # Enough incomplete rows that their passes are shared between two threads.
  x <- with_seed(14, matrix(stats::rnorm(40000 * 5), ncol = 5) + 4 * sample(0:2, 40000, TRUE))
  with_seed(15, x[matrix(stats::runif(length(x)) < 0.3, nrow(x))] <- NA)
  x <- x[rowSums(!is.na(x)) > 0L, ]
  control <- softmix_control(max_iter = 5, tol = 0)
  one <- to_max_iter(with_seed(1, softmix(x, k = 3, init = "kmeans++", control = control,
                                          n_threads = 1)))
  two <- to_max_iter(with_seed(1, softmix(x, k = 3, init = "kmeans++", control = control,
                                          n_threads = 2)))
  expect_identical(one$loglik_trace, two$loglik_trace)
  expect_identical(one$parameters, two$parameters)
  expect_identical(one$posterior, two$posterior)
  expect_identical(e_step(x, one$parameters, n_threads = 1),
                   e_step(x, one$parameters, n_threads = 2))
  expect_identical(fitted(one, type = "imputed"), fitted(two, type = "imputed"))
})

test_that("augment() classifies new rows with missing values", {
  x <- iris_mcar(0.1, seed = 16)
  fit <- softmix(x, k = 2, n_threads = 1)
  new <- x[1:6, ]
  augmented <- generics::augment(fit, newdata = new)
  expect_equal(as.matrix(augmented[, c(".posterior_1", ".posterior_2")]),
               predict(fit, new, type = "posterior"), ignore_attr = TRUE)
})
