"""scikit-learn's GaussianMixture as a benchmark peer for softmix.

bench/run.R loads this file with reticulate (Python /usr/bin/python3) so that
scikit-learn runs in the same process as the R peers.

Why warm_start instead of weights_init / means_init / precisions_init:
GaussianMixture.fit() with explicit initial parameters still runs its
init_params step first (random or k-means responsibilities followed by a full
M step, whose result the given parameters then overwrite). That is one M
step of work that is not EM. With warm_start=True and the fitted attributes
already set, fit() skips initialisation and starts EM from exactly these
parameters, which is what the other peers do.
"""

import time
import warnings

import numpy as np
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits


def as_points(x):
    """The data as a C-ordered float64 array (R hands over column-major)."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64))


def blas_threading():
    """The threaded BLAS/OpenMP libraries threadpoolctl can limit."""
    return [
        "%s (%s, %d threads)" % (info["internal_api"], info["user_api"], info["num_threads"])
        for info in threadpool_info()
    ]


def has_threaded_blas():
    """Whether numpy's BLAS is one whose thread count threadpoolctl controls.

    GaussianMixture is plain numpy/scipy: it is parallel only through BLAS. The
    reference BLAS (Debian's libblas3) is single-threaded and invisible to
    threadpoolctl.
    """
    return any(info["user_api"] == "blas" for info in threadpool_info())


def _precision_cholesky(covariances, covariance_type):
    """Cholesky factors of the precisions, as GaussianMixture stores them."""
    if covariance_type == "diag":
        return 1.0 / np.sqrt(covariances)
    d = covariances.shape[1]
    factors = np.empty_like(covariances)
    for k, cov in enumerate(covariances):
        cov_chol = linalg.cholesky(cov, lower=True)
        factors[k] = linalg.solve_triangular(cov_chol, np.eye(d), lower=True).T
    return factors


def fit_em(x, weights, means, covariances, covariance_type, n_iter, n_threads):
    """Exactly n_iter EM iterations (tol = 0) from the given parameters.

    x: n x d C-ordered array (see as_points); weights: K; means: K x d;
    covariances: K x d x d ("full") or K x d ("diag"). fit() itself does
    n_iter E+M rounds and then one final E step, like softmix. Only fit() is
    timed. Returns the seconds, the iterations fit() reports, and the fitted
    parameters.
    """
    weights = np.asarray(weights, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    covariances = np.asarray(covariances, dtype=np.float64)
    model = GaussianMixture(
        n_components=len(weights),
        covariance_type=covariance_type,
        tol=0.0,
        reg_covar=0.0,
        max_iter=int(n_iter),
        warm_start=True,
    )
    model.weights_ = weights
    model.means_ = means
    model.covariances_ = covariances
    model.precisions_cholesky_ = _precision_cholesky(covariances, covariance_type)
    model.converged_ = False
    model.lower_bound_ = -np.inf
    with warnings.catch_warnings(), threadpool_limits(limits=int(n_threads)):
        # tol = 0 never converges, by design
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        start = time.perf_counter()
        model.fit(x)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "iterations": int(model.n_iter_),
        "weights": model.weights_,
        "means": model.means_,
        "covariances": model.covariances_,
    }
