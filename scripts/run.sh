#!/usr/bin/env bash
# Installs what pcfdemo needs, builds it and starts pcfdemo-web in standalone mode: runs kept
# in a SQLite file under ./pcfdemo-data, the request and CPU load workers inside the process.
# Open http://localhost:8080. Extra arguments go to pcfdemo-web (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_deps run

build_dir=${PCFDEMO_BUILD_DIR:-build/release}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DPCFDEMO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target pcfdemo-web pcfdemo-worker
exec "$build_dir/pcfdemo-web" --data-dir pcfdemo-data "$@"
