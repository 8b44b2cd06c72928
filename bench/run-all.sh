#!/usr/bin/env bash
# `make bench`: every benchmark, each printing ratios against a peer measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SVL_BUILD_DIR:-$PWD/build}
export SVL_BINARY="$build/svl"
echo "== Docker floor (bench/docker)"
"$build/bench/docker/svl_bench_docker_floor" 20 60
echo; echo "== cold starts through svl (bench/cold_start)"
"$build/bench/cold_start/svl_bench_cold_start" 20
echo; echo "== gateway vs nginx (bench/gateway)"
bash bench/gateway/run.sh
echo; echo "== keep-alive policies on the Azure traces (bench/policies)"
bash bench/policies/run.sh
