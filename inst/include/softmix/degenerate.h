// Degenerate fits: a component whose covariance only the ridge keeps
// positive definite, or that rests on too few points to have a covariance.
// Their log-likelihood is set by `reg`, not by the data (with reg -> 0 it
// grows without bound), so model selection reports them with no BIC, as
// mclust reports its singular fits, and never chooses them.
#ifndef SOFTMIX_DEGENERATE_H
#define SOFTMIX_DEGENERATE_H

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "data.h"
#include "missing.h"
#include "model.h"
#include "mstep.h"

namespace softmix {

// The ridge's share of a fitted variance at and above which a component is
// "singular but for the ridge". Healthy fits give shares of the order of
// reg (1e-6 by default) times the ratio of a column's variance to the
// component's variance along it; singular ones give about 1 (or more for the
// models whose estimate is not linear in the scatter, where the ridge enters
// before the estimate). On iris, faithful and mclust's diabetes and banknote
// (k = 1..9, every model, k-means++ and hc starts) the shares were below
// 0.02 or near 1 but for a few components on about d + 1 points (0.06 to
// 0.75); one half reads "the ridge supplies as much variance as the data".
constexpr double ridge_share_limit = 0.5;

// A larger reg than the default holds up sound but narrow components too
// (iris with reg = 0.01: the ridge supplies 57% of a variance of setosa), so
// the share must also say that the component's own variance in that
// direction is at most this fraction of the data's: with R = reg V (V the
// columns' variances) and Sigma = S + R, a share s means v'Sv / v'Vv =
// reg (1 - s) / s. The limit on the share is then
// max(1/2, reg / (reg + singular_variance_ratio)), one half up to the
// default reg = 1e-6.
constexpr double singular_variance_ratio = 1e-6;

// The share of the ridge at and above which a component is singular but for
// the ridge, for a ridge of reg times the columns' variances.
inline double ridge_share_threshold(double reg) {
  return std::max(ridge_share_limit, reg / (reg + singular_variance_ratio));
}

// A component "rests on" m points when its m largest responsibilities hold
// all but this fraction of its weight N_k. The points beyond them set its
// covariance off the affine hull of the m points only through stray weights,
// which EM drives to zero as the component narrows.
constexpr double collapse_weight_tolerance = 0.01;

// The largest eigenvalue of U' R U for the precision Cholesky factor U of
// a covariance Sigma (inverse(Sigma) = U U') and R = diag(ridge): the
// largest share max_v v'Rv / v'Sigma v of the variance in any direction
// that the ridge supplies.
inline double ridge_share(const arma::mat& precision_chol, const arma::vec& ridge) {
  const std::size_t d = precision_chol.n_rows;
  arma::mat scaled = precision_chol;
  for (std::size_t j = 0; j < d; ++j) {
    const double root = std::sqrt(ridge(j));
    for (std::size_t i = 0; i < d; ++i) scaled(j, i) *= root;  // row j of U times sqrt(r_j)
  }
  arma::vec values;
  if (!arma::eig_sym(values, transposed_product(scaled, scaled))) return 0.0;
  return values.is_empty() ? 0.0 : values(values.n_elem - 1);
}

// "" or, for the first component whose own estimate W_k / N_k + R of an M
// step's moments the ridge R holds up (its share of the variance in some
// direction at least `threshold`, see ridge_share_threshold()), why. The
// models fitted by MM steps (EVE, VVE) never settle while a component
// collapses under the ridge, each M step running its inner iterations to
// their cap, so EM stops there (see run_em()).
inline std::string ridge_held_component(const Moments& m, const arma::vec& ridge,
                                        double threshold) {
  const std::size_t d = m.means.n_rows, k = m.means.n_cols;
  arma::vec inverse_root(d);
  for (std::size_t j = 0; j < d; ++j) {
    if (!(ridge(j) > 0.0)) return "";
    inverse_root(j) = 1.0 / std::sqrt(ridge(j));
  }
  arma::mat whitened(d, d);
  arma::vec values;
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < d; ++i) {
        whitened(i, j) = m.scatter(i, j, c) * inverse_root(i) * inverse_root(j) / m.weight(c);
      }
    }
    // The ridge's share along an eigenvector with eigenvalue e is 1 / (1 + e).
    if (!arma::eig_sym(values, symmetric_upper(whitened)) || values.is_empty()) continue;
    const double share = 1.0 / (1.0 + std::max(0.0, values(0)));
    if (share >= threshold) {
      std::ostringstream msg;
      msg << "the covariance matrix of component " << c + 1
          << " is singular but for the ridge (`reg` supplies " << std::round(100.0 * share)
          << "% of its variance in some direction)";
      return msg.str();
    }
  }
  return "";
}

// The fewest points whose responsibilities hold all but
// collapse_weight_tolerance of a component's weight `total`, if at most
// `limit`; otherwise limit + 1. `largest` holds the component's `count`
// largest responsibilities, descending.
inline std::size_t points_holding_weight(const double* largest, std::size_t count, double total,
                                         std::size_t limit) {
  const std::size_t m = std::min(limit, count);
  double held = 0.0;
  for (std::size_t j = 0; j < m; ++j) {
    held += largest[j];
    if (held >= (1.0 - collapse_weight_tolerance) * total) return j + 1;
  }
  return limit + 1;
}

// The sum of n values (in four interleaved partial sums) and, in the same
// pass, the m largest of them (m <= n), descending, into `out`: past the
// first m, a value only enters if it beats the smallest kept, which with m
// at most d is rare and predictable.
inline double total_and_largest(const double* values, std::size_t n, std::size_t m, double* out) {
  double p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0;
  std::copy(values, values + m, out);
  std::sort(out, out + m, std::greater<double>());
  double smallest_kept = m > 0 ? out[m - 1] : std::numeric_limits<double>::infinity();
  const auto keep = [&](double v) {
    if (!(v > smallest_kept)) return;
    std::size_t j = m - 1;
    for (; j > 0 && out[j - 1] < v; --j) out[j] = out[j - 1];
    out[j] = v;
    smallest_kept = out[m - 1];
  };
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    p0 += values[i], p1 += values[i + 1], p2 += values[i + 2], p3 += values[i + 3];
    for (std::size_t l = i; l < i + 4; ++l) {
      if (l >= m) keep(values[l]);
    }
  }
  for (; i < n; ++i) {
    p0 += values[i];
    if (i >= m) keep(values[i]);
  }
  return (p0 + p1) + (p2 + p3);
}

// Models whose components have a free shape but share one volume (EVI, EVE,
// EVV): Sigma_k = lambda C_k with C_k proportional to the component's own
// estimate S_k (of the ridged scatter W_k / N_k + R, in the model's basis).
// The shared lambda can inflate a singular S_k in every direction, hiding
// the ridge's share; it is read on S_k = c_k Sigma_k instead, where
// c_k = tr(inverse(Sigma_k) (W_k / N_k + R)) / d (the trace needs only the
// diagonal in the basis that diagonalises Sigma_k).
inline bool shares_volume_only(Model model) {
  return model == Model::EVI || model == Model::EVE || model == Model::EVV;
}

// Models whose components have their own orientation and shape (VVV; EVV,
// which shares only the volume): a component on d or fewer points has a
// singular scatter there, whatever the ridge.
inline bool has_free_covariances(Model model) {
  return model == Model::VVV || model == Model::EVV;
}

// What degeneracy() reads of the rows at the fitted parameters, gathered
// from any split of them: per component, the largest weighted
// responsibilities (at most `limit`, d, descending, zero-padded) and their
// total; for shares_volume_only() models the statistics of the posterior
// (see accumulate()). Evidence of disjoint row sets merges exactly but for
// the order of the totals' and statistics' sums.
struct DegeneracyEvidence {
  std::size_t k = 0, limit = 0;
  std::vector<double> largest;  // limit x k, column-major
  std::vector<double> total;    // k
  std::vector<double> stats;    // empty when the model needs none

  // A flat vector [k, limit, largest, total, stats], to send between processes.
  std::vector<double> to_vector() const {
    std::vector<double> out{static_cast<double>(k), static_cast<double>(limit)};
    out.insert(out.end(), largest.begin(), largest.end());
    out.insert(out.end(), total.begin(), total.end());
    out.insert(out.end(), stats.begin(), stats.end());
    return out;
  }
  static DegeneracyEvidence from_vector(const std::vector<double>& v) {
    if (v.size() < 2) throw error("malformed degeneracy evidence");
    DegeneracyEvidence e;
    e.k = static_cast<std::size_t>(v[0]);
    e.limit = static_cast<std::size_t>(v[1]);
    const std::size_t head = 2 + e.k * e.limit + e.k;
    if (v.size() < head) throw error("malformed degeneracy evidence");
    e.largest.assign(v.begin() + 2, v.begin() + 2 + e.k * e.limit);
    e.total.assign(v.begin() + 2 + e.k * e.limit, v.begin() + head);
    e.stats.assign(v.begin() + head, v.end());
    return e;
  }
  // Adds the evidence of other rows.
  void merge(const DegeneracyEvidence& other) {
    if (other.k != k || other.limit != limit || other.stats.size() != stats.size()) {
      throw error("degeneracy evidence of different fits cannot be merged");
    }
    std::vector<double> both(2 * limit);
    for (std::size_t c = 0; c < k; ++c) {
      std::copy(largest.begin() + c * limit, largest.begin() + (c + 1) * limit, both.begin());
      std::copy(other.largest.begin() + c * limit, other.largest.begin() + (c + 1) * limit,
                both.begin() + limit);
      std::partial_sort(both.begin(), both.begin() + limit, both.end(), std::greater<double>());
      std::copy(both.begin(), both.begin() + limit, largest.begin() + c * limit);
      total[c] += other.total[c];
    }
    for (std::size_t e = 0; e < stats.size(); ++e) stats[e] += other.stats[e];
  }
};

// The evidence of x's rows: `posterior` is their n x K posterior under
// `params` (factorized, scaled units).
inline DegeneracyEvidence degeneracy_evidence(const Data& x, const arma::mat& posterior,
                                              const Params& params, Model model, int n_threads) {
  const std::size_t d = params.d(), k = params.k(), n = posterior.n_rows;
  DegeneracyEvidence e;
  e.k = k;
  e.limit = has_free_covariances(model) ? d : 0;
  e.largest.assign(e.limit * k, 0.0);
  e.total.assign(k, 0.0);
  if (e.limit > 0) {
    // With observation weights, a component's weight is that of w_i r_ik;
    // a row of any weight is still one point.
    std::vector<double> weighted(x.weights != nullptr ? n : 0);
    const std::size_t m = std::min(e.limit, n);
    for (std::size_t c = 0; c < k; ++c) {
      const double* r = posterior.colptr(c);
      if (x.weights != nullptr) {
        for (std::size_t i = 0; i < n; ++i) weighted[i] = x.weights[i] * r[i];
        r = weighted.data();
      }
      e.total[c] = total_and_largest(r, n, m, e.largest.data() + c * e.limit);
    }
  }
  // Volume factors c_k of shares_volume_only(), from the scatter under the
  // posterior (one pass over the data).
  if (shares_volume_only(model)) {
    const StatsLayout layout(d, k, scatter_for(model));
    e.stats =
        accumulate(x, layout, params.means, n_threads,
                   [&](const Kernels&, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
                     const std::size_t rows = end - begin;
                     for (std::size_t c = 0; c < k; ++c) {
                       double* out = ws.responsibility.data() + c * block_size;
                       std::memcpy(out, posterior.colptr(c) + begin, rows * sizeof(double));
                       std::fill(out + rows, out + block_size, 0.0);
                     }
                     return 0.0;
                   });
    if (x.missing != nullptr) {
      MissingOutput missing;
      missing.layout = &layout;
      missing.centres = &params.means;
      missing.stats = e.stats.data();
      missing_pass(x, params, missing, n_threads);
    }
  }
  return e;
}

// "" if the fit is sound, otherwise a message naming the first degenerate
// component (1-based). `params` (factorized) and `ridge` are in scaled
// units, as at the end of EM on `x`; `evidence` is that of every row under
// `params`. A fit is degenerate when
// (a) for some component, in some direction the ridge supplies at least
//     ridge_share_threshold(reg) of the fitted variance (for EVI, EVE and EVV of the
//     component's own estimate, see shares_volume_only()); for EII, VII the
//     ridge is the mean of `ridge`, as the M step adds it; or
// (b) for VVV and EVV, some component rests on d or fewer points (see
//     collapse_weight_tolerance).
// A shared covariance (EII, EEI, EEE) is one check, reported as the common one.
inline std::string degeneracy(const Data& x, const DegeneracyEvidence& evidence,
                              const Params& params, const arma::vec& ridge, Model model) {
  const std::size_t d = params.d(), k = params.k();
  std::ostringstream msg;
  if (has_free_covariances(model)) {
    for (std::size_t c = 0; c < k; ++c) {
      const std::size_t m = points_holding_weight(evidence.largest.data() + c * evidence.limit,
                                                  evidence.limit, evidence.total[c], d);
      if (m <= d) {
        msg << "component " << c + 1 << " rests on " << m << (m == 1 ? " point" : " points") << " ("
            << 100.0 * (1.0 - collapse_weight_tolerance)
            << "% of its weight), too few for a covariance in " << d << " dimensions";
        return msg.str();
      }
    }
  }
  // reg, from the ridge and the columns' variances it was made of.
  const arma::vec variance = scaled_ridge(x, 1.0);
  const double reg = sum_of(ridge) / sum_of(variance);
  if (!(reg > 0.0)) return "";  // nothing is held up by a ridge of zero
  const double threshold = ridge_share_threshold(reg);
  arma::vec model_ridge = ridge;
  if (model == Model::EII || model == Model::VII) {
    model_ridge.fill(sum_of(ridge) / static_cast<double>(d));
  }
  arma::vec volume_factor(k, arma::fill::ones);
  if (shares_volume_only(model)) {
    const StatsLayout layout(d, k, scatter_for(model));
    Moments moments;
    try {
      moments = moments_from_stats(evidence.stats, layout, params.means);
    } catch (const error& e) {
      return e.what();
    }
    for (std::size_t c = 0; c < k; ++c) {
      const arma::mat& u = params.precision_chol.slice(c);
      arma::mat scatter = moments.scatter.slice(c);
      if (model == Model::EVI) scatter = arma::diagmat(scatter);
      scatter /= moments.weight(c);
      for (std::size_t j = 0; j < d; ++j) scatter(j, j) += model_ridge(j);
      // tr(U' S U) = tr(inverse(Sigma) S).
      volume_factor(c) =
          arma::trace(product(transposed_product(u, scatter), u)) / static_cast<double>(d);
    }
  }
  const std::size_t checked = is_shared(model) ? 1 : k;
  for (std::size_t c = 0; c < checked; ++c) {
    const double share =
        ridge_share(params.precision_chol.slice(c), model_ridge) / volume_factor(c);
    if (share >= threshold) {
      if (is_shared(model)) {
        msg << "the common covariance matrix";
      } else {
        msg << "the covariance matrix of component " << c + 1;
      }
      // Above 1 for the models whose estimate is not linear in the scatter.
      msg << " is singular but for the ridge (`reg` supplies "
          << std::min(100.0, std::round(100.0 * share)) << "% of its variance in some direction)";
      return msg.str();
    }
  }
  return "";
}

// degeneracy() of the rows of x, whose n x K posterior under `params` is
// `posterior`.
inline std::string degeneracy(const Data& x, const arma::mat& posterior, const Params& params,
                              const arma::vec& ridge, Model model, int n_threads) {
  return degeneracy(x, degeneracy_evidence(x, posterior, params, model, n_threads), params, ridge,
                    model);
}

}  // namespace softmix

#endif  // SOFTMIX_DEGENERATE_H
