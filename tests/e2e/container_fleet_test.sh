#!/usr/bin/env bash
# End-to-end test of the containerised fleet (scripts/containers, configs/containers/Dockerfile):
#   1. builds the image with Podman (the Debian base image too when missing; layers and ccache are
#      reused, so a rerun builds nothing);
#   2. starts the fleet: scheduler, ground agents, orbital agents each behind its apsis-link, each
#      orbital agent alone in its network namespace, on the demo's 60x scaled clock;
#   3. training and inference jobs complete;
#   4. every message of a windowed orbital node reaches the scheduler inside one of its contact
#      windows, computed independently (python3-sgp4 + apsisctl orbit windows), and it does so in
#      at least two different windows;
#   5. a killed orbital agent container is marked down only once the heartbeat timeout has passed,
#      and its running job resumes on another node;
#   6. scripts/containers down leaves no container and no namespace.
# Prints the runtime image size, the image build time and the fleet start-up time (FIGURES line).
# Skipped (exit 77) only when network namespaces cannot be created here.
#
# Environment: APSIS_BUILD_DIR (set by ctest): where the test keeps its state.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${APSIS_BUILD_DIR:-$ROOT/build}
export APSIS_FLEET_NAME=apsis-t$$
export APSIS_FLEET_VAR=$BUILD/tests/e2e/containers-$$
GROUND=(ground-caiso ground-ercot)
ORBITAL=(sso-1 shell-3 shell-5)
WINDOWED=(shell-3 shell-5)
# The clock starts at 01:10: shell-5 is in contact 01:17-01:24, 01:58-02:06, 02:55-03:04 and
# shell-3 01:33-01:46, 02:41-02:49, 03:13-03:28 (mean elements of configs/demo/orbital-nodes.tsv).
START=2026-06-21T01:10:00Z

TEST=container_fleet_test
# shellcheck source=fleet_test_lib.sh
source "$ROOT/tests/e2e/fleet_test_lib.sh"
MONITOR_PID=
on_exit() { [[ -z "$MONITOR_PID" ]] || kill "$MONITOR_PID" 2>/dev/null; }

t0=$SECONDS
log "building the image"
"$CONTAINERS" build >"$APSIS_FLEET_VAR/build.log" 2>&1 || { tail -n 40 "$APSIS_FLEET_VAR/build.log"; fail "scripts/containers build failed"; }
build_s=$((SECONDS - t0))
image_mb=$("${PODMAN[@]}" image inspect localhost/apsis:latest --format '{{.Size}}' | awk '{printf "%.0f", $1 / 1e6}')
log "image built in $build_s s; runtime image $image_mb MB"
user=$("${PODMAN[@]}" image inspect localhost/apsis:latest --format '{{.Config.User}}')
[[ "$user" == apsis ]] || fail "the image runs as '$user', not the non-root user apsis"
"${PODMAN[@]}" image inspect localhost/apsis:latest --format '{{json .Config.Healthcheck}}' | grep -q apsis-healthcheck \
  || fail "the image has no HEALTHCHECK"

t1=$SECONDS
"$CONTAINERS" up --detach --start "$START" --ground "$(IFS=,; echo "${GROUND[*]}")" \
  --orbital "$(IFS=,; echo "${ORBITAL[*]}")"
up_s=$((SECONDS - t1))
startup_s=$(sed -n 's/^STARTUP_SECONDS=//p' "$APSIS_FLEET_VAR/fleet.env")

# Every program is in a container; the healthcheck passes for each kind.
for c in scheduler link-shell-3 agent-shell-3 agent-ground-caiso; do
  "${PODMAN[@]}" healthcheck run "$APSIS_FLEET_NAME-$c" >/dev/null || fail "healthcheck of $c failed"
done
for id in "${ORBITAL[@]}"; do
  ns=$("${PODMAN[@]}" inspect -f '{{.HostConfig.NetworkMode}}' "$APSIS_FLEET_NAME-agent-$id")
  [[ "$ns" == "ns:/run/netns/$APSIS_FLEET_NAME-$id" ]] || fail "agent-$id runs in network '$ns'"
done

# Monitor, in rounds as fast as apsisctl answers: the scheduler's clock, and each node's state and
# the time of its last message (whatever crossed the link: Hello, heartbeat, forecast, job event).
MON=$APSIS_FLEET_VAR/monitor.jsonl
(
  while :; do
    nodes=$(ctl nodes -o json 2>/dev/null || true)
    now=$(ctl status -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])' 2>/dev/null || true)
    [[ -n "$nodes" && -n "$now" ]] && python3 -c '
import json, sys
d = json.loads(sys.argv[2])
nodes = d if isinstance(d, list) else d.get("nodes", [])
print(json.dumps({"now": sys.argv[1], "nodes": {n["id"]: {"state": n.get("state"), "last": n.get("last_heartbeat")} for n in nodes}}))' "$now" "$nodes" >>"$MON"
    sleep 0.5
  done
) &
MONITOR_PID=$!

# Jobs: training and inference, placed by the planner wherever it likes.
now=$(ctl status -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
at() { python3 -c 'import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")); print((t+datetime.timedelta(minutes=int(sys.argv[2]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$now" "$1"; }
cat >"$APSIS_FLEET_VAR/jobs.yaml" <<EOF
jobs:
  - {name: c-train-a, id: c-train-a, kind: training, gpus: 8, watts_per_gpu: 600, training: {gpu_hours: 2, checkpoint_interval: 5m}}
  - {name: c-train-b, id: c-train-b, kind: training, gpus: 4, watts_per_gpu: 500, training: {gpu_hours: 1}}
  - {name: c-train-c, id: c-train-c, kind: training, gpus: 16, watts_per_gpu: 700, training: {gpu_hours: 4, checkpoint_interval: 5m}}
  - name: c-serve
    id: c-serve
    kind: inference
    gpus: 4
    watts_per_gpu: 400
    inference: {from: $(at 3), until: $(at 25), latency_slo_ms: 100, user_region: us-east}
EOF
ctl submit -f "$APSIS_FLEET_VAR/jobs.yaml" >/dev/null || fail "apsisctl submit failed"
JOBS=(c-train-a c-train-b c-train-c c-serve)
job_states() {
  ctl jobs -o json | python3 -c '
import json, sys
data = json.load(sys.stdin)
jobs = {j["id"]: j for j in (data if isinstance(data, list) else data.get("jobs", []))}
def show(i):
    if i not in jobs:
        return i + "=missing"
    return "%s=%s@%s" % (i, jobs[i].get("state"), (jobs[i].get("placement") or {}).get("node"))
print(" ".join(show(i) for i in sys.argv[1:]))' "$@"
}
log "submitted ${JOBS[*]}; waiting for them to succeed"
deadline=$((SECONDS + 150))
while :; do
  states=$(job_states "${JOBS[@]}")
  [[ "$states" != *failed* && "$states" != *cancelled* && "$states" != *missing* ]] || fail "a job did not succeed: $states"
  [[ $(grep -o '=succeeded' <<<"$states" | wc -l) == "${#JOBS[@]}" ]] && break
  ((SECONDS < deadline)) || fail "not every job succeeded within 150 s: $states"
  sleep 2
done
log "jobs succeeded: $states"

# Kill one orbital agent container while it runs a job: sso-1 (relay, so always reachable: its
# silence can only mean it is gone). Put a long job on it by cordoning every other node.
NODES=("${GROUND[@]}" "${ORBITAL[@]}")
for n in "${NODES[@]}"; do [[ "$n" == sso-1 ]] || ctl cordon "$n" >/dev/null; done
cat >"$APSIS_FLEET_VAR/long.yaml" <<EOF
{name: c-long, id: c-long, kind: training, gpus: 8, watts_per_gpu: 600, training: {gpu_hours: 16, checkpoint_interval: 5m}}
EOF
ctl submit -f "$APSIS_FLEET_VAR/long.yaml" >/dev/null || fail "submitting c-long failed"
deadline=$((SECONDS + 40))
until [[ "$(job_states c-long)" == "c-long=running@sso-1" ]]; do
  ((SECONDS < deadline)) || fail "c-long is not running on sso-1 within 40 s: $(job_states c-long)"
  sleep 1
done
for n in "${NODES[@]}"; do [[ "$n" == sso-1 ]] || ctl uncordon "$n" >/dev/null; done
"${PODMAN[@]}" kill "$APSIS_FLEET_NAME-agent-sso-1" >/dev/null
killed_at=$(ctl status -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
log "killed agent-sso-1 at clock $killed_at"
deadline=$((SECONDS + 60))
until [[ "$(job_states c-long)" =~ ^c-long=(running|succeeded)@ && "$(job_states c-long)" != *@sso-1 ]]; do
  ((SECONDS < deadline)) || fail "c-long did not resume on another node within 60 s: $(job_states c-long)"
  sleep 1
done
log "c-long resumed: $(job_states c-long)"
# The contact windows, computed independently of the agents and links: python3-sgp4 turns each
# node's mean elements (configs/demo/orbital-nodes.tsv) into a TLE the way link/mean_elements.h
# does (the altitude is SGP4's Brouwer mean semi-major axis; the Kozai mean motion is solved for),
# and apsisctl orbit windows finds the passes over configs/demo/ground-stations.yaml.
mkdir -p "$APSIS_FLEET_VAR/fleet/files"
/usr/bin/python3 - "$ROOT/configs/demo/orbital-nodes.tsv" "${WINDOWED[@]}" >"$APSIS_FLEET_VAR/fleet/files/windowed.tle" <<'PY' \
  || fail "could not make TLEs with python3-sgp4"
import datetime, math, sys
from sgp4 import exporter
from sgp4.api import WGS72, Satrec
MU, RE = 398600.8, 6378.135  # WGS-72, as SGP4 and link/mean_elements.cc
EPOCH = datetime.datetime(2026, 6, 21)  # the orbits' epoch (configs/demo/orbital-nodes.tsv)
days = (EPOCH - datetime.datetime(1949, 12, 31)).total_seconds() / 86400
for line in open(sys.argv[1]):
    f = line.split()
    if not f or f[0].startswith("#") or f[0] not in sys.argv[2:]:
        continue
    alt, inc, raan, ma = map(float, f[1:5])
    target = math.sqrt(MU / (RE + alt) ** 3) * 60.0  # Brouwer mean motion, rad/min
    def satrec(n_kozai):
        s = Satrec()
        s.sgp4init(WGS72, "i", sys.argv[2:].index(f[0]) + 1, days, 0.0, 0.0, 0.0, 0.0, 0.0,
                   math.radians(inc), math.radians(ma), n_kozai, math.radians(raan))
        return s
    n = target
    for _ in range(20):
        n *= target / satrec(n).no_unkozai
    s = satrec(n)
    s.revnum, s.classification, s.intldesg, s.elnum, s.ephtype = 0, "U", "", 999, 0
    print(f[0], *exporter.export_tle(s), sep="\n")
PY
"${PODMAN[@]}" exec "$APSIS_FLEET_NAME-scheduler" apsisctl orbit windows --tle /etc/apsis/files/windowed.tle \
  --stations /etc/apsis/ground-stations.yaml --start "$START" --hours 12 -o json >"$APSIS_FLEET_VAR/windows.json" \
  || fail "apsisctl orbit windows failed"

# Let the monitor see sso-1 down (it stays down: its agent is gone).
deadline=$((SECONDS + 30))
until grep -q '"sso-1": {"state": "down"' "$MON"; do
  ((SECONDS < deadline)) || break
  sleep 1
done

# Keep watching until each windowed node has had three passes (clock time, from the windows above):
# the check below wants it heard in at least two, however fast this machine ran the jobs.
# Times as Unix seconds: RFC 3339 strings with and without fractions do not compare as text.
unix_s() {
  python3 -c 'import datetime, sys
base, _, frac = sys.argv[1].rstrip("Z").partition(".")
print(int(datetime.datetime.fromisoformat(base).replace(tzinfo=datetime.timezone.utc).timestamp()))' "$1"
}
third_los=$(/usr/bin/python3 - "$APSIS_FLEET_VAR/windows.json" <<'PY'
import json, sys
passes = {}
for w in json.load(open(sys.argv[1])):
    passes.setdefault(w["satnum"], []).append((w["aos"], w["los"]))
print(max(sorted(v)[min(2, len(v) - 1)][1] for v in passes.values()))
PY
) || fail "could not read the contact windows"
log "watching until $third_los (clock), when each windowed node has had three passes"
passes_over=$(unix_s "$third_los")
deadline=$((SECONDS + 300))
clock_s() {
  local now
  now=$(ctl status -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])' 2>/dev/null) \
    && unix_s "$now" || echo 0
}
until (( $(clock_s) > passes_over )); do
  ((SECONDS < deadline)) || break
  sleep 1
done
kill "$MONITOR_PID" 2>/dev/null || true
wait "$MONITOR_PID" 2>/dev/null || true
MONITOR_PID=

# Analysis of the monitor: windows, and when sso-1 went down.
heartbeat=$(awk '$1 == "heartbeat_interval:" {print $2}' "$APSIS_FLEET_VAR/fleet/config/scheduler.yaml")
missed=$(awk '$1 == "down_after_missed_heartbeats:" {print $2}' "$APSIS_FLEET_VAR/fleet/config/scheduler.yaml")
python3 - "$MON" "$APSIS_FLEET_VAR/windows.json" "$killed_at" "$heartbeat" "$missed" "${WINDOWED[@]}" <<'PY' \
  || fail "the monitor shows a violation (above)"
import datetime, json, re, sys
mon, windows_json, killed_at, heartbeat, missed, *windowed = sys.argv[1:]
def t(s):
    base, _, frac = s.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(base).replace(tzinfo=datetime.timezone.utc).timestamp() + (float("0." + frac) if frac else 0)
def dur(s):
    return sum(int(v) * {"s": 1, "m": 60, "h": 3600}[u] for v, u in re.findall(r"(\d+)([smh])", s))
timeout = dur(heartbeat) * int(missed)
windows = {n: set() for n in windowed}
for w in json.load(open(windows_json)):
    windows[windowed[w["satnum"] - 1]].add((t(w["aos"]), t(w["los"])))
samples = [json.loads(line) for line in open(mon)]
ok = True
# Light time and the 20 ms ground latency are well under a clock second at 60x; allow 30 s for a
# message sent just before LOS and the time it takes to be handled.
SLACK = 30
for n in windowed:
    lasts = sorted({t(s["nodes"][n]["last"]) for s in samples if n in s["nodes"] and s["nodes"][n].get("last")})
    ws = sorted(windows[n])
    inside = set()
    for x in lasts:
        w = [i for i, (a, b) in enumerate(ws) if a - 1 <= x <= b + SLACK]
        if not w:
            ok = False
            print(f"{n}: the scheduler heard from it at {datetime.datetime.utcfromtimestamp(x)} outside every contact window")
        inside.update(w)
    print(f"{n}: {len(lasts)} distinct message times, all inside {len(inside)} of its {len(ws)} windows in 12 h")
    if len(inside) < 2:
        ok = False
        print(f"{n}: heard in fewer than two windows")
    down = [s["now"] for s in samples if s["nodes"].get(n, {}).get("state") == "down"]
    if down:
        ok = False
        print(f"{n}: marked down at {down[0]} although it only waited for its next pass")
# sso-1: not down before the timeout since its last message, down after it.
killed = t(killed_at)
first_down = None
for s in samples:
    node = s["nodes"].get("sso-1", {})
    now = t(s["now"])
    if node.get("state") == "down":
        last = t(node["last"]) if node.get("last") else killed
        if now - last < timeout:
            ok = False
            print(f"sso-1 down at {s['now']}, only {now - last:.0f} s of clock after its last message (timeout {timeout} s)")
        first_down = first_down or now
if first_down is None:
    ok = False
    print("sso-1 was never marked down after its agent was killed")
else:
    print(f"sso-1 marked down {first_down - killed:.0f} clock s after the kill (timeout {timeout} s)")
sys.exit(0 if ok else 1)
PY

t2=$SECONDS
"$CONTAINERS" down
down_s=$((SECONDS - t2))
left=$(leftovers)
[[ -z "$left" ]] || fail "left behind after down: $left"
log "FIGURES image_mb=$image_mb build_s=$build_s fleet_startup_s=$startup_s up_s=$up_s down_s=$down_s total_s=$((SECONDS - t0))"
log "PASS in $((SECONDS - t0)) s"
