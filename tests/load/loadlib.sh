# Shared by the load scenarios (sourced after tests/integration/lib.sh).
#
# run_load NAME [ARGS...]: runs broadside-load against $BASE_URL (unless
# ARGS give --url) with a report in $TMP/NAME.json, prints its summary,
# and fails the test if it exits non-zero.  LOAD_TIMEOUT (seconds) bounds
# it from outside as well.
LOAD=${LOAD:-$BS_BUILDDIR/tools/load/broadside-load}
PROXY=${PROXY:-$BS_BUILDDIR/tools/faultproxy/broadside-faultproxy}
[ -x "$LOAD" ] || fail "no broadside-load at $LOAD (run make first)"
[ -x "$PROXY" ] || fail "no broadside-faultproxy at $PROXY (run make first)"

# Whether the daemon was built with the sanitizers (slower; ASan's
# quarantine makes resident memory grow by design).
sanitized() {
	grep -q __asan_init "$BROADSIDED"
}

run_load() {
	name=$1
	shift
	rc=0
	timeout "${LOAD_TIMEOUT:-120}" "$LOAD" --url "$BASE_URL" \
	    --report "$TMP/$name.json" "$@" >"$TMP/$name.out" \
	    2>"$TMP/$name.err" || rc=$?
	cat "$TMP/$name.out"
	if [ "$rc" -ne 0 ]; then
		echo "--- broadside-load's complaints (first 40 lines):" >&2
		head -n 40 "$TMP/$name.err" >&2
		fail "$name: broadside-load exited with status $rc: $*"
	fi
}

# report_value NAME JQ: a figure from the last report of run NAME.
report_value() {
	jq -r "$2" "$TMP/$1.json"
}

# start_proxy ARGS...: starts broadside-faultproxy in front of the daemon
# (--target 127.0.0.1:$DAEMON_PORT) and sets PROXY_URL.
start_proxy() {
	"$PROXY" --listen 127.0.0.1:0 --target "127.0.0.1:$DAEMON_PORT" "$@" \
	    >"$TMP/proxy.out" 2>"$TMP/proxy.err" &
	PROXY_PID=$!
	CLIENT_PIDS="$CLIENT_PIDS $PROXY_PID"
	wait_until 10 "broadside-faultproxy to listen" proxy_listening ||
	    fail "broadside-faultproxy: no 'listening on' line in 10 s"
	PROXY_URL=http://$addr
}

# proxy_listening: whether the proxy has said where it listens (sets addr);
# fails the test if it has exited.
proxy_listening() {
	addr=$(sed -n 's/^listening on \(.*:[0-9][0-9]*\)$/\1/p' \
	    "$TMP/proxy.out" 2>/dev/null | head -n 1)
	[ -z "$addr" ] || return 0
	proc_alive "$PROXY_PID" ||
	    fail "broadside-faultproxy exited at start-up: $(cat "$TMP/proxy.err")"
	return 1
}

# stop_proxy: stops the proxy started by start_proxy.
stop_proxy() {
	kill -TERM "$PROXY_PID" 2>/dev/null || true
	wait_exit "$PROXY_PID" 5
}
