// Hands freed heap memory back to the kernel before bench/run.R reads the
// resident size that a softmix fit's peak memory is measured against.
//
// glibc keeps freed blocks mapped, and after large blocks are freed it raises
// its mmap threshold (up to 32 MB), so later allocations of that size come
// from the heap too. Without a trim, a fit could reuse pages that are already
// resident from an earlier peer and its peak would be understated.

#include <Rcpp.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

// Returns whether memory could be trimmed on this platform.
// [[Rcpp::export]]
bool release_free_heap() {
#ifdef __GLIBC__
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}
