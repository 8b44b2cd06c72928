#!/usr/bin/env bash
# Installs, from Debian's archive, only the packages svl needs that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libcurl4-openssl-dev prometheus-cpp-dev nlohmann-json3-dev doctest-dev
  libsqlite3-dev libtomlplusplus-dev libcli11-dev libarchive-dev libssl-dev
  libhowardhinnant-date-dev libsodium-dev tzdata
  pebble certbot
  docker.io curl
  clang libclang-rt-14-dev
)
# Extra tools some targets need: the benchmarks' peers, the observability proof, and Postgres
# and PgBouncer for the databases work (no CI test runs them yet; docs/databases.md).
if [[ "${SVL_DEPS_EXTRA:-}" == 1 ]]; then
  packages+=(wrk nginx-light nghttp2-client prometheus postgresql-15 pgbouncer)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
