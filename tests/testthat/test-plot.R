# Renders `plot(...)` to a temporary PNG and returns its path; the device is
# closed even when plotting fails, so one failure cannot leak into later tests.
plot_to_png <- function(...) {
  path <- tempfile(fileext = ".png")
  grDevices::png(path)
  on.exit(grDevices::dev.off(), add = TRUE)
  plot(...)
  path
}

# Counts the panels (calls to plot.new()) drawn while evaluating `code`.
count_panels <- function(code) {
  old_hooks <- getHook("plot.new")
  count <- 0
  setHook("plot.new", function() count <<- count + 1)
  on.exit(setHook("plot.new", old_hooks, "replace"), add = TRUE)
  force(code)
  count
}

expect_png_drawn <- function(path) {
  expect_true(file.exists(path))
  expect_gt(file.size(path), 1000)
}

plot_types <- c("classification", "uncertainty", "density", "loglik")

test_that("every plot type renders for one-dimensional data", {
  skip_if_not(capabilities("png"))
  fit <- softmix(faithful$waiting, k = 2, n_threads = 1)
  for (what in plot_types) {
    expect_png_drawn(plot_to_png(fit, what = what))
  }
})

test_that("every plot type renders for two-dimensional data", {
  skip_if_not(capabilities("png"))
  fit <- softmix(faithful, k = 2, n_threads = 1)
  for (what in plot_types) {
    expect_png_drawn(plot_to_png(fit, what = what))
  }
})

test_that("every plot type renders for four-dimensional data", {
  skip_if_not(capabilities("png"))
  fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  for (what in plot_types) {
    expect_png_drawn(plot_to_png(fit, what = what))
  }
})

test_that("plot() returns the fit invisibly and restores par()", {
  skip_if_not(capabilities("png"))
  fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)
  old <- graphics::par(c("mfrow", "mar", "oma"))

  expect_invisible(plot(fit))
  expect_identical(plot(fit, what = "density"), fit)
  expect_identical(graphics::par(c("mfrow", "mar", "oma")), old)
})

test_that("more than two variables give a scatterplot matrix", {
  skip_if_not(capabilities("png"))
  fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)

  expect_equal(count_panels(plot(fit)), 16)
  expect_equal(count_panels(plot(fit, what = "uncertainty", dims = 2:4)), 9)
})

test_that("`dims` selects the variables to draw", {
  skip_if_not(capabilities("png"))
  fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)

  expect_equal(count_panels(plot(fit, dims = c(1, 3))), 1)
  # The single panel's axes must span Sepal.Length (x) and Petal.Length (y).
  usr <- graphics::par("usr")
  expect_true(usr[1] <= min(iris[, 1]) && usr[2] >= max(iris[, 1]))
  expect_true(usr[3] <= min(iris[, 3]) && usr[4] >= max(iris[, 3]))

  by_name <- c("Sepal.Length", "Petal.Length")
  expect_equal(count_panels(plot(fit, what = "density", dims = by_name)), 1)
  expect_equal(graphics::par("usr"), usr)

  expect_equal(count_panels(plot(fit, dims = 3)), 1)
})

test_that("invalid `what`, `dims` and `colors` are rejected", {
  fit <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  expect_error(plot(fit, what = "nonsense"))
  expect_error(plot(fit, dims = 5), "dims")
  expect_error(plot(fit, dims = c(1, 1)), "duplicates")
  expect_error(plot(fit, dims = "Species"), "Species")
  expect_error(plot(fit, colors = c("red", "blue")), "colors")
})

test_that("custom colours are accepted", {
  skip_if_not(capabilities("png"))
  fit <- softmix(faithful, k = 2, n_threads = 1)
  expect_png_drawn(plot_to_png(fit, colors = c("firebrick", "navy")))
})

test_that("blend_colors() returns component colours for one-hot posteriors", {
  colors <- c("#E69F00", "#56B4E9", "#009E73")
  membership <- c(2, 1, 3, 3, 1)
  posterior <- diag(3)[membership, ]

  blended <- softmix:::blend_colors(posterior, colors)

  expect_length(blended, length(membership))
  expect_equal(grDevices::col2rgb(blended), grDevices::col2rgb(colors[membership]),
    ignore_attr = TRUE
  )
})

test_that("blend_colors() averages channels by posterior weight", {
  blended <- softmix:::blend_colors(matrix(c(0.5, 0.5), nrow = 1), c("#FF0000", "#0000FF"))
  channels <- as.numeric(grDevices::col2rgb(blended))
  expect_true(all(abs(channels - c(128, 0, 128)) <= 1))

  posterior <- matrix(c(0.2, 0.3, 0.5), nrow = 1)
  colors <- c("#FF0000", "#00FF00", "#0000FF")
  channels <- as.numeric(grDevices::col2rgb(softmix:::blend_colors(posterior, colors)))
  expect_true(all(abs(channels - 255 * c(0.2, 0.3, 0.5)) <= 1))
})

test_that("blend_colors() requires one posterior column per colour", {
  expect_error(softmix:::blend_colors(diag(3), c("red", "blue")), "column")
})

test_that("ellipse_points() lies on the requested Mahalanobis contour", {
  cases <- list(
    list(mean = c(0, 0), sigma = diag(2), level = 0.95),
    list(mean = c(3.5, 70), sigma = matrix(c(0.07, 0.44, 0.44, 33.7), 2), level = 0.95),
    list(mean = c(-1, 2), sigma = matrix(c(2, -0.9, -0.9, 0.5), 2), level = 0.5)
  )
  for (case in cases) {
    points <- softmix:::ellipse_points(case$mean, case$sigma, level = case$level)
    centred <- sweep(points, 2, case$mean)
    distance <- rowSums((centred %*% solve(case$sigma)) * centred)
    expect_lt(max(abs(distance - stats::qchisq(case$level, df = 2))), 1e-10)
  }
})

test_that("default colours are distinct for few and many components", {
  expect_length(unique(softmix:::pick_default_colors(3)), 3)
  expect_length(unique(softmix:::pick_default_colors(12)), 12)
})

test_that("BIC and ICL plots render for a selection with failed pairs", {
  skip_if_not(capabilities("png"))
  # With 20 points and reg = 0, VVV fails from k = 4 on and leaves gaps.
  x <- with_seed(2, matrix(rnorm(40), 20, 2))
  fit <- with_seed(1, softmix(x, k = 1:6, model = c("VVV", "EII"),
                              control = softmix_control(reg = 0), n_threads = 1))
  expect_true(any(fit$selection$message != ""))
  for (what in c("BIC", "ICL")) {
    expect_png_drawn(plot_to_png(fit, what = what))
  }
  one_d <- with_seed(1, softmix(faithful$waiting, k = 1:3, model = "all", n_threads = 1))
  expect_png_drawn(plot_to_png(one_d, what = "BIC"))
})

test_that("the BIC plot's lines hold each model's criterion by k, with gaps for failures", {
  selection <- data.frame(
    k = c(1L, 2L, 3L, 1L, 3L, 2L), model = c("A", "A", "A", "B", "B", "B"),
    bic = c(10, 8, 9, 12, 7, NA), icl = c(10, 9, 11, 12, 9, NA)
  )
  values <- softmix:::criterion_matrix(selection, "bic", 1:3, c("A", "B"))
  expect_identical(unname(values), cbind(c(10, 8, 9), c(12, NA, 7)))
  values <- softmix:::criterion_matrix(selection[-5, ], "icl", 1:3, c("A", "B"))
  expect_identical(unname(values), cbind(c(10, 9, 11), c(12, NA, NA)))
})

test_that("BIC and ICL plots need a selection", {
  fit <- softmix(faithful, k = 2, n_threads = 1)
  expect_error(plot_to_png(fit, what = "BIC"), "several", class = "softmix_error")
  expect_error(plot_to_png(fit, what = "ICL"), "several", class = "softmix_error")
})

test_that("the loglik plot adds the distance to the final value on a log scale", {
  skip_if_not(capabilities("png"))
  fit <- with_seed(1, softmix(faithful, k = 3, n_threads = 1))
  expect_identical(count_panels(plot_to_png(fit, what = "loglik")), 2)
  # A fit that stops after one step has no distance to show.
  one <- softmix(faithful, k = 1, n_threads = 1)
  expect_identical(count_panels(plot_to_png(one, what = "loglik")), 1)
})

# Weighted fits --------------------------------------------------------------

all_plot_types <- c(plot_types, "BIC", "ICL")

# Exponential weights with a few rows of weight 0, so every encoding is drawn.
weights_with_zeros <- function(n, seed) {
  with_seed(seed, {
    w <- stats::rexp(n)
    w[sample.int(n, 5)] <- 0
    w
  })
}

test_that("a weighted fit renders every plot type in one, two and four dimensions", {
  skip_if_not(capabilities("png"))
  data_sets <- list(faithful$waiting, faithful, iris[, 1:4])
  for (i in seq_along(data_sets)) {
    x <- data_sets[[i]]
    n <- NROW(x)
    w <- weights_with_zeros(n, seed = i)
    # A vector `k` gives a selection, so the BIC and ICL plots have something to draw.
    fit <- with_seed(1, softmix(x, k = 2:3, model = c("VVV", "EII"), weights = w, n_threads = 1))
    expect_identical(fit$weights, w)
    for (what in all_plot_types) {
      expect_png_drawn(plot_to_png(fit, what = what))
    }
  }
})

test_that("sampling weights and equal weights render every point-drawing plot type", {
  skip_if_not(capabilities("png"))
  w <- weights_with_zeros(nrow(faithful), seed = 4)
  sampled <- with_seed(1, softmix(faithful, k = 2, weights = w, weight_type = "sampling",
                                  n_threads = 1))
  equal <- with_seed(1, softmix(faithful, k = 2, weights = rep(3, nrow(faithful)),
                                n_threads = 1))
  for (what in plot_types) {
    expect_png_drawn(plot_to_png(sampled, what = what))
    expect_png_drawn(plot_to_png(equal, what = what))
  }
})

test_that("the plot context carries the fit's weights, NULL when unweighted", {
  w <- weights_with_zeros(nrow(faithful), seed = 5)
  fit <- with_seed(1, softmix(faithful, k = 2, weights = w, n_threads = 1))
  expect_identical(softmix:::build_plot_context(fit, NULL, NULL)$weights, w)
  unweighted <- with_seed(1, softmix(faithful, k = 2, n_threads = 1))
  expect_null(softmix:::build_plot_context(unweighted, NULL, NULL)$weights)
})

# Brute-force sizes, one row at a time: the area of a point is proportional to
# its weight over the mean positive weight, the size factor is clamped to
# [0.3, 3], and rows of weight 0 get half the base size.
reference_sizes <- function(weights, base) {
  base <- rep_len(base, length(weights))
  mean_positive <- sum(weights[weights > 0]) / sum(weights > 0)
  vapply(seq_along(weights), function(i) {
    if (weights[i] == 0) {
      return(0.5 * base[i])
    }
    base[i] * min(3, max(0.3, sqrt(weights[i] / mean_positive)))
  }, numeric(1))
}

test_that("point_sizes() matches the brute-force sizes, zero weights included", {
  # Rounding in mean() and sqrt() only: 1e-14 relative to the largest size.
  tolerance <- 1e-14
  cases <- list(
    list(weights = weights_with_zeros(200, seed = 6), base = 0.8),
    list(weights = with_seed(7, stats::rlnorm(50, sdlog = 3)), base = 0.6),
    list(weights = c(0, 0, 1, 2, 4, 100, 1e-6), base = 1),
    list(weights = c(0.2, 5, 0, 1.5), base = c(0.7, 1.2, 2.5, 0.9))
  )
  for (case in cases) {
    sizes <- softmix:::point_sizes(case$weights, case$base)
    expect_length(sizes, length(case$weights))
    expect_max_diff(sizes, reference_sizes(case$weights, case$base), tolerance,
                    relative = TRUE)
  }
  # The extreme case reaches both clamps.
  sizes <- softmix:::point_sizes(c(1e-6, 1e6, rep(1, 100)), 1)
  expect_identical(sizes[1:2], c(0.3, 3))
})

test_that("point_sizes() gives exactly the unweighted sizes for equal or no weights", {
  expect_identical(softmix:::point_sizes(NULL, 0.8), 0.8)
  base <- 0.7 + 1.8 * seq(0, 1, length.out = 9)
  expect_identical(softmix:::point_sizes(NULL, base), base)
  # 0.1 and 1/3 are not exact in binary, so a mean could round off them.
  for (value in c(1, 3, 0.1, 1 / 3, 1e-300)) {
    expect_identical(softmix:::point_sizes(rep(value, 9), 0.8), rep(0.8, 9))
    expect_identical(softmix:::point_sizes(rep(value, 9), base), base)
  }
  # Rows of weight 0 do not move the sizes of equal positive weights.
  sizes <- softmix:::point_sizes(c(0.1, 0, 0.1, 0.1, 0), 0.8)
  expect_identical(sizes, c(0.8, 0.4, 0.8, 0.8, 0.4))
})

test_that("rows of weight 0 are hollow and heavy rows are drawn first", {
  expect_identical(softmix:::point_shapes(NULL), 19)
  expect_identical(softmix:::point_shapes(c(2, 0, 1), filled = 19, hollow = 1), c(19, 1, 19))
  expect_identical(softmix:::weight_draw_order(NULL, 4), 1:4)
  # Ties keep the data order.
  expect_identical(softmix:::weight_draw_order(c(1, 3, 0, 3, 1), 5), c(2L, 4L, 1L, 5L, 3L))
})

test_that("the subtitle says how the weights are shown, and nothing when unweighted", {
  expect_identical(softmix:::describe_weight_encoding(NULL, sized = TRUE), "")
  expect_identical(softmix:::describe_weight_encoding(c(1, 2), sized = TRUE), "; size by weight")
  expect_identical(softmix:::describe_weight_encoding(c(1, 0), sized = TRUE),
                   "; size by weight, hollow: weight 0")
  expect_identical(softmix:::describe_weight_encoding(c(1, 2), sized = FALSE), "")
  expect_identical(softmix:::describe_weight_encoding(c(1, 0), sized = FALSE),
                   "; hollow: weight 0")
})
