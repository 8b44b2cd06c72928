# Shared by run.sh and http2.sh (sourced, not run): the upstream container, the certificate, CPU
# accounting. Expects $tmp, $server (svl_test_server), the array pids and $container set by the
# caller, whose EXIT trap removes them.

# Waits (bounded) for "<prefix>listening on <port>" in a log and prints the port.
port_from_log() {  # log [prefix]
  local log="$1" pat="^${2:-}listening on [0-9]*"
  for _ in $(seq 1 200); do
    if grep -q "$pat" "$log" 2>/dev/null; then
      grep -m1 -o "$pat" "$log" | awk '{print $NF}'
      return 0
    fi
    sleep 0.05
  done
  echo "no '${2:-}listening on' in $log:" >&2
  cat "$log" >&2
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_200() {  # url: bounded, 5 s (-k: the bench's self-signed certificate)
  for _ in $(seq 1 100); do
    [[ "$(curl -sk -o /dev/null -w '%{http_code}' "$1")" == 200 ]] && return 0
    sleep 0.05
  done
  echo "$1 never answered 200" >&2
  return 1
}

# The upstream container: svl's test server in a FROM-scratch image. Sets container, pub_port,
# app_pid, bridge_ip, netns, proxy_pid (docker-proxy, "" when there is none).
start_upstream() {  # mode (event|thread) threads path
  local mode="$1" threads="$2" p="$3"
  mkdir -p "$tmp/image"
  cp "$server" "$tmp/image/server"
  printf 'FROM scratch\nCOPY server /server\nEXPOSE 8080\nENTRYPOINT ["/server"]\n' >"$tmp/image/Dockerfile"
  image="svl-bench-gateway-upstream:$(sha256sum "$server" | cut -c1-12)"
  docker image inspect "$image" >/dev/null 2>&1 ||
    docker build -q --label svl.test=bench-gateway -t "$image" "$tmp/image" >/dev/null
  local env=(-e PORT=8080 -e THREADS="$threads")
  [[ "$mode" == thread ]] && env+=(-e THREAD_PER_CONNECTION=1)
  [[ "$mode" == event || "$mode" == thread ]] || { echo "UPSTREAM is event or thread" >&2; exit 2; }
  container="$(docker run -d --label svl.test=bench-gateway "${env[@]}" -p 127.0.0.1::8080 "$image")"
  pub_port="$(docker port "$container" 8080/tcp | head -1 | awk -F: '{print $NF}')"
  app_pid="$(docker inspect -f '{{.State.Pid}}' "$container")"
  bridge_ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$container")"
  netns="/proc/$app_pid/ns/net"
  wait_200 "http://127.0.0.1:$pub_port$p"  # docker-proxy accepts before the app listens
  wait_200 "http://$bridge_ip:8080$p"
  proxy_pid="$(pgrep -f -- "docker-proxy .*-host-port $pub_port( |$)" | head -1 || true)"
  [[ -n "$proxy_pid" ]] || echo "note: no docker-proxy for port $pub_port (userland proxy off?): its CPU is not counted" >&2
}

# One self-signed ECDSA P-256 certificate for bench.localhost and 127.0.0.1 (wrk sends the URL's
# host, 127.0.0.1, as SNI): svl's CertStore serves default.crt for any name, nginx the same pair.
make_cert() {  # dir
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.localhost \
    -addext "subjectAltName=DNS:bench.localhost,IP:127.0.0.1" -keyout "$1/default.key" -out "$1/default.crt" 2>/dev/null
}

# What a TLS port negotiates with a default client: "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519 ECDSA".
tls_params() {  # port
  openssl s_client -connect "127.0.0.1:$1" -servername bench.localhost </dev/null 2>/dev/null |
    awk '/^New, / {gsub(/,/, ""); v = $2; c = $5} /^Server Temp Key:/ {gsub(/,/, ""); k = $4}
         /^Peer signature type:/ {s = $4} END {print v, c, k, s}'
}

hz="$(getconf CLK_TCK)"
# The start of every bench nginx.conf, up to the inside of `http {`: workers, foreground, files
# under DIR, no access log, and no keep-alive limit (a connection closed mid-row would be
# handshaken again on the HTTPS rows).
nginx_conf_head() {  # dir workers
  cat <<EOF
worker_processes $2;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
EOF
}

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
# TCP connections accepted in this network namespace so far (the proxies' clients, docker-proxy's).
passive_opens() { awk '$1 == "Tcp:" && !h {for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next} $1 == "Tcp:" {print $c["PassiveOpens"]}' /proc/net/snmp; }

samples() { tr ' ' '\n' | awk '$1 != "" && $1 != "-"' | sort -g; }  # (awk: no failing grep on none)
median() { samples | awk '{a[NR]=$1} END {if (!NR) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
range() { samples | awk 'NR==1 {lo=$1} {hi=$1} END {if (NR > 1) printf "%s-%s", lo, hi; else print "-"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "  -  "; else printf "%5.2f", a / b}'; }

# Full handshakes: `clients` openssl s_time -new processes at once for `seconds`, each connecting,
# handshaking with a fresh SSL object (no session to resume), sending `GET page HTTP/1.0` and
# reading the answer until the server closes. Prints "connections wall-seconds failed-clients"
# (a client that did not finish, or read nothing, counts as failed).
s_time_run() {  # port page clients seconds
  local port="$1" page="$2" n="$3" secs="$4" sp=() i t0 t1
  t0="$(date +%s.%N)"
  for ((i = 0; i < n; i++)); do
    openssl s_time -connect "127.0.0.1:$port" -new -time "$secs" -www "$page" >"$tmp/s_time-$i.txt" 2>&1 &
    sp+=($!)
  done
  wait "${sp[@]}" || true
  t1="$(date +%s.%N)"
  cat "$tmp"/s_time-*.txt | awk -v t0="$t0" -v t1="$t1" -v n="$n" '
    /connections in [0-9.]+ real seconds/ {c += $1; ok++; if ($(NF - 4) + 0 == 0) bad++}
    END {printf "%d %.3f %d\n", c, t1 - t0, n - ok + bad}'
  rm -f "$tmp"/s_time-*.txt
}

# Whether a port resumes a TLS 1.3 session from its own ticket: "resumes" or "no resumption".
tls_resumes() {  # port
  local s="$tmp/session.pem"
  (sleep 0.3) | openssl s_client -connect "127.0.0.1:$1" -sess_out "$s" >/dev/null 2>&1 || true
  if openssl s_client -connect "127.0.0.1:$1" -sess_in "$s" </dev/null 2>/dev/null | grep -q '^Reused, '; then
    echo resumes
  else
    echo "no resumption"
  fi
  rm -f "$s"
}
