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
  expect_error(softmix(data, 2, init = "hc", n_threads = 1), "Reading .* failed",
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
