#!/usr/bin/env bash
# End-to-end test of a fleet in network namespaces, as plain processes (scripts/containers up
# --processes): the scheduler and one ground agent in a ground namespace; two orbital agents, each
# alone in its own namespace whose only interface is a veth to the ground namespace, where its
# apsis-link listens. Training and inference jobs complete on all three nodes; each orbital agent's
# traffic crossed its link (link metrics) and its veth (interface counters); nothing is left behind.
# Skipped (exit 77) only when network namespaces cannot be created here.
#
# Environment: APSIS_BUILD_DIR (set by ctest): the programs to run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${APSIS_BUILD_DIR:-$ROOT/build}
export APSIS_BUILD_DIR=$BUILD
export APSIS_FLEET_NAME=apsis-t$$
export APSIS_FLEET_VAR=$BUILD/tests/e2e/netns-$$
ORBITAL=(sso-1 shell-3)
GROUND=ground-caiso
# shell-3 (configs/demo/orbital-nodes.tsv) is in contact 01:33-01:46 and again from 02:41: the
# clock starts shortly before that pass so the test stays short at the demo's 60x.
START=2026-06-21T01:15:00Z

TEST=netns_fleet_test
# shellcheck source=fleet_test_lib.sh
source "$ROOT/tests/e2e/fleet_test_lib.sh"

start=$SECONDS
log "starting the fleet (prefix $APSIS_FLEET_NAME, state in $APSIS_FLEET_VAR)"
"$CONTAINERS" up --processes --detach --start "$START" --ground "$GROUND" \
  --orbital "$(IFS=,; echo "${ORBITAL[*]}")"

# The orbital agents' namespaces hold nothing but loopback and the veth to the ground namespace,
# and across it only the node's link answers: the scheduler's agent port (17700) does not.
connects() {  # connects NAMESPACE ADDRESS PORT
  ip netns exec "$1" python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)' \
    "$2" "$3" 2>/dev/null
}
i=0
for id in "${ORBITAL[@]}"; do
  ns=$APSIS_FLEET_NAME-$id
  ifaces=$(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | xargs)
  [[ "$ifaces" == "ground lo" ]] || fail "namespace of $id has interfaces [$ifaces], expected [ground lo]"
  ground_end=$(ip -n "$ns" -4 -o addr show ground | awk '{print $4}' | sed 's/\.2\/30$/.1/')
  connects "$ns" "$ground_end" $((17730 + i)) || fail "from $id's namespace its link at $ground_end:$((17730 + i)) is unreachable"
  ! connects "$ns" "$ground_end" 17700 || fail "from $id's namespace the scheduler at $ground_end:17700 is reachable without the link"
  i=$((i + 1))
done

# Each job goes to one node: cordon the others while it is placed.
NODES=("$GROUND" "${ORBITAL[@]}")
place_on() {  # place_on NODE JOB_YAML: submit with every other node cordoned, wait until placed.
  local node=$1 file=$2 n id state deadline
  for n in "${NODES[@]}"; do [[ "$n" == "$node" ]] || ctl cordon "$n" >/dev/null; done
  id=$(awk '/^ *id:/ {print $2; exit}' "$file")
  ctl submit -f "$file" >/dev/null || fail "apsisctl submit -f $file failed"
  deadline=$((SECONDS + 60))
  while :; do
    state=$(ctl job "$id" -o json 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("state"), (j.get("placement") or {}).get("node"))' || true)
    [[ "$state" == *" $node" && "$state" != pending* ]] && break
    ((SECONDS < deadline)) || fail "$id was not placed on $node within 60 s (last: $state)"
    sleep 0.5
  done
  for n in "${NODES[@]}"; do [[ "$n" == "$node" ]] || ctl uncordon "$n" >/dev/null; done
  log "$id placed on $node"
}

# shell-3 registers at its first contact.
deadline=$((SECONDS + 60))
until ctl node shell-3 -o json >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "shell-3 did not register within 60 s (its first pass starts at 01:33)"
  sleep 0.5
done

jobs_dir=$APSIS_FLEET_VAR/jobs
mkdir -p "$jobs_dir"
now=$(ctl status -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
serve_from=$(python3 -c 'import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")); print((t+datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$now")
serve_until=$(python3 -c 'import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")); print((t+datetime.timedelta(minutes=35)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$now")
i=0
JOBS=()
for node in "${NODES[@]}"; do
  cat >"$jobs_dir/train-$node.yaml" <<EOF
name: netns-train-$node
id: netns-train-$node
kind: training
gpus: 4
watts_per_gpu: 500
training: {gpu_hours: 0.25, checkpoint_interval: 2m}
EOF
  place_on "$node" "$jobs_dir/train-$node.yaml"
  JOBS+=("netns-train-$node")
  i=$((i + 1))
done
# An inference service on the ground site: 30 clock minutes of serving.
cat >"$jobs_dir/serve.yaml" <<EOF
name: netns-serve
id: netns-serve
kind: inference
gpus: 2
watts_per_gpu: 400
inference: {from: $serve_from, until: $serve_until, latency_slo_ms: 100, user_region: us-west}
EOF
place_on "$GROUND" "$jobs_dir/serve.yaml"
JOBS+=(netns-serve)

log "waiting for ${#JOBS[@]} jobs to succeed"
deadline=$((SECONDS + 80))
while :; do
  states=$(ctl jobs -o json | python3 -c '
import json, sys
data = json.load(sys.stdin)
jobs = {j["id"]: j.get("state") for j in (data if isinstance(data, list) else data.get("jobs", []))}
print(" ".join(f"{i}={jobs.get(i)}" for i in sys.argv[1:]))' "${JOBS[@]}")
  [[ "$states" != *failed* && "$states" != *cancelled* ]] || fail "a job did not succeed: $states"
  [[ $(grep -o '=succeeded' <<<"$states" | wc -l) == "${#JOBS[@]}" ]] && break
  ((SECONDS < deadline)) || fail "not every job succeeded within 80 s: $states"
  sleep 1
done
log "all jobs succeeded: $states"

# Traffic of each orbital node crossed its link and its veth.
i=0
for id in "${ORBITAL[@]}"; do
  fwd=$(ip netns exec "$APSIS_FLEET_NAME-ground" python3 -c '
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=3).read().decode()
print(sum(float(m.group(1)) for m in re.finditer(r"^apsis_link_forwarded_total\{[^}]*\} (\S+)", text, re.M)))' \
    "http://127.0.0.1:$((17740 + i))/metrics")
  python3 -c "import sys; sys.exit(0 if float('$fwd') > 0 else 1)" || fail "link of $id forwarded nothing"
  rx=$(ip netns exec "$APSIS_FLEET_NAME-$id" cat /sys/class/net/ground/statistics/rx_bytes)
  tx=$(ip netns exec "$APSIS_FLEET_NAME-$id" cat /sys/class/net/ground/statistics/tx_bytes)
  ((rx > 0 && tx > 0)) || fail "veth of $id carried nothing (rx $rx, tx $tx)"
  log "$id: link forwarded $fwd messages; veth rx $rx B, tx $tx B"
  i=$((i + 1))
done

"$CONTAINERS" down
left=$(leftovers)
[[ -z "$left" ]] || fail "left behind after down:
$left"
log "PASS in $((SECONDS - start)) s"
