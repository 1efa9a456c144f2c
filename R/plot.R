#' Plot a fitted Gaussian mixture
#'
#' Draws one of the diagnostic pictures of a [softmix()] fit with base graphics.
#'
#' * `"classification"`: the soft assignment. Each point is coloured by the
#'   blend of the component colours weighted by its posterior probabilities,
#'   so a point shared equally between a red and a blue component looks
#'   purple. Each component's 95 percent covariance ellipse (the contour of
#'   its 2-D marginal normal) is drawn in the component's colour and its mean
#'   is marked with a cross. For one variable, a histogram of the data is
#'   overlaid with each weighted component density `pi_k * N(x | mu_k, sigma_k^2)`
#'   and the mixture density (thick black curve), with a rug of the data in
#'   the blended colours.
#' * `"uncertainty"`: points coloured by their hard classification, with size
#'   and opacity growing with the uncertainty `1 - max(posterior)`, so the
#'   points the model cannot place stand out. For one variable, uncertainty
#'   is drawn as a needle above each observation.
#' * `"density"`: contours of the fitted mixture density (computed with
#'   [dmixture()]) over the data, which are drawn in light grey. The contours are the
#'   density levels that enclose 10, 25, 50, 75 and 95 percent of the
#'   observations. For one variable, a histogram with the mixture density.
#' * `"loglik"`: the log-likelihood after each EM pass, useful for checking
#'   that EM has converged, and beside it the distance from each value to the
#'   final one on a log scale, which shows the speed of the late iterations
#'   that the first panel flattens (a straight line is linear convergence).
#' * `"BIC"`, `"ICL"`: for a fit chosen among several (k, model) pairs, the
#'   criterion of every pair against the number of components, one line per
#'   covariance model, as mclust's BIC plot draws it but on R's scale:
#'   lower is better (see [softmix()]). A pair that failed leaves a gap in
#'   its line; the returned fit is circled.
#'
#' With more than two selected variables, the classification, uncertainty and
#' density plots become a scatterplot matrix with one panel per pair of
#' variables; each panel shows the 2-D marginal of the mixture, which has the
#' same proportions and the corresponding sub-means and sub-covariances.
#'
#' For a fit with observation weights (`weights` in [softmix()]), each data
#' point's size grows with its weight: its symbol size is the usual one times
#' `sqrt(w / mean(w[w > 0]))`, so that a point's area is proportional to its
#' weight, clamped to between 0.3 and 3 times the usual size so that light
#' points stay visible and heavy ones do not cover the plot. Equal weights
#' draw every point at the unweighted size. Heavier points are drawn first, so
#' lighter ones stay on top. Rows of weight 0, which do not count in the fit
#' but still have a posterior, are drawn as small hollow symbols (half the
#' usual size) rather than left out. The 1-D classification and density
#' plots, which show the data as a rug, scale the width of each tick by the
#' same factor and draw the ticks of rows of weight 0 dotted. The
#' uncertainty plot keeps size for the uncertainty, so there the weights only
#' show as hollow points for rows of weight 0; its 1-D form, where the height
#' of a needle shows the uncertainty, sizes the point on each needle by the
#' weight. The subtitle says how the weights are shown. The histograms of the
#' 1-D plots and the levels of the density contours count every row once,
#' whatever its weight.
#'
#' @param x A fitted `softmix` object.
#' @param what Which plot to draw: one of `"classification"` (the default),
#'   `"uncertainty"`, `"density"`, `"loglik"`, `"BIC"` or `"ICL"`.
#' @param dims Variables to show, as column positions or column names of the
#'   fitted data. One variable gives a 1-D plot, two a single scatterplot and
#'   more a scatterplot matrix. The default is all variables, up to the first
#'   six, since larger scatterplot matrices are unreadable. Ignored for
#'   `what = "loglik"`, `"BIC"` and `"ICL"`.
#' @param colors Colours of the components, at least one per component (for
#'   `"BIC"` and `"ICL"`, one per model). The default is the colour-blind
#'   friendly Okabe-Ito palette (without black and grey), or
#'   `hcl.colors(k, "Dark 3")` for more than seven.
#' @param ... Ignored; present for compatibility with the [base::plot()] generic.
#'
#' @return `x`, invisibly.
#'
#' @family softmix methods
#' @export
#'
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' plot(fit)
#' plot(fit, what = "uncertainty")
#' plot(fit, what = "density")
#' plot(fit, what = "loglik")
#'
#' fit_iris <- softmix(iris[, 1:4], k = 3, n_threads = 1)
#' plot(fit_iris)
#' plot(fit_iris, dims = c("Sepal.Length", "Petal.Length"))
#'
#' best <- softmix(faithful, k = 1:4, model = c("VVV", "EEE", "VII"), n_threads = 1)
#' plot(best, what = "BIC")
#' plot(best, what = "ICL")
plot.softmix <- function(x,
                         what = c("classification", "uncertainty", "density", "loglik",
                                  "BIC", "ICL"),
                         dims = NULL,
                         colors = NULL,
                         ...) {
  what <- match_choice(
    what, c("classification", "uncertainty", "density", "loglik", "BIC", "ICL"), "what"
  )

  if (what == "loglik") {
    draw_loglik(x)
    return(invisible(x))
  }
  if (what %in% c("BIC", "ICL")) {
    draw_criterion(x, tolower(what), colors)
    return(invisible(x))
  }

  ctx <- build_plot_context(x, dims, colors)
  if (length(ctx$dims) == 1) {
    if (what == "uncertainty") {
      draw_1d_uncertainty(ctx)
    } else {
      draw_1d_density(ctx, show_components = what == "classification")
    }
  } else {
    # Panels share the signature (ctx, pair, show_labels) so that one layout
    # function can draw any plot type, alone or in a scatterplot matrix.
    panel <- switch(
      what,
      classification = draw_classification_panel,
      uncertainty = draw_uncertainty_panel,
      density = draw_density_panel
    )
    main <- switch(
      what,
      classification = "Soft classification",
      uncertainty = "Classification uncertainty",
      density = "Mixture density"
    )
    subtitle <- switch(
      what,
      classification = "Colours blended by posterior probability; 95% ellipses",
      uncertainty = "Larger, darker points are less certain",
      density = "Contours enclose 10%, 25%, 50%, 75% and 95% of the data"
    )
    subtitle <- paste0(subtitle, describe_weight_encoding(ctx$weights, what != "uncertainty"))
    legend_style <- switch(
      what,
      classification = list(pch = 19, lty = 1, lwd = 2),
      uncertainty = list(pch = 19, lty = 0, lwd = 2)
    )
    if (length(ctx$dims) == 2) {
      draw_single_panel(ctx, panel, main, subtitle, legend_style)
    } else {
      draw_pairs(ctx, panel, main, subtitle, legend_style)
    }
  }

  invisible(x)
}

#' Collect everything the panel functions need from a fit
#' @noRd
build_plot_context <- function(x, dims, colors) {
  if (is.null(x$data)) {
    softmix_abort("`x` does not contain the fitted data, so it cannot be plotted.", call = NULL)
  }
  data <- as.matrix(x$data)
  if (is.null(colnames(data))) {
    colnames(data) <- variable_names(data)
  }
  k <- nrow(x$parameters$means)
  colors <- choose_colors(k, colors)
  posterior <- as.matrix(x$posterior)
  # A noise component (classification 0) is drawn in grey, as crosses.
  noise <- !is.null(x$parameters$hypervolume)
  point_colors <- c(colors, if (noise) noise_color)
  class_index <- x$classification
  class_index[class_index == 0L] <- k + 1L

  list(
    data = data,
    dims = resolve_dims(dims, data),
    parameters = x$parameters,
    k = k,
    colors = colors,
    noise = noise,
    point_colors = point_colors,
    class_index = class_index,
    blended = blend_colors(posterior, point_colors),
    classification = x$classification,
    uncertainty = x$uncertainty,
    scaled_uncertainty = scale_uncertainty(x$uncertainty, k),
    level = 0.95,
    # NULL for an unweighted fit, which then draws exactly as it always has.
    weights = x$weights,
    # Density grids follow the thread count chosen for the fit.
    n_threads = x$n_threads
  )
}

#' Turn `dims` (positions or names) into validated column positions
#' @noRd
resolve_dims <- function(dims, data) {
  d <- ncol(data)
  if (is.null(dims)) {
    return(seq_len(min(d, 6)))
  }
  if (is.character(dims)) {
    positions <- match(dims, colnames(data))
    if (anyNA(positions)) {
      unknown <- paste(dims[is.na(positions)], collapse = ", ")
      softmix_abort(paste0("Unknown variable(s) in `dims`: ", unknown, "."), call = NULL)
    }
    dims <- positions
  }
  if (!is.numeric(dims) || length(dims) == 0 || anyNA(dims) ||
    any(dims != round(dims)) || any(dims < 1 | dims > d)) {
    softmix_abort(
      paste0("`dims` must be variable names or whole numbers between 1 and ", d, "."),
      call = NULL
    )
  }
  if (anyDuplicated(dims)) {
    softmix_abort("`dims` must not contain duplicates.", call = NULL)
  }
  as.integer(dims)
}

#' Pick and validate one colour per component
#' @noRd
choose_colors <- function(k, colors) {
  if (is.null(colors)) {
    return(pick_default_colors(k))
  }
  if (length(colors) < k) {
    softmix_abort(
      paste0("`colors` must supply at least ", k, " colours, one per component."),
      call = NULL
    )
  }
  colors <- colors[seq_len(k)]
  # Fail early with col2rgb's message rather than deep inside a drawing call.
  grDevices::col2rgb(colors)
  colors
}

#' Default component colours: strong Okabe-Ito hues first, HCL for many components
#' @noRd
pick_default_colors <- function(k) {
  # Black is reserved for the mixture density and grey would make blends look
  # uncertain, so both are dropped; pale yellow goes last because it has the
  # weakest contrast on white.
  okabe_ito <- unname(grDevices::palette.colors(9, "Okabe-Ito")[c(6, 7, 4, 2, 8, 3, 5)])
  if (k <= length(okabe_ito)) {
    okabe_ito[seq_len(k)]
  } else {
    grDevices::hcl.colors(k, "Dark 3")
  }
}

#' Blend component colours in RGB, weighting each by the posterior probabilities
#' @noRd
blend_colors <- function(posterior, colors) {
  posterior <- as.matrix(posterior)
  if (ncol(posterior) != length(colors)) {
    softmix_abort("`posterior` needs one column per colour.", call = NULL)
  }
  blended <- posterior %*% t(grDevices::col2rgb(colors))
  # Rows sum to one only up to rounding, which can push a channel just past 255.
  blended <- pmin(pmax(blended, 0), 255)
  grDevices::rgb(blended[, 1], blended[, 2], blended[, 3], maxColorValue = 255)
}

#' Points on the `level` contour of a bivariate normal with mean `mean` and covariance `sigma`
#' @noRd
ellipse_points <- function(mean, sigma, level = 0.95, n = 100) {
  theta <- seq(0, 2 * pi, length.out = n)
  circle <- cbind(cos(theta), sin(theta))
  # With sigma = R'R, u R has covariance sigma for unit-variance u, so a circle
  # of radius r maps onto the ellipse with Mahalanobis distance r.
  root <- tryCatch(chol(sigma), error = function(e) NULL)
  if (is.null(root)) {
    # A (near) singular marginal still has a well-defined, flat ellipse.
    eig <- eigen(sigma, symmetric = TRUE)
    root <- sqrt(pmax(eig$values, 0)) * t(eig$vectors)
  }
  radius <- sqrt(stats::qchisq(level, df = 2))
  points <- radius * circle %*% root
  points <- sweep(points, 2, as.numeric(mean), "+")
  colnames(points) <- colnames(sigma)
  points
}

#' Rescale uncertainty so that 1 is the largest value possible with k components
#' @noRd
scale_uncertainty <- function(uncertainty, k) {
  if (k < 2) {
    return(rep(0, length(uncertainty)))
  }
  pmin(pmax(uncertainty / (1 - 1 / k), 0), 1)
}

#' Symbol sizes of the data points: `base` (a size or one per row) times a
#' factor that makes a point's area proportional to its weight relative to the
#' mean positive weight, clamped to `limits` so that light points stay visible
#' and heavy ones do not cover the plot. Rows of weight 0 get `zero` times
#' `base`, a little above the smallest size, because they are drawn hollow
#' (see point_shapes()) and a hollow symbol at the smallest size reads as a
#' dot. NULL weights return `base` unchanged, and equal positive weights give
#' exactly `base` for every row.
#' @noRd
point_sizes <- function(weights, base, limits = c(0.3, 3), zero = 0.5) {
  if (is.null(weights)) {
    return(base)
  }
  positive <- weights[weights > 0]
  # The first positive weight stands in for a mean of equal weights, which
  # rounding could move off it and so scale every point by a hair.
  reference <- if (all(positive == positive[1])) positive[1] else mean(positive)
  factor <- pmin(pmax(sqrt(weights / reference), limits[1]), limits[2])
  factor[weights == 0] <- zero
  base * factor
}

#' Plotting symbols of the data points: `filled` for rows of positive weight,
#' `hollow` for rows of weight 0, and `filled` alone for an unweighted fit
#' @noRd
point_shapes <- function(weights, filled = 19, hollow = 1) {
  if (is.null(weights)) {
    return(filled)
  }
  ifelse(weights > 0, filled, hollow)
}

#' Row order in which to draw the points: heaviest first, so that large points
#' never hide light ones; the data order for an unweighted fit
#' @noRd
weight_draw_order <- function(weights, n) {
  if (is.null(weights)) {
    return(seq_len(n))
  }
  # order() is stable, so rows of equal weight keep the data order.
  order(-weights)
}

#' What a subtitle adds about the weights: "" for an unweighted fit, a note
#' that size shows weight where it does (`sized`), and a note on hollow points
#' where some rows have weight 0
#' @noRd
describe_weight_encoding <- function(weights, sized) {
  if (is.null(weights)) {
    return("")
  }
  notes <- c(if (sized) "size by weight", if (any(weights == 0)) "hollow: weight 0")
  if (length(notes) == 0) "" else paste0("; ", paste(notes, collapse = ", "))
}

#' Restrict mixture parameters to the marginal of the chosen variables
#' @noRd
subset_params <- function(parameters, vars) {
  if (identical(as.integer(vars), seq_len(ncol(parameters$means)))) {
    return(parameters)
  }
  # The noise's marginal on the chosen variables is uniform over its box's
  # sides along them.
  box <- parameters$noise_box
  mixture_params(
    proportions = parameters$proportions,
    means = parameters$means[, vars, drop = FALSE],
    covariances = parameters$covariances[vars, vars, , drop = FALSE],
    noise_box = if (is.null(box)) NULL else box[, vars, drop = FALSE]
  )
}

#' Axis range covering the data and every component's spread along one variable
#' @noRd
compute_axis_limits <- function(ctx, var, radius = sqrt(stats::qchisq(ctx$level, df = 2))) {
  values <- ctx$data[, var]
  data_range <- range(values, finite = TRUE)
  spread <- radius * sqrt(ctx$parameters$covariances[var, var, ])
  centres <- ctx$parameters$means[, var]
  limits <- range(data_range, centres - spread, centres + spread)
  # A diffuse component would otherwise squash the data into a corner.
  margin <- 0.5 * max(diff(data_range), .Machine$double.eps)
  c(max(limits[1], data_range[1] - margin), min(limits[2], data_range[2] + margin))
}

#' Draw a 2-D plot in a single panel with its legend under the plot
#' @noRd
draw_single_panel <- function(ctx, panel, main, subtitle, legend_style) {
  legend_lines <- if (is.null(legend_style)) 0 else count_legend_lines(ctx$k)
  old <- graphics::par(oma = c(legend_lines, 0, 0, 0))
  on.exit(graphics::par(old))

  pair <- ctx$dims
  labels <- colnames(ctx$data)
  graphics::plot.new()
  graphics::plot.window(compute_axis_limits(ctx, pair[1]), compute_axis_limits(ctx, pair[2]))
  panel(ctx, pair, show_labels = TRUE)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2)
  graphics::title(main = main, line = 2)
  graphics::title(xlab = labels[pair[1]], ylab = labels[pair[2]])
  graphics::mtext(subtitle, side = 3, line = 0.6, cex = 0.85)
  if (!is.null(legend_style)) {
    draw_legend_with_noise(ctx, legend_style)
  }
}

#' Draw a scatterplot matrix, one panel per ordered pair of the chosen variables
#' @noRd
draw_pairs <- function(ctx, panel, main, subtitle, legend_style) {
  dims <- ctx$dims
  p <- length(dims)
  old_layout <- graphics::par(mfrow = c(p, p))
  on.exit(graphics::par(old_layout))
  # mfrow shrinks cex, and with it the height of a margin line, so the legend
  # (drawn at a fixed size) needs proportionally more lines.
  legend_lines <- 0
  if (!is.null(legend_style)) {
    legend_lines <- count_legend_lines(ctx$k) / graphics::par("cex")
  }
  old_margins <- graphics::par(
    mar = rep(0.25, 4), oma = c(3 + legend_lines, 3.5, 6, 3.5), mgp = c(3, 0.7, 0)
  )
  on.exit(graphics::par(old_margins), add = TRUE, after = FALSE)

  # Every variable keeps the same limits in its row and column, so panels line up.
  limits <- lapply(dims, function(var) compute_axis_limits(ctx, var))
  labels <- colnames(ctx$data)[dims]
  for (i in seq_len(p)) {
    for (j in seq_len(p)) {
      graphics::plot.new()
      graphics::plot.window(limits[[j]], limits[[i]])
      if (i == j) {
        draw_variable_label(labels[i])
      } else {
        panel(ctx, dims[c(j, i)], show_labels = FALSE)
      }
      graphics::box(col = "grey40")
      # Alternate axes between opposite sides so neighbouring tick labels never collide.
      if (i == p && j %% 2 == 1) graphics::axis(1, xpd = NA)
      if (i == 1 && j %% 2 == 0) graphics::axis(3, xpd = NA)
      if (j == 1 && i %% 2 == 1) graphics::axis(2, xpd = NA)
      if (j == p && i %% 2 == 0) graphics::axis(4, xpd = NA)
    }
  }
  graphics::mtext(main, side = 3, line = 4, outer = TRUE, font = 2, cex = 1.2)
  graphics::mtext(subtitle, side = 3, line = 2.6, outer = TRUE, cex = 0.85)
  if (!is.null(legend_style)) {
    draw_legend_with_noise(ctx, legend_style)
  }
}

#' The component legend, with an entry for the noise when the fit has one
#' @noRd
draw_legend_with_noise <- function(ctx, style) {
  if (!ctx$noise) return(draw_component_legend(ctx$colors, style))
  style$pch <- c(rep(style$pch, length.out = ctx$k), noise_pch)
  style$lty <- c(rep(style$lty, length.out = ctx$k), 0)
  draw_component_legend(ctx$point_colors, style,
                        labels = c(paste("Component", seq_len(ctx$k)), "Noise"))
}

#' Write a variable name in a diagonal panel of the scatterplot matrix, as large as fits
#' @noRd
draw_variable_label <- function(label) {
  usr <- graphics::par("usr")
  size <- min(1.6, 0.85 * diff(usr[1:2]) / graphics::strwidth(label, cex = 1))
  graphics::text(mean(usr[1:2]), mean(usr[3:4]), label, cex = size, font = 2)
}

#' Number of text lines the component legend needs below the plot
#' @noRd
count_legend_lines <- function(n_entries) {
  ceiling(n_entries / 4) + 1
}

#' Draw the component legend centred at the bottom of the device
#' @noRd
draw_component_legend <- function(colors, style, labels = paste("Component", seq_along(colors))) {
  # legend() scales by par("cex"), which multi-panel layouts shrink.
  cex <- 0.85 / graphics::par("cex")
  graphics::legend(
    x = graphics::grconvertX(0.5, "ndc", "user"),
    y = graphics::grconvertY(0, "ndc", "user"),
    xjust = 0.5, yjust = 0, legend = labels, col = colors,
    pch = style$pch, lty = style$lty, lwd = style$lwd,
    ncol = min(length(labels), 4), bty = "n", xpd = NA, cex = cex,
    # Widened columns keep each label clear of the next entry's symbol.
    text.width = 1.15 * max(graphics::strwidth(labels, cex = cex))
  )
}

#' Draw each component's covariance ellipse and mark its mean
#' @noRd
draw_ellipses <- function(ctx, pair, lwd = 2, lty = 1) {
  means <- ctx$parameters$means[, pair, drop = FALSE]
  for (k in seq_len(ctx$k)) {
    sigma <- ctx$parameters$covariances[pair, pair, k]
    graphics::lines(
      ellipse_points(means[k, ], sigma, level = ctx$level),
      col = ctx$colors[k], lwd = lwd, lty = lty
    )
  }
  # A white halo keeps the crosses visible on top of same-coloured points.
  graphics::points(means, pch = 4, cex = 1.8, lwd = 5, col = "white")
  graphics::points(means, pch = 4, cex = 1.8, lwd = 2.5, col = ctx$colors)
}

#' Scatterplot panel coloured by blended posterior colours, with ellipses
#' @noRd
draw_classification_panel <- function(ctx, pair, show_labels = TRUE) {
  pch <- if (ctx$noise) ifelse(ctx$classification == 0L, noise_pch, 19) else 19
  draw_weighted_points(ctx, ctx$data[, pair, drop = FALSE], cex = 0.8, col = ctx$blended,
                       pch = pch)
  draw_ellipses(ctx, pair, lwd = 2)
}

#' Draw the data points with sizes and symbols that show the weights (see
#' point_sizes() and point_shapes()); an unweighted fit gets `pch` and `cex`
#' as given, in the data order
#' @noRd
draw_weighted_points <- function(ctx, points, cex, col, pch = 19) {
  weights <- ctx$weights
  if (is.null(weights)) {
    graphics::points(points, pch = pch, cex = cex, col = col)
    return(invisible())
  }
  order <- weight_draw_order(weights, nrow(points))
  graphics::points(
    points[order, , drop = FALSE],
    pch = point_shapes(weights, filled = pch)[order],
    cex = point_sizes(weights, cex)[order],
    col = rep_len(col, nrow(points))[order]
  )
}

#' Scatterplot panel whose point size and opacity grow with uncertainty
#' @noRd
draw_uncertainty_panel <- function(ctx, pair, show_labels = TRUE) {
  draw_ellipses(ctx, pair, lwd = 1.5, lty = 2)
  scaled <- ctx$scaled_uncertainty
  fill <- fade_colors(ctx$point_colors[ctx$class_index], 0.45 + 0.55 * scaled)
  border <- fade_colors("grey20", 0.3 + 0.6 * scaled)
  if (!is.null(ctx$weights)) {
    # Size already shows the uncertainty here, so rows of weight 0 are only
    # hollow, with the fill's colour moved to the ring.
    zero <- ctx$weights == 0
    border[zero] <- fill[zero]
    fill[zero] <- NA
  }
  # Uncertain points are drawn last so that certain ones never hide them.
  order <- order(scaled)
  graphics::points(
    ctx$data[order, pair, drop = FALSE],
    pch = 21, bg = fill[order], col = border[order], cex = 0.7 + 1.8 * scaled[order], lwd = 0.8
  )
}

#' Give colours per-element opacity (grDevices::adjustcolor() takes a single alpha only)
#' @noRd
fade_colors <- function(colors, alpha) {
  rgb_matrix <- grDevices::col2rgb(colors)
  grDevices::rgb(
    rgb_matrix[1, ], rgb_matrix[2, ], rgb_matrix[3, ],
    alpha = 255 * alpha, maxColorValue = 255
  )
}

#' Contour panel of the 2-D marginal mixture density over light grey data
#' @noRd
draw_density_panel <- function(ctx, pair, show_labels = TRUE) {
  parameters <- subset_params(ctx$parameters, pair)
  data <- ctx$data[, pair, drop = FALSE]
  usr <- graphics::par("usr")
  grid_x <- seq(usr[1], usr[2], length.out = 100)
  grid_y <- seq(usr[3], usr[4], length.out = 100)
  grid <- as.matrix(expand.grid(grid_x, grid_y))
  density <- matrix(dmixture(grid, parameters, n_threads = ctx$n_threads), nrow = length(grid_x))

  # Levels taken from the density at the observations make each contour enclose
  # a known share of the data, whatever the scale of the density.
  enclosed <- c(0.95, 0.75, 0.5, 0.25, 0.1)
  at_data <- dmixture(data, parameters, n_threads = ctx$n_threads)
  levels <- stats::quantile(at_data, 1 - enclosed, names = FALSE)
  keep <- !duplicated(levels)

  draw_weighted_points(ctx, data, cex = 0.6, col = "grey75")
  graphics::contour(
    grid_x, grid_y, density,
    levels = levels[keep], labels = paste0(100 * enclosed[keep], "%"),
    # Device fonts (vfont = NULL) read far better than the default Hershey labels.
    drawlabels = show_labels, labcex = 0.8, vfont = NULL, col = "#00588A", lwd = 1.6, add = TRUE
  )
}

#' Draw the uncertainty of each observation of one variable as a needle
#' @noRd
draw_1d_uncertainty <- function(ctx) {
  old <- graphics::par(oma = c(count_legend_lines(ctx$k), 0, 0, 0))
  on.exit(graphics::par(old))

  var <- ctx$dims
  values <- ctx$data[, var]
  colors <- ctx$point_colors[ctx$class_index]
  graphics::plot.new()
  graphics::plot.window(
    compute_axis_limits(ctx, var, radius = 3),
    c(0, max(1 - 1 / ctx$k, ctx$uncertainty))
  )
  graphics::segments(values, 0, values, ctx$uncertainty, col = colors)
  # The needle's height shows the uncertainty, so the point's size is free to show the weight.
  draw_weighted_points(ctx, cbind(values, ctx$uncertainty), cex = 0.7, col = colors)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2)
  graphics::title(
    main = "Classification uncertainty",
    xlab = colnames(ctx$data)[var], ylab = "Uncertainty (1 - max posterior)"
  )
  if (!is.null(ctx$weights)) {
    graphics::mtext(
      paste0("Point size by weight", describe_weight_encoding(ctx$weights, sized = FALSE)),
      side = 3, line = 0.4, cex = 0.85
    )
  }
  draw_component_legend(ctx$colors, list(pch = 19, lty = 0, lwd = 2))
}

#' Draw a histogram of one variable with the mixture density and, optionally, its components
#' @noRd
draw_1d_density <- function(ctx, show_components) {
  if (show_components) {
    old <- graphics::par(oma = c(count_legend_lines(ctx$k + 1), 0, 0, 0))
    on.exit(graphics::par(old))
  }

  var <- ctx$dims
  values <- ctx$data[, var]
  xlim <- compute_axis_limits(ctx, var, radius = 3)
  grid <- seq(xlim[1], xlim[2], length.out = 400)
  mixture <- dmixture(
    matrix(grid, ncol = 1), subset_params(ctx$parameters, var),
    n_threads = ctx$n_threads
  )
  histogram <- graphics::hist(values, plot = FALSE)
  top <- 1.04 * max(histogram$density, mixture)

  graphics::plot.new()
  # The band below zero holds the rug so it never hides the histogram bars.
  graphics::plot.window(range(xlim, histogram$breaks), c(-0.08 * top, top), yaxs = "i")
  graphics::plot(histogram, freq = FALSE, add = TRUE, col = "grey90", border = "grey65")
  graphics::abline(h = 0, col = "grey65")
  rug_colors <- if (show_components) ctx$blended else "grey30"
  draw_rug(ctx, values, -0.07 * top, -0.015 * top, rug_colors)
  if (show_components) {
    means <- ctx$parameters$means[, var]
    sds <- sqrt(ctx$parameters$covariances[var, var, ])
    components <- vapply(
      seq_len(ctx$k),
      function(k) ctx$parameters$proportions[k] * stats::dnorm(grid, means[k], sds[k]),
      numeric(length(grid))
    )
    graphics::matlines(grid, components, col = ctx$colors, lty = 1, lwd = 2)
  }
  graphics::lines(grid, mixture, lwd = 3)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2, at = Filter(function(y) y >= 0, pretty(c(0, top))))

  main <- if (show_components) "Mixture components" else "Mixture density"
  graphics::title(main = main, xlab = colnames(ctx$data)[var], ylab = "Density")
  if (!is.null(ctx$weights)) {
    graphics::mtext(
      paste0("Rug tick width by weight", if (any(ctx$weights == 0)) "; dotted: weight 0" else ""),
      side = 3, line = 0.4, cex = 0.85
    )
  }
  if (show_components) {
    draw_component_legend(
      c(ctx$colors, "black"),
      list(pch = NA, lty = 1, lwd = c(rep(2, ctx$k), 3)),
      labels = c(paste("Component", seq_len(ctx$k)), "Mixture")
    )
  }
}

#' Draw a rug of one variable's values between heights `bottom` and `top`;
#' for a weighted fit the ticks' width grows with the weight (as point_sizes()
#' scales symbols) and rows of weight 0 get dotted ticks
#' @noRd
draw_rug <- function(ctx, values, bottom, top, col) {
  weights <- ctx$weights
  if (is.null(weights)) {
    graphics::segments(values, bottom, values, top, col = col)
    return(invisible())
  }
  order <- weight_draw_order(weights, length(values))
  graphics::segments(
    values[order], bottom, values[order], top,
    col = rep_len(col, length(values))[order],
    lwd = point_sizes(weights, graphics::par("lwd"))[order],
    lty = ifelse(weights > 0, "solid", "dotted")[order]
  )
}

#' Plot the log-likelihood trace of the EM passes and, beside it, its
#' distance to the final value on a log scale
#' @noRd
draw_loglik <- function(x) {
  trace <- x$loglik_trace
  if (length(trace) == 0) {
    softmix_abort("`x` has no log-likelihood trace to plot.", call = NULL)
  }
  status <- if (isTRUE(x$converged)) "converged" else "did not converge"
  final <- formatC(x$loglik, format = "f", digits = 2)
  # A trace one longer than the iteration count starts at the initial values.
  starts_at_init <- length(x$iterations) == 1 && length(trace) == x$iterations + 1
  iterations <- seq_along(trace) - starts_at_init
  xlab <- if (starts_at_init) "EM iteration (0 = initial values)" else "EM iteration"
  # The first steps dwarf the rest on the log-likelihood scale; the distance
  # to the final value on a log scale shows how the late iterations converge.
  gap <- trace[length(trace)] - trace
  show_gap <- sum(gap > 0) >= 2
  old <- graphics::par(
    mfrow = c(1, if (show_gap) 2 else 1), oma = c(0, 0, 2, 0), mar = c(4.5, 5, 2.5, 1), las = 1
  )
  on.exit(graphics::par(old))
  # Points mark each iteration while they stay apart; long traces get a line.
  type <- if (length(trace) <= 40) "b" else "l"
  graphics::plot(
    iterations, trace,
    type = type, pch = 19, cex = 0.8, lwd = 2, xaxt = "n", xlab = xlab, ylab = "",
    main = "Log-likelihood", font.main = 1
  )
  draw_iteration_axis(iterations)
  if (show_gap) {
    positive <- gap > 0
    graphics::plot(
      iterations[positive], gap[positive],
      type = type, pch = 19, cex = 0.8, lwd = 2, log = "y", xaxt = "n", yaxt = "n",
      xlab = xlab, ylab = "", main = "Final minus current log-likelihood", font.main = 1,
      xlim = range(iterations)
    )
    draw_iteration_axis(iterations)
    ticks <- 10^seq(floor(log10(min(gap[positive]))), ceiling(log10(max(gap))))
    labels <- vapply(ticks, function(tick) {
      format(tick, scientific = abs(log10(tick)) > 4, trim = TRUE)
    }, character(1))
    graphics::axis(2, at = ticks, labels = labels)
  }
  graphics::mtext(
    sprintf("EM trace: final log-likelihood %s after %d iteration%s, %s", final,
            x$iterations, if (identical(x$iterations, 1L)) "" else "s", status),
    side = 3, outer = TRUE, font = 2, cex = 1.2, line = 0.3
  )
}

#' An x axis of whole iteration numbers
#' @noRd
draw_iteration_axis <- function(iterations) {
  # Iterations are counts, so fractional ticks on short traces would mislead.
  ticks <- pretty(iterations)
  graphics::axis(1, at = ticks[ticks == round(ticks) & ticks >= min(iterations)])
}

#' Plot a selection criterion against k, one line per covariance model
#' @noRd
draw_criterion <- function(x, criterion, colors) {
  selection <- x$selection
  label <- toupper(criterion)
  if (is.null(selection)) {
    softmix_abort(sprintf(
      "`what = \"%s\"` needs a fit chosen among several `k` or models; %s.", label,
      "call softmix() with a vector `k` or several `model`s"
    ), call = NULL)
  }
  models <- unique(selection$model)
  ks <- sort(unique(selection$k))
  colors <- choose_colors(length(models), colors)
  # Distinct symbols and line types keep the models apart without colour.
  symbols <- c(16, 17, 15, 1, 2, 0, 18, 5, 6, 3, 4, 8, 7, 9)
  symbols <- rep_len(symbols, length(models))
  # Colours tell seven models apart; beyond seven, dashes help the HCL palette.
  line_types <- rep(1:2, each = 7)[seq_along(models)]
  values <- criterion_matrix(selection, criterion, ks, models)
  if (!any(is.finite(values))) {
    softmix_abort(sprintf("every pair failed, so there is no %s to plot.", label), call = NULL)
  }

  old <- graphics::par(oma = c(ceiling(length(models) / 7) + 1, 0, 0, 0), las = 1,
                       mar = c(5.1, 5.1, 4.1, 2.1))
  on.exit(graphics::par(old))
  graphics::plot.new()
  ylim <- range(values, finite = TRUE)
  graphics::plot.window(range(ks) + c(-0.3, 0.3), ylim + c(-0.04, 0.04) * diff(ylim))
  graphics::abline(v = ks, col = "grey92")
  # Lines break at NA, so a failed pair leaves a gap in its model's line.
  graphics::matlines(ks, values, col = colors, lty = line_types, lwd = 2.2)
  graphics::matpoints(ks, values, col = colors, pch = symbols, cex = 1.3, lwd = 1.5)
  chosen <- c(x$k, values[match(x$k, ks), match(x$model, models)])
  graphics::points(chosen[1], chosen[2], pch = 1, cex = 3.2, lwd = 2)
  graphics::box()
  graphics::axis(1, at = ks)
  graphics::axis(2)
  chosen_by <- if (is.null(x$criterion)) "bic" else x$criterion
  graphics::title(main = sprintf("%s of each (k, model) pair", label),
                  xlab = "Number of components k")
  graphics::title(ylab = sprintf("%s (lower is better)", label), line = 4)
  failed <- sum(is.na(values) & !is.na(match_pairs(selection, ks, models)))
  graphics::mtext(
    sprintf("Circled: the returned fit, %s with k = %d (chosen by %s)%s", x$model, x$k,
            toupper(chosen_by), if (failed > 0) sprintf("; %d failed pair(s) left as gaps", failed)
            else ""),
    side = 3, line = 0.4, cex = 0.85
  )
  cex <- 0.85
  graphics::legend(
    x = graphics::grconvertX(0.5, "ndc", "user"), y = graphics::grconvertY(0, "ndc", "user"),
    xjust = 0.5, yjust = 0, legend = models, col = colors, pch = symbols, lty = line_types,
    lwd = 2.2, pt.cex = 1.2, ncol = min(length(models), 7), bty = "n", xpd = NA, cex = cex,
    text.width = 1.3 * max(graphics::strwidth(models, cex = cex))
  )
}

#' Row of the selection table for each (k, model) cell of the plot, NA where none
#' @noRd
match_pairs <- function(selection, ks, models) {
  keys <- paste(selection$k, selection$model)
  cells <- outer(ks, models, paste)
  matrix(match(cells, keys), nrow = length(ks))
}

#' The criterion as a k x model matrix, NA for failed or absent pairs
#' @noRd
criterion_matrix <- function(selection, criterion, ks, models) {
  rows <- match_pairs(selection, ks, models)
  matrix(selection[[criterion]][rows], nrow = length(ks), dimnames = list(ks, models))
}

# How the plots draw a noise component's points.
noise_color <- "grey45"
noise_pch <- 4
