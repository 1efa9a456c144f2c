// The E step on a block of points: log-densities through the precision
// Cholesky factors, a max-shifted log-sum-exp and the responsibilities.
#ifndef SOFTMIX_ESTEP_H
#define SOFTMIX_ESTEP_H

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "model.h"
#include "parallel.h"

namespace softmix {

constexpr double log_two_pi = 1.8378770664093454836;

// Per-thread scratch space for one block. The panel holds the block's points
// variable by variable (point index fastest), so the inner loops run over
// consecutive points and vectorise.
struct BlockWorkspace {
  std::vector<double> panel;           // block_size x d
  std::vector<double> centred;         // block_size x d, x - centre of one component
  std::vector<double> projection;      // block_size, one row of U' (x - mu)
  std::vector<double> log_density;     // block_size x K, log pi_k + log N(x | k)
  std::vector<double> responsibility;  // block_size x K

  BlockWorkspace(std::size_t d, std::size_t k)
      : panel(block_size * d),
        centred(block_size * d),
        projection(block_size),
        log_density(block_size * k),
        responsibility(block_size * k) {}
};

inline std::vector<BlockWorkspace> make_workspaces(int n_threads, std::size_t d, std::size_t k) {
  return std::vector<BlockWorkspace>(static_cast<std::size_t>(n_threads), BlockWorkspace(d, k));
}

// Copies rows [begin, end) of the column-major n x d matrix x into the panel.
inline void load_panel(const arma::mat& x, std::size_t begin, std::size_t end, double* panel) {
  const std::size_t rows = end - begin;
  for (std::size_t j = 0; j < x.n_cols; ++j) {
    std::memcpy(panel + j * block_size, x.colptr(j) + begin, rows * sizeof(double));
  }
}

// centred = panel - centre, variable by variable.
inline void centre_panel(const double* panel, std::size_t rows, std::size_t d, const double* centre,
                         double* centred) {
  for (std::size_t j = 0; j < d; ++j) {
    const double* in = panel + j * block_size;
    double* out = centred + j * block_size;
    const double c = centre[j];
    for (std::size_t b = 0; b < rows; ++b) out[b] = in[b] - c;
  }
}

// Squared Mahalanobis distances ||U' (x - mu)||^2 for the centred points, with
// U upper triangular: row i of U' (x - mu) is sum_{j <= i} U[j, i] (x_j - mu_j).
inline void mahalanobis_full(const double* centred, std::size_t rows, std::size_t d,
                             const double* precision_chol, double* projection, double* distance) {
  std::fill(distance, distance + rows, 0.0);
  for (std::size_t i = 0; i < d; ++i) {
    const double* column = precision_chol + i * d;  // U[, i]
    std::fill(projection, projection + rows, 0.0);
    for (std::size_t j = 0; j <= i; ++j) {
      const double u = column[j];
      const double* in = centred + j * block_size;
      for (std::size_t b = 0; b < rows; ++b) projection[b] += u * in[b];
    }
    for (std::size_t b = 0; b < rows; ++b) distance[b] += projection[b] * projection[b];
  }
}

// The same for a diagonal U: O(d) per point.
inline void mahalanobis_diagonal(const double* centred, std::size_t rows, std::size_t d,
                                 const double* precision_chol, double* distance) {
  std::fill(distance, distance + rows, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    const double u = precision_chol[j * d + j];
    const double* in = centred + j * block_size;
    for (std::size_t b = 0; b < rows; ++b) {
      const double z = u * in[b];
      distance[b] += z * z;
    }
  }
}

// log pi_k + log N(x | mu_k, Sigma_k) for every point of the loaded panel and
// every component, into ws.log_density (block_size x K, column k for
// component k).
inline void block_log_density(const Params& params, bool diagonal, std::size_t rows,
                              BlockWorkspace& ws) {
  const std::size_t d = params.d();
  const double base = -0.5 * static_cast<double>(d) * log_two_pi;
  for (std::size_t c = 0; c < params.k(); ++c) {
    double* out = ws.log_density.data() + c * block_size;
    centre_panel(ws.panel.data(), rows, d, params.means.colptr(c), ws.centred.data());
    const double* factor = params.precision_chol.slice(c).memptr();
    if (diagonal) {
      mahalanobis_diagonal(ws.centred.data(), rows, d, factor, out);
    } else {
      mahalanobis_full(ws.centred.data(), rows, d, factor, ws.projection.data(), out);
    }
    // log(0) = -Inf for an empty component is legal: it never gets weight.
    const double constant = std::log(params.proportions(c)) + base + params.log_det_chol(c);
    for (std::size_t b = 0; b < rows; ++b) out[b] = constant - 0.5 * out[b];
  }
}

// Turns ws.log_density into responsibilities with a max-shifted log-sum-exp
// (no exp of a positive number) and returns the block's log-likelihood.
// log_mixture, if not null, receives each point's log mixture density.
inline double block_responsibilities(std::size_t rows, std::size_t k, BlockWorkspace& ws,
                                     double* log_mixture) {
  const double* ld = ws.log_density.data();
  double* resp = ws.responsibility.data();
  double loglik = 0.0;
  for (std::size_t b = 0; b < rows; ++b) {
    double top = ld[b];
    for (std::size_t c = 1; c < k; ++c) top = std::max(top, ld[c * block_size + b]);
    double lse;
    if (std::isfinite(top)) {
      double sum = 0.0;
      for (std::size_t c = 0; c < k; ++c) sum += std::exp(ld[c * block_size + b] - top);
      lse = top + std::log(sum);
      for (std::size_t c = 0; c < k; ++c) {
        resp[c * block_size + b] = std::exp(ld[c * block_size + b] - lse);
      }
    } else {
      // Every component has zero density here (or a NaN crept in): the
      // log-likelihood becomes -Inf/NaN and the caller reports it.
      lse = top;
      for (std::size_t c = 0; c < k; ++c) resp[c * block_size + b] = 0.0;
    }
    if (log_mixture != nullptr) log_mixture[b] = lse;
    loglik += lse;
  }
  return loglik;
}

// The E step over all data: the log-likelihood, and optionally the n x K
// posterior and the n log mixture densities (either pointer may be null).
inline double e_step(const arma::mat& x, const Params& params, bool diagonal, int n_threads,
                     double* posterior, double* log_mixture) {
  const std::size_t n = x.n_rows;
  const std::size_t k = params.k();
  std::vector<BlockWorkspace> workspaces = make_workspaces(n_threads, params.d(), k);
  std::vector<double> total;
  reduce_blocks(n, 1, n_threads, total,
                [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
                  BlockWorkspace& ws = workspaces[thread];
                  const std::size_t rows = end - begin;
                  load_panel(x, begin, end, ws.panel.data());
                  block_log_density(params, diagonal, rows, ws);
                  partial[0] = block_responsibilities(
                      rows, k, ws, log_mixture == nullptr ? nullptr : log_mixture + begin);
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
