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

# autoplot() for softmix_da fits: the pictures of plot.softmix_da(), checked
# against predict() and the fitted parameters.
da_autoplot_fits <- list(
  "4-D" = softmix_da(iris[, 1:4], iris$Species, type = "EDDA", n_threads = 1),
  "2-D" = with_seed(1, softmix_da(
    faithful, ifelse(faithful$eruptions > 3, ifelse(faithful$waiting > 80, "late", "early"),
                     "short"),
    k = 1:2, model = c("VVV", "EEI"), n_threads = 1
  )),
  "1-D" = with_seed(2, softmix_da(
    c(stats::rnorm(60, 0, 1), stats::rnorm(50, 2.5, 0.7)), rep(c("a", "b"), c(60, 50)),
    k = 1:2, n_threads = 1
  ))
)

# The positions of the layers of `plot` drawn with a geom of class `geom`.
layers_with_geom <- function(plot, geom) {
  which(vapply(plot$layers, function(layer) inherits(layer$geom, geom), logical(1)))
}

# The data frame behind layer `i` of `plot`: its own, or the plot's.
layer_frame <- function(plot, i) {
  data <- plot$layers[[i]]$data
  if (is.data.frame(data)) data else plot$data
}

test_that("autoplot() of a softmix_da fit builds without warnings in 1, 2 and 4-D", {
  skip_if_not_installed("ggplot2")
  skip_if_not(capabilities("png"))
  for (name in names(da_autoplot_fits)) {
    for (what in c("scatterplot", "classification", "error")) {
      expect_ggplot_draws(function() ggplot2::autoplot(da_autoplot_fits[[name]], what = what),
                          sprintf("DA %s, what = \"%s\"", name, what))
    }
  }
  fit <- da_autoplot_fits[["4-D"]]
  expect_ggplot_draws(function() ggplot2::autoplot(fit, "classification", dims = 3,
                                                   newdata = iris[1:20, 1:4]),
                      "DA 1-D newdata")
  expect_ggplot_draws(function() ggplot2::autoplot(fit, "error", dims = c(4, 1, 3)),
                      "DA 3-D error")
  # A grid of panels: every ordered pair of the four variables.
  built <- ggplot2::ggplot_build(ggplot2::autoplot(fit))
  expect_equal(nrow(built$layout$layout), 16)
  expect_equal(length(unique(ggplot2::layer_data(ggplot2::autoplot(fit), 1)$PANEL)), 12)
})

test_that("autoplot()'s DA error plot rings exactly the rows predict() misclassifies", {
  skip_if_not_installed("ggplot2")
  for (name in names(da_autoplot_fits)) {
    fit <- da_autoplot_fits[[name]]
    wrong <- which(predict(fit, fit$data) != fit$class)
    plot <- ggplot2::autoplot(fit, what = "error")
    # The rings: the only point layer drawn in black, as black circles.
    rings <- Filter(function(i) identical(plot$layers[[i]]$aes_params$colour, "black"),
                    layers_with_geom(plot, "GeomPoint"))
    expect_length(rings, 1)
    ringed <- layer_frame(plot, rings)
    drawn <- ggplot2::layer_data(plot, rings)
    expect_true(all(drawn$shape == 1 & drawn$colour == "black"))
    pairs <- if (name == "1-D") 1 else if (name == "2-D") 1 else 12
    expect_equal(nrow(ringed), pairs * length(wrong), info = name)
    expect_setequal(ringed$row, wrong)
    data <- as.matrix(fit$data)
    if (name == "2-D") {
      expect_equal(unname(cbind(ringed$x, ringed$y)), unname(data[wrong, 1:2]))
    } else if (name == "1-D") {
      expect_equal(ringed$x, unname(data[wrong, 1]))
    }
    # The other rows are faded, the ringed ones drawn last and opaque.
    if (name != "1-D") {
      points <- layer_frame(plot, 1)
      expect_equal(points$alpha, ifelse(points$row %in% wrong, 1, 0.45))
      expect_true(all(utils::tail(points$row, nrow(ringed)) %in% wrong))
    }
  }
  # An EDDA fit of iris misclassifies a few rows, so the test has teeth.
  fit <- da_autoplot_fits[["4-D"]]
  expect_gt(sum(predict(fit, fit$data) != fit$class), 0)
})

test_that("autoplot()'s DA classification colours the points, or `newdata`, by predict()", {
  skip_if_not_installed("ggplot2")
  fit <- da_autoplot_fits[["4-D"]]
  colors <- c("red", "darkgreen", "blue")
  hex <- grDevices::rgb(t(grDevices::col2rgb(colors)), maxColorValue = 255)
  newdata <- with_seed(3, iris[sample(150, 40), 1:4] + stats::rnorm(160, sd = 0.3))
  for (data in list(NULL, newdata)) {
    predicted <- as.integer(predict(fit, if (is.null(data)) fit$data else data))
    plot <- ggplot2::autoplot(fit, "classification", dims = c("Petal.Length", "Sepal.Width"),
                              colors = colors, newdata = data)
    points <- layer_frame(plot, 1)
    drawn <- ggplot2::layer_data(plot, 1)
    expect_equal(nrow(drawn), length(predicted))
    expect_equal(as.integer(points$class), predicted[points$row])
    expect_equal(toupper(grDevices::rgb(t(grDevices::col2rgb(drawn$colour)),
                                        maxColorValue = 255)),
                 toupper(hex[predicted[points$row]]))
    source <- as.matrix(if (is.null(data)) fit$data else data)
    expect_equal(drawn$x, unname(source[points$row, "Petal.Length"]))
    expect_equal(drawn$y, unname(source[points$row, "Sepal.Width"]))
  }
  # In 1-D the rug's ticks sit in the row of their predicted class.
  plot <- ggplot2::autoplot(fit, "classification", dims = 3, newdata = newdata)
  rug <- layer_frame(plot, layers_with_geom(plot, "GeomSegment"))
  expect_equal(as.integer(rug$class), as.integer(predict(fit, newdata)))
  expect_equal(rank(-rug$bottom, ties.method = "min"),
               rank(as.integer(rug$class), ties.method = "min"))
})

test_that("autoplot()'s DA scatterplot draws one 95% ellipse per component in its class colour", {
  skip_if_not_installed("ggplot2")
  fit <- da_autoplot_fits[["2-D"]]
  plot <- ggplot2::autoplot(fit)
  path <- layers_with_geom(plot, "GeomPath")
  expect_length(path, 1)
  ellipses <- ggplot2::layer_data(plot, path)
  counts <- vapply(fit$parameters, function(p) nrow(p$means), integer(1))
  expect_gt(max(counts), 1)  # a class with several components
  expect_equal(length(unique(ellipses$group)), sum(counts))
  class_colors <- softmix:::pick_default_colors(length(fit$classes))
  component <- 0
  for (j in seq_along(fit$parameters)) {
    for (m in seq_len(counts[j])) {
      component <- component + 1
      rows <- layer_frame(plot, path)$component == component
      xy <- cbind(ellipses$x[rows], ellipses$y[rows])
      mean <- fit$parameters[[j]]$means[m, ]
      sigma <- fit$parameters[[j]]$covariances[, , m]
      expect_max_diff(stats::mahalanobis(xy, mean, sigma),
                      rep(stats::qchisq(0.95, 2), nrow(xy)), 1e-8, relative = TRUE)
      expect_equal(unique(ellipses$colour[rows]), class_colors[j])
    }
  }
  means <- ggplot2::layer_data(plot, path + 1)
  expect_equal(unname(cbind(means$x, means$y)),
               unname(do.call(rbind, lapply(fit$parameters, function(p) p$means))))
  expect_equal(ggplot2::autoplot(fit)$labels$title, "Class mixtures (MclustDA)")
})

test_that("autoplot()'s 1-D DA plot draws each class's density weighted by its prior", {
  skip_if_not_installed("ggplot2")
  fit <- da_autoplot_fits[["1-D"]]
  plot <- ggplot2::autoplot(fit)
  lines <- layer_frame(plot, max(layers_with_geom(plot, "GeomLine")))
  grid <- lines$x[lines$curve == "All classes"]
  curves <- vapply(seq_along(fit$classes), function(j) {
    fit$prior[[j]] * dmixture(matrix(grid, ncol = 1), fit$parameters[[j]], n_threads = 1)
  }, numeric(length(grid)))
  for (j in seq_along(fit$classes)) {
    expect_max_diff(lines$density[as.integer(lines$curve) == j], curves[, j], 1e-12,
                    relative = TRUE)
  }
  expect_max_diff(lines$density[lines$curve == "All classes"], rowSums(curves), 1e-12,
                  relative = TRUE)
})

test_that("autoplot() of a softmix_da fit names bad arguments", {
  skip_if_not_installed("ggplot2")
  expect_autoplot_da_error <- function(code, arg, pattern) {
    err <- expect_error(code, class = "softmix_error")
    expect_match(conditionMessage(err), paste0("`", arg, "`"), fixed = TRUE)
    expect_match(conditionMessage(err), pattern)
  }
  fit <- da_autoplot_fits[["4-D"]]
  autoplot <- ggplot2::autoplot
  expect_autoplot_da_error(autoplot(fit, what = "BIC"), "what",
                           "\"scatterplot\", \"classification\"")
  expect_autoplot_da_error(autoplot(fit, dims = 5), "dims", "between 1 and 4")
  expect_autoplot_da_error(autoplot(fit, dims = c(2, 2)), "dims", "duplicates")
  expect_autoplot_da_error(autoplot(fit, dims = "Species"), "dims", "Species")
  expect_autoplot_da_error(autoplot(fit, colors = c("red", "blue")), "colors",
                           "one per class; it has 2")
  expect_autoplot_da_error(autoplot(fit, colors = c("red", "blue", "nocolour")), "colors",
                           "nocolour")
  expect_autoplot_da_error(autoplot(fit, what = "classification", newdata = iris[, 1:2]),
                           "newdata", "Petal.Length")
  expect_autoplot_da_error(autoplot(fit, what = "classification", newdata = matrix(1, 3, 3)),
                           "newdata", "3 column")
  expect_autoplot_da_error(autoplot(fit, what = "error", newdata = iris[, 1:4]), "newdata",
                           "only by what = \"classification\"")
})
