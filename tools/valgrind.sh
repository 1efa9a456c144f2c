#!/bin/sh
# `make valgrind`: installs softmix (with -g, tools/valgrind.mk) into a
# temporary library and runs the help-page examples and a short workload
# (tools/valgrind-run.R) under valgrind's memcheck. Exits non-zero when
# memcheck reports an error that tools/valgrind.supp does not suppress (that
# file holds only errors inside R itself or libgomp), or when the run fails.
#
# Environment: SOFTMIX_SOURCE, the package source (default: this checkout);
# R; VALGRIND_KEEP=1 keeps the work directory.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${SOFTMIX_SOURCE:-$ROOT}
R=${R:-R}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/softmix-valgrind.XXXXXX")
LIB=$WORK/lib
mkdir -p "$LIB" "$WORK/pkg/softmix"
if [ "${VALGRIND_KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi

command -v valgrind > /dev/null 2>&1 || { echo "valgrind: valgrind is not installed" >&2; exit 2; }

echo "valgrind: installing $SOURCE into $LIB"
for item in DESCRIPTION NAMESPACE LICENSE R src inst man; do
  if [ -e "$SOURCE/$item" ]; then cp -R "$SOURCE/$item" "$WORK/pkg/softmix/"; fi
done
rm -f "$WORK/pkg/softmix/src/"*.o "$WORK/pkg/softmix/src/"*.so
if ! R_MAKEVARS_USER="$ROOT/tools/valgrind.mk" "$R" CMD INSTALL --preclean -l "$LIB" \
    "$WORK/pkg/softmix" > "$WORK/install.log" 2>&1; then
  tail -n 40 "$WORK/install.log"
  echo "valgrind: FAILED to install the package"
  exit 1
fi

echo "valgrind: running the examples and the workload under memcheck (slow)"
VALGRIND="valgrind --error-exitcode=1 --leak-check=no --track-origins=yes --num-callers=30"
VALGRIND="$VALGRIND --suppressions=$ROOT/tools/valgrind.supp --gen-suppressions=all"
R_LIBS="$LIB${R_LIBS:+:$R_LIBS}" "$R" -d "$VALGRIND" --vanilla --no-echo \
  -f "$ROOT/tools/valgrind-run.R" > "$WORK/valgrind.log" 2>&1
status=$?

# memcheck's own summary, and any unsuppressed error with its stack.
ERRORS="Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination"
grep -E "^==[0-9]+== ($ERRORS|Argument)" -A 25 "$WORK/valgrind.log" | head -n 200
echo "==== valgrind summary"
grep -E "valgrind run:|EXAMPLE ERROR|WORKLOAD ERROR|softmix from" \
  "$WORK/valgrind.log"
grep -E "ERROR SUMMARY" "$WORK/valgrind.log" | tail -n 1
if [ $status -eq 0 ]; then
  echo "valgrind: OK"
else
  echo "valgrind: FAILED (exit status $status)"
fi
exit $status
