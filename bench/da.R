# Discriminant analysis, softmix against mclust: `Rscript bench/da.R` from the
# package root; writes bench/da.md.
#
# For iris, banknote and diabetes (mclust's data, class in the first column
# for the last two) and both kinds of model, fits
# `mclust::MclustDA(x, class, modelType = type)` and
# `softmix_da(x, class, type = type)` with their defaults (G / k = 1:5 and
# all 14 models for MclustDA, one component per class and all 14 models for
# EDDA), then for each seed in 1..SEEDS cross-validates both on the same ten
# folds: `set.seed(seed); cvMclustDA(fit)` and
# `set.seed(seed); softmix_da_cv(fit)`, which draws the folds as mclust's
# balancedFolds() does (checked here, fold by fold). Both keep the model
# chosen on all the data and refit its parameters in each fold
# (cvMclustDA()'s way). Then, for the first RESELECT_SEEDS seeds, the honest
# version on the same folds: each fold chooses its models afresh
# (`softmix_da_cv(reselect = TRUE)`, and for mclust a loop of MclustDA() on
# each fold's training rows, predicting with the class proportions of all
# the data as cvMclustDA() does).
#
# Run time: about a minute on a 2-core machine.
#
# Environment variables:
#   SOFTMIX_BENCH_QUICK=1              smoke test: 2 seeds, 1 reselect seed
#   SOFTMIX_BENCH_SEEDS                number of seeds (default 20)
#   SOFTMIX_BENCH_RESELECT_SEEDS       seeds for the reselect table (default 3)

source(file.path("bench", "common.R"))
suppressPackageStartupMessages(library(softmix))
# MclustDA() and cvMclustDA() call mclust's functions by name from the
# caller's frame: it must be attached.
suppressPackageStartupMessages(library(mclust))
started <- Sys.time()
command <- bench_command("bench/da.R")
quick <- bench_quick()
n_seeds <- as.integer(Sys.getenv("SOFTMIX_BENCH_SEEDS", if (quick) "2" else "20"))
n_reselect <- as.integer(Sys.getenv("SOFTMIX_BENCH_RESELECT_SEEDS", if (quick) "1" else "3"))
n_threads <- 2L

data_sets <- list(
  iris = list(x = as.matrix(iris[, 1:4]), class = iris$Species),
  banknote = local({
    d <- load_mclust("banknote")
    list(x = as.matrix(d[, 2:7]), class = d$Status)
  }),
  diabetes = local({
    d <- load_mclust("diabetes")
    list(x = as.matrix(d[, 2:4]), class = d$class)
  })
)
types <- c("MclustDA", "EDDA")

# "EEE,2 / VEE,1 / EEV,1": each class's model and number of components
# (mclust names one ellipsoidal component "XXX").
mclust_choice <- function(fit) {
  paste(vapply(fit$models, function(m) paste0(m$modelName, ",", m$G), ""), collapse = " / ")
}
softmix_choice <- function(fit) paste(paste0(fit$model, ",", fit$k), collapse = " / ")

# mclust with its models chosen afresh in each fold: MclustDA() on the
# training rows with its defaults, predict() with the priors of all the data.
mclust_reselect_cv <- function(x, class, type, folds) {
  prop <- as.vector(table(class)) / length(class)
  wrong <- 0
  for (test in folds) {
    fit <- MclustDA(x[-test, , drop = FALSE], class[-test], modelType = type, verbose = FALSE)
    predicted <- predict(fit, x[test, , drop = FALSE], prop = prop)$classification
    wrong <- wrong + sum(as.character(predicted) != as.character(class[test]))
  }
  wrong / length(class)
}

per_seed <- list()
summary_rows <- list()
reselect_rows <- list()
for (name in names(data_sets)) {
  x <- data_sets[[name]]$x
  class <- data_sets[[name]]$class
  n <- nrow(x)
  for (type in types) {
    message(sprintf("%s, %s", name, type))
    set.seed(1)
    mclust_seconds <- system.time(
      reference <- MclustDA(x, class, modelType = type, verbose = FALSE)
    )[["elapsed"]]
    set.seed(1)
    softmix_seconds <- system.time(
      fit <- softmix_da(x, class, type = type, n_threads = n_threads)
    )[["elapsed"]]
    rows <- lapply(seq_len(n_seeds), function(seed) {
      set.seed(seed)
      folds <- mclust:::balancedFolds(class, 10)
      set.seed(seed)
      m_cv <- cvMclustDA(reference, verbose = FALSE)
      set.seed(seed)
      s_cv <- softmix_da_cv(fit)
      if (!identical(lapply(folds, as.integer), s_cv$folds)) {
        stop(sprintf("%s %s seed %d: the folds differ from mclust's", name, type, seed))
      }
      data.frame(data = name, type = type, seed = seed,
                 mclust_wrong = round(m_cv$ce * n), softmix_wrong = round(s_cv$error * n),
                 mclust_brier = m_cv$brier, softmix_brier = s_cv$brier)
    })
    rows <- do.call(rbind, rows)
    per_seed[[paste(name, type)]] <- rows
    diff <- rows$softmix_wrong - rows$mclust_wrong
    summary_rows[[paste(name, type)]] <- data.frame(
      data = name, n = n, type = type,
      `mclust choice` = mclust_choice(reference), `softmix choice` = softmix_choice(fit),
      `mclust error` = sprintf("%.4f", mean(rows$mclust_wrong) / n),
      `softmix error` = sprintf("%.4f", mean(rows$softmix_wrong) / n),
      `softmix <= mclust` = sprintf("%d / %d", sum(diff <= 0), length(diff)),
      `better / tie / worse` = sprintf("%d / %d / %d", sum(diff < 0), sum(diff == 0),
                                       sum(diff > 0)),
      `mclust Brier` = sprintf("%.5f", mean(rows$mclust_brier)),
      `softmix Brier` = sprintf("%.5f", mean(rows$softmix_brier)),
      `fit s (m / s)` = sprintf("%.2f / %.2f", mclust_seconds, softmix_seconds),
      check.names = FALSE
    )
    for (seed in seq_len(min(n_reselect, n_seeds))) {
      set.seed(seed)
      folds <- mclust:::balancedFolds(class, 10)
      m_seconds <- system.time(m_error <- mclust_reselect_cv(x, class, type, folds))[["elapsed"]]
      set.seed(seed)
      s_seconds <- system.time(
        s_cv <- softmix_da_cv(fit, folds = folds, reselect = TRUE)
      )[["elapsed"]]
      reselect_rows[[paste(name, type, seed)]] <- data.frame(
        data = name, type = type, seed = seed,
        `mclust wrong` = round(m_error * n), `softmix wrong` = round(s_cv$error * n),
        `mclust error` = sprintf("%.4f", m_error), `softmix error` = sprintf("%.4f", s_cv$error),
        `seconds (m / s)` = sprintf("%.1f / %.1f", m_seconds, s_seconds),
        check.names = FALSE
      )
    }
  }
}

# What the reselect table shows, counted from it, and the cause found on
# iris (seed 1, fold 10).
reselect_note <- function(table) {
  worse <- table$`softmix wrong` > table$`mclust wrong`
  better <- table$`softmix wrong` < table$`mclust wrong`
  c(
    sprintf(paste(
      "Here softmix misclassifies more rows than mclust on %d of %d (data, type, seed) rows",
      "and fewer on %d; the differences are in MclustDA (%s)."
    ), sum(worse), nrow(table), sum(better),
    paste(unique(table$data[worse & table$type == "MclustDA"]), collapse = ", ")),
    "",
    paste(
      "Why (diagnosed on iris, seed 1, fold 10): for setosa's 45 training rows softmix",
      "chooses VEV with 4 components (BIC -69.3 on softmix's scale) where mclust keeps one",
      "component (BIC -29.5): one component holds 26 rows whose petal widths are all 0.2",
      "(iris is recorded to 0.1 cm), so its variance in that direction is about 3e-4 of the",
      "column's, a sharp spurious maximum that the shared shape of VEV keeps bounded and the",
      "ridge does not hold up, so it is not flagged as degenerate. softmix reaches it from",
      "mclust's own hierarchical start too (`init = \"hc\"`, log-likelihood 129.8); mclust's",
      "EM, stopping at a relative change of 1e-5 without extrapolation, stops below it",
      "(`mclustBIC(G = 4, modelNames = \"VEV\")` gives BIC 7.8, mclust's sign). The",
      "first table, where each fold refits the full data's choice as cvMclustDA() does, is not",
      "affected: both packages choose the same mixtures on all the data."
    )
  )
}

summary_table <- do.call(rbind, summary_rows)
per_seed_table <- do.call(rbind, lapply(per_seed, function(rows) {
  data.frame(data = rows$data[1], type = rows$type[1],
             `misclassified rows, mclust / softmix, seeds 1, 2, ...` =
               paste(sprintf("%d/%d", rows$mclust_wrong, rows$softmix_wrong), collapse = " "),
             check.names = FALSE)
}))
reselect_table <- do.call(rbind, reselect_rows)

report <- c(
  bench_header("Discriminant analysis: softmix_da() against mclust's MclustDA()", command,
               started),
  paste(
    "Each data set and kind of model: `mclust::MclustDA(x, class, modelType = type)` and",
    sprintf("`softmix_da(x, class, type = type, n_threads = %d)` with their defaults", n_threads),
    "(G, k = 1:5 and all 14 covariance models for MclustDA; one component per class and",
    "all 14 models for EDDA), `set.seed(1)` before each. Then, for each seed in",
    sprintf("1..%d, `set.seed(seed); cvMclustDA(fit)` and `set.seed(seed);", n_seeds),
    "softmix_da_cv(fit)`: ten balanced folds, the same for both (checked fold by fold",
    "against `mclust:::balancedFolds()`); each fold refits the model chosen on all the data",
    "and classifies its left-out rows with the class proportions of all the data",
    "(cvMclustDA()'s way). Error: the proportion of rows misclassified, the mean over the",
    "seeds; Brier score as mclust's `BrierScore()`, mean over the seeds. \"softmix <=",
    "mclust\": the seeds whose folds softmix misclassifies at most as many rows on."
  ),
  "",
  table_heading(2, "Cross-validated error on the same folds", command),
  "",
  markdown(summary_table),
  "",
  table_heading(3, "Misclassified rows by seed (mclust/softmix)", command),
  "",
  markdown(per_seed_table),
  "",
  table_heading(2, "Models chosen again in each fold, same folds", command),
  "",
  paste(
    "The honest estimate of the whole procedure: each fold chooses its models afresh among",
    "the defaults, `softmix_da_cv(fit, folds = folds, reselect = TRUE)` against a loop of",
    "`MclustDA()` on each fold's training rows with `predict(prop = )` the proportions of all",
    "the data, on the folds of `set.seed(seed); mclust:::balancedFolds(class, 10)`."
  ),
  "",
  markdown(reselect_table),
  "",
  reselect_note(reselect_table)
)
writeLines(report, file.path("bench", "da.md"))
writeLines(report)
