# References: mclust's hc() and hclass() (the same algorithm in Fortran), and
# Mclust(), which starts EM from hc() cut at each k; fits by hand from a
# given partition for the starts shared in a selection.

hc_data <- function() {
  sim <- with_seed(42, rbind(
    matrix(rnorm(150), 50),
    matrix(rnorm(150, mean = 3), 50),
    sweep(matrix(rnorm(150, sd = 0.5), 50), 2, c(0, 4, -2), "+")
  ))
  list(iris = as.matrix(iris[, 1:4]), faithful = as.matrix(faithful), sim = sim)
}

mclust_merges <- function(x, model, use) {
  merges <- with_mclust(t(unclass(mclust::hc(x, modelName = model, use = use)))[, 1:2])
  storage.mode(merges) <- "integer"
  unname(merges)
}

test_that("softmix_hc() merges as mclust's hc() for every model and transformation", {
  skip_if_not_installed("mclust")
  sets <- hc_data()
  for (name in names(sets)) {
    for (use in c("SVD", "VARS")) {
      for (model in c("VVV", "EEE", "VII", "EII")) {
        if (model == "EEE" && name == "faithful") next  # cubic; iris and sim cover it
        tree <- softmix_hc(sets[[name]], model = model, use = use)
        expect_identical(tree$merges, mclust_merges(sets[[name]], model, use),
                         label = paste(name, model, use))
      }
    }
  }
  for (use in c("SVD", "VARS")) {
    for (model in c("E", "V")) {
      tree <- softmix_hc(faithful$waiting, model = model, use = use)
      expect_identical(tree$merges, mclust_merges(faithful$waiting, model, use),
                       label = paste(model, use))
    }
  }
})

test_that("hc_cut() gives mclust's hclass() partitions at every k", {
  skip_if_not_installed("mclust")
  sets <- hc_data()
  for (name in names(sets)) {
    x <- sets[[name]]
    reference <- with_mclust(mclust::hclass(mclust::hc(x, modelName = "VVV", use = "SVD"), 1:9))
    storage.mode(reference) <- "integer"
    ours <- hc_cut(softmix_hc(x), 1:9)
    expect_identical(ours, reference, label = name)
    expect_identical(hc_cut(softmix_hc(x), 4), unname(reference[, "4"]))
  }
  expect_identical(hc_cut(softmix_hc(faithful), nrow(faithful)), seq_len(nrow(faithful)))
  expect_identical(hc_cut(softmix_hc(faithful), 1), rep(1L, nrow(faithful)))
})

test_that("init = \"hc\" reaches Mclust's log-likelihood from the same start", {
  skip_if_not_installed("mclust")
  control <- softmix_control(tol = 1e-12, reg = 0, max_iter = 5000)
  cases <- list(
    list(x = faithful, model = "VVV", k = 3), list(x = faithful, model = "EEE", k = 4),
    list(x = iris[, 1:4], model = "VVV", k = 3), list(x = iris[, 1:4], model = "VVI", k = 4),
    list(x = iris[, 1:4], model = "EII", k = 2)
  )
  for (case in cases) {
    reference <- with_mclust(mclust::Mclust(
      case$x, G = case$k, modelNames = case$model, verbose = FALSE,
      control = mclust::emControl(tol = c(1e-13, 1e-13))
    ))
    fit <- softmix(case$x, k = case$k, model = case$model, init = "hc", control = control,
                   n_threads = 1)
    expect_max_diff(fit$loglik, reference$loglik, 1e-8, relative = TRUE)
  }
})

test_that("init = \"hc\" on more than 2000 rows uses mclust's subset and start", {
  skip_if_not_installed("mclust")
  x <- with_seed(7, rbind(
    matrix(rnorm(2 * 1300), ncol = 2),
    sweep(matrix(rnorm(2 * 1200, sd = 0.7), ncol = 2), 2, c(3, 1), "+")
  ))
  control <- softmix_control(tol = 1e-12, reg = 0)
  fit <- with_seed(11, softmix(x, k = 2, model = "VVV", init = "hc", control = control,
                               n_threads = 1))
  reference <- with_seed(11, with_mclust(mclust::Mclust(
    x, G = 2, modelNames = "VVV", verbose = FALSE,
    control = mclust::emControl(tol = c(1e-13, 1e-13))
  )))
  expect_max_diff(fit$loglik, reference$loglik, 1e-8, relative = TRUE)
  # The subset is drawn from R's generator: the same seed, the same fit, for
  # any number of threads.
  again <- with_seed(11, softmix(x, k = 2, model = "VVV", init = "hc", control = control,
                                 n_threads = 2))
  expect_identical(flatten_params(again$parameters), flatten_params(fit$parameters))
  expect_identical(again$loglik, fit$loglik)
})

test_that("a selection fits every model at a k from the same k-means++ partitions", {
  x <- as.matrix(faithful)
  models <- c("VVV", "EEE", "VII")
  # Plain EM: from equal starts, equal fits to rounding (1e-12).
  control <- plain_control()
  selection <- with_seed(3, softmix(x, k = 2:3, model = models, init = "kmeans++", n_init = 2,
                                    control = control, n_threads = 1))
  # The partitions as the selection draws them: n_init per k, k in order.
  partitions <- with_seed(3, lapply(2:3, function(k) {
    softmix:::kmeans_pp_partitions_cpp(x, k, 2, 1, list())
  }))
  for (i in 1:2) {
    k <- (2:3)[i]
    for (model in models) {
      # Each start runs to the screening tolerance, 1e-5; the best there
      # runs on to the fit's tolerance.
      by_hand <- function(s, tol) {
        softmix(x, k = k, model = model, init = partitions[[i]][, s], n_threads = 1,
                control = plain_control(tol = tol))$loglik
      }
      best <- which.max(vapply(1:2, by_hand, numeric(1), tol = 1e-5))
      row <- selection$selection$k == k & selection$selection$model == model
      expect_max_diff(selection$selection$loglik[row], by_hand(best, control$tol), 1e-12,
                      relative = TRUE)
    }
  }
  two_threads <- with_seed(3, softmix(x, k = 2:3, model = models, init = "kmeans++",
                                     n_init = 2, control = control, n_threads = 2))
  expect_identical(two_threads$selection, selection$selection)
  expect_identical(flatten_params(two_threads$parameters), flatten_params(selection$parameters))
})

test_that("a selection with init = \"hc\" cuts one tree for every model", {
  x <- iris[, 1:4]
  selection <- softmix(x, k = 2:4, model = c("VVV", "EEE", "VVI"), init = "hc", n_threads = 1)
  tree <- softmix_hc(x)
  for (k in 2:4) {
    for (model in c("VVV", "EEE", "VVI")) {
      by_hand <- softmix(x, k = k, model = model, init = hc_cut(tree, k), n_threads = 1)
      row <- selection$selection$k == k & selection$selection$model == model
      expect_max_diff(selection$selection$loglik[row], by_hand$loglik, 1e-12, relative = TRUE)
    }
  }
  expect_identical(selection$init, "hc")
  # One variable: Ward's criterion ("E") on the standardised data.
  waiting <- faithful$waiting
  fit <- softmix(waiting, k = 3, model = "V", init = "hc", n_threads = 1)
  by_hand <- softmix(waiting, k = 3, model = "V", n_threads = 1,
                     init = hc_cut(softmix_hc(waiting, model = "E"), 3))
  expect_max_diff(fit$loglik, by_hand$loglik, 1e-12, relative = TRUE)
})

test_that("a single k-means++ fit equals the fit from its drawn partition", {
  x <- as.matrix(faithful)
  fit <- with_seed(5, softmix(x, k = 3, model = "EEE", init = "kmeans++", n_threads = 1))
  partition <- with_seed(5, softmix:::kmeans_pp_partitions_cpp(x, 3, 1, 1, list()))
  by_hand <- softmix(x, k = 3, model = "EEE", init = partition[, 1], n_threads = 1)
  expect_max_diff(fit$loglik, by_hand$loglik, 1e-12, relative = TRUE)
})

test_that("one-dimensional data take the multivariate codes as E and V, as softmix() does", {
  # The default model, "VVV", used to be an error on a vector.
  expect_identical(softmix_hc(faithful$waiting)$merges,
                   softmix_hc(faithful$waiting, model = "V")$merges)
  expect_identical(softmix_hc(faithful$waiting)$model, "V")
  expect_identical(softmix_hc(faithful$waiting, model = "EII")$merges,
                   softmix_hc(faithful$waiting, model = "E")$merges)
})

test_that("hierarchical clustering rejects bad input with softmix errors", {
  expect_error(softmix_hc(iris[, 1:4], model = "VVI"), class = "softmix_error")
  expect_error(softmix_hc(faithful$waiting, model = "VVI"), "one-dimensional",
               class = "softmix_error")
  expect_error(softmix_hc(faithful, use = "PCA"), "`use`", class = "softmix_error")
  expect_error(softmix_hc(1), "two rows", class = "softmix_error")
  expect_error(hc_cut(list(), 2), "`tree`", class = "softmix_error")
  expect_error(hc_cut(softmix_hc(trees), 40), "`k`", class = "softmix_error")
  # No word of the noise, which hc_cut() has not.
  expect_error(hc_cut(softmix_hc(trees), 0), "^`k` must be at least 1\\.$",
               class = "softmix_error")
})

test_that("hc_cut() rejects an edited tree before it reaches the C++ core", {
  # Each of these crashed R: the core indexes by the merges unchecked.
  tree <- softmix_hc(faithful)
  far <- tree
  far$merges[1, 1] <- 100000L
  expect_error(hc_cut(far, 2), "merge 1 refers to 100000", class = "softmix_error")
  negative <- tree
  negative$merges[5, 2] <- -3L
  expect_error(hc_cut(negative, 2), "merge 5 refers to -3", class = "softmix_error")
  fewer <- tree
  fewer$n <- 10L
  expect_error(hc_cut(fewer, 2), "10 observations take 9 merges", class = "softmix_error")
  missing <- tree
  missing$merges[] <- NA
  expect_error(hc_cut(missing, 2), "merge 1 has a missing value", class = "softmix_error")
  # A cluster merged away cannot be merged again: faithful's merge 1 joins
  # 264 into 183, and merge 2 joins 183 into 132.
  again <- tree
  again$merges[3, 2] <- 264L
  expect_error(hc_cut(again, 2), "merge 3 refers to cluster 264, which merge 1",
               class = "softmix_error")
  itself <- tree
  itself$merges[5, ] <- c(7L, 7L)
  expect_error(hc_cut(itself, 2), "merge 5 joins cluster 7 with itself", class = "softmix_error")
  flat <- tree
  flat$merges <- flat$merges[, 1]
  expect_error(hc_cut(flat, 2), "`tree` is not a valid", class = "softmix_error")
  no_n <- tree
  no_n$n <- NULL
  expect_error(hc_cut(no_n, 2), "`n`", class = "softmix_error")
})

test_that("hc_cut() still cuts a valid tree, with merges stored as doubles", {
  tree <- softmix_hc(faithful)
  labels <- hc_cut(tree, 2)
  doubles <- tree
  storage.mode(doubles$merges) <- "double"
  expect_identical(hc_cut(doubles, 2), labels)
  expect_identical(hc_cut(tree, 1:3)[, "2"], labels)
})
