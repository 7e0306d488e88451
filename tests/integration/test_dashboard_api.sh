#!/bin/sh
# What the dashboard relies on: /metrics for the operator and the scrape
# addresses of --metrics-allow only; /metrics/events, the figures as a
# live event stream (snapshot, then a delta a second that names a new
# battle), for the operator only.  curl and jq.
. "$(dirname "$0")/lib.sh"

need_tool jq jq jq
ADMIN=admin-token-for-the-dashboard-0123456789
echo "$ADMIN" >"$TMP/token"

# Loopback is a scrape address by default: /metrics is open to it, the
# figures' stream is not.
start_daemon --drain-delay 0 --admin-token-file "$TMP/token"
http GET "$BASE_URL/metrics"
expect_status 200 "GET /metrics from loopback (the default --metrics-allow)"
http GET "$BASE_URL/metrics/events"
expect_problem 401 unauthorized "GET /metrics/events without a token"
http GET "$BASE_URL/metrics/events" -H "Authorization: Bearer nope-nope-nope"
expect_problem 401 unauthorized "GET /metrics/events with a wrong token"
stop_daemon

# A list without loopback: the token is needed for /metrics too.
start_daemon --drain-delay 0 --admin-token-file "$TMP/token" \
    --metrics-allow '10.0.0.0/8, fd00::/8'
http GET "$BASE_URL/metrics"
expect_problem 401 unauthorized "GET /metrics from outside --metrics-allow"
http GET "$BASE_URL/metrics" -H "Authorization: Bearer $ADMIN"
expect_status 200 "GET /metrics with the admin token"
grep -q '^broadside_battles' "$TMP/body" || fail "no metrics in the answer"

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
