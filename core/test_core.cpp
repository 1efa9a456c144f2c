// Tests of the C++ core built without R: `make core-test`.
#include <softmix/softmix.h>

#include <cmath>
#include <cstdio>
#include <string>

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

}  // namespace

int main() {
  for (softmix::Model model : {softmix::Model::EII, softmix::Model::VII, softmix::Model::EEI,
                               softmix::Model::VVI, softmix::Model::EEE, softmix::Model::VVV}) {
    test_model(model, 1);
    test_model(model, 3);
  }
  test_m_step_one_hot();
  test_hierarchical();
  std::printf("core: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
