// Glue for softmix(): a whole EM fit.
#include <RcppArmadillo.h>

#include "convert.h"
#include "r_host.h"

// [[Rcpp::export(rng = true)]]
Rcpp::List fit_cpp(const Rcpp::NumericMatrix& x, int k, const std::string& model,
                   const std::string& init, Rcpp::Nullable<Rcpp::List> start, int n_init,
                   double tol, int max_iter, double reg, int n_threads) {
  const arma::mat data = matrix_view(x);
  const softmix::Model code = softmix::model_from_code(model);
  softmix::Control control;
  control.tol = tol;
  control.max_iter = max_iter;
  softmix::Start kind = softmix::Start::given;
  softmix::Params given;
  if (init == "kmeans++") {
    kind = softmix::Start::kmeans_pp;
  } else if (init == "random") {
    kind = softmix::Start::random;
  } else {
    given = params_from_list(Rcpp::List(start), softmix::is_shared(code));
  }
  Rcpp::NumericMatrix posterior(x.nrow(), k);
  arma::mat posterior_view(posterior.begin(), x.nrow(), k, false, true);
  RHost host;
  const softmix::Fit fit =
      softmix::fit_mixture(data, static_cast<std::size_t>(k), code, reg, control, kind, &given,
                           n_init, softmix::cap_threads(n_threads), host, posterior_view);
  Rcpp::IntegerVector classification(x.nrow());
  Rcpp::NumericVector uncertainty(x.nrow());
  softmix::classify(posterior_view, classification.begin(), uncertainty.begin());
  return Rcpp::List::create(
      Rcpp::Named("parameters") = params_to_list(fit.params), Rcpp::Named("posterior") = posterior,
      Rcpp::Named("classification") = classification, Rcpp::Named("uncertainty") = uncertainty,
      Rcpp::Named("loglik") = fit.loglik,
      Rcpp::Named("loglik_trace") = Rcpp::wrap(fit.loglik_trace),
      Rcpp::Named("iterations") = fit.iterations, Rcpp::Named("converged") = fit.converged);
}
