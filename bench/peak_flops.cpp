// The machine's double-precision FMA peak, the yardstick for softmix's
// GFLOP/s. Compiled by bench/run.R with Rcpp::sourceCpp().
//
// Each thread runs kChains independent FMA chains on full-width vectors:
// an FMA has a latency of about 4 cycles and modern cores issue two per
// cycle, so at least 8 chains in flight are needed to keep both FMA ports
// busy; 12 leave headroom without spilling registers. The target
// attributes give the kernels AVX-512 / AVX2 code even though R compiles
// with plain -O2 (no -march), the same way softmix's own kernels do.

// [[Rcpp::plugins(openmp)]]
#include <Rcpp.h>

#include <chrono>
#include <immintrin.h>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

constexpr int kChains = 12;

// acc = acc * a + b converges to b / (1 - a), so the values stay normal
// (no overflow, no denormals) however long it runs. The unroll pragma keeps
// the chains in registers: at -O2 GCC would otherwise loop over an array on
// the stack and measure store-to-load latency instead of FMA throughput.
__attribute__((target("avx512f,fma"))) double fma_chains_512(long n_iter) {
  __m512d acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_pd(1.0 + c * 1e-3);
  const __m512d a = _mm512_set1_pd(0.999999);
  const __m512d b = _mm512_set1_pd(1e-6);
  for (long i = 0; i < n_iter; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_pd(acc[c], a, b);
  }
  __m512d sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm512_add_pd(sum, acc[c]);
  return _mm512_reduce_add_pd(sum);
}

__attribute__((target("avx2,fma"))) double fma_chains_256(long n_iter) {
  __m256d acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_pd(1.0 + c * 1e-3);
  const __m256d a = _mm256_set1_pd(0.999999);
  const __m256d b = _mm256_set1_pd(1e-6);
  for (long i = 0; i < n_iter; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_pd(acc[c], a, b);
  }
  __m256d sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm256_add_pd(sum, acc[c]);
  double lanes[4];
  _mm256_storeu_pd(lanes, sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

}  // namespace

// Which vector width the peak is measured with: "avx512", "avx2" or "none".
// [[Rcpp::export]]
std::string peak_isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
  return "none";
}

// GFLOP/s of `n_threads` threads each running `n_iter` rounds of the chains
// (2 flops per lane per FMA). Returns NA when the CPU has neither ISA.
// [[Rcpp::export]]
double peak_gflops(int n_threads, double n_iter = 2e7) {
  const std::string isa = peak_isa();
  if (isa == "none") return NA_REAL;
  const int lanes = isa == "avx512" ? 8 : 4;
  const long iters = static_cast<long>(n_iter);
  double sink = 0.0;
  const auto start = std::chrono::steady_clock::now();
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads) reduction(+ : sink)
#endif
  {
    sink += isa == "avx512" ? fma_chains_512(iters) : fma_chains_256(iters);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Use the result so the compiler cannot drop the loops.
  if (sink == 42.0) Rcpp::Rcout << "";
#ifdef _OPENMP
  const int threads_run = n_threads;
#else
  const int threads_run = 1;
#endif
  const double flops = 2.0 * lanes * kChains * static_cast<double>(iters) * threads_run;
  return flops / seconds / 1e9;
}
