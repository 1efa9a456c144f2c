#' Plot a discriminant analysis fit
#'
#' Draws one of the pictures of a [softmix_da()] fit with base graphics, as
#' mclust's `plot.MclustDA()` does. The classes keep one colour throughout.
#'
#' * `"scatterplot"`: the training data coloured by their class, with each
#'   class's mixture components drawn as 95 percent covariance ellipses (the
#'   contours of their 2-D marginal normals) in the class's colour and their
#'   means marked with crosses, as [plot.softmix()] draws a fit's
#'   components. For `"MclustDA"` the legend gives each class's covariance
#'   model and number of components; for `"EDDA"` the subtitle gives the
#'   shared model.
#' * `"classification"`: the points coloured by the class that
#'   [predict()][predict.softmix_da()] gives them: the training data, or
#'   `newdata` when it is given (mclust's `"train&test"` shows the same). The
#'   subtitle gives the training error, or the number of new rows.
#' * `"error"`: the training data coloured by their true class, with the
#'   rows that [predict()][predict.softmix_da()] misclassifies ringed in
#'   black and drawn over the others, which are faded; the subtitle gives the
#'   training error, which is optimistic (see [softmix_da_cv()]).
#'
#' With more than two selected variables each plot becomes a scatterplot
#' matrix with one panel per pair of variables, as for [plot.softmix()].
#' For one variable, a histogram of the points is overlaid with each
#' class's density weighted by its prior, \eqn{\tau_c f_c(x)} (thin dashed
#' curves for the components of a class with several), and their sum (thick
#' black curve), the density of the data; below it a rug has one row per
#' class, in the order of the legend, holding the points of that class (the
#' true class, or for `"classification"` the predicted one), with the
#' misclassified rows of `"error"` ringed. Titles, subtitles and legends are
#' fitted to the device as [plot.softmix()] fits them.
#'
#' @param x A `softmix_da` fit.
#' @param what Which plot to draw: `"scatterplot"` (the default),
#'   `"classification"` or `"error"`.
#' @param dims Variables to show, as column positions or column names of the
#'   training data. One variable gives a 1-D plot, two a single scatterplot
#'   and more a scatterplot matrix. The default is all variables, up to the
#'   first six.
#' @param colors Colours of the classes, at least one per class, in the
#'   order of `x$classes`. The default is the palette of [plot.softmix()]:
#'   Okabe-Ito without black and grey, or `hcl.colors(C, "Dark 3")` for more
#'   than seven classes.
#' @param newdata For `what = "classification"` only: data to classify and
#'   draw instead of the training data, with the fitted variables (as in
#'   [predict.softmix_da()]).
#' @param ... Ignored; present for compatibility with the [base::plot()] generic.
#'
#' @return `x`, invisibly.
#' @seealso [softmix_da()], [predict.softmix_da()]; [plot.softmix()] for a
#'   single mixture.
#' @family discriminant analysis
#' @export
#' @examples
#' da <- softmix_da(iris[, 1:4], iris$Species, k = 1:2, model = c("EEE", "VVV"),
#'                  n_threads = 1)
#' plot(da)
#' plot(da, what = "error", dims = c("Petal.Length", "Petal.Width"))
#' plot(da, what = "classification", newdata = iris[seq(1, 150, by = 5), 1:4])
#' plot(da, dims = "Petal.Length")
plot.softmix_da <- function(x, what = c("scatterplot", "classification", "error"), dims = NULL,
                            colors = NULL, newdata = NULL, ...) {
  what <- match_choice(what, da_plot_choices, "what")
  draw_da_plot(x, what, dims, colors, newdata)
  invisible(x)
}

# The pictures plot.softmix_da() draws.
da_plot_choices <- c("scatterplot", "classification", "error")

#' Draw one plot of a discriminant analysis fit; returns its layout (see
#' new_plot_layout()) with `point_class`, the class whose colour each drawn
#' point has, and `marked`, the rows ringed as misclassified
#' @noRd
draw_da_plot <- function(x, what, dims = NULL, colors = NULL, newdata = NULL) {
  ctx <- build_da_plot_context(x, what, dims, colors, newdata)
  text <- describe_da_plot(x, what, ctx)
  layout <- if (length(ctx$dims) == 1) {
    draw_da_1d(ctx, text$main, text$subtitle, da_curve_entries(ctx))
  } else {
    entries <- da_point_entries(ctx)
    if (length(ctx$dims) == 2) {
      draw_single_panel(ctx, draw_da_panel, text$main, text$subtitle, entries)
    } else {
      draw_pairs(ctx, draw_da_panel, text$main, text$subtitle, entries)
    }
  }
  layout$point_class <- factor(ctx$classes[ctx$point_class], levels = ctx$classes)
  layout$marked <- which(ctx$marked)
  layout
}

#' Collect what the panel functions need from a discriminant analysis fit.
#' The classes' components are pooled into one set of `parameters` (means,
#' covariances, proportions weighted by the class priors), `k` of them, with
#' `colors` their classes' colours, so that the helpers of plot.softmix()
#' (compute_axis_limits(), draw_ellipses(), draw_pairs()) draw them as they
#' draw a fit's components.
#' @noRd
build_da_plot_context <- function(x, what, dims, colors, newdata) {
  if (!is.null(newdata) && what != "classification") {
    softmix_abort(sprintf(paste(
      "`newdata` is used only by what = \"classification\"; the \"%s\" plot shows the",
      "training data."
    ), what), call = NULL)
  }
  training <- as.matrix(x$data)
  if (is.null(colnames(training))) colnames(training) <- variable_names(training)
  # `dims` names the training data's variables, whatever points are drawn.
  dims <- resolve_dims(dims, training)
  class_colors <- choose_colors(length(x$classes), colors, unit = "class")
  data <- training
  if (!is.null(newdata)) {
    data <- as_newdata(newdata, x, call = NULL)
    colnames(data) <- colnames(training)
  }
  # The scatterplot shows the true classes only: no predictions needed.
  predicted <- if (what != "scatterplot") stats::predict(x, data)
  truth <- if (is.null(newdata)) x$class else NULL
  wrong <- if (!is.null(predicted) && !is.null(truth)) predicted != truth
  point_class <- as.integer(if (what == "classification") predicted else truth)
  marked <- if (what == "error") wrong else rep(FALSE, nrow(data))
  point_colors <- class_colors[point_class]
  if (what == "error") {
    # Faded rows classified right leave the misclassified ones to the eye.
    point_colors[!marked] <- grDevices::adjustcolor(point_colors[!marked], alpha.f = 0.45)
  }
  components <- pool_da_components(x)

  list(
    data = data,
    imputed = NULL,
    dims = dims,
    parameters = components$parameters,
    k = length(components$class),
    colors = class_colors[components$class],
    noise = FALSE,
    weights = NULL,
    level = 0.95,
    n_threads = x$n_threads,
    what = what,
    classes = x$classes,
    legend_labels = da_legend_labels(x, what),
    class_colors = class_colors,
    component_class = components$class,
    class_parameters = x$parameters,
    prior = x$prior,
    point_class = point_class,
    point_colors = point_colors,
    marked = marked,
    error = if (is.null(wrong)) NA_real_ else mean(wrong),
    newdata = !is.null(newdata),
    show_ellipses = what == "scatterplot"
  )
}

#' Every class's Gaussian components in one set: means (one row each),
#' covariances, and proportions times the class prior; `class`, the class of
#' each component. A class fitted with a noise component keeps only its
#' Gaussian ones here.
#' @noRd
pool_da_components <- function(x) {
  d <- x$d
  means <- do.call(rbind, lapply(x$parameters, function(p) p$means))
  counts <- vapply(x$parameters, function(p) nrow(p$means), integer(1))
  covariances <- array(unlist(lapply(x$parameters, function(p) p$covariances)),
                       c(d, d, sum(counts)))
  proportions <- unlist(lapply(seq_along(x$parameters), function(j) {
    x$prior[[j]] * x$parameters[[j]]$proportions[seq_len(counts[j])]
  }))
  list(
    parameters = list(proportions = unname(proportions), means = unname(means),
                      covariances = covariances),
    class = rep(seq_along(counts), counts)
  )
}

#' Title and subtitle of a discriminant analysis plot
#' @noRd
describe_da_plot <- function(x, what, ctx) {
  percent <- sprintf("%.1f%%", 100 * ctx$error)
  n_wrong <- sum(ctx$marked)
  subtitle <- switch(
    what,
    scatterplot = paste0(
      if (length(ctx$dims) == 1) {
        "Rug: training data by class; curves: class densities weighted by prior, components dashed"
      } else {
        "Training data by class; each class's components: 95% ellipses and means"
      },
      if (x$type == "EDDA") sprintf("; one component per class, shared model %s",
                                    x$model[[1L]])
    ),
    classification = if (ctx$newdata) {
      sprintf("%d new row%s coloured by predicted class", nrow(ctx$data),
              if (nrow(ctx$data) == 1L) "" else "s")
    } else {
      sprintf("Training data coloured by predicted class; training error %s", percent)
    },
    error = sprintf(
      "Coloured by true class; ringed: %d of %d rows misclassified, training error %s",
      n_wrong, nrow(ctx$data), percent
    )
  )
  if (length(ctx$dims) == 1 && what != "scatterplot") {
    subtitle <- paste0(subtitle, "; curves: class densities weighted by prior")
  }
  main <- switch(
    what,
    scatterplot = sprintf("Class mixtures (%s)", x$type),
    classification = "Predicted classes",
    error = "Misclassified training data"
  )
  list(main = main, subtitle = subtitle)
}

#' The classes' names for the legend; for the scatterplot of an MclustDA
#' fit, with each class's covariance model and number of components
#' @noRd
da_legend_labels <- function(x, what) {
  if (what != "scatterplot" || x$type == "EDDA") {
    return(x$classes)
  }
  sprintf("%s: %s, k = %d", x$classes, x$model, x$k)
}

#' The legend entries of the 2-D plots: one per class (with a line for the
#' ellipses of the scatterplot), and one for the ringed misclassified rows
#' of the error plot
#' @noRd
da_point_entries <- function(ctx) {
  n <- length(ctx$classes)
  entries <- list(labels = ctx$legend_labels, col = ctx$class_colors, pch = rep(19, n),
                  lty = rep(if (ctx$show_ellipses) 1 else 0, n), lwd = rep(2, n))
  if (ctx$what == "error") entries <- add_misclassified_entry(entries)
  entries
}

#' The legend entries of the 1-D plots: a curve per class, their sum and,
#' for the error plot, the ringed misclassified rows
#' @noRd
da_curve_entries <- function(ctx) {
  n <- length(ctx$classes)
  entries <- list(labels = c(ctx$legend_labels, "All classes"), col = c(ctx$class_colors, "black"),
                  pch = rep(NA, n + 1), lty = rep(1, n + 1), lwd = c(rep(2, n), 3))
  if (ctx$what == "error") entries <- add_misclassified_entry(entries)
  entries
}

#' Add the entry "Misclassified" (a black ring, no line) to legend entries
#' @noRd
add_misclassified_entry <- function(entries) {
  entries$labels <- c(entries$labels, "Misclassified")
  entries$col <- c(entries$col, "black")
  entries$pch <- c(entries$pch, misclassified_pch)
  entries$lty <- c(entries$lty, 0)
  entries$lwd <- c(entries$lwd, 1.5)
  entries
}

# How the error plots mark misclassified rows: black rings.
misclassified_pch <- 1

#' Scatterplot panel of a discriminant analysis plot: the points in their
#' class colours, the misclassified ones last and ringed, and for the
#' scatterplot each class's components' ellipses
#' @noRd
draw_da_panel <- function(ctx, pair, show_labels = TRUE) {
  xy <- ctx$data[, pair, drop = FALSE]
  # order() is stable: the data order, with the marked rows on top.
  order <- order(ctx$marked)
  draw_weighted_points(ctx, xy[order, , drop = FALSE], cex = 0.8,
                       col = ctx$point_colors[order], pch = 19)
  if (any(ctx$marked)) {
    graphics::points(xy[ctx$marked, , drop = FALSE], pch = misclassified_pch, cex = 1.5,
                     lwd = 1.5, col = "black")
  }
  if (ctx$show_ellipses) draw_ellipses(ctx, pair, lwd = 2)
}

#' Draw the 1-D plot of a discriminant analysis fit: a histogram of the
#' points with each class's prior-weighted density and their sum, above a
#' rug with one row per class
#' @noRd
draw_da_1d <- function(ctx, main, subtitle, entries) {
  plan <- plan_entries(entries)
  frame <- open_single_frame(main, subtitle, plan)
  on.exit(graphics::par(frame$old))

  var <- ctx$dims
  values <- ctx$data[, var]
  densities <- da_1d_densities(ctx)
  grid <- densities$grid
  histogram <- graphics::hist(values, plot = FALSE)
  top <- 1.04 * max(histogram$density, densities$total)
  rug <- da_rug_rows(ctx, top)

  graphics::plot.new()
  graphics::plot.window(range(grid, histogram$breaks), c(rug$bottom_limit, top), yaxs = "i")
  graphics::plot(histogram, freq = FALSE, add = TRUE, col = "grey90", border = "grey65")
  graphics::abline(h = 0, col = "grey65")
  graphics::segments(values, rug$bottom, values, rug$top, col = ctx$point_colors)
  if (any(ctx$marked)) {
    graphics::points(values[ctx$marked], ((rug$bottom + rug$top) / 2)[ctx$marked],
                     pch = misclassified_pch, cex = 1.2, lwd = 1.5, col = "black")
  }
  # A class of several components also shows them, dashed.
  for (j in seq_along(densities$component)) {
    graphics::lines(grid, densities$components[, j], col = ctx$colors[densities$component[j]],
                    lty = 2, lwd = 1)
  }
  graphics::matlines(grid, densities$classes, col = ctx$class_colors, lty = 1, lwd = 2)
  graphics::lines(grid, densities$total, lwd = 3)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2, at = Filter(function(y) y >= 0, pretty(c(0, top))))
  texts <- rbind(draw_axis_title(colnames(ctx$data)[var], 1), draw_axis_title("Density", 2))
  close_single_frame(frame, texts, draw_entries(plan, entries))
}

#' The curves of a 1-D discriminant analysis plot over a grid of 400 values
#' spanning 3 standard deviations around every component: `classes`, each
#' class's density weighted by its prior (one column per class); `total`,
#' their sum; `components`, the weighted density of each component of a
#' class with several (one column per component, `component` their
#' positions in the pooled `ctx$parameters`)
#' @noRd
da_1d_densities <- function(ctx) {
  var <- ctx$dims
  xlim <- compute_axis_limits(ctx, var, radius = 3)
  grid <- seq(xlim[1], xlim[2], length.out = 400)
  n_classes <- length(ctx$classes)
  classes <- vapply(seq_len(n_classes), function(j) {
    ctx$prior[[j]] * dmixture(matrix(grid, ncol = 1),
                              subset_params(ctx$class_parameters[[j]], var),
                              n_threads = ctx$n_threads)
  }, numeric(length(grid)))
  classes <- matrix(classes, ncol = n_classes)
  pooled <- ctx$parameters
  shared <- which(ctx$component_class %in% ctx$component_class[duplicated(ctx$component_class)])
  components <- vapply(shared, function(j) {
    pooled$proportions[j] *
      stats::dnorm(grid, pooled$means[j, var], sqrt(pooled$covariances[var, var, j]))
  }, numeric(length(grid)))
  list(grid = grid, classes = classes, total = rowSums(classes),
       components = matrix(components, nrow = length(grid)), component = shared)
}

#' Where the rug of a 1-D discriminant analysis plot goes, below the curves
#' that reach up to `top`: one row per class, in the legend's order from the
#' top; `bottom` and `top` of each point's tick (in its class's row), and
#' `bottom_limit`, the lowest y the plot must show
#' @noRd
da_rug_rows <- function(ctx, top) {
  n_classes <- length(ctx$classes)
  row_height <- min(0.05, 0.24 / n_classes) * top
  rug_top <- -0.015 * top
  bottom <- rug_top - ctx$point_class * row_height
  list(bottom = bottom, top = bottom + 0.8 * row_height,
       bottom_limit = rug_top - (n_classes + 0.1) * row_height)
}
