# A two-worker PSOCK cluster whose workers load the softmix under test (from
# this session's libraries), or a skip.
two_workers <- function() {
  cl <- tryCatch(parallel::makePSOCKcluster(2), error = function(e) NULL)
  if (is.null(cl)) skip("cannot start a PSOCK cluster")
  here <- find.package("softmix")
  found <- tryCatch(unlist(parallel::clusterCall(cl, function(paths) {
    .libPaths(paths)
    find.package("softmix", quiet = TRUE)
  }, .libPaths())), error = function(e) character(0))
  if (length(found) != 2L || !all(found == here)) {
    parallel::stopCluster(cl)
    skip("PSOCK workers cannot load the softmix under test")
  }
  cl
}
