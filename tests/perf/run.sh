#!/usr/bin/env bash
# Measures pcfdemo as a load instrument beside the tools operators trust, on this machine in
# one run, and writes docs/performance.md (a table of medians and ratios, the machine, the
# exact commands, the hot functions' Google Benchmark figures and profiles).
#
# usage: tests/perf/run.sh [--build-dir DIR] [--out FILE] [--seconds S] [--reps R]
#                          [--e2e-calls N] [--rss-calls N] [--no-build] [--no-profile]
#
# Comparisons (each side run R times, the two sides alternating, each run about S seconds;
# defaults R = 5, S = 4):
#   1. pcfdemo-worker fanout -c8  vs  wrk -c8, both against nginx `return 200`
#   2. wrk -c50 against pcfdemo-web /receiver (in-memory repository)  vs  against nginx,
#      with Pistache alone (tests/perf/pistache_ceiling) in the same alternation
#   3. fan-out -> nginx -> 3 pcfdemo-web -> MariaDB, atomic, N calls  vs  mysqlslap, 8
#      clients, single-row UPDATE c = c + 1 on the same MariaDB
# and, on their own: the fan-out's peak RSS at 1,000 and at 1,000,000 calls, pcfdemo-web's
# start to first /healthz answer and its idle RSS.
#
# Needs (Debian 12 packages): cmake, g++, the build dependencies, libbenchmark-dev, wrk,
# nginx, mariadb-server, mariadb-client (mysqlslap), time, curl, jq; linux-perf and strace
# for the profiles (skipped when perf cannot sample here). Everything listens on 127.0.0.1
# on free ports, lives in a temporary directory, and is stopped on exit. Every wait is
# bounded; with the defaults the whole run takes about 5 minutes on 2 cores, plus the build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD="$ROOT/build-perf"
OUT="$ROOT/docs/performance.md"
SECS=4
REPS=5
E2E_CALLS=100000
RSS_CALLS=1000000
DO_BUILD=1
DO_PROFILE=1
COMMAND_LINE="tests/perf/run.sh${*:+ $*}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --e2e-calls) E2E_CALLS=$2; shift 2 ;;
    --rss-calls) RSS_CALLS=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --no-profile) DO_PROFILE=0; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "perf: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "perf: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in cmake wrk nginx mariadbd mariadb-install-db mariadb mysqlslap curl jq; do
  command -v "$tool" >/dev/null || die "$tool is missing (see the Needs line of --help)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"

# --- build ---------------------------------------------------------------------------

if (( DO_BUILD )); then
  log "building in release mode in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target pcfdemo-web pcfdemo-worker pcfdemo_benchmarks \
      >/dev/null
fi
# The framework's own ceiling (see its opening comment): built beside the others.
CEILING="$BUILD/pistache_ceiling"
if (( DO_BUILD )) || [[ ! -x "$CEILING" ]]; then
  c++ -O2 -std=c++17 "$ROOT/tests/perf/pistache_ceiling/pistache_ceiling.cc" -o "$CEILING" \
      $(pkg-config --cflags --libs libpistache 2>/dev/null || echo -lpistache) -lpthread
fi
WEB="$BUILD/pcfdemo-web"
WORKER="$BUILD/pcfdemo-worker"
BENCH="$BUILD/tests/pcfdemo_benchmarks"
for binary in "$WEB" "$WORKER" "$BENCH"; do
  [[ -x "$binary" ]] || die "$binary is missing (build without --no-build)"
done
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
[[ "$BUILD_TYPE" == Release ]] || log "warning: $BUILD is a '$BUILD_TYPE' build, not Release"

# --- processes and helpers -----------------------------------------------------------

WORK=$(mktemp -d /tmp/pcfdemo-perf.XXXXXX)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }
now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }

# Ports are drawn from below the kernel's range for outgoing connections: a port there can be
# held by a client socket (wrk's, the fan-out's) and look free while nothing listens on it.
read -r EPHEMERAL_LOW _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || EPHEMERAL_LOW=32768
PORT_LOW=10000
PORT_SPAN=$(( EPHEMERAL_LOW > PORT_LOW + 2000 ? EPHEMERAL_LOW - PORT_LOW : 20000 ))
USED_PORTS=" "
free_port() {
  local i candidate
  for ((i = 0; i < 100; i++)); do
    candidate=$((PORT_LOW + RANDOM % PORT_SPAN))
    [[ "$USED_PORTS" == *" $candidate "* ]] && continue
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      USED_PORTS+="$candidate "
      echo "$candidate"
      return
    fi
  done
  die "no free loopback port"
}

# Waits up to 20 s for `url` to answer 200.
wait_http() {
  local url=$1 i
  for ((i = 0; i < 400; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url") == 200 ]] && return 0
    nap 0.05
  done
  die "$url did not answer 200 within 20 s"
}

stop_pid() {  # SIGTERM, up to 10 s, then SIGKILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    nap 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print "n/a"; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
meets() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN {
  if (r == "n/a") { print "no figure"; exit }
  ok = (op == ">=") ? (r >= t) : (r < t); print ok ? "met" : "**missed**" }'; }
fmt() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
list() {  # numbers, rounded to whole ones past 100, joined by ", "
  printf '%s\n' "$@" | awk '{ v = ($1 ~ /^[0-9.]+$/ && $1 >= 100) ? sprintf("%.0f", $1) : $1;
    printf "%s%s", (NR > 1 ? ", " : ""), v } END { print "" }'; }

TICKS=$(getconf CLK_TCK)
# User + system CPU of a process and its children (nginx's workers), in clock ticks.
tree_ticks() {
  local total=0 pid stat rest
  for pid in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    read -r stat < "/proc/$pid/stat" 2>/dev/null || continue
    rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# Runs wrk for SECS seconds against a server whose process is `server_pid` (0: unknown);
# prints "requests_per_second non_2xx socket_errors server_cpu_microseconds_per_call".
wrk_run() {
  local connections=$1 url=$2 server_pid=${3:-0} out t0=0 t1=0
  (( server_pid > 0 )) && t0=$(tree_ticks "$server_pid")
  out=$(wrk -t2 -c"$connections" -d"${SECS}s" "$url")
  (( server_pid > 0 )) && t1=$(tree_ticks "$server_pid")
  echo "$out" >> "$WORK/wrk.log"
  awk -v ticks=$((t1 - t0)) -v hz="$TICKS" '
       /requests in/ { calls = $1 }
       /^Requests\/sec:/ { rps = $2 }
       /Non-2xx or 3xx responses:/ { bad = $NF }
       /Socket errors:/ { gsub(",", ""); errs = $4 + $6 + $8 + $10 }
       END { printf "%s %d %d %.1f\n", rps, bad, errs, (calls > 0 ? ticks * 1e6 / hz / calls : 0) }' \
      <<< "$out"
}
# The median of the ratios a[i] / b[i] of two lists given as "a1 a2 ... -- b1 b2 ...".
paired_ratio() {
  local a=() b=() seen=0 x i out=()
  for x in "$@"; do
    if [[ "$x" == -- ]]; then seen=1; elif (( seen )); then b+=("$x"); else a+=("$x"); fi
  done
  for i in "${!a[@]}"; do out+=("$(ratio "${a[$i]}" "${b[$i]}")"); done
  median "${out[@]}"
}

# Runs the fan-out; prints its JSON summary.
fanout_run() {
  local url=$1 calls=$2 concurrency=$3
  "$WORKER" fanout --url "$url" --calls "$calls" --concurrency "$concurrency" --timeout 10000 \
      --json
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "started $STARTED, load average $LOAD_BEFORE"

# --- nginx: `return 200` and the load balancer of the three instances ----------------

NGINX_PORT=$(free_port)
WEB_PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream pcfdemo {
    server 127.0.0.1:${WEB_PORTS[0]};
    server 127.0.0.1:${WEB_PORTS[1]};
    server 127.0.0.1:${WEB_PORTS[2]};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /ok { return 200 "ok\n"; }
    location / {
      proxy_pass http://pcfdemo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NGINX_OK="http://127.0.0.1:$NGINX_PORT/ok"
wait_http "$NGINX_OK"

# --- pcfdemo-web standalone: start time and idle RSS ---------------------------------

# Starts pcfdemo-web standalone with the in-memory repository and polls /healthz over raw
# TCP as fast as bash can; prints "pid microseconds_to_first_answer".
start_standalone() {
  local port=$1 t0 t1 i line pid
  t0=$(now_us)
  "$WEB" --bind 127.0.0.1 --port "$port" --database memory: --poll-interval-ms 100 \
      --log-level warn >> "$WORK/web-standalone.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 50000; i++)); do
    if exec {fd}<> "/dev/tcp/127.0.0.1/$port"; then
      printf 'GET /healthz HTTP/1.0\r\n\r\n' >&"$fd"
      line=""
      read -r -t 2 -u "$fd" line || true
      exec {fd}>&-
      if [[ "$line" == *" 200 "* ]]; then t1=$(now_us); echo "$pid $((t1 - t0))"; return; fi
    fi 2>/dev/null
    kill -0 "$pid" 2>/dev/null || break  # it exited (its port taken meanwhile, say)
    (( $(now_us) - t0 > 10000000 )) && break
  done
  echo "$pid timeout"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

START_MS=()
IDLE_RSS=()
for ((rep = 0; rep < 5; rep++)); do
  port=$(free_port)
  read -r pid micros <<< "$(start_standalone "$port")"
  PIDS+=("$pid")
  if [[ "$micros" == timeout ]]; then
    tail -n 5 "$WORK/web-standalone.log" >&2 || true
    die "pcfdemo-web on port $port did not answer /healthz within 10 s (its log above)"
  fi
  START_MS+=("$(awk -v u="$micros" 'BEGIN { printf "%.1f", u / 1000 }')")
  nap 2
  IDLE_RSS+=("$(awk -v k="$(rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }')")
  stop_pid "$pid"
done
log "start to /healthz: $(list "${START_MS[@]}") ms; idle RSS $(list "${IDLE_RSS[@]}") MiB"

# The instance the receiver comparison drives, with one run to count calls for.
RECEIVER_PORT=$(free_port)
"$WEB" --bind 127.0.0.1 --port "$RECEIVER_PORT" --database memory: --poll-interval-ms 100 \
    --log-level warn >> "$WORK/web-receiver.log" 2>&1 &
RECEIVER_PID=$!
PIDS+=("$RECEIVER_PID")
RECEIVER_BASE="http://127.0.0.1:$RECEIVER_PORT"
wait_http "$RECEIVER_BASE/healthz"
curl -sf -X POST -H 'Content-Type: application/json' -d '{"calls":1,"strategy":"atomic"}' \
    "$RECEIVER_BASE/api/runs" >/dev/null
RUN_TS=""
for ((i = 0; i < 100; i++)); do
  RUN_TS=$(curl -s "$RECEIVER_BASE/api/runs?limit=1" |
      jq -r '.runs[0] | select(.status == "finished") | .timestamp' 2>/dev/null || true)
  [[ -n "$RUN_TS" ]] && break
  nap 0.1
done
[[ -n "$RUN_TS" ]] || die "the receiver's run did not finish within 10 s"
RECEIVER_URL="$RECEIVER_BASE/receiver?timestamp=$RUN_TS&strategy=atomic"

# --- comparison 2: /receiver vs nginx, wrk -c50 --------------------------------------

# Pistache alone with an empty route, answering through its queue and inline.
QUEUED_PORT=$(free_port)
INLINE_PORT=$(free_port)
"$CEILING" "$QUEUED_PORT" 2 queued &
QUEUED_PID=$!
PIDS+=("$QUEUED_PID")
"$CEILING" "$INLINE_PORT" 2 inline &
INLINE_PID=$!
PIDS+=("$INLINE_PID")
wait_http "http://127.0.0.1:$QUEUED_PORT/receiver"
wait_http "http://127.0.0.1:$INLINE_PORT/receiver"

log "receiver vs nginx (and Pistache alone), wrk -c50, ${REPS} x ${SECS} s each"
RECV_RPS=()
NGINX50_RPS=()
QUEUED_RPS=()
INLINE_RPS=()
NGINX50_CPU=(); RECV_CPU=(); QUEUED_CPU=(); INLINE_CPU=()
RECV_BAD=0
for ((rep = 0; rep < REPS; rep++)); do
  read -r rps bad errs cpu <<< "$(wrk_run 50 "$NGINX_OK" "$NGINX_PID")"
  NGINX50_RPS+=("$rps"); NGINX50_CPU+=("$cpu")
  read -r rps bad errs cpu <<< "$(wrk_run 50 "$RECEIVER_URL" "$RECEIVER_PID")"
  RECV_RPS+=("$rps"); RECV_CPU+=("$cpu")
  RECV_BAD=$((RECV_BAD + bad + errs))
  read -r rps _ _ cpu <<< "$(wrk_run 50 "http://127.0.0.1:$QUEUED_PORT/receiver" "$QUEUED_PID")"
  QUEUED_RPS+=("$rps"); QUEUED_CPU+=("$cpu")
  read -r rps _ _ cpu <<< "$(wrk_run 50 "http://127.0.0.1:$INLINE_PORT/receiver" "$INLINE_PID")"
  INLINE_RPS+=("$rps"); INLINE_CPU+=("$cpu")
  log "  rep $rep: nginx ${NGINX50_RPS[-1]}, receiver ${RECV_RPS[-1]} (non-2xx + errors" \
      "$((bad + errs))), Pistache alone ${QUEUED_RPS[-1]}, inline ${INLINE_RPS[-1]};" \
      "CPU µs/call ${NGINX50_CPU[-1]} ${RECV_CPU[-1]} ${QUEUED_CPU[-1]} ${INLINE_CPU[-1]}"
done
RECEIVER_COUNTED=$(curl -s "$RECEIVER_BASE/api/runs/$RUN_TS" | jq -r .current_request_count)

# --- comparison 1: fan-out vs wrk -c8 against nginx ----------------------------------

CAL_CALLS=20000
cal=$(fanout_run "$NGINX_OK" "$CAL_CALLS" 8)
cal_rate=$(jq -r .calls_per_second <<< "$cal")
FANOUT_CALLS=$(awk -v r="$cal_rate" -v s="$SECS" 'BEGIN { n = int(r * s / 1000) * 1000;
  if (n < 10000) n = 10000; print n }')
log "fan-out vs wrk -c8 against nginx, ${REPS} x ~${SECS} s each ($FANOUT_CALLS calls a fan-out)"
FANOUT_RPS=()
WRK8_RPS=()
FANOUT_CPU=()
WRK8_CPU=()
FANOUT_FAILED=0
# Client CPU (user + system) per call in microseconds, from /usr/bin/time's output file.
client_cpu() {
  awk -v calls="$2" 'END { printf "%.1f", (calls > 0 ? ($1 + $2) * 1e6 / calls : 0) }' "$1"
}
for ((rep = 0; rep < REPS; rep++)); do
  out=$(/usr/bin/time -f '%U %S' -o "$WORK/client.time" wrk -t2 -c8 -d"${SECS}s" "$NGINX_OK")
  echo "$out" >> "$WORK/wrk.log"
  WRK8_RPS+=("$(awk '/^Requests\/sec:/ { print $2 }' <<< "$out")")
  WRK8_CPU+=("$(client_cpu "$WORK/client.time" "$(awk '/requests in/ { print $1 }' <<< "$out")")")
  summary=$(/usr/bin/time -f '%U %S' -o "$WORK/client.time" \
      "$WORKER" fanout --url "$NGINX_OK" --calls "$FANOUT_CALLS" --concurrency 8 --timeout 10000 \
      --json)
  FANOUT_RPS+=("$(jq -r .calls_per_second <<< "$summary")")
  FANOUT_CPU+=("$(client_cpu "$WORK/client.time" "$(jq -r .calls_made <<< "$summary")")")
  FANOUT_FAILED=$((FANOUT_FAILED + $(jq -r .failed <<< "$summary")))
  log "  rep $rep: wrk ${WRK8_RPS[-1]}, fan-out ${FANOUT_RPS[-1]};" \
      "client CPU µs/call ${WRK8_CPU[-1]} ${FANOUT_CPU[-1]}"
done

# --- the fan-out's peak RSS ----------------------------------------------------------

peak_rss_kib() {
  /usr/bin/time -f '%M' -o "$WORK/time.out" \
      "$WORKER" fanout --url "$NGINX_OK" --calls "$1" --concurrency 8 --json > "$WORK/rss.json"
  [[ $(jq -r .succeeded "$WORK/rss.json") == "$1" ]] || die "fan-out of $1 calls had failures"
  tail -1 "$WORK/time.out"
}
log "fan-out peak RSS at 1,000 and $RSS_CALLS calls"
RSS_SMALL_KIB=$(peak_rss_kib 1000)
RSS_LARGE_KIB=$(peak_rss_kib "$RSS_CALLS")
RSS_LARGE_RATE=$(jq -r .calls_per_second "$WORK/rss.json")
RSS_GROWTH_MIB=$(awk -v a="$RSS_SMALL_KIB" -v b="$RSS_LARGE_KIB" 'BEGIN { printf "%.2f", (b - a) / 1024 }')
log "  $RSS_SMALL_KIB KiB -> $RSS_LARGE_KIB KiB"

# --- MariaDB and three instances behind nginx ----------------------------------------

DB_DIR="$WORK/db"
DB_PORT=$(free_port)
DB_SOCKET="$DB_DIR/mysqld.sock"
root_flag=()
[[ $(id -u) -eq 0 ]] && root_flag=(--user=root)
mkdir -p "$DB_DIR"
mariadb-install-db --no-defaults --datadir="$DB_DIR/data" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve "${root_flag[@]}" > "$DB_DIR/install.log" 2>&1 ||
  die "mariadb-install-db failed: $(tail -5 "$DB_DIR/install.log")"
MARIADBD_ARGS=(--no-defaults --datadir="$DB_DIR/data" --port="$DB_PORT" --bind-address=127.0.0.1
  --socket="$DB_SOCKET" --pid-file="$DB_DIR/mariadbd.pid" --log-error="$DB_DIR/mariadbd.log"
  --tmpdir="$DB_DIR" --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=64M
  --innodb-flush-log-at-trx-commit=2 --max-connections=300)
mariadbd "${MARIADBD_ARGS[@]}" "${root_flag[@]}" > "$DB_DIR/console.log" 2>&1 &
PIDS+=("$!")
sql() { mariadb --no-defaults --protocol=socket --socket="$DB_SOCKET" --user=root --batch \
    --skip-column-names --connect-timeout=5 "$@"; }
for ((i = 0; i < 600; i++)); do
  sql -e 'SELECT 1' >/dev/null 2>&1 && break
  nap 0.1
done
sql -e 'SELECT 1' >/dev/null || die "mariadbd did not start: $(tail -5 "$DB_DIR/mariadbd.log")"
DB_PASSWORD="bench-$RANDOM$RANDOM"
sql -e "CREATE DATABASE pcfdemo; CREATE DATABASE bench;
  CREATE USER 'bench'@'%' IDENTIFIED BY '$DB_PASSWORD';
  GRANT ALL PRIVILEGES ON *.* TO 'bench'@'%';
  CREATE TABLE bench.counter (id INT PRIMARY KEY, c BIGINT NOT NULL) ENGINE=InnoDB;
  INSERT INTO bench.counter VALUES (1, 0);"

# Instance 0 first: it creates the table, the others find it.
INSTANCE_PIDS=()
for i in 0 1 2; do
  # Workers stay on (idle): without memcached, --no-workers is refused.
  "$WEB" --bind 127.0.0.1 --port "${WEB_PORTS[$i]}" --instance-index "$i" \
      --database "mysql://bench:$DB_PASSWORD@127.0.0.1:$DB_PORT/pcfdemo" --log-level warn \
      >> "$WORK/web-$i.log" 2>&1 &
  INSTANCE_PIDS+=("$!")
  PIDS+=("$!")
  wait_http "http://127.0.0.1:${WEB_PORTS[$i]}/readyz"
done
wait_http "http://127.0.0.1:$NGINX_PORT/healthz"

# A running atomic run of E2E_CALLS calls, created in the table the instances count in.
E2E_TS=1000000000
new_e2e_run() {
  E2E_TS=$((E2E_TS + 1))
  sql pcfdemo -e "INSERT INTO request_recorder (\`timestamp\`, current_request_count,
    max_possible_count, strategy, status) VALUES ($E2E_TS, 0, $E2E_CALLS, 'atomic', 'running')"
}
# Warm-up: every instance opens its database connections.
new_e2e_run
fanout_run "http://127.0.0.1:$NGINX_PORT/receiver?timestamp=$E2E_TS&strategy=atomic" 3000 8 \
    > /dev/null

bare_count() { sql bench -e 'SELECT c FROM counter WHERE id = 1'; }
# mysqlslap, 8 clients, `queries` single-row UPDATEs in all; prints "counted seconds".
mysqlslap_run() {
  local queries=$1 before after out seconds
  before=$(bare_count)
  out=$(mysqlslap --no-defaults --protocol=tcp --host=127.0.0.1 --port="$DB_PORT" --user=bench \
      --password="$DB_PASSWORD" --create-schema=bench --no-drop --concurrency=8 --iterations=1 \
      --number-of-queries="$queries" --query='UPDATE counter SET c = c + 1 WHERE id = 1' 2>&1)
  after=$(bare_count)
  seconds=$(awk '/Average number of seconds to run all queries/ { print $(NF - 1) }' <<< "$out")
  echo "$((after - before)) $seconds"
}

read -r cal_counted cal_seconds <<< "$(mysqlslap_run 8000)"
SLAP_QUERIES=$(awk -v n="$cal_counted" -v s="$cal_seconds" -v t="$SECS" 'BEGIN {
  q = (s > 0) ? int(n / s * t / 800) * 800 : 40000; if (q < 8000) q = 8000; print q }')
log "end to end ($E2E_CALLS calls) vs mysqlslap ($SLAP_QUERIES updates), ${REPS} times each"
E2E_RPS=()
SLAP_RPS=()
E2E_LOST=()
for ((rep = 0; rep < REPS; rep++)); do
  new_e2e_run
  summary=$(fanout_run "http://127.0.0.1:$NGINX_PORT/receiver?timestamp=$E2E_TS&strategy=atomic" \
      "$E2E_CALLS" 8)
  counted=$(sql pcfdemo -e "SELECT current_request_count FROM request_recorder
      WHERE \`timestamp\` = $E2E_TS")
  elapsed=$(jq -r .elapsed_s <<< "$summary")
  E2E_RPS+=("$(awk -v n="$counted" -v s="$elapsed" 'BEGIN { printf "%.2f", n / s }')")
  E2E_LOST+=("$(( $(jq -r .succeeded <<< "$summary") - counted ))")
  [[ $(jq -r .succeeded <<< "$summary") == "$E2E_CALLS" ]] ||
    log "  warning: $(jq -c '{failed, by_status, errors}' <<< "$summary")"

  read -r counted seconds <<< "$(mysqlslap_run "$SLAP_QUERIES")"
  SLAP_RPS+=("$(awk -v n="$counted" -v s="$seconds" 'BEGIN { printf "%.2f", (s > 0 ? n / s : 0) }')")
  log "  rep $rep: end to end ${E2E_RPS[-1]} counted/s (succeeded - counted ${E2E_LOST[-1]})," \
      "mysqlslap ${SLAP_RPS[-1]} updates/s"
done

# --- profiles ------------------------------------------------------------------------

PROFILE_NOTE=""
if (( DO_PROFILE )) && command -v perf >/dev/null && command -v strace >/dev/null &&
    perf record -e cpu-clock -o "$WORK/probe.data" -- true >/dev/null 2>&1; then
  log "profiles: perf record and strace -c"
  top_symbols() {  # perf data file, how many lines
    perf report -i "$1" --no-children -g none --sort comm,dso,sym --stdio 2>/dev/null |
        awk -v n="$2" '/^ +[0-9]/ && ++k <= n { sub(/ +$/, ""); print }'
  }
  # The fan-out against nginx.
  perf record -e cpu-clock -F 1999 -g -o "$WORK/fanout.data" -- \
      "$WORKER" fanout --url "$NGINX_OK" --calls "$FANOUT_CALLS" --concurrency 8 --json \
      > /dev/null 2> "$WORK/perf.log"
  PROFILE_FANOUT=$(top_symbols "$WORK/fanout.data" 15)
  # pcfdemo-web's receiver under wrk -c50.
  perf record -e cpu-clock -F 1999 -g -p "$RECEIVER_PID" -o "$WORK/receiver.data" \
      -- sleep "$SECS" > /dev/null 2>> "$WORK/perf.log" &
  perf_pid=$!
  wrk_run 50 "$RECEIVER_URL" > /dev/null
  wait "$perf_pid" || true
  PROFILE_RECEIVER=$(top_symbols "$WORK/receiver.data" 15)
  # The whole machine during the end-to-end run: where the CPU goes, by program.
  new_e2e_run
  perf record -e cpu-clock -F 999 -a -o "$WORK/e2e.data" -- sleep "$SECS" \
      > /dev/null 2>> "$WORK/perf.log" &
  perf_pid=$!
  e2e_calls=$(awk -v r="$(median "${E2E_RPS[@]}")" -v s="$SECS" 'BEGIN { n = int(r * (s + 1));
    if (n < 1000) n = 1000; print n }')
  fanout_run "http://127.0.0.1:$NGINX_PORT/receiver?timestamp=$E2E_TS&strategy=atomic" \
      "$e2e_calls" 8 > /dev/null &
  e2e_pid=$!
  wait "$perf_pid" || true
  PROFILE_E2E=$(perf report -i "$WORK/e2e.data" -g none --sort comm --stdio 2>/dev/null |
      awk '/^ +[0-9]/ && ++k <= 12 { sub(/ +$/, ""); print }')
  wait "$e2e_pid" || true

  # System calls per call: the fan-out (all its threads) and one instance's receiver.
  strace -f -c -o "$WORK/strace-fanout.txt" \
      "$WORKER" fanout --url "$NGINX_OK" --calls 5000 --concurrency 8 --json > /dev/null
  STRACE_FANOUT=$(awk '/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ {
      n = ($5 ~ /^[0-9]+$/) ? $6 : $5; c = $4; printf "%s %.2f\n", n, c / 5000 }' \
      "$WORK/strace-fanout.txt" | sort -k2 -gr | awk 'NR <= 8')
  strace -f -c -p "$RECEIVER_PID" -o "$WORK/strace-receiver.txt" &
  strace_pid=$!
  nap 1
  before=$(curl -s "$RECEIVER_BASE/api/runs/$RUN_TS" | jq -r .current_request_count)
  wrk -t1 -c8 -d2s "$RECEIVER_URL" > /dev/null
  after=$(curl -s "$RECEIVER_BASE/api/runs/$RUN_TS" | jq -r .current_request_count)
  nap 0.5
  kill -INT "$strace_pid" 2>/dev/null || true
  wait "$strace_pid" 2>/dev/null || true
  STRACE_RECEIVER=$(awk -v n="$((after - before))" '/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ {
      name = ($5 ~ /^[0-9]+$/) ? $6 : $5; printf "%s %.2f\n", name, $4 / n }' \
      "$WORK/strace-receiver.txt" | sort -k2 -gr | awk 'NR <= 8')
else
  PROFILE_NOTE="Profiles skipped (--no-profile, or perf cannot sample on this machine)."
fi

# --- Google Benchmark: the hot functions ---------------------------------------------

log "Google Benchmark"
"$BENCH" --benchmark_min_time=0.2 --benchmark_format=json --benchmark_out="$WORK/bench.json" \
    --benchmark_out_format=json > /dev/null 2>&1
BENCH_ROWS=$(jq -r '.benchmarks[] | select(.run_type == "iteration") |
  "| `\(.name)` | \(.real_time * 1000 | round / 1000) \(.time_unit) | \(.cpu_time * 1000 | round / 1000) \(.time_unit) | \(if .items_per_second then (.items_per_second | round | tostring) else "" end) |"' \
  "$WORK/bench.json")

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
FINISHED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# --- the report ----------------------------------------------------------------------

M_FANOUT=$(median "${FANOUT_RPS[@]}"); M_WRK8=$(median "${WRK8_RPS[@]}")
M_RECV=$(median "${RECV_RPS[@]}"); M_NGINX50=$(median "${NGINX50_RPS[@]}")
M_E2E=$(median "${E2E_RPS[@]}"); M_SLAP=$(median "${SLAP_RPS[@]}")
R_FANOUT=$(ratio "$M_FANOUT" "$M_WRK8")
R_RECV=$(ratio "$M_RECV" "$M_NGINX50")
R_E2E=$(ratio "$M_E2E" "$M_SLAP")
M_QUEUED=$(median "${QUEUED_RPS[@]}"); M_INLINE=$(median "${INLINE_RPS[@]}")
C_NGINX=$(median "${NGINX50_CPU[@]}"); C_RECV=$(median "${RECV_CPU[@]}")
C_QUEUED=$(median "${QUEUED_CPU[@]}"); C_INLINE=$(median "${INLINE_CPU[@]}")
P_FANOUT=$(paired_ratio "${FANOUT_RPS[@]}" -- "${WRK8_RPS[@]}")
P_RECV=$(paired_ratio "${RECV_RPS[@]}" -- "${NGINX50_RPS[@]}")
P_E2E=$(paired_ratio "${E2E_RPS[@]}" -- "${SLAP_RPS[@]}")
M_START=$(median "${START_MS[@]}"); M_IDLE=$(median "${IDLE_RSS[@]}")
RECV_VALID=$([[ $RECV_BAD -eq 0 ]] && echo "0 non-2xx answers or socket errors" ||
    echo "**$RECV_BAD non-2xx answers or socket errors: the figure is not valid**")
e2e_urls="http://127.0.0.1:NGINX/receiver?timestamp=T&strategy=atomic"

mkdir -p "$(dirname "$OUT")"
{
  cat <<EOF
# Performance: pcfdemo beside the tools operators trust

Generated by \`$COMMAND_LINE\` from $STARTED to $FINISHED. Every figure below comes from
that one run on this machine. To refresh it from a fresh clone run \`tests/perf/run.sh\`
(it builds in release mode first and rewrites this file; \`--out FILE\` writes elsewhere, and
\`--help\` names the packages it needs: wrk, nginx, MariaDB, time, jq, and linux-perf and
strace for the profiles). Each comparison ran
its two sides $REPS times, alternating, about $SECS s each; the table shows medians, and the
ratio of the medians, so the machine's noise mostly cancels.

## Machine

* CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs
* Memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); kernel $(uname -r)
* Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER. A load above the
  number of CPUs means other programs competed for the CPU during the run: the absolute
  figures are then low and noisy, the ratios less so.
* Build: $BUILD_TYPE ($(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt") $("$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")" -dumpversion))
* $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk --version 2>&1 | awk 'NR == 1 { print $1, $2 }'),
  $(mariadbd --version | sed -E 's/.*Ver ([^ ]+).*/MariaDB \1/'), $(mysqlslap --version | cut -d, -f1)

## Targets

| measure | pcfdemo (median) | reference (median) | ratio of medians | median of paired ratios | target | |
| --- | ---: | ---: | ---: | ---: | --- | --- |
| fan-out calls/s against nginx \`return 200\`, concurrency 8 | $(fmt "$M_FANOUT") | wrk -c8: $(fmt "$M_WRK8") | $R_FANOUT | $P_FANOUT | ≥ 0.5 | $(meets "$R_FANOUT" 0.5 ">=") |
| /receiver calls/s, in-memory repository, wrk -c50 | $(fmt "$M_RECV") | nginx \`return 200\`, same wrk: $(fmt "$M_NGINX50") | $R_RECV | $P_RECV | ≥ 0.7 | $(meets "$R_RECV" 0.7 ">=") |
| end-to-end counted calls/s: fan-out → nginx → 3 instances → MariaDB, atomic, $(fmt "$E2E_CALLS") calls | $(fmt "$M_E2E") | bare MariaDB, 8 clients, single-row UPDATE c = c + 1: $(fmt "$M_SLAP") | $R_E2E | $P_E2E | ≥ 0.5 | $(meets "$R_E2E" 0.5 ">=") |
| fan-out peak RSS growth, 1,000 → $(fmt "$RSS_CALLS") calls | $RSS_GROWTH_MIB MiB ($(fmt "$((RSS_SMALL_KIB / 1024))") → $(fmt "$((RSS_LARGE_KIB / 1024))") MiB) | — | — | | < 5 MiB | $(meets "$RSS_GROWTH_MIB" 5 "<") |
| pcfdemo-web start to first /healthz answer | $M_START ms | — | — | | < 200 ms | $(meets "$M_START" 200 "<") |
| pcfdemo-web idle RSS (standalone, 2 s after start) | $M_IDLE MiB | — | — | | < 30 MiB | $(meets "$M_IDLE" 30 "<") |

Client CPU per call against nginx (user + system time of the whole process from
\`/usr/bin/time\`, divided by the calls it made; median): the fan-out
$(median "${FANOUT_CPU[@]}") µs, wrk $(median "${WRK8_CPU[@]}") µs.

A paired ratio divides each pcfdemo run by the reference run next to it in time; its median
is less sensitive to load that comes and goes than the ratio of the two medians, which is
what the target is judged on.

The server pcfdemo-web is built on, under the same \`wrk -c50\` in the same alternation
(\`tests/perf/pistache_ceiling\`: Pistache $(dpkg-query -W -f '${Version}' libpistache-dev 2>/dev/null || echo "?"),
2 threads like pcfdemo-web here, one route that does nothing):

| server | calls/s | / nginx | / Pistache alone | server CPU per call | / nginx |
| --- | ---: | ---: | ---: | ---: | ---: |
| nginx \`return 200\` (master and workers) | $(fmt "$M_NGINX50") | 1.00 | | $C_NGINX µs | 1.00 |
| Pistache alone, answering with \`ResponseWriter::send\` | $(fmt "$M_QUEUED") | $(ratio "$M_QUEUED" "$M_NGINX50") | 1.00 | $C_QUEUED µs | $(ratio "$C_QUEUED" "$C_NGINX") |
| pcfdemo-web /receiver (parse, count, JSON, metrics) | $(fmt "$M_RECV") | $R_RECV | $(ratio "$M_RECV" "$M_QUEUED") | $C_RECV µs | $(ratio "$C_RECV" "$C_NGINX") |
| Pistache alone, the same bytes written inline with \`send(2)\` | $(fmt "$M_INLINE") | $(ratio "$M_INLINE" "$M_NGINX50") | $(ratio "$M_INLINE" "$M_QUEUED") | $C_INLINE µs | $(ratio "$C_INLINE" "$C_NGINX") |

Server CPU per call is the server's user + system CPU time (from \`/proc/PID/stat\`, children
included) during the wrk run divided by the calls wrk completed, median over the runs. It
depends much less on what else the machine runs than calls/s does, so it is the better
figure for comparing the servers' own costs.

Every run (calls/s, in order):

* fan-out: $(list "${FANOUT_RPS[@]}"); wrk -c8: $(list "${WRK8_RPS[@]}"); the fan-out's failed calls: $FANOUT_FAILED
* /receiver: $(list "${RECV_RPS[@]}"); nginx: $(list "${NGINX50_RPS[@]}"); Pistache alone: $(list "${QUEUED_RPS[@]}"), inline: $(list "${INLINE_RPS[@]}"); server CPU µs per call, nginx: $(list "${NGINX50_CPU[@]}"), receiver: $(list "${RECV_CPU[@]}"), Pistache alone: $(list "${QUEUED_CPU[@]}"), inline: $(list "${INLINE_CPU[@]}"); $RECV_VALID; the run counted $RECEIVER_COUNTED calls in all
* end to end: $(list "${E2E_RPS[@]}") (succeeded − counted: $(list "${E2E_LOST[@]}")); mysqlslap: $(list "${SLAP_RPS[@]}")
* fan-out of $(fmt "$RSS_CALLS") calls ran at $(fmt "$RSS_LARGE_RATE") calls/s
* start to /healthz (ms): $(list "${START_MS[@]}"); idle RSS (MiB): $(list "${IDLE_RSS[@]}")

## Exact commands

Ports are free loopback ports chosen at run time; every server runs from its own temporary
directory.

\`\`\`sh
# nginx (its configuration is written by run.sh: worker_processes auto, access_log off,
# keepalive_requests 1000000, location = /ok { return 200 "ok\n"; }, and an upstream of the
# three instances with keepalive 64 for location /)
nginx -p WORK/nginx -c WORK/nginx/nginx.conf -e WORK/nginx/logs/error.log
# comparison 1, alternating
wrk -t2 -c8 -d${SECS}s http://127.0.0.1:NGINX/ok
pcfdemo-worker fanout --url http://127.0.0.1:NGINX/ok --calls $FANOUT_CALLS --concurrency 8 --timeout 10000 --json
# comparison 2, alternating; the run T is created first with POST /api/runs {"calls":1,"strategy":"atomic"}
pcfdemo-web --bind 127.0.0.1 --port WEB --database memory: --poll-interval-ms 100 --log-level warn
wrk -t2 -c50 -d${SECS}s http://127.0.0.1:NGINX/ok
wrk -t2 -c50 -d${SECS}s 'http://127.0.0.1:WEB/receiver?timestamp=T&strategy=atomic'
pistache_ceiling QUEUED 2 queued; wrk -t2 -c50 -d${SECS}s http://127.0.0.1:QUEUED/receiver
pistache_ceiling INLINE 2 inline; wrk -t2 -c50 -d${SECS}s http://127.0.0.1:INLINE/receiver
# comparison 3, alternating; a run row T (atomic, running) is inserted before each fan-out
mariadbd ${MARIADBD_ARGS[*]//$WORK/WORK} ${root_flag[*]}
pcfdemo-web --bind 127.0.0.1 --port WEB_i --instance-index i --database mysql://bench:***@127.0.0.1:DB/pcfdemo --log-level warn   # i = 0, 1, 2
pcfdemo-worker fanout --url '$e2e_urls' --calls $E2E_CALLS --concurrency 8 --timeout 10000 --json
mysqlslap --protocol=tcp --host=127.0.0.1 --port=DB --user=bench --password=*** --create-schema=bench --no-drop --concurrency=8 --iterations=1 --number-of-queries=$SLAP_QUERIES --query='UPDATE counter SET c = c + 1 WHERE id = 1'
# peak RSS
/usr/bin/time -f %M pcfdemo-worker fanout --url http://127.0.0.1:NGINX/ok --calls 1000 --concurrency 8 --json
/usr/bin/time -f %M pcfdemo-worker fanout --url http://127.0.0.1:NGINX/ok --calls $RSS_CALLS --concurrency 8 --json
# hot functions
pcfdemo_benchmarks --benchmark_min_time=0.2
\`\`\`

The end-to-end figure is the calls the receivers counted in MariaDB (\`current_request_count\`
of the run's row) divided by the fan-out's elapsed time; mysqlslap's is the increase of the
counter row divided by its own time. Both use the same server, started with the options above
(the same ones the integration tests use: no binary log, \`innodb_flush_log_at_trx_commit=2\`).

## Hot functions (Google Benchmark)

| benchmark | real time | CPU time | items/s |
| --- | ---: | ---: | ---: |
$BENCH_ROWS

EOF
  if [[ -n "$PROFILE_NOTE" ]]; then
    echo "$PROFILE_NOTE"
  else
    cat <<EOF
## Profiles from this run

\`perf record -e cpu-clock -g\` (software clock sampling: this machine's VM exposes no
hardware counters), self time by program, library and function, top lines.

The fan-out, $FANOUT_CALLS calls against nginx \`return 200\`, concurrency 8:

\`\`\`
$PROFILE_FANOUT
\`\`\`

pcfdemo-web while \`wrk -c50\` drives /receiver with the in-memory repository:

\`\`\`
$PROFILE_RECEIVER
\`\`\`

The whole machine for $SECS s of the end-to-end run, by program:

\`\`\`
$PROFILE_E2E
\`\`\`

System calls per call (\`strace -f -c\`; syscall and calls per HTTP call). The fan-out, 5000
calls against nginx:

\`\`\`
$STRACE_FANOUT
\`\`\`

pcfdemo-web's receiver, \`wrk -t1 -c8\` for 2 s:

\`\`\`
$STRACE_RECEIVER
\`\`\`

EOF
  fi
  if [[ -f "$ROOT/tests/perf/findings.md" ]]; then cat "$ROOT/tests/perf/findings.md"; fi
} > "$OUT"
log "wrote $OUT (load average after: $LOAD_AFTER)"
