# Partly known labels: softmix(labels =), checked against mclust's
# MclustSSC() and a brute-force log-likelihood from mvtnorm.

# iris with every other row's species hidden.
iris_known <- iris$Species
iris_known[seq(2, 150, by = 2)] <- NA

# MclustSSC's log-likelihood: the mixture density of unlabelled rows, the
# complete-data density of labelled ones.
ref_ssc_loglik <- function(x, parameters, labels) {
  log_joint <- ref_log_joint(x, parameters)
  known <- !is.na(labels)
  sum(ref_log_sum_exp(log_joint[!known, , drop = FALSE])) +
    sum(log_joint[cbind(which(known), labels[known])])
}

test_that("labelled fits reach MclustSSC's fixed point on iris with half the labels hidden", {
  skip_if_not_installed("mclust")
  # MclustSSC's start: one-hot rows for the labelled, 1/G for the others.
  z <- matrix(1 / 3, 150, 3)
  z[!is.na(iris_known), ] <- one_hot(as.integer(iris_known[!is.na(iris_known)]), 3)
  for (model in c("VVV", "EEE", "VVI")) {
    # MclustSSC() does not pass `control` on to its fitting function, which
    # stops at an absolute change of 1e-5 by default; the function itself
    # takes a tighter tolerance.
    reference <- mclust:::MclustSSC.fit(iris_x, iris_known, G = 3, modelName = model,
                                        control = mclust::emControl(tol = c(1e-12, 1e-12)))
    fit <- softmix(iris_x, model = model, init = z, labels = iris_known,
                   control = softmix_control(tol = 1e-13, reg = 0), n_threads = 2)
    expect_max_diff(fit$loglik, reference$loglik, 1e-6, relative = TRUE)
    expect_max_diff(fit$parameters$proportions, reference$parameters$pro, 1e-6,
                    relative = TRUE)
    expect_max_diff(fit$parameters$means, t(reference$parameters$mean), 1e-6, relative = TRUE)
    expect_max_diff(fit$parameters$covariances, reference$parameters$variance$sigma, 1e-6,
                    relative = TRUE)
  }
})

test_that("known rows stay one-hot and the log-likelihood is MclustSSC's", {
  labels <- as.integer(iris_known)
  for (model in c("VVV", "VEV", "EVI")) {
    fit <- softmix(iris_x, k = 3, model = model, labels = labels, n_threads = 1)
    known <- !is.na(labels)
    expect_identical(fit$posterior[known, ], one_hot(labels[known], 3))
    expect_identical(fit$classification[known], labels[known])
    expect_max_diff(fit$loglik, ref_ssc_loglik(iris_x, fit$parameters, labels), 1e-10,
                    relative = TRUE)
    # Unknown rows get the posterior of the fitted mixture.
    expect_max_diff(fit$posterior[!known, ],
                    ref_e_step(iris_x[!known, ], fit$parameters)$posterior, 1e-10)
    expect_true(all(diff(fit$loglik_trace) > -1e-9 * abs(fit$loglik)))
  }
})

test_that("a factor's levels name the first components; extra components are free", {
  fit <- with_seed(1, softmix(iris_x, k = 4, labels = iris_known, n_threads = 1))
  known <- !is.na(iris_known)
  expect_identical(fit$classification[known], as.integer(iris_known[known]))
  expect_identical(fit$labels$names, levels(iris$Species))
  expect_identical(fit$k, 4L)
  # Numbers work the same way as the factor's codes.
  again <- with_seed(1, softmix(iris_x, k = 4, labels = as.integer(iris_known), n_threads = 1))
  expect_identical(again$loglik, fit$loglik)
})

test_that("labels with weights: a row of weight 2 is the labelled row twice", {
  w <- with_seed(2, sample(1:2, 150, replace = TRUE))
  rows <- rep(seq_len(150), w)
  start <- with(ref_m_step(iris_x, one_hot(kmeans_labels(iris_x, 3)), "VVV"),
                mixture_params(proportions, means, covariances))
  control <- plain_control(tol = 0, max_iter = 10)
  weighted <- to_max_iter(softmix(iris_x, init = start, labels = iris_known, weights = w,
                                  control = control, n_threads = 1))
  repeated <- to_max_iter(softmix(iris_x[rows, ], init = start, labels = iris_known[rows],
                                  control = control, n_threads = 1))
  expect_max_diff(weighted$loglik_trace, repeated$loglik_trace, 1e-10, relative = TRUE)
})

test_that("selection keeps k at least the number of label levels", {
  fit <- with_seed(3, softmix(iris_x, k = 1:4, model = c("VVV", "EEE"), labels = iris_known,
                              n_threads = 2, verbose = FALSE))
  expect_identical(sort(unique(fit$selection$k)), 3:4)
  known <- !is.na(iris_known)
  expect_identical(fit$classification[known], as.integer(iris_known[known]))
  # predict() classifies new data with the fitted mixture.
  new_rows <- iris_x[c(1, 51, 101), ]
  predicted <- predict(fit, new_rows, type = "posterior")
  expect_max_diff(predicted, ref_e_step(new_rows, fit$parameters)$posterior, 1e-10)
  expect_identical(predict(fit, new_rows), max.col(predicted, ties.method = "first"))
})

test_that("random and posterior starts respect the labels", {
  fit <- with_seed(4, softmix(iris_x, k = 3, init = "random", labels = iris_known,
                              n_threads = 1))
  known <- !is.na(iris_known)
  expect_identical(fit$classification[known], as.integer(iris_known[known]))
})

test_that("bad labels get an error naming the argument", {
  expect_error(softmix(iris_x, k = 2, labels = iris_known, n_threads = 1),
               "`labels` name 3 components, more than `k` = 2 allows", class = "softmix_error")
  expect_error(softmix(iris_x, k = 3, labels = iris_known[-1], n_threads = 1),
               "`labels` must have one entry per observation: 149 for 150",
               class = "softmix_error")
  expect_error(softmix(iris_x, k = 3, labels = c(0, rep(NA, 149)), n_threads = 1),
               "`labels` must be NA or whole component numbers", class = "softmix_error")
  expect_error(softmix(iris_x, k = 3, labels = c(1.5, rep(NA, 149)), n_threads = 1),
               "`labels` must be NA or whole component numbers", class = "softmix_error")
  expect_error(softmix(iris_x, k = 3, labels = c(5, rep(NA, 149)), n_threads = 1),
               "`labels` name 5 components, more than `k` = 3 allows", class = "softmix_error")
  expect_error(softmix(iris_x, k = 3, labels = rep(NA, 150), n_threads = 1),
               "`labels` has no known entry", class = "softmix_error")
  expect_error(softmix(iris_x, k = 3, labels = list(1), n_threads = 1),
               "`labels` must be a factor or component numbers", class = "softmix_error")
})
