# A uniform noise component: softmix(noise =, hypervolume =), checked
# against mclust's me(..., Vinv =) and hypvol(), and brute-force densities.

# faithful with 20 uniform outliers over its bounding box.
outlier_x <- with_seed(31, {
  ranges <- apply(faithful_x, 2, range)
  rbind(faithful_x, cbind(runif(20, ranges[1, 1], ranges[2, 1]),
                          runif(20, ranges[1, 2], ranges[2, 2])))
})
outlier_set <- c(rep(FALSE, nrow(faithful_x)), rep(TRUE, 20))

# The mixture log-density with the noise's density 1 / V added.
ref_noise_log_density <- function(x, parameters) {
  k <- nrow(parameters$means)
  log_joint <- cbind(
    ref_log_joint(x, list(proportions = parameters$proportions[seq_len(k)],
                          means = parameters$means, covariances = parameters$covariances)),
    log(parameters$proportions[k + 1]) - log(parameters$hypervolume)
  )
  list(log_density = ref_log_sum_exp(log_joint),
       posterior = exp(log_joint - ref_log_sum_exp(log_joint)))
}

test_that("the hypervolume is mclust's hypvol()", {
  skip_if_not_installed("mclust")
  expect_max_diff(softmix_hypervolume(outlier_x), mclust::hypvol(outlier_x), 1e-12,
                  relative = TRUE)
  expect_max_diff(softmix_hypervolume(iris_x), mclust::hypvol(iris_x), 1e-12, relative = TRUE)
  expect_max_diff(softmix_hypervolume(faithful_x[, 1]), mclust::hypvol(faithful_x[, 1]), 1e-12,
                  relative = TRUE)
  expect_max_diff(softmix_hypervolume(iris_x, log = TRUE), log(mclust::hypvol(iris_x)), 1e-12,
                  relative = TRUE)
})

test_that("noise fits reach mclust's me(Vinv =) fixed point on faithful with outliers", {
  skip_if_not_installed("mclust")
  volume <- softmix_hypervolume(outlier_x)
  z <- one_hot(kmeans_labels(faithful_x, 2), 2)
  start <- cbind(rbind(z, matrix(0, 20, 2)), as.numeric(outlier_set))
  for (model in c("VVV", "EEE", "VVI", "EII", "VEV")) {
    # me() looks its model's function up where it is called, so call that;
    # at a tolerance of 1e-12 mclust still stops about 1e-6 from its fixed point.
    me_model <- get(paste0("me", model), envir = asNamespace("mclust"))
    reference <- me_model(outlier_x, z = start, Vinv = 1 / volume,
                          control = mclust::emControl(tol = c(1e-14, 1e-12)))
    # me() runs plain EM; so does this fit, to the same fixed point.
    fit <- softmix(outlier_x, model = model, init = start, noise = TRUE,
                   control = plain_control(tol = 1e-13, reg = 0, max_iter = 10000),
                   n_threads = 2)
    expect_mclust_fit(fit, reference, 1e-6)
    # Accelerated EM ends at a fixed point of the same EM (for EII another
    # one than plain EM's from this start, as extrapolation may).
    fast <- softmix(outlier_x, model = model, init = start, noise = TRUE,
                    control = softmix_control(tol = 1e-13, reg = 0), n_threads = 2)
    again <- softmix(outlier_x, model = model, init = fast$parameters, noise = TRUE,
                     control = plain_control(tol = 1e-13, reg = 0), n_threads = 2)
    expect_max_diff(again$loglik, fast$loglik, 1e-9, relative = TRUE)
    expect_lte(max_relative_drop(fast$loglik_trace), 1e-12)
    # mclust's nMclustParams() counts the noise's share and hypervolume.
    expect_identical(fit$df, mclust::nMclustParams(model, 2, 2, noise = TRUE))
  }
})

test_that("the posterior has a noise column and classification marks noise 0", {
  fit <- softmix(outlier_x, k = 2, noise = outlier_set, n_threads = 1)
  expect_identical(colnames(fit$posterior), c("1", "2", "noise"))
  expect_identical(names(fit$parameters$proportions), c("", "", "noise"))
  expect_max_diff(sum(fit$parameters$proportions), 1, 1e-12)
  reference <- ref_noise_log_density(outlier_x, fit$parameters)
  expect_max_diff(fit$posterior, reference$posterior, 1e-10)
  expect_max_diff(fit$loglik, sum(reference$log_density), 1e-10, relative = TRUE)
  expected_class <- max.col(reference$posterior, ties.method = "first")
  expected_class[expected_class == 3L] <- 0L
  expect_identical(fit$classification, expected_class)
  expect_true(sum(fit$classification == 0L) >= 10)
  expect_true(all(diff(fit$loglik_trace) > -1e-9 * abs(fit$loglik)))
  # predict(), dmixture() and e_step() include the noise.
  expect_identical(predict(fit), expected_class)
  expect_max_diff(dmixture(outlier_x, fit$parameters, log = TRUE, n_threads = 1),
                  reference$log_density, 1e-10, relative = TRUE)
  expect_max_diff(e_step(outlier_x, fit$parameters, n_threads = 1)$posterior,
                  reference$posterior, 1e-10)
})

test_that("noise = TRUE starts from rows far from their neighbours", {
  fit <- softmix(outlier_x, k = 2, noise = TRUE, n_threads = 1)
  set <- fit$noise$set
  expect_length(set, nrow(outlier_x))
  expect_true(any(set))
  # Most rows it picks are outliers.
  expect_true(mean(outlier_set[set]) > 0.5)
  expect_max_diff(fit$parameters$hypervolume, softmix_hypervolume(outlier_x), 1e-12,
                  relative = TRUE)
})

test_that("a given hypervolume sets the noise's density", {
  fit <- softmix(outlier_x, k = 2, noise = outlier_set, hypervolume = 500, n_threads = 1)
  expect_identical(fit$parameters$hypervolume, 500)
  reference <- ref_noise_log_density(outlier_x, fit$parameters)
  expect_max_diff(fit$loglik, sum(reference$log_density), 1e-10, relative = TRUE)
  box <- fit$parameters$noise_box
  expect_max_diff(prod(box[2, ] - box[1, ]), 500, 1e-12, relative = TRUE)
})

test_that("noise combines with weights, labels and selection, k = 0 included", {
  w <- with_seed(9, sample(1:2, nrow(outlier_x), replace = TRUE))
  rows <- rep(seq_len(nrow(outlier_x)), w)
  volume <- softmix_hypervolume(outlier_x)
  control <- plain_control(tol = 0, max_iter = 10)
  weighted <- to_max_iter(softmix(outlier_x, k = 2, noise = outlier_set, hypervolume = volume,
                                  init = "kmeans++", weights = w, control = control,
                                  n_threads = 1))
  start <- weighted$parameters
  again <- to_max_iter(softmix(outlier_x, init = start, weights = w, control = control,
                               n_threads = 1))
  repeated <- to_max_iter(softmix(outlier_x[rows, ], init = start, control = control,
                                  n_threads = 1))
  expect_max_diff(again$loglik_trace, repeated$loglik_trace, 1e-10, relative = TRUE)

  selection <- with_seed(3, softmix(outlier_x, k = 0:3, model = c("VVV", "EEE"),
                                    noise = outlier_set, n_threads = 2, verbose = FALSE))
  zero <- selection$selection[selection$selection$k == 0, ]
  expect_identical(nrow(zero), 2L)
  expect_max_diff(zero$loglik, rep(-nrow(outlier_x) * log(volume), 2), 1e-12, relative = TRUE)
  expect_identical(zero$df, c(1, 1))
  expect_true(selection$k > 0)
  all_noise <- softmix(outlier_x, k = 0, noise = TRUE, n_threads = 1)
  expect_identical(all_noise$classification, integer(nrow(outlier_x)))
  expect_output(print(all_noise), "0 components")

  labels <- rep(NA, nrow(outlier_x))
  labels[1:5] <- kmeans_labels(faithful_x, 2)[1:5]
  labelled <- softmix(outlier_x, k = 2, noise = outlier_set, labels = labels, n_threads = 1)
  expect_identical(unname(labelled$posterior[1:5, "noise"]), rep(0, 5))
})

test_that("the default hypervolume counts the rows as their weights do", {
  # Zero weights: the rows' region without them (a far row weighted 0
  # would otherwise stretch it). Integer weights: the rows repeated, whose
  # principal axes differ from the distinct rows'.
  far <- rbind(outlier_x, c(10, 150))
  w <- c(rep(1, nrow(outlier_x)), 0)
  dropped <- softmix(far, 2, weights = w, noise = TRUE, n_threads = 1)
  without <- softmix(outlier_x, 2, noise = TRUE, n_threads = 1)
  expect_equal(dropped$noise$hypervolume, without$noise$hypervolume, tolerance = 1e-12)
  expect_equal(dropped$loglik, without$loglik, tolerance = 1e-10)
  # Correlated rows, whose principal components' box is the smaller.
  z <- with_seed(8, matrix(stats::rnorm(400), ncol = 2))
  correlated <- cbind(z[, 1], z[, 1] + 0.3 * z[, 2])
  counts <- with_seed(9, sample(1:3, nrow(correlated), replace = TRUE))
  repeated <- correlated[rep(seq_len(nrow(correlated)), counts), ]
  weighted <- softmix(correlated, 2, weights = counts, noise = TRUE, init = "kmeans++",
                      n_threads = 1)
  expect_equal(weighted$noise$hypervolume, softmix_hypervolume(repeated), tolerance = 1e-12)
})

test_that("rmixture() and simulate() draw noise points from the box", {
  fit <- softmix(outlier_x, k = 2, noise = outlier_set, n_threads = 1)
  draws <- with_seed(4, rmixture(20000, fit$parameters))
  component <- attr(draws, "component")
  expect_max_diff(mean(component == 0), fit$parameters$proportions[3],
                  4 * sqrt(0.1 * 0.9 / 20000))
  box <- fit$parameters$noise_box
  noise_rows <- draws[component == 0, ]
  expect_true(all(noise_rows[, 1] >= box[1, 1] & noise_rows[, 1] <= box[2, 1]))
  expect_true(all(noise_rows[, 2] >= box[1, 2] & noise_rows[, 2] <= box[2, 2]))
  simulated <- with_seed(5, simulate(fit, nsim = 1))
  expect_true(is.data.frame(simulated) || is.matrix(simulated) || is.list(simulated))
})

test_that("bad noise input gets an error naming the argument", {
  expect_error(softmix(outlier_x, k = 2, noise = outlier_set[-1], n_threads = 1),
               "`noise` must be TRUE, FALSE or a logical vector", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = replace(outlier_set, 2, NA), n_threads = 1),
               "NA in 1 row\\(s\\), the first being row 2", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = as.numeric(outlier_set), n_threads = 1),
               "it is of type double", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = rep(TRUE, nrow(outlier_x)), n_threads = 1),
               "`noise` marks every observation as noise", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = rep(FALSE, nrow(outlier_x)), n_threads = 1),
               "`noise` marks no observation as noise", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = TRUE, hypervolume = -1, n_threads = 1),
               "`hypervolume` must be one positive finite number", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = TRUE, hypervolume = 0, n_threads = 1),
               "`hypervolume` must be one positive finite number", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, hypervolume = 10, n_threads = 1),
               "`hypervolume` is given but `noise` is FALSE", class = "softmix_error")
  expect_error(softmix(outlier_x, k = 0, n_threads = 1), "needs `noise`",
               class = "softmix_error")
  expect_error(softmix(outlier_x, k = 2, noise = TRUE, init = "random", n_threads = 1),
               "cannot start a fit with `noise`", class = "softmix_error")
  expect_error(mixture_params(c(0.5, 0.4, 0.1), means = c(0, 1), covariances = c(1, 1),
                              hypervolume = -2), "`hypervolume` must be one positive",
               class = "softmix_error")
  # A posterior start with noise: its last column is the noise's.
  posterior <- cbind(outlier_set * 0 + 0.5, 0.5)
  expect_error(softmix(outlier_x, k = 2, noise = TRUE, init = posterior, n_threads = 1),
               "describes 1 components \\(with `noise`, a posterior's last column is the noise's\\)",
               class = "softmix_error")
  # Rows with missing values cannot be classified against the noise.
  fit <- softmix(outlier_x, k = 2, noise = TRUE, n_threads = 1)
  partial <- rbind(c(NA, 70), c(4, 80))
  expect_error(predict(fit, partial), "`newdata` has missing values in 1 row.*noise",
               class = "softmix_error")
  expect_error(e_step(partial, fit$parameters), "`x` has missing values in 1 row.*noise",
               class = "softmix_error")
  expect_error(dmixture(partial, fit$parameters), "`x` has missing values in 1 row.*noise",
               class = "softmix_error")
})

test_that("methods handle the noise component", {
  fit <- softmix(outlier_x, k = 2, noise = outlier_set, n_threads = 1)
  # coef(): both components' shares are free, the noise's follows.
  coefficients <- coef(fit)
  expect_identical(unname(coefficients[c("proportion.1", "proportion.2")]),
                   unname(fit$parameters$proportions[1:2]))
  # residuals(): each row minus its posterior-weighted component mean.
  expected <- outlier_x - fit$posterior[, 1:2] %*% fit$parameters$means
  expect_max_diff(residuals(fit), expected, 1e-12)
  tidied <- generics::tidy(fit)
  expect_identical(as.character(tidied$component), c("1", "2", "noise"))
  expect_identical(tidied$size[3], sum(fit$classification == 0L))
  expect_max_diff(sum(tidied$proportion), 1, 1e-12)
  augmented <- generics::augment(fit)
  expect_identical(levels(augmented$.class), c("1", "2", "noise"))
  expect_identical(augmented$.class == "noise", fit$classification == 0L)
  expect_identical(as.data.frame(fit)$df, fit$df)
  expect_error(softmix_bootstrap(fit, B = 2), "`fit` has a noise component",
               class = "softmix_error")
})

test_that("the starting noise set's distances are the 5th nearest neighbours'", {
  z <- scale(outlier_x, center = FALSE, scale = apply(outlier_x, 2, sd))
  brute <- apply(as.matrix(dist(z)), 1, function(v) sort(v)[6])
  expect_max_diff(softmix:::neighbour_distances_cpp(z, seq_len(nrow(z)), 5L), unname(brute),
                  1e-12, relative = TRUE)
})
