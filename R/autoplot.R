# ggplot2 versions of plot.softmix()'s pictures. ggplot2 is only suggested:
# the method is registered for ggplot2's autoplot() generic when ggplot2 is
# loaded, and every ggplot2 function is called through `ggplot2::`.

#' Plot a fitted Gaussian mixture with ggplot2
#'
#' A method for ggplot2's [ggplot2::autoplot()] generic that draws the
#' pictures of [plot.softmix()] as a ggplot object, which can then be
#' themed, annotated and combined like any other. It needs the ggplot2
#' package.
#'
#' * `"classification"`: the data coloured by the most probable component,
#'   more transparent where that assignment is less certain (the opacity is
#'   `0.25 + 0.75 * (1 - u)`, with `u` the uncertainty scaled to 1 at its
#'   largest possible value), with each component's 95 percent ellipse and
#'   its mean marked by a cross. In 1-D: a histogram with each weighted
#'   component density and the mixture density, over a rug of the data.
#' * `"uncertainty"`: points coloured by component, larger and more opaque
#'   the less certain; in 1-D, a needle per observation.
#' * `"density"`: contours of the mixture density (see [dmixture()]) that
#'   enclose 10, 25, 50, 75 and 95 percent of the observations, over the
#'   data in grey; in 1-D, a histogram with the mixture density.
#' * `"loglik"`: the log-likelihood after each EM pass.
#' * `"BIC"`, `"ICL"`: the criterion of each (k, model) pair against `k`, one
#'   line per model with the colours, line types and symbols of
#'   [plot.softmix()], the returned fit ringed and labelled, and the same
#'   y-range: values far worse than the competitive models are left off the
#'   scale (their lines run off the top), as the subtitle says. Failed pairs
#'   leave gaps.
#'
#' With `dims` of length two or more than two, the 2-D plots show the first
#' two variables by default; more than two give a grid of panels, one per
#' ordered pair of variables, each with the 2-D marginal of the mixture.
#' Fits with observation weights draw each point with an area proportional
#' to its weight (see [plot.softmix()]; rows of weight 0 are hollow), except
#' in the uncertainty plot, where size shows the uncertainty. Rows that a
#' fit with a noise component classifies as noise are grey crosses. A fit
#' to data with missing values draws each row at its coordinates in
#' `fitted(object, type = "imputed")`, hollow where one of the coordinates
#' shown is imputed (see [plot.softmix()]).
#'
#' @param object A fitted `softmix` object.
#' @param what Which plot to draw: `"classification"` (the default),
#'   `"uncertainty"`, `"density"`, `"loglik"`, `"BIC"` or `"ICL"`, as for
#'   [plot.softmix()].
#' @param dims Variables to show, as column positions or names: one gives a
#'   1-D plot, two a scatterplot, more a grid of panels. The default is the
#'   first two variables (the only one for 1-D data). Ignored for `"loglik"`,
#'   `"BIC"` and `"ICL"`.
#' @param colors Colours of the components (for `"BIC"` and `"ICL"`, of the
#'   models), as for [plot.softmix()].
#' @param ... Ignored.
#'
#' @return A ggplot object.
#'
#' @seealso [plot.softmix()] for the same plots in base graphics.
#' @family softmix methods
#' @exportS3Method ggplot2::autoplot
#'
#' @examplesIf requireNamespace("ggplot2", quietly = TRUE)
#' set.seed(1)
#' fit <- softmix(faithful, k = 1:3, model = c("VVV", "EEE"), n_threads = 1)
#' ggplot2::autoplot(fit)
#' ggplot2::autoplot(fit, what = "density")
#' ggplot2::autoplot(fit, what = "BIC")
#'
#' fit_iris <- softmix(iris[, 1:4], k = 3, n_threads = 1)
#' ggplot2::autoplot(fit_iris, dims = c("Petal.Length", "Petal.Width"))
#' ggplot2::autoplot(fit_iris, what = "uncertainty", dims = 1:3)
autoplot.softmix <- function(object,
                             what = c("classification", "uncertainty", "density", "loglik",
                                      "BIC", "ICL"),
                             dims = NULL,
                             colors = NULL,
                             ...) {
  require_suggested("ggplot2", "`autoplot()`")
  what <- match_choice(what, plot_choices, "what")
  if (what == "loglik") {
    return(autoplot_loglik(object))
  }
  if (what %in% c("BIC", "ICL")) {
    return(autoplot_criterion(object, tolower(what), colors))
  }
  if (is.null(dims) && !is.null(object$data)) {
    dims <- seq_len(min(NCOL(object$data), 2))
  }
  ctx <- build_plot_context(object, dims, colors)
  ctx$labels <- c(sprintf("Component %d", seq_len(ctx$k)), if (ctx$noise) "Noise")
  if (length(ctx$dims) == 1) {
    return(switch(
      what,
      classification = autoplot_1d_density(ctx, show_components = TRUE),
      density = autoplot_1d_density(ctx, show_components = FALSE),
      uncertainty = autoplot_1d_uncertainty(ctx)
    ))
  }
  text <- describe_plot(what, ctx, blended = FALSE)
  plot <- switch(
    what,
    classification = autoplot_classification(ctx),
    uncertainty = autoplot_uncertainty(ctx),
    density = autoplot_density(ctx)
  )
  plot <- plot + softmix_labs(text$main, text$subtitle) + softmix_theme()
  add_pair_axes(plot, ctx)
}

#' Axis titles of a 2-D autoplot, or for more than two variables a grid of
#' panels, one per ordered pair (the `xvar` and `yvar` of stack_pairs())
#' @noRd
add_pair_axes <- function(plot, ctx) {
  if (length(ctx$dims) > 2) {
    plot + ggplot2::facet_grid(
      ggplot2::vars(.data$yvar), ggplot2::vars(.data$xvar), scales = "free", switch = "both"
    ) + ggplot2::labs(x = NULL, y = NULL) +
      ggplot2::theme(strip.placement = "outside")
  } else {
    names <- colnames(ctx$data)[ctx$dims]
    plot + ggplot2::labs(x = names[1], y = names[2])
  }
}

#' Fail with a softmix error when a suggested package `package` that `what`
#' needs is not installed
#' @noRd
require_suggested <- function(package, what) {
  if (!requireNamespace(package, quietly = TRUE)) {
    softmix_abort(sprintf(
      "%s needs the %s package; install it with install.packages(\"%s\").", what, package,
      package
    ), call = NULL)
  }
  invisible(TRUE)
}

# aes() reads `.data$x` as the column x of the layer's data; declared here
# for R CMD check, since ggplot2 (which exports the pronoun) is only suggested.
utils::globalVariables(".data")

#' Title and subtitle, the subtitle wrapped so that it reads at small sizes
#' @noRd
softmix_labs <- function(main, subtitle = "") {
  subtitle <- if (nzchar(subtitle)) paste(strwrap(subtitle, 70), collapse = "\n") else NULL
  ggplot2::labs(title = main, subtitle = subtitle)
}

#' The theme of every autoplot: ggplot2's bw theme with the legend below
#' @noRd
softmix_theme <- function() {
  ggplot2::theme_bw() + ggplot2::theme(
    legend.position = "bottom", plot.title = ggplot2::element_text(face = "bold"),
    plot.title.position = "plot", panel.grid.minor = ggplot2::element_blank()
  )
}

#' The ordered pairs of variables a 2-D autoplot shows: the pair itself, or
#' every ordered pair of distinct variables for a grid of panels
#' @noRd
plot_pairs <- function(dims) {
  if (length(dims) == 2) {
    return(list(dims))
  }
  grid <- expand.grid(x = dims, y = dims)
  grid <- grid[grid$x != grid$y, ]
  lapply(seq_len(nrow(grid)), function(i) c(grid$x[i], grid$y[i]))
}

#' Stack one data frame per pair of variables, labelled with the pair's
#' variable names (factors in the order of `dims`, for the facets)
#' @noRd
stack_pairs <- function(ctx, build) {
  names <- colnames(ctx$data)
  frames <- lapply(plot_pairs(ctx$dims), function(pair) {
    frame <- build(pair)
    if (nrow(frame) == 0) return(NULL)
    frame$xvar <- names[pair[1]]
    frame$yvar <- names[pair[2]]
    frame
  })
  out <- do.call(rbind, frames)
  levels <- names[ctx$dims]
  out$xvar <- factor(out$xvar, levels = levels)
  out$yvar <- factor(out$yvar, levels = levels)
  out
}

#' The data points of each pair with their class, uncertainty and weight
#' @noRd
point_frame <- function(ctx) {
  class <- factor(ctx$labels[ctx$class_index], levels = ctx$labels)
  size <- point_sizes(ctx$weights, 1.6)
  shape <- rep_len(point_shapes(ctx$weights, filled = 16, hollow = 1), nrow(ctx$data))
  stack_pairs(ctx, function(pair) {
    points <- panel_points(ctx, pair)
    # Hollow where a coordinate of the pair is imputed.
    pair_shape <- ifelse(points$imputed, imputed_pch, shape)
    if (ctx$noise) pair_shape[ctx$classification == 0L] <- noise_pch
    data.frame(
      x = points$xy[, 1], y = points$xy[, 2], class = class,
      scaled = ctx$scaled_uncertainty, size = rep_len(size, nrow(ctx$data)),
      shape = pair_shape, imputed = points$imputed,
      weight = if (is.null(ctx$weights)) 1 else ctx$weights,
      noise = ctx$classification == 0L
    )
  })
}

#' Each component's 95% ellipse and mean, for each pair. `classes` is the
#' legend entry (a factor) each component is coloured by: by default its own,
#' for a discriminant analysis fit its class's; `component` tells apart the
#' ellipses of one class.
#' @noRd
ellipse_frames <- function(ctx, classes = NULL) {
  # The all-noise model has no component to draw.
  if (ctx$k == 0L) return(list(ellipses = NULL, means = NULL))
  if (is.null(classes)) classes <- factor(ctx$labels[seq_len(ctx$k)], levels = ctx$labels)
  ellipses <- stack_pairs(ctx, function(pair) {
    do.call(rbind, lapply(seq_len(ctx$k), function(k) {
      points <- ellipse_points(ctx$parameters$means[k, pair],
                               ctx$parameters$covariances[pair, pair, k], level = ctx$level)
      data.frame(x = points[, 1], y = points[, 2], class = classes[k], component = k)
    }))
  })
  means <- stack_pairs(ctx, function(pair) {
    data.frame(x = ctx$parameters$means[, pair[1]], y = ctx$parameters$means[, pair[2]],
               class = classes)
  })
  list(ellipses = ellipses, means = means)
}

#' Colour scale of the components (and the noise), with legend keys that
#' show a point (a cross for the noise) and, where asked, a line
#' @noRd
component_colour_scale <- function(ctx, lines = TRUE) {
  values <- stats::setNames(ctx$point_colors, ctx$labels)
  shapes <- c(rep(16, ctx$k), if (ctx$noise) noise_pch)
  keys <- list(shape = shapes, alpha = 1, size = 2.5)
  if (lines) keys$linetype <- c(rep(1, ctx$k), if (ctx$noise) 0)
  list(
    ggplot2::scale_colour_manual(values = values, name = NULL, drop = FALSE),
    ggplot2::guides(colour = ggplot2::guide_legend(override.aes = keys))
  )
}

#' The 2-D classification autoplot
#' @noRd
autoplot_classification <- function(ctx) {
  points <- point_frame(ctx)
  points$alpha <- 0.25 + 0.75 * (1 - points$scaled)
  points <- points[order(-points$weight), ]
  shapes <- ellipse_frames(ctx)
  ggplot2::ggplot(points, ggplot2::aes(.data$x, .data$y)) +
    ggplot2::geom_point(ggplot2::aes(colour = .data$class, alpha = .data$alpha,
                                     size = .data$size, shape = .data$shape)) +
    ggplot2::geom_path(data = shapes$ellipses,
                       ggplot2::aes(colour = .data$class, group = .data$class),
                       linewidth = 0.8) +
    ggplot2::geom_point(data = shapes$means, ggplot2::aes(colour = .data$class),
                        shape = 4, size = 4, stroke = 1.6) +
    ggplot2::scale_alpha_identity() + ggplot2::scale_size_identity() +
    ggplot2::scale_shape_identity() +
    component_colour_scale(ctx)
}

#' The 2-D uncertainty autoplot
#' @noRd
autoplot_uncertainty <- function(ctx) {
  points <- point_frame(ctx)
  # Size shows the uncertainty here, as in plot(); weights only as hollow points.
  points$size <- 1 + 3 * points$scaled
  points$alpha <- 0.45 + 0.55 * points$scaled
  points <- points[order(points$scaled), ]
  shapes <- ellipse_frames(ctx)
  ggplot2::ggplot(points, ggplot2::aes(.data$x, .data$y)) +
    ggplot2::geom_path(data = shapes$ellipses,
                       ggplot2::aes(colour = .data$class, group = .data$class),
                       linewidth = 0.6, linetype = "dashed") +
    ggplot2::geom_point(ggplot2::aes(colour = .data$class, alpha = .data$alpha,
                                     size = .data$size, shape = .data$shape)) +
    ggplot2::scale_alpha_identity() + ggplot2::scale_size_identity() +
    ggplot2::scale_shape_identity() +
    component_colour_scale(ctx, lines = FALSE)
}

#' The 2-D density autoplot: contours of each pair's marginal density at the
#' levels that enclose 10 to 95 percent of the data
#' @noRd
autoplot_density <- function(ctx) {
  points <- point_frame(ctx)
  points <- points[order(-points$weight), ]
  points$shape[points$shape == noise_pch] <- 16
  enclosed <- c(0.95, 0.75, 0.5, 0.25, 0.1)
  # The all-noise model's density is flat: no contours.
  contours <- if (ctx$k > 0L) stack_pairs(ctx, function(pair) {
    parameters <- subset_params(ctx$parameters, pair)
    grid_x <- seq_range(compute_axis_limits(ctx, pair[1]), 100)
    grid_y <- seq_range(compute_axis_limits(ctx, pair[2]), 100)
    density <- matrix(
      dmixture(as.matrix(expand.grid(grid_x, grid_y)), parameters, n_threads = ctx$n_threads),
      nrow = length(grid_x)
    )
    levels <- unique(enclosing_levels(ctx, panel_points(ctx, pair), parameters, enclosed))
    lines <- grDevices::contourLines(grid_x, grid_y, density, levels = levels)
    if (length(lines) == 0) {
      return(data.frame(x = numeric(0), y = numeric(0), piece = character(0)))
    }
    do.call(rbind, lapply(seq_along(lines), function(i) {
      data.frame(x = lines[[i]]$x, y = lines[[i]]$y, piece = paste(pair[1], pair[2], i))
    }))
  })
  points$colour <- ifelse(points$imputed, "grey50", "grey70")
  ggplot2::ggplot(points, ggplot2::aes(.data$x, .data$y)) +
    ggplot2::geom_point(ggplot2::aes(size = .data$size, shape = .data$shape,
                                     colour = .data$colour)) +
    ggplot2::scale_colour_identity() +
    ggplot2::scale_size_identity() + ggplot2::scale_shape_identity() +
    if (!is.null(contours)) {
      ggplot2::geom_path(data = contours, ggplot2::aes(group = .data$piece),
                         colour = "#00588A", linewidth = 0.7)
    }
}

#' `n` equally spaced values over a range
#' @noRd
seq_range <- function(range, n) {
  seq(range[1], range[2], length.out = n)
}

#' The 1-D classification and density autoplots: a histogram with the
#' mixture density and, for the classification, each component's
#' @noRd
autoplot_1d_density <- function(ctx, show_components) {
  var <- ctx$dims
  values <- ctx$data[, var]
  imputed <- imputed_rows(ctx, var)
  grid <- seq_range(compute_axis_limits(ctx, var, radius = 3), 400)
  # The histogram shows the data: the observed values only.
  histogram <- graphics::hist(values[!imputed], plot = FALSE)
  bars <- data.frame(
    left = utils::head(histogram$breaks, -1), right = histogram$breaks[-1],
    density = histogram$density
  )
  mixture <- dmixture(matrix(grid, ncol = 1), subset_params(ctx$parameters, var),
                      n_threads = ctx$n_threads)
  top <- 1.04 * max(histogram$density, mixture)
  curves <- data.frame(x = grid, density = mixture, curve = "Mixture")
  if (show_components) {
    means <- ctx$parameters$means[, var]
    sds <- sqrt(ctx$parameters$covariances[var, var, ])
    for (k in seq_len(ctx$k)) {
      curves <- rbind(curves, data.frame(
        x = grid, curve = ctx$labels[k],
        density = ctx$parameters$proportions[k] * stats::dnorm(grid, means[k], sds[k])
      ))
    }
    if (ctx$noise) {
      box <- ctx$parameters$noise_box[, var]
      share <- ctx$parameters$proportions[length(ctx$parameters$proportions)]
      curves <- rbind(curves, data.frame(x = unname(box), density = unname(share / diff(box)),
                                         curve = "Noise"))
    }
  }
  levels <- c(ctx$labels[seq_len(ctx$k)], if (ctx$noise && show_components) "Noise", "Mixture")
  curves$curve <- factor(curves$curve, levels = intersect(levels, unique(curves$curve)))
  curves$linewidth <- ifelse(curves$curve == "Mixture", 1.3, 0.8)
  curves$linetype <- ifelse(curves$curve == "Noise", "dashed", "solid")
  colours <- stats::setNames(c(ctx$colors, noise_color, "black"),
                             c(ctx$labels[seq_len(ctx$k)], "Noise", "Mixture"))
  widths <- stats::setNames(c(rep(0.8, ctx$k), 0.8, 1.3), names(colours))
  types <- stats::setNames(c(rep("solid", ctx$k), "dashed", "solid"), names(colours))
  rug <- data.frame(
    x = values, colour = if (show_components) ctx$blended else "grey30",
    linewidth = point_sizes(ctx$weights, 0.4),
    linetype = if (is.null(ctx$weights)) "solid" else ifelse(ctx$weights > 0, "solid", "dotted")
  )
  # Imputed values are hollow circles halfway up the rug rather than ticks.
  rug_points <- rug[imputed, , drop = FALSE]
  rug <- rug[!imputed, , drop = FALSE]
  imputed_layer <- if (nrow(rug_points) > 0) {
    ggplot2::geom_point(data = rug_points, ggplot2::aes(x = .data$x), y = -0.0425 * top,
                        shape = imputed_pch, size = 1.5, colour = rug_points$colour)
  }
  main <- if (show_components) "Mixture components" else "Mixture density"
  subtitle <- describe_rug(ctx, any(imputed))
  ggplot2::ggplot() +
    ggplot2::geom_rect(data = bars, ggplot2::aes(xmin = .data$left, xmax = .data$right,
                                                 ymin = 0, ymax = .data$density),
                       fill = "grey90", colour = "grey65") +
    ggplot2::geom_segment(data = rug, ggplot2::aes(x = .data$x, xend = .data$x,
                                                   linewidth = .data$linewidth,
                                                   linetype = .data$linetype),
                          y = -0.07 * top, yend = -0.015 * top, colour = rug$colour) +
    imputed_layer +
    ggplot2::geom_line(data = curves, ggplot2::aes(.data$x, .data$density, colour = .data$curve,
                                                   group = .data$curve,
                                                   linewidth = .data$linewidth,
                                                   linetype = .data$linetype)) +
    ggplot2::scale_colour_manual(values = colours, name = NULL) +
    ggplot2::scale_linewidth_identity() + ggplot2::scale_linetype_identity() +
    ggplot2::guides(colour = ggplot2::guide_legend(override.aes = list(
      linewidth = widths[levels(curves$curve)], linetype = types[levels(curves$curve)]
    ))) +
    ggplot2::labs(x = colnames(ctx$data)[var], y = "Density") +
    softmix_labs(main, subtitle) + softmix_theme() +
    if (show_components) NULL else ggplot2::theme(legend.position = "none")
}

#' The 1-D uncertainty autoplot: a needle per observation
#' @noRd
autoplot_1d_uncertainty <- function(ctx) {
  var <- ctx$dims
  imputed <- imputed_rows(ctx, var)
  shape <- rep_len(point_shapes(ctx$weights, filled = 16, hollow = 1), nrow(ctx$data))
  shape[imputed] <- imputed_pch
  if (ctx$noise) shape <- ifelse(ctx$classification == 0L, noise_pch, shape)
  points <- data.frame(
    x = ctx$data[, var], uncertainty = ctx$uncertainty,
    class = factor(ctx$labels[ctx$class_index], levels = ctx$labels),
    size = rep_len(point_sizes(ctx$weights, 1.4), nrow(ctx$data)),
    shape = rep_len(shape, nrow(ctx$data))
  )
  subtitle <- describe_1d_uncertainty(ctx, any(imputed))
  ggplot2::ggplot(points, ggplot2::aes(.data$x, .data$uncertainty, colour = .data$class)) +
    ggplot2::geom_segment(ggplot2::aes(xend = .data$x, yend = 0)) +
    ggplot2::geom_point(ggplot2::aes(size = .data$size, shape = .data$shape)) +
    ggplot2::scale_size_identity() + ggplot2::scale_shape_identity() +
    component_colour_scale(ctx, lines = FALSE) +
    ggplot2::labs(x = colnames(ctx$data)[var], y = "Uncertainty (1 - max posterior)") +
    softmix_labs("Classification uncertainty", subtitle) + softmix_theme()
}

#' The log-likelihood trace autoplot
#' @noRd
autoplot_loglik <- function(x) {
  trace <- x$loglik_trace
  if (length(trace) == 0) {
    softmix_abort("`x` has no log-likelihood trace to plot.", call = NULL)
  }
  starts_at_init <- length(x$iterations) == 1 && length(trace) == x$iterations + 1
  frame <- data.frame(iteration = seq_along(trace) - starts_at_init, loglik = trace)
  status <- if (isTRUE(x$converged)) "converged" else "did not converge"
  subtitle <- sprintf("Final log-likelihood %s after %d iteration%s, %s",
                      formatC(x$loglik, format = "f", digits = 2), x$iterations,
                      if (identical(x$iterations, 1L)) "" else "s", status)
  ggplot2::ggplot(frame, ggplot2::aes(.data$iteration, .data$loglik)) +
    ggplot2::geom_line(linewidth = 0.8) +
    ggplot2::geom_point(size = if (nrow(frame) <= 40) 1.8 else 0) +
    ggplot2::scale_x_continuous(breaks = function(limits) {
      # Iterations are counts, so no fractional ticks.
      ticks <- pretty(limits)
      ticks[ticks == round(ticks)]
    }) +
    ggplot2::labs(
      x = if (starts_at_init) "EM iteration (0 = initial values)" else "EM iteration",
      y = "Log-likelihood"
    ) +
    softmix_labs("EM log-likelihood trace", subtitle) + softmix_theme()
}

#' The BIC and ICL autoplots
#' @noRd
autoplot_criterion <- function(x, criterion, colors) {
  summary <- summarise_criterion(x, criterion, colors)
  models <- summary$models
  frame <- data.frame(
    k = rep(summary$ks, times = length(models)),
    model = factor(rep(models, each = length(summary$ks)), levels = models),
    value = as.vector(summary$values)
  )
  styles <- summary$styles
  scale <- summary$scale
  span <- max(scale$upper - scale$lower, 1e-8 * abs(scale$lower), 1e-8)
  plot <- ggplot2::ggplot(frame, ggplot2::aes(.data$k, .data$value, colour = .data$model,
                                              linetype = .data$model, shape = .data$model)) +
    ggplot2::geom_line(linewidth = 0.8, na.rm = TRUE) +
    ggplot2::geom_point(size = 2.2, stroke = 1, na.rm = TRUE) +
    ggplot2::scale_colour_manual(values = stats::setNames(styles$col, models), name = "Model") +
    ggplot2::scale_linetype_manual(values = stats::setNames(styles$linetype, models),
                                   name = "Model") +
    ggplot2::scale_shape_manual(values = stats::setNames(styles$pch, models), name = "Model") +
    ggplot2::scale_x_continuous(breaks = summary$ks) +
    # Zoom rather than drop: lines to values off the scale run off the top.
    ggplot2::coord_cartesian(ylim = c(scale$lower - 0.12 * span, scale$upper + 0.03 * span)) +
    ggplot2::labs(x = summary$xlab, y = summary$ylab) +
    softmix_labs(summary$main, summary$subtitle) + softmix_theme()
  # One legend for the three scales needs the same guide for each.
  rows <- if (length(models) > 7) 2 else 1
  plot <- plot + ggplot2::guides(
    colour = ggplot2::guide_legend(nrow = rows), linetype = ggplot2::guide_legend(nrow = rows),
    shape = ggplot2::guide_legend(nrow = rows)
  )
  chosen <- summary$chosen
  if (is.finite(chosen[2])) {
    point <- data.frame(k = chosen[1], value = chosen[2], label = summary$chosen_label)
    plot <- plot +
      ggplot2::geom_point(data = point, ggplot2::aes(.data$k, .data$value), inherit.aes = FALSE,
                          shape = 21, size = 7, stroke = 1.2, colour = "black", fill = NA) +
      ggplot2::geom_text(data = point, ggplot2::aes(.data$k, .data$value, label = .data$label),
                         inherit.aes = FALSE, vjust = 2.6, fontface = "bold", size = 3.5)
  }
  plot
}
