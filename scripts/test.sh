#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test: unit tests, integration tests
# against real memcached and MariaDB (the test fixtures start them on free loopback ports in
# temporary directories and stop them), end-to-end tests of the real binaries, browser tests.
# Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_deps test

build_dir=${PCFDEMO_BUILD_DIR:-build/test}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@"
