#!/usr/bin/env bash
# Gateway benchmark: wrk against (a) the svl gateway, (b) nginx as a keep-alive reverse proxy,
# (c) the upstream directly, all in front of the same upstream (svl's test server), in one run.
# Prints requests/s, p50 and p99 for each and the svl/nginx ratios. Bounded: each wrk run lasts
# DURATION. Not a timed test: the numbers depend on the machine and whatever else runs on it.
#
#   SVL_BUILD_DIR=build bash bench/gateway/run.sh
# Knobs (env): DURATION=10s CONNECTIONS=64 WRK_THREADS=2 GW_THREADS=1 UPSTREAM_THREADS=1 ROUNDS=1
#              GW_MAX_CONNECTIONS (the gateway's max_connections_per_replica; default its own, 16)
#              PATH_UNDER_TEST=/  UPSTREAM_PORT=<port of an already running upstream>
#              UPSTREAM=docker: the test server in a FROM-scratch image, run as a container with a port
#              published on 127.0.0.1 (labelled svl.test=bench-gateway; removed on exit)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${SVL_BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
wrk_threads="${WRK_THREADS:-2}"
gw_threads="${GW_THREADS:-1}"
upstream_threads="${UPSTREAM_THREADS:-1}"
rounds="${ROUNDS:-1}"
path="${PATH_UNDER_TEST:-/}"

server="$build/tests/fixtures/svl_test_server"
gateway="$build/bench/gateway/svl_bench_gateway_server"
for b in "$gateway" wrk nginx; do
  command -v "$b" >/dev/null || [[ -x "$b" ]] || { echo "missing $b (build svl_bench_gateway_server svl_test_server)" >&2; exit 2; }
done

tmp="$(mktemp -d /tmp/svl-bench-gateway.XXXXXX)"
pids=()
container=""
cleanup() {
  [[ -z "$container" ]] || docker rm -f "$container" >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Waits (bounded) for "listening on <port>" in a log and prints the port.
port_from_log() {
  local log="$1"
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$log" 2>/dev/null; then
      grep -m1 -o "listening on [0-9]*" "$log" | awk '{print $3}'
      return 0
    fi
    sleep 0.05
  done
  echo "no 'listening on' in $log:" >&2
  cat "$log" >&2
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# (c) the upstream
if [[ -n "${UPSTREAM_PORT:-}" ]]; then
  up_port="$UPSTREAM_PORT"
elif [[ "${UPSTREAM:-}" == docker ]]; then
  mkdir -p "$tmp/image"
  cp "$server" "$tmp/image/server"
  printf 'FROM scratch\nCOPY server /server\nENV PORT=8080 THREADS=%s\nEXPOSE 8080\nENTRYPOINT ["/server"]\n' \
    "$upstream_threads" >"$tmp/image/Dockerfile"
  docker build -q --label svl.test=bench-gateway -t svl-bench-gateway-upstream:latest "$tmp/image" >/dev/null
  container="$(docker run -d --label svl.test=bench-gateway -p 127.0.0.1::8080 svl-bench-gateway-upstream:latest)"
  up_port="$(docker port "$container" 8080/tcp | head -1 | awk -F: '{print $NF}')"
  for _ in $(seq 1 100); do  # the userland proxy accepts before the app listens: probe over HTTP
    curl -s -o /dev/null "http://127.0.0.1:$up_port/" && break
    sleep 0.05
  done
else
  [[ -x "$server" ]] || { echo "missing $server" >&2; exit 2; }
  PORT=0 THREADS="$upstream_threads" "$server" >"$tmp/upstream.log" 2>&1 &
  up_pid=$!
  pids+=($up_pid)
  up_port="$(port_from_log "$tmp/upstream.log")"
fi

# (a) the svl gateway
"$gateway" --port 0 --threads "$gw_threads" --function bench --upstream-port "$up_port" \
  ${GW_MAX_CONNECTIONS:+--max-connections "$GW_MAX_CONNECTIONS"} >"$tmp/gateway.log" 2>&1 &
gw_pid=$!
pids+=($gw_pid)
gw_port="$(port_from_log "$tmp/gateway.log")"

# (b) nginx: keep-alive upstream, one worker per core, foreground, everything in the temp dir.
nginx_port="$(free_port)"
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  upstream fn { server 127.0.0.1:$up_port; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://fn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
nginx_pid=$!
pids+=($nginx_pid)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$nginx_port$path" && break
  sleep 0.05
done

# Smoke: each target answers 200 before measuring.
for url in "http://127.0.0.1:$gw_port/fn/bench$path" "http://127.0.0.1:$nginx_port$path" "http://127.0.0.1:$up_port$path"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$url")"
  [[ "$code" == 200 ]] || { echo "$url answered $code" >&2; exit 1; }
done

to_ms() {  # wrk latency like 1.23ms, 456.00us, 1.02s -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}

# CPU time (user+sys, clock ticks) of a process and its children threads/processes.
cpu_ticks() {
  local total=0 p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
hz="$(getconf CLK_TCK)"

declare -A rps p50 p99 cpu_us
run_wrk() {  # name url pids... -- [extra wrk args]
  local name="$1" url="$2"
  shift 2
  local watched=()
  while [[ "$1" != "--" ]]; do watched+=("$1"); shift; done
  shift
  local before after out
  before="$(cpu_ticks "${watched[@]}")"
  out="$(wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency "$@" "$url")"
  after="$(cpu_ticks "${watched[@]}")"
  echo "$out" >"$tmp/wrk-$name.txt"
  local r l50 l99 errors
  r="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  l50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  l99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)"
  [[ -z "$errors" ]] || echo "  $name: $errors" >&2
  rps[$name]="$(awk -v a="${rps[$name]:-0}" -v b="$r" 'BEGIN {printf "%.0f", a + b}')"
  # CPU microseconds the proxy spent per request: independent of how busy the box is.
  local reqs
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  cpu_us[$name]="${cpu_us[$name]:-} $(awk -v t=$((after - before)) -v hz="$hz" -v n="$reqs" 'BEGIN {if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print 0}')"
  p50[$name]="${p50[$name]:-} $l50"
  p99[$name]="${p99[$name]:-} $l99"
}

echo "wrk -t$wrk_threads -c$connections -d$duration --latency; upstream port $up_port; gateway threads $gw_threads; rounds $rounds"
for ((i = 0; i < rounds; i++)); do
  run_wrk svl "http://127.0.0.1:$gw_port$path" "$gw_pid" -- -H "Host: bench.localhost"
  run_wrk nginx "http://127.0.0.1:$nginx_port$path" $(pgrep -P "$nginx_pid" | tr '\n' ' ') --
  run_wrk direct "http://127.0.0.1:$up_port$path" ${up_pid:-} --
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-8s %12s %10s %10s %18s\n" target "req/s" "p50 ms" "p99 ms" "cpu us/request"
for n in svl nginx direct; do
  avg="$(awk -v s="${rps[$n]}" -v r="$rounds" 'BEGIN {printf "%.0f", s / r}')"
  rps[$n]="$avg"
  p50[$n]="$(echo "${p50[$n]}" | median)"
  p99[$n]="$(echo "${p99[$n]}" | median)"
  cpu_us[$n]="$(echo "${cpu_us[$n]}" | median)"
  printf "%-8s %12s %10s %10s %18s\n" "$n" "${rps[$n]}" "${p50[$n]}" "${p99[$n]}" "${cpu_us[$n]}"
done
awk -v a="${rps[svl]}" -v b="${rps[nginx]}" -v c="${p99[svl]}" -v d="${p99[nginx]}" -v e="${p50[svl]}" -v f="${p50[nginx]}" \
  -v g="${cpu_us[svl]}" -v h="${cpu_us[nginx]}" \
  'BEGIN {printf "svl/nginx: throughput %.2f  p50 %.2f  p99 %.2f  cpu/request %.2f  (goal: throughput >= 1.00, p99 <= 1.00)\n", a / b, e / f, c / d, g / h}'
