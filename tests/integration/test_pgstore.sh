#!/bin/sh
# The PostgreSQL store (--store postgresql://...), against a private
# cluster this test starts (pglib.sh): a battle played through one daemon
# comes back identical through the next; a second daemon on the same
# database starts and answers 503 battle-elsewhere for the first one's
# battle (test_leases.sh tests the leases); and PostgreSQL stopped and started under a
# stream of orders: changes get 503 while it is away, no acknowledged
# order is lost, and the daemon writes again by itself once it is back.
. "$(dirname "$0")/lib.sh"

CRASH=$BS_BUILDDIR/tests/integration/crash
[ -x "$CRASH" ] || fail "no $CRASH (run make check)"

pg_start
pg_new_db pgstore
URI=$PG_URI
# No --db: the store is the database above.
DAEMON_DB=

start_daemon --store "$URI" --drain-delay 0
DAEMON_LISTEN=127.0.0.1:$DAEMON_PORT
grep -q "applied schema 004_idempotency.sql" "$DAEMON_LOG" ||
    fail "the PostgreSQL schema was not applied: $(cat "$DAEMON_LOG")"
[ "$(pg_sql pgstore 'SELECT version FROM schema_version')" = 5 ] ||
    fail "schema_version is not 5"
"$CRASH" setup "$BASE_URL" "$TMP/state" || fail "crash setup"
read -r ID GM <"$TMP/state"

state_hash() {
	http GET "$BASE_URL/v1/battles/$ID/me" -H "Authorization: Bearer $GM"
	[ "$STATUS" = 200 ] || return 0
	sed -n 's/.*"state_hash":"\([0-9a-f]*\)".*/\1/p' "$TMP/body"
}

# hash_settled: whether the state has held still for 0.2 s (test_crash.sh).
HASH= HASH_SINCE=
hash_settled() {
	h=$(state_hash)
	if [ -z "$h" ] || [ "$h" != "$HASH" ]; then
		HASH=$h HASH_SINCE=$(date +%s%3N)
		return 1
	fi
	[ $(( $(date +%s%3N) - HASH_SINCE )) -ge 200 ]
}

acked_past() {
	[ "$(wc -l <"$TMP/acked")" -gt "$1" ]
}

: >"$TMP/acked"
"$CRASH" orders "$BASE_URL" "$TMP/state" "$TMP/acked" 2>"$TMP/client.err" &
CPID=$!
track_client "$CPID"
wait_until 10 "20 orders acknowledged" acked_past 20 ||
    fail "the orders did not get going ($(cat "$TMP/client.err"))"

# 1. A restart on the same database: the battle is exactly as it was,
# and a request sent with an Idempotency-Key before it gets its stored
# answer after it (bytes and all, marked as a replay).
kill -STOP "$CPID"
http POST "$BASE_URL/v1/battles" -H "Idempotency-Key: pg-create-1" \
    -d name=Keyed
expect_status 201 "a battle created with an Idempotency-Key"
cp "$TMP/body" "$TMP/keyed"
wait_until 5 "the state to hold still" hash_settled ||
    fail "the state kept changing with the client paused"
before=$HASH
stop_daemon
# SIGTERM gave the leases back after the last commit.
[ "$(pg_sql pgstore 'SELECT count(*) FROM battles WHERE owner IS NOT NULL')" = 0 ] ||
    fail "SIGTERM left leases held: $(pg_sql pgstore 'SELECT id, owner FROM battles')"
start_daemon --store "$URI" --drain-delay 0
# On PostgreSQL a battle is taken when first asked for, not at start-up.
grep -q "taking battles as they are asked for" "$DAEMON_LOG" ||
    fail "the daemon did not start lazily: $(cat "$DAEMON_LOG")"
grep -q "restored 1 idempotency keys" "$DAEMON_LOG" ||
    fail "the idempotency key was not restored: $(cat "$DAEMON_LOG")"
after=$(state_hash)
[ -n "$before" ] && [ "$before" = "$after" ] ||
    fail "state hash $before before the restart, $after after"
http POST "$BASE_URL/v1/battles" -H "Idempotency-Key: pg-create-1" \
    -d name=Keyed
expect_status 201 "the keyed create again, after the restart"
expect_header Idempotent-Replayed '^true$' "the keyed create again"
cmp -s "$TMP/body" "$TMP/keyed" ||
    fail "the replay differs: $(cat "$TMP/keyed") vs $(cat "$TMP/body")"
note "restart: state hash $after kept, the keyed answer replayed"

# 2. A second daemon on the same database starts (battle leases replaced
# the advisory lock that refused it) and sends the first one's battle's
# callers back: 503 battle-elsewhere, Retry-After: 1.
A_PID=$DAEMON_PID A_URL=$BASE_URL A_LOG=$DAEMON_LOG
DAEMON_LISTEN=127.0.0.1:0
start_daemon --store "$URI" --drain-delay 0
http GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_problem 503 battle-elsewhere "a second daemon, for the first one's battle"
expect_header Retry-After '^1$' "the battle-elsewhere answer"
stop_daemon
DAEMON_PID=$A_PID BASE_URL=$A_URL DAEMON_LOG=$A_LOG
DAEMON_LISTEN=127.0.0.1:${A_URL##*:}
http GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_status 200 "the first daemon, beside a second one"
note "a second daemon shares the database; the battle stays the first's"

# 3. PostgreSQL goes away under the orders, and comes back.
kill -CONT "$CPID"
n=$(wc -l <"$TMP/acked")
wait_until 10 "orders acknowledged after the restart" acked_past "$n" ||
    fail "no order acknowledged after the restart ($(cat "$TMP/client.err"))"
pg_stop
note "PostgreSQL stopped"
http POST "$BASE_URL/v1/battles" -d name=Away
expect_problem 503 unavailable "a battle created while PostgreSQL is away"
sleep 0.5
away=$(wc -l <"$TMP/acked")
sleep 0.5
[ "$(wc -l <"$TMP/acked")" -eq "$away" ] ||
    fail "orders were acknowledged while PostgreSQL was away"
pg_resume
note "PostgreSQL started again"
# created: whether a new battle can be created (the store writes again).
created() {
	http POST "$BASE_URL/v1/battles" -d name=Back
	[ "$STATUS" = 201 ]
}
wait_until 15 "a battle created once PostgreSQL is back" created ||
    fail "the daemon did not write again once PostgreSQL was back: $STATUS $(cat "$TMP/body")"
grep -q "connected to PostgreSQL again" "$DAEMON_LOG" ||
    fail "no reconnection in the log"
BACK=$(json_string id) BACK_GM=$(json_string gm_token)
# The battle under orders takes them again without a restart: one whose
# write failed is reloaded from what was committed when next asked for.
resumed() {
	[ "$(wc -l <"$TMP/acked")" -gt "$away" ]
}
wait_until 15 "orders acknowledged again once PostgreSQL is back" resumed ||
    fail "the battle took no order once PostgreSQL was back ($(tail -n 3 "$TMP/client.err"))"
if grep -q "a write failed" "$DAEMON_LOG"; then
	grep -q "reloading it from the store after a failed write" \
	    "$DAEMON_LOG" || fail "a battle whose write failed was not reloaded"
	note "the battle whose write failed was reloaded, no restart"
fi
kill -TERM "$CPID" 2>/dev/null || true
wait_exit "$CPID" 5
stop_daemon

# Every order acknowledged, before and around the outage, is stored.
pg_sql pgstore "SELECT body FROM actions WHERE kind = 'order'" \
    >"$TMP/stored" || fail "cannot read the actions back"
acked=$(wc -l <"$TMP/acked")
[ "$acked" -ge 20 ] || fail "only $acked orders acknowledged"
lost=$(grep -Fxvc -f "$TMP/stored" "$TMP/acked" || true)
[ "$lost" -eq 0 ] || fail "$lost of $acked acknowledged orders are not stored: $(grep -Fxv -f "$TMP/stored" "$TMP/acked" | head -n 3)"
note "$acked acknowledged orders, all stored"

# The battle that lost a write is whole again after a restart, and so is
# the one created after the outage.
start_daemon --store "$URI" --drain-delay 0
http GET "$BASE_URL/v1/battles/$BACK" -H "Authorization: Bearer $BACK_GM"
expect_status 200 "the battle created after the outage"
: >"$TMP/acked2"
"$CRASH" orders "$BASE_URL" "$TMP/state" "$TMP/acked2" 2>"$TMP/client.err" &
CPID=$!
track_client "$CPID"
acked2_some() {
	[ "$(wc -l <"$TMP/acked2")" -gt 0 ]
}
wait_until 10 "an order acknowledged after the last restart" acked2_some ||
    fail "no order acknowledged after the last restart"
kill -TERM "$CPID" 2>/dev/null || true
wait_exit "$CPID" 5
stop_daemon
note "ok"
