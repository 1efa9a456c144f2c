# Fits of data sharded over the workers of a parallel cluster, against the
# same fits in memory.

# One cluster for the file, stopped when the tests end.
shards_cluster <- local({
  cl <- NULL
  function() {
    if (is.null(cl)) {
      cl <<- two_workers()
      withr::defer(parallel::stopCluster(cl), teardown_env())
    }
    cl
  }
})

expect_same_fit <- function(sharded, in_memory, tolerance = 1e-10) {
  expect_equal(sharded$loglik, in_memory$loglik, tolerance = tolerance)
  expect_equal(sharded$loglik_trace, in_memory$loglik_trace, tolerance = tolerance)
  expect_equal(sharded$iterations, in_memory$iterations)
  expect_equal(unclass(sharded$parameters), unclass(in_memory$parameters), tolerance = tolerance)
  expect_equal(sharded$bic, in_memory$bic, tolerance = tolerance)
  expect_equal(sharded$icl, in_memory$icl, tolerance = tolerance)
}

test_that("a fit on a cluster is the in-memory fit, for every model, with weights and labels", {
  cl <- shards_cluster()
  set.seed(11)
  weights <- sample(1:3, nrow(iris_x), replace = TRUE)
  labels <- rep(NA_integer_, nrow(iris_x))
  labels[c(1:5, 51:55, 101:105)] <- rep(1:3, each = 5)
  start <- suppressWarnings(softmix(iris_x, 3, model = "VVV", n_threads = 1,
                   control = softmix_control(max_iter = 5)))$parameters
  control <- softmix_control(max_iter = 40)
  for (model in all_models) {
    in_memory <- suppressWarnings(softmix(iris_x, 3, model = model, init = start,
                                          weights = weights, labels = labels,
                                          control = control, n_threads = 1))
    sharded <- suppressWarnings(softmix(iris_x, 3, model = model, init = start,
                                        weights = weights, labels = labels,
                                        control = control, cluster = cl, n_threads = 1))
    expect_same_fit(sharded, in_memory)
    expect_equal(sharded$posterior, in_memory$posterior, tolerance = 1e-10)
  }
  # Sampling weights too: they count as many rows as there are.
  in_memory <- softmix(iris_x, 3, model = "EEE", init = start, weights = weights,
                       weight_type = "sampling", n_threads = 1)
  sharded <- softmix(iris_x, 3, model = "EEE", init = start, weights = weights,
                     weight_type = "sampling", cluster = cl, n_threads = 1)
  expect_same_fit(sharded, in_memory)
  expect_equal(nobs(sharded), nrow(iris_x))
})

test_that("a selection on a cluster is the selection in memory, from the default starts", {
  cl <- shards_cluster()
  set.seed(5)
  in_memory <- softmix(faithful_x, 1:3, model = c("VVV", "EEE", "VII"), n_threads = 1,
                       verbose = FALSE)
  set.seed(5)
  sharded <- softmix(faithful_x, 1:3, model = c("VVV", "EEE", "VII"), cluster = cl,
                     n_threads = 1, verbose = FALSE)
  expect_equal(sharded$selection, in_memory$selection, tolerance = 1e-10)
  expect_same_fit(sharded, in_memory)
  expect_identical(sharded$classification, in_memory$classification)
})

test_that("missing = \"omit\" on a cluster drops the rows, with the in-memory message", {
  cl <- shards_cluster()
  holes <- faithful_x
  holes[c(3, 40), 1] <- NA
  start <- softmix(faithful_x, 2, model = "VVV", n_threads = 1)$parameters
  expect_message(in_memory <- softmix(holes, 2, init = start, missing = "omit", n_threads = 1),
                 "omitted 2 row\\(s\\)")
  expect_message(sharded <- softmix(holes, 2, init = start, missing = "omit", cluster = cl,
                                    n_threads = 1),
                 "omitted 2 row\\(s\\)")
  expect_same_fit(sharded, in_memory)
  expect_error(softmix(holes, 2, init = start, cluster = cl, n_threads = 1),
               "needs complete rows", class = "softmix_error")
})

test_that("missing = \"omit\" on a cluster takes the arguments of every row, as in memory", {
  cl <- shards_cluster()
  holes <- faithful_x
  holes[c(3, 40), 1] <- NA
  weights <- rep(1:2, 136)
  labels <- rep(NA_integer_, 272)
  labels[c(1, 3, 4)] <- 1L
  start <- ifelse(faithful_x[, 1] > 3, 1L, 2L)
  fit_both <- function(...) {
    list(in_memory = suppressMessages(softmix(holes, 2, missing = "omit", n_threads = 1, ...)),
         sharded = suppressMessages(softmix(holes, 2, missing = "omit", cluster = cl,
                                            n_threads = 1, ...)))
  }
  # Weights, labels and a starting partition of all 272 rows, the rows
  # omitted included; the dropped rows are recorded as in memory.
  fits <- fit_both(weights = weights, labels = labels, init = start)
  expect_same_fit(fits$sharded, fits$in_memory)
  expect_identical(fits$sharded$missing, fits$in_memory$missing)
  expect_identical(fits$sharded$missing$dropped, c(3L, 40L), ignore_attr = TRUE)
  posterior_start <- cbind(start == 1, start == 2) * 1
  fits <- fit_both(init = posterior_start)
  expect_same_fit(fits$sharded, fits$in_memory)
  # update() pads the stored weights with the omitted rows, as in memory.
  fit_here <- function() {
    w <- weights
    suppressMessages(softmix(holes, 2, weights = w, missing = "omit", cluster = cl,
                             n_threads = 1))
  }
  updated <- suppressMessages(update(fit_here(), k = 3, cluster = NULL))
  expect_equal(updated$weights, weights[-c(3, 40)])
  # Arguments of the wrong length are named as in memory, not cut to the rows
  # kept (labels of 5 rows were taken as labels of the first 5 rows kept).
  expect_error(suppressMessages(softmix(holes, 2, labels = rep(1, 5), missing = "omit",
                                        cluster = cl, n_threads = 1)),
               "`labels` must have one entry per observation: 5 for 272",
               class = "softmix_error")
  expect_error(suppressMessages(softmix(holes, 2, weights = rep(1, 5), missing = "omit",
                                        cluster = cl, n_threads = 1)),
               "`weights` must have one entry per observation: 5 for 272",
               class = "softmix_error")
  only_dropped <- numeric(272)
  only_dropped[3] <- 1
  expect_error(suppressMessages(softmix(holes, 2, weights = only_dropped, missing = "omit",
                                        cluster = cl, n_threads = 1)),
               "`weights` are zero on every row kept", class = "softmix_error")
})

test_that("shards read on the workers fit as the data in memory, and give back their posterior", {
  cl <- shards_cluster()
  paths <- file.path(withr::local_tempdir(), c("one.rds", "two.rds", "three.rds"))
  parts <- split(seq_len(nrow(faithful_x)), rep(1:3, c(100, 100, 72)))
  for (s in 1:3) saveRDS(faithful[parts[[s]], ], paths[s])
  shards <- softmix_shards(cl, paths)
  expect_s3_class(shards, "softmix_shards")
  expect_equal(shards$n, c(100, 100, 72))
  expect_output(print(shards), "272 rows of 2 variables in 3 shard")
  # A sample larger than the data is all of it, in order: the starts of
  # the in-memory fit.
  sharded <- softmix(shards, 2:3, model = c("VVV", "EEI"), init = "hc", verbose = FALSE)
  in_memory <- softmix(faithful_x, 2:3, model = c("VVV", "EEI"), init = "hc", n_threads = 1,
                       verbose = FALSE)
  expect_equal(sharded$selection, in_memory$selection, tolerance = 1e-10)
  expect_same_fit(sharded, in_memory)
  expect_null(sharded$data)
  expect_equal(posterior(sharded), unname(in_memory$posterior), tolerance = 1e-10,
               ignore_attr = TRUE)
  expect_equal(predict(sharded, faithful_x[1:5, ]), in_memory$classification[1:5])
  expect_equal(fitted(sharded), in_memory$classification)
  # What summary() shows of the rows is computed on the workers.
  expect_equal(as.vector(summary(sharded)$classification),
               as.vector(summary(in_memory)$classification))
  expect_equal(summary(sharded)$mean_uncertainty, summary(in_memory)$mean_uncertainty,
               tolerance = 1e-10)
  written <- softmix_write_posterior(sharded)
  expect_equal(written, sub("\\.rds$", "_posterior.rds", paths))
  expect_equal(do.call(rbind, lapply(written, readRDS)), posterior(sharded))
  softmix_shards_free(shards)
  expect_error(softmix(shards, 2, model = "VVV"), "freed by softmix_shards_free\\(\\)",
               class = "softmix_shard_error")
  # The workers answered and left the fit's channel: the cluster is usable.
  expect_equal(unlist(parallel::clusterCall(cl, function() 1)), c(1, 1))
})

test_that("shards whose columns differ or that hold non-finite values are named", {
  cl <- shards_cluster()
  dir <- withr::local_tempdir()
  paths <- file.path(dir, c("a.rds", "b.rds"))
  saveRDS(faithful_x[1:100, ], paths[1])
  saveRDS(iris_x[1:50, ], paths[2])
  expect_error(softmix_shards(cl, paths), "Shard 2 \\(file .*b.rds\\) has columns 4", class = "softmix_error")
  bad <- faithful_x[101:200, ]
  bad[7, 2] <- NA
  saveRDS(bad, paths[2])
  expect_error(softmix_shards(cl, paths), "shard 2 \\(file .*b.rds\\).*missing values.*row 7",
               class = "softmix_shard_error")
  expect_error(softmix_shards(cl, paths, read = function(path) stop("cannot read ", basename(path))),
               "worker 1 failed on shard 1 .*cannot read a.rds")
  # The cluster is still usable.
  expect_equal(unlist(parallel::clusterCall(cl, function() 1)), c(1, 1))
  expect_error(softmix_shards(cl), "either `paths`")
  expect_error(softmix_shards(cl, x = faithful_x, n_threads = 0), "n_threads")
  expect_error(softmix_shards(list(), x = faithful_x), "`cluster` must be a cluster")
  expect_error(softmix(faithful_x, 2, cluster = cl, noise = TRUE), "noise")
})

test_that("a worker that dies stops the fit with its name and leaves the others usable", {
  skip_on_cran()
  cl <- two_workers()
  on.exit({
    try(parallel::stopCluster(cl[1]), silent = TRUE)
    try(close(cl[[2]]$con), silent = TRUE)
  }, add = TRUE)
  shards <- softmix_shards(cl, x = faithful_x)
  pids <- unlist(parallel::clusterCall(cl, Sys.getpid))
  tools::pskill(pids[2])
  Sys.sleep(0.5)
  expect_error(softmix(shards, 2, model = "VVV", init = "hc"), "worker 2 .*stopped responding",
               class = "softmix_shard_error")
  expect_equal(parallel::clusterCall(cl[1], function() 1)[[1]], 1)
})

test_that("under future, shards fit as in memory whichever worker a pass lands on", {
  skip_if_not_installed("future")
  old_plan <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old_plan), add = TRUE)
  start <- suppressWarnings(softmix(faithful_x, 3, model = "EEV", init = "hc", n_threads = 1,
                                    control = softmix_control(max_iter = 3)))$parameters
  in_memory <- softmix(faithful_x, 3, model = "EEV", init = start, n_threads = 1)
  sharded <- softmix(faithful_x, 3, model = "EEV", init = start, cluster = "future")
  expect_same_fit(sharded, in_memory)
  paths <- file.path(withr::local_tempdir(), c("one.rds", "two.rds", "three.rds"))
  parts <- split(seq_len(nrow(faithful_x)), rep(1:3, c(90, 90, 92)))
  for (s in 1:3) saveRDS(faithful_x[parts[[s]], ], paths[s])
  shards <- softmix_shards("future", paths)
  expect_output(print(shards), "under the current future plan")
  expect_same_fit(softmix(shards, 3, model = "EEV", init = start), in_memory)
  # Another plan: the shards are loaded again where the passes land.
  future::plan(future::sequential)
  expect_same_fit(softmix(shards, 3, model = "EEV", init = start), in_memory)
  expect_equal(posterior(softmix(shards, 3, model = "EEV", init = start)),
               unname(in_memory$posterior), tolerance = 1e-10, ignore_attr = TRUE)
  bad <- function(path) stop("no such shard")
  expect_error(softmix_shards("future", paths[1], read = bad),
               "its future failed on shard 1 .*no such shard", class = "softmix_shard_error")
})

test_that("softmix_write_posterior() never writes over a shard's file or another posterior", {
  cl <- shards_cluster()
  dir <- withr::local_tempdir()
  # faithful in two shard files, fitted; the shards freed when the test ends.
  fit_halves <- function(paths, env = parent.frame()) {
    saveRDS(faithful[1:136, ], paths[1])
    saveRDS(faithful[137:272, ], paths[2])
    shards <- softmix_shards(cl, paths)
    withr::defer(softmix_shards_free(shards), envir = env)
    softmix(shards, 2, model = "VVV", init = "hc")
  }
  paths <- file.path(dir, c("a.rds", "b.rds"))
  fit <- fit_halves(paths)
  expect_error(softmix_write_posterior(fit, suffix = ".rds"),
               "posterior of shard 1 over the file of shard 1 \\(.*a\\.rds\\)",
               class = "softmix_error")
  expect_equal(readRDS(paths[1]), faithful[1:136, ])
  expect_equal(readRDS(paths[2]), faithful[137:272, ])
  for (bad in list(3, c("_p.rds", "_q.rds"), NA_character_, "")) {
    expect_error(softmix_write_posterior(fit, suffix = bad), "`suffix` must be a single",
                 class = "softmix_error")
  }
  expect_identical(sort(list.files(dir)), c("a.rds", "b.rds"))
  # A failed write names the file it could not write.
  expect_error(softmix_write_posterior(fit, suffix = "_none/posterior.rds"),
               "writing the posterior.*cannot write the posterior to .*a_none/posterior\\.rds",
               class = "softmix_shard_error")
  # Files that differ only in their extension: each would take the other's
  # place, or both one posterior.
  twins <- file.path(dir, c("x.one", "x.two"))
  fit <- fit_halves(twins)
  expect_error(softmix_write_posterior(fit, suffix = ".two"),
               "shard 1 over the file of shard 2 \\(.*x\\.two\\)", class = "softmix_error")
  expect_error(softmix_write_posterior(fit),
               "posteriors of shards 1 and 2 to the same file \\(.*x_posterior\\.rds\\)",
               class = "softmix_error")
  expect_equal(readRDS(twins[2]), faithful[137:272, ])
  expect_false(file.exists(file.path(dir, "x_posterior.rds")))
})

test_that("a long pass or a pause between passes is not a dead worker", {
  cl <- shards_cluster()
  shards <- softmix_shards(cl, x = faithful_x)
  on.exit(softmix_shards_free(shards), add = TRUE)
  through_cluster <- softmix:::shard_run_all(shards, "column_sums", numeric(), "", NULL)
  # Passes that take longer than a worker has to connect back: the workers'
  # shard_pass() made slow by trace().
  slow <- function(pause) {
    parallel::clusterCall(cl, function(pause) {
      trace("shard_pass", bquote(if (what %in% c("column_sums", "classify")) Sys.sleep(.(pause))),
            where = asNamespace("softmix"), print = FALSE)
    }, pause)
  }
  on.exit(parallel::clusterCall(cl, function() {
    untrace("shard_pass", where = asNamespace("softmix"))
  }), add = TRUE, after = FALSE)
  slow(2)
  softmix:::shard_channel_open(shards, timeout = 1)
  on.exit(softmix:::shard_channel_close(shards), add = TRUE, after = FALSE)
  expect_false(is.null(shards$state$channel))
  # The session pauses between passes, then a pass is slow.
  Sys.sleep(1.5)
  expect_equal(softmix:::shard_run_all(shards, "column_sums", numeric(), "", NULL),
               through_cluster)
  softmix:::shard_channel_close(shards)
  # A fit, whose channel takes its timeout from the option.
  withr::local_options(softmix.shard_timeout = 1)
  start <- suppressWarnings(softmix(faithful_x, 2, model = "VVV", n_threads = 1,
                                    control = softmix_control(max_iter = 3)))$parameters
  control <- softmix_control(max_iter = 5)
  expect_same_fit(softmix(shards, 2, model = "VVV", init = start, control = control),
                  softmix(faithful_x, 2, model = "VVV", init = start, control = control,
                          n_threads = 1))
})

test_that("a failed softmix_shards() frees the shards it loaded", {
  cl <- shards_cluster()
  held <- function() {
    unlist(parallel::clusterEvalQ(cl, grep(" ", ls(softmix:::shard_store), value = TRUE)))
  }
  before <- held()
  dir <- withr::local_tempdir()
  paths <- file.path(dir, c("a.rds", "missing.rds", "c.rds"))
  saveRDS(faithful_x[1:100, ], paths[1])
  saveRDS(iris_x[1:50, ], paths[3])
  expect_error(suppressWarnings(softmix_shards(cl, paths[1:2])), "shard 2 \\(file .*missing.rds",
               class = "softmix_shard_error")
  expect_identical(held(), before)
  expect_error(softmix_shards(cl, paths[c(1, 3)]), "Shard 2 .*has columns 4",
               class = "softmix_error")
  expect_identical(held(), before)
})

test_that("a stopped cluster is named as such", {
  cl <- two_workers()
  shards <- softmix_shards(cl, x = faithful_x)
  parallel::stopCluster(cl)
  # Its connections' numbers go to new connections.
  spare <- file(withr::local_tempfile(), "w")
  on.exit(close(spare), add = TRUE)
  expect_error(softmix(shards, 2, model = "VVV"), "connections are closed.*stopCluster",
               class = "softmix_error")
  expect_error(softmix_shards(cl, x = faithful_x), "connections are closed",
               class = "softmix_error")
  expect_error(softmix(faithful_x, 2, cluster = cl), "connections are closed",
               class = "softmix_error")
  expect_error(softmix_shards_free(shards), "connections are closed", class = "softmix_error")
  fit <- softmix(faithful_x, 2, model = "VVV", n_threads = 1)
  expect_error(softmix_bootstrap(fit, B = 2, cluster = cl), "connections are closed",
               class = "softmix_error")
})

# Interrupts ----------------------------------------------------------------------
#
# A Ctrl-C at a terminal reaches the session and its PSOCK workers at once
# (they share its process group); in RStudio it reaches the session alone.
# Each scenario runs in a child R session, which makes its own cluster and
# sends the signals with kill(1) from a shell started in the background;
# the child is killed if it does not end within two minutes, so a wait that
# never ends fails the test instead of stalling the suite.

# Runs scenario(signals) in a child R session with this session's
# libraries: `signals(pids)` is the shell command of sleeps and kills, given
# the child's process id followed by its two workers' ids. The child returns
# list(outcome, messages, warnings, after, same_workers): the interrupted
# call's value ("interrupted" if an interrupt reached it), its messages and
# warnings, after(x, cl, shards) run on the cluster afterwards, and whether
# the same workers then answer a call of the parallel package.
interrupt_scenario <- function(signals, call, after) {
  callr::r(function(signals, call, after) {
    library(softmix)
    cl <- parallel::makePSOCKcluster(2)
    on.exit(parallel::stopCluster(cl))
    parallel::clusterCall(cl, function(paths) .libPaths(paths), .libPaths())
    workers <- unlist(parallel::clusterCall(cl, Sys.getpid))
    set.seed(11)
    x <- matrix(stats::rnorm(4e5), ncol = 4)
    shards <- softmix_shards(cl, x = x)
    messages <- character()
    warnings <- character()
    system(sprintf("(%s) >/dev/null 2>&1 &", signals(c(Sys.getpid(), workers))))
    outcome <- withCallingHandlers(
      tryCatch(call(x, cl, shards), interrupt = function(e) "interrupted"),
      message = function(m) {
        messages <<- c(messages, conditionMessage(m))
        invokeRestart("muffleMessage")
      },
      warning = function(w) {
        warnings <<- c(warnings, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    )
    # Worker 2 may have been stopped. softmix's calls come first: another
    # call would take what a worker still owes for its own answer.
    tools::pskill(workers[2], tools::SIGCONT)
    after <- after(x, cl, shards)
    list(outcome = if (is.character(outcome)) outcome else class(outcome),
         messages = messages, warnings = warnings, after = after,
         same_workers = identical(unlist(parallel::clusterCall(cl, Sys.getpid)), workers))
  }, args = list(signals, call, after), timeout = 120)
}

# After an interrupt: a fit on the cluster from a given start, and the same
# fit in memory.
fits_after <- function(x, cl, shards) {
  start <- suppressWarnings(softmix(x, 2, model = "VVV", n_threads = 1,
                                    control = softmix_control(max_iter = 2)))$parameters
  control <- softmix_control(max_iter = 5, tol = 0)
  list(
    cluster = suppressWarnings(softmix(x, 2, model = "VVV", init = start, cluster = cl,
                                       control = control)),
    shards = suppressWarnings(softmix(shards, 2, model = "VVV", init = start,
                                      control = control)),
    in_memory = suppressWarnings(softmix(x, 2, model = "VVV", init = start, n_threads = 1,
                                         control = control)),
    # Shards of this call, freed or not: those of `shards` only remain.
    held = length(unlist(parallel::clusterEvalQ(cl, ls(softmix:::shard_store, pattern = " "))))
  )
}

expect_usable_after <- function(result) {
  expect_true(result$same_workers)
  expect_same_fit(result$after$cluster, result$after$in_memory)
  expect_same_fit(result$after$shards, result$after$in_memory)
  expect_equal(result$after$held, 2)
}

test_that("a Ctrl-C at a terminal stops a fit on a cluster at once and leaves it usable", {
  skip_on_cran()
  skip_on_os("windows")
  long_fit <- function(x, cl, shards) {
    softmix(x, 4, model = "VVV", cluster = cl, control = softmix_control(max_iter = 1e6, tol = 0))
  }
  # Once while the rows travel or the first passes run, once later.
  for (delay in c(0.3, 1.5)) {
    result <- interrupt_scenario(function(pids) {
      sprintf("sleep %s; kill -INT %s", delay, paste(pids, collapse = " "))
    }, long_fit, fits_after)
    expect_identical(result$outcome, "interrupted")
    expect_length(result$warnings, 0)
    expect_usable_after(result)
  }
})

test_that("a second Ctrl-C stops waiting for a stuck worker, whose answer is read later", {
  skip_on_cran()
  skip_on_os("windows")
  # Worker 2 stops; the session alone is interrupted, told what it waits
  # for, and interrupted again; worker 2 goes on (SIGCONT) afterwards.
  result <- interrupt_scenario(function(pids) {
    sprintf("sleep 1; kill -STOP %d; sleep 0.5; kill -INT %d; sleep 2.5; kill -INT %d",
            pids[3], pids[1], pids[1])
  }, function(x, cl, shards) {
    softmix(shards, 4, model = "VVV", control = softmix_control(max_iter = 1e6, tol = 0))
  }, fits_after)
  expect_identical(result$outcome, "interrupted")
  expect_match(result$messages, "Waiting for worker\\(s\\) 2 to finish", all = FALSE)
  expect_match(result$warnings, "Stopped waiting for worker\\(s\\) 2, which still owe",
               all = FALSE)
  # softmix read what worker 2 owed before its next call: the fits are the
  # ones in memory, and the cluster answers in order again.
  expect_usable_after(result)
})

test_that("a worker's calls answer an interrupt instead of going silent", {
  skip_on_os("windows")
  answer <- tryCatch(softmix:::shard_work(list(list(), list()), function() {
    tools::pskill(Sys.getpid(), tools::SIGINT)
    Sys.sleep(5)
    "not interrupted"
  }), interrupt = function(e) "interrupted")
  expect_length(answer, 2)
  for (one in answer) {
    expect_s3_class(one, "softmix_shard_failure")
    expect_match(one$message, "interrupted on the worker")
  }
})

test_that("freed shards, and a file's fit, say what they are instead of failing per worker", {
  cl <- shards_cluster()
  dir <- tempfile("shards")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  paths <- file.path(dir, c("a.rds", "b.rds"))
  named <- faithful_x
  rownames(named) <- paste0("row", seq_len(nrow(named)))
  saveRDS(named[1:100, ], paths[1])
  saveRDS(named[101:272, ], paths[2])
  shards <- softmix_shards(cl, paths)
  start <- softmix(named, 2, n_threads = 1)$parameters
  in_memory <- softmix(named, 2, init = start, n_threads = 1)
  fit <- softmix(shards, 2, init = start, n_threads = 1)
  # The posterior gathered has the rows' names, as in memory.
  expect_equal(posterior(fit), in_memory$posterior, tolerance = 1e-10)
  expect_identical(rownames(posterior(fit)), rownames(named))
  softmix_shards_free(shards)
  expect_error(softmix(shards, 2, init = start, n_threads = 1),
               "The shards were freed by softmix_shards_free\\(\\)",
               class = "softmix_shard_error")
  expect_error(posterior(fit), "freed by softmix_shards_free", class = "softmix_shard_error")
  expect_error(softmix_shards_free(faithful_x), "`shards` must be a softmix_shards\\(\\) object",
               class = "softmix_error")
  # A file holds nothing to free, and its posterior is read, not written.
  skip_if_not_installed("data.table")
  csv <- file.path(dir, "faithful.csv")
  utils::write.csv(faithful, csv, row.names = FALSE)
  data <- softmix_file(csv, chunk_rows = 100)
  expect_invisible(softmix_shards_free(data))
  file_fit <- softmix(data, 2, init = start, n_threads = 1)
  expect_equal(file_fit$loglik, in_memory$loglik, tolerance = 1e-10)
  expect_error(softmix_write_posterior(file_fit), "fit of a softmix_file\\(\\).*posterior\\(\\)",
               class = "softmix_error")
})
