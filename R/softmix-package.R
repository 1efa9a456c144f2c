#' softmix: soft clustering with Gaussian mixture models fitted by EM
#'
#' softmix fits finite mixtures of multivariate normal distributions by the
#' expectation-maximisation (EM) algorithm and returns soft assignments: the
#' n x K matrix of posterior probabilities (responsibilities) that each
#' observation belongs to each component. The computation runs in a C++ core
#' (Armadillo, OpenMP) that makes one pass over the data per EM iteration and
#' gives bit-identical results for any number of threads.
#'
#' The main functions:
#' * [softmix()] fits a mixture; [softmix_control()] sets its tolerances.
#' * [e_step()] and [m_step()] run one E or M step, to study or build EM by
#'   hand; [mixture_params()] builds parameters.
#' * [dmixture()] and [rmixture()] evaluate and simulate a mixture.
#' * Methods for fits: `print()`, `summary()`, `predict()`, `plot()`,
#'   `logLik()`, `nobs()`, `simulate()` and [posterior()].
#' * [softmix_threads()] sets the default number of threads.
#'
#' Covariance models follow mclust's codes (Fraley and Raftery 2002; Celeux
#' and Govaert 1995): see [softmix()].
#'
#' @references
#' Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood
#' from incomplete data via the EM algorithm. *Journal of the Royal
#' Statistical Society B*, 39(1), 1-38.
#'
#' Fraley, C. and Raftery, A. E. (2002). Model-based clustering, discriminant
#' analysis, and density estimation. *Journal of the American Statistical
#' Association*, 97(458), 611-631.
#'
#' Celeux, G. and Govaert, G. (1995). Gaussian parsimonious clustering models.
#' *Pattern Recognition*, 28(5), 781-793.
#'
#' @keywords internal
#' @useDynLib softmix, .registration = TRUE
#' @importFrom Rcpp evalCpp
"_PACKAGE"
