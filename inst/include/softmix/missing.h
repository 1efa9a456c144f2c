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
//
// All three come from the precision Lambda_k = Sigma_k^-1 = U_k U_k' on
// the missing coordinates: with L L' = Lambda_k,mm,
//   Cov[x_m | x_o, k] = Lambda_k,mm^-1 = C,
//   E[x_m | x_o, k] = mu_k,m + B (x_o - mu_k,o), B = -C Lambda_k,mo,
//   log det Sigma_k,oo = log det Sigma_k + 2 sum_j log L_jj,
// and since the conditional mean minimises the full quadratic form over
// x_m, whose minimum is the marginal one,
//   (x_o - mu_k,o)' Sigma_k,oo^-1 (x_o - mu_k,o) = ||U_k' (x^_ik - mu_k)||^2.
// A pattern then costs O(|m|^2 d) per component instead of factoring
// Sigma_k,oo, and the completed rows go through the complete data's
// kernels: a block of incomplete rows, whatever their patterns, becomes one
// d x block_size panel of completed rows per component, whose
// log-densities, responsibilities and scatter the kernels compute as for
// complete rows. Each row's log-density then gains its pattern's term, and
// the scatter the conditional covariance, once per pattern in the block.
//
// The blocks of block_size rows are reduced in a fixed order
// (reduce_blocks()), so the sums do not depend on the number of threads.
#ifndef SOFTMIX_MISSING_H
#define SOFTMIX_MISSING_H

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "data.h"
#include "estep.h"
#include "kernels.h"
#include "mstep.h"

namespace softmix {

// The precision Lambda_c = U_c U_c' of every component, d x d column-major
// each, from the factors of p.
inline std::vector<double> precision_matrices(const Params& p) {
  const std::size_t d = p.d(), k = p.k();
  std::vector<double> out(d * d * k);
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat& u = p.precision_chol.slice(c);
    double* lambda = out.data() + c * d * d;
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i <= j; ++i) {
        // U is upper triangular: only t >= j contributes.
        double sum = 0.0;
        for (std::size_t t = j; t < d; ++t) sum += u(i, t) * u(j, t);
        lambda[i + j * d] = sum;
        lambda[j + i * d] = sum;
      }
    }
  }
  return out;
}

// Component c's factors on a missingness pattern, from its precision
// `lambda` (d x d): the conditional covariance C = Lambda_mm^-1 into
// `conditional` (|m| x |m|) and, unless null, the coefficients
// B = -C Lambda_mo into `regression` (|m| x |o|, row by row: row a at
// a |o|), C column-major.
// Returns the pattern's term of the log-density,
// -|o| log(2 pi) / 2 - sum_j log L_jj (see the top of this file). `work`
// holds 2 |m|^2 doubles.
inline double conditional_factors(const double* lambda, std::size_t d, std::size_t c,
                                  const MissingPattern& pattern, double* work, double* conditional,
                                  double* regression) {
  const auto& o = pattern.observed;
  const auto& m = pattern.missing;
  const std::size_t q = o.size(), mm = m.size();
  double* l = work;                  // lower triangular, L L' = Lambda_mm
  double* inverse = work + mm * mm;  // lower triangular, L^-1
  for (std::size_t a = 0; a < mm; ++a) {
    for (std::size_t b = 0; b <= a; ++b) {
      double sum = lambda[m[a] + m[b] * d];
      for (std::size_t t = 0; t < b; ++t) sum -= l[a + t * mm] * l[b + t * mm];
      if (a == b) {
        if (!(sum > 0.0) || !std::isfinite(sum)) {
          throw error("the covariance matrix of component " + std::to_string(c + 1) +
                      " is not positive definite on the variables missing in an incomplete row");
        }
        l[a + a * mm] = std::sqrt(sum);
      } else {
        l[a + b * mm] = sum / l[b + b * mm];
      }
    }
  }
  double term = -0.5 * static_cast<double>(q) * log_two_pi;
  for (std::size_t a = 0; a < mm; ++a) term -= std::log(l[a + a * mm]);
  for (std::size_t b = 0; b < mm; ++b) {
    for (std::size_t a = 0; a < b; ++a) inverse[a + b * mm] = 0.0;
    for (std::size_t a = b; a < mm; ++a) {
      double sum = a == b ? 1.0 : 0.0;
      for (std::size_t t = b; t < a; ++t) sum -= l[a + t * mm] * inverse[t + b * mm];
      inverse[a + b * mm] = sum / l[a + a * mm];
    }
  }
  // C = L^-T L^-1.
  for (std::size_t b = 0; b < mm; ++b) {
    for (std::size_t a = 0; a <= b; ++a) {
      double sum = 0.0;
      for (std::size_t t = b; t < mm; ++t) sum += inverse[t + a * mm] * inverse[t + b * mm];
      conditional[a + b * mm] = sum;
      conditional[b + a * mm] = sum;
    }
  }
  if (regression == nullptr) return term;
  for (std::size_t t = 0; t < q; ++t) {
    const double* column = lambda + o[t] * d;
    for (std::size_t a = 0; a < mm; ++a) {
      double sum = 0.0;
      for (std::size_t b = 0; b < mm; ++b) sum += conditional[a + b * mm] * column[m[b]];
      regression[t + a * q] = -sum;
    }
  }
  return term;
}

// Two doubles in a vector register where the compiler offers vector types
// (SSE2 and its successors on x86-64, NEON on arm64), else one.
#ifdef SOFTMIX_VECTOR_EXTENSIONS
typedef double completion_vec __attribute__((vector_size(16)));
#else
typedef double completion_vec;
#endif
constexpr std::size_t completion_lanes = sizeof(completion_vec) / sizeof(double);

// row[b] = mean + sum_u coefficients[u] (rows[u][b] - means[u]) for b in
// [first, last): a missing coordinate's conditional mean in one component,
// for every row of a pattern in the block. Eight points at a time in four
// independent accumulators, the q observed coordinates inner, so that each
// result is stored once.
inline void complete_coordinate(const double* coefficients, std::size_t q,
                                const double* const* rows, const double* means, double mean,
                                std::size_t first, std::size_t last, double* row) {
  constexpr std::size_t step = 4 * completion_lanes;
  const completion_vec start = mean - completion_vec{};
  std::size_t b = first;
  for (; b + step <= last; b += step) {
    // Named accumulators: an array would live in memory at -O2.
    completion_vec acc0 = start, acc1 = start, acc2 = start, acc3 = start;
    for (std::size_t u = 0; u < q; ++u) {
      const double coefficient = coefficients[u], centre = means[u];
      const double* values = rows[u] + b;
      completion_vec x0, x1, x2, x3;
      std::memcpy(&x0, values, sizeof x0);
      std::memcpy(&x1, values + completion_lanes, sizeof x1);
      std::memcpy(&x2, values + 2 * completion_lanes, sizeof x2);
      std::memcpy(&x3, values + 3 * completion_lanes, sizeof x3);
      acc0 += coefficient * (x0 - centre);
      acc1 += coefficient * (x1 - centre);
      acc2 += coefficient * (x2 - centre);
      acc3 += coefficient * (x3 - centre);
    }
    std::memcpy(row + b, &acc0, sizeof acc0);
    std::memcpy(row + b + completion_lanes, &acc1, sizeof acc1);
    std::memcpy(row + b + 2 * completion_lanes, &acc2, sizeof acc2);
    std::memcpy(row + b + 3 * completion_lanes, &acc3, sizeof acc3);
  }
  for (; b < last; ++b) {
    double sum = mean;
    for (std::size_t u = 0; u < q; ++u) sum += coefficients[u] * (rows[u][b] - means[u]);
    row[b] = sum;
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
  // Not written but read, if not null: responsibilities given for the
  // statistics (column-major, `stride` rows, row n_rows + r for incomplete
  // row r), in place of the E step's, which is then skipped (an M step from
  // a given posterior). The pass then returns 0.
  const double* given = nullptr;
};

// The rows of one pattern within a block: incomplete rows
// [first, first + count), at [position, position + count) of the block.
struct MissingSegment {
  std::size_t pattern, first, position, count;
};

// Conditional covariances kept from the completion of a block to its
// scatter, in doubles; a block whose patterns need more computes them again.
constexpr std::size_t kept_conditional_length = std::size_t(1) << 18;

// Per-thread scratch space for blocks of incomplete rows, laid out as
// BlockWorkspace's arrays (rows of block_size points), with one panel of
// completed rows per component.
struct MissingWorkspace {
  AlignedBuffer observed;        // d x block_size, the block's rows (NaN where missing)
  AlignedBuffer completed;       // K panels of d x block_size, the completed rows
  AlignedBuffer centred_tile;    // d x 32 (see mahalanobis_full())
  AlignedBuffer log_density;     // K x block_size
  AlignedBuffer responsibility;  // K x block_size
  AlignedBuffer zero_row;        // block_size zeros
  AlignedBuffer rows;            // block_size x padded_dim(d), for scatter_rows()
  AlignedBuffer weighted_rows;
  AlignedBuffer row_scratch;
  AlignedBuffer block_weight;  // K
  AlignedBuffer offsets;       // K, log pi + log det U
  AlignedBuffer log_mixture;   // block_size
  std::vector<MissingSegment> segments;
  std::vector<double> work, regression, conditional;
  std::vector<const double*> observed_rows;  // a pattern's observed coordinates' rows
  std::vector<double> observed_means;        // and their means in one component
  std::vector<double> term;                  // K per segment, the pattern's term of the log-density
  std::vector<std::size_t> kept;             // where each segment's K conditional covariances start

  MissingWorkspace(std::size_t d, std::size_t k)
      : observed(block_size * d, 0),
        completed(block_size * d * k, 72),
        centred_tile(max_tile_width * d, 136),
        log_density(block_size * k, 200),
        responsibility(block_size * k, 264),
        zero_row(block_size, 328),
        rows(uses_row_scatter(d) ? block_size * padded_dim(d) : 0, 392),
        weighted_rows(uses_row_scatter(d) ? scatter_tile_points(d) * padded_dim(d) : 0, 456),
        row_scratch(uses_row_scatter(d) ? 2 * padded_dim(d) : 0, 8),
        block_weight(k, 24),
        offsets(k, 40),
        log_mixture(block_size, 104),
        work(2 * d * d),
        regression(d * d),
        conditional(d * d),
        observed_rows(d),
        observed_means(d) {}
};

// The calling thread's workspaces for n_threads threads, kept from pass to
// pass while d and K stay the same (see workspaces_for()).
inline std::vector<MissingWorkspace>& missing_workspaces_for(int n_threads, std::size_t d,
                                                             std::size_t k) {
  struct Cache {
    std::vector<MissingWorkspace> workspaces;
    std::size_t d = 0, k = 0;
  };
  thread_local Cache cache;
  const std::size_t threads = static_cast<std::size_t>(std::max(1, n_threads));
  if (cache.d != d || cache.k != k || cache.workspaces.size() < threads) {
    cache.workspaces = std::vector<MissingWorkspace>(threads, MissingWorkspace(d, k));
    cache.d = d;
    cache.k = k;
  }
  return cache.workspaces;
}

// What a pass needs besides the block: the data, parameters, each
// component's precision, the first row of every pattern and, for the full
// scatter, where entry (i, j), i <= j, of a moment lives (packed[i + j d]).
struct MissingPass {
  const Data& x;
  const Params& p;
  const MissingOutput& out;
  std::vector<double> precision;
  std::vector<std::size_t> starts, packed;
};

// The E step of a block whose completed panels are built (see
// missing_block()): responsibilities into ws.responsibility, the weighted
// log-likelihood added to partial[0], and what pass.out asks for written.
inline void completed_e_step(const Kernels& kernels, const MissingPass& pass, std::size_t begin,
                             std::size_t end, MissingWorkspace& ws, double* partial) {
  const Data& x = pass.x;
  const Params& p = pass.p;
  const MissingOutput& out = pass.out;
  const MissingRows& incomplete = *x.missing;
  const std::size_t d = x.n_cols, k = p.k(), rows = end - begin;
  const std::size_t panel_length = d * block_size;
  const std::size_t global = x.n_rows + begin;
  const std::size_t n_segments = ws.segments.size();
  const double* observed = ws.observed.data();
  double* responsibility = ws.responsibility.data();
  // Log-densities of the completed rows under the full factors, plus each
  // pattern's term.
  for (std::size_t c = 0; c < k; ++c) {
    ws.offsets[c] = std::log(p.proportions(c)) + p.log_det_chol(c);
    const double* panel = ws.completed.data() + c * panel_length;
    double* log_density = ws.log_density.data() + c * block_size;
    if (p.diagonal) {
      kernels.mahalanobis_diagonal(panel, d, p.means.colptr(c), p.precision_diag.colptr(c),
                                   ws.offsets[c], log_density);
    } else {
      kernels.mahalanobis_full(panel, d, 1, p.means.colptr(c),
                               p.packed_chol.data() + c * p.packed_length, p.packed_length,
                               ws.offsets.data() + c, ws.centred_tile.data(), log_density);
    }
    for (std::size_t s = 0; s < n_segments; ++s) {
      const MissingSegment& segment = ws.segments[s];
      const double term = ws.term[s * k + c];
      for (std::size_t b = segment.position; b < segment.position + segment.count; ++b) {
        log_density[b] += term;
      }
    }
  }

  // Responsibilities, as block_observed() makes them for complete rows.
  double* own = ws.log_mixture.data();
  const double kernel_loglik =
      kernels.responsibilities(ws.log_density.data(), k, rows, responsibility, own);
  if (!std::isfinite(kernel_loglik)) {
    // A row whose density underflows under every component goes to the
    // nearest.
    assign_underflowed_to_nearest(p, ws.log_density.data(), rows, k, ws.completed.data(),
                                  panel_length, ws.work.data(), responsibility);
  }
  if (x.labels != nullptr) {
    const std::uint32_t* label = x.labels + global;
    for (std::size_t b = 0; b < rows; ++b) {
      if (label[b] == unlabelled) continue;
      for (std::size_t c = 0; c < k; ++c) responsibility[c * block_size + b] = 0.0;
      responsibility[label[b] * block_size + b] = 1.0;
      own[b] = ws.log_density[label[b] * block_size + b];
    }
  }
  // Summed here, not in `partial`, whose neighbours other threads write.
  double loglik = 0.0;
  for (std::size_t b = 0; b < rows; ++b) {
    const double w = x.weight(global + b);
    if (w != 0.0) loglik += w * own[b];
  }
  partial[0] += loglik;
  if (out.log_mixture != nullptr) std::memcpy(out.log_mixture + global, own, rows * sizeof(double));
  if (out.posterior != nullptr) {
    for (std::size_t c = 0; c < k; ++c) {
      std::memcpy(out.posterior + c * out.stride + global, responsibility + c * block_size,
                  rows * sizeof(double));
    }
  }
  if (out.imputed != nullptr) {
    for (const MissingSegment& segment : ws.segments) {
      const MissingPattern& pattern = incomplete.patterns[segment.pattern];
      for (std::size_t b = segment.position; b < segment.position + segment.count; ++b) {
        for (const arma::uword j : pattern.observed) {
          (*out.imputed)(begin + b, j) = observed[j * block_size + b];
        }
        for (const arma::uword j : pattern.missing) {
          double sum = 0.0;
          for (std::size_t c = 0; c < k; ++c) {
            sum += responsibility[c * block_size + b] *
                   ws.completed[c * panel_length + j * block_size + b];
          }
          (*out.imputed)(begin + b, j) = sum;
        }
      }
    }
  }
}

// Incomplete rows [begin, end), one block: their E step, written where
// pass.out says, and their completed statistics added to `partial` (in
// pass.out.layout, partial[0] the log-likelihood).
inline void missing_block(const Kernels& kernels, const MissingPass& pass, std::size_t begin,
                          std::size_t end, MissingWorkspace& ws, double* partial) {
  const Data& x = pass.x;
  const Params& p = pass.p;
  const MissingOutput& out = pass.out;
  const MissingRows& incomplete = *x.missing;
  const std::size_t d = x.n_cols, k = p.k(), rows = end - begin;
  const std::size_t panel_length = d * block_size;

  // The block's patterns.
  ws.segments.clear();
  std::size_t t = static_cast<std::size_t>(
      std::upper_bound(pass.starts.begin(), pass.starts.end(), begin) - pass.starts.begin() - 1);
  for (; t < incomplete.patterns.size() && incomplete.patterns[t].first < end; ++t) {
    const MissingPattern& pattern = incomplete.patterns[t];
    const std::size_t from = std::max(begin, pattern.first);
    const std::size_t to = std::min(end, pattern.first + pattern.count);
    if (from < to) ws.segments.push_back({t, from, from - begin, to - from});
  }
  const std::size_t n_segments = ws.segments.size();
  ws.term.resize(n_segments * k);
  // Keep the conditional covariances for the scatter if they fit.
  const StatsLayout* layout = out.layout;
  const bool scatter = layout != nullptr && layout->scatter != Scatter::none;
  bool keep = false;
  if (scatter) {
    ws.kept.resize(n_segments);
    std::size_t length = 0;
    for (std::size_t s = 0; s < n_segments; ++s) {
      ws.kept[s] = length;
      const std::size_t mm = incomplete.patterns[ws.segments[s].pattern].missing.size();
      length += k * mm * mm;
    }
    keep = length <= kept_conditional_length;
    if (keep && ws.conditional.size() < length) ws.conditional.resize(length);
  }

  // The rows, scaled; each component's panel starts from them.
  double* observed = ws.observed.data();
  for (std::size_t j = 0; j < d; ++j) {
    double* row = observed + j * block_size;
    kernels.scaled_copy(incomplete.values.colptr(j) + begin, x.inverse_scale(j), rows, row);
    std::fill(row + rows, row + block_size, 0.0);
  }
  // Each component's completed rows: the missing values replaced by their
  // conditional means.
  for (std::size_t c = 0; c < k; ++c) {
    double* panel = ws.completed.data() + c * panel_length;
    std::memcpy(panel, observed, panel_length * sizeof(double));
    const double* mean = p.means.colptr(c);
    const double* lambda = pass.precision.data() + c * d * d;
    for (std::size_t s = 0; s < n_segments; ++s) {
      const MissingSegment& segment = ws.segments[s];
      const MissingPattern& pattern = incomplete.patterns[segment.pattern];
      const auto& o = pattern.observed;
      const auto& m = pattern.missing;
      const std::size_t q = o.size(), mm = m.size();
      double* conditional =
          keep ? ws.conditional.data() + ws.kept[s] + c * mm * mm : ws.conditional.data();
      // Diagonal covariances: the conditional means are the means.
      ws.term[s * k + c] = conditional_factors(lambda, d, c, pattern, ws.work.data(), conditional,
                                               p.diagonal ? nullptr : ws.regression.data());
      const std::size_t first = segment.position, last = segment.position + segment.count;
      if (p.diagonal) {
        for (std::size_t a = 0; a < mm; ++a) {
          std::fill(panel + m[a] * block_size + first, panel + m[a] * block_size + last,
                    mean[m[a]]);
        }
        continue;
      }
      for (std::size_t u = 0; u < q; ++u) {
        ws.observed_rows[u] = observed + o[u] * block_size;
        ws.observed_means[u] = mean[o[u]];
      }
      for (std::size_t a = 0; a < mm; ++a) {
        complete_coordinate(ws.regression.data() + a * q, q, ws.observed_rows.data(),
                            ws.observed_means.data(), mean[m[a]], first, last,
                            panel + m[a] * block_size);
      }
    }
  }

  const std::size_t global = x.n_rows + begin;
  double* responsibility = ws.responsibility.data();
  if (out.given == nullptr) {
    completed_e_step(kernels, pass, begin, end, ws, partial);
  } else {
    for (std::size_t c = 0; c < k; ++c) {
      double* r = responsibility + c * block_size;
      std::memcpy(r, out.given + c * out.stride + global, rows * sizeof(double));
      std::fill(r + rows, r + block_size, 0.0);
    }
  }
  if (layout == nullptr) return;

  // The completed rows' statistics, as accumulate_block() adds those of
  // complete rows, component by component.
  if (x.weights != nullptr) {
    const double* w = x.weights + global;
    for (std::size_t c = 0; c < k; ++c) {
      double* r = responsibility + c * block_size;
      for (std::size_t b = 0; b < rows; ++b) r[b] *= w[b];
    }
  }
  const std::size_t moment_length = layout->scatter == Scatter::full ? packed_moment_length(d) : d;
  for (std::size_t c = 0; c < k; ++c) {
    const double* r = responsibility + c * block_size;
    const double weight = kernels.block_sum(r);
    ws.block_weight[c] = weight;
    partial[layout->weight + c] += weight;
    if (weight == 0.0) continue;
    const double* panel = ws.completed.data() + c * panel_length;
    const double* centre = out.centres->colptr(c);
    double* sums = partial + layout->sum + c * d;
    double* moment = scatter ? partial + layout->moment + c * moment_length : nullptr;
    if (layout->scatter == Scatter::full) {
      if (uses_row_scatter(d)) {
        kernels.transpose_panel(panel, d, ws.rows.data());
        kernels.scatter_rows(ws.rows.data(), d, 1, centre, r, ws.block_weight.data() + c,
                             ws.weighted_rows.data(), ws.row_scratch.data(), sums, moment);
      } else {
        kernels.scatter_full(panel, d, centre, r, ws.zero_row.data(), sums, moment);
      }
    } else {
      kernels.moments_diagonal(panel, d, centre, r, sums, moment);
    }
    if (!scatter) continue;
    // Each row adds r w C, C its pattern's conditional covariance of the
    // missing coordinates under component c.
    const double* lambda = pass.precision.data() + c * d * d;
    for (std::size_t s = 0; s < n_segments; ++s) {
      const MissingSegment& segment = ws.segments[s];
      double segment_weight = 0.0;
      for (std::size_t b = segment.position; b < segment.position + segment.count; ++b) {
        segment_weight += r[b];
      }
      if (segment_weight == 0.0) continue;
      const MissingPattern& pattern = incomplete.patterns[segment.pattern];
      const auto& m = pattern.missing;
      const std::size_t mm = m.size();
      const double* conditional = ws.conditional.data() + ws.kept[s] + c * mm * mm;
      if (!keep) {
        conditional_factors(lambda, d, c, pattern, ws.work.data(), ws.conditional.data(), nullptr);
        conditional = ws.conditional.data();
      }
      if (layout->scatter == Scatter::full) {
        for (std::size_t b = 0; b < mm; ++b) {
          for (std::size_t a = 0; a <= b; ++a) {
            // m is increasing, so m[a] <= m[b]: the upper triangle.
            moment[pass.packed[m[a] + m[b] * d]] += segment_weight * conditional[a + b * mm];
          }
        }
      } else {
        for (std::size_t a = 0; a < mm; ++a) {
          moment[m[a]] += segment_weight * conditional[a + a * mm];
        }
      }
    }
  }
}

// The E step (and the statistics of the M step) on the incomplete rows of
// x under p (both in scaled units, p factorized); returns their weighted
// scaled log-likelihood, with known labels as block_observed() counts them.
// The rows run in fixed blocks, reduced in a fixed order (reduce_blocks()),
// so the sums do not depend on the number of threads.
inline double missing_pass(const Data& x, const Params& p, const MissingOutput& out,
                           int n_threads = 1) {
  if (x.missing == nullptr) return 0.0;
  if (p.noise) throw error("a noise component cannot be fitted to data with missing values");
  const std::size_t d = x.n_cols, k = p.k();
  const MissingRows& rows = *x.missing;
  const StatsLayout* layout = out.layout;
  MissingPass pass{x, p, out, precision_matrices(p), {}, {}};
  if (layout != nullptr && layout->scatter == Scatter::full) {
    pass.packed.assign(d * d, 0);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i <= j; ++i) pass.packed[i + j * d] = packed_moment_index(d, i, j);
    }
  }
  pass.starts.resize(rows.patterns.size());
  for (std::size_t t = 0; t < pass.starts.size(); ++t) pass.starts[t] = rows.patterns[t].first;
  const Kernels kernels = active_kernels();
  const int threads = std::max(1, n_threads);
  std::vector<MissingWorkspace>& workspaces = missing_workspaces_for(threads, d, k);
  const std::size_t length = layout != nullptr ? layout->length : 1;
  std::vector<std::string> failures(static_cast<std::size_t>(threads));
  std::vector<double> total;
  // The kernels' work on the completed rows, and their completion.
  const double row_work = pass_row_work(d, k) + static_cast<double>(k * d);
  reduce_blocks(rows.n_rows(), length, threads, row_work, total,
                [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
                  // Nothing may leave a parallel region by throwing.
                  try {
                    missing_block(kernels, pass, begin, end, workspaces[thread], partial);
                  } catch (const error& e) {
                    if (failures[thread].empty()) failures[thread] = e.what();
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

// The M step from a given posterior on data with incomplete rows: weighted
// maximum likelihood from the completed statistics, each incomplete row's
// missing values replaced by their conditional means under `given` (in the
// data's own units), component by component, and the scatter corrected by
// the conditional covariances. `weights` is the n_total x K posterior, rows
// in the order of the data (complete rows, then the incomplete rows of
// `rows.missing`). Otherwise as m_step() in mstep.h; means first, then the
// scatter centred on them.
inline Params m_step_completed(const arma::mat& matrix, const double* weights, std::size_t k,
                               Model model, double reg, int n_threads, const Params& given,
                               const InnerControl& inner = InnerControl(),
                               RowInfo rows = RowInfo()) {
  const Data x(matrix, true, rows);
  const std::size_t d = x.n_cols, n = x.n_total;
  if (given.k() != k || given.d() != d) {
    throw error(
        "the parameters of the conditional means need the posterior's components and "
        "the data's variables");
  }
  if (given.noise) throw error("a noise component cannot be fitted to data with missing values");
  Params conditional = rescale(given, x.inverse_scale);
  factorize(conditional);
  const arma::vec ridge = scaled_ridge(x, reg);
  const auto statistics = [&](const StatsLayout& layout, const arma::mat& centres) {
    std::vector<double> stats =
        accumulate(x, layout, centres, n_threads,
                   [&](const Kernels&, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
                     const std::size_t count = end - begin;
                     for (std::size_t c = 0; c < k; ++c) {
                       double* r = ws.responsibility.data() + c * block_size;
                       std::memcpy(r, weights + c * n + begin, count * sizeof(double));
                       std::fill(r + count, r + block_size, 0.0);
                     }
                     return 0.0;
                   });
    MissingOutput out;
    out.layout = &layout;
    out.centres = &centres;
    out.stats = stats.data();
    out.given = weights;
    out.stride = n;
    missing_pass(x, conditional, out, n_threads);
    return moments_from_stats(stats, layout, centres);
  };
  const StatsLayout first(d, k, Scatter::none);
  const Moments location = statistics(first, arma::mat(d, k, arma::fill::zeros));
  const StatsLayout second(d, k, scatter_for(model));
  const Moments moments = statistics(second, location.means);
  Params params = rescale(params_from_moments(moments, model, ridge, nullptr, inner), x.scale());
  factorize(params, is_shared(model));
  return params;
}

}  // namespace softmix

#endif  // SOFTMIX_MISSING_H
