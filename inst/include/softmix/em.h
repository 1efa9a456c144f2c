// The EM driver: one fused pass over the data per iteration computes the
// responsibilities under the current parameters, their log-likelihood and the
// weighted statistics for the next parameters.
#ifndef SOFTMIX_EM_H
#define SOFTMIX_EM_H

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "data.h"
#include "degenerate.h"
#include "estep.h"
#include "init.h"
#include "missing.h"
#include "mstep.h"
#include "passes.h"

namespace softmix {

// How EM decides it has converged: by the relative change of the
// log-likelihood between accepted parameters, or by Aitken's estimate of
// the distance to its limit.
enum class Stopping { relative, aitken };

// Parts of the parameters that EM holds at their starting values.
struct Fixed {
  bool proportions = false, means = false, covariances = false;
  bool any() const { return proportions || means || covariances; }
};

struct Control {
  double tol = 1e-8;
  int max_iter = 1000;
  // SQUAREM extrapolation (see run_em()).
  bool accelerate = true;
  Stopping stopping = Stopping::relative;
  Fixed fixed;
};

// The M step's moments with fixed means: the scatter about the fixed means,
// W_k + N_k (m_k - mu_k)(m_k - mu_k)', from that about the weighted means m_k.
// Proportions and covariances enter the expected complete-data
// log-likelihood through separate terms, so the others' estimates stand.
inline void fix_means(Moments& m, const arma::mat& means, bool diagonal) {
  const std::size_t d = means.n_rows;
  for (std::size_t c = 0; c < means.n_cols; ++c) {
    arma::mat& scatter = m.scatter.slice(c);
    for (std::size_t j = 0; j < d; ++j) {
      const double shift_j = m.means(j, c) - means(j, c);
      for (std::size_t i = 0; i < d; ++i) {
        if (diagonal && i != j) continue;
        scatter(i, j) += m.weight(c) * (m.means(i, c) - means(i, c)) * shift_j;
      }
    }
  }
  m.means = means;
}

// Sets the fixed parts of p to those of `values`, refactorizing if the
// covariances change.
inline void impose_fixed(const Fixed& fixed, const Params& values, bool shared, Params& p) {
  if (fixed.proportions) {
    p.proportions = values.proportions;
    p.noise_proportion = values.noise_proportion;
  }
  if (fixed.means) p.means = values.means;
  if (fixed.covariances) {
    p.covariances = values.covariances;
    factorize(p, shared);
  }
}

struct Fit {
  Params params;
  double loglik = 0.0;
  std::vector<double> loglik_trace;  // log-likelihood of each accepted parameter set
  // With a prior, the log-likelihood plus the log prior (in scaled units, up
  // to a constant) of each: what EM raises and tests for convergence.
  std::vector<double> log_posterior_trace;
  int iterations = 0;  // E and M passes over the data
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

// Any host behind two function pointers. The EM driver takes its host
// through this, so it is compiled once, not once per host type: each copy
// of it is a large function with its debug information.
class HostRef {
 public:
  template <typename Host>
  explicit HostRef(Host& host)
      : host_(&host), check_(&check_interrupt_of<Host>), uniform_(&uniform_of<Host>) {}
  void check_interrupt() { check_(host_); }
  double uniform() { return uniform_(host_); }

 private:
  template <typename Host>
  static void check_interrupt_of(void* host) {
    static_cast<Host*>(host)->check_interrupt();
  }
  template <typename Host>
  static double uniform_of(void* host) {
    return static_cast<Host*>(host)->uniform();
  }
  void* host_;
  void (*check_)(void*);
  double (*uniform_)(void*);
};

// The stopping rule applied to the log-likelihoods of the accepted
// parameters, which it appends to `trace`.
class ConvergenceTest {
 public:
  ConvergenceTest(const Control& control, std::vector<double>& trace)
      : control_(control), trace_(trace) {}

  // Records the log-likelihood of newly accepted parameters; true when EM
  // has converged there.
  bool accept(double loglik) {
    trace_.push_back(loglik);
    const std::size_t t = trace_.size();
    if (t < 2) return false;
    const double change = loglik - trace_[t - 2];
    const double scale = 1.0 + std::abs(loglik);
    if (control_.stopping == Stopping::aitken && t >= 3) {
      // The sequence approaches its limit linearly, at rate `rate`, so the
      // limit is about loglik + change * rate / (1 - rate). Away from that
      // regime (rate outside [0, 1)) only a vanishing change stops EM.
      const double before = trace_[t - 2] - trace_[t - 3];
      const double rate = before != 0.0 ? change / before : 0.0;
      if (rate >= 0.0 && rate < 1.0) {
        return std::abs(change * rate / (1.0 - rate)) / scale < control_.tol &&
               std::abs(change) / scale < std::sqrt(control_.tol);
      }
      return change == 0.0;
    }
    return std::abs(change) / scale < control_.tol;
  }

 private:
  const Control& control_;
  std::vector<double>& trace_;
};

// The parameters that EM moves, as one vector: proportions (the noise's
// last), means and the upper triangles of the covariances. SQUAREM
// extrapolates along it.
inline std::vector<double> parameter_vector(const Params& p) {
  const std::size_t d = p.d(), k = p.k();
  std::vector<double> out(p.proportions.begin(), p.proportions.end());
  if (p.noise) out.push_back(p.noise_proportion);
  out.insert(out.end(), p.means.begin(), p.means.end());
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i <= j; ++i) out.push_back(p.covariances(i, j, c));
    }
  }
  return out;
}

// The mixture whose parameter vector is `v` (shaped like `like`), factorized;
// false when it is none: a proportion that is not positive, or a covariance
// that is not positive definite.
inline bool params_from_vector(const std::vector<double>& v, const Params& like, bool shared,
                               Params& out) {
  const std::size_t d = like.d(), k = like.k();
  out.proportions.set_size(k);
  out.means.set_size(d, k);
  out.covariances.set_size(d, d, k);
  std::size_t e = 0;
  for (std::size_t c = 0; c < k; ++c) {
    out.proportions(c) = v[e++];
    if (!(out.proportions(c) > 0.0)) return false;
  }
  out.noise = like.noise;
  out.noise_proportion = like.noise ? v[e++] : 0.0;
  if (like.noise && !(out.noise_proportion > 0.0)) return false;
  // Combinations of proportions sum to one only up to rounding, which long
  // steps magnify; a sum above one would inflate the log-likelihood.
  const double total = sum_of(out.proportions) + out.noise_proportion;
  out.proportions /= total;
  out.noise_proportion /= total;
  for (std::size_t i = 0; i < d * k; ++i) out.means[i] = v[e++];
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i <= j; ++i) {
        out.covariances(i, j, c) = v[e];
        out.covariances(j, i, c) = v[e++];
      }
    }
  }
  try {
    factorize(out, shared);
  } catch (const error&) {
    return false;
  }
  return true;
}

// Thrown by an M step of EVE or VVE whose moments the ridge holds up.
class held_by_ridge : public error {
 public:
  using error::error;
};

// EM from `params` until the stopping rule of `control` holds for the
// log-likelihoods of the accepted parameters (see ConvergenceTest), or
// until max_iter passes over the data. Each pass computes, at once, the
// responsibilities and log-likelihood of a parameter set and the statistics
// of its M step.
//
// With control.accelerate, EM is accelerated by SQUAREM (Varadhan and
// Roland 2008, scheme S3 with the step bounds of their SQUAREM package):
// from accepted theta0 and two EM steps theta1 = M(theta0), theta2 =
// M(theta1), with r = theta1 - theta0 and v = theta2 - 2 theta1 + theta0,
// the point theta0 + 2 a r + a^2 v with a = |r| / |v| (a = 1 gives theta2).
// The plain step theta1 is always accepted. The extrapolated point is
// accepted only if it is a mixture of the model (otherwise one EM step from
// it brings it back into the model's space, and that point is the
// candidate) and its log-likelihood is at least theta1's; else EM goes on
// from theta2, as plain EM would. So the trace of accepted log-likelihoods
// never falls where plain EM's would not (with reg = 0).
//
// For EVE and VVE with a ridge, EM stops (unconverged, with the reason in
// `degenerate`) at the first M step whose moments the ridge holds up: such
// a fit is degenerate whatever EM does next, and its MM steps would run to
// their cap at every iteration.
//
// The returned log-likelihood is that of the returned parameters: with
// max_iter = t and no acceleration, exactly t E+M rounds and one last E
// step, which writes the n x K posterior if `posterior` is not null.
// Parameters and ridge are in scaled units, log-likelihoods in the data's
// own.
//
// `x` describes the rows (columns, scale, weights' total, noise, prior);
// `passes` runs the passes over them, wherever they are (see passes.h).
inline Fit run_em(const Data& x, Passes& passes, Params params, Model model, const arma::vec& ridge,
                  const Control& control, HostRef host, double* posterior = nullptr) {
  if (params.noise != x.noise) {
    throw error(x.noise ? "the starting parameters lack the noise component's share"
                        : "the starting parameters have a noise share but the data no hypervolume");
  }
  const StatsLayout layout(x.n_cols, params.k(), scatter_for(model), x.noise);
  const double log_jacobian = x.total_log_jacobian;
  // The fixed parts' values: the start's.
  const Fixed& fixed = control.fixed;
  const Params fixed_values = fixed.any() ? params : Params();
  const bool shared = is_shared(model);
  // The inner iterations of the M steps without closed form check for an
  // interrupt now and then.
  InnerControl inner = interruptible_inner(host);
  const double exact_inner_tol = inner.tol;
  Fit fit;
  // With a prior EM raises, and tests, the log posterior.
  ConvergenceTest test(control, x.has_prior ? fit.log_posterior_trace : fit.loglik_trace);
  const auto objective = [&](const Params& p, double loglik) {
    return x.has_prior ? loglik - 0.5 * minus_two_log_prior(p, x.prior, model) : loglik;
  };
  // Records accepted parameters' log-likelihood; true when EM has converged.
  const auto accept = [&](const Params& p, double loglik) {
    if (!x.has_prior) return test.accept(loglik);
    fit.loglik_trace.push_back(loglik);
    return test.accept(objective(p, loglik));
  };

  // One pass: the log-likelihood of p and the statistics of its M step.
  const auto evaluate = [&](const Params& p, std::vector<double>& out) {
    host.check_interrupt();
    passes.statistics(p, layout, out);
    ++fit.iterations;
    return out[0] + log_jacobian;
  };
  // The M step from statistics of p. The inner iterations of the M steps
  // without closed form start at p, so that no M step lowers the expected
  // complete-data log-likelihood.
  // EVE and VVE: a component collapsing under the ridge ends EM there (see
  // ridge_held_component()); m_step_from() throws held_by_ridge.
  const bool watch_ridge = (model == Model::EVE || model == Model::VVE) && sum_of(ridge) > 0.0;
  const double ridge_threshold =
      watch_ridge ? ridge_share_threshold(sum_of(ridge) / sum_of(scaled_ridge(x, 1.0))) : 0.0;
  // `start`, where the inner iterations start, is p itself but for an
  // extrapolated p outside the model's space.
  const auto m_step_from = [&](const std::vector<double>& s, const Params& p,
                               const Params* start = nullptr) {
    Moments moments = moments_from_stats(s, layout, p.means);
    if (fixed.means) fix_means(moments, fixed_values.means, is_diagonal(model));
    if (watch_ridge) {
      const std::string why = ridge_held_component(moments, ridge, ridge_threshold);
      if (!why.empty()) throw held_by_ridge(why);
    }
    // Far from convergence an M step need not be exact, only not lower the
    // expected log-likelihood, which its inner iterations never do (a
    // generalised EM step): their tolerance is a hundredth of EM's last
    // relative change, at most 1e-4, and tightens to the exact one as EM
    // converges.
    const std::size_t t = fit.loglik_trace.size();
    const double change = t >= 2 ? std::abs(fit.loglik_trace[t - 1] - fit.loglik_trace[t - 2]) /
                                       (1.0 + std::abs(fit.loglik_trace[t - 1]))
                                 : 1.0;
    inner.tol = std::max(exact_inner_tol, std::min(1e-4, 0.01 * change));
    const Params* from = start != nullptr ? start : &p;
    Params next = x.has_prior ? params_from_moments_prior(moments, model, x.prior, from, inner)
                              : params_from_moments(moments, model, ridge, from, inner);
    impose_fixed(fixed, fixed_values, shared, next);
    return next;
  };
  // The end at a degenerate fit: the last accepted parameters, unconverged.
  const auto degenerate_at = [&](Params at, const held_by_ridge& e) {
    fit.degenerate = e.what();
    fit.loglik = fit.loglik_trace.back();
    fit.params = std::move(at);
    return fit;
  };
  // The end at max_iter: one last E step at `last`, which writes the posterior.
  const auto finish = [&](Params last) {
    host.check_interrupt();
    const double loglik = passes.log_likelihood(last, posterior) + log_jacobian;
    check_finite_loglik(loglik, fit.iterations);
    fit.converged = accept(last, loglik);
    fit.posterior_written = posterior != nullptr;
    fit.loglik = loglik;
    fit.params = std::move(last);
    return fit;
  };
  const auto converged_at = [&](Params at) {
    fit.converged = true;
    fit.loglik = fit.loglik_trace.back();
    fit.params = std::move(at);
    return fit;
  };

  if (control.max_iter <= 0) return finish(std::move(params));
  // theta0: the last accepted parameters, with its statistics; next0 its M
  // step once computed.
  Params theta0 = std::move(params);
  std::vector<double> stats0;
  double loglik0 = evaluate(theta0, stats0);
  check_finite_loglik(loglik0, 0);
  accept(theta0, loglik0);
  Params next0;
  bool have_next0 = false;
  const bool closed = is_affine_closed(model);
  // Under a prior, mclust's EII and EEI steps are not the exact mode of the
  // log posterior (see prior.h); from an extrapolated point they need not
  // raise it, so those two run as plain EM.
  const bool accelerate =
      control.accelerate && !(x.has_prior && (model == Model::EII || model == Model::EEI));
  double step_max = 1.0;
  constexpr double step_factor = 4.0;
  for (;;) {
    Params theta1;
    try {
      theta1 = have_next0 ? std::move(next0) : m_step_from(stats0, theta0);
    } catch (const held_by_ridge& e) {
      return degenerate_at(std::move(theta0), e);
    }
    have_next0 = false;
    if (fit.iterations >= control.max_iter) return finish(std::move(theta1));
    std::vector<double> stats1;
    const double loglik1 = evaluate(theta1, stats1);
    check_finite_loglik(loglik1, fit.iterations);
    if (accept(theta1, loglik1)) {
      --fit.iterations;  // the M step of that pass is not taken
      return converged_at(std::move(theta1));
    }
    if (!accelerate) {
      theta0 = std::move(theta1);
      stats0 = std::move(stats1);
      continue;
    }
    Params theta2;
    try {
      theta2 = m_step_from(stats1, theta1);
    } catch (const held_by_ridge& e) {
      return degenerate_at(std::move(theta1), e);
    }
    const std::vector<double> p0 = parameter_vector(theta0), p1 = parameter_vector(theta1),
                              p2 = parameter_vector(theta2);
    std::vector<double> r(p0.size()), v(p0.size());
    double r_norm = 0.0, v_norm = 0.0;
    for (std::size_t i = 0; i < p0.size(); ++i) {
      r[i] = p1[i] - p0[i];
      v[i] = p2[i] - 2.0 * p1[i] + p0[i];
      r_norm += r[i] * r[i];
      v_norm += v[i] * v[i];
    }
    double step = v_norm > 0.0 ? std::sqrt(r_norm / v_norm) : 1.0;
    step = std::max(1.0, std::min(step_max, step));
    const bool at_max = step == step_max;
    // The plain EM step, theta1 to theta2, with theta2's M step to follow.
    const auto plain = [&]() {
      theta0 = std::move(theta1);
      stats0 = std::move(stats1);
      next0 = std::move(theta2);
      have_next0 = true;
    };
    if (step == 1.0 || fit.iterations >= control.max_iter) {
      if (at_max) step_max *= step_factor;  // held to plain EM by the bound
      plain();
      continue;
    }
    // Shorten a step that leaves the mixtures, halfway towards theta2 each
    // time, a few times before falling back to theta2.
    Params candidate;
    std::vector<double> point(p0.size());
    bool valid = false;
    for (int halving = 0; halving < 4 && !valid; ++halving) {
      for (std::size_t i = 0; i < p0.size(); ++i) {
        point[i] = p0[i] + 2.0 * step * r[i] + step * step * v[i];
      }
      valid = params_from_vector(point, theta0, shared, candidate);
      // Renormalising may move fixed proportions by a rounding error.
      if (valid) impose_fixed(fixed, fixed_values, shared, candidate);
      if (!valid) step = 0.5 * (step + 1.0);
    }
    if (!valid) {
      if (at_max) step_max = std::max(1.0, step_max / step_factor);
      plain();
      continue;
    }
    // The extrapolated point, or one EM step from it when it may lie
    // outside the model's space; its log-likelihood, its statistics.
    std::vector<double> candidate_stats;
    double candidate_loglik = -std::numeric_limits<double>::infinity();
    try {
      candidate_loglik = evaluate(candidate, candidate_stats);
      if (!closed && std::isfinite(candidate_loglik)) {
        // Its inner iterations start from theta2, a mixture of the model
        // near it: nothing to keep there but their number small.
        candidate = m_step_from(candidate_stats, candidate, &theta2);
        candidate_loglik = fit.iterations < control.max_iter
                               ? evaluate(candidate, candidate_stats)
                               : -std::numeric_limits<double>::infinity();
      }
    } catch (const error&) {
      candidate_loglik = -std::numeric_limits<double>::infinity();
    }
    if (!(std::isfinite(candidate_loglik) &&
          objective(candidate, candidate_loglik) >= objective(theta1, loglik1))) {
      if (at_max) step_max = std::max(1.0, step_max / step_factor);
      plain();
      continue;
    }
    if (at_max) step_max *= step_factor;
    if (accept(candidate, candidate_loglik)) {
      --fit.iterations;
      return converged_at(std::move(candidate));
    }
    theta0 = std::move(candidate);
    stats0 = std::move(candidate_stats);
  }
}

// run_em() over x's rows in memory, on n_threads threads.
inline Fit run_em(const Data& x, Params params, Model model, const arma::vec& ridge,
                  const Control& control, int n_threads, HostRef host,
                  double* posterior = nullptr) {
  MemoryPasses passes(x, n_threads);
  return run_em(x, passes, std::move(params), model, ridge, control, host, posterior);
}

enum class Start { kmeans_pp, random, given };

// Several starts are first run to this tolerance, mclust's default
// (emControl()$tol[1]); only the one that ranks best there is run on to the
// fit's own tolerance. The ranking rarely changes between the two, and the
// slow end of EM is paid once.
constexpr double screening_tol = 1e-5;

// EM from `runs` starts, start(run) giving each one's parameters in scaled
// units; the best log-likelihood is kept and the final E step writes the
// n x K posterior. With several starts and a tolerance below
// screening_tol, each start runs to screening_tol, and the best is then
// run on from where it stopped (the next best if that fails), its
// iterations and trace continued. A start that fails is skipped while
// another succeeds.
// The posterior is written only when `posterior` is not null (rows held
// elsewhere have theirs there).
inline Fit best_of_starts(const Data& x, Passes& passes, std::size_t k, Model model,
                          const arma::vec& ridge, const Control& control, int runs, HostRef host,
                          arma::mat* posterior, const std::function<Params(int)>& start) {
  const bool screen = runs > 1 && control.tol < screening_tol;
  Control first = control;
  if (screen) first.tol = screening_tol;
  std::vector<Fit> candidates;
  std::string last_error;
  if (posterior != nullptr) posterior->set_size(x.n_total, k + (x.noise ? 1 : 0));
  for (int run = 0; run < runs; ++run) {
    try {
      // A single run may write the posterior in its last E step.
      candidates.push_back(
          run_em(x, passes, start(run), model, ridge, first, host,
                 runs == 1 && posterior != nullptr ? posterior->memptr() : nullptr));
    } catch (const error& e) {
      if (runs == 1) throw;
      last_error = e.what();
    }
    host.check_interrupt();
  }
  if (candidates.empty()) throw error("every start failed; the last: " + last_error);
  // Best first; equal log-likelihoods keep the earlier start.
  std::vector<std::size_t> order(candidates.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // With a prior, by the log posterior that EM raised.
  const auto rank = [&](std::size_t i) {
    const Fit& f = candidates[i];
    return f.log_posterior_trace.empty() ? f.loglik : f.log_posterior_trace.back();
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rank(a) > rank(b); });
  Fit best;
  bool have_best = false;
  for (const std::size_t index : order) {
    Fit& candidate = candidates[index];
    if (!screen || !candidate.converged || candidate.iterations >= control.max_iter) {
      best = std::move(candidate);
      have_best = true;
      break;
    }
    Control rest = control;
    rest.max_iter = control.max_iter - candidate.iterations;
    try {
      Fit tail = run_em(x, passes, candidate.params, model, ridge, rest, host);
      // The tail's trace starts with the log-likelihood the candidate ended at.
      candidate.loglik_trace.insert(candidate.loglik_trace.end(), tail.loglik_trace.begin() + 1,
                                    tail.loglik_trace.end());
      tail.loglik_trace = std::move(candidate.loglik_trace);
      if (!tail.log_posterior_trace.empty()) {
        candidate.log_posterior_trace.insert(candidate.log_posterior_trace.end(),
                                             tail.log_posterior_trace.begin() + 1,
                                             tail.log_posterior_trace.end());
        tail.log_posterior_trace = std::move(candidate.log_posterior_trace);
      }
      tail.iterations += candidate.iterations;
      best = std::move(tail);
      have_best = true;
      break;
    } catch (const error& e) {
      last_error = e.what();
    }
  }
  if (!have_best) throw error("every start failed; the last: " + last_error);
  if (posterior != nullptr && !best.posterior_written) {
    passes.log_likelihood(best.params, posterior->memptr());
  }
  // Under a prior a component on few points is a proper posterior mode,
  // not one the ridge holds up.
  if (best.degenerate.empty() && !x.has_prior) {
    best.degenerate =
        degeneracy(x, passes.evidence(best.params, model, posterior), best.params, ridge, model);
  }
  best.params = rescale(best.params, x.scale());
  factorize(best.params, is_shared(model));
  return best;
}

// A whole fit: n_init starts (each k-means++ or random; one for given
// parameters, in the data's units), EM from each, the best log-likelihood
// kept, and the final E step writing the n x K posterior. The ridge is reg
// times each column's variance (see scaled_ridge()). A start that fails is
// skipped while another succeeds. `rows` gives the rows' weights and known
// labels, if any.
// The data starts are made from: x itself, or, when x has incomplete
// rows, the matrix of its complete rows followed by the incomplete rows
// imputed (MissingRows::start), with the same weights and labels. Starting
// parameters are made in its units and brought to x's by to_fit().
class StartData {
 public:
  StartData(const Data& x, const arma::vec& ridge, double reg, RowInfo rows) : x_(x) {
    if (x.missing == nullptr) {
      data_ = &x;
      ridge_ = ridge;
      return;
    }
    if (x.missing->start.n_rows != x.n_total || x.missing->start.n_cols != x.n_cols) {
      throw error("data with missing values need an imputed matrix for their starts");
    }
    rows.missing = nullptr;
    own_.reset(new Data(x.missing->start, true, rows));
    data_ = own_.get();
    ridge_ = scaled_ridge(*own_, reg);
  }
  const Data& data() const { return *data_; }
  const arma::vec& ridge() const { return ridge_; }
  // Starting parameters in the start data's scaled units, in x's.
  Params to_fit(Params p, Model model) const {
    if (own_ == nullptr) return p;
    // Powers of two: exact.
    Params out = rescale(rescale(p, own_->scale()), x_.inverse_scale);
    factorize(out, is_shared(model));
    return out;
  }

 private:
  const Data& x_;
  std::unique_ptr<Data> own_;
  const Data* data_ = nullptr;
  arma::vec ridge_;
};

template <typename Host>
Fit fit_mixture(const arma::mat& matrix, std::size_t k, Model model, double reg,
                const Control& control, Start start, const Params* given, int n_init, int n_threads,
                Host& host, arma::mat& posterior, RowInfo rows = RowInfo()) {
  const Data x(matrix, true, rows);
  const arma::vec ridge = scaled_ridge(x, reg);
  const int runs = start == Start::given ? 1 : std::max(1, n_init);
  std::unique_ptr<StartData> from;
  if (start != Start::given) from.reset(new StartData(x, ridge, reg, rows));
  MemoryPasses passes(x, n_threads);
  return best_of_starts(
      x, passes, k, model, ridge, control, runs, HostRef(host), &posterior, [&](int) {
        if (start == Start::given) {
          Params initial = rescale(*given, x.inverse_scale);
          factorize(initial, is_shared(model));
          return initial;
        }
        if (start == Start::kmeans_pp) {
          return from->to_fit(
              kmeans_pp_start(from->data(), k, model, from->ridge(), n_threads, host), model);
        }
        return from->to_fit(random_start(from->data(), k, model, from->ridge(), n_threads, host,
                                         posterior, interruptible_inner(host)),
                            model);
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
                                int n_threads, Host& host, arma::mat& posterior,
                                RowInfo rows = RowInfo()) {
  const Data x(matrix, true, rows);
  const arma::vec ridge = scaled_ridge(x, reg);
  const int runs = static_cast<int>(partitions.size());
  if (runs == 0) throw error("no starting partition");
  const StartData from(x, ridge, reg, rows);
  MemoryPasses passes(x, n_threads);
  return best_of_starts(
      x, passes, k, model, ridge, control, runs, HostRef(host), &posterior, [&](int run) {
        return from.to_fit(params_from_labels(from.data(), partitions[run], k, model, from.ridge(),
                                              n_threads, interruptible_inner(host)),
                           model);
      });
}

// n_init k-means++ partitions (seeding and Lloyd's rounds), drawn in the
// order fit_mixture() draws them, so a fit from them equals fit_mixture()
// with Start::kmeans_pp under the same random numbers.
template <typename Host>
std::vector<std::vector<std::uint32_t>> kmeans_pp_partitions(const arma::mat& matrix, std::size_t k,
                                                             int n_init, int n_threads, Host& host,
                                                             RowInfo rows = RowInfo()) {
  const Data x(matrix, true, rows);
  std::vector<std::vector<std::uint32_t>> partitions;
  for (int run = 0; run < std::max(1, n_init); ++run) {
    partitions.push_back(kmeans_pp_partition(x, k, n_threads, host));
    host.check_interrupt();
  }
  return partitions;
}

}  // namespace softmix

#endif  // SOFTMIX_EM_H
