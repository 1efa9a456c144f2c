// The M step: weighted sufficient statistics accumulated block by block, and
// the weighted maximum-likelihood parameters of each covariance model.
#ifndef SOFTMIX_MSTEP_H
#define SOFTMIX_MSTEP_H

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "data.h"
#include "estep.h"
#include "kernels.h"
#include "model.h"
#include "parallel.h"
#include "prior.h"

namespace softmix {

enum class Scatter { none, diagonal, full };

inline Scatter scatter_for(Model model) {
  return is_diagonal(model) ? Scatter::diagonal : Scatter::full;
}

// Where each statistic lives in a flat buffer of partial sums:
// [log-likelihood][N_k: K][sum r (x - c_k): d x K][scatter: d x K or d x d x K].
// The full scatter fills the upper triangle only.
// With a noise component, its weight sum follows: [noise weight].
struct StatsLayout {
  std::size_t d, k;
  Scatter scatter;
  bool noise;
  std::size_t weight, sum, moment, noise_weight, length;

  StatsLayout(std::size_t d_, std::size_t k_, Scatter scatter_, bool noise_ = false)
      : d(d_),
        k(k_),
        scatter(scatter_),
        noise(noise_),
        weight(1),
        sum(1 + k_),
        moment(1 + k_ + d_ * k_) {
    const std::size_t moment_length = scatter == Scatter::full
                                          ? packed_moment_length(d) * k
                                          : (scatter == Scatter::diagonal ? d * k : 0);
    noise_weight = moment + moment_length;
    length = noise_weight + (noise ? 1 : 0);
  }
  // Rows of responsibilities a block carries: the components and the noise.
  std::size_t columns() const { return k + (noise ? 1 : 0); }
};

// Adds the block's weighted statistics, centred on `centres` (d x K), to
// `partial`. The weights are ws.responsibility (zero on the padding) and the
// panel must be loaded. Centring on the previous means keeps the scatter
// free of the cancellation of E[x x'] - mu mu'. The kernels centre and weight
// as they go, reading only the panel and the weights.
inline void accumulate_block(const Kernels& kernels, const StatsLayout& layout,
                             const arma::mat& centres, BlockWorkspace& ws, double* partial) {
  const std::size_t d = layout.d;
  double* block_weight = ws.block_weight.data();
  for (std::size_t c = 0; c < layout.k; ++c) {
    block_weight[c] = kernels.block_sum(ws.responsibility.data() + c * block_size);
    partial[layout.weight + c] += block_weight[c];
  }
  if (layout.noise) {
    partial[layout.noise_weight] +=
        kernels.block_sum(ws.responsibility.data() + layout.k * block_size);
  }
  if (layout.scatter == Scatter::full && uses_row_scatter(d)) {
    kernels.transpose_panel(ws.panel.data(), d, ws.rows.data());
    kernels.scatter_rows(ws.rows.data(), d, layout.k, centres.memptr(), ws.responsibility.data(),
                         block_weight, ws.weighted_rows.data(), ws.row_scratch.data(),
                         partial + layout.sum, partial + layout.moment);
    return;
  }
  for (std::size_t c = 0; c < layout.k; ++c) {
    const double* r = ws.responsibility.data() + c * block_size;
    if (block_weight[c] == 0.0) continue;  // one-hot starts leave most blocks empty
    double* sums = partial + layout.sum + c * d;
    const double* centre = centres.colptr(c);
    if (layout.scatter == Scatter::full && uses_scatter_lanes(d)) {
      kernels.scatter_lanes(ws.panel.data(), d, centre, r,
                            ws.scatter_lanes.data() + c * scatter_lanes_stride(d));
    } else if (layout.scatter == Scatter::full) {
      kernels.scatter_full(ws.panel.data(), d, centre, r, ws.zero_row.data(), sums,
                           partial + layout.moment + c * packed_moment_length(d));
    } else {
      double* moment =
          layout.scatter == Scatter::diagonal ? partial + layout.moment + c * d : nullptr;
      kernels.moments_diagonal(ws.panel.data(), d, centre, r, sums, moment);
    }
  }
}

// Adds the lane-wise full scatter that accumulate_block() left in the
// workspace into `partial`, at the end of a chunk of blocks.
inline void flush_block_scatter(const Kernels& kernels, const StatsLayout& layout,
                                BlockWorkspace& ws, double* partial) {
  if (layout.scatter != Scatter::full || !uses_scatter_lanes(layout.d)) return;
  const std::size_t d = layout.d;
  for (std::size_t c = 0; c < layout.k; ++c) {
    kernels.flush_scatter_lanes(d, ws.scatter_lanes.data() + c * scatter_lanes_stride(d),
                                partial + layout.sum + c * d,
                                partial + layout.moment + c * packed_moment_length(d));
  }
}

// Means and the within-component scatter W_k = sum_i r_ik (x_i - m_k)(x_i - m_k)'
// recovered from statistics centred on c_k: m_k = c_k + s_k / N_k with
// s_k = sum_i r_ik (x_i - c_k). The full scatter kernels accumulate
// A_k = sum_i x_i (r_ik (x_i - c_k))', centred in the second factor only,
// and W_k = A_k - m_k s_k': the subtracted term is small next to W_k unless
// the means move by many standard deviations, because s_k is. (Expanding
// A_k - m_k s_k' gives sum r (x - c)(x - c)' - N (m - c)(m - c)'.)
struct Moments {
  arma::vec weight;    // N_k
  arma::mat means;     // d x K
  arma::cube scatter;  // d x d x K; only the diagonal for diagonal models
  bool noise = false;
  double noise_weight = 0.0;  // N_0, the noise component's
};

// arma::trace() of slice c, summed in its order, without Cube::slice(),
// which allocates a matrix per slice.
inline double slice_trace(const arma::cube& a, std::size_t c) {
  const std::size_t n = a.n_rows;
  double even = 0.0, odd = 0.0;
  std::size_t i = 0, j = 1;
  for (; j < n; i += 2, j += 2) {
    even += a(i, i, c);
    odd += a(j, j, c);
  }
  if (i < n) even += a(i, i, c);
  return even + odd;
}

inline Moments moments_from_stats(const std::vector<double>& stats, const StatsLayout& layout,
                                  const arma::mat& centres) {
  const std::size_t d = layout.d, k = layout.k;
  Moments m;
  m.weight = arma::vec(&stats[layout.weight], k);
  m.noise = layout.noise;
  if (layout.noise) m.noise_weight = stats[layout.noise_weight];
  m.means = centres;
  m.scatter.zeros(d, d, k);
  const double total = sum_of(m.weight);
  std::vector<double> shift(d);
  for (std::size_t c = 0; c < k; ++c) {
    const double nk = m.weight(c);
    if (!(nk > total * 1e-12) || !std::isfinite(nk)) {
      std::ostringstream msg;
      msg << "component " << c + 1 << " has vanishing weight (effective count N_k = " << nk
          << "); fit fewer components or start from other parameters";
      throw error(msg.str());
    }
    const double* sums = &stats[layout.sum + c * d];
    for (std::size_t j = 0; j < d; ++j) {
      shift[j] = sums[j] / nk;
      m.means(j, c) += shift[j];
    }
    // A view of the slice: Cube::slice() allocates a matrix per slice.
    arma::mat scatter(m.scatter.slice_memptr(c), d, d, false, true);
    if (layout.scatter == Scatter::full) {
      // The statistics hold A_k's upper triangle, packed.
      const double* packed = &stats[layout.moment + c * packed_moment_length(d)];
      for (std::size_t j = 0; j < d; ++j) {
        for (std::size_t i = 0; i <= j; ++i) {
          scatter(i, j) = packed[packed_moment_index(d, i, j)] - m.means(i, c) * sums[j];
          scatter(j, i) = scatter(i, j);
        }
      }
    } else if (layout.scatter == Scatter::diagonal) {
      const double* s = &stats[layout.moment + c * d];
      for (std::size_t j = 0; j < d; ++j) scatter(j, j) = s[j] - nk * (shift[j] * shift[j]);
    }
  }
  return m;
}

// Settings of the inner iterations of the M steps that have no closed form
// (VEI, VEV, VEE, EVE, VVE). The tolerance is mclust's, emControl()$tol[2].
// mclust sets no limit on their number (emControl()$itmax[2]); softmix
// stops after max_iter. Each inner iteration starts from the last and none
// raises the objective, so stopping at any iteration keeps the M step's
// guarantee (no M step lowers the expected complete-data log-likelihood),
// and EM continues the iterations in its next M step, which starts where
// this one ended. 1,000 is ten times the most any M step takes in the
// package's tests (83, EVE) and above the 937 that VVE takes on scatter
// matrices with condition number 1e6 (core/test_core.cpp), while it keeps
// a single M step of VVE, the costliest, short. `check_interrupt`,
// when set, is called every few iterations (see poll_interrupt()) and may
// throw to end the fit; nothing in the M step catches what it throws.
struct InnerControl {
  double tol = 1.4901161193847656e-08;  // sqrt(DBL_EPSILON)
  int max_iter = 1000;
  std::function<void()> check_interrupt;
};

// An InnerControl whose interrupt check is the host's.
template <typename Host>
InnerControl interruptible_inner(Host& host) {
  InnerControl inner;
  inner.check_interrupt = [&host]() { host.check_interrupt(); };
  return inner;
}

// Calls inner.check_interrupt, if set, after every 16th inner iteration in
// fewer than 16 dimensions (an iteration then costs microseconds) and after
// every one in more (an iteration of EVE or VVE costs O(K d^3), tens of
// milliseconds at d = 100), so an interrupt is seen well within a second.
inline void poll_interrupt(const InnerControl& inner, int iteration, std::size_t d) {
  if (!inner.check_interrupt) return;
  if (d >= 16 || iteration % 16 == 15) inner.check_interrupt();
}

// How much an inner objective may rise in one iteration before the
// iteration counts as a failure rather than rounding: the objectives are
// sums of about N d terms of order 1 and |f|.
inline double objective_slack(double objective, double count) {
  return 1e-12 * (std::abs(objective) + count);
}

[[noreturn]] inline void throw_singular_component(std::size_t c) {
  throw error("the covariance matrix of component " + std::to_string(c + 1) +
              " is not positive definite (singular or nearly so)");
}

inline double geometric_mean(const double* values, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += std::log(values[i]);
  return std::exp(sum / static_cast<double>(n));
}

inline double geometric_mean(const arma::vec& values) {
  return geometric_mean(values.memptr(), values.n_elem);
}

// Largest |new - old| / |new| over the entries: a change that does not
// depend on the units of the data.
inline double relative_change(const arma::vec& old_values, const arma::vec& new_values) {
  double largest = -std::numeric_limits<double>::infinity();
  for (arma::uword i = 0; i < new_values.n_elem; ++i) {
    const double change = std::abs(new_values(i) - old_values(i)) / std::abs(new_values(i));
    if (change > largest) largest = change;
  }
  return largest;
}

// The sum of the slices of a cube.
inline arma::mat sum_slices(const arma::cube& cube) {
  arma::mat total(cube.n_rows, cube.n_cols, arma::fill::zeros);
  for (arma::uword c = 0; c < cube.n_slices; ++c) total += cube.slice(c);
  return total;
}

// Eigenvalues of the symmetric scatter of component c in decreasing order
// (negative rounding errors of a singular scatter set to zero) and their
// eigenvectors, the columns of `vectors`.
inline void eigen_decreasing(const arma::mat& scatter, std::size_t c, arma::vec& values,
                             arma::mat& vectors) {
  arma::vec ascending;
  arma::mat ascending_vectors;
  if (!arma::eig_sym(ascending, ascending_vectors, symmetric_upper(scatter))) {
    throw_singular_component(c);
  }
  const arma::uword d = ascending.n_elem, rows = ascending_vectors.n_rows;
  values.set_size(d);
  vectors.set_size(rows, d);
  for (arma::uword j = 0; j < d; ++j) {
    const double value = ascending(d - 1 - j);
    values(j) = value < 0.0 ? 0.0 : value;
    std::copy(ascending_vectors.colptr(d - 1 - j), ascending_vectors.colptr(d - 1 - j) + rows,
              vectors.colptr(j));
  }
}

// log det(scatter) / d for a positive definite scatter of component c.
inline double mean_log_eigenvalue(const arma::mat& scatter, std::size_t c) {
  arma::mat upper;
  if (!scatter.is_finite() || !arma::chol(upper, symmetric_upper(scatter))) {
    throw_singular_component(c);
  }
  return 2.0 * sum_log_diagonal(upper) / static_cast<double>(scatter.n_rows);
}

// D diag(values) D', exactly symmetric.
inline arma::mat from_eigen(const arma::mat& vectors, const double* values) {
  arma::mat half = vectors;
  for (arma::uword j = 0; j < half.n_cols; ++j) {
    const double root = std::sqrt(values[j]);
    for (arma::uword i = 0; i < half.n_rows; ++i) half(i, j) *= root;
  }
  return symmetric_upper(product_transposed(half, half));
}

// EVI: Sigma_k = lambda A_k, diagonal. Given lambda, A_k is diag(W_k)
// scaled to determinant 1; then lambda = sum_k det(diag(W_k))^(1/d) / N.
inline void covariances_evi(const arma::cube& scatter, const arma::vec& weight, arma::cube& out) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  arma::mat diagonal(d, k);
  arma::vec volume(k);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) diagonal(j, c) = scatter(j, j, c);
    volume(c) = geometric_mean(diagonal.colptr(c), d);
  }
  const double lambda = sum_of(volume) / sum_of(weight);
  for (std::size_t c = 0; c < k; ++c) {
    const double factor = lambda / volume(c);
    for (std::size_t j = 0; j < d; ++j) out(j, j, c) = diagonal(j, c) * factor;
  }
}

// EEV: Sigma_k = lambda D_k A D_k'. With W_k = D_k Omega_k D_k' (eigenvalues
// in decreasing order), lambda A = sum_k Omega_k / N, so
// Sigma_k = D_k (sum_j Omega_j) D_k' / N (Celeux and Govaert 1995).
inline void covariances_eev(const arma::cube& scatter, const arma::vec& weight, arma::cube& out) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  arma::cube vectors(d, d, k);
  arma::vec values, total(d, arma::fill::zeros);
  for (std::size_t c = 0; c < k; ++c) {
    eigen_decreasing(scatter.slice(c), c, values, vectors.slice(c));
    total += values;
  }
  total /= sum_of(weight);
  for (std::size_t c = 0; c < k; ++c) out.slice(c) = from_eigen(vectors.slice(c), total.memptr());
}

// EVV: Sigma_k = lambda C_k with det C_k = 1: C_k = W_k / det(W_k)^(1/d) and
// lambda = sum_k det(W_k)^(1/d) / N.
inline void covariances_evv(const arma::cube& scatter, const arma::vec& weight, arma::cube& out) {
  const std::size_t k = scatter.n_slices;
  arma::vec volume(k);
  for (std::size_t c = 0; c < k; ++c) {
    volume(c) = std::exp(mean_log_eigenvalue(scatter.slice(c), c));
  }
  const double lambda = sum_of(volume) / sum_of(weight);
  for (std::size_t c = 0; c < k; ++c) {
    out.slice(c) = symmetric_upper(scatter.slice(c));
    out.slice(c) *= lambda / volume(c);
  }
}

// The common shape (det 1) of previous parameters, from the diagonals
// (`diagonal` true) or the eigenvalues in decreasing order of their
// covariances: each scaled to determinant 1, averaged, scaled again. Exact
// for parameters of the model; empty when there are no previous parameters
// of these dimensions or their shape is degenerate.
inline arma::vec previous_shape(const Params* previous, std::size_t d, std::size_t k,
                                bool diagonal) {
  arma::vec shape;
  if (previous == nullptr || previous->covariances.n_rows != d ||
      previous->covariances.n_slices != k) {
    return shape;
  }
  shape.zeros(d);
  arma::vec values(d);
  arma::mat vectors;
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat& sigma = previous->covariances.slice(c);
    if (diagonal) {
      for (std::size_t j = 0; j < d; ++j) values(j) = sigma(j, j);
    } else {
      eigen_decreasing(sigma, c, values, vectors);
    }
    const double mean = geometric_mean(values);
    for (std::size_t j = 0; j < d; ++j) shape(j) += values(j) / mean;
  }
  shape /= geometric_mean(shape);
  for (std::size_t j = 0; j < d; ++j) {
    if (!std::isfinite(shape(j)) || !(shape(j) > 0.0)) {
      shape.reset();
      break;
    }
  }
  return shape;
}

// The shape of the pooled omega_k (its row sums scaled to determinant 1).
inline arma::vec pooled_shape(const arma::mat& omega) {
  arma::vec shape(omega.n_rows, arma::fill::zeros);
  for (arma::uword c = 0; c < omega.n_cols; ++c) {
    for (arma::uword j = 0; j < omega.n_rows; ++j) shape(j) += omega(j, c);
  }
  shape /= geometric_mean(shape);
  return shape;
}

// lambda_k and the common shape A of VEI (omega_k = diag(W_k)) and VEV
// (omega_k = eigenvalues of W_k, in decreasing order) by alternating their
// exact conditional estimates, as mclust does:
//   lambda_k = sum_j omega_kj / A_j / (d N_k),  A ~ sum_k omega_k / lambda_k,
// each the minimiser of f = sum_k N_k d log lambda_k + sum_j omega_kj /
// (lambda_k A_j) (det A = 1) given the other. The objective is convex in
// (log lambda, log A), so the iterations reach its minimum from any start.
// They stop when no volume or shape entry changes by more than inner.tol
// relatively, or after inner.max_iter iterations. An iteration whose f is
// not finite or rises beyond rounding ends them with the best iterate.
inline void common_shape_volumes(const arma::mat& omega, const arma::vec& weight, arma::vec& shape,
                                 arma::vec& volume, const InnerControl& inner) {
  const std::size_t d = omega.n_rows, k = omega.n_cols;
  const double dd = static_cast<double>(d), total = sum_of(weight);
  volume.zeros(k);
  std::vector<double> ratio(d), terms(k);
  arma::vec best_shape, best_volume;
  double best = std::numeric_limits<double>::infinity();
  for (int iteration = 0; iteration < std::max(1, inner.max_iter); ++iteration) {
    poll_interrupt(inner, iteration, d);
    const arma::vec old_volume = volume, old_shape = shape;
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) ratio[j] = omega(j, c) / shape(j);
      volume(c) = sum_of(ratio.data(), d) / (dd * weight(c));
    }
    shape.zeros();
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) shape(j) += omega(j, c) / volume(c);
    }
    shape /= geometric_mean(shape);
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) ratio[j] = omega(j, c) / shape(j);
      terms[c] = weight(c) * dd * std::log(volume(c)) + sum_of(ratio.data(), d) / volume(c);
    }
    const double objective = sum_of(terms.data(), k);
    if (iteration > 0 &&
        !(std::isfinite(objective) && objective <= best + objective_slack(best, total * dd))) {
      shape = best_shape;
      volume = best_volume;
      break;
    }
    if (iteration == 0 || objective < best) {
      best = objective;
      best_shape = shape;
      best_volume = volume;
    }
    if (iteration > 0 && !(std::max(relative_change(old_volume, volume),
                                    relative_change(old_shape, shape)) > inner.tol)) {
      break;  // also when a NaN appears; factorize() then reports it
    }
  }
}

// VEI: Sigma_k = lambda_k A, diagonal. Starts from the previous shape, or
// from the shape of the pooled diagonal scatter (EEI's).
inline void covariances_vei(const arma::cube& scatter, const arma::vec& weight,
                            const Params* previous, const InnerControl& inner, arma::cube& out) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  arma::mat omega(d, k);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) omega(j, c) = scatter(j, j, c);
  }
  arma::vec shape = previous_shape(previous, d, k, true);
  if (shape.is_empty()) shape = pooled_shape(omega);
  arma::vec volume;
  common_shape_volumes(omega, weight, shape, volume, inner);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) out(j, j, c) = shape(j) * volume(c);
  }
}

// VEV: Sigma_k = lambda_k D_k A D_k' with D_k the eigenvectors of W_k (the
// largest eigenvalue paired with the largest entry of A, which keeps its
// order). Starts from the previous shape, or from EEV's.
inline void covariances_vev(const arma::cube& scatter, const arma::vec& weight,
                            const Params* previous, const InnerControl& inner, arma::cube& out) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  arma::mat omega(d, k);
  arma::cube vectors(d, d, k);
  arma::vec values;
  for (std::size_t c = 0; c < k; ++c) {
    eigen_decreasing(scatter.slice(c), c, values, vectors.slice(c));
    std::copy(values.begin(), values.end(), omega.colptr(c));
  }
  arma::vec shape = previous_shape(previous, d, k, false);
  if (shape.is_empty()) shape = pooled_shape(omega);
  arma::vec volume;
  common_shape_volumes(omega, weight, shape, volume, inner);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) values(j) = shape(j) * volume(c);
    out.slice(c) = from_eigen(vectors.slice(c), values.memptr());
  }
}

// VEE: Sigma_k = lambda_k C with det C = 1, alternating
//   C ~ sum_k W_k / lambda_k  and  lambda_k = tr(W_k C^-1) / (d N_k)
// (Celeux and Govaert 1995), each the exact minimiser of
//   f = sum_k N_k log det Sigma_k + tr(W_k Sigma_k^-1)
// given the other, until no volume changes by more than inner.tol
// relatively and no entry of C by more than inner.tol times its largest, or
// for inner.max_iter iterations. After the volume update the trace terms sum
// to d N, so f = d sum_k N_k log lambda_k + d N; an iteration whose f is not
// finite or rises beyond rounding ends them with the best iterate.
// (mclust stops on the change of f, which leaves errors of the order of the
// square root of its tolerance in the estimates.) Starts from the previous
// volumes, or from equal ones (mclust's start, which makes the first C the
// shape and orientation of EEE).
inline void covariances_vee(const arma::cube& scatter, const arma::vec& weight,
                            const Params* previous, const InnerControl& inner, arma::cube& out) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  const double dd = static_cast<double>(d);
  arma::vec volume(k, arma::fill::ones);
  if (previous != nullptr && previous->log_det_chol.n_elem == k &&
      previous->covariances.n_rows == d) {
    // log_det_chol = -log det(Sigma_k) / 2.
    arma::vec previous_volume(k);
    bool usable = true;
    for (std::size_t c = 0; c < k; ++c) {
      previous_volume(c) = std::exp(previous->log_det_chol(c) * (-2.0 / dd));
      usable = usable && std::isfinite(previous_volume(c)) && previous_volume(c) > 0.0;
    }
    if (usable) volume = previous_volume;
  }
  const double total = sum_of(weight);
  arma::mat common, upper, inverse, best_common;
  arma::vec best_volume;
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> terms(d * d), changes(d * d), magnitudes(d * d), logs(k);
  for (int iteration = 0; iteration < std::max(1, inner.max_iter); ++iteration) {
    poll_interrupt(inner, iteration, d);
    const arma::vec old_volume = volume;
    const arma::mat old_common = common;
    common.zeros(d, d);
    for (std::size_t c = 0; c < k; ++c) {
      const double* w = scatter.slice_memptr(c);
      for (std::size_t i = 0; i < d * d; ++i) common[i] += w[i] / volume(c);
    }
    common = symmetric_upper(common);
    if (!common.is_finite() || !arma::chol(upper, common) || !inverse_upper(inverse, upper)) {
      throw error(
          "the common shape and orientation of the covariance matrices is not positive definite "
          "(singular or nearly so)");
    }
    const double log_root = 2.0 * sum_log_diagonal(upper) / dd;
    common /= std::exp(log_root);
    // inverse(C) = U U' with U = inverse(R) for the unscaled sum R'R.
    arma::mat common_inverse = product_transposed(inverse, inverse);
    common_inverse *= std::exp(log_root);
    for (std::size_t c = 0; c < k; ++c) {
      const double* w = scatter.slice_memptr(c);
      for (std::size_t i = 0; i < d * d; ++i) terms[i] = w[i] * common_inverse[i];
      volume(c) = sum_of(terms.data(), d * d) / (dd * weight(c));
      logs[c] = weight(c) * dd * std::log(volume(c));
    }
    const double objective = sum_of(logs.data(), k);
    if (iteration > 0 &&
        !(std::isfinite(objective) && objective <= best + objective_slack(best, total * dd))) {
      common = best_common;
      volume = best_volume;
      break;
    }
    if (iteration == 0 || objective < best) {
      best = objective;
      best_common = common;
      best_volume = volume;
    }
    if (iteration > 0) {
      for (std::size_t i = 0; i < d * d; ++i) {
        changes[i] = std::abs(common[i] - old_common[i]);
        magnitudes[i] = std::abs(common[i]);
      }
      const double common_change =
          largest_of(changes.data(), d * d) / largest_of(magnitudes.data(), d * d);
      if (!(std::max(relative_change(old_volume, volume), common_change) > inner.tol)) break;
    }
  }
  for (std::size_t c = 0; c < k; ++c) {
    out.slice(c) = common;
    out.slice(c) *= volume(c);
  }
}

// The orthogonal D that minimises tr(D' G): -U V' for G = U S V'.
inline arma::mat minimise_trace_over_rotations(const arma::mat& gradient) {
  arma::mat u, v;
  arma::vec s;
  if (!arma::svd(u, s, v, gradient)) {
    throw error("the singular value decomposition of the orientation update failed");
  }
  arma::mat rotation = product_transposed(u, v);
  rotation *= -1.0;
  return rotation;
}

// One MM1 and one MM2 update (Browne and McNicholas 2014) of a common
// orientation D for fixed diagonal weights M_k (columns of `weights`): each
// cannot increase h(D) = sum_k tr(D' W_k D M_k) over orthogonal D.
//   MM1: W_k - omega_k I (omega_k the largest eigenvalue of W_k) is negative
//        semidefinite, so h is a constant plus a function concave in D,
//        below its tangent plane at D0.
//   MM2: likewise with M_k - m_k I, m_k the largest entry of M_k.
// Minimising the tangent plane over rotations gives the update.
inline void orientation_mm_step(const arma::cube& scatter, const arma::vec& largest_eigenvalue,
                                const arma::mat& weights, arma::mat& orientation) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  arma::mat gradient(d, d, arma::fill::zeros);
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat rotated = product(scatter.slice(c), orientation);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < d; ++i) {
        const double shifted = rotated(i, j) - orientation(i, j) * largest_eigenvalue(c);
        gradient(i, j) += shifted * weights(j, c);
      }
    }
  }
  orientation = minimise_trace_over_rotations(gradient);
  gradient.zeros();
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat rotated = product(scatter.slice(c), orientation);
    const double largest = largest_of(weights.colptr(c), d);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < d; ++i)
        gradient(i, j) += rotated(i, j) * (weights(j, c) - largest);
    }
  }
  orientation = minimise_trace_over_rotations(gradient);
}

// A common orientation of previous covariances, as EVE and VVE fits have:
// the eigenvectors of a combination of them with distinct weights, accepted
// when they diagonalise every one. False when there is none to reuse.
inline bool previous_orientation(const Params* previous, std::size_t d, std::size_t k,
                                 arma::mat& orientation) {
  if (previous == nullptr || previous->covariances.n_rows != d ||
      previous->covariances.n_slices != k) {
    return false;
  }
  arma::mat combination(d, d, arma::fill::zeros);
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat& sigma = previous->covariances.slice(c);
    const double factor = (1.0 + 0.6180339887498949 * static_cast<double>(c)) / arma::trace(sigma);
    for (std::size_t i = 0; i < d * d; ++i) combination[i] += sigma[i] * factor;
  }
  arma::vec values;
  if (!combination.is_finite() ||
      !arma::eig_sym(values, orientation, symmetric_upper(combination))) {
    return false;
  }
  std::vector<double> magnitudes(d * d);
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat rotated =
        product(transposed_product(orientation, previous->covariances.slice(c)), orientation);
    double on_diagonal = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < d; ++i) {
        const double magnitude = std::abs(rotated(i, j));
        magnitudes[i + j * d] = i == j ? 0.0 : magnitude;
        if (i == j && magnitude > on_diagonal) on_diagonal = magnitude;
      }
    }
    if (!(largest_of(magnitudes.data(), d * d) <= 1e-8 * on_diagonal)) return false;
  }
  return true;
}

// EVE (Sigma_k = lambda D A_k D') and VVE (Sigma_k = lambda_k D A_k D'), by
// the MM algorithm of Browne and McNicholas (2014) as mclust uses it. Given
// D, the rest is exact: with B_k = diag(D' W_k D),
//   EVE: A_k = B_k / det(B_k)^(1/d), lambda = sum_k det(B_k)^(1/d) / N;
//   VVE: lambda_k A_k = B_k / N_k.
// D is then updated by orientation_mm_step() with M_k the inverse of the
// current lambda_k A_k (for EVE, A_k^-1 up to the common 1 / lambda).
// mclust uses the inverse of A_k for VVE too, whose fixed point is not the
// maximum likelihood estimate when the volumes differ; with M_k taken from
// the current Sigma_k, h majorises f = sum_k N_k log det Sigma_k +
// tr(W_k Sigma_k^-1) up to a constant (log x <= log x0 + x / x0 - 1), so f
// never increases. As in mclust, the iterations stop when f falls by at most
// inner.tol relative to N d (mclust: to 1 + |f|, in the data's units): MM
// steps can converge very slowly (tens of thousands of iterations on
// ill-conditioned scatter matrices), so a criterion on the parameters,
// which would make them exact to about inner.tol, is too costly. f then
// ends within about 1e-7 of its minimum, relatively, but the estimates only
// within about 1e-3. In EM each M step starts where the last one ended, so
// the iterations continue until EM converges; that also makes the cap of
// inner.max_iter iterations harmless. An iteration whose f is not finite or
// rises beyond rounding ends them with the previous iterate. A W_k whose
// smallest eigenvalue is at the rounding level of its largest (a component
// on d points or fewer, in effect) leaves f unbounded below: the MM steps
// then turn D towards its null space for ever, each lowering f by more than
// the tolerance, so that is an error, as a singular W_k is. D starts from
// the previous orientation, or from the eigenvectors of the pooled scatter
// (EEE's).
inline void covariances_common_orientation(const arma::cube& scatter, const arma::vec& weight,
                                           bool equal_volume, const Params* previous,
                                           const InnerControl& inner, arma::cube& out) {
  const std::size_t d = scatter.n_rows, k = scatter.n_slices;
  const double dd = static_cast<double>(d), total = sum_of(weight);
  arma::vec largest_eigenvalue(k), values;
  arma::mat vectors;
  for (std::size_t c = 0; c < k; ++c) {
    mean_log_eigenvalue(scatter.slice(c), c);  // a singular W_k makes f unbounded
    eigen_decreasing(scatter.slice(c), c, values, vectors);
    largest_eigenvalue(c) = values(0);
    if (!(values(d - 1) > values(0) * dd * std::numeric_limits<double>::epsilon())) {
      throw_singular_component(c);
    }
  }
  arma::mat orientation;
  if (!previous_orientation(previous, d, k, orientation)) {
    eigen_decreasing(sum_slices(scatter), 0, values, orientation);
  }
  arma::mat diagonal(d, k), inverse_diagonal(d, k);
  arma::vec volume(k);
  std::vector<double> terms(std::max(d, k));
  // Sets `diagonal` to the d x K diagonals of lambda_k A_k, the entries of
  // Sigma_k in the basis D, and returns f less its constant N d.
  const auto estimate_given_orientation = [&]() {
    for (std::size_t c = 0; c < k; ++c) {
      const arma::mat rotated = product(scatter.slice(c), orientation);
      for (std::size_t j = 0; j < d; ++j) {
        for (std::size_t i = 0; i < d; ++i) terms[i] = orientation(i, j) * rotated(i, j);
        diagonal(j, c) = sum_of(terms.data(), d);
      }
      volume(c) = geometric_mean(diagonal.colptr(c), d);
    }
    if (equal_volume) {
      const double lambda = sum_of(volume) / total;
      for (std::size_t c = 0; c < k; ++c) {
        const double factor = lambda / volume(c);
        for (std::size_t j = 0; j < d; ++j) diagonal(j, c) *= factor;
      }
      return total * dd * std::log(lambda);
    }
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) diagonal(j, c) /= weight(c);
      terms[c] = weight(c) * std::log(volume(c) / weight(c));
    }
    return dd * sum_of(terms.data(), k);
  };
  double objective = estimate_given_orientation();
  arma::mat kept_orientation = orientation, kept_diagonal = diagonal;
  for (int iteration = 0; iteration < std::max(1, inner.max_iter); ++iteration) {
    poll_interrupt(inner, iteration, d);
    for (std::size_t i = 0; i < d * k; ++i) inverse_diagonal[i] = 1.0 / diagonal[i];
    orientation_mm_step(scatter, largest_eigenvalue, inverse_diagonal, orientation);
    const double previous_objective = objective;
    objective = estimate_given_orientation();
    if (!(std::isfinite(objective) &&
          objective <= previous_objective + objective_slack(previous_objective, total * dd))) {
      orientation = kept_orientation;
      diagonal = kept_diagonal;
      break;
    }
    // A rise within rounding is below the tolerance and ends the iterations.
    if (!(std::abs(previous_objective - objective) > inner.tol * total * dd)) break;
    kept_orientation = orientation;
    kept_diagonal = diagonal;
  }
  for (std::size_t c = 0; c < k; ++c) out.slice(c) = from_eigen(orientation, diagonal.colptr(c));
}

// Weighted MLE of each model from the moments; `ridge` (length d) is added
// to the diagonal of every covariance, its mean to a spherical variance. For
// the models of the second switch, whose estimates are not linear in the
// scatter, the ridge is N_k ridge added to the diagonal of each W_k before
// the estimate, which is what the first switch amounts to for its models.
// `previous` (the parameters of the last iteration, or null) is where the
// inner iterations of VEI, VEV, VEE, EVE and VVE start, so an M step never
// lowers the expected complete-data log-likelihood of those parameters.
inline Params params_from_moments(const Moments& m, Model model, const arma::vec& ridge,
                                  const Params* previous = nullptr,
                                  const InnerControl& inner = InnerControl()) {
  const std::size_t d = m.means.n_rows, k = m.means.n_cols;
  // Pooled estimates divide by the components' weight, as mclust's do with
  // a noise component; the proportions by the noise's too.
  const double total = sum_of(m.weight);
  Params p;
  p.proportions = m.weight;
  p.proportions /= total + m.noise_weight;
  p.noise = m.noise;
  p.noise_proportion = m.noise_weight / (total + m.noise_weight);
  p.means = m.means;
  p.covariances.zeros(d, d, k);
  const double dd = static_cast<double>(d);
  const double mean_ridge = sum_of(ridge) / dd;
  try {
    switch (model) {
      case Model::VVV:
        for (std::size_t c = 0; c < k; ++c) {
          arma::mat& sigma = p.covariances.slice(c);
          sigma = m.scatter.slice(c);
          sigma /= m.weight(c);
          for (std::size_t j = 0; j < d; ++j) sigma(j, j) += ridge(j);
        }
        break;
      case Model::EEE: {
        arma::mat pooled = sum_slices(m.scatter);
        pooled /= total;
        for (std::size_t j = 0; j < d; ++j) pooled(j, j) += ridge(j);
        for (std::size_t c = 0; c < k; ++c) p.covariances.slice(c) = pooled;
        break;
      }
      case Model::VVI:
        for (std::size_t c = 0; c < k; ++c) {
          for (std::size_t j = 0; j < d; ++j) {
            p.covariances(j, j, c) = m.scatter(j, j, c) / m.weight(c) + ridge(j);
          }
        }
        break;
      case Model::EEI: {
        arma::vec pooled(d, arma::fill::zeros);
        for (std::size_t c = 0; c < k; ++c) {
          for (std::size_t j = 0; j < d; ++j) pooled(j) += m.scatter(j, j, c);
        }
        for (std::size_t c = 0; c < k; ++c) {
          for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = pooled(j) / total + ridge(j);
        }
        break;
      }
      case Model::VII:
        for (std::size_t c = 0; c < k; ++c) {
          const double variance = slice_trace(m.scatter, c) / (dd * m.weight(c)) + mean_ridge;
          for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = variance;
        }
        break;
      case Model::EII: {
        double trace = 0.0;
        for (std::size_t c = 0; c < k; ++c) trace += slice_trace(m.scatter, c);
        const double variance = trace / (dd * total) + mean_ridge;
        for (std::size_t c = 0; c < k; ++c) {
          for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = variance;
        }
        break;
      }
      default: {
        arma::cube scatter = m.scatter;
        for (std::size_t c = 0; c < k; ++c) {
          for (std::size_t j = 0; j < d; ++j) scatter(j, j, c) += ridge(j) * m.weight(c);
        }
        switch (model) {
          case Model::EVI:
            covariances_evi(scatter, m.weight, p.covariances);
            break;
          case Model::VEI:
            covariances_vei(scatter, m.weight, previous, inner, p.covariances);
            break;
          case Model::EEV:
            covariances_eev(scatter, m.weight, p.covariances);
            break;
          case Model::VEV:
            covariances_vev(scatter, m.weight, previous, inner, p.covariances);
            break;
          case Model::EVV:
            covariances_evv(scatter, m.weight, p.covariances);
            break;
          case Model::VEE:
            covariances_vee(scatter, m.weight, previous, inner, p.covariances);
            break;
          case Model::EVE:
            covariances_common_orientation(scatter, m.weight, true, previous, inner, p.covariances);
            break;
          case Model::VVE:
            covariances_common_orientation(scatter, m.weight, false, previous, inner,
                                           p.covariances);
            break;
          default:
            break;
        }
      }
    }
    factorize(p, is_shared(model));
  } catch (const error& e) {
    throw error(std::string(e.what()) +
                "; increase `reg` in softmix_control() or use a simpler covariance model");
  }
  return p;
}

// mclust's alternation under its prior for VEI and VEV: volumes
// lambda_k = sum_j b_jk / a_j / denominator_k, then the shape a_j = sum_k
// b_jk / lambda_k scaled to determinant 1, from the given shape, until
// neither moves by more than inner.tol relative to 1 + itself.
inline void prior_volumes_and_shape(const arma::mat& b, const arma::vec& denominator,
                                    const InnerControl& inner, arma::vec& shape,
                                    arma::vec& volume) {
  const std::size_t d = b.n_rows, k = b.n_cols;
  volume.ones(k);
  for (int it = 0; it < inner.max_iter; ++it) {
    poll_interrupt(inner, it, d);
    const arma::vec old_shape = shape, old_volume = volume;
    for (std::size_t c = 0; c < k; ++c) {
      double sum = 0.0;
      for (std::size_t j = 0; j < d; ++j) sum += b(j, c) / shape(j);
      volume(c) = sum / denominator(c);
    }
    for (std::size_t j = 0; j < d; ++j) {
      double sum = 0.0;
      for (std::size_t c = 0; c < k; ++c) sum += b(j, c) / volume(c);
      shape(j) = sum;
    }
    shape /= geometric_mean(shape);
    double err = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
      err = std::max(err, std::abs(old_volume(c) - volume(c)) / (1.0 + volume(c)));
    }
    for (std::size_t j = 0; j < d; ++j) {
      err = std::max(err, std::abs(old_shape(j) - shape(j)) / (1.0 + shape(j)));
    }
    if (!(err > inner.tol)) break;
  }
}

// The M step under the conjugate prior (see prior.h): the posterior mode
// of each model from the moments, as mclust's EM (me(), whose EEI, EVI and
// EEV M steps differ from its mstep()'s) computes it for its ten models
// with a prior. mclust's n (with a noise component, the components'
// weight) is `total`. `previous` and `inner` serve the models without
// closed form, as in params_from_moments().
inline Params params_from_moments_prior(const Moments& m, Model model, const Prior& prior,
                                        const Params* previous = nullptr,
                                        const InnerControl& inner = InnerControl()) {
  const std::size_t d = m.means.n_rows, k = m.means.n_cols;
  const double dd = static_cast<double>(d), kk = static_cast<double>(k);
  const double total = sum_of(m.weight);
  const double rows = total + m.noise_weight;
  const double f = prior_scale_factor(prior, k, d);
  const double s = prior.scale_scalar * f;
  const double nu = prior.dof;
  // mclust shrinks every model's means but returns EEI's unshrunk.
  const double kappa = prior.shrinkage;
  const double delta = kappa > 0.0 ? 1.0 : 0.0;
  arma::mat lambda;
  if (prior.scale.n_elem == d * d) lambda = prior.scale * f;
  Params p;
  p.proportions = m.weight;
  p.proportions /= rows;
  p.noise = m.noise;
  p.noise_proportion = m.noise_weight / rows;
  p.covariances.zeros(d, d, k);
  // Shrunk means, and W_k + S_k: the scatter about them plus the prior's
  // quadratic form (diagonal only for the diagonal models' scatter).
  p.means = m.means;
  arma::cube scatter = m.scatter;
  for (std::size_t c = 0; c < k; ++c) {
    const double nk = m.weight(c);
    const double coefficient = kappa * nk / (nk + kappa);
    for (std::size_t j = 0; j < d; ++j) {
      p.means(j, c) = (nk * m.means(j, c) + kappa * prior.mean(j)) / (nk + kappa);
    }
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < d; ++i) {
        scatter(i, j, c) +=
            coefficient * (m.means(i, c) - prior.mean(i)) * (m.means(j, c) - prior.mean(j));
      }
    }
  }
  const auto diagonal_of = [&](std::size_t c, std::size_t j) { return scatter(j, j, c); };
  const bool one_d = d == 1;
  try {
    if (one_d && model == Model::EII) {  // mclust's E
      double sum = s;
      for (std::size_t c = 0; c < k; ++c) sum += diagonal_of(c, 0);
      const double variance = sum / (nu + total + 2.0 + delta * kk);
      for (std::size_t c = 0; c < k; ++c) p.covariances(0, 0, c) = variance;
    } else if (one_d && model == Model::VII) {  // mclust's V
      for (std::size_t c = 0; c < k; ++c) {
        p.covariances(0, 0, c) = (s + diagonal_of(c, 0)) / (nu + m.weight(c) + 2.0 + delta);
      }
    } else {
      switch (model) {
        case Model::VVV:
          for (std::size_t c = 0; c < k; ++c) {
            p.covariances.slice(c) =
                (lambda + scatter.slice(c)) / (nu + m.weight(c) + dd + 1.0 + delta);
          }
          break;
        case Model::EEE: {
          const arma::mat pooled =
              (lambda + sum_slices(scatter)) / (nu + total + dd + 1.0 + delta * kk);
          for (std::size_t c = 0; c < k; ++c) p.covariances.slice(c) = pooled;
          break;
        }
        case Model::VVI:
          for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < d; ++j) {
              p.covariances(j, j, c) = (s + diagonal_of(c, j)) / (nu + m.weight(c) + 2.0 + delta);
            }
          }
          break;
        case Model::EEI:
          // mclust returns the unshrunk means with this covariance.
          p.means = m.means;
          for (std::size_t j = 0; j < d; ++j) {
            double sum = s;
            for (std::size_t c = 0; c < k; ++c) sum += diagonal_of(c, j);
            for (std::size_t c = 0; c < k; ++c) {
              p.covariances(j, j, c) = sum / (nu + total + 1.0 + delta);
            }
          }
          break;
        case Model::VII:
          for (std::size_t c = 0; c < k; ++c) {
            double trace = s;
            for (std::size_t j = 0; j < d; ++j) trace += diagonal_of(c, j);
            const double variance = trace / (nu + m.weight(c) * dd + 2.0 + delta * dd);
            for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = variance;
          }
          break;
        case Model::EII: {
          // mclust's: no scale, and the residuals about the shrunk means.
          double sum = 0.0;
          for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < d; ++j) {
              const double shift = m.means(j, c) - p.means(j, c);
              sum += diagonal_of(c, j) + m.weight(c) * shift * shift;
            }
          }
          const double variance = sum / (nu + total * dd + 2.0 + delta * kk * dd);
          for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = variance;
          }
          break;
        }
        case Model::EVI: {
          double volume = 0.0;
          arma::mat b(d, k);
          for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < d; ++j) b(j, c) = s + diagonal_of(c, j);
            volume += geometric_mean(b.colptr(c), d);
          }
          volume /= nu + total + 1.0 + delta;
          for (std::size_t c = 0; c < k; ++c) {
            const double g = geometric_mean(b.colptr(c), d);
            for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = b(j, c) / g * volume;
          }
          break;
        }
        case Model::VEI: {
          arma::mat b(d, k);
          for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < d; ++j) b(j, c) = s + diagonal_of(c, j);
          }
          arma::vec denominator(k), shape(d, arma::fill::ones), volume;
          for (std::size_t c = 0; c < k; ++c) denominator(c) = nu + m.weight(c) * dd + 2.0 + delta;
          prior_volumes_and_shape(b, denominator, inner, shape, volume);
          for (std::size_t c = 0; c < k; ++c) {
            for (std::size_t j = 0; j < d; ++j) p.covariances(j, j, c) = volume(c) * shape(j);
          }
          break;
        }
        case Model::EEV: {
          // B_k = Lambda + W_k + S_k, one eigenvalue vector shared.
          std::vector<arma::mat> vectors(k);
          arma::vec values, shared(d, arma::fill::zeros);
          for (std::size_t c = 0; c < k; ++c) {
            eigen_decreasing(lambda + scatter.slice(c), c, values, vectors[c]);
            shared += values;
          }
          shared /= nu + dd + 1.0 + delta + total;
          for (std::size_t c = 0; c < k; ++c) {
            p.covariances.slice(c) = from_eigen(vectors[c], shared.memptr());
          }
          break;
        }
        case Model::VEV: {
          std::vector<arma::mat> vectors(k);
          arma::mat omega(d, k);
          arma::vec values;
          for (std::size_t c = 0; c < k; ++c) {
            eigen_decreasing(lambda + scatter.slice(c), c, values, vectors[c]);
            omega.col(c) = values;
          }
          // mclust starts VEV's shape from the summed eigenvalues, and does
          // not use the prior's dof.
          arma::vec shape = arma::sum(omega, 1);
          shape /= geometric_mean(shape);
          arma::vec volume, denominator = m.weight * dd;
          prior_volumes_and_shape(omega, denominator, inner, shape, volume);
          for (std::size_t c = 0; c < k; ++c) {
            const arma::vec diagonal = volume(c) * shape;
            p.covariances.slice(c) = from_eigen(vectors[c], diagonal.memptr());
          }
          break;
        }
        default: {
          // EVE, VEE, VVE, EVV: the ML step of B_k = Lambda + W_k + S_k with
          // the counts c_k = N_k + nu + d + 1 + delta.
          arma::cube b = scatter;
          arma::vec count(k);
          for (std::size_t c = 0; c < k; ++c) {
            b.slice(c) += lambda;
            count(c) = m.weight(c) + nu + dd + 1.0 + delta;
          }
          switch (model) {
            case Model::EVV:
              covariances_evv(b, count, p.covariances);
              break;
            case Model::VEE:
              covariances_vee(b, count, previous, inner, p.covariances);
              break;
            case Model::EVE:
              covariances_common_orientation(b, count, true, previous, inner, p.covariances);
              break;
            default:
              covariances_common_orientation(b, count, false, previous, inner, p.covariances);
              break;
          }
        }
      }
    }
    factorize(p, is_shared(model));
  } catch (const error& e) {
    throw error(std::string(e.what()) + "; use a larger prior scale or a simpler covariance model");
  }
  return p;
}

// Weighted statistics of the whole data for weights given by
// fill(kernels, begin, end, ws), which writes ws.responsibility for the
// block (zero on the padding) and returns the block's log-likelihood (or 0),
// each multiplied by the row's weight in x.
template <typename FillWeights>
std::vector<double> accumulate(const Data& x, const StatsLayout& layout, const arma::mat& centres,
                               int n_threads, FillWeights&& fill) {
  const Kernels kernels = active_kernels();
  std::vector<BlockWorkspace>& workspaces = workspaces_for(n_threads, layout.d, layout.columns());
  std::vector<double> total;
  reduce_blocks(
      x.n_rows, layout.length, n_threads, pass_row_work(layout.d, layout.k), total,
      [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
        BlockWorkspace& ws = workspaces[thread];
        load_panel(kernels, x, begin, end, ws.panel.data());
        partial[0] += fill(kernels, begin, end, ws);
        weight_responsibilities(x, begin, end - begin, layout.columns(), ws);
        accumulate_block(kernels, layout, centres, ws, partial);
      },
      [&](int thread, double* partial) {
        flush_block_scatter(kernels, layout, workspaces[thread], partial);
      });
  return total;
}

// Weighted MLE in scaled units for weights given by fill() (as for
// accumulate()), in two passes: the means first, then the scatter centred on
// them, free of cancellation. `ridge` is in scaled units; `inner` governs
// the inner iterations of the models without closed form.
template <typename FillWeights>
Params weighted_mle(const Data& x, std::size_t k, Model model, const arma::vec& ridge,
                    int n_threads, FillWeights&& fill, const InnerControl& inner = InnerControl()) {
  const std::size_t d = x.n_cols;
  const StatsLayout first(d, k, Scatter::none, x.noise);
  const arma::mat origin(d, k, arma::fill::zeros);
  const Moments location =
      moments_from_stats(accumulate(x, first, origin, n_threads, fill), first, origin);
  const StatsLayout second(d, k, scatter_for(model), x.noise);
  const Moments moments = moments_from_stats(accumulate(x, second, location.means, n_threads, fill),
                                             second, location.means);
  if (x.has_prior) return params_from_moments_prior(moments, model, x.prior, nullptr, inner);
  return params_from_moments(moments, model, ridge, nullptr, inner);
}

// weighted_mle() from a column-major n x K matrix of non-negative weights
// (n x (K + 1) with x's noise component, its weights last).
inline Params m_step_scaled(const Data& x, const double* weights, std::size_t k, Model model,
                            const arma::vec& ridge, int n_threads,
                            const InnerControl& inner = InnerControl()) {
  const std::size_t n = x.n_rows;
  const std::size_t columns = k + (x.noise ? 1 : 0);
  return weighted_mle(
      x, k, model, ridge, n_threads,
      [&](const Kernels&, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
        const std::size_t rows = end - begin;
        for (std::size_t c = 0; c < columns; ++c) {
          double* out = ws.responsibility.data() + c * block_size;
          std::memcpy(out, weights + c * n + begin, rows * sizeof(double));
          std::fill(out + rows, out + block_size, 0.0);
        }
        return 0.0;
      },
      inner);
}

// Weighted MLE in the data's own units, with the ridge reg times each
// column's variance (see scaled_ridge()). `weights` is the n x K posterior;
// `rows` may add a weight per row, which multiplies it.
inline Params m_step(const arma::mat& matrix, const double* weights, std::size_t k, Model model,
                     double reg, int n_threads, const InnerControl& inner = InnerControl(),
                     RowInfo rows = RowInfo()) {
  const Data x(matrix, true, rows);
  Params params = rescale(
      m_step_scaled(x, weights, k, model, scaled_ridge(x, reg), n_threads, inner), x.scale());
  factorize(params, is_shared(model));
  return params;
}

}  // namespace softmix

#endif  // SOFTMIX_MSTEP_H
