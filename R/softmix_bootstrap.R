#' Bootstrap a fitted mixture
#'
#' Refits the model of a [softmix()] fit to `B` bootstrap replicates of its
#' data, each started from the fitted parameters, and collects the
#' replicates' proportions, means and covariances with their components
#' matched to the fit's. Their spread gives standard errors and percentile
#' intervals (`summary()`), and the covariance matrix and intervals of
#' [vcov()][vcov.softmix()] and [confint()][confint.softmix()]. This is
#' mclust's `MclustBootstrap()` (O'Hagan et al. 2019), with the replicates
#' run side by side on a `cluster` if one is given.
#'
#' @section Replicates:
#' Each replicate is a [softmix()] fit of the fit's `model` and `k` with its
#' `control`, started from `fit$parameters` (`init = fit$parameters`), with
#' the fit's known `labels` and `fixed` parameters, if any. Every replicate
#' sees the data through new observation weights (parametric: new data):
#' * `"nonparametric"` (Efron 1979): the rows are resampled with
#'   replacement, as integer weights that count how often each row is drawn:
#'   `tabulate(sample.int(n, n, replace = TRUE), n)`. The data are not
#'   copied.
#' * `"weighted"`, the weighted likelihood bootstrap (Newton and Raftery
#'   1994): weights \eqn{n g / \sum_i g_i} with \eqn{g_i} independent
#'   standard exponentials, `g <- rexp(n)`, so that the weights are \eqn{n}
#'   times a uniform Dirichlet draw. Every row keeps a positive weight, so a
#'   small component is never lost from a replicate, as it can be when rows
#'   are resampled.
#' * `"parametric"`: `rmixture(n, fit$parameters)`, new data from the fitted
#'   mixture.
#'
#' These draws come from R's random number generator on the main R
#' process, in replicate order, before the replicates they are for are
#' fitted, and the fits themselves draw nothing; so `set.seed()` reproduces
#' the result exactly, serially or on a cluster of any number of workers. The
#' draws are made in batches of at most about 4 million numbers, so that
#' memory does not grow with `B`.
#'
#' For a fit with observation weights \eqn{w_i} (see [softmix()]):
#' * Frequency weights stand for \eqn{N = \sum_i w_i} observations, and these
#'   are what is resampled: the nonparametric weights are a multinomial draw
#'   of \eqn{N} observations with probabilities \eqn{w_i / N},
#'   `rmultinom(1, round(N), w)`; the weighted likelihood bootstrap takes
#'   \eqn{g_i} from a gamma distribution of shape \eqn{w_i}, `rgamma(n, w)`,
#'   and weights \eqn{N g / \sum_i g_i} (\eqn{N} times a Dirichlet draw with
#'   parameters \eqn{w_i}: the uniform Dirichlet weights of the \eqn{N}
#'   observations, added up over each row's copies); the parametric bootstrap
#'   simulates `round(N)` rows. With whole-number weights this is the
#'   bootstrap of the data with each row repeated \eqn{w_i} times.
#' * Sampling weights keep the rows as the units that are resampled: the
#'   replicate weights are \eqn{w_i} times the draws above for unweighted
#'   data, and the parametric bootstrap simulates `n` rows, unweighted (the
#'   fitted mixture is the population's).
#'
#' A fit with partly known labels keeps them in the nonparametric and
#' weighted bootstraps. In the parametric bootstrap, the rows that had a known
#' label take the component they were simulated from as their label; this
#' needs a fit without weights.
#'
#' @section Matching components:
#' A mixture's components have no order of their own, so each replicate's
#' components are put in the order of the fit's. Starting from the fit's
#' parameters almost always keeps the order, but components that overlap can
#' swap during EM. The replicate's components are matched to the fit's by
#' the assignment that minimises the sum of the Kullback-Leibler divergences
#' \eqn{KL(N(m_j, S_j) \,\|\, N(\mu_l, \Sigma_l))}{KL(N(m_j, S_j) || N(mu_l, Sigma_l))}
#' from each replicate component j to the fit component l it is matched
#' to, which compares the means in the
#' fit component's Mahalanobis distance and the covariances too (so components
#' with the same mean but different spreads are told apart). Up to 6
#' components every assignment is tried; beyond, components are matched
#' greedily, the closest pair first, and the assignment is then improved by
#' swapping pairs while a swap lowers the sum. `$permutation` records the
#' match.
#'
#' @section Failed replicates:
#' A replicate whose fit fails (an error, for example a component that
#' loses all its weight) or is degenerate (its likelihood held up by the
#' ridge; see [softmix()]) is dropped and counted in `$n_failed` or
#' `$n_degenerate`, and new replicates are drawn in its place, after the
#' `B` first, as mclust's `MclustBootstrap()` does, until `B` are kept or
#' `10 * B` have been dropped (mclust's `max.nonfit`); one warning of class
#' `softmix_warning` says how many and why. The draws stay in replicate
#' order, so the result still does not depend on the workers. Replicates that
#' stop at `max_iter` are kept and counted in `$n_unconverged`, also with a
#' warning. If every replicate fails, `softmix_bootstrap()` stops with an
#' error.
#'
#' @section Threads and clusters:
#' With `cluster = NULL` the replicates are fitted one after the other in
#' this R process, each fit on `n_threads` threads. With a cluster from
#' [parallel::makeCluster()] (or [parallel::makePSOCKcluster()],
#' [parallel::makeForkCluster()]), the data and the fitted parameters are
#' sent to each worker once, the replicates' draws are sent in batches and
#' the workers fit them side by side, each on `n_threads` threads (default
#' 1). The workers must be able to load softmix (the same version, from
#' their [.libPaths()]). The results are identical to the serial ones.
#'
#' @param fit A [softmix()] fit.
#' @param B Number of bootstrap replicates, a positive whole number. mclust's
#'   default is 999; standard errors settle with a few hundred, percentile
#'   intervals need about a thousand.
#' @param type The bootstrap: `"nonparametric"` (default), `"parametric"`
#'   or `"weighted"` (the weighted likelihood bootstrap). See the section on
#'   replicates.
#' @param cluster `NULL` (default) to fit the replicates in this process, or
#'   a cluster of the `parallel` package to fit them on its workers.
#' @param n_threads Threads for each replicate's fit: `NULL` uses
#'   [softmix_threads()] serially and 1 on a cluster's workers.
#' @return An object of class `softmix_bootstrap`, a list with:
#'   * `type`, `model`, `k`, `d`: the bootstrap and the fit's model, number
#'     of components and of variables;
#'   * `estimate`: the fit's [mixture_params()];
#'   * `proportions` (R x K), `means` (R x K x d) and `covariances`
#'     (R x d x d x K): the parameters of the R replicates kept, in the
#'     fit's component order;
#'   * `loglik` and `converged`: each kept replicate's log-likelihood and
#'     whether its EM converged; `permutation`: an R x K matrix whose row
#'     gives, for each fit component, the replicate component matched to it;
#'   * `B`: the number of replicates asked for (R is `B` unless more than
#'     `10 * B` were dropped); `n_drawn`: the number drawn; `n_failed`,
#'     `n_degenerate`, `n_unconverged`: how many failed, were degenerate
#'     (both dropped and replaced) or stopped at `max_iter` (kept);
#'     `failures`: the distinct error messages;
#'   * `call`: the call.
#' @references
#' Efron, B. (1979). Bootstrap methods: another look at the jackknife. *The
#' Annals of Statistics*, 7(1), 1-26. \doi{10.1214/aos/1176344552}
#'
#' Newton, M. A. and Raftery, A. E. (1994). Approximate Bayesian inference
#' with the weighted likelihood bootstrap. *Journal of the Royal Statistical
#' Society B*, 56(1), 3-48.
#'
#' O'Hagan, A., Murphy, T. B., Scrucca, L. and Gormley, I. C. (2019).
#' Investigation of parameter uncertainty in clustering using a Gaussian
#' mixture model via jackknife, bootstrap and weighted likelihood bootstrap.
#' *Computational Statistics*, 34(4), 1779-1813.
#' @seealso [vcov.softmix()] and [confint.softmix()], which run the
#'   bootstrap or take one; [softmix_lrt()] for the bootstrap test of the
#'   number of components.
#' @family bootstrap
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' boot <- softmix_bootstrap(fit, B = 30, n_threads = 1)
#' boot
#' summary(boot, level = 0.9)
#' # the same draws fitted on two workers give the same result
#' \donttest{
#' cl <- parallel::makePSOCKcluster(2)
#' # let the workers search the libraries of this session
#' invisible(parallel::clusterCall(cl, function(paths) .libPaths(paths), .libPaths()))
#' set.seed(2)
#' serial <- softmix_bootstrap(fit, B = 20, type = "weighted", n_threads = 1)
#' set.seed(2)
#' parallel_boot <- softmix_bootstrap(fit, B = 20, type = "weighted", cluster = cl)
#' parallel::stopCluster(cl)
#' identical(serial$means, parallel_boot$means)
#' }
softmix_bootstrap <- function(fit, B = 999, type = c("nonparametric", "parametric", "weighted"),
                              cluster = NULL, n_threads = NULL) {
  call <- match.call()
  check_fit(fit, "fit")
  # Checked before any draw: every replicate refits the fit's rows.
  if (is.null(fit$data)) {
    softmix_abort(paste(
      "`fit` keeps no data: it is a fit of data on disk (softmix_file()) or on a cluster's",
      "workers (softmix_shards()), which softmix_bootstrap() cannot resample. To bootstrap",
      "it, fit the data in memory (softmix(x, ...) with `x` a matrix or data frame)."
    ), call)
  }
  if (!is.null(fit$noise) || !is.null(fit$prior)) {
    softmix_abort(sprintf(paste(
      "`fit` has a %s; softmix_bootstrap() resamples fits of the normal components by",
      "maximum likelihood only, so refit without it to bootstrap."
    ), if (!is.null(fit$noise)) "noise component" else "prior"))
  }
  B <- check_count(B, "B", min = 1)
  type <- match_choice(type, c("nonparametric", "parametric", "weighted"), "type")
  cluster <- check_cluster(cluster)
  n_threads <- replicate_threads(n_threads, cluster)
  scheme <- resampling_scheme(fit, type)
  context <- list(
    task = "bootstrap",
    data = if (type == "parametric") NULL else fit$data,
    parameters = fit$parameters,
    model = fit$model,
    k = fit$k,
    control = fit$control,
    labels = if (is.null(fit$labels)) NULL else fit$labels$labels,
    fixed = fit$fixed,
    n_threads = n_threads
  )
  results <- run_replicates(B, function() draw_replicate(scheme), scheme$size, context, cluster,
                            call, usable_replicate)
  collect_bootstrap(results, fit, type, B, call)
}

#' Check that an argument is a softmix fit
#' @noRd
check_fit <- function(fit, arg, call = sys.call(-1)) {
  if (!inherits(fit, "softmix")) {
    softmix_abort(sprintf("`%s` must be a softmix fit (see softmix()), not %s.", arg,
                          if (is.object(fit)) sprintf("an object of class \"%s\"", class(fit)[1])
                          else describe_type(fit)), call)
  }
  fit
}

#' Check a cluster argument: NULL or a cluster of the parallel package
#' @noRd
check_cluster <- function(cluster, call = sys.call(-1)) {
  if (is.null(cluster)) return(NULL)
  if (!inherits(cluster, "cluster") || length(cluster) < 1L) {
    softmix_abort(sprintf(
      "`cluster` must be NULL or a cluster made by parallel::makeCluster(), not %s.",
      describe_type(cluster)
    ), call)
  }
  cluster
}

#' Threads for each replicate's fit: the argument, else the package default
#' serially and 1 on a cluster's workers
#' @noRd
replicate_threads <- function(n_threads, cluster, call = sys.call(-1)) {
  if (is.null(n_threads) && !is.null(cluster)) return(1L)
  if (is.null(n_threads)) return(resolve_threads(NULL, call))
  # Checked here; each worker caps the count by its own OMP_THREAD_LIMIT.
  check_count(n_threads, "n_threads", min = 1, call = call)
}

#' Check a probability strictly between 0 and 1
#' @noRd
check_level <- function(level, arg, call = sys.call(-1)) {
  ok <- is.numeric(level) && length(level) == 1L && !is.na(level) && level > 0 && level < 1
  if (!ok) {
    softmix_abort(sprintf("`%s` must be a single number strictly between 0 and 1, not %s.",
                          arg, format_value(level)), call)
  }
  as.numeric(level)
}

# Random draws ------------------------------------------------------------------

#' How the replicates of a fit are drawn: the type, the rows or observations
#' resampled and the number of random numbers one replicate holds (`size`)
#' @noRd
resampling_scheme <- function(fit, type, call = sys.call(-1)) {
  n <- fit$n
  weights <- fit$weights
  frequency <- !is.null(weights) && !identical(fit$weight_type, "sampling")
  known <- if (is.null(fit$labels)) NULL else fit$labels$labels
  if (type == "parametric" && !is.null(known) && !is.null(weights)) {
    softmix_abort(paste(
      "`type` = \"parametric\" cannot bootstrap a fit with both weights and known labels:",
      "the simulated rows would not correspond to the labelled ones."
    ), call)
  }
  total <- if (frequency) sum(weights) else n
  if (frequency && type != "weighted" && round(total) > .Machine$integer.max) {
    softmix_abort(sprintf(paste(
      "`fit` has frequency weights summing to %s, too many observations to resample;",
      "use `type` = \"weighted\"."
    ), format(total)), call)
  }
  n_sim <- max(1, round(total))
  list(
    type = type, n = n, weights = weights, frequency = frequency, total = total,
    n_sim = n_sim, parameters = fit$parameters, known = known,
    size = if (type == "parametric") n_sim * (fit$d + 1) else n
  )
}

#' One replicate's draws: a list with `weights` (nonparametric, weighted) or
#' the simulated data `x` and its `labels` (parametric)
#' @noRd
draw_replicate <- function(scheme) {
  n <- scheme$n
  w <- scheme$weights
  switch(scheme$type,
    nonparametric = {
      if (scheme$frequency) {
        list(weights = as.vector(stats::rmultinom(1L, scheme$n_sim, w)))
      } else {
        counts <- tabulate(sample.int(n, n, replace = TRUE), n)
        list(weights = if (is.null(w)) counts else w * counts)
      }
    },
    weighted = {
      if (scheme$frequency) {
        g <- stats::rgamma(n, shape = w)
        list(weights = scheme$total * g / sum(g))
      } else {
        g <- stats::rexp(n)
        g <- n * g / sum(g)
        list(weights = if (is.null(w)) g else w * g)
      }
    },
    parametric = {
      x <- rmixture(scheme$n_sim, scheme$parameters)
      component <- attr(x, "component")
      attr(x, "component") <- NULL
      labels <- NULL
      if (!is.null(scheme$known)) {
        labels <- ifelse(is.na(scheme$known), NA_integer_, component)
      }
      list(x = x, labels = labels)
    }
  )
}

# Running replicates, serially or on a cluster ------------------------------------

# The most random numbers drawn ahead of their fits: a batch of replicates
# holds at most this many (and at least one replicate per worker).
max_batch_numbers <- 2^22

#' Fit B replicates: `draw()` makes each replicate's draws on this process,
#' in replicate order, a batch at a time; the batch is then fitted serially
#' or on the cluster. Replicates whose result is not `usable()` are replaced
#' by new draws, round after round, until B are usable or `max_dropped` have
#' been dropped. Returns the list of every result, in the order drawn.
#' @noRd
run_replicates <- function(B, draw, size, context, cluster, call, usable,
                           max_dropped = 10 * B) {
  workers <- if (is.null(cluster)) 1L else length(cluster)
  batch <- max(workers, min(B, floor(max_batch_numbers / max(1, size))))
  if (!is.null(cluster)) {
    key <- start_workers(cluster, context, call)
    on.exit(stop_workers(cluster, key), add = TRUE)
  }
  results <- list()
  needed <- B
  dropped <- 0
  while (needed > 0 && dropped < max_dropped) {
    # The number drawn in each round depends only on the results so far,
    # which do not depend on the workers, so neither do the draws.
    todo <- min(needed, max_dropped - dropped)
    done <- 0L
    while (done < todo) {
      size_now <- min(batch, todo - done)
      tasks <- lapply(seq_len(size_now), function(i) draw())
      new <- if (is.null(cluster)) {
        keep_rng(lapply(tasks, run_task, context = context))
      } else {
        parallel::parLapply(cluster, tasks, run_worker_task, key = key)
      }
      results <- c(results, new)
      done <- done + size_now
    }
    ok <- vapply(results, usable, logical(1))
    needed <- B - sum(ok)
    dropped <- sum(!ok)
  }
  results
}

#' Whether a replicate's result is kept: its fits succeeded and none is
#' degenerate
#' @noRd
usable_replicate <- function(result) {
  !nzchar(result$message) && !isTRUE(result$degenerate)
}

#' Evaluate `expr` and put R's generator back as it was, so that what a fit
#' might draw never shifts the replicates' draws (fits from given parameters
#' draw nothing; this keeps the serial and the cluster runs equal regardless)
#' @noRd
keep_rng <- function(expr) {
  seed <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
  if (!is.null(seed)) on.exit(assign(".Random.seed", seed, envir = globalenv()))
  expr
}

# The contexts of the runs in progress on this process when it is a worker,
# by key: the data and settings every task of a run needs, sent once.
worker_contexts <- new.env(parent = emptyenv())

#' Store a run's context on a worker
#' @noRd
set_worker_context <- function(key, context) {
  assign(key, context, envir = worker_contexts)
  invisible(TRUE)
}

#' Drop a run's context from a worker
#' @noRd
clear_worker_context <- function(key) {
  if (exists(key, envir = worker_contexts, inherits = FALSE)) {
    rm(list = key, envir = worker_contexts)
  }
  invisible(TRUE)
}

#' Run one task on a worker with the context stored under `key`
#' @noRd
run_worker_task <- function(task, key) {
  context <- get0(key, envir = worker_contexts, inherits = FALSE)
  if (is.null(context)) stop("softmix: this worker holds no context for the run ", key)
  run_task(task, context)
}

#' Check that the workers can load softmix, and send them the run's context;
#' returns the key it is stored under
#' @noRd
start_workers <- function(cluster, context, call) {
  # A stopped cluster is named as such, not as workers without softmix.
  check_cluster_open(cluster, call)
  # Defined in the global environment: a function of the softmix namespace
  # would make the worker load softmix before it could report that it cannot.
  # A worker may find another installed version of softmix, without the
  # functions this one sends it; the check looks for them.
  can_load <- function() {
    if (!requireNamespace("softmix", quietly = TRUE)) return("cannot load softmix")
    if (!exists("set_worker_context", envir = asNamespace("softmix"), inherits = FALSE)) {
      return(sprintf("finds softmix %s in %s, a version without cluster support",
                     utils::packageVersion("softmix"), dirname(find.package("softmix"))))
    }
    ""
  }
  environment(can_load) <- globalenv()
  problems <- tryCatch(unlist(parallel::clusterCall(cluster, can_load)),
                       error = function(e) paste("failed to answer:", conditionMessage(e)))
  if (!is.character(problems) || any(nzchar(problems))) {
    softmix_abort(paste0(
      "`cluster` workers cannot run softmix: a worker ",
      if (is.character(problems)) problems[nzchar(problems)][1] else "did not answer",
      ". Install this softmix in a library the workers search (see .libPaths())."
    ), call)
  }
  worker_contexts$count <- (if (is.null(worker_contexts$count)) 0 else worker_contexts$count) + 1
  key <- sprintf("run_%d_%d", Sys.getpid(), worker_contexts$count)
  parallel::clusterCall(cluster, set_worker_context, key, context)
  key
}

#' Drop a run's context from every worker, ignoring workers that are gone
#' @noRd
stop_workers <- function(cluster, key) {
  try(parallel::clusterCall(cluster, clear_worker_context, key), silent = TRUE)
  invisible()
}

#' Run one task: a bootstrap replicate or a replicate of the likelihood-ratio
#' test
#' @noRd
run_task <- function(task, context) {
  switch(context$task,
    bootstrap = bootstrap_task(task, context),
    lrt = lrt_task(task, context)
  )
}

#' Evaluate a fit without its warnings; an error becomes its message
#' @noRd
quiet_fit <- function(expr) {
  tryCatch(
    withCallingHandlers(expr, warning = function(w) invokeRestart("muffleWarning")),
    error = function(e) conditionMessage(e)
  )
}

#' Fit one bootstrap replicate from the fit's parameters and return its
#' parameters, log-likelihood and status (no n x K matrices)
#' @noRd
bootstrap_task <- function(task, context) {
  x <- if (is.null(task$x)) context$data else task$x
  labels <- if (is.null(task$x)) context$labels else task$labels
  fit <- quiet_fit(softmix(
    x, k = context$k, model = context$model, init = context$parameters,
    control = context$control, n_threads = context$n_threads, verbose = FALSE,
    weights = task$weights, labels = labels, fixed = context$fixed
  ))
  if (is.character(fit)) return(list(message = fit))
  list(message = "", parameters = fit$parameters, loglik = fit$loglik,
       converged = fit$converged, degenerate = nzchar(fit$degenerate))
}

#' Tally the replicates drawn: which failed (an error), were degenerate or
#' are kept, and the distinct error messages
#' @noRd
tally_replicates <- function(results) {
  failed <- vapply(results, function(r) nzchar(r$message), logical(1))
  degenerate <- vapply(results, function(r) !nzchar(r$message) && isTRUE(r$degenerate),
                       logical(1))
  list(failed = failed, degenerate = degenerate, kept = !failed & !degenerate,
       failures = unique(vapply(results[failed], function(r) r$message, "")))
}

#' Warn once about replicates that failed or were degenerate (dropped and
#' replaced), about too few kept, and about kept ones that did not converge
#' @noRd
warn_replicates <- function(B, tally, n_unconverged, what, call) {
  n_failed <- sum(tally$failed)
  n_degenerate <- sum(tally$degenerate)
  n_kept <- sum(tally$kept)
  parts <- character(0)
  if (n_failed > 0) {
    parts <- c(parts, sprintf("%d failed (%s)", n_failed,
                              paste(utils::head(tally$failures, 3), collapse = " | ")))
  }
  if (n_degenerate > 0) {
    parts <- c(parts, sprintf("%d gave a degenerate fit", n_degenerate))
  }
  message <- character(0)
  if (length(parts) > 0L) {
    message <- sprintf("Of %d %s drawn, %s; %s.", length(tally$kept), what,
                       paste(parts, collapse = " and "),
                       if (n_kept == B) "they were dropped and replaced by new draws"
                       else sprintf(paste("they were dropped, and after %d dropped only %d",
                                          "of the %d asked for were kept"),
                                    n_failed + n_degenerate, n_kept, B))
  }
  if (n_unconverged > 0) {
    message <- c(message, sprintf("%d of the %d kept stopped at max_iter before converging.",
                                  n_unconverged, n_kept))
  }
  if (length(message) == 0L) return(invisible())
  softmix_warn(paste(message, collapse = " "), call)
}

#' Match the replicates' components to the fit's and gather the parameters
#' into arrays
#' @noRd
collect_bootstrap <- function(results, fit, type, B, call) {
  tally <- tally_replicates(results)
  kept <- results[tally$kept]
  if (length(kept) == 0L) {
    softmix_abort(sprintf(
      "Every one of the %d bootstrap replicates drawn failed or was degenerate. %s: %s",
      length(results), if (length(tally$failures) == 1L) "The reason" else "The reasons",
      if (length(tally$failures) > 0L) paste(utils::head(tally$failures, 3), collapse = " | ")
      else "degenerate fits"
    ), call)
  }
  converged <- vapply(kept, function(r) r$converged, logical(1))
  warn_replicates(B, tally, sum(!converged), "bootstrap replicates", call)
  estimate <- fit$parameters
  k <- fit$k
  d <- fit$d
  vars <- variable_names(fit$data)
  r <- length(kept)
  matcher <- component_matcher(estimate)
  permutation <- matrix(0L, r, k, dimnames = list(NULL, seq_len(k)))
  proportions <- matrix(0, r, k, dimnames = list(NULL, seq_len(k)))
  means <- array(0, c(r, k, d), dimnames = list(NULL, seq_len(k), vars))
  covariances <- array(0, c(r, d, d, k), dimnames = list(NULL, vars, vars, seq_len(k)))
  for (i in seq_len(r)) {
    p <- kept[[i]]$parameters
    perm <- matcher(p)
    permutation[i, ] <- perm
    proportions[i, ] <- p$proportions[perm]
    means[i, , ] <- p$means[perm, , drop = FALSE]
    covariances[i, , , ] <- p$covariances[, , perm, drop = FALSE]
  }
  structure(
    list(
      type = type,
      model = fit$model,
      k = k,
      d = d,
      estimate = estimate,
      proportions = proportions,
      means = means,
      covariances = covariances,
      loglik = vapply(kept, function(r) r$loglik, numeric(1)),
      converged = converged,
      permutation = permutation,
      B = B,
      n_drawn = length(results),
      n_failed = sum(tally$failed),
      n_degenerate = sum(tally$degenerate),
      n_unconverged = sum(!converged),
      failures = tally$failures,
      call = call
    ),
    class = "softmix_bootstrap"
  )
}

# Matching components ------------------------------------------------------------

#' A function that, given a replicate's parameters, returns the permutation
#' `perm` that puts them in the order of `reference`: fit component l gets
#' replicate component `perm[l]`. It minimises the sum over l of the
#' divergence of replicate component `perm[l]` from fit component l,
#' `KL(N(m, S) || N(mu_l, Sigma_l))`, trying every assignment up to 6
#' components, greedily with pairwise swaps beyond.
#' @noRd
component_matcher <- function(reference) {
  k <- length(reference$proportions)
  if (k == 1L) return(function(parameters) 1L)
  d <- ncol(reference$means)
  precisions <- lapply(seq_len(k), function(l) {
    sigma <- matrix(reference$covariances[, , l], d, d)
    tryCatch(chol2inv(chol(sigma)), error = function(e) pseudo_inverse(sigma))
  })
  permutations <- if (k <= 6L) all_permutations(k) else NULL
  function(parameters) {
    cost <- matching_cost(reference, precisions, parameters)
    if (!is.null(permutations)) {
      totals <- rowSums(matrix(cost[cbind(rep(seq_len(k), each = nrow(permutations)),
                                          as.vector(permutations))],
                               nrow(permutations), k))
      return(permutations[which.min(totals), ])
    }
    greedy_match(cost)
  }
}

#' A pseudo-inverse of a symmetric matrix from its eigen-decomposition, for a
#' fitted covariance that is singular (possible only with reg = 0)
#' @noRd
pseudo_inverse <- function(sigma) {
  e <- eigen(sigma, symmetric = TRUE)
  keep <- e$values > max(e$values) * 1e-12
  e$vectors[, keep, drop = FALSE] %*% (t(e$vectors[, keep, drop = FALSE]) / e$values[keep])
}

#' The K x K matrix whose entry (l, j) is twice KL(replicate j || fit l)
#' without the terms whose sum is the same for every assignment (-d and the
#' log-determinants): tr(Sigma_l^-1 S_j) + (m_j - mu_l)' Sigma_l^-1 (m_j - mu_l)
#' @noRd
matching_cost <- function(reference, precisions, parameters) {
  k <- length(precisions)
  d <- ncol(reference$means)
  means <- parameters$means
  covariances <- matrix(parameters$covariances, d * d, k)
  cost <- matrix(0, k, k)
  for (l in seq_len(k)) {
    centred <- sweep(means, 2L, reference$means[l, ])
    quadratic <- rowSums((centred %*% precisions[[l]]) * centred)
    traces <- colSums(as.vector(precisions[[l]]) * covariances)
    cost[l, ] <- traces + quadratic
  }
  cost
}

#' Every permutation of 1..k, one per row
#' @noRd
all_permutations <- function(k) {
  if (k == 1L) return(matrix(1L, 1L, 1L))
  smaller <- all_permutations(k - 1L)
  do.call(rbind, lapply(seq_len(k), function(first) {
    rest <- setdiff(seq_len(k), first)
    unname(cbind(first, matrix(rest[smaller], nrow(smaller))))
  }))
}

#' Greedy assignment (the cheapest pair first) improved by pairwise swaps
#' @noRd
greedy_match <- function(cost) {
  k <- nrow(cost)
  perm <- integer(k)
  work <- cost
  for (step in seq_len(k)) {
    at <- which(work == min(work), arr.ind = TRUE)[1L, ]
    perm[at[1]] <- at[2]
    work[at[1], ] <- Inf
    work[, at[2]] <- Inf
  }
  improved <- TRUE
  while (improved) {
    improved <- FALSE
    for (a in seq_len(k - 1L)) {
      for (b in (a + 1L):k) {
        now <- cost[a, perm[a]] + cost[b, perm[b]]
        swapped <- cost[a, perm[b]] + cost[b, perm[a]]
        if (swapped < now - 1e-12 * abs(now)) {
          perm[c(a, b)] <- perm[c(b, a)]
          improved <- TRUE
        }
      }
    }
  }
  perm
}

# Parameters as one vector --------------------------------------------------------

#' Names of the parameters in the order of vcov() and confint(): "pro1", ...,
#' "mean1.x", ..., "var1.x.y", ...
#' @noRd
parameter_names <- function(k, vars) {
  d <- length(vars)
  upper <- which(upper.tri(diag(d), diag = TRUE), arr.ind = TRUE)
  c(paste0("pro", seq_len(k)),
    paste0("mean", rep(seq_len(k), each = d), ".", rep(vars, k)),
    paste0("var", rep(seq_len(k), each = nrow(upper)), ".",
           rep(vars[upper[, 1]], k), ".", rep(vars[upper[, 2]], k)))
}

#' Positions of the unique covariance entries (upper triangle with the
#' diagonal, column by column, component by component) in a d x d x K array
#' @noRd
covariance_positions <- function(d, k) {
  upper <- which(upper.tri(diag(d), diag = TRUE))
  as.vector(outer(upper, (seq_len(k) - 1L) * d * d, "+"))
}

#' The bootstrap replicates as an R x P matrix, one column per parameter
#' @noRd
replicate_matrix <- function(object) {
  k <- object$k
  d <- object$d
  r <- nrow(object$proportions)
  vars <- dimnames(object$means)[[3]]
  means <- matrix(aperm(object$means, c(1L, 3L, 2L)), r, d * k)
  covariances <- matrix(object$covariances, r, d * d * k)[, covariance_positions(d, k),
                                                         drop = FALSE]
  out <- cbind(object$proportions, means, covariances)
  dimnames(out) <- list(NULL, parameter_names(k, vars))
  out
}

#' The fitted parameters as one named vector in the same order
#' @noRd
estimate_vector <- function(object) {
  p <- object$estimate
  k <- object$k
  d <- object$d
  vars <- dimnames(object$means)[[3]]
  stats::setNames(c(p$proportions, as.vector(t(p$means)),
                    as.vector(p$covariances)[covariance_positions(d, k)]),
                  parameter_names(k, vars))
}

#' Percentile intervals of the columns of a replicate matrix
#' @noRd
percentile_intervals <- function(replicates, level) {
  probs <- c((1 - level) / 2, (1 + level) / 2)
  out <- t(apply(replicates, 2L, stats::quantile, probs = probs, names = FALSE))
  dimnames(out) <- list(colnames(replicates), percent_labels(probs))
  out
}

#' "2.5 %", "97.5 %", as stats::confint() labels its columns
#' @noRd
percent_labels <- function(probs) {
  paste(format(100 * probs, trim = TRUE, scientific = FALSE, digits = 3), "%")
}

# Methods -------------------------------------------------------------------------

#' Methods for bootstrap replicates
#'
#' `print()` shows the bootstrap and the standard errors of the proportions
#' and means; `summary()` gives, for every parameter, the fitted value, the
#' bootstrap mean, the standard error (the standard deviation of the
#' replicates, as mclust's `summary(MclustBootstrap, what = "se")`) and the
#' percentile interval at `level` (the replicates' quantiles, by
#' [stats::quantile()]'s default type 7, as mclust's `what = "ci"`);
#' `vcov()` and `confint()` return the replicates' covariance matrix and
#' percentile intervals in the order of [vcov.softmix()].
#'
#' @param x,object A `softmix_bootstrap` object, or for `print()` its
#'   summary.
#' @param level Confidence level of the percentile intervals.
#' @param parm Parameters for `confint()`: names (see [vcov.softmix()]) or
#'   positions; all by default.
#' @param digits Significant digits to print.
#' @param ... Unused; `summary()` and `confint()` stop if given any, so that
#'   a misspelt argument is not silently ignored.
#' @return `print()` returns `x` invisibly. `summary()` an object of class
#'   `summary.softmix_bootstrap`, a list with `type`, `model`, `k`, `d`,
#'   `B`, `replicates` (the number kept), `level`, `table` (a data frame
#'   with a row per parameter and the columns `estimate`, `mean`, `se`,
#'   `lower`, `upper`), and `se`, `lower` and `upper`, each a list of
#'   `proportions` (K), `means` (K x d) and `covariances` (d x d x K) shaped
#'   like the fit's parameters. `vcov()` a P x P matrix, `confint()` a P x 2
#'   matrix.
#' @family bootstrap
#' @name softmix_bootstrap-methods
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' boot <- softmix_bootstrap(fit, B = 30, n_threads = 1)
#' s <- summary(boot, level = 0.9)
#' s$se$means
#' head(confint(boot, level = 0.9))
NULL

#' @rdname softmix_bootstrap-methods
#' @export
print.softmix_bootstrap <- function(x, digits = getOption("digits") - 3, ...) {
  cat(bootstrap_header(x), "\n", sep = "")
  cat("\nStandard errors of the mixing proportions:\n")
  print(stats::setNames(apply(x$proportions, 2L, stats::sd), seq_len(x$k)), digits = digits)
  cat("\nStandard errors of the means:\n")
  print(apply(x$means, c(2L, 3L), stats::sd), digits = digits)
  cat("\nsummary() adds the covariances and percentile intervals.\n")
  invisible(x)
}

#' "Nonparametric bootstrap of model VVV with 2 components: 30 replicates"
#' @noRd
bootstrap_header <- function(x) {
  kept <- nrow(x$proportions)
  dropped <- x$n_failed + x$n_degenerate
  sprintf("%s of model %s with %d component%s: %d replicate%s%s",
          switch(x$type, nonparametric = "Nonparametric bootstrap",
                 parametric = "Parametric bootstrap",
                 weighted = "Weighted likelihood bootstrap"),
          x$model, x$k, if (x$k == 1) "" else "s", kept, if (kept == 1) "" else "s",
          if (dropped > 0) sprintf(" (%d of %d drawn dropped)", dropped, x$n_drawn) else "")
}

#' @rdname softmix_bootstrap-methods
#' @export
summary.softmix_bootstrap <- function(object, level = 0.95, ...) {
  check_dots_empty(list(...))
  level <- check_level(level, "level")
  replicates <- replicate_matrix(object)
  intervals <- percentile_intervals(replicates, level)
  table <- data.frame(
    estimate = estimate_vector(object),
    mean = colMeans(replicates),
    se = apply(replicates, 2L, stats::sd),
    lower = intervals[, 1],
    upper = intervals[, 2],
    row.names = colnames(replicates)
  )
  probs <- c((1 - level) / 2, (1 + level) / 2)
  shaped <- function(f) {
    list(proportions = stats::setNames(apply(object$proportions, 2L, f), seq_len(object$k)),
         means = apply(object$means, c(2L, 3L), f),
         covariances = apply(object$covariances, c(2L, 3L, 4L), f))
  }
  quantile_at <- function(p) function(v) stats::quantile(v, p, names = FALSE)
  structure(
    list(
      type = object$type, model = object$model, k = object$k, d = object$d, B = object$B,
      replicates = nrow(object$proportions), level = level, header = bootstrap_header(object),
      table = table,
      se = shaped(stats::sd),
      lower = shaped(quantile_at(probs[1])),
      upper = shaped(quantile_at(probs[2]))
    ),
    class = "summary.softmix_bootstrap"
  )
}

#' @rdname softmix_bootstrap-methods
#' @export
print.summary.softmix_bootstrap <- function(x, digits = getOption("digits") - 3, ...) {
  cat(x$header, "\n", sep = "")
  cat(sprintf("Standard errors and %s%% percentile intervals\n",
              format(100 * x$level, digits = 3)))
  blocks <- list(
    "Mixing proportions" = "^pro",
    "Means" = "^mean",
    "Covariances (unique entries)" = "^var"
  )
  for (name in names(blocks)) {
    rows <- grepl(blocks[[name]], rownames(x$table))
    cat("\n", name, ":\n", sep = "")
    print(x$table[rows, , drop = FALSE], digits = digits)
  }
  invisible(x)
}

#' @rdname softmix_bootstrap-methods
#' @importFrom stats vcov
#' @export
vcov.softmix_bootstrap <- function(object, ...) {
  stats::cov(replicate_matrix(object))
}

#' @rdname softmix_bootstrap-methods
#' @importFrom stats confint
#' @export
confint.softmix_bootstrap <- function(object, parm, level = 0.95, ...) {
  check_dots_empty(list(...))
  level <- check_level(level, "level")
  replicates <- replicate_matrix(object)
  if (!missing(parm)) replicates <- replicates[, select_parameters(parm, colnames(replicates)),
                                               drop = FALSE]
  percentile_intervals(replicates, level)
}

#' Positions of the parameters `parm` names or numbers
#' @noRd
select_parameters <- function(parm, names, call = sys.call(-1)) {
  if (is.character(parm) && !anyNA(parm)) {
    unknown <- setdiff(parm, names)
    if (length(unknown) > 0L) {
      softmix_abort(sprintf("`parm` names unknown parameter(s) %s; the parameters are %s.",
                            paste0("\"", utils::head(unknown, 5), "\"", collapse = ", "),
                            paste(utils::head(names, 6), collapse = ", ")), call)
    }
    return(match(parm, names))
  }
  if (is.numeric(parm) && !anyNA(parm) && all(parm == round(parm)) && all(parm >= 1) &&
      all(parm <= length(names))) {
    return(as.integer(parm))
  }
  softmix_abort(sprintf("`parm` must be parameter names or positions 1 to %d, not %s.",
                        length(names), format_value(parm)), call)
}

#' Bootstrap covariance matrix and confidence intervals of a fit
#'
#' `vcov()` and `confint()` for a [softmix()] fit, from the bootstrap
#' replicates of [softmix_bootstrap()]: the covariance matrix of the
#' replicates' parameters, and their percentile intervals. Both run the
#' bootstrap, or take one already made through `bootstrap`, so that both can
#' come from the same replicates.
#'
#' The parameters are, in this order and with these names (for variables
#' named `x` and `y`):
#' * the K mixing proportions, `pro1`, ..., `proK`;
#' * the means, component by component: `mean1.x`, `mean1.y`, `mean2.x`,
#'   ...;
#' * the unique entries of each covariance matrix, the upper triangle with
#'   the diagonal taken column by column, component by component: `var1.x.x`,
#'   `var1.x.y`, `var1.y.y`, `var2.x.x`, ....
#'
#' Every component has all of them, whatever the covariance model, so the
#' layout is the same for every model. The covariance matrix is therefore
#' singular: the proportions sum to one, and a constrained model repeats
#' entries (a shared covariance, as in `"EEE"`) or holds them at zero (the
#' off-diagonal entries of a diagonal model), as do fixed parameters.
#'
#' @param object A `softmix` fit.
#' @param parm Parameters for `confint()`: names or positions; all by
#'   default.
#' @param level Confidence level of the percentile intervals.
#' @param B,type Number of replicates and type of bootstrap, as in
#'   [softmix_bootstrap()]; unused when `bootstrap` is given.
#' @param bootstrap A [softmix_bootstrap()] of `object` to use instead of
#'   running one.
#' @param ... Passed to [softmix_bootstrap()]: `cluster`, `n_threads`.
#' @return `vcov()`: a P x P covariance matrix, with the parameter names as
#'   row and column names. `confint()`: a matrix with a row per parameter and
#'   columns giving the lower and upper limits, labelled as
#'   [stats::confint()] labels them (`"2.5 %"`, `"97.5 %"`).
#' @family bootstrap
#' @name vcov.softmix
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' boot <- softmix_bootstrap(fit, B = 30, n_threads = 1)
#' sqrt(diag(vcov(fit, bootstrap = boot)))[1:6]
#' confint(fit, c("mean1.eruptions", "mean2.eruptions"), bootstrap = boot)
NULL

#' @rdname vcov.softmix
#' @export
vcov.softmix <- function(object, B = 100, type = c("nonparametric", "parametric", "weighted"),
                         bootstrap = NULL, ...) {
  bootstrap <- fit_bootstrap(object, B, type, bootstrap, ...)
  vcov(bootstrap)
}

#' @rdname vcov.softmix
#' @export
confint.softmix <- function(object, parm, level = 0.95, B = 100,
                            type = c("nonparametric", "parametric", "weighted"),
                            bootstrap = NULL, ...) {
  level <- check_level(level, "level")
  bootstrap <- fit_bootstrap(object, B, type, bootstrap, ...)
  confint(bootstrap, parm, level = level)
}

#' The bootstrap of a fit: `bootstrap` when it is one of this fit, else a new
#' one
#' @noRd
fit_bootstrap <- function(object, B, type, bootstrap, ..., call = sys.call(-1)) {
  check_fit(object, "object", call)
  if (is.null(bootstrap)) {
    B <- check_count(B, "B", min = 1, call = call)
    type <- match_choice(type, c("nonparametric", "parametric", "weighted"), "type", call)
    return(softmix_bootstrap(object, B = B, type = type, ...))
  }
  if (!inherits(bootstrap, "softmix_bootstrap")) {
    softmix_abort(sprintf("`bootstrap` must be made by softmix_bootstrap(), not %s.",
                          describe_type(bootstrap)), call)
  }
  if (!identical(unclass(bootstrap$estimate), unclass(object$parameters)) ||
      !identical(bootstrap$model, object$model)) {
    softmix_abort("`bootstrap` was made from another fit than `object`.", call)
  }
  bootstrap
}
