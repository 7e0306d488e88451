#!/bin/sh
# What the GM console relies on, end to end through the daemon: the round
# clock (pause, resume, extend) as durable actions that survive a
# SIGKILL, published as round events and logged; batch orders answered
# per order, committed as one change, told to the GM's stream one
# accepted event per order; and each kind of bad request refused with a
# problem that changes nothing.  curl and jq.
. "$(dirname "$0")/lib.sh"

need_tool jq jq jq
start_daemon --drain-delay 0 --debounce 5


http POST "$BASE_URL/v1/battles" -d '{"name":"Clockwork","round_seconds":60}'
expect_status 201 "create"
ID=$(json_string id) GM=$(json_string gm_token) CODE=$(json_string join_code)
U=$BASE_URL/v1/battles/$ID
http POST "$U/players" -d join_code="$CODE" -d name=Ann
ANN=$(json_string token)
as "$ANN" PUT "$U/stations/pilot"
expect_status 200 "take pilot"
for spec in '{"class":"frigate","side":"crew","crewed":true,"x":100,"y":100}' \
    '{"class":"corvette","side":"hostile","x":300,"y":100,"name":"Raider"}' \
    '{"class":"corvette","side":"hostile","x":350,"y":150,"name":"Jackal"}'; do
	as "$GM" POST "$U/ships" -d "$spec"
	expect_status 201 "add a ship"
done

# Not before the start, not for players.
as "$GM" POST "$U/pause"
expect_problem 409 not-planning "pause in the lobby"
as "$GM" POST "$U/start"
expect_status 200 "start"
as "$ANN" POST "$U/pause"
expect_problem 403 gm-only "a player pauses"
as "$GM" POST "$U/resume"
expect_problem 409 not-paused "resume a running clock"
as "$GM" POST "$U/pause" -d x=1
expect_problem 422 unknown-field "pause with a field"

"$CURL" -sN --max-time 30 "$U/events?access_token=$GM" >"$TMP/sse" &
SSE=$!
track_client "$SSE"
events() { sse_events "$TMP/sse" "$1"; }
wait_event() { sse_wait "$TMP/sse" "$1" "$2"; }
wait_event snapshot 1

# Pause: no deadline, the time left in the view and the round event.
# Sent twice with one Idempotency-Key: the second is the first's answer.
as "$GM" POST "$U/pause" -H "Idempotency-Key: pause-1"
expect_status 200 "pause"
cp "$TMP/body" "$TMP/pause1"
as "$GM" POST "$U/pause" -H "Idempotency-Key: pause-1"
expect_status 200 "pause again with the same key"
expect_header Idempotent-Replayed '^true$' "pause again with the same key"
cmp -s "$TMP/body" "$TMP/pause1" || fail "the replayed pause differs"
as "$GM" GET "$U"
jbody -e '.deadline == 0 and .paused_ms > 55000 and .paused_ms <= 60000' \
    >/dev/null || fail "paused view: $(jbody '{deadline,paused_ms}')"
LEFT=$(jbody .paused_ms)
wait_event round 1
events round | tail -n 1 | jq -e --argjson l "$LEFT" \
    '.deadline == 0 and .paused_ms == $l' >/dev/null ||
    fail "round event of the pause: $(events round | tail -n 1)"
as "$GM" POST "$U/pause"
expect_problem 409 paused "pause twice"

# Every order in, but the clock is stopped: the round waits.
BATCH='{"orders":[{"round":1,"ship":2,"evade":true},
    {"round":1,"ship":3,"x":360,"y":160},{"round":2,"ship":3},
    {"round":1,"ship":9}]}'
as "$GM" POST "$U/orders" -H "Idempotency-Key: batch-1" -d "$BATCH"
expect_status 202 "a batch of four, two good"
cp "$TMP/body" "$TMP/batch1"
as "$GM" POST "$U/orders" -H "Idempotency-Key: batch-1" -d "$BATCH"
expect_status 202 "the batch again with the same key"
expect_header Idempotent-Replayed '^true$' "the batch again with the same key"
cmp -s "$TMP/body" "$TMP/batch1" || fail "the replayed batch differs"
cp "$TMP/batch1" "$TMP/body"
[ "$(jbody '[.results[].status]')" = '[202,202,409,404]' ] ||
    fail "batch statuses: $(cat "$TMP/body")"
[ "$(jbody '[.results[].type] | .[2:]')" = \
    '["urn:broadside:problem:wrong-round","urn:broadside:problem:no-such-ship"]' ] ||
    fail "batch refusals: $(cat "$TMP/body")"
jbody -e '.results[1].order.move == {"x":360,"y":160} and .results[1].ship == 3' \
    >/dev/null || fail "batch receipt: $(cat "$TMP/body")"
wait_event accepted 2
[ "$(events accepted | jq -s -c '[.[].ship]')" = '[2,3]' ] ||
    fail "one accepted event per accepted order: $(events accepted)"
as "$ANN" POST "$U/orders" -d round=1 -d station=pilot -d type=evade
expect_status 202 "the pilot's order"
# Proving that something does not happen: give the round 0.3 s to resolve
# (it would at once if the stopped clock did not hold it).
sleep 0.3
as "$GM" GET "$U"
[ "$(jbody .round)" = 1 ] || fail "a paused round resolved by itself"

# Bad batches change nothing.
as "$GM" GET "$U/me"
HASH=$(json_string state_hash)
as "$GM" POST "$U/orders" -d '{"orders":[]}'
expect_problem 422 malformed "an empty batch"
as "$GM" POST "$U/orders" -d '{"orders":[{"round":7,"ship":2}]}'
expect_problem 409 wrong-round "a batch with nothing good"
grep -q 'None of the orders was accepted' "$TMP/body" ||
    fail "the all-refused batch does not say so: $(cat "$TMP/body")"
as "$GM" POST "$U/orders" -d '{"orders":[{"round":1,"ship":2}],"x":1}'
expect_problem 422 unknown-field "a batch with another member"
as "$GM" POST "$U/extend" -d seconds=0
expect_problem 422 bad-field "extend by 0"
as "$GM" POST "$U/extend" -d seconds=601
expect_problem 422 bad-field "extend by 601"
as "$GM" GET "$U/me"
[ "$(json_string state_hash)" = "$HASH" ] || fail "a refused request changed the battle"

# Extend while stopped; SIGKILL; the restarted server has it stopped.
as "$GM" POST "$U/extend" -d seconds=30
expect_status 200 "extend a stopped clock"
as "$GM" GET "$U"
[ "$(jbody .paused_ms)" = $((LEFT + 30000)) ] ||
    fail "extend: $(jbody .paused_ms), expected $((LEFT + 30000))"
kill "$SSE" 2>/dev/null
kill -KILL "$DAEMON_PID"
wait_exit "$DAEMON_PID" 5
DAEMON_PID=
DAEMON_DB=$TMP/daemon1.db
start_daemon --drain-delay 0 --debounce 5
U=$BASE_URL/v1/battles/$ID
as "$GM" GET "$U"
[ "$(jbody '[.round, .deadline, .paused_ms]')" = "[1,0,$((LEFT + 30000))]" ] ||
    fail "after SIGKILL: $(jbody '{round,deadline,paused_ms}')"

# Resume: every order is in, so the round resolves at once.
as "$GM" POST "$U/resume"
expect_status 200 "resume"
# in_round N: whether the GM's GET of the battle says round N.
in_round() {
	as "$GM" GET "$U" && [ "$(jbody .round)" = "$1" ]
}
wait_until 5 "round 2" in_round 2 || fail "round 1 did not resolve after resume"
jbody -e '.paused_ms == null and .deadline > 0' >/dev/null ||
    fail "round 2 is not running: $(jbody '{deadline,paused_ms}')"
as "$ANN" GET "$U/log?limit=1000"
[ "$(jbody '[.entries[] | select(.kind == "clock") | .action]')" = \
    '["pause","extend","resume"]' ] ||
    fail "clock entries in the crew's log: $(jbody '.entries')"
jbody -e '[.entries[] | select(.kind == "movement") | .moves[] | select(.name == "Jackal")] | length == 1' \
    >/dev/null || fail "the batch's move is not in the log"
stop_daemon
note "ok"
