#!/bin/sh
# The event stream end to end (events.c) against the real daemon, with
# 1 s heartbeats so that the test sees them.  That HTTP/1.1 streams keep
# flowing after libmicrohttpd hands us the socket is checked here end to
# end; tests/probe/mhd_handover checks the libmicrohttpd behaviour itself.
. "$(dirname "$0")/lib.sh"

EV=$BS_BUILDDIR/tests/integration/events
[ -x "$EV" ] || fail "no $EV (run make check)"
start_daemon --drain-delay 0 --heartbeat 1
"$EV" "$BASE_URL" >"$TMP/events.out" 2>&1 || {
	cat "$TMP/events.out" >&2
	fail "events failed"
}
cat "$TMP/events.out"
http GET "$BASE_URL/metrics"
grep -q '^broadside_stream_replays_total [1-9]' "$TMP/body" ||
    fail "no replay counted in /metrics"
grep -q '^broadside_stream_snapshots_total{reason="resend"} [1-9]' \
    "$TMP/body" || fail "no snapshot re-send counted in /metrics"
stop_daemon
note "ok"
