# References: mclust::me() fits from the same starting partition with
# mclust::bic() and mclust::icl(), the brute-force E step of
# helper-reference.R, and sums over the returned posterior in plain R.

selection_columns <- c("k", "model", "loglik", "df", "bic", "icl", "converged", "iterations",
                       "message")

# mclust's ICL of a fit given by its posterior, sizes and (mclust-scale) BIC:
# mclust::icl() reads only these fields of an Mclust object.
mclust_icl <- function(z, mclust_bic) {
  mclust::icl(structure(list(n = nrow(z), z = z, bic = mclust_bic), class = "Mclust"))
}

# ICL on softmix's scale from a posterior, by definition: BIC minus twice the
# sum of the log of each observation's largest posterior probability.
brute_icl <- function(bic, posterior) {
  bic - 2 * sum(log(apply(posterior, 1, max)))
}

# Two unit-variance groups 2.8 apart: BIC prefers two components, ICL, which
# penalises their overlap, one.
overlapping_1d <- with_seed(3, c(rnorm(200, 0, 1), rnorm(200, 2.8, 1)))

test_that("the selection table has one row per pair and the documented columns", {
  fit <- with_seed(1, softmix(faithful_x, k = 1:3, model = c("VVV", "EII", "VVI"),
                              n_threads = 1))
  selection <- fit$selection
  expect_s3_class(selection, "data.frame")
  expect_identical(names(selection), selection_columns)
  expect_identical(selection$k, rep(1:3, 3))
  expect_identical(selection$model, rep(c("VVV", "EII", "VVI"), each = 3))
  expect_type(selection$loglik, "double")
  expect_type(selection$converged, "logical")
  expect_type(selection$iterations, "integer")
  expect_identical(selection$message, rep("", 9))
  expect_true(all(selection$converged))
  # Parameter counts are whole numbers: compared exactly with mclust's.
  skip_if_not_installed("mclust")
  expect_identical(as.numeric(selection$df),
                   as.numeric(mapply(mclust::nMclustParams, selection$model, 2, selection$k)))
})

test_that("every row's loglik, bic and icl match mclust fitted from the same partition", {
  skip_if_not_installed("mclust")
  models <- c("EII", "VII", "EEI", "VVI", "EEE", "VVV")
  labels <- kmeans_labels(iris_x, 3)
  fit <- softmix(iris_x, k = 3, model = models, init = labels,
                 control = softmix_control(tol = 1e-12, reg = 0), n_threads = 1)
  selection <- fit$selection
  for (model in models) {
    me_model <- getExportedValue("mclust", paste0("me", model))
    reference <- me_model(iris_x, z = mclust::unmap(labels),
                          control = mclust::emControl(tol = c(1e-12, 1e-12)))
    reference_bic <- mclust::bic(model, reference$loglik, n = 150, d = 4, G = 3)
    row <- selection[selection$model == model, ]
    # Tolerance 1e-7 relative: both fits converge to 1e-12 from one partition.
    expect_max_diff(row$loglik, reference$loglik, 1e-7, relative = TRUE)
    expect_max_diff(row$bic, -reference_bic, 1e-7, relative = TRUE)
    expect_max_diff(row$icl, -mclust_icl(reference$z, reference_bic), 1e-6, relative = TRUE)
  }
})

test_that("the fit's icl is mclust::icl() of the same fit, with the sign reversed", {
  skip_if_not_installed("mclust")
  for (k in 1:3) {
    fit <- with_seed(1, softmix(faithful_x, k = k, model = "VVV", n_threads = 1))
    # Tolerance 1e-12 relative: the same numbers, summed in another order.
    expect_max_diff(fit$icl, -mclust_icl(fit$posterior, -fit$bic), 1e-12, relative = TRUE)
    expect_max_diff(fit$icl, brute_icl(fit$bic, fit$posterior), 1e-12, relative = TRUE)
  }
  one <- with_seed(1, softmix(faithful_x, k = 1, n_threads = 1))
  expect_identical(one$icl, one$bic)
})

test_that("the chosen fit has the lowest criterion and its row matches it", {
  for (criterion in c("bic", "icl")) {
    fit <- with_seed(2, softmix(iris_x, k = 1:4, model = c("VVV", "EEE", "VII"),
                                criterion = criterion, n_threads = 1))
    selection <- fit$selection
    best <- which.min(selection[[criterion]])
    expect_identical(fit$criterion, criterion)
    expect_identical(c(fit$k, fit$model), c(selection$k[best], selection$model[best]))
    row <- selection[best, ]
    expect_identical(c(row$loglik, row$bic, row$icl), c(fit$loglik, fit$bic, fit$icl))
    expect_identical(c(row$converged, row$iterations), c(fit$converged, fit$iterations))
    # The chosen fit's numbers against mvtnorm and the returned posterior, to 1e-9 relative.
    reference <- ref_e_step(iris_x, fit$parameters)
    expect_max_diff(fit$loglik, reference$loglik, 1e-9, relative = TRUE)
    expect_max_diff(fit$bic, -2 * reference$loglik + fit$df * log(150), 1e-9, relative = TRUE)
    expect_max_diff(fit$icl, brute_icl(fit$bic, reference$posterior), 1e-9, relative = TRUE)
    # Every row: BIC from its loglik and df; ICL never below BIC.
    expect_max_diff(selection$bic, -2 * selection$loglik + selection$df * log(150), 1e-12,
                    relative = TRUE)
    expect_true(all(selection$icl >= selection$bic))
  }
})

test_that("the criterion changes the choice when components overlap", {
  by_bic <- with_seed(1, softmix(overlapping_1d, k = 1:2, model = "E", n_threads = 1))
  by_icl <- with_seed(1, softmix(overlapping_1d, k = 1:2, model = "E", criterion = "icl",
                                 n_threads = 1))
  expect_identical(by_bic$k, 2L)
  expect_identical(by_icl$k, 1L)
  expect_identical(by_bic$criterion, "bic")
  expect_identical(by_icl$criterion, "icl")
  expect_true(by_bic$selection$bic[2] < by_bic$selection$bic[1])
  expect_true(by_icl$selection$icl[1] < by_icl$selection$icl[2])
})

test_that("a pair that fails is reported with its message and skipped", {
  # A constant column makes every covariance with its own variance for that
  # column singular when reg = 0; EII's variance is shared by all columns.
  x <- cbind(faithful_x, constant = 1)
  fit <- with_seed(1, softmix(x, k = 1:2, model = c("EII", "VVV", "VVI"),
                              control = softmix_control(reg = 0), n_threads = 1, verbose = FALSE))
  selection <- fit$selection
  expect_identical(nrow(selection), 6L)
  failed <- selection$model != "EII"
  expect_true(all(grepl("not positive definite", selection$message[failed])))
  expect_true(all(grepl("`reg`", selection$message[failed], fixed = TRUE)))
  for (column in c("loglik", "bic", "icl", "converged", "iterations")) {
    expect_true(all(is.na(selection[[column]][failed])))
    expect_true(all(!is.na(selection[[column]][!failed])))
  }
  expect_true(all(is.finite(selection$df)))
  expect_identical(selection$message[!failed], c("", ""))
  expect_identical(fit$model, "EII")
  expect_identical(fit$bic, min(selection$bic, na.rm = TRUE))
})

test_that("k as large as n fails alone when reg = 0", {
  x <- with_seed(4, matrix(rnorm(16), 8, 2))
  fit <- with_seed(1, softmix(x, k = c(1, 8), model = "VVV",
                              control = softmix_control(reg = 0), n_threads = 1))
  expect_identical(fit$selection$k, c(1L, 8L))
  expect_identical(fit$selection$message[1], "")
  expect_match(fit$selection$message[2], "component")
  expect_identical(fit$k, 1L)
})

test_that("a selection in which every pair fails is one clear error", {
  x <- cbind(faithful_x, constant = 1)
  err <- expect_error(
    softmix(x, k = 1:2, model = c("VVV", "VVI"), control = softmix_control(reg = 0),
            n_threads = 1),
    class = "softmix_error"
  )
  expect_match(conditionMessage(err), "every (k, model) pair failed", fixed = TRUE)
  expect_match(conditionMessage(err), "not positive definite", fixed = TRUE)
})

test_that("criterion and verbose are checked", {
  expect_error(softmix(faithful_x, k = 1:2, criterion = "aic", n_threads = 1),
               "`criterion`", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 1:2, verbose = NA, n_threads = 1),
               "`verbose`", class = "softmix_error")
  expect_error(softmix(faithful_x, k = 1:2, verbose = "yes", n_threads = 1),
               "`verbose`", class = "softmix_error")
})

# Runs `code` with the message stream (stderr) sent to a file and returns
# everything written there, trailing newline included.
capture_stderr <- function(code) {
  path <- tempfile()
  con <- file(path, "w")
  sink(con, type = "message")
  on.exit(unlink(path), add = TRUE)
  tryCatch(force(code), finally = {
    sink(type = "message")
    close(con)
  })
  readChar(path, file.size(path), useBytes = TRUE)
}

test_that("verbose shows a progress bar on stderr that is closed at the end", {
  shown <- capture_stderr(with_seed(1, softmix(faithful_x, k = 1:3, model = "EII",
                                               n_threads = 1, verbose = TRUE)))
  expect_match(shown, "100%", fixed = TRUE)
  # Closing the bar ends its line.
  expect_match(shown, "\n$")
  quiet <- capture_stderr(with_seed(1, softmix(faithful_x, k = 1:3, model = "EII",
                                               n_threads = 1, verbose = FALSE)))
  expect_identical(quiet, "")
  # A single pair has nothing to count.
  single <- capture_stderr(with_seed(1, softmix(faithful_x, k = 2, n_threads = 1,
                                                verbose = TRUE)))
  expect_identical(single, "")
})

test_that("the progress bar is closed when the selection stops with an error", {
  x <- cbind(faithful_x, constant = 1)
  shown <- capture_stderr(expect_error(
    softmix(x, k = 1:2, model = "VVV", control = softmix_control(reg = 0), n_threads = 1,
            verbose = TRUE),
    class = "softmix_error"
  ))
  expect_match(shown, "100%", fixed = TRUE)
  expect_match(shown, "\n$")
})

test_that("summary lists the best pairs by the criterion, failures left out", {
  x <- cbind(faithful_x, constant = 1)
  for (criterion in c("bic", "icl")) {
    fit <- with_seed(1, softmix(x, k = 1:4, model = c("EII", "VII", "VVV"), criterion = criterion,
                                control = softmix_control(reg = 0), n_threads = 1))
    s <- summary(fit)
    ok <- fit$selection[fit$selection$message == "", ]
    expected <- ok[order(ok[[criterion]]), ][1:5, ]
    expect_identical(s$top_models[[criterion]], expected[[criterion]])
    expect_identical(paste(s$top_models$k, s$top_models$model),
                     paste(expected$k, expected$model))
    expect_identical(c(s$top_models$k[1], s$top_models$model[1]), c(fit$k, fit$model))
    expect_identical(c(s$n_pairs, s$n_failed), c(12L, 4L))
    expect_identical(s$icl, fit$icl)
    shown <- capture.output(print(s))
    expect_true(any(grepl(sprintf("Best models by %s", toupper(criterion)), shown)))
    expect_true(any(grepl("among 12 (k, model) pairs; 4 failed", shown, fixed = TRUE)))
    expect_true(any(grepl("lower is better", shown)))
    expect_identical(nrow(summary(fit, n_models = 2)$top_models), 2L)
  }
  expect_error(summary(fit, n_models = 0), "`n_models`", class = "softmix_error")
  expect_output(print(fit), "ICL = ")
  expect_output(print(fit), "Chosen by ICL")
})

test_that("pairs fitted side by side on two threads equal the pairs fitted in turn", {
  for (init in list(c("hc", "kmeans++"), "kmeans++", "hc")) {
    one <- with_seed(8, softmix(iris_x, k = 1:4, model = c("VVV", "EEE", "VEV", "EVE"),
                                init = init, n_threads = 1))
    two <- with_seed(8, softmix(iris_x, k = 1:4, model = c("VVV", "EEE", "VEV", "EVE"),
                                init = init, n_threads = 2))
    expect_identical(two$selection, one$selection)
    expect_identical(two$parameters, one$parameters)
    expect_identical(two$posterior, one$posterior)
    expect_identical(two$loglik_trace, one$loglik_trace)
  }
})

test_that("the chosen pair of a selection is the fit of that pair alone", {
  best <- with_seed(9, softmix(faithful_x, k = 2:3, model = c("VVV", "EEE"), n_threads = 2))
  alone <- with_seed(9, {
    # The selection's starts: the hc tree, then the k-means++ partitions of
    # each k in turn; the chosen pair's are those of its k.
    partitions <- softmix:::shared_partitions(faithful_x, 2:3, c("hc", "kmeans++"), 1, 1)
    softmix:::fit_one(faithful_x, best$k, best$model, list(method = c("hc", "kmeans++")), 1,
                      softmix_control(), 1, quote(softmix()),
                      partitions = partitions[[as.character(best$k)]])
  })
  expect_identical(best$parameters, alone$parameters)
  expect_identical(best$posterior, alone$posterior)
  expect_identical(best$classification, alone$classification)
  expect_identical(best$icl, alone$icl)
})

test_that("k-means++ starts do not depend on the order of k", {
  # The partitions are drawn in increasing k, before any fit (?softmix).
  run <- function(ks) {
    with_seed(5, softmix(iris_x, k = ks, init = "kmeans++", model = c("VVV", "EEI"),
                         n_threads = 1))$selection
  }
  up <- run(2:5)
  down <- run(5:2)
  key <- function(table) paste(table$model, table$k)
  expect_identical(down$loglik[match(key(up), key(down))], up$loglik)
})

test_that("init labels as a factor must use every level, as components", {
  species <- factor(iris$Species, levels = c(levels(iris$Species), "other"))
  expect_error(softmix(iris_x, k = 4, init = species, n_threads = 1),
               "every level of the factor.*`other` unused", class = "softmix_error")
})

test_that("pairs that stop at max_iter give one warning naming them", {
  control <- softmix_control(max_iter = 2, accelerate = FALSE)
  warnings <- testthat::capture_warnings(
    fit <- with_seed(1, softmix(iris_x, k = 2:3, model = c("VVV", "EEE"), control = control,
                                n_threads = 1))
  )
  expect_length(warnings, 1L)
  expect_match(warnings, "EM stopped at max_iter = 2")
  expect_match(warnings, "VVV,2")
  expect_identical(sum(!fit$selection$converged), 4L)
})

test_that("a fit is converged exactly when its last change is below tol, at any max_iter", {
  # With two starts each first runs to a looser screening tolerance; one
  # that met it on its last allowed pass was once reported converged.
  for (max_iter in 15:30) {
    fit <- suppressWarnings(with_seed(1, softmix(
      faithful_x, k = 3, model = "VVV", n_threads = 1,
      control = softmix_control(max_iter = max_iter, accelerate = FALSE)
    )))
    trace <- fit$loglik_trace
    last <- length(trace)
    change <- abs(trace[last] - trace[last - 1]) / (1 + abs(trace[last]))
    expect_identical(fit$converged, change < 1e-8, label = sprintf("max_iter = %d", max_iter))
  }
})

test_that("a single fit that stops at max_iter warns with class softmix_warning", {
  expect_warning(
    with_seed(1, softmix(iris_x, k = 3, control = softmix_control(max_iter = 1),
                         n_threads = 1)),
    "Increase `max_iter`", class = "softmix_warning"
  )
})
