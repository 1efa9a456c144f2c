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

// s in every lane. s - 0 is s for every s, -0 included (0 + s is not), so
// the compiler can make this a plain broadcast.
inline vec_t splat(double s) {
  return s - vec_t{};
}

inline double horizontal_sum(vec_t v) {
  double parts[lanes];
  std::memcpy(parts, &v, sizeof v);
  double sum = 0.0;
  for (std::size_t l = 0; l < lanes; ++l) sum += parts[l];
  return sum;
}

// out[i] = in[i] * factor for i < count: a column of the data, scaled, into
// a row of the panel. Neither array need be aligned.
inline void scaled_copy(const double* in, double factor, std::size_t count, double* out) {
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) store(out + i, load(in + i) * factor);
  for (; i < count; ++i) out[i] = in[i] * factor;
}

// exp() on every lane: Cody-Waite reduction x = n log 2 + r, |r| <= log(2)/2,
// a degree-13 Taylor polynomial (truncation error below 1e-17 relative) and
// the exponent built from bits. exp of anything below -708.39 is 0, which
// only ever happens to terms that vanish next to the largest.
// Adding 1.5 * 2^52 rounds a double of magnitude below 2^51 to an integer,
// which then sits in the low bits of the sum. log(2) is split into a high
// part and the small remainder, so that n log(2) keeps its low bits.
constexpr double round_shifter = 6755399441055744.0;
constexpr long long round_shifter_bits = 0x4338000000000000LL;
constexpr double log2_high = 0.693147180559890330187;
constexpr double log2_low = 5.49792301870850242e-14;

inline vec_t exp_lanes(vec_t x) {
  const vec_t lowest = splat(-708.39);
  const vec_t clamped = x < lowest ? lowest : x;
  const vec_t shifter = splat(round_shifter);
  const vec_t shifted = clamped * 1.4426950408889634074 + shifter;
  const vec_t n = shifted - shifter;
  vec_t r = clamped - n * log2_high;
  r = r - n * log2_low;
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
  bits = (bits - ivec_t{} - round_shifter_bits + 1023) << 52;
  vec_t scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const vec_t result = p * scale;
  return x < lowest ? splat(0.0) : result;
}

// log() on every lane for x >= 1 (a sum of exponentials whose largest term
// is 1): x = 2^e m with m in [sqrt(1/2), sqrt(2)), and log m = 2 atanh(s),
// s = (m - 1) / (m + 1), |s| <= 0.172, whose series to s^23 is exact to
// below 1e-17 relative.
inline vec_t log_lanes(vec_t x) {
  ivec_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const ivec_t exponent_bits = bits >> 52;  // x is positive: no sign bit
  bits = (bits & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL;
  vec_t m;
  std::memcpy(&m, &bits, sizeof m);
  // The exponent as a double, from e + 1.5 * 2^52 whose low bits hold e.
  ivec_t shifted_bits = exponent_bits - 1023 + round_shifter_bits;
  vec_t e;
  std::memcpy(&e, &shifted_bits, sizeof e);
  e = e - round_shifter;
  const auto large = m > splat(1.4142135623730950488);
  m = large ? m * 0.5 : m;
  e = large ? e + 1.0 : e;
  const vec_t s = (m - 1.0) / (m + 1.0);
  const vec_t z = s * s;
  vec_t series = splat(1.0 / 23.0);
  series = series * z + 1.0 / 21.0;
  series = series * z + 1.0 / 19.0;
  series = series * z + 1.0 / 17.0;
  series = series * z + 1.0 / 15.0;
  series = series * z + 1.0 / 13.0;
  series = series * z + 1.0 / 11.0;
  series = series * z + 1.0 / 9.0;
  series = series * z + 1.0 / 7.0;
  series = series * z + 1.0 / 5.0;
  series = series * z + 1.0 / 3.0;
  series = series * z + 1.0;
  return e * log2_high + (e * log2_low + 2.0 * s * series);
}

inline void exp_in_place(double* values, std::size_t count) {
  for (std::size_t i = 0; i < count; i += lanes) store(values + i, exp_lanes(load(values + i)));
}

// Coordinate j of a group: acc[r] += U[j, i0 + r] x_j for the rows r from
// first_row on; the rows before it are known zeros (below the diagonal).
// With `centre`, x_j is centred on mean[j] as it is read and stored to
// `centred`.
template <std::size_t first_row, std::size_t vectors, bool centre>
inline void add_group_coordinate(std::size_t j, const double* factor, const double* rows,
                                 std::size_t row_stride, const double* mean, double* centred,
                                 vec_t (&acc)[factor_rows][vectors]) {
  constexpr std::size_t tile_width = vectors * lanes;
  const double* u = factor + j * factor_rows;
  const double* row = rows + j * row_stride;
  // Broadcast once for all the vectors. Left to itself, GCC folds the
  // broadcasts of the centring group into every FMA as memory operands:
  // 24 loads for 16 FMAs, more than the load ports serve.
  vec_t entry[factor_rows];
#pragma GCC unroll 8
  for (std::size_t r = first_row; r < factor_rows; ++r) entry[r] = splat(u[r]);
  const vec_t centre_value = centre ? splat(mean[j]) : vec_t{};
#pragma GCC unroll 4
  for (std::size_t v = 0; v < vectors; ++v) {
    vec_t x = load(row + v * lanes);
    if (centre) {
      x = x - centre_value;
      store(centred + j * tile_width + v * lanes, x);
    }
#pragma GCC unroll 8
    for (std::size_t r = first_row; r < factor_rows; ++r) acc[r][v] += entry[r] * x;
  }
}

// One group of factor_rows rows i0.. of U' c for the `vectors` vectors of
// points in `rows` (row j at rows + j * row_stride), over the group's
// `length` coordinates, kept in registers; adds their squares to q. The
// coordinates from i0 on meet U's diagonal block, a triangle: only its
// nonzero entries are multiplied (10 of 16 products per point, the same
// sums bit for bit). With `centre`, the points are centred on `mean` as
// they are read and the centred values stored to `centred` (rows of
// vectors * lanes points).
template <std::size_t vectors, bool centre>
inline void add_group_squares(const double* factor, std::size_t length, const double* rows,
                              std::size_t row_stride, const double* mean, double* centred,
                              vec_t (&q)[vectors]) {
  static_assert(factor_rows == 4, "the diagonal block is written out for groups of four");
  const std::size_t i0 = (length - 1) / factor_rows * factor_rows;
  vec_t acc[factor_rows][vectors] = {};
  for (std::size_t j = 0; j < i0; ++j) {
    add_group_coordinate<0, vectors, centre>(j, factor, rows, row_stride, mean, centred, acc);
  }
  // The last group of a d that is not a multiple of four is shorter.
  const std::size_t tail = length - i0;
  add_group_coordinate<0, vectors, centre>(i0, factor, rows, row_stride, mean, centred, acc);
  if (tail > 1) {
    add_group_coordinate<1, vectors, centre>(i0 + 1, factor, rows, row_stride, mean, centred, acc);
  }
  if (tail > 2) {
    add_group_coordinate<2, vectors, centre>(i0 + 2, factor, rows, row_stride, mean, centred, acc);
  }
  if (tail > 3) {
    add_group_coordinate<3, vectors, centre>(i0 + 3, factor, rows, row_stride, mean, centred, acc);
  }
#pragma GCC unroll 4
  for (std::size_t v = 0; v < vectors; ++v) {
#pragma GCC unroll 8
    for (std::size_t r = 0; r < factor_rows; ++r) q[v] += acc[r][v] * acc[r][v];
  }
}

// out[b] = offset - ||U' (x_b - mean)||^2 / 2 for the `vectors` vectors of
// points starting at `points` (rows block_size apart), a group of rows of
// U' at a time. `packed` is the factor of pack_factor(): for each group of
// four columns of U, the entries U[j, i0..i0+3] for every j up to the
// group's end. The last group reads every coordinate, so it runs first and
// centres the points as it goes, leaving them in `centred` (rows of
// tile_width points) for the other groups: small enough to stay in the L1
// cache while they read it.
template <std::size_t vectors>
inline void mahalanobis_tile(const double* points, const double* mean, std::size_t d,
                             const double* packed, std::size_t packed_length, double offset,
                             double* centred, double* out) {
  constexpr std::size_t tile_width = vectors * lanes;
  vec_t q[vectors] = {};
  add_group_squares<vectors, true>(packed + packed_length - d * factor_rows, d, points, block_size,
                                   mean, centred, q);
  const double* factor = packed;
  for (std::size_t i0 = 0; i0 + factor_rows < d; i0 += factor_rows) {
    const std::size_t length = i0 + factor_rows;
    add_group_squares<vectors, false>(factor, length, centred, tile_width, nullptr, nullptr, q);
    factor += length * factor_rows;
  }
#pragma GCC unroll 4
  for (std::size_t v = 0; v < vectors; ++v) store(out + v * lanes, offset - 0.5 * q[v]);
}

// log_density[c * block_size + b] = offsets[c] - ||U_c' (x_b - mean_c)||^2 / 2
// for every component c and every point b of the panel: the log-density up
// to the offset log pi + log det U - d log(2 pi) / 2. `means` holds the K
// means (d each), `packed` the K factors (packed_length each), `scratch`
// d x max_tile_width doubles. Tile by tile of points, every component in
// turn: the tile's rows of the panel stay in the L1 cache for all K.
inline void mahalanobis_general(const double* panel, std::size_t d, std::size_t k,
                                const double* means, const double* packed,
                                std::size_t packed_length, const double* offsets, double* scratch,
                                double* log_density) {
  // Four vectors of points with 32 registers, two with 16.
  constexpr std::size_t vectors = wide_tiles ? 4 : 2;
  constexpr std::size_t tile_width = vectors * lanes;
  static_assert(block_size % tile_width == 0, "tiles must cover the block");
  static_assert(tile_width <= max_tile_width, "the workspace holds max_tile_width points");
  for (std::size_t p0 = 0; p0 < block_size; p0 += tile_width) {
    for (std::size_t c = 0; c < k; ++c) {
      mahalanobis_tile<vectors>(panel + p0, means + c * d, d, packed + c * packed_length,
                                packed_length, offsets[c], scratch,
                                log_density + c * block_size + p0);
    }
  }
}

// The same for a diagonal factor (precision square roots u_j), straight from
// the panel: O(d), and no centred copy, which would cost more memory traffic
// than the arithmetic it saves.
inline void mahalanobis_diagonal(const double* panel, std::size_t d, const double* mean,
                                 const double* root_precision, double offset, double* out) {
  for (std::size_t p0 = 0; p0 < block_size; p0 += lanes) {
    vec_t q{};
    for (std::size_t j = 0; j < d; ++j) {
      const vec_t z = (load(panel + j * block_size + p0) - mean[j]) * root_precision[j];
      q += z * z;
    }
    store(out + p0, offset - 0.5 * q);
  }
}

// One tile of the scatter: acc(t, s) = sum_b x_t[b] r[b] (x_s[b] - m_s) for
// four rows t and four (or, with fewer vector registers, two) columns s of
// the panel, the columns centred and weighted on the fly, all kept in named
// registers across the block's points: the block's rows are then read from
// the cache and no centred or weighted copy is ever written. Only the
// second factor is centred (see moments_from_stats()). With `with_sums`
// (the tiles on the diagonal), col_sums[s] = sum_b r[b] (x_s[b] - m_s) too.
template <bool with_sums>
inline void scatter_tile_4x4(const double* const* x_row, const double* const* x_col,
                             const double* mean_col, const double* r, double out[4][4],
                             double col_sums[4]) {
  vec_t a00{}, a01{}, a02{}, a03{}, a10{}, a11{}, a12{}, a13{};
  vec_t a20{}, a21{}, a22{}, a23{}, a30{}, a31{}, a32{}, a33{};
  vec_t s0{}, s1{}, s2{}, s3{};
  for (std::size_t p = 0; p < block_size; p += lanes) {
    const vec_t weight = load(r + p);
    const vec_t c0 = (load(x_col[0] + p) - mean_col[0]) * weight;
    const vec_t c1 = (load(x_col[1] + p) - mean_col[1]) * weight;
    const vec_t c2 = (load(x_col[2] + p) - mean_col[2]) * weight;
    const vec_t c3 = (load(x_col[3] + p) - mean_col[3]) * weight;
    if (with_sums) s0 += c0, s1 += c1, s2 += c2, s3 += c3;
    vec_t x = load(x_row[0] + p);
    a00 += x * c0, a01 += x * c1, a02 += x * c2, a03 += x * c3;
    x = load(x_row[1] + p);
    a10 += x * c0, a11 += x * c1, a12 += x * c2, a13 += x * c3;
    x = load(x_row[2] + p);
    a20 += x * c0, a21 += x * c1, a22 += x * c2, a23 += x * c3;
    x = load(x_row[3] + p);
    a30 += x * c0, a31 += x * c1, a32 += x * c2, a33 += x * c3;
  }
  const vec_t acc[4][4] = {
      {a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23}, {a30, a31, a32, a33}};
  for (std::size_t t = 0; t < 4; ++t) {
    for (std::size_t s = 0; s < 4; ++s) out[t][s] = horizontal_sum(acc[t][s]);
  }
  if (with_sums) {
    col_sums[0] = horizontal_sum(s0), col_sums[1] = horizontal_sum(s1);
    col_sums[2] = horizontal_sum(s2), col_sums[3] = horizontal_sum(s3);
  }
}

template <bool with_sums>
inline void scatter_tile_4x2(const double* const* x_row, const double* const* x_col,
                             const double* mean_col, const double* r, double out[4][4],
                             double col_sums[4]) {
  for (std::size_t half = 0; half < 4; half += 2) {
    vec_t a00{}, a01{}, a10{}, a11{}, a20{}, a21{}, a30{}, a31{};
    vec_t s0{}, s1{};
    for (std::size_t p = 0; p < block_size; p += lanes) {
      const vec_t weight = load(r + p);
      const vec_t c0 = (load(x_col[half] + p) - mean_col[half]) * weight;
      const vec_t c1 = (load(x_col[half + 1] + p) - mean_col[half + 1]) * weight;
      if (with_sums) s0 += c0, s1 += c1;
      vec_t x = load(x_row[0] + p);
      a00 += x * c0, a01 += x * c1;
      x = load(x_row[1] + p);
      a10 += x * c0, a11 += x * c1;
      x = load(x_row[2] + p);
      a20 += x * c0, a21 += x * c1;
      x = load(x_row[3] + p);
      a30 += x * c0, a31 += x * c1;
    }
    out[0][half] = horizontal_sum(a00), out[0][half + 1] = horizontal_sum(a01);
    out[1][half] = horizontal_sum(a10), out[1][half + 1] = horizontal_sum(a11);
    out[2][half] = horizontal_sum(a20), out[2][half + 1] = horizontal_sum(a21);
    out[3][half] = horizontal_sum(a30), out[3][half + 1] = horizontal_sum(a31);
    if (with_sums) col_sums[half] = horizontal_sum(s0), col_sums[half + 1] = horizontal_sum(s1);
  }
}

template <bool with_sums>
inline void scatter_tile(const double* const* x_row, const double* const* x_col,
                         const double* mean_col, const double* r, double out[4][4],
                         double col_sums[4]) {
  if (wide_tiles) {
    scatter_tile_4x4<with_sums>(x_row, x_col, mean_col, r, out, col_sums);
  } else {
    scatter_tile_4x2<with_sums>(x_row, x_col, mean_col, r, out, col_sums);
  }
}

// sums[j] += sum_b r[b] (x[j, b] - centre[j]) and
// moment[i, j] += sum_b x[i, b] r[b] (x[j, b] - centre[j]) for i <= j (the
// upper triangle, packed as packed_moment_index() says), tile by tile.
// `zero_row` (block_size zeros) with a zero centre stands in for rows past d.
inline void scatter_general(const double* panel, std::size_t d, const double* centre,
                            const double* r, const double* zero_row, double* sums, double* moment) {
  double tile[4][4];
  double col_sums[4];
  for (std::size_t j0 = 0; j0 < d; j0 += 4) {
    const double* x_col[4];
    double mean_col[4];
    for (std::size_t t = 0; t < 4; ++t) {
      x_col[t] = j0 + t < d ? panel + (j0 + t) * block_size : zero_row;
      mean_col[t] = j0 + t < d ? centre[j0 + t] : 0.0;
    }
    // Alternate directions, so that the rows just read are read again
    // first, while they are still in the L1 cache.
    const bool downwards = (j0 / 4) % 2 == 1;
    for (std::size_t step = 0; step <= j0; step += 4) {
      const std::size_t i0 = downwards ? j0 - step : step;
      const double* x_row[4];
      for (std::size_t t = 0; t < 4; ++t) {
        x_row[t] = i0 + t < d ? panel + (i0 + t) * block_size : zero_row;
      }
      if (i0 == j0) {
        scatter_tile<true>(x_row, x_col, mean_col, r, tile, col_sums);
        for (std::size_t t = 0; t < 4 && j0 + t < d; ++t) sums[j0 + t] += col_sums[t];
      } else {
        scatter_tile<false>(x_row, x_col, mean_col, r, tile, col_sums);
      }
      for (std::size_t s = 0; s < 4 && j0 + s < d; ++s) {
        for (std::size_t t = 0; t < 4 && i0 + t <= j0 + s; ++t) {
          moment[packed_moment_index(d, i0 + t, j0 + s)] += tile[t][s];
        }
      }
    }
  }
}

// Small d: the dimension known at compile time. Below about ten dimensions
// the general kernels' groups of four rows and 4 x 4 tiles are mostly
// padding, and their loops too short to hide their set-up. Here, one
// component at a time, every vector of points is loaded once, centred in
// registers and turned into its log-density (or its share of the
// statistics) with the component's factor, mean and accumulators held in
// registers or broadcast from memory, for every point of the block.
constexpr std::size_t small_d_max = 10;

// Where U[j, i] (j <= i) lives in the packed factor (see pack_factor()).
constexpr std::size_t packed_factor_index(std::size_t d, std::size_t j, std::size_t i) {
  std::size_t offset = 0;
  for (std::size_t i0 = 0; i0 + factor_rows <= i; i0 += factor_rows) {
    offset += (d < i0 + factor_rows ? d : i0 + factor_rows) * factor_rows;
  }
  return offset + j * factor_rows + i % factor_rows;
}

// The index of (i, j), i <= j, in the upper triangle packed by columns.
constexpr std::size_t triangle_index(std::size_t i, std::size_t j) {
  return j * (j + 1) / 2 + i;
}

// log_density[c * block_size + b] = offsets[c] - ||U_c' (x_b - mean_c)||^2 / 2
// as mahalanobis_general() computes it, for d = D.
template <std::size_t D>
inline void mahalanobis_small(const double* panel, std::size_t k, const double* means,
                              const double* packed, std::size_t packed_length,
                              const double* offsets, double* log_density) {
  constexpr std::size_t entries = D * (D + 1) / 2;
  for (std::size_t c = 0; c < k; ++c) {
    const double* factor = packed + c * packed_length;
    double u[entries];
#pragma GCC unroll 64
    for (std::size_t i = 0; i < D; ++i) {
#pragma GCC unroll 16
      for (std::size_t j = 0; j <= i; ++j)
        u[triangle_index(j, i)] = factor[packed_factor_index(D, j, i)];
    }
    vec_t m[D];
#pragma GCC unroll 16
    for (std::size_t j = 0; j < D; ++j) m[j] = splat(means[c * D + j]);
    const vec_t offset = splat(offsets[c]);
    double* out = log_density + c * block_size;
    for (std::size_t p = 0; p < block_size; p += lanes) {
      vec_t x[D];
#pragma GCC unroll 16
      for (std::size_t j = 0; j < D; ++j) x[j] = load(panel + j * block_size + p) - m[j];
      vec_t q{};
#pragma GCC unroll 16
      for (std::size_t i = 0; i < D; ++i) {
        vec_t z = x[0] * u[triangle_index(0, i)];
#pragma GCC unroll 16
        for (std::size_t j = 1; j <= i; ++j) z += x[j] * u[triangle_index(j, i)];
        q += z * z;
      }
      store(out + p, offset - 0.5 * q);
    }
  }
}

// Accumulators one sweep over the block's points may hold: the rest of
// the registers keep the points, the centre and the weight.
constexpr std::size_t scatter_registers = wide_tiles ? 24 : 10;

// The columns [J0, end) of the moment that one sweep accumulates: as many
// as fit in scatter_registers (column j has j + 1 entries and a sum).
constexpr std::size_t sweep_end(std::size_t d, std::size_t j0) {
  std::size_t j1 = j0, used = 0;
  while (j1 < d && (j1 == j0 || used + j1 + 2 <= scatter_registers)) {
    used += j1 + 2;
    ++j1;
  }
  return j1;
}

// One sweep: columns J0 .. J1 - 1 of the moment and their sums, over the
// block's points `ways` vectors at a time, each into its own accumulators
// (with few accumulators, one set would make each step wait on the last).
// The accumulators are added lane by lane into `lanes_sum`: D vectors of
// the sums, then the D (D + 1) / 2 of the moment's entries, by
// triangle_index(). flush_scatter_lanes() adds up the lanes, once per
// block (scatter_small()) or once for many (scatter_lanes()): per block,
// the horizontal sums cost about a sixth of the sweep at d = 5.
template <std::size_t D, std::size_t J0, std::size_t J1>
inline void scatter_sweep(const double* panel, const double* centre, const double* r,
                          double* lanes_sum) {
  constexpr std::size_t width = J1 - J0;
  constexpr std::size_t first = triangle_index(0, J0);
  constexpr std::size_t entries = triangle_index(0, J1) - first;
  constexpr std::size_t ways = 2 * (entries + width) <= scatter_registers ? 2 : 1;
  vec_t m[width];
#pragma GCC unroll 16
  for (std::size_t j = 0; j < width; ++j) m[j] = splat(centre[J0 + j]);
  vec_t acc[ways][entries], s[ways][width];
#pragma GCC unroll 2
  for (std::size_t w = 0; w < ways; ++w) {
#pragma GCC unroll 64
    for (std::size_t e = 0; e < entries; ++e) acc[w][e] = vec_t{};
#pragma GCC unroll 16
    for (std::size_t j = 0; j < width; ++j) s[w][j] = vec_t{};
  }
  for (std::size_t p0 = 0; p0 < block_size; p0 += ways * lanes) {
#pragma GCC unroll 2
    for (std::size_t w = 0; w < ways; ++w) {
      const std::size_t p = p0 + w * lanes;
      const vec_t weight = load(r + p);
      vec_t x[J1];
#pragma GCC unroll 16
      for (std::size_t i = 0; i < J1; ++i) x[i] = load(panel + i * block_size + p);
#pragma GCC unroll 16
      for (std::size_t j = J0; j < J1; ++j) {
        const vec_t c = (x[j] - m[j - J0]) * weight;
        s[w][j - J0] += c;
#pragma GCC unroll 16
        for (std::size_t i = 0; i <= j; ++i) acc[w][triangle_index(i, j) - first] += x[i] * c;
      }
    }
  }
  double* sums = lanes_sum + J0 * lanes;
#pragma GCC unroll 16
  for (std::size_t j = 0; j < width; ++j) {
    vec_t total = s[0][j];
    if (ways == 2) total += s[ways - 1][j];
    store(sums + j * lanes, load(sums + j * lanes) + total);
  }
  double* moment = lanes_sum + (D + first) * lanes;
#pragma GCC unroll 64
  for (std::size_t e = 0; e < entries; ++e) {
    vec_t entry = acc[0][e];
    if (ways == 2) entry += acc[ways - 1][e];
    store(moment + e * lanes, load(moment + e * lanes) + entry);
  }
}

template <std::size_t D, std::size_t J0>
inline void scatter_sweeps(const double*, const double*, const double*, double*, std::true_type) {}

template <std::size_t D, std::size_t J0>
inline void scatter_sweeps(const double* panel, const double* centre, const double* r,
                           double* lanes_sum, std::false_type) {
  constexpr std::size_t J1 = sweep_end(D, J0);
  scatter_sweep<D, J0, J1>(panel, centre, r, lanes_sum);
  scatter_sweeps<D, J1>(panel, centre, r, lanes_sum, std::integral_constant<bool, J1 == D>{});
}

// The number of doubles scatter_lanes() accumulates into for d <= small_d_max:
// d + d (d + 1) / 2 vectors.
inline std::size_t scatter_lanes_length(std::size_t d) {
  return (d + d * (d + 1) / 2) * lanes;
}

// Adds the lanes of scatter_lanes()'s accumulators into sums (d) and the
// packed moment, as scatter_full() adds a block's, and zeroes them.
inline void flush_scatter_lanes(std::size_t d, double* lanes_sum, double* sums, double* moment) {
  for (std::size_t j = 0; j < d; ++j) sums[j] += horizontal_sum(load(lanes_sum + j * lanes));
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t i = 0; i <= j; ++i) {
      moment[packed_moment_index(d, i, j)] +=
          horizontal_sum(load(lanes_sum + (d + triangle_index(i, j)) * lanes));
    }
  }
  std::fill(lanes_sum, lanes_sum + scatter_lanes_length(d), 0.0);
}

// scatter_general() for d = D: the same sums, in sweeps of a few columns.
template <std::size_t D>
inline void scatter_small(const double* panel, const double* centre, const double* r, double* sums,
                          double* moment) {
  double lanes_sum[(D + D * (D + 1) / 2) * lanes] = {};
  scatter_sweeps<D, 0>(panel, centre, r, lanes_sum, std::false_type{});
  flush_scatter_lanes(D, lanes_sum, sums, moment);
}

// The kernels for d <= small_d_max by their dimension.
template <std::size_t D>
struct SmallKernels {
  static void dispatch_mahalanobis(std::size_t d, const double* panel, std::size_t k,
                                   const double* means, const double* packed,
                                   std::size_t packed_length, const double* offsets,
                                   double* log_density) {
    if (d == D) {
      mahalanobis_small<D>(panel, k, means, packed, packed_length, offsets, log_density);
    } else {
      SmallKernels<D - 1>::dispatch_mahalanobis(d, panel, k, means, packed, packed_length, offsets,
                                                log_density);
    }
  }
  static void dispatch_scatter(std::size_t d, const double* panel, const double* centre,
                               const double* r, double* sums, double* moment) {
    if (d == D) {
      scatter_small<D>(panel, centre, r, sums, moment);
    } else {
      SmallKernels<D - 1>::dispatch_scatter(d, panel, centre, r, sums, moment);
    }
  }
  static void dispatch_scatter_lanes(std::size_t d, const double* panel, const double* centre,
                                     const double* r, double* lanes_sum) {
    if (d == D) {
      scatter_sweeps<D, 0>(panel, centre, r, lanes_sum, std::false_type{});
    } else {
      SmallKernels<D - 1>::dispatch_scatter_lanes(d, panel, centre, r, lanes_sum);
    }
  }
};

template <>
struct SmallKernels<0> {
  static void dispatch_mahalanobis(std::size_t, const double*, std::size_t, const double*,
                                   const double*, std::size_t, const double*, double*) {}
  static void dispatch_scatter(std::size_t, const double*, const double*, const double*, double*,
                               double*) {}
  static void dispatch_scatter_lanes(std::size_t, const double*, const double*, const double*,
                                     double*) {}
};

// The full-covariance log-densities of the block for every component:
// mahalanobis_small() up to small_d_max, mahalanobis_general() above.
inline void mahalanobis_full(const double* panel, std::size_t d, std::size_t k, const double* means,
                             const double* packed, std::size_t packed_length, const double* offsets,
                             double* scratch, double* log_density) {
  if (d >= 1 && d <= small_d_max) {
    SmallKernels<small_d_max>::dispatch_mahalanobis(d, panel, k, means, packed, packed_length,
                                                    offsets, log_density);
  } else {
    mahalanobis_general(panel, d, k, means, packed, packed_length, offsets, scratch, log_density);
  }
}

// One component's full scatter of the block: scatter_small() up to
// small_d_max, scatter_general() above.
inline void scatter_full(const double* panel, std::size_t d, const double* centre, const double* r,
                         const double* zero_row, double* sums, double* moment) {
  if (d >= 1 && d <= small_d_max) {
    SmallKernels<small_d_max>::dispatch_scatter(d, panel, centre, r, sums, moment);
  } else {
    scatter_general(panel, d, centre, r, zero_row, sums, moment);
  }
}

// One component's full scatter of the block for 1 <= d <= small_d_max, into
// the lane-wise accumulators of scatter_sweep_lanes(); flush_scatter_lanes()
// adds them into the statistics.
inline void scatter_lanes(const double* panel, std::size_t d, const double* centre, const double* r,
                          double* lanes_sum) {
  SmallKernels<small_d_max>::dispatch_scatter_lanes(d, panel, centre, r, lanes_sum);
}

// The panel's points as rows: rows[b * padded_dim(d) + j] = panel[j, b],
// zero for j >= d. Element by element where a vector holds fewer than 8
// doubles; with 8, in 8 x 8 blocks by the shuffles of
// transpose_8x8_block().
inline void transpose_panel_elements(const double* panel, std::size_t d, double* rows) {
  const std::size_t stride = padded_dim(d);
  for (std::size_t b0 = 0; b0 < block_size; b0 += 8) {
    for (std::size_t j = 0; j < d; ++j) {
      const double* in = panel + j * block_size + b0;
      double* out = rows + b0 * stride + j;
      for (std::size_t b = 0; b < 8; ++b) out[b * stride] = in[b];
    }
    for (std::size_t b = b0; b < b0 + 8; ++b) {
      std::fill(rows + b * stride + d, rows + (b + 1) * stride, 0.0);
    }
  }
}

#ifdef SOFTMIX_VECTOR_EXTENSIONS
// Eight doubles and a shuffle mask for them, whatever vec_t holds here: the
// block transpose below is only called where vec_t is vec8_t.
typedef double vec8_t __attribute__((vector_size(64)));
typedef long long mask8_t __attribute__((vector_size(64)));

// One stage of an 8 x 8 transpose held in rows p and q = p + step of a
// block: swaps bit `step` of the row and the column index, so that after
// the stages for steps 1, 2 and 4 the block is transposed.
template <std::size_t step>
inline void transpose_stage(vec8_t& p, vec8_t& q) {
  const vec8_t old_p = p;
#if defined(__clang__)
  if (step == 1) {
    p = __builtin_shufflevector(old_p, q, 0, 8, 2, 10, 4, 12, 6, 14);
    q = __builtin_shufflevector(old_p, q, 1, 9, 3, 11, 5, 13, 7, 15);
  } else if (step == 2) {
    p = __builtin_shufflevector(old_p, q, 0, 1, 8, 9, 4, 5, 12, 13);
    q = __builtin_shufflevector(old_p, q, 2, 3, 10, 11, 6, 7, 14, 15);
  } else {
    p = __builtin_shufflevector(old_p, q, 0, 1, 2, 3, 8, 9, 10, 11);
    q = __builtin_shufflevector(old_p, q, 4, 5, 6, 7, 12, 13, 14, 15);
  }
#else
  if (step == 1) {
    p = __builtin_shuffle(old_p, q, mask8_t{0, 8, 2, 10, 4, 12, 6, 14});
    q = __builtin_shuffle(old_p, q, mask8_t{1, 9, 3, 11, 5, 13, 7, 15});
  } else if (step == 2) {
    p = __builtin_shuffle(old_p, q, mask8_t{0, 1, 8, 9, 4, 5, 12, 13});
    q = __builtin_shuffle(old_p, q, mask8_t{2, 3, 10, 11, 6, 7, 14, 15});
  } else {
    p = __builtin_shuffle(old_p, q, mask8_t{0, 1, 2, 3, 8, 9, 10, 11});
    q = __builtin_shuffle(old_p, q, mask8_t{4, 5, 6, 7, 12, 13, 14, 15});
  }
#endif
}

// Rows j0..j0+7 (zero past d) of points b0..b0+7 of the panel into those
// points' rows, columns j0..j0+7.
inline void transpose_8x8_block(const double* panel, std::size_t d, std::size_t j0, std::size_t b0,
                                std::size_t stride, double* rows) {
  vec8_t v[8];
  for (std::size_t t = 0; t < 8; ++t) {
    if (j0 + t < d) {
      std::memcpy(&v[t], panel + (j0 + t) * block_size + b0, sizeof(vec8_t));
    } else {
      v[t] = vec8_t{};
    }
  }
  transpose_stage<1>(v[0], v[1]), transpose_stage<1>(v[2], v[3]);
  transpose_stage<1>(v[4], v[5]), transpose_stage<1>(v[6], v[7]);
  transpose_stage<2>(v[0], v[2]), transpose_stage<2>(v[1], v[3]);
  transpose_stage<2>(v[4], v[6]), transpose_stage<2>(v[5], v[7]);
  transpose_stage<4>(v[0], v[4]), transpose_stage<4>(v[1], v[5]);
  transpose_stage<4>(v[2], v[6]), transpose_stage<4>(v[3], v[7]);
  for (std::size_t t = 0; t < 8; ++t) {
    std::memcpy(rows + (b0 + t) * stride + j0, &v[t], sizeof(vec8_t));
  }
}

inline void transpose_panel_by_lanes(const double* panel, std::size_t d, double* rows,
                                     std::false_type) {
  transpose_panel_elements(panel, d, rows);
}

inline void transpose_panel_by_lanes(const double* panel, std::size_t d, double* rows,
                                     std::true_type) {
  const std::size_t stride = padded_dim(d);
  for (std::size_t b0 = 0; b0 < block_size; b0 += 8) {
    for (std::size_t j0 = 0; j0 < stride; j0 += 8)
      transpose_8x8_block(panel, d, j0, b0, stride, rows);
  }
}

inline void transpose_panel(const double* panel, std::size_t d, double* rows) {
  transpose_panel_by_lanes(panel, d, rows, std::integral_constant<bool, lanes == 8>{});
}
#else
inline void transpose_panel(const double* panel, std::size_t d, double* rows) {
  transpose_panel_elements(panel, d, rows);
}
#endif

// Vectors per panel row block of the packed moment, columns per register
// tile (as many accumulators as the registers allow, leaving room for the
// row vectors) and the step between the tile widths a panel can need.
constexpr std::size_t row_vectors = moment_rows / lanes;
constexpr std::size_t scatter_columns = lanes == 8 ? 24 : (lanes == 4 ? 6 : 2);
constexpr std::size_t scatter_column_step = lanes == 8 ? 8 : 2;
static_assert(moment_rows % lanes == 0, "a panel row block is whole vectors");

// One register tile of the moment: moment_rows rows from `first_row` times
// `columns` columns from `first_column`, updated over `points` (at least one) points:
// acc[., b] += x[i, rows] * weighted[i, b]. The row vectors are loaded
// once per point and each weighted entry is broadcast into its column's
// FMAs, as in a GEMM micro-kernel; nothing else runs in the loop (centring
// the rows here, one subtraction per 24 FMAs, cost 20%).
template <std::size_t columns>
inline void scatter_register_tile(const double* x_rows, const double* weighted, std::size_t stride,
                                  std::size_t points, std::size_t first_row,
                                  std::size_t first_column, double* tile) {
  vec_t acc[columns][row_vectors];
#pragma GCC unroll 32
  for (std::size_t b = 0; b < columns; ++b) {
#pragma GCC unroll 8
    for (std::size_t v = 0; v < row_vectors; ++v)
      acc[b][v] = load(tile + b * moment_rows + v * lanes);
  }
  // At least one point: a loop that may run zero times makes GCC copy the
  // accumulators through the stack on the way in and out.
  std::size_t i = 0;
  do {
    const double* x = x_rows + i * stride + first_row;
    const double* w = weighted + i * stride + first_column;
    vec_t y[row_vectors];
#pragma GCC unroll 8
    for (std::size_t v = 0; v < row_vectors; ++v) y[v] = load(x + v * lanes);
#pragma GCC unroll 32
    for (std::size_t b = 0; b < columns; ++b) {
#pragma GCC unroll 8
      for (std::size_t v = 0; v < row_vectors; ++v) acc[b][v] += y[v] * w[b];
    }
  } while (++i < points);
#pragma GCC unroll 32
  for (std::size_t b = 0; b < columns; ++b) {
#pragma GCC unroll 8
    for (std::size_t v = 0; v < row_vectors; ++v)
      store(tile + b * moment_rows + v * lanes, acc[b][v]);
  }
}

// The last, narrower register tile of a panel: `count` columns, a multiple
// of scatter_column_step below scatter_columns.
template <std::size_t columns>
inline void scatter_narrow_tile(std::size_t count, const double* x_rows, const double* weighted,
                                std::size_t stride, std::size_t points, std::size_t first_row,
                                std::size_t first_column, double* tile);

template <>
inline void scatter_narrow_tile<0>(std::size_t, const double*, const double*, std::size_t,
                                   std::size_t, std::size_t, std::size_t, double*) {}

template <std::size_t columns>
inline void scatter_narrow_tile(std::size_t count, const double* x_rows, const double* weighted,
                                std::size_t stride, std::size_t points, std::size_t first_row,
                                std::size_t first_column, double* tile) {
  if (count == columns) {
    scatter_register_tile<columns>(x_rows, weighted, stride, points, first_row, first_column, tile);
  } else {
    scatter_narrow_tile<columns - scatter_column_step>(count, x_rows, weighted, stride, points,
                                                       first_row, first_column, tile);
  }
}

// weighted[i] = r[i] (x[i] - centre) for `points` rows x[i] of `stride`
// doubles, and sum_row += the sum of those rows. Column by column, with four
// partial sums to keep the adds apart: for rows too long for registers.
inline void weight_rows_by_column(std::size_t stride, const double* rows, const double* centre,
                                  const double* r, std::size_t points, double* weighted,
                                  double* sum_row) {
  for (std::size_t j = 0; j < stride; j += lanes) {
    const vec_t m = load(centre + j);
    vec_t s0{}, s1{}, s2{}, s3{};
    std::size_t i = 0;
    for (; i + 4 <= points; i += 4) {
      const vec_t w0 = (load(rows + i * stride + j) - m) * r[i];
      const vec_t w1 = (load(rows + (i + 1) * stride + j) - m) * r[i + 1];
      const vec_t w2 = (load(rows + (i + 2) * stride + j) - m) * r[i + 2];
      const vec_t w3 = (load(rows + (i + 3) * stride + j) - m) * r[i + 3];
      store(weighted + i * stride + j, w0);
      store(weighted + (i + 1) * stride + j, w1);
      store(weighted + (i + 2) * stride + j, w2);
      store(weighted + (i + 3) * stride + j, w3);
      s0 += w0, s1 += w1, s2 += w2, s3 += w3;
    }
    for (; i < points; ++i) {
      const vec_t w = (load(rows + i * stride + j) - m) * r[i];
      store(weighted + i * stride + j, w);
      s0 += w;
    }
    store(sum_row + j, load(sum_row + j) + ((s0 + s1) + (s2 + s3)));
  }
}

// The same for rows of exactly `vectors` vectors, point by point with the
// centre and two sets of partial sums in registers: each point's weight is
// broadcast once and nothing but the row is loaded, where the column order
// loads every weight once per vector.
template <std::size_t vectors>
inline void weight_rows_in_registers(const double* rows, const double* centre, const double* r,
                                     std::size_t points, double* weighted, double* sum_row) {
  constexpr std::size_t stride = vectors * lanes;
  vec_t m[vectors], even[vectors], odd[vectors];
#pragma GCC unroll 8
  for (std::size_t v = 0; v < vectors; ++v) {
    m[v] = load(centre + v * lanes);
    even[v] = splat(0.0);
    odd[v] = splat(0.0);
  }
  std::size_t i = 0;
  for (; i + 2 <= points; i += 2) {
    const vec_t w0 = splat(r[i]), w1 = splat(r[i + 1]);
    const double* x0 = rows + i * stride;
    double* out0 = weighted + i * stride;
#pragma GCC unroll 8
    for (std::size_t v = 0; v < vectors; ++v) {
      const vec_t a = (load(x0 + v * lanes) - m[v]) * w0;
      const vec_t b = (load(x0 + stride + v * lanes) - m[v]) * w1;
      store(out0 + v * lanes, a);
      store(out0 + stride + v * lanes, b);
      even[v] += a;
      odd[v] += b;
    }
  }
  if (i < points) {
    const vec_t w0 = splat(r[i]);
#pragma GCC unroll 8
    for (std::size_t v = 0; v < vectors; ++v) {
      const vec_t a = (load(rows + i * stride + v * lanes) - m[v]) * w0;
      store(weighted + i * stride + v * lanes, a);
      even[v] += a;
    }
  }
#pragma GCC unroll 8
  for (std::size_t v = 0; v < vectors; ++v) {
    store(sum_row + v * lanes, load(sum_row + v * lanes) + (even[v] + odd[v]));
  }
}

// Rows of `count` vectors: in registers up to `vectors` (the most that fit
// beside the partial sums), by column beyond.
constexpr std::size_t max_weight_vectors = wide_tiles ? 8 : 4;

template <std::size_t vectors>
inline void weight_rows(std::size_t count, const double* rows, const double* centre,
                        const double* r, std::size_t points, double* weighted, double* sum_row);

template <>
inline void weight_rows<0>(std::size_t count, const double* rows, const double* centre,
                           const double* r, std::size_t points, double* weighted, double* sum_row) {
  weight_rows_by_column(count * lanes, rows, centre, r, points, weighted, sum_row);
}

template <std::size_t vectors>
inline void weight_rows(std::size_t count, const double* rows, const double* centre,
                        const double* r, std::size_t points, double* weighted, double* sum_row) {
  if (count == vectors) {
    weight_rows_in_registers<vectors>(rows, centre, r, points, weighted, sum_row);
  } else {
    weight_rows<vectors - 1>(count, rows, centre, r, points, weighted, sum_row);
  }
}

// For every component c with block_weight[c] != 0: sums_c[j] +=
// sum_b r_c[b] (x_b[j] - m_c[j]) and the packed moment of c (see
// packed_moment_index()) += sum_b x_b (r_c[b] (x_b - m_c))', over the
// block's points as rows (transpose_panel()). Only the second factor is
// centred: see moments_from_stats() for the correction, which is small
// because the sums are. `centres` holds the m_c (d each), `r` the weights
// (block_size each), `sums` and `moment` the components' sums (d each) and
// packed moments. Tile by tile of points, and within a tile component by
// component, the weighted centred rows are written to `weighted`
// (scatter_tile_points(d) rows) and every register tile of the moment is
// updated from them and the tile's rows while both are in the L1 cache.
// `scratch` holds 2 K padded_dim(d) doubles.
inline void scatter_rows(const double* rows, std::size_t d, std::size_t k, const double* centres,
                         const double* r, const double* block_weight, double* weighted,
                         double* scratch, double* sums, double* moment) {
  const std::size_t stride = padded_dim(d);
  const std::size_t tile_points = scatter_tile_points(d);
  const std::size_t moment_length = packed_moment_length(d);
  double* centre_rows = scratch;
  double* sum_rows = scratch + k * stride;
  for (std::size_t c = 0; c < k; ++c) {
    std::copy(centres + c * d, centres + (c + 1) * d, centre_rows + c * stride);
    std::fill(centre_rows + c * stride + d, centre_rows + (c + 1) * stride, 0.0);
  }
  std::fill(sum_rows, sum_rows + k * stride, 0.0);
  for (std::size_t first = 0; first < block_size; first += tile_points) {
    const std::size_t points = std::min(tile_points, block_size - first);
    const double* tile_rows = rows + first * stride;
    for (std::size_t c = 0; c < k; ++c) {
      if (block_weight[c] == 0.0) continue;
      const double* centre_row = centre_rows + c * stride;
      double* sum_row = sum_rows + c * stride;
      const double* weights = r + c * block_size + first;
      weight_rows<max_weight_vectors>(stride / lanes, tile_rows, centre_row, weights, points,
                                      weighted, sum_row);
      double* component_moment = moment + c * moment_length;
      for (std::size_t first_row = 0; first_row < stride; first_row += moment_rows) {
        double* panel = component_moment + moment_panel_offset(d, first_row / moment_rows);
        std::size_t column = first_row;
        for (; column + scatter_columns <= stride; column += scatter_columns) {
          scatter_register_tile<scatter_columns>(tile_rows, weighted, stride, points, first_row,
                                                 column,
                                                 panel + (column - first_row) * moment_rows);
        }
        if (column < stride) {
          scatter_narrow_tile<scatter_columns - scatter_column_step>(
              stride - column, tile_rows, weighted, stride, points, first_row, column,
              panel + (column - first_row) * moment_rows);
        }
      }
    }
  }
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) sums[c * d + j] += sum_rows[c * stride + j];
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

// sum_b values[b] over one row of a block.
inline double block_sum(const double* values) {
  // Four partial sums: one would wait on the adder's latency at every step.
  vec_t s0{}, s1{}, s2{}, s3{};
  for (std::size_t p = 0; p < block_size; p += 4 * lanes) {
    s0 += load(values + p);
    s1 += load(values + p + lanes);
    s2 += load(values + p + 2 * lanes);
    s3 += load(values + p + 3 * lanes);
  }
  return horizontal_sum((s0 + s1) + (s2 + s3));
}

// Divides the K exponentials of the vector of points at p (rows of
// block_size in resp) by their sum s. A point whose largest log-density t is
// not finite (no component has positive density, or a NaN crept in) gets
// zero responsibilities. Returns, lane by lane, whether t is finite.
inline auto normalise_vector(double* resp, std::size_t k, std::size_t p, vec_t t, vec_t s) {
  const vec_t infinity = splat(std::numeric_limits<double>::infinity());
  const auto finite = (t > -infinity) & (t < infinity);
  const vec_t inverse = 1.0 / s;
  for (std::size_t c = 0; c < k; ++c) {
    double* row = resp + c * block_size + p;
    store(row, finite ? load(row) * inverse : splat(0.0));
  }
  return finite;
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
  // Shifted and exponentiated component by component along the block, the
  // sums kept in memory: each exponential is a long chain of dependent
  // multiply-adds, and consecutive vectors of points give the pipeline
  // independent chains to overlap, however small K is.
  for (std::size_t p = 0; p < block_size; p += lanes) {
    const vec_t e = exp_lanes(load(log_density + p) - load(top + p));
    store(resp + p, e);
    store(sum + p, e);
  }
  for (std::size_t c = 1; c < k; ++c) {
    const double* row = log_density + c * block_size;
    double* out = resp + c * block_size;
    for (std::size_t p = 0; p < block_size; p += lanes) {
      const vec_t e = exp_lanes(load(row + p) - load(top + p));
      store(out + p, e);
      store(sum + p, load(sum + p) + e);
    }
  }
  // A point with no finite log-density gets zero responsibilities (see
  // normalise_vector()) and passes its top value on as its log mixture
  // density: the log-likelihood becomes -Inf or NaN and the caller reports
  // it.
  double loglik = 0.0;
  if (log_mixture_out == nullptr) {
    // Only the total is wanted: the sum of the tops plus the log of the
    // product of the sums, one log per lane for product_vectors vectors
    // of points instead of one per point. Each sum lies in [1, K], so a
    // product of eight stays far from overflow for any K below 1e38.
    constexpr std::size_t product_vectors = 8;
    static_assert(block_size % (product_vectors * lanes) == 0, "products cover the block");
    double lane_numbers[lanes];
    for (std::size_t l = 0; l < lanes; ++l) lane_numbers[l] = static_cast<double>(l);
    const vec_t lane_index = load(lane_numbers);
    const vec_t row_count = splat(static_cast<double>(rows));
    vec_t top_sum{};
    for (std::size_t p0 = 0; p0 < block_size; p0 += product_vectors * lanes) {
      vec_t product = splat(1.0);
      for (std::size_t p = p0; p < p0 + product_vectors * lanes; p += lanes) {
        const vec_t t = load(top + p);
        const vec_t s = load(sum + p);
        const auto finite = normalise_vector(resp, k, p, t, s);
        // Points past `rows` are padding and count for nothing.
        const auto valid = lane_index + static_cast<double>(p) < row_count;
        top_sum += valid ? t : splat(0.0);
        product *= (valid & finite) ? s : splat(1.0);
      }
      loglik += horizontal_sum(log_lanes(product));
    }
    loglik += horizontal_sum(top_sum);
  } else {
    double* log_mixture = sum;  // each point's log-sum-exp, over its sum
    for (std::size_t p = 0; p < block_size; p += lanes) {
      const vec_t t = load(top + p);
      const vec_t s = load(sum + p);
      const auto finite = normalise_vector(resp, k, p, t, s);
      store(log_mixture + p, finite ? t + log_lanes(finite ? s : splat(1.0)) : t);
    }
    // Summed lane-wise: one chain of 256 scalar additions would wait on the
    // adder's latency for longer than the block's other work takes.
    vec_t partial{};
    std::size_t b = 0;
    for (; b + lanes <= rows; b += lanes) partial += load(log_mixture + b);
    loglik = horizontal_sum(partial);
    for (; b < rows; ++b) loglik += log_mixture[b];
    std::copy(log_mixture, log_mixture + rows, log_mixture_out);
  }
  for (std::size_t c = 0; c < k; ++c) {
    std::fill(resp + c * block_size + rows, resp + (c + 1) * block_size, 0.0);
  }
  return loglik;
}

// For `count` rows of a column-major matrix with K columns `stride` apart:
// each row's largest entry and the 1-based index of the first column that
// holds it (as a double), with vector selects: which column wins is
// unpredictable, and a branch per entry mispredicts half the time.
inline void row_maxima(const double* matrix, std::size_t stride, std::size_t k, std::size_t count,
                       double* best, double* which) {
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    vec_t top = load(matrix + i), column = splat(1.0);
    for (std::size_t c = 1; c < k; ++c) {
      const vec_t v = load(matrix + c * stride + i);
      const auto larger = v > top;
      top = larger ? v : top;
      column = larger ? splat(static_cast<double>(c + 1)) : column;
    }
    store(best + i, top);
    store(which + i, column);
  }
  for (; i < count; ++i) {
    double top = matrix[i], column = 1.0;
    for (std::size_t c = 1; c < k; ++c) {
      const double v = matrix[c * stride + i];
      if (v > top) top = v, column = static_cast<double>(c + 1);
    }
    best[i] = top;
    which[i] = column;
  }
}
