// Block partitioning, thread capping and the deterministic reduction that
// makes every result independent of the number of threads.
#ifndef SOFTMIX_PARALLEL_H
#define SOFTMIX_PARALLEL_H

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#define SOFTMIX_HAVE_MXCSR 1
#endif

#ifdef _OPENMP
#include <omp.h>
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define SOFTMIX_FORK_GUARD 1
#endif
#endif

namespace softmix {

// Points per block. Fixed, so the summation order never depends on threads.
constexpr std::size_t block_size = 256;

inline std::size_t block_count(std::size_t n) {
  return (n + block_size - 1) / block_size;
}

// GNU OpenMP's thread pool does not survive fork(): a child that starts a
// parallel region after its parent used one can hang (as in
// parallel::mclapply). A child therefore runs on one thread.
inline bool& in_forked_child() {
  static bool forked = false;
  return forked;
}

inline void mark_forked_child() {
  in_forked_child() = true;
}

inline void watch_for_fork() {
#ifdef SOFTMIX_FORK_GUARD
  static const int registered = pthread_atfork(nullptr, nullptr, mark_forked_child);
  (void)registered;
#endif
}

// The thread count to pass to num_threads(): the caller's request capped by
// OMP_THREAD_LIMIT and by the processors this process may run on (threads
// beyond them only wait on each other, and each holds a workspace), and 1
// in a forked child. omp_set_num_threads() is never
// called, because it would change the setting for R and every other package
// in the session. Every parallel region's count comes from here, so the
// fork handler is in place before the first region runs.
inline int cap_threads(int requested) {
  watch_for_fork();
  if (in_forked_child()) return 1;
  int threads = std::max(1, requested);
#ifdef _OPENMP
  threads = std::min({threads, omp_get_thread_limit(), omp_get_num_procs()});
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

// Sets the x86 flush-to-zero and denormals-are-zero modes for its lifetime,
// on the calling thread only, and restores the caller's modes after. Far
// from a component, responsibilities reach ~1e-300 and their products with
// the data fall below the smallest normal double (2.2e-308); arithmetic on
// such subnormal numbers takes the slow microcode path on x86 and made whole
// iterations twice as slow. Flushing them to zero changes sums by less than
// 1e-300 absolute. Elsewhere (ARM and others handle subnormals in hardware,
// or flush them by default) it does nothing.
class SubnormalsAsZero {
 public:
#ifdef SOFTMIX_HAVE_MXCSR
  SubnormalsAsZero() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | flush_to_zero | denormals_are_zero);
  }
  ~SubnormalsAsZero() {
    _mm_setcsr(saved_);
  }

 private:
  static constexpr unsigned int flush_to_zero = 0x8000;
  static constexpr unsigned int denormals_are_zero = 0x0040;
  unsigned int saved_;
#else
  SubnormalsAsZero() {}
#endif
  SubnormalsAsZero(const SubnormalsAsZero&) = delete;
  SubnormalsAsZero& operator=(const SubnormalsAsZero&) = delete;
};

// Work, in multiply-adds, below which a second thread is not worth waking:
// about a millisecond of arithmetic. On a busy machine a thread of a
// parallel region can be descheduled, and the others then wait a whole
// scheduler time slice at the region's barrier; work shares shorter than
// that cost more than they save. Work that small runs on the calling thread
// without entering a parallel region.
constexpr double min_thread_work = 2.0 * 1024 * 1024;

// The threads worth using for `work` multiply-adds: at most n_threads, and
// one per min_thread_work.
inline int threads_for_work(int n_threads, double work) {
  const double useful = std::floor(work / min_thread_work);
  if (!(useful >= 2.0)) return 1;
  return std::max(1, std::min(n_threads, static_cast<int>(std::min(useful, 1e6))));
}

// The work of one fused E and M pass over n rows with K components in d
// dimensions, per row: the triangular product and the scatter (about d^2
// multiply-adds for each component) plus the exp, the log-sum-exp share and
// the sums (a few dozen). The same measure throttles every pass over the
// data, each with its own per-row work.
inline double pass_row_work(std::size_t d, std::size_t k) {
  const double dd = static_cast<double>(d);
  return static_cast<double>(k) * (dd * dd + 2.0 * dd + 24.0);
}

// Blocks whose partial sums share one buffer: 2,048 points. A chunk's
// buffer is zeroed, filled and added into the total once, so the chunk must
// be long next to that; in a parallel pass each chunk also writes a buffer
// of its own, and a buffer per block of 256 points made the two-thread pass
// at small d write and re-read megabytes of partial sums. Short enough that
// a pass of 100,000 rows still has 49 chunks to share out. A constant, so
// the summation order never depends on the threads.
constexpr std::size_t chunk_blocks = 8;

// Runs body(block, begin, end, thread, partial) for every block of points,
// where the body adds the block's sums into `partial` (buffer_length
// doubles), and finish(thread, partial) after the last block of each
// chunk, on the chunk's thread. Consecutive blocks form chunks that share a
// zeroed buffer; the chunk buffers are added into `total` in chunk order.
// Chunks and waves have sizes that depend only on buffer_length, so the
// floating-point summation order, and with it every bit of the result, is
// the same for any thread count. `row_work` is the work of one row, in multiply-adds: a pass too
// small to share (see threads_for_work()) runs on the calling thread, with
// the same additions in the same order, without a parallel region. The body
// must not throw and must not touch the R API.
template <typename Body, typename Finish>
void reduce_blocks(std::size_t n, std::size_t buffer_length, int n_threads, double row_work,
                   std::vector<double>& total, Body&& body, Finish&& finish) {
  total.assign(buffer_length, 0.0);
  const std::size_t n_blocks = block_count(n);
  if (n_blocks == 0) return;
  const std::size_t n_chunks = (n_blocks + chunk_blocks - 1) / chunk_blocks;
  const long long length = static_cast<long long>(buffer_length);
  const auto run_chunk = [&](std::size_t chunk, int thread, double* partial) {
    const SubnormalsAsZero fast_arithmetic;
    std::fill(partial, partial + length, 0.0);
    const std::size_t last_block = std::min(n_blocks, (chunk + 1) * chunk_blocks);
    for (std::size_t block = chunk * chunk_blocks; block < last_block; ++block) {
      const std::size_t begin = block * block_size;
      body(block, begin, std::min(n, begin + block_size), thread, partial);
    }
    finish(thread, partial);
  };
  n_threads = threads_for_work(n_threads, static_cast<double>(n) * row_work);
  if (n_threads == 1 || n_chunks == 1) {
    // Each total gets the chunks' partial sums added one by one in chunk
    // order, as in the parallel code below.
    std::unique_ptr<double[]> partial(new double[buffer_length]);
    double* total_data = total.data();
    for (std::size_t chunk = 0; chunk < n_chunks; ++chunk) {
      run_chunk(chunk, 0, partial.get());
      for (long long e = 0; e < length; ++e) total_data[e] += partial[e];
    }
    return;
  }
  // About 8 MB of partial sums per wave, but at least 16 chunks so that up
  // to 16 threads have work. Small buffers make few waves, and so few
  // parallel regions, whose barriers cost most on a busy machine.
  const std::size_t budget = (std::size_t(1) << 20) / std::max<std::size_t>(buffer_length, 1);
  const std::size_t wave = std::min(n_chunks, std::max<std::size_t>(16, budget));
  // Not zero-initialised here: each chunk zeroes its own buffer.
  std::unique_ptr<double[]> partials(new double[wave * buffer_length]);
  for (std::size_t first = 0; first < n_chunks; first += wave) {
    const long long in_wave = static_cast<long long>(std::min(wave, n_chunks - first));
    double* partial_data = partials.get();
    double* total_data = total.data();
    // Strip by strip of the buffer, chunk by chunk within a strip: each
    // element gets the same additions in the same order as summing it over
    // the chunks on its own, but every partial buffer is read contiguously
    // and the strip of totals stays in the L1 cache. The strips are shared
    // out in the same parallel region as the chunks, after the barrier that
    // ends the chunk loop: a second region would add a second fork and join.
    constexpr long long strip = 512;
    const long long n_strips = (length + strip - 1) / strip;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads) if (in_wave > 1)
#endif
    {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
      for (long long c = 0; c < in_wave; ++c) {
        run_chunk(first + static_cast<std::size_t>(c), thread_index(), partial_data + c * length);
      }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
      for (long long s = 0; s < n_strips; ++s) {
        const long long strip_end = std::min(length, (s + 1) * strip);
        for (long long c = 0; c < in_wave; ++c) {
          const double* partial = partial_data + c * length;
          for (long long e = s * strip; e < strip_end; ++e) total_data[e] += partial[e];
        }
      }
    }
  }
}

// reduce_blocks() with nothing to finish at the end of a chunk.
template <typename Body>
void reduce_blocks(std::size_t n, std::size_t buffer_length, int n_threads, double row_work,
                   std::vector<double>& total, Body&& body) {
  reduce_blocks(n, buffer_length, n_threads, row_work, total, std::forward<Body>(body),
                [](int, double*) {});
}

// Runs body(begin, end, thread) over all blocks when no sums are needed;
// `row_work` throttles the threads as in reduce_blocks().
template <typename Body>
void for_each_block(std::size_t n, int n_threads, double row_work, Body&& body) {
  const long long n_blocks = static_cast<long long>(block_count(n));
  n_threads = threads_for_work(n_threads, static_cast<double>(n) * row_work);
  const auto run_block = [&](long long b, int thread) {
    const SubnormalsAsZero fast_arithmetic;
    const std::size_t begin = static_cast<std::size_t>(b) * block_size;
    body(begin, std::min(n, begin + block_size), thread);
  };
  if (n_threads == 1 || n_blocks < 2) {
    for (long long b = 0; b < n_blocks; ++b) run_block(b, 0);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
#endif
  for (long long b = 0; b < n_blocks; ++b) run_block(b, thread_index());
}

}  // namespace softmix

#endif  // SOFTMIX_PARALLEL_H
