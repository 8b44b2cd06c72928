#!/usr/bin/env bash
# Makes sure a Docker engine answers on the socket svl will use.
# If /_ping does not answer, starts dockerd in the background (log in $SVL_BUILD_DIR),
# waits for it (bounded), and records its pid so only a dockerd we started is ever stopped.
set -euo pipefail

build_dir=${SVL_BUILD_DIR:-build}
sock=/var/run/docker.sock
timeout_s=${SVL_DOCKERD_TIMEOUT:-60}

ping() { curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

if ping; then
  echo "ensure-dockerd: dockerd answers on $sock"
  exit 0
fi
if ! command -v dockerd >/dev/null; then
  echo "ensure-dockerd: dockerd is not installed (run deploy/install-deps.sh)" >&2
  exit 1
fi
mkdir -p "$build_dir"
log="$build_dir/dockerd.log"
echo "ensure-dockerd: starting dockerd (log: $log)"
nohup dockerd >"$log" 2>&1 </dev/null &
echo $! >"$build_dir/dockerd.pid"
for ((i = 0; i < timeout_s * 10; i++)); do
  if ping; then
    echo "ensure-dockerd: dockerd ready after $((i / 10)).$((i % 10)) s"
    exit 0
  fi
  if ! kill -0 "$(cat "$build_dir/dockerd.pid")" 2>/dev/null; then
    echo "ensure-dockerd: dockerd exited; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "ensure-dockerd: dockerd did not answer within ${timeout_s}s; see $log" >&2
exit 1
