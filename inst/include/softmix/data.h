// The data as the core sees them: the caller's column-major n x d matrix,
// read through a power of two that brings the largest magnitude into
// [0.5, 1). Squares and sums of squares of scaled values cannot overflow,
// whatever the units (data of order 1e150 or 1e-150 fit as well as data of
// order 1), and powers of two scale exactly. One factor serves every column,
// so spherical models and Euclidean distances keep their meaning.
// Parameters inside the core are in scaled units; the public entry points
// convert at the boundary.
#ifndef SOFTMIX_DATA_H
#define SOFTMIX_DATA_H

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model.h"
#include "prior.h"

namespace softmix {

// max |values[i]|, NaN skipped, over eight running maxima: one would wait
// on each comparison's latency.
inline double largest_magnitude(const double* values, std::size_t count) {
  double largest[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    for (std::size_t l = 0; l < 8; ++l) largest[l] = std::max(largest[l], std::abs(values[i + l]));
  }
  for (; i < count; ++i) largest[0] = std::max(largest[0], std::abs(values[i]));
  return *std::max_element(largest, largest + 8);
}

// Whether no value is NaN or infinite: a value is either exactly when its
// exponent bits are all ones. Integer tests in four independent lanes.
inline bool all_finite(const double* values, std::size_t count) {
  constexpr std::uint64_t exponent_mask = 0x7FF0000000000000ULL;
  std::uint64_t bits[4];
  bool finite[4] = {true, true, true, true};
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    std::memcpy(bits, values + i, sizeof bits);
    for (std::size_t l = 0; l < 4; ++l) finite[l] &= (bits[l] & exponent_mask) != exponent_mask;
  }
  for (; i < count; ++i) finite[0] &= std::isfinite(values[i]);
  return finite[0] && finite[1] && finite[2] && finite[3];
}

// The component a row is known to belong to, or `unlabelled` for a row
// whose component EM estimates (and for a row left out of a starting
// partition, which the first M step ignores).
constexpr std::uint32_t unlabelled = 0xFFFFFFFFu;

// Rows with missing values (NaN) share a pattern: the columns observed in
// them. Each pattern's rows are consecutive in MissingRows::values, so the
// marginal factors of every component are computed once per pattern.
struct MissingPattern {
  std::vector<arma::uword> observed, missing;  // column indices, increasing
  std::size_t first = 0, count = 0;            // rows [first, first + count)
};

// The incomplete rows of the data, apart from its complete rows: the fit
// sees rows 0..n-1 of the complete matrix, then these. Every row observes at
// least one column.
struct MissingRows {
  arma::mat values;  // m x d in the data's units, NaN where missing, grouped by pattern
  std::vector<MissingPattern> patterns;
  // For starts: the complete rows, then these rows with their missing values
  // imputed (see softmix()), as one matrix; empty when no start is made.
  arma::mat start;

  std::size_t n_rows() const { return values.n_rows; }
};

// Whether row i of a column-major matrix with n rows, d columns is missing
// column j.
inline bool missing_at(const arma::mat& x, std::size_t i, std::size_t j) {
  return std::isnan(x(i, j));
}

// The rows of x split into complete ones (in their order) and incomplete
// ones grouped by pattern (patterns in order of first appearance, rows in
// their order within a pattern). `order` maps the split's row r (complete
// rows first) to x's row. Throws for a row with no observed value.
struct SplitRows {
  std::vector<std::size_t> order;
  arma::mat complete;
  MissingRows missing;
};

inline SplitRows split_missing(const arma::mat& x) {
  const std::size_t n = x.n_rows, d = x.n_cols;
  SplitRows out;
  // Each pattern's key (1 for a missing column) and its rows, in order of
  // first appearance.
  std::map<std::vector<unsigned char>, std::size_t> index;
  std::vector<std::vector<unsigned char>> keys;
  std::vector<std::vector<std::size_t>> members;
  std::size_t incomplete = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<unsigned char> key(d);
    bool any = false, all = true;
    for (std::size_t j = 0; j < d; ++j) {
      key[j] = missing_at(x, i, j) ? 1 : 0;
      any = any || key[j];
      all = all && key[j];
    }
    if (!any) {
      out.order.push_back(i);
      continue;
    }
    if (all) throw error("row " + std::to_string(i + 1) + " has no observed value");
    const auto found = index.emplace(key, keys.size());
    if (found.second) {
      keys.push_back(key);
      members.emplace_back();
    }
    members[found.first->second].push_back(i);
    ++incomplete;
  }
  const std::size_t n_complete = out.order.size();
  out.complete.set_size(n_complete, d);
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t r = 0; r < n_complete; ++r) out.complete(r, j) = x(out.order[r], j);
  }
  MissingRows& m = out.missing;
  m.values.set_size(incomplete, d);
  std::size_t row = 0;
  for (std::size_t p = 0; p < keys.size(); ++p) {
    MissingPattern pattern;
    pattern.first = row;
    for (std::size_t j = 0; j < d; ++j)
      (keys[p][j] ? pattern.missing : pattern.observed).push_back(j);
    for (const std::size_t i : members[p]) {
      for (std::size_t j = 0; j < d; ++j) m.values(row, j) = x(i, j);
      out.order.push_back(i);
      ++row;
    }
    pattern.count = row - pattern.first;
    m.patterns.push_back(std::move(pattern));
  }
  return out;
}

// What a fit knows about each row besides its values, each optional (null):
// a non-negative weight (a row of weight 2 counts as the row twice), and a
// known component (0-based, or `unlabelled`).
struct RowInfo {
  const double* weights = nullptr;
  const std::uint32_t* labels = nullptr;
  // The hypervolume of a uniform noise component, in the data's units; 0
  // for none.
  double noise_volume = 0.0;
  // A conjugate prior in the data's units, or null for maximum likelihood.
  const Prior* prior = nullptr;
  // Rows with missing values, after the matrix's rows (weights and labels
  // then cover both, the matrix's rows first), or null.
  const MissingRows* missing = nullptr;
};

// The power of two that brings `largest`, the data's largest magnitude,
// into [0.5, 1); 1 for 0 or a non-finite value.
inline double scale_factor(double largest) {
  int exponent = 0;
  if (largest > 0.0 && std::isfinite(largest)) std::frexp(largest, &exponent);
  // Keep the factor itself a finite, normal double even for subnormal data.
  return std::ldexp(1.0, -std::max(-1022, std::min(1022, exponent)));
}

struct Data {
  const arma::mat& x;
  const double* weights = nullptr;        // one per row, or null for all 1
  const std::uint32_t* labels = nullptr;  // one per row, or null for none known
  arma::vec inverse_scale;                // x(i, j) * inverse_scale(j) is the scaled value
  // sum_j log inverse_scale(j): a log-density of x is that of the scaled
  // point plus this.
  double log_jacobian = 0.0;
  arma::uword n_rows, n_cols;
  double total_weight;  // the sum of the weights: n_rows without them
  // A uniform noise component of density 1 / V, whose log in scaled units
  // is -log V - log_jacobian (V scales by the product of the factors).
  bool noise = false;
  double log_noise_density = 0.0;
  // The prior in scaled units, if `has_prior`: every M step is then its
  // posterior mode (see prior.h).
  bool has_prior = false;
  Prior prior;
  // Rows with missing values after the matrix's n_rows (see RowInfo), or
  // null; n_total counts both.
  const MissingRows* missing = nullptr;
  arma::uword n_total;
  // sum_i w_i |o_i| log(factor): what the log-likelihood of the scaled data
  // lacks, |o_i| the number of observed values of row i.
  double total_log_jacobian = 0.0;
  // Each column's weighted variance in scaled units (divisor the total
  // weight), when the rows live elsewhere (see Shard): scaled_ridge() then
  // reads it instead of the rows. Empty otherwise.
  arma::vec column_variance;
  // The variances computed from the rows, once, on first use (see
  // column_variances()): every fit of a selection asks for them, some
  // twice, and each computation is two passes over the data. Shared by
  // copies, which read the same rows.
  struct VarianceCache {
    std::once_flag once;
    arma::vec variance;
  };
  std::shared_ptr<VarianceCache> variance_cache = std::make_shared<VarianceCache>();

  // `rescale` false keeps the data's own units (a factor of 1), for an E step
  // whose parameters are given in them and must stay representable. A
  // positive `factor` (a power of two) is the scale to use instead of the
  // matrix's own: that of all the rows, of which these are a part.
  explicit Data(const arma::mat& matrix, bool rescale = true, RowInfo rows = RowInfo(),
                double factor = 0.0)
      : x(matrix),
        weights(rows.weights),
        labels(rows.labels),
        n_rows(matrix.n_rows),
        n_cols(matrix.n_cols),
        total_weight(static_cast<double>(matrix.n_rows)),
        missing(rows.missing),
        n_total(matrix.n_rows + (rows.missing != nullptr ? rows.missing->n_rows() : 0)) {
    if (missing != nullptr) {
      if (missing->values.n_cols != n_cols) throw error("the incomplete rows have other columns");
      if (rows.noise_volume > 0.0) {
        throw error("a noise component cannot be fitted to data with missing values");
      }
      total_weight = static_cast<double>(n_total);
    }
    if (weights != nullptr) total_weight = sum_of(weights, n_total);
    double largest = 0.0;
    if (rescale && !(factor > 0.0)) largest = largest_magnitude(matrix.memptr(), matrix.n_elem);
    // NaN is skipped.
    if (rescale && missing != nullptr) {
      largest =
          std::max(largest, largest_magnitude(missing->values.memptr(), missing->values.n_elem));
    }
    if (!(factor > 0.0)) factor = scale_factor(largest);
    inverse_scale.set_size(n_cols);
    inverse_scale.fill(factor);
    log_jacobian = static_cast<double>(n_cols) * std::log(factor);
    total_log_jacobian = total_weight * log_jacobian;
    if (missing != nullptr) {
      double complete = static_cast<double>(n_rows), observed = 0.0;
      if (weights != nullptr) complete = sum_of(weights, n_rows);
      for (const MissingPattern& pattern : missing->patterns) {
        for (std::size_t r = pattern.first; r < pattern.first + pattern.count; ++r) {
          observed += weight(n_rows + r) * static_cast<double>(pattern.observed.size());
        }
      }
      total_log_jacobian = complete * log_jacobian + observed * std::log(factor);
    }
    if (rows.noise_volume > 0.0) {
      noise = true;
      log_noise_density = -std::log(rows.noise_volume) - log_jacobian;
    }
    if (rows.prior != nullptr) {
      has_prior = true;
      prior = rescale_prior(*rows.prior, inverse_scale);
    }
  }

  // Row i, scaled, into out.
  void load_point(arma::uword i, double* out) const {
    for (arma::uword j = 0; j < n_cols; ++j) out[j] = x(i, j) * inverse_scale(j);
  }

  double weight(arma::uword i) const { return weights == nullptr ? 1.0 : weights[i]; }

  // The factors that bring scaled values back to the data's units.
  arma::vec scale() const {
    arma::vec out(n_cols);
    for (arma::uword j = 0; j < n_cols; ++j) out(j) = 1.0 / inverse_scale(j);
    return out;
  }
};

// The sum of term(i) for i < n in four interleaved partial sums, added
// pairwise at the end: one running sum would wait on each addition's
// latency.
template <typename Term>
inline double interleaved_sum(arma::uword n, Term&& term) {
  double p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0;
  arma::uword i = 0;
  for (; i + 4 <= n; i += 4) {
    p0 += term(i);
    p1 += term(i + 1);
    p2 += term(i + 2);
    p3 += term(i + 3);
  }
  for (; i < n; ++i) p0 += term(i);
  return (p0 + p1) + (p2 + p3);
}

// Each column's weighted variance in scaled units, with divisor the total
// weight (0 for fewer than two rows), computed from the rows. With
// incomplete rows, each column's variance is that of its observed values
// (rows of the matrix and incomplete rows alike).
inline arma::vec variances_of_rows(const Data& data) {
  arma::vec variance(data.n_cols, arma::fill::zeros);
  const double total = data.total_weight;
  for (arma::uword j = 0; j < data.n_cols && data.missing != nullptr; ++j) {
    const double factor = data.inverse_scale(j);
    const arma::mat& values = data.missing->values;
    double count = 0.0, sum = 0.0;
    const auto each = [&](auto&& f) {
      for (arma::uword i = 0; i < data.n_rows; ++i) f(data.weight(i), data.x(i, j) * factor);
      for (arma::uword i = 0; i < values.n_rows; ++i) {
        if (!std::isnan(values(i, j))) f(data.weight(data.n_rows + i), values(i, j) * factor);
      }
    };
    each([&](double w, double value) {
      count += w;
      sum += w * value;
    });
    if (!(count > 0.0)) continue;
    const double mean = sum / count;
    double sum_squares = 0.0, rows = 0.0;
    each([&](double w, double value) {
      sum_squares += w * ((value - mean) * (value - mean));
      rows += 1.0;
    });
    if (rows >= 2.0) variance(j) = sum_squares / count;
  }
  for (arma::uword j = 0; j < data.n_cols && data.missing == nullptr; ++j) {
    if (data.n_rows < 2 || !(total > 0.0)) break;
    const double* column = data.x.colptr(j);
    const double factor = data.inverse_scale(j);
    const double* w = data.weights;
    const arma::uword n = data.n_rows;
    const double mean =
        (w == nullptr
             ? interleaved_sum(n, [&](arma::uword i) { return column[i] * factor; })
             : interleaved_sum(n, [&](arma::uword i) { return w[i] * (column[i] * factor); })) /
        total;
    const auto square = [&](arma::uword i) {
      const double deviation = column[i] * factor - mean;
      return deviation * deviation;
    };
    const double sum_squares =
        w == nullptr ? interleaved_sum(n, square)
                     : interleaved_sum(n, [&](arma::uword i) { return w[i] * square(i); });
    variance(j) = sum_squares / total;
  }
  return variance;
}

// The columns' variances: as given for rows that live elsewhere, otherwise
// computed from the rows on the first call for this data (and its copies),
// whatever the threads that ask at once.
inline const arma::vec& column_variances(const Data& data) {
  if (!data.column_variance.empty()) return data.column_variance;
  Data::VarianceCache& cache = *data.variance_cache;
  std::call_once(cache.once, [&] { cache.variance = variances_of_rows(data); });
  return cache.variance;
}

// The ridge in scaled units: reg times each column's (weighted) variance,
// with divisor the total weight, so that a row of weight 2 counts as the row
// twice and equal weights change nothing. A constant column borrows the mean
// variance of the others, or 1 in scaled units (the square of the data's
// largest magnitude, rounded up to a power of two) when all are constant.
inline arma::vec scaled_ridge(const Data& data, double reg) {
  if (reg == 0.0) return arma::vec(data.n_cols, arma::fill::zeros);
  arma::vec variance = column_variances(data);
  std::vector<double> positive;
  for (const double value : variance) {
    if (value > 0.0) positive.push_back(value);
  }
  const double fallback =
      positive.empty() ? 1.0 : sum_of(positive.data(), positive.size()) / positive.size();
  for (double& value : variance) value = reg * (value <= 0.0 ? fallback : value);
  return variance;
}

}  // namespace softmix

#endif  // SOFTMIX_DATA_H
