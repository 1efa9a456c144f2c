#' softmix: soft clustering with Gaussian mixture models fitted by EM
#'
#' softmix fits finite mixtures of multivariate normal distributions by the
#' expectation-maximisation (EM) algorithm (Dempster, Laird and Rubin 1977)
#' and returns soft assignments: the n x K matrix of posterior probabilities
#' (responsibilities) that each observation belongs to each component. The
#' computation runs in a C++ core (Armadillo, OpenMP) that makes one pass over
#' the data per EM iteration and gives bit-identical results for any number
#' of threads.
#'
#' @section Fitting a mixture:
#' * [softmix()] fits a mixture of `k` components with a covariance model,
#'   or selects `k` and the model by BIC; [softmix_control()] sets the
#'   tolerance, the iteration limit and the covariance ridge.
#' * Methods for fits: `print()`, `summary()`, `logLik()` and `nobs()` (so
#'   [stats::AIC()] and [stats::BIC()] work), [predict()][predict.softmix()],
#'   [plot()][plot.softmix()], [simulate()][simulate.softmix()] and
#'   [posterior()]; see [softmix-methods].
#'
#' @section What mclust users rely on, and more:
#' * Observation weights, partly known labels, fixed parameters, a noise
#'   component ([softmix_hypervolume()]) and a conjugate prior
#'   ([softmix_prior()]): arguments of [softmix()].
#' * Missing values are handled inside EM (`missing = "em"`, the default).
#' * Discriminant analysis: [softmix_da()] and its cross-validation
#'   [softmix_da_cv()].
#' * The bootstrap of a fit's parameters ([softmix_bootstrap()]) and the
#'   likelihood ratio test for the number of components ([softmix_lrt()]).
#' * mclust's hierarchical clustering as a start: [softmix_hc()], [hc_cut()].
#' * Data too large for memory: on a cluster's workers ([softmix_shards()])
#'   or streamed from a file ([softmix_file()]), with the same EM.
#'
#' @section EM by hand:
#' * [e_step()] computes the responsibilities and the log-likelihood for
#'   given parameters, by Bayes' rule.
#' * [m_step()] computes weighted maximum-likelihood parameters from any
#'   n x K matrix of responsibilities.
#' * [mixture_params()] builds and checks parameters;
#'   [dmixture()] and [rmixture()] evaluate and simulate a mixture;
#'   [pmixture()] and [qmixture()] give its distribution and quantile
#'   functions in one dimension, and [pmixture()] the probabilities of
#'   rectangles in several.
#'
#' @section Covariance models:
#' Covariance models use mclust's codes (Fraley and Raftery 2002), after the
#' eigen-decomposition \eqn{\Sigma_k = \lambda_k D_k A_k D_k^T} of Celeux and
#' Govaert (1995), all 14 of them: `"EII"`, `"VII"`, `"EEI"`, `"VEI"`,
#' `"EVI"`, `"VVI"`, `"EEE"`, `"VEE"`, `"EVE"`, `"VVE"`, `"EEV"`, `"VEV"`,
#' `"EVV"` and `"VVV"`, with the aliases `"spherical"`, `"diagonal"`,
#' `"tied"` and `"full"`, and `"E"` and `"V"` for one variable. See
#' [softmix()].
#'
#' @section Threads:
#' [softmix_threads()] reads or sets the default number of threads (at most
#' 2 unless set); every function that runs the core also takes `n_threads`.
#' The environment variable `OMP_THREAD_LIMIT` and the number of processors
#' cap every count, and a process forked from R runs on one thread.
#'
#' @section Vignettes:
#' * `vignette("softmix", package = "softmix")`, *Soft clustering with
#'   Gaussian mixtures*: hard and soft assignments, Bayes' rule, maximum
#'   likelihood from soft assignments, EM as a loop of [e_step()] and
#'   [m_step()], and model selection by BIC.
#' * `vignette("speed", package = "softmix")`, *Speed and scale*: threads,
#'   bit-identical results, the fused E and M pass, memory, accelerated EM
#'   and the measured speed against mclust, Armadillo and scikit-learn.
#' * `vignette("beyond", package = "softmix")`, *Beyond one machine*: EM
#'   over a cluster's workers, through future, and from files larger than
#'   memory.
#'
#' @references
#' Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood
#' from incomplete data via the EM algorithm. *Journal of the Royal
#' Statistical Society B*, 39(1), 1-38. \doi{10.1111/j.2517-6161.1977.tb01600.x}
#'
#' Fraley, C. and Raftery, A. E. (2002). Model-based clustering, discriminant
#' analysis, and density estimation. *Journal of the American Statistical
#' Association*, 97(458), 611-631. \doi{10.1198/016214502760047131}
#'
#' Celeux, G. and Govaert, G. (1995). Gaussian parsimonious clustering models.
#' *Pattern Recognition*, 28(5), 781-793. \doi{10.1016/0031-3203(94)00125-6}
#'
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' fit
#' head(posterior(fit))
#' plot(fit)
#' @useDynLib softmix, .registration = TRUE
#' @importFrom Rcpp evalCpp
"_PACKAGE"
