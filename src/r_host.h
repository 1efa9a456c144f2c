// What the core asks of R: its random number generator and interrupts,
// both used on the main thread only, between parallel regions.
#ifndef SOFTMIX_R_HOST_H
#define SOFTMIX_R_HOST_H

#include <RcppArmadillo.h>

struct RHost {
  // Rcpp::checkUserInterrupt() throws, so C++ destructors run on Ctrl-C.
  void check_interrupt() { Rcpp::checkUserInterrupt(); }
  // The exported functions hold Rcpp's RNGScope, so set.seed() governs this.
  double uniform() { return R::unif_rand(); }
};

#endif  // SOFTMIX_R_HOST_H
