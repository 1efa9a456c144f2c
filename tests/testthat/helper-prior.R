# # Plain-R reference for the M step under mclust's conjugate prior
#
# The specification that the C++ core's prior is written from, and the
# reference its tests compare with. Read from mclust 6.1.3 (src/mclust.f,
# subroutines ms1ep, ms1vp, mseiip, msviip, mseeip, msveip, msevip, msvvip,
# mseeep, mseevp, msvevp, msvvvp; R/mclust.R, mstepXXX and defaultPrior()),
# Fraley and Raftery (2007, J. Classification 24:155-181) for the prior.
# The lines of those subroutines that involve the prior (dof, scale,
# shrinkage, proportions) are the same in every mclust from 3.0-0 to 6.1.3;
# 5.4.6 only changed how constants are passed to BLAS.
#
# ## Notation
#
# x_i (i = 1..n rows), weights z_ik, K components, d dimensions.
# N_k = sum_i z_ik, N = sum_k N_k (= n when the rows of z sum to 1),
# xbar_k = sum_i z_ik x_i / N_k,
# W_k = sum_i z_ik (x_i - xbar_k)(x_i - xbar_k)'.
# Prior (defaultPrior()): kappa = shrinkage, mu_P = mean, nu = dof,
# Lambda = scale (d x d, ellipsoidal models) or s = scale (a scalar:
# diagonal, spherical and 1-D models). delta = 1 if kappa > 0, else 0.
# Shrunk mean:  mu_k = (N_k xbar_k + kappa mu_P) / (N_k + kappa).
# Shrinkage scatter:  S_k = kappa N_k / (N_k + kappa) (xbar_k - mu_P)(xbar_k - mu_P)'.
# S_k = sum_i z_ik (x_i - mu_k)(..)' + kappa (mu_k - mu_P)(..)' - W_k, so
# W_k + S_k is what the prior's quadratic forms leave at the shrunk mean.
# diag(M) is the vector of M's diagonal, or the diagonal matrix of a vector.
#
# ## Default prior (defaultPrior(data, G = K, modelName))
#
# kappa = 0.01; mu_P = column means; nu = d + 2 (3 in 1-D: E, V).
# scale: 1-D: var(x) / K^2.
#   EII VII EEI VEI EVI VVI: s = (1/K)^(2/d) sum_j var(x_j) / d (a scalar).
#   EEE EVE VEE VVE EEV VEV EVV VVV: Lambda = (1/K)^(2/d) var(x) if n > d,
#   else (1/K)^(2/d) diag(var(x_j)).
# defaultPrior() ignores a dof passed to priorControl() (it always sets
# d + 2 or 3); a mean needs shrinkage > 0 and shrinkage 0 or NA means 0.
#
# ## Proportions
#
# pi_k = N_k / n for every model, in every mclust version with a prior:
# there is no prior on the proportions (no Dirichlet term), so they are the
# ML ones, sum_i z_ik / n with n the number of rows.
#
# ## The twelve models mclust fits with a prior
#
# The denominators are exactly mclust's. "n" is the number of rows (mclust
# uses it in E and EEE), N = sum_k N_k (the others). Means are mu_k unless
# said otherwise.
#
#   E    sigma^2   = (s + sum_k (W_k + S_k)) / (nu + n + 2 + delta K)
#   V    sigma_k^2 = (s + W_k + S_k) / (nu + N_k + 2 + delta)
#   EII  sigma^2   = sum_k [tr(W_k + S_k) + N_k |xbar_k - mu_k|^2]
#                    / (nu + N d + 2 + delta K d)
#        (mclust quirk: s is never used, and the residuals are taken about
#        the shrunk mean mu_k, which adds N_k |xbar_k - mu_k|^2. The exact
#        MAP (exact = TRUE below) is (s + sum_k tr(W_k + S_k)) / (same).)
#   VII  sigma_k^2 = (s + tr(W_k + S_k)) / (nu + N_k d + 2 + delta d)
#   EEI  Sigma     = diag(s + sum_k diag(W_k + S_k)) / (nu + N + 2 + delta K)
#        (mclust quirk: the means returned are the unshrunk xbar_k; the
#        covariance is the one of the shrunk means. exact = TRUE: mu_k.)
#   VEI  b_kj = s + (W_k + S_k)_jj; Sigma_k = lambda_k diag(a), det diag(a) = 1:
#        from a = 1, lambda = 1, repeat
#          lambda_k = sum_j b_kj / a_j / (nu + N_k d + 2 + delta)
#          a_j      = sum_k b_kj / lambda_k;  a = a / geomean(a)
#          err = max(|lambda_old - lambda| / (1 + lambda), |a_old - a| / (1 + a))
#        while err > tol and iterations <= itmax (emControl()$tol[2] =
#        sqrt(.Machine$double.eps), itmax[2] = .Machine$integer.max).
#        Sigma_k uses the lambda_k of the last sweep (computed before the
#        last a). Note "+ delta", not "+ delta d" as in VII.
#   EVI  b_k = s + diag(W_k + S_k);
#        Sigma_k = diag(b_k) / geomean(b_k) * sum_l geomean(b_l) / (nu + N + 2 + delta K)
#   VVI  Sigma_k = diag(s + diag(W_k + S_k)) / (nu + N_k + 2 + delta)
#   EEE  Sigma   = (Lambda + sum_k (W_k + S_k)) / (nu + n + d + 1 + delta K)
#   EEV  mclust sets kappa to 0 ("if (pshrnk .gt. zero) pshrnk = zero",
#        there since 3.0-0): means xbar_k, no S_k, delta = 0.
#        B_k = Lambda + W_k = D_k diag(omega_k) D_k' (eigenvalues decreasing);
#        Sigma_k = D_k diag(sum_l omega_l) D_k' / (nu + d + 1 + N)
#   VEV  B_k = Lambda + W_k + S_k = D_k diag(omega_k) D_k'; nu is not used.
#        Start a = sum_k omega_k / geomean(.), lambda_k = geomean(sum_k omega_k) / N_k;
#        repeat
#          lambda_k = sum_j omega_kj / a_j / (N_k d)
#          a_j      = sum_k omega_kj / lambda_k;  a = a / geomean(a)
#          err as for VEI
#        while err >= tol and iterations < itmax.
#        Sigma_k = lambda_k D_k diag(a) D_k'
#   VVV  Sigma_k = (Lambda + W_k + S_k) / (nu + N_k + d + 1 + delta)
#
# Each of these maximises the expected complete-data log-likelihood plus
# the log prior that ref_log_prior() returns for the model (VEI and VEV to
# their inner tolerance), except mclust's EII and EEI's means: exact = TRUE
# gives the maximiser for those two. Up to a constant, with ld_k = log det Sigma_k and
# q_k = (mu_k - mu_P)' Sigma_k^-1 (mu_k - mu_P), -2 log prior is
#   E    (nu + 2) ld + s / sigma^2 + sum_k (delta ld_k + kappa q_k)
#   V    sum_k [(nu + 2 + delta) ld_k + s / sigma_k^2 + kappa q_k]
#   EII  (nu + 2) ld / d + s tr(Sigma^-1) / d + sum_k (delta ld_k + kappa q_k)
#   VII  sum_k [(nu + 2) ld_k / d + s tr(Sigma_k^-1) / d + delta ld_k + kappa q_k]
#   EEI  (nu + 2) ld + s tr(Sigma^-1) + sum_k (delta ld_k + kappa q_k)
#   VVI  sum_k [(nu + 2 + delta) ld_k + s tr(Sigma_k^-1) + kappa q_k]
#   EVI  (nu + 2) ld + sum_k [s tr(Sigma_k^-1) + delta ld_k + kappa q_k]
#   VEI  sum_k [(nu + 2 + delta) ld_k / d + s tr(Sigma_k^-1) + kappa q_k]
#   EEE  (nu + d + 1) ld + tr(Lambda Sigma^-1) + sum_k (delta ld_k + kappa q_k)
#   EEV  (nu + d + 1) ld + sum_k tr(Lambda Sigma_k^-1)          (kappa unused)
#   VEV  sum_k [tr(Lambda Sigma_k^-1) + kappa q_k]               (nu unused)
#   VVV  sum_k [(nu + d + 1 + delta) ld_k + tr(Lambda Sigma_k^-1) + kappa q_k]
# where a term without k (ld, Sigma) is the shared determinant or matrix,
# counted once. That is: an inverse-gamma(nu/2, s/2) on each variance (one
# per coordinate for diagonal models, one for a spherical sigma^2), an
# inverse-Wishart(nu, Lambda) for full matrices, counted once where the
# model shares the part and once per component where it does not, and
# mu_k | Sigma_k ~ N(mu_P, Sigma_k / kappa). mclust is not consistent about
# it: EVI and EEV add the scale once per component but the dof once, VEI's
# mean prior adds 1 (not d) to the count, VEV drops the dof.
#
# ## The four models without a prior in mclust (EVE, VEE, VVE, EVV)
#
# mclust 6.1.3's mstepEVE/VEE/EVV with a prior return zero covariances
# (VVE: NA) without a warning; there is nothing to match.
# The natural extension of VVV: a normal-inverse-Wishart prior on each
# (mu_k, Sigma_k), restricted to the model's parameter space. The objective
# maximised over (pi, mu, Sigma) in the model's space is
#   L = sum_k sum_i z_ik [log pi_k + log N(x_i; mu_k, Sigma_k)]
#       + sum_k [log N(mu_k; mu_P, Sigma_k / kappa) + log IW(Sigma_k; nu, Lambda)]
# with log IW(Sigma; nu, Lambda) = -(nu + d + 1)/2 log det Sigma
#   - tr(Lambda Sigma^-1)/2 + const (the mean's density is dropped when
# kappa = 0). For fixed Sigma_k the terms in mu_k are
#   -1/2 [(N_k + kappa)(mu_k - m)' Sigma_k^-1 (mu_k - m) + tr((W_k + S_k) Sigma_k^-1)]
# with m = (N_k xbar_k + kappa mu_P) / (N_k + kappa), so mu_k = m whatever
# the constraint on Sigma_k, pi_k = N_k / N (N_k / n as mclust computes it:
# the same when the rows of z sum to 1), and what is left is
#   L = const - 1/2 sum_k [c_k log det Sigma_k + tr(B_k Sigma_k^-1)],
#   B_k = Lambda + W_k + S_k,   c_k = N_k + nu + d + 1 + delta.
# That is the ML M step's objective with W_k -> B_k and N_k -> c_k, so the
# ML algorithms apply unchanged with those substitutions (VVV: B_k / c_k,
# mclust's formula). In the model's parametrisation:
#   EVV  Sigma_k = lambda C_k, det C_k = 1:
#        C_k = B_k / det(B_k)^(1/d), lambda = sum_k det(B_k)^(1/d) / sum_k c_k.
#   VEE  Sigma_k = lambda_k C, det C = 1, alternating exact conditional updates
#          C = M / det(M)^(1/d), M = sum_k B_k / lambda_k;
#          lambda_k = tr(B_k C^-1) / (d c_k).
#   EVE  Sigma_k = lambda D A_k D': given D, with b_k = diag(D' B_k D),
#          A_k = diag(b_k) / geomean(b_k), lambda = sum_k geomean(b_k) / sum_k c_k;
#   VVE  Sigma_k = lambda_k D A_k D': given D, lambda_k A_k = diag(b_k) / c_k;
#        D (EVE, VVE) minimises sum_k tr(D' B_k D M_k) with M_k =
#        (lambda_k A_k)^-1 fixed, by the MM steps of Browne and McNicholas
#        (2014) with G = sum_k (B_k - omega_k I) D0 M_k (omega_k the largest
#        eigenvalue of B_k), then G = sum_k B_k D0 (M_k - m_k I) (m_k the
#        largest entry of M_k): each time D = -U V' for G = U S V'.
# Shared parts count the dof once per component (sum_k c_k holds
# K (nu + d + 1 + delta)), unlike mclust's EEE, EVI and EEV, which count it
# once. -2 log prior (ref_log_prior()):
#   sum_k [(nu + d + 1 + delta) ld_k + tr(Lambda Sigma_k^-1) + kappa q_k].
# ref_m_step_prior(method = "optim") maximises L directly over an
# unconstrained parametrisation (means; log volumes; log shapes summing to
# 0; a det-1 Cholesky factor for C; a Cayley transform for D) by BFGS.

# Default prior -------------------------------------------------------------

prior_1d_models <- c("E", "V")
prior_diagonal_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI")
prior_mclust_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")
prior_new_models <- c("EVE", "VEE", "VVE", "EVV")

# mclust::defaultPrior(x, k, model, ...)'s values, except that a `dof`
# given here is used (defaultPrior() ignores it).
ref_default_prior <- function(x, k, model, shrinkage = 0.01, mean = NULL, dof = NULL,
                              scale = NULL) {
  one_d <- model %in% prior_1d_models
  if (one_d) x <- as.vector(x) else x <- as.matrix(x)
  d <- if (one_d) 1L else ncol(x)
  if (is.null(shrinkage) || is.na(shrinkage)) shrinkage <- 0
  if (shrinkage < 0) stop("negative value given for shrinkage")
  if (is.null(mean)) {
    mean <- if (one_d) base::mean(x) else colMeans(x)
  } else if (shrinkage == 0) {
    stop("prior mean specified but not shrinkage")
  }
  variances <- if (one_d) stats::var(x) else apply(x, 2, stats::var)
  if (is.null(dof)) dof <- if (one_d) 3 else d + 2
  if (is.null(scale)) {
    factor <- (1 / k)^(2 / d)
    scale <- if (one_d) {
      stats::var(x) / k^2
    } else if (model %in% prior_diagonal_models) {
      factor * sum(variances) / d
    } else if (nrow(x) > d) {
      factor * stats::var(x)
    } else {
      factor * diag(variances, d)
    }
  }
  list(shrinkage = shrinkage, mean = mean, dof = dof, scale = scale)
}

# Sufficient statistics -------------------------------------------------------

# N_k, xbar_k (K x d), W_k, the shrunk means mu_k (K x d) and S_k.
prior_statistics <- function(x, z, prior) {
  x <- as.matrix(x)
  z <- as.matrix(z)
  k <- ncol(z)
  n_k <- colSums(z)
  xbar <- crossprod(z, x) / n_k
  kappa <- prior$shrinkage
  mu_p <- as.vector(prior$mean)
  scatter <- lapply(seq_len(k), function(j) {
    centred <- sweep(x, 2, xbar[j, ]) * sqrt(z[, j])
    crossprod(centred)
  })
  shrinkage <- lapply(seq_len(k), function(j) {
    kappa * n_k[j] / (n_k[j] + kappa) * tcrossprod(xbar[j, ] - mu_p)
  })
  list(
    n = nrow(x), d = ncol(x), k = k, n_k = n_k, xbar = xbar,
    shrunk = (n_k * xbar + kappa * matrix(mu_p, k, ncol(x), byrow = TRUE)) / (n_k + kappa),
    scatter = scatter, shrinkage = shrinkage, delta = as.numeric(kappa > 0)
  )
}

# The decreasing eigenvalues and eigenvectors of a symmetric matrix.
symmetric_eigen <- function(m) eigen((m + t(m)) / 2, symmetric = TRUE)

# VEI's inner iteration as msveip runs it: b is d x K (b_kj in column k),
# `count` the K denominators.
prior_vei_iteration <- function(b, count, tol, itmax) {
  d <- nrow(b)
  shape <- rep(1, d)
  volume <- rep(1, ncol(b))
  inner <- 0
  repeat {
    if (min(shape) <= 0) break
    inner <- inner + 1
    old_volume <- volume
    volume <- colSums(b / shape) / count
    old_shape <- shape
    shape <- rowSums(sweep(b, 2, volume, "/"))
    shape <- shape / geometric_mean(shape)
    err <- max(abs(old_volume - volume) / (1 + volume), abs(old_shape - shape) / (1 + shape))
    if (!(err > tol && inner <= itmax)) break
  }
  list(volume = volume, shape = shape)
}

# VEV's inner iteration as msvevp runs it: omega is d x K (eigenvalues of
# B_k, decreasing, in column k).
prior_vev_iteration <- function(omega, n_k, tol, itmax) {
  d <- nrow(omega)
  shape <- rowSums(omega)
  volume <- geometric_mean(shape) / n_k
  shape <- shape / geometric_mean(shape)
  inner <- 0
  repeat {
    old_shape <- shape
    old_volume <- volume
    volume <- colSums(omega / old_shape) / (n_k * d)
    shape <- rowSums(sweep(omega, 2, volume, "/"))
    inner <- inner + 1
    shape <- shape / geometric_mean(shape)
    err <- max(abs(old_shape - shape) / (1 + shape), abs(volume - old_volume) / (1 + volume))
    if (!(err >= tol && inner < itmax)) break
  }
  list(volume = volume, shape = shape)
}

# Closed and MM forms for the four new models ----------------------------------

# Sum over k of c_k log det Sigma_k + tr(B_k Sigma_k^-1): -2 L up to a constant.
prior_profile_objective <- function(scatter, count, covariances) {
  sum(vapply(seq_along(scatter), function(j) {
    sigma <- covariances[[j]]
    count[j] * as.numeric(determinant(sigma)$modulus) + sum(diag(solve(sigma, scatter[[j]])))
  }, numeric(1)))
}

# The D minimising tr(D' G) over orthogonal D: -U V' for G = U S V'.
minimise_trace_rotation <- function(gradient) {
  s <- svd(gradient)
  -s$u %*% t(s$v)
}

# EVE and VVE: D by MM steps, the rest exact given D, until D changes by
# less than `tol` (largest entry) or `max_iter` iterations.
prior_common_orientation <- function(scatter, count, equal_volume, tol = 1e-13,
                                     max_iter = 50000) {
  d <- nrow(scatter[[1]])
  k <- length(scatter)
  largest <- vapply(scatter, function(b) symmetric_eigen(b)$values[1], numeric(1))
  orientation <- symmetric_eigen(Reduce(`+`, scatter))$vectors
  # d x K entries of D' Sigma_k D given D.
  diagonals_given <- function(orientation) {
    b <- vapply(scatter, function(s) colSums(orientation * (s %*% orientation)), numeric(d))
    b <- matrix(b, d, k)
    if (equal_volume) {
      volumes <- apply(b, 2, geometric_mean)
      sweep(b, 2, sum(volumes) / sum(count) / volumes, "*")
    } else {
      sweep(b, 2, count, "/")
    }
  }
  for (iteration in seq_len(max_iter)) {
    weights <- 1 / diagonals_given(orientation)
    gradient <- Reduce(`+`, lapply(seq_len(k), function(j) {
      (scatter[[j]] - diag(largest[j], d)) %*% orientation %*% diag(weights[, j], d)
    }))
    updated <- minimise_trace_rotation(gradient)
    gradient <- Reduce(`+`, lapply(seq_len(k), function(j) {
      scatter[[j]] %*% updated %*% diag(weights[, j] - max(weights[, j]), d)
    }))
    updated <- minimise_trace_rotation(gradient)
    # -U V' is unique up to nothing, but compare columns up to sign anyway.
    signs <- sign(colSums(updated * orientation))
    updated <- sweep(updated, 2, ifelse(signs == 0, 1, signs), "*")
    change <- max(abs(updated - orientation))
    orientation <- updated
    if (change < tol) break
  }
  diagonals <- diagonals_given(orientation)
  lapply(seq_len(k), function(j) orientation %*% diag(diagonals[, j], d) %*% t(orientation))
}

# Covariances (a list) of EVV, VEE, EVE or VVE from B_k and c_k.
prior_new_covariances <- function(scatter, count, model, tol = 1e-14) {
  d <- nrow(scatter[[1]])
  k <- length(scatter)
  switch(model,
    EVV = {
      volumes <- vapply(scatter, function(b) det(b)^(1 / d), numeric(1))
      lambda <- sum(volumes) / sum(count)
      Map(function(b, v) lambda * b / v, scatter, volumes)
    },
    VEE = {
      volume <- rep(1, k)
      for (iteration in 1:100000) {
        common <- Reduce(`+`, Map(`/`, scatter, volume))
        common <- common / det(common)^(1 / d)
        updated <- vapply(seq_len(k), function(j) {
          sum(diag(solve(common, scatter[[j]]))) / (d * count[j])
        }, numeric(1))
        change <- max(abs(updated / volume - 1))
        volume <- updated
        if (change < tol) break
      }
      lapply(volume, function(v) v * common)
    },
    EVE = prior_common_orientation(scatter, count, equal_volume = TRUE),
    VVE = prior_common_orientation(scatter, count, equal_volume = FALSE)
  )
}

# Direct numerical maximisation (four new models) -----------------------------

# Skew-symmetric d x d matrix from d (d - 1) / 2 values, and its Cayley
# transform (I - S)(I + S)^-1, a rotation.
cayley_rotation <- function(values, d) {
  skew <- matrix(0, d, d)
  skew[lower.tri(skew)] <- values
  skew <- skew - t(skew)
  solve(diag(d) + skew, diag(d) - skew)
}

# A d x d matrix of determinant 1 as L L', L lower triangular with log
# diagonal (l, -sum(l)) and free entries below: d (d + 1) / 2 - 1 values.
unit_det_matrix <- function(values, d) {
  log_diagonal <- values[seq_len(d - 1)]
  factor <- diag(exp(c(log_diagonal, -sum(log_diagonal))), d)
  factor[lower.tri(factor)] <- values[-seq_len(d - 1)]
  tcrossprod(factor)
}

# Log shapes of one component, d - 1 free values and their negated sum.
unit_shape <- function(values) exp(c(values, -sum(values)))

# Builds the K covariances of `model` from its unconstrained values; D0 is
# the orientation the Cayley transform starts from.
prior_build_covariances <- function(values, model, d, k, base_orientation) {
  n_unit <- d * (d + 1) / 2 - 1
  n_angles <- d * (d - 1) / 2
  take <- function(count) {
    out <- values[seq_len(count)]
    values <<- values[-seq_len(count)]
    out
  }
  switch(model,
    EVV = {
      lambda <- exp(take(1))
      lapply(seq_len(k), function(j) lambda * unit_det_matrix(take(n_unit), d))
    },
    VEE = {
      lambda <- exp(take(k))
      common <- unit_det_matrix(take(n_unit), d)
      lapply(lambda, function(l) l * common)
    },
    EVE = , VVE = {
      lambda <- exp(take(if (model == "EVE") 1 else k))
      lambda <- rep_len(lambda, k)
      shapes <- lapply(seq_len(k), function(j) unit_shape(take(d - 1)))
      orientation <- base_orientation %*% cayley_rotation(take(n_angles), d)
      lapply(seq_len(k), function(j) {
        orientation %*% diag(lambda[j] * shapes[[j]], d) %*% t(orientation)
      })
    }
  )
}

# The objective L: expected complete-data log-likelihood plus log prior,
# computed from the data (not from B_k), for parameters in K x d / d x d x K form.
ref_map_objective <- function(x, z, params, prior, model) {
  x <- as.matrix(x)
  d <- ncol(x)
  expected <- sum(vapply(seq_len(ncol(z)), function(j) {
    sigma <- matrix(params$covariances[, , j], d, d)
    centred <- sweep(x, 2, params$means[j, ])
    log_density <- -0.5 * (d * log(2 * pi) + as.numeric(determinant(sigma)$modulus) +
                             rowSums(centred * t(solve(sigma, t(centred)))))
    sum(z[, j] * (log(params$proportions[j]) + log_density))
  }, numeric(1)))
  expected + ref_log_prior(params, prior, model)
}

# Maximises ref_map_objective() over means and the model's covariances by
# BFGS from a start away from the optimum (ML means, pooled orientation).
prior_optim_m_step <- function(x, z, model, prior) {
  x <- as.matrix(x)
  d <- ncol(x)
  k <- ncol(z)
  stats <- prior_statistics(x, z, prior)
  pooled <- Reduce(`+`, stats$scatter) / sum(stats$n_k)
  base_orientation <- symmetric_eigen(pooled)$vectors
  n_unit <- d * (d + 1) / 2 - 1
  start_cov <- switch(model,
    EVV = c(log(det(pooled)^(1 / d)), rep(0, k * n_unit)),
    VEE = c(rep(log(det(pooled)^(1 / d)), k), rep(0, n_unit)),
    EVE = c(log(det(pooled)^(1 / d)), rep(0, k * (d - 1) + d * (d - 1) / 2)),
    VVE = c(rep(log(det(pooled)^(1 / d)), k), rep(0, k * (d - 1) + d * (d - 1) / 2))
  )
  proportions <- stats$n_k / sum(stats$n_k)
  params_of <- function(theta) {
    means <- matrix(theta[seq_len(k * d)], k, d)
    covariances <- prior_build_covariances(theta[-seq_len(k * d)], model, d, k,
                                           base_orientation)
    list(proportions = proportions, means = means,
         covariances = array(unlist(covariances), c(d, d, k)))
  }
  # Inf where a covariance is singular: BFGS then shortens its step.
  negative <- function(theta) {
    value <- tryCatch(-ref_map_objective(x, z, params_of(theta), prior, model),
                      error = function(e) Inf)
    if (is.finite(value)) value else Inf
  }
  theta <- c(as.vector(stats$xbar), start_cov)
  control <- list(maxit = 10000, reltol = 1e-16, ndeps = rep(1e-6, length(theta)))
  # Restarts refresh BFGS's Hessian approximation.
  for (round in 1:4) theta <- stats::optim(theta, negative, method = "BFGS", control = control)$par
  params_of(theta)
}

# The M step -------------------------------------------------------------------

# The M step under the prior: mclust::mstep(x, model, z, prior = <prior>)'s
# parameters for the 10 + 2 models mclust supports (exact = FALSE), the
# maximiser of ref_map_objective() for EVE, VEE, VVE and EVV (closed/MM
# form, or by optim with method = "optim"). exact = TRUE gives the exact
# maximiser of ref_map_objective() for EII and EEI too, where mclust's
# M step is not one (see the header).
ref_m_step_prior <- function(x, z, model, prior, exact = FALSE,
                             method = c("closed", "optim"), tol = sqrt(.Machine$double.eps),
                             itmax = .Machine$integer.max) {
  method <- match.arg(method)
  x <- as.matrix(x)
  z <- as.matrix(z)
  if (method == "optim") {
    stopifnot(model %in% prior_new_models)
    return(prior_optim_m_step(x, z, model, prior))
  }
  st <- prior_statistics(x, z, prior)
  d <- st$d
  k <- st$k
  n_k <- st$n_k
  nu <- prior$dof
  delta <- st$delta
  scale <- prior$scale
  means <- st$shrunk
  # W_k + S_k, the scatter about the shrunk mean with the prior's part.
  total <- Map(`+`, st$scatter, st$shrinkage)
  diagonal <- vapply(total, diag, numeric(d))
  diagonal <- matrix(diagonal, d, k)
  covariances <- switch(model,
    E = rep(list((scale + sum(unlist(total))) / (nu + st$n + 2 + delta * k)), k),
    V = lapply(seq_len(k), function(j) (scale + total[[j]]) / (nu + n_k[j] + 2 + delta)),
    EII = {
      traces <- colSums(diagonal)
      numerator <- if (exact) {
        scale + sum(traces)
      } else {
        sum(traces) + sum(n_k * rowSums((st$xbar - st$shrunk)^2))
      }
      rep(list(diag(numerator / (nu + sum(n_k) * d + 2 + delta * k * d), d)), k)
    },
    VII = lapply(seq_len(k), function(j) {
      diag((scale + sum(diagonal[, j])) / (nu + n_k[j] * d + 2 + delta * d), d)
    }),
    EEI = {
      if (!exact) means <- st$xbar
      rep(list(diag((scale + rowSums(diagonal)) / (nu + sum(n_k) + 2 + delta * k), d)), k)
    },
    VEI = {
      fit <- prior_vei_iteration(scale + diagonal, nu + n_k * d + 2 + delta, tol, itmax)
      lapply(fit$volume, function(v) diag(v * fit$shape, d))
    },
    EVI = {
      b <- scale + diagonal
      volumes <- apply(b, 2, geometric_mean)
      lambda <- sum(volumes) / (nu + sum(n_k) + 2 + delta * k)
      lapply(seq_len(k), function(j) diag(lambda * b[, j] / volumes[j], d))
    },
    VVI = lapply(seq_len(k), function(j) {
      diag((scale + diagonal[, j]) / (nu + n_k[j] + 2 + delta), d)
    }),
    EEE = rep(list((scale + Reduce(`+`, total)) / (nu + st$n + d + 1 + delta * k)), k),
    EEV = {
      means <- st$xbar
      eigens <- lapply(st$scatter, function(w) symmetric_eigen(scale + w))
      values <- Reduce(`+`, lapply(eigens, `[[`, "values")) / (nu + d + 1 + sum(n_k))
      lapply(eigens, function(e) e$vectors %*% diag(values, d) %*% t(e$vectors))
    },
    VEV = {
      eigens <- lapply(total, function(w) symmetric_eigen(scale + w))
      omega <- matrix(vapply(eigens, `[[`, numeric(d), "values"), d, k)
      fit <- prior_vev_iteration(omega, n_k, tol, itmax)
      lapply(seq_len(k), function(j) {
        eigens[[j]]$vectors %*% diag(fit$volume[j] * fit$shape, d) %*% t(eigens[[j]]$vectors)
      })
    },
    VVV = lapply(seq_len(k), function(j) (scale + total[[j]]) / (nu + n_k[j] + d + 1 + delta)),
    EVE = , VEE = , VVE = , EVV = prior_new_covariances(
      lapply(total, function(w) scale + w), n_k + nu + d + 1 + delta, model
    ),
    stop("unknown model ", model)
  )
  list(
    proportions = n_k / st$n,
    means = matrix(means, k, d),
    covariances = array(unlist(covariances), c(d, d, k))
  )
}

# The log prior ---------------------------------------------------------------

# The log prior density of `params` (proportions, means K x d, covariances
# d x d x K) up to a constant, as the header's table gives it for each model:
# the prior whose posterior mode ref_m_step_prior() computes.
ref_log_prior <- function(params, prior, model) {
  covariances <- params$covariances
  d <- dim(covariances)[1]
  k <- dim(covariances)[3]
  means <- matrix(params$means, k, d)
  nu <- prior$dof
  kappa <- prior$shrinkage
  delta <- as.numeric(kappa > 0)
  scale <- prior$scale
  sigma <- lapply(seq_len(k), function(j) matrix(covariances[, , j], d, d))
  inverse <- lapply(sigma, solve)
  ld <- vapply(sigma, function(s) as.numeric(determinant(s)$modulus), numeric(1))
  q <- vapply(seq_len(k), function(j) {
    r <- means[j, ] - as.vector(prior$mean)
    sum(r * (inverse[[j]] %*% r))
  }, numeric(1))
  # s tr(Sigma_k^-1) or tr(Lambda Sigma_k^-1).
  scale_term <- vapply(inverse, function(i) {
    if (length(scale) > 1) sum(scale * i) else scale * sum(diag(i))
  }, numeric(1))
  mean_term <- sum(delta * ld + kappa * q)
  shared_ld <- mean(ld)
  shared_scale <- mean(scale_term)
  minus_twice <- switch(model,
    E = (nu + 2) * shared_ld + shared_scale + mean_term,
    V = sum((nu + 2) * ld + scale_term) + mean_term,
    EII = (nu + 2) * shared_ld / d + shared_scale / d + mean_term,
    VII = sum((nu + 2) * ld / d + scale_term / d) + mean_term,
    EEI = (nu + 2) * shared_ld + shared_scale + mean_term,
    VVI = sum((nu + 2) * ld + scale_term) + mean_term,
    EVI = (nu + 2) * shared_ld + sum(scale_term) + mean_term,
    VEI = sum((nu + 2 + delta) * ld / d + scale_term + kappa * q),
    EEE = (nu + d + 1) * shared_ld + shared_scale + mean_term,
    EEV = (nu + d + 1) * shared_ld + sum(scale_term),
    VEV = sum(scale_term + kappa * q),
    VVV = , EVE = , VEE = , VVE = , EVV = sum((nu + d + 1) * ld + scale_term) + mean_term,
    stop("unknown model ", model)
  )
  -minus_twice / 2
}
