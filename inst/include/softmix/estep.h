// The E step on a block of points: log-densities through the precision
// Cholesky factors, a max-shifted log-sum-exp and the responsibilities.
#ifndef SOFTMIX_ESTEP_H
#define SOFTMIX_ESTEP_H

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.h"
#include "model.h"
#include "parallel.h"

namespace softmix {

constexpr double log_two_pi = 1.8378770664093454836;

// Per-thread scratch space for one block. Every array holds its variables
// (or components) as rows of block_size consecutive points, so the kernels
// run along the points; a short last block is padded with zeros.
struct BlockWorkspace {
  std::vector<double> panel;           // d x block_size, the block's points
  std::vector<double> centred;         // K x d x block_size, x - centre of each component
  std::vector<double> weighted;        // d x block_size, r * (x - centre)
  std::vector<double> log_density;     // K x block_size, log pi_k + log N(x | k)
  std::vector<double> responsibility;  // K x block_size
  std::vector<double> zero_row;        // block_size zeros

  BlockWorkspace(std::size_t d, std::size_t k)
      : panel(block_size * d),
        centred(block_size * d * k),
        weighted(block_size * d),
        log_density(block_size * k),
        responsibility(block_size * k),
        zero_row(block_size, 0.0) {}
};

inline std::vector<BlockWorkspace> make_workspaces(int n_threads, std::size_t d, std::size_t k) {
  return std::vector<BlockWorkspace>(static_cast<std::size_t>(n_threads), BlockWorkspace(d, k));
}

// Copies rows [begin, end) of the column-major n x d matrix x into the panel
// and zero-pads the rest of the block.
inline void load_panel(const arma::mat& x, std::size_t begin, std::size_t end, double* panel) {
  const std::size_t rows = end - begin;
  for (std::size_t j = 0; j < x.n_cols; ++j) {
    std::memcpy(panel + j * block_size, x.colptr(j) + begin, rows * sizeof(double));
    std::fill(panel + j * block_size + rows, panel + (j + 1) * block_size, 0.0);
  }
}

// log pi_k + log N(x | mu_k, Sigma_k) for every point of the loaded panel
// (padding included) and every component, into ws.log_density. Leaves
// x - mu_k in ws.centred for the M step of the same pass.
inline void block_log_density(const Kernels& kernels, const Params& params, BlockWorkspace& ws) {
  const std::size_t d = params.d();
  const double base = -0.5 * static_cast<double>(d) * log_two_pi;
  for (std::size_t c = 0; c < params.k(); ++c) {
    double* out = ws.log_density.data() + c * block_size;
    double* centred = ws.centred.data() + c * d * block_size;
    kernels.centre_block(ws.panel.data(), d, params.means.colptr(c), centred);
    if (params.diagonal) {
      kernels.mahalanobis_diagonal(centred, d, params.precision_diag.colptr(c), out);
    } else {
      kernels.mahalanobis_full(centred, d, params.packed_chol.data() + c * params.packed_length,
                               out);
    }
    // log(0) = -Inf for a component of zero weight is legal: it gets none.
    const double constant = std::log(params.proportions(c)) + base + params.log_det_chol(c);
    for (std::size_t b = 0; b < block_size; ++b) out[b] = constant - 0.5 * out[b];
  }
}

// Responsibilities of the block's first `rows` points into ws.responsibility
// (zero for the padding); returns their log-likelihood. log_mixture, if not
// null, receives each point's log mixture density.
inline double block_responsibilities(const Kernels& kernels, std::size_t rows, std::size_t k,
                                     BlockWorkspace& ws, double* log_mixture) {
  return kernels.responsibilities(ws.log_density.data(), k, rows, ws.responsibility.data(),
                                  log_mixture);
}

// The E step over all data: the log-likelihood, and optionally the n x K
// posterior and the n log mixture densities (either pointer may be null).
inline double e_step(const arma::mat& x, const Params& params, int n_threads, double* posterior,
                     double* log_mixture) {
  const std::size_t n = x.n_rows;
  const std::size_t k = params.k();
  const Kernels kernels = active_kernels();
  std::vector<BlockWorkspace> workspaces = make_workspaces(n_threads, params.d(), k);
  std::vector<double> total;
  reduce_blocks(n, 1, n_threads, total,
                [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
                  BlockWorkspace& ws = workspaces[thread];
                  const std::size_t rows = end - begin;
                  load_panel(x, begin, end, ws.panel.data());
                  block_log_density(kernels, params, ws);
                  partial[0] += block_responsibilities(
                      kernels, rows, k, ws, log_mixture == nullptr ? nullptr : log_mixture + begin);
                  if (posterior != nullptr) {
                    for (std::size_t c = 0; c < k; ++c) {
                      std::memcpy(posterior + c * n + begin,
                                  ws.responsibility.data() + c * block_size, rows * sizeof(double));
                    }
                  }
                });
  return total[0];
}

}  // namespace softmix

#endif  // SOFTMIX_ESTEP_H
