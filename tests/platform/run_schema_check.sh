#!/usr/bin/env bash
# Checks the Kubernetes examples against the Kubernetes OpenAPI schemas, offline: installs the
# pinned npm packages of schema/package-lock.json once (npm ci), then runs schema/validate.mjs
# on the plain manifests. Exits non-zero with the reason on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

command -v node >/dev/null || { echo "FAIL: node is not installed (Debian: nodejs)" >&2; exit 1; }
if [ ! -f "$here/schema/node_modules/kubernetes-models/package.json" ] ||
   [ ! -f "$here/schema/node_modules/typescript/package.json" ] ||
   [ ! -f "$here/schema/node_modules/yaml/package.json" ]; then
  command -v npm >/dev/null || { echo "FAIL: npm is not installed (Debian: npm)" >&2; exit 1; }
  (cd "$here/schema" && npm ci --no-audit --no-fund --loglevel=error) ||
    { echo "FAIL: npm ci in tests/platform/schema failed" >&2; exit 1; }
fi
node "$here/schema/validate.mjs" "$root"/examples/kubernetes/pcfdemo-*.yaml
