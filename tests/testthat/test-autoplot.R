# autoplot() needs ggplot2, which is only suggested; these tests are the
# only ones that skip without it.

autoplot_types <- c("classification", "uncertainty", "density", "loglik", "BIC", "ICL")

# The messages of the warnings `code` gives.
collect_warnings <- function(code) {
  messages <- character(0)
  withCallingHandlers(code, warning = function(w) {
    messages <<- c(messages, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  messages
}

# Makes a plot with `make()`, builds it and draws it on a png device, failing
# on any warning (such as ggplot2's "Removed rows containing missing values").
expect_ggplot_draws <- function(make, label) {
  plot <- NULL
  warnings <- collect_warnings(plot <- make())
  expect(length(warnings) == 0, paste0(label, ", making: ", paste(warnings, collapse = "; ")))
  expect(inherits(plot, "ggplot"), paste(label, "is not a ggplot"))
  warnings <- collect_warnings(ggplot2::ggplot_build(plot))
  expect(length(warnings) == 0, paste0(label, ", building: ", paste(warnings, collapse = "; ")))
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = 480, height = 480)
  on.exit(grDevices::dev.off(), add = TRUE)
  warnings <- collect_warnings(print(plot))
  expect(length(warnings) == 0, paste0(label, ", drawing: ", paste(warnings, collapse = "; ")))
}

# With a noise component, weights (some 0) and a selection, so that every
# encoding is drawn.
noisy_weighted_fit <- function(x, seed, ...) {
  n <- NROW(x)
  w <- with_seed(seed, stats::rexp(n))
  w[seq(1, n, length.out = 5)] <- 0
  with_seed(1, softmix(x, k = 1:2, noise = TRUE, weights = w, n_threads = 1, ...))
}

test_that("autoplot() returns a ggplot that builds without warnings for every `what`", {
  skip_if_not_installed("ggplot2")
  skip_if_not(capabilities("png"))
  noisy <- with_seed(3, rbind(as.matrix(faithful),
                              cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  # VVV fails from k = 4 on for 20 points without regularisation: gaps in the BIC lines.
  small <- with_seed(2, matrix(stats::rnorm(40), 20, 2))
  fits <- with_seed(1, list(
    "1-D" = softmix(faithful$waiting, k = 1:3, model = c("E", "V"), n_threads = 1),
    "2-D" = softmix(faithful, k = 1:3, model = c("VVV", "EEE"), n_threads = 1),
    "4-D" = softmix(iris[, 1:4], k = 2:3, model = c("VVV", "EEE"), n_threads = 1),
    "weighted 1-D with noise" = noisy_weighted_fit(noisy[, 2], seed = 4),
    "weighted 2-D with noise" = noisy_weighted_fit(noisy, seed = 5, model = c("VVV", "EEE")),
    "failed pairs" = softmix(small, k = 1:6, model = c("VVV", "EII"),
                             control = softmix_control(reg = 0), n_threads = 1)
  ))
  for (name in names(fits)) {
    for (what in autoplot_types) {
      expect_ggplot_draws(function() ggplot2::autoplot(fits[[name]], what = what),
                          sprintf("%s, what = \"%s\"", name, what))
    }
  }
  # A grid of panels for more than two variables.
  for (what in c("classification", "uncertainty", "density")) {
    expect_ggplot_draws(function() ggplot2::autoplot(fits[["4-D"]], what = what, dims = 1:4),
                        sprintf("4-D pairs, what = \"%s\"", what))
  }
})

test_that("autoplot() draws the all-noise model (k = 0), with no component", {
  skip_if_not_installed("ggplot2")
  skip_if_not(capabilities("png"))
  noisy <- with_seed(3, rbind(as.matrix(faithful),
                              cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  fits <- list("1-D" = softmix(noisy[, 2], k = 0, noise = TRUE, n_threads = 1),
               "2-D" = softmix(noisy, k = 0, noise = TRUE, n_threads = 1))
  for (name in names(fits)) {
    for (what in c("classification", "uncertainty", "density")) {
      expect_ggplot_draws(function() ggplot2::autoplot(fits[[name]], what = what),
                          sprintf("all-noise %s, what = \"%s\"", name, what))
    }
  }
  # One variable of the 2-D fit: its marginal (this used to fail in
  # mixture_params(), which builds no all-noise model).
  for (what in c("classification", "uncertainty", "density")) {
    expect_ggplot_draws(function() ggplot2::autoplot(fits[["2-D"]], what = what, dims = 2),
                        sprintf("all-noise 2-D, dims = 2, what = \"%s\"", what))
  }
})

test_that("autoplot() shows the first two variables by default and follows `dims`", {
  skip_if_not_installed("ggplot2")
  fit <- with_seed(1, softmix(iris[, 1:4], k = 3, n_threads = 1))
  points <- ggplot2::layer_data(ggplot2::autoplot(fit), 1)
  expect_setequal(points$x, iris$Sepal.Length)
  expect_setequal(points$y, iris$Sepal.Width)

  points <- ggplot2::layer_data(ggplot2::autoplot(fit, dims = c("Petal.Width", "Sepal.Length")), 1)
  expect_setequal(points$x, iris$Petal.Width)
  expect_setequal(points$y, iris$Sepal.Length)

  # Three variables: one panel per ordered pair of different variables.
  points <- ggplot2::layer_data(ggplot2::autoplot(fit, dims = 1:3), 1)
  expect_identical(nrow(points), 6L * 150L)
  expect_length(unique(points$PANEL), 6)

  # One variable: a 1-D plot.
  expect_ggplot_draws(function() ggplot2::autoplot(fit, dims = 3), "dims = 3")
  expect_error(ggplot2::autoplot(fit, dims = 7), "dims", class = "softmix_error")
  expect_error(ggplot2::autoplot(fit, what = "nonsense"))
})

test_that("autoplot() fades uncertain points, sizes by weight and marks noise", {
  skip_if_not_installed("ggplot2")
  plain <- with_seed(1, softmix(faithful, k = 2, n_threads = 1))
  points <- ggplot2::layer_data(ggplot2::autoplot(plain), 1)
  # Opacity is 0.25 + 0.75 * (1 - scaled uncertainty).
  scaled <- softmix:::scale_uncertainty(plain$uncertainty, 2)
  expect_setequal(points$alpha, 0.25 + 0.75 * (1 - scaled))
  expect_length(unique(points$size), 1)

  noisy <- with_seed(3, rbind(as.matrix(faithful),
                              cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  fit <- noisy_weighted_fit(noisy, seed = 5)
  expect_true(any(fit$classification == 0))
  points <- ggplot2::layer_data(ggplot2::autoplot(fit), 1)
  noise <- points$shape == softmix:::noise_pch
  expect_identical(sum(noise), sum(fit$classification == 0))
  expect_true(all(points$colour[noise] == softmix:::noise_color))
  expect_gt(length(unique(points$size)), 2)
  # Rows of weight 0 are hollow.
  expect_identical(sum(points$shape == 1), sum(fit$weights == 0 & fit$classification != 0))
})

test_that("autoplot()'s BIC plot uses the base plot's styles, scale and ring", {
  skip_if_not_installed("ggplot2")
  fit <- with_seed(1, softmix(faithful, k = 1:4, model = c("VVV", "EEE", "VII"),
                              n_threads = 1))
  plot <- ggplot2::autoplot(fit, what = "BIC")
  summary <- softmix:::summarise_criterion(fit, "bic")
  lines <- ggplot2::layer_data(plot, 1)
  expect_setequal(unique(lines$colour), summary$styles$col)
  points <- ggplot2::layer_data(plot, 2)
  expect_setequal(unique(points$shape), summary$styles$pch)
  # The y-range is the base plot's, so the k = 1 values are off the scale.
  range <- ggplot2::ggplot_build(plot)$layout$panel_params[[1]]$y.range
  expect_lt(range[2], min(summary$values[1, ]))
  expect_gte(range[2], summary$scale$upper)
  # The returned fit is ringed.
  ring <- ggplot2::layer_data(plot, 3)
  expect_identical(c(ring$x, ring$y), c(fit$k, fit$bic))
})

test_that("autoplot() needs a selection for BIC and ggplot2 to be installed", {
  skip_if_not_installed("ggplot2")
  fit <- softmix(faithful, k = 2, n_threads = 1)
  expect_error(ggplot2::autoplot(fit, what = "BIC"), "several", class = "softmix_error")
  expect_error(softmix:::require_suggested("softmixNoSuchPackage", "`autoplot()`"),
               "install.packages", class = "softmix_error")
})

test_that("autoplot() draws a fit with missing values at the imputed data, hollow", {
  skip_if_not_installed("ggplot2")
  x <- as.matrix(iris[, 1:4])
  with_seed(11, x[sample(length(x), 90)] <- NA)
  x <- x[rowSums(!is.na(x)) > 0L, , drop = FALSE]
  fit <- with_seed(1, softmix(x, k = 2:3, model = c("VVV", "EEE"), n_threads = 1,
                              verbose = FALSE))
  for (what in autoplot_types) {
    for (dims in list(NULL, 3, 1:3)) {
      expect_ggplot_draws(function() ggplot2::autoplot(fit, what = what, dims = dims),
                          sprintf("what = \"%s\", dims = %s", what, paste(dims, collapse = ", ")))
    }
  }
  imputed <- unname(fitted(fit, type = "imputed"))
  pair <- c(2, 4)
  hollow <- rowSums(is.na(x[, pair])) > 0
  # Unweighted points keep the data order in the classification and density plots.
  for (what in c("classification", "density")) {
    points <- ggplot2::layer_data(ggplot2::autoplot(fit, what = what, dims = pair), 1)
    expect_identical(points$x, imputed[, pair[1]], info = what)
    expect_identical(points$y, imputed[, pair[2]], info = what)
    expect_identical(points$shape == 1, hollow, info = what)
  }
  plot <- ggplot2::autoplot(fit, dims = pair)
  expect_match(plot$labels$subtitle, "hollow: imputed")
  # In 1-D, the imputed values are hollow circles on the rug.
  rug <- ggplot2::layer_data(ggplot2::autoplot(fit, dims = 4), 3)
  expect_identical(rug$x, imputed[is.na(x[, 4]), 4])
})
