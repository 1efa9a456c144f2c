// Tests of the C++ core built without R: `make core-test`.
#include <softmix/softmix.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace {

int passed = 0;
int failed = 0;

void expect(bool condition, const std::string& what) {
  if (condition) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

// Three well separated clusters in d dimensions, 1,000 points (4 blocks).
arma::mat simulated_data(std::size_t d) {
  arma::arma_rng::set_seed(20261122);
  arma::mat x(1000, d, arma::fill::randn);
  x.rows(0, 399).each_row() += arma::rowvec(d, arma::fill::value(4.0));
  x.rows(400, 699).each_row() -= arma::rowvec(d, arma::fill::value(3.0));
  x.rows(400, 699) *= 0.5;
  return x;
}

// log sum_k pi_k N(x_i | mu_k, Sigma_k) by the textbook formula.
double direct_loglik(const arma::mat& x, const softmix::Params& p) {
  const double d = static_cast<double>(x.n_cols);
  double total = 0.0;
  for (arma::uword i = 0; i < x.n_rows; ++i) {
    double density = 0.0;
    for (std::size_t c = 0; c < p.k(); ++c) {
      const arma::vec diff = x.row(i).t() - p.means.col(c);
      const arma::mat& sigma = p.covariances.slice(c);
      const double quad = arma::as_scalar(diff.t() * arma::solve(sigma, diff));
      density += p.proportions(c) * std::exp(-0.5 * quad) /
                 std::sqrt(std::pow(2.0 * M_PI, d) * arma::det(sigma));
    }
    total += std::log(density);
  }
  return total;
}

void test_model(softmix::Model model, std::size_t d) {
  const std::string name = softmix::model_code(model) + " d=" + std::to_string(d);
  const arma::mat x = simulated_data(d);
  const double reg = 0.0;
  softmix::Control control;
  control.tol = 1e-10;

  // EM never lowers the log-likelihood.
  softmix::NoHost host;
  arma::mat posterior;
  const softmix::Fit fit = softmix::fit_mixture(
      x, 3, model, reg, control, softmix::Start::kmeans_pp, nullptr, 1, 1, host, posterior);
  bool monotone = true;
  for (std::size_t t = 1; t < fit.loglik_trace.size(); ++t) {
    monotone = monotone && fit.loglik_trace[t] >=
                               fit.loglik_trace[t - 1] - 1e-12 * std::abs(fit.loglik_trace[t]);
  }
  expect(monotone, name + ": log-likelihood trace never falls");
  expect(fit.converged, name + ": converges");

  // The blocked log-likelihood matches the textbook formula.
  const double direct = direct_loglik(x, fit.params);
  expect(std::abs(direct - fit.loglik) < 1e-9 * std::abs(direct),
         name + ": log-likelihood equals the direct formula");

  // Rows of the posterior sum to one.
  expect(arma::abs(arma::sum(posterior, 1) - 1.0).max() < 1e-12, name + ": rows sum to one");

  // Bit-identical for any thread count.
  for (int threads : {2, 3}) {
    softmix::NoHost host_again;
    arma::mat posterior_again;
    const softmix::Fit again =
        softmix::fit_mixture(x, 3, model, reg, control, softmix::Start::kmeans_pp, nullptr, 1,
                             threads, host_again, posterior_again);
    expect(again.loglik_trace == fit.loglik_trace &&
               arma::approx_equal(again.params.means, fit.params.means, "absdiff", 0.0) &&
               arma::approx_equal(posterior_again, posterior, "absdiff", 0.0),
           name + ": identical with " + std::to_string(threads) + " threads");
  }
}

void test_m_step_one_hot() {
  const arma::mat x = simulated_data(4);
  arma::mat weights(x.n_rows, 2, arma::fill::zeros);
  weights.col(0).rows(0, 399).fill(1.0);
  weights.col(1).rows(400, x.n_rows - 1).fill(1.0);
  const softmix::Params p = softmix::m_step(x, weights.memptr(), 2, softmix::Model::VVV, 0.0, 1);
  const arma::mat group = x.rows(400, x.n_rows - 1);
  const arma::rowvec mean = arma::mean(group, 0);
  const arma::mat centred = group.each_row() - mean;
  const arma::mat covariance = centred.t() * centred / static_cast<double>(group.n_rows);
  expect(arma::approx_equal(p.means.col(1), mean.t(), "absdiff", 1e-12),
         "one-hot M step: means are the group means");
  expect(arma::approx_equal(p.covariances.slice(1), covariance, "absdiff", 1e-12),
         "one-hot M step: covariances are the group ML covariances");
  expect(std::abs(p.proportions(0) - 0.4) < 1e-15, "one-hot M step: proportions");
}

// Ward's method on points whose merge order is known by hand, every model
// recovering two far-apart groups, and a fit from a partition that labels
// only part of the rows.
void test_hierarchical() {
  softmix::NoHost host;
  arma::mat line(5, 1);
  line.col(0) = arma::vec({0.0, 10.0, 1.0, 10.5, 30.0});
  const std::vector<softmix::HcMerge> ward = softmix::hc_merges(line, softmix::HcModel::E, host);
  expect(ward.size() == 4 && ward[0].first == 1 && ward[0].second == 3,
         "hc E: first merge is the closest pair (rows 1 and 3)");
  expect(ward[1].first == 0 && ward[1].second == 2, "hc E: then rows 0 and 2");
  const std::vector<std::uint32_t> two = softmix::hc_partition(ward, 5, 3);
  expect(two == std::vector<std::uint32_t>({0, 1, 0, 1, 2}), "hc partition at k = 3");

  const arma::mat x = simulated_data(3);
  const arma::mat rows = x.rows(0, 699);  // two groups: 400 near +4, 300 near -3
  for (softmix::HcModel model : {softmix::HcModel::EII, softmix::HcModel::VII,
                                 softmix::HcModel::EEE, softmix::HcModel::VVV}) {
    const arma::mat sub = rows.rows(arma::regspace<arma::uvec>(0, 7, 699));  // 100 rows
    const std::vector<std::uint32_t> labels = softmix::hc_partition(
        softmix::hc_merges(softmix::hc_transform(sub, softmix::HcUse::svd), model, host), 100, 2);
    bool separated = true;
    for (std::size_t i = 0; i < 100; ++i) {
      const bool first_group = i * 7 < 400;
      separated = separated && (labels[i] == labels[0]) == first_group;
    }
    expect(separated,
           "hc model " + std::to_string(static_cast<int>(model)) + ": two groups at k = 2");
  }

  std::vector<std::vector<std::uint32_t>> partial(1, std::vector<std::uint32_t>(700));
  for (std::size_t i = 0; i < 700; ++i) {
    partial[0][i] = i % 3 == 0 ? softmix::unlabelled : (i < 400 ? 0u : 1u);
  }
  softmix::Control control;
  arma::mat posterior;
  const softmix::Fit fit = softmix::fit_mixture_from_partitions(
      rows, 2, softmix::Model::VVV, 0.0, control, partial, 1, host, posterior);
  expect(fit.converged && posterior.n_rows == 700 &&
             std::abs(fit.params.proportions(0) - 4.0 / 7.0) < 1e-6,
         "fit from a partial partition converges to the two groups");
}

// Moments (N_k, means, full scatter W_k) of x under random soft weights.
softmix::Moments random_moments(const arma::mat& x, std::size_t k, int seed) {
  arma::arma_rng::set_seed(seed);
  arma::mat weights(x.n_rows, k, arma::fill::randu);
  weights.each_col() /= arma::sum(weights, 1);
  softmix::Moments m;
  m.weight = arma::sum(weights, 0).t();
  m.means = x.t() * weights;
  m.means.each_row() /= m.weight.t();
  m.scatter.set_size(x.n_cols, x.n_cols, k);
  for (std::size_t c = 0; c < k; ++c) {
    const arma::mat centred = x.each_row() - m.means.col(c).t();
    m.scatter.slice(c) = centred.t() * (centred.each_col() % weights.col(c));
  }
  return m;
}

// -2 times the covariance part of the expected complete-data log-likelihood,
// sum_k N_k log det Sigma_k + tr(W_k Sigma_k^-1), which the M step minimises.
double m_objective(const softmix::Moments& m, const arma::cube& sigma) {
  double total = 0.0;
  for (std::size_t c = 0; c < sigma.n_slices; ++c) {
    total += m.weight(c) * arma::log_det_sympd(sigma.slice(c)) +
             arma::trace(arma::solve(sigma.slice(c), m.scatter.slice(c)));
  }
  return total;
}

bool close(double a, double b, double tolerance) {
  return std::abs(a - b) <= tolerance * std::max(std::abs(a), std::abs(b));
}

bool close(const arma::mat& a, const arma::mat& b, double tolerance) {
  return arma::abs(a - b).max() <= tolerance * arma::abs(b).max();
}

// The parts the model shares across components are equal, to 1e-10.
void test_structure(softmix::Model model) {
  using softmix::Model;
  const std::string name = softmix::model_code(model) + " structure";
  const arma::mat x = simulated_data(3);
  const softmix::Moments m = random_moments(x, 3, 5);
  const softmix::Params p = softmix::params_from_moments(m, model, arma::zeros(3));
  std::vector<arma::mat> shapes;  // Sigma_k / det(Sigma_k)^(1/d)
  std::vector<double> volumes;    // det(Sigma_k)^(1/d)
  std::vector<arma::vec> eigenvalues;
  for (std::size_t c = 0; c < 3; ++c) {
    const arma::mat& sigma = p.covariances.slice(c);
    volumes.push_back(std::exp(arma::log_det_sympd(sigma) / 3.0));
    shapes.push_back(sigma / volumes.back());
    eigenvalues.push_back(arma::eig_sym(sigma));
  }
  const bool diagonal = p.diagonal;
  const bool equal_volume =
      close(volumes[0], volumes[1], 1e-10) && close(volumes[0], volumes[2], 1e-10);
  const bool equal_shape_orientation =
      close(shapes[0], shapes[1], 1e-10) && close(shapes[0], shapes[2], 1e-10);
  const bool equal_eigenvalues =
      close(eigenvalues[0], eigenvalues[1], 1e-10) && close(eigenvalues[0], eigenvalues[2], 1e-10);
  const bool equal_shape = close(eigenvalues[0] / volumes[0], eigenvalues[1] / volumes[1], 1e-10) &&
                           close(eigenvalues[0] / volumes[0], eigenvalues[2] / volumes[2], 1e-10);
  // Symmetric matrices share their eigenvectors exactly when they commute.
  bool equal_orientation = true;
  for (std::size_t c = 1; c < 3; ++c) {
    const arma::mat& a = p.covariances.slice(0);
    const arma::mat& b = p.covariances.slice(c);
    equal_orientation = equal_orientation && close(a * b, b * a, 1e-10);
  }
  bool expected = false;
  switch (model) {
    case Model::EVI:
      expected = diagonal && equal_volume && !equal_shape;
      break;
    case Model::VEI:
      expected = diagonal && !equal_volume && equal_shape_orientation;
      break;
    case Model::EEV:
      expected = !diagonal && equal_eigenvalues && !equal_orientation;
      break;
    case Model::VEV:
      expected = !diagonal && !equal_volume && equal_shape && !equal_orientation;
      break;
    case Model::EVV:
      expected = !diagonal && equal_volume && !equal_shape && !equal_orientation;
      break;
    case Model::VEE:
      expected = !diagonal && !equal_volume && equal_shape_orientation;
      break;
    case Model::EVE:
      expected = !diagonal && equal_volume && !equal_shape && equal_orientation;
      break;
    case Model::VVE:
      expected = !diagonal && !equal_volume && !equal_shape && equal_orientation;
      break;
    default:
      break;
  }
  expect(expected, name + ": shared parts equal, varying parts not");
}

// SQUAREM's coordinates: a mixture comes back from its own coordinates,
// and a long step along the parabola through three mixtures of a model
// without orientations is again a mixture of that model.
void test_extrapolation(softmix::Model model) {
  using softmix::Model;
  const std::string name = softmix::model_code(model) + " extrapolation";
  const arma::mat x = simulated_data(3);
  const bool shared = softmix::is_shared(model);
  std::vector<std::vector<double>> v(3);
  softmix::Params p[3];
  for (int i = 0; i < 3; ++i) {
    p[i] = softmix::params_from_moments(random_moments(x, 3, 5 + i), model, arma::zeros(3));
    expect(softmix::extrapolation_vector(p[i], v[i]), name + ": coordinates");
  }
  softmix::Params back;
  expect(softmix::params_from_extrapolation(v[0], p[0], shared, back) &&
             close(back.proportions(0), p[0].proportions(0), 1e-12) &&
             close(back.means, p[0].means, 1e-12) &&
             close(back.covariances.slice(2), p[0].covariances.slice(2), 1e-12),
         name + ": round trip");
  if (!softmix::extrapolation_stays_in_model(model)) return;
  const double a = 3.0;
  std::vector<double> point(v[0].size());
  for (std::size_t i = 0; i < point.size(); ++i) {
    point[i] =
        v[0][i] + 2.0 * a * (v[1][i] - v[0][i]) + a * a * (v[2][i] - 2.0 * v[1][i] + v[0][i]);
  }
  softmix::Params q;
  expect(softmix::params_from_extrapolation(point, p[0], shared, q), name + ": a mixture");
  bool diagonal = true, spherical = true, equal = true, equal_volume = true, equal_shape = true;
  for (std::size_t c = 0; c < 3; ++c) {
    const arma::mat& sigma = q.covariances.slice(c);
    const arma::vec variances = sigma.diag();
    diagonal = diagonal && sigma.is_diagmat();
    spherical = spherical && close(variances.min(), variances.max(), 1e-12);
    equal = equal && close(sigma, q.covariances.slice(0), 1e-12);
    const arma::mat& first = q.covariances.slice(0);
    const double volume = std::exp(arma::sum(arma::log(variances)) / 3.0);
    const double first_volume = std::exp(arma::sum(arma::log(arma::vec(first.diag()))) / 3.0);
    equal_volume = equal_volume && close(volume, first_volume, 1e-12);
    equal_shape = equal_shape && close(arma::mat(variances / volume),
                                       arma::mat(first.diag() / first_volume), 1e-12);
  }
  bool kept = true;
  switch (model) {
    case Model::EII:
      kept = spherical && equal;
      break;
    case Model::VII:
      kept = spherical;
      break;
    case Model::EEI:
      kept = diagonal && equal;
      break;
    case Model::VEI:
      kept = diagonal && equal_shape;
      break;
    case Model::EVI:
      kept = diagonal && equal_volume;
      break;
    case Model::VVI:
      kept = diagonal;
      break;
    case Model::EEE:
      kept = equal;
      break;
    default:
      break;
  }
  expect(kept, name + ": stays in the model");
}

// A fit run on from where it converged at a loose tolerance is the fit of
// one run at the tight one: parameters, trace and iterations.
void test_resume(softmix::Model model, bool accelerate) {
  const std::string name =
      softmix::model_code(model) + (accelerate ? " accelerated" : " plain") + " run on";
  const arma::mat x = simulated_data(3);
  const softmix::Data data(x, true);
  const arma::vec ridge = softmix::scaled_ridge(data, 1e-6);
  std::vector<std::uint32_t> labels(x.n_rows);
  for (arma::uword i = 0; i < x.n_rows; ++i) labels[i] = (i % 7) % 3;
  const softmix::Params start = softmix::params_from_labels(data, labels, 3, model, ridge, 1);
  softmix::Control loose, tight;
  loose.tol = 1e-4;
  tight.tol = 1e-10;
  loose.accelerate = tight.accelerate = accelerate;
  softmix::NoHost host;
  softmix::MemoryPasses passes(data, 1);
  const softmix::Fit first =
      softmix::run_em(data, passes, start, model, ridge, loose, softmix::HostRef(host));
  const softmix::Fit on = softmix::run_em(data, passes, start, model, ridge, tight,
                                          softmix::HostRef(host), nullptr, &first);
  const softmix::Fit whole =
      softmix::run_em(data, passes, start, model, ridge, tight, softmix::HostRef(host));
  expect(first.converged && first.iterations < whole.iterations, name + ": stops early first");
  expect(on.converged && on.iterations == whole.iterations &&
             on.loglik_trace == whole.loglik_trace &&
             arma::approx_equal(on.params.covariances, whole.params.covariances, "absdiff", 0.0),
         name + ": the one run's fit");
}

// Every model estimates from W_k as if N_k ridge were on its diagonal.
void test_ridge(softmix::Model model) {
  const arma::mat x = simulated_data(3);
  const softmix::Moments m = random_moments(x, 3, 6);
  const arma::vec ridge = {0.01, 0.02, 0.05};
  softmix::Moments augmented = m;
  for (std::size_t c = 0; c < 3; ++c) augmented.scatter.slice(c).diag() += m.weight(c) * ridge;
  const softmix::Params with_ridge = softmix::params_from_moments(m, model, ridge);
  const softmix::Params from_augmented =
      softmix::params_from_moments(augmented, model, arma::zeros(3));
  bool same = true;
  for (std::size_t c = 0; c < 3; ++c) {
    same =
        same && close(with_ridge.covariances.slice(c), from_augmented.covariances.slice(c), 1e-13);
  }
  expect(same, softmix::model_code(model) + ": the ridge acts as N_k ridge added to W_k");
}

// From the previous parameters, even one inner iteration does not raise the
// M step's objective above theirs, and more iterations lower it further.
void test_inner_start(softmix::Model model) {
  const std::string name = softmix::model_code(model) + " inner iterations";
  const arma::mat x = simulated_data(3);
  const arma::vec no_ridge = arma::zeros(3);
  const softmix::Moments before = random_moments(x, 3, 7);
  const softmix::Moments after = random_moments(x, 3, 8);
  const softmix::Params previous = softmix::params_from_moments(before, model, no_ridge);
  softmix::InnerControl one;
  one.max_iter = 1;
  const softmix::Params single =
      softmix::params_from_moments(after, model, no_ridge, &previous, one);
  const softmix::Params converged = softmix::params_from_moments(after, model, no_ridge, &previous);
  const double at_previous = m_objective(after, previous.covariances);
  const double at_single = m_objective(after, single.covariances);
  const double at_converged = m_objective(after, converged.covariances);
  expect(at_single <= at_previous + 1e-12 * std::abs(at_previous),
         name + ": one iteration from the previous parameters does not go uphill");
  expect(at_converged <= at_single + 1e-12 * std::abs(at_single),
         name + ": converged iterations do not go uphill");
  // Converged from a cold start, the same minimum: to rounding, or for EVE
  // and VVE, whose MM steps stop when the objective stops falling, to 1e-6.
  const softmix::Params cold = softmix::params_from_moments(after, model, no_ridge);
  const bool mm = model == softmix::Model::EVE || model == softmix::Model::VVE;
  expect(close(m_objective(after, cold.covariances), at_converged, mm ? 1e-6 : 1e-12),
         name + ": warm and cold starts reach the same minimum");
}

// Moments of K components in d dimensions whose scatter matrices are
// ill-conditioned (eigenvalues from 1 down to 1e-6) and differently
// oriented, on which the MM steps of EVE and VVE need hundreds of
// iterations.
softmix::Moments ill_conditioned_moments(std::size_t d, std::size_t k, int seed) {
  arma::arma_rng::set_seed(seed);
  softmix::Moments m;
  m.weight = 10.0 + 20.0 * arma::vec(k, arma::fill::randu);
  m.means = arma::mat(d, k, arma::fill::randn);
  m.scatter.set_size(d, d, k);
  for (std::size_t c = 0; c < k; ++c) {
    arma::mat q, r;
    arma::qr(q, r, arma::mat(d, d, arma::fill::randn));
    arma::vec values = arma::logspace(0.0, -6.0, d);
    values %= 0.5 + arma::vec(d, arma::fill::randu);
    m.scatter.slice(c) = m.weight(c) * (q * arma::diagmat(values) * q.t());
    m.scatter.slice(c) = arma::symmatu(m.scatter.slice(c));
  }
  return m;
}

// Stopped after any number of inner iterations, the M step does not raise
// its objective above that of the previous parameters, where the iterations
// start, and more iterations do not raise it either.
void test_inner_cap(softmix::Model model) {
  const std::string name = softmix::model_code(model) + " capped inner iterations";
  const arma::vec no_ridge = arma::zeros(4);
  const softmix::Moments before = ill_conditioned_moments(4, 3, 11);
  const softmix::Moments after = ill_conditioned_moments(4, 3, 12);
  const softmix::Params previous = softmix::params_from_moments(before, model, no_ridge);
  const double at_previous = m_objective(after, previous.covariances);
  double last = at_previous;
  for (int cap : {1, 2, 3, 10, 100, softmix::InnerControl().max_iter}) {
    softmix::InnerControl inner;
    inner.max_iter = cap;
    const softmix::Params p =
        softmix::params_from_moments(after, model, no_ridge, &previous, inner);
    const double at_cap = m_objective(after, p.covariances);
    const std::string which = name + " (" + std::to_string(cap) + ")";
    expect(std::isfinite(at_cap) && at_cap <= at_previous + 1e-12 * std::abs(at_previous),
           which + ": not above the objective of the previous parameters");
    expect(at_cap <= last + 1e-12 * std::abs(last), which + ": not above fewer iterations'");
    last = at_cap;
  }
}

struct Interrupted {};

// The inner iterations call the interrupt check (every iteration from 16
// dimensions on, every 16th below), and what it throws ends the M step.
void test_inner_interrupt(softmix::Model model) {
  const std::string name = softmix::model_code(model) + " interrupt";
  int calls = 0;
  softmix::InnerControl inner;
  inner.check_interrupt = [&calls]() {
    ++calls;
    throw Interrupted();
  };
  const softmix::Moments wide = random_moments(simulated_data(16), 3, 9);
  bool stopped = false;
  try {
    softmix::params_from_moments(wide, model, arma::zeros(16), nullptr, inner);
  } catch (const Interrupted&) {
    stopped = true;
  }
  expect(stopped && calls == 1, name + ": a throwing check ends the M step at d = 16");
  // In 4 dimensions, at most one call per 16 iterations.
  calls = 0;
  inner.max_iter = 64;
  inner.check_interrupt = [&calls]() { ++calls; };
  const softmix::Moments m = ill_conditioned_moments(4, 3, 12);
  softmix::params_from_moments(m, model, arma::zeros(4), nullptr, inner);
  const bool mm = model == softmix::Model::EVE || model == softmix::Model::VVE;
  expect(calls <= 4 && (!mm || calls == 4), name + ": checked every 16 iterations at d = 4");
}

// A scatter matrix singular to rounding (a component on d points) leaves the
// objective of EVE and VVE unbounded below: an error, not endless MM steps.
void test_collapsed_component(softmix::Model model) {
  softmix::Moments m = ill_conditioned_moments(3, 3, 13);
  arma::mat q, r;
  arma::qr(q, r, arma::mat(3, 3, arma::fill::randn));
  const arma::vec values = {0.02, 0.003, 1e-21};
  m.scatter.slice(1) = arma::symmatu(q * arma::diagmat(values) * q.t());
  bool reported = false;
  try {
    softmix::params_from_moments(m, model, arma::zeros(3));
  } catch (const softmix::error& e) {
    reported = std::string(e.what()).find("component 2") != std::string::npos;
  }
  expect(reported, softmix::model_code(model) + ": a collapsed component is an error");
}

// degeneracy(): sound fits pass; a covariance that only the ridge keeps
// positive definite, a component on d or fewer points, and (for EVV) a
// singular shape hidden by the shared volume are reported, naming the
// component.
void test_degeneracy() {
  using softmix::Model;
  const arma::mat x = simulated_data(3);  // clusters in rows 0-399, 400-699, 700-999
  const std::size_t n = x.n_rows, k = 3;
  arma::mat posterior(n, k, arma::fill::zeros);
  posterior.submat(0, 0, 399, 0).fill(1.0);
  posterior.submat(400, 1, 699, 1).fill(1.0);
  posterior.submat(700, 2, 999, 2).fill(1.0);
  const softmix::Data data(x);
  const arma::vec ridge = softmix::scaled_ridge(data, 1e-6);
  const auto fit = [&](const softmix::Data& on, const arma::mat& weights, Model model) {
    return softmix::m_step_scaled(on, weights.memptr(), k, model, ridge, 1);
  };
  const auto says = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  for (Model model : {Model::EII, Model::VII, Model::EEE, Model::VVI, Model::EVI, Model::VVE,
                      Model::EVE, Model::EVV, Model::VVV}) {
    const std::string code = softmix::model_code(model);
    expect(
        softmix::degeneracy(data, posterior, fit(data, posterior, model), ridge, model, 1).empty(),
        code + ": three sound clusters are not degenerate");
  }

  // The third cluster flat in the third variable: singular but for the ridge.
  arma::mat flat = x;
  flat.submat(700, 2, 999, 2).fill(0.5);
  const softmix::Data flat_data(flat);
  const arma::vec flat_ridge = softmix::scaled_ridge(flat_data, 1e-6);
  for (Model model : {Model::VVI, Model::EVI, Model::VVE, Model::EVE, Model::EVV, Model::VVV}) {
    const softmix::Params params =
        softmix::m_step_scaled(flat_data, posterior.memptr(), k, model, flat_ridge, 1);
    const std::string message =
        softmix::degeneracy(flat_data, posterior, params, flat_ridge, model, 1);
    expect(says(message, "component 3 is singular but for the ridge"),
           softmix::model_code(model) + ": a flat cluster is singular but for the ridge (" +
               message + ")");
    if (model == Model::EVV) {
      // The shared volume inflates the flat direction, so the ridge's share
      // of the fitted covariance itself looks harmless.
      expect(softmix::ridge_share(params.precision_chol.slice(2), flat_ridge) <
                 softmix::ridge_share_limit,
             "EVV: the shared volume hides the ridge's share of the fitted covariance");
    }
  }
  // Up to the default reg, half; above it, the share that leaves the data
  // at most a millionth of the columns' variance.
  expect(softmix::ridge_share_threshold(1e-8) == 0.5 &&
             softmix::ridge_share_threshold(1e-6) == 0.5 &&
             close(softmix::ridge_share_threshold(0.01), 0.01 / (0.01 + 1e-6), 1e-15),
         "ridge_share_threshold: one half up to reg = 1e-6, then reg / (reg + 1e-6)");
  // A ridge a hundred times larger (reg = 1e-4) on the same fits: sound.
  {
    const arma::vec large = softmix::scaled_ridge(data, 1e-4);
    for (Model model : {Model::VVV, Model::EVV}) {
      const softmix::Params params =
          softmix::m_step_scaled(data, posterior.memptr(), k, model, large, 1);
      expect(softmix::degeneracy(data, posterior, params, large, model, 1).empty(),
             softmix::model_code(model) + ": a larger ridge leaves sound clusters sound");
    }
  }
  // Without a ridge, nothing is held up by it.
  expect(softmix::degeneracy(data, posterior, fit(data, posterior, Model::VVV), arma::zeros(3),
                             Model::VVV, 1)
             .empty(),
         "no ridge, no ridge share");

  // A covariance constructed equal to the ridge in one direction.
  softmix::Params constructed = fit(data, posterior, Model::VVV);
  constructed.covariances.slice(1)(0, 0) = ridge(0);
  constructed.covariances.slice(1)(0, 1) = constructed.covariances.slice(1)(1, 0) = 0.0;
  constructed.covariances.slice(1)(0, 2) = constructed.covariances.slice(1)(2, 0) = 0.0;
  softmix::factorize(constructed);
  expect(softmix::ridge_share(constructed.precision_chol.slice(1), ridge) > 0.999,
         "the ridge supplies all the variance of a covariance equal to it in one direction");
  expect(says(softmix::degeneracy(data, posterior, constructed, ridge, Model::VVV, 1),
              "component 2 is singular but for the ridge"),
         "a constructed covariance held up by the ridge is degenerate");
  // The shared covariance of EEE is reported as the common one.
  softmix::Params common = fit(data, posterior, Model::EEE);
  for (std::size_t c = 0; c < k; ++c) common.covariances.slice(c) = arma::diagmat(ridge);
  softmix::factorize(common, true);
  expect(says(softmix::degeneracy(data, posterior, common, ridge, Model::EEE, 1),
              "the common covariance matrix is singular but for the ridge"),
         "EEE: a ridge-only common covariance is degenerate");

  // Component 3 on three points (and a trace of weight elsewhere) in three
  // dimensions: collapsed for VVV and EVV, not for the diagonal VVI.
  arma::mat collapsed = posterior;
  collapsed.submat(703, 2, 999, 2).fill(1e-9);
  collapsed.submat(703, 1, 999, 1).fill(1.0 - 1e-9);
  for (Model model : {Model::VVV, Model::EVV}) {
    const std::string message =
        softmix::degeneracy(data, collapsed, fit(data, collapsed, model), ridge, model, 1);
    expect(
        says(message, "component 3 rests on 3 points"),
        softmix::model_code(model) + ": a component on three points collapses (" + message + ")");
  }
  expect(
      softmix::degeneracy(data, collapsed, fit(data, collapsed, Model::VVI), ridge, Model::VVI, 1)
          .empty(),
      "VVI: three points in general position give a diagonal covariance");
  const auto holding = [&](const arma::mat& r) {
    const arma::vec largest = arma::sort(r.col(2), "descend");
    return softmix::points_holding_weight(largest.memptr(), n, arma::accu(r.col(2)), 3);
  };
  expect(holding(collapsed) == 3 && holding(posterior) == 4,
         "points_holding_weight counts the points holding 99% of the weight, up to d + 1");
}

// Passes over rows split in two parts, merged in order: rows held
// elsewhere, as on the workers of a cluster.
class SplitPasses : public softmix::Passes {
 public:
  SplitPasses(const softmix::Data& first, const softmix::Data& second)
      : first_(first, 1), second_(second, 1) {}
  void statistics(const softmix::Params& p, const softmix::StatsLayout& layout,
                  std::vector<double>& out) override {
    std::vector<double> more;
    first_.statistics(p, layout, out);
    second_.statistics(p, layout, more);
    for (std::size_t e = 0; e < out.size(); ++e) out[e] += more[e];
  }
  double log_likelihood(const softmix::Params& p, double*) override {
    return first_.log_likelihood(p, nullptr) + second_.log_likelihood(p, nullptr);
  }
  softmix::DegeneracyEvidence evidence(const softmix::Params& p, softmix::Model model,
                                       const arma::mat*) override {
    softmix::DegeneracyEvidence e = first_.evidence(p, model);
    e.merge(softmix::DegeneracyEvidence::from_vector(second_.evidence(p, model).to_vector()));
    return e;
  }

 private:
  softmix::MemoryPasses first_, second_;
};

// EM over rows split in two (with weights and the whole's scale and ridge)
// is EM over the whole, but for the order of the sums.
// total_and_largest() against a sort of the same values: the m largest,
// descending, with ties, for every m up to n, and the sum to 1e-14.
void test_total_and_largest() {
  arma::arma_rng::set_seed(31);
  for (std::size_t n : {1, 2, 5, 9, 1000}) {
    // Rounded, so that values repeat.
    const arma::vec values = arma::round(8.0 * arma::randu<arma::vec>(n)) / 8.0;
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end(), std::greater<double>());
    const double direct = arma::accu(values);
    for (std::size_t m = 0; m <= std::min<std::size_t>(n, 12); ++m) {
      std::vector<double> largest(m + 1, -1.0);
      const double total = softmix::total_and_largest(values.memptr(), n, m, largest.data());
      bool same = largest[m] == -1.0;
      for (std::size_t j = 0; j < m; ++j) same = same && largest[j] == sorted[j];
      const std::string at = " n=" + std::to_string(n) + " m=" + std::to_string(m);
      expect(same, "total_and_largest() keeps the m largest values, descending" + at);
      expect(std::abs(total - direct) <= 1e-14 * std::abs(direct),
             "total_and_largest() sums the values" + at);
    }
  }
}

void test_split_passes(softmix::Model model) {
  const std::string name = softmix::model_code(model);
  const arma::mat x = simulated_data(3);
  arma::vec weights(x.n_rows);
  for (arma::uword i = 0; i < x.n_rows; ++i) weights(i) = 0.5 + (i % 3);
  softmix::RowInfo rows;
  rows.weights = weights.memptr();
  const softmix::Data whole(x, true, rows);
  const arma::vec ridge = softmix::scaled_ridge(whole, 1e-6);
  const double factor = whole.inverse_scale(0);
  const arma::mat top = x.rows(0, 599), bottom = x.rows(600, x.n_rows - 1);
  softmix::RowInfo top_rows, bottom_rows;
  top_rows.weights = weights.memptr();
  bottom_rows.weights = weights.memptr() + 600;
  const softmix::Data first(top, true, top_rows, factor), second(bottom, true, bottom_rows, factor);
  std::vector<double> sums = softmix::column_sums(first), more = softmix::column_sums(second);
  for (std::size_t e = 0; e < sums.size(); ++e) sums[e] += more[e];
  arma::vec mean(x.n_cols);
  for (arma::uword j = 0; j < x.n_cols; ++j) mean(j) = sums[2 + j] / sums[1];
  std::vector<double> squares = softmix::column_squares(first, mean);
  more = softmix::column_squares(second, mean);
  for (std::size_t j = 0; j < squares.size(); ++j) squares[j] += more[j];
  const arma::mat no_rows(0, x.n_cols);
  const softmix::Data header = softmix::rows_elsewhere(
      no_rows, factor, sums[0], sums[1], softmix::column_variance(sums, squares), rows);
  const arma::vec split_ridge = softmix::scaled_ridge(header, 1e-6);
  expect(arma::approx_equal(split_ridge, ridge, "reldiff", 1e-12),
         name + ": the ridge from merged column passes");
  std::vector<std::uint32_t> labels(x.n_rows);
  for (arma::uword i = 0; i < x.n_rows; ++i) labels[i] = i < 400 ? 0 : (i < 700 ? 1 : 2);
  const softmix::Params start = softmix::params_from_labels(whole, labels, 3, model, ridge, 1);
  softmix::Control control;
  control.max_iter = 30;
  softmix::NoHost host;
  const softmix::Fit in_memory =
      softmix::run_em(whole, start, model, ridge, control, 1, softmix::HostRef(host));
  SplitPasses passes(first, second);
  const softmix::Params sent =
      softmix::params_from_wire(softmix::params_to_wire(start), softmix::is_shared(model));
  const softmix::Fit split =
      softmix::run_em(header, passes, sent, model, split_ridge, control, softmix::HostRef(host));
  bool same_trace = in_memory.loglik_trace.size() == split.loglik_trace.size();
  for (std::size_t t = 0; same_trace && t < split.loglik_trace.size(); ++t) {
    same_trace = std::abs(split.loglik_trace[t] - in_memory.loglik_trace[t]) <=
                 1e-10 * std::abs(in_memory.loglik_trace[t]);
  }
  expect(same_trace && split.iterations == in_memory.iterations,
         name + ": EM over split rows has the trace of EM over the whole");
  expect(
      arma::approx_equal(split.params.covariances, in_memory.params.covariances, "reldiff", 1e-9) &&
          arma::approx_equal(split.params.means, in_memory.params.means, "reldiff", 1e-9),
      name + ": EM over split rows ends at the parameters of EM over the whole");
  arma::mat posterior(x.n_rows, 3);
  softmix::e_step_scaled(whole, in_memory.params, 1, posterior.memptr(), nullptr);
  const softmix::DegeneracyEvidence merged = passes.evidence(in_memory.params, model, nullptr),
                                    single = softmix::degeneracy_evidence(
                                        whole, posterior, in_memory.params, model, 1);
  bool same_evidence =
      merged.largest == single.largest && merged.stats.size() == single.stats.size();
  for (std::size_t c = 0; c < merged.total.size(); ++c) {
    same_evidence =
        same_evidence && std::abs(merged.total[c] - single.total[c]) <= 1e-10 * single.total[c];
  }
  expect(same_evidence, name + ": degeneracy evidence merges over split rows");
}

}  // namespace

// Partitions equal up to the names of their labels are one start.
void test_repeated_partitions() {
  const std::uint32_t none = softmix::unlabelled;
  std::vector<std::vector<std::uint32_t>> partitions = {
      {0, 0, 1, 2}, {2, 2, 0, 1}, {0, 1, 1, 2}, {1, 1, 2, 0}, {0, 0, 1, none}};
  softmix::drop_repeated_partitions(partitions);
  expect(partitions.size() == 3, "repeated partitions: three distinct of five");
  expect(partitions[0] == std::vector<std::uint32_t>({0, 0, 1, 2}) &&
             partitions[1] == std::vector<std::uint32_t>({0, 1, 1, 2}),
         "repeated partitions: the first of each kept, in order");
}

// Rows with missing values: the split groups them by pattern, and the E
// step of one bivariate normal on a row missing its second value is the
// first coordinate's marginal density.
void test_missing_rows() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  arma::mat x = {{1.0, 2.0}, {nan, 1.0}, {0.5, nan}, {2.0, 1.5}, {nan, 3.0}};
  const softmix::SplitRows split = softmix::split_missing(x);
  expect(split.order == std::vector<std::size_t>({0, 3, 1, 4, 2}),
         "missing: complete rows first, then incomplete rows by pattern");
  expect(split.missing.patterns.size() == 2 && split.missing.patterns[0].count == 2,
         "missing: two patterns");
  softmix::Params p;
  p.proportions = arma::vec({1.0});
  p.means = arma::mat(2, 1);
  p.means(0, 0) = 0.5;
  p.means(1, 0) = 1.0;
  p.covariances = arma::cube(2, 2, 1);
  p.covariances.slice(0) = arma::mat({{2.0, 0.5}, {0.5, 1.0}});
  softmix::factorize(p);
  arma::mat one = {{0.5, nan}};
  const softmix::SplitRows single = softmix::split_missing(one);
  softmix::RowInfo rows;
  rows.missing = &single.missing;
  const double loglik = softmix::e_step(single.complete, p, 1, nullptr, nullptr, rows);
  const double expected = -0.5 * std::log(2.0 * M_PI * 2.0);
  expect(std::abs(loglik - expected) < 1e-14, "missing: marginal density of a row");
  arma::mat empty = {{nan, nan}};
  bool threw = false;
  try {
    softmix::split_missing(empty);
  } catch (const softmix::error&) {
    threw = true;
  }
  expect(threw, "missing: a row with no observed value is an error");
}

// The largest difference between two arrays over the largest magnitude of
// the second: their agreement relative to the values' scale.
double relative_gap(const std::vector<double>& a, const std::vector<double>& b) {
  double gap = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    gap = std::max(gap, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return scale > 0.0 ? gap / scale : gap;
}

// One instruction set's general kernels, to hold its small-d kernels to.
struct GeneralKernels {
  std::string name;
  void (*mahalanobis)(const double*, std::size_t, std::size_t, const double*, const double*,
                      std::size_t, const double*, double*, double*);
  void (*scatter)(const double*, std::size_t, const double*, const double*, const double*, double*,
                  double*);
};

std::vector<GeneralKernels> general_kernels() {
  std::vector<GeneralKernels> out;
  for (const std::string& name : softmix::supported_kernels()) {
#ifdef SOFTMIX_X86_DISPATCH
    if (name == "avx512") {
      out.push_back({name, softmix::kernel_avx512::mahalanobis_general,
                     softmix::kernel_avx512::scatter_general});
      continue;
    }
    if (name == "avx2") {
      out.push_back(
          {name, softmix::kernel_avx2::mahalanobis_general, softmix::kernel_avx2::scatter_general});
      continue;
    }
#endif
    out.push_back({name, softmix::kernel_portable::mahalanobis_general,
                   softmix::kernel_portable::scatter_general});
  }
  return out;
}

// Every instruction set this CPU runs against the portable one, and each
// set's small-d kernels (d <= small_d_max) against its general ones, on a
// block of random points: log-densities, the full scatter, the
// responsibilities and log-likelihood (with and without each point's log
// mixture density) and each row's largest entry, all to 1e-12 relative.
void test_kernels() {
  using softmix::block_size;
  const std::size_t k = 3;
  arma::arma_rng::set_seed(23);
  const std::vector<GeneralKernels> general = general_kernels();
  for (std::size_t d = 1; d <= 12; ++d) {
    const std::string at = " d=" + std::to_string(d);
    const arma::mat panel_matrix = 2.0 * arma::randn<arma::mat>(block_size, d);
    std::vector<double> panel(d * block_size);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t b = 0; b < block_size; ++b) panel[j * block_size + b] = panel_matrix(b, j);
    }
    const arma::mat means = arma::randn<arma::mat>(d, k);
    const std::size_t packed_length = softmix::packed_factor_length(d);
    std::vector<double> packed(packed_length * k);
    for (std::size_t c = 0; c < k; ++c) {
      arma::mat upper = arma::trimatu(arma::randn<arma::mat>(d, d));
      upper.diag() = 0.5 + arma::randu<arma::vec>(d);
      softmix::pack_factor(upper, packed.data() + c * packed_length);
    }
    const std::vector<double> offsets{-1.0, -2.5, 0.3};
    const arma::vec r = arma::randu<arma::vec>(block_size);
    const std::vector<double> zero_row(block_size, 0.0);
    std::vector<double> scratch(d * softmix::max_tile_width);
    const std::size_t moment_length = softmix::packed_moment_length(d);

    struct Result {
      std::vector<double> log_density, sums, moment, resp, resp_with, log_mixture;
      double loglik = 0.0, loglik_with = 0.0;
    };
    const auto run = [&](const softmix::Kernels& kernels) {
      Result out;
      out.log_density.assign(k * block_size, 0.0);
      kernels.mahalanobis_full(panel.data(), d, k, means.memptr(), packed.data(), packed_length,
                               offsets.data(), scratch.data(), out.log_density.data());
      out.sums.assign(d, 0.0);
      out.moment.assign(moment_length, 0.0);
      kernels.scatter_full(panel.data(), d, means.colptr(1), r.memptr(), zero_row.data(),
                           out.sums.data(), out.moment.data());
      out.resp.assign(k * block_size, 0.0);
      out.resp_with.assign(k * block_size, 0.0);
      out.log_mixture.assign(block_size, 0.0);
      // 200 rows: a partial last block, whose padding counts for nothing.
      out.loglik =
          kernels.responsibilities(out.log_density.data(), k, 200, out.resp.data(), nullptr);
      out.loglik_with = kernels.responsibilities(out.log_density.data(), k, 200,
                                                 out.resp_with.data(), out.log_mixture.data());
      return out;
    };
    const Result reference = run(softmix::kernels_named("portable"));
    double direct = 0.0;
    for (std::size_t b = 0; b < 200; ++b) direct += reference.log_mixture[b];
    expect(std::abs(reference.loglik - direct) <= 1e-12 * std::abs(direct),
           "the log-likelihood without the points' log mixture densities is their sum" + at);
    expect(relative_gap(reference.resp, reference.resp_with) == 0.0,
           "responsibilities do not depend on whether log mixture densities are kept" + at);
    for (const GeneralKernels& set : general) {
      const std::string where = " (" + set.name + ")" + at;
      const Result result = run(softmix::kernels_named(set.name));
      expect(relative_gap(result.log_density, reference.log_density) <= 1e-12,
             "log-densities match the portable kernels'" + where);
      expect(relative_gap(result.sums, reference.sums) <= 1e-12 &&
                 relative_gap(result.moment, reference.moment) <= 1e-12,
             "the full scatter matches the portable kernels'" + where);
      expect(relative_gap(result.resp, reference.resp) <= 1e-12 &&
                 std::abs(result.loglik - reference.loglik) <= 1e-12 * std::abs(reference.loglik),
             "responsibilities and log-likelihood match the portable kernels'" + where);
      // The dispatching kernels against the general ones of the same set.
      std::vector<double> general_density(k * block_size, 0.0);
      set.mahalanobis(panel.data(), d, k, means.memptr(), packed.data(), packed_length,
                      offsets.data(), scratch.data(), general_density.data());
      expect(relative_gap(result.log_density, general_density) <= 1e-12,
             "log-densities match the general kernel's" + where);
      std::vector<double> sums(d, 0.0), moment(moment_length, 0.0);
      set.scatter(panel.data(), d, means.colptr(1), r.memptr(), zero_row.data(), sums.data(),
                  moment.data());
      expect(
          relative_gap(result.sums, sums) <= 1e-12 && relative_gap(result.moment, moment) <= 1e-12,
          "the full scatter matches the general kernel's" + where);
      // The lane-wise scatter over three blocks, added up once, against the
      // scatter added block by block.
      if (d <= softmix::kernel_portable::small_d_max) {
        const softmix::Kernels kernels = softmix::kernels_named(set.name);
        std::vector<double> lanes_sum(kernels.scatter_lanes_length(d), 0.0);
        std::vector<double> block_sums(d, 0.0), block_moment(moment_length, 0.0);
        std::vector<double> lane_sums(d, 0.0), lane_moment(moment_length, 0.0);
        for (std::size_t round = 0; round < 3; ++round) {
          const arma::vec weights = arma::randu<arma::vec>(block_size);
          kernels.scatter_full(panel.data(), d, means.colptr(round), weights.memptr(),
                               zero_row.data(), block_sums.data(), block_moment.data());
          kernels.scatter_lanes(panel.data(), d, means.colptr(round), weights.memptr(),
                                lanes_sum.data());
        }
        kernels.flush_scatter_lanes(d, lanes_sum.data(), lane_sums.data(), lane_moment.data());
        bool cleared = true;
        for (double v : lanes_sum) cleared = cleared && v == 0.0;
        expect(relative_gap(lane_sums, block_sums) <= 1e-12 &&
                   relative_gap(lane_moment, block_moment) <= 1e-12 && cleared,
               "the lane-wise scatter adds up to the block-wise one" + where);
      }
      // Each row's largest entry and its first column, on ties too.
      const std::size_t rows = 37;
      arma::mat matrix = arma::round(4.0 * arma::randu<arma::mat>(rows, k));
      std::vector<double> best(rows), which(rows);
      softmix::kernels_named(set.name).row_maxima(matrix.memptr(), rows, k, rows, best.data(),
                                                  which.data());
      bool right = true;
      for (std::size_t i = 0; i < rows; ++i) {
        const arma::uword column = matrix.row(i).index_max();
        right = right && best[i] == matrix(i, column) && which[i] == column + 1.0;
      }
      expect(right, "row maxima are each row's largest entry and first column" + where);
    }
  }
}

int main() {
  using softmix::Model;
  for (Model model :
       {Model::EII, Model::VII, Model::EEI, Model::VEI, Model::EVI, Model::VVI, Model::EEE,
        Model::VEE, Model::EVE, Model::VVE, Model::EEV, Model::VEV, Model::EVV, Model::VVV}) {
    test_model(model, 1);
    test_model(model, 3);
    test_ridge(model);
    test_split_passes(model);
    test_extrapolation(model);
  }
  for (Model model : {Model::VEI, Model::EVI, Model::VEE, Model::EVE, Model::VVE, Model::EEV,
                      Model::VEV, Model::EVV}) {
    test_structure(model);
    test_inner_start(model);
  }
  for (Model model : {Model::VEI, Model::VEV, Model::VEE, Model::EVE, Model::VVE}) {
    test_inner_cap(model);
    test_inner_interrupt(model);
  }
  for (Model model : {Model::VVV, Model::EEE, Model::EVI, Model::VEV}) {
    test_resume(model, true);
    test_resume(model, false);
  }
  test_collapsed_component(Model::EVE);
  test_collapsed_component(Model::VVE);
  test_m_step_one_hot();
  test_hierarchical();
  test_degeneracy();
  test_total_and_largest();
  test_repeated_partitions();
  test_missing_rows();
  test_kernels();
  std::printf("core: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
