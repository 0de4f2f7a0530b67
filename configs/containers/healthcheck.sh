#!/bin/bash
# Container healthcheck for the Apsis image: healthy when the Prometheus endpoint of the container's
# program (apsis-scheduler, apsis-agent or apsis-link, PID 1) answers HTTP 200 on /metrics. The
# address is metrics_listen of the program's --config file (link_proxy.metrics_listen for
# apsis-link); 0.0.0.0 and * are reached on 127.0.0.1.
set -u
mapfile -d '' -t argv </proc/1/cmdline
program=${argv[0]##*/}
config=
for ((i = 1; i < ${#argv[@]}; i++)); do
  case "${argv[i]}" in
    --config|-c) config=${argv[i + 1]:-} ;;
    --config=*) config=${argv[i]#--config=} ;;
  esac
done
[[ -r "$config" ]] || { echo "unhealthy: cannot read the config '$config' of $program"; exit 1; }
case "$program" in
  apsis-link) listen=$(awk '/^link_proxy:/ {in_link = 1; next}
                            /^[^ #]/ {in_link = 0}
                            in_link && $1 == "metrics_listen:" {print $2; exit}' "$config") ;;
  apsis-scheduler|apsis-agent) listen=$(awk '$1 == "metrics_listen:" && /^metrics_listen:/ {print $2; exit}' "$config") ;;
  *) echo "unhealthy: PID 1 is $program, not an Apsis daemon"; exit 1 ;;
esac
listen=${listen//[\"\']/}
[[ -n "$listen" ]] || { echo "unhealthy: no metrics_listen in $config"; exit 1; }
host=${listen%:*}
port=${listen##*:}
[[ "$host" == 0.0.0.0 || "$host" == "*" || -z "$host" ]] && host=127.0.0.1
exec 3<>"/dev/tcp/$host/$port" || { echo "unhealthy: nothing listens on $host:$port"; exit 1; }
printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
read -r -t 4 status <&3 || { echo "unhealthy: no answer from $host:$port"; exit 1; }
[[ "$status" == *" 200"* ]] || { echo "unhealthy: $host:$port answered '$status'"; exit 1; }
echo "healthy: $program metrics on $host:$port"
