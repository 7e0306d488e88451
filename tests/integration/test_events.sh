#!/bin/sh
# The event stream end to end (events.c) against the real daemon, with
# 1 s heartbeats so that the test sees them.  That HTTP/1.1 streams keep
# flowing after libmicrohttpd hands us the socket is checked here end to
# end; tests/probe/mhd_handover checks the libmicrohttpd behaviour itself.
# Then a restart: the crew's last id from before it gets a snapshot whose
# id is of the new run and the crew's view, and that id resumes from the
# ring (over HTTP/1.1 and HTTP/2).
. "$(dirname "$0")/lib.sh"

EV=$BS_BUILDDIR/tests/integration/events
[ -x "$EV" ] || fail "no $EV (run make check)"
DAEMON_DB=$TMP/events.db
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

# --- after a restart ---------------------------------------------------
set -- $(sed -n 's/^events: resume //p' "$TMP/events.out")
[ $# -eq 4 ] || fail "events printed no battle, tokens and last id"
ID=$1 GM=$2 P1=$3 OLD=$4
case $OLD in
[0-9]*-c-[0-9]*) ;;
*) fail "the crew's last id is not EPOCH-c-SEQ: $OLD" ;;
esac
start_daemon --drain-delay 0 --heartbeat 1
U=$BASE_URL/v1/battles/$ID

# crew_stream OUT [CURL ARGS...]: the crew's stream, for 3 s, into OUT.
crew_stream() {
	out=$1
	shift
	"$CURL" -sN --max-time 3 "$@" "$U/events?access_token=$P1" >"$out" ||
	    [ $? -eq 28 ] || fail "the crew's stream failed: $(cat "$out")"
}
ids() { sed -n 's/^id: //p' "$1"; }

crew_stream "$TMP/sse1" -H "Last-Event-ID: $OLD"
sse_count "$TMP/sse1" snapshot 1 ||
    fail "an id from before the restart got no snapshot: $(cat "$TMP/sse1")"
NEW=$(ids "$TMP/sse1" | tail -n 1)
[ "${NEW%%-*}" -gt "${OLD%%-*}" ] ||
    fail "the snapshot's id $NEW is not of a later run than $OLD"
case $NEW in
[0-9]*-c-[0-9]*) ;;
*) fail "the snapshot's id is not of the crew's view: $NEW" ;;
esac
! ids "$TMP/sse1" | grep -v -- '-c-' >/dev/null ||
    fail "an id of another view on a crew stream: $(ids "$TMP/sse1")"

# Resuming from the new run's id: what came since, replayed, no snapshot.
as "$GM" POST "$U/narration" -H 'Content-Type: application/json' \
    -d '{"text":"After the restart."}'
expect_status 200 "a narration after the restart"
for proto in --http1.1 --http2-prior-knowledge; do
	crew_stream "$TMP/sse2" $proto -H "Last-Event-ID: $NEW"
	sse_count "$TMP/sse2" snapshot 1 &&
	    fail "a resume after the restart ($proto) got a snapshot: $(cat "$TMP/sse2")"
	grep -q 'After the restart' "$TMP/sse2" ||
	    fail "a resume after the restart ($proto) missed an event: $(cat "$TMP/sse2")"
	[ "$(ids "$TMP/sse2" | head -n 1)" = "${NEW%-*}-$((${NEW##*-} + 1))" ] ||
	    fail "the replay ($proto) does not follow $NEW: $(ids "$TMP/sse2")"
done
stop_daemon
note "ok"
