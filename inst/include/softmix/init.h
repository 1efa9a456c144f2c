// Starting parameters: k-means++ seeding refined by a few Lloyd iterations,
// or random responsibilities, each followed by one M step.
#ifndef SOFTMIX_INIT_H
#define SOFTMIX_INIT_H

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "mstep.h"
#include "parallel.h"

namespace softmix {

// A stand-in for R's generator when the core runs without R.
class StdRandom {
 public:
  explicit StdRandom(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

// Squared Euclidean distance from each scaled point of [begin, end) to `centre`.
inline void squared_distances(const Data& x, std::size_t begin, std::size_t end,
                              const double* centre, double* out) {
  const std::size_t rows = end - begin;
  std::fill(out, out + rows, 0.0);
  for (std::size_t j = 0; j < x.n_cols; ++j) {
    const double* column = x.x.colptr(j) + begin;
    const double factor = x.inverse_scale(j);
    const double c = centre[j];
    for (std::size_t b = 0; b < rows; ++b) {
      const double diff = column[b] * factor - c;
      out[b] += diff * diff;
    }
  }
}

inline std::size_t uniform_index(double u, std::size_t n) {
  return std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
}

// The row at which the running sum of weight(i) first exceeds `target`
// (the last row of positive weight if rounding leaves it short), among rows
// of positive weight: a draw with probability proportional to weight(i).
template <typename Weight>
std::size_t weighted_index(const Data& x, double target, Weight&& weight) {
  double cumulative = 0.0;
  std::size_t last = 0;
  for (std::size_t i = 0; i < x.n_rows; ++i) {
    const double w = weight(i);
    if (!(w > 0.0)) continue;
    cumulative += w;
    last = i;
    if (cumulative > target) return i;
  }
  return last;
}

// k-means++ seeding (Arthur and Vassilvitskii 2007): each new centre is a
// point drawn with probability proportional to its squared distance to the
// nearest centre so far, times its weight (the first in proportion to its
// weight alone), so a row of weight 2 is drawn as often as two copies of
// it. Returns d x K centres. `host` draws the random numbers and is asked
// to check for an interrupt between passes.
template <typename Host>
arma::mat kmeans_pp_seeds(const Data& x, std::size_t k, int n_threads, Host& host) {
  const std::size_t n = x.n_rows, d = x.n_cols;
  arma::mat centres(d, k);
  const double first = host.uniform();
  x.load_point(x.weights == nullptr ? uniform_index(first, n)
                                    : weighted_index(x, first * x.total_weight,
                                                     [&](std::size_t i) { return x.weights[i]; }),
               centres.colptr(0));
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  std::vector<double> distance_scratch(static_cast<std::size_t>(n_threads) * block_size);
  for (std::size_t c = 1; c < k; ++c) {
    host.check_interrupt();
    const double* centre = centres.colptr(c - 1);
    std::vector<double> total;
    reduce_blocks(
        n, 1, n_threads, 3.0 * static_cast<double>(x.n_cols), total,
        [&](std::size_t, std::size_t begin, std::size_t end, int thread, double* partial) {
          double* dist = distance_scratch.data() + thread * block_size;
          squared_distances(x, begin, end, centre, dist);
          double sum = 0.0;
          for (std::size_t b = 0; b < end - begin; ++b) {
            nearest[begin + b] = std::min(nearest[begin + b], dist[b]);
            sum += x.weight(begin + b) * nearest[begin + b];
          }
          partial[0] += sum;
        });
    const double target = host.uniform() * total[0];
    std::size_t chosen = 0;
    if (total[0] > 0.0) {
      chosen = weighted_index(x, target, [&](std::size_t i) { return x.weight(i) * nearest[i]; });
    } else {
      // Every point of positive weight coincides with a centre.
      chosen = weighted_index(x, 0.0, [&](std::size_t i) { return x.weight(i); });
    }
    x.load_point(chosen, centres.colptr(c));
  }
  return centres;
}

// Index of the nearest centre for each point.
inline void assign_nearest(const Data& x, const arma::mat& centres, int n_threads,
                           std::vector<std::uint32_t>& labels) {
  const std::size_t k = centres.n_cols;
  std::vector<double> scratch(static_cast<std::size_t>(n_threads) * 2 * block_size);
  labels.resize(x.n_rows);
  for_each_block(x.n_rows, n_threads, 3.0 * static_cast<double>(x.n_cols * k),
                 [&](std::size_t begin, std::size_t end, int thread) {
                   double* dist = scratch.data() + thread * 2 * block_size;
                   double* best = dist + block_size;
                   const std::size_t rows = end - begin;
                   std::fill(best, best + rows, std::numeric_limits<double>::infinity());
                   for (std::size_t c = 0; c < k; ++c) {
                     squared_distances(x, begin, end, centres.colptr(c), dist);
                     for (std::size_t b = 0; b < rows; ++b) {
                       if (dist[b] < best[b]) {
                         best[b] = dist[b];
                         labels[begin + b] = static_cast<std::uint32_t>(c);
                       }
                     }
                   }
                 });
}

// Fills ws.responsibility with the one-hot rows of `labels` for a block;
// `k` counts the rows, the noise's (label K) included.
inline double fill_one_hot(const std::vector<std::uint32_t>& labels, std::size_t k,
                           std::size_t begin, std::size_t end, BlockWorkspace& ws) {
  // Zeroing the whole block also zeroes the padding.
  std::fill(ws.responsibility.begin(), ws.responsibility.begin() + k * block_size, 0.0);
  for (std::size_t b = 0; b < end - begin; ++b) {
    const std::uint32_t label = labels[begin + b];
    if (label != unlabelled) ws.responsibility[label * block_size + b] = 1.0;
  }
  return 0.0;
}

// Lloyd's algorithm from the given centres for at most `iterations` centre
// updates, stopping when the labels no longer change; returns the labels of
// the final centres. An emptied cluster keeps its previous centre. `host`
// is asked to check for an interrupt between rounds.
template <typename Host>
std::vector<std::uint32_t> lloyd(const Data& x, arma::mat centres, int iterations, int n_threads,
                                 Host& host) {
  const std::size_t d = x.n_cols, k = centres.n_cols;
  const StatsLayout layout(d, k, Scatter::none);
  const arma::mat origin(d, k, arma::fill::zeros);
  std::vector<std::uint32_t> labels, previous;
  assign_nearest(x, centres, n_threads, labels);
  for (int it = 0; it < iterations && labels != previous; ++it) {
    host.check_interrupt();
    const std::vector<double> stats =
        accumulate(x, layout, origin, n_threads,
                   [&](const Kernels&, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
                     return fill_one_hot(labels, k, begin, end, ws);
                   });
    for (std::size_t c = 0; c < k; ++c) {
      const double count = stats[layout.weight + c];
      if (count > 0.0) {
        for (std::size_t j = 0; j < d; ++j) centres(j, c) = stats[layout.sum + c * d + j] / count;
      }
    }
    previous = labels;
    assign_nearest(x, centres, n_threads, labels);
  }
  return labels;
}

// Weighted MLE from hard labels, without an n x K matrix. With x's noise
// component, label K marks a noise row.
inline Params params_from_labels(const Data& x, const std::vector<std::uint32_t>& labels,
                                 std::size_t k, Model model, const arma::vec& ridge, int n_threads,
                                 const InnerControl& inner = InnerControl()) {
  const std::size_t columns = k + (x.noise ? 1 : 0);
  return weighted_mle(
      x, k, model, ridge, n_threads,
      [&](const Kernels&, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
        return fill_one_hot(labels, columns, begin, end, ws);
      },
      inner);
}

// Drops every partition equal to an earlier one up to the names of its
// labels (k-means++ and hierarchical clustering often agree on well
// separated data): EM from it would only repeat that start's fit.
inline void drop_repeated_partitions(std::vector<std::vector<std::uint32_t>>& partitions) {
  const auto canonical = [](const std::vector<std::uint32_t>& labels) {
    std::vector<std::uint32_t> out(labels.size()), names;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == unlabelled) {  // left out of the first M step: not a name
        out[i] = unlabelled;
        continue;
      }
      const auto at = std::find(names.begin(), names.end(), labels[i]);
      out[i] = static_cast<std::uint32_t>(at - names.begin());
      if (at == names.end()) names.push_back(labels[i]);
    }
    return out;
  };
  std::vector<std::vector<std::uint32_t>> seen, kept;
  for (auto& partition : partitions) {
    std::vector<std::uint32_t> form = canonical(partition);
    if (std::find(seen.begin(), seen.end(), form) != seen.end()) continue;
    seen.push_back(std::move(form));
    kept.push_back(std::move(partition));
  }
  partitions = std::move(kept);
}

// Rounds of Lloyd's algorithm after k-means++ seeding.
constexpr int lloyd_iterations = 10;

// The partition of a k-means++ start: seeding, then Lloyd's rounds. It does
// not depend on the covariance model, so one draw can start every model.
template <typename Host>
std::vector<std::uint32_t> kmeans_pp_partition(const Data& x, std::size_t k, int n_threads,
                                               Host& host) {
  const arma::mat seeds = kmeans_pp_seeds(x, k, n_threads, host);
  return lloyd(x, seeds, lloyd_iterations, n_threads, host);
}

template <typename Host>
Params kmeans_pp_start(const Data& x, std::size_t k, Model model, const arma::vec& ridge,
                       int n_threads, Host& host) {
  return params_from_labels(x, kmeans_pp_partition(x, k, n_threads, host), k, model, ridge,
                            n_threads, interruptible_inner(host));
}

// Responsibilities drawn uniformly and normalised by row, as scikit-learn's
// "random" start; `scratch` (n x K) receives them. `inner` governs the
// inner iterations of the M step.
template <typename Random>
Params random_start(const Data& x, std::size_t k, Model model, const arma::vec& ridge,
                    int n_threads, Random& rng, arma::mat& scratch,
                    const InnerControl& inner = InnerControl()) {
  const std::size_t n = x.n_rows;
  scratch.set_size(n, k);
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (std::size_t c = 0; c < k; ++c) {
      scratch(i, c) = rng.uniform();
      sum += scratch(i, c);
    }
    for (std::size_t c = 0; c < k; ++c) scratch(i, c) /= sum;
    if (x.labels != nullptr && x.labels[i] != unlabelled) {
      for (std::size_t c = 0; c < k; ++c) scratch(i, c) = c == x.labels[i];
    }
  }
  return m_step_scaled(x, scratch.memptr(), k, model, ridge, n_threads, inner);
}

// Each row's Euclidean distance to its m-th nearest row among the rows
// `reference` (0-based) of x, itself excluded (a reference row is at
// distance 0 from itself). For the starting noise set of softmix(noise =
// TRUE). A plain loop: it runs once per fit, on at most a few thousand
// reference rows.
inline std::vector<double> nearest_neighbour_distances(const arma::mat& x,
                                                       const std::vector<std::size_t>& reference,
                                                       std::size_t m) {
  const std::size_t n = x.n_rows, d = x.n_cols, r = reference.size();
  std::vector<double> out(n), squared(r);
  const arma::mat rows = transposed(x);  // one column per row, contiguous
  for (std::size_t i = 0; i < n; ++i) {
    const double* a = rows.colptr(i);
    std::size_t self = 0;
    for (std::size_t t = 0; t < r; ++t) {
      const double* b = rows.colptr(reference[t]);
      double sum = 0.0;
      for (std::size_t j = 0; j < d; ++j) {
        const double diff = a[j] - b[j];
        sum += diff * diff;
      }
      squared[t] = sum;
      self += reference[t] == i;
    }
    // The m-th nearest other row: skip the row itself if it is a reference.
    const std::size_t rank = std::min(r - 1, m - 1 + self);
    std::nth_element(squared.begin(), squared.begin() + rank, squared.end());
    out[i] = std::sqrt(squared[rank]);
  }
  return out;
}

}  // namespace softmix

#endif  // SOFTMIX_INIT_H
