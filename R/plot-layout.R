# Text and legend layout for the base-graphics plots of plot.softmix().
#
# Every title, subtitle and legend is measured on the open device before it is
# drawn, then wrapped onto more lines or set smaller until it fits, so that no
# text is cut at any device size. The sizes here are absolute, as mtext()'s
# `cex` is: a multiple of the device's pointsize, whatever par("cex") a
# multi-panel layout has set. Positions are in inches from the device's
# bottom-left corner.
#
# The draw functions return what they laid out (see new_plot_layout()), which
# plot.softmix() drops and the tests check against the device.

#' Width in inches of each string at absolute size `cex` on the current device
#' @noRd
text_width_in <- function(text, cex, font = 1) {
  # strwidth() multiplies its `cex` by par("cex"), which mfrow layouts shrink.
  graphics::strwidth(text, units = "inches", cex = cex / graphics::par("cex"), font = font)
}

#' Height in inches of one line of text at absolute size `cex`, spacing included
#' @noRd
line_height_in <- function(cex, spacing = 1.2) {
  spacing * cex * graphics::par("cin")[2]
}

#' Height in inches of one margin line of the current layout
#' @noRd
margin_line_in <- function() {
  graphics::par("cin")[2] * graphics::par("cex") * graphics::par("mex")
}

#' Set `text` to fit `width` inches: on as few lines (up to `max_lines`) as
#' keep its size at least `shrink_to`, at `cex` or smaller; when even
#' `max_lines` lines do not fit at `shrink_to`, the size goes down until
#' they do. Returns the lines, the size and the font.
#' @noRd
fit_text <- function(text, width, cex, font = 1, max_lines = 2, shrink_to = cex) {
  words <- strsplit(text, " ", fixed = TRUE)[[1]]
  words <- words[nzchar(words)]
  if (length(words) == 0) {
    return(list(lines = character(0), cex = cex, font = font))
  }
  for (n_lines in seq_len(min(max_lines, length(words)))) {
    layout <- wrap_words(words, n_lines, cex, font)
    size <- min(cex, cex * width / layout$width)
    if (size >= shrink_to || n_lines == min(max_lines, length(words))) break
  }
  # Font sizes are rounded by the device, so widths are not quite proportional
  # to cex: measure at the chosen size and step down until the lines fit.
  for (i in 1:20) {
    widest <- max(text_width_in(layout$lines, size, font))
    if (widest <= width) break
    size <- size * 0.98 * width / widest
  }
  list(lines = layout$lines, cex = size, font = font)
}

#' Wrap words onto at most `n_lines` lines as evenly as possible: the lines
#' whose widest (at size `cex`) is the smallest such width
#' @noRd
wrap_words <- function(words, n_lines, cex, font) {
  m <- length(words)
  # span_width[i, j]: width of words i..j joined by spaces, as drawn.
  spans <- which(upper.tri(diag(m), diag = TRUE), arr.ind = TRUE)
  joined <- mapply(function(i, j) paste(words[i:j], collapse = " "), spans[, 1], spans[, 2])
  span_width <- matrix(Inf, m, m)
  span_width[spans] <- text_width_in(joined, cex, font)

  # Greedy filling at a limit gives the fewest lines for that limit, so the
  # smallest limit that needs at most n_lines lines is the best wrap.
  greedy <- function(limit) {
    starts <- integer(0)
    i <- 1
    while (i <= m) {
      starts <- c(starts, i)
      j <- i
      while (j < m && span_width[i, j + 1] <= limit) j <- j + 1
      i <- j + 1
    }
    starts
  }
  candidates <- sort(unique(span_width[is.finite(span_width)]))
  candidates <- candidates[candidates >= max(diag(span_width))]
  lo <- 1
  hi <- length(candidates)
  while (lo < hi) {
    mid <- (lo + hi) %/% 2
    if (length(greedy(candidates[mid])) <= n_lines) hi <- mid else lo <- mid + 1
  }
  starts <- greedy(candidates[lo])
  ends <- c(starts[-1] - 1, m)
  list(
    lines = vapply(seq_along(starts), function(l) {
      paste(words[starts[l]:ends[l]], collapse = " ")
    }, character(1)),
    width = candidates[lo]
  )
}

#' Lay out a plot's title and subtitle to fit `width` inches: the title in
#' bold, on up to two lines, set down to 1 (from 1.2) before it wraps; the
#' subtitle on up to three lines at 0.85, wrapped before it is set smaller.
#' Returns both and the height in inches they need.
#' @noRd
plan_header <- function(main, subtitle = "", width = graphics::par("din")[1] - 0.2) {
  title <- fit_text(main, width, cex = 1.2, font = 2, max_lines = 2, shrink_to = 1)
  sub <- fit_text(subtitle, width, cex = 0.85, font = 1, max_lines = 3)
  height <- 2 * header_pad + sum(
    length(title$lines) * line_height_in(title$cex),
    length(sub$lines) * line_height_in(sub$cex)
  )
  list(title = title, subtitle = sub, height = height, width = width)
}

# Room in inches above and below a header.
header_pad <- 0.08

#' Draw a header planned by plan_header() centred over `region` (left and
#' right, in inches) with its top at `top`; returns the text records (see
#' draw_text_in())
#' @noRd
draw_header <- function(header, region, top) {
  y <- top - header_pad
  records <- list()
  for (part in list(header$title, header$subtitle)) {
    for (line in part$lines) {
      step <- line_height_in(part$cex)
      records[[length(records) + 1]] <- draw_text_in(
        line, mean(region), y - step / 2, part$cex, part$font, region = region, role = "header"
      )
      y <- y - step
    }
  }
  do.call(rbind, records)
}

#' Draw one line of text centred at (x, y) inches from the device's bottom
#' left, at absolute size `cex`; returns its record: the text, its size and
#' font, its centre, and the horizontal region it must stay within
#' @noRd
draw_text_in <- function(text, x, y, cex, font, region, role, srt = 0) {
  graphics::text(
    graphics::grconvertX(x, "inches", "user"), graphics::grconvertY(y, "inches", "user"),
    text, cex = cex / graphics::par("cex"), font = font, xpd = NA, srt = srt
  )
  data.frame(
    role = role, text = text, cex = cex, font = font, x = x, y = y, srt = srt,
    left = region[1], right = region[2], stringsAsFactors = FALSE
  )
}

#' Title the current panel above its plot region, with the text fitted to
#' the panel's figure region and on at most `max_lines` lines (the top
#' margin must hold them: see panel_title_lines())
#' @noRd
draw_panel_title <- function(text, cex = 1.1, font = 1, max_lines = 2) {
  figure <- graphics::grconvertX(c(0, 1), "nfc", "inches")
  centre <- graphics::grconvertX(0.5, "npc", "inches")
  half <- min(centre - figure[1], figure[2] - centre) - 0.05
  fitted <- fit_text(text, 2 * half, cex = cex, font = font, max_lines = max_lines,
                     shrink_to = 0.9 * cex)
  top <- graphics::grconvertY(1, "npc", "inches") + 0.3 * line_height_in(fitted$cex)
  step <- line_height_in(fitted$cex)
  n <- length(fitted$lines)
  records <- lapply(seq_len(n), function(i) {
    draw_text_in(fitted$lines[i], centre, top + (n - i + 0.5) * step, fitted$cex, font,
                 region = c(centre - half, centre + half), role = "panel title")
  })
  do.call(rbind, records)
}

#' Label the x axis (side 1) or y axis (side 2) of the current panel, fitted
#' to the panel's figure region, `line` margin lines out from the plot region
#' @noRd
draw_axis_title <- function(text, side, line = if (side == 1) 2.6 else 3.4,
                            cex = graphics::par("cex")) {
  figure_x <- graphics::grconvertX(c(0, 1), "nfc", "inches")
  figure_y <- graphics::grconvertY(c(0, 1), "nfc", "inches")
  plot_x <- graphics::grconvertX(c(0, 1), "npc", "inches")
  plot_y <- graphics::grconvertY(c(0, 1), "npc", "inches")
  offset <- (line + 0.5) * margin_line_in()
  if (side == 1) {
    centre <- mean(plot_x)
    half <- min(centre - figure_x[1], figure_x[2] - centre) - 0.05
    fitted <- fit_text(text, 2 * half, cex = cex, max_lines = 1)
    draw_text_in(fitted$lines, centre, plot_y[1] - offset, fitted$cex, 1,
                 region = c(centre - half, centre + half), role = "axis title")
  } else {
    centre <- mean(plot_y)
    half <- min(centre - figure_y[1], figure_y[2] - centre) - 0.05
    fitted <- fit_text(text, 2 * half, cex = cex, max_lines = 1)
    # A rotated label's extent runs along y; its region is recorded as such.
    draw_text_in(fitted$lines, plot_x[1] - offset, centre, fitted$cex, 1,
                 region = c(centre - half, centre + half), role = "axis title", srt = 90)
  }
}

#' Choose the columns and size of a legend so that it fits `width` inches:
#' as many columns as fit, up to `max_ncol`, with the rows balanced; smaller
#' text only when one column is too wide. Mirrors legend()'s geometry, so
#' the returned width and height in inches are those legend() will draw.
#' @noRd
plan_legend <- function(labels, width, cex = 0.85, max_ncol = 4, lines = TRUE, pch = TRUE,
                        text_factor = 1.15) {
  n <- length(labels)
  measure <- function(ncol, cex) {
    char <- cex * graphics::par("cin")[1]
    text_width <- text_factor * max(text_width_in(labels, cex))
    # As legend(): room for the symbol, then the line segment (2 characters,
    # less 0.7 when a symbol sits on it), then the text.
    column <- text_width + 2 * char + if (lines) (2 - if (pch) 0.7 else 0) * char else 0
    nrow <- ceiling(n / ncol)
    list(ncol = ncol, nrow = nrow, cex = cex, text_width = text_width,
         width = ncol * column + 0.5 * char, height = (nrow + 1) * line_height_in(cex, 1))
  }
  ncol <- min(n, max_ncol)
  while (ncol > 1 && measure(ncol, cex)$width > width) ncol <- ncol - 1
  # Balance the rows: 14 entries in 7 columns rather than 8 and 6.
  ncol <- ceiling(n / ceiling(n / ncol))
  plan <- measure(ncol, cex)
  for (i in 1:20) {
    if (plan$width <= width) break
    plan <- measure(ncol, plan$cex * 0.98 * width / plan$width)
  }
  plan
}

#' Draw a legend planned by plan_legend() centred at the bottom of the
#' device; returns its extent in inches (left, right, bottom, top)
#' @noRd
draw_bottom_legend <- function(plan, labels, ...) {
  inch_x <- diff(graphics::grconvertX(c(0, 1), "inches", "user"))
  drawn <- graphics::legend(
    x = graphics::grconvertX(0.5, "ndc", "user"),
    y = graphics::grconvertY(0.02, "inches", "user"),
    xjust = 0.5, yjust = 0, legend = labels, ncol = plan$ncol, bty = "n", xpd = NA,
    cex = plan$cex / graphics::par("cex"),
    # Widened columns keep each label clear of the next entry's symbol.
    text.width = plan$text_width * inch_x, ...
  )
  rect <- drawn$rect
  x <- graphics::grconvertX(c(rect$left, rect$left + rect$w), "user", "inches")
  y <- graphics::grconvertY(c(rect$top - rect$h, rect$top), "user", "inches")
  c(left = x[1], right = x[2], bottom = y[1], top = y[2])
}

#' What a draw function laid out: the text records, the legend's extent and
#' the room kept for it, and the top of the highest plot region, all in inches
#' @noRd
new_plot_layout <- function(texts, legend = NULL, legend_room = 0, panel_top = NA_real_) {
  list(device = graphics::par("din"), texts = texts, legend = legend,
       legend_room = legend_room, panel_top = panel_top)
}

#' Set up the layout `mfrow` with margins `mar` (in lines, as par() takes
#' them) and outer margins for a header of `header_height` inches at the top
#' and a legend of `legend_height` inches at the bottom. `outer` gives more
#' outer margin, in margin lines of the layout (which mfrow shrinks), below,
#' left, above and right of the panels, for axes drawn there. Returns the
#' old settings for par().
#' @noRd
open_plot_frame <- function(header_height, legend_height = 0, mfrow = c(1, 1),
                            mar = c(4.1, 4.6, 1, 1.6), outer = c(0, 0, 0, 0)) {
  old <- graphics::par(c("mfrow", "cex", "mar", "oma", "mgp", "las"))
  graphics::par(mfrow = mfrow)
  line <- margin_line_in()
  legend_room <- if (legend_height > 0) legend_height + 0.05 else 0
  graphics::par(mar = mar, omi = c(legend_room, 0, header_height, 0) + outer * line)
  old
}
