#!/usr/bin/env bash
# Runs prometheus_proof.sh (strict) against svl_metrics_demo, which serves a
# Metrics instance fed with moving sample data. Usage: prometheus_proof_demo.sh DEMO_BINARY
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
demo="${1:?usage: $0 path/to/svl_metrics_demo}"

out="$(mktemp /tmp/svl-metrics-demo.XXXXXX)"
"$demo" --listen 127.0.0.1:0 --seconds 170 >"$out" 2>&1 &
demo_pid=$!
trap 'kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; rm -f "$out"' EXIT

port=""
for _ in $(seq 1 50); do
  port=$(awk '/^port /{print $2; exit}' "$out")
  [[ -n "$port" ]] && break
  kill -0 "$demo_pid" 2>/dev/null || { echo "demo exited:"; cat "$out"; exit 1; }
  sleep 0.1
done
[[ -n "$port" ]] || { echo "demo did not report its port"; cat "$out"; exit 1; }

bash "$here/prometheus_proof.sh" --strict "$port"
