#!/usr/bin/env bash
# Would HTTP/2 pay off in front of svl? (issue 17; docs/https.md, "HTTP/2"). svl's gateway speaks
# HTTP/1.1 only, so the question is put to nginx: one nginx server, `listen ... ssl http2`, the
# certificate and TLS settings of run.sh's nginx-https row, proxying to the same upstream container
# over its bridge address, driven by h2load (nghttp2-client) over TLS at the same concurrency:
#   h1         h2load --h1 -c64: HTTP/1.1 (ALPN http/1.1), 64 connections, one request each at a time
#   h1-wrk     wrk -c64 on the same port: the client run.sh uses, to tie the two together
#   h2-c64-m1  HTTP/2, 64 connections, one stream each: HTTP/2's framing alone
#   h2-c8-m8   HTTP/2, 8 connections x 8 streams: 64 in flight on fewer connections
#   h2-c2-m32  HTTP/2, 2 connections x 32 streams (one per h2load thread)
#   h1-c512, h2-c8-m64   512 in flight: 512 HTTP/1.1 connections against 8 HTTP/2 ones
# Per row: req/s, p50 and p99 (from h2load's per-request log; wrk --latency for h1-wrk), nginx
# workers' CPU per request (/proc/PID/stat), bytes per request received by the client (HPACK's
# saving shows there), connections per request. Rows interleaved per round; medians, req/s range.
#
#   SVL_BUILD_DIR=build bash bench/gateway/http2.sh
# Knobs (env): DURATION=5 (seconds)  WARMUP=1  WORKERS="1 2" (nginx worker_processes)  ROUNDS=1
#              ROWS="h1 h2-c8-m8 ..." (a subset; also h1-cC and h2-cC-mM for any C, M)  CLIENT_THREADS=2
#              TLS_CIPHER=TLS_AES_128_GCM_SHA256  PATH_UNDER_TEST=/
# Needs: dockerd, h2load (nghttp2-client), wrk, nginx (with http_v2, as nginx-light is), openssl,
# the target svl_test_server. The container is labelled svl.test=bench-gateway and removed on
# exit, with nginx.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${SVL_BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
duration="${DURATION:-5}"
warmup="${WARMUP:-1}"
workers_list="${WORKERS:-1 2}"
rounds="${ROUNDS:-1}"
threads="${CLIENT_THREADS:-2}"
tls_cipher="${TLS_CIPHER:-TLS_AES_128_GCM_SHA256}"
path="${PATH_UNDER_TEST:-/}"
rows="${ROWS:-h1 h1-wrk h2-c64-m1 h2-c8-m8 h2-c2-m32 h1-c512 h2-c8-m64}"

server="$build/tests/fixtures/svl_test_server"
for b in "$server" h2load wrk nginx docker openssl; do
  command -v "$b" >/dev/null || [[ -x "$b" ]] || { echo "missing $b (build svl_test_server; apt-get install nghttp2-client wrk nginx-light)" >&2; exit 2; }
done

tmp="$(mktemp -d /tmp/svl-bench-http2.XXXXXX)"
pids=()
container=""
cleanup() {
  [[ -z "$container" ]] || docker rm -f "$container" >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n "${KEEP_TMP:-}" ]] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
source "$here/lib.sh"

start_upstream event 1 "$path"
make_cert "$tmp/certs"

nginx_pid="" port=""
start_nginx() {  # workers
  local w="$1" d="$tmp/nginx-$1"
  port="$(free_port)"
  mkdir -p "$d"
  # As run.sh's nginx-https (upstream keepalive 1024: see its NGINX_KEEPALIVE). The head lifts
  # keepalive_requests: with 32 streams a connection reaches nginx's default of 1000 in a
  # fraction of a second.
  cat >"$d/nginx.conf" <<EOF
$(nginx_conf_head "$d" "$w")
  upstream bridge { server $bridge_ip:8080; keepalive 1024; }
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $tmp/certs/default.crt; ssl_certificate_key $tmp/certs/default.key;
    ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites $tls_cipher;
    location / { proxy_pass http://bridge; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme; }
  }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &
  nginx_pid=$!
  pids+=($nginx_pid)
  wait_200 "https://127.0.0.1:$port$path"
  echo "W=$w nginx 127.0.0.1:$port: $(tls_params "$port"), ALPN h2: $(curl -sk --http2 -o /dev/null -w '%{http_version}' "https://127.0.0.1:$port$path")"
}
stop_nginx() {
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  local kept=() p
  for p in "${pids[@]}"; do [[ "$p" == "$nginx_pid" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}

# Percentile (ms) of h2load's log: tab-separated start (us), status, duration (us).
log_pct() { cut -f3 "$1" | sort -n | awk -v q="$2" '{a[NR]=$1} END {i = int(NR * q / 100); if (i < 1) i = 1; printf "%.3f", a[i] / 1000}'; }
wrk_ms() {
  awk -v v="$1" 'BEGIN {if (v ~ /us$/) {sub(/us$/, "", v); printf "%.3f", v / 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v); printf "%.3f", v}
    else if (v ~ /s$/) {sub(/s$/, "", v); printf "%.3f", v * 1000} else printf "%s", v}'
}

declare -A rps p50 p99 cpu bytes opens fails
run_row() {  # row workers
  local name="$1" w="$2" key="$1|$2" url="https://127.0.0.1:$port$path"
  local -a ng
  read -r -a ng <<<"$(pgrep -P "$nginx_pid" | tr '\n' ' ')"
  local cmd=() c=64 m=1
  case "$name" in
    h1) cmd=(h2load --h1 -t"$threads" -c64 -m1) ;;
    h1-c*) cmd=(h2load --h1 -t"$threads" -c"${name#h1-c}" -m1) ;;
    h1-wrk) cmd=(wrk -t"$threads" -c64 --timeout 10s --latency) ;;
    h2-c*-m*) c="${name#h2-c}" c="${c%-m*}" m="${name##*-m}"; cmd=(h2load -t"$threads" -c"$c" -m"$m") ;;
    *) echo "unknown row $name" >&2; exit 2 ;;
  esac
  local out reqs b_cpu a_cpu b_op a_op
  if [[ "$name" == h1-wrk ]]; then
    "${cmd[@]}" -d"${warmup}s" "$url" >/dev/null
    b_cpu="$(cpu_ticks "${ng[@]}")" b_op="$(passive_opens)"
    out="$("${cmd[@]}" -d"${duration}s" "$url")"
    a_cpu="$(cpu_ticks "${ng[@]}")" a_op="$(passive_opens)"
    reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
    rps[$key]+=" $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
    p50[$key]+=" $(wrk_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    p99[$key]+=" $(wrk_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    bytes[$key]+=" $(awk -v n="$reqs" '/requests in/ {v = $5; m = 1; if (v ~ /KB$/) m = 1024; if (v ~ /MB$/) m = 1048576;
      if (v ~ /GB$/) m = 1073741824; sub(/[KMG]?B$/, "", v); printf "%.0f", v * m / n}' <<<"$out")"
    fails[$key]=$(( ${fails[$key]:-0} + $(awk '/Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' <<<"$out") ))
  else
    "${cmd[@]}" -D"$warmup" "$url" >/dev/null
    b_cpu="$(cpu_ticks "${ng[@]}")" b_op="$(passive_opens)"
    rm -f "$tmp/log"  # h2load appends to it
    out="$("${cmd[@]}" -D"$duration" --log-file="$tmp/log" "$url")"
    a_cpu="$(cpu_ticks "${ng[@]}")" a_op="$(passive_opens)"
    grep -qi "application protocol: $([[ $name == h1* ]] && echo http/1.1 || echo h2)" <<<"$out" ||
      { echo "$name: not the protocol asked for:" >&2; echo "$out" >&2; exit 1; }
    reqs="$(awk '/^requests:/ {print $8}' <<<"$out")"  # succeeded
    rps[$key]+=" $(awk '/^finished in/ {printf "%.0f", $4}' <<<"$out")"
    p50[$key]+=" $(log_pct "$tmp/log" 50)"
    p99[$key]+=" $(log_pct "$tmp/log" 99)"
    bytes[$key]+=" $(awk -v n="$reqs" '/^traffic:/ {gsub(/[()]/, "", $3); printf "%.0f", $3 / n}' <<<"$out")"
    fails[$key]=$(( ${fails[$key]:-0} + $(awk '/^requests:/ {print $10 + $12 + $14}' <<<"$out") ))
  fi
  cpu[$key]+=" $(us_per_request $((a_cpu - b_cpu)) "$reqs")"
  opens[$key]+=" $(awk -v o=$((a_op - b_op)) -v n="$reqs" 'BEGIN {printf "%.4f", (n > 0 ? o / n : 0)}')"
}

echo "upstream: $image, container ${container:0:12}, bridge $bridge_ip:8080; ${duration}s per row after ${warmup}s," \
  "client threads $threads, workers: $workers_list, rounds: $rounds; $(uptime | sed 's/.*load/load/')"
for w in $workers_list; do
  start_nginx "$w"
  for ((i = 0; i < rounds; i++)); do
    for r in $rows; do run_row "$r" "$w"; done
  done
  stop_nginx
done

echo
echo "load after: $(uptime | sed 's/.*load/load/')"
fmt="%-2s %-10s %8s %13s %8s %8s %8s %8s %7s %5s\n"
printf "$fmt" W row "req/s" "(range)" "p50 ms" "p99 ms" "nginx" "bytes" "conns" "fail"
printf "$fmt" "" "" "" "" "" "" "us/req" "/req" "/req" ""
for w in $workers_list; do
  for r in $rows; do
    k="$r|$w"
    printf "$fmt" "$w" "$r" "$(echo "${rps[$k]}" | median)" "$(echo "${rps[$k]}" | range)" "$(echo "${p50[$k]}" | median)" \
      "$(echo "${p99[$k]}" | median)" "$(echo "${cpu[$k]}" | median)" "$(echo "${bytes[$k]}" | median)" \
      "$(echo "${opens[$k]}" | median)" "${fails[$k]}"
  done
done
echo "nginx = CPU of its workers per request; bytes = bytes the client received per request (h2load: all"
echo "traffic, wrk: what it read); conns/req = TCP connections accepted per request. Medians over rounds."
echo
echo "against h1 (HTTP/1.1 over TLS, h2load, 64 connections; h2-c8-m64 against h1-c512):"
for w in $workers_list; do
  for r in $rows; do
    [[ "$r" == h1 || "$r" == h1-c* ]] && continue
    a="$r|$w" b="h1|$w"
    [[ "$r" == *-m64 ]] && b="h1-c512|$w"  # the same 512 in flight
    printf "W=%s %-10s req/s %s  p99 %s  cpu/request %s\n" "$w" "$r" \
      "$(ratio "$(echo "${rps[$a]}" | median)" "$(echo "${rps[$b]}" | median)")" \
      "$(ratio "$(echo "${p99[$a]}" | median)" "$(echo "${p99[$b]}" | median)")" \
      "$(ratio "$(echo "${cpu[$a]}" | median)" "$(echo "${cpu[$b]}" | median)")"
  done
done
