# Does softmix's default start reach mclust's optima? `Rscript bench/init-compare.R`
# from the package root, with softmix installed; writes bench/init-compare.md.
#
# Part 1, the target: over faithful, iris, diabetes, banknote, thyroid,
# wreath, chevron, acidity and GvHD.pos (all rows), k = 1:9 and all 14
# models (E and V for acidity), fits softmix's default
# (`softmix(x, k = 1:9, model = "all")`: default start and control) and
# mclust's (`mclustBIC(x, G = 1:9)`: hierarchical start, its default EM
# control), both after set.seed(1), and compares the log-likelihood of every
# (k, model) pair. mclust's is recovered from its BIC table:
# loglik = (BIC + df log n) / 2, df from nMclustParams(). Target: softmix at
# least as high in at least 97% of the pairs, and its selected model's BIC
# at least as good as mclust's pick on every data set.
#
# Part 2 (skipped in quick mode or with SOFTMIX_BENCH_STARTS=0): the
# comparison of the individual starts (hc, kmeans++, kmeans++ x5, random)
# that chose the earlier default, over 13 data sets, k = 2:6, 4 models,
# 3 seeds.
#
# Full run: about a minute on a 2-core machine; quick mode: seconds.
#
# Environment variables:
#   SOFTMIX_BENCH_QUICK=1   smoke test: faithful, iris, acidity; k = 1:2;
#                           VVV and EEE; no part 2; writes
#                           bench/init-compare-quick.md instead
#   SOFTMIX_BENCH_DATA      comma-separated data sets for part 1
#   SOFTMIX_BENCH_STARTS=0  skip part 2

source(file.path("bench", "common.R"))
suppressPackageStartupMessages({
  library(softmix)
  library(mclust)
})
started <- Sys.time()
command <- bench_command("bench/init-compare.R")
quick <- bench_quick()

# Part 1: the default start against mclust's --------------------------------------

ks <- if (quick) 1:2 else 1:9
data_names <- env_list("SOFTMIX_BENCH_DATA",
                       if (quick) c("faithful", "iris", "acidity") else mclust_data_names)
# "At least as high": softmix's log-likelihood at least mclust's minus this
# much relative. softmix's default adds a 1e-6 ridge to the covariances,
# which lowers its log-likelihood at the same optimum by about that much
# relative, and stops at a relative change of 1e-8 (mclust: 1e-5).
ll_tol <- 1e-6
bic_tol <- 1e-6
share_target <- 0.97

softmix_models <- function(d) if (quick) c("VVV", "EEE") else "all"
mclust_models <- function(d) {
  if (!quick) return(NULL)  # every model: all 14, or E and V for one column
  if (d == 1L) c("E", "V") else c("VVV", "EEE")
}

pairs <- list()
picks <- list()
for (name in data_names) {
  x <- mclust_data(name)
  n <- nrow(x)
  d <- ncol(x)
  set.seed(1)
  seconds <- system.time(
    fit <- softmix(x, k = ks, model = softmix_models(d), n_threads = 2, verbose = FALSE)
  )[["elapsed"]]
  sel <- fit$selection
  set.seed(1)  # mclust's 2000 rows for its hierarchical start when n > 2000
  bic <- suppressWarnings(mclustBIC(x, G = ks, modelNames = mclust_models(d), verbose = FALSE))
  m_rows <- do.call(rbind, lapply(colnames(bic), function(model) {
    value <- bic[as.character(ks), model]
    df <- vapply(ks, function(k) nMclustParams(model, d, k), numeric(1))
    data.frame(k = ks, model = model, mclust_bic = -value,
               mclust_loglik = (value + df * log(n)) / 2, stringsAsFactors = FALSE)
  }))
  both <- merge(
    data.frame(k = sel$k, model = sel$model, softmix_loglik = sel$loglik,
               softmix_bic = sel$bic, softmix_converged = sel$converged,
               softmix_message = sel$message, stringsAsFactors = FALSE),
    m_rows, by = c("k", "model"), all = TRUE
  )
  both$data <- name
  pairs[[name]] <- both
  m_best <- which.min(m_rows$mclust_bic)
  picks[[name]] <- data.frame(
    data = name, n = n, d = d, seconds = seconds,
    softmix_pick = sprintf("%s,%d", fit$model, fit$k), softmix_bic = fit$bic,
    mclust_pick = sprintf("%s,%d", m_rows$model[m_best], m_rows$k[m_best]),
    mclust_bic = m_rows$mclust_bic[m_best], stringsAsFactors = FALSE
  )
  message(sprintf("  %-9s %d pairs, softmix %.1f s", name, nrow(both), seconds))
}
pairs <- do.call(rbind, pairs)
picks <- do.call(rbind, picks)

# A pair counts as degenerate for a package when it has no finite
# log-likelihood or BIC there (softmix: NA in $selection; mclust: NA in its
# BIC table). Only pairs both fitted are compared; the others are counted.
s_ok <- is.finite(pairs$softmix_loglik) & is.finite(pairs$softmix_bic)
m_ok <- is.finite(pairs$mclust_loglik)
pairs$compared <- s_ok & m_ok
pairs$gap <- pairs$mclust_loglik - pairs$softmix_loglik  # > 0: mclust higher
pairs$at_least <- pairs$compared & pairs$gap <= ll_tol * abs(pairs$mclust_loglik)
picks$bic_ok <- picks$softmix_bic <= picks$mclust_bic + bic_tol * abs(picks$mclust_bic)

count_by <- function(v, name) sum(v[pairs$data == name])
per_data <- do.call(rbind, lapply(data_names, function(name) {
  p <- picks[picks$data == name, ]
  compared <- count_by(pairs$compared, name)
  data.frame(
    data = name, n = p$n, fits = compared,
    `at least as high` = sprintf("%.1f%%", 100 * count_by(pairs$at_least, name) / compared),
    `NA s / m / both` = sprintf("%d / %d / %d", count_by(!s_ok & m_ok, name),
                                count_by(s_ok & !m_ok, name), count_by(!s_ok & !m_ok, name)),
    `softmix pick (BIC)` = sprintf("%s (%.1f)", p$softmix_pick, p$softmix_bic),
    `mclust pick (BIC)` = sprintf("%s (%.1f)", p$mclust_pick, p$mclust_bic),
    `BIC as good` = if (isTRUE(p$bic_ok)) "yes" else "NO",
    check.names = FALSE
  )
}))
share <- sum(pairs$at_least) / sum(pairs$compared)
total <- data.frame(
  data = "**all**", n = "", fits = sum(pairs$compared),
  `at least as high` = sprintf("%.1f%%", 100 * share),
  `NA s / m / both` = sprintf("%d / %d / %d", sum(!s_ok & m_ok), sum(s_ok & !m_ok),
                              sum(!s_ok & !m_ok)),
  `softmix pick (BIC)` = "", `mclust pick (BIC)` = "",
  `BIC as good` = sprintf("%d / %d", sum(picks$bic_ok), nrow(picks)),
  check.names = FALSE
)
per_data <- rbind(per_data, total)
# The same share counting a pair softmix left degenerate but mclust fitted as
# a failure: the stricter reading.
share_strict <- sum(pairs$at_least) / sum(m_ok)

failures <- pairs[pairs$compared & !pairs$at_least, ]
failures <- failures[order(-failures$gap), ]
utils::write.csv(pairs, file.path("bench", "init-compare-pairs.csv"), row.names = FALSE)
max_listed <- 40L
failures_listed <- utils::head(failures, max_listed)
failure_table <- if (nrow(failures)) with(failures_listed, data.frame(
  data = data, k = k, model = model, `softmix loglik` = sprintf("%.4f", softmix_loglik),
  `mclust loglik` = sprintf("%.4f", mclust_loglik), gap = sprintf("%.4f", gap),
  `relative gap` = formatC(gap / abs(mclust_loglik), format = "e", digits = 1),
  check.names = FALSE
))
na_pairs <- pairs[!pairs$compared, ]
na_table <- if (nrow(na_pairs)) with(na_pairs, data.frame(
  data = data, k = k, model = model,
  softmix = ifelse(s_ok[!pairs$compared], sprintf("%.4f", softmix_loglik),
                   paste("NA:", ifelse(is.na(softmix_message) | !nzchar(softmix_message), "-", softmix_message))),
  mclust = ifelse(m_ok[!pairs$compared], sprintf("%.4f", mclust_loglik), "NA"),
  check.names = FALSE
))

part1 <- c(
  table_heading(2, "The default start against mclust's", command),
  "",
  sprintf(paste(
    "For each data set, `softmix(x, k = %s, model = %s)` (default start and control) and",
    "`mclustBIC(x, G = %s%s)` (hierarchical start, default `emControl()`), both after",
    "`set.seed(1)`. mclust's log-likelihood of each pair: (BIC + df log n) / 2 with df from",
    "`nMclustParams()`. fits: (k, model) pairs both fitted; \"at least as high\": softmix's",
    "log-likelihood >= mclust's - %g x |mclust's| (softmix adds a 1e-6 ridge and stops at a",
    "relative change of 1e-8, mclust at 1e-5). NA s / m / both: pairs with no log-likelihood",
    "(degenerate or failed) in softmix only, mclust only, both; these are not in fits.",
    "Picks and BICs on softmix's scale, -2 loglik + df log n, lower is better (mclust's",
    "negated); \"BIC as good\": softmix's pick's BIC <= mclust's + %g x |mclust's|."),
    deparse(ks), if (quick) "c(\"VVV\", \"EEE\")" else "\"all\"", deparse(ks),
    if (quick) ", modelNames = c(\"VVV\", \"EEE\")" else "", ll_tol, bic_tol),
  "",
  markdown(per_data),
  "",
  sprintf("- Target: at least as high in >= %.0f%% of the fits: %s (%.1f%%, %d of %d). Counting the %d pairs softmix left degenerate but mclust fitted as failures: %.1f%%.",
          100 * share_target, if (share >= share_target) "met" else "NOT MET", 100 * share,
          sum(pairs$at_least), sum(pairs$compared), sum(!s_ok & m_ok), 100 * share_strict),
  sprintf("- Target: softmix's pick's BIC at least as good as mclust's pick on every data set: %s.",
          if (all(picks$bic_ok)) "met" else paste("NOT MET on", paste(picks$data[!picks$bic_ok], collapse = ", "))),
  sprintf("- softmix's fits took %.1f s in all (2 threads).", sum(picks$seconds)),
  "",
  "### Pairs where mclust's log-likelihood is higher",
  "",
  if (is.null(failure_table)) "None." else markdown(failure_table),
  "",
  sprintf("gap: mclust's log-likelihood minus softmix's%s. Every pair is in bench/init-compare-pairs.csv.",
          if (nrow(failures) > max_listed) sprintf("; the %d largest of %d shown", max_listed,
                                                   nrow(failures)) else ""),
  "",
  "### Pairs with no log-likelihood in one or both",
  "",
  if (is.null(na_table)) "None." else markdown(na_table)
)

# Part 2: the individual starts compared -------------------------------------------

# The measurement that chose the earlier default (k-means++, one start).
# Returns the report's lines.
compare_starts <- function() {
  started <- Sys.time()
  load_mclust <- function(name) {
    env <- new.env()
    utils::data(list = name, package = "mclust", envir = env)
    env
  }
  datasets <- list(
    diabetes = load_mclust("diabetes")$diabetes[, 2:4],
    banknote = load_mclust("banknote")$banknote[, 2:7],
    wreath = load_mclust("wreath")$wreath,
    thyroid = load_mclust("thyroid")$thyroid[, 2:6],
    chevron = load_mclust("chevron")$chevron[, 2:3],
    acidity = load_mclust("acidity")$acidity,
    # 3000 of its 9083 rows, to keep the run short; still above the 2000 rows
    # init = "hc" (and mclust) cluster hierarchically.
    GvHD.pos = local({
      gvhd <- load_mclust("GvHD")$GvHD.pos
      set.seed(2024)
      gvhd[sort(sample(nrow(gvhd), 3000)), ]
    }),
    faithful = datasets::faithful,
    iris = datasets::iris[, 1:4],
    USArrests = datasets::USArrests,
    trees = datasets::trees,
    swiss = datasets::swiss,
    quakes = datasets::quakes[, 1:4]
  )
  ks <- 2:6
  multivariate_models <- c("VVV", "EEE", "VVI", "VII")
  seeds <- 1:3
  starts <- list(
    "hc" = list(init = "hc", n_init = 1),
    "kmeans++" = list(init = "kmeans++", n_init = 1),
    "kmeans++ x5" = list(init = "kmeans++", n_init = 5),
    "random" = list(init = "random", n_init = 1)
  )
  tolerance <- 1e-6

  trials <- list()
  mclust_rows <- list()
  seconds <- setNames(numeric(length(starts)), names(starts))
  for (name in names(datasets)) {
    x <- as.matrix(datasets[[name]])
    d <- ncol(x)
    models <- if (d == 1L) c("V", "E") else multivariate_models
    for (seed in seeds) {
      for (method in names(starts)) {
        set.seed(seed)
        timing <- system.time(
          fit <- softmix(x, k = ks, model = models, init = starts[[method]]$init,
                         n_init = starts[[method]]$n_init, n_threads = 1)
        )
        seconds[method] <- seconds[method] + timing[["elapsed"]]
        sel <- fit$selection
        trials[[length(trials) + 1L]] <- data.frame(
          data = name, seed = seed, k = sel$k, model = sel$model, method = method,
          loglik = sel$loglik, stringsAsFactors = FALSE
        )
      }
    }
    # Mclust's result, with its own subset of 2000 rows drawn under seed 1.
    set.seed(1)
    bic <- mclustBIC(x, G = ks, modelNames = models, verbose = FALSE)
    for (model in models) {
      for (k in ks) {
        value <- bic[as.character(k), model]
        df <- nMclustParams(model, d, k)
        mclust_rows[[length(mclust_rows) + 1L]] <- data.frame(
          data = name, k = k, model = model,
          mclust = if (is.na(value)) NA_real_ else (value + df * log(nrow(x))) / 2
        )
      }
    }
    cat(sprintf("%-10s done (%.0f s)\n", name, as.numeric(Sys.time() - started, units = "secs")))
  }
  results <- do.call(rbind, trials)
  reference <- do.call(rbind, mclust_rows)

  # The best log-likelihood any start reached in each trial.
  key <- paste(results$data, results$seed, results$k, results$model)
  best <- tapply(results$loglik, key, function(v) if (all(is.na(v))) NA else max(v, na.rm = TRUE))
  results$best <- as.numeric(best[key])
  results$shortfall <- results$best - results$loglik
  results$at_best <- !is.na(results$loglik) &
    results$shortfall <= tolerance * abs(results$best)
  results <- merge(results, reference, by = c("data", "k", "model"))
  results$vs_mclust <- results$loglik - results$mclust

  summarise <- function(rows) {
    valid <- !is.na(rows$loglik)
    short <- rows$shortfall[valid & !rows$at_best]
    data.frame(
      trials = nrow(rows),
      failed = sum(!valid),
      at_best = sprintf("%.1f%%", 100 * mean(rows$at_best)),
      mean_shortfall = sprintf("%.2f", mean(rows$shortfall[valid])),
      median_shortfall_when_worse = if (length(short)) sprintf("%.2f", median(short)) else "-",
      max_shortfall = sprintf("%.2f", max(rows$shortfall[valid])),
      above_mclust = sprintf("%.1f%%", 100 * mean(rows$vs_mclust[valid] >
                                                    tolerance * abs(rows$mclust[valid]),
                                                  na.rm = TRUE)),
      below_mclust = sprintf("%.1f%%", 100 * mean(rows$vs_mclust[valid] <
                                                    -tolerance * abs(rows$mclust[valid]),
                                                  na.rm = TRUE))
    )
  }
  table_all <- do.call(rbind, lapply(names(starts), function(m) {
    cbind(start = m, summarise(results[results$method == m, ]),
          seconds = sprintf("%.1f", seconds[[m]]))
  }))

  # Head to head: in how many trials one start ends higher than another (by
  # more than the tolerance), and by how much (median of those differences).
  head_to_head <- function(a, b) {
    ra <- results[results$method == a, ]
    rb <- results[results$method == b, ]
    rb <- rb[match(paste(ra$data, ra$seed, ra$k, ra$model),
                   paste(rb$data, rb$seed, rb$k, rb$model)), ]
    diff <- ra$loglik - rb$loglik
    margin <- tolerance * abs(ra$best)
    higher <- diff > margin
    lower <- diff < -margin
    data.frame(
      comparison = paste(a, "vs", b),
      higher = sum(higher, na.rm = TRUE), same = sum(!higher & !lower, na.rm = TRUE),
      lower = sum(lower, na.rm = TRUE),
      median_gain_when_higher = sprintf("%.2f", median(diff[higher], na.rm = TRUE)),
      median_loss_when_lower = sprintf("%.2f", median(-diff[lower], na.rm = TRUE))
    )
  }
  table_pairs <- rbind(
    head_to_head("hc", "kmeans++"),
    head_to_head("hc", "kmeans++ x5"),
    head_to_head("hc", "random"),
    head_to_head("kmeans++ x5", "kmeans++")
  )
  per_data <- do.call(rbind, lapply(names(datasets), function(nm) {
    rows <- results[results$data == nm, ]
    shares <- vapply(names(starts), function(m) {
      sprintf("%.0f%%", 100 * mean(rows$at_best[rows$method == m]))
    }, character(1))
    data.frame(data = nm, n = NROW(datasets[[nm]]), t(shares), check.names = FALSE)
  }))

  elapsed <- as.numeric(Sys.time() - started, units = "secs")
  as_markdown <- function(df) {
    header <- paste0("| ", paste(names(df), collapse = " | "), " |")
    rule <- paste0("|", paste(rep("---", ncol(df)), collapse = "|"), "|")
    body <- apply(df, 1, function(r) paste0("| ", paste(r, collapse = " | "), " |"))
    c(header, rule, body)
  }
  c(
    table_heading(2, "Starting values compared", command),
    "",
    sprintf(paste(
      "Part 2, %s (softmix %s, mclust %s, R %s), %.0f s. %d data sets x k = %s x %d models x %d seeds; each trial compares",
      "the log-likelihoods the starts reached with the default control",
      "(shortfall: best of the trial minus this start's, in log-likelihood units;",
      "\"at best\": within %g relative of the best; \"above/below mclust\": than",
      "`mclustBIC()`'s fit of the same k and model, seed 1's subset; mclust stops EM",
      "at a relative change of 1e-5, softmix at 1e-8, so softmix often ends a little",
      "higher from the same start; seconds: total time of the softmix fits)."
    ), format(Sys.Date()), packageVersion("softmix"), packageVersion("mclust"),
    getRversion(), elapsed, length(datasets), paste(range(ks), collapse = ":"),
    length(multivariate_models), length(seeds), tolerance),
    "",
    as_markdown(table_all),
    "",
    "Head to head (trials where the first start ends higher, the same, lower):",
    "",
    as_markdown(table_pairs),
    "",
    "Share of trials at the best optimum, per data set:",
    "",
    as_markdown(per_data)
    )
}

run_starts <- !quick && Sys.getenv("SOFTMIX_BENCH_STARTS", "1") != "0"
part2 <- if (run_starts) compare_starts() else
  c("## Starting values compared", "", "Not run (quick mode or SOFTMIX_BENCH_STARTS=0).")

report <- c(
  bench_header("Starting values", command, started),
  part1,
  "",
  part2
)
# A smoke test must not overwrite the committed report.
writeLines(report, file.path("bench", if (quick) "init-compare-quick.md" else "init-compare.md"))
writeLines(report)
