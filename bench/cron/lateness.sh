#!/usr/bin/env bash
# Cron trigger lateness (issue 18): a function at zero under policy = "fixed" (never paused,
# stopped 1 s after each call), called by a trigger every INTERVAL seconds, RUNS times. From
# `svl cron --json`: how late each call left after its fire time (lateness), and how long it took
# (a wake from stopped plus the answer). Not a timed test: it prints what it measured.
#
#   SVL_BUILD_DIR=build bash bench/cron/lateness.sh
# Knobs (env): RUNS=30  INTERVAL=6 (seconds; the replica stops between calls)
# Needs: dockerd, the svl binary and the test server image (built by the integration tests'
# support: tests/support/test_image.cpp; here from `svl_test_server` in a FROM-scratch image).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${SVL_BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
runs="${RUNS:-30}"
interval="${INTERVAL:-6}"
svl="$build/svl"
work="$(mktemp -d /tmp/svl-cron-bench.XXXXXX)"
daemon_pid=""
cleanup() {
  [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  docker ps -aq --filter label=svl.test=bench-cron | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker rmi -f svl-bench-cron:latest >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/img"
cp "$build/tests/fixtures/svl_test_server" "$work/img/server"
printf 'FROM scratch\nCOPY server /server\nENTRYPOINT ["/server"]\n' > "$work/img/Dockerfile"
docker build -q --label svl.test=bench-cron -t svl-bench-cron:latest "$work/img" >/dev/null

"$svl" daemon --state-dir "$work/state" --listen 127.0.0.1:0 --admin "$work/svl.sock" --metrics-listen 127.0.0.1:0 \
  --label svl.test=bench-cron > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do grep -q "svl daemon ready" "$work/daemon.log" && break; sleep 0.1; done
grep -q "svl daemon ready" "$work/daemon.log" || { cat "$work/daemon.log"; exit 1; }

mkdir -p "$work/fn"
cat > "$work/fn/svl.toml" <<TOML
name = "job"
image = "svl-bench-cron:latest"
port = 8080
[scale]
policy = "fixed"
pause_after = "off"
idle_timeout = "1s"
[[cron]]
schedule = "*/$interval * * * * *"
path = "/tasks/report"
TOML
SVL_ADMIN="$work/svl.sock" "$svl" up "$work/fn" --quiet
echo "waiting for $runs runs, every $interval s ..."
for _ in $(seq $((runs * interval + 60))); do
  n=$(SVL_ADMIN="$work/svl.sock" "$svl" cron job --json --limit 200 | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["runs"] if r["result"]=="ok"))')
  [[ "$n" -ge "$runs" ]] && break
  sleep 1
done
SVL_ADMIN="$work/svl.sock" "$svl" cron job --json --limit 200 | RUNS="$runs" python3 -c '
import json, os, sys
runs = [r for r in json.load(sys.stdin)["runs"] if r["result"] == "ok"][: int(os.environ["RUNS"])]
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
late = [r["lateness_seconds"] * 1000 for r in runs]
took = [r["duration_seconds"] * 1000 for r in runs]
print(f"runs: {len(runs)} ok")
print(f"lateness (fire time -> call sent): p50 {pct(late,50):.2f} ms  p99 {pct(late,99):.2f} ms  max {max(late):.2f} ms")
print(f"call (wake from stopped + answer): p50 {pct(took,50):.0f} ms  p99 {pct(took,99):.0f} ms")
'
