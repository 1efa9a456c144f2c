// Glue for softmix_hc() and hc_cut(): model-based hierarchical clustering.
#include <RcppArmadillo.h>

#include "convert.h"
#include "r_host.h"

// The merges as an (n - 1) x 2 matrix of 1-based smallest members.
// [[Rcpp::export(rng = false)]]
Rcpp::IntegerMatrix hc_cpp(const Rcpp::NumericMatrix& x, const std::string& model,
                           const std::string& use) {
  const arma::mat z = softmix::hc_transform(matrix_view(x), softmix::hc_use_from_code(use));
  RHost host;
  const std::vector<softmix::HcMerge> merges =
      softmix::hc_merges(z, softmix::hc_model_from_code(model), host);
  Rcpp::IntegerMatrix out(merges.size(), 2);
  for (std::size_t m = 0; m < merges.size(); ++m) {
    out(m, 0) = static_cast<int>(merges[m].first) + 1;
    out(m, 1) = static_cast<int>(merges[m].second) + 1;
  }
  return out;
}

// One column of 1-based labels per number of clusters in `k`.
// [[Rcpp::export(rng = false)]]
Rcpp::IntegerMatrix hc_partition_cpp(const Rcpp::IntegerMatrix& merges, int n,
                                     const Rcpp::IntegerVector& k) {
  std::vector<softmix::HcMerge> tree(merges.nrow());
  for (int m = 0; m < merges.nrow(); ++m) {
    tree[m] = softmix::HcMerge{static_cast<std::uint32_t>(merges(m, 0) - 1),
                               static_cast<std::uint32_t>(merges(m, 1) - 1)};
  }
  Rcpp::IntegerMatrix out(n, k.size());
  for (int c = 0; c < k.size(); ++c) {
    const std::vector<std::uint32_t> labels =
        softmix::hc_partition(tree, static_cast<std::size_t>(n), static_cast<std::size_t>(k[c]));
    for (int i = 0; i < n; ++i) out(i, c) = static_cast<int>(labels[i]) + 1;
  }
  return out;
}
