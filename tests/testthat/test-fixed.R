# Fixed parameters: softmix(init = params, fixed = ...) holds the named parts
# at their given values and estimates the rest; checked against a plain-R EM.

faithful_fit_params <- with(
  ref_m_step(faithful_x, one_hot(kmeans_labels(faithful_x, 2)), "VVV"),
  mixture_params(proportions, means, covariances)
)

# One plain-R EM step of VVV with the parts in `fixed` held at `params`'s.
ref_fixed_step <- function(x, params, fixed) {
  z <- ref_e_step(x, params)$posterior
  n_k <- colSums(z)
  k <- ncol(z)
  d <- ncol(x)
  proportions <- if ("proportions" %in% fixed) params$proportions else n_k / sum(n_k)
  means <- if ("means" %in% fixed) {
    params$means
  } else {
    t(vapply(seq_len(k), function(j) colSums(z[, j] * x) / n_k[j], numeric(d)))
  }
  covariances <- if ("covariances" %in% fixed) {
    params$covariances
  } else {
    array(unlist(lapply(seq_len(k), function(j) {
      centred <- sweep(x, 2, means[j, ])
      crossprod(centred * z[, j], centred) / n_k[j]
    })), c(d, d, k))
  }
  mixture_params(proportions, means, covariances)
}

test_that("each subset of fixed parts follows the plain-R EM with those parts held", {
  parts <- c("proportions", "means", "covariances")
  subsets <- c(lapply(parts, identity), combn(parts, 2, simplify = FALSE))
  for (fixed in subsets) {
    fit <- to_max_iter(softmix(faithful_x, init = faithful_fit_params, fixed = fixed,
                               control = plain_control(tol = 0, max_iter = 5, reg = 0),
                               n_threads = 1))
    params <- faithful_fit_params
    trace <- numeric(0)
    for (i in 1:5) {
      trace <- c(trace, ref_e_step(faithful_x, params)$loglik)
      params <- ref_fixed_step(faithful_x, params, fixed)
    }
    trace <- c(trace, ref_e_step(faithful_x, params)$loglik)
    expect_max_diff(fit$loglik_trace, trace, 1e-10, relative = TRUE)
    expect_max_diff(flatten_params(fit$parameters), flatten_params(params), 1e-9,
                    relative = TRUE)
    for (part in fixed) {
      expect_identical(unname(fit$parameters[[part]]), unname(faithful_fit_params[[part]]))
    }
  }
})

test_that("re-estimating only the proportions of a known mixture on new data", {
  known <- mixture_params(c(0.5, 0.5), means = rbind(c(2, 55), c(4.3, 80)),
                          covariances = array(c(0.1, 0, 0, 30, 0.2, 0, 0, 40), c(2, 2, 2)))
  fit <- softmix(faithful_x, init = known, fixed = c("means", "covariances"), n_threads = 2)
  expect_true(fit$converged)
  # At the fixed point each proportion is the mean posterior under the fit.
  expect_max_diff(fit$parameters$proportions,
                  colMeans(ref_e_step(faithful_x, fit$parameters)$posterior), 1e-6,
                  relative = TRUE)
  expect_identical(fit$df, 1)
  expect_max_diff(fit$bic, -2 * fit$loglik + log(nrow(faithful_x)), 1e-12, relative = TRUE)
  expect_identical(fit$fixed, c("means", "covariances"))
  expect_output(print(fit), "fixed: means, covariances")
})

test_that("fixed parts hold under acceleration and for models without closed forms", {
  for (model in c("VVV", "VEV", "EVE", "VEI")) {
    start <- m_step(faithful_x, one_hot(kmeans_labels(faithful_x, 2)), model = model,
                    n_threads = 1)
    fit <- to_max_iter(softmix(faithful_x, model = model, init = start, fixed = "means",
                               control = softmix_control(max_iter = 200), n_threads = 1))
    expect_identical(unname(fit$parameters$means), unname(start$means))
    expect_true(all(diff(fit$loglik_trace) > -1e-9 * abs(fit$loglik)))
  }
})

test_that("degrees of freedom count only the free parameters", {
  fit <- to_max_iter(softmix(iris_x, init = with(
    ref_m_step(iris_x, one_hot(kmeans_labels(iris_x, 3)), "VVV"),
    mixture_params(proportions, means, covariances)
  ), fixed = "covariances", control = softmix_control(max_iter = 5), n_threads = 1))
  # 2 proportions and 12 means are free.
  expect_identical(fit$df, 14)
})

test_that("`fixed` without parameters to fix, or with bad parts, is an error", {
  expect_error(softmix(faithful_x, k = 2, fixed = "means", n_threads = 1),
               "`fixed` needs parameters to fix", class = "softmix_error")
  expect_error(softmix(faithful_x, init = one_hot(kmeans_labels(faithful_x, 2)),
                       fixed = "means", n_threads = 1),
               "`fixed` needs parameters to fix", class = "softmix_error")
  expect_error(softmix(faithful_x, init = faithful_fit_params, fixed = "variances",
                       n_threads = 1),
               "`fixed` must name parts of the parameters", class = "softmix_error")
  expect_error(softmix(faithful_x, init = faithful_fit_params, fixed = "means",
                       model = c("VVV", "EEE"), n_threads = 1),
               "`fixed` needs a single `model`", class = "softmix_error")
  expect_error(softmix(faithful_x, init = faithful_fit_params, labels = c(3, rep(NA, 271)),
                       fixed = "means", n_threads = 1),
               "`labels` name 3 components, more than `k` = 2 allows", class = "softmix_error")
})

test_that("fixed covariances must have the structure of the model", {
  skip_if_not_installed("mclust")
  models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
              "VEV", "EVV", "VVV")
  # Reference: mclust's M step of each model on iris has its structure.
  z <- one_hot(kmeans_labels(iris_x, 3))
  mclust_params <- function(model) {
    fit <- getExportedValue("mclust", paste0("mstep", model))(data = iris_x, z = z)
    with(fit$parameters, mixture_params(pro, t(mean), variance$sigma))
  }
  general <- mclust_params("VVV")
  for (model in models) {
    own <- mclust_params(model)
    fit <- to_max_iter(softmix(iris_x, model = model, init = own, fixed = "covariances",
                               control = softmix_control(max_iter = 3), n_threads = 1))
    expect_identical(unname(fit$parameters$covariances), unname(own$covariances))
    if (model != "VVV") {
      # iris's VVV covariances have none of the other models' structures.
      expect_error(softmix(iris_x, model = model, init = general, fixed = "covariances",
                           control = softmix_control(max_iter = 3), n_threads = 1),
                   sprintf("model %s needs", model), class = "softmix_error")
    }
  }
})
