#!/usr/bin/env bash
# Browser tests of pcfdemo-web's pages: starts the given pcfdemo-web on a free loopback port
# with a temporary data directory and planted environment variables (a secret, a database
# URL with a password, markup), drives Debian's headless Chromium through playwright-core
# with node's test runner, saves screenshots under tests/browser/screenshots/, and stops
# the server whatever happens.
#
# Usage: tests/browser/run.sh PATH/TO/pcfdemo-web [node --test options]
# Needs: /usr/bin/chromium, node >= 20 and npm (installed here with apt-get when missing),
# and the npm registry the first time (npm ci) unless node_modules is already there.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH/TO/pcfdemo-web [node --test options, e.g. --test-name-pattern=Sender]" >&2
  exit 2
fi
web_binary=$(readlink -f "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)

apt_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "installing $* needs root" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

[ -x /usr/bin/chromium ] || apt_install chromium
command -v node >/dev/null || apt_install nodejs
command -v npm >/dev/null || apt_install npm
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "the browser tests need Node.js 20 or later (playwright-core $(
    node -p 'require("'"$here"'/package.json").devDependencies["playwright-core"]')); found $(node --version)" >&2
  exit 1
fi

cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

port=$(node -e '
  const server = require("net").createServer();
  server.listen(0, "127.0.0.1", () => { console.log(server.address().port); server.close(); });')
work=$(mktemp -d "${TMPDIR:-/tmp}/pcfdemo-browser.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Calls may go to any port of 127.0.0.1: the tests put a slow relay in front of /receiver so
# that a run lasts long enough to be watched.
# Values the pages must never show (a random part, so no page can contain them by chance),
# and markup that must come out as text.
suffix=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
export PCFDEMO_BROWSER_SECRET="browser-secret-$suffix"
export PCFDEMO_BROWSER_DB_PASSWORD="hunter2-$suffix"
export PCFDEMO_BROWSER_MARKUP="<script>window.pcfdemoPlanted = true</script><b>bold?</b>"
export PCFDEMO_BROWSER_BASE_URL="http://127.0.0.1:$port"
export PCFDEMO_BROWSER_SCREENSHOTS="$here/screenshots"

# A clean environment, so the overview (and its screenshot) shows only what is set here.
env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 \
  PCFDEMO_TEST_SECRET_PASSWORD="$PCFDEMO_BROWSER_SECRET" \
  MYSQL_URL="mysql://user:$PCFDEMO_BROWSER_DB_PASSWORD@db/x" \
  PCFDEMO_TEST_MARKUP="$PCFDEMO_BROWSER_MARKUP" \
  "$web_binary" --port "$port" --bind 127.0.0.1 --data-dir "$work/data" \
  --database "sqlite://$work/data/runs.db" --allowed-destinations 127.0.0.1 \
  >"$work/server.log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 1 100); do
  if curl -fsS "$PCFDEMO_BROWSER_BASE_URL/healthz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" -ne 1 ]; then
  echo "pcfdemo-web did not start on port $port; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

status=0
node --test --test-concurrency=1 --test-reporter=spec "$@" ui.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- pcfdemo-web log ---" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
