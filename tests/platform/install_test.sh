#!/usr/bin/env bash
# Tests the installed CMake package of pcfdemo the way another program uses it:
#   1. installs pcfdemo (headers, libpcfdemo, the mocks, the CMake package) to a temporary
#      prefix with `cmake --install`;
#   2. configures examples/embed-fanout against that prefix alone with find_package(pcfdemo
#      COMPONENTS mocks), builds it and runs its tests (which use the installed mocks);
#   3. runs embed-fanout against a small HTTP server it starts on 127.0.0.1 and checks what
#      the program reports: every call answered and counted by instance, and an early stop
#      when the server fails more calls than --max-failures allows.
#
# Usage: tests/platform/install_test.sh [BUILD_DIR]
#   BUILD_DIR: an existing build tree of pcfdemo to install from (saves a build); without
#   it, a temporary one is configured and only the library and the mocks are built.
# Exits non-zero with a reason on the first failed check. Leaves nothing running.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pcfdemo-install-test.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

jobs=${PCFDEMO_INSTALL_TEST_JOBS:-2}
prefix="$work/prefix"

# --- 1. install ---------------------------------------------------------------------------
if [ $# -ge 1 ] && [ -n "$1" ]; then
  build_dir=$(cd "$1" && pwd)
  [ -f "$build_dir/CMakeCache.txt" ] || fail "$build_dir is not a configured build tree"
  step "building the installable targets in $build_dir"
  targets=(pcfdemo)
  available=$(cmake --build "$build_dir" --target help)
  for target in pcfdemo_mocks pcfdemo-web pcfdemo-worker; do
    if grep -q -- "\.\.\. $target\$" <<<"$available"; then targets+=("$target"); fi
  done
  cmake --build "$build_dir" -j"$jobs" --target "${targets[@]}" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; fail "building ${targets[*]} failed"; }
else
  build_dir="$work/build"
  step "configuring a library-only build in $build_dir"
  cmake -S "$source_dir" -B "$build_dir" -DPCFDEMO_BUILD_FRONTENDS=OFF -DPCFDEMO_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/configure.log" 2>&1 ||
    { tail -30 "$work/configure.log" >&2; fail "configuring pcfdemo failed"; }
  cmake --build "$build_dir" -j"$jobs" --target pcfdemo pcfdemo_mocks >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; fail "building pcfdemo and its mocks failed"; }
fi

step "cmake --install to $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { tail -30 "$work/install.log" >&2; fail "cmake --install failed"; }

libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
libdir=${libdir:-lib}
for path in include/pcfdemo/request_fanout.h include/pcfdemo/key_value_store.h \
  include/pcfdemo/mocks/mocks.h "$libdir/libpcfdemo.a" "$libdir/libpcfdemo_mocks.a" \
  "$libdir/cmake/pcfdemo/pcfdemoConfig.cmake" "$libdir/cmake/pcfdemo/pcfdemoConfigVersion.cmake" \
  "$libdir/cmake/pcfdemo/pcfdemoTargets.cmake" "$libdir/cmake/pcfdemo/pcfdemoMocksTargets.cmake" \
  "$libdir/cmake/pcfdemo/FindSOCI.cmake"; do
  [ -f "$prefix/$path" ] || fail "the install lacks $path"
done
# The installed headers must stand on their own: no third-party header of an adapter leaks.
if grep -R -l -E '#include <(curl|libmemcached|soci|pistache|nlohmann)/' "$prefix/include/pcfdemo" \
  --include='*.h' | grep -v '/mocks/'; then
  fail "an installed header includes a backend library's header"
fi
echo "installed: headers, $libdir/libpcfdemo.a, $libdir/libpcfdemo_mocks.a, the CMake package"

# --- 2. build the example against the installed package ------------------------------------
example_build="$work/embed-fanout"
step "configuring examples/embed-fanout against $prefix"
# Only the prefix: the example must not see pcfdemo's source tree or build tree.
cmake -S "$source_dir/examples/embed-fanout" -B "$example_build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON \
  -DEMBED_FANOUT_TESTS=ON >"$work/example-configure.log" 2>&1 ||
  { tail -30 "$work/example-configure.log" >&2; fail "find_package(pcfdemo) from the prefix failed"; }
found_dir=$(sed -n 's/^pcfdemo_DIR:PATH=//p' "$example_build/CMakeCache.txt")
[ "$found_dir" = "$prefix/$libdir/cmake/pcfdemo" ] ||
  fail "find_package(pcfdemo) found '$found_dir', not the temporary prefix"
if grep -q -F "$source_dir/libpcfdemo" "$example_build/CMakeFiles/embed-fanout.dir/flags.make" \
  "$example_build/CMakeFiles/fanout_budget.dir/flags.make"; then
  fail "the example compiles with pcfdemo's source headers instead of the installed ones"
fi
step "building examples/embed-fanout"
cmake --build "$example_build" -j"$jobs" >"$work/example-build.log" 2>&1 ||
  { tail -40 "$work/example-build.log" >&2; fail "building the example against the install failed"; }

step "running the example's tests (installed mocks)"
"$example_build/embed-fanout-test" --gtest_brief=1 >"$work/example-test.log" 2>&1 ||
  { cat "$work/example-test.log" >&2; fail "embed-fanout-test failed"; }
grep -E '^\[  PASSED  \] [0-9]+ tests?' "$work/example-test.log" ||
  fail "embed-fanout-test reported no passed tests"

# --- 3. run the example against a loopback server -----------------------------------------
step "starting a loopback HTTP server"
cat >"$work/server.py" <<'PY'
# Answers GET /ok with 200 and GET /broken with 503, naming itself in X-Pcfdemo-Instance as
# a pcfdemo receiver does. Prints its port, then serves until it is killed.
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # header and body leave in one write: no delayed-ACK stall per call

    def do_GET(self):
        status = 200 if self.path == "/ok" else 503
        body = b'{"instance":"loopback/0"}' if status == 200 else b'{"error":"broken"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Pcfdemo-Instance", "loopback/0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$work/server.py" >"$work/server.port" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 50); do
  port=$(head -n1 "$work/server.port" 2>/dev/null || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "the loopback server did not start: $(cat "$work/server.log")"

step "embed-fanout: 40 calls, 4 callers, to a server that answers"
status=0
timeout 60 "$example_build/embed-fanout" --url "http://127.0.0.1:$port/ok" --calls 40 \
  --concurrency 4 --timeout-ms 5000 --quiet >"$work/ok.out" 2>"$work/ok.err" || status=$?
cat "$work/ok.out"
[ "$status" -eq 0 ] || fail "embed-fanout exited $status on a healthy server: $(cat "$work/ok.err")"
for line in "calls made: 40" "succeeded: 40" "failed: 0" "stopped early: no" "status 200: 40" \
  "instance loopback/0: 40"; do
  grep -q -x -F "$line" "$work/ok.out" || fail "summary lacks '$line'"
done

step "embed-fanout: a server that fails every call, with --max-failures 5"
status=0
timeout 60 "$example_build/embed-fanout" --url "http://127.0.0.1:$port/broken" --calls 5000 \
  --concurrency 2 --timeout-ms 5000 --max-failures 5 --quiet >"$work/broken.out" \
  2>"$work/broken.err" || status=$?
cat "$work/broken.out"
[ "$status" -eq 1 ] || fail "embed-fanout exited $status, expected 1 for failed calls"
grep -q -x -F "stopped early: yes" "$work/broken.out" || fail "the failure budget did not stop the fan-out"
grep -q -F "stopped after more than 5 failed calls" "$work/broken.err" ||
  fail "embed-fanout did not say why it stopped"
made=$(sed -n 's/^calls made: //p' "$work/broken.out")
# The budget stops new calls after the sixth failure; each of the 2 callers may have one call
# in flight then.
[ -n "$made" ] && [ "$made" -ge 6 ] && [ "$made" -le 8 ] ||
  fail "expected 6 to 8 calls before the stop, the summary says '${made}'"
grep -q -x -F "succeeded: 0" "$work/broken.out" || fail "summary should count no success"

echo "install test passed: find_package(pcfdemo COMPONENTS mocks) from $prefix, example built and ran"
