#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/ and runs each for SECONDS
# (default 60), starting from a copy of the committed seeds in fuzz/corpus/<target>/ (the
# committed corpus is never written). Exits non-zero on the first target that crashes, after
# printing the input that crashed it. The seed is fixed (FUZZ_SEED, default 1) so that a run
# on the same code explores the same inputs and CI fails only on what a change brought;
# FUZZ_SEED=0 lets libFuzzer pick one, for long exploratory runs.
#   bash fuzz/run.sh [SECONDS] [TARGET...]      targets: spec admin_requests gateway docker_streams
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(spec admin_requests gateway docker_streams)
out="$root/build-fuzz"

export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
(cd "$root/fuzz" && cmake --preset fuzz >/dev/null)
cmake --build "$out" -j "$(nproc)" >/dev/null

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
for t in "${targets[@]}"; do
  corpus="$out/corpus/$t" crashes="$out/crashes/$t" log="$out/logs/$t.log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  cp -n "$root/fuzz/corpus/$t/"* "$corpus/"  # seeds join what earlier runs found
  echo "fuzz: $t for ${seconds}s (log: ${log#"$root"/})"
  status=0
  "$out/${t}_fuzz" -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    grep -E "ERROR:|runtime error|invariant failed|terminate called|what\(\)" "$log" | head -5 >&2 || true
    crash="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    echo "fuzz: $t FAILED (exit $status); crash input: ${crash:-see $log}" >&2
    exit 1
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  echo "fuzz: $t ok: $runs runs, $rate exec/s, corpus $(ls "$corpus" | wc -l) inputs"
done
