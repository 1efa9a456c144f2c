# References: the fit's own fields, table() of its classification, and
# predict() for new data; the generics package provides the generics.

tidy_fit <- with_seed(1, softmix(iris_x, k = 3, model = "VVV", n_threads = 1))

test_that("tidy() has one row per component with size, proportion and means", {
  skip_if_not_installed("generics")
  tidied <- generics::tidy(tidy_fit)
  expect_s3_class(tidied, "data.frame")
  expect_identical(names(tidied), c("component", "size", "proportion",
                                    paste0("mean.", colnames(iris_x))))
  expect_identical(tidied$component, factor(1:3))
  expect_identical(tidied$size,
                   as.integer(table(factor(tidy_fit$classification, levels = 1:3))))
  expect_identical(sum(tidied$size), 150L)
  expect_identical(tidied$proportion, tidy_fit$parameters$proportions)
  expect_identical(unname(as.matrix(tidied[, 4:7])), unname(tidy_fit$parameters$means))
})

test_that("tidy() names means V1, V2, ... for data without column names, a vector by its expression", {
  skip_if_not_installed("generics")
  fit <- with_seed(1, softmix(unname(faithful_x), k = 2, n_threads = 1))
  expect_identical(names(generics::tidy(fit))[4:5], c("mean.V1", "mean.V2"))
  one_d <- with_seed(1, softmix(sim_1d, k = 2, model = "V", n_threads = 1))
  # A vector's variable is named after its expression (see ?softmix).
  expect_identical(names(generics::tidy(one_d)),
                   c("component", "size", "proportion", "mean.sim_1d"))
})

test_that("glance() is one row of the fit's statistics", {
  skip_if_not_installed("generics")
  glanced <- generics::glance(tidy_fit)
  expect_s3_class(glanced, "data.frame")
  expect_identical(nrow(glanced), 1L)
  expect_identical(names(glanced), c("k", "model", "loglik", "df", "bic", "icl", "n", "nobs",
                                     "converged", "iterations"))
  expect_identical(
    as.list(glanced),
    list(k = 3L, model = "VVV", loglik = tidy_fit$loglik, df = tidy_fit$df, bic = tidy_fit$bic,
         icl = tidy_fit$icl, n = 150L, nobs = 150L, converged = tidy_fit$converged,
         iterations = tidy_fit$iterations)
  )
  # BIC of the logLik object, to 1e-12 relative.
  expect_max_diff(glanced$bic, BIC(tidy_fit), 1e-12, relative = TRUE)
})

test_that("augment() adds the class, uncertainty and posterior to the data", {
  skip_if_not_installed("generics")
  augmented <- generics::augment(tidy_fit)
  expect_identical(names(augmented), c(colnames(iris_x), ".class", ".uncertainty",
                                       paste0(".posterior_", 1:3)))
  expect_identical(nrow(augmented), 150L)
  expect_identical(unname(as.matrix(augmented[, 1:4])), unname(iris_x))
  expect_identical(augmented$.class, factor(tidy_fit$classification, levels = 1:3))
  # Uncertainty to 1e-15 absolute against the fit's.
  expect_max_diff(augmented$.uncertainty, tidy_fit$uncertainty, 1e-15)
  expect_identical(unname(as.matrix(augmented[, 7:9])), unname(tidy_fit$posterior))
})

test_that("augment() keeps extra columns of the original data", {
  skip_if_not_installed("generics")
  augmented <- generics::augment(tidy_fit, data = iris)
  expect_identical(augmented$Species, iris$Species)
  expect_identical(augmented$.class, factor(tidy_fit$classification, levels = 1:3))
  expect_error(generics::augment(tidy_fit, data = iris[1:10, ]), "`data`",
               class = "softmix_error")
})

test_that("augment() with newdata predicts for the new observations", {
  skip_if_not_installed("generics")
  new <- iris[c(150, 2, 75), c(5, 4, 3, 2, 1)]
  augmented <- generics::augment(tidy_fit, newdata = new)
  expect_identical(augmented$Species, new$Species)
  values <- as.matrix(new[, colnames(iris_x)])
  posterior <- predict(tidy_fit, values, type = "posterior")
  # Posterior to 1e-15: the same prediction.
  expect_max_diff(unname(as.matrix(augmented[, paste0(".posterior_", 1:3)])), unname(posterior),
                  1e-15)
  expect_identical(augmented$.class, factor(predict(tidy_fit, values), levels = 1:3))
  expect_max_diff(augmented$.uncertainty, predict(tidy_fit, values, type = "uncertainty"),
                  1e-15)
  expect_error(generics::augment(tidy_fit, newdata = iris[1:3, 1:2]), "`newdata`",
               class = "softmix_error")
})

test_that("tidy() and augment() work on a fit of a file, whose rows stay on disk", {
  skip_if_not_installed("generics")
  skip_if_not_installed("data.table")
  path <- withr::local_tempfile(fileext = ".csv")
  utils::write.csv(faithful, path, row.names = FALSE)
  start <- suppressWarnings(softmix(faithful_x, 2, model = "VVV", n_threads = 1,
                                    control = softmix_control(max_iter = 2)))$parameters
  on_disk <- softmix(softmix_file(path), 2, model = "VVV", init = start, n_threads = 1)
  in_memory <- softmix(faithful_x, 2, model = "VVV", init = start, n_threads = 1)
  tidied <- generics::tidy(on_disk)
  expect_identical(names(tidied), names(generics::tidy(in_memory)))
  expect_equal(tidied$size, generics::tidy(in_memory)$size)
  expect_equal(tidied[, -2], generics::tidy(in_memory)[, -2], tolerance = 1e-10)
  expect_error(generics::augment(on_disk), "does not contain the fitted data.*`newdata`",
               class = "softmix_error")
  expect_equal(generics::augment(on_disk, newdata = faithful[1:5, ]),
               generics::augment(in_memory, newdata = faithful[1:5, ]), tolerance = 1e-10)
})

test_that("augment() of a one-dimensional fit takes a vector as newdata, as predict() does", {
  skip_if_not_installed("generics")
  one_d <- with_seed(1, softmix(faithful$waiting, k = 2, model = "V", n_threads = 1))
  augmented <- generics::augment(one_d, newdata = c(50, 80))
  expect_identical(unname(as.matrix(augmented[, c(".posterior_1", ".posterior_2")])),
                   unname(predict(one_d, c(50, 80), type = "posterior")))
})
