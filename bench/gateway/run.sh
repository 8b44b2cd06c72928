#!/usr/bin/env bash
# Gateway benchmark (issue 16): one upstream container (svl's static test server in a FROM-scratch
# image) reached through every path a user could put in front of it, in one run:
#   svl-netns        svl gateway, upstream sockets made inside the container's network namespace
#                    (its own 127.0.0.1:8080; the daemon's --data-path netns)
#   svl-published    svl gateway -> the published 127.0.0.1 port (docker-proxy; --data-path published)
#   nginx-published  nginx -> the published port (docker-proxy: the path a Docker user takes)
#   nginx-bridge     nginx -> the container's bridge address (no docker-proxy)
#   direct-published wrk -> the published port
#   direct-bridge    wrk -> the bridge address
# svl runs with --threads W and nginx with worker_processes W, for each W in WORKERS, and each row
# at each connection count in CONNECTIONS. For each row: requests/s, p50, p99 (wrk --latency) and
# the CPU each process on the path spent per request (/proc/PID/stat utime+stime before and after,
# divided by the requests wrk counted): the proxy (svl or nginx workers), docker-proxy (on the
# paths through the published port) and the app. Then the ratios. Not a timed test: req/s and
# latency depend on whatever else runs on the box; CPU per request much less so.
#
#   SVL_BUILD_DIR=build bash bench/gateway/run.sh
# Knobs (env): DURATION=5s  WARMUP=1s  CONNECTIONS="64 512"  WORKERS="1 2" (GW_THREADS is an alias)
#              WRK_THREADS=2  WRK_TIMEOUT=10s  ROUNDS=1 (rows interleaved per round; medians, req/s range)
#              UPSTREAM=event|thread (thread: THREAD_PER_CONNECTION=1, a blocking thread per
#              connection)  UPSTREAM_THREADS=1 (event loop threads)  PATH_UNDER_TEST=/
#              ROWS="svl-netns ..." (a subset)  GW_MAX_CONNECTIONS (max_connections_per_replica)
# Needs: root (setns for svl-netns), dockerd, wrk, nginx, targets svl_bench_gateway_server and
# svl_test_server. The container and image are labelled svl.test=bench-gateway; the container and
# every process started here are removed on exit.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${SVL_BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
duration="${DURATION:-5s}"
warmup="${WARMUP:-1s}"
connections_list="${CONNECTIONS:-64 512}"
workers_list="${WORKERS:-${GW_THREADS:-1 2}}"
wrk_threads="${WRK_THREADS:-2}"
wrk_timeout="${WRK_TIMEOUT:-10s}"  # wrk's default (2 s) drops the slowest answers from its percentiles
rounds="${ROUNDS:-1}"
upstream="${UPSTREAM:-event}"
upstream_threads="${UPSTREAM_THREADS:-1}"
path="${PATH_UNDER_TEST:-/}"
all_rows="svl-netns svl-published nginx-published nginx-bridge direct-published direct-bridge"
rows="${ROWS:-$all_rows}"

server="$build/tests/fixtures/svl_test_server"
gateway="$build/bench/gateway/svl_bench_gateway_server"
for b in "$gateway" "$server" wrk nginx docker; do
  command -v "$b" >/dev/null || [[ -x "$b" ]] || { echo "missing $b (build svl_bench_gateway_server svl_test_server; apt-get install wrk nginx-light)" >&2; exit 2; }
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
trap 'exit 130' INT TERM

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

wait_200() {  # url: bounded, 5 s
  for _ in $(seq 1 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" == 200 ]] && return 0
    sleep 0.05
  done
  echo "$1 never answered 200" >&2
  return 1
}

# --- the upstream container --------------------------------------------------------------------
mkdir -p "$tmp/image"
cp "$server" "$tmp/image/server"
printf 'FROM scratch\nCOPY server /server\nEXPOSE 8080\nENTRYPOINT ["/server"]\n' >"$tmp/image/Dockerfile"
image="svl-bench-gateway-upstream:$(sha256sum "$server" | cut -c1-12)"
docker image inspect "$image" >/dev/null 2>&1 ||
  docker build -q --label svl.test=bench-gateway -t "$image" "$tmp/image" >/dev/null
upstream_env=(-e PORT=8080 -e THREADS="$upstream_threads")
[[ "$upstream" == thread ]] && upstream_env+=(-e THREAD_PER_CONNECTION=1)
[[ "$upstream" == event || "$upstream" == thread ]] || { echo "UPSTREAM is event or thread" >&2; exit 2; }
container="$(docker run -d --label svl.test=bench-gateway "${upstream_env[@]}" -p 127.0.0.1::8080 "$image")"
pub_port="$(docker port "$container" 8080/tcp | head -1 | awk -F: '{print $NF}')"
app_pid="$(docker inspect -f '{{.State.Pid}}' "$container")"
bridge_ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$container")"
netns="/proc/$app_pid/ns/net"
wait_200 "http://127.0.0.1:$pub_port$path"  # docker-proxy accepts before the app listens
wait_200 "http://$bridge_ip:8080$path"
proxy_pid="$(pgrep -f -- "docker-proxy .*-host-port $pub_port( |$)" | head -1 || true)"
[[ -n "$proxy_pid" ]] || echo "note: no docker-proxy for port $pub_port (userland proxy off?): its CPU is not counted" >&2

# --- CPU accounting ----------------------------------------------------------------------------
hz="$(getconf CLK_TCK)"
cpu_ticks() {  # utime+stime of processes (all their threads)
  local total=0 p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    # Field 2 (comm) may hold spaces: count from after its closing parenthesis.
    total=$((total + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
us_per_request() {  # ticks requests
  awk -v t="$1" -v hz="$hz" -v n="$2" 'BEGIN {if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-"}'
}
to_ms() {  # wrk latency like 1.23ms, 456.00us, 1.02s -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}

# --- the proxies, per worker count -------------------------------------------------------------
gw_netns_pid="" gw_pub_pid="" nginx_pid="" gw_netns_port="" gw_pub_port="" ng_pub_port="" ng_bridge_port=""
stop_proxies() {
  local p
  for p in $gw_netns_pid $gw_pub_pid $nginx_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  local kept=()  # forget them, so that cleanup never signals a recycled pid
  for p in "${pids[@]}"; do [[ " $gw_netns_pid $gw_pub_pid $nginx_pid " == *" $p "* ]] || kept+=("$p"); done
  pids=("${kept[@]}")
  gw_netns_pid="" gw_pub_pid="" nginx_pid=""
}
start_proxies() {  # workers
  local w="$1"
  "$gateway" --port 0 --threads "$w" --function bench --netns "$netns" --upstream-host 127.0.0.1 --upstream-port 8080 \
    ${GW_MAX_CONNECTIONS:+--max-connections "$GW_MAX_CONNECTIONS"} >"$tmp/gw-netns-$w.log" 2>&1 &
  gw_netns_pid=$!
  pids+=($gw_netns_pid)
  "$gateway" --port 0 --threads "$w" --function bench --upstream-host 127.0.0.1 --upstream-port "$pub_port" \
    ${GW_MAX_CONNECTIONS:+--max-connections "$GW_MAX_CONNECTIONS"} >"$tmp/gw-pub-$w.log" 2>&1 &
  gw_pub_pid=$!
  pids+=($gw_pub_pid)
  gw_netns_port="$(port_from_log "$tmp/gw-netns-$w.log")"
  gw_pub_port="$(port_from_log "$tmp/gw-pub-$w.log")"

  # nginx: keep-alive upstream pools, W workers, foreground, everything in the temp dir.
  ng_pub_port="$(free_port)"
  ng_bridge_port="$(free_port)"
  local d="$tmp/nginx-$w"
  mkdir -p "$d"
  local loc='proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;'
  cat >"$d/nginx.conf" <<EOF
worker_processes $w;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  upstream published { server 127.0.0.1:$pub_port; keepalive 128; }
  upstream bridge { server $bridge_ip:8080; keepalive 128; }
  server { listen 127.0.0.1:$ng_pub_port; location / { proxy_pass http://published; $loc } }
  server { listen 127.0.0.1:$ng_bridge_port; location / { proxy_pass http://bridge; $loc } }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &
  nginx_pid=$!
  pids+=($nginx_pid)
  wait_200 "http://127.0.0.1:$ng_pub_port$path"
  wait_200 "http://127.0.0.1:$ng_bridge_port$path"
  wait_200 "http://127.0.0.1:$gw_netns_port/fn/bench$path"
  wait_200 "http://127.0.0.1:$gw_pub_port/fn/bench$path"
}

# url, proxy pids ("" for none) and whether docker-proxy is on the path, per row.
row_url() {
  case "$1" in
    svl-netns) echo "http://127.0.0.1:$gw_netns_port$path" ;;
    svl-published) echo "http://127.0.0.1:$gw_pub_port$path" ;;
    nginx-published) echo "http://127.0.0.1:$ng_pub_port$path" ;;
    nginx-bridge) echo "http://127.0.0.1:$ng_bridge_port$path" ;;
    direct-published) echo "http://127.0.0.1:$pub_port$path" ;;
    direct-bridge) echo "http://$bridge_ip:8080$path" ;;
  esac
}
row_proxy_pids() {
  case "$1" in
    svl-netns) echo "$gw_netns_pid" ;;
    svl-published) echo "$gw_pub_pid" ;;
    nginx-*) pgrep -P "$nginx_pid" | tr '\n' ' ' ;;
    *) echo "" ;;
  esac
}
row_uses_docker_proxy() { [[ "$1" == *-published ]]; }

# Results, keyed "row|workers|connections": space-separated samples, one per round.
declare -A rps p50 p99 cpu_proxy cpu_dp cpu_app errs tmos
run_row() {  # row workers connections
  local name="$1" w="$2" c="$3" url key="$1|$2|$3"
  url="$(row_url "$name")"
  local -a proxy_pids
  read -r -a proxy_pids <<<"$(row_proxy_pids "$name")"
  local dp=""
  row_uses_docker_proxy "$name" && dp="$proxy_pid"
  wrk -t"$wrk_threads" -c"$c" -d"$warmup" -H "Host: bench.localhost" "$url" >/dev/null
  local b_proxy b_dp b_app a_proxy a_dp a_app out
  b_proxy="$(cpu_ticks "${proxy_pids[@]}")" b_dp="$(cpu_ticks $dp)" b_app="$(cpu_ticks "$app_pid")"
  out="$(wrk -t"$wrk_threads" -c"$c" -d"$duration" --timeout "$wrk_timeout" --latency -H "Host: bench.localhost" "$url")"
  a_proxy="$(cpu_ticks "${proxy_pids[@]}")" a_dp="$(cpu_ticks $dp)" a_app="$(cpu_ticks "$app_pid")"
  echo "$out" >"$tmp/wrk-$name-$w-$c.txt"
  local reqs e
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps[$key]+=" $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p50[$key]+=" $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  p99[$key]+=" $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  if ((${#proxy_pids[@]})); then cpu_proxy[$key]+=" $(us_per_request $((a_proxy - b_proxy)) "$reqs")"; fi
  if [[ -n "$dp" ]]; then cpu_dp[$key]+=" $(us_per_request $((a_dp - b_dp)) "$reqs")"; fi
  cpu_app[$key]+=" $(us_per_request $((a_app - b_app)) "$reqs")"
  # Failures (connect/read/write socket errors, non-2xx answers) and timeouts, summed over rounds.
  local t
  e="$(awk '/Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8} /Non-2xx/ {n += $NF} END {print n + 0}' <<<"$out")"
  t="$(awk '/Socket errors/ {gsub(/,/, ""); n += $10} END {print n + 0}' <<<"$out")"
  errs[$key]=$(( ${errs[$key]:-0} + e ))
  tmos[$key]=$(( ${tmos[$key]:-0} + t ))
  if ((e + t)); then echo "  $name W=$w c=$c: $(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | tr '\n' ';')" >&2; fi
}

echo "upstream: $image ($upstream, THREADS=$upstream_threads), container ${container:0:12}, pid $app_pid," \
  "published 127.0.0.1:$pub_port (docker-proxy pid ${proxy_pid:-none}), bridge $bridge_ip:8080"
echo "wrk -t$wrk_threads -d$duration --timeout $wrk_timeout --latency (after a $warmup warm-up each); workers: $workers_list;" \
  "connections: $connections_list; rounds: $rounds; $(uptime | sed 's/.*load/load/')"
for w in $workers_list; do
  start_proxies "$w"
  for ((i = 0; i < rounds; i++)); do
    for c in $connections_list; do
      for r in $rows; do run_row "$r" "$w" "$c"; done
    done
  done
  stop_proxies
done

# --- the table ---------------------------------------------------------------------------------
samples() { tr ' ' '\n' | awk '$1 != "" && $1 != "-"' | sort -g; }  # (awk: no failing grep on none)
median() { samples | awk '{a[NR]=$1} END {if (!NR) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
range() { samples | awk 'NR==1 {lo=$1} {hi=$1} END {if (NR > 1) printf "%s-%s", lo, hi; else print "-"}'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" && b == "-") print "-"; else printf "%.1f", (a == "-" ? 0 : a) + (b == "-" ? 0 : b)}'; }
declare -A M  # medians: M[key|field]
echo
echo "load after: $(uptime | sed 's/.*load/load/')"
fmt="%-2s %5s %-17s %8s %13s %8s %8s %7s %7s %7s %7s %5s %5s\n"
printf "$fmt" W conns row "req/s" "(range)" "p50 ms" "p99 ms" "proxy" "dproxy" "path" "app" "fail" "tmo"
printf "$fmt" "" "" "" "" "" "" "" "us/req" "us/req" "us/req" "us/req" "" ""
for w in $workers_list; do
  for c in $connections_list; do
    for r in $rows; do
      k="$r|$w|$c"
      M[$k|rps]="$(echo "${rps[$k]}" | median)"
      M[$k|p50]="$(echo "${p50[$k]}" | median)"
      M[$k|p99]="$(echo "${p99[$k]}" | median)"
      M[$k|proxy]="$(echo "${cpu_proxy[$k]:-}" | median)"
      M[$k|dp]="$(echo "${cpu_dp[$k]:-}" | median)"
      M[$k|app]="$(echo "${cpu_app[$k]:-}" | median)"
      M[$k|path]="$(sum "${M[$k|proxy]}" "${M[$k|dp]}")"
      printf "$fmt" "$w" "$c" "$r" "${M[$k|rps]}" \
        "$(echo "${rps[$k]}" | range)" "${M[$k|p50]}" "${M[$k|p99]}" "${M[$k|proxy]}" "${M[$k|dp]}" \
        "${M[$k|path]}" "${M[$k|app]}" "${errs[$k]}" "${tmos[$k]}"
    done
  done
done
echo "proxy = svl or nginx workers; dproxy = docker-proxy; path = proxy + dproxy: CPU per request of what sits"
echo "between wrk and the app (app = the upstream container's process). Medians over rounds; fail = socket"
echo "errors and non-2xx answers, tmo = wrk timeouts ($wrk_timeout), summed over rounds."

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "  -  "; else printf "%5.2f", a / b}'; }
has_row() { [[ " $rows " == *" $1 "* ]]; }
echo
echo "ratios (path CPU: proxy + docker-proxy; goal: req/s >= 1, p99 <= 1, cpu/request <= 1 against nginx)"
for w in $workers_list; do
  for c in $connections_list; do
    a="svl-netns|$w|$c"
    has_row svl-netns || continue
    for peer in nginx-published nginx-bridge; do
      has_row "$peer" || continue
      b="$peer|$w|$c"
      printf "W=%s c=%-4s svl-netns / %-16s req/s %s  p99 %s  cpu/request %s\n" "$w" "$c" "$peer" \
        "$(ratio "${M[$a|rps]}" "${M[$b|rps]}")" "$(ratio "${M[$a|p99]}" "${M[$b|p99]}")" \
        "$(ratio "${M[$a|path]}" "${M[$b|path]}")"
    done
  done
done
if [[ " $workers_list " == *" 1 "* && " $workers_list " == *" 2 "* ]]; then
  echo "2 workers / 1 worker, cpu/request (path):"
  for c in $connections_list; do
    line="  c=$c"
    for r in $rows; do
      [[ "$r" == direct-* ]] && continue
      line+="  $r $(ratio "${M[$r|2|$c|path]}" "${M[$r|1|$c|path]}")"
    done
    echo "$line"
  done
fi
total_errs=0
for k in "${!errs[@]}"; do total_errs=$((total_errs + errs[$k])); done
((total_errs == 0)) || { echo "failures: $total_errs (see the fail column)" >&2; exit 1; }
