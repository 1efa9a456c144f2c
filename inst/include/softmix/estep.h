// The E step on a block of points: log-densities through the precision
// Cholesky factors, a max-shifted log-sum-exp and the responsibilities.
#ifndef SOFTMIX_ESTEP_H
#define SOFTMIX_ESTEP_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "data.h"
#include "kernels.h"
#include "model.h"
#include "parallel.h"

namespace softmix {

constexpr double log_two_pi = 1.8378770664093454836;

// An array of doubles that starts on a 64-byte boundary (so a 512-bit load
// never straddles two cache lines) plus `skew` doubles. Large allocations
// all begin at the same offset within a 4 KiB page, and rows of block_size
// doubles are 2 KiB apart, so without a skew a store to one workspace array
// and a load from another would keep colliding in the CPU's 4 KiB
// store-forwarding check.
class AlignedBuffer {
 public:
  AlignedBuffer(std::size_t size, std::size_t skew) : size_(size), skew_(skew) { allocate(); }
  AlignedBuffer(const AlignedBuffer& other) : size_(other.size_), skew_(other.skew_) {
    allocate();
    std::copy(other.begin(), other.end(), begin());
  }
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  double* data() { return storage_.data() + offset_; }
  const double* data() const { return storage_.data() + offset_; }
  double* begin() { return data(); }
  double* end() { return data() + size_; }
  const double* begin() const { return data(); }
  const double* end() const { return data() + size_; }
  double& operator[](std::size_t i) { return data()[i]; }
  double operator[](std::size_t i) const { return data()[i]; }
  std::size_t size() const { return size_; }

 private:
  void allocate() {
    constexpr std::size_t line = 64 / sizeof(double);
    storage_.assign(size_ + skew_ + line, 0.0);
    const std::size_t misaligned = reinterpret_cast<std::uintptr_t>(storage_.data()) % 64;
    offset_ = (misaligned == 0 ? 0 : (64 - misaligned) / sizeof(double)) + skew_;
  }

  std::vector<double> storage_;
  std::size_t size_, skew_, offset_ = 0;
};

// Whether the M step's full scatter goes through scatter_lanes(), whose
// sums are added up once per chunk of blocks rather than per block: for the
// dimensions with kernels of their own (see mahalanobis_small()).
inline bool uses_scatter_lanes(std::size_t d) {
  return d >= 1 && d <= kernel_portable::small_d_max && !uses_row_scatter(d);
}

// Doubles between two components' lane-wise scatter accumulators in a
// workspace: enough for the widest vectors.
inline std::size_t scatter_lanes_stride(std::size_t d) {
  return uses_scatter_lanes(d) ? (d + d * (d + 1) / 2) * max_lanes : 0;
}

// Per-thread scratch space for one block. The block arrays hold their
// variables (or components) as rows of block_size consecutive points, so the
// kernels run along the points; a short last block is padded with zeros.
// The skews put the arrays' rows at different offsets modulo 4 KiB.
struct BlockWorkspace {
  AlignedBuffer panel;           // d x block_size, the block's points
  AlignedBuffer centred_tile;    // d x 32, a tile of centred points (see mahalanobis_full())
  AlignedBuffer point;           // d, one centred point
  AlignedBuffer log_density;     // K x block_size, log pi_k + log N(x | k)
  AlignedBuffer responsibility;  // K x block_size
  AlignedBuffer zero_row;        // block_size zeros
  // For the row-wise full scatter (scatter_rows()): the block's points as
  // rows of padded_dim(d), a tile of them centred and weighted, scratch.
  AlignedBuffer rows;
  AlignedBuffer weighted_rows;
  AlignedBuffer row_scratch;
  AlignedBuffer block_weight;  // K, each component's weight in the block
  AlignedBuffer log_mixture;   // block_size, each point's log mixture density
  // For d <= small_d_max, each component's full scatter as vectors of
  // lane-wise sums, scatter_lanes_stride() apart (see scatter_lanes()):
  // flushed into the statistics once per chunk of blocks, zero between.
  AlignedBuffer scatter_lanes;

  BlockWorkspace(std::size_t d, std::size_t k)
      : panel(block_size * d, 0),
        centred_tile(max_tile_width * d, 64),
        point(d, 128),
        log_density(block_size * k, 192),
        responsibility(block_size * k, 320),
        zero_row(block_size, 448),
        rows(uses_row_scatter(d) ? block_size * padded_dim(d) : 0, 72),
        weighted_rows(uses_row_scatter(d) ? scatter_tile_points(d) * padded_dim(d) : 0, 200),
        row_scratch(uses_row_scatter(d) ? 2 * k * padded_dim(d) : 0, 264),
        block_weight(k, 328),
        log_mixture(block_size, 456),
        scatter_lanes(k * scatter_lanes_stride(d), 24) {}
};

// The calling thread's workspaces for n_threads threads, kept from pass to
// pass while d and K stay the same: allocating and zeroing them anew cost
// more than the arithmetic of a pass over a few hundred rows. Each pass
// writes what it reads; the parts nobody writes (padding, the zero row)
// keep the zeros they were allocated with.
inline std::vector<BlockWorkspace>& workspaces_for(int n_threads, std::size_t d, std::size_t k) {
  struct Cache {
    std::vector<BlockWorkspace> workspaces;
    std::size_t d = 0, k = 0;
  };
  thread_local Cache cache;
  const std::size_t threads = static_cast<std::size_t>(n_threads);
  if (cache.d != d || cache.k != k || cache.workspaces.size() < threads) {
    cache.workspaces = std::vector<BlockWorkspace>(threads, BlockWorkspace(d, k));
    cache.d = d;
    cache.k = k;
  }
  return cache.workspaces;
}

// Copies rows [begin, end) of the data, scaled, into the panel and
// zero-pads the rest of the block. Column by column, it asks for the same
// column of the next block to be fetched into the L1 cache, so that it
// arrives while this block is worked on, and of the block after it into
// L2: the d columns are d separate streams, more than the hardware
// prefetchers follow. (Fetched only as far as L2, the next block's first
// reads still waited on it at small d; fetched into L1 from memory, the
// prefetches themselves waited for the L1's few outstanding misses on
// some processors.)
inline void load_panel(const Kernels& kernels, const Data& x, std::size_t begin, std::size_t end,
                       double* panel) {
  const std::size_t rows = end - begin;
  const std::size_t next_end = std::min<std::size_t>(x.n_rows, end + block_size);
  const std::size_t later_end = std::min<std::size_t>(x.n_rows, end + 2 * block_size);
  for (std::size_t j = 0; j < x.n_cols; ++j) {
    const double* column = x.x.colptr(j);
    kernels.scaled_copy(column + begin, x.inverse_scale(j), rows, panel + j * block_size);
    std::fill(panel + j * block_size + rows, panel + (j + 1) * block_size, 0.0);
#if defined(__GNUC__) || defined(__clang__)
    constexpr std::size_t per_line = 64 / sizeof(double);
    for (std::size_t i = end; i < next_end; i += per_line) __builtin_prefetch(column + i, 0, 3);
    for (std::size_t i = next_end; i < later_end; i += per_line) {
      __builtin_prefetch(column + i, 0, 2);
    }
#endif
  }
}

// The parts of the log-densities that do not depend on the point: each
// component's log pi + log det U - d log(2 pi) / 2 and the noise's
// log pi_0 + log density, once per pass rather than once per block.
struct DensityOffsets {
  std::vector<double> component;
  double noise = 0.0;
};

inline DensityOffsets density_offsets(const Params& params, double log_noise_density) {
  DensityOffsets out;
  const double base = -0.5 * static_cast<double>(params.d()) * log_two_pi;
  out.component.resize(params.k());
  for (std::size_t c = 0; c < params.k(); ++c) {
    // log(0) = -Inf for a component of zero weight is legal: it gets none.
    out.component[c] = std::log(params.proportions(c)) + base + params.log_det_chol(c);
  }
  if (params.noise) out.noise = std::log(params.noise_proportion) + log_noise_density;
  return out;
}

// log pi_k + log N(x | mu_k, Sigma_k) for every point of the loaded panel
// (padding included) and every component, into ws.log_density, and with a
// noise component log pi_0 + log_noise_density in the row after them, from
// the pass's density_offsets(). Leaves nothing else in the workspace that
// the M step of the same pass needs.
inline void block_log_density(const Kernels& kernels, const Params& params,
                              const DensityOffsets& offsets, BlockWorkspace& ws) {
  const std::size_t d = params.d();
  if (params.noise) {
    double* row = ws.log_density.data() + params.k() * block_size;
    std::fill(row, row + block_size, offsets.noise);
  }
  if (!params.diagonal) {
    kernels.mahalanobis_full(ws.panel.data(), d, params.k(), params.means.memptr(),
                             params.packed_chol.data(), params.packed_length,
                             offsets.component.data(), ws.centred_tile.data(),
                             ws.log_density.data());
    return;
  }
  for (std::size_t c = 0; c < params.k(); ++c) {
    kernels.mahalanobis_diagonal(ws.panel.data(), d, params.means.colptr(c),
                                 params.precision_diag.colptr(c), offsets.component[c],
                                 ws.log_density.data() + c * block_size);
  }
}

// log ||U_c' (x - mu_c)||^2 for point b of a panel (d rows of block_size
// points), computed on (x - mu_c) / max |x - mu_c| so that nothing
// overflows. `diff` (d doubles) is scratch, so that nothing allocates inside
// a parallel region.
inline double log_mahalanobis(const Params& params, std::size_t c, const double* panel,
                              std::size_t b, double* diff) {
  const std::size_t d = params.d();
  double largest = 0.0;
  for (std::size_t j = 0; j < d; ++j) {
    diff[j] = panel[j * block_size + b] - params.means(j, c);
    largest = std::max(largest, std::abs(diff[j]));
  }
  if (largest == 0.0) return -std::numeric_limits<double>::infinity();
  const arma::mat& upper = params.precision_chol.slice(c);
  double sum = 0.0;
  for (std::size_t i = 0; i < d; ++i) {
    double z = 0.0;
    for (std::size_t j = 0; j <= i; ++j) z += upper(j, i) * (diff[j] / largest);
    sum += z * z;
  }
  return 2.0 * std::log(largest) + std::log(sum);
}

// A point so far out (about 1e154 standard deviations) that its density
// underflows to 0 under every one of the k components (log_density, k x
// block_size) still belongs somewhere: to the component with the smallest
// Mahalanobis distance, whose density ratio to every other is
// astronomically large; its `columns` responsibilities become one-hot. Its
// log-density stays -Inf. Component c's points are those of the panel at
// panel + c * panel_stride; `diff` (d doubles) is scratch.
inline void assign_underflowed_to_nearest(const Params& params, const double* log_density,
                                          std::size_t rows, std::size_t columns,
                                          const double* panel, std::size_t panel_stride,
                                          double* diff, double* responsibility) {
  const std::size_t k = params.k();
  for (std::size_t b = 0; b < rows; ++b) {
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) top = std::max(top, log_density[c * block_size + b]);
    if (top != -std::numeric_limits<double>::infinity()) continue;
    std::size_t nearest = 0;
    double nearest_distance = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
      if (!(params.proportions(c) > 0.0)) continue;
      const double distance = log_mahalanobis(params, c, panel + c * panel_stride, b, diff);
      if (distance < nearest_distance) {
        nearest = c;
        nearest_distance = distance;
      }
    }
    for (std::size_t c = 0; c < columns; ++c) responsibility[c * block_size + b] = c == nearest;
  }
}

// Responsibilities of the block's first `rows` points into ws.responsibility
// (zero for the padding); returns their log-likelihood. log_mixture, if not
// null, receives each point's log mixture density.
inline double block_responsibilities(const Kernels& kernels, const Params& params, std::size_t rows,
                                     BlockWorkspace& ws, double* log_mixture) {
  const std::size_t columns = params.columns();
  const double loglik = kernels.responsibilities(ws.log_density.data(), columns, rows,
                                                 ws.responsibility.data(), log_mixture);
  if (std::isfinite(loglik)) return loglik;
  assign_underflowed_to_nearest(params, ws.log_density.data(), rows, columns, ws.panel.data(), 0,
                                ws.point.data(), ws.responsibility.data());
  return loglik;
}

// The responsibilities and log-likelihood of the block's first `rows`
// points, rows [begin, begin + rows) of x, with x's weights and known labels:
// a labelled row gets the one-hot responsibility of its component and adds
// its complete-data log-density log pi_y + log N(x | y), an unlabelled row
// its log mixture density, each times its weight (a row of weight 0 adds
// nothing, even at a density of 0). log_mixture, if not null, receives
// what each row adds before weighting.
inline double block_observed(const Kernels& kernels, const Params& params, const Data& x,
                             std::size_t begin, std::size_t rows, BlockWorkspace& ws,
                             double* log_mixture) {
  if (x.weights == nullptr && x.labels == nullptr) {
    return block_responsibilities(kernels, params, rows, ws, log_mixture);
  }
  double* own = ws.log_mixture.data();
  block_responsibilities(kernels, params, rows, ws, own);
  const std::size_t k = params.columns();
  if (x.labels != nullptr) {
    const std::uint32_t* label = x.labels + begin;
    for (std::size_t b = 0; b < rows; ++b) {
      if (label[b] == unlabelled) continue;
      for (std::size_t c = 0; c < k; ++c) ws.responsibility[c * block_size + b] = 0.0;
      ws.responsibility[label[b] * block_size + b] = 1.0;
      own[b] = ws.log_density[label[b] * block_size + b];
    }
  }
  if (log_mixture != nullptr) std::memcpy(log_mixture, own, rows * sizeof(double));
  double loglik = 0.0;
  for (std::size_t b = 0; b < rows; ++b) {
    const double w = x.weight(begin + b);
    if (w != 0.0) loglik += w * own[b];
  }
  return loglik;
}

// Multiplies the block's responsibilities by the rows' weights, so that
// the statistics accumulated from them are weighted.
inline void weight_responsibilities(const Data& x, std::size_t begin, std::size_t rows,
                                    std::size_t k, BlockWorkspace& ws) {
  if (x.weights == nullptr) return;
  const double* w = x.weights + begin;
  for (std::size_t c = 0; c < k; ++c) {
    double* r = ws.responsibility.data() + c * block_size;
    for (std::size_t b = 0; b < rows; ++b) r[b] *= w[b];
  }
}

// The E step over all data in scaled units (Params scaled too): the
// scaled log-likelihood (weighted, with known labels, see block_observed()),
// and optionally the n x K posterior (a last column for the noise, if any)
// and the n scaled log mixture densities (either pointer may be null). The
// posterior is not weighted.
// Incomplete rows (see missing.h) are not handled here: e_step_scaled()
// in missing.h adds them.
inline double e_step_complete(const Data& x, const Params& params, int n_threads, double* posterior,
                              double* log_mixture) {
  // The posterior has a row for every row, incomplete ones last.
  const std::size_t n = x.n_total;
  const std::size_t complete = x.n_rows;
  const std::size_t k = params.columns();
  const Kernels kernels = active_kernels();
  std::vector<BlockWorkspace>& workspaces = workspaces_for(n_threads, params.d(), k);
  const DensityOffsets offsets = density_offsets(params, x.log_noise_density);
  std::vector<double> total;
  reduce_blocks(complete, 1, n_threads, pass_row_work(params.d(), k), total,
                [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
                  BlockWorkspace& ws = workspaces[thread];
                  const std::size_t rows = end - begin;
                  load_panel(kernels, x, begin, end, ws.panel.data());
                  block_log_density(kernels, params, offsets, ws);
                  partial[0] +=
                      block_observed(kernels, params, x, begin, rows, ws,
                                     log_mixture == nullptr ? nullptr : log_mixture + begin);
                  if (posterior != nullptr) {
                    for (std::size_t c = 0; c < k; ++c) {
                      std::memcpy(posterior + c * n + begin,
                                  ws.responsibility.data() + c * block_size, rows * sizeof(double));
                    }
                  }
                });
  return total[0];
}

// The hard assignment of each row of an n x K posterior (the first
// component of highest probability, 1-based) and its uncertainty, one minus
// that probability. Returns the sum over rows of the log of that largest
// probability, the classification term of ICL, so that R need not index
// the n x K matrix to get it. Works through chunks of rows column by
// column, so that every read is contiguous, and takes one log of a product
// of many largest probabilities rather than one log per row: each is at
// least about 1/K, and the product is handed to log() before it could
// underflow. With `weights` (one per row, or null), the sum is weighted.
inline double classify(const arma::mat& posterior, int* classification, double* uncertainty,
                       const double* weights = nullptr) {
  constexpr std::size_t chunk = 256;
  constexpr double smallest_product = 1e-280;
  const std::size_t n = posterior.n_rows, k = posterior.n_cols;
  const Kernels kernels = active_kernels();
  double best[chunk], which[chunk];
  long double log_max_sum = 0.0L;
  double product = 1.0;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t rows = std::min(chunk, n - first);
    kernels.row_maxima(posterior.colptr(0) + first, n, k, rows, best, which);
    int* label = classification + first;
    for (std::size_t i = 0; i < rows; ++i) {
      label[i] = static_cast<int>(which[i]);
      uncertainty[first + i] = 1.0 - best[i];
    }
    for (std::size_t i = 0; i < rows; ++i) {
      if (weights != nullptr) {
        if (weights[first + i] != 0.0) log_max_sum += weights[first + i] * std::log(best[i]);
        continue;
      }
      product *= best[i];
      if (!(product >= smallest_product)) {
        log_max_sum += std::log(product);
        product = 1.0;
      }
    }
  }
  log_max_sum += std::log(product);
  return static_cast<double>(log_max_sum);
}

}  // namespace softmix

#endif  // SOFTMIX_ESTEP_H
