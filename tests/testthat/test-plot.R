# plot.softmix(); the drawing helpers the tests share are in helper-plot.R.

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

test_that("bad `colors` are named in the error, per model for BIC and ICL", {
  fit <- softmix(faithful, k = 2, n_threads = 1)
  # col2rgb()'s own message did not name the argument.
  expect_error(plot(fit, colors = c("red", "notacolour")), "`colors`.*notacolour",
               class = "softmix_error")
  selection <- softmix(faithful, k = 1:2, model = c("VVV", "EEE"), n_threads = 1)
  expect_error(plot(selection, what = "BIC", colors = "red"), "one per model; it has 1",
               class = "softmix_error")
  expect_error(plot(fit, colors = "red"), "one per component; it has 1", class = "softmix_error")
})

test_that("the BIC and ICL plots restore par(), las included", {
  skip_if_not(capabilities("png"))
  selection <- softmix(faithful, k = 1:2, model = c("VVV", "EEE"), n_threads = 1)
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)
  graphics::par(las = 0)
  old <- graphics::par(c("mfrow", "mar", "oma", "las", "mgp"))
  for (what in c("BIC", "ICL", "loglik", "classification", "density")) {
    plot(selection, what = what)
    # The BIC and ICL plots used to leave las = 1 behind.
    expect_identical(graphics::par(c("mfrow", "mar", "oma", "las", "mgp")), old, info = what)
  }
})

test_that("the all-noise model (k = 0) plots a single variable and no component", {
  skip_if_not(capabilities("png"))
  noisy <- with_seed(3, rbind(as.matrix(faithful),
                              cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  fit <- softmix(noisy, k = 0, noise = TRUE, n_threads = 1)
  # The marginal of the noise on one variable is uniform over the box's side:
  # density 1 / side there, integrating to 1 (tolerance 1e-8).
  marginal <- softmix:::subset_params(fit$parameters, 2)
  side <- fit$parameters$noise_box[, 2]
  expect_max_diff(dmixture(c(50, 70), marginal, n_threads = 1), rep(1 / diff(side), 2), 1e-12,
                  relative = TRUE)
  expect_max_diff(stats::integrate(function(x) dmixture(x, marginal, n_threads = 1),
                                   side[1], side[2])$value, 1, 1e-8)
  # Used to fail in mixture_params(), which builds no all-noise model; the
  # 2-D density plot used to warn that all z values are equal.
  for (what in c("classification", "uncertainty", "density")) {
    expect_no_warning(expect_png_drawn(plot_to_png(fit, what = what, dims = 2)))
    expect_no_warning(expect_png_drawn(plot_to_png(fit, what = what)))
  }
  # The legends hold the noise (and the mixture) only: paste() made a
  # "Component" entry of no component.
  ctx <- softmix:::build_plot_context(fit, 2, NULL)
  expect_identical(softmix:::legend_entries(ctx, list(pch = 19, lty = 1, lwd = 2))$labels,
                   "Noise")
  entries <- softmix:::curve_entries(ctx)
  expect_identical(entries$labels, c("Mixture", "Noise"))
  expect_identical(lengths(entries[c("col", "lty", "lwd")]), c(col = 2L, lty = 2L, lwd = 2L))
})

test_that("the uncertainty plots scale by the classes, the noise included", {
  noisy <- with_seed(3, rbind(as.matrix(faithful[faithful$eruptions > 3, ]),
                              cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  for (k in 1:2) {
    fit <- with_seed(1, softmix(noisy, k = k, noise = TRUE, n_threads = 1))
    expect_gt(max(fit$uncertainty), 0.1)
    ctx <- softmix:::build_plot_context(fit, NULL, NULL)
    # Brute force: 1 is the largest uncertainty possible among k + 1 classes,
    # 1 - 1 / (k + 1). With k = 1 every point used to be drawn as certain.
    expect_max_diff(ctx$scaled_uncertainty, pmin(fit$uncertainty / (1 - 1 / (k + 1)), 1),
                    1e-15)
  }
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

# Layout: nothing cut at any device size ---------------------------------------

# Draws one plot to a png of `size` pixels and returns its layout problems.
check_plot_layout <- function(fit, what, size, dims = NULL) {
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = size[1], height = size[2])
  on.exit(grDevices::dev.off(), add = TRUE)
  layout <- softmix:::draw_softmix_plot(fit, what, dims)
  problems <- layout_problems(layout)
  list(problems = problems, texts = layout$texts)
}

device_sizes <- list(c(480, 480), c(800, 700), c(1200, 900))

test_that("titles, subtitles and legends fit every plot at 480x480, 800x700 and 1200x900", {
  skip_if_not(capabilities("png"))
  noisy <- with_seed(3, rbind(as.matrix(faithful),
                              cbind(stats::runif(15, 1, 6), stats::runif(15, 40, 100))))
  fits <- with_seed(1, list(
    "1-D" = softmix(faithful$waiting, k = 1:3, model = c("E", "V"), n_threads = 1),
    "2-D" = softmix(faithful, k = 1:3, model = c("VVV", "EEE"), n_threads = 1),
    "4-D" = softmix(iris[, 1:4], k = 2:3, model = c("VVV", "EEE"), n_threads = 1),
    "weighted 1-D with noise" = softmix(noisy[, 2], k = 1:2, noise = TRUE,
                                        weights = weights_with_zeros(nrow(noisy), 7),
                                        n_threads = 1),
    "weighted 2-D with noise" = softmix(noisy, k = 1:2, model = c("VVV", "EEE"), noise = TRUE,
                                        weights = weights_with_zeros(nrow(noisy), 8),
                                        n_threads = 1),
    "weighted 4-D" = softmix(iris[, 1:4], k = 2:3, model = c("VVV", "EEE"),
                             weights = weights_with_zeros(150, 9), n_threads = 1),
    "14 models" = softmix(faithful, k = 1:9, model = "all", n_threads = 1)
  ))
  for (name in names(fits)) {
    whats <- if (name == "14 models") c("BIC", "ICL") else all_plot_types
    for (what in whats) {
      for (size in device_sizes) {
        result <- check_plot_layout(fits[[name]], what, size)
        label <- sprintf("%s, what = \"%s\", %d x %d", name, what, size[1], size[2])
        expect(length(result$problems) == 0,
               paste0(label, ":\n", paste(result$problems, collapse = "\n")))
        # Every plot has a title.
        expect(any(result$texts$role == "header" & result$texts$font == 2),
               paste0(label, ": no title"))
      }
    }
  }
})

test_that("the layout check catches a title wider than the device", {
  skip_if_not(capabilities("png"))
  grDevices::png(tempfile(fileext = ".png"), width = 480, height = 480)
  on.exit(grDevices::dev.off(), add = TRUE)
  graphics::plot.new()
  title <- "EM trace: final log-likelihood -1130.26 after 25 iterations, converged"
  device <- graphics::par("din")
  # The loglik plot's old title, drawn whole on one line at 1.2, overflows 480 pixels.
  layout <- list(
    device = device, panel_top = 0, legend = NULL,
    texts = data.frame(role = "header", text = title, cex = 1.2, font = 2, x = device[1] / 2,
                       y = device[2] - 0.2, srt = 0, left = 0, right = device[1])
  )
  expect_match(layout_problems(layout), "header .* is cut")
  # The header planned for the same width wraps or shrinks it until it fits.
  header <- softmix:::plan_header(title, "", width = device[1] - 0.2)
  widths <- softmix:::text_width_in(header$title$lines, header$title$cex, font = 2)
  expect_true(all(widths <= device[1] - 0.2))
})

test_that("fit_text() wraps before it shrinks, and its lines always fit", {
  skip_if_not(capabilities("png"))
  grDevices::png(tempfile(fileext = ".png"), width = 480, height = 480)
  on.exit(grDevices::dev.off(), add = TRUE)
  text <- "Colours blended by posterior probability; 95% ellipses; size by weight, hollow: weight 0"
  full <- softmix:::text_width_in(text, 0.85)

  # Room for the whole line: one line at full size.
  wide <- softmix:::fit_text(text, full + 0.1, cex = 0.85, max_lines = 3)
  expect_identical(wide$lines, text)
  expect_identical(wide$cex, 0.85)

  # Room for 60% of it: two lines, still at full size, with every word kept.
  narrow <- softmix:::fit_text(text, 0.6 * full, cex = 0.85, max_lines = 3)
  expect_length(narrow$lines, 2)
  expect_identical(narrow$cex, 0.85)
  expect_identical(paste(narrow$lines, collapse = " "), text)
  expect_true(all(softmix:::text_width_in(narrow$lines, 0.85) <= 0.6 * full))

  # Room for 20%: three lines are not enough at full size, so it shrinks.
  tiny <- softmix:::fit_text(text, 0.2 * full, cex = 0.85, max_lines = 3)
  expect_length(tiny$lines, 3)
  expect_lt(tiny$cex, 0.85)
  expect_true(all(softmix:::text_width_in(tiny$lines, tiny$cex) <= 0.2 * full))

  # A title shrinks a little (to 1 from 1.2) before it wraps.
  title <- "Classification uncertainty of the mixture"
  at_12 <- softmix:::text_width_in(title, 1.2, font = 2)
  fitted <- softmix:::fit_text(title, 0.9 * at_12, cex = 1.2, font = 2, shrink_to = 1)
  expect_length(fitted$lines, 1)
  expect_lt(fitted$cex, 1.2)
  expect_gte(fitted$cex, 1)
})

test_that("a legend takes the columns that fit and shrinks only in one column", {
  skip_if_not(capabilities("png"))
  grDevices::png(tempfile(fileext = ".png"), width = 480, height = 480)
  on.exit(grDevices::dev.off(), add = TRUE)
  models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
              "VEV", "EVV", "VVV")
  plan <- softmix:::plan_legend(models, 6.4, max_ncol = 7)
  expect_identical(c(plan$ncol, plan$nrow), c(7, 2))
  expect_lte(plan$width, 6.4)
  # Too narrow for seven columns: fewer columns, balanced rows.
  plan <- softmix:::plan_legend(models, 3, max_ncol = 7)
  expect_lt(plan$ncol, 7)
  expect_lte(plan$width, 3)
  expect_identical(plan$cex, 0.85)
  # Too narrow for one column: smaller text.
  plan <- softmix:::plan_legend("A very long legend entry indeed", 1, max_ncol = 4)
  expect_identical(plan$ncol, 1)
  expect_lt(plan$cex, 0.85)
  expect_lte(plan$width, 1)
})

# The BIC plot's styles and scale ----------------------------------------------

test_that("the 14 models differ in at least two of colour, line type and symbol", {
  styles <- softmix:::criterion_styles(14)
  okabe_ito <- unname(grDevices::palette.colors(8, "Okabe-Ito"))
  expect_true(all(styles$col %in% okabe_ito))
  # Yellow is too faint on white.
  expect_false("#F0E442" %in% styles$col)
  for (i in 1:13) {
    for (j in (i + 1):14) {
      differences <- (styles$col[i] != styles$col[j]) + (styles$lty[i] != styles$lty[j]) +
        (styles$pch[i] != styles$pch[j])
      expect(differences >= 2, sprintf("models %d and %d differ in only %d", i, j, differences))
    }
  }
  # A few models all get solid lines in different colours.
  few <- softmix:::criterion_styles(3)
  expect_identical(few$lty, rep("solid", 3))
  expect_length(unique(few$col), 3)
  # Colours given by the user replace the palette only.
  mine <- softmix:::criterion_styles(2, c("red", "blue"))
  expect_identical(mine$col, c("red", "blue"))
  expect_error(softmix:::criterion_styles(3, "red"), "colors", class = "softmix_error")
})

# The y-range rule, written out by hand for a matrix of k x model values.
reference_scale <- function(values, keep = NA) {
  best <- min(values, na.rm = TRUE)
  second <- c()
  for (j in seq_len(ncol(values))) {
    v <- sort(values[!is.na(values[, j]), j])
    if (length(v) > 0) second <- c(second, if (length(v) >= 2) v[2] else v[1])
  }
  upper <- best + max(10, 4 * stats::median(second - best))
  upper <- min(max(upper, keep, na.rm = TRUE), max(values, na.rm = TRUE))
  list(lower = best, upper = upper)
}

test_that("the BIC plot's y-range shows the competitive models and leaves k = 1 off", {
  # Three models; k = 1 far above; the third model far worse at every k.
  values <- cbind(
    A = c(300, 8, 19, 37),
    B = c(300, 11, 0, 6),
    C = c(1700, 1140, 1020, 930)
  ) + 2300
  scale <- softmix:::criterion_scale(values)
  expect_equal(scale[c("lower", "upper")], reference_scale(values))
  # The second-best values are 19, 6 and 1020 above the best, whose median
  # is 19, so the axis goes up to the best + 76.
  expect_identical(scale$upper, 2300 + 76)
  expect_identical(scale$off_scale, values > 2376)
  expect_identical(
    softmix:::describe_off_scale(scale$off_scale, values, 1:4, colnames(values)),
    "off the scale: k = 1 values, all of C"
  )
  # The returned fit always stays in view.
  expect_identical(softmix:::criterion_scale(values, keep = 2400)$upper, 2400)

  # Values all close together: nothing is off the scale.
  close <- cbind(A = c(5, 3, 4), B = c(2, 1, 6)) + 100
  scale <- softmix:::criterion_scale(close)
  expect_identical(scale$upper, max(close))
  expect_false(any(scale$off_scale))

  # Failed pairs (NA) are gaps, neither best nor off the scale.
  gaps <- values
  gaps[2, 2] <- NA
  scale <- softmix:::criterion_scale(gaps)
  expect_equal(scale[c("lower", "upper")], reference_scale(gaps))
  expect_false(scale$off_scale[2, 2])

  # A few values besides whole rows and models are counted.
  off <- matrix(FALSE, 4, 3)
  off[1, ] <- TRUE
  off[4, 1] <- TRUE
  expect_identical(
    softmix:::describe_off_scale(off, values, 1:4, c("A", "B", "C")),
    "off the scale: k = 1 values, 1 other value"
  )
})

test_that("the BIC plot's subtitle names what is off the scale and the chosen fit", {
  fit <- with_seed(1, softmix(faithful, k = 1:4, model = c("VVV", "EEE", "VII"),
                              n_threads = 1))
  summary <- softmix:::summarise_criterion(fit, "bic")
  expect_match(summary$subtitle, sprintf("%s with k = %d", fit$model, fit$k), fixed = TRUE)
  expect_match(summary$subtitle, "k = 1 values", fixed = TRUE)
  expect_match(summary$subtitle, "off the scale", fixed = TRUE)
  expect_identical(summary$chosen, c(fit$k, fit$bic))
  expect_identical(summary$chosen_label, sprintf("%s, k = %d", fit$model, fit$k))
  expect_true(summary$scale$upper >= fit$bic)
})

# Density of more than two variables -------------------------------------------

test_that("the density plot of d > 2 draws each pair's marginal density", {
  skip_if_not(capabilities("png"))
  skip_if_not_installed("mvtnorm")
  fit <- with_seed(1, softmix(iris[, 1:4], k = 3, n_threads = 1))
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_equal(count_panels(plot(fit, what = "density")), 16)
  expect_equal(count_panels(plot(fit, what = "density", dims = c(1, 3, 4))), 9)

  # Each panel's contours are those of the pair's marginal, which is the
  # mixture of the components' sub-means and sub-covariances.
  points <- as.matrix(iris[1:20, c(2, 4)])
  marginal <- dmixture(points, softmix:::subset_params(fit$parameters, c(2, 4)),
                       n_threads = 1)
  p <- fit$parameters
  reference <- Reduce(`+`, lapply(seq_len(3), function(k) {
    p$proportions[k] * mvtnorm::dmvnorm(points, p$means[k, c(2, 4)],
                                        p$covariances[c(2, 4), c(2, 4), k])
  }))
  expect_max_diff(marginal, reference, 1e-12, relative = TRUE)
})

# Missing values ---------------------------------------------------------------

# iris with 15 percent of its values missing completely at random (no row
# left with every value missing).
iris_with_holes <- function(seed = 11) {
  x <- as.matrix(iris[, 1:4])
  with_seed(seed, x[sample(length(x), round(0.15 * length(x)))] <- NA)
  x[rowSums(!is.na(x)) > 0L, , drop = FALSE]
}

test_that("a fit with missing values renders every plot at 480x480 with nothing cut", {
  skip_if_not(capabilities("png"))
  x <- iris_with_holes()
  fit <- with_seed(1, softmix(x, k = 2:3, model = c("VVV", "EEE"), n_threads = 1,
                              verbose = FALSE))
  expect_gt(fit$missing$incomplete, 0L)
  for (dims in list(NULL, c(1, 3), 3)) {
    whats <- if (is.null(dims)) all_plot_types else plot_types
    for (what in whats) {
      result <- check_plot_layout(fit, what, c(480, 480), dims)
      label <- sprintf("what = \"%s\", dims = %s", what, paste(dims, collapse = ", "))
      expect(length(result$problems) == 0,
             paste0(label, ":\n", paste(result$problems, collapse = "\n")))
      expect_png_drawn(plot_to_png(fit, what = what, dims = dims))
    }
  }
})

test_that("plot_coordinates() and panel_points() give the imputed data and mark it", {
  x <- iris_with_holes()
  fit <- softmix(x, k = 3, n_threads = 1)
  imputed <- fitted(fit, type = "imputed")
  coordinates <- softmix:::plot_coordinates(fit)
  expect_identical(unname(coordinates$data), unname(imputed))
  expect_identical(coordinates$imputed, is.na(x))
  ctx <- softmix:::build_plot_context(fit, NULL, NULL)
  for (pair in list(c(1, 2), c(3, 1), c(2, 4))) {
    points <- softmix:::panel_points(ctx, pair)
    expect_identical(unname(points$xy), unname(imputed[, pair]))
    expect_identical(points$imputed, unname(rowSums(is.na(x[, pair])) > 0))
  }
  # Complete data: drawn as they are, nothing marked.
  complete <- softmix(iris[, 1:4], k = 3, n_threads = 1)
  expect_null(softmix:::plot_coordinates(complete)$imputed)
  expect_false(any(softmix:::panel_points(
    softmix:::build_plot_context(complete, NULL, NULL), 1:2)$imputed))
})

test_that("plot() draws incomplete rows at their imputed values, hollow", {
  skip_if_not(capabilities("png"))
  x <- iris_with_holes()
  fit <- softmix(x, k = 3, n_threads = 1)
  imputed <- unname(fitted(fit, type = "imputed"))
  pair <- c(2, 3)
  hollow <- rowSums(is.na(x[, pair])) > 0
  expect_true(any(hollow))
  # The first point set of each panel holds the data, in the data order for
  # the classification and density plots.
  for (what in c("classification", "density")) {
    data <- drawn_points(plot(fit, what = what, dims = pair))[[1]]
    expect_identical(data$x, imputed[, pair[1]], info = what)
    expect_identical(data$y, imputed[, pair[2]], info = what)
    expect_identical(data$pch == 1, hollow, info = what)
  }
  # The uncertainty plot draws the uncertain points last.
  sets <- drawn_points(plot(fit, what = "uncertainty", dims = pair))
  data <- sets[[which(vapply(sets, function(s) length(s$x), 1L) == nrow(x))[1]]]
  order <- order(fit$uncertainty)
  expect_identical(data$x, imputed[order, pair[1]])
  expect_identical(data$y, imputed[order, pair[2]])
  # In 1-D, the imputed values are the hollow circles on the rug.
  rug <- drawn_points(plot(fit, dims = pair[1]))
  rug <- rug[[which(vapply(rug, function(s) all(s$pch == 1), TRUE))[1]]]
  expect_identical(rug$x, imputed[is.na(x[, pair[1]]), pair[1]])
})

test_that("the subtitles say that hollow points are imputed", {
  x <- iris_with_holes()
  fit <- softmix(x, k = 3, n_threads = 1)
  ctx <- softmix:::build_plot_context(fit, NULL, NULL)
  for (what in c("classification", "uncertainty", "density")) {
    expect_match(softmix:::describe_plot(what, ctx)$subtitle, "; hollow: imputed$")
  }
  expect_identical(softmix:::describe_rug(ctx, TRUE), "Hollow: imputed")
  expect_identical(softmix:::describe_1d_uncertainty(ctx, TRUE), "Hollow: imputed")
  expect_identical(softmix:::describe_weight_encoding(c(1, 0), sized = TRUE, imputed = TRUE),
                   "; size by weight, hollow: weight 0 or imputed")
  weighted <- list(weights = c(1, 0, 2))
  expect_identical(softmix:::describe_rug(weighted, TRUE),
                   "Rug tick width by weight; dotted: weight 0; hollow: imputed")
  expect_identical(softmix:::describe_1d_uncertainty(weighted, FALSE),
                   "Point size by weight; hollow: weight 0")
  # Variables without a missing value: nothing to say.
  y <- as.matrix(iris[, 1:4])
  y[c(5, 60), 4] <- NA
  partial <- softmix(y, k = 3, n_threads = 1)
  ctx <- softmix:::build_plot_context(partial, 1:3, NULL)
  expect_false(grepl("imputed", softmix:::describe_plot("classification", ctx)$subtitle))
})
