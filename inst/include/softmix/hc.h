// Model-based agglomerative hierarchical clustering (Banfield and Raftery
// 1993; Fraley 1998), the algorithm of mclust's hc(): starting from
// singletons, merge at each stage the pair of clusters whose union lowers
// the classification likelihood least. Each model has its own criterion:
//   EII (and E in one dimension): Ward's sum of squares, kept up to date by
//     the Lance-Williams recurrence;
//   VII (and V): sum_k n_k log((tr W_k + alpha) / n_k);
//   VVV: sum_k n_k log(det(W_k / n_k) + beta (tr W_k + alpha) / n_k), the
//     trace term regularising clusters with n_k <= d (with mclust's reading
//     of stored factors, see unconstrained());
//   EEE: the pooled tr W while it is singular, then a blend of log det W and
//     tr W, then log det W.
// W_k is the within-cluster scatter. Clusters are held as sqrt(n_k) times
// their mean, and scatters by Cholesky factors grown with Givens rotations,
// so no scatter is ever formed from raw sums. Ties go to the last pair in
// mclust's scan order, and a merged cluster takes the slot of the first and
// the last cluster moves into the slot of the second, as in mclust, so the
// merge sequence is mclust's on the same data.
#ifndef SOFTMIX_HC_H
#define SOFTMIX_HC_H

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "model.h"

namespace softmix {

enum class HcModel { EII, VII, EEE, VVV, E, V };
// The data the tree is built on: the variables as given ("VARS"), or
// mclust's default "SVD": standardised and rotated onto the principal axes,
// each scaled by 1/sqrt(its singular value).
enum class HcUse { vars, svd };

inline HcModel hc_model_from_code(const std::string& code) {
  if (code == "EII") return HcModel::EII;
  if (code == "VII") return HcModel::VII;
  if (code == "EEE") return HcModel::EEE;
  if (code == "VVV") return HcModel::VVV;
  if (code == "E") return HcModel::E;
  if (code == "V") return HcModel::V;
  throw error("unknown hierarchical clustering model '" + code + "'");
}

inline HcUse hc_use_from_code(const std::string& code) {
  if (code == "VARS") return HcUse::vars;
  if (code == "SVD") return HcUse::svd;
  throw error("unknown hierarchical clustering transformation '" + code + "'");
}

// One stage: the clusters merged, each named by its smallest member
// (0-based row), first < second.
struct HcMerge {
  std::uint32_t first, second;
};

namespace hc_detail {

constexpr double flmax = std::numeric_limits<double>::max();

// Index of pair (i, j), i < j, in the packed strict lower triangle.
inline std::size_t packed(std::size_t i, std::size_t j) {
  return j * (j - 1) / 2 + i;
}

// Sequential sums, in the order the reference BLAS ddot adds, so that exact
// ties between pairs are broken as mclust breaks them.
inline double dot(const double* a, const double* b, std::size_t p) {
  double sum = 0.0;
  for (std::size_t k = 0; k < p; ++k) sum += a[k] * b[k];
  return sum;
}

// out = a * wa - wb * b, as a copy, a scaling and an axpy.
inline void difference(const double* a, double wa, const double* b, double wb, double* out,
                       std::size_t p) {
  for (std::size_t k = 0; k < p; ++k) out[k] = a[k] * wa + (-wb) * b[k];
}

// Givens rotation zeroing b against a (LAPACK 3.10's safe-scaled drotg).
inline void rotation(double& a, double& b, double& c, double& s) {
  const double safmin = std::numeric_limits<double>::min();
  const double safmax = 1.0 / safmin;
  const double anorm = std::abs(a), bnorm = std::abs(b);
  if (bnorm == 0.0) {
    c = 1.0;
    s = 0.0;
    b = 0.0;
  } else if (anorm == 0.0) {
    c = 0.0;
    s = 1.0;
    a = b;
    b = 1.0;
  } else {
    const double scale = std::min(safmax, std::max(safmin, std::max(anorm, bnorm)));
    const double sigma = anorm > bnorm ? std::copysign(1.0, a) : std::copysign(1.0, b);
    const double as = a / scale, bs = b / scale;
    const double r = sigma * (scale * std::sqrt(as * as + bs * bs));
    c = a / r;
    s = b / r;
    a = r;
    b = anorm > bnorm ? s : (c != 0.0 ? 1.0 / c : 1.0);
  }
}

// Upper triangular R with R'R the sum of v v' over the rows added: a new row
// is rotated into the rows so far and what is left of it becomes the next
// row while there are fewer than p.
class RowFactor {
 public:
  RowFactor() = default;
  explicit RowFactor(std::size_t p) : r_(p, p, arma::fill::zeros), p_(p) {}

  std::size_t rows() const { return rows_; }
  const double* row_start(std::size_t i) const { return r_.memptr() + i; }

  // Adds row `v` (length p, strided by `stride`); `v` is overwritten.
  void add_row(double* v) {
    const std::size_t filled = std::min(rows_, p_);
    for (std::size_t i = 0; i < filled; ++i) {
      if (v[i] == 0.0) continue;  // the rotation would be the identity
      double c, s;
      rotation(r_(i, i), v[i], c, s);
      for (std::size_t j = i + 1; j < p_; ++j) {
        const double rij = r_(i, j);
        r_(i, j) = c * rij + s * v[j];
        v[j] = c * v[j] - s * rij;
      }
    }
    if (rows_ < p_) {
      for (std::size_t j = rows_; j < p_; ++j) r_(rows_, j) = v[j];
    }
    ++rows_;
  }

  // Empty, p x p.
  void clear(std::size_t p) {
    r_.zeros(p, p);
    p_ = p;
    rows_ = 0;
  }

  // A copy of `other`, or, with `first_row_only`, of `other` with every row
  // replaced by its first from the diagonal on (see unconstrained()).
  void assign(const RowFactor& other, bool first_row_only) {
    *this = other;
    if (!first_row_only) return;
    for (std::size_t i = 1; i < std::min(rows_, p_); ++i) {
      for (std::size_t j = i; j < p_; ++j) r_(i, j) = r_(0, j);
    }
  }

  // Adds the rows of another factor (each zero left of its diagonal), or its
  // first row in place of each with `first_row_only`.
  void add_rows(const RowFactor& other, bool first_row_only, double* scratch) {
    const std::size_t rows = std::min(other.rows_, p_);
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t source = first_row_only ? 0 : i;
      for (std::size_t j = 0; j < p_; ++j) scratch[j] = j < i ? 0.0 : other.r_(source, j);
      add_row(scratch);
    }
  }

  // 2 sum_k log|R_kk * scale| = log det(R'R scale^2), or -flmax when some
  // diagonal entry is zero (fewer rows than p, or a singular scatter).
  double log_det(double scale) const {
    double sum = 0.0;
    for (std::size_t k = 0; k < p_; ++k) {
      const double q = k < rows_ ? r_(k, k) * scale : 0.0;
      if (std::abs(q) <= 0.0) return -flmax;
      sum += std::log(std::abs(q));
    }
    return 2.0 * sum;
  }

 private:
  arma::mat r_;
  std::size_t p_ = 0;
  std::size_t rows_ = 0;
};

// The slots of the clusters left: cluster c lives in slot c; merging slots
// i < j puts the union in slot i and moves the last cluster into slot j.
// `names` keeps each slot's smallest member, which names the merges.
class Slots {
 public:
  explicit Slots(std::size_t n) : names_(n), count_(n) {
    std::iota(names_.begin(), names_.end(), 0u);
  }

  HcMerge merge(std::size_t i, std::size_t j) {
    const std::uint32_t a = names_[i], b = names_[j];
    names_[i] = std::min(a, b);
    names_[j] = names_[count_ - 1];
    --count_;
    return HcMerge{std::min(a, b), std::max(a, b)};
  }

 private:
  std::vector<std::uint32_t> names_;
  std::size_t count_ = 0;
};

// The dissimilarities of the pairs of slots (i < j) in the packed strict
// lower triangle, with each column's minimum kept up to date, so that the
// best pair is found in O(slots) instead of O(slots^2) per merge. The pair
// chosen is mclust's: the smallest, and the last in packed order on ties.
class Dissimilarities {
 public:
  explicit Dissimilarities(std::size_t n) : d_(n * (n - 1) / 2), min_(n), arg_(n) {}

  double& at(std::size_t i, std::size_t j) { return d_[packed(i, j)]; }
  double get(std::size_t i, std::size_t j) const { return d_[packed(i, j)]; }

  // The column's minimum, after any change to it.
  void rebuild(std::size_t j) {
    const double* column = d_.data() + packed(0, j);
    double best = column[0];
    std::size_t arg = 0;
    for (std::size_t i = 1; i < j; ++i) {
      if (column[i] <= best) {
        best = column[i];
        arg = i;
      }
    }
    min_[j] = best;
    arg_[j] = arg;
  }

  // Sets one entry, keeping its column's minimum.
  void set(std::size_t i, std::size_t j, double value) {
    d_[packed(i, j)] = value;
    if (value < min_[j]) {
      min_[j] = value;
      arg_[j] = i;
    } else if (value == min_[j]) {
      arg_[j] = std::max(arg_[j], i);
    } else if (i == arg_[j]) {
      rebuild(j);
    }
  }

  // Moves slot `last` into slot `slot` (slot < last) and slot's entries into
  // `last`, as mclust's wardsw does: the entries of the old slot stay
  // readable in column `last` until the next merge.
  void move_last(std::size_t slot, std::size_t last) {
    for (std::size_t k = 0; k < slot; ++k) std::swap(d_[packed(k, slot)], d_[packed(k, last)]);
    if (slot > 0) rebuild(slot);
    for (std::size_t k = slot + 1; k < last; ++k) {
      std::swap(d_[packed(slot, k)], d_[packed(k, last)]);
      set(slot, k, d_[packed(slot, k)]);
    }
  }

  // The best pair among slots 0..count-1.
  void best(std::size_t count, std::size_t& iopt, std::size_t& jopt) const {
    jopt = 1;
    for (std::size_t j = 2; j < count; ++j) {
      if (min_[j] <= min_[jopt]) jopt = j;
    }
    iopt = arg_[jopt];
  }

 private:
  std::vector<double> d_;
  std::vector<double> min_;
  std::vector<std::size_t> arg_;
};

// Sum of squared deviations from the column means of x / sqrt(n p), added
// as mclust's traceW() adds: the default alpha of VII and VVV.
inline double scaled_trace(const arma::mat& x) {
  const std::size_t n = x.n_rows, p = x.n_cols;
  const double divisor = std::sqrt(static_cast<double>(n * p));
  const double fac = 1.0 / std::sqrt(static_cast<double>(n));
  double trace = 0.0;
  std::vector<double> column(n);
  for (std::size_t j = 0; j < p; ++j) {
    double mean = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      column[i] = x(i, j) / divisor;
      mean += fac * column[i];
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double deviation = column[i] + (-fac) * mean;
      trace += deviation * deviation;
    }
  }
  return trace;
}

// Ward's criterion (EII; E is the same in one dimension): the increase of
// the within-cluster sum of squares, updated by Lance-Williams.
template <typename Host>
std::vector<HcMerge> ward(const arma::mat& x, Host& host) {
  const std::size_t n = x.n_rows, p = x.n_cols;
  const arma::mat rows = transposed(x);  // one column per point
  Dissimilarities d(n);
  std::vector<double> v(p);
  const double half = std::sqrt(1.0 / 2.0);
  std::size_t iopt = 0, jopt = 0;
  double dopt = flmax;
  for (std::size_t j = 1; j < n; ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      difference(rows.colptr(i), half, rows.colptr(j), half, v.data(), p);
      const double dij = dot(v.data(), v.data(), p);
      d.at(i, j) = dij;
      if (dij <= dopt) {
        dopt = dij;
        iopt = i;
        jopt = j;
      }
    }
    d.rebuild(j);
  }
  std::vector<double> size(n, 1.0);
  Slots slots(n);
  std::vector<HcMerge> merges;
  merges.reserve(n - 1);
  for (std::size_t stage = 0; stage + 1 < n; ++stage) {
    host.check_interrupt();
    merges.push_back(slots.merge(iopt, jopt));
    const std::size_t last = n - 1 - stage;
    if (last == 1) break;
    const double si = size[iopt], sj = size[jopt], sij = si + sj;
    size[iopt] = sij;
    if (jopt != last) {
      d.move_last(jopt, last);
      size[jopt] = size[last];
    }
    // Slots 0..last-1 remain; the second cluster's distances are in `last`.
    const std::size_t merged = iopt;
    for (std::size_t k = 0; k < last; ++k) {
      if (k == merged) continue;
      const double rk = size[k];
      const double dik = k < merged ? d.get(k, merged) : d.get(merged, k);
      const double djk = d.get(k, last);
      const double sum = (rk + si) * dik + (rk + sj) * djk;
      const double updated = (sum - rk * dopt) / (rk + sij);
      if (k < merged) {
        d.at(k, merged) = updated;
      } else {
        d.set(merged, k, updated);
      }
    }
    if (merged > 0) d.rebuild(merged);
    d.best(last, iopt, jopt);
    dopt = d.get(iopt, jopt);
  }
  return merges;
}

// The state of one slot for VII and VVV: size, sqrt(size) times the mean,
// trace of the scatter and the slot's term of the criterion.
struct Cluster {
  double size = 1.0;
  double trace = 0.0;
  double term = 0.0;
  RowFactor factor;  // VVV only, for clusters of two or more
};

// VII (and V): sum_k n_k log((tr W_k + alpha) / n_k).
template <typename Host>
std::vector<HcMerge> spherical(const arma::mat& x, double alpha, Host& host) {
  const std::size_t n = x.n_rows, p = x.n_cols;
  arma::mat sums = transposed(x);
  alpha = std::max(alpha, std::numeric_limits<double>::epsilon());
  const double singleton_term = std::log(alpha);
  std::vector<Cluster> slot(n);
  for (Cluster& c : slot) c.term = singleton_term;
  Dissimilarities d(n);
  std::vector<double> v(p);

  // Criterion change for slots a, b with a's weight first, as mclust
  // orients each computation; returns the merged trace and term.
  auto change = [&](std::size_t a, std::size_t b, double& wa, double& wb, double& trace,
                    double& term) {
    const double ra = slot[a].size, rb = slot[b].size, rab = ra + rb;
    const double q = 1.0 / rab;
    wa = std::sqrt(ra * q);
    wb = std::sqrt(rb * q);
    difference(sums.colptr(a), wb, sums.colptr(b), wa, v.data(), p);
    trace = (slot[a].trace + slot[b].trace) + dot(v.data(), v.data(), p);
    term = rab * std::log((trace + alpha) / rab);
    return term - (slot[a].term + slot[b].term);
  };

  std::size_t iopt = 0, jopt = 0;
  double dopt = flmax, wi = 0, wj = 0, trop = 0, tmop = 0;
  for (std::size_t j = 1; j < n; ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      double a, b, trace, term;
      const double dij = change(i, j, a, b, trace, term);
      d.at(i, j) = dij;
      if (dij <= dopt) {
        dopt = dij;
        iopt = i;
        jopt = j;
        wi = a;
        wj = b;
        trop = trace;
        tmop = term;
      }
    }
    d.rebuild(j);
  }
  Slots slots(n);
  std::vector<HcMerge> merges;
  merges.reserve(n - 1);
  for (std::size_t stage = 0; stage + 1 < n; ++stage) {
    host.check_interrupt();
    merges.push_back(slots.merge(iopt, jopt));
    const std::size_t last = n - 1 - stage;
    if (last == 1) break;
    for (std::size_t k = 0; k < p; ++k) {
      sums(k, iopt) = wi * sums(k, iopt) + wj * sums(k, jopt);
    }
    slot[iopt].size += slot[jopt].size;
    slot[iopt].trace = trop;
    slot[iopt].term = tmop;
    if (jopt != last) {
      d.move_last(jopt, last);
      std::copy(sums.colptr(last), sums.colptr(last) + p, sums.colptr(jopt));
      slot[jopt] = slot[last];
    }
    const std::size_t merged = iopt;
    std::size_t best_i = 0, best_j = 0;
    double best = flmax, best_wi = 0, best_wj = 0, best_trace = 0, best_term = 0;
    for (std::size_t k = 0; k < last; ++k) {
      if (k == merged) continue;
      double a, b, trace, term;
      const double dkm = change(merged, k, a, b, trace, term);
      if (k < merged) {
        d.at(k, merged) = dkm;
      } else {
        d.set(merged, k, dkm);
      }
      if (dkm <= best) {
        best = dkm;
        best_i = std::min(k, merged);
        best_j = std::max(k, merged);
        best_wi = k < merged ? b : a;
        best_wj = k < merged ? a : b;
        best_trace = trace;
        best_term = term;
      }
    }
    if (merged > 0) d.rebuild(merged);
    d.best(last, iopt, jopt);
    if (iopt == best_i && jopt == best_j) {
      wi = best_wi;
      wj = best_wj;
      trop = best_trace;
      tmop = best_term;
    } else {
      change(iopt, jopt, wi, wj, trop, tmop);
    }
  }
  return merges;
}

// VVV: sum_k n_k log(det(W_k / n_k) + beta (tr W_k + alpha) / n_k).
template <typename Host>
std::vector<HcMerge> unconstrained(const arma::mat& x, double alpha, double beta, Host& host) {
  const std::size_t n = x.n_rows, p = x.n_cols;
  arma::mat sums = transposed(x);
  alpha = std::max(alpha, std::numeric_limits<double>::epsilon());
  const double singleton_term = std::log(beta * alpha);
  const double root_half = 0.7071067811865476;
  std::vector<Cluster> slot(n);
  for (Cluster& c : slot) c.term = singleton_term;
  Dissimilarities d(n);
  std::vector<double> v(p), scratch(p);
  // mclust's hcvvv writes the first row of a merged cluster's factor into
  // every row it keeps for it (row k read from column k on), and uses that
  // matrix once the cluster is no longer the one just formed; we read
  // factors the same way, so that the trees agree.
  std::size_t fresh = n;

  // n log(det(W / n) + beta (tr W + alpha) / n), with log det from R
  // (R'R = W); the trace term alone while W is singular.
  auto term = [&](double count, const RowFactor& factor, double trace) {
    const double ridge = beta * (trace + alpha) / count;
    double value;
    if (count <= static_cast<double>(p)) {
      value = std::log(ridge);
    } else if (trace == 0.0) {
      value = std::log((alpha * beta) / count);
    } else {
      const double log_det = factor.log_det(std::sqrt(1.0 / count));
      if (log_det == -flmax) {
        value = std::log(ridge);
      } else if (log_det <= 0.0) {
        value = std::log(std::exp(log_det) + ridge);
      } else {
        value = std::log(1.0 + std::exp(-log_det) * ridge) + log_det;
      }
    }
    return count * value;
  };

  // The union of slots a and b: its factor, trace and the weights of a's
  // and b's sums in the merged sum. `base` is the slot whose factor the
  // other's rows are rotated into; `a_first` puts a's sum first in the
  // between-cluster row. Both follow mclust's order of operations, which
  // changes only rounding, so that near ties fall the same way.
  struct Union {
    RowFactor factor;  // of W, the union's scatter
    double trace = 0.0, wa = 0.0, wb = 0.0, count = 0.0;
  };
  auto unite = [&](std::size_t a, std::size_t b, bool a_first, std::size_t base, Union& u) {
    const double ra = slot[a].size, rb = slot[b].size, rab = ra + rb;
    const double q = 1.0 / rab;
    u.wa = std::sqrt(ra * q);
    u.wb = std::sqrt(rb * q);
    u.count = rab;
    const std::size_t other = base == a ? b : a;
    if (slot[base].size > 1.0) {
      u.factor.assign(slot[base].factor, base != fresh);
    } else {
      u.factor.clear(p);
    }
    if (slot[other].size > 1.0) {
      u.factor.add_rows(slot[other].factor, other != fresh, scratch.data());
    }
    if (a_first) {
      difference(sums.colptr(a), u.wb, sums.colptr(b), u.wa, v.data(), p);
    } else {
      difference(sums.colptr(b), u.wa, sums.colptr(a), u.wb, v.data(), p);
    }
    u.trace = (slot[a].trace + slot[b].trace) + dot(v.data(), v.data(), p);
    u.factor.add_row(v.data());
  };
  // Two singletons.
  auto unite_points = [&](std::size_t a, std::size_t b, Union& u) {
    for (std::size_t k = 0; k < p; ++k) v[k] = root_half * (sums(k, a) + (-1.0) * sums(k, b));
    u.trace = dot(v.data(), v.data(), p);
    u.factor.clear(p);
    u.factor.add_row(v.data());
    u.wa = u.wb = root_half;
    u.count = 2.0;
  };

  std::size_t iopt = 0, jopt = 0;
  double dopt = flmax, chosen_term = 0.0;
  for (std::size_t j = 1; j < n; ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      for (std::size_t k = 0; k < p; ++k) v[k] = root_half * (sums(k, i) + (-1.0) * sums(k, j));
      const double trace = dot(v.data(), v.data(), p);
      const double pair_term = 2.0 * std::log(beta * (trace + alpha) / 2.0);
      const double dij = pair_term - (singleton_term + singleton_term);
      d.at(i, j) = dij;
      if (dij <= dopt) {
        dopt = dij;
        iopt = i;
        jopt = j;
        chosen_term = pair_term;
      }
    }
    d.rebuild(j);
  }
  Union chosen, work, best_union;
  unite_points(iopt, jopt, chosen);
  Slots slots(n);
  std::vector<HcMerge> merges;
  merges.reserve(n - 1);
  for (std::size_t stage = 0; stage + 1 < n; ++stage) {
    host.check_interrupt();
    merges.push_back(slots.merge(iopt, jopt));
    const std::size_t last = n - 1 - stage;
    if (last == 1) break;
    for (std::size_t k = 0; k < p; ++k) {
      sums(k, iopt) = sums(k, iopt) * chosen.wa + chosen.wb * sums(k, jopt);
    }
    slot[iopt].size = chosen.count;
    slot[iopt].trace = chosen.trace;
    slot[iopt].term = chosen_term;
    slot[iopt].factor = std::move(chosen.factor);
    if (jopt != last) {
      d.move_last(jopt, last);
      std::copy(sums.colptr(last), sums.colptr(last) + p, sums.colptr(jopt));
      slot[jopt] = std::move(slot[last]);
    }
    slot[last] = Cluster();
    const std::size_t merged = iopt;
    fresh = merged;
    std::size_t best_k = 0;
    double best = flmax, best_term = 0.0;
    for (std::size_t k = 0; k < last; ++k) {
      if (k == merged) continue;
      // The merged cluster's factor takes k's rows, then the row
      // sqrt(n_m n_k / n) (mean_k - mean_m).
      unite(merged, k, false, merged, work);
      const double union_term = term(work.count, work.factor, work.trace);
      const double dkm = union_term - (slot[merged].term + slot[k].term);
      if (k < merged) {
        d.at(k, merged) = dkm;
      } else {
        d.set(merged, k, dkm);
      }
      if (dkm <= best) {
        best = dkm;
        best_k = k;
        best_term = union_term;
        std::swap(best_union, work);
      }
    }
    if (merged > 0) d.rebuild(merged);
    d.best(last, iopt, jopt);
    dopt = d.get(iopt, jopt);
    if (iopt == std::min(best_k, merged) && jopt == std::max(best_k, merged)) {
      std::swap(chosen, best_union);
      chosen_term = best_term;
      if (best_k < merged) std::swap(chosen.wa, chosen.wb);
    } else {
      const bool singletons = slot[iopt].size == 1.0 && slot[jopt].size == 1.0;
      const std::size_t base = slot[jopt].size > 1.0 ? jopt : iopt;
      fresh = n;
      if (singletons) {
        unite_points(iopt, jopt, chosen);
      } else {
        unite(iopt, jopt, true, base, chosen);
      }
      chosen_term = dopt + (slot[iopt].term + slot[jopt].term);
    }
  }
  return merges;
}

// EEE: one scatter W pooled over the clusters. While W is singular the
// criterion is tr W; then log(det W + tr W) until log det W reaches the log
// trace of the whole data's scatter; then log det W.
template <typename Host>
std::vector<HcMerge> pooled(const arma::mat& data, Host& host) {
  const std::size_t n = data.n_rows, p = data.n_cols;
  const double epsmin = std::numeric_limits<double>::epsilon() / 2.0;
  arma::mat sums = transposed(data);
  sums *= 1.0 / std::sqrt(static_cast<double>(n));
  std::vector<double> v(p), s(p), size(n, 1.0);
  // log tr of the data's scatter / (n p): past it, log det W alone decides.
  const double log_total = [&] {
    const double si = 1.0 / std::sqrt(static_cast<double>(p));
    const double sj = si / static_cast<double>(n);
    std::vector<double> centre(p, 0.0), row(p);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < p; ++k) centre[k] = centre[k] + sj * sums(k, i);
    }
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < p; ++k) row[k] = centre[k] + (-si) * sums(k, i);
      total += dot(row.data(), row.data(), p);
    }
    return std::log(total + epsmin);
  }();

  RowFactor pooled_factor(p), candidate(p), best_factor(p);
  double trace = 0.0, log_det = -flmax;
  Slots slots(n);
  std::vector<HcMerge> merges;
  merges.reserve(n - 1);
  enum class Phase { trace, blend, determinant };
  // Every phase scans the pairs i < j < count in mclust's order, each with
  // the weights si, sj of the merged cluster and out = sj x_i - si x_j, the
  // scaled difference of the two clusters' sums.
  auto scan_pairs = [&](std::size_t count, double* out, auto&& visit) {
    for (std::size_t j = 1; j < count; ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        const double rij = size[i] + size[j];
        const double si = std::sqrt(size[i] / rij), sj = std::sqrt(size[j] / rij);
        difference(sums.colptr(i), sj, sums.colptr(j), si, out, p);
        visit(i, j, si, sj);
      }
    }
  };
  for (std::size_t count = n; count > 1; --count) {
    host.check_interrupt();
    Phase phase = pooled_factor.rows() + 1 < p
                      ? Phase::trace
                      : (log_det < log_total ? Phase::blend : Phase::determinant);
    std::size_t iopt = 0, jopt = 0;
    double wi = 0.0, wj = 0.0;
    if (phase == Phase::trace) {
      double dopt = flmax;
      scan_pairs(count, s.data(), [&](std::size_t i, std::size_t j, double si, double sj) {
        const double zij = std::max(trace + dot(s.data(), s.data(), p), epsmin);
        if (zij <= dopt) {
          dopt = zij;
          iopt = i;
          jopt = j;
          wi = si;
          wj = sj;
          v = s;
        }
      });
      trace = dopt;
      pooled_factor.add_row(v.data());
    } else if (phase == Phase::blend) {
      double det_opt = flmax, blend_opt = flmax, det_trace = 0.0, blend_trace = 0.0,
             blend_det = 0.0;
      std::size_t idet = 0, jdet = 0;
      double wi_det = 0.0, wj_det = 0.0;
      scan_pairs(count, v.data(), [&](std::size_t i, std::size_t j, double si, double sj) {
        const double tij = trace + dot(v.data(), v.data(), p);
        candidate = pooled_factor;
        candidate.add_row(v.data());
        const double dij = candidate.log_det(1.0);
        if (dij <= det_opt) {
          det_opt = dij;
          det_trace = tij;
          idet = i;
          jdet = j;
          wi_det = si;
          wj_det = sj;
        }
        double zij;
        if (tij == 0.0) {
          zij = -flmax;
        } else {
          zij = std::max(tij, epsmin);
          if (dij == -flmax) {
            zij = std::log(zij);
          } else if (dij <= 0.0) {
            zij = std::log(std::exp(dij) + zij);
          } else {
            zij = std::log(1.0 + zij * std::exp(-dij)) + dij;
          }
        }
        if (zij <= blend_opt) {
          blend_opt = zij;
          blend_det = dij;
          blend_trace = tij;
          iopt = i;
          jopt = j;
          wi = si;
          wj = sj;
          std::swap(best_factor, candidate);
        }
      });
      if (det_opt < log_total) {
        trace = blend_trace;
        log_det = blend_det;
        std::swap(pooled_factor, best_factor);
      } else {
        trace = det_trace;
        log_det = det_opt;
        iopt = idet;
        jopt = jdet;
        wi = wi_det;
        wj = wj_det;
        difference(sums.colptr(iopt), wj, sums.colptr(jopt), wi, v.data(), p);
        pooled_factor.add_row(v.data());
      }
    } else {
      log_det = flmax;
      scan_pairs(count, v.data(), [&](std::size_t i, std::size_t j, double si, double sj) {
        candidate = pooled_factor;
        candidate.add_row(v.data());
        const double dij = candidate.log_det(1.0);
        if (dij <= log_det) {
          log_det = dij;
          iopt = i;
          jopt = j;
          wi = si;
          wj = sj;
          std::swap(best_factor, candidate);
        }
      });
      difference(sums.colptr(iopt), wj, sums.colptr(jopt), wi, v.data(), p);
      trace = trace + dot(v.data(), v.data(), p);
      std::swap(pooled_factor, best_factor);
    }
    merges.push_back(slots.merge(iopt, jopt));
    const std::size_t last = count - 1;
    for (std::size_t k = 0; k < p; ++k) {
      sums(k, iopt) = wi * sums(k, iopt) + wj * sums(k, jopt);
    }
    size[iopt] += size[jopt];
    if (jopt != last) {
      std::copy(sums.colptr(last), sums.colptr(last) + p, sums.colptr(jopt));
      size[jopt] = size[last];
    }
  }
  return merges;
}

}  // namespace hc_detail

// mclust's data for hc(): "VARS" is x itself; "SVD" standardises the columns
// as R's scale() does (long double sums, like colMeans() and sum()), drops
// constant ones, and maps the rows to x V diag(1/sqrt(s)) from the thin SVD
// x = U diag(s) V'. Components with a zero singular value are dropped too.
inline arma::mat hc_transform(const arma::mat& x, HcUse use) {
  if (use == HcUse::vars || x.n_rows < 2) return x;
  const std::size_t n = x.n_rows;
  std::vector<double> kept, column(n);  // the standardised columns kept
  for (arma::uword j = 0; j < x.n_cols; ++j) {
    long double sum = 0.0L;
    for (std::size_t i = 0; i < n; ++i) sum += x(i, j);
    const double mean = static_cast<double>(sum / static_cast<long double>(n));
    long double squares = 0.0L;
    for (std::size_t i = 0; i < n; ++i) {
      column[i] = x(i, j) - mean;
      squares += column[i] * column[i];
    }
    const double sd = std::sqrt(static_cast<double>(squares) / static_cast<double>(n - 1));
    if (!(sd > 0.0) || !std::isfinite(sd)) continue;
    for (std::size_t i = 0; i < n; ++i) kept.push_back(column[i] / sd);
  }
  if (kept.empty()) return arma::mat(n, 1, arma::fill::zeros);  // every point the same
  const arma::mat centred(kept.data(), n, kept.size() / n);
  arma::mat u, v;
  arma::vec singular;
  if (!arma::svd_econ(u, singular, v, centred, "both", "dc")) {
    throw error("the singular value decomposition for hierarchical clustering failed");
  }
  std::vector<arma::uword> components;
  for (arma::uword c = 0; c < singular.n_elem; ++c) {
    if (singular(c) > singular(0) * std::numeric_limits<double>::epsilon()) components.push_back(c);
  }
  arma::mat z(n, components.size());
  for (std::size_t c = 0; c < components.size(); ++c) {
    const arma::uword column = components[c];
    const double weight = 1.0 / std::sqrt(singular(column));
    for (std::size_t i = 0; i < n; ++i) {
      // x V summed in the order of the reference dgemm, as R's %*% does.
      double sum = 0.0;
      for (arma::uword l = 0; l < centred.n_cols; ++l) sum += v(l, column) * centred(i, l);
      z(i, c) = sum * weight;
    }
  }
  return z;
}

// The merges of model-based hierarchical clustering of the rows of z (n - 1
// of them), with mclust's defaults: alpha = tr of the scatter of z / sqrt(n
// d) for VII and VVV (beta = 1), machine epsilon for V (as mclust's hcV()
// ends up using).
template <typename Host>
std::vector<HcMerge> hc_merges(const arma::mat& z, HcModel model, Host& host) {
  if (z.n_rows < 2) return {};
  const bool one_dimensional = model == HcModel::E || model == HcModel::V;
  if (one_dimensional && z.n_cols != 1) {
    throw error("hierarchical clustering models E and V need one-dimensional data");
  }
  switch (model) {
    case HcModel::EII:
    case HcModel::E:
      return hc_detail::ward(z, host);
    case HcModel::VII:
      return hc_detail::spherical(z, hc_detail::scaled_trace(z), host);
    case HcModel::V:
      return hc_detail::spherical(z, std::numeric_limits<double>::epsilon(), host);
    case HcModel::VVV:
      return hc_detail::unconstrained(z, hc_detail::scaled_trace(z), 1.0, host);
    case HcModel::EEE:
      return hc_detail::pooled(z, host);
  }
  return {};
}

// The partition into k clusters after the first n - k merges, labelled
// 0..k-1 in the order of each cluster's first row (as mclust's hclass()).
inline std::vector<std::uint32_t> hc_partition(const std::vector<HcMerge>& merges, std::size_t n,
                                               std::size_t k) {
  if (k < 1 || k > n || merges.size() + 1 < n) throw error("no partition with that many clusters");
  std::vector<std::uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  auto root = [&](std::uint32_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (std::size_t m = 0; m < n - k; ++m) parent[root(merges[m].second)] = root(merges[m].first);
  const std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> label_of_root(n, none), labels(n);
  std::uint32_t next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t& label = label_of_root[root(static_cast<std::uint32_t>(i))];
    if (label == none) label = next++;
    labels[i] = label;
  }
  return labels;
}

}  // namespace softmix

#endif  // SOFTMIX_HC_H
