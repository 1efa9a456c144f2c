// Armadillo's gmm_full / gmm_diag as a benchmark peer for softmix.
//
// Compiled by bench/run.R with Rcpp::sourceCpp(). RcppArmadillo defines
// ARMA_USE_OPENMP when R was built with OpenMP, so the EM loop of
// gmm_full/gmm_diag runs one chunk of points per OpenMP thread.

// [[Rcpp::depends(RcppArmadillo)]]
// [[Rcpp::plugins(openmp)]]
#include <RcppArmadillo.h>

#ifdef _OPENMP
#include <omp.h>
#endif

// Runs one EM fit with `n_threads` OpenMP threads and puts the caller's
// setting back afterwards, so the thread count never leaks into softmix's or
// anyone else's parallel regions in this R process.
class thread_scope {
 public:
  explicit thread_scope(int n_threads) {
#ifdef _OPENMP
    old_ = omp_get_max_threads();
    omp_set_num_threads(n_threads);
#endif
  }
  ~thread_scope() {
#ifdef _OPENMP
    omp_set_num_threads(old_);
#endif
  }

 private:
  int old_ = 1;
};

// Whether this build of the peer runs in parallel at all (reported in the
// results, so a 2-thread column that equals the 1-thread one is explained).
// [[Rcpp::export]]
bool arma_gmm_uses_openmp() {
#if defined(ARMA_USE_OPENMP) && defined(_OPENMP)
  return true;
#else
  return false;
#endif
}

// Fixed number of EM iterations of an Armadillo GMM from the given
// parameters; `covariances(model)` reads the fitted covariances back (fcovs
// or dcovs). `data` is d x n (one point per column, as Armadillo wants),
// `means` d x K, `hefts` the K mixing proportions. km_iter = 0 and
// keep_existing make learn() start from exactly these parameters. Armadillo
// stops early only when the average log-likelihood changes by less than
// machine epsilon; run.R checks that this cannot have happened.
template <typename Gmm, typename Covs, typename Read>
Rcpp::List learn_from(const char* name, const arma::mat& data, const arma::mat& means,
                      const Covs& covs, const arma::rowvec& hefts, int n_iter, int n_threads,
                      double var_floor, Read covariances) {
  thread_scope threads(n_threads);
  Gmm model;
  model.set_params(means, covs, hefts);
  const bool ok = model.learn(data, means.n_cols, arma::eucl_dist, arma::keep_existing, 0,
                              n_iter, var_floor, false);
  if (!ok) Rcpp::stop("%s::learn() failed", name);
  return Rcpp::List::create(
      Rcpp::Named("hefts") = Rcpp::NumericVector(model.hefts.begin(), model.hefts.end()),
      Rcpp::Named("means") = Rcpp::wrap(model.means),
      Rcpp::Named("covs") = Rcpp::wrap(covariances(model)));
}

// gmm_full: `covs` is d x d x K.
// [[Rcpp::export]]
Rcpp::List arma_gmm_full(const arma::mat& data, const arma::mat& means,
                         const arma::cube& covs, const arma::rowvec& hefts,
                         int n_iter, int n_threads, double var_floor = 1e-10) {
  return learn_from<arma::gmm_full>("gmm_full", data, means, covs, hefts, n_iter, n_threads,
                                    var_floor, [](const arma::gmm_full& m) { return m.fcovs; });
}

// gmm_diag: `covs` is d x K (the variances of each component in a column).
// [[Rcpp::export]]
Rcpp::List arma_gmm_diag(const arma::mat& data, const arma::mat& means,
                         const arma::mat& covs, const arma::rowvec& hefts,
                         int n_iter, int n_threads, double var_floor = 1e-10) {
  return learn_from<arma::gmm_diag>("gmm_diag", data, means, covs, hefts, n_iter, n_threads,
                                    var_floor, [](const arma::gmm_diag& m) { return m.dcovs; });
}
