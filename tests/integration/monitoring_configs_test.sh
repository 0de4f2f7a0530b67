#!/usr/bin/env bash
# Checks the bundled Prometheus config and alert rules with promtool, and that every panel of the
# Grafana dashboard has PromQL targets that use only metric families the scheduler exports.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v promtool >/dev/null; then
  echo "SKIP: promtool not installed (scripts/setup installs prometheus)"
  exit 0
fi
promtool check rules "$root/configs/prometheus/rules.yml"
promtool check config "$root/configs/prometheus/prometheus.yml"
/usr/bin/python3 - "$root" <<'PY'
import json, re, sys, pathlib
root = pathlib.Path(sys.argv[1])
dashboard = json.loads((root / "configs/grafana/apsis-fleet.json").read_text())
sources = "".join(p.read_text() for p in (root / "scheduler/daemon").glob("*.cc"))
exported = set(re.findall(r'"(apsis_[a-z_]+)"', sources))
problems = []
for panel in dashboard["panels"]:
    if not panel.get("targets"):
        problems.append(f"panel '{panel['title']}' has no targets")
    for target in panel.get("targets", []):
        for name in re.findall(r"\b(apsis_[a-z_]+)", target["expr"]):
            base = re.sub(r"_(bucket|count|sum)$", "", name)
            if name not in exported and base not in exported:
                problems.append(f"panel '{panel['title']}': {name} is not exported by the scheduler")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"dashboard: {len(dashboard['panels'])} panels, every metric exported")
PY
