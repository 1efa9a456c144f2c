// Glue for fits of rows held elsewhere: the shard side (a worker's passes
// over its rows) and the main side (EM whose passes call back into R, which
// sends the parameters to the workers and returns what they computed).
#include <RcppArmadillo.h>

#include "convert.h"
#include "r_host.h"

namespace {

softmix::Model model_of(const std::string& code) {
  try {
    return softmix::model_from_code(code);
  } catch (const softmix::error& e) {
    Rcpp::stop(e.what());
  }
}

std::vector<double> as_vector(const Rcpp::NumericVector& v) {
  return std::vector<double>(v.begin(), v.end());
}

// Passes whose work is done by `pass(what, parameters)`, an R function that
// returns a list with one numeric vector per part of the rows, in a fixed
// order; the parts' results are merged here in that order.
class CallbackPasses : public softmix::Passes {
 public:
  explicit CallbackPasses(Rcpp::Function pass) : pass_(std::move(pass)) {}

  void statistics(const softmix::Params& p, const softmix::StatsLayout& layout,
                  std::vector<double>& out) override {
    const Rcpp::List parts = call("statistics", p);
    out.assign(layout.length, 0.0);
    for (R_xlen_t s = 0; s < parts.size(); ++s) {
      const std::vector<double> part = softmix::stats_from_wire(as_vector(parts[s]), layout);
      for (std::size_t e = 0; e < layout.length; ++e) out[e] += part[e];
    }
  }

  double log_likelihood(const softmix::Params& p, double* posterior) override {
    if (posterior != nullptr) Rcpp::stop("the posterior of rows held elsewhere stays there");
    const Rcpp::List parts = call("loglik", p);
    double total = 0.0;
    for (R_xlen_t s = 0; s < parts.size(); ++s) total += Rcpp::as<double>(parts[s]);
    return total;
  }

  softmix::DegeneracyEvidence evidence(const softmix::Params& p, softmix::Model,
                                       const arma::mat*) override {
    const Rcpp::List parts = call("evidence", p);
    if (parts.size() == 0) Rcpp::stop("no shard returned evidence");
    softmix::DegeneracyEvidence out = softmix::DegeneracyEvidence::from_vector(as_vector(parts[0]));
    for (R_xlen_t s = 1; s < parts.size(); ++s) {
      out.merge(softmix::DegeneracyEvidence::from_vector(as_vector(parts[s])));
    }
    return out;
  }

 private:
  Rcpp::List call(const char* what, const softmix::Params& p) {
    const std::vector<double> wire = softmix::params_to_wire(p);
    return pass_(what, Rcpp::NumericVector(wire.begin(), wire.end()));
  }
  Rcpp::Function pass_;
};

}  // namespace

// The power of two that brings `largest` into [0.5, 1): the scale shared by
// every shard.
// [[Rcpp::export(rng = false)]]
double shard_scale_cpp(double largest) {
  return softmix::scale_factor(largest);
}

// One pass of a worker over its shard `x` (complete rows), scaled by the
// shared `factor`, for parameters sent as softmix::params_to_wire() in
// scaled units: "statistics" (the M step's, log-likelihood first, in
// softmix::stats_to_wire()'s layout), "loglik",
// "evidence" (degeneracy()'s), "classify" (ICL's sum of log maximum
// posteriors, the sum of the rows' uncertainties, then the weighted count
// of rows per column), or the first
// passes "column_sums" and "column_squares" (then `wire` is the columns'
// means).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericVector shard_pass_cpp(const Rcpp::NumericMatrix& x, const Rcpp::List& rows,
                                   double factor, const std::string& what,
                                   const Rcpp::NumericVector& wire, const std::string& model,
                                   int n_threads) {
  const RowInfoFromR row_info(rows, x.nrow());
  const arma::mat data = matrix_view(x);
  const softmix::Data shard(data, true, row_info.info(), factor);
  const int threads = softmix::cap_threads(n_threads);
  std::vector<double> out;
  try {
    if (what == "column_sums") {
      out = softmix::column_sums(shard);
    } else if (what == "column_squares") {
      out = softmix::column_squares(shard, arma::vec(wire.begin(), wire.size()));
    } else {
      const softmix::Model code = model_of(model);
      const softmix::Params p =
          softmix::params_from_wire(as_vector(wire), softmix::is_shared(code));
      softmix::MemoryPasses passes(shard, threads);
      if (what == "statistics") {
        const softmix::StatsLayout layout(shard.n_cols, p.k(), softmix::scatter_for(code),
                                          shard.noise);
        std::vector<double> stats;
        passes.statistics(p, layout, stats);
        out = softmix::stats_to_wire(stats, layout);
      } else if (what == "loglik") {
        out.assign(1, passes.log_likelihood(p, nullptr));
      } else if (what == "evidence") {
        out = passes.evidence(p, code).to_vector();
      } else if (what == "classify") {
        arma::mat posterior(shard.n_total, p.columns());
        passes.log_likelihood(p, posterior.memptr());
        std::vector<int> classification(shard.n_total);
        std::vector<double> uncertainty(shard.n_total);
        out.assign(2 + p.columns(), 0.0);
        out[0] = softmix::classify(posterior, classification.data(), uncertainty.data(),
                                   row_info.original_weights());
        for (std::size_t i = 0; i < shard.n_total; ++i) {
          out[1] += uncertainty[i];
          out[1 + classification[i]] += shard.weight(i);
        }
      } else {
        Rcpp::stop("unknown pass `" + what + "`");
      }
    }
  } catch (const softmix::error& e) {
    Rcpp::stop(e.what());
  }
  return Rcpp::NumericVector(out.begin(), out.end());
}

// The posterior of a shard's rows under parameters in the data's units,
// computed as the fit computed it (on the shard scaled by `factor`).
// [[Rcpp::export(rng = false)]]
Rcpp::NumericMatrix shard_posterior_cpp(const Rcpp::NumericMatrix& x, const Rcpp::List& rows,
                                        double factor, const Rcpp::List& parameters,
                                        const std::string& model, int n_threads) {
  const RowInfoFromR row_info(rows, x.nrow());
  const arma::mat data = matrix_view(x);
  const softmix::Data shard(data, true, row_info.info(), factor);
  const softmix::Model code = model_of(model);
  softmix::Params p =
      softmix::rescale(params_from_list(parameters, softmix::is_shared(code)), shard.inverse_scale);
  softmix::factorize(p, softmix::is_shared(code));
  Rcpp::NumericMatrix posterior(Rcpp::no_init(x.nrow(), p.columns()));
  softmix::e_step_scaled(shard, p, softmix::cap_threads(n_threads), posterior.begin(), nullptr);
  return posterior;
}

// EM over rows held elsewhere, described by `header` (list: d, factor,
// n_total, total_weight, column_variance, and the rows list's hypervolume
// and prior), from each of `starts` (mixture parameters in the data's
// units), the best log-likelihood kept. Every pass calls pass(what,
// parameters) (see CallbackPasses). Returns the fit without its posterior.
// [[Rcpp::export(rng = false)]]
Rcpp::List fit_elsewhere_cpp(const Rcpp::List& header, int k, const std::string& model,
                             const Rcpp::List& starts, const Rcpp::List& control,
                             Rcpp::Function pass) {
  const RowInfoFromR row_info(header, 0);
  const int d = Rcpp::as<int>(header["d"]);
  const arma::mat no_rows(0, d);
  const softmix::Data x = softmix::rows_elsewhere(
      no_rows, Rcpp::as<double>(header["factor"]), Rcpp::as<double>(header["n_total"]),
      Rcpp::as<double>(header["total_weight"]), Rcpp::as<arma::vec>(header["column_variance"]),
      row_info.info());
  const softmix::Model code = model_of(model);
  const bool shared = softmix::is_shared(code);
  const softmix::Control settings = make_control(control);
  const arma::vec ridge = softmix::scaled_ridge(x, control_reg(control));
  std::vector<softmix::Params> initial;
  for (R_xlen_t s = 0; s < starts.size(); ++s) {
    softmix::Params p = softmix::rescale(params_from_list(starts[s], shared), x.inverse_scale);
    softmix::factorize(p, shared);
    initial.push_back(std::move(p));
  }
  if (initial.empty()) Rcpp::stop("no starting parameters");
  CallbackPasses passes(pass);
  RHost host;
  softmix::Fit fit;
  try {
    fit = softmix::best_of_starts(x, passes, static_cast<std::size_t>(k), code, ridge, settings,
                                  static_cast<int>(initial.size()), softmix::HostRef(host), nullptr,
                                  [&](int run) { return initial[run]; });
  } catch (const softmix::error& e) {
    Rcpp::stop(e.what());
  }
  return named_list(fit_fields(fit, NA_REAL));
}

// What a fit of rows held elsewhere must know of all of them, computed here
// from the rows in memory exactly as an in-memory fit computes it: the
// scale, the number of rows and their total weight, and the columns'
// variances that the ridge reads.
// [[Rcpp::export(rng = false)]]
Rcpp::List data_header_cpp(const Rcpp::NumericMatrix& x, const Rcpp::List& rows) {
  const RowInfoFromR row_info(rows, x);
  if (row_info.has_missing()) Rcpp::stop("rows held elsewhere cannot have missing values");
  const softmix::Data data(row_info.data(), true, row_info.info());
  return named_list({{"d", Rcpp::wrap(static_cast<int>(data.n_cols))},
                     {"factor", Rcpp::wrap(data.inverse_scale(0))},
                     {"n_total", Rcpp::wrap(static_cast<double>(data.n_total))},
                     {"total_weight", Rcpp::wrap(data.total_weight)},
                     {"column_variance", Rcpp::wrap(softmix::scaled_ridge(data, 1.0))}});
}
