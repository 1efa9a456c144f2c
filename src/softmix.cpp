// The package's single translation unit. The glue files are compiled
// together, with RcppExports.cpp last, so that the header-only core in
// inst/include/softmix (with Armadillo, Rcpp and three instruction sets of
// kernels) is instantiated, and its debug information emitted, once instead
// of once per file. Makevars lists this object alone in OBJECTS; a new glue
// file must be included here.
#include "elsewhere.cpp"
#include "fit.cpp"
#include "hc.cpp"
#include "steps.cpp"
#include "RcppExports.cpp"
