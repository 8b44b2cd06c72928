#!/usr/bin/env bash
# Keep-alive policies over the Azure Functions 2019 samples: cold-start % (overall and p75 of
# functions), wasted GB-s normalised to fixed:10m and the latency wakes add (total, p99 over calls),
# for fixed:10m, fixed:30s, hybrid, adaptive;
# then, per sample, the count-oracle floor on wasted memory against fixed:10m's.
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
json="$(mktemp -d)"
trap 'rm -rf "$json"' EXIT

printf '%-7s %-10s %12s %8s %10s %10s %14s %9s %9s %9s %8s\n' sample policy invocations cold cold_% cold_p75 wasted_vs_10m wake_s wake_p99 peak_GB seconds
for n in "${samples[@]}"; do
  for f in inv run mem; do
    [[ -r "$traces/${n}_$f.csv" ]] || { echo "missing $traces/${n}_$f.csv" >&2; exit 2; }
  done
  "$bench" "$traces/${n}_inv.csv" "$traces/${n}_run.csv" "$traces/${n}_mem.csv" "${policies[@]}" |
    tee "$json/$n.jsonl" |
    python3 -c '
import json, sys
n = sys.argv[1]
for line in sys.stdin:
    j = json.loads(line)
    print("%-7s %-10s %12d %8d %10.4f %10.2f %14.3f %9.0f %9.1f %9.1f %8.1f" % (n, j["policy"], j["invocations"],
          j["cold_starts"], j["cold_start_pct"], j["cold_start_pct_p75"], j["wasted_vs_fixed10m"],
          j["wake_latency_total_s"], j["wake_latency_p99_ms"], j["peak_memory_gb"], j["seconds"]))
' "$n"
done

# The count-oracle floor (docs/autoscaler.md, "Against the goals"): the least wasted memory of a
# policy that knows every minute's call count in advance and has no cold start, on the same
# arrivals; "after allowance" subtracts 1 minute x memory per fixed:10m cold start (per function).
# A ratio above 0.5 means no policy halves fixed:10m's waste at its cold starts, in this model.
echo
printf '%-7s %14s %14s %16s %11s %16s\n' sample 10m_wasted_GBs floor_GBs floor_allow_GBs floor/10m floor_allow/10m
for n in "${samples[@]}"; do
  python3 -c '
import json, sys
n, path = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path)]
floors = {r["oracle_floor_gb_s"] for r in rows}
if len(floors) != 1:
    sys.exit("sample %s: the oracle floor differs between policies: %s" % (n, sorted(floors)))
r = next(r for r in rows if r["policy"] == "fixed:10m")
w, fl, fa = r["wasted_gb_s"], r["oracle_floor_gb_s"], r["oracle_floor_minus_cold_allowance_gb_s"]
print("%-7s %14.0f %14.0f %16.0f %11.3f %16.3f" % (n, w, fl, fa, fl / w, fa / w))
' "$n" "$json/$n.jsonl"
done
