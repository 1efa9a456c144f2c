# Copies the benchmark tables that README.md, vignettes/speed.Rmd and
# ?softmix show from the reports the benchmarks write, so that no figure is
# copied by hand. Run from the package root after the benchmarks:
#
#   Rscript tools/bench-tables.R
#
# Each table is the first markdown table under a heading of a report
# (bench/per-iteration.md, bench/selection.md, bench/acceleration.md,
# bench/init-compare.md, bench/small-d.md, bench/cluster.md, bench/file.md),
# preceded by the heading's parenthesis (the CPU, date and command that
# produced it) and followed by the bullet lines right after it (the
# targets). In README.md and the vignette it replaces what stands between
# the lines `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; in ?softmix,
# the table after "single starts):" in R/softmix.R (markdown) and
# man/softmix.Rd (\tabular).

tables <- list(
  selection = list(report = "bench/selection.md", heading = "^## Idle machine"),
  selection_load = list(report = "bench/selection.md", heading = "^## Under load"),
  selection_threads = list(report = "bench/selection.md", heading = "^### softmix on 2 threads"),
  acceleration = list(report = "bench/acceleration.md", heading = "^## Passes over the data, accelerated"),
  acceleration_length = list(report = "bench/acceleration.md",
                             heading = "^## The ratio by the length"),
  stopping = list(report = "bench/acceleration.md", heading = "^## Stopping rules"),
  init = list(report = "bench/init-compare.md", heading = "^## The default start against"),
  small_d = list(report = "bench/small-d.md", heading = "^## Time per EM iteration against"),
  small_d_rates = list(report = "bench/small-d.md", heading = "^## The floor's rates"),
  small_d_fixed = list(report = "bench/small-d.md", heading = "^## Fixed costs per call"),
  small_d_faithful = list(report = "bench/small-d.md", heading = "^## Small n: faithful"),
  cluster = list(report = "bench/cluster.md", heading = "^## \\("),
  file = list(report = "bench/file.md", heading = "^## Seconds per EM iteration and peak"),
  file_2gb = list(report = "bench/file.md", heading = "^## A 2 GB file"),
  per_iteration = list(report = "bench/per-iteration.md",
                       heading = "^## EM iterations from identical starting parameters"),
  per_iteration_fit = list(report = "bench/per-iteration.md",
                           heading = "^## Whole default fit to convergence"),
  per_iteration_scaling = list(report = "bench/per-iteration.md",
                               heading = "^## Cost is linear in n and K")
)
targets <- c("README.md", "vignettes/speed.Rmd", "vignettes/beyond.Rmd")

# The heading's caption, the table and the bullets after it, as lines.
extract <- function(report, heading) {
  lines <- readLines(report, warn = FALSE)
  at <- grep(heading, lines)
  if (length(at) != 1L) stop(sprintf("%s: no single heading matching %s", report, heading))
  # The last parenthesis: a heading may have one of its own before it.
  caption <- sub("^.*\\(([^()]*)\\)\\s*$", "\\1", lines[at])
  rest <- lines[(at + 1L):length(lines)]
  first <- which(startsWith(rest, "|"))[1]
  if (is.na(first)) stop(sprintf("%s: no table under %s", report, lines[at]))
  last <- first
  while (last < length(rest) && startsWith(rest[last + 1L], "|")) last <- last + 1L
  table <- rest[first:last]
  after <- rest[-seq_len(last)]
  while (length(after) > 0L && !nzchar(after[1])) after <- after[-1]
  bullets <- character(0)
  if (length(after) > 0L && grepl("^Targets?:", after[1])) after <- after[-1]
  while (length(after) > 0L && !nzchar(after[1])) after <- after[-1]
  while (length(after) > 0L && startsWith(after[1], "- ")) {
    bullets <- c(bullets, after[1])
    after <- after[-1]
  }
  list(caption = caption, table = table, bullets = bullets)
}

# Replaces the lines between the markers of `name` in a file.
replace_marked <- function(path, name, block) {
  lines <- readLines(path, warn = FALSE)
  open <- which(lines == sprintf("<!-- bench:%s -->", name))
  close <- which(lines == sprintf("<!-- /bench:%s -->", name))
  if (length(open) == 0L) return(FALSE)
  if (length(open) != 1L || length(close) != 1L || close < open) {
    stop(sprintf("%s: unbalanced markers for %s", path, name))
  }
  lines <- c(lines[seq_len(open)], block, lines[close:length(lines)])
  writeLines(lines, path)
  TRUE
}

# A markdown table as Rd's \tabular, as roxygen2 writes it.
rd_tabular <- function(table) {
  rows <- table[-2L]  # drop the |---| line
  cells <- lapply(strsplit(sub("^\\|", "", sub("\\|\\s*$", "", rows)), "|", fixed = TRUE),
                  trimws)
  escape <- function(x) {
    x <- gsub("%", "\\\\%", x)
    x <- gsub("\\*\\*([^*]+)\\*\\*", "\\\\strong{\\1}", x)
    gsub("`([^`]+)`", "\\\\code{\\1}", x)
  }
  body <- vapply(cells, function(row) {
    paste0("   ", paste(escape(row), collapse = " \\tab "), " \\cr")
  }, character(1))
  c(sprintf("\\tabular{%s}{", strrep("l", length(cells[[1]]))), body, "}")
}

# The table after `anchor` in ?softmix: markdown lines of a roxygen block in
# the R source, \tabular in the Rd file.
replace_after_anchor <- function(path, anchor, block, rd) {
  lines <- readLines(path, warn = FALSE)
  at <- grep(anchor, lines, fixed = TRUE)
  if (length(at) != 1L) stop(sprintf("%s: no single line with %s", path, anchor))
  if (rd) {
    # roxygen2 starts the table on the line of the text before it.
    from <- at
    while (!grepl("\\tabular{", lines[from], fixed = TRUE)) from <- from + 1L
    to <- from
    while (lines[to] != "}") to <- to + 1L
    prefix <- sub("\\\\tabular\\{.*$", "", lines[from])
    block[1] <- paste0(prefix, block[1])
  } else {
    from <- at + 1L
    while (!startsWith(lines[from], "#' |")) from <- from + 1L
    to <- from
    while (startsWith(lines[to + 1L], "#' |")) to <- to + 1L
  }
  writeLines(c(lines[seq_len(from - 1L)], block, lines[(to + 1L):length(lines)]), path)
}

for (name in names(tables)) {
  spec <- tables[[name]]
  if (!file.exists(spec$report)) {
    message("skipped ", name, ": no ", spec$report)
    next
  }
  part <- extract(spec$report, spec$heading)
  block <- c(sprintf("*%s*", part$caption), "", part$table,
             if (length(part$bullets) > 0L) c("", part$bullets))
  for (path in targets) {
    if (replace_marked(path, name, block)) message("updated ", name, " in ", path)
  }
  if (name == "init") {
    anchor <- "and the older comparison of single starts):"
    replace_after_anchor("R/softmix.R", anchor, paste("#'", part$table), rd = FALSE)
    replace_after_anchor("man/softmix.Rd", anchor, rd_tabular(part$table), rd = TRUE)
    message("updated init in R/softmix.R and man/softmix.Rd")
  }
}
