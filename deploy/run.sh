#!/usr/bin/env bash
# `make run`: starts `svl daemon` (embedded defaults: SQLite state in /var/lib/svl, local dockerd)
# unless one already answers, deploys the bundled example with `svl up`, and shows a request
# answered warm, then cold after it scaled to zero. The daemon keeps running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SVL_BUILD_DIR:-$PWD/build}
svl="$build/svl"
state=${SVL_STATE_DIR:-/var/lib/svl}
admin="$state/svl.sock"
listen=${SVL_LISTEN:-127.0.0.1:8080}
port=${listen##*:}

started_here=0
if "$svl" ls --admin "$admin" >/dev/null 2>&1; then
  echo "run: svl daemon already answers on $admin (started earlier, maybe from another checkout)"
else
  started_here=1
  echo "run: starting svl daemon (log: $build/daemon.log)"
  nohup "$svl" daemon --state-dir "$state" --listen "$listen" >"$build/daemon.log" 2>&1 </dev/null &
  echo $! >"$build/daemon.pid"
  for ((i = 0; i < 300; i++)); do
    grep -q "svl daemon ready" "$build/daemon.log" 2>/dev/null && break
    if ! kill -0 "$(cat "$build/daemon.pid")" 2>/dev/null; then
      echo "run: svl daemon exited:" >&2
      tail -n 20 "$build/daemon.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  grep "svl daemon ready" "$build/daemon.log"
fi

# The bundled example: the `static` template with the static HTTP server svl builds for its
# own tests, idling fast so the demo can show a cold start.
example="$build/example/hello"
if [[ ! -f "$example/svl.toml" ]]; then
  rm -rf "$example"
  "$svl" new hello --template static "$example"
fi
cp "$build/tests/fixtures/svl_test_server" "$example/server"
sed -i 's/^pause_after = .*/pause_after = "2s"        # demo: paused after 2 s idle/; s/^idle_timeout = .*/idle_timeout = "5s"       # demo: stopped after 5 s idle/' "$example/svl.toml"

# The example belongs to whichever checkout ran `make run` last: when another checkout's bundled
# example holds the name, this one takes it over. A user's own function called hello is left alone.
if ! up_out=$("$svl" up "$example" --admin "$admin" 2>&1); then
  if grep -qE 'already deployed from [^ ]*/build/example/hello,' <<<"$up_out"; then
    echo "run: hello is another checkout's bundled example; deploying this checkout's instead"
    "$svl" up "$example" --admin "$admin" --force
  else
    printf '%s\n' "$up_out" >&2
    exit 1
  fi
else
  printf '%s\n' "$up_out"
fi
echo
echo "run: a warm request:"
curl -sS -w '   -> HTTP %{http_code} in %{time_total} s\n' "http://127.0.0.1:$port/fn/hello/"
echo "run: waiting 7 s for hello to scale to zero (idle_timeout = 5s)..."
sleep 7
"$svl" ls --admin "$admin"
echo "run: a cold request (the replica is stopped; svl starts it and holds the request):"
curl -sS -w '   -> HTTP %{http_code} in %{time_total} s\n' "http://127.0.0.1:$port/fn/hello/"
"$svl" ls --admin "$admin"
echo
echo "svl is up. Try: curl http://hello.localhost:$port/   |   $svl ls   |   $svl logs hello"
if ((started_here)) || { [[ -f "$build/daemon.pid" ]] && kill -0 "$(cat "$build/daemon.pid")" 2>/dev/null; }; then
  echo "Stop the daemon with: kill \$(cat $build/daemon.pid)   (its replicas are adopted at the next start)"
else
  echo "The daemon was already running (state in $state); stop it from the checkout that started it: kill \$(cat <that checkout>/build/daemon.pid)"
fi
