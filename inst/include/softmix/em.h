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
  // Where a converged run_em() stopped, in scaled units: the accepted
  // parameters before the last, the statistics of the last and the bound
  // on SQUAREM's steps. From there run_em() runs on to a tighter tolerance
  // exactly as one run to that tolerance goes (see best_of_starts()).
  struct Resume {
    bool valid = false;
    Params previous;
    std::vector<double> stats;
    double step_max = 1.0;
  } resume;
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

  // Records the log-likelihood of parameters accepted without being tested
  // (see run_em()).
  void record(double loglik) { trace_.push_back(loglik); }

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

// Sigma = R'R with R upper triangular, by the textbook recurrence in a
// fixed order (the matrices are small, and LAPACK's overhead would
// dominate); false if Sigma is not numerically positive definite.
inline bool cholesky_upper(const arma::mat& sigma, arma::mat& r) {
  const std::size_t d = sigma.n_rows;
  r.zeros(d, d);
  for (std::size_t j = 0; j < d; ++j) {
    double pivot = sigma(j, j);
    for (std::size_t l = 0; l < j; ++l) pivot -= r(l, j) * r(l, j);
    if (!(pivot > 0.0)) return false;
    r(j, j) = std::sqrt(pivot);
    for (std::size_t i = j + 1; i < d; ++i) {
      double entry = sigma(j, i);
      for (std::size_t l = 0; l < j; ++l) entry -= r(l, j) * r(l, i);
      r(j, i) = entry / r(j, j);
    }
  }
  return true;
}

// The parameters that EM moves, as one vector of unconstrained coordinates:
// the logs of the proportions (the noise's last), the means, and for each
// covariance Sigma = R'R (R upper triangular) the upper triangle of R with
// its diagonal on the log scale. SQUAREM extrapolates along it: every such
// vector is a mixture, so an extrapolated point keeps positive proportions
// and positive definite covariances, and the models without orientations
// keep their constraints, which are linear in these coordinates (see
// extrapolation_stays_in_model()). False if a covariance has no Cholesky
// factor.
inline bool extrapolation_vector(const Params& p, std::vector<double>& out) {
  const std::size_t d = p.d(), k = p.k();
  out.clear();
  out.reserve(k + 1 + d * k + k * d * (d + 1) / 2);
  for (std::size_t c = 0; c < k; ++c) out.push_back(std::log(p.proportions(c)));
  if (p.noise) out.push_back(std::log(p.noise_proportion));
  out.insert(out.end(), p.means.begin(), p.means.end());
  arma::mat upper;
  for (std::size_t c = 0; c < k; ++c) {
    // A view of the slice: Cube::slice() allocates a matrix per slice.
    const arma::mat sigma(const_cast<double*>(p.covariances.slice_memptr(c)), d, d, false, true);
    if (!cholesky_upper(sigma, upper)) return false;  // Sigma = upper' upper
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < j; ++i) out.push_back(upper(i, j));
      out.push_back(std::log(upper(j, j)));
    }
  }
  for (const double value : out) {
    if (!std::isfinite(value)) return false;
  }
  return true;
}

// The mixture at extrapolation_vector() coordinates `v` (shaped like
// `like`), factorized; false when rounding leaves none (a proportion or a
// variance that underflows or overflows).
inline bool params_from_extrapolation(const std::vector<double>& v, const Params& like, bool shared,
                                      Params& out) {
  const std::size_t d = like.d(), k = like.k();
  const std::size_t shares = k + (like.noise ? 1 : 0);
  double top = -std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < shares; ++c) top = std::max(top, v[c]);
  if (!std::isfinite(top)) return false;
  out.proportions.set_size(k);
  out.means.set_size(d, k);
  out.covariances.set_size(d, d, k);
  std::size_t e = 0;
  for (std::size_t c = 0; c < k; ++c) out.proportions(c) = std::exp(v[e++] - top);
  out.noise = like.noise;
  out.noise_proportion = like.noise ? std::exp(v[e++] - top) : 0.0;
  const double total = sum_of(out.proportions) + out.noise_proportion;
  out.proportions /= total;
  out.noise_proportion /= total;
  for (std::size_t c = 0; c < k; ++c) {
    if (!(out.proportions(c) > 0.0)) return false;
  }
  if (like.noise && !(out.noise_proportion > 0.0)) return false;
  for (std::size_t i = 0; i < d * k; ++i) out.means[i] = v[e++];
  arma::mat upper(d, d);
  for (std::size_t c = 0; c < k; ++c) {
    upper.zeros();
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < j; ++i) upper(i, j) = v[e++];
      upper(j, j) = std::exp(v[e++]);
    }
    // Sigma = upper' upper, summed in a fixed order; zeros stay exact, so a
    // diagonal covariance stays diagonal.
    arma::mat sigma(out.covariances.slice_memptr(c), d, d, false, true);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i <= j; ++i) {
        double sum = 0.0;
        for (std::size_t l = 0; l <= i; ++l) sum += upper(l, i) * upper(l, j);
        sigma(i, j) = sum;
        sigma(j, i) = sum;
      }
    }
  }
  if (!out.means.is_finite() || !out.covariances.is_finite()) return false;
  try {
    factorize(out, shared);
  } catch (const error&) {
    return false;
  }
  return true;
}

// Models whose every extrapolation_vector() point on a parabola through
// three of its mixtures is again one of its mixtures: those whose
// constraints are linear in those coordinates (shared or spherical covariances, and,
// on the log scale of the variances, equal volumes or a common shape of
// diagonal covariances). The others constrain orientations, which a
// combination of fits does not keep.
inline bool extrapolation_stays_in_model(Model model) {
  return model == Model::EII || model == Model::VII || model == Model::EEI || model == Model::VEI ||
         model == Model::EVI || model == Model::VVI || model == Model::EEE || model == Model::VVV;
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
// Roland 2008, scheme S3 with the step bounds of their SQUAREM package, but
// for a rejected step, which bounds the next ones to a quarter of it):
// from accepted theta0 and two EM steps theta1 = M(theta0), theta2 =
// M(theta1), with r = theta1 - theta0 and v = theta2 - 2 theta1 + theta0
// in the coordinates of extrapolation_vector(), the point
// theta0 + 2 a r + a^2 v with a = |r| / |v| (a = 1 gives theta2). The plain
// step theta1 is always accepted, and only it is tested for convergence: a
// long step that happens to gain little says nothing of the distance to the
// limit. The extrapolated point is a mixture; for a model whose constraints
// it may break (see extrapolation_stays_in_model()), one EM step from it
// brings it back into the model's space and that point is the candidate. A
// candidate is accepted if its log-likelihood is at least theta1's; if an
// extrapolated point within the model falls short, one EM step from it
// (its statistics are at hand) gets a second chance, as the candidate of a
// model outside it does. Else EM goes on from theta2, as plain EM would. So
// the trace of accepted log-likelihoods never falls where plain EM's would
// not (with reg = 0).
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
// With `from`, a fit that converged at a looser tolerance, EM runs on from
// where it stopped (its `resume`), iterations and traces continued, as a
// single run at `control`'s tolerance would have; `params` is ignored.
inline Fit run_em(const Data& x, Passes& passes, Params params, Model model, const arma::vec& ridge,
                  const Control& control, HostRef host, double* posterior = nullptr,
                  const Fit* from = nullptr) {
  if (from != nullptr) params = from->params;
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
  if (from != nullptr) fit = *from;
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
  // Records it without testing for convergence.
  const auto record = [&](const Params& p, double loglik) {
    if (x.has_prior) fit.loglik_trace.push_back(loglik);
    test.record(x.has_prior ? objective(p, loglik) : loglik);
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

  if (from != nullptr && !from->resume.valid) throw error("no converged fit to run on from");
  if (control.max_iter <= 0 && from == nullptr) return finish(std::move(params));
  // theta0: the last accepted parameters, with its statistics; next0 its M
  // step once computed.
  Params theta0;
  std::vector<double> stats0;
  if (from == nullptr) {
    theta0 = std::move(params);
    const double loglik0 = evaluate(theta0, stats0);
    check_finite_loglik(loglik0, 0);
    accept(theta0, loglik0);
  }
  // Running on from `from`: its last step is taken again below, as the
  // plain step theta1 after theta0, without its pass.
  bool resuming = from != nullptr;
  Params next0;
  bool have_next0 = false;
  const bool in_model = extrapolation_stays_in_model(model);
  // Under a prior, mclust's EII and EEI steps are not the exact mode of the
  // log posterior (see prior.h); from an extrapolated point they need not
  // raise it, so those two run as plain EM.
  const bool accelerate =
      control.accelerate && !(x.has_prior && (model == Model::EII || model == Model::EEI));
  double step_max = resuming ? from->resume.step_max : 1.0;
  constexpr double step_factor = 4.0;
  constexpr double minus_infinity = -std::numeric_limits<double>::infinity();
  std::vector<double> p0, p1, p2;
  // The end at convergence at theta1, after theta0, with theta1's
  // statistics.
  const auto converged_after = [&](Params before, Params theta1, std::vector<double> stats1) {
    --fit.iterations;  // the M step of that pass is not taken
    fit.resume.valid = true;
    fit.resume.previous = std::move(before);
    fit.resume.stats = std::move(stats1);
    fit.resume.step_max = step_max;
    return converged_at(std::move(theta1));
  };
  for (;;) {
    Params theta1;
    std::vector<double> stats1;
    double loglik1 = 0.0;
    if (resuming) {
      resuming = false;
      theta0 = std::move(fit.resume.previous);
      theta1 = std::move(fit.params);
      stats1 = std::move(fit.resume.stats);
      loglik1 = fit.loglik;
      fit.resume = Fit::Resume();
      fit.converged = false;
      ++fit.iterations;  // the M step of theta1's pass is taken now
      // Tested again, at this run's tolerance.
      fit.loglik_trace.pop_back();
      if (x.has_prior) fit.log_posterior_trace.pop_back();
      if (accept(theta1, loglik1)) {
        return converged_after(std::move(theta0), std::move(theta1), std::move(stats1));
      }
    } else {
      try {
        theta1 = have_next0 ? std::move(next0) : m_step_from(stats0, theta0);
      } catch (const held_by_ridge& e) {
        return degenerate_at(std::move(theta0), e);
      }
      have_next0 = false;
      if (fit.iterations >= control.max_iter) return finish(std::move(theta1));
      loglik1 = evaluate(theta1, stats1);
      check_finite_loglik(loglik1, fit.iterations);
      if (accept(theta1, loglik1)) {
        return converged_after(std::move(theta0), std::move(theta1), std::move(stats1));
      }
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
    // The plain EM step, theta1 to theta2, with theta2's M step to follow.
    const auto plain = [&]() {
      theta0 = std::move(theta1);
      stats0 = std::move(stats1);
      next0 = std::move(theta2);
      have_next0 = true;
    };
    if (!extrapolation_vector(theta0, p0) || !extrapolation_vector(theta1, p1) ||
        !extrapolation_vector(theta2, p2)) {
      plain();
      continue;
    }
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
    if (step == 1.0 || fit.iterations >= control.max_iter) {
      if (at_max) step_max *= step_factor;  // held to plain EM by the bound
      plain();
      continue;
    }
    // A step so long that rounding leaves no mixture is shortened, halfway
    // towards theta2 each time, a few times before falling back to theta2.
    Params candidate;
    std::vector<double> point(p0.size());
    bool valid = false;
    for (int halving = 0; halving < 4 && !valid; ++halving) {
      for (std::size_t i = 0; i < p0.size(); ++i) {
        point[i] = p0[i] + 2.0 * step * r[i] + step * step * v[i];
      }
      valid = params_from_extrapolation(point, theta0, shared, candidate);
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
    // outside the model's space or falls short of theta1; its
    // log-likelihood, its statistics.
    std::vector<double> candidate_stats;
    double candidate_loglik = minus_infinity;
    const double bar = objective(theta1, loglik1);
    try {
      candidate_loglik = evaluate(candidate, candidate_stats);
      const bool step_on = std::isfinite(candidate_loglik) &&
                           (!in_model || objective(candidate, candidate_loglik) < bar);
      if (step_on) {
        // Its inner iterations start from theta2, a mixture of the model
        // near it: nothing to keep there but their number small.
        candidate = m_step_from(candidate_stats, candidate, &theta2);
        candidate_loglik = fit.iterations < control.max_iter ? evaluate(candidate, candidate_stats)
                                                             : minus_infinity;
      }
    } catch (const error&) {
      candidate_loglik = minus_infinity;
    }
    if (!(std::isfinite(candidate_loglik) && objective(candidate, candidate_loglik) >= bar)) {
      // Bound the next steps below this one, not only when it was at the
      // bound: steps that the bound lets through but the log-likelihood
      // rejects would otherwise cost a pass or two each, cycle after cycle.
      step_max = std::max(1.0, step / step_factor);
      plain();
      continue;
    }
    if (at_max) step_max *= step_factor;
    record(candidate, candidate_loglik);
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
// iterations and trace continued: the fit is the one that start alone
// would give. A start that fails is skipped while
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
      if (screen && candidate.converged) {
        // It converged at the screening tolerance on its last allowed pass;
        // whether it did at the fit's own is tested again on its trace.
        const std::vector<double>& trace = candidate.log_posterior_trace.empty()
                                               ? candidate.loglik_trace
                                               : candidate.log_posterior_trace;
        std::vector<double> before(trace.begin(), trace.end() - 1);
        ConvergenceTest test(control, before);
        candidate.converged = test.accept(trace.back());
      }
      best = std::move(candidate);
      have_best = true;
      break;
    }
    try {
      best = run_em(x, passes, candidate.params, model, ridge, control, host, nullptr, &candidate);
      have_best = true;
      break;
    } catch (const error& e) {
      last_error = e.what();
    }
  }
  if (!have_best) throw error("every start failed; the last: " + last_error);
  best.resume = Fit::Resume();
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
