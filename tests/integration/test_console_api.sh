#!/bin/sh
# What the browser consoles rely on, end to end through the daemon: the
# stream's hello and heartbeat events and the server's clock ("now") in
# snapshots and round events; waiting_for in the view; the accepted event
# in the words of the 202 answer; a round that ends by its timer logging
# the defaults taken; and the log as read later equal to the log as the
# stream showed it (a ship detected later does not give away where it
# was).  curl and jq, with a 1 s heartbeat and 5 s rounds.
. "$(dirname "$0")/lib.sh"

need_tool jq jq jq
start_daemon --drain-delay 0 --heartbeat 1 --debounce 5


http POST "$BASE_URL/v1/battles" -d '{"name":"Console","round_seconds":5}'
expect_status 201 "create"
ID=$(json_string id) GM=$(json_string gm_token) CODE=$(json_string join_code)
U=$BASE_URL/v1/battles/$ID
http POST "$U/players" -d join_code="$CODE" -d name=Ann
expect_status 201 "join"
ANN=$(json_string token)
for st in pilot gunner; do
	as "$ANN" PUT "$U/stations/$st"
	expect_status 200 "take $st"
done
as "$GM" POST "$U/ships" -d '{"class":"frigate","side":"crew","crewed":true,
    "name":"Dauntless","x":100,"y":100}'
expect_status 201 "crewed ship"
as "$GM" POST "$U/ships" -d '{"class":"corvette","side":"hostile",
    "name":"Raider","x":300,"y":100}'
expect_status 201 "hostile in range"
# Far beyond the frigate's 300 sensors: the crew never sees it move.
as "$GM" POST "$U/ships" -d '{"class":"scout","side":"hostile",
    "name":"Farshadow","x":900,"y":900}'
expect_status 201 "hostile out of range"

# The player's stream, from before the start.
"$CURL" -sN --max-time 30 "$U/events?access_token=$ANN" >"$TMP/sse" &
SSE=$!
track_client "$SSE"
wait_for_text() {
	wait_until 10 "$2 on the stream" grep -q "$1" "$TMP/sse" ||
	    fail "no $2 on the stream: $(tail -c 600 "$TMP/sse")"
}
events() { sse_events "$TMP/sse" "$1"; }
wait_for_text '^event: snapshot' "snapshot"

# hello comes first, before the snapshot, with the heartbeat period.
first=$(sed -n 's/^event: //p' "$TMP/sse" | head -n 1)
[ "$first" = hello ] || fail "the first event is '$first', not hello"
hello=$(events hello | head -n 1)
[ "$(echo "$hello" | jq '.heartbeat_ms')" = 1000 ] ||
    fail "hello: heartbeat_ms is not 1000: $hello"
now=$(date +%s%3N)
echo "$hello" | jq -e --argjson t "$now" \
    '(.now | type) == "number" and (.now - $t | fabs) < 5000' >/dev/null ||
    fail "hello: now is not the server's clock in ms: $hello"
events snapshot | head -n 1 | jq -e '(.now | type) == "number"' >/dev/null ||
    fail "the snapshot has no now"
# The heartbeat is an event a browser can see, not only a comment.
wait_for_text '^event: heartbeat' "heartbeat event"
events heartbeat | head -n 1 | jq -e '.now > 0' >/dev/null ||
    fail "heartbeat without now"

as "$GM" POST "$U/start"
expect_status 200 "start"
wait_for_text '^event: round' "round event"
events round | tail -n 1 | jq -e '.round == 1 and .now > 0 and
    .deadline > .now' >/dev/null || fail "round event: $(events round)"

# waiting_for: both held stations; the GM also sees its two ships.
as "$ANN" GET "$U"
[ "$(jbody -S '.waiting_for')" = '{"ships":[],"stations":["pilot","gunner"]}' ] ||
    fail "player's waiting_for: $(jbody '.waiting_for')"
as "$GM" GET "$U"
[ "$(jbody '.waiting_for.ships')" = '[2,3]' ] ||
    fail "GM's waiting_for ships: $(jbody '.waiting_for')"

# An order as a form: the 202 and the accepted event say the same, with
# numbers as numbers and the order as the engine took it.
as "$ANN" POST "$U/orders" -d round=1 -d station=gunner -d type=fire \
    -d weapon=0 -d target=2
expect_status 202 "gunner's order"
want='{"accepted":true,"battle":"'$ID'","order":{"fire":[{"target":2,"weapon":0}],"type":"fire"},"round":1,"station":"gunner"}'
[ "$(jbody -S .)" = "$want" ] || fail "202 answer: $(cat "$TMP/body")"
wait_for_text '^event: accepted' "accepted event"
[ "$(events accepted | tail -n 1 | jq -cS .)" = "$want" ] ||
    fail "accepted event: $(events accepted)"
as "$ANN" GET "$U"
[ "$(jbody '.waiting_for.stations')" = '["pilot"]' ] ||
    fail "waiting_for after the gunner's order: $(jbody '.waiting_for')"

# The far scout moves in round 1; nobody else orders; the timer ends it.
as "$GM" POST "$U/orders" -d round=1 -d ship=3 -d x=850 -d y=850
expect_status 202 "the far scout's move"
# in_round N: whether the GM's GET of the battle says round N.
in_round() {
	as "$GM" GET "$U" && [ "$(jbody .round)" = "$1" ]
}
wait_until 10 "round 2" in_round 2 || fail "round 1 did not end by its timer"
as "$GM" GET "$U/log?limit=1000"
defaults=$(jbody '.entries[] | select(.kind == "defaults" and .round == 1)')
[ "$(echo "$defaults" | jq -c .stations)" = '["pilot"]' ] ||
    fail "defaults entry (GM): $defaults"
[ "$(echo "$defaults" | jq -c '[.ships[].ship]')" = '[2]' ] ||
    fail "defaults entry ships (GM): $defaults"
echo "$defaults" | jq -e '.text | test("pilot holds; Raider holds")' \
    >/dev/null || fail "defaults text: $defaults"
as "$ANN" GET "$U/log?limit=1000"
jbody '.entries[] | select(.kind == "defaults")' | jq -e \
    '.stations == ["pilot"] and .ships == [] and (.text | test("Raider") | not)' \
    >/dev/null || fail "defaults entry (crew) names the GM's ship: $(jbody .)"

# The GM brings the scout into sensor range: the crew sees it now, but
# the round-1 movement still reads as it read then.
as "$GM" PATCH "$U/ships/3" -d x=200 -d y=150
expect_status 200 "move the scout into range"
as "$ANN" GET "$U"
[ "$(jbody '.ships["3"].name')" = '"Farshadow"' ] ||
    fail "the scout is not detected after the move"
as "$ANN" GET "$U/log?limit=1000"
grep -q 'Farshadow' "$TMP/body" &&
    fail "GET /log shows the crew the scout's round-1 move: $(jbody '.entries[] | select(.kind == "movement")')"
# ... and equals what the live stream delivered, entry for entry (the
# stream may still be on its way: wait for it, 10 s at most).  The round
# timer keeps running, so on a slow machine the stream may already carry
# the next rounds' entries: those past the last one read are left out.
jbody -S '.entries' | jq -c . >"$TMP/got1"
LAST=$(jbody '.entries | last | .seq')
# live_log_same: whether the log events so far, up to entry LAST, are the
# entries of GET /log.
live_log_same() {
	events log | jq -s -S --argjson last "$LAST" \
	    '[.[].entries[] | select(.seq <= $last)]' | jq -c . >"$TMP/live"
	cmp -s "$TMP/got1" "$TMP/live"
}
wait_until 10 "the log events to match GET /log" live_log_same ||
    fail "GET /log differs from the log events: $(diff "$TMP/got1" "$TMP/live" | head -c 800)"

# A narration beyond ASCII: GET /log gives the entry in the very bytes
# the stream sent (UTF-8 as written, not \u escapes).
SAID='Ça va ⚓ — 水'
as "$GM" POST "$U/narration" -H 'Content-Type: application/json' \
    -d "{\"text\":\"$SAID\"}"
expect_status 200 "a narration beyond ASCII"
wait_for_text "$SAID" "the narration"
# said_entry FILE: the (flat) log entry in FILE that holds the narration.
said_entry() {
	grep -o "{[^{}]*\"text\":\"$SAID\"[^{}]*}" "$1" | head -n 1
}
as "$ANN" GET "$U/log?after=$LAST&limit=1000"
expect_status 200 "the log after the narration"
[ -n "$(said_entry "$TMP/body")" ] ||
    fail "GET /log does not give the narration as written: $(head -c 600 "$TMP/body")"
[ "$(said_entry "$TMP/body")" = "$(said_entry "$TMP/sse")" ] ||
    fail "GET /log's narration differs from the stream's: $(said_entry "$TMP/body") against $(said_entry "$TMP/sse")"

kill "$SSE" 2>/dev/null

# The GM's own stream counts the GM as here from its first presence.
"$CURL" -sN --max-time 30 "$U/events?access_token=$GM" >"$TMP/sse" &
SSE=$!
track_client "$SSE"
wait_for_text '^event: presence' "presence on the GM's stream"
events presence | head -n 1 | jq -e '.gm == true' >/dev/null ||
    fail "the GM's stream says the GM is away: $(events presence | head -n 1)"
kill "$SSE" 2>/dev/null

# After a restart, a change that leaves the round alone sends no round.
stop_daemon
DAEMON_DB=$TMP/daemon1.db
start_daemon --drain-delay 0 --heartbeat 1 --debounce 5
U=$BASE_URL/v1/battles/$ID
"$CURL" -sN --max-time 30 "$U/events?access_token=$GM" >"$TMP/sse" &
SSE=$!
track_client "$SSE"
wait_for_text '^event: snapshot' "snapshot after the restart"
as "$GM" PATCH "$U/ships/2" -d name=Renamed
expect_status 200 "rename a ship after the restart"
wait_for_text 'Renamed' "the rename's delta"
# (The round timer keeps running: on a slow machine the round may have
# resolved meanwhile, and its round event is a change.  What must not
# come is a round event with the snapshot's own round and phase.)
snap=$(events snapshot | head -n 1 | jq -c '[.round, .phase]')
echo "$snap" | jq -e '(.[0] | type) == "number" and (.[1] | type) == "string"' >/dev/null ||
    fail "the snapshot after the restart has no round and phase: $snap"
same=$(events round | jq -c --argjson s "$snap" 'select([.round, .phase] == $s)')
[ -z "$same" ] ||
    fail "a round event that changed nothing after the restart: $same (snapshot: $snap)"
kill "$SSE" 2>/dev/null
stop_daemon
note "ok"
