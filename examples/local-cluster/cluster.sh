# shellcheck shell=bash disable=SC2034
# Settings and small functions shared by start.sh, stop.sh and status.sh of the local
# cluster. Sourced, never run. Every process of the cluster writes its pid to
# $PCFDEMO_CLUSTER_DIR/run/<name>.pid and its output to $PCFDEMO_CLUSTER_DIR/logs/<name>.log.

cluster_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Where the cluster keeps its state: the MariaDB data directory, nginx's prefix and
# configuration, pid files, logs. Nothing outside this directory is written.
state_dir=${PCFDEMO_CLUSTER_DIR:-$cluster_root/examples/local-cluster/.state}
run_dir=$state_dir/run
log_dir=$state_dir/logs

nginx_port=${PCFDEMO_CLUSTER_PORT:-8080}
web_base_port=${PCFDEMO_CLUSTER_WEB_PORT:-8081}  # instance i listens on base + i
web_instances=3
request_workers=2
memcached_port=${PCFDEMO_CLUSTER_MEMCACHED_PORT:-21211}
mariadb_port=${PCFDEMO_CLUSTER_MARIADB_PORT:-23306}

build_dir=${PCFDEMO_BUILD_DIR:-build/release}
case "$build_dir" in /*) ;; *) build_dir=$cluster_root/$build_dir ;; esac
web_binary=$build_dir/pcfdemo-web
worker_binary=$build_dir/pcfdemo-worker

# Names of the processes in the order start.sh starts them; stop.sh stops them in reverse.
cluster_processes() {
  echo memcached
  echo mariadb
  local i
  for ((i = 0; i < web_instances; i++)); do echo "web-$i"; done
  echo nginx
  for ((i = 0; i < request_workers; i++)); do echo "request-worker-$i"; done
  echo cpu-worker
}

# The pid recorded for process $1, if its pid file exists.
cluster_pid() {
  local file=$run_dir/$1.pid
  [ -s "$file" ] && tr -dc '0-9' <"$file"
}

# True if pid $1 is a live process (a zombie counts as gone).
pid_alive() {
  [ -n "$1" ] || return 1
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid of process $1 if it is alive and still the program it was (a pid file left behind
# by a reboot may name a pid that now belongs to something else).
cluster_live_pid() {
  local pid expected
  pid=$(cluster_pid "$1") || return 1
  pid_alive "$pid" || return 1
  case "$1" in
    memcached) expected=memcached ;;
    mariadb) expected=mariadbd ;;
    web-*) expected=pcfdemo-web ;;
    nginx) expected=nginx ;;
    *) expected=pcfdemo-worker ;;
  esac
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$expected" || return 1
  echo "$pid"
}

# HTTP status of GET http://127.0.0.1:$1$2 (000 when nothing answered).
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1$2" 2>/dev/null ||
    true
}

mariadb_socket=$state_dir/mariadb/mariadbd.sock

# Runs the mariadb client as its administrator over the cluster's private socket: root, or
# the user who initialised the data directory (unix_socket authentication).
mariadb_root() {
  mariadb --no-defaults --protocol=socket --socket="$mariadb_socket" --user="$(id -un)" \
    --connect-timeout=2 "$@"
}
