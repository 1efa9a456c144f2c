// Block partitioning, thread capping and the deterministic reduction that
// makes every result independent of the number of threads.
#ifndef SOFTMIX_PARALLEL_H
#define SOFTMIX_PARALLEL_H

#include <algorithm>
#include <cstddef>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace softmix {

// Points per block. Fixed, so the summation order never depends on threads.
constexpr std::size_t block_size = 256;

inline std::size_t block_count(std::size_t n) {
  return (n + block_size - 1) / block_size;
}

// The thread count to pass to num_threads(): the caller's request capped by
// OMP_THREAD_LIMIT. omp_set_num_threads() is never called, because it would
// change the setting for R and every other package in the session.
inline int cap_threads(int requested) {
  int threads = std::max(1, requested);
#ifdef _OPENMP
  threads = std::min(threads, omp_get_thread_limit());
#else
  threads = 1;
#endif
  return std::max(1, threads);
}

inline int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// The largest thread count OpenMP would use here, or 1 without OpenMP.
inline int available_threads() {
#ifdef _OPENMP
  return std::max(1, std::min(omp_get_max_threads(), omp_get_thread_limit()));
#else
  return 1;
#endif
}

// Runs body(block, begin, end, thread, partial) for every block of points and
// adds each block's partial sums (buffer_length doubles, zeroed beforehand)
// into `total` in block order. Blocks are processed in waves of a size that
// depends only on buffer_length, so the floating-point summation order, and
// with it every bit of the result, is the same for any thread count. The body
// must not throw and must not touch the R API.
template <typename Body>
void reduce_blocks(std::size_t n, std::size_t buffer_length, int n_threads,
                   std::vector<double>& total, Body&& body) {
  total.assign(buffer_length, 0.0);
  const std::size_t n_blocks = block_count(n);
  if (n_blocks == 0) return;
  // About 8 MB of partial sums per wave, but at least 16 blocks so that up to
  // 16 threads have work.
  const std::size_t budget = (std::size_t(1) << 20) / std::max<std::size_t>(buffer_length, 1);
  const std::size_t wave =
      std::min(n_blocks, std::max<std::size_t>(16, std::min<std::size_t>(budget, 256)));
  std::vector<double> partials(wave * buffer_length);
  const long long length = static_cast<long long>(buffer_length);
  for (std::size_t first = 0; first < n_blocks; first += wave) {
    const long long in_wave = static_cast<long long>(std::min(wave, n_blocks - first));
    double* partial_data = partials.data();
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) \
    schedule(dynamic, 1) if (n_threads > 1 && in_wave > 1)
#endif
    for (long long b = 0; b < in_wave; ++b) {
      double* partial = partial_data + b * length;
      std::fill(partial, partial + length, 0.0);
      const std::size_t block = first + static_cast<std::size_t>(b);
      const std::size_t begin = block * block_size;
      const std::size_t end = std::min(n, begin + block_size);
      body(block, begin, end, thread_index(), partial);
    }
    double* total_data = total.data();
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if (n_threads > 1 && length * in_wave > 65536)
#endif
    for (long long e = 0; e < length; ++e) {
      double sum = total_data[e];
      for (long long b = 0; b < in_wave; ++b) sum += partial_data[b * length + e];
      total_data[e] = sum;
    }
  }
}

// Runs body(begin, end, thread) over all blocks when no sums are needed.
template <typename Body>
void for_each_block(std::size_t n, int n_threads, Body&& body) {
  const long long n_blocks = static_cast<long long>(block_count(n));
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) \
    schedule(dynamic, 1) if (n_threads > 1 && n_blocks > 1)
#endif
  for (long long b = 0; b < n_blocks; ++b) {
    const std::size_t begin = static_cast<std::size_t>(b) * block_size;
    body(begin, std::min(n, begin + block_size), thread_index());
  }
}

}  // namespace softmix

#endif  // SOFTMIX_PARALLEL_H
