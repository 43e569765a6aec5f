#!/usr/bin/env bash
# `make demo`: on a kind cluster where kind and a running Docker engine are present (nothing to build
# but KWOK), otherwise on the built-in control plane (built from Go modules on first use: only the
# five binaries the demo runs, not kubectl and helm). DEMO_CLUSTER=local or kind chooses; with
# --kubeconfig the demo uses that cluster. Arguments go to scripts/demo.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
cluster="${DEMO_CLUSTER:-}"
if [[ " ${args[*]-} " == *" --kubeconfig"* ]]; then
  cluster=existing
elif [[ -z "$cluster" ]]; then
  if command -v kind >/dev/null 2>&1 && docker info >/dev/null 2>&1; then cluster=kind; else cluster=local; fi
fi
case "$cluster" in
  kind)
    echo "demo: kind and a Docker engine are here: the demo runs on a kind cluster (DEMO_CLUSTER=local for the built-in control plane)" >&2
    test/harness/build-binaries.sh kwok >/dev/null
    args+=(--kind) ;;
  local)
    test/harness/build-binaries.sh etcd kube-apiserver kube-controller-manager kube-scheduler kwok >/dev/null ;;
  existing)
    test/harness/build-binaries.sh kwok >/dev/null ;;
  *)
    echo "demo: DEMO_CLUSTER must be kind or local, not '$cluster'" >&2
    exit 2 ;;
esac
exec scripts/with-node.sh node scripts/demo.ts "${args[@]}"
