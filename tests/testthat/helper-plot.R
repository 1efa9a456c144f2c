# Helpers of the plot tests (test-plot.R, test-plot-da.R): drawing to a
# throw-away device, counting panels, reading back what was drawn, and
# checking a layout record against the device.

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

# What is wrong with a layout that a draw function (draw_softmix_plot(),
# draw_da_plot()) returned, measured on the device it was drawn on (still
# open): every text must lie within the device and within the region it was
# given (its panel's figure for a panel title), the header must stay above
# the panels, and the legend must lie within the device and the room kept
# for it at the bottom. The widths are measured here again, from the text
# and size that were drawn.
layout_problems <- function(layout, tol = 0.01) {
  device <- graphics::par("din")
  problems <- character(0)
  if (!isTRUE(all.equal(unname(layout$device), unname(device)))) {
    problems <- "the layout was not drawn on this device"
  }
  texts <- layout$texts
  for (i in seq_len(nrow(texts))) {
    text <- texts[i, ]
    cex <- text$cex / graphics::par("cex")
    width <- graphics::strwidth(text$text, units = "inches", cex = cex, font = text$font)
    height <- graphics::strheight(text$text, units = "inches", cex = cex, font = text$font)
    # A rotated (y axis) title runs along y; its region is along y too.
    rotated <- text$srt != 0
    along <- (if (rotated) text$y else text$x) + c(-1, 1) * width / 2
    across <- (if (rotated) text$x else text$y) + c(-1, 1) * height / 2
    room <- c(max(0, text$left), min(if (rotated) device[2] else device[1], text$right))
    if (along[1] < room[1] - tol || along[2] > room[2] + tol) {
      problems <- c(problems, sprintf(
        "%s \"%s\" is cut: it spans %.2f to %.2f in, the room %.2f to %.2f in",
        text$role, text$text, along[1], along[2], room[1], room[2]
      ))
    }
    if (across[1] < -tol || across[2] > (if (rotated) device[1] else device[2]) + tol) {
      problems <- c(problems, sprintf("%s \"%s\" is off the device", text$role, text$text))
    }
    if (text$role == "header" && across[1] < layout$panel_top - tol) {
      problems <- c(problems, sprintf("header \"%s\" overlaps the panels", text$text))
    }
  }
  if (!is.null(layout$legend)) {
    legend <- layout$legend
    if (legend[["left"]] < -tol || legend[["right"]] > device[1] + tol ||
      legend[["bottom"]] < -tol || legend[["top"]] > layout$legend_room + tol) {
      problems <- c(problems, sprintf(
        "the legend (%.2f to %.2f in wide, %.2f to %.2f in high) is cut or overlaps the plot",
        legend[["left"]], legend[["right"]], legend[["bottom"]], legend[["top"]]
      ))
    }
  }
  problems
}

# The point sets (coordinates, symbols and colours) drawn by `code`, read
# from the device's display list: one list(x, y, pch, col) per call of
# points() or plot() that draws symbols, or with `type = "l"`, per call of
# lines().
drawn_points <- function(code, type = "p") {
  grDevices::png(tempfile(fileext = ".png"), width = 480, height = 480)
  on.exit(grDevices::dev.off(), add = TRUE)
  grDevices::dev.control("enable")
  force(code)
  calls <- grDevices::recordPlot()[[1]]
  sets <- lapply(calls, function(call) {
    args <- call[[2]]
    # plot.xy()'s call: C_plotXY, xy, type, pch, lty, col, ...
    if (!identical(args[[1]]$name, "C_plotXY") || !identical(args[[3]], type)) return(NULL)
    list(x = args[[2]]$x, y = args[[2]]$y, pch = args[[4]], col = args[[6]])
  })
  Filter(Negate(is.null), sets)
}
