# shellcheck shell=bash
# Shared by the fleet e2e tests that drive scripts/containers. Source it after setting TEST (the
# test's name for messages), APSIS_FLEET_NAME and APSIS_FLEET_VAR; it defines fail, log, ctl and
# leftovers, skips (exit 77) when no network namespace can be created, and installs an EXIT trap
# that stops the fleet (and runs the test's own on_exit first, when defined) and, on failure,
# shows the end of every log.
CONTAINERS=$ROOT/scripts/containers
PODMAN=(podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs)

fail() { echo "$TEST: FAIL: $*" >&2; exit 1; }
log() { echo "$TEST: $*"; }
ctl() { "$CONTAINERS" ctl "$@"; }

if ! err=$(ip netns add "$APSIS_FLEET_NAME-probe" 2>&1); then
  echo "$TEST: SKIP: cannot create a network namespace here ('ip netns add' says: $err);"
  echo "  this test needs root and a kernel that allows new network namespaces"
  exit 77
fi
ip netns del "$APSIS_FLEET_NAME-probe"

# Anything of this fleet still alive: namespaces, containers, processes run from its directory.
leftovers() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$APSIS_FLEET_NAME-" | sed 's/^/namespace /' || true
  if command -v podman >/dev/null; then
    "${PODMAN[@]}" ps -a --format '{{.Names}}' 2>/dev/null | grep "^$APSIS_FLEET_NAME-" | sed 's/^/container /' || true
  fi
  local f cmd
  for f in /proc/[0-9]*/cmdline; do
    cmd=$( { tr '\0' ' ' <"$f"; } 2>/dev/null || true)
    [[ "$cmd" == *apsis-* && "$cmd" == *"$APSIS_FLEET_VAR/"* ]] && echo "process ${f//[^0-9]/}: $cmd"
  done
  return 0
}

fleet_test_cleanup() {
  local rc=$? f
  if declare -F on_exit >/dev/null; then on_exit || true; fi
  "$CONTAINERS" down >/dev/null 2>&1 || true
  if ((rc != 0)); then
    for f in "$APSIS_FLEET_VAR"/logs/*.log; do
      [[ -e "$f" ]] && { echo "--- last lines of $f ---"; tail -n 15 "$f"; }
    done
  fi
  exit "$rc"
}
trap fleet_test_cleanup EXIT
mkdir -p "$APSIS_FLEET_VAR"
