#!/usr/bin/env bash
# Keep-alive policies over the Azure Functions 2019 samples: cold-start % (overall and p75 of
# functions) and wasted GB-s normalised to fixed:10m, for fixed:10m, fixed:30s, hybrid, adaptive.
#   bench/policies/run.sh [build-dir] [samples...]      (default: build, samples 100 200 500 1000)
# The 1000 sample is the held-out set: nothing was tuned on it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
shift || true
samples=("${@:-100 200 500 1000}")
read -r -a samples <<<"${samples[*]}"
traces="${SVL_TRACES:-$root/../shared/traces/azure2019/invitro-cb0077f-sampled-10-1000-10}"
bench="$build/bench/policies/svl_bench_policies"
if [[ ! -x "$bench" ]]; then
  echo "build it first: cmake --build $build --target svl_bench_policies" >&2
  exit 2
fi
policies=(fixed:10m fixed:30s hybrid adaptive)

printf '%-7s %-10s %12s %10s %10s %14s %9s %8s\n' sample policy invocations cold_% cold_p75 wasted_vs_10m peak_GB seconds
for n in "${samples[@]}"; do
  for f in inv run mem; do
    [[ -r "$traces/${n}_$f.csv" ]] || { echo "missing $traces/${n}_$f.csv" >&2; exit 2; }
  done
  "$bench" "$traces/${n}_inv.csv" "$traces/${n}_run.csv" "$traces/${n}_mem.csv" "${policies[@]}" |
    python3 -c '
import json, sys
n = sys.argv[1]
for line in sys.stdin:
    j = json.loads(line)
    print("%-7s %-10s %12d %10.4f %10.2f %14.3f %9.1f %8.1f" % (n, j["policy"], j["invocations"], j["cold_start_pct"],
          j["cold_start_pct_p75"], j["wasted_vs_fixed10m"], j["peak_memory_gb"], j["seconds"]))
' "$n"
done
