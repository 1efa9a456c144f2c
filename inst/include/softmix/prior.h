// The conjugate prior of Fraley and Raftery (2007), as mclust's
// priorControl() applies it: a normal prior on each mean given its
// covariance, and an inverse-Wishart (ellipsoidal models) or inverse-gamma
// (diagonal, spherical and one-dimensional models) prior on the covariance
// parameters. The M step becomes the posterior mode, exactly as mclust
// computes it for its ten models with a prior (denominators and all), and
// for EVE, VEE, VVE and EVV the mode of a normal-inverse-Wishart prior on
// each (mu_k, Sigma_k): the maximum likelihood step with the scatter W_k
// replaced by Lambda + W_k + S_k and the count N_k by N_k + nu + d + 1 +
// delta. The formulas are spelt out in tests/testthat/helper-prior.R.
#ifndef SOFTMIX_PRIOR_H
#define SOFTMIX_PRIOR_H

#include <armadillo>

#include <cmath>
#include <vector>

#include "model.h"

namespace softmix {

struct Prior {
  double shrinkage = 0.0;     // kappa
  arma::vec mean;             // mu_P
  double dof = 0.0;           // nu
  arma::mat scale;            // Lambda (d x d), for ellipsoidal models
  double scale_scalar = 0.0;  // s, for diagonal, spherical and 1-D models
  // mclust's default scale is the data's divided by K^(2/d): the scales
  // here are then multiplied by (1 / K)^(2 / d) for a fit of K components.
  bool scale_per_component = false;
};

// The prior in units where the data are multiplied by `factor` (one per
// column); a scale is multiplied by one factor, then the other, as in
// rescale().
inline Prior rescale_prior(const Prior& prior, const arma::vec& factor) {
  Prior out = prior;
  for (arma::uword j = 0; j < out.mean.n_elem; ++j) out.mean(j) *= factor(j);
  for (arma::uword j = 0; j < out.scale.n_cols; ++j) {
    for (arma::uword i = 0; i < out.scale.n_rows; ++i) {
      out.scale(i, j) = out.scale(i, j) * factor(i) * factor(j);
    }
  }
  // A scalar scale is a variance; softmix scales every column alike.
  if (factor.n_elem > 0) out.scale_scalar = out.scale_scalar * factor(0) * factor(0);
  return out;
}

// The factor of the scales for K components in d dimensions.
inline double prior_scale_factor(const Prior& prior, std::size_t k, std::size_t d) {
  if (!prior.scale_per_component) return 1.0;
  return std::pow(1.0 / static_cast<double>(k), 2.0 / static_cast<double>(d));
}

// -2 times the log prior density of `params` (factorized), up to a
// constant, as each model's M step maximises it (see helper-prior.R).
inline double minus_two_log_prior(const Params& params, const Prior& prior, Model model) {
  const std::size_t d = params.d(), k = params.k();
  const double dd = static_cast<double>(d);
  const double f = prior_scale_factor(prior, k, d);
  const double s = prior.scale_scalar * f;
  const double nu = prior.dof;
  const double kappa = prior.shrinkage;
  const double delta = kappa > 0.0 ? 1.0 : 0.0;
  std::vector<double> ld(k), q(k), trace_inverse(k), trace_scale(k);
  arma::vec diff(d);
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat& u = params.precision_chol.slice(c);  // U U' = inverse(Sigma)
    ld[c] = -2.0 * params.log_det_chol(c);
    for (std::size_t j = 0; j < d; ++j) diff(j) = params.means(j, c) - prior.mean(j);
    double qc = 0.0, ti = 0.0;
    for (std::size_t i = 0; i < d; ++i) {
      double z = 0.0;
      for (std::size_t j = 0; j <= i; ++j) {
        z += u(j, i) * diff(j);
        ti += u(j, i) * u(j, i);
      }
      qc += z * z;
    }
    q[c] = qc;
    trace_inverse[c] = ti;
    if (prior.scale.n_elem == d * d) {
      // tr(Lambda inverse(Sigma)) = tr(U' Lambda U) = sum_i u_i' Lambda u_i
      // over the columns u_i of U, whose entries below row i are zero.
      double trace = 0.0;
      for (std::size_t i = 0; i < d; ++i) {
        for (std::size_t a = 0; a <= i; ++a) {
          double row = 0.0;
          for (std::size_t b = 0; b <= i; ++b) row += prior.scale(a, b) * u(b, i);
          trace += u(a, i) * row;
        }
      }
      trace_scale[c] = f * trace;
    }
  }
  double total = 0.0;
  const auto shared_means = [&]() {
    double sum = 0.0;
    for (std::size_t c = 0; c < k; ++c) sum += delta * ld[c] + kappa * q[c];
    return sum;
  };
  if (d == 1 && (model == Model::EII || model == Model::VII)) {
    if (model == Model::EII) return (nu + 2.0) * ld[0] + s * trace_inverse[0] + shared_means();
    for (std::size_t c = 0; c < k; ++c) {
      total += (nu + 2.0 + delta) * ld[c] + s * trace_inverse[c] + kappa * q[c];
    }
    return total;
  }
  switch (model) {
    case Model::EII:
      return (nu + 2.0) * ld[0] / dd + s * trace_inverse[0] / dd + shared_means();
    case Model::VII:
      for (std::size_t c = 0; c < k; ++c) {
        total += (nu + 2.0) * ld[c] / dd + s * trace_inverse[c] / dd + delta * ld[c] + kappa * q[c];
      }
      return total;
    case Model::EEI: {
      double quadratic = 0.0;
      for (std::size_t c = 0; c < k; ++c) quadratic += kappa * q[c];
      return (nu + 1.0 + delta) * ld[0] + s * trace_inverse[0] + quadratic;
    }
    case Model::VVI:
      for (std::size_t c = 0; c < k; ++c) {
        total += (nu + 2.0 + delta) * ld[c] + s * trace_inverse[c] + kappa * q[c];
      }
      return total;
    case Model::EVI:
      total = (nu + 1.0 + delta) * ld[0];
      for (std::size_t c = 0; c < k; ++c) total += s * trace_inverse[c] + kappa * q[c];
      return total;
    case Model::VEI:
      for (std::size_t c = 0; c < k; ++c) {
        total += (nu + 2.0 + delta) * ld[c] / dd + s * trace_inverse[c] + kappa * q[c];
      }
      return total;
    case Model::EEE:
      return (nu + dd + 1.0) * ld[0] + trace_scale[0] + shared_means();
    case Model::EEV:
      total = (nu + dd + 1.0 + delta) * ld[0];
      for (std::size_t c = 0; c < k; ++c) total += trace_scale[c] + kappa * q[c];
      return total;
    case Model::VEV:
      for (std::size_t c = 0; c < k; ++c) total += trace_scale[c] + kappa * q[c];
      return total;
    default:  // VVV, and EVE, VEE, VVE, EVV
      for (std::size_t c = 0; c < k; ++c) {
        total += (nu + dd + 1.0 + delta) * ld[c] + trace_scale[c] + kappa * q[c];
      }
      return total;
  }
}

}  // namespace softmix

#endif  // SOFTMIX_PRIOR_H
