// Glue for softmix(): a whole EM fit, and the starting partitions shared by
// the models of a selection.
#include <RcppArmadillo.h>

#include "convert.h"
#include "r_host.h"

namespace {

// Starting partitions as the core takes them: one column per start of an
// n x starts matrix of labels 1..k, NA for rows the first M step leaves out.
// Label k + 1 marks a noise row when the fit has a noise component (`k`
// counts it then).
std::vector<std::vector<std::uint32_t>> partitions_from_matrix(
    const Rcpp::IntegerMatrix& partitions, R_xlen_t n, int k) {
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
  softmix::drop_repeated_partitions(starts);
  return starts;
}

// The posterior is restored to the data's row order first.
Rcpp::List fit_to_list(const softmix::Fit& fit, Rcpp::NumericMatrix& posterior,
                       const arma::mat& posterior_view, const RowInfoFromR& rows) {
  rows.restore(posterior.begin(), posterior.ncol());
  const int n = posterior.nrow();
  Rcpp::IntegerVector classification(n);
  Rcpp::NumericVector uncertainty(n);
  const double log_max_posterior_sum = softmix::classify(
      posterior_view, classification.begin(), uncertainty.begin(), rows.original_weights());
  NamedItems items = fit_fields(fit, log_max_posterior_sum);
  items.insert(
      items.end(),
      {{"posterior", posterior}, {"classification", classification}, {"uncertainty", uncertainty}});
  return named_list(items);
}

}  // namespace

// [[Rcpp::export(rng = true)]]
Rcpp::List fit_cpp(const Rcpp::NumericMatrix& x, int k, const std::string& model,
                   const std::string& init, Rcpp::Nullable<Rcpp::List> start, int n_init,
                   const Rcpp::List& control, int n_threads, const Rcpp::List& rows) {
  const RowInfoFromR row_info(rows, x);
  const arma::mat& data = row_info.data();
  row_info.check_labels(static_cast<std::size_t>(k));
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
  Rcpp::NumericMatrix posterior(Rcpp::no_init(x.nrow(), row_info.columns(k)));
  arma::mat posterior_view(posterior.begin(), x.nrow(), row_info.columns(k), false, true);
  RHost host;
  const softmix::Fit fit = softmix::fit_mixture(
      data, static_cast<std::size_t>(k), code, control_reg(control), make_control(control), kind,
      &given, n_init, softmix::cap_threads(n_threads), host, posterior_view, row_info.info());
  return fit_to_list(fit, posterior, posterior_view, row_info);
}

// EM from each column of `partitions` (labels 1..k, NA for rows the first M
// step leaves out); the best log-likelihood is kept.
// [[Rcpp::export(rng = false)]]
Rcpp::List fit_partitions_cpp(const Rcpp::NumericMatrix& x, int k, const std::string& model,
                              const Rcpp::IntegerMatrix& partitions, const Rcpp::List& control,
                              int n_threads, const Rcpp::List& rows) {
  const R_xlen_t n = x.nrow();
  const RowInfoFromR row_info(rows, x);
  row_info.check_labels(static_cast<std::size_t>(k));
  std::vector<std::vector<std::uint32_t>> starts =
      partitions_from_matrix(partitions, n, row_info.columns(k));
  for (auto& start : starts) row_info.permute(start);
  Rcpp::NumericMatrix posterior(Rcpp::no_init(n, row_info.columns(k)));
  arma::mat posterior_view(posterior.begin(), n, row_info.columns(k), false, true);
  RHost host;
  const softmix::Fit fit = softmix::fit_mixture_from_partitions(
      row_info.data(), static_cast<std::size_t>(k), softmix::model_from_code(model),
      control_reg(control), make_control(control), starts, softmix::cap_threads(n_threads), host,
      posterior_view, row_info.info());
  return fit_to_list(fit, posterior, posterior_view, row_info);
}

// Every (k[j], model[j]) pair from the partitions of its k (partitions[j]),
// side by side on the threads while their posteriors fit in memory (see
// softmix::plan_selection()). Returns one list per pair: its statistics and
// parameters, or `message` for a pair that failed; no n x K matrices.
// progress(done), if not NULL, is called on this thread as pairs finish.
// [[Rcpp::export(rng = false)]]
Rcpp::List fit_selection_cpp(const Rcpp::NumericMatrix& x, const Rcpp::IntegerVector& k,
                             const Rcpp::CharacterVector& model, const Rcpp::List& partitions,
                             const Rcpp::List& control, int n_threads,
                             Rcpp::Nullable<Rcpp::Function> progress, const Rcpp::List& rows) {
  const R_xlen_t n = x.nrow();
  const RowInfoFromR row_info(rows, x);
  const std::size_t pairs = static_cast<std::size_t>(k.size());
  std::vector<std::vector<std::vector<std::uint32_t>>> starts(pairs);
  std::vector<softmix::SelectionJob> jobs(pairs);
  std::size_t largest_k = 1;
  for (std::size_t j = 0; j < pairs; ++j) {
    const Rcpp::IntegerMatrix columns = partitions[j];
    starts[j] = partitions_from_matrix(columns, n, row_info.columns(k[j]));
    for (auto& start : starts[j]) row_info.permute(start);
    jobs[j] = softmix::SelectionJob{static_cast<std::size_t>(k[j]),
                                    softmix::model_from_code(Rcpp::as<std::string>(model[j])),
                                    &starts[j]};
    largest_k = std::max(largest_k, static_cast<std::size_t>(k[j]));
    row_info.check_labels(static_cast<std::size_t>(k[j]));
  }
  const softmix::SelectionPlan plan =
      softmix::plan_selection(n, largest_k, pairs, softmix::cap_threads(n_threads));
  RHost host;
  const auto report = [&](int done) {
    if (progress.isNotNull()) Rcpp::Function(progress.get())(done);
  };
  const std::vector<softmix::SelectionResult> results =
      softmix::fit_selection(row_info.data(), jobs, control_reg(control), make_control(control),
                             plan, host, report, row_info.info());
  Rcpp::List out(pairs);
  for (std::size_t j = 0; j < pairs; ++j) {
    const softmix::SelectionResult& result = results[j];
    if (!result.ok) {
      out[j] = named_list({{"message", Rcpp::wrap(result.message)}});
      continue;
    }
    NamedItems items = fit_fields(result.fit, result.log_max_posterior_sum);
    items.push_back({"message", Rcpp::wrap(std::string())});
    out[j] = named_list(items);
  }
  return out;
}

// The posterior, classification and uncertainty of fitted parameters (in
// the data's units, as a fit returns them), computed as the fit computed
// them: on the scaled data, so a fit from fit_selection_cpp() gets the
// posterior that fit_partitions_cpp() would have returned, bit for bit.
// [[Rcpp::export(rng = false)]]
Rcpp::List fit_posterior_cpp(const Rcpp::NumericMatrix& x, const Rcpp::List& parameters,
                             const std::string& model, int n_threads, const Rcpp::List& rows) {
  const RowInfoFromR row_info(rows, x);
  const softmix::Data scaled(row_info.data(), true, row_info.info());
  const softmix::Model code = softmix::model_from_code(model);
  // Powers of two: the scaled parameters are those the fit ended with.
  softmix::Params params = softmix::rescale(params_from_list(parameters, softmix::is_shared(code)),
                                            scaled.inverse_scale);
  softmix::factorize(params, softmix::is_shared(code));
  const std::size_t k = params.columns();
  Rcpp::NumericMatrix posterior(Rcpp::no_init(x.nrow(), k));
  arma::mat posterior_view(posterior.begin(), x.nrow(), k, false, true);
  softmix::e_step_scaled(scaled, params, softmix::cap_threads(n_threads), posterior.begin(),
                         nullptr);
  row_info.restore(posterior.begin(), k);
  Rcpp::IntegerVector classification(x.nrow());
  Rcpp::NumericVector uncertainty(x.nrow());
  const double log_max_posterior_sum = softmix::classify(
      posterior_view, classification.begin(), uncertainty.begin(), row_info.original_weights());
  return named_list({{"posterior", posterior},
                     {"classification", classification},
                     {"uncertainty", uncertainty},
                     {"log_max_posterior_sum", Rcpp::wrap(log_max_posterior_sum)}});
}

// n_init k-means++ partitions (labels 1..k), one per column, drawn from R's
// generator as fit_cpp() draws them.
// [[Rcpp::export(rng = true)]]
Rcpp::IntegerMatrix kmeans_pp_partitions_cpp(const Rcpp::NumericMatrix& x, int k, int n_init,
                                             int n_threads, const Rcpp::List& rows) {
  RHost host;
  const RowInfoFromR row_info(rows, x.nrow());
  const std::vector<std::vector<std::uint32_t>> partitions =
      softmix::kmeans_pp_partitions(matrix_view(x), static_cast<std::size_t>(k), n_init,
                                    softmix::cap_threads(n_threads), host, row_info.info());
  Rcpp::IntegerMatrix out(x.nrow(), static_cast<int>(partitions.size()));
  for (std::size_t s = 0; s < partitions.size(); ++s) {
    for (R_xlen_t i = 0; i < x.nrow(); ++i) {
      out(i, s) = static_cast<int>(partitions[s][i]) + 1;
    }
  }
  return out;
}

// The starting parameters, in the data's units, that fit_partitions_cpp()
// makes from each column of `partitions`, for a fit whose passes run
// elsewhere; a partition whose M step fails is left out.
// [[Rcpp::export(rng = false)]]
Rcpp::List start_params_cpp(const Rcpp::NumericMatrix& x, int k, const std::string& model,
                            const Rcpp::IntegerMatrix& partitions, const Rcpp::List& control,
                            int n_threads, const Rcpp::List& rows) {
  const RowInfoFromR row_info(rows, x);
  row_info.check_labels(static_cast<std::size_t>(k));
  std::vector<std::vector<std::uint32_t>> starts =
      partitions_from_matrix(partitions, x.nrow(), row_info.columns(k));
  for (auto& start : starts) row_info.permute(start);
  const softmix::Model code = softmix::model_from_code(model);
  const softmix::Data data(row_info.data(), true, row_info.info());
  const double reg = control_reg(control);
  const arma::vec ridge = softmix::scaled_ridge(data, reg);
  const softmix::StartData from(data, ridge, reg, row_info.info());
  RHost host;
  std::vector<Rcpp::List> made;
  std::string last_error;
  for (const auto& start : starts) {
    try {
      const softmix::Params p = from.to_fit(
          softmix::params_from_labels(from.data(), start, static_cast<std::size_t>(k), code,
                                      from.ridge(), softmix::cap_threads(n_threads),
                                      softmix::interruptible_inner(host)),
          code);
      made.push_back(params_to_list(softmix::rescale(p, data.scale())));
    } catch (const softmix::error& e) {
      last_error = e.what();
    }
  }
  if (made.empty()) Rcpp::stop("every start failed; the last: " + last_error);
  Rcpp::List out(made.size());
  for (std::size_t s = 0; s < made.size(); ++s) out[s] = made[s];
  return out;
}
