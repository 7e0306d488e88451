#!/bin/sh
# Battle leases (doc/design.md, "Battle leases"): two daemons on one
# PostgreSQL (pglib.sh), no balancer.  While A holds a battle, B answers
# its callers 503 battle-elsewhere with Retry-After; kill -9 of A: B takes
# the battle within the lease time, with every order A acknowledged;
# SIGSTOP of B past its lease, a restarted A takes the battle, SIGCONT of
# B: B's requests get 503, its stream is told to retry, and nothing B
# writes lands; SIGTERM of the owner releases the lease at once; a battle
# nobody asks its node about is released to the node that is asked, and
# so is one its node only streams while another node is asked for it.
. "$(dirname "$0")/lib.sh"

CRASH=$BS_BUILDDIR/tests/integration/crash
[ -x "$CRASH" ] || fail "no $CRASH (run make check)"
TTL=2

pg_start
pg_new_db leases
URI=$PG_URI
DAEMON_DB=
DAEMON_LISTEN=127.0.0.1:0

# start_node NAME: a daemon on the shared database; NAME_PID, NAME_URL.
start_node() {
	start_daemon --store "$URI" --drain-delay 0 --drain-grace 2 \
	    --node-id "$1" --lease-ttl "$TTL" --dev
	eval "$1_PID=\$DAEMON_PID $1_URL=\$BASE_URL $1_LOG=\$DAEMON_LOG"
}

# use NAME: the lib's daemon variables point at node NAME.
use() {
	eval "DAEMON_PID=\$$1_PID BASE_URL=\$$1_URL DAEMON_LOG=\$$1_LOG"
}

state_hash() {
	http GET "$1/v1/battles/$ID/me" -H "Authorization: Bearer $GM"
	[ "$STATUS" = 200 ] || return 0
	sed -n 's/.*"state_hash":"\([0-9a-f]*\)".*/\1/p' "$TMP/body"
}

acked_past() {
	[ "$(wc -l <"$TMP/acked")" -gt "$1" ]
}

owner() {
	pg_sql leases "SELECT owner FROM battles WHERE id = '$ID'"
}

# 0. Nodes started at once on an empty database apply its schema one at
# a time: all of them start (without the lock, one of two usually failed
# on a duplicate key).
pg_new_db empty
for n in 1 2 3; do
	"$BROADSIDED" --listen 127.0.0.1:0 --store "$PG_URI" \
	    --sql-dir "$DAEMON_SQL" --www "$DAEMON_WWW" --node-id "e$n" \
	    --drain-delay 0 </dev/null >/dev/null 2>"$TMP/empty$n.log" &
	DAEMON_PIDS="$DAEMON_PIDS $!"
	eval "E$n=\$!"
done
all_up() {
	for n in 1 2 3; do
		grep -q 'listening on' "$TMP/empty$n.log" || return 1
	done
}
wait_until 15 "three nodes started at once on an empty database" all_up ||
    fail "a node did not start: $(cat "$TMP"/empty*.log | grep -v info | head -n 5)"
for n in 1 2 3; do
	eval "kill -TERM \$E$n"
	eval "wait_exit \$E$n 10"
	[ "$EXIT_STATUS" -eq 0 ] || fail "node e$n exited with $EXIT_STATUS"
done
note "three nodes started at once on an empty database"

start_node A
start_node B
"$CRASH" setup "$A_URL" "$TMP/state" || fail "crash setup"
read -r ID GM <"$TMP/state"

# 1. A holds the battle: B sends its callers back, for a second.
http GET "$B_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_problem 503 battle-elsewhere "B, for A's battle"
expect_header Retry-After '^1$' "B's battle-elsewhere answer"
curl -sS -N --max-time 5 "$B_URL/v1/battles/$ID/events?access_token=$GM" \
    >"$TMP/b_elsewhere" 2>/dev/null || true
grep -q '^retry: 1000' "$TMP/b_elsewhere" ||
    fail "B's stream for A's battle did not say retry: $(cat "$TMP/b_elsewhere")"
[ "$(owner)" = A ] || fail "the battle's owner is $(owner), not A"
# B's listing (--dev: no admin token) reads the store: A's battle, A's.
http GET "$B_URL/v1/battles"
expect_status 200 "B's listing"
grep -q "\"id\":\"$ID\"[^}]*\"node\":\"A\"" "$TMP/body" ||
    fail "B's listing does not show A's battle as A's: $(cat "$TMP/body")"
note "B answers 503 battle-elsewhere while A holds the battle, and lists it"

# Ids made up at random cost the store a lookup each, before any token
# is checked: they count against the client's address (--rate 50,
# --burst 100 by default), so a burst of 300 gets 429s, not 300 lookups.
urls=
for i in $(seq 300); do
	urls="$urls $B_URL/v1/battles/$(printf 'x%09d' "$i")"
done
# shellcheck disable=SC2086
"$CURL" -s -o /dev/null -w '%{http_code}\n' $urls >"$TMP/made_up" 2>/dev/null || true
limited=$(grep -c '^429$' "$TMP/made_up" || true)
[ "$limited" -gt 0 ] ||
    fail "300 made-up ids from one address: no 429 ($(sort "$TMP/made_up" | uniq -c | tr '\n' ' '))"
note "300 made-up ids from one address: $limited answered 429"

# 2. kill -9 of A under a stream of orders: B serves the battle within
# the lease time, exactly as A acknowledged it.
: >"$TMP/acked"
"$CRASH" orders "$A_URL" "$TMP/state" "$TMP/acked" 2>"$TMP/client.err" &
CPID=$!
track_client "$CPID"
wait_until 10 "20 orders acknowledged by A" acked_past 20 ||
    fail "the orders did not get going ($(cat "$TMP/client.err"))"
kill -TERM "$CPID" 2>/dev/null || true
wait_exit "$CPID" 5
# Every round is resolved when its orders are all in: with the client
# stopped, the state holds still, and this is what A acknowledged.
ha=$(state_hash "$A_URL")
[ -n "$ha" ] || fail "no state hash from A"
kill -9 "$A_PID"
wait_exit "$A_PID" 5
killed_at=$(date +%s%3N)
served_by_b() {
	http GET "$B_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
	[ "$STATUS" = 200 ]
}
wait_until $((TTL + 3)) "B to serve the battle" served_by_b ||
    fail "B did not take the battle: $STATUS $(cat "$TMP/body")"
took=$(( $(date +%s%3N) - killed_at ))
[ "$took" -le $((TTL * 1000 + 1500)) ] ||
    fail "B took ${took} ms to take the battle (lease $TTL s)"
pg_sql leases "SELECT body FROM actions WHERE battle_id = '$ID' AND kind = 'order'" \
    >"$TMP/stored" || fail "cannot read the actions back"
lost=$(grep -Fxvc -f "$TMP/stored" "$TMP/acked" || true)
[ "$lost" -eq 0 ] || fail "$lost of $(wc -l <"$TMP/acked") orders A acknowledged are missing"
[ "$(owner)" = B ] || fail "the battle's owner is $(owner), not B"
# B's state is the stored one, replayed: a second restore gives the same.
hb=$(state_hash "$B_URL")
[ "$hb" = "$ha" ] || fail "B's state hash $hb is not A's last, $ha"
note "kill -9 A: B serves the battle after ${took} ms, $(wc -l <"$TMP/acked") acknowledged orders kept"

# 3. SIGSTOP of B past its lease: a restarted A takes the battle; B,
# woken, loses it: its requests get 503, its stream is told to retry,
# and nothing of B's lands.
curl -sS -N --max-time 30 "$B_URL/v1/battles/$ID/events?access_token=$GM" \
    >"$TMP/b_stream" 2>/dev/null &
SPID=$!
track_client "$SPID"
sleep 0.5
kill -STOP "$B_PID"
sleep $((TTL + 1))
start_node A2
served_by_a2() {
	http GET "$A2_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
	[ "$STATUS" = 200 ]
}
wait_until 5 "A2 to take the battle from the paused B" served_by_a2 ||
    fail "A2 did not take the battle: $STATUS $(cat "$TMP/body")"
[ "$(owner)" = A2 ] || fail "the battle's owner is $(owner), not A2"
http POST "$A2_URL/v1/battles/$ID/narration" -H "Authorization: Bearer $GM" \
    -H 'Content-Type: application/json' -d '{"text":"A2 holds the deck"}'
expect_status 200 "a narration on A2"
ha2=$(state_hash "$A2_URL")
before=$(pg_sql leases "SELECT count(*) FROM actions WHERE battle_id = '$ID'")
kill -CONT "$B_PID"
http POST "$B_URL/v1/battles/$ID/narration" -H "Authorization: Bearer $GM" \
    -H 'Content-Type: application/json' -d '{"text":"B was here"}'
expect_problem 503 battle-elsewhere "B's write after it woke up"
stream_done() {
	! proc_alive "$SPID"
}
wait_until 5 "B's stream to close" stream_done ||
    fail "B's stream stayed open after it lost the battle"
tail -n 2 "$TMP/b_stream" | grep -q '^retry: 1000' ||
    fail "B's stream did not end with retry: $(tail -n 5 "$TMP/b_stream")"
after=$(pg_sql leases "SELECT count(*) FROM actions WHERE battle_id = '$ID'")
[ "$after" = "$before" ] || fail "B wrote after the take-over: $before -> $after actions"
pg_sql leases "SELECT body FROM actions WHERE battle_id = '$ID'" |
    grep -q "B was here" && fail "B's narration is in the battle's log"
# (Under load B may already have let the battle go before the pause,
# self-fenced or idle: then it says so instead.)
grep -q "is no longer ours\|serving no battle\|; released" "$B_LOG" ||
    fail "B did not log the lost lease"
note "SIGSTOP B past the lease, A2 took over, SIGCONT B: B's write refused"

# 4. SIGTERM of the owner gives the lease back: B takes the battle at
# once, without waiting for it to expire.
use A2
stop_daemon
http GET "$B_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_status 200 "B, at once after A2's SIGTERM"
[ "$(owner)" = B ] || fail "the battle's owner is $(owner), not B"
hb2=$(state_hash "$B_URL")
[ "$hb2" = "$ha2" ] || fail "B's state hash $hb2 after the hand-off is not A2's, $ha2"
note "SIGTERM of A2 released the battle: B took it at once"
# B served the battle before (step 3's stream): back at B, in the same run,
# its event ids are of a new epoch, so an id from the first stay gets a
# snapshot, never a replay of another sequence.
curl -sS -N --max-time 2 "$B_URL/v1/battles/$ID/events?access_token=$GM" \
    >"$TMP/b_again" 2>/dev/null || true
e1=$(sed -n 's/^id: \([0-9]*\)-.*/\1/p' "$TMP/b_stream" | head -n 1)
e2=$(sed -n 's/^id: \([0-9]*\)-.*/\1/p' "$TMP/b_again" | head -n 1)
[ -n "$e1" ] && [ -n "$e2" ] || fail "no event ids on B's streams: '$e1' '$e2'"
[ "$e1" != "$e2" ] ||
    fail "the battle's event ids at B kept epoch $e1 after it came back"
note "back at B, the battle's event ids moved from epoch $e1 to $e2"

# 5. A battle created on a shared store is held by nobody until it is
# asked for (a balancer routes a creation anywhere, its later requests by
# id): created on B, it is served at once by A3.  Then a battle nobody
# asks its node about is handed off: asked for only at B now, B serves it
# once A3 has let it go, within two leases.
start_node A3
http POST "$B_URL/v1/battles" -d name=Roaming
expect_status 201 "a battle created on B"
Y=$(json_string id) YGM=$(json_string gm_token)
[ -z "$(pg_sql leases "SELECT owner FROM battles WHERE id = '$Y'")" ] ||
    fail "B holds the battle it created before anyone asked for it"
http GET "$A3_URL/v1/battles/$Y" -H "Authorization: Bearer $YGM"
expect_status 200 "A3, at once, for the battle B just created"
[ "$(pg_sql leases "SELECT owner FROM battles WHERE id = '$Y'")" = A3 ] ||
    fail "A3 served the battle B created without its lease"
http GET "$B_URL/v1/battles/$Y" -H "Authorization: Bearer $YGM"
expect_problem 503 battle-elsewhere "B, for the battle A3 now holds"
served_by_b_y() {
	http GET "$B_URL/v1/battles/$Y" -H "Authorization: Bearer $YGM"
	[ "$STATUS" = 200 ]
}
wait_until $((TTL * 2 + 2)) "B to serve the battle A3 does not hear of" \
    served_by_b_y || fail "A3 kept a battle nobody asked it about: $STATUS"
use A3
stop_daemon
note "a created battle is nobody's until asked; one not asked for at its node is handed off"
# 6. A battle held with an event stream open, while its requests go to
# another node (a balancer that routed the stream before it changed its
# mind): the holder lets it go within a lease, its stream told to retry.
start_node C
http POST "$C_URL/v1/battles" -d name=Pinned
expect_status 201 "a battle created on C"
Z=$(json_string id) ZGM=$(json_string gm_token)
http GET "$C_URL/v1/battles/$Z" -H "Authorization: Bearer $ZGM"
expect_status 200 "C, for its own battle"
curl -sS -N --max-time 30 "$C_URL/v1/battles/$Z/events?access_token=$ZGM" \
    >"$TMP/c_stream" 2>/dev/null &
CSPID=$!
track_client "$CSPID"
sleep 0.5
served_by_b_z() {
	http GET "$B_URL/v1/battles/$Z" -H "Authorization: Bearer $ZGM"
	[ "$STATUS" = 200 ]
}
wait_until $((TTL + 2)) "B to serve the battle C holds with a stream" \
    served_by_b_z || fail "C kept a battle asked for at B: $STATUS"
c_stream_done() {
	! proc_alive "$CSPID"
}
wait_until 3 "C's stream to close" c_stream_done ||
    fail "C's stream stayed open after C let the battle go"
tail -n 2 "$TMP/c_stream" | grep -q '^retry: 1000' ||
    fail "C's stream did not end with retry: $(tail -n 5 "$TMP/c_stream")"
grep -q "battle $Z: asked for at another node" "$C_LOG" ||
    fail "C did not log why it let the battle go"
use C
stop_daemon
note "a battle asked for at another node, only streamed here, is let go"
use B
stop_daemon
[ -z "$(pg_sql leases "SELECT id FROM battles WHERE owner IS NOT NULL")" ] ||
    fail "leases still held after every daemon stopped"
note "ok"
