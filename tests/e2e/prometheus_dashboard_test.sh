#!/usr/bin/env bash
# The Grafana dashboard against real data: starts Debian's Prometheus on loopback (temporary data
# directory, free ports) scraping every process of a one-minute demo fleet (scripts/demo --keep),
# then evaluates every PromQL expression of configs/grafana/apsis-fleet.json through Prometheus's
# HTTP API: each must return at least one series with a number. Also checks that every scrape
# target is up and that the alert rules of configs/prometheus/rules.yml load and evaluate without
# error. The static checks (promtool check rules/config, metric names) run first, from
# tests/integration/monitoring_configs_test.sh.
#
# Environment: APSIS_BUILD_DIR (set by ctest): the built programs the demo runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${APSIS_BUILD_DIR:-$ROOT/build}
export APSIS_BUILD_DIR=$BUILD

fail() { echo "prometheus_dashboard_test: FAIL: $*" >&2; exit 1; }
command -v prometheus >/dev/null || fail "prometheus is not installed: run scripts/setup"

"$ROOT/tests/integration/monitoring_configs_test.sh"

WORK=$(mktemp -d /tmp/apsis-prometheus-test.XXXXXX)
export APSIS_DEMO_VAR=$WORK/demo
PROM_PID=
cleanup() {
  local rc=$?
  "$ROOT/scripts/demo" --stop >"$WORK/demo-stop.log" 2>&1 || { cat "$WORK/demo-stop.log" >&2; rc=1; }
  if [[ -n "$PROM_PID" ]]; then
    kill -TERM "$PROM_PID" 2>/dev/null || true
    wait "$PROM_PID" 2>/dev/null || true
  fi
  if ((rc == 0)); then rm -rf "$WORK"; else echo "prometheus_dashboard_test: files kept in $WORK" >&2; fi
  exit "$rc"
}
trap cleanup EXIT

# A free block of 50 ports for the demo and one more for Prometheus, all on loopback (the demo's
# default range stays free for a concurrent scripts/demo or demo_e2e).
read -r BASE_PORT PROM_PORT < <(python3 - <<'PY'
import random, socket
def free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    # Below the kernel's ephemeral range, so outgoing connections cannot take them meanwhile.
    base = random.randrange(20000, 32000, 50)
    if all(free(p) for p in range(base, base + 51)):
        print(base, base + 50)
        break
else:
    raise SystemExit("no free block of 51 loopback ports")
PY
)
export APSIS_DEMO_BASE_PORT=$BASE_PORT

# Scrape targets from the demo's port plan (configs/demo/README.md): scheduler base+2, ground
# agents base+10.., orbital agents base+20.., links base+40...
count_rows() { grep -v '^[[:space:]]*#' "$1" | grep -cv '^[[:space:]]*$'; }
GROUND=$(count_rows "$ROOT/configs/demo/ground-sites.tsv")
ORBITAL=$(count_rows "$ROOT/configs/demo/orbital-nodes.tsv")
targets() { local first=$1 n=$2 i; for ((i = 0; i < n; i++)); do printf '"127.0.0.1:%d",' $((first + i)); done; }
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $ROOT/configs/prometheus/rules.yml
scrape_configs:
  - job_name: apsis-scheduler
    static_configs: [{targets: ["127.0.0.1:$((BASE_PORT + 2))"]}]
  - job_name: apsis-agent
    static_configs: [{targets: [$(targets $((BASE_PORT + 10)) "$GROUND")$(targets $((BASE_PORT + 20)) "$ORBITAL")]}]
  - job_name: apsis-link
    static_configs: [{targets: [$(targets $((BASE_PORT + 40)) "$ORBITAL")]}]
EOF
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "generated config is invalid: $WORK/prometheus.yml"

prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
PROM="http://127.0.0.1:$PROM_PORT"
for _ in $(seq 1 60); do
  python3 -c "import urllib.request; urllib.request.urlopen('$PROM/-/ready', timeout=1)" 2>/dev/null && break
  kill -0 "$PROM_PID" 2>/dev/null || { cat "$WORK/prometheus.log" >&2; fail "prometheus exited"; }
  sleep 0.5
done
echo "prometheus_dashboard_test: prometheus on $PROM, demo ports $BASE_PORT-$((BASE_PORT + 49))"

# The demo's own SIGTERM handling stops its fleet if it overruns, well within ctest's timeout.
start=$SECONDS
timeout --signal=TERM 130 "$ROOT/scripts/demo" --minutes 1 --no-view --keep >"$WORK/demo.log" 2>&1 \
  || { tail -n 40 "$WORK/demo.log" >&2; fail "scripts/demo failed or overran (log: $WORK/demo.log)"; }
echo "prometheus_dashboard_test: demo ran for $((SECONDS - start)) s; its fleet keeps running"

/usr/bin/python3 - "$PROM" "$ROOT/configs/grafana/apsis-fleet.json" <<'PY'
import json, math, re, sys, time, urllib.parse, urllib.request

prom, dashboard_path = sys.argv[1:]
dashboard = json.load(open(dashboard_path))

def api(path, **params):
    url = f"{prom}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{url}: {body}")
    return body["data"]

problems = []

# Every target of the generated config must be up, or the dashboard reads a partial fleet.
for t in api("targets")["activeTargets"]:
    if t["health"] != "up":
        problems.append(f"target {t['scrapeUrl']} is {t['health']}: {t.get('lastError')}")

# Grafana's variables, as Grafana would fill them on a dashboard showing everything: interval
# variables by the scrape-friendly windows below, query variables by all their values (the
# regex form Grafana uses for multi-value variables), others by their current value.
variables = {"__rate_interval": "1m", "__interval": "10s", "__range": "5m",
             "__range_s": "300", "__interval_ms": "10000"}
for v in dashboard.get("templating", {}).get("list", []):
    if v.get("type") == "datasource":
        continue
    if v.get("type") == "query":
        m = re.search(r"label_values\((?:.*,\s*)?(\w+)\)", str(v.get("query", "")))
        if not m:
            problems.append(f"variable ${v['name']}: cannot read its query {v.get('query')!r}")
            continue
        values = api(f"label/{m.group(1)}/values")
        if not values:
            problems.append(f"variable ${v['name']}: label {m.group(1)} has no values")
        variables[v["name"]] = "|".join(re.escape(x) for x in values)
    else:
        current = v.get("current", {}).get("value")
        variables[v["name"]] = "|".join(current) if isinstance(current, list) else str(current)

def substitute(expr):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in variables:
            problems.append(f"expression {expr!r} uses undefined variable ${name}")
            return m.group(0)
        return variables[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)

# Rates over 1m-5m windows need two samples inside the window: wait for the next scrapes.
time.sleep(5)
evaluated = 0
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        expr = substitute(target["expr"])
        try:
            result = api("query", query=expr)["result"]
        except Exception as e:  # a PromQL error names the expression below
            problems.append(f"panel '{panel['title']}': {expr}: {e}")
            continue
        evaluated += 1
        numbers = [float(r["value"][1]) for r in result]
        if not result:
            problems.append(f"panel '{panel['title']}': {expr} returned no series")
        elif not any(math.isfinite(x) for x in numbers):
            problems.append(f"panel '{panel['title']}': {expr} returned only NaN/Inf: {result}")
        else:
            print(f"ok  {panel['title']}: {expr} -> {len(result)} series, e.g. {numbers[0]:g}")

# Alert rules: loaded from rules.yml and evaluated against the live series without error.
groups = api("rules")["groups"]
rules = [r for g in groups for r in g["rules"]]
if not rules:
    problems.append("no alert rules loaded from configs/prometheus/rules.yml")
for r in rules:
    if r.get("health") != "ok":
        problems.append(f"rule {r['name']}: health {r.get('health')}: {r.get('lastError')}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"dashboard: {evaluated} expressions returned data; {len(rules)} alert rules evaluate")
PY
echo "prometheus_dashboard_test: PASS"
