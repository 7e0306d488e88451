#!/bin/sh
# HTTP/1.1 request heads: each request smuggling shape of RFC 9112 is
# refused with 400 (501 for an unknown transfer coding) and the
# connection closed, as a connection's first request and as a later one
# (rawhttp.c, raw bytes); 16 KB of ordinary headers are served; clients
# that dribble a head one line a second are closed at --head-timeout
# while others are served; the daemon is well throughout.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

RAWHTTP=$BS_BUILDDIR/tests/integration/rawhttp
[ -x "$RAWHTTP" ] || fail "no client at $RAWHTTP (make check builds it)"

start_daemon --head-timeout 2

"$RAWHTTP" smuggling "$DAEMON_PORT" >"$TMP/smuggling.out" 2>&1 || {
	cat "$TMP/smuggling.out" >&2
	fail "request smuggling shapes were not all refused (see above)"
}
cat "$TMP/smuggling.out"

# 20 slow clients (10 on their first request, 10 on their second); each
# must be closed by 2 s (--head-timeout) and a little.
"$RAWHTTP" slowloris "$DAEMON_PORT" 20 4 >"$TMP/slow.out" 2>&1 &
slow_pid=$!
track_client "$slow_pid"
sleep 1
http GET "$BASE_URL/healthz" --max-time 5
expect_status 200 "GET /healthz while 20 clients dribble their heads"
wait_exit "$slow_pid" 10
cat "$TMP/slow.out"
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "slow request heads outlived --head-timeout 2 (status $EXIT_STATUS)"

http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz afterwards"
stop_daemon
note "ok"
