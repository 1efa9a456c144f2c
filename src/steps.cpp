// Glue for e_step(), m_step() and dmixture().
#include <RcppArmadillo.h>

#include "convert.h"
#include "r_host.h"

// [[Rcpp::export(rng = false)]]
Rcpp::List e_step_cpp(const Rcpp::NumericMatrix& x, const Rcpp::List& parameters,
                      bool want_posterior, bool want_density, int n_threads,
                      const Rcpp::List& rows) {
  const RowInfoFromR row_info(rows, x);
  const arma::mat& data = row_info.data();
  const softmix::Params params = params_from_list(parameters, false);
  if (params.noise != (row_info.info().noise_volume > 0.0)) {
    Rcpp::stop("a noise component needs its hypervolume, and a hypervolume a noise proportion");
  }
  // The E step writes every entry.
  Rcpp::NumericMatrix posterior(
      Rcpp::no_init(want_posterior ? x.nrow() : 0, want_posterior ? params.columns() : 0));
  Rcpp::NumericVector log_density(want_density ? x.nrow() : 0);
  const double loglik = softmix::e_step(
      data, params, softmix::cap_threads(n_threads), want_posterior ? posterior.begin() : nullptr,
      want_density ? log_density.begin() : nullptr, row_info.info());
  if (want_posterior) row_info.restore(posterior.begin(), posterior.ncol());
  if (want_density) row_info.restore(log_density.begin(), 1);
  return named_list(
      {{"posterior", posterior}, {"log_density", log_density}, {"loglik", Rcpp::wrap(loglik)}});
}

// x with each missing value replaced by its conditional mean given the
// row's observed values, mixed over the components by the row's posterior,
// under `parameters` (in the data's units).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix impute_cpp(const Rcpp::NumericMatrix& x, const Rcpp::List& parameters,
                               const Rcpp::List& rows) {
  const RowInfoFromR row_info(rows, x);
  Rcpp::NumericMatrix out = Rcpp::clone(x);
  if (!row_info.has_missing()) return out;
  const softmix::Params params = params_from_list(parameters, false);
  arma::mat imputed;
  try {
    imputed = softmix::impute_missing(row_info.data(), params, row_info.info());
  } catch (const softmix::error& e) {
    Rcpp::stop(e.what());
  }
  const softmix::SplitRows& split = row_info.split();
  const std::size_t first = split.complete.n_rows;
  for (std::size_t r = 0; r < imputed.n_rows; ++r) {
    for (std::size_t j = 0; j < imputed.n_cols; ++j) out(split.order[first + r], j) = imputed(r, j);
  }
  return out;
}

// `given`: NULL, or the parameters the posterior was computed from, whose
// conditional means complete the rows of x with missing values.
// [[Rcpp::export(rng = false)]]
Rcpp::List m_step_cpp(const Rcpp::NumericMatrix& x, const Rcpp::NumericMatrix& posterior,
                      const std::string& model, double reg, int n_threads, const Rcpp::List& rows,
                      const Rcpp::Nullable<Rcpp::List>& given = R_NilValue) {
  RHost host;
  if (given.isNotNull()) {
    const RowInfoFromR row_info(rows, x);
    if (row_info.has_missing()) {
      // The posterior in the core's order: complete rows, then the incomplete by pattern.
      const std::vector<std::size_t>& order = row_info.split().order;
      const std::size_t n = order.size(), k = posterior.ncol();
      std::vector<double> ordered(n * k);
      for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t r = 0; r < n; ++r) ordered[c * n + r] = posterior(order[r], c);
      }
      const softmix::Params conditional = params_from_list(Rcpp::List(given), false);
      return params_to_list(softmix::m_step_completed(
          row_info.data(), ordered.data(), k, softmix::model_from_code(model), reg,
          softmix::cap_threads(n_threads), conditional, softmix::interruptible_inner(host),
          row_info.info()));
    }
  }
  const RowInfoFromR row_info(rows, x.nrow());
  // With a noise component its weights are the last column.
  const softmix::Params params =
      softmix::m_step(matrix_view(x), posterior.begin(),
                      row_info.columns(0) == 1 ? posterior.ncol() - 1 : posterior.ncol(),
                      softmix::model_from_code(model), reg, softmix::cap_threads(n_threads),
                      softmix::interruptible_inner(host), row_info.info());
  return params_to_list(params);
}

// [[Rcpp::export(rng = false)]]
int available_threads_cpp() {
  return softmix::available_threads();
}

// [[Rcpp::export(rng = false)]]
int cap_threads_cpp(int requested) {
  return softmix::cap_threads(requested);
}

// [[Rcpp::export(rng = false)]]
Rcpp::CharacterVector supported_kernels_cpp() {
  return Rcpp::wrap(softmix::supported_kernels());
}

// [[Rcpp::export(rng = false)]]
std::string active_kernel_cpp() {
  return softmix::active_kernels().name;
}

// [[Rcpp::export(rng = false)]]
bool set_kernel_cpp(const std::string& name) {
  return softmix::set_kernels(name);
}

// Rows of x holding NA/NaN and rows holding +-Inf: counts and the first of
// each (1-based, 0 if none), found without an n x d temporary.
// [[Rcpp::export(rng = false)]]
Rcpp::IntegerVector nonfinite_rows_cpp(const Rcpp::NumericMatrix& x) {
  const R_xlen_t n = x.nrow(), d = x.ncol();
  if (softmix::all_finite(x.begin(), static_cast<std::size_t>(n) * d)) {
    return Rcpp::IntegerVector::create(0, 0, 0, 0);
  }
  std::vector<unsigned char> missing(n, 0), infinite(n, 0);
  for (R_xlen_t j = 0; j < d; ++j) {
    const double* column = x.begin() + j * n;
    for (R_xlen_t i = 0; i < n; ++i) {
      if (std::isnan(column[i])) {
        missing[i] = 1;
      } else if (std::isinf(column[i])) {
        infinite[i] = 1;
      }
    }
  }
  int missing_rows = 0, infinite_rows = 0, first_missing = 0, first_infinite = 0;
  for (R_xlen_t i = 0; i < n; ++i) {
    if (missing[i] && missing_rows++ == 0) first_missing = static_cast<int>(i + 1);
    if (infinite[i] && infinite_rows++ == 0) first_infinite = static_cast<int>(i + 1);
  }
  return Rcpp::IntegerVector::create(missing_rows, first_missing, infinite_rows, first_infinite);
}

// Each row's distance to its m-th nearest neighbour among the rows
// `reference` (1-based).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector neighbour_distances_cpp(const Rcpp::NumericMatrix& x,
                                            const Rcpp::IntegerVector& reference, int m) {
  std::vector<std::size_t> rows(reference.size());
  for (R_xlen_t t = 0; t < reference.size(); ++t)
    rows[t] = static_cast<std::size_t>(reference[t] - 1);
  const std::vector<double> distances =
      softmix::nearest_neighbour_distances(matrix_view(x), rows, static_cast<std::size_t>(m));
  return Rcpp::NumericVector(distances.begin(), distances.end());
}
