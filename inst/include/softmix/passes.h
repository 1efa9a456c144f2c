// Where EM's passes over the rows run. EM itself (run_em()) needs only
// three things of the rows: the statistics of an M step with their
// log-likelihood, the log-likelihood alone (with the posterior, where the
// rows are at hand), and what degeneracy() reads at the end. The rows may be
// in this process (MemoryPasses) or elsewhere, as shards on the workers of a
// cluster or chunks of a file, behind a host that sends the parameters out
// and merges what comes back: statistics and evidence merge by addition, so
// the same EM runs over any split of the rows.
#ifndef SOFTMIX_PASSES_H
#define SOFTMIX_PASSES_H

#include <armadillo>

#include <string>
#include <vector>

#include "data.h"
#include "degenerate.h"
#include "estep.h"
#include "missing.h"
#include "model.h"
#include "mstep.h"

namespace softmix {

class Passes {
 public:
  virtual ~Passes() = default;
  // The statistics of p's M step (factorized, scaled units), laid out by
  // `layout` and centred on p's means, with p's scaled log-likelihood
  // (without the data's Jacobian) in out[0].
  virtual void statistics(const Params& p, const StatsLayout& layout, std::vector<double>& out) = 0;
  // p's scaled log-likelihood; writes the n x K posterior too where
  // `posterior` is not null (only rows at hand can).
  virtual double log_likelihood(const Params& p, double* posterior) = 0;
  // degeneracy()'s evidence of every row under p, from their posterior
  // under p where it is given.
  virtual DegeneracyEvidence evidence(const Params& p, Model model,
                                      const arma::mat* posterior = nullptr) = 0;
};

// Passes over rows in this process, on n_threads threads.
class MemoryPasses : public Passes {
 public:
  MemoryPasses(const Data& x, int n_threads) : x_(x), n_threads_(n_threads) {}

  void statistics(const Params& p, const StatsLayout& layout, std::vector<double>& out) override {
    const DensityOffsets offsets = density_offsets(p, x_.log_noise_density);
    out = accumulate(
        x_, layout, p.means, n_threads_,
        [&](const Kernels& kernels, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
          block_log_density(kernels, p, offsets, ws);
          return block_observed(kernels, p, x_, begin, end - begin, ws, nullptr);
        });
    if (x_.missing != nullptr) {
      // The incomplete rows' completed statistics, added in a fixed order.
      MissingOutput missing;
      missing.layout = &layout;
      missing.centres = &p.means;
      missing.stats = out.data();
      out[0] += missing_pass(x_, p, missing, n_threads_);
    }
  }

  double log_likelihood(const Params& p, double* posterior) override {
    return e_step_scaled(x_, p, n_threads_, posterior, nullptr);
  }

  DegeneracyEvidence evidence(const Params& p, Model model,
                              const arma::mat* posterior = nullptr) override {
    if (posterior != nullptr) return degeneracy_evidence(x_, *posterior, p, model, n_threads_);
    arma::mat own(x_.n_total, p.columns());
    e_step_scaled(x_, p, n_threads_, own.memptr(), nullptr);
    return degeneracy_evidence(x_, own, p, model, n_threads_);
  }

 private:
  const Data& x_;
  int n_threads_;
};

// Parameters as one flat vector, to send between processes:
// [k, d, noise, noise_proportion, proportions (k), means (d x K),
// covariances (d x d x K)]. The receiver factorizes them as the sender did
// (factorize() is deterministic), so both evaluate the same mixture.
inline std::vector<double> params_to_wire(const Params& p) {
  std::vector<double> out{static_cast<double>(p.k()), static_cast<double>(p.d()),
                          p.noise ? 1.0 : 0.0, p.noise_proportion};
  out.insert(out.end(), p.proportions.begin(), p.proportions.end());
  out.insert(out.end(), p.means.begin(), p.means.end());
  out.insert(out.end(), p.covariances.begin(), p.covariances.end());
  return out;
}

inline Params params_from_wire(const std::vector<double>& v, bool shared) {
  if (v.size() < 4) throw error("malformed parameters");
  const std::size_t k = static_cast<std::size_t>(v[0]), d = static_cast<std::size_t>(v[1]);
  if (v.size() != 4 + k + d * k + d * d * k) throw error("malformed parameters");
  Params p;
  p.noise = v[2] != 0.0;
  p.noise_proportion = v[3];
  std::size_t e = 4;
  p.proportions = arma::vec(v.data() + e, k);
  e += k;
  p.means = arma::mat(v.data() + e, d, k);
  e += d * k;
  p.covariances = arma::cube(v.data() + e, d, d, k);
  factorize(p, shared);
  return p;
}

// Rows held elsewhere are described to run_em() by a Data over no rows
// (`no_rows`, 0 x d, outliving it) carrying what all the rows share: the
// scale `factor` (from the largest magnitude of all of them), the number of
// rows and their total weight, and the columns' variances that the ridge
// reads (see column_sums()). `info` gives the noise volume and the prior;
// its weights, labels and missing rows stay with the rows.
inline Data rows_elsewhere(const arma::mat& no_rows, double factor, double n_total,
                           double total_weight, const arma::vec& column_variance, RowInfo info) {
  info.weights = nullptr;
  info.labels = nullptr;
  info.missing = nullptr;
  Data x(no_rows, true, info, factor);
  x.n_total = static_cast<arma::uword>(n_total);
  x.total_weight = total_weight;
  x.total_log_jacobian = total_weight * x.log_jacobian;
  x.column_variance = column_variance;
  return x;
}

// The first pass over a part of the rows, in scaled units:
// [rows, total weight, sum_i w_i x_ij for each column j]. Parts add up.
inline std::vector<double> column_sums(const Data& x) {
  if (x.missing != nullptr) throw error("rows held elsewhere cannot have missing values");
  std::vector<double> out(2 + x.n_cols, 0.0);
  out[0] = static_cast<double>(x.n_rows);
  out[1] = x.total_weight;
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    const double* column = x.x.colptr(j);
    const double factor = x.inverse_scale(j);
    double sum = 0.0;
    for (arma::uword i = 0; i < x.n_rows; ++i) sum += x.weight(i) * (column[i] * factor);
    out[2 + j] = sum;
  }
  return out;
}

// The second: sum_i w_i (x_ij - mean_j)^2 for each column, `mean` from the
// merged column_sums() of every part.
inline std::vector<double> column_squares(const Data& x, const arma::vec& mean) {
  std::vector<double> out(x.n_cols, 0.0);
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    const double* column = x.x.colptr(j);
    const double factor = x.inverse_scale(j);
    double sum = 0.0;
    for (arma::uword i = 0; i < x.n_rows; ++i) {
      const double deviation = column[i] * factor - mean(j);
      sum += x.weight(i) * (deviation * deviation);
    }
    out[j] = sum;
  }
  return out;
}

// The columns' variances from the merged passes, as scaled_ridge() computes
// them over rows in memory: zero with fewer than two rows.
inline arma::vec column_variance(const std::vector<double>& sums,
                                 const std::vector<double>& squares) {
  arma::vec out(squares.size(), arma::fill::zeros);
  if (sums[0] < 2.0 || !(sums[1] > 0.0)) return out;
  for (std::size_t j = 0; j < squares.size(); ++j) out(j) = squares[j] / sums[1];
  return out;
}

// Statistics as they cross between processes: the full scatter's packed
// layout (padded for the kernels, see packed_moment_index()) shrinks to each
// component's upper triangle, column by column; other parts are as they are.
inline std::vector<double> stats_to_wire(const std::vector<double>& stats,
                                         const StatsLayout& layout) {
  if (layout.scatter != Scatter::full) return stats;
  const std::size_t d = layout.d, k = layout.k, packed = packed_moment_length(d);
  std::vector<double> out(stats.begin(), stats.begin() + layout.moment);
  for (std::size_t c = 0; c < k; ++c) {
    const double* moment = stats.data() + layout.moment + c * packed;
    for (std::size_t b = 0; b < d; ++b) {
      for (std::size_t a = 0; a <= b; ++a) out.push_back(moment[packed_moment_index(d, a, b)]);
    }
  }
  out.insert(out.end(), stats.begin() + layout.noise_weight, stats.end());
  return out;
}

inline std::vector<double> stats_from_wire(const std::vector<double>& wire,
                                           const StatsLayout& layout) {
  if (layout.scatter != Scatter::full) {
    if (wire.size() != layout.length) throw error("statistics of the wrong length");
    return wire;
  }
  const std::size_t d = layout.d, k = layout.k, packed = packed_moment_length(d);
  const std::size_t triangle = d * (d + 1) / 2;
  if (wire.size() != layout.length - k * packed + k * triangle) {
    throw error("statistics of the wrong length");
  }
  std::vector<double> out(layout.length, 0.0);
  std::copy(wire.begin(), wire.begin() + layout.moment, out.begin());
  std::size_t e = layout.moment;
  for (std::size_t c = 0; c < k; ++c) {
    double* moment = out.data() + layout.moment + c * packed;
    for (std::size_t b = 0; b < d; ++b) {
      for (std::size_t a = 0; a <= b; ++a) moment[packed_moment_index(d, a, b)] = wire[e++];
    }
  }
  std::copy(wire.begin() + e, wire.end(), out.begin() + layout.noise_weight);
  return out;
}

}  // namespace softmix

#endif  // SOFTMIX_PASSES_H
