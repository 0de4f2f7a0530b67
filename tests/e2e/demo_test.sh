#!/usr/bin/env bash
# End-to-end test of scripts/demo: runs the whole demo fleet for one minute and checks its summary:
# every submitted job is known to the scheduler, none failed, every process stopped on SIGTERM, and
# no apsis-* process is left running with the demo's state directory in its command line.
#
# Environment: APSIS_BUILD_DIR (set by ctest) makes the demo reuse the built programs and skip
# scripts/setup and the build. The demo runs in its own state directory under the build dir.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${APSIS_BUILD_DIR:-$ROOT/build}
export APSIS_BUILD_DIR=$BUILD
export APSIS_DEMO_VAR=${APSIS_DEMO_VAR:-$BUILD/tests/e2e/demo-var}
OUT="$APSIS_DEMO_VAR.out"
mkdir -p "$(dirname "$APSIS_DEMO_VAR")"

fail() { echo "demo_test: FAIL: $*" >&2; exit 1; }

# apsis-scheduler/-agent/-link processes whose command line names the demo's state directory.
leftovers() {
  local f cmd
  for f in /proc/[0-9]*/cmdline; do
    cmd=$( { tr '\0' ' ' <"$f"; } 2>/dev/null || true)
    [[ "$cmd" == *apsis-scheduler* || "$cmd" == *apsis-agent* || "$cmd" == *apsis-link* ]] || continue
    [[ "$cmd" == *"$APSIS_DEMO_VAR"* ]] && echo "${f//[^0-9]/} $cmd"
  done
  return 0
}
[[ -z "$(leftovers)" ]] || fail "apsis processes from an earlier run are still alive:
$(leftovers)"

echo "demo_test: running scripts/demo --minutes 1 (state in $APSIS_DEMO_VAR)"
start=$SECONDS
set +e
"$ROOT/scripts/demo" --minutes 1 2>&1 | tee "$OUT"
rc=${PIPESTATUS[0]}
set -e
echo "demo_test: scripts/demo exited with $rc after $((SECONDS - start)) s"

left=$(leftovers)
[[ -z "$left" ]] || fail "processes left running after the demo:
$left"
((rc == 0)) || fail "scripts/demo exited with status $rc (output above; logs in $APSIS_DEMO_VAR/logs)"

result=$(grep '^RESULT ' "$OUT" | tail -n 1)
[[ -n "$result" ]] || fail "the demo printed no RESULT line"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $result"; }
submitted=$(field submitted)
accounted=$(field accounted)
failed=$(field failed)
killed=$(field killed)
left_count=$(field left)
[[ "$submitted" =~ ^[0-9]+$ ]] && ((submitted > 0)) || fail "no jobs submitted ($result)"
[[ "$accounted" == "$submitted" ]] || fail "only $accounted of $submitted jobs accounted for ($result)"
[[ "$failed" == 0 ]] || fail "$failed jobs failed ($result)"
[[ "$killed" == 0 ]] || fail "$killed processes needed SIGKILL ($result)"
[[ "$left_count" == 0 ]] || fail "$left_count processes still running ($result)"
grep -q 'demo: all [0-9]* processes stopped' "$OUT" || fail "the demo did not confirm that every process stopped"

python3 - "$APSIS_DEMO_VAR/summary.json" "$submitted" <<'PY' || fail "summary.json does not add up"
import json, sys
s = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
total = sum(c["done"] + c["active"] + c["pending"] + c["failed"] + c["cancelled"] for c in s["by_kind"].values())
assert total == n, f"job states add up to {total}, not {n}"
assert s["by_kind"]["training"]["done"] > 0, "no training job finished in a clock hour"
assert not s["failed_jobs"] and not s["missing_jobs"], s
PY
echo "demo_test: PASS ($result)"
