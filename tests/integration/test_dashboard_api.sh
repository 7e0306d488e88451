#!/bin/sh
# What the dashboard relies on: one rule for /metrics, /metrics/events
# (the figures as a live event stream: snapshot, then a delta a second
# that names a new battle) and the dashboard's page: the admin token, or
# an address of --metrics-allow.  curl and jq.
. "$(dirname "$0")/lib.sh"

need_tool jq jq jq
ADMIN=admin-token-for-the-dashboard-0123456789
echo "$ADMIN" >"$TMP/token"

# stream_status URL [CURL ARGS...]: the status line of a stream read
# for 2 s, in $TMP/stream.headers; sets SSTATUS (200, 401...).
stream_status() {
	u=$1
	shift
	"$CURL" -sS -N --max-time 2 -D "$TMP/stream.headers" "$@" "$u" \
	    >"$TMP/stream.body" 2>/dev/null || true
	SSTATUS=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' \
	    "$TMP/stream.headers")
}

# Loopback is a scrape address by default: /metrics, the figures' stream
# and the page are open to it, by the same rule.
start_daemon --drain-delay 0 --admin-token-file "$TMP/token"
http GET "$BASE_URL/metrics"
expect_status 200 "GET /metrics from loopback (the default --metrics-allow)"
stream_status "$BASE_URL/metrics/events"
[ "$SSTATUS" = 200 ] ||
    fail "GET /metrics/events from loopback (the default --metrics-allow): $SSTATUS"
grep -q '^event: snapshot' "$TMP/stream.body" ||
    fail "no snapshot on /metrics/events from a scrape address"
http GET "$BASE_URL/dashboard"
expect_status 200 "GET /dashboard from loopback (the default --metrics-allow)"
stop_daemon

# A list without loopback: the token is needed for all three.
start_daemon --drain-delay 0 --admin-token-file "$TMP/token" \
    --metrics-allow '10.0.0.0/8, fd00::/8'
http GET "$BASE_URL/metrics"
expect_problem 401 unauthorized "GET /metrics from outside --metrics-allow"
http GET "$BASE_URL/metrics" -H "Authorization: Bearer $ADMIN"
expect_status 200 "GET /metrics with the admin token"
grep -q '^broadside_battles' "$TMP/body" || fail "no metrics in the answer"
http GET "$BASE_URL/metrics/events"
expect_problem 401 unauthorized "GET /metrics/events from outside --metrics-allow"
http GET "$BASE_URL/metrics/events" -H "Authorization: Bearer nope-nope-nope"
expect_problem 401 unauthorized "GET /metrics/events with a wrong token"
stream_status "$BASE_URL/metrics/events" -H "Authorization: Bearer $ADMIN"
[ "$SSTATUS" = 200 ] || fail "GET /metrics/events with the admin token: $SSTATUS"
http GET "$BASE_URL/dashboard"
expect_problem 401 unauthorized "GET /dashboard from outside --metrics-allow"

# The figures: a snapshot with the metrics and the battles, then deltas.
"$CURL" -sN --max-time 20 "$BASE_URL/metrics/events?access_token=$ADMIN" \
    >"$TMP/sse" &
SSE=$!
track_client "$SSE"
events() { sse_events "$TMP/sse" "$1"; }
# has_events NAME [RE]: whether the stream has a NAME event (matching RE).
has_events() {
	events "$1" | grep -q -- "${2:-.}"
}
wait_until 5 "a snapshot on /metrics/events" has_events snapshot ||
    fail "no snapshot on /metrics/events"
events snapshot | jq -e '.metrics.process_resident_memory_bytes > 0
    and (.metrics.broadside_http_request_duration_seconds | type) == "object"
    and .battles == {}' >/dev/null ||
    fail "figures snapshot: $(events snapshot | head -c 600)"
http POST "$BASE_URL/v1/battles" -d name=Watched
expect_status 201 "create a battle"
ID=$(json_string id)
# Its GM opens it (on a shared store a new battle is served by a node
# from its first request on: broadside-cluster(7)).
http GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $(json_string gm_token)"
expect_status 200 "the new battle"
# (jq 1.6's -e succeeds on empty input: wait for the id itself.)
wait_until 3 "a delta naming the new battle" has_events delta "\"$ID\":{" ||
    fail "no delta naming the new battle within 3 s: $(events delta | tail -n 2)"
events delta >"$TMP/deltas"
jq -s -e --arg id "$ID" '[.[] | .battles[$id] // empty] |
    .[0] | .name == "Watched" and .phase == "lobby" and .round == 0 and
    .streams == 0 and
    .online.gm == false' "$TMP/deltas" >/dev/null ||
    fail "the battle's row: $(cat "$TMP/deltas")"
# Only what changed travels: the build information is in the snapshot
# and in no delta.
events delta | grep -q broadside_build_info &&
    fail "a delta repeats what did not change"
kill "$SSE" 2>/dev/null
stop_daemon
note "ok"
