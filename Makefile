# softmix developer and user commands. `make demo` and `make check` work on a
# fresh machine: they install what is missing first.
PKG := softmix
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := $(PKG)_$(VERSION).tar.gz
R := R
RSCRIPT := Rscript
CHECK_DIR := check

.PHONY: all deps system-deps install demo build check core-test document clean bench sanitize valgrind \
	bench-selection bench-acceleration bench-weights bench-noise-prior bench-small-d bench-init \
	bench-cluster bench-file \
	readme-figures

all: check

# pandoc builds the vignettes and R CMD check --as-cran needs qpdf (without
# it the check warns that it cannot test PDF size reduction); on Debian-like
# systems install what is missing when running as root.
SYSTEM_TOOLS := pandoc qpdf
system-deps:
	@missing=""; for tool in $(SYSTEM_TOOLS); do \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing:$$missing; install them to build the vignettes and run the check" >&2; exit 1; \
	  fi; \
	fi

deps: system-deps
	$(RSCRIPT) tools/install-deps.R

install: deps
	$(R) CMD INSTALL --preclean .

demo: install
	$(RSCRIPT) tools/demo.R

# Times softmix against mclust, Armadillo and scikit-learn, then whole model
# selections against Mclust(), accelerated EM and the cost of observation
# weights; writes bench/results.md.
# The selection part takes hours (Mclust on 200,000 rows); see bench/selection.R.
bench: install
	$(RSCRIPT) bench/run.R

# Parts of the bench on their own (each writes bench/<name>.md; `make bench`
# runs all but bench-init too). SOFTMIX_BENCH_QUICK=1 for a smoke test.
bench-selection: install
	$(RSCRIPT) bench/selection.R

bench-acceleration: install
	$(RSCRIPT) bench/acceleration.R

# Weighted against unweighted EM, and unweighted against commit 9d3c7fa,
# which bench/weights.R builds into a library of its own (needs git).
bench-weights: install
	$(RSCRIPT) bench/weights.R

# A noise component and the conjugate prior against the plain fit, per
# EM iteration on (100,000, 32, 16).
bench-noise-prior: install
	$(RSCRIPT) bench/noise-prior.R

# EM over two local PSOCK workers (rows sent, and shards read from files)
# against EM in memory on (2,000,000, 10, 8): time per iteration, bytes per
# iteration, peak memory of the main session.
bench-cluster: install
	$(RSCRIPT) bench/cluster.R

# d <= 10 against a floor measured in the same run (FMA peak, softmix's own
# exp, memory bandwidth), against Armadillo's gmm_full/gmm_diag and against
# commit 2d6eb2b, which bench/small-d.R builds into a library of its own
# (needs git); fixed costs per call and faithful against mclust. Writes
# bench/small-d.md.
bench-small-d: install
	$(RSCRIPT) bench/small-d.R

# Fits streamed from a CSV file and a file-backed big.matrix against in
# memory on (2,000,000, 10, 8), and the peak memory of a 2 GB file's fit;
# writes bench/file.md (needs about 5 GB of temporary disk).
bench-file: install
	$(RSCRIPT) bench/file.R

# Writes bench/init-compare.md, whose table goes into ?softmix.
bench-init: install
	$(RSCRIPT) bench/init-compare.R

build: deps
	rm -rf $(CHECK_DIR) && mkdir -p $(CHECK_DIR)
	cd $(CHECK_DIR) && $(R) CMD build ..

# Builds the tarball, checks it as CRAN does (--as-cran, without the PDF
# manual), and ends with the test count. NOT_CRAN=true makes testthat run the
# tests marked skip_on_cran() too (one starts a subprocess under
# OMP_THREAD_LIMIT), so the count covers every test: it must say 0 skipped.
# _R_CHECK_FORCE_SUGGESTS_ fails the check if mclust or mvtnorm, which the
# reference tests need, are missing, instead of skipping those tests.
# _R_CHECK_SYSTEM_CLOCK_=false: the check for files with future timestamps
# still runs, against this machine's clock, but skips first asking
# worldtimeapi.org whether that clock is right, which needs the internet
# (offline it ends in the NOTE "unable to verify current time"). Offline,
# the incoming checks (spelling, URLs) are skipped as well.
check: build
	cd $(CHECK_DIR) && NOT_CRAN=true _R_CHECK_FORCE_SUGGESTS_=true _R_CHECK_SYSTEM_CLOCK_=false \
	  $(R) CMD check --as-cran --no-manual $(TARBALL); \
	  status=$$?; \
	  cd .. && $(RSCRIPT) tools/test-count.R $(CHECK_DIR)/$(PKG).Rcheck; counted=$$?; \
	  if [ $$status -ne 0 ]; then exit $$status; fi; exit $$counted

# Builds the C++ core without R and runs its own tests (Armadillo's headers
# come from the installed RcppArmadillo).
ARMA_INCLUDE = $(shell $(RSCRIPT) -e 'cat(system.file("include", package = "RcppArmadillo"))')
core-test: deps
	$(CXX) -std=c++14 -O2 -fopenmp -DARMA_DONT_USE_WRAPPER -DARMA_DONT_USE_OPENMP -I inst/include -I $(ARMA_INCLUDE) \
	  core/test_core.cpp -o core/test_core $$($(R) CMD config LAPACK_LIBS) $$($(R) CMD config BLAS_LIBS)
	./core/test_core

# Redraws the two plots shown in README.md into man/figures/ (kept out of the
# package tarball by .Rbuildignore).
readme-figures: install
	$(RSCRIPT) tools/readme-figures.R

# Regenerates RcppExports, NAMESPACE and man/ (needs roxygen2).
document:
	$(RSCRIPT) -e 'Rcpp::compileAttributes(".")'
	$(RSCRIPT) -e 'roxygen2::roxygenise(".")'

clean:
	rm -rf $(CHECK_DIR) src/*.o src/*.so softmix-demo.png

# Builds softmix with AddressSanitizer and UndefinedBehaviorSanitizer into a
# temporary library and runs the tests and examples under them; fails on any
# sanitizer report (see tools/sanitize.sh). Needs gcc's libasan.
sanitize:
	R="$(R)" RSCRIPT="$(RSCRIPT)" sh tools/sanitize.sh

# Runs the examples and a short workload under valgrind's memcheck; fails on
# any memory error in softmix (see tools/valgrind.sh). Slow.
valgrind:
	R="$(R)" sh tools/valgrind.sh
