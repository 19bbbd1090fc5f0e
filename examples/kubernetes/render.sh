#!/usr/bin/env bash
# Writes the plain-YAML manifests pcfdemo-standalone.yaml and pcfdemo-services.yaml from the
# kustomize overlays, for clusters applied with `kubectl apply -f` alone. Run it after changing
# anything under base/ or overlays/; tests/platform/check_manifests.py fails while the plain
# files and the overlays disagree.
# Needs kubectl (its built-in kustomize) or kustomize.
set -euo pipefail
cd "$(dirname "$0")"

if command -v kubectl >/dev/null; then
  build=(kubectl kustomize)
elif command -v kustomize >/dev/null; then
  build=(kustomize build)
else
  echo "render.sh: needs kubectl or kustomize" >&2
  exit 1
fi

for mode in standalone services; do
  {
    echo "# pcfdemo on Kubernetes, $mode mode, as plain YAML: kubectl apply -f pcfdemo-$mode.yaml"
    echo "# Generated from overlays/$mode by render.sh; edit the overlay, then run render.sh."
    "${build[@]}" "overlays/$mode"
  } >"pcfdemo-$mode.yaml"
  echo "wrote pcfdemo-$mode.yaml"
done
