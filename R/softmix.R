#' Fit a Gaussian mixture model by EM
#'
#' Fits a mixture of `k` multivariate normal distributions to the rows of `x`
#' by the expectation-maximisation algorithm (Dempster, Laird and Rubin
#' 1977) and returns soft assignments: the posterior probability
#' (responsibility) of each component for each observation.
#'
#' Each iteration computes the responsibilities under the current parameters
#' (E step; see [e_step()]) and re-estimates the parameters by weighted
#' maximum likelihood (M step; see [m_step()]), in one pass over the data.
#' By default EM is accelerated by SQUAREM extrapolation (Varadhan and
#' Roland 2008; see `accelerate` in [softmix_control()]): a step that
#' combines two EM steps is kept only when it gives a mixture of the model
#' whose log-likelihood is at least that of the last EM step, so the
#' log-likelihood of the accepted parameters (`$loglik_trace`) never
#' decreases with `reg = 0`. The default ridge makes each M step a slightly
#' penalised estimate, so the log-likelihood can fall by a negligible amount
#' (of the order of `reg` relative) near convergence. EM stops when the
#' relative change \eqn{|\ell_t - \ell_{t-1}| / (1 + |\ell_t|)} made by
#' an EM step (not by an extrapolated one) falls below `control$tol` (or by
#' Aitken's rule, see `stopping`), or after `control$max_iter` passes over
#' the data, with a warning. The returned posterior and log-likelihood belong to the returned
#' parameters.
#'
#' @section Covariance models:
#' The covariance matrix of component k is parameterised as
#' \eqn{\Sigma_k = \lambda_k D_k A_k D_k^T}: volume \eqn{\lambda_k}
#' (\eqn{\det(\Sigma_k)^{1/d}}), orientation \eqn{D_k} (orthogonal) and
#' shape \eqn{A_k} (diagonal, determinant 1). Each part is Equal across
#' components, Variable, or the Identity, as in mclust (Celeux and Govaert
#' 1995; Fraley and Raftery 2002), whose codes, in mclust's order, are:
#' * `"EII"`: spherical, equal volume: \eqn{\lambda I}.
#' * `"VII"` (alias `"spherical"`): spherical, varying volume: \eqn{\lambda_k I}.
#' * `"EEI"`: diagonal, equal volume and shape: \eqn{\lambda A}.
#' * `"VEI"`: diagonal, equal shape: \eqn{\lambda_k A}.
#' * `"EVI"`: diagonal, equal volume, varying shape: \eqn{\lambda A_k}.
#' * `"VVI"` (alias `"diagonal"`): diagonal, varying volume and shape:
#'   \eqn{\lambda_k A_k}.
#' * `"EEE"` (alias `"tied"`): ellipsoidal, one covariance shared by all
#'   components: \eqn{\lambda D A D^T}.
#' * `"VEE"`: ellipsoidal, equal shape and orientation: \eqn{\lambda_k D A D^T}.
#' * `"EVE"`: ellipsoidal, equal volume and orientation: \eqn{\lambda D A_k D^T}.
#' * `"VVE"`: ellipsoidal, equal orientation: \eqn{\lambda_k D A_k D^T}.
#' * `"EEV"`: ellipsoidal, equal volume and shape: \eqn{\lambda D_k A D_k^T}.
#' * `"VEV"`: ellipsoidal, equal shape: \eqn{\lambda_k D_k A D_k^T}.
#' * `"EVV"`: ellipsoidal, equal volume: \eqn{\lambda D_k A_k D_k^T}.
#' * `"VVV"` (alias `"full"`): ellipsoidal, a full covariance per component:
#'   \eqn{\lambda_k D_k A_k D_k^T}.
#' * `"E"`, `"V"`: equal or varying variances for one-dimensional data; the
#'   multivariate codes are mapped to these when `x` has one column.
#'
#' Each M step is the exact weighted maximum likelihood estimate of the model
#' (with `reg = 0`). It has a closed form for all but five models; `"VEI"`,
#' `"VEV"` and `"VEE"` alternate the exact estimates of the volumes and of
#' the shared parts given each other, and `"EVE"` and `"VVE"` update the
#' common orientation by the majorisation-minimisation (MM) steps of Browne
#' and McNicholas (2014), as mclust does. These inner iterations start from
#' the previous EM iteration's parameters, so that no M step lowers the
#' expected complete-data log-likelihood, and use mclust's default inner
#' tolerance, \eqn{\sqrt{\epsilon} \approx 1.5 \times 10^{-8}}
#' (`emControl()$tol[2]`), for at most 1,000 iterations per M step (mclust
#' sets no limit, `emControl()$itmax[2]`); stopping early keeps that
#' guarantee, and the next M step continues from where this one stopped.
#' For `"VEI"`, `"VEV"` and `"VEE"` they stop when
#' no volume or shape parameter changes by more than this, relatively, so one
#' M step is exact to about \eqn{10^{-9}}. The MM steps can need tens of
#' thousands of iterations on ill-conditioned data, so for `"EVE"` and
#' `"VVE"`, as in mclust, they stop when the objective falls by less than
#' this relative to \eqn{n d} in one iteration: a single M step then leaves
#' the expected log-likelihood within about \eqn{10^{-7}} of its maximum,
#' relatively, but its estimates only within about \eqn{10^{-3}}; EM
#' continues the iterations from one M step to the next, so fitted models
#' converge fully. These two models are much slower than the others in many
#' dimensions. For `"VVE"` softmix weights the MM
#' steps by the inverse of \eqn{\lambda_k A_k}, which reaches the maximum
#' likelihood estimate; mclust weights them by the inverse of \eqn{A_k}
#' alone, whose fixed point differs when the volumes differ, so its `"VVE"`
#' fits have a lower likelihood than softmix's. The number of free
#' parameters (`df`) of each model is counted as mclust's `nMclustParams()`
#' does. For the models whose estimate is not linear in the scatter
#' matrices \eqn{W_k} (all but EII, VII, EEI, VVI, EEE and VVV), the ridge of
#' [softmix_control()] enters as \eqn{N_k} times the ridge added to the
#' diagonal of each \eqn{W_k} before the estimate, which for the other six
#' models is the same as adding the ridge to the estimated covariances.
#'
#' Browne, R. P. and McNicholas, P. D. (2014). Estimating common principal
#' components in high dimensions. *Advances in Data Analysis and
#' Classification*, 8(2), 217-226.
#'
#' @section Model selection:
#' With several values of `k` or several models (`"all"` for every code),
#' every (k, model) pair is fitted and the one with the lowest `criterion` is
#' returned, with the table of all pairs in `$selection`. Both criteria are
#' on the scale of R's [stats::BIC()], lower is better:
#' * BIC \eqn{= -2 \ell + df \log n} (Schwarz 1978), as [stats::BIC()]
#'   computes it from [logLik()]. mclust reports the negative of this,
#'   \eqn{2 \ell - df \log n}, and prefers the highest value.
#' * ICL \eqn{= BIC - 2 \sum_i \log z_{i, C(i)}}, where \eqn{z_{i, C(i)}} is
#'   the posterior probability of the component that observation i is
#'   assigned to (its largest). This is the integrated completed likelihood
#'   of Biernacki, Celeux and Govaert (2000) in the form mclust's `icl()`
#'   computes, again with the sign reversed. The entropy term penalises
#'   overlapping components, so ICL favours well separated clusters and
#'   often chooses fewer components than BIC.
#'
#' A pair whose fit fails (for example a singular covariance with `reg = 0`)
#' is reported in the table with its error message and skipped.
#'
#' With several threads the pairs are fitted side by side, one per thread,
#' while the posterior matrices the threads hold at once (n times the
#' largest `k` numbers each) stay under 256 MB, and the chosen pair's
#' posterior is computed again from its parameters; no thread then waits for
#' another, which on a busy machine costs a scheduler time slice each time.
#' On larger data the threads share each pass and the pairs are fitted in
#' turn.
#' The result is the same either way, bit for bit, and the same for any
#' number of threads. Pairs that stop at `max_iter` before converging are
#' named in one warning.
#'
#' A pair whose fit is degenerate is reported with its log-likelihood, `NA`
#' as `bic` and `icl` and a message saying why, and is never chosen, as
#' mclust reports such fits with no BIC. A fit is degenerate when the ridge
#' of [softmix_control()], not the data, holds its likelihood up (as `reg`
#' goes to 0 the likelihood would grow without bound):
#' * singular but for the ridge: for some component, in some direction, the
#'   ridge supplies at least half of the fitted variance, that is, the
#'   largest eigenvalue of \eqn{U_k^T R U_k} is at least 0.5, where
#'   \eqn{U_k U_k^T = \Sigma_k^{-1}} and \eqn{R} is the diagonal matrix of
#'   the ridge (its mean times the identity for EII and VII). For a `reg`
#'   above the default 1e-6 the limit is `reg / (reg + 1e-6)` instead: the
#'   component's own variance in that direction must also be at most a
#'   millionth of the data's, since a larger ridge holds up sound but narrow
#'   components too (with `reg = 0.01` it supplies 57% of a variance of
#'   iris's setosa). For EVI, EVE
#'   and EVV, whose shared volume can inflate a singular component in every
#'   direction, \eqn{\Sigma_k} is first brought to the component's own
#'   volume: multiplied by \eqn{tr(\Sigma_k^{-1} (W_k / N_k + R)) / d},
#'   with \eqn{W_k} the component's scatter under the posterior. A shared
#'   covariance (EII, EEI, EEE) is checked once.
#' * collapsed: for VVV and EVV, whose components have their own orientation
#'   and shape, a component rests on d or fewer points, its d largest
#'   responsibilities holding at least 99% of its weight \eqn{N_k} (a
#'   diagonal or shared-orientation covariance stays regular on d points in
#'   general position, and a shared one does not collapse).
#'
#' The ridge's share in a sound component is of the order of `reg` times the
#' ratio of a column's variance to the component's (1e-6 times that by
#' default); a singular one gives about 1. On iris, faithful and mclust's
#' diabetes and banknote (k = 1 to 9, every model, `"kmeans++"` and `"hc"`
#' starts) the shares were below 0.02 or near 1 except for a few components
#' on about d + 1 points (0.06 to 0.75); one half reads "the ridge supplies
#' as much variance as the data". These criteria left the choices on those
#' data as they were. Where mclust reports no BIC on iris (VEE with 5, 7 and
#' 9 components, EVV with 5 and 6, from its hierarchical start), the fits
#' from `init = "hc"` are degenerate too (and EVV with 7 components). On a
#' 10 x 20 matrix of independent normals every ellipsoidal model is
#' degenerate (ten points cannot give a covariance in 20 dimensions; VVE
#' with two components used to be chosen with a log-likelihood of +737), and
#' one spherical component is chosen, as mclust chooses.
#'
#' If every pair fails, `softmix()` stops with an error quoting the
#' messages; if every pair fails or is degenerate, the error says so. A
#' single (k, model) fit that is degenerate is returned with a warning of
#' class `softmix_warning`, with the reason in `$degenerate`. With
#' `verbose = TRUE` a progress bar on the standard error stream counts the
#' fitted pairs. An interrupt (Ctrl-C, or Esc in the R GUI) stops the
#' selection between two EM iterations and returns to the prompt.
#'
#' @section Starting values:
#' EM finds a local maximum of the likelihood near its start, so the start
#' matters. The default, `init = c("hc", "kmeans++")`, makes two starts:
#' mclust's, the partition of model-based hierarchical clustering, and a
#' k-means++ partition. Each runs until the relative change of its
#' log-likelihood falls below 1e-5, mclust's default tolerance, and the one
#' with the higher log-likelihood there runs on to `control$tol`. So the fit
#' reaches at least what mclust's default reaches from its own start, bar a
#' different optimum reached by the extrapolated steps, and usually more:
#' the k-means++ start often finds a higher optimum, and the tighter
#' tolerance goes further up the same one. In a selection over several `k`
#' or models, starts that do not depend on the covariance model are made
#' once per `k` and shared by every model: the `"hc"` tree is built once
#' (on a subset of 2000 rows drawn first, for larger data) and cut at each
#' `k`, and the `n_init` k-means++ partitions of each `k` are drawn once (in
#' increasing `k`, before any fit) and each model is fitted from the same
#' partitions. `"random"` starts are drawn for each pair. A partition equal
#' to an earlier one up to the names of its labels (k-means++ and the tree
#' often agree on well separated data) is dropped: it would repeat that
#' start's fit.
#'
#' The default was measured against mclust's `Mclust(x, G = 1:9)` with
#' `Rscript bench/init-compare.R` in the package sources, on the
#' (k, model) pairs of `softmix(x, k = 1:9, model = "all")` that both fit
#' (`bench/init-compare.md` has the run, the pairs where mclust is higher,
#' and the older comparison of single starts):
#'
#' | data | n | fits | at least as high | NA s / m / both | softmix pick (BIC) | mclust pick (BIC) | BIC as good |
#' |---|---|---|---|---|---|---|---|
#' | faithful | 272 | 123 | 100.0% | 3 / 0 / 0 | EEE,3 (2314.3) | EEE,3 (2314.3) | yes |
#' | iris | 150 | 114 | 100.0% | 7 / 2 / 3 | VEV,2 (561.7) | VEV,2 (561.7) | yes |
#' | diabetes | 145 | 110 | 98.2% | 16 / 0 / 0 | VVV,3 (4751.3) | VVV,3 (4751.3) | yes |
#' | banknote | 200 | 117 | 94.9% | 2 / 6 / 1 | VVE,3 (1602.8) | VVE,3 (1607.6) | yes |
#' | thyroid | 215 | 111 | 98.2% | 10 / 2 / 3 | VVI,3 (4777.9) | VVI,3 (4777.9) | yes |
#' | wreath | 1000 | 126 | 100.0% | 0 / 0 / 0 | VVV,9 (12190.8) | VVV,8 (12355.5) | yes |
#' | chevron | 1104 | 126 | 99.2% | 0 / 0 / 0 | EEV,9 (21510.8) | EEV,9 (21520.2) | yes |
#' | acidity | 155 | 14 | 92.9% | 4 / 0 / 0 | E,2 (392.1) | E,2 (392.1) | yes |
#' | GvHD.pos | 9083 | 126 | 100.0% | 0 / 0 / 0 | VVV,9 (417577.4) | VVV,9 (418458.1) | yes |
#' | **all** |  | 967 | 98.8% | 42 / 10 / 7 |  |  | 9 / 9 |
#'
#' @section Weights, labels and fixed parameters:
#' * **Weights.** With `weights`, EM maximises the weighted log-likelihood
#'   \eqn{\sum_i w_i \log f(x_i)}: each M step is the weighted maximum
#'   likelihood estimate from \eqn{w_i r_{ik}}, so integer weights give the
#'   fit of the data with each row repeated \eqn{w_i} times (from the same
#'   start), zero weights the fit without those rows, and equal weights the
#'   unweighted parameters. The weights multiply the responsibilities inside
#'   the same pass over the data, so a weighted iteration costs about what
#'   an unweighted one does. The starts use them too: k-means++ draws each
#'   seed with probability proportional to weight times squared distance,
#'   Lloyd's centres are weighted means, and `"hc"` builds its tree on the
#'   rows as often as their weights count them: with whole-number weights
#'   summing to at most 2000, each row repeated as many times as its weight
#'   (the tree of the data with rows repeated), otherwise 2000 rows drawn
#'   with replacement in proportion to the weights; rows of weight zero stay
#'   out, and the first M step is weighted. The
#'   ridge of [softmix_control()] uses the weighted variances. The
#'   posterior is not weighted; `logLik()`, `nobs()`, BIC and ICL (whose
#'   classification term is \eqn{\sum_i w_i \log z_{i, C(i)}}) are.
#'   mclust offers weights only in `me.weighted()`, which reports the
#'   log-likelihood divided by the mean weight; softmix reaches the same
#'   parameters.
#' * **Partly known labels** (semi-supervised fitting, as mclust's
#'   `MclustSSC()`). Rows with a known component keep a posterior of one
#'   for it in every E step; the others get soft responsibilities. The
#'   log-likelihood is that of `MclustSSC()`: the mixture density
#'   \eqn{\log \sum_k \pi_k N(x_i \mid \mu_k, \Sigma_k)} for unlabelled
#'   rows and the complete-data density \eqn{\log \pi_{y_i} N(x_i \mid
#'   \mu_{y_i}, \Sigma_{y_i})} for labelled ones. Components without a
#'   labelled row are free. Every start is made to agree with the labels:
#'   the clusters of an `"hc"` or `"kmeans++"` partition are renamed to the
#'   known components they overlap most, and the labelled rows then take
#'   their labels; a random or posterior start gets one-hot labelled rows.
#'   With several `k`, only those at least the number of label levels are
#'   fitted. `predict()` classifies new data with the fitted mixture.
#' * **Fixed parameters.** With `init` a [mixture_params()] object and
#'   `fixed`, EM holds those parts at their starting values and estimates
#'   the rest; for example `fixed = c("means", "covariances")` re-estimates
#'   only the proportions of a known mixture on new data. With fixed means,
#'   the covariances are estimated about them. `df`, BIC and ICL count only
#'   the free parameters.
#'
#' @section Noise:
#' With `noise`, the mixture gains a component of constant density 1 / V, V
#' the `hypervolume` (by default mclust's: the smaller of the volumes of the
#' data's bounding box and of its principal components' bounding box), as
#' mclust's `Vinv`. Outliers far from every normal component are given to
#' it. EM starts from a partition of the rows outside a starting noise set:
#' the rows marked in `noise`, or with `noise = TRUE` the rows far from
#' their neighbours (a row's distance to its fifth nearest neighbour, on
#' the columns divided by their standard deviations, more than three robust
#' standard deviations above the median on the log scale; at least the one
#' farthest row; with more than 5000 rows the neighbours are sought among
#' 2000 drawn at random). Rows with known `labels` are never noise. The
#' noise's share is the last of `parameters$proportions` (named `"noise"`),
#' the posterior gains a last column `"noise"`, `classification` marks noise
#' rows 0, and `df` counts two more parameters (the share and the
#' hypervolume), as mclust's `nMclustParams()` does. Pooled covariances
#' (`"EEE"` and the other shared models) divide by the components' weight
#' without the noise's, as mclust's M steps do. `k = 0` in a selection is
#' the all-noise model. [rmixture()] and `simulate()` draw noise points
#' uniformly from `parameters$noise_box`, the data's bounding box scaled
#' about its centre to volume V. `init = "random"` is not available with
#' noise; a posterior start has a last column for the noise, and starting
#' parameters without a noise share get the share of the starting set.
#'
#' @section Missing values:
#' With `missing = "em"` (the default), rows with missing values (`NA` or
#' `NaN`, taken as missing at random) are fitted on their observed
#' coordinates, as in Little and Rubin (2002, ch. 11):
#' * **E step.** Row i with observed coordinates o gets the
#'   responsibilities \eqn{r_{ik} \propto \pi_k N(x_{i,o} \mid \mu_{k,o},
#'   \Sigma_{k,oo})}, and the log-likelihood (`$loglik`, the trace, BIC and
#'   ICL) is the observed-data log-likelihood
#'   \eqn{\sum_i \log \sum_k \pi_k N(x_{i,o} \mid \mu_{k,o}, \Sigma_{k,oo})}.
#' * **M step.** The missing coordinates m are replaced by their
#'   conditional means \eqn{E[x_m \mid x_o, k] = \mu_{k,m} + \Sigma_{k,mo}
#'   \Sigma_{k,oo}^{-1} (x_o - \mu_{k,o})} and the component's scatter gains
#'   the conditional covariance \eqn{\Sigma_{k,mm} - \Sigma_{k,mo}
#'   \Sigma_{k,oo}^{-1} \Sigma_{k,om}}, weighted by \eqn{r_{ik}}; every
#'   covariance model then gets its exact EM update from these completed
#'   statistics, and the trace never falls with `reg = 0`.
#'
#' Rows are grouped by their pattern of missing values, so the factors of
#' each pattern (conditional covariance, regression of the missing on the
#' observed coordinates, log-density term) are computed once per component
#' and block of rows; complete rows go through the usual fused pass. Each
#' block of incomplete rows is completed by every component's conditional
#' means and then goes through the same E and M step kernels as complete
#' rows (the package sources' `bench/missing.md` measures the cost of an
#' iteration against one on complete data). The blocks are shared
#' among the threads and summed in a fixed order, so the fit stays the same
#' for any number of threads. Rows with every value missing carry no
#' information and are dropped with a message (in one dimension, a missing
#' value is such a row); their indices are in `$missing$dropped`. A column
#' with no observed value is an error, as are infinite values. BIC uses
#' the number of rows fitted and the usual number of parameters.
#'
#' The starts (`"hc"`, `"kmeans++"`, `"random"`, a posterior or labels)
#' are made from a first imputation: each missing value replaced by its
#' conditional mean given the row's observed values under one
#' multivariate normal fitted by EM with missing values (from the observed
#' means and variances, ridge 1e-6, at most 100 iterations to a relative
#' tolerance of 1e-6). EM itself then runs on the data with their missing
#' values. A default [softmix_prior()] is computed from that imputation.
#' A noise component cannot be fitted to data with missing values.
#'
#' `fitted(fit, type = "imputed")` returns the data with each missing
#' value replaced by \eqn{\sum_k r_{ik} E[x_m \mid x_o, k]};
#' [predict()][predict.softmix()], [e_step()] and [dmixture()] give the
#' posterior and density of new rows from their observed coordinates, and
#' [m_step()] takes the M step of data with missing values given the
#' parameters of the posterior.
#' `missing = "omit"` fits only the complete rows (with a message), and
#' `missing = "fail"` stops at the first missing value.
#'
#' Little, R. J. A. and Rubin, D. B. (2002). *Statistical Analysis with
#' Missing Data*, 2nd edition. Wiley.
#'
#' @section Degenerate data:
#' softmix never returns NaN and never crashes on data that make the
#' likelihood degenerate; each case ends in one of these outcomes:
#' * Duplicated points, a constant column, fewer points than dimensions, a
#'   single point, `k = n`, or a cluster of one point among thousands: with
#'   the default `reg > 0` the ridge keeps every covariance positive
#'   definite and the fit proceeds (a component may shrink onto one point,
#'   with the ridge as its covariance); such a fit is degenerate (see the
#'   section on model selection): alone it comes with a warning, in a
#'   selection it has no BIC and is not chosen. With `reg = 0` a singular component
#'   stops the fit with an error of class `softmix_error` naming the
#'   component and suggesting `reg` or a simpler model; inside a selection
#'   over several `k` or models, that pair is reported in `$selection` and
#'   skipped.
#' * A component whose weight vanishes (for example a starting mean far from
#'   all data) stops the fit with a `softmix_error` naming the component.
#' * Data of any scale, from about 1e-150 to 1e150, fit alike: the core
#'   works on the data scaled by a power of two, so scaling the data by c
#'   scales the means by c and the covariances by c^2, keeps the
#'   responsibilities and shifts the log-likelihood by \eqn{-n d \log c}
#'   (the stopping rule, which is relative to \eqn{1 + |\ell|}, may then
#'   stop at a different iteration).
#' * A point so far from every component that its density underflows to
#'   zero gets a posterior of one for the component nearest in Mahalanobis
#'   distance; its log-density is `-Inf`, so a fit to data containing it
#'   stops with an error.
#'
#' @param x Data: a numeric matrix (n x d, observations in rows), a data
#'   frame of numeric columns, or a numeric vector for one-dimensional data.
#'   Missing values (`NA` or `NaN`) are handled as `missing` says;
#'   infinite values are an error. A vector's variable is named
#'   after the expression that gives it, as base R's plots label an axis:
#'   `softmix(faithful$waiting, ...)` names it `waiting` in the means, the
#'   printed output and the plots. Or data that are not in this session: a
#'   [softmix_shards()] object (rows on a cluster's workers) or a
#'   [softmix_file()] object (a CSV file or file-backed big.matrix read in
#'   chunks on every pass).
#' @param k Number of components, a whole number between 1 and n, or
#'   several for model selection. May be omitted when `init` is a parameter
#'   set or a posterior matrix.
#' @param model Covariance model code(s); see the section below. `"all"`
#'   selects among every implemented model.
#' @param init How to start EM (see the section on starting values):
#'   * `c("hc", "kmeans++")` (default): both starts below, each run to
#'     mclust's tolerance (1e-5), the better one then run on to
#'     `control$tol` (see `n_init`).
#'   * `"kmeans++"`: k-means++ seeding (Arthur and Vassilvitskii
#'     2007) refined by up to 10 Lloyd iterations, then one M step from that
#'     partition. Draws from R's random number generator, so `set.seed()`
#'     reproduces the fit.
#'   * `"hc"`: the partition into `k` clusters of model-based agglomerative
#'     hierarchical clustering (Banfield and Raftery 1993; Fraley 1998),
#'     then one M step, as mclust starts EM: the tree of [softmix_hc()] with
#'     mclust's defaults (criterion `"VVV"`, or `"EII"` when there are no
#'     more rows than variables, `"E"` for one variable; data transformed
#'     by `"SVD"`). With more than 2000 rows the tree is built on 2000 rows
#'     drawn at random (R's generator, so `set.seed()` reproduces the fit;
#'     under the same seed these are the rows mclust draws): the first M step
#'     uses those rows and their partition, and EM then runs on all rows,
#'     starting with an E step on all of them.
#'   * `"random"`: uniformly random responsibilities, normalised by row, then
#'     one M step.
#'   * a [mixture_params()] object: the starting parameters.
#'   * an n x k matrix of non-negative weights (a posterior): EM starts with
#'     an M step from it, as mclust's `me()` does.
#'   * a vector of n labels in `1:k`: a hard partition, used as a one-hot
#'     posterior.
#' @param n_init Number of k-means++ or random starts: for `"kmeans++"`
#'   (alone or with `"hc"`), `n_init` seedings, each refined by Lloyd's
#'   iterations; for `"random"`, `n_init` draws of responsibilities. `"hc"`
#'   makes one start whatever `n_init` is (the tree is deterministic given
#'   its rows), as does an explicit start. With several starts, each runs
#'   until the relative change of its log-likelihood falls below 1e-5
#'   (mclust's default tolerance), and the one with the highest
#'   log-likelihood there runs on to `control$tol` (the next one if it
#'   fails); see the section on starting values.
#' @param control Settings from [softmix_control()]: `tol`, `max_iter`,
#'   `reg`, `accelerate`, `stopping`.
#' @param n_threads Number of threads; `NULL` uses [softmix_threads()].
#'   Results are identical for any number of threads.
#' @param criterion The criterion that chooses among several (k, model)
#'   pairs: `"bic"` (default) or `"icl"`; lower is better for both. See the
#'   section on model selection.
#' @param verbose Whether to show a progress bar while fitting several
#'   pairs; by default only in interactive sessions.
#' @param weights Optional observation weights: a vector of n non-negative
#'   finite numbers, not all zero. See the section on weights, labels and
#'   fixed parameters.
#' @param weight_type How to read `weights`: `"frequency"` (default), a row
#'   of weight w counts as w copies of it, and BIC, ICL and `nobs()` use
#'   \eqn{n = \sum_i w_i}; or `"sampling"`, the weights are first scaled to
#'   sum to the number of rows, which BIC, ICL and `nobs()` then use.
#' @param labels Optional known components: a vector of length n with `NA`
#'   for rows whose component is unknown and otherwise a component number
#'   in `1:k`, or a factor whose levels name the first components (in
#'   order). See the section on weights, labels and fixed parameters.
#' @param noise Whether to add a uniform noise component for outliers:
#'   `FALSE` (default), `TRUE`, or a logical vector of n entries marking the
#'   rows that start as noise. See the section on noise.
#' @param hypervolume The volume V of the region over which the noise is
#'   uniform (density 1 / V); `NULL` (default) uses [softmix_hypervolume()],
#'   mclust's choice.
#' @param prior `NULL` (default) for maximum likelihood, or a conjugate prior
#'   from [softmix_prior()] for maximum a posteriori EM, as mclust's
#'   `priorControl()`; the ridge `reg` is then not used.
#' @param missing What to do with rows that have missing values: `"em"`
#'   (default) fits them on their observed coordinates, `"omit"` leaves
#'   them out with a message, `"fail"` stops with an error. See the section
#'   on missing values.
#' @param cluster `NULL` (default) to fit in this session; a cluster of the
#'   `parallel` package ([parallel::makeCluster()]) or `"future"` (the current
#'   [future::plan()]) to run every pass over the data on its workers: `x` is
#'   split into one shard of consecutive rows per worker, sent once, and each
#'   iteration exchanges only the parameters and each shard's statistics.
#'   From the same start the fit equals the in-memory one. `x` may instead be
#'   a [softmix_shards()] object, whose rows already live on the workers (read
#'   there from files); see `vignette("beyond", package = "softmix")`.
#' @param sample_size For `x` a [softmix_shards()] object read from files, or
#'   a [softmix_file()]: the number of rows, drawn at random from all the rows,
#'   that the starts are made from (2,000 by default).
#' @param fixed Parts of the starting parameters to hold fixed: `NULL`
#'   (default) or any of `"proportions"`, `"means"` and `"covariances"`.
#'   Needs `init` to be a [mixture_params()] object and a single `model`;
#'   fixed covariances must have that model's structure (any for `"VVV"`).
#' @return An object of class `softmix`, a list with:
#'   * `call`: the matched call.
#'   * `model`: the covariance model code; `k`, `n`, `d`: the number of
#'     components, observations and variables.
#'   * `parameters`: a [mixture_params()] object with `proportions`, `means`
#'     (K x d) and `covariances` (d x d x K).
#'   * `posterior`: the n x K matrix of responsibilities.
#'   * `classification`: the component of highest posterior for each
#'     observation; `uncertainty`: one minus that posterior.
#'   * `loglik`: the log-likelihood of the returned parameters;
#'     `loglik_trace`: the log-likelihood at every iteration, starting with
#'     the initial parameters.
#'   * `iterations`: the number of EM iterations; `converged`: whether the
#'     tolerance was reached before `max_iter`.
#'   * `nobs`: the number of observations BIC uses, the sum of frequency
#'     weights or `n`; `weights`, `weight_type`: the weights used (`NULL`
#'     without; sampling weights after scaling); `labels`: `NULL`, or a list
#'     with the known `labels` (integer, `NA` unknown), the number of
#'     `levels` and their `names`; `fixed`: the fixed parts, or `NULL`;
#'     `noise`: `NULL`, or a list with the `hypervolume` and the starting
#'     noise `set`.
#'   * `degenerate`: `""`, or why the fit is degenerate (see the section on
#'     model selection).
#'   * `missing`: `NULL` when `x` has no missing value, otherwise a list
#'     with the `method` (`"em"` or `"omit"`), the indices of the rows of `x`
#'     left out (`dropped`) and the number of incomplete rows fitted
#'     (`incomplete`); `data`, `posterior` and the other row-wise results
#'     cover the rows fitted.
#'   * `df`: the number of free parameters; `bic`: \eqn{-2\ell + df \log n};
#'     `icl`: `bic` \eqn{- 2 \sum_i \log z_{i, C(i)}} (see the section on
#'     model selection). Lower is better for both.
#'   * `data`: the data as a numeric matrix; `control`, `init`, `n_threads`:
#'     the settings used.
#'   * `prior`: `NULL`, or the prior the fit used (see [softmix_prior()]);
#'     with a prior, `log_posterior_trace`: the log posterior at every
#'     iteration, which EM raises in place of the log-likelihood.
#'   * For data on disk or on cluster workers ([softmix_file()],
#'     [softmix_shards()]) the rows stay where they are: no `data`,
#'     `posterior`, `classification` or `uncertainty`, but `sizes` (the
#'     number of rows classified into each component), `mean_uncertainty`
#'     and `shards` (where the rows are, for [posterior()] and
#'     [softmix_write_posterior()]).
#'   * `criterion` and `selection`, only for several `k` or models: the
#'     criterion that chose the fit (`"bic"` or `"icl"`) and a data frame
#'     with a row per (k, model) pair, in the order fitted (`k` varying
#'     fastest within each model), with the columns
#'     - `k` (integer) and `model` (character): the pair;
#'     - `loglik`, `df`, `bic`, `icl`: its log-likelihood, number of free
#'       parameters and criteria (`NA` for a failed pair except `df`; `bic`
#'       and `icl` `NA` for a degenerate fit);
#'     - `converged` (logical) and `iterations` (integer), `NA` if it failed;
#'     - `message`: `""` for a sound fit, otherwise the error message or why
#'       the fit is degenerate.
#' @references
#' Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood
#' from incomplete data via the EM algorithm. *Journal of the Royal
#' Statistical Society B*, 39(1), 1-38. \doi{10.1111/j.2517-6161.1977.tb01600.x}
#'
#' Fraley, C. and Raftery, A. E. (2002). Model-based clustering, discriminant
#' analysis, and density estimation. *Journal of the American Statistical
#' Association*, 97(458), 611-631. \doi{10.1198/016214502760047131}
#'
#' Schwarz, G. (1978). Estimating the dimension of a model. *The Annals of
#' Statistics*, 6(2), 461-464.
#'
#' Biernacki, C., Celeux, G. and Govaert, G. (2000). Assessing a mixture
#' model for clustering with the integrated completed likelihood. *IEEE
#' Transactions on Pattern Analysis and Machine Intelligence*, 22(7),
#' 719-725.
#'
#' Celeux, G. and Govaert, G. (1995). Gaussian parsimonious clustering models.
#' *Pattern Recognition*, 28(5), 781-793. \doi{10.1016/0031-3203(94)00125-6}
#'
#' Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of
#' careful seeding. *Proceedings of the 18th ACM-SIAM Symposium on Discrete
#' Algorithms*, 1027-1035.
#'
#' Banfield, J. D. and Raftery, A. E. (1993). Model-based Gaussian and
#' non-Gaussian clustering. *Biometrics*, 49(3), 803-821.
#'
#' Fraley, C. (1998). Algorithms for model-based Gaussian hierarchical
#' clustering. *SIAM Journal on Scientific Computing*, 20(1), 270-281.
#' @seealso [softmix_hc()] for the hierarchical clustering behind `init = "hc"`;
#'   [e_step()] and [m_step()] for the two steps of EM; the vignettes
#'   `vignette("softmix", package = "softmix")` (soft clustering and EM from
#'   the start) and `vignette("speed", package = "softmix")` (threads and
#'   speed).
#' @family fitting
#' @export
#' @examples
#' set.seed(1)
#' fit <- softmix(faithful, k = 2, n_threads = 1)
#' fit
#' head(posterior(fit))
#' summary(fit)
#'
#' # only mclust's hierarchical clustering as the start (the default also
#' # tries k-means++)
#' softmix(faithful, k = 3, init = "hc", n_threads = 1)$loglik
#'
#' # weights: a row of weight 2 counts twice
#' w <- rep(1:2, length.out = nrow(faithful))
#' softmix(faithful, k = 2, weights = w, n_threads = 1)$loglik
#'
#' # semi-supervised: half of iris's species known
#' known <- iris$Species
#' known[seq(2, 150, by = 2)] <- NA
#' semi <- softmix(iris[, 1:4], k = 3, labels = known, n_threads = 1)
#' table(semi$classification, iris$Species)
#'
#' # re-estimate only the proportions of a known mixture
#' fixed_fit <- softmix(faithful, init = fit$parameters,
#'                      fixed = c("means", "covariances"), n_threads = 1)
#' fixed_fit$parameters$proportions
#'
#' # a uniform noise component for outliers
#' set.seed(2)
#' noisy <- rbind(as.matrix(faithful),
#'                cbind(runif(20, 1.5, 5.5), runif(20, 40, 100)))
#' with_noise <- softmix(noisy, k = 2, noise = TRUE, n_threads = 1)
#' table(with_noise$classification)
#'
#' # missing values: EM on the observed coordinates
#' holes <- as.matrix(iris[, 1:4])
#' set.seed(3)
#' holes[sample(length(holes), 60)] <- NA
#' with_na <- softmix(holes, k = 3, n_threads = 1)
#' head(fitted(with_na, type = "imputed"))
#'
#' # one-dimensional data, equal variances
#' fit1 <- softmix(faithful$waiting, k = 2, model = "E", n_threads = 1)
#' fit1$parameters
#'
#' # choose k and the model by BIC, then by ICL
#' best <- softmix(iris[, 1:4], k = 1:4, model = c("VVV", "EEE", "VVI"),
#'                 n_threads = 1)
#' best$selection
#' plot(best, what = "BIC")
#' by_icl <- softmix(iris[, 1:4], k = 1:4, model = c("VVV", "EEE", "VVI"),
#'                   criterion = "icl", n_threads = 1)
#' c(by_icl$k, by_icl$model)
softmix <- function(x, k, model = "VVV", init = c("hc", "kmeans++"), n_init = 1,
                    control = softmix_control(), n_threads = NULL,
                    criterion = c("bic", "icl"), verbose = interactive(), weights = NULL,
                    weight_type = c("frequency", "sampling"), labels = NULL, fixed = NULL,
                    noise = FALSE, hypervolume = NULL, prior = NULL,
                    missing = c("em", "omit", "fail"), cluster = NULL, sample_size = 2000) {
  call <- match.call()
  if (inherits(x, "softmix_shards") || !is.null(cluster)) {
    return(softmix_elsewhere(
      x, if (missing(k)) NULL else k, model, init, n_init, control, n_threads, criterion,
      verbose, weights, weight_type, labels, fixed, noise, hypervolume, prior, missing, cluster,
      sample_size, call, vector_name = expression_name(substitute(x))
    ))
  }
  checked <- checked_data_matrix(x, vector_name = expression_name(substitute(x)),
                                 missing_ok = TRUE)
  data <- checked$data
  missing <- match_choice(missing, c("em", "omit", "fail"), "missing")
  na <- resolve_missing(data, missing, call, checked$nonfinite)
  n <- nrow(data)
  models <- match_models(model, ncol(data))
  control <- check_control(control)
  n_init <- check_count(n_init, "n_init", min = 1)
  n_threads <- resolve_threads(n_threads)
  criterion <- match_choice(criterion, c("bic", "icl"), "criterion")
  verbose <- check_flag(verbose, "verbose")
  weight_type <- match_choice(weight_type, c("frequency", "sampling"), "weight_type")
  weights <- check_weights(weights, n, weight_type)
  known <- check_known_labels(labels, n)
  start <- resolve_init(init, data)
  fixed <- check_fixed(fixed, start)
  imputed <- NULL
  if (!is.null(na)) {
    # The rows fitted, with the row-wise settings that go with them.
    keep <- na$keep
    data <- data[keep, , drop = FALSE]
    n <- nrow(data)
    weights <- weights_of_kept_rows(
      weights, keep, "are all missing (NA in every column) and dropped.", call
    )
    # Sampling weights sum to the number of rows fitted.
    if (!is.null(weights) && weight_type == "sampling") weights <- weights * (n / sum(weights))
    if (!is.null(known)) known$labels <- known$labels[keep]
    if (!is.null(start$weights)) start$weights <- start$weights[keep, , drop = FALSE]
    if (is.logical(noise) && length(noise) == length(keep)) noise <- noise[keep]
    if (!is.null(incomplete_rows(data))) {
      if (!identical(noise, FALSE) || !is.null(start$parameters$hypervolume)) {
        softmix_abort(paste(
          "A noise component cannot be fitted to data with missing values;",
          "use `missing = \"omit\"` or no noise."
        ), call)
      }
      # Starts made from the data and a default prior need a first
      # imputation; given parameters do not.
      if (is.null(start$parameters) || !is.null(prior)) {
        imputed <- impute_start(data, weights, resolve_threads(n_threads))
      }
    }
  }
  noise <- resolve_noise(noise, hypervolume, data, known, start, weights)
  if (!is.null(noise) && identical(start$method, "random")) {
    softmix_abort("`init = \"random\"` cannot start a fit with `noise`; use \"hc\" or \"kmeans++\".")
  }
  if (!is.null(noise) && !is.null(start$weights) && is.null(start$parameters)) {
    # A posterior start carries the noise's column last.
    start$k <- start$k - 1L
    if (start$k < 1L) softmix_abort("`init` needs a column per component and one for the noise.")
  }
  init_k <- start$k
  if (missing(k)) {
    if (is.null(init_k)) {
      softmix_abort("`k` is missing; give the number of components.")
    }
    k <- init_k
  }
  init_k <- start$k
  k <- check_k(k, n, min = if (is.null(noise)) 1L else 0L)
  if (!is.null(init_k) && !identical(k, init_k)) {
    softmix_abort(sprintf("`init` describes %d components%s but `k` is %s.", init_k,
                          if (!is.null(noise) && !is.null(start$weights) &&
                              is.null(start$parameters)) {
                            " (with `noise`, a posterior's last column is the noise's)"
                          } else "",
                          paste(k, collapse = ", ")))
  }
  k <- check_k_for_labels(k, known)
  if (length(fixed) > 0L && length(models) > 1L) {
    softmix_abort("`fixed` needs a single `model`: the fixed parameters belong to one model.")
  }
  if ("covariances" %in% fixed) {
    # Held as they are, they must be covariances of the model the fit is
    # labelled with.
    problem <- covariance_structure_problem(start$parameters$covariances, models)
    if (!is.null(problem)) {
      softmix_abort(sprintf(paste(
        "`fixed` holds the covariances of `init`, but model %s needs %s and they are not.",
        "Choose the model they belong to (\"VVV\" takes any)."
      ), models, problem))
    }
  }
  rows <- list(weights = weights, weight_type = weight_type, known = known, fixed = fixed,
               noise = noise,
               prior = resolve_prior(prior, if (is.null(imputed)) data else imputed, weights),
               imputed = imputed,
               # The core need not look for missing values where there are none.
               complete = is.null(na),
               missing = if (is.null(na)) NULL else
                 list(method = missing, dropped = na$dropped,
                      incomplete = sum(incomplete_rows(data))))
  start <- start_with_noise(start, noise)
  if (length(k) == 1L && k == 0L) {
    return(all_noise_softmix(data, models[1L], control, n_threads, call, rows))
  }
  fit_or_select(data, k, models, start, n_init, control, n_threads, call, criterion, verbose,
                rows)
}

#' One (k, model) pair's fit, warned of if it did not converge or is
#' degenerate, or the selection among several pairs
#' @noRd
fit_or_select <- function(data, k, models, start, n_init, control, n_threads, call, criterion,
                          verbose, rows) {
  if (length(k) == 1L && length(models) == 1L) {
    fit <- fit_one(data, k, models, start, n_init, control, n_threads, call, rows = rows)
    warn_single_fit(fit, control, call)
    return(fit)
  }
  select_fit(data, k, models, start, n_init, control, n_threads, call, criterion, verbose,
             rows = rows)
}

#' Warn of a single fit that did not converge or is degenerate
#' @noRd
warn_single_fit <- function(fit, control, call) {
  if (!fit$converged && !nzchar(fit$degenerate)) {
    softmix_warn(sprintf(
      "EM stopped at max_iter = %d before converging (tol = %s). %s",
      control$max_iter, format(control$tol),
      "Increase `max_iter` in softmix_control() or loosen `tol`."
    ), call)
  }
  if (nzchar(fit$degenerate)) {
    softmix_warn(sprintf(paste(
      "The fit is degenerate: %s. Its log-likelihood and BIC reflect `reg` rather than the",
      "data; fit fewer components or a simpler covariance model."
    ), fit$degenerate), call)
  }
}

#' Validate `init` once for every (k, model) pair: the method names, or an
#' explicit start as parameters or as weights for a first M step, with the
#' number of components it implies (NULL for method names).
#' @noRd
resolve_init <- function(init, data, call = sys.call(-1)) {
  n <- nrow(data)
  if (is.character(init)) {
    methods <- c("kmeans++", "random", "hc")
    if (length(init) < 1L || anyNA(init) || !all(init %in% methods) || anyDuplicated(init) ||
        ("random" %in% init && length(init) > 1L)) {
      softmix_abort(sprintf(
        paste(
          "`init` must be \"hc\", \"kmeans++\", both (the default), \"random\",",
          "a mixture_params object, an n x k posterior matrix or a vector of n labels; got %s."
        ),
        format_value(init)
      ), call)
    }
    return(list(method = init, k = NULL))
  }
  if (inherits(init, "mixture_params")) {
    check_params(init, ncol(data), arg = "init", call = call)
    return(list(method = "given", k = nrow(init$means), parameters = init))
  }
  if (is.matrix(init) || is.data.frame(init)) {
    weights <- check_posterior(init, n, arg = "init", call = call)
    return(list(method = "given", k = ncol(weights), weights = weights))
  }
  if ((is.numeric(init) || is.factor(init)) && is.null(dim(init))) {
    labels <- check_labels(init, n, call)
    k <- max(labels)
    return(list(method = "given", k = k, weights = outer(labels, seq_len(k), "==") * 1))
  }
  softmix_abort(sprintf(
    "`init` must be a method name, mixture_params, a posterior matrix or labels, not %s.",
    describe_type(init)
  ), call)
}

#' Whether a start is made of partitions that do not depend on the model
#' (hierarchical clustering, k-means++), and so can be shared by every model
#' @noRd
partition_start <- function(start) {
  all(start$method %in% c("hc", "kmeans++"))
}

#' A method name for the fit's `init` field: "hc+kmeans++" for the default set
#' @noRd
init_label <- function(start) {
  paste(start$method, collapse = "+")
}

#' Validate a vector of labels 1..k covering every component
#' @noRd
check_labels <- function(labels, n, call = sys.call(-1)) {
  if (is.factor(labels)) {
    # A level is a component, as in `labels`: an unused one is an empty component.
    unused <- setdiff(levels(labels), as.character(labels[!is.na(labels)]))
    if (length(unused) > 0L) {
      softmix_abort(sprintf(
        "`init` labels must use every component (every level of the factor); %s unused.",
        quote_names(unused)
      ), call)
    }
    labels <- as.integer(labels)
  }
  if (length(labels) != n) {
    softmix_abort(sprintf("`init` labels must have one entry per observation: %d for %d.",
                          length(labels), n), call)
  }
  if (anyNA(labels) || any(!is.finite(labels)) || any(labels != round(labels)) ||
      any(labels < 1)) {
    softmix_abort("`init` labels must be whole numbers 1, ..., k without missing values.", call)
  }
  missing_labels <- setdiff(seq_len(max(labels)), labels)
  if (length(missing_labels) > 0L) {
    softmix_abort(sprintf("`init` labels must use every component 1..%d; %s unused.",
                          max(labels), paste(missing_labels, collapse = ", ")), call)
  }
  as.integer(labels)
}

#' Fit one (k, model) pair from a start made by resolve_init(), or from
#' `partitions` (an n x starts matrix of labels, NA for rows the first M step
#' leaves out) made by shared_partitions()
#' @noRd
fit_one <- function(data, k, model, start, n_init, control, n_threads, call,
                    partitions = NULL, rows = list()) {
  if (!is.null(rows$elsewhere)) {
    summary <- elsewhere_summary(data, k, model, start, n_init, control, n_threads, call, rows,
                                 partitions)
    return(elsewhere_fit(summary, data, model, k, control, init_label(start), n_threads, call,
                         rows))
  }
  info <- rows_info(rows)
  # With known labels or noise, k-means++ starts too go through partitions,
  # to be aligned with the labels or to leave the noise out.
  if (is.null(partitions) && partition_start(start) &&
      (!identical(start$method, "kmeans++") || !is.null(rows$known) || !is.null(rows$noise) ||
       !is.null(rows$imputed))) {
    partitions <- shared_partitions(data, k, start$method, n_init, n_threads, call,
                                    rows = rows)[[1L]]
  }
  if (!is.null(partitions)) {
    core <- call_core(fit_partitions_cpp(data, k, model, partitions, core_control(control, rows),
                                         n_threads, info), call)
    return(new_softmix(core, data, model, k, control, init = init_label(start),
                       n_threads = n_threads, call = call, rows = rows))
  }
  parameters <- start$parameters
  if (!is.null(start$weights)) {
    posterior <- known_one_hot(start$weights, rows$known)
    # With missing values, from the first imputation.
    start_data <- if (is.null(rows$imputed)) data else rows$imputed
    parameters <- call_core(m_step_cpp(start_data, posterior, model,
                                       core_control(control, rows)$reg, n_threads, info),
                            call)
  }
  core <- call_core(fit_cpp(
    data, k, model, start$method, parameters, n_init, core_control(control, rows), n_threads, info
  ), call)
  new_softmix(core, data, model, k, control, init = init_label(start),
              n_threads = n_threads, call = call, rows = rows)
}

#' A starting posterior with the known rows made one-hot
#' @noRd
known_one_hot <- function(posterior, known) {
  if (is.null(known)) return(posterior)
  rows <- which(!is.na(known$labels))
  posterior[rows, ] <- 0
  posterior[cbind(rows, known$labels[rows])] <- 1
  posterior
}

#' Assemble a softmix object from the core's result
#' @noRd
new_softmix <- function(core, data, model, k, control, init, n_threads, call, rows = list()) {
  n <- nrow(data)
  d <- ncol(data)
  vars <- variable_names(data)
  means <- core$parameters$means
  colnames(means) <- vars
  noise <- rows$noise
  proportions <- core$parameters$proportions
  if (!is.null(noise)) names(proportions) <- c(rep("", k), "noise")
  parameters <- structure(
    list(
      proportions = proportions,
      means = means,
      covariances = array(core$parameters$covariances, c(d, d, k),
                          dimnames = list(vars, vars, NULL))
    ),
    class = "mixture_params"
  )
  if (!is.null(noise)) {
    parameters$hypervolume <- noise$hypervolume
    parameters$noise_box <- noise$box
  }
  # Taken out of `core` first, so that naming its rows modifies the n x K
  # matrix in place instead of copying it.
  posterior <- core$posterior
  core$posterior <- NULL
  classification <- core$classification
  if (!is.null(noise)) {
    dimnames(posterior) <- list(rownames(data), c(seq_len(k), "noise"))
    # The core numbers the noise K + 1; softmix, as mclust, 0.
    classification[classification == k + 1L] <- 0L
  } else if (!is.null(rownames(data))) {
    dimnames(posterior) <- list(rownames(data), NULL)
  }
  nobs <- effective_n(n, rows$weights, rows$weight_type)
  criteria <- fit_criteria(core$loglik, core$log_max_posterior_sum, model, nobs, d, k,
                           rows$fixed, noise = !is.null(rows$noise))
  structure(
    list(
      call = call,
      model = model,
      k = k,
      n = n,
      nobs = nobs,
      d = d,
      parameters = parameters,
      posterior = posterior,
      classification = classification,
      uncertainty = core$uncertainty,
      loglik = core$loglik,
      loglik_trace = core$loglik_trace,
      iterations = core$iterations,
      converged = core$converged,
      degenerate = core$degenerate,
      df = criteria$df,
      bic = criteria$bic,
      icl = criteria$icl,
      data = data,
      control = control,
      init = init,
      n_threads = n_threads,
      weights = rows$weights,
      weight_type = if (is.null(rows$weights)) NULL else rows$weight_type,
      labels = rows$known,
      fixed = if (length(rows$fixed) > 0L) rows$fixed else NULL,
      noise = if (is.null(noise)) NULL else list(hypervolume = noise$hypervolume, set = noise$set),
      prior = rows$prior,
      missing = rows$missing,
      log_posterior_trace = if (is.null(rows$prior)) NULL else core$log_posterior_trace
    ),
    class = "softmix"
  )
}

#' Fit every (k, model) pair and keep the lowest criterion ("bic" or "icl")
#' @noRd
select_fit <- function(data, ks, models, start, n_init, control, n_threads, call,
                       criterion = "bic", verbose = FALSE, rows = list()) {
  all_pairs <- expand.grid(k = ks, model = models, stringsAsFactors = FALSE)
  # k = 0, the all-noise model, has nothing to fit.
  pairs <- all_pairs[all_pairs$k > 0L, , drop = FALSE]
  progress <- start_progress(nrow(pairs), verbose)
  # Closed on every exit, an interrupt included, so the console is left clean.
  on.exit(close_progress(progress), add = TRUE)
  if (nrow(pairs) == 0L) {
    fits <- list()
  } else if (!is.null(rows$elsewhere)) {
    # Over shards, one pair after another; a shard's failure stops them all.
    partitions <- if (partition_start(start)) {
      shared_partitions(data, ks, start$method, n_init, n_threads, call, rows = rows)
    }
    fits <- lapply(seq_len(nrow(pairs)), function(i) {
      fit <- tryCatch(
        elsewhere_summary(data, pairs$k[i], pairs$model[i], start, n_init, control, n_threads,
                          call, rows, partitions[[as.character(pairs$k[i])]]),
        softmix_error = function(e) if (inherits(e, "softmix_shard_error")) stop(e) else e
      )
      update_progress(progress, i)
      fit
    })
  } else if (partition_start(start)) {
    # Starts that do not depend on the model are made once per k and shared.
    positive <- ks[ks > 0L]
    partitions <- shared_partitions(data, positive, start$method, n_init, n_threads, call,
                                    rows = rows)
    fits <- fit_pairs(data, pairs, partitions, control, n_threads, call, progress, rows = rows)
  } else {
    fits <- lapply(seq_len(nrow(pairs)), function(i) {
      fit <- tryCatch(
        fit_one(data, pairs$k[i], pairs$model[i], start, n_init, control, n_threads, call,
                rows = rows),
        softmix_error = function(e) e
      )
      update_progress(progress, i)
      fit
    })
  }
  all_fits <- vector("list", nrow(all_pairs))
  all_fits[all_pairs$k > 0L] <- fits
  if (any(all_pairs$k == 0L)) {
    all_fits[all_pairs$k == 0L] <- list(all_noise_summary(data, rows))
  }
  fits <- all_fits
  pairs <- all_pairs
  selection <- selection_table(fits, pairs$k, pairs$model, ncol(data), rows$fixed,
                               noise = !is.null(rows$noise))
  values <- selection[[criterion]]
  if (all(is.na(values))) {
    messages <- unique(selection$message)
    degenerate <- !is.na(selection$loglik)
    summary <- if (!any(degenerate)) {
      "every (k, model) pair failed, so there is no fit to return. %s: %s"
    } else if (all(degenerate)) {
      paste("every (k, model) pair gave a degenerate fit, held up by the ridge `reg` rather than",
            "the data, so there is none to choose; try fewer components or simpler models. %s: %s")
    } else {
      paste("every (k, model) pair failed or gave a degenerate fit, so there is none to choose;",
            "try fewer components or simpler models. %s: %s")
    }
    softmix_abort(sprintf(
      summary,
      if (length(messages) == 1L) "The reason" else "The reasons",
      paste(utils::head(messages, 3), collapse = " | ")
    ), call)
  }
  # The first of equal values, as which.min() gives it.
  chosen <- which.min(values)
  best <- fits[[chosen]]
  if (pairs$k[chosen] == 0L) {
    best <- all_noise_softmix(data, pairs$model[chosen], control, n_threads, call, rows)
  } else if (!is.null(rows$elsewhere)) {
    best <- elsewhere_fit(best, data, pairs$model[chosen], pairs$k[chosen], control,
                          init_label(start), n_threads, call, rows)
  } else if (!inherits(best, "softmix")) {
    best <- complete_fit(best, data, pairs$model[chosen], pairs$k[chosen], control,
                         init_label(start), n_threads, call, rows = rows)
  }
  warn_unconverged(selection, control, call)
  best$criterion <- criterion
  best$selection <- selection
  best
}

#' Fit the pairs from shared partitions in the core, side by side on the
#' threads while their posteriors fit in memory: a list with, for each pair, a summary
#' (the fit without its n x K matrices, see complete_fit()) or the
#' softmix_error of a failed pair
#' @noRd
fit_pairs <- function(data, pairs, partitions, control, n_threads, call, progress,
                      rows = list()) {
  report <- if (is.null(progress)) NULL else function(done) update_progress(progress, done)
  cores <- call_core(fit_selection_cpp(
    data, as.integer(pairs$k), pairs$model, partitions[as.character(pairs$k)],
    core_control(control, rows), n_threads, report, rows_info(rows)
  ), call)
  n <- effective_n(nrow(data), rows$weights, rows$weight_type)
  d <- ncol(data)
  Map(function(core, k, model) {
    if (nzchar(core$message)) {
      return(structure(class = c("softmix_error", "error", "condition"),
                       list(message = core$message, call = call)))
    }
    c(core, fit_criteria(core$loglik, core$log_max_posterior_sum, model, n, d, k,
                         noise = !is.null(rows$noise)))
  }, cores, pairs$k, pairs$model)
}

#' A softmix object from a summary of fit_pairs(), with the posterior,
#' classification and uncertainty computed from its parameters as the fit
#' computed them
#' @noRd
complete_fit <- function(summary, data, model, k, control, init, n_threads, call,
                         rows = list()) {
  info <- rows_info(rows)
  core <- c(summary, call_core(fit_posterior_cpp(data, summary$parameters, model, n_threads, info),
                               call))
  new_softmix(core, data, model, k, control, init = init, n_threads = n_threads, call = call,
              rows = rows)
}

#' Number of free parameters, BIC and ICL of a fit
#' @noRd
fit_criteria <- function(loglik, log_max_posterior_sum, model, n, d, k, fixed = NULL,
                         noise = FALSE) {
  # mclust's nMclustParams() counts the noise's share and its hypervolume.
  df <- free_df(model, d, k, fixed) + if (noise) 2 else 0
  bic <- -2 * loglik + df * log(n)
  list(df = df, bic = bic, icl = bic - 2 * log_max_posterior_sum)
}

#' Warn once about every pair whose EM stopped at max_iter before converging
#' @noRd
warn_unconverged <- function(selection, control, call) {
  # Degenerate fits say why they stopped in their message.
  stopped <- which(!is.na(selection$converged) & !selection$converged & !nzchar(selection$message))
  if (length(stopped) == 0L) return(invisible())
  pairs <- paste0(selection$model[stopped], ",", selection$k[stopped])
  softmix_warn(sprintf(
    paste("EM stopped at max_iter = %d before converging (tol = %s) for %d of %d (k, model)",
          "pair%s: %s. Increase `max_iter` in softmix_control() or loosen `tol`."),
    control$max_iter, format(control$tol), length(stopped), nrow(selection),
    if (nrow(selection) == 1L) "" else "s",
    paste(c(utils::head(pairs, 10), if (length(pairs) > 10) "..."), collapse = ", ")
  ), call)
}

#' The selection table: for each pair, its fit's statistics (no criteria
#' for a degenerate fit), or the error of a failed pair
#' @noRd
selection_table <- function(fits, ks, models, d, fixed = NULL, noise = FALSE) {
  failed <- vapply(fits, inherits, logical(1), what = "softmix_error")
  field <- function(name, missing) {
    vapply(seq_along(fits), function(i) {
      if (failed[i]) missing else as.vector(fits[[i]][[name]], typeof(missing))
    }, missing)
  }
  degenerate <- field("degenerate", "")
  sound <- !failed & !nzchar(degenerate)
  bic <- field("bic", NA_real_)
  icl <- field("icl", NA_real_)
  bic[!sound] <- NA_real_
  icl[!sound] <- NA_real_
  message <- degenerate
  message[failed] <- vapply(fits[failed], condition_message, "")
  df <- mapply(free_df, models, d, pmax(ks, 1L), MoreArgs = list(fixed = fixed),
               USE.NAMES = FALSE) + if (noise) 2 else 0
  df[ks == 0L] <- 1
  # What data.frame() would build, without its checks: they cost more than
  # the rest of a selection's R code on small data.
  structure(
    list(k = as.integer(ks), model = as.character(models), loglik = field("loglik", NA_real_),
         df = as.numeric(df), bic = bic, icl = icl, converged = field("converged", NA),
         iterations = field("iterations", NA_integer_), message = message),
    class = "data.frame", row.names = .set_row_names(length(ks))
  )
}

#' The message of a condition, or "" for anything else
#' @noRd
condition_message <- function(x) {
  if (inherits(x, "condition")) conditionMessage(x) else ""
}

#' A text progress bar on stderr counting fitted pairs, or NULL when quiet
#' @noRd
start_progress <- function(total, verbose) {
  if (!verbose || total < 2L) return(NULL)
  utils::txtProgressBar(min = 0, max = total, style = 3, file = stderr())
}

#' @noRd
update_progress <- function(progress, done) {
  if (!is.null(progress)) utils::setTxtProgressBar(progress, done)
}

#' @noRd
close_progress <- function(progress) {
  if (!is.null(progress)) close(progress)
}
