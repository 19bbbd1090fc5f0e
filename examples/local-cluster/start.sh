#!/usr/bin/env bash
# Starts pcfdemo's services mode on this machine, everything on 127.0.0.1: memcached,
# MariaDB (its own data directory under the state directory), three pcfdemo-web instances
# without workers behind nginx (round robin), two `pcfdemo-worker request` and one
# `pcfdemo-worker cpu`. Builds the binaries first if they are missing. Returns once nginx
# answers /readyz and prints the URL. Stop it all with stop.sh.
#
# Usage: examples/local-cluster/start.sh [pcfdemo-web flags...]
#   e.g. start.sh --max-calls 5000      (flags go to every web instance; see pcfdemo-web --help)
#
# Environment (all optional):
#   PCFDEMO_CLUSTER_DIR            state directory (default examples/local-cluster/.state)
#   PCFDEMO_CLUSTER_PORT           nginx port (default 8080)
#   PCFDEMO_CLUSTER_WEB_PORT       first web instance's port (default 8081; then 8082, 8083)
#   PCFDEMO_CLUSTER_MEMCACHED_PORT memcached port (default 21211)
#   PCFDEMO_CLUSTER_MARIADB_PORT   MariaDB port (default 23306)
#   PCFDEMO_BUILD_DIR              where the binaries are or are built (default build/release)
#   PCFDEMO_LEASE_SECONDS, PCFDEMO_POLL_INTERVAL_MS, PCFDEMO_MAX_CALLS, ... as for the binaries
set -Eeuo pipefail
# shellcheck source=examples/local-cluster/cluster.sh
source "$(dirname "$0")/cluster.sh"
cd "$cluster_root"

web_args=("$@")

say() { echo "local-cluster: $*"; }

# On any failure: show why, stop what was started, leave nothing running.
failed_component=
fail() {
  say "FAILED: $*" >&2
  if [ -n "$failed_component" ] && [ -f "$log_dir/$failed_component.log" ]; then
    say "last lines of $log_dir/$failed_component.log:" >&2
    tail -n 20 "$log_dir/$failed_component.log" >&2
  fi
  say "stopping what was started" >&2
  "$cluster_root/examples/local-cluster/stop.sh" >&2 || true
  exit 1
}
trap 'fail "command failed at line $LINENO"' ERR

# --- nothing of ours may be running, and the ports must be free ---------------------------
for name in $(cluster_processes); do
  if pid=$(cluster_live_pid "$name"); then
    say "already running ($name, pid $pid); see status.sh, or stop.sh first" >&2
    exit 1
  fi
done
ports=("$nginx_port" "$memcached_port" "$mariadb_port")
for ((i = 0; i < web_instances; i++)); do ports+=($((web_base_port + i))); done
for port in "${ports[@]}"; do
  if port_open "$port"; then
    say "port $port on 127.0.0.1 is in use; pick others (see the PCFDEMO_CLUSTER_* variables)" >&2
    exit 1
  fi
done

# --- packages and binaries -----------------------------------------------------------------
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
# The build packages plus the servers this cluster runs.
PCFDEMO_BUILD_PACKAGES+=(memcached mariadb-server mariadb-client nginx curl procps)
install_deps run
if [ ! -x "$web_binary" ] || [ ! -x "$worker_binary" ]; then
  say "building pcfdemo-web and pcfdemo-worker in $build_dir"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DPCFDEMO_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target pcfdemo-web pcfdemo-worker
fi

mkdir -p "$run_dir" "$log_dir" "$state_dir/mariadb/tmp" "$state_dir/nginx"
chmod 700 "$state_dir/mariadb"
as_root=0
[ "$(id -u)" -eq 0 ] && as_root=1

# Starts "$@" in the background in a session of its own (a Ctrl-C in this terminal does not
# reach it), output to logs/$name.log, pid to run/$name.pid.
launch() {
  local name=$1
  shift
  failed_component=$name
  echo "--- start.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log_dir/$name.log"
  setsid "$@" </dev/null >>"$log_dir/$name.log" 2>&1 &
  echo $! >"$run_dir/$name.pid"
}

# Waits up to $2 seconds for the command "${@:3}" to succeed while process $1 lives.
wait_for() {
  local name=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    pid_alive "$(cluster_pid "$name")" || fail "$name exited while starting"
    [ "$SECONDS" -lt "$deadline" ] || fail "$name not ready within $seconds s"
    sleep 0.2
  done
}

# --- memcached -----------------------------------------------------------------------------
memcached_args=(-l 127.0.0.1 -p "$memcached_port" -U 0 -m 64 -t 2)
[ "$as_root" -eq 1 ] && memcached_args+=(-u root)
launch memcached memcached "${memcached_args[@]}"
wait_for memcached 10 port_open "$memcached_port"
say "memcached on 127.0.0.1:$memcached_port"

# --- MariaDB: its own data directory, initialised once and kept between starts -------------
mariadb_data=$state_dir/mariadb/data
if [ ! -d "$mariadb_data/mysql" ]; then
  say "initialising MariaDB in $mariadb_data"
  # Administered over the private socket only: root (or, run as another user, that user)
  # authenticates by its operating-system identity; no account without a password.
  install_args=(--no-defaults --datadir="$mariadb_data" --auth-root-authentication-method=socket
    --skip-test-db --skip-name-resolve)
  if [ "$as_root" -eq 1 ]; then
    install_args+=(--user=root)
  else
    install_args+=(--auth-root-socket-user="$(id -un)")
  fi
  failed_component=mariadb-install
  mariadb-install-db "${install_args[@]}" >"$log_dir/mariadb-install.log" 2>&1 ||
    fail "mariadb-install-db failed"
fi
mariadbd_args=(--no-defaults --datadir="$mariadb_data" --port="$mariadb_port"
  --bind-address=127.0.0.1 --socket="$mariadb_socket" --pid-file="$state_dir/mariadb/mariadbd.pid"
  --log-error="$log_dir/mariadb.log" --tmpdir="$state_dir/mariadb/tmp" --skip-name-resolve
  --skip-log-bin --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2
  --max-connections=300)
[ "$as_root" -eq 1 ] && mariadbd_args+=(--user=root)
launch mariadb mariadbd "${mariadbd_args[@]}"
wait_for mariadb 60 mariadb_root -e 'SELECT 1'

# The application's user gets a random password, kept only in the state directory.
password_file=$state_dir/mariadb/pcfdemo-password
if [ ! -s "$password_file" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$password_file")
fi
db_password=$(cat "$password_file")
# Through stdin, so the password never shows in a process list.
mariadb_root --batch <<SQL
CREATE DATABASE IF NOT EXISTS pcfdemo;
CREATE USER IF NOT EXISTS 'pcfdemo'@'127.0.0.1' IDENTIFIED BY '$db_password';
ALTER USER 'pcfdemo'@'127.0.0.1' IDENTIFIED BY '$db_password';
GRANT ALL PRIVILEGES ON pcfdemo.* TO 'pcfdemo'@'127.0.0.1';
SQL
say "MariaDB on 127.0.0.1:$mariadb_port, database pcfdemo"

# Settings every pcfdemo process reads from its environment (not flags: the database URL
# holds the password, and a process's environment is private, its arguments are not).
export PCFDEMO_MEMCACHED=127.0.0.1:$memcached_port
export PCFDEMO_DATABASE_URL="mysql://pcfdemo:$db_password@127.0.0.1:$mariadb_port/pcfdemo"
export PCFDEMO_DESTINATION=http://127.0.0.1:$nginx_port/receiver

# --- three web instances, no workers inside --------------------------------------------------
for ((i = 0; i < web_instances; i++)); do
  port=$((web_base_port + i))
  launch "web-$i" "$web_binary" --bind 127.0.0.1 --port "$port" --instance-index "$i" \
    --no-workers --data-dir "$state_dir/web-$i" "${web_args[@]}"
done
for ((i = 0; i < web_instances; i++)); do
  port=$((web_base_port + i))
  failed_component=web-$i
  wait_for "web-$i" 30 curl -sf --max-time 2 "http://127.0.0.1:$port/readyz"
  say "pcfdemo-web instance $i on 127.0.0.1:$port"
done

# --- nginx in front, round robin ---------------------------------------------------------------
nginx_prefix=$state_dir/nginx
nginx_user=
if [ "$as_root" -eq 1 ]; then
  # Workers drop to nobody; the settings below keep them off the file system entirely.
  nginx_user="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
fi
upstream_servers=
for ((i = 0; i < web_instances; i++)); do
  upstream_servers+="    server 127.0.0.1:$((web_base_port + i));"$'\n'
done
cat >"$nginx_prefix/nginx.conf" <<CONF
# Written by examples/local-cluster/start.sh on every start.
$nginx_user
daemon off;
worker_processes auto;
pid $nginx_prefix/nginx.pid;
error_log $log_dir/nginx-error.log warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  client_body_temp_path $nginx_prefix/client_body;
  proxy_temp_path $nginx_prefix/proxy;
  fastcgi_temp_path $nginx_prefix/fastcgi;
  uwsgi_temp_path $nginx_prefix/uwsgi;
  scgi_temp_path $nginx_prefix/scgi;
  # Request bodies stay in memory and responses are never buffered to disk.
  client_body_buffer_size 64k;
  client_max_body_size 64k;
  proxy_max_temp_file_size 0;

  upstream pcfdemo_web {
    # Round robin, the default.
$upstream_servers
    keepalive 64;
    # Shorter than pcfdemo-web's own keep-alive (60 s), so nginx never reuses a connection
    # the instance is closing.
    keepalive_timeout 30s;
  }

  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://pcfdemo_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host:\$server_port;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
    }
  }
}
CONF
failed_component=nginx
nginx -t -p "$nginx_prefix" -c "$nginx_prefix/nginx.conf" -e "$log_dir/nginx-error.log" \
  >"$log_dir/nginx.log" 2>&1 || fail "nginx rejected $nginx_prefix/nginx.conf"
launch nginx nginx -p "$nginx_prefix" -c "$nginx_prefix/nginx.conf" -e "$log_dir/nginx-error.log"
wait_for nginx 30 curl -sf --max-time 2 "http://127.0.0.1:$nginx_port/readyz"
say "nginx on 127.0.0.1:$nginx_port, round robin over $web_instances instances"

# --- workers ----------------------------------------------------------------------------------
for ((i = 0; i < request_workers; i++)); do
  launch "request-worker-$i" "$worker_binary" request
done
launch cpu-worker "$worker_binary" cpu
sleep 1
for name in $(cluster_processes); do
  failed_component=$name
  pid_alive "$(cluster_pid "$name")" || fail "$name exited"
done
failed_component=
trap - ERR

say "running; state and logs in $state_dir"
say "open http://127.0.0.1:$nginx_port/   (status.sh shows the processes, stop.sh stops them)"
