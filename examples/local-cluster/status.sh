#!/usr/bin/env bash
# Shows the local cluster's processes (pid, port, readiness), and the run in progress.
# Exits 0 when every process runs and nginx answers /readyz, 1 otherwise.
set -uo pipefail
# shellcheck source=examples/local-cluster/cluster.sh
source "$(dirname "$0")/cluster.sh"

port_of() {
  case "$1" in
    memcached) echo "$memcached_port" ;;
    mariadb) echo "$mariadb_port" ;;
    nginx) echo "$nginx_port" ;;
    web-*) echo $((web_base_port + ${1#web-})) ;;
    *) echo - ;;
  esac
}

healthy=1
printf '%-18s %-8s %-6s %s\n' PROCESS PID PORT STATE
for name in $(cluster_processes); do
  port=$(port_of "$name")
  if pid=$(cluster_live_pid "$name"); then
    state=running
    case "$name" in
      web-* | nginx)
        code=$(http_status "$port" /readyz)
        state="running, /readyz $code"
        [ "$code" = 200 ] || healthy=0
        ;;
    esac
  else
    pid=-
    state=stopped
    healthy=0
  fi
  printf '%-18s %-8s %-6s %s\n' "$name" "$pid" "$port" "$state"
done

if [ "$(http_status "$nginx_port" /readyz)" = 200 ]; then
  echo
  echo "URL: http://127.0.0.1:$nginx_port/"
  current=$(curl -s --max-time 2 "http://127.0.0.1:$nginx_port/api/runs/current" || true)
  case "$current" in
    \{\"timestamp\"*) echo "run in progress: $current" ;;
    *) echo "no run in progress" ;;
  esac
fi
[ "$healthy" -eq 1 ]
