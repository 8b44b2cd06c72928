#!/usr/bin/env bash
# Proves the Grafana dashboard against a real Prometheus (Debian's package):
# starts a private Prometheus scraping 127.0.0.1:<metrics port> every second,
# waits for samples, lints a live scrape with `promtool check metrics`, then runs
# every dashboard query through /api/v1/query (Grafana's variables substituted)
# and checks that each one parses and returns data.
#
#   prometheus_proof.sh [options] METRICS_PORT        start, wait, check, stop: all in one
#   prometheus_proof.sh --start DIR METRICS_PORT        start Prometheus, wait for scrapes, leave it
#                                                       running (state in DIR, created), exit 0
#   prometheus_proof.sh [options] --check DIR           run the checks against the running one
#   prometheus_proof.sh --stop DIR                      stop it and remove DIR
#   (start before driving traffic, check after: rates then cover the traffic)
#     --dashboard FILE   dashboard JSON (default: deploy/grafana/dashboards/svl.json)
#     --function VALUE   value for $function (repeatable; a regex like Grafana's "All").
#                        Default: ".*" (All) plus up to 3 values of the function variable.
#     --strict           a query whose samples are all NaN/Inf fails too (default: warning)
#     --rate-interval D  value for $__rate_interval (default 10s; e.g. 2m when the traffic
#                        that should show, like a cold start, is older than 10 s)
#     --range D          value for $__range (default 5m)
#     --min-samples N    scrapes to wait for before querying (default 6)
#     --keep             keep Prometheus's temp dir (prints its path)
# Exit code 0 only when everything passed. Bounded: at most ~90 s of waiting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="${SVL_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
dashboard="$source_dir/deploy/grafana/dashboards/svl.json"
functions=()
strict=0
rate_interval=10s
range=5m
min_samples=6
keep=0
metrics_port=""
mode=all
state_dir=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dashboard) dashboard="$2"; shift 2 ;;
    --function) functions+=("$2"); shift 2 ;;
    --strict) strict=1; shift ;;
    --rate-interval) rate_interval="$2"; shift 2 ;;
    --range) range="$2"; shift 2 ;;
    --min-samples) min_samples="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --start) mode=start; state_dir="$2"; shift 2 ;;
    --check) mode=check; state_dir="$2"; shift 2 ;;
    --stop) mode=stop; state_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) metrics_port="$1"; shift ;;
  esac
done
if [[ "$mode" == stop ]]; then
  [[ -f "$state_dir/pid" ]] && kill "$(cat "$state_dir/pid")" 2>/dev/null || true
  for _ in $(seq 1 50); do
    [[ -f "$state_dir/pid" ]] && kill -0 "$(cat "$state_dir/pid")" 2>/dev/null || break
    sleep 0.1
  done
  [[ "$state_dir" == /tmp/* || -f "$state_dir/prometheus.yml" ]] && rm -rf "$state_dir"
  exit 0
fi
if [[ "$mode" == check ]]; then
  metrics_port="$(cat "$state_dir/metrics_port")"
fi
if ! [[ "$metrics_port" =~ ^[0-9]+$ ]] || (( metrics_port < 1 || metrics_port > 65535 )); then
  echo "usage: $0 [options] METRICS_PORT (see --help)" >&2
  exit 2
fi
for tool in prometheus promtool curl jq; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (Debian: prometheus, curl, jq)" >&2; exit 77; }
done
[[ -r "$dashboard" ]] || { echo "no dashboard at $dashboard" >&2; exit 2; }

query() {  # query EXPR -> JSON answer of /api/v1/query
  curl -sS --max-time 10 "$api/api/v1/query" --data-urlencode "query=$1"
}

prometheus_pid=""
if [[ "$mode" == all ]]; then
  work="$(mktemp -d /tmp/svl-prometheus-proof.XXXXXX)"
else
  work="$state_dir"
  mkdir -p "$work"
fi
cleanup() {
  if [[ -n "$prometheus_pid" ]]; then
    kill "$prometheus_pid" 2>/dev/null || true
    wait "$prometheus_pid" 2>/dev/null || true
  fi
  if [[ "$mode" == all ]]; then
    if (( keep )); then echo "kept $work"; else rm -rf "$work"; fi
  fi
}
trap cleanup EXIT

if [[ "$mode" != check ]]; then
cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: svl
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF
promtool check config "$work/prometheus.yml" >/dev/null

# Prometheus cannot listen on port 0 and report it: try a few free-looking ports.
api=""
for attempt in 1 2 3 4 5; do
  port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then continue; fi
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >"$work/prometheus.log" 2>&1 &
  prometheus_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then api="http://127.0.0.1:$port"; break; fi
    kill -0 "$prometheus_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$api" ]] && break
  kill "$prometheus_pid" 2>/dev/null || true
  wait "$prometheus_pid" 2>/dev/null || true
  prometheus_pid=""
done
if [[ -z "$api" ]]; then
  echo "FAIL: Prometheus did not start; its log:" >&2
  cat "$work/prometheus.log" >&2
  exit 1
fi
echo "prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on $api scraping 127.0.0.1:$metrics_port"

# Wait until the target is up and has enough samples for rate() windows.
deadline=$(( SECONDS + 60 + min_samples ))
while :; do
  n=$(query "count_over_time(up{job=\"svl\"}[5m])" | jq -r '.data.result[0].value[1] // "0"')
  up=$(query "up{job=\"svl\"}" | jq -r '.data.result[0].value[1] // "0"')
  if [[ "$up" == "1" ]] && (( n >= min_samples )); then break; fi
  if (( SECONDS > deadline )); then
    echo "FAIL: target 127.0.0.1:$metrics_port not scraped $min_samples times (up=$up, samples=$n)" >&2
    curl -sS "$api/api/v1/targets" | jq -r '.data.activeTargets[] | "\(.health) \(.lastError)"' >&2
    exit 1
  fi
  sleep 1
done
echo "target up, $n scrapes"
echo "$api" > "$work/api"
echo "$metrics_port" > "$work/metrics_port"
if [[ "$mode" == start ]]; then
  echo "$prometheus_pid" > "$work/pid"
  prometheus_pid=""  # keep it running for --check
  exit 0
fi
fi  # mode != check

api="$(cat "$work/api")"

failures=0

# promtool lint of a live scrape.
if curl -fsS --max-time 10 "http://127.0.0.1:$metrics_port/metrics" -o "$work/scrape.txt" &&
   promtool check metrics <"$work/scrape.txt" >"$work/lint.txt" 2>&1; then
  echo "ok    promtool check metrics on a live scrape ($(grep -vc '^#' "$work/scrape.txt") samples)"
else
  echo "FAIL  promtool check metrics on a live scrape:"; cat "$work/lint.txt"
  failures=$(( failures + 1 ))
fi

# The function variable: Grafana runs label_values(METRIC, function).
variable_query=$(jq -r '.templating.list[] | select(.name == "function") | .query.query // .query' "$dashboard")
if [[ "$variable_query" =~ ^label_values\(([a-z_:0-9]+),\ *function\)$ ]]; then
  values=$(curl -sS --max-time 10 -G "$api/api/v1/label/function/values" \
             --data-urlencode "match[]=${BASH_REMATCH[1]}" | jq -r '.data[]')
  if [[ -n "$values" ]]; then
    echo "ok    variable function = $(echo $values)"
  else
    echo "FAIL  variable query $variable_query returns no values"; failures=$(( failures + 1 ))
  fi
else
  echo "FAIL  function variable query not understood: $variable_query"; failures=$(( failures + 1 ))
  values=""
fi
if (( ${#functions[@]} == 0 )); then
  functions=(".*")
  # Real functions only: "_unknown" (unknown hosts) has no replicas, no cold starts.
  for v in $(echo "$values" | grep -v '^_' | head -3); do functions+=("$v"); done
fi

# Every target of every panel (rows' nested panels included).
mapfile -t exprs < <(jq -r '[.. | objects | select(has("targets")) | .targets[] | .expr] | .[]' "$dashboard")
echo "${#exprs[@]} queries x ${#functions[@]} values of \$function"

for fn in "${functions[@]}"; do
  for raw in "${exprs[@]}"; do
    expr="${raw//\$__rate_interval/$rate_interval}"
    expr="${expr//\$__range/$range}"
    expr="${expr//\$__interval/2s}"
    expr="${expr//\$\{function\}/$fn}"
    expr="${expr//\$function/$fn}"
    if [[ "$expr" == *'$'* ]]; then
      echo "FAIL  unsubstituted variable in: $raw"; failures=$(( failures + 1 )); continue
    fi
    answer=$(query "$expr")
    status=$(jq -r '.status' <<<"$answer")
    if [[ "$status" != "success" ]]; then
      echo "FAIL  [$fn] does not parse: $expr"; jq -r '.error' <<<"$answer"
      failures=$(( failures + 1 )); continue
    fi
    series=$(jq '.data.result | length' <<<"$answer")
    finite=$(jq '[.data.result[].value[1] | select(. != "NaN" and . != "+Inf" and . != "-Inf")] | length' <<<"$answer")
    if (( series == 0 )); then
      echo "FAIL  [$fn] no data: $expr"; failures=$(( failures + 1 ))
    elif (( finite == 0 )); then
      if (( strict )); then
        echo "FAIL  [$fn] only NaN/Inf: $expr"; failures=$(( failures + 1 ))
      else
        echo "warn  [$fn] only NaN/Inf ($series series): $expr"
      fi
    else
      echo "ok    [$fn] $series series: $expr"
    fi
  done
done

if (( failures > 0 )); then
  echo "FAILED: $failures check(s)"
  exit 1
fi
echo "PASSED: every dashboard query parses and returns data"
