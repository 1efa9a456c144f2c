// Covariance models, mixture parameters and their precision Cholesky factors.
#ifndef SOFTMIX_MODEL_H
#define SOFTMIX_MODEL_H

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace softmix {

// Errors the core reports; the R glue turns them into R conditions.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Covariance models by mclust's codes, Sigma_k = lambda_k D_k A_k D_k' with
// volume lambda_k, orientation D_k and shape A_k (diagonal, det A_k = 1),
// each Equal or Variable across components, I for identity. One-dimensional
// data use EII (mclust's "E") and VII ("V").
enum class Model { EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV };

inline Model model_from_code(const std::string& code) {
  if (code == "EII" || code == "E") return Model::EII;
  if (code == "VII" || code == "V") return Model::VII;
  if (code == "EEI") return Model::EEI;
  if (code == "VEI") return Model::VEI;
  if (code == "EVI") return Model::EVI;
  if (code == "VVI") return Model::VVI;
  if (code == "EEE") return Model::EEE;
  if (code == "VEE") return Model::VEE;
  if (code == "EVE") return Model::EVE;
  if (code == "VVE") return Model::VVE;
  if (code == "EEV") return Model::EEV;
  if (code == "VEV") return Model::VEV;
  if (code == "EVV") return Model::EVV;
  if (code == "VVV") return Model::VVV;
  throw error("unknown covariance model '" + code + "'");
}

inline std::string model_code(Model model) {
  switch (model) {
    case Model::EII:
      return "EII";
    case Model::VII:
      return "VII";
    case Model::EEI:
      return "EEI";
    case Model::VEI:
      return "VEI";
    case Model::EVI:
      return "EVI";
    case Model::VVI:
      return "VVI";
    case Model::EEE:
      return "EEE";
    case Model::VEE:
      return "VEE";
    case Model::EVE:
      return "EVE";
    case Model::VVE:
      return "VVE";
    case Model::EEV:
      return "EEV";
    case Model::VEV:
      return "VEV";
    case Model::EVV:
      return "EVV";
    case Model::VVV:
      return "VVV";
  }
  return "";
}

// Models whose covariances are diagonal get the cheaper O(d) kernels and
// need only the diagonal of the scatter.
inline bool is_diagonal(Model model) {
  return model == Model::EII || model == Model::VII || model == Model::EEI || model == Model::VEI ||
         model == Model::EVI || model == Model::VVI;
}

// Free covariance parameters, as mclust's nVarParams() counts them.
inline double covariance_df(Model model, std::size_t d, std::size_t k) {
  const double dd = static_cast<double>(d);
  const double kk = static_cast<double>(k);
  switch (model) {
    case Model::EII:
      return 1.0;
    case Model::VII:
      return kk;
    case Model::EEI:
      return dd;
    case Model::VEI:
      return kk + (dd - 1.0);
    case Model::EVI:
      return 1.0 + kk * (dd - 1.0);
    case Model::VVI:
      return kk * dd;
    case Model::EEE:
      return dd * (dd + 1.0) / 2.0;
    case Model::VEE:
      return kk + (dd - 1.0) + dd * (dd - 1.0) / 2.0;
    case Model::EVE:
      return 1.0 + kk * (dd - 1.0) + dd * (dd - 1.0) / 2.0;
    case Model::VVE:
      return kk * dd + dd * (dd - 1.0) / 2.0;
    case Model::EEV:
      return 1.0 + (dd - 1.0) + kk * dd * (dd - 1.0) / 2.0;
    case Model::VEV:
      return kk + (dd - 1.0) + kk * dd * (dd - 1.0) / 2.0;
    case Model::EVV:
      return 1.0 - kk + kk * dd * (dd + 1.0) / 2.0;
    case Model::VVV:
      return kk * dd * (dd + 1.0) / 2.0;
  }
  return 0.0;
}

// Proportions, means (d x K, one column per component) and covariances, with
// the factors the E step uses: precision_chol.slice(k) is the upper
// triangular U_k with inverse(Sigma_k) = U_k U_k', so
// log N(x | mu_k, Sigma_k) = -d/2 log(2 pi) + sum_j log U_k[j, j]
//                            - ||U_k' (x - mu_k)||^2 / 2.
struct Params {
  arma::vec proportions;
  arma::mat means;
  arma::cube covariances;
  arma::cube precision_chol;
  arma::vec log_det_chol;  // sum_j log U_k[j, j] = -log det(Sigma_k) / 2
  // U_k laid out for the kernels (see pack_factor()), and diag(U_k) (d x K).
  std::vector<double> packed_chol;
  std::size_t packed_length = 0;
  arma::mat precision_diag;
  // Every covariance is diagonal, so the E step can take the O(d) kernel.
  bool diagonal = false;
  // A uniform noise component (see Data::log_noise_density), with its share;
  // `proportions` and it sum to one.
  bool noise = false;
  double noise_proportion = 0.0;

  std::size_t k() const { return proportions.n_elem; }
  // Columns of the posterior: the components, and the noise if any.
  std::size_t columns() const { return proportions.n_elem + (noise ? 1 : 0); }
  std::size_t d() const { return means.n_rows; }
};

// Small dense helpers. Every distinct Armadillo expression is a template
// instantiation of its own, with its own code and debug information, so the
// model code works on plain matrices through these few functions and
// explicit loops; that keeps the shared library small.

// The sum of n values, added in the order of arma::accu() (two interleaved
// partial sums), so that rewriting an accu() as a loop changes nothing.
inline double sum_of(const double* values, std::size_t n) {
  double even = 0.0, odd = 0.0;
  std::size_t j = 1;
  for (; j < n; j += 2) {
    even += values[j - 1];
    odd += values[j];
  }
  if (j - 1 < n) even += values[j - 1];
  return even + odd;
}

inline double sum_of(const arma::vec& values) {
  return sum_of(values.memptr(), values.n_elem);
}

// The largest of n values, ignoring NaN as arma's max() does (-Inf if all
// are NaN).
inline double largest_of(const double* values, std::size_t n) {
  double largest = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    if (values[i] > largest) largest = values[i];
  }
  return largest;
}

// The upper triangle of a square matrix mirrored into the lower, as
// arma::symmatu().
inline arma::mat symmetric_upper(const arma::mat& a) {
  arma::mat out = a;
  for (arma::uword j = 0; j < a.n_cols; ++j) {
    for (arma::uword i = j + 1; i < a.n_rows; ++i) out(i, j) = a(j, i);
  }
  return out;
}

inline arma::mat transposed(const arma::mat& a) {
  return a.t();
}

inline arma::mat product(const arma::mat& a, const arma::mat& b) {
  return a * b;
}

// a b' (a symmetric rank-k update when a and b are the same matrix).
inline arma::mat product_transposed(const arma::mat& a, const arma::mat& b) {
  return a * b.t();
}

// a' b.
inline arma::mat transposed_product(const arma::mat& a, const arma::mat& b) {
  return a.t() * b;
}

// The inverse of the upper triangle of r, itself upper triangular.
inline bool inverse_upper(arma::mat& out, const arma::mat& r) {
  return arma::inv(out, arma::trimatu(r));
}

// sum_j log a[j, j].
inline double sum_log_diagonal(const arma::mat& a) {
  const arma::uword n = std::min(a.n_rows, a.n_cols);
  std::vector<double> logs(n);
  for (arma::uword j = 0; j < n; ++j) logs[j] = std::log(a(j, j));
  return sum_of(logs.data(), n);
}

// Rows of U' (columns of U) that the full Mahalanobis kernel computes at once.
constexpr std::size_t factor_group = 4;

inline std::size_t packed_factor_length(std::size_t d) {
  std::size_t length = 0;
  for (std::size_t i0 = 0; i0 < d; i0 += factor_group) {
    length += std::min(d, i0 + factor_group) * factor_group;
  }
  return length;
}

// Lays out U for the kernel: for each group of four columns i0..i0+3, the
// entries U[j, i0..i0+3] for j = 0 .. i0+3, four at a time, with zeros below
// the diagonal and past d, so the kernel reads one short row per j.
inline void pack_factor(const arma::mat& upper, double* out) {
  const std::size_t d = upper.n_rows;
  for (std::size_t i0 = 0; i0 < d; i0 += factor_group) {
    const std::size_t j_end = std::min(d, i0 + factor_group);
    for (std::size_t j = 0; j < j_end; ++j) {
      for (std::size_t r = 0; r < factor_group; ++r) {
        const std::size_t i = i0 + r;
        *out++ = (i < d && j <= i) ? upper(j, i) : 0.0;
      }
    }
  }
}

// The least share of a variance that a covariance's Cholesky pivot must
// keep, the rest explained by the earlier columns: below it the pivot is a
// rounding residual (about d * 2^-52 of the variance) and the covariance
// singular. A ridge of reg = 1e-6 keeps shares far above it.
constexpr double collinear_share = 1e-13;

// Fills precision_chol, log_det_chol and the kernels' layouts from the
// covariances. A covariance that is not numerically positive definite is an
// error naming the component (1-based, as R users count). `shared` says all
// components share one covariance, so the message speaks of the common one.
inline void factorize(Params& params, bool shared = false) {
  const std::size_t d = params.d();
  const std::size_t k = params.k();
  params.precision_chol.set_size(d, d, k);
  params.log_det_chol.set_size(k);
  params.packed_length = packed_factor_length(d);
  params.packed_chol.assign(params.packed_length * k, 0.0);
  params.precision_diag.set_size(d, k);
  params.diagonal = true;
  arma::mat upper_chol, precision_chol;
  std::vector<double> logs(d);
  for (std::size_t c = 0; c < k; ++c) {
    // Views of the slices: Cube::slice() allocates a matrix per slice.
    const arma::mat sigma(params.covariances.slice_memptr(c), d, d, false, true);
    arma::mat upper(params.precision_chol.slice_memptr(c), d, d, false, true);
    const bool diagonal_sigma = sigma.is_diagmat();
    params.diagonal = params.diagonal && diagonal_sigma;
    bool ok = sigma.is_finite();
    if (ok && diagonal_sigma) {
      // R = sqrt(sigma) and U = 1 / R, as LAPACK computes them, without its
      // overhead on the small matrices of the diagonal models.
      upper.zeros();
      for (std::size_t j = 0; j < d; ++j) {
        const double variance = sigma(j, j);
        ok = ok && variance > 0.0;
        upper(j, j) = 1.0 / std::sqrt(variance);
      }
    } else if (ok) {
      ok = arma::chol(upper_chol, sigma);  // sigma = R'R
      // A pivot that is only what rounding leaves of its variance: the
      // columns are collinear though chol() succeeded (with reg = 0 nothing
      // else would catch it, and the log-likelihood would be near infinite).
      for (std::size_t j = 0; ok && j < d; ++j) {
        ok = upper_chol(j, j) * upper_chol(j, j) > collinear_share * sigma(j, j);
      }
      // U = inverse(R) is upper triangular and U U' = inverse(R'R).
      if (ok) ok = inverse_upper(precision_chol, upper_chol);
      if (ok) {
        for (std::size_t j = 0; j < d; ++j) {
          for (std::size_t i = 0; i < d; ++i) upper(i, j) = i <= j ? precision_chol(i, j) : 0.0;
        }
      }
    }
    if (ok) {
      for (std::size_t j = 0; j < d; ++j) {
        const double diagonal = upper(j, j);
        ok = ok && std::isfinite(diagonal) && diagonal > 0.0;
        params.precision_diag(j, c) = diagonal;
        logs[j] = std::log(diagonal);
      }
    }
    if (ok) {
      params.log_det_chol(c) = sum_of(logs.data(), d);
      pack_factor(upper, params.packed_chol.data() + c * params.packed_length);
    }
    if (!ok) {
      const std::string which = shared
                                    ? std::string("the common covariance matrix")
                                    : "the covariance matrix of component " + std::to_string(c + 1);
      throw error(which + " is not positive definite (singular or nearly so)");
    }
  }
}

// The parameters of data whose column j is multiplied by factor(j): means
// times the factors, covariances times factor(i) factor(j). Exact for powers
// of two. A covariance is multiplied by one factor, then the other: their
// product alone may overflow (2^512 squared, for data near 1e154) where the
// covariance it gives does not. The result still needs factorize().
inline Params rescale(const Params& params, const arma::vec& factor) {
  const std::size_t d = params.d();
  Params out;
  out.noise = params.noise;
  out.noise_proportion = params.noise_proportion;
  out.proportions = params.proportions;
  out.means = params.means;
  out.covariances = params.covariances;
  for (std::size_t c = 0; c < params.k(); ++c) {
    for (std::size_t j = 0; j < d; ++j) {
      out.means(j, c) *= factor(j);
      for (std::size_t i = 0; i < d; ++i) {
        double& covariance = out.covariances(i, j, c);
        covariance = covariance * factor(i) * factor(j);
      }
    }
  }
  return out;
}

// Models whose components all share one covariance matrix, so that a
// failure to factorize it is reported as the common one's.
inline bool is_shared(Model model) {
  return model == Model::EII || model == Model::EEI || model == Model::EEE;
}

}  // namespace softmix

#endif  // SOFTMIX_MODEL_H
