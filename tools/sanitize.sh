#!/bin/sh
# `make sanitize`: builds softmix with AddressSanitizer and
# UndefinedBehaviorSanitizer (tools/sanitize.mk) into a temporary library,
# then runs the test suite and every help-page example with the ASan runtime
# preloaded. Exits non-zero when any sanitizer reports (in R or in any R
# process the tests start, such as forked or background fits), when R dies,
# or when an example fails. Test failures are listed but not fatal, unless
# SANITIZE_STRICT=1.
#
# Environment: SOFTMIX_SOURCE, the package source to build (default: this
# checkout); R, RSCRIPT; SANITIZE_KEEP=1 keeps the work directory.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${SOFTMIX_SOURCE:-$ROOT}
R=${R:-R}
RSCRIPT=${RSCRIPT:-Rscript}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/softmix-sanitize.XXXXXX")
LIB=$WORK/lib
REPORTS=$WORK/reports
mkdir -p "$LIB" "$REPORTS" "$WORK/pkg/softmix"
if [ "${SANITIZE_KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi

ASAN_LIB=$(gcc -print-file-name=libasan.so)
if [ ! -e "$ASAN_LIB" ]; then
  echo "sanitize: the ASan runtime (gcc -print-file-name=libasan.so) is missing" >&2
  exit 2
fi

echo "sanitize: building $SOURCE with -fsanitize=address,undefined into $LIB"
# A copy of what R CMD INSTALL needs, so no sanitized objects land in src/.
for item in DESCRIPTION NAMESPACE LICENSE R src inst man; do
  if [ -e "$SOURCE/$item" ]; then cp -R "$SOURCE/$item" "$WORK/pkg/softmix/"; fi
done
rm -f "$WORK/pkg/softmix/src/"*.o "$WORK/pkg/softmix/src/"*.so
# --no-test-load: the sanitized library loads only with the ASan runtime
# preloaded, which the install step does not do.
if ! R_MAKEVARS_USER="$ROOT/tools/sanitize.mk" "$R" CMD INSTALL --preclean --no-test-load \
    -l "$LIB" "$WORK/pkg/softmix" > "$WORK/install.log" 2>&1; then
  tail -n 40 "$WORK/install.log"
  echo "sanitize: FAILED to build the sanitized package"
  exit 1
fi
grep -q -- "-fsanitize=address,undefined" "$WORK/install.log" || {
  echo "sanitize: FAILED: the compiler did not get the sanitizer flags" >&2
  exit 1
}

# Every process below (R, the R processes the tests start, and their forks)
# runs with the sanitizer runtimes and writes any report to $REPORTS.
run_sanitized() {
  env LD_PRELOAD="$ASAN_LIB" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$REPORTS/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$REPORTS/ubsan" \
    R_LIBS="$LIB${R_LIBS:+:$R_LIBS}" NOT_CRAN=true \
    "$@"
}

status=0
echo "sanitize: running the tests in $ROOT/tests/testthat"
run_sanitized "$RSCRIPT" "$ROOT/tools/sanitize-run.R" tests "$ROOT/tests/testthat" \
  "$WORK/tests.txt" > "$WORK/tests.log" 2>&1
tests_status=$?
tail -n 25 "$WORK/tests.log"
if [ $tests_status -ne 0 ] || [ ! -s "$WORK/tests.txt" ]; then
  echo "sanitize: the test run ended abnormally (exit status $tests_status)"
  status=1
fi

echo "sanitize: running the examples"
run_sanitized "$RSCRIPT" "$ROOT/tools/sanitize-run.R" examples "$WORK/examples.txt" \
  > "$WORK/examples.log" 2>&1
examples_status=$?
if [ $examples_status -ne 0 ] || [ ! -s "$WORK/examples.txt" ]; then
  tail -n 25 "$WORK/examples.log"
  echo "sanitize: the examples ended abnormally (exit status $examples_status)"
  status=1
fi

reports=$(find "$REPORTS" -type f | wc -l)
# Reports written to stderr instead of the log files (should log_path fail).
inline=$(cat "$WORK/tests.log" "$WORK/examples.log" |
  grep -c -E "ERROR: AddressSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer")
for file in $(find "$REPORTS" -type f); do
  echo "---- $file"
  head -n 60 "$file"
done

echo "==== sanitize summary"
[ -s "$WORK/tests.txt" ] && cat "$WORK/tests.txt"
[ -s "$WORK/examples.txt" ] && cat "$WORK/examples.txt"
echo "sanitizer reports: $reports file(s), $inline inline"
if [ "$reports" -ne 0 ] || [ "$inline" -ne 0 ]; then status=1; fi
if [ "${SANITIZE_STRICT:-0}" = 1 ] && grep -q "failed:" "$WORK/tests.txt" 2>/dev/null; then
  status=1
fi
if [ $status -eq 0 ]; then echo "sanitize: OK"; else echo "sanitize: FAILED"; fi
exit $status
