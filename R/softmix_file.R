#' Data in a file, streamed in chunks
#'
#' `softmix_file()` describes data that stay in a file, a CSV file or a
#' file-backed `bigmemory::big.matrix`, for [softmix()] to fit them by
#' exactly the EM it runs in memory: every pass over the rows reads the file
#' again, `chunk_rows` rows at a time, and keeps only the statistics of the
#' M step, a few numbers per component. The rows are never all in memory, so
#' a file far larger than memory can be fitted; within each chunk the passes
#' run on the `n_threads` threads of [softmix()].
#'
#' `softmix_file()` reads the file once to count its rows and check them
#' (every value must be a finite number; the error names the first row that
#' is not), then twice more for the columns' means and variances, which the
#' fit needs of all the rows before it starts. It records the file's size
#' and modification time (a big.matrix's backing file's), and every later
#' pass checks them first: a file changed since, rows appended included,
#' stops the fit with an error, as does a file that can no longer be opened.
#'
#' @section Starts:
#' [softmix()] makes its starts from a sample of `sample_size` rows (2,000 by
#' default) drawn with R's generator, so `set.seed()` reproduces them, and
#' read from the file in one pass. A sample at least as large as the file is
#' all of it, in order: the fit is then the in-memory fit of the same data.
#' Starting parameters given as `init` are used as they are.
#'
#' @section The fit:
#' The fit keeps no n x K matrices: [posterior()] reads the file once more
#' to compute the posterior on request, and [predict()] works on new data in
#' memory as for any fit. Its log-likelihood and parameters are those of the
#' in-memory fit of the same rows from the same start, up to the order of
#' the sums (about 1e-13 relative). Peak memory is that of R, softmix and
#' one chunk: about `chunk_rows` times the width of a row in the file for the
#' text, and eight bytes per value, twice, for the parsed chunk.
#'
#' @section Formats:
#' * CSV (any delimited text of numbers, read by `data.table::fread()`, which
#'   must be installed): the separator is found in the first line unless
#'   `sep` is given, and the first line is taken as a header when one of its
#'   fields is not a number unless `header` is given. The header and every
#'   row must have the same number of fields (a file written with row names
#'   by [utils::write.table()] or [utils::write.csv()] has one more in its
#'   rows; write it with `row.names = FALSE`). Gzipped files are read
#'   too (through [file()]). Fields may be quoted, but not hold line breaks.
#' * big.matrix: the descriptor of a file-backed `bigmemory::big.matrix`
#'   (the path of its `.desc` file, the `big.matrix.descriptor`, or the
#'   file-backed `big.matrix` itself), of any numeric type; its backing file
#'   is read in row blocks with [readBin()], not mapped into memory, so the
#'   pages read do not stay in this session's memory. The backing file is
#'   looked for next to the `.desc` file first.
#'
#' @param path The file: a CSV file's path, a `.desc` file's path, or a
#'   `big.matrix.descriptor` or file-backed `big.matrix`.
#' @param format `"csv"`, `"big.matrix"`, or `"auto"`: a big.matrix for a
#'   descriptor or a path ending in `.desc`, CSV otherwise.
#' @param chunk_rows Rows read at a time: the memory a pass needs grows
#'   with it, the time per pass falls with it to a point.
#' @param columns The columns to fit, by name or number; `NULL` for all.
#' @param ... For CSV files: `header` (`TRUE`, `FALSE`, or `"auto"`), `sep`,
#'   and further arguments of `data.table::fread()` for the chunks, such as
#'   `dec` or `na.strings` (not `skip`, `nrows`, `select` or `colClasses`).
#' @return A `softmix_file` object: where the file is, its rows and columns
#'   and the chunks they are read in. Pass it to [softmix()] as `x`.
#' @family clusters
#' @seealso [softmix_shards()] for data on the workers of a cluster.
#' @export
#' @examples
#' path <- tempfile(fileext = ".csv")
#' utils::write.csv(faithful, path, row.names = FALSE)
#' data <- softmix_file(path, chunk_rows = 100)
#' data
#' set.seed(1)
#' fit <- softmix(data, k = 2, n_threads = 1)
#' fit$parameters$means
#' head(posterior(fit))
#' unlink(path)
softmix_file <- function(path, format = c("auto", "csv", "big.matrix"), chunk_rows = 100000,
                         columns = NULL, ...) {
  call <- sys.call()
  format <- match_choice(format, c("auto", "csv", "big.matrix"), "format")
  chunk_rows <- check_count(chunk_rows, "chunk_rows", min = 1)
  descriptor <- inherits(path, c("big.matrix", "big.matrix.descriptor"))
  if (!descriptor) {
    if (!is.character(path) || length(path) != 1L || is.na(path) || !nzchar(path)) {
      softmix_abort(sprintf(
        "`path` must be the path of a file, or a big.matrix descriptor, not %s.",
        format_value(path)
      ), call)
    }
    if (dir.exists(path)) {
      softmix_abort(sprintf("`path`: \"%s\" is a directory, not a file.", path), call)
    }
    if (!file.exists(path)) {
      softmix_abort(sprintf("`path`: there is no file \"%s\".", path), call)
    }
    path <- normalizePath(path)
  }
  if (format == "auto") {
    format <- if (descriptor || grepl("\\.desc$", path, ignore.case = TRUE)) "big.matrix" else "csv"
  }
  options <- list(...)
  if (format == "csv") {
    if (descriptor) softmix_abort("`path` is a big.matrix; use `format = \"big.matrix\"`.", call)
    reader <- csv_reader(path, chunk_rows, columns, options, call)
  } else {
    if (length(options) > 0L) {
      softmix_abort(sprintf("Unused argument(s) for a big.matrix: %s.",
                            paste0("`", names(options), "`", collapse = ", ")), call)
    }
    reader <- big_matrix_reader(path, chunk_rows, columns, call)
  }
  reader$stamp <- file_stamp(reader$path)
  file <- structure(
    list(cluster = NULL, token = NULL, node = 1L, source = reader$describe, n = NULL,
         d = length(reader$select), names = reader$names, factor = 1, header = NULL, x = NULL,
         reader = reader, n_threads = resolve_threads(NULL, call)),
    class = c("softmix_file", "softmix_shards")
  )
  file <- file_first_pass(file, call)
  # The columns' sums, then their squares about the means, as for shards.
  sums <- file_run_all(file, "column_sums", numeric(), "", call)[[1L]]
  mean <- sums[-(1:2)] / sums[2]
  squares <- file_run_all(file, "column_squares", mean, "", call)[[1L]]
  variance <- if (sums[1] < 2 || !(sums[2] > 0)) 0 * squares else squares / sums[2]
  file$header <- list(d = file$d, factor = file$factor, n_total = sums[1],
                      total_weight = sums[2], column_variance = variance)
  file
}

#' @export
print.softmix_file <- function(x, ...) {
  reader <- x$reader
  cat(sprintf("softmix file: %s rows of %d variables in %d chunk(s) of up to %s rows\n",
              format(x$n, big.mark = ",", scientific = FALSE), x$d, length(reader$chunk_rows),
              format(reader$rows_per_chunk, big.mark = ",")))
  cat(sprintf("  %s\n", x$source))
  invisible(x)
}

# Passes over the file ---------------------------------------------------------

#' One pass over the file, in the form shard_run_all() returns for shards:
#' a list of one running sum (chunk order) for the passes whose parts add
#' up, one element per chunk for "evidence" (merged by the core),
#' "posterior" and "sample"
#' @noRd
file_run_all <- function(file, what, wire, model, call, extra = NULL) {
  factor <- file$factor
  threads <- file$n_threads
  adds_up <- what %in% c("statistics", "loglik", "column_sums", "column_squares", "classify")
  chunks <- file$reader$chunk_rows
  first <- c(0, cumsum(chunks))
  wanted <- NULL
  if (what == "sample") {
    rows <- extra$rows[[1L]]
    wanted <- vapply(seq_along(chunks), function(i) {
      any(rows > first[i] & rows <= first[i + 1L])
    }, logical(1))
  } else if (what == "posterior" && !is.null(extra$write)) {
    softmix_abort("Writing the posterior next to the file is not available for a softmix_file().",
                  call)
  }
  total <- NULL
  parts <- vector("list", if (adds_up) 1L else length(chunks))
  file_each_chunk(file, call, wanted = wanted, fun = function(x, i) {
    if (what == "sample") {
      local <- rows[rows > first[i] & rows <= first[i + 1L]] - first[i]
      parts[[i]] <<- x[local, , drop = FALSE]
      return()
    }
    if (what == "posterior") {
      parts[[i]] <<- shard_posterior_cpp(x, list(), factor, extra$parameters, model, threads)
      return()
    }
    part <- shard_pass_cpp(x, list(), factor, what, wire, model, threads)
    if (adds_up) {
      total <<- if (is.null(total)) part else total + part
    } else {
      parts[[i]] <<- part
    }
  })
  if (adds_up) {
    parts[[1L]] <- total
  } else {
    # Chunks of blank lines only, and those not wanted, have no part.
    parts <- Filter(Negate(is.null), parts)
  }
  parts
}

#' Call fun(x, i) on every chunk i of the file (those `wanted`, where given)
#' in order, as a double matrix, through one connection; the file's size
#' and time are checked first and its rows against what the first pass
#' found, so a file changed since stops the fit
#' @noRd
file_each_chunk <- function(file, call, fun, wanted = NULL) {
  reader <- file$reader
  file_check_unchanged(file, call)
  # A failure, named with the file unless it is already one of softmix's.
  # (One handler: an error raised in a handler of tryCatch() is caught by
  # the handlers listed after it.)
  fail <- function(before) function(e) {
    if (inherits(e, "softmix_error")) stop(e)
    file_abort(file, before, conditionMessage(e), call)
  }
  # Opening fails as a read does (softmix_shard_error), so that a file gone
  # or unreadable stops a model selection instead of failing its pairs one
  # by one; a warning of file() is the failure, with the reason.
  state <- tryCatch(reader$open(reader), warning = fail(NULL), error = fail(NULL))
  on.exit(reader$close(state), add = TRUE)
  counted <- !is.null(reader$chunk_rows)
  chunks <- if (counted) length(reader$chunk_rows) else length(reader$chunk_bytes)
  before <- 0 # rows in the chunks before
  for (i in seq_len(chunks)) {
    skip <- !is.null(wanted) && !wanted[i]
    x <- tryCatch(reader$read(reader, state, i, skip, file$n_threads, before),
                  error = fail(before))
    before <- before + if (skip) reader$chunk_rows[i] else nrow(x)
    if (skip) next
    if (counted && nrow(x) != reader$chunk_rows[i]) {
      file_abort(file, before - nrow(x), sprintf(
        "it has %d row(s) where %d were read before; the file has changed.",
        nrow(x), reader$chunk_rows[i]
      ), call)
    }
    # A chunk of blank lines only has no rows to pass on.
    if (nrow(x) > 0L) fun(x, i)
  }
  invisible()
}

#' Stop, naming the file and where in it (`before`: rows read; `NULL` when
#' it could not be opened), as a failure of the rows held elsewhere (so that
#' a model selection stops instead of skipping the pair)
#' @noRd
file_abort <- function(file, before, message, call) {
  where <- if (is.null(before)) "" else
    sprintf(" after row %s", format(before, scientific = FALSE))
  softmix_abort(sprintf("Reading %s failed%s: %s", file$reader$path, where, message),
                call, class = "softmix_shard_error")
}

#' The size and modification time of a file, as numbers (NA when it is not
#' there)
#' @noRd
file_stamp <- function(path) {
  info <- file.info(path, extra_cols = FALSE)
  c(size = info$size, mtime = as.numeric(info$mtime))
}

#' Stop unless the file has the size and time softmix_file() recorded: rows
#' appended, or rewritten ones of the same count, would otherwise be read
#' silently or not at all. Two numbers from the file system, so every pass
#' can afford it.
#' @noRd
file_check_unchanged <- function(file, call) {
  reader <- file$reader
  now <- file_stamp(reader$path)
  if (anyNA(now)) {
    softmix_abort(sprintf(
      "%s is not there any more; it was moved or removed after softmix_file() read it.",
      reader$path
    ), call, class = "softmix_shard_error")
  }
  # (An object made before softmix_file() recorded them has no stamp.)
  if (!is.null(reader$stamp) && !identical(now, reader$stamp)) {
    softmix_abort(sprintf(paste(
      "%s has changed since softmix_file() read it (its size or modification time",
      "differs); call softmix_file() on it again."
    ), reader$path), call, class = "softmix_shard_error")
  }
  invisible()
}

#' The first pass: every chunk read and checked (finite values), its rows
#' counted (the CSV reader finds the chunks' bytes too), the largest
#' magnitude giving the scale shared by every pass
#' @noRd
file_first_pass <- function(file, call) {
  reader <- file$reader
  largest <- 0
  seen <- 0
  check <- function(x) {
    if (nrow(x) > 0L) {
      bad <- nonfinite_rows_cpp(x)
      if (bad[1] > 0L || bad[3] > 0L) {
        row <- min(bad[c(2L, 4L)][bad[c(1L, 3L)] > 0L])
        softmix_abort(sprintf(
          "%s has %s in row %s; every value must be a finite number.", reader$path,
          if (bad[1] > 0L && bad[2] == row) "a missing value (NA or NaN)" else "an infinite value",
          format(seen + row, scientific = FALSE)
        ), call)
      }
      largest <<- max(largest, abs(range(x)))
    }
    seen <<- seen + nrow(x)
  }
  if (is.null(reader$chunk_rows)) {
    # A CSV file's chunks: their bytes found here, their rows counted as read.
    reader <- reader$index(reader)
    file$reader <- reader
    rows <- numeric(length(reader$chunk_bytes))
    file_each_chunk(file, call, function(x, i) {
      check(x)
      rows[i] <<- nrow(x)
    })
    file$reader$chunk_rows <- rows
  } else {
    file_each_chunk(file, call, function(x, i) check(x))
  }
  file$n <- seen
  if (seen < 1) softmix_abort(sprintf("%s holds no rows.", reader$path), call)
  file$factor <- shard_scale_cpp(largest)
  file
}

# CSV files --------------------------------------------------------------------

#' A reader of a CSV file: its header, separator and columns found from its
#' first line; its chunks (rows and bytes) found by the first pass
#' @noRd
csv_reader <- function(path, chunk_rows, columns, options, call) {
  if (!requireNamespace("data.table", quietly = TRUE)) {
    softmix_abort("Reading a CSV file needs the data.table package; install it.", call)
  }
  reserved <- intersect(names(options), c("skip", "nrows", "select", "colClasses", "text",
                                          "input", "file", "col.names", "drop"))
  if (length(reserved) > 0L || (length(options) > 0L && is.null(names(options))) ||
      any(!nzchar(names(options)))) {
    softmix_abort(sprintf(
      "`...` takes named arguments of data.table::fread() other than %s.",
      "skip, nrows, select, drop, colClasses and col.names"
    ), call)
  }
  unknown <- setdiff(names(options), names(formals(data.table::fread)))
  if (length(unknown) > 0L) {
    softmix_abort(sprintf(paste(
      "`...` takes named arguments of data.table::fread(), and %s %s not one of them.",
      "The fit's arguments (k, model, n_threads, ...) go to softmix(), with this",
      "softmix_file object as `x`."
    ), quote_names(unknown), if (length(unknown) == 1L) "is" else "are"), call)
  }
  header <- if (is.null(options$header)) "auto" else options$header
  sep <- if (is.null(options$sep)) "auto" else options$sep
  options$header <- NULL
  options$sep <- NULL
  if (!(identical(header, "auto") || isTRUE(header) || isFALSE(header))) {
    softmix_abort("`header` must be TRUE, FALSE or \"auto\".", call)
  }
  sep_given <- !identical(sep, "auto")
  con <- csv_connection(path)
  # The first line that is not blank, and the first line of data after it
  # (blank lines are skipped, as the parser skips them); `leading`: the
  # lines up to the first one, which a header's bytes take in too.
  leading <- 0L
  lines <- tryCatch({
    repeat {
      first_line <- readLines(con, n = 1L, warn = FALSE)
      leading <- leading + 1L
      if (length(first_line) == 0L || nzchar(trimws(first_line))) break
    }
    repeat {
      next_line <- readLines(con, n = 1L, warn = FALSE)
      if (length(next_line) == 0L || nzchar(trimws(next_line))) break
    }
    c(first_line, next_line)
  }, finally = close(con))
  first_line <- lines[1L]
  if (length(lines) == 0L || !nzchar(trimws(first_line))) {
    softmix_abort(sprintf("%s is empty.", path), call)
  }
  if (!sep_given) sep <- guess_separator(first_line)
  split <- function(line, which) {
    tryCatch(csv_split(line, sep, options$quote), error = function(e) {
      softmix_abort(sprintf("Reading the %s of %s with `sep` = %s failed: %s. Check `sep`.",
                            which, path, describe_sep(sep, sep_given),
                            sub("[.[:space:]]+$", "", conditionMessage(e))), call)
    })
  }
  fields <- split(first_line, "first line")
  numbers <- suppressWarnings(as.numeric(fields))
  if (identical(header, "auto")) header <- any(is.na(numbers) & !fields %in% c("NA", ""))
  # The header must name every field of the rows: with one field fewer (the
  # row names of write.table()) the columns would be read shifted, with
  # fewer or more, some silently dropped.
  if (header && length(lines) > 1L) {
    row_fields <- length(split(lines[2L], "first row"))
    if (row_fields != length(fields)) {
      softmix_abort(sprintf(
        "The header of %s has %s but its rows have %d; each row needs a field per column name.%s",
        path, count_fields(length(fields)), row_fields,
        if (row_fields == length(fields) + 1L) paste(
          " If the file was written with row names (write.table(), write.csv()), they are",
          "the extra field: write it with `row.names = FALSE`."
        ) else ""
      ), call)
    }
  }
  all_names <- if (header) fields else paste0("V", seq_along(fields))
  select <- resolve_columns(columns, all_names, path, call)
  list(format = "csv", path = path, sep = sep, sep_given = sep_given, header = header,
       header_bytes = if (header) csv_header_bytes(path, leading) else 0,
       n_fields = length(fields),
       select = select, names = if (header) all_names[select] else NULL, options = options,
       rows_per_chunk = chunk_rows, chunk_rows = NULL, chunk_bytes = NULL,
       describe = sprintf("CSV file %s", path),
       open = function(reader) csv_open(reader), close = function(state) close(state$con),
       read = csv_read, index = csv_index)
}

#' The fields of one line of text
#' @noRd
csv_split <- function(line, sep, quote = NULL) {
  unlist(do.call(data.table::fread, c(list(
    text = paste0(line, "\n"), sep = sep, header = FALSE, colClasses = "character",
    strip.white = TRUE
  ), if (!is.null(quote)) list(quote = quote))), use.names = FALSE)
}

#' "1 field", "3 fields"
#' @noRd
count_fields <- function(n) sprintf("%d field%s", n, if (n == 1L) "" else "s")

#' The separator for a message, and whether it was given or found
#' @noRd
describe_sep <- function(sep, given) {
  sprintf("%s (%s)", encodeString(sep, quote = "\""),
          if (given) "given" else "found in the first line")
}

#' The separator of a delimited line: the most frequent of comma, tab,
#' semicolon and bar; a space when none is there
#' @noRd
guess_separator <- function(line) {
  candidates <- c(",", "\t", ";", "|")
  counts <- vapply(candidates, function(s) {
    lengths(regmatches(line, gregexpr(s, line, fixed = TRUE)))
  }, numeric(1))
  if (max(counts) > 0) return(candidates[which.max(counts)])
  if (grepl("[^ ] +[^ ]", trimws(line))) " " else ","
}

#' The bytes of the first `lines` lines, the last one's line end included
#' @noRd
csv_header_bytes <- function(path, lines = 1L) {
  con <- csv_connection(path)
  on.exit(close(con))
  seen <- 0
  repeat {
    block <- readBin(con, "raw", 65536L)
    if (length(block) == 0L) return(seen)
    ends <- grepRaw(as.raw(10L), block, fixed = TRUE, all = TRUE)
    if (length(ends) >= lines) return(seen + ends[lines])
    lines <- lines - length(ends)
    seen <- seen + length(block)
  }
}

#' Columns by name or number as the numbers of the file's columns
#' @noRd
resolve_columns <- function(columns, names, path, call) {
  if (is.null(columns)) return(seq_along(names))
  if (is.character(columns) && !anyNA(columns) && length(columns) > 0L) {
    unknown <- setdiff(columns, names)
    if (length(unknown) > 0L) {
      softmix_abort(sprintf("`columns`: %s has no column(s) %s.", path,
                            paste0("`", unknown, "`", collapse = ", ")), call)
    }
    return(match(columns, names))
  }
  if (is.numeric(columns) && !anyNA(columns) && all(columns == round(columns)) &&
      all(columns >= 1) && all(columns <= length(names)) && length(columns) > 0L) {
    return(as.integer(columns))
  }
  softmix_abort(sprintf("`columns` must name columns of %s or number them (1 to %d).", path,
                        length(names)), call)
}

#' A binary connection to a CSV file, gzipped or not
#' @noRd
csv_connection <- function(path) {
  con <- file(path, "rb")
  magic <- readBin(con, "raw", 2L)
  close(con)
  if (identical(magic, as.raw(c(0x1f, 0x8b)))) gzfile(path, "rb") else file(path, "rb")
}

csv_open <- function(reader) {
  con <- csv_connection(reader$path)
  if (reader$header_bytes > 0) readBin(con, "raw", reader$header_bytes)
  list(con = con)
}

#' Chunk i of a CSV file: its bytes read from the connection (as one
#' string: readChar() is faster than readBin() and rawToChar()), parsed
#' unless skipped
#' @noRd
csv_read <- function(reader, state, i, skip, n_threads, before) {
  size <- reader$chunk_bytes[i]
  text <- readChar(state$con, size, useBytes = TRUE)
  if (length(text) == 0L || nchar(text, type = "bytes") != size) {
    stop("the file is shorter than it was; it has changed.")
  }
  if (skip) return(NULL)
  if (i > 1L) return(csv_parse(reader, text, n_threads, before))
  # The first rows not parsing most often means a wrong separator.
  tryCatch(csv_parse(reader, text, n_threads, before), error = function(e) {
    stop(sprintf("%s Check `sep`: the rows were split at %s.", conditionMessage(e),
                 describe_sep(reader$sep, reader$sep_given)), call. = FALSE)
  })
}

#' Parse whole lines of text as a double matrix of the reader's
#' columns; a column that is not numeric, or lines that do not parse, stop
#' it with the row at fault (`before` rows come before these)
#' @noRd
csv_parse <- function(reader, text, n_threads, before = 0) {
  # Blank lines only (fread() stops on them): no rows. The search ends at the
  # first character that is not blank, at once in a chunk of rows.
  if (!grepl("[^[:space:]]", text, useBytes = TRUE)) {
    return(matrix(numeric(), 0L, length(reader$select), dimnames = list(NULL, reader$names)))
  }
  # fread()'s `select` drops the fields past those selected silently, so the
  # fields of the chunk's first line are counted against the file's. (A
  # line that does not parse alone is left to the parse of the chunk.)
  fields <- tryCatch({
    line <- csv_first_line(text)
    if (is.null(line)) 0L else length(csv_split(line, reader$sep, reader$options$quote))
  }, error = function(e) 0L)
  if (fields > 0L && !is.null(reader$n_fields) && fields != reader$n_fields) {
    stop(sprintf("row %s has %s where %s %d.", format(before + 1, scientific = FALSE),
                 count_fields(fields),
                 if (reader$header) "the header has" else "the first row has", reader$n_fields))
  }
  # fread() on one thread: on a chunk, a second thread costs more than it
  # saves on a loaded machine; the passes' arithmetic takes n_threads.
  warnings <- character()
  table <- withCallingHandlers(
    do.call(data.table::fread, c(list(
      text = text, sep = reader$sep, header = FALSE, select = reader$select,
      colClasses = "double", blank.lines.skip = TRUE, showProgress = FALSE,
      nThread = 1L, data.table = FALSE
    ), reader$options)),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  numeric <- vapply(table, is.double, logical(1))
  if (!all(numeric) || ncol(table) != length(reader$select)) {
    j <- which(!numeric)[1L]
    if (is.na(j)) {
      stop(sprintf("its lines have %d fields, not %d.", ncol(table), length(reader$select)))
    }
    values <- table[[j]]
    name <- if (is.null(reader$names)) sprintf("column %d", reader$select[j]) else
      sprintf("column `%s`", reader$names[j])
    row <- csv_first_text(values, if (is.null(reader$options$dec)) "." else reader$options$dec)
    if (is.na(row)) stop(sprintf("%s is not numeric.", name))
    stop(sprintf("%s is not numeric: row %s holds \"%s\".", name,
                 format(before + row, scientific = FALSE), values[row]))
  }
  if (length(warnings) > 0L) stop(warnings[1L])
  x <- matrix(unlist(table, use.names = FALSE), nrow = nrow(table))
  if (!is.null(reader$names)) colnames(x) <- reader$names
  x
}

#' The first of `values` (a column fread() read as text) that is not a
#' number as fread() reads one (R reads some more: "0x1A", "1e999"), or NA
#' @noRd
csv_first_text <- function(values, dec = ".") {
  values <- trimws(values)
  point <- gsub("([.\\\\])", "\\\\\\1", dec)
  decimal <- sprintf("^[-+]?([0-9]+(%s[0-9]*)?|%s[0-9]+)([eE][-+]?[0-9]+)?$", point, point)
  special <- "^[-+]?(inf|infinity|nan|na)$"
  number <- suppressWarnings(as.numeric(sub(dec, ".", values, fixed = TRUE)))
  plain <- is.na(values) | !nzchar(values) | grepl(special, values, ignore.case = TRUE) |
    (grepl(decimal, values) & is.finite(number))
  which(!plain)[1L]
}

#' The first line of text that is not blank, or NULL, looked for in a
#' growing prefix of the text: regmatches() on all of it would copy it
#' (an error if the text is not valid in the locale's encoding)
#' @noRd
csv_first_line <- function(text) {
  total <- nchar(text, type = "bytes")
  size <- 65536
  repeat {
    head <- substr(text, 1L, size)
    whole <- nchar(head, type = "bytes") >= total
    found <- regexpr("[^\r\n]*[^[:space:]][^\r\n]*", head, useBytes = TRUE)
    if (found > 0L) {
      # The line ends inside the prefix, or at the end of the text.
      if (whole || found + attr(found, "match.length") <= nchar(head, type = "bytes")) {
        return(regmatches(head, found))
      }
    } else if (whole) {
      return(NULL)
    }
    size <- 4 * size
  }
}

#' The chunks of a CSV file: the bytes of every `rows_per_chunk` lines,
#' found by a scan for line ends that keeps one block of the file in memory
#' @noRd
csv_index <- function(reader) {
  con <- csv_connection(reader$path)
  on.exit(close(con))
  if (reader$header_bytes > 0) readBin(con, "raw", reader$header_bytes)
  block_bytes <- 4 * 1024^2
  per_chunk <- reader$rows_per_chunk
  sizes <- numeric()
  lines <- 0 # lines ended in the current chunk
  size <- 0 # its bytes so far
  last <- as.raw(10L)
  repeat {
    block <- readBin(con, "raw", block_bytes)
    if (length(block) == 0L) break
    last <- block[length(block)]
    ends <- grepRaw(as.raw(10L), block, all = TRUE, fixed = TRUE)
    used <- 0
    # The chunks that end in this block.
    while (lines + length(ends) >= per_chunk) {
      cut <- ends[per_chunk - lines]
      sizes <- c(sizes, size + cut - used)
      ends <- ends[-seq_len(per_chunk - lines)]
      used <- cut
      size <- 0
      lines <- 0
    }
    lines <- lines + length(ends)
    size <- size + length(block) - used
  }
  # The last lines, a last line without a line end too (blank lines are
  # skipped by the parser).
  if (size > 0) sizes <- c(sizes, size)
  reader$chunk_bytes <- sizes
  reader
}

# File-backed big.matrix --------------------------------------------------------

#' bigmemory's types: readBin()'s reading of them and their NA
#' @noRd
big_matrix_types <- list(
  double = list(what = "double", size = 8L, signed = TRUE, na = NULL),
  float = list(what = "double", size = 4L, signed = TRUE, na = NULL),
  integer = list(what = "integer", size = 4L, signed = TRUE, na = NULL),
  short = list(what = "integer", size = 2L, signed = TRUE, na = -32768L),
  char = list(what = "integer", size = 1L, signed = TRUE, na = -128L),
  raw = list(what = "integer", size = 1L, signed = FALSE, na = NULL)
)

#' A reader of a file-backed big.matrix's backing file, from its descriptor
#' @noRd
big_matrix_reader <- function(path, chunk_rows, columns, call) {
  if (!requireNamespace("bigmemory", quietly = TRUE)) {
    softmix_abort("Reading a big.matrix needs the bigmemory package; install it.", call)
  }
  where <- NULL
  if (inherits(path, "big.matrix")) {
    if (!bigmemory::is.filebacked(path)) {
      softmix_abort("`path` is a big.matrix in memory, not a file-backed one.", call)
    }
    path <- bigmemory::describe(path)
  }
  if (is.character(path)) {
    where <- dirname(path)
    descriptor <- tryCatch(dget(path), error = function(e) {
      softmix_abort(sprintf("`path`: %s is not a big.matrix descriptor (%s).", path,
                            conditionMessage(e)), call)
    })
  } else {
    descriptor <- path
  }
  info <- if (isS4(descriptor)) descriptor@description else descriptor
  if (!is.list(info) || is.null(info$type) || is.null(info$totalRows)) {
    softmix_abort("`path` is not a big.matrix descriptor.", call)
  }
  if (!identical(info$sharedType, "FileBacked")) {
    softmix_abort("`path` describes a big.matrix in shared memory, not a file-backed one.", call)
  }
  if (isTRUE(info$separated)) {
    softmix_abort("`path` describes a big.matrix with separated columns; not supported.", call)
  }
  type <- big_matrix_types[[info$type]]
  if (is.null(type)) {
    softmix_abort(sprintf("big.matrix type \"%s\" is not supported.", info$type), call)
  }
  candidates <- c(if (!is.null(where)) file.path(where, info$filename),
                  file.path(info$dirname, info$filename))
  backing <- candidates[file.exists(candidates)][1L]
  if (is.na(backing)) {
    softmix_abort(sprintf("The backing file %s of the big.matrix is not there.", candidates[1L]),
                  call)
  }
  backing <- normalizePath(backing)
  n <- info$nrow
  all_names <- info$colNames
  select <- resolve_columns(columns, if (is.null(all_names)) paste0("V", seq_len(info$ncol))
                            else all_names, backing, call)
  starts <- if (n > 0) seq(0, n - 1, by = chunk_rows) else numeric()
  rows_per_chunk <- chunk_rows
  chunk_rows <- pmin(chunk_rows, n - starts)
  list(format = "big.matrix", path = backing, type = type,
       total_rows = as.numeric(info$totalRows), row_offset = info$rowOffset[1L],
       column_offsets = info$colOffset[1L] + select - 1, select = select,
       names = if (is.null(all_names)) NULL else all_names[select],
       rows_per_chunk = rows_per_chunk, chunk_rows = as.numeric(chunk_rows),
       describe = sprintf("big.matrix backed by %s (%s)", backing, info$type),
       open = function(reader) list(con = file(reader$path, "rb")),
       close = function(state) close(state$con),
       read = big_matrix_read)
}

#' Chunk i of a big.matrix: its rows of every column, one read per column
#' @noRd
big_matrix_read <- function(reader, state, i, skip, n_threads, before) {
  if (skip) return(NULL)
  rows <- reader$chunk_rows[i]
  first <- sum(reader$chunk_rows[seq_len(i - 1L)])
  type <- reader$type
  x <- matrix(0, rows, length(reader$select), dimnames = list(NULL, reader$names))
  for (j in seq_along(reader$select)) {
    seek(state$con, (reader$column_offsets[j] * reader$total_rows + reader$row_offset + first) *
           type$size)
    values <- readBin(state$con, type$what, rows, size = type$size, signed = type$signed,
                      endian = .Platform$endian)
    if (length(values) != rows) stop("the backing file is shorter than its descriptor says.")
    if (!is.null(type$na)) values[values == type$na] <- NA
    x[, j] <- values
  }
  x
}
