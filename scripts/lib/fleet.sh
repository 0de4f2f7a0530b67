# shellcheck shell=bash
# Shared by scripts/demo and scripts/containers: the fleet tables and the config generator over the
# templates in configs/demo/. Source it; it defines functions only.

# read_table FILE: the lines of a fleet table (configs/demo/*.tsv) without comments and blank lines.
fleet_read_table() { grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$'; }

# fleet_render TEMPLATE OUTPUT NAME=VALUE...: fills ${NAME}; refuses to leave any ${...} unfilled.
fleet_render() {
  python3 - "$@" <<'PY'
import re, string, sys
template, output, *pairs = sys.argv[1:]
values = dict(p.split("=", 1) for p in pairs)
text = open(template).read()
out = string.Template(text).safe_substitute(values)
left = sorted(set(re.findall(r"\$\{([A-Za-z_]+)\}", out)))
if left:
    sys.exit(f"{template}: no value for {', '.join(left)}")
open(output, "w").write(out)
PY
}

# fleet_make_prices SOURCE OUTPUT EPOCH DAYS: a price CSV that repeats the 24 hourly means of
# SOURCE (configs/demo/prices/*-2023-hourly-mean.csv) from a day before EPOCH to DAYS days after it
# (agents forecast 24 h ahead, so the series must reach a day past the end of the run).
fleet_make_prices() {
  python3 - "$@" <<'PY'
import csv, datetime, sys
source, output, epoch, days = sys.argv[1:]
hourly = {}
with open(source) as f:
    for row in csv.reader(line for line in f if not line.startswith("#")):
        if row and row[0] != "hour_utc":
            hourly[int(row[0])] = float(row[1])
if sorted(hourly) != list(range(24)):
    sys.exit(f"{source} must give a price for each hour 0..23")
start = datetime.datetime.fromisoformat(epoch.replace("Z", "+00:00")) - datetime.timedelta(days=1)
with open(output, "w") as out:
    out.write(f"# generated from {source}\ntimestamp,price\n")
    for h in range(24 * (int(days) + 1)):
        t = start + datetime.timedelta(hours=h)
        out.write(f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{hourly[t.hour]:.2f}\n")
PY
}
