# Runs under valgrind for `make valgrind` (tools/valgrind.sh): every
# help-page example, then a short workload through each part of the C++ core
# (every model, several blocks, two threads, k-means++ and random starts,
# given parameters, e_step, m_step, dmixture, model selection and the error
# paths that throw from C++). Exits 1 when an example or the workload fails.
library(softmix)
cat("softmix from", dirname(system.file(package = "softmix")), "with kernels",
    softmix:::softmix_kernel(), "\n")
# This script's path: Rscript passes --file=PATH, R -f passes -f PATH.
launch <- commandArgs(FALSE)
script <- c(sub("^--file=", "", grep("^--file=", launch, value = TRUE)),
            launch[which(launch == "-f") + 1L])[1]
source(file.path(dirname(script), "run-examples.R"))
result <- run_examples()
db_topics <- result$topics
failed <- result$failed

cat("\n=== workload\n")
workload <- function() {
  set.seed(2)
  params <- mixture_params(c(0.3, 0.3, 0.4), rbind(c(0, 0, 0), c(4, 4, 0), c(-4, 4, 2)),
                           diag(3))
  # 700 points: two full blocks of 256 and a short one of 188.
  x <- rmixture(700, params)
  labels <- attr(x, "component")
  for (model in c("EII", "VII", "EEI", "VVI", "EEE", "VVV")) {
    for (threads in 1:2) {
      fit <- softmix(x, k = 3, model = model, n_threads = threads,
                     control = softmix_control(max_iter = 5))
      stopifnot(all(is.finite(fit$posterior)))
    }
  }
  fit <- softmix(x, k = 3, init = "random", n_init = 2, n_threads = 2,
                 control = softmix_control(max_iter = 5))
  fit <- softmix(x, init = labels, n_threads = 2, control = softmix_control(max_iter = 5))
  fit <- softmix(x, init = params, n_threads = 2, control = softmix_control(max_iter = 5))
  one_d <- softmix(x[, 1], k = 2, model = "V", n_threads = 2)
  step <- e_step(x, fit$parameters, n_threads = 2)
  stopifnot(all(is.finite(dmixture(x, fit$parameters, log = TRUE, n_threads = 2))))
  refit <- m_step(x, step$posterior, model = "VVV", n_threads = 2)
  best <- softmix(x[1:300, ], k = 1:3, model = c("VVV", "EII"), n_threads = 2,
                  control = softmix_control(max_iter = 5))
  # Errors thrown in C++ and turned into R conditions.
  singular <- tryCatch(
    softmix(rbind(x[1:50, ], matrix(9, 5, 3)), init = c(rep(1, 50), rep(2, 5)),
            control = softmix_control(reg = 0), n_threads = 2),
    softmix_error = function(e) "singular"
  )
  far <- mixture_params(c(0.5, 0.5), rbind(c(0, 0, 0), c(1e6, 1e6, 1e6)), diag(3))
  empty <- tryCatch(softmix(x, init = far, n_threads = 2), softmix_error = function(e) "empty")
  stopifnot(identical(singular, "singular"), identical(empty, "empty"))
  # Every kernel this CPU (as valgrind presents it) supports.
  for (kernel in softmix:::supported_kernels()) {
    softmix:::softmix_kernel(kernel)
    stopifnot(all(is.finite(e_step(x, fit$parameters, n_threads = 2)$posterior)))
  }
  TRUE
}
ok <- tryCatch(workload(), error = function(e) {
  cat("WORKLOAD ERROR:", conditionMessage(e), "\n")
  FALSE
})
if (!isTRUE(ok)) failed <- c(failed, "workload")

cat(sprintf("\nvalgrind run: %d example topics and the workload, %d failed%s\n", db_topics,
            length(failed),
            if (length(failed)) paste0(" (", paste(failed, collapse = ", "), ")") else ""))
quit(status = if (length(failed)) 1 else 0)
