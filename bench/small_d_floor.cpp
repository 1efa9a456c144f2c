// The parts of the small-d floor that bench/small-d.R measures in the same
// run as the fits: the throughput of softmix's own vectorised exp, run
// alone, and the rate at which the machine streams a large array from
// memory. Compiled with Rcpp::sourceCpp() against the installed softmix's
// headers, so the exp timed is the one the installed kernels use.

// [[Rcpp::depends(RcppArmadillo, softmix)]]
// [[Rcpp::plugins(openmp)]]
#include <RcppArmadillo.h>

#include <chrono>
#include <vector>

#include <softmix/kernels.h>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

// Values per exp sweep: one block's K x block_size log-densities for K = 8,
// as the E step exponentiates them, in the L1 cache.
constexpr std::size_t sweep_values = 8 * softmix::block_size;

// Exponentiates `in` into `out`, `rounds` times, with one instruction set's
// exp_lanes(): the loop of exp_in_place(), reading from a second array so
// that every round starts from the same arguments.
#define SOFTMIX_EXP_SWEEPS(ns)                                         \
  double exp_sweeps_##ns(const double* in, double* out, long rounds) { \
    using namespace softmix::ns;                                       \
    double sink = 0.0;                                                 \
    for (long r = 0; r < rounds; ++r) {                                \
      for (std::size_t i = 0; i < sweep_values; i += lanes) {          \
        store(out + i, exp_lanes(load(in + i)));                       \
      }                                                                \
      sink += out[static_cast<std::size_t>(r) % sweep_values];         \
    }                                                                  \
    return sink;                                                       \
  }

SOFTMIX_EXP_SWEEPS(kernel_portable)
#ifdef SOFTMIX_X86_DISPATCH
__attribute__((target("avx2,fma"))) SOFTMIX_EXP_SWEEPS(kernel_avx2)
    __attribute__((target("avx512f,avx512dq,avx2,fma"))) SOFTMIX_EXP_SWEEPS(kernel_avx512)
#endif

        double exp_sweeps(const std::string& kernel, const double* in, double* out, long rounds) {
#ifdef SOFTMIX_X86_DISPATCH
  if (kernel == "avx512") return exp_sweeps_kernel_avx512(in, out, rounds);
  if (kernel == "avx2") return exp_sweeps_kernel_avx2(in, out, rounds);
#endif
  return exp_sweeps_kernel_portable(in, out, rounds);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Exponentials per second of softmix's exp with the named kernel ("avx512",
// "avx2" or "portable") on `n_threads` threads, each sweeping its own
// L1-resident array `rounds` times. Arguments spread over [-40, 0], the
// range of shifted log-densities.
// [[Rcpp::export]]
double exp_rate(std::string kernel, int n_threads, double rounds = 2e4) {
  const long n_rounds = static_cast<long>(rounds);
  double sink = 0.0;
  const auto start = std::chrono::steady_clock::now();
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads) reduction(+ : sink)
#endif
  {
    std::vector<double> in(sweep_values), out(sweep_values);
    for (std::size_t i = 0; i < sweep_values; ++i) in[i] = -40.0 * (i % 97) / 97.0;
    sink += exp_sweeps(kernel, in.data(), out.data(), n_rounds);
  }
  const double seconds = seconds_since(start);
  if (sink == 42.0) Rcpp::Rcout << "";
#ifdef _OPENMP
  const double threads = n_threads;
#else
  const double threads = 1;
#endif
  return threads * static_cast<double>(sweep_values) * rounds / seconds;
}

// Bytes per second read by `n_threads` threads summing a `megabytes` array
// (far larger than the caches) once, each its own contiguous share, with
// eight independent sums so that the adds never wait on one another.
// [[Rcpp::export]]
double read_bandwidth(int n_threads, double megabytes = 1024) {
  const std::size_t n = static_cast<std::size_t>(megabytes * 1024 * 1024 / sizeof(double));
  std::vector<double> data(n);
  // Touched by the threads that read it, so that pages are where they are used.
  const long long count = static_cast<long long>(n);
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) schedule(static)
#endif
  for (long long i = 0; i < count; ++i) data[i] = 1e-9 * static_cast<double>(i % 1000);
  double sink = 0.0;
  const auto start = std::chrono::steady_clock::now();
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads) reduction(+ : sink)
#endif
  {
#ifdef _OPENMP
    const long long threads = omp_get_num_threads(), me = omp_get_thread_num();
#else
    const long long threads = 1, me = 0;
#endif
    const long long share = (count / threads) / 8 * 8;
    const double* p = data.data() + me * share;
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long long i = 0; i < share; i += 8) {
      for (int l = 0; l < 8; ++l) s[l] += p[i + l];
    }
    for (int l = 0; l < 8; ++l) sink += s[l];
  }
  const double seconds = seconds_since(start);
  if (sink == 42.0) Rcpp::Rcout << "";
  return static_cast<double>(count) * sizeof(double) / seconds;
}
