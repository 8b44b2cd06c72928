#!/usr/bin/env bash
# End-to-end proof of the dashboard against `svl daemon` (issue 7): a private Prometheus
# watches a real daemon while real traffic runs (a cold start, unknown hosts, a burst, a
# scale to zero and a second wake), then every dashboard query must parse and return data,
# and a live scrape must pass `promtool check metrics`.
#
#   daemon_proof.sh SVL_BINARY TEST_SERVER_BINARY
#
# Needs dockerd, Debian's prometheus, curl, jq. Everything it creates carries
# svl.test=<run id> and is removed on exit, failure included. Bounded: about 3 minutes.
set -euo pipefail

svl="${1:?usage: $0 SVL_BINARY TEST_SERVER_BINARY}"
server="${2:?usage: $0 SVL_BINARY TEST_SERVER_BINARY}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in docker prometheus curl jq; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed" >&2; exit 77; }
done

"$svl" daemon --help >/dev/null 2>&1 || { echo "SKIP: $svl has no daemon subcommand" >&2; exit 77; }

run_id="metrics-proof-$$-$RANDOM"
work="$(mktemp -d /tmp/svl-daemon-proof.XXXXXX)"
image="svl-metrics-proof:$run_id"
function_name="mproof"
daemon_pid=""

cleanup() {
  set +e
  bash "$here/prometheus_proof.sh" --stop "$work/prometheus" >/dev/null 2>&1
  if [[ -n "$daemon_pid" ]]; then
    kill -TERM "$daemon_pid" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  ids=$(docker ps -aq --filter "label=svl.test=$run_id")
  [[ -n "$ids" ]] && docker rm -f $ids >/dev/null
  docker rmi -f "$image" >/dev/null 2>&1
  if [[ "${failed:-1}" == 1 && -f "$work/daemon.log" ]]; then
    echo "--- daemon log (tail) ---"; tail -40 "$work/daemon.log"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$(( SECONDS + limit ))
  until "$@"; do
    if [[ -n "$daemon_pid" ]] && ! kill -0 "$daemon_pid" 2>/dev/null; then
      echo "FAIL: the daemon exited while waiting for $what" >&2; return 1
    fi
    if (( SECONDS > deadline )); then echo "FAIL: timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

metric() {  # metric SERIES_PREFIX -> value of the first matching line of a scrape
  curl -fsS --max-time 5 "http://127.0.0.1:$metrics_port/metrics" |
    awk -v s="$1" 'index($0, s) == 1 && !found {print $NF; found = 1}'
}

# 1. The function's image: the static test server in a FROM-scratch image.
mkdir -p "$work/image" "$work/fn" "$work/state"
cp "$server" "$work/image/server"
printf 'FROM scratch\nCOPY server /server\nENTRYPOINT ["/server"]\n' > "$work/image/Dockerfile"
docker build -q --label "svl.test=$run_id" -t "$image" "$work/image" >/dev/null 2>"$work/build.log" ||
  { cat "$work/build.log" >&2; exit 1; }

# 2. The daemon on ports the kernel picks (port 0: no race with other tests), labelling its
#    containers for this run; its ready line says which ports it got.
admin="$work/state/svl.sock"
"$svl" daemon --state-dir "$work/state" --listen "127.0.0.1:0" \
  --metrics-listen "127.0.0.1:0" --admin "$admin" --label "svl.test=$run_id" \
  >"$work/daemon.log" 2>&1 &
daemon_pid=$!
daemon_ready() { grep -q "svl daemon ready" "$work/daemon.log" 2>/dev/null; }
wait_for 60 "the daemon's ready line" daemon_ready
ready_line=$(grep "svl daemon ready" "$work/daemon.log")
gateway_port=$(sed -E 's/.*gateway http:\/\/127\.0\.0\.1:([0-9]+).*/\1/' <<<"$ready_line")
metrics_port=$(sed -E 's/.*metrics http:\/\/[^:]+:([0-9]+).*/\1/' <<<"$ready_line")
metrics_served() { curl -fsS -o /dev/null "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null; }
wait_for 20 "the daemon's /metrics" metrics_served
echo "daemon up: gateway 127.0.0.1:$gateway_port, metrics 127.0.0.1:$metrics_port"

# 3. Prometheus watches from before the first request.
bash "$here/prometheus_proof.sh" --start "$work/prometheus" "$metrics_port"

# 4. A function that scales to zero quickly.
cat > "$work/fn/svl.toml" <<EOF
name = "$function_name"
port = 8080
image = "$image"

[scale]
min = 0
max = 3
policy = "fixed"
pause_after = "off"
idle_timeout = "3s"

# The dashboard's cron row needs runs: one every 10 s wakes the function, which still reaches zero
# between them (3 s idle).
[[cron]]
schedule = "*/10 * * * * *"
path = "/tasks/report"
EOF
"$svl" up "$work/fn" --admin "$admin"
url="http://127.0.0.1:$gateway_port/fn/$function_name"

# 5. Traffic.
no_ready_replica() { [[ "$(metric "svl_replicas{function=\"$function_name\",state=\"ready\"}")" == 0 ]]; }
wait_for 60 "no ready replica after deploy" no_ready_replica
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "$url/")
[[ "$code" == 200 ]] || { echo "FAIL: cold request answered $code" >&2; exit 1; }
echo "cold request: 200"
for i in $(seq 1 20); do curl -sS -o /dev/null -H "Host: nosuch-$i.localhost" "http://127.0.0.1:$gateway_port/"; done
pids=()
for i in $(seq 1 30); do curl -sS -o /dev/null --max-time 30 "$url/sleep?ms=300" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
echo "burst done"
wait_for 90 "scale to zero after the burst" no_ready_replica
echo "scaled to zero"
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "$url/")
[[ "$code" == 200 ]] || { echo "FAIL: second cold request answered $code" >&2; exit 1; }
echo "second wake: 200"
cron_runs() { metric "svl_cron_runs_total{function=\"$function_name\",result=\"ok\""; }
two_cron_runs() { [[ "$(cron_runs)" -ge 2 ]] 2>/dev/null; }
wait_for 40 "two cron runs" two_cron_runs
echo "cron runs: $(cron_runs)"
sleep 3  # two scrapes after the last request

# 6. Every dashboard query, for All and for the function.
bash "$here/prometheus_proof.sh" --check "$work/prometheus" --rate-interval 2m --range 10m \
  --function '.*' --function "$function_name" ${SVL_PROOF_STRICT:+--strict}
failed=0
