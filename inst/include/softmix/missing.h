// Rows with missing values: their E step on the observed coordinates and
// their completed statistics, added to those the fused kernel accumulates
// from the complete rows.
//
// For row i with observed coordinates o and missing m, component k:
//   log r_ik ~ log pi_k + log N(x_o | mu_k,o, Sigma_k,oo),
//   E[x_m | x_o, k] = mu_k,m + Sigma_k,mo Sigma_k,oo^-1 (x_o - mu_k,o),
//   Cov[x_m | x_o, k] = Sigma_k,mm - Sigma_k,mo Sigma_k,oo^-1 Sigma_k,om.
// The M step's statistics are those of the completed row x^_ik (observed
// values, conditional means) with the conditional covariance added to the
// scatter, so every covariance model gets its exact EM update from them.
// With L L' = Sigma_k,oo and z = L^-1 (x_o - mu_k,o), the quadratic form is
// z'z, and with V = L^-1 Sigma_k,om the conditional mean is mu_k,m + V'z and
// the conditional covariance Sigma_k,mm - V'V: one triangular solve a row.
//
// The rows are visited serially, pattern by pattern, in their fixed order,
// so the sums do not depend on the number of threads.
#ifndef SOFTMIX_MISSING_H
#define SOFTMIX_MISSING_H

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "data.h"
#include "estep.h"
#include "mstep.h"

namespace softmix {

// One component's factors on one missingness pattern, in scaled units,
// column-major in buffers kept from pattern to pattern: a pass meets
// hundreds of patterns, each with a few rows, so these are plain loops on
// q, |m| <= d without temporaries.
struct PatternFactors {
  std::vector<double> chol;         // q x q lower triangular, L L' = Sigma_oo
  double log_density_offset = 0.0;  // log pi - q log(2 pi) / 2 - sum log L_jj
  std::vector<double> v;            // q x |m|: L^-1 Sigma_om
  std::vector<double> conditional;  // |m| x |m|: Sigma_mm - V'V
};

inline void pattern_factors(const Params& p, std::size_t c, const MissingPattern& pattern,
                            PatternFactors& f) {
  const arma::mat& sigma = p.covariances.slice(c);
  const auto& o = pattern.observed;
  const auto& m = pattern.missing;
  const std::size_t q = o.size(), mm = m.size();
  f.chol.assign(q * q, 0.0);
  f.v.resize(q * mm);
  f.conditional.resize(mm * mm);
  double* l = f.chol.data();
  // Cholesky-Banachiewicz, reading Sigma's upper triangle.
  const auto entry = [&](std::size_t a, std::size_t b) {
    return a <= b ? sigma.at(a, b) : sigma.at(b, a);
  };
  for (std::size_t a = 0; a < q; ++a) {
    for (std::size_t b = 0; b <= a; ++b) {
      double sum = entry(o[a], o[b]);
      for (std::size_t t = 0; t < b; ++t) sum -= l[a + t * q] * l[b + t * q];
      if (a == b) {
        if (!(sum > 0.0) || !std::isfinite(sum)) {
          throw error("the covariance matrix of component " + std::to_string(c + 1) +
                      " is not positive definite on the observed variables of an incomplete row");
        }
        l[a + a * q] = std::sqrt(sum);
      } else {
        l[a + b * q] = sum / l[b + b * q];
      }
    }
  }
  f.log_density_offset = std::log(p.proportions(c)) - 0.5 * static_cast<double>(q) * log_two_pi;
  for (std::size_t a = 0; a < q; ++a) f.log_density_offset -= std::log(l[a + a * q]);
  // V = L^-1 Sigma_om, column by column.
  for (std::size_t b = 0; b < mm; ++b) {
    double* column = f.v.data() + b * q;
    for (std::size_t a = 0; a < q; ++a) {
      double sum = entry(o[a], m[b]);
      for (std::size_t t = 0; t < a; ++t) sum -= l[a + t * q] * column[t];
      column[a] = sum / l[a + a * q];
    }
  }
  for (std::size_t b = 0; b < mm; ++b) {
    for (std::size_t a = 0; a < mm; ++a) {
      double sum = entry(m[a], m[b]);
      const double* va = f.v.data() + a * q;
      const double* vb = f.v.data() + b * q;
      for (std::size_t t = 0; t < q; ++t) sum -= va[t] * vb[t];
      f.conditional[a + b * mm] = sum;
    }
  }
}

// Where a pass over the incomplete rows writes; every pointer may be null.
struct MissingOutput {
  // Statistics in `layout`, centred on `centres` (d x K), added to `stats`.
  const StatsLayout* layout = nullptr;
  const arma::mat* centres = nullptr;
  double* stats = nullptr;
  // Column-major posterior with `stride` rows; row n_rows + r for incomplete row r.
  double* posterior = nullptr;
  std::size_t stride = 0;
  // Each row's log mixture density (scaled units), at index n_rows + r.
  double* log_mixture = nullptr;
  // m x d: each incomplete row with its missing values replaced by the
  // conditional mean mixed over the components, sum_k r_ik x^_ik (scaled units).
  arma::mat* imputed = nullptr;
};

// Scratch for one thread's share of a pass over the incomplete rows.
struct MissingScratch {
  std::vector<double> log_density, responsibility, diff, z, completed, observed, pattern_weight;
  std::vector<PatternFactors> factors;
  std::vector<long> missing_position;
  MissingScratch(std::size_t d, std::size_t k)
      : log_density(k),
        responsibility(k),
        diff(d),
        z(d),
        completed(d * k),
        observed(d),
        pattern_weight(k),
        factors(k),
        missing_position(d) {}
};

// Rows [begin, end) of pattern `pattern`: their E step, and their statistics
// added to `partial` (in out.layout, partial[0] the log-likelihood). `packed`
// maps entry (i, j), i <= j, of a full moment to its place (see kernels.h).
inline void missing_segment(const Data& x, const Params& p, const MissingOutput& out,
                            const MissingPattern& pattern, std::size_t begin, std::size_t end,
                            const std::vector<std::size_t>& packed, MissingScratch& ws,
                            double* partial) {
  const std::size_t d = x.n_cols, k = p.k();
  const MissingRows& rows = *x.missing;
  const StatsLayout* layout = out.layout;
  const std::size_t q = pattern.observed.size(), mm = pattern.missing.size();
  const double* means = p.means.memptr();
  for (std::size_t c = 0; c < k; ++c) pattern_factors(p, c, pattern, ws.factors[c]);
  std::fill(ws.missing_position.begin(), ws.missing_position.end(), -1L);
  for (std::size_t a = 0; a < mm; ++a)
    ws.missing_position[pattern.missing[a]] = static_cast<long>(a);
  std::fill(ws.pattern_weight.begin(), ws.pattern_weight.end(), 0.0);
  double* diff = ws.diff.data();
  double* z = ws.z.data();
  double* observed = ws.observed.data();
  double* log_density = ws.log_density.data();
  double* responsibility = ws.responsibility.data();
  for (std::size_t r = begin; r < end; ++r) {
    const std::size_t global = x.n_rows + r;
    // The row's observed values, scaled, read once for every component.
    for (std::size_t a = 0; a < q; ++a) {
      const std::size_t j = pattern.observed[a];
      observed[a] = rows.values.at(r, j) * x.inverse_scale[j];
    }
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
      const PatternFactors& f = ws.factors[c];
      const double* chol = f.chol.data();  // column-major, q x q
      const double* v = f.v.data();        // column-major, q x mm
      const double* mean = means + c * d;
      for (std::size_t a = 0; a < q; ++a) diff[a] = observed[a] - mean[pattern.observed[a]];
      double quad = 0.0;
      for (std::size_t a = 0; a < q; ++a) {
        double sum = diff[a];
        for (std::size_t b = 0; b < a; ++b) sum -= chol[a + b * q] * z[b];
        z[a] = sum / chol[a + a * q];
        quad += z[a] * z[a];
      }
      log_density[c] = f.log_density_offset - 0.5 * quad;
      top = std::max(top, log_density[c]);
      double* xhat = ws.completed.data() + c * d;
      for (std::size_t a = 0; a < q; ++a) xhat[pattern.observed[a]] = observed[a];
      for (std::size_t b = 0; b < mm; ++b) {
        double sum = mean[pattern.missing[b]];
        const double* column = v + b * q;
        for (std::size_t a = 0; a < q; ++a) sum += column[a] * z[a];
        xhat[pattern.missing[b]] = sum;
      }
    }
    double own;
    if (top == -std::numeric_limits<double>::infinity()) {
      // No component has any density here; the log-likelihood says so.
      own = top;
      std::size_t best = 0;
      for (std::size_t c = 0; c < k; ++c) {
        if (p.proportions(c) > 0.0 && !(p.proportions(best) > 0.0)) best = c;
      }
      for (std::size_t c = 0; c < k; ++c) responsibility[c] = c == best;
    } else {
      double sum = 0.0;
      for (std::size_t c = 0; c < k; ++c) {
        responsibility[c] = std::exp(log_density[c] - top);
        sum += responsibility[c];
      }
      for (std::size_t c = 0; c < k; ++c) responsibility[c] /= sum;
      own = top + std::log(sum);
    }
    if (x.labels != nullptr && x.labels[global] != unlabelled) {
      const std::uint32_t label = x.labels[global];
      for (std::size_t c = 0; c < k; ++c) responsibility[c] = c == label;
      own = log_density[label];
    }
    const double w = x.weight(global);
    if (w != 0.0) partial[0] += w * own;
    if (out.log_mixture != nullptr) out.log_mixture[global] = own;
    if (out.posterior != nullptr) {
      for (std::size_t c = 0; c < k; ++c)
        out.posterior[c * out.stride + global] = responsibility[c];
    }
    if (out.imputed != nullptr) {
      for (std::size_t j = 0; j < d; ++j) {
        double sum = 0.0;
        for (std::size_t c = 0; c < k; ++c) sum += responsibility[c] * ws.completed[c * d + j];
        (*out.imputed)(r, j) = ws.missing_position[j] < 0 ? ws.completed[j] : sum;
      }
    }
    if (layout == nullptr) continue;
    for (std::size_t c = 0; c < k; ++c) {
      const double rw = responsibility[c] * w;
      if (rw == 0.0) continue;
      const double* xhat = ws.completed.data() + c * d;
      const double* centre = out.centres->colptr(c);
      partial[layout->weight + c] += rw;
      ws.pattern_weight[c] += rw;
      double* sums = partial + layout->sum + c * d;
      for (std::size_t j = 0; j < d; ++j) {
        diff[j] = rw * (xhat[j] - centre[j]);
        sums[j] += diff[j];
      }
      if (layout->scatter == Scatter::full) {
        // A_k += x^ (r (x^ - c))', upper triangle (see moments_from_stats());
        // the conditional covariance follows once per segment.
        double* moment = partial + layout->moment + c * packed_moment_length(d);
        for (std::size_t j = 0; j < d; ++j) {
          const double dj = diff[j];
          const std::size_t* index = packed.data() + j * d;
          for (std::size_t i = 0; i <= j; ++i) moment[index[i]] += xhat[i] * dj;
        }
      } else if (layout->scatter == Scatter::diagonal) {
        double* moment = partial + layout->moment + c * d;
        for (std::size_t j = 0; j < d; ++j) moment[j] += diff[j] * (xhat[j] - centre[j]);
      }
    }
  }
  // Each row adds r w C_k, C_k the pattern's conditional covariance of its
  // missing coordinates under component k.
  if (layout == nullptr || layout->scatter == Scatter::none) return;
  for (std::size_t c = 0; c < k; ++c) {
    const double weight = ws.pattern_weight[c];
    if (weight == 0.0) continue;
    const double* conditional = ws.factors[c].conditional.data();
    if (layout->scatter == Scatter::full) {
      double* moment = partial + layout->moment + c * packed_moment_length(d);
      for (std::size_t b = 0; b < mm; ++b) {
        for (std::size_t a = 0; a < mm; ++a) {
          const std::size_t i = pattern.missing[a], j = pattern.missing[b];
          if (i <= j) moment[packed[i + j * d]] += weight * conditional[a + b * mm];
        }
      }
    } else {
      double* moment = partial + layout->moment + c * d;
      for (std::size_t a = 0; a < mm; ++a)
        moment[pattern.missing[a]] += weight * conditional[a + a * mm];
    }
  }
}

// The E step (and the statistics of the M step) on the incomplete rows of
// x under p (both in scaled units); returns their weighted scaled
// log-likelihood, with known labels as block_observed() counts them. The
// rows run in fixed blocks, reduced in a fixed order (reduce_blocks()), so
// the sums do not depend on the number of threads; a pattern split by a
// block boundary is factored in both blocks.
inline double missing_pass(const Data& x, const Params& p, const MissingOutput& out,
                           int n_threads = 1) {
  if (x.missing == nullptr) return 0.0;
  if (p.noise) throw error("a noise component cannot be fitted to data with missing values");
  const std::size_t d = x.n_cols, k = p.k();
  const MissingRows& rows = *x.missing;
  const StatsLayout* layout = out.layout;
  std::vector<std::size_t> packed(layout != nullptr && layout->scatter == Scatter::full ? d * d
                                                                                        : 0);
  for (std::size_t j = 0; j < d && !packed.empty(); ++j) {
    for (std::size_t i = 0; i <= j; ++i) packed[i + j * d] = packed_moment_index(d, i, j);
  }
  std::vector<std::size_t> starts(rows.patterns.size());
  for (std::size_t t = 0; t < starts.size(); ++t) starts[t] = rows.patterns[t].first;
  std::vector<MissingScratch> scratch(static_cast<std::size_t>(std::max(1, n_threads)),
                                      MissingScratch(d, k));
  const std::size_t length = layout != nullptr ? layout->length : 1;
  std::vector<std::string> failures(scratch.size());
  std::vector<double> total;
  const double row_work = 2.0 * static_cast<double>(k * d * d);
  reduce_blocks(rows.n_rows(), length, n_threads, row_work, total,
                [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
                  // The pattern holding row `begin`, then those after it.
                  std::size_t t = static_cast<std::size_t>(
                      std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin() - 1);
                  for (; t < rows.patterns.size() && rows.patterns[t].first < end; ++t) {
                    const MissingPattern& pattern = rows.patterns[t];
                    const std::size_t from = std::max(begin, pattern.first);
                    const std::size_t to = std::min(end, pattern.first + pattern.count);
                    if (from < to) {
                      // Nothing may leave a parallel region by throwing.
                      try {
                        missing_segment(x, p, out, pattern, from, to, packed, scratch[thread],
                                        partial);
                      } catch (const error& e) {
                        if (failures[thread].empty()) failures[thread] = e.what();
                      }
                    }
                  }
                });
  for (const std::string& failure : failures) {
    if (!failure.empty()) throw error(failure);
  }
  if (layout != nullptr) {
    for (std::size_t e = 1; e < length; ++e) out.stats[e] += total[e];
  }
  return total[0];
}

// The E step over all data in scaled units (Params scaled too): the
// scaled log-likelihood (weighted, with known labels, see block_observed()),
// and optionally the posterior (n_total x K, a last column for the noise, if
// any; incomplete rows after the complete ones) and the n_total scaled log
// mixture densities (either pointer may be null). The posterior is not
// weighted.
inline double e_step_scaled(const Data& x, const Params& params, int n_threads, double* posterior,
                            double* log_mixture) {
  const double loglik = e_step_complete(x, params, n_threads, posterior, log_mixture);
  if (x.missing == nullptr) return loglik;
  MissingOutput out;
  out.posterior = posterior;
  out.stride = x.n_total;
  out.log_mixture = log_mixture;
  return loglik + missing_pass(x, params, out, n_threads);
}

// The E step for factorized parameters in the data's own units: the
// log-likelihood, and optionally the n x K posterior and each point's log
// mixture density.
inline double e_step(const arma::mat& matrix, const Params& params, int n_threads,
                     double* posterior, double* log_mixture, RowInfo rows = RowInfo()) {
  // Far points are handled by block_responsibilities(); scaling the data
  // could push the given parameters out of range instead.
  const Data x(matrix, false, rows);
  return e_step_scaled(x, params, n_threads, posterior, log_mixture);
}

// The missing values of x's incomplete rows imputed under factorized
// parameters in the data's own units: each row's conditional means mixed
// over the components by its posterior. Returns an m x d matrix.
inline arma::mat impute_missing(const arma::mat& complete, const Params& params, RowInfo rows) {
  const Data x(complete, false, rows);
  arma::mat imputed(x.missing == nullptr ? 0 : x.missing->n_rows(), complete.n_cols);
  MissingOutput out;
  out.imputed = &imputed;
  missing_pass(x, params, out);
  return imputed;
}

}  // namespace softmix

#endif  // SOFTMIX_MISSING_H
