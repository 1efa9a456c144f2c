# plot.softmix_da(): what each plot draws, read back from the device's display
# list and from the layout record draw_da_plot() returns (helpers in
# helper-plot.R).

# An EDDA fit of iris misclassifies a few training rows; an MclustDA fit of
# faithful with made-up classes has classes of several components; a 1-D fit
# has overlapping classes.
da_plot_iris <- softmix_da(iris[, 1:4], iris$Species, type = "EDDA", n_threads = 1)
da_plot_faithful <- with_seed(1, softmix_da(
  faithful, ifelse(faithful$eruptions > 3, ifelse(faithful$waiting > 80, "late", "early"),
                   "short"),
  k = 1:2, model = c("VVV", "EEI"), n_threads = 1
))
da_plot_1d <- with_seed(2, softmix_da(
  c(stats::rnorm(60, 0, 1), stats::rnorm(50, 2.5, 0.7)), rep(c("a", "b"), c(60, 50)),
  k = 1:2, n_threads = 1
))
da_plot_fits <- list("4-D" = da_plot_iris, "2-D" = da_plot_faithful, "1-D" = da_plot_1d)

test_that("every plot renders in one, two and four dimensions with nothing cut", {
  skip_if_not(capabilities("png"))
  for (name in names(da_plot_fits)) {
    for (what in c("scatterplot", "classification", "error")) {
      for (size in list(c(480, 480), c(900, 800))) {
        label <- sprintf("%s, what = \"%s\", %d x %d", name, what, size[1], size[2])
        grDevices::png(tempfile(fileext = ".png"), width = size[1], height = size[2])
        layout <- softmix:::draw_da_plot(da_plot_fits[[name]], what)
        problems <- layout_problems(layout)
        grDevices::dev.off()
        expect(length(problems) == 0, paste0(label, ":\n", paste(problems, collapse = "\n")))
        expect(any(layout$texts$role == "header" & layout$texts$font == 2),
               paste0(label, ": no title"))
      }
      expect_png_drawn(plot_to_png(da_plot_fits[[name]], what = what))
    }
  }
})

test_that("plot() returns the fit invisibly, restores par() and raises no warning", {
  skip_if_not(capabilities("png"))
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)
  graphics::par(las = 0)
  old <- graphics::par(c("mfrow", "mar", "oma", "las", "mgp", "cex"))
  for (fit in da_plot_fits) {
    for (what in c("scatterplot", "classification", "error")) {
      expect_invisible(expect_no_warning(plot(fit, what = what)))
      expect_identical(graphics::par(c("mfrow", "mar", "oma", "las", "mgp", "cex")), old,
                       info = what)
    }
  }
  expect_identical(plot(da_plot_iris, "error"), da_plot_iris)
})

test_that("more than two variables give a scatterplot matrix of `dims`", {
  skip_if_not(capabilities("png"))
  grDevices::png(tempfile(fileext = ".png"))
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_equal(count_panels(plot(da_plot_iris)), 16)
  expect_equal(count_panels(plot(da_plot_iris, what = "error", dims = c(1, 3, 4))), 9)
  expect_equal(count_panels(plot(da_plot_iris, dims = c("Petal.Width", "Sepal.Length"))), 1)
  usr <- graphics::par("usr")
  expect_true(usr[1] <= min(iris$Petal.Width) && usr[2] >= max(iris$Petal.Width))
  expect_true(usr[3] <= min(iris$Sepal.Length) && usr[4] >= max(iris$Sepal.Length))
  expect_equal(count_panels(plot(da_plot_iris, dims = 3)), 1)
})

test_that("the error plot rings exactly the rows that predict() misclassifies", {
  skip_if_not(capabilities("png"))
  wrong <- which(predict(da_plot_iris) != da_plot_iris$class)
  expect_gt(length(wrong), 0)
  grDevices::png(tempfile(fileext = ".png"))
  layout <- softmix:::draw_da_plot(da_plot_iris, "error", dims = c(3, 4))
  grDevices::dev.off()
  expect_identical(layout$marked, wrong)
  # Coloured by the true class, whatever the prediction.
  expect_identical(layout$point_class, da_plot_iris$class)
  expect_match(paste(layout$texts$text, collapse = " "),
               sprintf("%d of 150 rows misclassified, training error %.1f%%", length(wrong),
                       100 * length(wrong) / 150))

  sets <- drawn_points(plot(da_plot_iris, what = "error", dims = c(3, 4)))
  rings <- Filter(function(s) all(s$pch == 1), sets)
  expect_length(rings, 1)
  expect_identical(rings[[1]]$x, iris$Petal.Length[wrong])
  expect_identical(rings[[1]]$y, iris$Petal.Width[wrong])
  # The points: every row, the misclassified ones last, in their true class's
  # colour at full strength over the faded others.
  points <- sets[[1]]
  order <- c(setdiff(seq_len(150), wrong), wrong)
  expect_identical(points$x, iris$Petal.Length[order])
  colors <- softmix:::pick_default_colors(3)[as.integer(iris$Species)]
  expect_identical(utils::tail(points$col, length(wrong)), colors[wrong])
  expect_false(any(utils::head(points$col, 150 - length(wrong)) %in% colors))

  # In one dimension the rings sit on the rug at the misclassified values.
  rings_1d <- Filter(function(s) all(s$pch == 1),
                     drawn_points(plot(da_plot_iris, what = "error", dims = 3)))
  expect_identical(rings_1d[[1]]$x, iris$Petal.Length[wrong])
  # No ring where nothing is misclassified.
  layout <- softmix:::draw_da_plot(da_plot_iris, "scatterplot")
  expect_length(layout$marked, 0)
})

test_that("the classification plot colours the points, or `newdata`, by predict()", {
  skip_if_not(capabilities("png"))
  colors <- c("red", "blue", "darkgreen")
  for (newdata in list(NULL, iris[seq(2, 150, by = 7), 4:1] + 0.4)) {
    expected <- if (is.null(newdata)) predict(da_plot_iris) else predict(da_plot_iris, newdata)
    # The new data's columns, in another order, are matched by name.
    rows <- as.matrix(if (is.null(newdata)) iris[, 1:4] else newdata[, names(iris)[1:4]])
    sets <- drawn_points(plot(da_plot_iris, what = "classification", dims = c(1, 2),
                              colors = colors, newdata = newdata))
    expect_identical(sets[[1]]$x, unname(rows[, 1]))
    expect_identical(sets[[1]]$y, unname(rows[, 2]))
    expect_identical(sets[[1]]$col, colors[as.integer(expected)])
    grDevices::png(tempfile(fileext = ".png"))
    layout <- softmix:::draw_da_plot(da_plot_iris, "classification", newdata = newdata)
    grDevices::dev.off()
    expect_identical(layout$point_class, expected)
    expect_length(layout$marked, 0)
  }
})

test_that("the scatterplot draws every class's components in the class's colour", {
  skip_if_not(capabilities("png"))
  fit <- da_plot_faithful
  expect_gt(sum(fit$k), length(fit$classes))
  colors <- c("orange", "purple", "grey30")
  lines <- drawn_points(plot(fit, colors = colors), type = "l")
  expect_length(lines, sum(fit$k))
  expect_identical(vapply(lines, `[[`, "", "col"), rep(colors, fit$k))
  # Each ellipse is the 95% contour of its component.
  first <- fit$parameters[[1]]
  centred <- cbind(lines[[1]]$x, lines[[1]]$y) - rep(first$means[1, ], each = 100)
  distance <- rowSums((centred %*% solve(first$covariances[, , 1])) * centred)
  expect_max_diff(distance, rep(stats::qchisq(0.95, 2), 100), 1e-8, relative = TRUE)
  # The points in their true class's colour; the legend names the classes
  # with their models.
  points <- drawn_points(plot(fit, colors = colors))[[1]]
  expect_identical(points$col, colors[as.integer(fit$class)])
  grDevices::png(tempfile(fileext = ".png"))
  layout <- softmix:::draw_da_plot(fit, "scatterplot")
  grDevices::dev.off()
  expect_identical(layout$point_class, fit$class)
  expect_identical(softmix:::da_legend_labels(fit, "scatterplot"),
                   sprintf("%s: %s, k = %d", fit$classes, fit$model, fit$k))
})

test_that("the 1-D plot draws each class's density weighted by its prior", {
  skip_if_not(capabilities("png"))
  fit <- da_plot_1d
  lines <- drawn_points(plot(fit), type = "l")
  # The class curves (matlines() draws one lines() call each), then their sum.
  grid <- lines[[length(lines)]]$x
  curves <- vapply(seq_along(fit$classes), function(j) {
    fit$prior[[j]] * dmixture(grid, fit$parameters[[j]], n_threads = 1)
  }, numeric(length(grid)))
  n <- length(lines)
  for (j in seq_along(fit$classes)) {
    expect_max_diff(lines[[n - length(fit$classes) - 1 + j]]$y, curves[, j], 1e-12,
                    relative = TRUE)
  }
  expect_max_diff(lines[[n]]$y, rowSums(curves), 1e-12, relative = TRUE)
})

test_that("bad arguments give errors that name them", {
  expect_da_plot_error <- function(code, arg, pattern) {
    err <- expect_error(code, class = "softmix_error")
    expect_match(conditionMessage(err), paste0("`", arg, "`"), fixed = TRUE)
    expect_match(conditionMessage(err), pattern)
  }
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  fit <- da_plot_iris
  expect_da_plot_error(plot(fit, what = "BIC"), "what", "\"scatterplot\", \"classification\"")
  expect_da_plot_error(plot(fit, dims = 5), "dims", "between 1 and 4")
  expect_da_plot_error(plot(fit, dims = c(2, 2)), "dims", "duplicates")
  expect_da_plot_error(plot(fit, dims = "Species"), "dims", "Species")
  expect_da_plot_error(plot(fit, colors = c("red", "blue")), "colors", "one per class; it has 2")
  expect_da_plot_error(plot(fit, colors = c("red", "blue", "nocolour")), "colors", "nocolour")
  expect_da_plot_error(plot(fit, what = "classification", newdata = iris[, 1:2]), "newdata",
                       "Petal.Length")
  expect_da_plot_error(plot(fit, what = "classification", newdata = matrix(1, 3, 3)),
                       "newdata", "3 column")
  expect_da_plot_error(plot(fit, what = "error", newdata = iris[, 1:4]), "newdata",
                       "only by what = \"classification\"")
})
