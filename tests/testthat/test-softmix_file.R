# Fits of data streamed from a file in chunks, against the same fits in
# memory.

expect_same_file_fit <- function(streamed, in_memory, tolerance = 1e-10) {
  expect_equal(streamed$loglik, in_memory$loglik, tolerance = tolerance)
  expect_equal(streamed$loglik_trace, in_memory$loglik_trace, tolerance = tolerance)
  expect_equal(streamed$iterations, in_memory$iterations)
  expect_equal(unclass(streamed$parameters), unclass(in_memory$parameters),
               tolerance = tolerance)
  expect_equal(streamed$bic, in_memory$bic, tolerance = tolerance)
  expect_equal(streamed$icl, in_memory$icl, tolerance = tolerance)
}

# A CSV file of `x` in a temporary directory, removed when the caller ends.
local_csv <- function(x, env = parent.frame(), ...) {
  path <- tempfile(fileext = ".csv")
  utils::write.csv(x, path, row.names = FALSE, ...)
  do.call(on.exit, list(substitute(unlink(p), list(p = path)), add = TRUE), envir = env)
  path
}

# A file-backed big.matrix of `x` (its descriptor's path), removed when the
# caller ends.
local_big_matrix <- function(x, type = "double", env = parent.frame()) {
  dir <- tempfile("bigmatrix")
  dir.create(dir)
  big <- bigmemory::as.big.matrix(x, type = type, backingfile = "x.bin",
                                  descriptorfile = "x.desc", backingpath = dir)
  rm(big)
  do.call(on.exit, list(substitute(unlink(p, recursive = TRUE), list(p = dir)), add = TRUE),
          envir = env)
  file.path(dir, "x.desc")
}

iris_start <- function() {
  suppressWarnings(softmix(iris_x, 3, model = "VVV", n_threads = 1,
                           control = softmix_control(max_iter = 5)))$parameters
}

test_that("a CSV file streamed in chunks fits as the data in memory, for several models", {
  skip_if_not_installed("data.table")
  path <- local_csv(iris[, 1:4])
  data <- softmix_file(path, chunk_rows = 40)
  expect_s3_class(data, "softmix_file")
  expect_equal(data$n, 150)
  expect_equal(data$reader$chunk_rows, c(40, 40, 40, 30))
  expect_identical(data$names, colnames(iris_x))
  expect_output(print(data), "150 rows of 4 variables in 4 chunk")
  start <- iris_start()
  control <- softmix_control(max_iter = 60)
  for (model in c("VVV", "VVI", "EEE", "EII", "VEV", "EVE")) {
    in_memory <- suppressWarnings(softmix(iris_x, 3, model = model, init = start,
                                          control = control, n_threads = 1))
    streamed <- suppressWarnings(softmix(data, 3, model = model, init = start,
                                         control = control, n_threads = 2))
    expect_same_file_fit(streamed, in_memory)
    expect_equal(unname(streamed$sizes), as.vector(table(factor(in_memory$classification, 1:3))),
                 tolerance = 1e-10)
  }
})

test_that("the default starts are the in-memory ones when the sample is the whole file", {
  skip_if_not_installed("data.table")
  path <- local_csv(faithful)
  data <- softmix_file(path, chunk_rows = 50)
  set.seed(3)
  streamed <- softmix(data, 2:3, model = c("VVV", "EEI"), n_threads = 1, verbose = FALSE)
  set.seed(3)
  in_memory <- softmix(faithful_x, 2:3, model = c("VVV", "EEI"), n_threads = 1,
                       verbose = FALSE)
  expect_equal(streamed$selection, in_memory$selection, tolerance = 1e-10)
  expect_same_file_fit(streamed, in_memory)
  expect_null(streamed$posterior)
  expect_equal(posterior(streamed), unname(in_memory$posterior), tolerance = 1e-10,
               ignore_attr = TRUE)
  expect_identical(predict(streamed, faithful_x[c(1, 50, 200), ]),
                   in_memory$classification[c(1, 50, 200)])
})

test_that("starts from a sample of the file are reproducible with set.seed()", {
  skip_if_not_installed("data.table")
  path <- local_csv(iris[, 1:4])
  data <- softmix_file(path, chunk_rows = 25)
  set.seed(8)
  one <- softmix(data, 3, model = "EEE", sample_size = 60, n_threads = 1)
  set.seed(8)
  two <- softmix(data, 3, model = "EEE", sample_size = 60, n_threads = 1)
  expect_identical(one$parameters, two$parameters)
  # The fit is EM over all the rows: from its own parameters, in-memory EM
  # stays where it is.
  again <- softmix(iris_x, 3, model = "EEE", init = one$parameters, n_threads = 1)
  expect_equal(again$loglik, one$loglik, tolerance = 1e-8)
})

test_that("CSV files without a header, with other separators, gzipped, read as the data", {
  skip_if_not_installed("data.table")
  start <- iris_start()
  in_memory <- softmix(iris_x, 3, model = "VVI", init = start, n_threads = 1)
  bare <- tempfile(fileext = ".txt")
  on.exit(unlink(bare), add = TRUE)
  utils::write.table(iris_x, bare, sep = ";", row.names = FALSE, col.names = FALSE)
  data <- softmix_file(bare, chunk_rows = 70)
  expect_null(data$names)
  expect_same_file_fit(softmix(data, 3, model = "VVI", init = start, n_threads = 1),
                       softmix(unname(iris_x), 3, model = "VVI", init = start, n_threads = 1))
  zipped <- tempfile(fileext = ".csv.gz")
  on.exit(unlink(zipped), add = TRUE)
  connection <- gzfile(zipped, "w")
  utils::write.csv(iris[, 1:4], connection, row.names = FALSE)
  close(connection)
  data <- softmix_file(zipped, chunk_rows = 64)
  expect_same_file_fit(softmix(data, 3, model = "VVI", init = start, n_threads = 1),
                       in_memory)
  # Columns chosen by name, from a file that has others.
  path <- local_csv(iris)
  data <- softmix_file(path, columns = colnames(iris_x)[c(1, 3)], chunk_rows = 33)
  expect_identical(data$names, colnames(iris_x)[c(1, 3)])
  two <- iris_x[, c(1, 3)]
  start2 <- mixture_params(start$proportions, start$means[, c(1, 3)],
                            start$covariances[c(1, 3), c(1, 3), ])
  expect_same_file_fit(softmix(data, 3, init = start2, n_threads = 1),
                       softmix(two, 3, init = start2, n_threads = 1))
})

test_that("a file-backed big.matrix streamed in row blocks fits as the data in memory", {
  skip_if_not_installed("bigmemory")
  desc <- local_big_matrix(iris_x)
  data <- softmix_file(desc, chunk_rows = 33)
  expect_equal(data$reader$chunk_rows, c(33, 33, 33, 33, 18))
  expect_identical(data$names, colnames(iris_x))
  start <- iris_start()
  control <- softmix_control(max_iter = 60)
  for (model in c("VVV", "VVI", "EEE", "VII")) {
    in_memory <- suppressWarnings(softmix(iris_x, 3, model = model, init = start,
                                          control = control, n_threads = 1))
    streamed <- suppressWarnings(softmix(data, 3, model = model, init = start,
                                         control = control, n_threads = 2))
    expect_same_file_fit(streamed, in_memory)
  }
  # The descriptor object and the big.matrix itself, and integer storage.
  counts <- round(faithful_x * 10)
  storage.mode(counts) <- "integer"
  desc <- local_big_matrix(counts, type = "integer")
  big <- bigmemory::attach.big.matrix(desc)
  set.seed(4)
  in_memory <- softmix(counts, 2, n_threads = 1)
  set.seed(4)
  from_object <- softmix(softmix_file(bigmemory::describe(big), chunk_rows = 100), 2,
                         n_threads = 1)
  expect_same_file_fit(from_object, in_memory)
  set.seed(4)
  from_matrix <- softmix(softmix_file(big, columns = 2:1), 2, n_threads = 1)
  set.seed(4)
  expect_same_file_fit(from_matrix, softmix(counts[, 2:1], 2, n_threads = 1))
})

test_that("bad files and arguments stop with errors naming the file and row", {
  skip_if_not_installed("data.table")
  missing_path <- file.path(tempdir(), "no-such-file.csv")
  expect_error(softmix_file(missing_path), "no file .*no-such-file.csv", class = "softmix_error")
  path <- local_csv(iris[, 1:4])
  expect_error(softmix_file(path, chunk_rows = 0), "`chunk_rows`", class = "softmix_error")
  expect_error(softmix_file(path, chunk_rows = 2.5), "`chunk_rows`", class = "softmix_error")
  expect_error(softmix_file(path, chunk_rows = "a"), "`chunk_rows`", class = "softmix_error")
  expect_error(softmix_file(path, columns = "Species"), "no column.*Species",
               class = "softmix_error")
  expect_error(softmix_file(path, skip = 3), "skip", class = "softmix_error")
  # The fit's arguments belong to softmix(), not to the reader.
  expect_error(softmix_file(path, k = 3, n_threads = 1),
               "data.table::fread\\(\\), and `k`, `n_threads` are not one of them.*softmix\\(\\)",
               class = "softmix_error")
  expect_error(softmix_file(path, format = "xlsx"), "`format`", class = "softmix_error")
  words <- iris[, 1:4]
  words$Petal.Width <- as.character(words$Petal.Width)
  words$Petal.Width[97] <- "wide"
  path <- local_csv(words)
  expect_error(softmix_file(path, chunk_rows = 40), "`Petal.Width` is not numeric: row 97",
               class = "softmix_error")
  expect_error(softmix_file(local_csv(iris)), "`Species` is not numeric: row 1",
               class = "softmix_error")
  holes <- iris[, 1:4]
  holes[123, 2] <- NA
  path <- local_csv(holes)
  expect_error(softmix_file(path, chunk_rows = 50),
               paste0("\\Q", path, "\\E has a missing value .* in row 123"),
               class = "softmix_error")
  infinite <- iris[, 1:4]
  infinite[7, 1] <- Inf
  expect_error(softmix_file(local_csv(infinite)), "an infinite value in row 7",
               class = "softmix_error")
  ragged <- tempfile(fileext = ".csv")
  on.exit(unlink(ragged), add = TRUE)
  writeLines(c("a,b", "1,2", "3,4", "5", "6,7"), ragged)
  expect_error(softmix_file(ragged), "Reading .* failed", class = "softmix_error")
  empty <- tempfile(fileext = ".csv")
  on.exit(unlink(empty), add = TRUE)
  writeLines("a,b", empty)
  expect_error(softmix_file(empty), "no rows", class = "softmix_error")
})

test_that("a file that changes between passes stops the fit", {
  skip_if_not_installed("data.table")
  path <- local_csv(iris[, 1:4])
  data <- softmix_file(path, chunk_rows = 40)
  utils::write.csv(iris[1:100, 1:4], path, row.names = FALSE)
  expect_error(softmix(data, 2, init = "hc", n_threads = 1),
               paste0("\\Q", path, "\\E has changed since softmix_file\\(\\) read it"),
               class = "softmix_shard_error")
})

test_that("rows appended after softmix_file() stop the fit and posterior()", {
  skip_if_not_installed("data.table")
  path <- local_csv(faithful)
  data <- softmix_file(path, chunk_rows = 100)
  fit <- with_seed(1, softmix(data, 2, n_threads = 1))
  cat("3.1,70\n", file = path, append = TRUE)
  changed <- paste0("\\Q", path, "\\E has changed since softmix_file\\(\\) read it")
  expect_error(softmix(data, 2, n_threads = 1), changed, class = "softmix_shard_error")
  expect_error(softmix(data, 1:3, n_threads = 1), changed, class = "softmix_shard_error")
  expect_error(posterior(fit), changed, class = "softmix_shard_error")
})

test_that("a big.matrix whose backing file changes stops the fit", {
  skip_if_not_installed("bigmemory")
  desc <- local_big_matrix(faithful_x)
  data <- softmix_file(desc, chunk_rows = 100)
  backing <- file.path(dirname(desc), "x.bin")
  connection <- file(backing, "ab")
  writeBin(c(1, 2), connection)
  close(connection)
  expect_error(softmix(data, 2, n_threads = 1),
               paste0("\\Q", normalizePath(backing), "\\E has changed since softmix_file"),
               class = "softmix_shard_error")
})

test_that("a file that is gone or cannot be opened stops a model selection, naming it", {
  skip_if_not_installed("data.table")
  path <- local_csv(faithful)
  data <- softmix_file(path, chunk_rows = 100)
  # The file unchanged but failing to open: the selection stops at once.
  failing <- data
  failing$reader$open <- function(reader) stop("cannot open the connection")
  expect_error(softmix(failing, 1:3, model = "VVV", n_threads = 1),
               paste0("Reading \\Q", path, "\\E failed: cannot open the connection"),
               class = "softmix_shard_error")
  unlink(path)
  expect_error(softmix(data, 1:3, model = "VVV", n_threads = 1),
               paste0("\\Q", path, "\\E is not there any more"),
               class = "softmix_shard_error")
})

test_that("a header and rows with different numbers of fields stop with both counts", {
  skip_if_not_installed("data.table")
  write_lines <- function(lines) {
    path <- tempfile(fileext = ".csv")
    do.call(on.exit, list(substitute(unlink(p), list(p = path)), add = TRUE),
            envir = parent.frame())
    writeLines(lines, path)
    path
  }
  # write.table()'s row names: one field more in the rows than the header.
  row_names <- tempfile(fileext = ".csv")
  on.exit(unlink(row_names), add = TRUE)
  utils::write.table(faithful, row_names, sep = ",")
  expect_error(softmix_file(row_names),
               paste0("The header of \\Q", row_names,
                      "\\E has 2 fields but its rows have 3.*`row.names = FALSE`"),
               class = "softmix_error")
  expect_error(softmix_file(write_lines(c("eruptions", "1,2", "3,4"))),
               "has 1 field but its rows have 2", class = "softmix_error")
  expect_error(softmix_file(write_lines(c("a,b", "1,2,3", "4,5,6"))),
               "has 2 fields but its rows have 3", class = "softmix_error")
  expect_error(softmix_file(write_lines(c("a,b,c", "1,2", "4,5"))),
               "has 3 fields but its rows have 2", class = "softmix_error")
  # Rows further on, in a later chunk, checked against all the file's
  # fields, not only the columns read.
  wider <- write_lines(c("a,b", "1,2", "3,4", "5,6,7", "8,9,1"))
  expect_error(softmix_file(wider, chunk_rows = 2),
               "failed after row 2: row 3 has 3 fields where the header has 2",
               class = "softmix_error")
  expect_error(softmix_file(wider, chunk_rows = 2, columns = "a"),
               "row 3 has 3 fields where the header has 2", class = "softmix_error")
  expect_error(softmix_file(write_lines(c("1,2,3", "4,5,6", "7,8", "9,1")), chunk_rows = 2),
               "row 3 has 2 fields where the first row has 3", class = "softmix_error")
})

test_that("a wrong separator names the file and `sep`", {
  skip_if_not_installed("data.table")
  quoted <- local_csv(faithful)
  expect_error(softmix_file(quoted, sep = ";"),
               paste0("first line of \\Q", quoted, "\\E with `sep` = \";\" \\(given\\)",
                      ".*Check `sep`"),
               class = "softmix_error")
  bare <- local_csv(faithful, quote = FALSE)
  expect_error(softmix_file(bare, sep = ";"),
               paste0("Reading \\Q", bare, "\\E failed after row 0: .*Check `sep`: ",
                      "the rows were split at \";\" \\(given\\)"),
               class = "softmix_error")
})

test_that("a big.matrix with missing values names the row", {
  skip_if_not_installed("bigmemory")
  holes <- iris_x
  holes[88, 3] <- NA
  expect_error(softmix_file(local_big_matrix(holes), chunk_rows = 40),
               "missing value .* in row 88", class = "softmix_error")
  expect_error(softmix_file(local_big_matrix(holes), sep = ","), "Unused argument",
               class = "softmix_error")
})

test_that("predict() on a fit of a file takes new data by name and says it keeps no rows", {
  skip_if_not_installed("data.table")
  path <- local_csv(iris[, 1:4])
  set.seed(1)
  fit <- suppressWarnings(softmix(softmix_file(path, chunk_rows = 40), 3, n_threads = 1))
  expect_error(predict(fit), "does not contain the fitted data.*`newdata`",
               class = "softmix_error")
  # Columns by name, in any order, as for a fit in memory; the reference is
  # e_step() on the data in the fitted order.
  reversed <- iris[, 4:1]
  expected <- e_step(iris_x, fit$parameters, n_threads = 1)$posterior
  expect_equal(predict(fit, reversed, type = "posterior"), expected, tolerance = 1e-12,
               ignore_attr = TRUE)
  expect_equal(predict(fit, reversed), max.col(expected, ties.method = "first"))
})

test_that("blank lines, before the header or filling whole chunks, are skipped", {
  skip_if_not_installed("data.table")
  lines <- c("eruptions,waiting", paste(faithful$eruptions, faithful$waiting, sep = ","))
  path <- tempfile(fileext = ".csv")
  on.exit(unlink(path), add = TRUE)
  # Blank lines first, and a run of them longer than a chunk in the rows.
  writeLines(c("", "  ", lines[1:51], rep("", 5), lines[-(1:51)], ""), path)
  data <- softmix_file(path, chunk_rows = 3)
  expect_equal(data$n, 272)
  expect_identical(data$names, colnames(faithful_x))
  start <- softmix(faithful_x, 2, init = "hc", n_threads = 1)$parameters
  in_memory <- softmix(faithful_x, 2, init = start, n_threads = 1)
  streamed <- softmix(data, 2, init = start, n_threads = 1)
  expect_same_file_fit(streamed, in_memory)
  expect_equal(posterior(streamed), unname(in_memory$posterior), tolerance = 1e-10,
               ignore_attr = TRUE)
  # The whole file as the sample: the default starts are the in-memory ones.
  set.seed(2)
  default_start <- softmix(data, 2, model = "EEE", n_threads = 1)
  set.seed(2)
  expect_same_file_fit(default_start, softmix(faithful_x, 2, model = "EEE", n_threads = 1))
  # A header and blank lines only: no rows, said so.
  writeLines(c("a,b", "", "", ""), path)
  expect_error(softmix_file(path, chunk_rows = 2), "holds no rows", class = "softmix_error")
})

test_that("a value fread() reads as text is named with its row, also one R reads", {
  skip_if_not_installed("data.table")
  for (value in c("0x10", "1e999", "1.2.3")) {
    values <- faithful
    values$waiting <- as.character(values$waiting)
    values$waiting[30] <- value
    path <- local_csv(values, quote = FALSE)
    expect_error(softmix_file(path, chunk_rows = 20),
                 sprintf("column `waiting` is not numeric: row 30 holds \"\\Q%s\\E\"", value),
                 class = "softmix_error")
  }
})

test_that("no columns, a directory, and settings a file cannot carry are named", {
  skip_if_not_installed("data.table")
  path <- local_csv(faithful)
  expect_error(softmix_file(path, columns = character()), "`columns` must name columns",
               class = "softmix_error")
  expect_error(softmix_file(tempdir()), "`path`: .* is a directory, not a file",
               class = "softmix_error")
  data <- softmix_file(path, chunk_rows = 100)
  expect_error(softmix(data, 2, weights = rep(1, 272), n_threads = 1),
               "`weights` and `labels` are not available for a softmix_file\\(\\)",
               class = "softmix_error")
  expect_error(softmix(data, 2, weight_type = "sampling", n_threads = 1),
               "`weight_type = \"sampling\"` needs `weights`.*softmix_file\\(\\)",
               class = "softmix_error")
  # Labels or a posterior as `init` need the rows, whether or not the
  # sample is the whole file.
  labels <- ifelse(faithful$eruptions > 3, 1L, 2L)
  for (size in c(100, 2000)) {
    expect_error(softmix(data, 2, init = labels, sample_size = size, n_threads = 1),
                 "starting posterior or labels \\(`init`\\) need the rows in memory",
                 class = "softmix_error")
  }
  expect_error(softmix(data, 2, init = cbind(labels == 1, labels == 2) * 1, n_threads = 1),
               "starting posterior or labels", class = "softmix_error")
})

test_that("a file's fit names what it lacks: rows to impute, or enough sampled rows for k", {
  skip_if_not_installed("data.table")
  path <- local_csv(iris[, 1:4])
  data <- softmix_file(path, chunk_rows = 40)
  set.seed(1)
  fit <- softmix(data, 2, n_threads = 1)
  expect_error(fitted(fit, type = "imputed"),
               "does not contain the fitted data.*posterior\\(\\) reads their posterior",
               class = "softmix_error")
  expect_equal(fitted(fit), max.col(e_step(iris_x, fit$parameters, n_threads = 1)$posterior,
                                    ties.method = "first"))
  for (init in list("hc", "kmeans++")) {
    expect_error(softmix(data, 5, init = init, sample_size = 3, n_threads = 1),
                 "`k` \\(5\\) is more than the 3 rows drawn \\(`sample_size`\\)",
                 class = "softmix_error")
  }
  # Given parameters need no sample rows.
  start <- fit$parameters
  expect_same_file_fit(softmix(data, 2, init = start, sample_size = 1, n_threads = 1),
                       softmix(iris_x, 2, init = start, n_threads = 1))
})

test_that("functions other than softmix() say a file's rows must be in memory", {
  skip_if_not_installed("data.table")
  path <- local_csv(iris[, 1:4])
  data <- softmix_file(path, chunk_rows = 40)
  params <- mixture_params(1, colMeans(iris_x), stats::cov(iris_x))
  # Each used to say "`x` must be a numeric matrix, data frame or vector,
  # not a list".
  calls <- list(quote(softmix_lrt(data, 1, B = 2, n_threads = 1)),
                quote(softmix_da(data, iris$Species, n_threads = 1)),
                quote(softmix_hc(data)), quote(dmixture(data, params)),
                quote(e_step(data, params)))
  for (call in calls) {
    expect_error(eval(call), "is a softmix_file\\(\\) object: only softmix\\(\\) fits data on disk",
                 class = "softmix_error")
  }
})
