// Conversions between R objects and the core's types.
#ifndef SOFTMIX_CONVERT_H
#define SOFTMIX_CONVERT_H

#include <RcppArmadillo.h>

#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include <softmix/softmix.h>

// A read-only view of an R numeric matrix, without a copy.
inline arma::mat matrix_view(const Rcpp::NumericMatrix& x) {
  return arma::mat(const_cast<double*>(x.begin()), x.nrow(), x.ncol(), false, true);
}

// A named list from (name, value) pairs. One function serves every list the
// glue returns, where each Rcpp::List::create() with its own number and
// types of arguments would be a template instantiation of its own.
using NamedItems = std::vector<std::pair<const char*, Rcpp::RObject>>;

inline Rcpp::List named_list(const NamedItems& items) {
  Rcpp::List out(items.size());
  Rcpp::CharacterVector names(items.size());
  R_xlen_t i = 0;
  for (const auto& item : items) {
    out[i] = item.second;
    names[i] = item.first;
    ++i;
  }
  out.attr("names") = names;
  return out;
}

// An R mixture_params list (means K x d, covariances d x d x K) as Params;
// K + 1 proportions hold a noise component's share last.
inline softmix::Params params_from_list(const Rcpp::List& parameters, bool shared) {
  const Rcpp::NumericVector proportions = parameters["proportions"];
  const Rcpp::NumericMatrix means = parameters["means"];
  const Rcpp::NumericVector covariances = parameters["covariances"];
  const std::size_t d = means.ncol(), k = means.nrow();
  const std::size_t shares = static_cast<std::size_t>(proportions.size());
  if ((shares != k && shares != k + 1) ||
      static_cast<std::size_t>(covariances.size()) != d * d * k) {
    Rcpp::stop("`parameters` has inconsistent dimensions");
  }
  softmix::Params params;
  params.proportions = arma::vec(proportions.begin(), k);
  params.noise = shares == k + 1;
  params.noise_proportion = params.noise ? proportions[k] : 0.0;
  params.means.set_size(d, k);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) params.means(j, c) = means(c, j);
  }
  params.covariances = arma::cube(covariances.begin(), d, d, k);
  softmix::factorize(params, shared);
  return params;
}

inline Rcpp::List params_to_list(const softmix::Params& params) {
  const std::size_t d = params.d(), k = params.k();
  Rcpp::NumericMatrix means(k, d);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) means(c, j) = params.means(j, c);
  }
  Rcpp::NumericVector covariances(params.covariances.begin(), params.covariances.end());
  covariances.attr("dim") = Rcpp::IntegerVector::create(d, d, k);
  Rcpp::NumericVector proportions(params.proportions.begin(), params.proportions.end());
  if (params.noise) proportions.push_back(params.noise_proportion);
  return named_list({{"proportions", proportions}, {"means", means}, {"covariances", covariances}});
}

// The rows' weights and known labels of an R list `rows` (elements
// `weights`, numeric, and `labels`, integer 1..k with NA for unknown; either
// NULL), validated in R. Holds the 0-based labels the core reads.
//
// Given the data `x` too, rows of x with missing values (NA or NaN) are
// split off (see softmix::split_missing()): data() is then the matrix of
// the complete rows, the core's RowInfo carries the incomplete ones, and the
// weights and labels are permuted to the core's order, complete rows first.
// restore() brings row-wise results back to x's order. An element `imputed`
// of `rows` (x with its missing values imputed, in x's order) makes the
// matrix the starts are made from.
class RowInfoFromR {
 public:
  RowInfoFromR(const Rcpp::List& rows, R_xlen_t n) : RowInfoFromR(rows, n, nullptr) {}
  RowInfoFromR(const Rcpp::List& rows, const Rcpp::NumericMatrix& x)
      : RowInfoFromR(rows, x.nrow(), &x) {}

  RowInfoFromR(const Rcpp::List& rows, R_xlen_t n, const Rcpp::NumericMatrix* x) {
    if (rows.containsElementNamed("weights") && !Rf_isNull(rows["weights"])) {
      weights_ = Rcpp::as<Rcpp::NumericVector>(rows["weights"]);
      if (weights_.size() != n) Rcpp::stop("`weights` needs one entry per observation");
      info_.weights = weights_.begin();
    }
    if (rows.containsElementNamed("labels") && !Rf_isNull(rows["labels"])) {
      const Rcpp::IntegerVector labels = Rcpp::as<Rcpp::IntegerVector>(rows["labels"]);
      if (labels.size() != n) Rcpp::stop("`labels` needs one entry per observation");
      labels_.resize(n);
      for (R_xlen_t i = 0; i < n; ++i) {
        labels_[i] = labels[i] == NA_INTEGER ? softmix::unlabelled
                                             : static_cast<std::uint32_t>(labels[i] - 1);
      }
      info_.labels = labels_.data();
    }
    if (rows.containsElementNamed("hypervolume") && !Rf_isNull(rows["hypervolume"])) {
      info_.noise_volume = Rcpp::as<double>(rows["hypervolume"]);
    }
    if (rows.containsElementNamed("prior") && !Rf_isNull(rows["prior"])) {
      const Rcpp::List prior = Rcpp::as<Rcpp::List>(rows["prior"]);
      prior_.shrinkage = Rcpp::as<double>(prior["shrinkage"]);
      prior_.mean = Rcpp::as<arma::vec>(prior["mean"]);
      prior_.dof = Rcpp::as<double>(prior["dof"]);
      prior_.scale = Rcpp::as<arma::mat>(prior["scale"]);
      prior_.scale_scalar = Rcpp::as<double>(prior["scale_scalar"]);
      prior_.scale_per_component = Rcpp::as<bool>(prior["per_component"]);
      info_.prior = &prior_;
    }
    if (x == nullptr) return;
    // In place: copying R's matrix would cost a pass over the data each call.
    view_.reset(new arma::mat(const_cast<double*>(x->begin()), x->nrow(), x->ncol(), false, true));
    // R has scanned the data already where it says they are complete.
    if (rows.containsElementNamed("complete") && Rcpp::as<bool>(rows["complete"])) return;
    if (softmix::all_finite(x->begin(), static_cast<std::size_t>(x->nrow()) * x->ncol())) return;
    try {
      split_ = softmix::split_missing(*view_);
    } catch (const softmix::error& e) {
      Rcpp::stop(e.what());
    }
    split_used_ = true;
    const std::vector<std::size_t>& order = split_.order;
    if (info_.weights != nullptr) {
      permuted_weights_.resize(n);
      for (R_xlen_t r = 0; r < n; ++r) permuted_weights_[r] = weights_[order[r]];
      info_.weights = permuted_weights_.data();
    }
    if (info_.labels != nullptr) {
      const std::vector<std::uint32_t> original = labels_;
      for (R_xlen_t r = 0; r < n; ++r) labels_[r] = original[order[r]];
    }
    if (rows.containsElementNamed("imputed") && !Rf_isNull(rows["imputed"])) {
      const Rcpp::NumericMatrix imputed = rows["imputed"];
      if (imputed.nrow() != n || imputed.ncol() != x->ncol()) {
        Rcpp::stop("`imputed` needs the dimensions of the data");
      }
      arma::mat& start = split_.missing.start;
      start.set_size(n, imputed.ncol());
      for (int j = 0; j < imputed.ncol(); ++j) {
        for (R_xlen_t r = 0; r < n; ++r) start(r, j) = imputed(order[r], j);
      }
    }
    info_.missing = &split_.missing;
  }
  // The matrix the core reads: x, or its complete rows.
  const arma::mat& data() const { return split_used_ ? split_.complete : *view_; }
  // The weights in x's order, or null.
  const double* original_weights() const {
    return info_.weights == nullptr ? nullptr : weights_.begin();
  }
  // A column-major matrix with a row per row of x, in the core's order,
  // brought back to x's.
  void restore(double* values, std::size_t columns) const {
    if (!split_used_) return;
    const std::size_t n = split_.order.size();
    std::vector<double> column(n);
    for (std::size_t c = 0; c < columns; ++c) {
      double* at = values + c * n;
      for (std::size_t r = 0; r < n; ++r) column[split_.order[r]] = at[r];
      std::copy(column.begin(), column.end(), at);
    }
  }
  // Labels of x's rows in the core's order.
  void permute(std::vector<std::uint32_t>& labels) const {
    if (!split_used_) return;
    const std::vector<std::uint32_t> original = labels;
    for (std::size_t r = 0; r < labels.size(); ++r) labels[r] = original[split_.order[r]];
  }
  bool has_missing() const { return split_used_; }
  const softmix::SplitRows& split() const { return split_; }
  RowInfoFromR(const RowInfoFromR&) = delete;
  RowInfoFromR& operator=(const RowInfoFromR&) = delete;
  // Columns of the posterior for k components: one more with noise.
  int columns(int k) const { return k + (info_.noise_volume > 0.0 ? 1 : 0); }
  softmix::RowInfo info() const { return info_; }
  // Checks that the known labels lie in 1..k.
  void check_labels(std::size_t k) const {
    for (const std::uint32_t label : labels_) {
      if (label != softmix::unlabelled && label >= k) Rcpp::stop("`labels` must lie in 1..k");
    }
  }

 private:
  Rcpp::NumericVector weights_;
  std::vector<double> permuted_weights_;
  std::vector<std::uint32_t> labels_;
  std::unique_ptr<arma::mat> view_;
  softmix::SplitRows split_;
  bool split_used_ = false;
  softmix::Prior prior_;
  softmix::RowInfo info_;
};

// The core's settings from a softmix_control() list.
inline softmix::Control make_control(const Rcpp::List& control) {
  softmix::Control out;
  out.tol = Rcpp::as<double>(control["tol"]);
  out.max_iter = Rcpp::as<int>(control["max_iter"]);
  out.accelerate = Rcpp::as<bool>(control["accelerate"]);
  out.stopping = Rcpp::as<std::string>(control["stopping"]) == "aitken"
                     ? softmix::Stopping::aitken
                     : softmix::Stopping::relative;
  // Set by softmix() from its `fixed` argument, not by softmix_control().
  if (control.containsElementNamed("fixed")) {
    const Rcpp::CharacterVector fixed = control["fixed"];
    for (R_xlen_t i = 0; i < fixed.size(); ++i) {
      const std::string part = Rcpp::as<std::string>(fixed[i]);
      out.fixed.proportions = out.fixed.proportions || part == "proportions";
      out.fixed.means = out.fixed.means || part == "means";
      out.fixed.covariances = out.fixed.covariances || part == "covariances";
    }
  }
  return out;
}

inline double control_reg(const Rcpp::List& control) {
  return Rcpp::as<double>(control["reg"]);
}

// What every fit returns, with or without its n x K matrices: parameters,
// log-likelihood and traces, iterations, convergence, degeneracy and ICL's
// classification term.
inline NamedItems fit_fields(const softmix::Fit& fit, double log_max_posterior_sum) {
  return {{"parameters", params_to_list(fit.params)},
          {"loglik", Rcpp::wrap(fit.loglik)},
          {"loglik_trace", Rcpp::NumericVector(fit.loglik_trace.begin(), fit.loglik_trace.end())},
          {"log_posterior_trace",
           Rcpp::NumericVector(fit.log_posterior_trace.begin(), fit.log_posterior_trace.end())},
          {"iterations", Rcpp::wrap(fit.iterations)},
          {"converged", Rcpp::wrap(fit.converged)},
          {"degenerate", Rcpp::wrap(fit.degenerate)},
          {"log_max_posterior_sum", Rcpp::wrap(log_max_posterior_sum)}};
}

#endif  // SOFTMIX_CONVERT_H
