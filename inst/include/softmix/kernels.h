// The hot loops compiled for several instruction sets, and the choice among
// them at run time. R builds packages with -O2 and no -march, so code left
// to the compiler's defaults is SSE2-only; here kernel_impl.h is compiled
// again under target pragmas for AVX2+FMA and AVX-512, and the CPU picks.
// Other compilers and architectures get the portable copy.
#ifndef SOFTMIX_KERNELS_H
#define SOFTMIX_KERNELS_H

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "model.h"
#include "parallel.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(SOFTMIX_SCALAR_KERNELS)
#define SOFTMIX_VECTOR_EXTENSIONS 1
#endif

// Run-time dispatch needs GCC's or Clang's target pragmas and CPU detection
// on x86-64. Left off on Windows, where GCC does not align the stack for
// 32- and 64-byte vectors.
#if defined(SOFTMIX_VECTOR_EXTENSIONS) && defined(__x86_64__) && !defined(_WIN32) && \
    !defined(SOFTMIX_NO_DISPATCH)
#define SOFTMIX_X86_DISPATCH 1
#endif

namespace softmix {

// Rows of U' computed together by mahalanobis_full(), as packed in model.h.
constexpr std::size_t factor_rows = factor_group;
// The most points mahalanobis_full() centres at once: four 512-bit vectors.
constexpr std::size_t max_tile_width = 32;

// The full scatter of the M step is accumulated in a packed layout that
// does not depend on the instruction set: the upper triangle of the d x d
// moment in panels of moment_rows rows; panel p holds, for each column b
// from p * moment_rows to padded_dim(d) - 1, the rows p * moment_rows ..
// (p + 1) * moment_rows - 1 of that column, contiguous. Columns and rows
// past d are padding. A kernel tile then loads and stores whole vectors.
constexpr std::size_t moment_rows = 8;

inline std::size_t padded_dim(std::size_t d) {
  return (d + moment_rows - 1) / moment_rows * moment_rows;
}

inline std::size_t moment_panel_offset(std::size_t d, std::size_t panel) {
  return moment_rows * (panel * padded_dim(d) - moment_rows * panel * (panel - 1) / 2);
}

inline std::size_t packed_moment_length(std::size_t d) {
  return moment_panel_offset(d, padded_dim(d) / moment_rows);
}

// Where entry (a, b), a <= b, of the moment lives in the packed layout.
inline std::size_t packed_moment_index(std::size_t d, std::size_t a, std::size_t b) {
  const std::size_t panel = a / moment_rows;
  const std::size_t first = panel * moment_rows;
  return moment_panel_offset(d, panel) + (b - first) * moment_rows + (a - first);
}

// Points per tile of the row-wise scatter: the tile's rows and their
// weighted centred copy (2 x 8 x padded_dim(d) bytes a point) then take at
// most 24 KiB, half the L1 data cache of current x86 cores, and stay there
// while every panel of the moment is updated from them.
inline std::size_t scatter_tile_points(std::size_t d) {
  return std::min<std::size_t>(block_size, std::max<std::size_t>(8, 1536 / padded_dim(d)));
}

// Whether the moment is accumulated from point-major rows (scatter_rows())
// rather than with vectors along the points (scatter_full()). The row
// kernel computes whole panels of 8 rows, 32 q (q + 1) entries for
// q = ceil(d / 8), against 8 t (t + 1) in 4 x 4 tiles for t = ceil(d / 4);
// it computes an entry about 1.5 times as fast, so it is used where it
// computes at most 1.5 times as many, and not for d <= 8, where building
// its weighted rows costs more than the products.
inline bool uses_row_scatter(std::size_t d) {
  const std::size_t q = (d + 7) / 8, t = (d + 3) / 4;
  return d > 8 && 2 * 32 * q * (q + 1) <= 3 * 8 * t * (t + 1);
}

// The most doubles a vector of any kernel set holds (AVX-512's eight).
constexpr std::size_t max_lanes = 8;

namespace kernel_portable {
#ifdef SOFTMIX_VECTOR_EXTENSIONS
typedef double vec_t __attribute__((vector_size(16)));
typedef long long ivec_t __attribute__((vector_size(16)));
#else
typedef double vec_t;
typedef long long ivec_t;
#endif
constexpr bool wide_tiles = false;  // 16 SSE registers
#include "kernel_impl.h"
}  // namespace kernel_portable

#ifdef SOFTMIX_X86_DISPATCH
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace kernel_avx2 {
typedef double vec_t __attribute__((vector_size(32)));
typedef long long ivec_t __attribute__((vector_size(32)));
constexpr bool wide_tiles = false;  // 16 AVX registers
#include "kernel_impl.h"
}  // namespace kernel_avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#endif
namespace kernel_avx512 {
typedef double vec_t __attribute__((vector_size(64)));
typedef long long ivec_t __attribute__((vector_size(64)));
constexpr bool wide_tiles = true;  // 32 AVX-512 registers
#include "kernel_impl.h"
}  // namespace kernel_avx512
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // SOFTMIX_X86_DISPATCH

// One instruction set's kernels.
struct Kernels {
  const char* name;
  void (*mahalanobis_full)(const double*, std::size_t, std::size_t, const double*, const double*,
                           std::size_t, const double*, double*, double*);
  void (*mahalanobis_diagonal)(const double*, std::size_t, const double*, const double*, double,
                               double*);
  void (*scatter_full)(const double*, std::size_t, const double*, const double*, const double*,
                       double*, double*);
  void (*scatter_lanes)(const double*, std::size_t, const double*, const double*, double*);
  std::size_t (*scatter_lanes_length)(std::size_t);
  void (*flush_scatter_lanes)(std::size_t, double*, double*, double*);
  void (*transpose_panel)(const double*, std::size_t, double*);
  void (*scatter_rows)(const double*, std::size_t, std::size_t, const double*, const double*,
                       const double*, double*, double*, double*, double*);
  void (*moments_diagonal)(const double*, std::size_t, const double*, const double*, double*,
                           double*);
  double (*responsibilities)(const double*, std::size_t, std::size_t, double*, double*);
  double (*block_sum)(const double*);
  void (*scaled_copy)(const double*, double, std::size_t, double*);
  void (*row_maxima)(const double*, std::size_t, std::size_t, std::size_t, double*, double*);
};

#define SOFTMIX_KERNEL_SET(ns, label)                                                              \
  Kernels {                                                                                        \
    label, ns::mahalanobis_full, ns::mahalanobis_diagonal, ns::scatter_full, ns::scatter_lanes,    \
        ns::scatter_lanes_length, ns::flush_scatter_lanes, ns::transpose_panel, ns::scatter_rows,  \
        ns::moments_diagonal, ns::responsibilities, ns::block_sum, ns::scaled_copy, ns::row_maxima \
  }

// The instruction sets this machine can run, best last.
inline std::vector<std::string> supported_kernels() {
  std::vector<std::string> names{"portable"};
#ifdef SOFTMIX_X86_DISPATCH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) names.push_back("avx2");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
    names.push_back("avx512");
  }
#endif
  return names;
}

inline Kernels kernels_named(const std::string& name) {
#ifdef SOFTMIX_X86_DISPATCH
  if (name == "avx512") return SOFTMIX_KERNEL_SET(kernel_avx512, "avx512");
  if (name == "avx2") return SOFTMIX_KERNEL_SET(kernel_avx2, "avx2");
#endif
  (void)name;
  return SOFTMIX_KERNEL_SET(kernel_portable, "portable");
}

// The kernels in use: the best this CPU supports, unless set_kernels() (from
// R: the option softmix.kernel) or the environment variable SOFTMIX_KERNEL
// names another supported one.
inline Kernels& active_kernels() {
  static Kernels active = [] {
    const std::vector<std::string> names = supported_kernels();
    const char* forced = std::getenv("SOFTMIX_KERNEL");
    if (forced != nullptr &&
        std::find(names.begin(), names.end(), std::string(forced)) != names.end()) {
      return kernels_named(forced);
    }
    return kernels_named(names.back());
  }();
  return active;
}

// Selects kernels by name; false (and no change) if this CPU lacks them.
inline bool set_kernels(const std::string& name) {
  const std::vector<std::string> names = supported_kernels();
  if (std::find(names.begin(), names.end(), name) == names.end()) return false;
  active_kernels() = kernels_named(name);
  return true;
}

}  // namespace softmix

#endif  // SOFTMIX_KERNELS_H
