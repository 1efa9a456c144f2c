# Reference M steps in plain R for the covariance models with parts shared
# across components, written from the definitions in Celeux and Govaert
# (1995) without softmix's code: closed forms, alternating conditional
# estimates iterated far past softmix's tolerance, and for a common
# orientation (EVE, VVE) cyclic Jacobi rotations, each angle a root of the
# objective's derivative, instead of softmix's MM algorithm.

new_models <- c("VEI", "EVI", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV")
# mclust's order, as mclust.options("emModelNames") lists them.
all_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
                "VEV", "EVV", "VVV")

# Three groups in three dimensions with different volumes, shapes and
# orientations.
sim3_x <- with_seed(7, {
  rotation <- qr.Q(qr(matrix(stats::rnorm(9), 3, 3)))
  rbind(
    matrix(stats::rnorm(450), 150, 3),
    matrix(stats::rnorm(300), 100, 3) %*% diag(c(1.5, 0.8, 0.4)) %*% rotation +
      rep(c(3, 1, 0), each = 100),
    matrix(stats::rnorm(360), 120, 3) %*% diag(c(0.5, 1, 1.6)) +
      rep(c(-2, 3, 1), each = 120)
  )
})

# A soft start: one-hot k-means labels mixed with random weights.
soft_start <- function(x, k, seed = 1) {
  weights <- 0.8 * one_hot(kmeans_labels(x, k, seed)) + 0.2 * random_weights(nrow(x), k, seed)
  weights / rowSums(weights)
}

geometric_mean <- function(values) exp(mean(log(values)))

# W_k = N_k (weighted ML covariance + diag(ridge)) for each column of w.
ref_scatter <- function(x, w, ridge = 0) {
  lapply(seq_len(ncol(w)), function(j) {
    sum(w[, j]) * (ref_weighted_cov(x, w[, j]) + diag(ridge, ncol(x)))
  })
}

# -2 times the covariance part of the expected complete-data
# log-likelihood: sum_k N_k log det Sigma_k + tr(W_k Sigma_k^-1).
ref_m_objective <- function(scatter, n_k, covariances) {
  sum(vapply(seq_along(scatter), function(j) {
    sigma <- covariances[, , j]
    n_k[j] * as.numeric(determinant(sigma)$modulus) + sum(diag(solve(sigma, scatter[[j]])))
  }, numeric(1)))
}

# Volumes lambda_k and a common shape A (det 1) minimising
# sum_kj N_k log lambda_k + omega_kj / (lambda_k A_j): alternating exact
# conditional estimates until the shape stops changing.
ref_common_shape <- function(omega, n_k) {
  d <- nrow(omega)
  shape <- rep(1, d)
  for (iteration in 1:10000) {
    volume <- colSums(omega / shape) / (d * n_k)
    updated <- rowSums(sweep(omega, 2, volume, "/"))
    updated <- updated / geometric_mean(updated)
    change <- max(abs(updated - shape))
    shape <- updated
    if (change < 1e-14) break
  }
  list(shape = shape, volume = colSums(omega / shape) / (d * n_k))
}

# VEE: alternating C ~ sum_k W_k / lambda_k and lambda_k = tr(W_k C^-1) / (d N_k).
ref_vee <- function(scatter, n_k) {
  d <- nrow(scatter[[1]])
  volume <- rep(1, length(scatter))
  for (iteration in 1:10000) {
    common <- Reduce(`+`, Map(`/`, scatter, volume))
    common <- common / det(common)^(1 / d)
    updated <- vapply(seq_along(scatter), function(j) {
      sum(diag(solve(common, scatter[[j]]))) / (d * n_k[j])
    }, numeric(1))
    change <- max(abs(updated / volume - 1))
    volume <- updated
    if (change < 1e-14) break
  }
  lapply(volume, function(v) v * common)
}

# EVE and VVE: the orientation D minimising
#   EVE: N d log sum_k det(B_k)^(1/d),  VVE: sum_k N_k log det B_k,
# with B_k = diag(D' W_k D), by sweeps of plane rotations of columns j, l.
# Along a rotation by angle a only two diagonal entries change:
# b_j(a) = m + h cos 2a + t sin 2a and b_l(a) = m - h cos 2a - t sin 2a, with
# m, h, t from the 2 x 2 block of D' W_k D. The angle is the root of the
# objective's derivative, bracketed after a search by optimize().
ref_common_orientation <- function(scatter, n_k, equal_volume) {
  d <- nrow(scatter[[1]])
  k <- length(scatter)
  orientation <- eigen(Reduce(`+`, scatter), symmetric = TRUE)$vectors
  for (round in 1:500) {
    largest_angle <- 0
    for (j in 1:(d - 1)) {
      for (l in (j + 1):d) {
        rotated <- lapply(scatter, function(s) crossprod(orientation, s %*% orientation))
        b <- vapply(rotated, diag, numeric(d))
        mid <- vapply(rotated, function(r) (r[j, j] + r[l, l]) / 2, numeric(1))
        half <- vapply(rotated, function(r) (r[j, j] - r[l, l]) / 2, numeric(1))
        cross <- vapply(rotated, function(r) r[j, l], numeric(1))
        # The diagonals of every B_k after a rotation by angle a.
        at <- function(a) {
          b[j, ] <- mid + half * cos(2 * a) + cross * sin(2 * a)
          b[l, ] <- mid - half * cos(2 * a) - cross * sin(2 * a)
          b
        }
        objective <- function(a) {
          b_a <- at(a)
          if (equal_volume) {
            log(sum(apply(b_a, 2, geometric_mean)))
          } else {
            sum(n_k * colSums(log(b_a)))
          }
        }
        slope <- function(a) {
          b_a <- at(a)
          terms <- (-2 * half * sin(2 * a) + 2 * cross * cos(2 * a)) * (1 / b_a[j, ] - 1 / b_a[l, ])
          if (equal_volume) sum(apply(b_a, 2, geometric_mean) * terms) else sum(n_k * terms)
        }
        rough <- stats::optimize(objective, c(-pi / 4, pi / 4), tol = 1e-8)$minimum
        bracket <- rough + c(-1e-4, 1e-4)
        angle <- if (slope(bracket[1]) < 0 && slope(bracket[2]) > 0) {
          stats::uniroot(slope, bracket, tol = 1e-16)$root
        } else {
          rough
        }
        # Near the optimum the objective cannot tell tiny angles apart; the
        # root of its derivative still can.
        if (abs(angle) < 1e-4 || objective(angle) < objective(0)) {
          column_j <- orientation[, j]
          orientation[, j] <- cos(angle) * column_j + sin(angle) * orientation[, l]
          orientation[, l] <- -sin(angle) * column_j + cos(angle) * orientation[, l]
          largest_angle <- max(largest_angle, abs(angle))
        }
      }
    }
    if (largest_angle < 1e-12) break
  }
  b <- vapply(scatter, function(s) colSums(orientation * (s %*% orientation)), numeric(d))
  diagonal <- if (equal_volume) {
    volumes <- apply(b, 2, geometric_mean)
    sweep(b, 2, sum(volumes) / sum(n_k) / volumes, "*")
  } else {
    sweep(b, 2, n_k, "/")
  }
  lapply(seq_len(k), function(c) orientation %*% diag(diagonal[, c], d) %*% t(orientation))
}

# Covariances (d x d x K) of `model` from scatter matrices and weights N_k.
ref_covariances <- function(scatter, n_k, model) {
  d <- nrow(scatter[[1]])
  k <- length(scatter)
  total <- sum(n_k)
  eigens <- lapply(scatter, eigen, symmetric = TRUE)  # values in decreasing order
  covariances <- switch(model,
    EVI = {
      diagonals <- lapply(scatter, diag)
      volumes <- vapply(diagonals, geometric_mean, numeric(1))
      lapply(seq_len(k), function(j) diag(sum(volumes) / total * diagonals[[j]] / volumes[j], d))
    },
    EEV = {
      eigenvalues <- Reduce(`+`, lapply(eigens, `[[`, "values")) / total
      lapply(eigens, function(e) e$vectors %*% diag(eigenvalues, d) %*% t(e$vectors))
    },
    EVV = {
      volumes <- vapply(scatter, function(s) det(s)^(1 / d), numeric(1))
      Map(function(s, v) sum(volumes) / total * s / v, scatter, volumes)
    },
    VEI = {
      fit <- ref_common_shape(vapply(scatter, diag, numeric(d)), n_k)
      lapply(fit$volume, function(v) diag(v * fit$shape, d))
    },
    VEV = {
      fit <- ref_common_shape(vapply(eigens, `[[`, numeric(d), "values"), n_k)
      lapply(seq_len(k), function(j) {
        eigens[[j]]$vectors %*% diag(fit$volume[j] * fit$shape, d) %*% t(eigens[[j]]$vectors)
      })
    },
    VEE = ref_vee(scatter, n_k),
    EVE = ref_common_orientation(scatter, n_k, equal_volume = TRUE),
    VVE = ref_common_orientation(scatter, n_k, equal_volume = FALSE)
  )
  array(unlist(covariances), c(d, d, k))
}

# The whole reference M step, as ref_m_step() for the other models.
ref_m_step_shared <- function(x, w, model, reg = 0) {
  n_k <- colSums(w)
  means <- t(vapply(seq_len(ncol(w)), function(j) colSums(w[, j] * x) / n_k[j],
                    numeric(ncol(x))))
  list(
    proportions = n_k / sum(n_k),
    means = matrix(means, ncol(w), ncol(x)),
    covariances = ref_covariances(ref_scatter(x, w, ref_ridge(x, reg)), n_k, model)
  )
}
