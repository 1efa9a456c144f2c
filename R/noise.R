#' Hypervolume of a data set, for a uniform noise component
#'
#' The volume of the region over which [softmix()]'s noise component is
#' uniform, by mclust's rule (`hypvol()`): the smaller of the volume of the
#' data's bounding box and that of the bounding box of its principal
#' components (the data rotated onto their principal axes, which hugs
#' correlated data more tightly). Computed on the log scale, so it neither
#' overflows nor underflows in many dimensions.
#'
#' @param x Data: a numeric matrix (n x d), a data frame of numeric columns,
#'   or a numeric vector for one-dimensional data.
#' @param log Whether to return the log of the volume.
#' @return The volume (or its log), a positive number.
#' @seealso `noise` and `hypervolume` in [softmix()].
#' @family mixture functions
#' @export
#' @examples
#' softmix_hypervolume(faithful)
#' # the bounding box alone
#' prod(apply(faithful, 2, function(v) diff(range(v))))
softmix_hypervolume <- function(x, log = FALSE) {
  data <- as_data_matrix(x)
  if (!is.logical(log) || length(log) != 1L || is.na(log)) {
    softmix_abort("`log` must be TRUE or FALSE.")
  }
  if (nrow(data) < 2L) softmix_abort("`x` needs at least two rows to span a volume.")
  volume <- log_hypervolume(data)
  if (!is.finite(volume)) {
    softmix_abort("`x` spans no volume: some column (or principal component) is constant.")
  }
  if (log) volume else exp(volume)
}

#' The log hypervolume of softmix_hypervolume() of the rows of `data` with
#' positive frequency weight (all rows without weights): their bounding box
#' and that of their principal components, rotated as the rows repeated as
#' often as their weights say would be
#' @noRd
log_hypervolume <- function(data, weights = NULL) {
  if (!is.null(weights)) {
    kept <- weights > 0
    data <- data[kept, , drop = FALSE]
    weights <- weights[kept]
  }
  log_box <- function(m) sum(log(apply(m, 2, function(v) diff(range(v)))))
  volume <- log_box(data)
  if (ncol(data) > 1L) {
    axes <- if (is.null(weights)) stats::prcomp(data, center = TRUE, scale. = FALSE)$rotation
            else eigen(stats::cov.wt(data, wt = weights / sum(weights))$cov, symmetric = TRUE)$vectors
    volume <- min(volume, log_box(data %*% axes))
  }
  volume
}

#' Resolve `noise` and `hypervolume` for softmix(): NULL without noise,
#' otherwise a list with the hypervolume, the box rmixture() draws from
#' (the bounding box scaled about its centre to that volume) and the starting
#' noise set (logical, n; NULL when the starting parameters have a noise
#' share).
#' @noRd
resolve_noise <- function(noise, hypervolume, data, known, start, weights = NULL,
                          call = sys.call(-1)) {
  n <- nrow(data)
  given <- start$parameters
  if (identical(noise, FALSE) && !is.null(given$hypervolume)) {
    # Starting parameters with a noise component fit one.
    noise <- TRUE
    if (is.null(hypervolume)) hypervolume <- given$hypervolume
  }
  if (is.null(noise) || identical(noise, FALSE)) {
    if (!is.null(hypervolume)) {
      softmix_abort("`hypervolume` is given but `noise` is FALSE; set `noise = TRUE`.", call)
    }
    return(NULL)
  }
  if (!is.logical(noise) || anyNA(noise) || !(length(noise) %in% c(1L, n))) {
    problem <- if (!is.logical(noise)) paste("it is", describe_type(noise)) else
      if (!(length(noise) %in% c(1L, n))) sprintf("got %s", format_value(noise)) else
      sprintf("it is NA in %d row(s), the first being row %d", sum(is.na(noise)),
              which(is.na(noise))[1L])
    softmix_abort(sprintf(paste(
      "`noise` must be TRUE, FALSE or a logical vector with one entry per observation",
      "(%d), without NA; %s."
    ), n, problem), call)
  }
  if (length(noise) == n && n > 1L) {
    set <- noise
  } else if (!is.null(given$hypervolume)) {
    # Starting parameters with a noise share need no starting set.
    set <- rep(FALSE, n)
  } else {
    set <- default_noise_set(data)
  }
  # Rows of known component are not noise.
  if (!is.null(known)) set[!is.na(known$labels)] <- FALSE
  if (!is.null(given$hypervolume) && !any(set)) {
    set <- NULL
  } else if (all(set)) {
    softmix_abort("`noise` marks every observation as noise; leave some to the components.",
                  call)
  }
  if (!is.null(set) && !any(set)) {
    softmix_abort("`noise` marks no observation as noise; mark at least one to start from.",
                  call)
  }
  # The region of the rows that count: those of positive weight.
  counted <- if (is.null(weights)) data else data[weights > 0, , drop = FALSE]
  lower <- apply(counted, 2, min)
  upper <- apply(counted, 2, max)
  volume <- if (is.null(hypervolume)) {
    log_volume <- log_hypervolume(data, weights)
    if (nrow(counted) < 2L || !is.finite(log_volume)) {
      softmix_abort(paste(
        "The data span no volume for the noise (some column or principal component is",
        "constant); give `hypervolume`."
      ), call)
    }
    exp(log_volume)
  } else {
    check_hypervolume(hypervolume, call)
  }
  # The bounding box scaled about its centre to the hypervolume; a constant
  # column gets a side of 1 before scaling.
  sides <- ifelse(upper > lower, upper - lower, 1)
  factor <- exp((log(volume) - sum(log(sides))) / ncol(data))
  centre <- (lower + upper) / 2
  box <- rbind(centre - factor * sides / 2, centre + factor * sides / 2)
  colnames(box) <- colnames(data)
  list(hypervolume = volume, box = box, set = set)
}

#' The starting noise set of `noise = TRUE`: rows far from their neighbours.
#' Each row's distance to its 5th nearest neighbour is taken on the data
#' with each column divided by its standard deviation; a row is noise when
#' the log of that distance exceeds the median of the logs by more than 3
#' robust standard deviations (the interquartile range / 1.349), or, if no
#' row does, the one row farthest from its neighbours. With more than 5000
#' rows the neighbours are sought among 2000 rows drawn at random.
#' @noRd
default_noise_set <- function(data) {
  n <- nrow(data)
  if (n < 3L) return(c(TRUE, rep(FALSE, n - 1L)))
  scale <- apply(data, 2, stats::sd)
  scale[!(scale > 0)] <- 1
  z <- sweep(data, 2, scale, "/")
  reference <- if (n > 5000L) sort(sample.int(n, 2000L)) else seq_len(n)
  neighbours <- min(5L, length(reference) - 1L)
  distance <- neighbour_distances_cpp(z, reference, neighbours)
  log_distance <- log(distance + .Machine$double.xmin)
  spread <- stats::IQR(log_distance) / 1.349
  set <- log_distance > stats::median(log_distance) + 3 * spread
  if (!any(set)) set[which.max(log_distance)] <- TRUE
  set
}


#' Starting parameters for a fit with noise: given parameters without a
#' noise share get one, the share of the starting noise set (at least 1%),
#' and the others shrink in proportion; the noise's hypervolume and box are
#' the fit's.
#' @noRd
start_with_noise <- function(start, noise) {
  given <- start$parameters
  if (is.null(noise) || is.null(given)) return(start)
  k <- nrow(given$means)
  share <- if (!is.null(given$hypervolume)) given$proportions[k + 1L] else
    max(0.01, mean(noise$set))
  start$parameters <- mixture_params(
    c(given$proportions[seq_len(k)] / sum(given$proportions[seq_len(k)]) * (1 - share), share),
    given$means, given$covariances, hypervolume = noise$hypervolume, noise_box = noise$box
  )
  start
}

#' The statistics of the all-noise model (k = 0) for a selection table
#' @noRd
all_noise_summary <- function(data, rows) {
  n <- nrow(data)
  total <- if (is.null(rows$weights)) n else sum(rows$weights)
  loglik <- -total * log(rows$noise$hypervolume)
  bic <- -2 * loglik + log(effective_n(n, rows$weights, rows$weight_type))
  list(loglik = loglik, df = 1, bic = bic, icl = bic, converged = TRUE, iterations = 0L,
       degenerate = "")
}

#' The all-noise model (k = 0) as a softmix object: every row is noise
#' @noRd
all_noise_softmix <- function(data, model, control, n_threads, call, rows) {
  n <- nrow(data)
  d <- ncol(data)
  summary <- all_noise_summary(data, rows)
  vars <- variable_names(data)
  parameters <- structure(list(
    proportions = c(noise = 1),
    means = matrix(numeric(0), 0L, d, dimnames = list(NULL, vars)),
    covariances = array(numeric(0), c(d, d, 0L), dimnames = list(vars, vars, NULL)),
    hypervolume = rows$noise$hypervolume,
    noise_box = rows$noise$box
  ), class = "mixture_params")
  structure(list(
    call = call, model = model, k = 0L, n = n,
    nobs = effective_n(n, rows$weights, rows$weight_type), d = d,
    parameters = parameters,
    posterior = matrix(1, n, 1L, dimnames = list(rownames(data), "noise")),
    classification = integer(n), uncertainty = numeric(n),
    loglik = summary$loglik, loglik_trace = summary$loglik, iterations = 0L,
    converged = TRUE, degenerate = "", df = 1, bic = summary$bic, icl = summary$icl,
    data = data, control = control, init = "none", n_threads = n_threads,
    weights = rows$weights,
    weight_type = if (is.null(rows$weights)) NULL else rows$weight_type,
    labels = rows$known, fixed = NULL,
    noise = list(hypervolume = rows$noise$hypervolume, set = rows$noise$set)
  ), class = "softmix")
}

#' Classes 1..K + 1 with the noise's K + 1 as 0, as mclust numbers it
#' @noRd
noise_as_zero <- function(classes, parameters) {
  if (!is.null(parameters$hypervolume)) classes[classes == nrow(parameters$means) + 1L] <- 0L
  classes
}

#' Names of a fit's components for printing: 1..K and "noise"
#' @noRd
component_names <- function(fit) {
  c(seq_len(fit$k), if (!is.null(fit$noise)) "noise")
}

#' The values of a fit's classification: 1..K and 0 for the noise
#' @noRd
classification_levels <- function(fit) {
  c(seq_len(fit$k), if (!is.null(fit$noise)) 0L)
}
