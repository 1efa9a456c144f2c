// Conversions between R objects and the core's types.
#ifndef SOFTMIX_CONVERT_H
#define SOFTMIX_CONVERT_H

#include <RcppArmadillo.h>

#include <softmix/softmix.h>

// A read-only view of an R numeric matrix, without a copy.
inline arma::mat matrix_view(const Rcpp::NumericMatrix& x) {
  return arma::mat(const_cast<double*>(x.begin()), x.nrow(), x.ncol(), false, true);
}

// An R mixture_params list (means K x d, covariances d x d x K) as Params.
inline softmix::Params params_from_list(const Rcpp::List& parameters, bool shared) {
  softmix::Params params;
  params.proportions = Rcpp::as<arma::vec>(parameters["proportions"]);
  params.means = Rcpp::as<arma::mat>(parameters["means"]).t();
  const Rcpp::NumericVector covariances = parameters["covariances"];
  const std::size_t d = params.means.n_rows, k = params.means.n_cols;
  if (params.proportions.n_elem != k || static_cast<std::size_t>(covariances.size()) != d * d * k) {
    Rcpp::stop("`parameters` has inconsistent dimensions");
  }
  params.covariances = arma::cube(covariances.begin(), d, d, k);
  softmix::factorize(params, shared);
  return params;
}

inline Rcpp::List params_to_list(const softmix::Params& params) {
  const std::size_t d = params.d(), k = params.k();
  Rcpp::NumericVector covariances(params.covariances.begin(), params.covariances.end());
  covariances.attr("dim") = Rcpp::IntegerVector::create(d, d, k);
  return Rcpp::List::create(Rcpp::Named("proportions") = Rcpp::NumericVector(
                                params.proportions.begin(), params.proportions.end()),
                            Rcpp::Named("means") = Rcpp::wrap(arma::mat(params.means.t())),
                            Rcpp::Named("covariances") = covariances);
}

#endif  // SOFTMIX_CONVERT_H
