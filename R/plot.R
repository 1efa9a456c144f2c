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
#'   lower is better (see [softmix()]). A pair that failed or was degenerate
#'   leaves a gap in its line. The returned fit is marked by a large ring
#'   and labelled with its model and `k`.
#'
#'   Each model has its own colour, line type and symbol: the seven
#'   Okabe-Ito colours that read on white (their yellow is left out), which
#'   stay apart for the common forms of colour blindness, with solid lines
#'   and filled symbols for the first seven models and the same colours with
#'   dashed lines and open symbols for the next seven. Every symbol differs,
#'   so any two of the 14 models differ in at least two of colour, line type
#'   and symbol, and the lines stay apart in grey print.
#'
#'   The y-axis shows the competitive models rather than every value. With
#'   `best` the lowest value of all pairs and, for each model, `second` its
#'   second lowest value (its only one if it has one), the axis runs up to
#'   `best + max(10, 4 * median(second - best))`, the median taken over the
#'   models, and at least up to the returned fit. So each typical model's
#'   minimum and its neighbours are in view, while values far worse, such
#'   as `k = 1` or a covariance model that does not suit the data, are left
#'   off the scale; their lines run off the top edge and the subtitle says
#'   which values are off the scale. When every value is within that range
#'   the axis shows them all. The floor of 10 is a difference in BIC that
#'   Kass and Raftery (1995) call very strong evidence.
#'
#' With more than two selected variables, the classification, uncertainty and
#' density plots become a scatterplot matrix with one panel per pair of
#' variables; each panel shows the 2-D marginal of the mixture, which has the
#' same proportions and the corresponding sub-means and sub-covariances. For
#' `"density"` each panel holds the contours of that pair's marginal density.
#'
#' A fit with a noise component (`noise = TRUE` in [softmix()]) draws the
#' rows classified as noise as grey crosses, with an entry "Noise" in the
#' legend; the 1-D plots draw the noise's flat density in grey dashes.
#'
#' Titles, subtitles, axis titles and legends are measured on the device
#' before they are drawn and fitted to it: a title that is too wide first
#' shrinks a little and then wraps onto a second line, a subtitle wraps onto
#' up to three lines, and only then do they shrink further; a legend takes
#' as many columns as fit. So the plots read whole on a small device, such
#' as R's default 480 x 480 pixel [grDevices::png()], as well as on a large
#' one.
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
#' For a fit to data with missing values (`missing = "em"` in [softmix()]),
#' each row is drawn at its coordinates in `fitted(x, type = "imputed")`:
#' a missing value is replaced by its conditional expectation given the
#' row's observed values, mixed over the components by the row's
#' posterior. A point with an imputed coordinate among the variables of its
#' panel is drawn hollow (in the uncertainty plot, as a ring in its fill's
#' colour), and the subtitle says "hollow: imputed"; the 1-D plots draw
#' imputed values as hollow circles on the rug, or, for the uncertainty,
#' as hollow points on the needles. The histograms of the 1-D plots and
#' the levels of the density contours use only the observed values: for a
#' panel, the rows observed on both of its variables. Imputed values lie
#' closer to the component means than the data would, so they show where
#' the fit places a row, not a draw of the missing value.
#'
#' @param x A fitted `softmix` object.
#' @param what Which plot to draw: one of `"classification"` (the default),
#'   `"uncertainty"`, `"density"`, `"loglik"`, `"BIC"` or `"ICL"`.
#' @param dims Variables to show, as column positions or column names of the
#'   fitted data. One variable gives a 1-D plot, two a single scatterplot and
#'   more a scatterplot matrix. The default is all variables, up to the first
#'   six, since larger scatterplot matrices are unreadable. Ignored for
#'   `what = "loglik"`, `"BIC"` and `"ICL"`.
#' @param colors Colours of the components, at least one per component. The
#'   default is the colour-blind friendly Okabe-Ito palette (without black
#'   and grey), or `hcl.colors(k, "Dark 3")` for more than seven. For
#'   `"BIC"` and `"ICL"`, one per model, replacing the palette described
#'   above (line types and symbols stay).
#' @param ... Ignored; present for compatibility with the [base::plot()] generic.
#'
#' @return `x`, invisibly.
#'
#' @references Kass, R. E. and Raftery, A. E. (1995). Bayes factors. *Journal
#'   of the American Statistical Association*, 90(430), 773-795.
#'   \doi{10.1080/01621459.1995.10476572}
#'
#' @seealso [autoplot.softmix()] for the same plots with ggplot2.
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
#' plot(fit_iris, what = "density")
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
  what <- match_choice(what, plot_choices, "what")
  draw_softmix_plot(x, what, dims, colors)
  invisible(x)
}

# The pictures plot() and autoplot() draw.
plot_choices <- c("classification", "uncertainty", "density", "loglik", "BIC", "ICL")

#' Draw one plot of a fit; returns its layout (see new_plot_layout())
#' @noRd
draw_softmix_plot <- function(x, what, dims = NULL, colors = NULL) {
  if (what == "loglik") {
    return(draw_loglik(x))
  }
  if (what %in% c("BIC", "ICL")) {
    return(draw_criterion(x, tolower(what), colors))
  }

  ctx <- build_plot_context(x, dims, colors)
  if (length(ctx$dims) == 1) {
    if (what == "uncertainty") {
      return(draw_1d_uncertainty(ctx))
    }
    return(draw_1d_density(ctx, show_components = what == "classification"))
  }
  # Panels share the signature (ctx, pair, show_labels) so that one layout
  # function can draw any plot type, alone or in a scatterplot matrix.
  panel <- switch(
    what,
    classification = draw_classification_panel,
    uncertainty = draw_uncertainty_panel,
    density = draw_density_panel
  )
  text <- describe_plot(what, ctx)
  entries <- switch(
    what,
    classification = legend_entries(ctx, list(pch = 19, lty = 1, lwd = 2)),
    uncertainty = legend_entries(ctx, list(pch = 19, lty = 0, lwd = 2))
  )
  if (length(ctx$dims) == 2) {
    draw_single_panel(ctx, panel, text$main, text$subtitle, entries)
  } else {
    draw_pairs(ctx, panel, text$main, text$subtitle, entries)
  }
}

#' Title and subtitle of a 2-D or scatterplot-matrix plot; `blended`: whether
#' the classification plot blends colours (plot()) or fades them (autoplot())
#' @noRd
describe_plot <- function(what, ctx, blended = TRUE) {
  main <- switch(
    what,
    classification = "Soft classification",
    uncertainty = "Classification uncertainty",
    density = "Mixture density"
  )
  subtitle <- switch(
    what,
    classification = if (blended) {
      "Colours blended by posterior probability; 95% ellipses"
    } else {
      "Colour by most probable component, faded where uncertain; 95% ellipses"
    },
    uncertainty = "Larger, darker points are less certain",
    density = "Contours enclose 10%, 25%, 50%, 75% and 95% of the data"
  )
  imputed <- any(imputed_rows(ctx, ctx$dims))
  list(
    main = main,
    subtitle = paste0(subtitle,
                      describe_weight_encoding(ctx$weights, what != "uncertainty", imputed))
  )
}

#' Collect everything the panel functions need from a fit
#' @noRd
build_plot_context <- function(x, dims, colors) {
  if (is.null(x$data)) {
    softmix_abort("`x` does not contain the fitted data, so it cannot be plotted.", call = NULL)
  }
  coordinates <- plot_coordinates(x)
  data <- coordinates$data
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
    # Missing values imputed, with `imputed` marking them (NULL if none).
    data = data,
    imputed = coordinates$imputed,
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
    # The noise is one more class a row can be shared with.
    scaled_uncertainty = scale_uncertainty(x$uncertainty, k + noise),
    level = 0.95,
    # NULL for an unweighted fit, which then draws exactly as it always has.
    weights = x$weights,
    # Density grids follow the thread count chosen for the fit.
    n_threads = x$n_threads
  )
}

#' The coordinates at which the plots draw the rows of a fit: `data`, the
#' fitted data with each missing value replaced by its conditional
#' expectation mixed over the components (fitted(x, type = "imputed")),
#' and `imputed`, a logical matrix marking the values so replaced (NULL
#' when the data have no missing value)
#' @noRd
plot_coordinates <- function(x) {
  data <- as.matrix(x$data)
  missing <- is.na(data)
  if (!any(missing)) {
    return(list(data = data, imputed = NULL))
  }
  imputed <- as.matrix(imputed_data(x))
  dimnames(imputed) <- dimnames(data)
  list(data = imputed, imputed = missing)
}

#' Which rows have an imputed value among the variables `vars`
#' @noRd
imputed_rows <- function(ctx, vars) {
  if (is.null(ctx$imputed)) {
    return(rep(FALSE, nrow(ctx$data)))
  }
  rowSums(ctx$imputed[, vars, drop = FALSE]) > 0
}

#' The points of the panel of the variables `vars`: `xy`, their
#' coordinates (missing values imputed, see plot_coordinates()), and
#' `imputed`, which of them have an imputed coordinate there and so are
#' drawn hollow
#' @noRd
panel_points <- function(ctx, vars) {
  list(xy = ctx$data[, vars, drop = FALSE], imputed = imputed_rows(ctx, vars))
}

#' The density levels that enclose the shares `enclosed` of the rows of a
#' panel (`points`, from panel_points()), from the density of the pair's
#' marginal `parameters` at the rows observed on both of its variables
#' (every row when none is)
#' @noRd
enclosing_levels <- function(ctx, points, parameters, enclosed) {
  observed <- !points$imputed
  if (!any(observed)) observed <- rep(TRUE, length(observed))
  at_data <- dmixture(points$xy[observed, , drop = FALSE], parameters,
                      n_threads = ctx$n_threads)
  stats::quantile(at_data, 1 - enclosed, names = FALSE)
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

#' Pick and validate one colour per component (per model for the BIC and
#' ICL plots: `unit = "model"`)
#' @noRd
choose_colors <- function(k, colors, unit = "component") {
  if (k == 0L) return(character(0))  # the all-noise model
  if (is.null(colors)) {
    return(pick_default_colors(k))
  }
  if (length(colors) < k) {
    softmix_abort(
      paste0("`colors` must supply at least ", k, " colours, one per ", unit, "; it has ",
             length(colors), "."),
      call = NULL
    )
  }
  colors <- colors[seq_len(k)]
  # Fail early, naming the argument, rather than deep inside a drawing call.
  tryCatch(grDevices::col2rgb(colors), error = function(e) {
    softmix_abort(paste0("`colors` must be colours R knows: ", conditionMessage(e), "."),
                  call = NULL)
  })
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

#' Rescale uncertainty so that 1 is the largest value possible with k classes
#' (the components and, when there is one, the noise)
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

#' What a subtitle adds about the points: "" for an unweighted fit without
#' imputed values, otherwise the notes of point_notes() after "; "
#' @noRd
describe_weight_encoding <- function(weights, sized, imputed = FALSE) {
  notes <- point_notes(weights, sized, imputed)
  if (length(notes) == 0) "" else paste0("; ", paste(notes, collapse = ", "))
}

#' Notes on how the points show the weights and the imputed values: that
#' size shows weight where it does (`sized`), and which points are hollow:
#' rows of weight 0, and where `imputed`, points with an imputed coordinate
#' @noRd
point_notes <- function(weights, sized, imputed = FALSE) {
  hollow <- c(if (!is.null(weights) && any(weights == 0)) "weight 0",
              if (imputed) "imputed")
  c(
    if (sized && !is.null(weights)) "size by weight",
    if (length(hollow) > 0) paste("hollow:", paste(hollow, collapse = " or "))
  )
}

#' Join notes with "; " and capitalise the first letter ("" for none)
#' @noRd
join_notes <- function(notes) {
  text <- paste(notes, collapse = "; ")
  paste0(toupper(substring(text, 1, 1)), substring(text, 2))
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
  if (nrow(parameters$means) == 0L) {
    # The all-noise model, which mixture_params() does not build.
    box <- box[, vars, drop = FALSE]
    return(structure(list(
      proportions = parameters$proportions,
      means = parameters$means[, vars, drop = FALSE],
      covariances = array(0, c(length(vars), length(vars), 0L)),
      hypervolume = prod(box[2, ] - box[1, ]), noise_box = box
    ), class = "mixture_params"))
  }
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

#' Set up a single-panel plot: a legend (planned by plan_legend(), or NULL)
#' in the outer margin at the bottom of the device, and the header in the
#' figure's top margin, fitted to the figure's width. The user's mfrow is
#' left alone, so these plots can share a page. Returns the old par()
#' settings, the header and the room kept for the legend.
#' @noRd
open_single_frame <- function(main, subtitle, legend = NULL, mar = c(4.1, 4.6, 0, 1.6)) {
  # las too: the BIC and ICL plots set it.
  old <- graphics::par(c("mar", "oma", "las"))
  legend_room <- if (is.null(legend)) 0 else legend$height + 0.05
  graphics::par(omi = c(legend_room, 0, 0, 0), mar = mar)
  header <- plan_header(main, subtitle, width = graphics::par("fin")[1] - 0.2)
  mai <- graphics::par("mai")
  graphics::par(mai = c(mai[1:2], mai[3] + header$height + 0.05, mai[4]))
  list(old = old, header = header, legend_room = legend_room)
}

#' Draw the header of a single-panel plot in its figure's top margin and
#' finish its layout record
#' @noRd
close_single_frame <- function(frame, texts, legend = NULL) {
  figure <- graphics::grconvertX(c(0, 1), "nfc", "inches")
  header <- draw_header(frame$header, region = figure,
                        top = graphics::grconvertY(1, "nfc", "inches"))
  new_plot_layout(
    rbind(header, texts), legend = legend, legend_room = frame$legend_room,
    panel_top = graphics::grconvertY(1, "npc", "inches")
  )
}

#' Draw a 2-D plot in a single panel with its legend (`entries`, see
#' legend_entries(), or NULL for none) under the plot
#' @noRd
draw_single_panel <- function(ctx, panel, main, subtitle, entries) {
  plan <- if (is.null(entries)) NULL else plan_entries(entries)
  frame <- open_single_frame(main, subtitle, plan)
  on.exit(graphics::par(frame$old))

  pair <- ctx$dims
  labels <- colnames(ctx$data)
  graphics::plot.new()
  graphics::plot.window(compute_axis_limits(ctx, pair[1]), compute_axis_limits(ctx, pair[2]))
  panel(ctx, pair, show_labels = TRUE)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2)
  texts <- rbind(draw_axis_title(labels[pair[1]], 1), draw_axis_title(labels[pair[2]], 2))
  legend <- if (is.null(plan)) NULL else draw_entries(plan, entries)
  close_single_frame(frame, texts, legend)
}

#' Draw a scatterplot matrix, one panel per ordered pair of the chosen
#' variables, with its legend (`entries`, or NULL for none) at the bottom
#' @noRd
draw_pairs <- function(ctx, panel, main, subtitle, entries) {
  dims <- ctx$dims
  p <- length(dims)
  plan <- if (is.null(entries)) NULL else plan_entries(entries)
  header <- plan_header(main, subtitle)
  # Axes alternate between the four sides, in the outer margin.
  old <- open_plot_frame(
    header$height, if (is.null(plan)) 0 else plan$height, mfrow = c(p, p),
    mar = rep(0.25, 4), outer = c(3, 3.5, 2.4, 3.5)
  )
  on.exit(graphics::par(old))
  graphics::par(mgp = c(3, 0.7, 0))

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
  device <- graphics::par("din")
  texts <- draw_header(header, region = c(0, device[1]), top = device[2])
  legend <- if (is.null(plan)) NULL else draw_entries(plan, entries)
  # The legend must stay below the room kept for the axes at the bottom.
  legend_room <- if (is.null(plan)) 0 else plan$height + 0.05
  new_plot_layout(texts, legend = legend, legend_room = legend_room,
                  panel_top = device[2] - header$height)
}

#' The component legend's entries (labels, colours, symbols, lines), with an
#' entry for the noise when the fit has one
#' @noRd
legend_entries <- function(ctx, style) {
  entries <- list(
    labels = sprintf("Component %d", seq_len(ctx$k)), col = ctx$colors,
    pch = rep(style$pch, length.out = ctx$k), lty = rep(style$lty, length.out = ctx$k),
    lwd = rep(style$lwd, length.out = ctx$k)
  )
  if (ctx$noise) {
    entries <- add_noise_entry(entries)
  }
  entries
}

#' Add the entry "Noise" (grey crosses, no line) to legend entries
#' @noRd
add_noise_entry <- function(entries, pch = noise_pch, lty = 0) {
  entries$labels <- c(entries$labels, "Noise")
  entries$col <- c(entries$col, noise_color)
  entries$pch <- c(entries$pch, pch)
  entries$lty <- c(entries$lty, lty)
  entries$lwd <- c(entries$lwd, 2)
  entries
}

#' Plan a legend of `entries` across the device's width (see plan_legend())
#' @noRd
plan_entries <- function(entries, max_ncol = 4, text_factor = 1.15) {
  plan_legend(
    entries$labels, graphics::par("din")[1] - 0.2, max_ncol = max_ncol,
    lines = any(!is.na(entries$lty) & entries$lty != 0),
    pch = !is.null(entries$pch), text_factor = text_factor
  )
}

#' Draw legend entries as planned at the bottom of the device; returns the
#' legend's extent in inches
#' @noRd
draw_entries <- function(plan, entries, ...) {
  lines <- any(!is.na(entries$lty) & entries$lty != 0)
  # legend() leaves room for a line only when it is told about lines.
  if (lines) {
    draw_bottom_legend(plan, entries$labels, col = entries$col, pch = entries$pch,
                       lty = entries$lty, lwd = entries$lwd, ...)
  } else {
    draw_bottom_legend(plan, entries$labels, col = entries$col, pch = entries$pch, ...)
  }
}

#' Write a variable name in a diagonal panel of the scatterplot matrix, as large as fits
#' @noRd
draw_variable_label <- function(label) {
  usr <- graphics::par("usr")
  size <- min(1.6, 0.85 * diff(usr[1:2]) / graphics::strwidth(label, cex = 1))
  graphics::text(mean(usr[1:2]), mean(usr[3:4]), label, cex = size, font = 2)
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
  points <- panel_points(ctx, pair)
  pch <- ifelse(points$imputed, imputed_pch, 19)
  if (ctx$noise) pch[ctx$classification == 0L] <- noise_pch
  draw_weighted_points(ctx, points$xy, cex = 0.8, col = ctx$blended, pch = pch)
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
  points <- panel_points(ctx, pair)
  scaled <- ctx$scaled_uncertainty
  fill <- fade_colors(ctx$point_colors[ctx$class_index], 0.45 + 0.55 * scaled)
  border <- fade_colors("grey20", 0.3 + 0.6 * scaled)
  # Imputed points are rings in their fill's colour, a little thicker.
  hollow <- points$imputed
  border[hollow] <- fill[hollow]
  fill[hollow] <- NA
  if (!is.null(ctx$weights)) {
    # Size already shows the uncertainty here, so rows of weight 0 are only
    # hollow, with the fill's colour moved to the ring.
    zero <- ctx$weights == 0
    border[zero] <- fill[zero]
    fill[zero] <- NA
  }
  pch <- rep(21, length(scaled))
  if (ctx$noise) {
    # Noise rows are crosses, as in the classification plot, in their fill colour.
    noise <- ctx$classification == 0L
    pch[noise] <- noise_pch
    border[noise] <- fill[noise]
  }
  # Uncertain points are drawn last so that certain ones never hide them.
  order <- order(scaled)
  graphics::points(
    points$xy[order, , drop = FALSE],
    pch = pch[order], bg = fill[order], col = border[order], cex = 0.7 + 1.8 * scaled[order],
    lwd = ifelse(hollow, 1.3, 0.8)[order]
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
  points <- panel_points(ctx, pair)
  draw_weighted_points(ctx, points$xy, cex = 0.6,
                       col = ifelse(points$imputed, "grey55", "grey75"),
                       pch = ifelse(points$imputed, imputed_pch, 19))
  # The all-noise model's density is flat: no contours (as in autoplot()).
  if (ctx$k == 0L) return(invisible())

  parameters <- subset_params(ctx$parameters, pair)
  usr <- graphics::par("usr")
  grid_x <- seq(usr[1], usr[2], length.out = 100)
  grid_y <- seq(usr[3], usr[4], length.out = 100)
  grid <- as.matrix(expand.grid(grid_x, grid_y))
  density <- matrix(dmixture(grid, parameters, n_threads = ctx$n_threads), nrow = length(grid_x))

  # Levels taken from the density at the observations make each contour enclose
  # a known share of the data, whatever the scale of the density.
  enclosed <- c(0.95, 0.75, 0.5, 0.25, 0.1)
  levels <- enclosing_levels(ctx, points, parameters, enclosed)
  keep <- !duplicated(levels)

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
  entries <- legend_entries(ctx, list(pch = 19, lty = 0, lwd = 2))
  plan <- plan_entries(entries)
  var <- ctx$dims
  imputed <- imputed_rows(ctx, var)
  subtitle <- describe_1d_uncertainty(ctx, any(imputed))
  frame <- open_single_frame("Classification uncertainty", subtitle, plan)
  on.exit(graphics::par(frame$old))

  values <- ctx$data[, var]
  colors <- ctx$point_colors[ctx$class_index]
  graphics::plot.new()
  graphics::plot.window(
    compute_axis_limits(ctx, var, radius = 3),
    c(0, max(1 - 1 / (ctx$k + ctx$noise), ctx$uncertainty))
  )
  graphics::segments(values, 0, values, ctx$uncertainty, col = colors)
  # The needle's height shows the uncertainty, so the point's size is free to show the weight.
  pch <- ifelse(imputed, imputed_pch, 19)
  if (ctx$noise) pch[ctx$classification == 0L] <- noise_pch
  draw_weighted_points(ctx, cbind(values, ctx$uncertainty), cex = 0.7, col = colors, pch = pch)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2)
  texts <- rbind(
    draw_axis_title(colnames(ctx$data)[var], 1),
    draw_axis_title("Uncertainty (1 - max posterior)", 2)
  )
  close_single_frame(frame, texts, draw_entries(plan, entries))
}

#' Subtitle of the 1-D uncertainty plots: how the points show the weights
#' and, where `imputed`, the imputed values
#' @noRd
describe_1d_uncertainty <- function(ctx, imputed) {
  join_notes(c(if (!is.null(ctx$weights)) "point size by weight",
               point_notes(ctx$weights, sized = FALSE, imputed = imputed)))
}

#' Subtitle of the 1-D classification and density plots: how the rug shows
#' the weights and, where `imputed`, the imputed values
#' @noRd
describe_rug <- function(ctx, imputed) {
  weights <- ctx$weights
  join_notes(c(
    if (!is.null(weights)) "rug tick width by weight",
    if (!is.null(weights) && any(weights == 0)) "dotted: weight 0",
    if (imputed) "hollow: imputed"
  ))
}

#' The legend entries of the 1-D classification plot: a line per component,
#' the mixture and, when the fit has one, the noise
#' @noRd
curve_entries <- function(ctx) {
  entries <- list(
    labels = c(sprintf("Component %d", seq_len(ctx$k)), "Mixture"),
    col = c(ctx$colors, "black"),
    pch = NA, lty = rep(1, ctx$k + 1), lwd = c(rep(2, ctx$k), 3)
  )
  if (ctx$noise) entries <- add_noise_entry(entries, pch = NA, lty = 2)
  entries
}

#' Draw a histogram of one variable with the mixture density and, optionally, its components
#' @noRd
draw_1d_density <- function(ctx, show_components) {
  entries <- if (show_components) curve_entries(ctx) else NULL
  plan <- if (is.null(entries)) NULL else plan_entries(entries)
  main <- if (show_components) "Mixture components" else "Mixture density"
  var <- ctx$dims
  imputed <- imputed_rows(ctx, var)
  subtitle <- describe_rug(ctx, any(imputed))
  frame <- open_single_frame(main, subtitle, plan)
  on.exit(graphics::par(frame$old))

  values <- ctx$data[, var]
  xlim <- compute_axis_limits(ctx, var, radius = 3)
  grid <- seq(xlim[1], xlim[2], length.out = 400)
  mixture <- dmixture(
    matrix(grid, ncol = 1), subset_params(ctx$parameters, var),
    n_threads = ctx$n_threads
  )
  # The histogram shows the data: the observed values only.
  histogram <- graphics::hist(values[!imputed], plot = FALSE)
  top <- 1.04 * max(histogram$density, mixture)

  graphics::plot.new()
  # The band below zero holds the rug so it never hides the histogram bars.
  graphics::plot.window(range(xlim, histogram$breaks), c(-0.08 * top, top), yaxs = "i")
  graphics::plot(histogram, freq = FALSE, add = TRUE, col = "grey90", border = "grey65")
  graphics::abline(h = 0, col = "grey65")
  rug_colors <- if (show_components) ctx$blended else "grey30"
  draw_rug(ctx, values, -0.07 * top, -0.015 * top, rug_colors, imputed)
  if (show_components) {
    means <- ctx$parameters$means[, var]
    sds <- sqrt(ctx$parameters$covariances[var, var, ])
    components <- vapply(
      seq_len(ctx$k),
      function(k) ctx$parameters$proportions[k] * stats::dnorm(grid, means[k], sds[k]),
      numeric(length(grid))
    )
    graphics::matlines(grid, components, col = ctx$colors, lty = 1, lwd = 2)
    if (ctx$noise) {
      # The noise is uniform over its box, so its weighted density is flat there.
      box <- ctx$parameters$noise_box[, var]
      share <- ctx$parameters$proportions[length(ctx$parameters$proportions)]
      graphics::segments(box[1], share / diff(box), box[2], share / diff(box),
                         col = noise_color, lty = 2, lwd = 2)
    }
  }
  graphics::lines(grid, mixture, lwd = 3)
  graphics::box()
  graphics::axis(1)
  graphics::axis(2, at = Filter(function(y) y >= 0, pretty(c(0, top))))
  texts <- rbind(draw_axis_title(colnames(ctx$data)[var], 1), draw_axis_title("Density", 2))
  legend <- if (is.null(plan)) NULL else draw_entries(plan, entries)
  close_single_frame(frame, texts, legend)
}

#' Draw a rug of one variable's values between heights `bottom` and `top`;
#' for a weighted fit the ticks' width grows with the weight (as point_sizes()
#' scales symbols) and rows of weight 0 get dotted ticks. Values marked
#' `imputed` are hollow circles halfway up the rug instead of ticks.
#' @noRd
draw_rug <- function(ctx, values, bottom, top, col, imputed = NULL) {
  weights <- ctx$weights
  col <- rep_len(col, length(values))
  if (is.null(imputed)) imputed <- rep(FALSE, length(values))
  if (is.null(weights)) {
    ticks <- which(!imputed)
    graphics::segments(values[ticks], bottom, values[ticks], top, col = col[ticks])
  } else {
    order <- weight_draw_order(weights, length(values))
    order <- order[!imputed[order]]
    graphics::segments(
      values[order], bottom, values[order], top,
      col = col[order],
      lwd = point_sizes(weights, graphics::par("lwd"))[order],
      lty = ifelse(weights > 0, "solid", "dotted")[order]
    )
  }
  if (any(imputed)) {
    graphics::points(values[imputed], rep((bottom + top) / 2, sum(imputed)),
                     pch = imputed_pch, cex = 0.7, col = col[imputed])
  }
  invisible()
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

  header <- plan_header(
    "EM log-likelihood trace",
    sprintf("Final log-likelihood %s after %d iteration%s, %s", final, x$iterations,
            if (identical(x$iterations, 1L)) "" else "s", status)
  )
  old <- open_plot_frame(header$height, mfrow = c(1, if (show_gap) 2 else 1),
                         mar = c(4.1, 5.1, 3.2, 1))
  on.exit(graphics::par(old))
  graphics::par(las = 1)
  # Points mark each iteration while they stay apart; long traces get a line.
  type <- if (length(trace) <= 40) "b" else "l"
  graphics::plot(
    iterations, trace,
    type = type, pch = 19, cex = 0.8, lwd = 2, xaxt = "n", xlab = "", ylab = ""
  )
  draw_iteration_axis(iterations)
  texts <- rbind(draw_panel_title("Log-likelihood"), draw_axis_title(xlab, 1))
  panel_top <- graphics::grconvertY(1, "nfc", "inches")
  if (show_gap) {
    positive <- gap > 0
    graphics::plot(
      iterations[positive], gap[positive],
      type = type, pch = 19, cex = 0.8, lwd = 2, log = "y", xaxt = "n", yaxt = "n",
      xlab = "", ylab = "", xlim = range(iterations)
    )
    draw_iteration_axis(iterations)
    ticks <- 10^seq(floor(log10(min(gap[positive]))), ceiling(log10(max(gap))))
    labels <- vapply(ticks, function(tick) {
      format(tick, scientific = abs(log10(tick)) > 4, trim = TRUE)
    }, character(1))
    graphics::axis(2, at = ticks, labels = labels)
    texts <- rbind(texts, draw_panel_title("Final minus current log-likelihood"),
                   draw_axis_title(xlab, 1))
  }
  device <- graphics::par("din")
  header_texts <- draw_header(header, region = c(0, device[1]), top = device[2])
  new_plot_layout(rbind(header_texts, texts), panel_top = panel_top)
}

#' An x axis of whole iteration numbers
#' @noRd
draw_iteration_axis <- function(iterations) {
  # Iterations are counts, so fractional ticks on short traces would mislead.
  ticks <- pretty(iterations)
  graphics::axis(1, at = ticks[ticks == round(ticks) & ticks >= min(iterations)])
}

#' Colour, line type and symbol of each of `n` models in the BIC and ICL
#' plots: seven Okabe-Ito colours (without the yellow, which is faint on
#' white) with solid lines and filled symbols, then the same colours with
#' dashed lines and open symbols, so that any two of 14 models differ in at
#' least two of the three; `colors`, when given, replaces the colours
#' @noRd
criterion_styles <- function(n, colors = NULL) {
  hues <- unname(grDevices::palette.colors(8, "Okabe-Ito")[c(6, 7, 4, 8, 2, 3, 1)])
  if (is.null(colors)) {
    colors <- hues[(seq_len(n) - 1) %% length(hues) + 1]
  } else {
    colors <- choose_colors(n, colors, unit = "model")
  }
  group <- (seq_len(n) - 1) %/% length(hues) %% 2 + 1
  list(
    col = colors,
    lty = c("solid", "22")[group],
    # Filled symbols for solid lines, open ones (all different) for dashed.
    pch = rep_len(c(16, 17, 15, 18, 8, 3, 4, 1, 2, 0, 5, 6, 10, 13), n),
    # ggplot2 names of the same line types
    linetype = c("solid", "22")[group]
  )
}

#' The y-range of the BIC and ICL plots (see the documentation of
#' plot.softmix()): from the best value to the best plus four times the
#' median, over the models, of each model's second best value's distance to
#' the best, at least 10 and at least up to `keep` (the returned fit's
#' value); no higher than the worst value. Returns the range of the values
#' shown (`lower`, `upper`) and which values are off the scale.
#' @noRd
criterion_scale <- function(values, keep = NA) {
  finite <- values[is.finite(values)]
  best <- min(finite)
  second <- apply(values, 2, function(v) {
    v <- sort(v[is.finite(v)])
    if (length(v) == 0) NA_real_ else v[min(2, length(v))]
  })
  spread <- stats::median(second - best, na.rm = TRUE)
  upper <- max(best + max(10, 4 * spread), keep, na.rm = TRUE)
  upper <- min(upper, max(finite))
  list(
    lower = best, upper = upper,
    off_scale = is.finite(values) & values > upper
  )
}

#' Say which values of a k x model matrix are off the scale: whole values
#' of k, whole models, then a count of the others (as "off the scale: k = 1
#' values, all of EII and VII, 3 other values"); "" when none is
#' @noRd
describe_off_scale <- function(off_scale, values, ks, models) {
  if (!any(off_scale)) {
    return("")
  }
  finite <- is.finite(values)
  whole_k <- rowSums(finite) > 0 & rowSums(off_scale) == rowSums(finite)
  whole_model <- colSums(finite) > 0 & colSums(off_scale) == colSums(finite)
  rest <- off_scale
  rest[whole_k, ] <- FALSE
  rest[, whole_model] <- FALSE
  parts <- c(
    if (any(whole_k)) paste0("k = ", collapse_and(ks[whole_k]), " values"),
    if (any(whole_model)) paste0("all of ", collapse_and(models[whole_model])),
    if (any(rest)) sprintf("%d other value%s", sum(rest), if (sum(rest) == 1) "" else "s")
  )
  paste("off the scale:", paste(parts, collapse = ", "))
}

#' "a", "a and b", "a, b and c"
#' @noRd
collapse_and <- function(x) {
  x <- as.character(x)
  if (length(x) <= 1) return(x)
  paste(paste(x[-length(x)], collapse = ", "), "and", x[length(x)])
}

#' Everything the BIC and ICL plots show: the criterion as a k x model
#' matrix, each model's style, the returned fit, the y-range and the texts
#' @noRd
summarise_criterion <- function(x, criterion, colors = NULL) {
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
  values <- criterion_matrix(selection, criterion, ks, models)
  if (!any(is.finite(values))) {
    softmix_abort(sprintf("every pair failed, so there is no %s to plot.", label), call = NULL)
  }
  chosen <- c(x$k, values[match(x$k, ks), match(x$model, models)])
  scale <- criterion_scale(values, keep = chosen[2])
  chosen_by <- if (is.null(x$criterion)) "bic" else x$criterion
  failed <- sum(is.na(values) & !is.na(match_pairs(selection, ks, models)))
  subtitle <- paste(c(
    sprintf("Ringed: the returned fit, %s with k = %d (chosen by %s)", x$model, x$k,
            toupper(chosen_by)),
    if (any(scale$off_scale)) describe_off_scale(scale$off_scale, values, ks, models),
    if (failed > 0) sprintf("%d failed pair%s left as gaps", failed, if (failed == 1) "" else "s")
  ), collapse = "; ")
  list(
    label = label, models = models, ks = ks, values = values,
    styles = criterion_styles(length(models), colors), chosen = chosen,
    chosen_label = sprintf("%s, k = %d", x$model, x$k), scale = scale,
    main = sprintf("%s of each (k, model) pair", label), subtitle = subtitle,
    ylab = sprintf("%s (lower is better)", label), xlab = "Number of components k"
  )
}

#' Plot a selection criterion against k, one line per covariance model
#' @noRd
draw_criterion <- function(x, criterion, colors) {
  summary <- summarise_criterion(x, criterion, colors)
  styles <- summary$styles
  scale <- summary$scale
  ks <- summary$ks
  values <- summary$values
  chosen <- summary$chosen
  span <- max(scale$upper - scale$lower, 1e-8 * abs(scale$lower), 1e-8)

  entries <- list(labels = summary$models, col = styles$col, pch = styles$pch,
                  lty = styles$lty, lwd = rep(2.2, length(summary$models)))
  plan <- plan_entries(entries, max_ncol = 7, text_factor = 1.3)
  frame <- open_single_frame(summary$main, summary$subtitle, plan, mar = c(4.1, 5.6, 0, 1.6))
  on.exit(graphics::par(frame$old))
  graphics::par(las = 1)
  graphics::plot.new()
  # Room below the best value for the ring and label of the returned fit:
  # about 0.55 inch, whatever the size of the plot.
  below <- min(0.4, 0.55 / graphics::par("pin")[2])
  total <- span / (1 - below - 0.03)
  graphics::plot.window(range(ks) + c(-0.3, 0.3),
                        c(scale$lower - below * total, scale$upper + 0.03 * total))
  graphics::abline(v = ks, col = "grey92")
  # Lines break at NA, so a failed pair leaves a gap in its model's line;
  # lines to values off the scale run off the top edge.
  graphics::matlines(ks, values, col = styles$col, lty = styles$lty, lwd = 2.2)
  graphics::matpoints(ks, values, col = styles$col, pch = styles$pch, cex = 1.3, lwd = 1.5)
  label_texts <- NULL
  if (is.finite(chosen[2])) {
    graphics::points(chosen[1], chosen[2], pch = 21, cex = 3.4, lwd = 2.5, col = "black")
    label_texts <- draw_point_label(summary$chosen_label, chosen[1], chosen[2])
  }
  graphics::box()
  graphics::axis(1, at = ks)
  graphics::axis(2)
  texts <- rbind(
    draw_axis_title(summary$xlab, 1),
    draw_axis_title(summary$ylab, 2, line = 4.3),
    label_texts
  )
  legend <- draw_entries(plan, entries, pt.cex = 1.2)
  close_single_frame(frame, texts, legend)
}

#' Label a point of the plot below it, on a white ground, kept inside the
#' plot region; returns its text record
#' @noRd
draw_point_label <- function(text, x, y, cex = 0.9) {
  plot_x <- graphics::grconvertX(c(0, 1), "npc", "inches")
  fitted <- fit_text(text, diff(plot_x) - 0.1, cex = cex, font = 2, max_lines = 1)
  width <- text_width_in(fitted$lines, fitted$cex, font = 2)
  height <- line_height_in(fitted$cex)
  centre_x <- graphics::grconvertX(x, "user", "inches")
  centre_x <- min(max(centre_x, plot_x[1] + width / 2 + 0.05), plot_x[2] - width / 2 - 0.05)
  # Below the ring (3.4 symbols wide, about 0.25 inch from its centre).
  centre_y <- graphics::grconvertY(y, "user", "inches") - 0.25 - height / 2
  graphics::rect(
    graphics::grconvertX(centre_x - width / 2 - 0.04, "inches", "user"),
    graphics::grconvertY(centre_y - height / 2, "inches", "user"),
    graphics::grconvertX(centre_x + width / 2 + 0.04, "inches", "user"),
    graphics::grconvertY(centre_y + height / 2, "inches", "user"),
    col = grDevices::adjustcolor("white", 0.85), border = NA
  )
  draw_text_in(fitted$lines, centre_x, centre_y, fitted$cex, 2, region = plot_x,
               role = "label")
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
# Points with an imputed coordinate: hollow circles.
imputed_pch <- 1
