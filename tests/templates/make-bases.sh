#!/usr/bin/env bash
# Builds the local stand-ins for the public base images the templates name in `ARG BASE=...`
# (Docker Hub cannot be reached here). Idempotent: an image that already exists under its tag
# is kept, so a second run takes a second. Every image is labelled svl.test=bases.
#
#   svl-base-debian:bookworm   debootstrap --variant=minbase, docker import   (debian:bookworm; the cpp
#                              template's builder installs g++ and Boost on it with apt)
#   svl-base-node:bookworm     + nodejs npm                                   (node:20-slim)
#   svl-base-python:bookworm   + python3                                      (python:3.11-slim)
#   svl-base-go:bookworm       + golang-go                                    (golang:1.19)
# Each derived base also trusts the host's extra CAs (/usr/local/share/ca-certificates), see below.
#
# Usage: make-bases.sh [debian|node|python|go ...]   (default: all)
# Env:   SVL_BASES_TIMEOUT  seconds allowed for the whole run (default 1200)
#        SVL_DEBIAN_MIRROR  mirror for debootstrap (default: the host's first Debian URI)
set -euo pipefail

deadline=$(( $(date +%s) + ${SVL_BASES_TIMEOUT:-1200} ))
log() { printf '[make-bases %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
remaining() { local r=$(( deadline - $(date +%s) )); (( r > 0 )) || { log "time budget exhausted"; exit 124; }; echo "$r"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
scratch_dirs=()
trap 'rm -rf "${scratch_dirs[@]}"' EXIT

host_mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_debian() {
  local tag=svl-base-debian:bookworm
  if have_image "$tag"; then log "$tag exists"; return; fi
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    timeout "$(remaining)" apt-get install -y -q debootstrap >/dev/null \
      || { timeout "$(remaining)" apt-get update -q >/dev/null && timeout "$(remaining)" apt-get install -y -q debootstrap >/dev/null; }
  fi
  local root mirror
  root=$(mktemp -d /tmp/svl-debootstrap.XXXXXX)
  scratch_dirs+=("$root" "$root.log")
  mirror=${SVL_DEBIAN_MIRROR:-$(host_mirror)}
  log "debootstrap bookworm from $mirror"
  timeout "$(remaining)" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; return 1; }
  # Slim it like the official image: no apt lists or caches, no docs.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | timeout "$(remaining)" docker import \
    --change 'LABEL svl.test=bases' --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$tag" >/dev/null
  log "$tag built"
}

# build_derived TAG PACKAGES... : FROM svl-base-debian:bookworm + apt-get install.
build_derived() {
  local tag=$1; shift
  if have_image "$tag"; then log "$tag exists"; return; fi
  log "building $tag (${*})"
  local ctx
  ctx=$(mktemp -d /tmp/svl-base-ctx.XXXXXX)
  scratch_dirs+=("$ctx")
  # The host's own extra CAs (e.g. a TLS-intercepting egress proxy's) go into the image's trust
  # store, and Node is told to use it, so `npm ci` in a template build reaches the registry
  # exactly as the host does. Without extra CAs this adds nothing.
  mkdir -p "$ctx/ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM svl-base-debian:bookworm
LABEL svl.test=bases
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $* ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
DOCKERFILE
  timeout "$(remaining)" docker build -q -t "$tag" "$ctx" >/dev/null
  log "$tag built"
}

targets=("$@")
(( ${#targets[@]} )) || targets=(debian node python go)
start=$(date +%s)
build_debian
for t in "${targets[@]}"; do
  case "$t" in
    debian) ;;
    node)   build_derived svl-base-node:bookworm nodejs npm ;;
    python) build_derived svl-base-python:bookworm python3 ;;
    go)     build_derived svl-base-go:bookworm golang-go ;;
    *) log "unknown base '$t'"; exit 2 ;;
  esac
done
log "done in $(( $(date +%s) - start )) s"
