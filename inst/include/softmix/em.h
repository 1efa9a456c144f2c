// The EM driver: one fused pass over the data per iteration computes the
// responsibilities under the current parameters, their log-likelihood and the
// weighted statistics for the next parameters.
#ifndef SOFTMIX_EM_H
#define SOFTMIX_EM_H

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "data.h"
#include "degenerate.h"
#include "estep.h"
#include "init.h"
#include "mstep.h"

namespace softmix {

struct Control {
  double tol = 1e-8;
  int max_iter = 1000;
};

struct Fit {
  Params params;
  double loglik = 0.0;
  std::vector<double> loglik_trace;  // log-likelihood of each parameter set visited
  int iterations = 0;                // M steps taken
  bool converged = false;
  bool posterior_written = false;  // run_em() filled the posterior it was given
  std::string degenerate;          // "" or why the fit is degenerate (see degeneracy())
};

inline void check_finite_loglik(double loglik, int iterations) {
  if (std::isfinite(loglik)) return;
  std::ostringstream msg;
  msg << "the log-likelihood is not finite after " << iterations
      << " iterations: some observations have zero density under every component";
  throw error(msg.str());
}

// What only the host (R) can do. The default does nothing and draws from a
// seeded std::mt19937_64; the R glue supplies R's RNG and interrupt check.
struct NoHost {
  StdRandom random{42};
  void check_interrupt() {}
  double uniform() { return random.uniform(); }
};

// EM from `params` until the relative change of the log-likelihood,
// |l_t - l_{t-1}| / (1 + |l_t|), falls below tol, or max_iter M steps. The
// returned log-likelihood is that of the returned parameters: with
// max_iter = t, exactly t E+M rounds and one last E step. Parameters and
// ridge are in scaled units, log-likelihoods in the data's own. The last E
// step after max_iter M steps needs no statistics; it writes the n x K
// posterior if `posterior` is not null.
template <typename Host>
Fit run_em(const Data& x, Params params, Model model, const arma::vec& ridge,
           const Control& control, int n_threads, Host& host, double* posterior = nullptr) {
  const std::size_t k = params.k();
  const StatsLayout layout(x.n_cols, k, scatter_for(model));
  Fit fit;
  double previous = 0.0;
  for (;;) {
    // After max_iter M steps, the last E step needs no statistics.
    const bool last = fit.iterations >= control.max_iter;
    std::vector<double> stats;
    double loglik = 0.0;
    if (last) {
      loglik = e_step_scaled(x, params, n_threads, posterior, nullptr);
    } else {
      stats = accumulate(
          x, layout, params.means, n_threads,
          [&](const Kernels& kernels, std::size_t begin, std::size_t end, BlockWorkspace& ws) {
            block_log_density(kernels, params, ws);
            return block_responsibilities(kernels, params, end - begin, ws, nullptr);
          });
      loglik = stats[0];
    }
    loglik += static_cast<double>(x.n_rows) * x.log_jacobian;
    check_finite_loglik(loglik, fit.iterations);
    fit.loglik_trace.push_back(loglik);
    if (fit.iterations > 0 &&
        std::abs(loglik - previous) / (1.0 + std::abs(loglik)) < control.tol) {
      fit.converged = true;
    }
    if (last) fit.posterior_written = posterior != nullptr;
    if (fit.converged || last) break;
    host.check_interrupt();
    // The previous parameters start the inner iterations of the M steps
    // without closed form, so that no M step lowers the expected
    // complete-data log-likelihood.
    params =
        params_from_moments(moments_from_stats(stats, layout, params.means), model, ridge, &params);
    previous = loglik;
    ++fit.iterations;
  }
  fit.loglik = fit.loglik_trace.back();
  fit.params = std::move(params);
  return fit;
}

enum class Start { kmeans_pp, random, given };

// EM from `runs` starts, start(run) giving each one's parameters in scaled
// units; the best log-likelihood is kept and the final E step writes the
// n x K posterior. A start that fails is skipped while another succeeds.
template <typename Host, typename MakeStart>
Fit best_of_starts(const Data& x, std::size_t k, Model model, const arma::vec& ridge,
                   const Control& control, int runs, int n_threads, Host& host,
                   arma::mat& posterior, MakeStart&& start) {
  Fit best;
  bool have_best = false;
  std::string last_error;
  posterior.set_size(x.n_rows, k);
  for (int run = 0; run < runs; ++run) {
    try {
      // A single run may write the posterior in its last E step.
      Fit candidate = run_em(x, start(run), model, ridge, control, n_threads, host,
                             runs == 1 ? posterior.memptr() : nullptr);
      if (!have_best || candidate.loglik > best.loglik) {
        best = std::move(candidate);
        have_best = true;
      }
    } catch (const error& e) {
      if (runs == 1) throw;
      last_error = e.what();
    }
    host.check_interrupt();
  }
  if (!have_best) throw error("every start failed; the last: " + last_error);
  if (!best.posterior_written) {
    e_step_scaled(x, best.params, n_threads, posterior.memptr(), nullptr);
  }
  best.degenerate = degeneracy(x, posterior, best.params, ridge, model, n_threads);
  best.params = rescale(best.params, x.scale());
  factorize(best.params, is_shared(model));
  return best;
}

// A whole fit: n_init starts (each k-means++ or random; one for given
// parameters, in the data's units), EM from each, the best log-likelihood
// kept, and the final E step writing the n x K posterior. The ridge is reg
// times each column's variance (see scaled_ridge()). A start that fails is
// skipped while another succeeds.
template <typename Host>
Fit fit_mixture(const arma::mat& matrix, std::size_t k, Model model, double reg,
                const Control& control, Start start, const Params* given, int n_init, int n_threads,
                Host& host, arma::mat& posterior) {
  const Data x(matrix);
  const arma::vec ridge = scaled_ridge(x, reg);
  const int runs = start == Start::given ? 1 : std::max(1, n_init);
  return best_of_starts(x, k, model, ridge, control, runs, n_threads, host, posterior, [&](int) {
    if (start == Start::given) {
      Params initial = rescale(*given, x.inverse_scale);
      factorize(initial, is_shared(model));
      return initial;
    }
    if (start == Start::kmeans_pp) {
      return kmeans_pp_start(x, k, model, ridge, n_threads, host);
    }
    return random_start(x, k, model, ridge, n_threads, host, posterior);
  });
}

// A fit from given starting partitions (labels 0..k-1, or `unlabelled` for
// rows the first M step leaves out): an M step from each, then EM, the best
// log-likelihood kept. Partitions that do not depend on the model (k-means++,
// hierarchical clustering) are made once and shared by every model.
template <typename Host>
Fit fit_mixture_from_partitions(const arma::mat& matrix, std::size_t k, Model model, double reg,
                                const Control& control,
                                const std::vector<std::vector<std::uint32_t>>& partitions,
                                int n_threads, Host& host, arma::mat& posterior) {
  const Data x(matrix);
  const arma::vec ridge = scaled_ridge(x, reg);
  const int runs = static_cast<int>(partitions.size());
  if (runs == 0) throw error("no starting partition");
  return best_of_starts(
      x, k, model, ridge, control, runs, n_threads, host, posterior,
      [&](int run) { return params_from_labels(x, partitions[run], k, model, ridge, n_threads); });
}

// n_init k-means++ partitions (seeding and Lloyd's rounds), drawn in the
// order fit_mixture() draws them, so a fit from them equals fit_mixture()
// with Start::kmeans_pp under the same random numbers.
template <typename Host>
std::vector<std::vector<std::uint32_t>> kmeans_pp_partitions(const arma::mat& matrix, std::size_t k,
                                                             int n_init, int n_threads,
                                                             Host& host) {
  const Data x(matrix);
  std::vector<std::vector<std::uint32_t>> partitions;
  for (int run = 0; run < std::max(1, n_init); ++run) {
    partitions.push_back(kmeans_pp_partition(x, k, n_threads, host));
    host.check_interrupt();
  }
  return partitions;
}

}  // namespace softmix

#endif  // SOFTMIX_EM_H
