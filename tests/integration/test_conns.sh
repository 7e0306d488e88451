#!/bin/sh
# 1,000 concurrent HTTP/1.1 keep-alive connections, three requests on
# each, all answered 200 on the same connections (conns.c); /metrics
# counts them while they are held open, and the daemon is well afterwards.
# Loopback only; bounded by conns --timeout and --hold.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

N=1000
ROUNDS=3
CONNS=$BS_BUILDDIR/tests/integration/conns
[ -x "$CONNS" ] || fail "no client at $CONNS (make check builds it)"

# The daemon and the client each hold N sockets, and a few more.
need=$((N + 256))
soft=$(ulimit -n)
if [ "$soft" != unlimited ] && [ "$soft" -lt "$need" ]; then
	ulimit -n "$need" 2>/dev/null ||
	    fail "cannot raise the open-file limit to $need (soft $soft, hard $(ulimit -Hn)); raise the hard limit (ulimit -Hn, limits.conf) or run as root"
fi

# All N come from 127.0.0.1: no per-address cap.
start_daemon --per-ip-connections 0

"$CONNS" --url "$BASE_URL/healthz" --count "$N" --rounds "$ROUNDS" \
    --timeout 20 --hold 4 >"$TMP/conns.out" 2>"$TMP/conns.err" &
conns_pid=$!
track_client "$conns_pid"

# conns_holding WHAT: whether conns holds its connections (its "holding"
# line); fails the test if it has exited without (WHAT says which run).
conns_holding() {
	grep -q '^holding' "$TMP/conns.out" && return 0
	if ! proc_alive "$conns_pid"; then
		cat "$TMP/conns.out" "$TMP/conns.err" >&2
		fail "$1: conns exited before holding its connections"
	fi
	return 1
}

# open_at_most N FILE: scrapes /metrics into FILE; whether at most N
# HTTP/1.1 connections are open (sets open).
open_at_most() {
	scrape "$2"
	open=$(metric_sum "$2" broadside_connections_open 'protocol="http1"')
	num_ge "$1" "$open"
}

# While the client holds its connections, /metrics counts them.
if ! wait_until 25 "conns to hold $N connections" \
    conns_holding "$N connections"; then
	kill "$conns_pid" 2>/dev/null || true
	cat "$TMP/conns.out" "$TMP/conns.err" >&2
	fail "conns did not finish its rounds within 25 s"
fi
scrape "$TMP/held"
open=$(metric_sum "$TMP/held" broadside_connections_open 'protocol="http1"')
note "connections open while held: $open"
num_ge "$open" "$N" && ! num_ge "$open" "$N" 11 ||
    fail "broadside_connections_open{protocol=\"http1\"} is '$open' while conns holds $N (expected $N to $((N + 10))); $(head -n 1 "$TMP/conns.out")"

wait_exit "$conns_pid" 15
cat "$TMP/conns.out"
if [ "$EXIT_STATUS" -ne 0 ]; then
	cat "$TMP/conns.err" >&2
	fail "conns exited with status $EXIT_STATUS"
fi

# The daemon is well and the connections are gone (bounded wait: the
# daemon notices the closes on its next loop turns).
http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz after $N connections"
wait_until 5 "the connections to close" open_at_most 5 "$TMP/after" ||
    fail "broadside_connections_open{protocol=\"http1\"} still $open 5 s after conns closed its connections"
total=$(metric_sum "$TMP/after" broadside_connections_total 'protocol="http1"')
num_ge "$total" "$N" ||
    fail "broadside_connections_total{protocol=\"http1\"} is '$total' after $N connections"
ok=$(metric_sum "$TMP/after" broadside_http_requests_total \
    'route="healthz"' 'status="200"')
num_ge "$ok" $((N * ROUNDS)) ||
    fail "requests_total{route=healthz,status=200} is '$ok' after $((N * ROUNDS)) requests"

stop_daemon

# --per-ip-connections and --max-connections: past the cap, a new
# connection is closed, with a 503 problem (busy) at best; once the held
# ones close, the next is served.
# healthz_ok: whether GET /healthz is answered 200 (sets STATUS).
healthz_ok() {
	http GET "$BASE_URL/healthz"
	[ "$STATUS" = 200 ]
}

for opt in --per-ip-connections --max-connections; do
	start_daemon "$opt" 3
	: >"$TMP/conns.out"
	"$CONNS" --url "$BASE_URL/healthz" --count 3 --rounds 1 --timeout 10 \
	    --hold 2 >"$TMP/conns.out" 2>"$TMP/conns.err" &
	conns_pid=$!
	track_client "$conns_pid"
	wait_until 10 "conns to hold 3 connections" conns_holding "$opt 3" || {
		cat "$TMP/conns.out" "$TMP/conns.err" >&2
		fail "$opt 3: conns did not hold 3 connections"
	}
	http GET "$BASE_URL/healthz" --max-time 5
	case $STATUS in
	000) ;;
	503) expect_problem 503 busy "$opt 3: a 4th connection" ;;
	*) fail "$opt 3: a 4th connection got status $STATUS, expected to be refused" ;;
	esac
	wait_exit "$conns_pid" 10
	[ "$EXIT_STATUS" -eq 0 ] || fail "$opt 3: conns exited with status $EXIT_STATUS"
	wait_until 5 "GET /healthz to be served again" healthz_ok ||
	    fail "$opt 3: status $STATUS 5 s after the held connections closed"
	stop_daemon
done

# --idle-timeout: keep-alive connections that carry nothing are closed.
start_daemon --idle-timeout 1
"$CONNS" --url "$BASE_URL/healthz" --count 5 --rounds 1 --timeout 10 \
    --hold 6 >"$TMP/conns.out" 2>"$TMP/conns.err" &
conns_pid=$!
track_client "$conns_pid"
wait_until 10 "conns to hold 5 connections" conns_holding "--idle-timeout 1" || {
	cat "$TMP/conns.out" "$TMP/conns.err" >&2
	fail "--idle-timeout 1: conns did not hold 5 connections"
}
wait_until 5 "the idle connections to close" open_at_most 1 "$TMP/idle" ||
    fail "--idle-timeout 1: $open connections still open after 5 s idle"
kill "$conns_pid" 2>/dev/null || true
wait_exit "$conns_pid" 5
stop_daemon

note "ok"
