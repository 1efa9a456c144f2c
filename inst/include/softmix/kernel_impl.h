// The hot loops of the E and M steps, written once on the vector type
// `vec_t` of the enclosing namespace and compiled once per instruction set by
// kernels.h. Deliberately without an include guard. Points run along the
// vectors: every array is d rows of `block_size` consecutive points.

constexpr std::size_t lanes = sizeof(vec_t) / sizeof(double);

inline vec_t load(const double* p) {
  vec_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store(double* p, vec_t v) {
  std::memcpy(p, &v, sizeof v);
}

inline vec_t splat(double s) {
  vec_t v{};
  return v + s;
}

inline double horizontal_sum(vec_t v) {
  double parts[lanes];
  std::memcpy(parts, &v, sizeof v);
  double sum = 0.0;
  for (std::size_t l = 0; l < lanes; ++l) sum += parts[l];
  return sum;
}

// exp() on every lane: Cody-Waite reduction x = n log 2 + r, |r| <= log(2)/2,
// a degree-13 Taylor polynomial (truncation error below 1e-17 relative) and
// the exponent built from bits. exp of anything below -708.39 is 0, which
// only ever happens to terms that vanish next to the largest.
inline vec_t exp_lanes(vec_t x) {
  const vec_t lowest = splat(-708.39);
  const vec_t clamped = x < lowest ? lowest : x;
  const vec_t shifter = splat(6755399441055744.0);  // 1.5 * 2^52 rounds to integers
  const vec_t shifted = clamped * 1.4426950408889634074 + shifter;
  const vec_t n = shifted - shifter;
  vec_t r = clamped - n * 0.693147180559890330187;  // log(2) split hi + lo
  r = r - n * 5.49792301870850242e-14;
  vec_t p = splat(1.0 / 6227020800.0);
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // The low bits of `shifted` hold n; 2^n is (n + 1023) << 52.
  ivec_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits = (bits - ivec_t{} - 0x4338000000000000LL + 1023) << 52;
  vec_t scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const vec_t result = p * scale;
  return x < lowest ? splat(0.0) : result;
}

inline void exp_in_place(double* values, std::size_t count) {
  for (std::size_t i = 0; i < count; i += lanes) store(values + i, exp_lanes(load(values + i)));
}

// distance[b] = ||U' c_b||^2 for the `vectors` vectors of centred points
// c in `tile` (rows of tile_width points): four rows of U' c at a time, kept
// in registers. `packed` is the factor of pack_factor(): for each group of
// four columns of U, the entries U[j, i0..i0+3] for every j up to the
// group's end.
template <std::size_t vectors>
inline void mahalanobis_tile(const double* tile, std::size_t d, const double* packed,
                             double* distance) {
  constexpr std::size_t tile_width = vectors * lanes;
  vec_t q[vectors] = {};
  const double* factor = packed;
  for (std::size_t i0 = 0; i0 < d; i0 += factor_rows) {
    const std::size_t j_end = std::min(d, i0 + factor_rows);
    vec_t a0[vectors] = {}, a1[vectors] = {}, a2[vectors] = {}, a3[vectors] = {};
    for (std::size_t j = 0; j < j_end; ++j) {
      const double* u = factor + j * factor_rows;
      const double* row = tile + j * tile_width;
#pragma GCC unroll 4
      for (std::size_t v = 0; v < vectors; ++v) {
        const vec_t x = load(row + v * lanes);
        a0[v] += u[0] * x;
        a1[v] += u[1] * x;
        a2[v] += u[2] * x;
        a3[v] += u[3] * x;
      }
    }
    factor += j_end * factor_rows;
#pragma GCC unroll 4
    for (std::size_t v = 0; v < vectors; ++v) {
      q[v] += a0[v] * a0[v] + a1[v] * a1[v] + a2[v] * a2[v] + a3[v] * a3[v];
    }
  }
#pragma GCC unroll 4
  for (std::size_t v = 0; v < vectors; ++v) store(distance + v * lanes, q[v]);
}

// distance[b] = ||U' (x_b - mean)||^2 for every point of the panel. Each
// tile of points is centred into `scratch` (d x 32 doubles at most) first:
// small enough to stay in the L1 cache while the triangular product reads
// it d / 4 times, where a centred copy of the whole block would not.
inline void mahalanobis_full(const double* panel, std::size_t d, const double* mean,
                             const double* packed, double* scratch, double* distance) {
  // Four vectors of points with 32 registers, two with 16.
  constexpr std::size_t vectors = wide_tiles ? 4 : 2;
  constexpr std::size_t tile_width = vectors * lanes;
  static_assert(block_size % tile_width == 0, "tiles must cover the block");
  for (std::size_t p0 = 0; p0 < block_size; p0 += tile_width) {
    for (std::size_t j = 0; j < d; ++j) {
      const double* in = panel + j * block_size + p0;
      double* out = scratch + j * tile_width;
      for (std::size_t v = 0; v < vectors; ++v) {
        store(out + v * lanes, load(in + v * lanes) - mean[j]);
      }
    }
    mahalanobis_tile<vectors>(scratch, d, packed, distance + p0);
  }
}

// The same for a diagonal factor (precision square roots u_j), straight from
// the panel: O(d), and no centred copy, which would cost more memory traffic
// than the arithmetic it saves.
inline void mahalanobis_diagonal(const double* panel, std::size_t d, const double* mean,
                                 const double* root_precision, double* distance) {
  for (std::size_t p0 = 0; p0 < block_size; p0 += lanes) {
    vec_t q{};
    for (std::size_t j = 0; j < d; ++j) {
      const vec_t z = (load(panel + j * block_size + p0) - mean[j]) * root_precision[j];
      q += z * z;
    }
    store(distance + p0, q);
  }
}

// centred = panel - centre, weighted = r * centred and sums[j] += the row
// sums of weighted, in one pass over the panel.
inline void centre_and_weight(const double* panel, std::size_t d, const double* centre,
                              const double* r, double* centred, double* weighted, double* sums) {
  for (std::size_t j = 0; j < d; ++j) {
    const double* in = panel + j * block_size;
    double* centred_row = centred + j * block_size;
    double* weighted_row = weighted + j * block_size;
    vec_t s{};
    for (std::size_t p = 0; p < block_size; p += lanes) {
      const vec_t c = load(in + p) - centre[j];
      const vec_t w = load(r + p) * c;
      store(centred_row + p, c);
      store(weighted_row + p, w);
      s += w;
    }
    sums[j] += horizontal_sum(s);
  }
}

// One tile of the scatter: acc(t, s) = sum_b w_t[b] c_s[b] for four rows t
// and four (or, with fewer vector registers, two) columns s, kept in named
// registers across the block's points and added to `out(t, s)`.
inline void scatter_tile_4x4(const double* const* w, const double* const* c, double out[4][4]) {
  vec_t a00{}, a01{}, a02{}, a03{}, a10{}, a11{}, a12{}, a13{};
  vec_t a20{}, a21{}, a22{}, a23{}, a30{}, a31{}, a32{}, a33{};
  for (std::size_t p = 0; p < block_size; p += lanes) {
    const vec_t c0 = load(c[0] + p), c1 = load(c[1] + p), c2 = load(c[2] + p), c3 = load(c[3] + p);
    vec_t wt = load(w[0] + p);
    a00 += wt * c0, a01 += wt * c1, a02 += wt * c2, a03 += wt * c3;
    wt = load(w[1] + p);
    a10 += wt * c0, a11 += wt * c1, a12 += wt * c2, a13 += wt * c3;
    wt = load(w[2] + p);
    a20 += wt * c0, a21 += wt * c1, a22 += wt * c2, a23 += wt * c3;
    wt = load(w[3] + p);
    a30 += wt * c0, a31 += wt * c1, a32 += wt * c2, a33 += wt * c3;
  }
  const vec_t acc[4][4] = {
      {a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23}, {a30, a31, a32, a33}};
  for (std::size_t t = 0; t < 4; ++t) {
    for (std::size_t s = 0; s < 4; ++s) out[t][s] = horizontal_sum(acc[t][s]);
  }
}

inline void scatter_tile_4x2(const double* const* w, const double* const* c, double out[4][4]) {
  for (std::size_t half = 0; half < 4; half += 2) {
    vec_t a00{}, a01{}, a10{}, a11{}, a20{}, a21{}, a30{}, a31{};
    for (std::size_t p = 0; p < block_size; p += lanes) {
      const vec_t c0 = load(c[half] + p), c1 = load(c[half + 1] + p);
      vec_t wt = load(w[0] + p);
      a00 += wt * c0, a01 += wt * c1;
      wt = load(w[1] + p);
      a10 += wt * c0, a11 += wt * c1;
      wt = load(w[2] + p);
      a20 += wt * c0, a21 += wt * c1;
      wt = load(w[3] + p);
      a30 += wt * c0, a31 += wt * c1;
    }
    out[0][half] = horizontal_sum(a00), out[0][half + 1] = horizontal_sum(a01);
    out[1][half] = horizontal_sum(a10), out[1][half + 1] = horizontal_sum(a11);
    out[2][half] = horizontal_sum(a20), out[2][half + 1] = horizontal_sum(a21);
    out[3][half] = horizontal_sum(a30), out[3][half + 1] = horizontal_sum(a31);
  }
}

// moment[i, j] += sum_b weighted[i, b] centred[j, b] for i <= j (the upper
// triangle of the column-major d x d moment), tile by tile. `zero_row`
// (block_size zeros) stands in for rows past d.
inline void scatter_full(const double* weighted, const double* centred, std::size_t d,
                         const double* zero_row, double* moment) {
  double tile[4][4];
  for (std::size_t j0 = 0; j0 < d; j0 += 4) {
    const double* c[4];
    for (std::size_t t = 0; t < 4; ++t) {
      c[t] = j0 + t < d ? centred + (j0 + t) * block_size : zero_row;
    }
    for (std::size_t i0 = 0; i0 <= j0; i0 += 4) {
      const double* w[4];
      for (std::size_t t = 0; t < 4; ++t) {
        w[t] = i0 + t < d ? weighted + (i0 + t) * block_size : zero_row;
      }
      if (wide_tiles) {
        scatter_tile_4x4(w, c, tile);
      } else {
        scatter_tile_4x2(w, c, tile);
      }
      for (std::size_t s = 0; s < 4 && j0 + s < d; ++s) {
        for (std::size_t t = 0; t < 4 && i0 + t <= j0 + s; ++t) {
          moment[(j0 + s) * d + i0 + t] += tile[t][s];
        }
      }
    }
  }
}

// sums[j] += sum_b r[b] (x[j, b] - centre[j]) and, unless `moment` is null,
// moment[j] += sum_b r[b] (x[j, b] - centre[j])^2, in one pass over the panel.
inline void moments_diagonal(const double* panel, std::size_t d, const double* centre,
                             const double* r, double* sums, double* moment) {
  for (std::size_t j = 0; j < d; ++j) {
    const double* row = panel + j * block_size;
    vec_t s{}, m{};
    for (std::size_t p = 0; p < block_size; p += lanes) {
      const vec_t c = load(row + p) - centre[j];
      const vec_t w = load(r + p) * c;
      s += w;
      m += w * c;
    }
    sums[j] += horizontal_sum(s);
    if (moment != nullptr) moment[j] += horizontal_sum(m);
  }
}

// Responsibilities from log-densities (K rows of block_size) with a
// max-shifted log-sum-exp; returns the log-likelihood of the first `rows`
// points and zeroes the responsibilities of the padding.
inline double responsibilities(const double* log_density, std::size_t k, std::size_t rows,
                               double* resp, double* log_mixture_out) {
  double top[block_size];
  double sum[block_size];
  for (std::size_t p = 0; p < block_size; p += lanes) {
    vec_t m = load(log_density + p);
    for (std::size_t c = 1; c < k; ++c) {
      const vec_t v = load(log_density + c * block_size + p);
      m = v > m ? v : m;
    }
    store(top + p, m);
  }
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t p = 0; p < block_size; p += lanes) {
      store(resp + c * block_size + p, load(log_density + c * block_size + p) - load(top + p));
    }
  }
  exp_in_place(resp, k * block_size);
  for (std::size_t p = 0; p < block_size; p += lanes) {
    vec_t s = load(resp + p);
    for (std::size_t c = 1; c < k; ++c) s += load(resp + c * block_size + p);
    store(sum + p, s);
  }
  double loglik = 0.0;
  for (std::size_t b = 0; b < rows; ++b) {
    double lse;
    if (std::isfinite(top[b])) {
      lse = top[b] + std::log(sum[b]);
      const double inverse = 1.0 / sum[b];
      for (std::size_t c = 0; c < k; ++c) resp[c * block_size + b] *= inverse;
    } else {
      // No component has positive density (or a NaN crept in): the
      // log-likelihood becomes -Inf or NaN and the caller reports it.
      lse = top[b];
      for (std::size_t c = 0; c < k; ++c) resp[c * block_size + b] = 0.0;
    }
    if (log_mixture_out != nullptr) log_mixture_out[b] = lse;
    loglik += lse;
  }
  for (std::size_t c = 0; c < k; ++c) {
    std::fill(resp + c * block_size + rows, resp + (c + 1) * block_size, 0.0);
  }
  return loglik;
}
