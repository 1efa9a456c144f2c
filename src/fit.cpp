// Glue for softmix(): a whole EM fit, and the starting partitions shared by
// the models of a selection.
#include <RcppArmadillo.h>

#include "convert.h"
#include "r_host.h"

namespace {

softmix::Control make_control(double tol, int max_iter) {
  softmix::Control control;
  control.tol = tol;
  control.max_iter = max_iter;
  return control;
}

Rcpp::List fit_to_list(const softmix::Fit& fit, Rcpp::NumericMatrix& posterior,
                       const arma::mat& posterior_view) {
  const int n = posterior.nrow();
  Rcpp::IntegerVector classification(n);
  Rcpp::NumericVector uncertainty(n);
  const double log_max_posterior_sum =
      softmix::classify(posterior_view, classification.begin(), uncertainty.begin());
  return named_list(
      {{"parameters", params_to_list(fit.params)},
       {"posterior", posterior},
       {"classification", classification},
       {"uncertainty", uncertainty},
       {"loglik", Rcpp::wrap(fit.loglik)},
       {"loglik_trace", Rcpp::NumericVector(fit.loglik_trace.begin(), fit.loglik_trace.end())},
       {"iterations", Rcpp::wrap(fit.iterations)},
       {"converged", Rcpp::wrap(fit.converged)},
       {"degenerate", Rcpp::wrap(fit.degenerate)},
       {"log_max_posterior_sum", Rcpp::wrap(log_max_posterior_sum)}});
}

}  // namespace

// [[Rcpp::export(rng = true)]]
Rcpp::List fit_cpp(const Rcpp::NumericMatrix& x, int k, const std::string& model,
                   const std::string& init, Rcpp::Nullable<Rcpp::List> start, int n_init,
                   double tol, int max_iter, double reg, int n_threads) {
  const arma::mat data = matrix_view(x);
  const softmix::Model code = softmix::model_from_code(model);
  softmix::Start kind = softmix::Start::given;
  softmix::Params given;
  if (init == "kmeans++") {
    kind = softmix::Start::kmeans_pp;
  } else if (init == "random") {
    kind = softmix::Start::random;
  } else {
    given = params_from_list(Rcpp::List(start), softmix::is_shared(code));
  }
  // Every entry is written by the final E step.
  Rcpp::NumericMatrix posterior(Rcpp::no_init(x.nrow(), k));
  arma::mat posterior_view(posterior.begin(), x.nrow(), k, false, true);
  RHost host;
  const softmix::Fit fit = softmix::fit_mixture(
      data, static_cast<std::size_t>(k), code, reg, make_control(tol, max_iter), kind, &given,
      n_init, softmix::cap_threads(n_threads), host, posterior_view);
  return fit_to_list(fit, posterior, posterior_view);
}

// EM from each column of `partitions` (labels 1..k, NA for rows the first M
// step leaves out); the best log-likelihood is kept.
// [[Rcpp::export(rng = false)]]
Rcpp::List fit_partitions_cpp(const Rcpp::NumericMatrix& x, int k, const std::string& model,
                              const Rcpp::IntegerMatrix& partitions, double tol, int max_iter,
                              double reg, int n_threads) {
  const R_xlen_t n = x.nrow();
  if (partitions.nrow() != n) Rcpp::stop("`partitions` needs one row per observation");
  std::vector<std::vector<std::uint32_t>> starts(partitions.ncol());
  for (int s = 0; s < partitions.ncol(); ++s) {
    starts[s].resize(n);
    const int* column = partitions.begin() + s * n;
    for (R_xlen_t i = 0; i < n; ++i) {
      const int label = column[i];
      if (label != NA_INTEGER && (label < 1 || label > k)) {
        Rcpp::stop("partition labels must lie in 1..k");
      }
      starts[s][i] =
          label == NA_INTEGER ? softmix::unlabelled : static_cast<std::uint32_t>(label - 1);
    }
  }
  Rcpp::NumericMatrix posterior(Rcpp::no_init(n, k));
  arma::mat posterior_view(posterior.begin(), n, k, false, true);
  RHost host;
  const softmix::Fit fit = softmix::fit_mixture_from_partitions(
      matrix_view(x), static_cast<std::size_t>(k), softmix::model_from_code(model), reg,
      make_control(tol, max_iter), starts, softmix::cap_threads(n_threads), host, posterior_view);
  return fit_to_list(fit, posterior, posterior_view);
}

// n_init k-means++ partitions (labels 1..k), one per column, drawn from R's
// generator as fit_cpp() draws them.
// [[Rcpp::export(rng = true)]]
Rcpp::IntegerMatrix kmeans_pp_partitions_cpp(const Rcpp::NumericMatrix& x, int k, int n_init,
                                             int n_threads) {
  RHost host;
  const std::vector<std::vector<std::uint32_t>> partitions = softmix::kmeans_pp_partitions(
      matrix_view(x), static_cast<std::size_t>(k), n_init, softmix::cap_threads(n_threads), host);
  Rcpp::IntegerMatrix out(x.nrow(), static_cast<int>(partitions.size()));
  for (std::size_t s = 0; s < partitions.size(); ++s) {
    for (R_xlen_t i = 0; i < x.nrow(); ++i) {
      out(i, s) = static_cast<int>(partitions[s][i]) + 1;
    }
  }
  return out;
}
