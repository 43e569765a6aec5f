#!/usr/bin/env bash
# Builds the upstream control-plane binaries that the test harness and `make demo` run,
# from their Go modules only (no release downloads, no copied sources), pinned, into a
# cache outside the clone keyed by version so that every clone on this machine reuses them.
#
#   test/harness/build-binaries.sh                  build what is missing, print the bin dir
#   test/harness/build-binaries.sh etcd kwok ...    build only these (when missing), print the bin dir
#   test/harness/build-binaries.sh --print          print the bin dir only (no build)
#   test/harness/build-binaries.sh descheduler      also build an optional binary (only when asked:
#                                                   `make bench` uses it; nothing else needs it)
#   test/harness/build-binaries.sh karmada          build Karmada's components (only when asked: `make
#                                                   karmada-binaries`); prints Karmada's dir, which holds
#                                                   bin/ and the CRDs and webhook configuration of its
#                                                   module (share/); about 20 minutes cold on 2 cores
#   test/harness/build-binaries.sh --print-karmada  print Karmada's dir only (no build)
#
# One line per binary on stderr, with the time it took and what is left; the Go toolchain's own output
# (module downloads, compiler) goes to build.log beside bin/, shown only when a build fails.
set -euo pipefail

K8S_VERSION=v1.37.2     # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.7.3     # the etcd minor that k8s.io/kubernetes v1.37 requires
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.22.0
DESCHEDULER_VERSION=v0.36.0   # optional (built only when named): the comparison in `make bench`
KARMADA_VERSION=v1.18.2       # optional (built only when named `karmada`): the Karmada control plane

cache_root="${SOVEREIGN_PLACEMENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sovereign-placement}"
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}"
bin_dir="$cache_root/$key/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm)
optional=(descheduler)

# Karmada's components do not depend on the versions above: they have a cache dir of their own, keyed by
# Karmada's version, with bin/ and share/ (files of its Go module that the harness applies).
karmada_dir="$cache_root/karmada-${KARMADA_VERSION}"
karmada_binaries=(karmada-aggregated-apiserver karmada-controller-manager karmada-scheduler karmada-webhook)

if [[ "${1:-}" == "--print" ]]; then echo "$bin_dir"; exit 0; fi
if [[ "${1:-}" == "--print-karmada" ]]; then echo "$karmada_dir"; exit 0; fi

base="$cache_root/$key"   # holds work/ (the wrapper modules) and build.log
if [[ "${1:-}" == "karmada" ]]; then
  [[ $# -eq 1 ]] || { echo "build-binaries: 'karmada' is built on its own (build-binaries.sh karmada)" >&2; exit 2; }
  missing=()
  for b in "${karmada_binaries[@]}"; do [[ -x "$karmada_dir/bin/$b" ]] || missing+=("$b"); done
  if [[ ${#missing[@]} -eq 0 && -f "$karmada_dir/share/webhook-configuration.yaml" && -d "$karmada_dir/share/crds" ]]; then
    echo "$karmada_dir"; exit 0
  fi
  base="$karmada_dir"
  bin_dir="$karmada_dir/bin"
else
  wanted=("${binaries[@]}")
  if [[ $# -gt 0 ]]; then
    for b in "$@"; do
      [[ " ${binaries[*]} ${optional[*]} " == *" $b "* ]] || { echo "build-binaries: unknown binary '$b' (known: ${binaries[*]} ${optional[*]} karmada)" >&2; exit 2; }
    done
    wanted=("$@")
  fi
  missing=()
  for b in "${wanted[@]}"; do [[ -x "$bin_dir/$b" ]] || missing+=("$b"); done
  if [[ ${#missing[@]} -eq 0 ]]; then echo "$bin_dir"; exit 0; fi
fi
want() { [[ " ${missing[*]} " == *" $1 "* ]]; }

command -v go >/dev/null || { echo "build-binaries: 'go' is not on PATH; Go >= 1.26 is needed to build the test control plane" >&2; exit 1; }
work="$base/work"
mkdir -p "$bin_dir" "$work"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$(date +%s)
build_log="$base/build.log"
: > "$build_log"
log() { echo "build-binaries: $*" >&2; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
done_count=0

# Runs "$@" with its output in build.log; says every minute that it is still going, and shows the end
# of the log if it fails.
logged() { # what cmd...
  local what=$1; shift
  local t0; t0=$(date +%s)
  log "[$((done_count + 1))/${#missing[@]}] building $what ($(elapsed "$start") elapsed)"
  "$@" >>"$build_log" 2>&1 &
  local pid=$!
  while ! wait_for "$pid" 60; do log "    still on $what: $(elapsed "$t0")"; done
  if ! wait "$pid"; then
    log "$what failed after $(elapsed "$t0"); the end of $build_log:"
    tail -n 30 "$build_log" >&2
    exit 1
  fi
  done_count=$((done_count + 1))
  local left=$(( ${#missing[@]} - done_count ))
  log "    done in $(elapsed "$t0"); $left left"
}
# True when process $1 ended within $2 seconds.
wait_for() {
  local i
  for ((i = 0; i < $2; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 1; done
  return 1
}

if [[ "$base" == "$karmada_dir" ]]; then
  log "building Karmada $KARMADA_VERSION (${missing[*]}) from its Go module into $bin_dir: 10 to 20 minutes the first time on 2 cores (mostly the first component); Go's output is in $build_log"
elif want kube-apiserver || want kube-controller-manager || want kube-scheduler || want kubectl; then
  log "building ${missing[*]} from Go modules into $bin_dir: the first time takes 10 to 25 minutes on 2 cores (mostly kube-apiserver and its module downloads); Go's output is in $build_log"
else
  log "building ${missing[*]} from Go modules into $bin_dir (a few minutes); Go's output is in $build_log"
fi

# A throwaway module that requires one upstream module; its go.mod is written here.
wrapper() { # dir module version
  local dir="$work/$1"; mkdir -p "$dir"
  printf 'module sovereign-placement.io/harness/%s\n\ngo 1.26.0\n\nrequire %s %s\n' "$1" "$2" "$3" > "$dir/go.mod"
  echo "$dir"
}

build_k8s() {
  want kube-apiserver || want kube-controller-manager || want kube-scheduler || want kubectl || return 0
  local dir minor ldflags mod_file
  dir=$(wrapper kubernetes k8s.io/kubernetes "$K8S_VERSION")
  log "resolving k8s.io/kubernetes $K8S_VERSION (module download)"
  (cd "$dir" && go mod download k8s.io/kubernetes) >>"$build_log" 2>&1 ||
    { log "go mod download k8s.io/kubernetes failed; the end of $build_log:"; tail -n 30 "$build_log" >&2; exit 1; }
  mod_file="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/${K8S_VERSION}.mod"
  # k8s.io/kubernetes points its staging modules at ./staging; a consumer must replace
  # each of them with the published v0.X.Y of the same release.
  local staging="v0.${K8S_VERSION#v1.}"
  grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$mod_file" |
    awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}' >> "$dir/go.mod"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    want "$b" || continue
    logged "$b $K8S_VERSION" bash -c 'cd "$1" && go build -trimpath -ldflags "$2" -o "$3.tmp" "k8s.io/kubernetes/cmd/$4" && mv "$3.tmp" "$3"' _ "$dir" "$ldflags" "$bin_dir/$b" "$b"
  done
}

build_one() { # name module version package ldflags
  want "$1" || return 0
  local dir; dir=$(wrapper "$1" "$2" "$3")
  logged "$1 $3" bash -c 'cd "$1" && go mod download "$2" && go build -trimpath -ldflags "$5" -o "$3.tmp" "$4" && mv "$3.tmp" "$3"' _ "$dir" "$2" "$bin_dir/$1" "$4" "$5"
}

build_one etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "-s -w"
build_one kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
build_one helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
# The descheduler's go.mod has one replace directive, which a consumer has to copy (a replace applies
# only in the main module).
build_descheduler() {
  want descheduler || return 0
  local dir; dir=$(wrapper descheduler sigs.k8s.io/descheduler "$DESCHEDULER_VERSION")
  printf '\nreplace k8s.io/kube-openapi => k8s.io/kube-openapi v0.0.0-20260512234627-ef417d054102\n' >> "$dir/go.mod"
  logged "descheduler $DESCHEDULER_VERSION" bash -c 'cd "$1" && go mod download sigs.k8s.io/descheduler && go build -trimpath -ldflags "$3" -o "$2.tmp" sigs.k8s.io/descheduler/cmd/descheduler && mv "$2.tmp" "$2"' _ "$dir" "$bin_dir/descheduler" "-s -w -X sigs.k8s.io/descheduler/pkg/version.version=${DESCHEDULER_VERSION}"
}

# Karmada: this proxy refuses the module's version list, so `go install ...@version` fails; a wrapper
# module that requires it and imports its commands from tools.go (build tag `tools`, never compiled)
# pins it. Its go.mod has no replace directives. The CRDs (charts/karmada/_crds, with their kustomize
# patches) and the webhook configuration (artifacts/deploy) are copied from the module into share/.
build_karmada() {
  [[ "$base" == "$karmada_dir" ]] || return 0
  local dir mod b ldflags
  dir=$(wrapper karmada github.com/karmada-io/karmada "$KARMADA_VERSION")
  { echo '//go:build tools'; echo; echo 'package tools'; echo; echo 'import ('
    for b in "${karmada_binaries[@]}"; do echo "	_ \"github.com/karmada-io/karmada/cmd/${b#karmada-}\""; done
    echo ')'; } > "$dir/tools.go"
  log "resolving github.com/karmada-io/karmada $KARMADA_VERSION (module download)"
  (cd "$dir" && go mod download github.com/karmada-io/karmada) >>"$build_log" 2>&1 ||
    { log "go mod download github.com/karmada-io/karmada failed; the end of $build_log:"; tail -n 30 "$build_log" >&2; exit 1; }
  mod=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/karmada-io/karmada)
  [[ -d "$mod/charts/karmada/_crds" ]] || { log "$mod/charts/karmada/_crds is missing"; exit 1; }
  rm -rf "$karmada_dir/share.tmp" && mkdir -p "$karmada_dir/share.tmp"
  cp -r "$mod/charts/karmada/_crds" "$karmada_dir/share.tmp/crds"
  cp "$mod/artifacts/deploy/webhook-configuration.yaml" "$karmada_dir/share.tmp/webhook-configuration.yaml"
  chmod -R u+w "$karmada_dir/share.tmp"
  rm -rf "$karmada_dir/share" && mv "$karmada_dir/share.tmp" "$karmada_dir/share"
  ldflags="-s -w -X github.com/karmada-io/karmada/pkg/version.gitVersion=${KARMADA_VERSION} -X github.com/karmada-io/karmada/pkg/version.gitTreeState=clean"
  for b in "${karmada_binaries[@]}"; do
    want "$b" || continue
    logged "$b $KARMADA_VERSION" bash -c 'cd "$1" && go build -trimpath -ldflags "$2" -o "$3.tmp" "github.com/karmada-io/karmada/cmd/$4" && mv "$3.tmp" "$3"' _ "$dir" "$ldflags" "$bin_dir/$b" "${b#karmada-}"
  done
}

build_k8s
build_descheduler
build_karmada

log "built ${missing[*]} in $(elapsed "$start") into $bin_dir"
if [[ "$base" == "$karmada_dir" ]]; then echo "$karmada_dir"; else echo "$bin_dir"; fi
