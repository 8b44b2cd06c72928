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
# and over TLS (TLS=1, the default; one self-signed ECDSA P-256 certificate, both servers pinned to
# TLS 1.3 and TLS_CIPHER, what each negotiates printed from openssl s_client):
#   svl-https        the svl-netns gateway's HTTPS port
#   nginx-https      nginx `listen ... ssl` -> the bridge address (like-for-like with svl-https:
#                    neither goes through docker-proxy)
#   nginx-https-published  nginx `listen ... ssl` -> the published port (what a Docker user runs)
#   svl-https-resumed, nginx-https-resumed   as svl-https and nginx-https, but every request on a
#                    new connection (wrk -H 'Connection: close': both answer and close): wrk keeps
#                    the session ticket it got and resumes (TLS 1.3 PSK with X25519, no certificate
#                    signature), so req/s = resumed handshakes/s; conns/req checks it (about 1.0)
#   svl-https-full, nginx-https-full   full handshakes: HS_CLIENTS `openssl s_time -new` clients
#                    at once (a fresh session each time), each connection one GET over HTTP/1.0;
#                    run once per round (listed under the first connection count); no percentiles
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
#              TLS=1 (0: no HTTPS rows)  TLS_CIPHER=TLS_AES_128_GCM_SHA256
#              HS_CLIENTS=4 (s_time clients on the -full rows)  NGINX_KEEPALIVE=1024 (nginx's idle
#              upstream connections per worker; with fewer than CONNECTIONS it opens and closes
#              upstream connections all the time, and at 512 spent its time in the kernel's search
#              for a free local port among TIME_WAIT ones)
#              GW_MAX_HANDSHAKES (svl's cap on handshakes in progress; default here the largest of
#              CONNECTIONS, as nginx has none; the daemon runs with 256, which refuses some of 512
#              clients connecting at once: wrk counts those as connect errors)
# Needs: root (setns for svl-netns), dockerd, wrk, nginx, openssl, targets svl_bench_gateway_server and
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
tls="${TLS:-1}"
tls_cipher="${TLS_CIPHER:-TLS_AES_128_GCM_SHA256}"
all_rows="svl-netns svl-published nginx-published nginx-bridge direct-published direct-bridge"
max_handshakes="${GW_MAX_HANDSHAKES:-$(tr ' ' '\n' <<<"$connections_list" | sort -n | tail -1)}"
hs_clients="${HS_CLIENTS:-4}"
nginx_keepalive="${NGINX_KEEPALIVE:-1024}"
[[ "$tls" == 1 ]] && all_rows+=" svl-https nginx-https nginx-https-published svl-https-resumed nginx-https-resumed"
[[ "$tls" == 1 ]] && all_rows+=" svl-https-full nginx-https-full"
first_c="${connections_list%% *}"
rows="${ROWS:-$all_rows}"

server="$build/tests/fixtures/svl_test_server"
gateway="$build/bench/gateway/svl_bench_gateway_server"
for b in "$gateway" "$server" wrk nginx docker openssl; do
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
source "$here/lib.sh"

start_upstream "$upstream" "$upstream_threads" "$path"
[[ "$tls" == 1 ]] && make_cert "$tmp/certs"

to_ms() {  # wrk latency like 1.23ms, 456.00us, 1.02s -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}

# --- the proxies, per worker count -------------------------------------------------------------
gw_netns_pid="" gw_pub_pid="" nginx_pid="" gw_netns_port="" gw_pub_port="" ng_pub_port="" ng_bridge_port=""
gw_tls_port="" ng_tls_port="" ng_tls_pub_port=""
stop_proxies() {  # [workers: print svl's handshake counts]
  local p
  for p in $gw_netns_pid $gw_pub_pid $nginx_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [[ "$tls" != 1 || -z "${1:-}" ]] ||
    echo "W=$1 svl handshakes by result: $(grep -h '^tls handshakes' "$tmp/gw-netns-$1.log" | cut -d' ' -f3-)"
  local kept=()  # forget them, so that cleanup never signals a recycled pid
  for p in "${pids[@]}"; do [[ " $gw_netns_pid $gw_pub_pid $nginx_pid " == *" $p "* ]] || kept+=("$p"); done
  pids=("${kept[@]}")
  gw_netns_pid="" gw_pub_pid="" nginx_pid=""
}
start_proxies() {  # workers
  local w="$1"
  local tls_args=()
  [[ "$tls" == 1 ]] && tls_args=(--certs-dir "$tmp/certs" --tls-port 0 --tls13-ciphersuites "$tls_cipher"
    --tls-max-handshakes "$max_handshakes")
  "$gateway" --port 0 --threads "$w" --function bench --netns "$netns" --upstream-host 127.0.0.1 --upstream-port 8080 \
    ${GW_MAX_CONNECTIONS:+--max-connections "$GW_MAX_CONNECTIONS"} "${tls_args[@]}" >"$tmp/gw-netns-$w.log" 2>&1 &
  gw_netns_pid=$!
  pids+=($gw_netns_pid)
  "$gateway" --port 0 --threads "$w" --function bench --upstream-host 127.0.0.1 --upstream-port "$pub_port" \
    ${GW_MAX_CONNECTIONS:+--max-connections "$GW_MAX_CONNECTIONS"} >"$tmp/gw-pub-$w.log" 2>&1 &
  gw_pub_pid=$!
  pids+=($gw_pub_pid)
  gw_netns_port="$(port_from_log "$tmp/gw-netns-$w.log")"
  gw_pub_port="$(port_from_log "$tmp/gw-pub-$w.log")"
  [[ "$tls" == 1 ]] && gw_tls_port="$(port_from_log "$tmp/gw-netns-$w.log" "tls ")"

  # nginx: keep-alive upstream pools, W workers, foreground, everything in the temp dir. No limit
  # on requests per client connection, as in svl (nginx's 1000 would re-handshake mid-row).
  ng_pub_port="$(free_port)"
  ng_bridge_port="$(free_port)"
  ng_tls_port="$(free_port)"
  ng_tls_pub_port="$(free_port)"
  local loc='proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;'
  # The same pair, version and suite as svl; nginx's defaults otherwise (session tickets on, as in svl).
  local ssl="ssl_certificate $tmp/certs/default.crt; ssl_certificate_key $tmp/certs/default.key;
      ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites $tls_cipher;"
  local tls_servers=""
  [[ "$tls" == 1 ]] && tls_servers="
  server { listen 127.0.0.1:$ng_tls_port ssl; $ssl location / { proxy_pass http://bridge; $loc } }
  server { listen 127.0.0.1:$ng_tls_pub_port ssl; $ssl location / { proxy_pass http://published; $loc } }"
  local d="$tmp/nginx-$w"
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
$(nginx_conf_head "$d" "$w")
  upstream published { server 127.0.0.1:$pub_port; keepalive $nginx_keepalive; }
  upstream bridge { server $bridge_ip:8080; keepalive $nginx_keepalive; }
  server { listen 127.0.0.1:$ng_pub_port; location / { proxy_pass http://published; $loc } }
  server { listen 127.0.0.1:$ng_bridge_port; location / { proxy_pass http://bridge; $loc } }$tls_servers
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &
  nginx_pid=$!
  pids+=($nginx_pid)
  wait_200 "http://127.0.0.1:$ng_pub_port$path"
  wait_200 "http://127.0.0.1:$ng_bridge_port$path"
  wait_200 "http://127.0.0.1:$gw_netns_port/fn/bench$path"
  wait_200 "http://127.0.0.1:$gw_pub_port/fn/bench$path"
  if [[ "$tls" == 1 ]]; then
    wait_200 "https://127.0.0.1:$gw_tls_port/fn/bench$path"
    wait_200 "https://127.0.0.1:$ng_tls_port$path"
    wait_200 "https://127.0.0.1:$ng_tls_pub_port$path"
    echo "W=$w negotiated: svl $(tls_params "$gw_tls_port"), $(tls_resumes "$gw_tls_port");" \
      "nginx $(tls_params "$ng_tls_port"), $(tls_resumes "$ng_tls_port"); svl --tls-max-handshakes $max_handshakes"
  fi
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
    svl-https | svl-https-*) echo "https://127.0.0.1:$gw_tls_port$path" ;;
    nginx-https | nginx-https-resumed | nginx-https-full) echo "https://127.0.0.1:$ng_tls_port$path" ;;
    nginx-https-published) echo "https://127.0.0.1:$ng_tls_pub_port$path" ;;
  esac
}
row_proxy_pids() {
  case "$1" in
    svl-netns | svl-https*) echo "$gw_netns_pid" ;;
    svl-published) echo "$gw_pub_pid" ;;
    nginx-*) pgrep -P "$nginx_pid" | tr '\n' ' ' ;;
    *) echo "" ;;
  esac
}
row_uses_docker_proxy() { [[ "$1" == *-published ]]; }

# Results, keyed "row|workers|connections": space-separated samples, one per round.
declare -A rps p50 p99 cpu_proxy cpu_dp cpu_app opens errs tmos
run_row() {  # row workers connections
  local name="$1" w="$2" c="$3" url key="$1|$2|$3"
  url="$(row_url "$name")"
  local hdr=(-H "Host: bench.localhost")
  [[ "$name" == *-resumed ]] && hdr+=(-H "Connection: close")
  local -a proxy_pids
  read -r -a proxy_pids <<<"$(row_proxy_pids "$name")"
  if [[ "$name" == *-full ]]; then full_row "$name" "$key" "$url" "${proxy_pids[@]}"; return; fi
  local dp=""
  row_uses_docker_proxy "$name" && dp="$proxy_pid"
  wrk -t"$wrk_threads" -c"$c" -d"$warmup" "${hdr[@]}" "$url" >/dev/null
  local b_proxy b_dp b_app b_opens a_proxy a_dp a_app a_opens out
  b_proxy="$(cpu_ticks "${proxy_pids[@]}")" b_dp="$(cpu_ticks $dp)" b_app="$(cpu_ticks "$app_pid")" b_opens="$(passive_opens)"
  out="$(wrk -t"$wrk_threads" -c"$c" -d"$duration" --timeout "$wrk_timeout" --latency "${hdr[@]}" "$url")"
  a_proxy="$(cpu_ticks "${proxy_pids[@]}")" a_dp="$(cpu_ticks $dp)" a_app="$(cpu_ticks "$app_pid")" a_opens="$(passive_opens)"
  echo "$out" >"$tmp/wrk-$name-$w-$c.txt"
  local reqs e
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps[$key]+=" $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  p50[$key]+=" $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  p99[$key]+=" $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  if ((${#proxy_pids[@]})); then cpu_proxy[$key]+=" $(us_per_request $((a_proxy - b_proxy)) "$reqs")"; fi
  if [[ -n "$dp" ]]; then cpu_dp[$key]+=" $(us_per_request $((a_dp - b_dp)) "$reqs")"; fi
  cpu_app[$key]+=" $(us_per_request $((a_app - b_app)) "$reqs")"
  opens[$key]+=" $(awk -v o=$((a_opens - b_opens)) -v n="$reqs" 'BEGIN {printf "%.2f", (n > 0 ? o / n : 0)}')"
  # Failures (connect/read/write socket errors, non-2xx answers) and timeouts, summed over rounds.
  local t
  e="$(awk '/Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8} /Non-2xx/ {n += $NF} END {print n + 0}' <<<"$out")"
  t="$(awk '/Socket errors/ {gsub(/,/, ""); n += $10} END {print n + 0}' <<<"$out")"
  errs[$key]=$(( ${errs[$key]:-0} + e ))
  tmos[$key]=$(( ${tmos[$key]:-0} + t ))
  if ((e + t)); then echo "  $name W=$w c=$c: $(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | tr '\n' ';')" >&2; fi
}

# s_time sends no Host header: svl is reached by /fn/NAME, nginx by the path.
full_row() {  # row key url proxy-pids...
  local name="$1" key="$2" port="${3#https://127.0.0.1:}" page="$path" b a b_app a_app b_o a_o res n secs f
  shift 3
  port="${port%%/*}"
  [[ "$name" == svl-* ]] && page="/fn/bench$path"
  b="$(cpu_ticks "$@")" b_app="$(cpu_ticks "$app_pid")" b_o="$(passive_opens)"
  res="$(s_time_run "$port" "$page" "$hs_clients" "${duration%s}")"
  a="$(cpu_ticks "$@")" a_app="$(cpu_ticks "$app_pid")" a_o="$(passive_opens)"
  read -r n secs f <<<"$res"
  rps[$key]+=" $(awk -v n="$n" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')"
  cpu_proxy[$key]+=" $(us_per_request $((a - b)) "$n")"
  cpu_app[$key]+=" $(us_per_request $((a_app - b_app)) "$n")"
  opens[$key]+=" $(awk -v o=$((a_o - b_o)) -v n="$n" 'BEGIN {printf "%.2f", (n > 0 ? o / n : 0)}')"
  errs[$key]=$(( ${errs[$key]:-0} + f ))
  tmos[$key]=0
  ((f == 0)) || echo "  $name: $f of $hs_clients s_time clients failed or read nothing" >&2
}

echo "upstream: $image ($upstream, THREADS=$upstream_threads), container ${container:0:12}, pid $app_pid," \
  "published 127.0.0.1:$pub_port (docker-proxy pid ${proxy_pid:-none}), bridge $bridge_ip:8080"
echo "wrk -t$wrk_threads -d$duration --timeout $wrk_timeout --latency (after a $warmup warm-up each); workers: $workers_list;" \
  "connections: $connections_list; rounds: $rounds; $(uptime | sed 's/.*load/load/')"
for w in $workers_list; do
  start_proxies "$w"
  for ((i = 0; i < rounds; i++)); do
    for c in $connections_list; do
      for r in $rows; do
        [[ "$r" == *-full && "$c" != "$first_c" ]] && continue
        run_row "$r" "$w" "$c"
      done
    done
  done
  stop_proxies "$w"
done

# --- the table ---------------------------------------------------------------------------------
sum() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" && b == "-") print "-"; else printf "%.1f", (a == "-" ? 0 : a) + (b == "-" ? 0 : b)}'; }
declare -A M  # medians: M[key|field]
echo
echo "load after: $(uptime | sed 's/.*load/load/')"
fmt="%-2s %5s %-21s %8s %13s %8s %8s %7s %7s %7s %7s %5s %5s %5s\n"
printf "$fmt" W conns row "req/s" "(range)" "p50 ms" "p99 ms" "proxy" "dproxy" "path" "app" "conns" "fail" "tmo"
printf "$fmt" "" "" "" "" "" "" "" "us/req" "us/req" "us/req" "us/req" "/req" "" ""
for w in $workers_list; do
  for c in $connections_list; do
    for r in $rows; do
      k="$r|$w|$c"
      [[ -n "${rps[$k]:-}" ]] || continue  # (-full rows: first connection count only)
      M[$k|rps]="$(echo "${rps[$k]}" | median)"
      M[$k|p50]="$(echo "${p50[$k]:-}" | median)"
      M[$k|p99]="$(echo "${p99[$k]:-}" | median)"
      M[$k|proxy]="$(echo "${cpu_proxy[$k]:-}" | median)"
      M[$k|dp]="$(echo "${cpu_dp[$k]:-}" | median)"
      M[$k|app]="$(echo "${cpu_app[$k]:-}" | median)"
      M[$k|path]="$(sum "${M[$k|proxy]}" "${M[$k|dp]}")"
      cn="$c"
      [[ "$r" == *-full ]] && cn="${hs_clients}cl"  # s_time clients, not connections
      printf "$fmt" "$w" "$cn" "$r" "${M[$k|rps]}" \
        "$(echo "${rps[$k]}" | range)" "${M[$k|p50]}" "${M[$k|p99]}" "${M[$k|proxy]}" "${M[$k|dp]}" \
        "${M[$k|path]}" "${M[$k|app]}" "$(echo "${opens[$k]}" | median)" "${errs[$k]}" "${tmos[$k]}"
    done
  done
done
echo "proxy = svl or nginx workers; dproxy = docker-proxy; path = proxy + dproxy: CPU per request of what sits"
echo "between wrk and the app (app = the upstream container's process). Medians over rounds; fail = socket"
echo "errors and non-2xx answers, tmo = wrk timeouts ($wrk_timeout), summed over rounds. conns/req = TCP"
echo "connections accepted in this network namespace per request (wrk's and docker-proxy's; ~1 on the"
echo "-resumed and -full rows). There req/s = handshakes/s (resumed / full) and the CPU per request"
echo "includes one handshake; -full rows: ${hs_clients}cl = $hs_clients openssl s_time -new clients."

has_row() { [[ " $rows " == *" $1 "* ]]; }
echo
echo "ratios (path CPU: proxy + docker-proxy; goal: req/s >= 1, p99 <= 1, cpu/request <= 1 against nginx)"
for w in $workers_list; do
  for c in $connections_list; do
    for pair in svl-netns/nginx-published svl-netns/nginx-bridge svl-https/nginx-https \
      svl-https/nginx-https-published svl-https-resumed/nginx-https-resumed svl-https-full/nginx-https-full; do
      mine="${pair%/*}" peer="${pair#*/}"
      has_row "$mine" && has_row "$peer" || continue
      a="$mine|$w|$c" b="$peer|$w|$c"
      [[ -n "${rps[$a]:-}" && -n "${rps[$b]:-}" ]] || continue
      printf "W=%s c=%-4s %17s / %-21s req/s %s  p99 %s  cpu/request %s\n" "$w" "$c" "$mine" "$peer" \
        "$(ratio "${M[$a|rps]}" "${M[$b|rps]}")" "$(ratio "${M[$a|p99]}" "${M[$b|p99]}")" \
        "$(ratio "${M[$a|path]}" "${M[$b|path]}")"
    done
  done
done
if has_row svl-https && has_row svl-netns && has_row nginx-https && has_row nginx-bridge; then
  echo "https / http, cpu/request (path):"
  for w in $workers_list; do
    for c in $connections_list; do
      echo "  W=$w c=$c  svl $(ratio "${M[svl-https|$w|$c|path]}" "${M[svl-netns|$w|$c|path]}")" \
        " nginx $(ratio "${M[nginx-https|$w|$c|path]}" "${M[nginx-bridge|$w|$c|path]}")"
    done
  done
fi
if [[ " $workers_list " == *" 1 "* && " $workers_list " == *" 2 "* ]]; then
  echo "2 workers / 1 worker, cpu/request (path):"
  for c in $connections_list; do
    line="  c=$c"
    for r in $rows; do
      [[ "$r" == direct-* || -z "${M[$r|1|$c|path]:-}" || -z "${M[$r|2|$c|path]:-}" ]] && continue
      line+="  $r $(ratio "${M[$r|2|$c|path]}" "${M[$r|1|$c|path]}")"
    done
    echo "$line"
  done
fi
total_errs=0
for k in "${!errs[@]}"; do total_errs=$((total_errs + errs[$k])); done
((total_errs == 0)) || { echo "failures: $total_errs (see the fail column)" >&2; exit 1; }
