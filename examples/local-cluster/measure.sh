#!/usr/bin/env bash
# Triggers one run through the local cluster's nginx, waits for it to end and prints what it
# recorded: calls counted by the receivers, calls that succeeded as the worker saw them, lost
# updates (succeeded - counted), calls per instance, latency and duration.
#
# Usage: examples/local-cluster/measure.sh CALLS STRATEGY [CONCURRENCY]
#   e.g. measure.sh 3000 atomic 16     (start the cluster with --max-calls 3000 or more)
# Needs curl; jq for the summary (without it the run's JSON is printed as is).
set -euo pipefail
# shellcheck source=examples/local-cluster/cluster.sh
source "$(dirname "$0")/cluster.sh"

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
calls=$1 strategy=$2 concurrency=${3:-16}
base=http://127.0.0.1:$nginx_port

body="{\"calls\":$calls,\"strategy\":\"$strategy\",\"concurrency\":$concurrency}"
answer=$(curl -s -w '\n%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
  -d "$body" "$base/api/runs")
code=${answer##*$'\n'}
if [ "$code" != 202 ]; then
  echo "measure.sh: POST /api/runs answered $code: ${answer%$'\n'*}" >&2
  exit 1
fi

# Bounded: a minute plus a second per 100 calls.
deadline=$((SECONDS + 60 + calls / 100))
until [ "$(http_status "$nginx_port" /api/runs/current)" = 404 ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "measure.sh: the run did not end in time; see $base/api/runs/current" >&2
    exit 1
  fi
  sleep 0.5
done

run=$(curl -s --max-time 10 "$base/api/runs?limit=1")
if ! command -v jq >/dev/null; then
  echo "$run"
  exit 0
fi
jq -r '.runs[0] |
  "run \(.timestamp): \(.strategy), \(.max_possible_count) calls, status \(.status)",
  "  counted   \(.current_request_count)",
  "  succeeded \(.succeeded_calls)",
  "  failed    \(.failed_calls)",
  "  lost      \(.lost_updates)",
  "  per instance: \(.instances | to_entries | map("\(.key) \(.value)") | join(", "))",
  "  latency ms: p50 \(.latency_ms.p50), p95 \(.latency_ms.p95), p99 \(.latency_ms.p99)",
  "  from \(.started_at) to \(.finished_at)"' <<<"$run"
