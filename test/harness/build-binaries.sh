#!/usr/bin/env bash
# Builds the upstream control-plane binaries that the test harness and `make demo` run,
# from their Go modules only (no release downloads, no copied sources), pinned, into a
# cache outside the clone keyed by version so that every clone on this machine reuses them.
#
#   test/harness/build-binaries.sh            build what is missing, print the bin dir
#   test/harness/build-binaries.sh --print    print the bin dir only (no build)
set -euo pipefail

K8S_VERSION=v1.37.2     # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.7.3     # the etcd minor that k8s.io/kubernetes v1.37 requires
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.22.0

cache_root="${SOVEREIGN_PLACEMENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sovereign-placement}"
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}"
bin_dir="$cache_root/$key/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm)

if [[ "${1:-}" == "--print" ]]; then echo "$bin_dir"; exit 0; fi

missing=()
for b in "${binaries[@]}"; do [[ -x "$bin_dir/$b" ]] || missing+=("$b"); done
if [[ ${#missing[@]} -eq 0 ]]; then echo "$bin_dir"; exit 0; fi

command -v go >/dev/null || { echo "build-binaries: 'go' is not on PATH; Go >= 1.26 is needed to build the test control plane" >&2; exit 1; }
work="$cache_root/$key/work"
mkdir -p "$bin_dir" "$work"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$(date +%s)
log() { echo "build-binaries: $*" >&2; }

# A throwaway module that requires one upstream module; its go.mod is written here.
wrapper() { # dir module version
  local dir="$work/$1"; mkdir -p "$dir"
  printf 'module sovereign-placement.io/harness/%s\n\ngo 1.26.0\n\nrequire %s %s\n' "$1" "$2" "$3" > "$dir/go.mod"
  echo "$dir"
}

build_k8s() {
  local dir minor ldflags mod_file
  dir=$(wrapper kubernetes k8s.io/kubernetes "$K8S_VERSION")
  (cd "$dir" && go mod download k8s.io/kubernetes)
  mod_file="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/${K8S_VERSION}.mod"
  # k8s.io/kubernetes points its staging modules at ./staging; a consumer must replace
  # each of them with the published v0.X.Y of the same release.
  local staging="v0.${K8S_VERSION#v1.}"
  grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$mod_file" |
    awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}' >> "$dir/go.mod"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [[ -x "$bin_dir/$b" ]] && continue
    log "building $b $K8S_VERSION"
    (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$b.tmp" "k8s.io/kubernetes/cmd/$b") && mv "$bin_dir/$b.tmp" "$bin_dir/$b"
  done
}

build_one() { # name module version package ldflags
  [[ -x "$bin_dir/$1" ]] && return 0
  local dir; dir=$(wrapper "$1" "$2" "$3")
  log "building $1 $3"
  (cd "$dir" && go mod download "$2" && go build -trimpath -ldflags "$5" -o "$bin_dir/$1.tmp" "$4") && mv "$bin_dir/$1.tmp" "$bin_dir/$1"
}

build_one etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "-s -w"
build_one kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
build_one helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
build_k8s

log "built ${missing[*]} in $(( $(date +%s) - start ))s into $bin_dir"
echo "$bin_dir"
