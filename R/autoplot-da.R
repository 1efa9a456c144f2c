# ggplot2 versions of plot.softmix_da()'s pictures, built from the same
# context (build_da_plot_context()) and drawn with autoplot.softmix()'s
# helpers. ggplot2 is only suggested, as in autoplot.R.

#' Plot a discriminant analysis fit with ggplot2
#'
#' A method for ggplot2's [ggplot2::autoplot()] generic that draws the
#' pictures of [plot.softmix_da()] as a ggplot object, which can then be
#' themed, annotated and combined like any other. It needs the ggplot2
#' package. The classes keep one colour throughout.
#'
#' * `"scatterplot"`: the training data coloured by their class, with each
#'   class's mixture components drawn as 95 percent covariance ellipses (the
#'   contours of their 2-D marginal normals) in the class's colour and their
#'   means marked with crosses. For `"MclustDA"` the legend gives each
#'   class's covariance model and number of components; for `"EDDA"` the
#'   subtitle gives the shared model.
#' * `"classification"`: the points coloured by the class that
#'   [predict()][predict.softmix_da()] gives them: the training data, or
#'   `newdata` when it is given. The subtitle gives the training error, or
#'   the number of new rows.
#' * `"error"`: the training data coloured by their true class, with the
#'   rows that [predict()][predict.softmix_da()] misclassifies ringed in
#'   black and drawn over the others, which are faded; the subtitle gives the
#'   training error, which is optimistic (see [softmix_da_cv()]).
#'
#' With more than two selected variables the plot has a grid of panels, one
#' per ordered pair of variables, as [autoplot.softmix()] draws them. For one
#' variable, a histogram of the points is overlaid with each class's density
#' weighted by its prior, \eqn{\tau_c f_c(x)} (thin dashed curves for the
#' components of a class with several), and their sum (thick black curve);
#' below it a rug has one row per class, in the order of the legend, holding
#' the points of that class (the true class, or for `"classification"` the
#' predicted one), with the misclassified rows of `"error"` ringed.
#'
#' @param object A `softmix_da` fit.
#' @param what Which plot to draw: `"scatterplot"` (the default),
#'   `"classification"` or `"error"`, as for [plot.softmix_da()].
#' @param dims Variables to show, as column positions or column names of the
#'   training data. One variable gives a 1-D plot, two a single scatterplot
#'   and more a grid of panels. The default is all variables, up to the
#'   first six.
#' @param colors Colours of the classes, at least one per class, in the
#'   order of `object$classes`, as for [plot.softmix_da()].
#' @param newdata For `what = "classification"` only: data to classify and
#'   draw instead of the training data, with the fitted variables (as in
#'   [predict.softmix_da()]).
#' @param ... Ignored.
#'
#' @return A ggplot object.
#'
#' @seealso [plot.softmix_da()] for the same plots in base graphics;
#'   [autoplot.softmix()] for a single mixture.
#' @family discriminant analysis
#' @exportS3Method ggplot2::autoplot
#'
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' da <- softmix_da(iris[, 1:4], iris$Species, k = 1:2, model = c("EEE", "VVV"),
#'                  n_threads = 1)
#' ggplot2::autoplot(da)
#' ggplot2::autoplot(da, what = "error", dims = c("Petal.Length", "Petal.Width"))
#' ggplot2::autoplot(da, what = "classification", dims = 3:4,
#'                   newdata = iris[seq(1, 150, by = 5), 1:4])
#' ggplot2::autoplot(da, dims = "Petal.Length")
autoplot.softmix_da <- function(object, what = c("scatterplot", "classification", "error"),
                                dims = NULL, colors = NULL, newdata = NULL, ...) {
  require_suggested("ggplot2", "`autoplot()`")
  what <- match_choice(what, da_plot_choices, "what")
  ctx <- build_da_plot_context(object, what, dims, colors, newdata)
  text <- describe_da_plot(object, what, ctx)
  if (length(ctx$dims) == 1) {
    plot <- autoplot_da_1d(ctx)
  } else {
    plot <- add_pair_axes(autoplot_da_points(ctx), ctx)
  }
  plot + softmix_labs(text$main, text$subtitle) + softmix_theme()
}

#' The legend entry of each drawn point's class: a factor over the classes'
#' legend labels
#' @noRd
da_point_labels <- function(ctx) {
  factor(ctx$legend_labels[ctx$point_class], levels = ctx$legend_labels)
}

#' The 2-D (or grid of panels) discriminant analysis autoplot: the points in
#' their class colours, faded for the error plot except the misclassified
#' rows, which come last and are ringed; for the scatterplot each class's
#' components' ellipses and means
#' @noRd
autoplot_da_points <- function(ctx) {
  class <- da_point_labels(ctx)
  alpha <- ifelse(ctx$what == "error" & !ctx$marked, 0.45, 1)
  points <- stack_pairs(ctx, function(pair) {
    data.frame(x = ctx$data[, pair[1]], y = ctx$data[, pair[2]], class = class,
               alpha = alpha, marked = ctx$marked, row = seq_len(nrow(ctx$data)))
  })
  # order() is stable: the data order, with the marked rows on top.
  points <- points[order(points$marked), ]
  plot <- ggplot2::ggplot(points, ggplot2::aes(.data$x, .data$y)) +
    ggplot2::geom_point(ggplot2::aes(colour = .data$class, alpha = .data$alpha), size = 1.6) +
    ggplot2::scale_alpha_identity()
  if (ctx$what == "error") {
    plot <- plot + misclassified_layer(points[points$marked, , drop = FALSE],
                                       ggplot2::aes(.data$x, .data$y), size = 3.5)
  }
  if (ctx$show_ellipses) {
    shapes <- ellipse_frames(ctx, classes = factor(
      ctx$legend_labels[ctx$component_class], levels = ctx$legend_labels
    ))
    plot <- plot +
      ggplot2::geom_path(data = shapes$ellipses,
                         ggplot2::aes(colour = .data$class, group = .data$component),
                         linewidth = 0.8) +
      ggplot2::geom_point(data = shapes$means, ggplot2::aes(colour = .data$class),
                          shape = 4, size = 4, stroke = 1.6)
  }
  keys <- list(shape = 16, alpha = 1, size = 2.5, linetype = if (ctx$show_ellipses) 1 else 0)
  plot + da_class_colour_scale(ctx) +
    ggplot2::guides(colour = ggplot2::guide_legend(override.aes = keys, order = 1))
}

#' The classes' colours, named by their legend labels, with "All classes"
#' (black, the sum of the 1-D curves) where `total`
#' @noRd
da_class_colour_scale <- function(ctx, total = FALSE) {
  values <- stats::setNames(c(ctx$class_colors, if (total) "black"),
                            c(ctx$legend_labels, if (total) "All classes"))
  ggplot2::scale_colour_manual(values = values, name = NULL, drop = FALSE)
}

#' The black rings of the misclassified rows, with the legend entry
#' "Misclassified" (a shape scale of its own)
#' @noRd
misclassified_layer <- function(data, mapping, size) {
  mapping$shape <- quote("Misclassified")
  list(
    ggplot2::geom_point(data = data, mapping = mapping, colour = "black", size = size,
                        stroke = 1.1),
    ggplot2::scale_shape_manual(values = c(Misclassified = misclassified_pch), name = NULL,
                                limits = "Misclassified"),
    ggplot2::guides(shape = ggplot2::guide_legend(order = 2))
  )
}

#' The 1-D discriminant analysis autoplot: a histogram of the points with
#' each class's prior-weighted density (dashed components for a class of
#' several) and their sum, above a rug with one row per class
#' @noRd
autoplot_da_1d <- function(ctx) {
  var <- ctx$dims
  values <- ctx$data[, var]
  densities <- da_1d_densities(ctx)
  grid <- densities$grid
  histogram <- graphics::hist(values, plot = FALSE)
  bars <- data.frame(
    left = utils::head(histogram$breaks, -1), right = histogram$breaks[-1],
    density = histogram$density
  )
  top <- 1.04 * max(histogram$density, densities$total)
  rug_rows <- da_rug_rows(ctx, top)
  rug <- data.frame(x = values, bottom = rug_rows$bottom, top = rug_rows$top,
                    middle = (rug_rows$bottom + rug_rows$top) / 2,
                    class = da_point_labels(ctx), marked = ctx$marked,
                    alpha = ifelse(ctx$what == "error" & !ctx$marked, 0.45, 1),
                    row = seq_along(values))
  curve_names <- c(ctx$legend_labels, "All classes")
  curves <- data.frame(
    x = grid,
    density = c(densities$classes, densities$total),
    curve = factor(rep(curve_names, each = length(grid)), levels = curve_names)
  )
  curves$linewidth <- ifelse(curves$curve == "All classes", 1.3, 0.8)
  components <- data.frame(
    x = rep(grid, length(densities$component)),
    density = as.vector(densities$components),
    component = rep(densities$component, each = length(grid)),
    curve = factor(rep(ctx$legend_labels[ctx$component_class[densities$component]],
                       each = length(grid)), levels = curve_names)
  )
  plot <- ggplot2::ggplot() +
    ggplot2::geom_rect(data = bars, ggplot2::aes(xmin = .data$left, xmax = .data$right,
                                                 ymin = 0, ymax = .data$density),
                       fill = "grey90", colour = "grey65") +
    ggplot2::geom_hline(yintercept = 0, colour = "grey65") +
    ggplot2::geom_segment(data = rug, ggplot2::aes(x = .data$x, xend = .data$x,
                                                   y = .data$bottom, yend = .data$top,
                                                   colour = .data$class, alpha = .data$alpha),
                          show.legend = FALSE) +
    ggplot2::geom_line(data = components,
                       ggplot2::aes(.data$x, .data$density, colour = .data$curve,
                                    group = .data$component),
                       linetype = "dashed", linewidth = 0.4, show.legend = FALSE) +
    ggplot2::geom_line(data = curves, ggplot2::aes(.data$x, .data$density, colour = .data$curve,
                                                   group = .data$curve,
                                                   linewidth = .data$linewidth)) +
    ggplot2::scale_linewidth_identity() + ggplot2::scale_alpha_identity()
  if (ctx$what == "error") {
    plot <- plot + misclassified_layer(rug[rug$marked, , drop = FALSE],
                                       ggplot2::aes(.data$x, .data$middle), size = 2.5)
  }
  widths <- c(rep(0.8, length(ctx$legend_labels)), 1.3)
  plot + da_class_colour_scale(ctx, total = TRUE) +
    ggplot2::guides(colour = ggplot2::guide_legend(override.aes = list(linewidth = widths),
                                                   order = 1)) +
    ggplot2::labs(x = colnames(ctx$data)[var], y = "Density")
}
