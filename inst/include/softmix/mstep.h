// The M step: weighted sufficient statistics accumulated block by block, and
// the weighted maximum-likelihood parameters of each covariance model.
#ifndef SOFTMIX_MSTEP_H
#define SOFTMIX_MSTEP_H

#include <cstring>
#include <sstream>
#include <vector>

#include "data.h"
#include "estep.h"
#include "kernels.h"
#include "model.h"
#include "parallel.h"

namespace softmix {

enum class Scatter { none, diagonal, full };

inline Scatter scatter_for(Model model) {
  return is_diagonal(model) ? Scatter::diagonal : Scatter::full;
}

// Where each statistic lives in a flat buffer of partial sums:
// [log-likelihood][N_k: K][sum r (x - c_k): d x K][scatter: d x K or d x d x K].
// The full scatter fills the upper triangle only.
struct StatsLayout {
  std::size_t d, k;
  Scatter scatter;
  std::size_t weight, sum, moment, length;

  StatsLayout(std::size_t d_, std::size_t k_, Scatter scatter_)
      : d(d_), k(k_), scatter(scatter_), weight(1), sum(1 + k_), moment(1 + k_ + d_ * k_) {
    const std::size_t moment_length =
        scatter == Scatter::full ? d * d * k : (scatter == Scatter::diagonal ? d * k : 0);
    length = moment + moment_length;
  }
};

// Adds the block's weighted statistics, centred on `centres` (d x K), to
// `partial`. The weights are ws.responsibility (zero on the padding) and the
// panel must be loaded. Centring on the previous means keeps the scatter
// free of the cancellation of E[x x'] - mu mu'. The kernels centre and weight
// as they go, reading only the panel and the weights.
inline void accumulate_block(const Kernels& kernels, const StatsLayout& layout,
                             const arma::mat& centres, BlockWorkspace& ws, double* partial) {
  const std::size_t d = layout.d;
  for (std::size_t c = 0; c < layout.k; ++c) {
    const double* r = ws.responsibility.data() + c * block_size;
    const double weight = kernels.block_sum(r);
    if (weight == 0.0) continue;  // one-hot starts leave most blocks empty
    partial[layout.weight + c] += weight;
    double* sums = partial + layout.sum + c * d;
    const double* centre = centres.colptr(c);
    if (layout.scatter == Scatter::full) {
      kernels.scatter_full(ws.panel.data(), d, centre, r, ws.zero_row.data(), sums,
                           partial + layout.moment + c * d * d);
    } else {
      double* moment =
          layout.scatter == Scatter::diagonal ? partial + layout.moment + c * d : nullptr;
      kernels.moments_diagonal(ws.panel.data(), d, centre, r, sums, moment);
    }
  }
}

// Means and the within-component scatter W_k = sum_i r_ik (x_i - m_k)(x_i - m_k)'
// recovered from statistics centred on c_k: m_k = c_k + s_k / N_k and
// W_k = S_k - N_k (m_k - c_k)(m_k - c_k)'.
struct Moments {
  arma::vec weight;    // N_k
  arma::mat means;     // d x K
  arma::cube scatter;  // d x d x K; only the diagonal for diagonal models
};

inline Moments moments_from_stats(const std::vector<double>& stats, const StatsLayout& layout,
                                  const arma::mat& centres) {
  const std::size_t d = layout.d, k = layout.k;
  Moments m;
  m.weight = arma::vec(&stats[layout.weight], k);
  m.means = centres;
  const bool full = layout.scatter == Scatter::full;
  m.scatter.zeros(d, d, k);
  const double total = arma::accu(m.weight);
  for (std::size_t c = 0; c < k; ++c) {
    const double nk = m.weight(c);
    if (!(nk > total * 1e-12) || !std::isfinite(nk)) {
      std::ostringstream msg;
      msg << "component " << c + 1 << " has vanishing weight (effective count N_k = " << nk
          << "); fit fewer components or start from other parameters";
      throw error(msg.str());
    }
    const arma::vec shift = arma::vec(&stats[layout.sum + c * d], d) / nk;
    m.means.col(c) += shift;
    if (full) {
      arma::mat s(&stats[layout.moment + c * d * d], d, d);
      s = arma::symmatu(s);
      m.scatter.slice(c) = s - nk * shift * shift.t();
    } else if (layout.scatter == Scatter::diagonal) {
      m.scatter.slice(c).diag() =
          arma::vec(&stats[layout.moment + c * d], d) - nk * arma::square(shift);
    }
  }
  return m;
}

// Weighted MLE of each model from the moments; `ridge` (length d) is added
// to the diagonal of every covariance, its mean to a spherical variance.
inline Params params_from_moments(const Moments& m, Model model, const arma::vec& ridge) {
  const std::size_t d = m.means.n_rows, k = m.means.n_cols;
  const double total = arma::accu(m.weight);
  Params p;
  p.proportions = m.weight / total;
  p.means = m.means;
  p.covariances.zeros(d, d, k);
  const double dd = static_cast<double>(d);
  const double mean_ridge = arma::mean(ridge);
  switch (model) {
    case Model::VVV:
      for (std::size_t c = 0; c < k; ++c) {
        p.covariances.slice(c) = m.scatter.slice(c) / m.weight(c);
        p.covariances.slice(c).diag() += ridge;
      }
      break;
    case Model::EEE: {
      arma::mat pooled = arma::sum(m.scatter, 2) / total;
      pooled.diag() += ridge;
      p.covariances.each_slice() = pooled;
      break;
    }
    case Model::VVI:
      for (std::size_t c = 0; c < k; ++c) {
        p.covariances.slice(c).diag() = arma::vec(m.scatter.slice(c).diag()) / m.weight(c) + ridge;
      }
      break;
    case Model::EEI: {
      arma::vec pooled(d, arma::fill::zeros);
      for (std::size_t c = 0; c < k; ++c) pooled += m.scatter.slice(c).diag();
      pooled = pooled / total + ridge;
      for (std::size_t c = 0; c < k; ++c) p.covariances.slice(c).diag() = pooled;
      break;
    }
    case Model::VII:
      for (std::size_t c = 0; c < k; ++c) {
        const double variance = arma::trace(m.scatter.slice(c)) / (dd * m.weight(c)) + mean_ridge;
        p.covariances.slice(c).diag().fill(variance);
      }
      break;
    case Model::EII: {
      double trace = 0.0;
      for (std::size_t c = 0; c < k; ++c) trace += arma::trace(m.scatter.slice(c));
      const double variance = trace / (dd * total) + mean_ridge;
      for (std::size_t c = 0; c < k; ++c) p.covariances.slice(c).diag().fill(variance);
      break;
    }
  }
  try {
    factorize(p, is_shared(model));
  } catch (const error& e) {
    throw error(std::string(e.what()) +
                "; increase `reg` in softmix_control() or use a simpler covariance model");
  }
  return p;
}

// Weighted statistics of the whole data for weights given by
// fill(kernels, begin, end, ws), which writes ws.responsibility for the
// block (zero on the padding) and returns the block's log-likelihood (or 0).
template <typename FillWeights>
std::vector<double> accumulate(const Data& x, const StatsLayout& layout, const arma::mat& centres,
                               int n_threads, FillWeights&& fill) {
  const Kernels kernels = active_kernels();
  std::vector<BlockWorkspace> workspaces = make_workspaces(n_threads, layout.d, layout.k);
  std::vector<double> total;
  reduce_blocks(x.n_rows, layout.length, n_threads, total,
                [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
                  BlockWorkspace& ws = workspaces[thread];
                  load_panel(x, begin, end, ws.panel.data());
                  partial[0] += fill(kernels, begin, end, ws);
                  accumulate_block(kernels, layout, centres, ws, partial);
                });
  return total;
}

// Weighted MLE in scaled units for weights given by fill() (as for
// accumulate()), in two passes: the means first, then the scatter centred on
// them, free of cancellation. `ridge` is in scaled units.
template <typename FillWeights>
Params weighted_mle(const Data& x, std::size_t k, Model model, const arma::vec& ridge,
                    int n_threads, FillWeights&& fill) {
  const std::size_t d = x.n_cols;
  const StatsLayout first(d, k, Scatter::none);
  const arma::mat origin(d, k, arma::fill::zeros);
  const Moments location =
      moments_from_stats(accumulate(x, first, origin, n_threads, fill), first, origin);
  const StatsLayout second(d, k, scatter_for(model));
  const Moments moments = moments_from_stats(accumulate(x, second, location.means, n_threads, fill),
                                             second, location.means);
  return params_from_moments(moments, model, ridge);
}

// weighted_mle() from a column-major n x K matrix of non-negative weights.
inline Params m_step_scaled(const Data& x, const double* weights, std::size_t k, Model model,
                            const arma::vec& ridge, int n_threads) {
  const std::size_t n = x.n_rows;
  return weighted_mle(x, k, model, ridge, n_threads,
                      [&](const Kernels&, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
                        const std::size_t rows = end - begin;
                        for (std::size_t c = 0; c < k; ++c) {
                          double* out = ws.responsibility.data() + c * block_size;
                          std::memcpy(out, weights + c * n + begin, rows * sizeof(double));
                          std::fill(out + rows, out + block_size, 0.0);
                        }
                        return 0.0;
                      });
}

// Weighted MLE in the data's own units, with the ridge reg times each
// column's variance (see scaled_ridge()).
inline Params m_step(const arma::mat& matrix, const double* weights, std::size_t k, Model model,
                     double reg, int n_threads) {
  const Data x(matrix);
  Params params = rescale(m_step_scaled(x, weights, k, model, scaled_ridge(x, reg), n_threads),
                          1.0 / x.inverse_scale);
  factorize(params, is_shared(model));
  return params;
}

}  // namespace softmix

#endif  // SOFTMIX_MSTEP_H
