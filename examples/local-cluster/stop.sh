#!/usr/bin/env bash
# Stops every process examples/local-cluster/start.sh started, workers first (a request
# worker finishes its run while the database is still up), then nginx, the web instances,
# MariaDB and memcached. Each gets SIGTERM, then SIGKILL if it has not exited in time. Then
# checks that nothing is left: no recorded process, no nginx worker, no listener on the
# cluster's ports. Exits 1 if something is.
#
# Usage: examples/local-cluster/stop.sh [--clean]
#   --clean  also deletes the state directory (MariaDB's data, logs, nginx's configuration)
set -uo pipefail
# shellcheck source=examples/local-cluster/cluster.sh
source "$(dirname "$0")/cluster.sh"

clean=0
for arg in "$@"; do
  case "$arg" in
    --clean) clean=1 ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "stop.sh: unknown argument $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

say() { echo "local-cluster: $*"; }

# How long each process may take to stop by itself.
grace_for() {
  case "$1" in
    mariadb) echo 60 ;;  # InnoDB shutdown
    request-worker-*) echo 40 ;;  # finishes its run and records it, retrying the database
    *) echo 15 ;;
  esac
}

# Waits up to $2 seconds for every pid in $1 to be gone.
wait_gone() {
  local pids=$1 deadline=$((SECONDS + $2)) pid alive
  while :; do
    alive=
    for pid in $pids; do pid_alive "$pid" && alive+=" $pid"; done
    [ -z "$alive" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

leftovers=()
names=$(cluster_processes | tac)
for name in $names; do
  pid=$(cluster_live_pid "$name") || {
    rm -f "$run_dir/$name.pid"
    continue
  }
  # nginx's workers are its children; remember them to check they went too.
  pids="$pid $(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ')"
  kill -TERM "$pid" 2>/dev/null
  if wait_gone "$pids" "$(grace_for "$name")"; then
    say "stopped $name (pid $pid)"
  else
    say "$name (pid $pid) did not stop in $(grace_for "$name") s: SIGKILL"
    for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    if ! wait_gone "$pids" 5; then
      leftovers+=("$name (pid $pid)")
      continue
    fi
  fi
  rm -f "$run_dir/$name.pid"
done

# Verify: every recorded process is gone and nothing listens on the cluster's ports.
for name in $names; do
  if pid=$(cluster_live_pid "$name"); then
    leftovers+=("$name (pid $pid)")
  fi
done
ports=("$nginx_port" "$memcached_port" "$mariadb_port")
for ((i = 0; i < web_instances; i++)); do ports+=($((web_base_port + i))); done
busy=()
for port in "${ports[@]}"; do
  port_open "$port" && busy+=("$port")
done

if [ ${#leftovers[@]} -gt 0 ]; then
  say "STILL RUNNING: ${leftovers[*]}" >&2
  exit 1
fi
if [ ${#busy[@]} -gt 0 ]; then
  # Not ours any more (every recorded process is gone), but worth knowing.
  say "note: something else listens on 127.0.0.1 port(s) ${busy[*]}" >&2
fi

if [ "$clean" -eq 1 ] && [ -d "$state_dir" ]; then
  rm -rf -- "$state_dir"
  say "removed $state_dir"
fi
say "nothing of the cluster is running"
