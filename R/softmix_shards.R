#' Data held on the workers of a cluster
#'
#' `softmix_shards()` places data on the workers of a cluster, in shards
#' that stay there: read by each worker from its own files (`paths`), so that
#' the data never pass through this R session, or sent once from a matrix in
#' memory (`x`). [softmix()] then fits a mixture to the shards by exactly the
#' EM it runs in memory: every iteration sends the parameters to the workers
#' and brings back only each shard's sufficient statistics and
#' log-likelihood, a few numbers per component whatever the number of rows.
#'
#' @section What crosses the network:
#' Each pass sends every worker the parameters, \eqn{K(1 + d + d^2) + 4}
#' numbers, and brings back from each shard the statistics of the M step,
#' \eqn{1 + K(1 + d + d(d + 1)/2)} numbers for a full covariance model (the
#' diagonal models \eqn{1 + K(1 + 2d)}). For \eqn{K = 8, d = 10} that is
#' 892 numbers (7 kB) out and 529 (4 kB) back per worker and iteration, for
#' a thousand rows or a billion; the request also carries the call that runs
#' the pass (`bench/cluster.md` measures both serialized). The rows cross
#' once (`x`) or never (`paths`).
#'
#' @section Starts:
#' With `x` in memory, [softmix()] makes its starts from `x` as an in-memory
#' fit does, so the fit equals the in-memory one (up to the order of the
#' sums). With shards read from files, the starts are made from a sample of
#' `sample_size` rows (2,000 by default) drawn with R's generator on this
#' session and gathered from the shards; `set.seed()` reproduces them.
#'
#' @section Threads and failures:
#' Each worker fits with `n_threads` threads (1 by default), so that two
#' workers on one machine do not oversubscribe its cores. A worker whose
#' pass fails stops the fit with an error naming the worker and the shard;
#' the other workers' results are read, so the cluster stays usable. A shard
#' whose columns differ from the first shard's, or that holds missing or
#' infinite values, is named in the error when the shards are made.
#'
#' @section Interrupts:
#' An interrupt (Ctrl-C, or Esc in the R GUI) stops a fit, or the loading of
#' shards, and returns to the prompt, and the cluster stays usable. Each
#' worker answers once the pass under way is done (at a terminal, Ctrl-C
#' reaches the workers of a PSOCK cluster too, and stops a `read` function
#' at once), and this session reads every answer, so that the next call on
#' the cluster does not take one for its own. If a worker takes more than a
#' second, a message says which, and a second interrupt stops the wait,
#' with a warning: softmix then reads the answers still owed before its own
#' next call on those workers, but other calls on the cluster
#' (`parallel::clusterCall()`, say) would take them for theirs, so wait
#' until the workers are done, or make a new cluster.
#'
#' @param cluster A cluster of the `parallel` package
#'   ([parallel::makeCluster()], including PSOCK, FORK and MPI clusters of
#'   snow); its workers must have softmix installed.
#' @param paths Files to read on the workers, one shard each, spread over the
#'   workers in turn; or `NULL` with `x`.
#' @param read A function of one path, called on the worker, returning a
#'   numeric matrix or data frame: [readRDS()] (default), `data.table::fread`,
#'   `arrow::read_parquet`.
#' @param x A numeric matrix or data frame in memory, split into one shard of
#'   consecutive rows per worker; or `NULL` with `paths`.
#' @param weights,labels Observation weights and known components of the rows
#'   of `x`, as in [softmix()]; they travel with the rows.
#' @param n_threads Threads of each worker: 1 by default.
#' @return A `softmix_shards` object: the cluster, where each shard lives,
#'   its rows and columns. Pass it to [softmix()] as `x`. The shards live as
#'   long as the workers; `softmix_shards_free()` removes them earlier.
#' @family clusters
#' @seealso [softmix_write_posterior()] to write each shard's posterior next
#'   to its file, [posterior()] to gather it.
#' @export
#' @examples
#' \donttest{
#' cl <- parallel::makePSOCKcluster(2)
#' # Workers need the library softmix is installed in.
#' invisible(parallel::clusterCall(cl, function(paths) .libPaths(paths), .libPaths()))
#' paths <- file.path(tempdir(), c("part1.rds", "part2.rds"))
#' saveRDS(faithful[1:136, ], paths[1])
#' saveRDS(faithful[137:272, ], paths[2])
#' shards <- softmix_shards(cl, paths)
#' shards
#' set.seed(1)
#' fit <- softmix(shards, k = 2, n_threads = 1)
#' fit
#' head(posterior(fit))
#' parallel::stopCluster(cl)
#' }
softmix_shards <- function(cluster, paths = NULL, read = readRDS, x = NULL, weights = NULL,
                           labels = NULL, n_threads = 1L) {
  call <- sys.call()
  cluster <- check_shard_cluster(cluster, call)
  n_threads <- check_count(n_threads, "n_threads", min = 1)
  if (is.null(paths) == is.null(x)) {
    softmix_abort("Give either `paths` (files read on the workers) or `x` (data in memory).", call)
  }
  token <- shard_token()
  futures <- identical(cluster, "future")
  # Under future each shard is its own unit of work, wherever it runs.
  nodes <- if (futures) NULL else seq_along(cluster)
  if (!is.null(x)) {
    data <- as_data_matrix(x, call = call)
    n <- nrow(data)
    weights <- check_weights(weights, n, "frequency", call = call)
    known <- check_known_labels(labels, n, call = call)
    workers <- if (futures) max(1L, future::nbrOfWorkers()) else length(cluster)
    blocks <- Filter(length, parallel::splitIndices(n, workers))
    node_of <- if (futures) seq_along(blocks) else nodes[seq_along(blocks)]
    loads <- lapply(seq_along(blocks), function(s) {
      rows <- blocks[[s]]
      list(token = token, id = s, data = data[rows, , drop = FALSE], path = NULL, read = NULL,
           rows = row_info(weights[rows],
                           if (is.null(known)) NULL else list(labels = known$labels[rows])),
           n_threads = n_threads)
    })
    sources <- sprintf("rows %d to %d of `x`", vapply(blocks, min, 1L), vapply(blocks, max, 1L))
    kept <- list(x = data, weights = weights, known = known)
  } else {
    if (!is.character(paths) || length(paths) < 1L || anyNA(paths)) {
      softmix_abort("`paths` must be a character vector of files to read on the workers.", call)
    }
    if (!is.function(read)) softmix_abort("`read` must be a function of one path.", call)
    if (!is.null(weights) || !is.null(labels)) {
      softmix_abort("`weights` and `labels` go with `x`; shards read from files have neither.",
                    call)
    }
    node_of <- if (futures) seq_along(paths) else
      nodes[(seq_along(paths) - 1L) %% length(cluster) + 1L]
    loads <- lapply(seq_along(paths), function(s) {
      list(token = token, id = s, data = NULL, path = paths[[s]], read = read, rows = list(),
           n_threads = n_threads)
    })
    sources <- sprintf("file %s", paths)
    kept <- list(x = NULL, weights = NULL, known = NULL)
  }
  shards <- structure(
    list(cluster = cluster, token = token, node = node_of, source = sources, n = NULL, d = NULL,
         names = NULL, factor = 1, header = NULL, x = NULL,
         state = new.env(parent = emptyenv())),
    class = "softmix_shards"
  )
  # Under future a shard may be asked of a worker that does not hold it; it
  # is then loaded there again, from these.
  if (futures) shards$state$loads <- loads
  # On a failure or an interrupt before the shards are complete, free what
  # was loaded: the caller has no object to free it with.
  complete <- FALSE
  on.exit(if (!complete) try(shard_free_all(shards, call, skip_owing = TRUE), silent = TRUE),
          add = TRUE)
  # The rows travel on the direct channel, where one cut short by an
  # interrupt leaves the cluster's own sockets as they were.
  shard_channel_open(shards)
  summaries <- local({
    on.exit(shard_channel_close(shards))
    shard_exchange(shards, shard_load, lapply(loads, list), call, what = "loading")
  })
  shard_check_columns(summaries, sources, call)
  shards$n <- vapply(summaries, `[[`, numeric(1), "n")
  shards$d <- summaries[[1L]]$d
  shards$names <- summaries[[1L]]$names
  if (sum(shards$n) < 1) softmix_abort("The shards hold no rows.", call)
  shards$factor <- shard_scale_cpp(max(vapply(summaries, `[[`, numeric(1), "largest")))
  # The first passes: the columns' sums, then their squares about the means.
  sums <- Reduce(`+`, shard_run_all(shards, "column_sums", numeric(), "", call))
  mean <- sums[-(1:2)] / sums[2]
  squares <- Reduce(`+`, shard_run_all(shards, "column_squares", mean, "", call))
  variance <- if (sums[1] < 2 || !(sums[2] > 0)) 0 * squares else squares / sums[2]
  shards$header <- list(d = shards$d, factor = shards$factor, n_total = sums[1],
                        total_weight = sums[2], column_variance = variance)
  shards[c("x", "weights", "known")] <- kept
  complete <- TRUE
  shards
}

#' @rdname softmix_shards
#' @param shards A `softmix_shards` object. Fits and [posterior()] of freed
#'   shards stop with an error; a [softmix_file()] holds nothing to free.
#' @export
softmix_shards_free <- function(shards) {
  call <- sys.call()
  if (!inherits(shards, "softmix_shards")) {
    softmix_abort(sprintf("`shards` must be a softmix_shards() object, not %s.",
                          describe_type(shards)), call)
  }
  # A softmix_file() holds nothing between passes.
  if (inherits(shards, "softmix_file")) return(invisible(shards))
  shard_free_all(shards, call)
  # Later passes say so instead of failing on every worker.
  shards$state$freed <- TRUE
  invisible(shards)
}

#' Drop every shard of `shards` from its worker
#' @noRd
shard_free_all <- function(shards, call, skip_owing = FALSE) {
  shard_exchange(shards, shard_free, lapply(seq_along(shards$node), function(s) {
    list(list(token = shards$token, id = s))
  }), call, what = "freeing", skip_owing = skip_owing)
}

#' @export
print.softmix_shards <- function(x, ...) {
  cat(sprintf("softmix shards: %s rows of %d variables in %d shard(s) %s\n",
              format(sum(x$n), big.mark = ","), x$d, length(x$n),
              if (identical(x$cluster, "future")) "under the current future plan" else
                sprintf("on %d worker(s)", length(unique(x$node)))))
  show <- utils::head(seq_along(x$n), 6L)
  for (s in show) {
    where <- if (identical(x$cluster, "future")) "under future" else
      sprintf("on worker %d", x$node[s])
    cat(sprintf("  shard %d %s: %s rows (%s)\n", s, where, format(x$n[s], big.mark = ","),
                x$source[s]))
  }
  if (length(x$n) > length(show)) cat(sprintf("  ... and %d more\n", length(x$n) - length(show)))
  invisible(x)
}

#' Write each shard's posterior next to its file
#'
#' For a fit of shards read from files, each worker computes its shards'
#' posterior probabilities under the fitted parameters and writes them next
#' to the shard's file: the path with `suffix` in place of its extension.
#' No posterior passes through this session.
#'
#' @param fit A [softmix()] fit of a [softmix_shards()] object made from
#'   `paths`.
#' @param suffix Appended to each path without its extension: a single
#'   string. Nothing is written if a path made with it is a shard's file or
#'   another shard's path.
#' @param write A function `write(posterior, path)` run on the workers;
#'   [saveRDS()] by default, or for example `data.table::fwrite`.
#' @return The paths written, invisibly.
#' @family clusters
#' @export
softmix_write_posterior <- function(fit, suffix = "_posterior.rds", write = saveRDS) {
  call <- sys.call()
  shards <- fit_shards(fit, call)
  if (inherits(shards, "softmix_file")) {
    softmix_abort(paste(
      "`fit` is a fit of a softmix_file(), whose rows are read in this session:",
      "posterior() reads their posterior from the file."
    ), call)
  }
  if (is.null(shards$header) || !all(startsWith(shards$source, "file "))) {
    softmix_abort("`fit` was not fitted to shards read from files.", call)
  }
  if (!is.character(suffix) || length(suffix) != 1L || is.na(suffix) || !nzchar(suffix)) {
    softmix_abort(sprintf("`suffix` must be a single non-empty string, not %s.",
                          format_value(suffix)), call)
  }
  if (!is.function(write)) softmix_abort("`write` must be a function(posterior, path).", call)
  paths <- sub("^file ", "", shards$source)
  targets <- paste0(tools::file_path_sans_ext(paths), suffix)
  check_posterior_targets(paths, targets, suffix, call)
  parts <- shard_run_all(shards, "posterior", NULL, fit$model, call,
                         extra = list(parameters = unclass(fit$parameters), write = write,
                                      targets = targets),
                         activity = "writing the posterior")
  invisible(unlist(parts))
}

#' Stop before anything is written when a posterior would overwrite a
#' shard's file or another shard's posterior
#' @noRd
check_posterior_targets <- function(paths, targets, suffix, call) {
  sources <- same_file_key(paths)
  written <- same_file_key(targets)
  hit <- which(written %in% sources)
  if (length(hit) > 0L) {
    s <- hit[1L]
    softmix_abort(sprintf(paste(
      "`suffix` \"%s\" would write the posterior of shard %d over the file of shard %d (%s);",
      "choose a `suffix` that is not the files' extension."
    ), suffix, s, match(written[s], sources), paths[match(written[s], sources)]), call)
  }
  twice <- which(duplicated(written))
  if (length(twice) > 0L) {
    s <- twice[1L]
    softmix_abort(sprintf(
      "`suffix` \"%s\" would write the posteriors of shards %d and %d to the same file (%s).",
      suffix, match(written[s], written), s, targets[s]
    ), call)
  }
}

#' Paths as keys that are equal when they name the same file: resolved (the
#' directory, for a file not yet there), and without case where the file
#' system ignores it
#' @noRd
same_file_key <- function(paths) {
  key <- ifelse(file.exists(paths), normalizePath(paths, mustWork = FALSE),
                file.path(normalizePath(dirname(paths), mustWork = FALSE), basename(paths)))
  if (.Platform$OS.type == "windows" || Sys.info()[["sysname"]] == "Darwin") key <- tolower(key)
  key
}

# The shards' side: what the workers run -----------------------------------

#' The shards this R process holds, by "token id"
#' @noRd
shard_store <- new.env(parent = emptyenv())

#' Load a shard on a worker and describe it: rows, columns, their names,
#' largest magnitude
#' @noRd
shard_load <- function(token, id, data, path, read, rows, n_threads) {
  if (is.null(data)) data <- read(path)
  data <- as_data_matrix(data, arg = "the shard")
  assign(paste(token, id), list(x = data, rows = rows, n_threads = n_threads),
         envir = shard_store)
  list(n = nrow(data), d = ncol(data), names = colnames(data),
       largest = if (length(data) == 0L) 0 else max(abs(data)))
}

#' Drop a shard from a worker
#' @noRd
shard_free <- function(token, id) {
  key <- paste(token, id)
  if (exists(key, envir = shard_store, inherits = FALSE)) rm(list = key, envir = shard_store)
  TRUE
}

#' One pass of a worker over one of its shards (see shard_pass_cpp())
#' @noRd
shard_pass <- function(token, id, what, wire, model, factor, extra = NULL) {
  shard <- get0(paste(token, id), envir = shard_store, inherits = FALSE)
  if (is.null(shard)) stop("the shard is not loaded on this worker")
  if (what == "posterior") {
    posterior <- shard_posterior_cpp(shard$x, shard$rows, factor, extra$parameters, model,
                                     shard$n_threads)
    # The shard's row names, as an in-memory fit keeps those of its data.
    rownames(posterior) <- rownames(shard$x)
    if (is.null(extra$write)) return(posterior)
    target <- extra$targets[[id]]
    tryCatch(extra$write(posterior, target), error = function(e) {
      stop(sprintf("cannot write the posterior to %s: %s", target, conditionMessage(e)),
           call. = FALSE)
    })
    return(target)
  }
  if (what == "sample") return(shard$x[extra$rows[[id]], , drop = FALSE])
  shard_pass_cpp(shard$x, shard$rows, factor, what, wire, model, shard$n_threads)
}

#' A worker's passes over the shards it holds, each failure caught and
#' returned with the shard's number. An interrupt ends them but still
#' answers, a failure per call: a Ctrl-C at a terminal reaches the workers
#' of a PSOCK cluster too (they share the session's process group), and a
#' worker that answers nothing would leave the main session waiting for it.
#' @noRd
shard_work <- function(calls, fun) {
  tryCatch(
    lapply(calls, function(args) {
      tryCatch(do.call(fun, args), error = function(e) shard_failure(conditionMessage(e)))
    }),
    interrupt = function(e) rep(list(shard_failure("interrupted on the worker")), length(calls))
  )
}

shard_failure <- function(message) {
  structure(list(message = message), class = "softmix_shard_failure")
}

# The main session's side ---------------------------------------------------

#' Check the cluster argument of softmix_shards()
#' @noRd
check_shard_cluster <- function(cluster, call) {
  if (identical(cluster, "future")) {
    if (!requireNamespace("future", quietly = TRUE)) {
      softmix_abort("`cluster = \"future\"` needs the future package; install it.", call)
    }
    return(cluster)
  }
  if (!inherits(cluster, "cluster") || length(cluster) < 1L) {
    softmix_abort(sprintf(
      "`cluster` must be a cluster made by parallel::makeCluster(), not %s.",
      describe_type(cluster)
    ), call)
  }
  check_cluster_open(cluster, call)
  cluster
}

#' Stop when a cluster's connections are closed (a stopped cluster): its
#' workers are gone, not failing.
#' @noRd
check_cluster_open <- function(cluster, call) {
  if (!inherits(cluster, "cluster")) return(invisible())
  open <- vapply(cluster, function(node) {
    !inherits(node$con, "connection") || connection_is_open(node$con)
  }, logical(1))
  if (!all(open)) {
    softmix_abort(sprintf(paste(
      "The cluster's connections are closed (worker(s) %s); was it stopped with",
      "parallel::stopCluster()? Make a new cluster, and new shards on it."
    ), paste(which(!open), collapse = ", ")), call)
  }
}

#' A name for a set of shards, unique on its workers, drawn without R's
#' random numbers
#' @noRd
shard_token <- function() {
  count <- get0("count", envir = shard_store, inherits = FALSE, ifnotfound = 0) + 1
  assign("count", count, envir = shard_store)
  sprintf("%s-%d-%s-%d", Sys.info()[["nodename"]], Sys.getpid(),
          format(Sys.time(), "%Y%m%d%H%M%OS6"), count)
}

#' Run fun on the workers, each shard's calls on its worker (shard_calls: per
#' shard, a list of argument lists), all workers at once; returns one result
#' per shard, in shard order, or stops naming the workers and shards that
#' failed. Every worker's answer is read, after an interrupt too, so the
#' cluster stays usable (see drain_answers()); answers a worker still owes
#' from an earlier exchange are read first. With `skip_owing` (a clean-up),
#' workers that owe answers are left out instead of waited for.
#' @noRd
shard_exchange <- function(shards, fun, shard_calls, call, what = "fitting",
                           skip_owing = FALSE) {
  if (identical(shards$cluster, "future")) {
    return(future_exchange(shards, fun, shard_calls, call, what))
  }
  if (!is.null(shards$state$channel)) {
    return(channel_exchange(shards, fun, shard_calls, call, what))
  }
  cluster <- shards$cluster
  check_cluster_open(cluster, call)
  nodes <- sort(unique(shards$node))
  if (skip_owing) {
    owing <- nodes[vapply(nodes, function(node) owed_count(cluster[[node]]$con) > 0L,
                          logical(1))]
    nodes <- setdiff(nodes, owing)
    if (length(nodes) == 0L) return(invisible())
  } else {
    settle_owed_answers(cluster, nodes, call)
  }
  send_call <- utils::getFromNamespace("sendCall", "parallel")
  receive <- utils::getFromNamespace("recvResult", "parallel")
  exchange_nodes(shards, nodes, shard_calls,
                 send = function(node, calls) send_call(cluster[[node]], shard_work,
                                                        list(calls, fun)),
                 receive = function(node) receive(cluster[[node]]), call = call, what = what,
                 connection = function(node) cluster[[node]]$con,
                 on_abandon = function(nodes) {
                   for (node in nodes) owe_answer(cluster[[node]]$con)
                 })
}

#' Send each worker (`nodes`) its shards' calls with send(node, calls), all
#' at once, then read every answer with receive(node), in order; an answer
#' that cannot be read marks its worker dead. Returns one result per shard,
#' or stops (after on_dead()) naming the dead workers and their shards.
#' Cut short by an error or an interrupt, it reads what the workers still
#' owe (see drain_answers(); connection(node) is the socket an answer comes
#' on); those the user stops waiting for go to on_abandon(nodes).
#' @noRd
exchange_nodes <- function(shards, nodes, shard_calls, send, receive, call, what,
                           on_dead = function() NULL, connection = function(node) NULL,
                           on_abandon = function(nodes) NULL) {
  pending <- integer()
  answers <- vector("list", max(shards$node))
  dead <- integer()
  reasons <- character()
  on.exit(if (length(pending) > 0L) {
    left <- drain_answers(pending, receive, connection)
    if (length(left) > 0L) {
      on_abandon(left)
      warn_abandoned(left)
    }
  }, add = TRUE)
  for (node in nodes) {
    calls <- unlist(shard_calls[which(shards$node == node)], recursive = FALSE)
    sent <- tryCatch({
      send(node, calls)
      TRUE
    }, error = function(e) conditionMessage(e))
    if (isTRUE(sent)) {
      pending <- c(pending, node)
    } else {
      dead <- c(dead, node)
      reasons <- c(reasons, sent)
    }
  }
  while (length(pending) > 0L) {
    node <- pending[1L]
    answer <- tryCatch(receive(node), error = function(e) e)
    pending <- pending[-1L]
    if (inherits(answer, "error") || inherits(answer, "try-error")) {
      dead <- c(dead, node)
      reasons <- c(reasons, if (inherits(answer, "error")) conditionMessage(answer)
                            else as.character(answer))
    } else {
      answers[[node]] <- answer
    }
  }
  if (length(dead) > 0L) {
    on_dead()
    shard_dead(shards, dead, reasons, what, call)
  }
  shard_results(shards, answers, call, what)
}

#' Stop, naming the workers that stopped responding and their shards
#' @noRd
shard_dead <- function(shards, nodes, reasons, what, call) {
  if (length(nodes) == 0L) return(invisible())
  who <- if (identical(shards$cluster, "future")) "the future of shard" else "worker"
  softmix_abort(sprintf(
    "While %s, %s stopped responding; the fit is stopped. Its shards: %s.",
    what, paste(sprintf("%s %d (%s)", who, nodes, trimws(reasons)), collapse = ", "),
    paste(which(shards$node %in% nodes), collapse = ", ")
  ), call, class = "softmix_shard_error")
}

#' The answers of the workers (one list per worker) as one result per shard,
#' or an error naming the first shard that failed
#' @noRd
shard_results <- function(shards, answers, call, what) {
  results <- vector("list", length(shards$node))
  # A worker left out (see shard_exchange()) has no answers.
  for (node in which(!vapply(answers, is.null, logical(1)))) {
    ids <- which(shards$node == node)
    results[ids] <- answers[[node]]
  }
  failed <- which(vapply(results, inherits, logical(1), what = "softmix_shard_failure"))
  if (length(failed) > 0L) {
    s <- failed[1L]
    softmix_abort(sprintf(
      "While %s, %s failed on shard %d (%s): %s%s",
      what, if (identical(shards$cluster, "future")) "its future" else
        sprintf("worker %d", shards$node[s]), s, shards$source[s], results[[s]]$message,
      if (length(failed) > 1L) sprintf(" (and %d more shard(s) failed)", length(failed) - 1L)
      else ""
    ), call, class = "softmix_shard_error")
  }
  results
}

# A direct channel for the passes of a fit and the loading of shards -------------
#
# A cluster's sockets send a message of more than a few kilobytes in pieces,
# and unless the cluster was made with options(socketOptions = "no-delay"),
# the operating system holds each message's last piece until the previous one
# is acknowledged, which the other end delays by tens of milliseconds: a pass
# would wait that long twice whatever its work. For the passes of a fit each
# worker therefore connects back to this session on a socket of its own,
# without that delay, and serves passes on it until the fit ends. Shards'
# rows travel on such a channel too: a message cut short by an interrupt
# (a Ctrl-C reaches the workers too) would leave the rest of it on the
# cluster's socket, for the next call to read as an answer; a channel is
# closed after it. Where a worker cannot connect back (an MPI cluster, a
# firewall), everything goes through the cluster's own sockets.

#' Open the channel: every worker holding shards connects back and serves.
#' Connecting waits `timeout` seconds (option softmix.shard_timeout); once
#' connected, a pass may take as long as the cluster's own sockets allow.
#' @noRd
shard_channel_open <- function(shards, timeout = getOption("softmix.shard_timeout", 10)) {
  state <- shards$state
  if (!is.null(state$channel) || !inherits(shards$cluster, "SOCKcluster")) return(invisible())
  server <- NULL
  base <- 11000L + Sys.getpid() %% 1000L
  for (attempt in 0:24) {
    port <- 11000L + (base - 11000L + 37L * attempt) %% 1000L
    server <- tryCatch(serverSocket(port), error = function(e) NULL)
    if (!is.null(server)) break
  }
  if (is.null(server)) return(invisible())
  listening <- TRUE
  on.exit(if (listening) close(server), add = TRUE)
  cluster <- shards$cluster
  send_call <- utils::getFromNamespace("sendCall", "parallel")
  nodes <- sort(unique(shards$node))
  waits <- vapply(nodes, function(node) cluster_node_timeout(cluster[[node]]), numeric(1))
  serving <- integer()
  channel <- list()
  # Cut short (an interrupt), release the workers that connected and read
  # what every worker that was asked to serve answers.
  opened <- FALSE
  on.exit(if (!opened) {
    for (con in channel) try(close(con), silent = TRUE)
    left <- drain_answers(serving, function(node) receive(cluster[[node]]),
                          function(node) cluster[[node]]$con)
    for (node in left) owe_answer(cluster[[node]]$con)
    if (length(left) > 0L) warn_abandoned(left)
  }, add = TRUE)
  receive <- utils::getFromNamespace("recvResult", "parallel")
  settle_owed_answers(cluster, nodes, sys.call(-1))
  for (i in seq_along(nodes)) {
    sent <- tryCatch({
      send_call(cluster[[nodes[i]]], shard_serve, list(port, nodes[i], timeout, waits[i]))
      TRUE
    }, error = function(e) FALSE)
    if (sent) serving <- c(serving, nodes[i])
  }
  if (length(serving) == length(nodes)) {
    for (i in seq_along(nodes)) {
      con <- tryCatch(
        socketAccept(server, blocking = TRUE, open = "a+b", timeout = timeout,
                     options = "no-delay"),
        error = function(e) NULL
      )
      if (is.null(con)) break
      node <- tryCatch(unserialize(con), error = function(e) NA)
      if (!is.numeric(node) || !(node %in% nodes)) {
        close(con)
        break
      }
      # Reads wait out a long pass as the cluster's own sockets do; a worker
      # that dies still closes its end, which ends a read at once.
      socketTimeout(con, waits[match(node, nodes)])
      channel[[as.character(node)]] <- con
    }
  }
  if (length(channel) == length(nodes)) {
    state$channel <- channel
    state$serving <- serving
    state$abandoned <- integer()
    opened <- TRUE
    return(invisible())
  }
  # Not every worker connected back: stop listening, so that a late one is
  # refused instead of serving forever, release those that did, read what
  # every worker answers (on exit), and keep to the cluster's sockets.
  close(server)
  listening <- FALSE
  invisible()
}

#' Close the channel: every worker returns to its cluster's loop
#' @noRd
shard_channel_close <- function(shards) {
  state <- shards$state
  channel <- state$channel
  if (is.null(channel)) return(invisible())
  state$channel <- NULL
  for (con in channel) {
    try(serialize("stop", con), silent = TRUE)
    try(close(con), silent = TRUE)
  }
  # Each serving worker answers on the cluster's socket once its pass is
  # done; those the user already stopped waiting for are not waited for again.
  cluster <- shards$cluster
  receive <- utils::getFromNamespace("recvResult", "parallel")
  waited <- setdiff(state$serving, state$abandoned)
  left <- drain_answers(waited, function(node) receive(cluster[[node]]),
                        function(node) cluster[[node]]$con)
  for (node in union(left, intersect(state$serving, state$abandoned))) {
    owe_answer(cluster[[node]]$con)
  }
  if (length(left) > 0L) warn_abandoned(left)
  state$serving <- NULL
  state$abandoned <- NULL
  invisible()
}

# Answers owed after an interrupt ------------------------------------------------
#
# A worker answers every call it is sent, after an interrupt too (see
# shard_work()), and its answers must be read in order, or the next call on
# its socket (softmix's, or the user's own) takes an old answer for its own.
# After an interrupt softmix therefore waits for what the workers owe; a
# second interrupt stops that wait, and the answers still owed are counted
# here, per socket, and read before softmix's next call on that worker.

owed_answers <- new.env(parent = emptyenv())

#' Read the answers that workers `nodes` owe (receive(node)), each as it
#' comes, for an exchange cut short by an error or an interrupt. Workers
#' interrupted too (a Ctrl-C at a terminal reaches them all) answer at once;
#' one that goes on with its pass answers when it is done: after a second
#' the user is told what the wait is for, and an interrupt stops it.
#' `connection(node)` is the socket an answer comes on; without sockets the
#' answers are read in order. Returns the nodes whose answers are still owed.
#' @noRd
drain_answers <- function(nodes, receive, connection, wait = 1) {
  if (length(nodes) == 0L) return(integer())
  cons <- lapply(nodes, connection)
  selectable <- all(vapply(cons, inherits, logical(1), what = "sockconn"))
  told <- FALSE
  tell <- function() {
    if (told) return()
    told <<- TRUE
    message(sprintf(paste(
      "Waiting for worker(s) %s to finish the work under way and answer;",
      "press Ctrl-C (Esc) again to stop waiting."
    ), paste(nodes, collapse = ", ")))
  }
  tryCatch({
    while (length(nodes) > 0L) {
      i <- 1L
      if (selectable) {
        ready <- tryCatch(socketSelect(cons, timeout = wait), error = function(e) NULL)
        if (!is.null(ready) && !any(ready)) {
          tell()
          next
        }
        if (!is.null(ready)) i <- which(ready)[1L]
      } else {
        tell()
      }
      try(receive(nodes[i]), silent = TRUE)
      nodes <- nodes[-i]
      cons <- cons[-i]
    }
  }, interrupt = function(e) NULL)
  nodes
}

#' Count `by` more answers owed on socket `con` (fewer, when negative)
#' @noRd
owe_answer <- function(con, by = 1L) {
  if (!inherits(con, "connection")) return(invisible())
  entries <- Filter(function(entry) connection_is_open(entry$con), owed_answers$entries)
  at <- Position(function(entry) same_connection(entry$con, con), entries)
  if (is.na(at)) {
    entries[[length(entries) + 1L]] <- list(con = con, count = by)
    at <- length(entries)
  } else {
    entries[[at]]$count <- entries[[at]]$count + by
  }
  if (entries[[at]]$count <= 0L) entries[[at]] <- NULL
  owed_answers$entries <- entries
  invisible()
}

#' The number of answers owed on socket `con`
#' @noRd
owed_count <- function(con) {
  for (entry in owed_answers$entries) {
    if (same_connection(entry$con, con)) return(entry$count)
  }
  0L
}

#' Read and drop what the workers `nodes` of `cluster` still owe from an
#' interrupted exchange, waiting for them as drain_answers() does; stops if
#' the user stops waiting.
#' @noRd
settle_owed_answers <- function(cluster, nodes, call) {
  owing <- nodes[vapply(nodes, function(node) owed_count(cluster[[node]]$con) > 0L, logical(1))]
  if (length(owing) == 0L) return(invisible())
  receive <- utils::getFromNamespace("recvResult", "parallel")
  repeat {
    left <- drain_answers(owing, function(node) {
      con <- cluster[[node]]$con
      on.exit(owe_answer(con, -1L))
      receive(cluster[[node]])
    }, function(node) cluster[[node]]$con)
    owing <- owing[vapply(owing, function(node) owed_count(cluster[[node]]$con) > 0L,
                          logical(1))]
    if (length(left) > 0L || length(owing) == 0L) break
  }
  if (length(owing) > 0L) {
    softmix_abort(sprintf(paste(
      "Worker(s) %s still owe answers from work interrupted earlier; wait until they are",
      "done, or make a new cluster."
    ), paste(owing, collapse = ", ")), call, class = "softmix_shard_error")
  }
  invisible()
}

#' Warn that workers `nodes` were left owing answers
#' @noRd
warn_abandoned <- function(nodes) {
  softmix_warn(sprintf(paste(
    "Stopped waiting for worker(s) %s, which still owe an answer each. softmix reads",
    "them before its next call on these workers; other calls on the cluster would take",
    "them for their own, so wait until the workers are done, or make a new cluster."
  ), paste(nodes, collapse = ", ")), call = NULL)
}

#' Whether two connections are the same one (a closed connection's number
#' may be another's now, hence the ids)
#' @noRd
same_connection <- function(a, b) {
  identical(as.integer(a), as.integer(b)) && identical(attr(a, "conn_id"), attr(b, "conn_id"))
}

#' Whether connection `con` is still open (a closed connection's number may
#' already be another connection's, hence the comparison of their ids)
#' @noRd
connection_is_open <- function(con) {
  live <- tryCatch(getConnection(as.integer(con)), error = function(e) NULL)
  !is.null(live) && identical(attr(live, "conn_id"), attr(con, "conn_id"))
}

#' The timeout of a cluster node's socket: how long the cluster itself waits
#' for a worker (PSOCK's 30 days by default)
#' @noRd
cluster_node_timeout <- function(node) {
  wait <- tryCatch(socketTimeout(node$con), error = function(e) NA)
  if (length(wait) != 1L || is.na(wait) || wait <= 0) 60 * 60 * 24 * 30 else wait
}

#' On a worker: connect back to the main session (the cluster's MASTER) and
#' serve passes until told to stop or the connection closes; connecting
#' waits `timeout` seconds, every read or write after it `wait` (the time
#' between passes, or a long pass of another worker, is not a failure).
#' Interrupts never go unanswered (see shard_work()): a pass interrupted
#' answers a failure, an interrupt between passes is ignored (the main
#' session ends the serving), and one elsewhere ends it with an answer on
#' the cluster's socket.
#' @noRd
shard_serve <- function(port, node, timeout, wait = timeout) {
  tryCatch({
    master <- sub("^MASTER=", "", grep("^MASTER=", commandArgs(TRUE), value = TRUE))
    host <- if (length(master) == 1L && nzchar(master)) master else "localhost"
    con <- socketConnection(host, port, blocking = TRUE, open = "a+b", timeout = timeout,
                            options = "no-delay")
    on.exit(close(con))
    socketTimeout(con, wait)
    serialize(node, con)
    repeat {
      request <- tryCatch(unserialize(con), error = function(e) NULL,
                          interrupt = function(e) "interrupted")
      if (identical(request, "interrupted")) next
      if (!is.list(request)) break
      answer <- tryCatch(
        shard_work(request$calls, get(request$fun, envir = asNamespace("softmix"))),
        interrupt = function(e) {
          rep(list(shard_failure("interrupted on the worker")), length(request$calls))
        }
      )
      serialize(answer, con)
    }
    TRUE
  }, interrupt = function(e) FALSE)
}

#' shard_exchange() over the channel
#' @noRd
channel_exchange <- function(shards, fun, shard_calls, call, what) {
  channel <- shards$state$channel
  name <- if (identical(fun, shard_pass)) "shard_pass" else if (identical(fun, shard_load)) {
    "shard_load"
  } else stop("only passes and loads go through the channel")
  exchange_nodes(shards, as.integer(names(channel)), shard_calls,
                 send = function(node, calls) {
                   serialize(list(calls = calls, fun = name), channel[[as.character(node)]])
                 },
                 receive = function(node) unserialize(channel[[as.character(node)]]),
                 call = call, what = what, on_dead = function() shard_channel_close(shards),
                 connection = function(node) channel[[as.character(node)]],
                 on_abandon = function(nodes) {
                   # Their answers to the channel are lost with it; what they
                   # owe on the cluster's sockets is not waited for again.
                   shards$state$abandoned <- union(shards$state$abandoned, nodes)
                 })
}

# Shards under future ------------------------------------------------------------
#
# Futures are not tied to a worker: a shard's pass may land on any worker of
# the current plan. Each worker keeps the shards it has loaded; a pass that
# lands where its shard is not loaded answers so, and is sent again with
# what loads the shard (the file's path, or the rows). Once every worker
# holds its shards, a pass sends only the parameters.

#' On a future's worker: load the shard if given, then run the calls; or
#' say that the shard is not loaded here
#' @noRd
shard_future <- function(load, calls, fun) {
  ns <- asNamespace("softmix")
  if (!is.null(load)) {
    loaded <- ns$shard_work(list(load), ns$shard_load)[[1L]]
    if (inherits(loaded, "softmix_shard_failure")) return(list(loaded))
  } else if (!exists(paste(calls[[1L]]$token, calls[[1L]]$id), envir = ns$shard_store,
                     inherits = FALSE)) {
    return("not loaded")
  }
  if (identical(fun, "shard_load")) return(list(loaded))
  ns$shard_work(calls, get(fun, envir = ns))
}

#' shard_exchange() under future: a future per shard
#' @noRd
future_exchange <- function(shards, fun, shard_calls, call, what) {
  name <- if (identical(fun, shard_load)) "shard_load" else if (identical(fun, shard_pass)) {
    "shard_pass"
  } else if (identical(fun, shard_free)) "shard_free" else stop("unknown shard function")
  loads <- shards$state$loads
  submit <- function(s, load) {
    future::future(quote(f(load, calls, fun)), substitute = FALSE,
                   globals = list(f = shard_future, load = load, calls = shard_calls[[s]],
                                  fun = name),
                   packages = "softmix")
  }
  value_of <- function(s, f) {
    tryCatch(future::value(f), error = function(e) {
      shard_dead(shards, s, conditionMessage(e), what, call)
    })
  }
  ids <- seq_along(shards$node)
  first <- lapply(ids, function(s) submit(s, if (name == "shard_load") shard_calls[[s]][[1L]]))
  answers <- lapply(ids, function(s) value_of(s, first[[s]]))
  again <- which(vapply(answers, identical, logical(1), "not loaded"))
  if (name == "shard_free") {
    # A worker without the shard has nothing to free.
    answers[again] <- list(list(TRUE))
    again <- integer()
  }
  if (length(again) > 0L) {
    retry <- lapply(again, function(s) submit(s, loads[[s]]))
    answers[again] <- Map(value_of, again, retry)
  }
  shard_results(shards, lapply(answers, function(a) a), call, what)
}

#' One pass over every shard: a list of results in shard order
#' @noRd
shard_run_all <- function(shards, what, wire, model, call, extra = NULL, activity = "fitting") {
  if (inherits(shards, "softmix_file")) return(file_run_all(shards, what, wire, model, call, extra))
  if (isTRUE(shards$state$freed)) {
    softmix_abort(paste(
      "The shards were freed by softmix_shards_free(); make them again with",
      "softmix_shards() and fit those."
    ), call, class = "softmix_shard_error")
  }
  shard_calls <- lapply(seq_along(shards$node), function(s) {
    list(list(token = shards$token, id = s, what = what, wire = wire, model = model,
              factor = shards$factor, extra = extra))
  })
  shard_exchange(shards, shard_pass, shard_calls, call, what = activity)
}

#' Stop, naming the shard, when a shard's columns differ from the first's
#' @noRd
shard_check_columns <- function(summaries, sources, call) {
  first <- summaries[[1L]]
  for (s in seq_along(summaries)) {
    this <- summaries[[s]]
    if (this$d != first$d || !identical(this$names, first$names)) {
      softmix_abort(sprintf(
        "Shard %d (%s) has columns %s, but shard 1 (%s) has %s.", s, sources[s],
        describe_columns(this), sources[1L], describe_columns(first)
      ), call)
    }
  }
}

describe_columns <- function(summary) {
  if (is.null(summary$names)) return(sprintf("%d unnamed", summary$d))
  sprintf("%d (%s)", summary$d, paste(utils::head(summary$names, 6L), collapse = ", "))
}

#' The shards of a fit, or an error
#' @noRd
fit_shards <- function(fit, call) {
  if (!inherits(fit, "softmix") || is.null(fit$shards)) {
    softmix_abort("`fit` must be a softmix() fit of shards (see softmix_shards()).", call)
  }
  fit$shards
}

#' Mixture parameters (data units, as a fit returns them) as the core's wire
#' vector in the scaled units of the shards
#' @noRd
shard_wire <- function(parameters, factor) {
  means <- parameters$means
  k <- nrow(means)
  proportions <- parameters$proportions
  noise <- length(proportions) == k + 1L
  c(k, ncol(means), as.numeric(noise), if (noise) proportions[k + 1L] else 0,
    proportions[seq_len(k)], as.vector(t(means)) * factor,
    as.vector(parameters$covariances) * factor^2)
}

#' EM for one (k, model) pair over the shards, from each of `starts`
#' (mixture parameters in the data's units): the fit without its posterior,
#' with ICL's classification term and the rows per component from one last
#' pass
#' @noRd
fit_shards_pair <- function(shards, header, k, model, starts, control, call) {
  # A shard's failure crosses the core as a plain error; it is raised again
  # as itself, so that a selection stops instead of skipping the pair.
  failure <- NULL
  pass <- function(what, wire) {
    withCallingHandlers(shard_run_all(shards, what, wire, model, call),
                        softmix_shard_error = function(e) failure <<- e)
  }
  core <- tryCatch(
    call_core(fit_elsewhere_cpp(header, k, model, starts, control, pass), call),
    softmix_error = function(e) stop(if (is.null(failure)) e else failure)
  )
  classified <- Reduce(`+`, shard_run_all(shards, "classify",
                                          shard_wire(core$parameters, header$factor), model, call))
  core$log_max_posterior_sum <- classified[1L]
  core$mean_uncertainty <- classified[2L] / header$n_total
  core$sizes <- classified[-(1:2)]
  core
}

# softmix() of shards ---------------------------------------------------------

#' softmix() of a softmix_shards object, or of data in memory on a cluster:
#' the settings checked as for an in-memory fit, starts made in this session
#' (from the data, or from a sample gathered from the shards), then EM over
#' the shards for every (k, model) pair
#' @noRd
softmix_elsewhere <- function(x, k, model, init, n_init, control, n_threads, criterion, verbose,
                              weights, weight_type, labels, fixed, noise, hypervolume, prior,
                              missing, cluster, sample_size, call, vector_name = "x") {
  missing <- match_choice(missing, c("em", "omit", "fail"), "missing")
  if (!identical(noise, FALSE) || !is.null(hypervolume)) {
    softmix_abort("A noise component cannot be fitted to shards or on a cluster yet.", call)
  }
  temporary <- FALSE
  weight_type <- match_choice(weight_type, c("frequency", "sampling"), "weight_type")
  start <- NULL
  omitted <- NULL
  if (inherits(x, "softmix_shards")) {
    in_file <- inherits(x, "softmix_file")
    if (weight_type == "sampling") {
      softmix_abort(if (in_file) {
        "`weight_type = \"sampling\"` needs `weights`, which a softmix_file() does not carry."
      } else {
        "Shards carry frequency weights; `weight_type = \"sampling\"` needs `x` in memory."
      }, call)
    }
    if (!is.null(cluster)) {
      softmix_abort("Give `cluster` with data in memory; shards carry their own cluster.", call)
    }
    if (!is.null(weights) || !is.null(labels)) {
      softmix_abort(if (in_file) {
        "`weights` and `labels` are not available for a softmix_file(); fit it without them."
      } else {
        "Give `weights` and `labels` to softmix_shards(), with the rows."
      }, call)
    }
    shards <- x
  } else {
    data <- as_data_matrix(x, vector_name = vector_name, missing_ok = TRUE, call = call)
    # As in memory, row-wise arguments are checked against every row of `x`,
    # before rows with missing values are dropped.
    check_weights(weights, nrow(data), call = call)
    check_known_labels(labels, nrow(data), call = call)
    start <- resolve_init(init, data, call)
    na <- incomplete_rows(data)
    if (!is.null(na)) {
      if (missing != "omit") {
        softmix_abort(paste(
          "A fit on a cluster needs complete rows; `x` has missing values in", sum(na),
          "row(s). Use `missing = \"omit\"` to drop them."
        ), call)
      }
      # As in memory: the same check that rows remain, and the same message.
      omit <- resolve_missing(data, "omit", call)
      keep <- omit$keep
      data <- data[keep, , drop = FALSE]
      weights <- weights_of_kept_rows(
        weights, keep, "all have missing values and are omitted.", call
      )
      if (!is.null(labels)) labels <- labels[keep]
      if (!is.null(start$weights)) start$weights <- start$weights[keep, , drop = FALSE]
      omitted <- list(method = "omit", dropped = omit$dropped, incomplete = 0L)
    }
    # Sampling weights sum to the number of rows fitted, as in memory.
    weights <- check_weights(weights, nrow(data), weight_type, call = call)
    shards <- softmix_shards(cluster, x = data, weights = weights, labels = labels)
    temporary <- TRUE
    on.exit(try(shard_free_all(shards, call, skip_owing = TRUE), silent = TRUE), add = TRUE)
  }
  # The passes of the fit go through a direct channel, closed before the
  # shards are freed.
  check_cluster_open(shards$cluster, call)
  shard_channel_open(shards)
  on.exit(shard_channel_close(shards), add = TRUE, after = FALSE)
  n <- sum(shards$n)
  models <- match_models(model, shards$d)
  control <- check_control(control)
  n_init <- check_count(n_init, "n_init", min = 1)
  n_threads <- resolve_threads(n_threads)
  # A file is read in this session, its chunks on the fit's threads.
  if (inherits(shards, "softmix_file")) shards$n_threads <- n_threads
  criterion <- match_choice(criterion, c("bic", "icl"), "criterion")
  verbose <- check_flag(verbose, "verbose")
  here <- shards$x
  if (!is.null(here)) {
    # The rows are in memory too: starts and scale exactly as in memory.
    main_rows <- list(weights = shards$weights, weight_type = weight_type, known = shards$known)
    header <- data_header_cpp(here, rows_info(main_rows))
  } else {
    sample_size <- check_count(sample_size, "sample_size", min = 1)
    here <- shard_sample(shards, min(n, sample_size), call)
    main_rows <- list()
    header <- shards$header
  }
  if (is.null(shards$x) && !inherits(init, "mixture_params") &&
      (is.matrix(init) || is.data.frame(init) || is.numeric(init) || is.factor(init))) {
    # Checked before `init`'s rows are counted: those of a sample are not
    # the rows the user sees.
    softmix_abort(paste(
      "A starting posterior or labels (`init`) need the rows in memory; give `init` as",
      "parameters (mixture_params()) or a method."
    ), call)
  }
  if (is.null(start)) start <- resolve_init(init, here, call)
  if (identical(start$method, "random")) {
    softmix_abort("`init = \"random\"` is not available for shards; use \"hc\" or \"kmeans++\".",
                  call)
  }
  fixed <- check_fixed(fixed, start)
  if (is.null(k)) {
    if (is.null(start$k)) softmix_abort("`k` is missing; give the number of components.", call)
    k <- start$k
  }
  k <- check_k(k, n, min = 1L)
  if (is.null(shards$x) && is.null(start$parameters) && max(k) > nrow(here)) {
    softmix_abort(sprintf(paste(
      "`k` (%s) is more than the %d rows drawn (`sample_size`) that the starts are made",
      "from; raise `sample_size`."
    ), max(k), nrow(here)), call)
  }
  k <- check_k_for_labels(k, main_rows$known)
  rows <- c(main_rows, list(
    fixed = fixed, prior = resolve_prior(prior, here, main_rows$weights), missing = omitted
  ))
  if (!is.null(rows$prior) && is.null(shards$x)) {
    softmix_abort("A prior needs the rows in memory to set its defaults; not yet for shards.",
                  call)
  }
  header <- c(header, row_info(hypervolume = NULL, prior = rows$prior)[c("prior")])
  rows$elsewhere <- list(shards = shards, header = header, keep = !temporary)
  fit_or_select(here, k, models, start, n_init, control, n_threads, call, criterion, verbose,
                rows)
}

#' `size` rows drawn at random (R's generator) from all the shards' rows
#' @noRd
shard_sample <- function(shards, size, call) {
  n <- shards$n
  # All the rows draw no random numbers: the starts are then those in memory.
  picked <- if (size >= sum(n)) seq_len(sum(n)) else sort(sample.int(sum(n), size))
  first <- c(0, cumsum(n))
  rows <- lapply(seq_along(n), function(s) {
    local <- picked[picked > first[s] & picked <= first[s + 1L]] - first[s]
    as.integer(local)
  })
  parts <- shard_run_all(shards, "sample", NULL, "", call, extra = list(rows = rows))
  sample <- do.call(rbind, parts)
  colnames(sample) <- shards$names
  sample
}

#' The starting parameters of one pair, in the data's units, made in this
#' session from `data` (the rows, or a sample of them)
#' @noRd
elsewhere_starts <- function(data, k, model, start, n_init, control, n_threads, call, rows,
                             partitions = NULL) {
  info <- rows_info(rows)
  if (!is.null(start$parameters)) return(list(start$parameters))
  if (!is.null(start$weights)) {
    posterior <- known_one_hot(start$weights, rows$known)
    return(list(call_core(m_step_cpp(data, posterior, model, core_control(control, rows)$reg,
                                     n_threads, info), call)))
  }
  if (is.null(partitions)) {
    partitions <- shared_partitions(data, k, start$method, n_init, n_threads, call,
                                    rows = rows)[[1L]]
  }
  call_core(start_params_cpp(data, k, model, partitions, core_control(control, rows), n_threads,
                             info), call)
}

#' A pair's fit over the shards as a summary (see fit_pairs()): the core's
#' fit with its criteria
#' @noRd
elsewhere_summary <- function(data, k, model, start, n_init, control, n_threads, call, rows,
                              partitions = NULL) {
  where <- rows$elsewhere
  starts <- elsewhere_starts(data, k, model, start, n_init, control, n_threads, call, rows,
                             partitions)
  core <- fit_shards_pair(where$shards, where$header, k, model, starts,
                          core_control(control, rows), call)
  c(core, fit_criteria(core$loglik, core$log_max_posterior_sum, model,
                       effective_n(where$header$n_total, rows$weights, rows$weight_type),
                       where$header$d, k, rows$fixed))
}

#' A softmix object from a pair's summary: with the rows in memory, as
#' complete_fit() makes it; otherwise without the n x K matrices, which stay
#' on the workers (posterior() gathers them)
#' @noRd
elsewhere_fit <- function(summary, data, model, k, control, init, n_threads, call, rows) {
  where <- rows$elsewhere
  rows$elsewhere <- NULL
  if (!is.null(where$shards$x)) {
    fit <- complete_fit(summary, where$shards$x, model, k, control, init, n_threads, call,
                        rows = rows)
    if (where$keep) fit$shards <- where$shards
    return(fit)
  }
  core <- summary
  core$posterior <- matrix(numeric(), 0L, k)
  core$classification <- integer()
  core$uncertainty <- numeric()
  fit <- new_softmix(core, data[0L, , drop = FALSE], model, k, control, init, n_threads, call,
                     rows = rows)
  # new_softmix() saw no rows: the counts and criteria are the summary's.
  fit$n <- where$header$n_total
  fit$nobs <- fit$n
  fit[c("df", "bic", "icl")] <- summary[c("df", "bic", "icl")]
  fit$posterior <- NULL
  fit$classification <- NULL
  fit$uncertainty <- NULL
  fit$data <- NULL
  # What summary() shows of the rows, computed on the workers.
  fit$sizes <- stats::setNames(core$sizes, seq_along(core$sizes))
  fit$mean_uncertainty <- core$mean_uncertainty
  fit$shards <- where$shards
  fit
}

#' The posterior of a fit whose rows are on the workers, gathered in shard
#' order (with the fit's row names, if any)
#' @noRd
gather_posterior <- function(fit, call) {
  shards <- fit$shards
  parts <- shard_run_all(shards, "posterior", NULL, fit$model, call,
                         extra = list(parameters = unclass(fit$parameters)),
                         activity = "gathering the posterior")
  do.call(rbind, parts)
}
