#!/bin/sh
# Crash safety: while a client submits orders in a loop, kill -9 the
# daemon at random moments and restart it on the same database.  Every
# order that got a 202 must be in the restored battle, and when the kill
# comes with the client paused, the state hash before the kill and after
# the restart must match.
. "$(dirname "$0")/lib.sh"

CRASH=$BS_BUILDDIR/tests/integration/crash
[ -x "$CRASH" ] || fail "no $CRASH (run make check)"
command -v awk >/dev/null || fail "awk is needed"

DAEMON_DB=$TMP/crash.db
start_daemon --drain-delay 0
DAEMON_LISTEN=127.0.0.1:$DAEMON_PORT
"$CRASH" setup "$BASE_URL" "$TMP/state" || fail "crash setup"
read -r ID GM <"$TMP/state"

"$CRASH" orders "$BASE_URL" "$TMP/state" "$TMP/acked" 2>"$TMP/client.err" &
CPID=$!
track_client "$CPID"

state_hash() {
	http GET "$BASE_URL/v1/battles/$ID/me" -H "Authorization: Bearer $GM"
	expect_status 200 "GM view ($1)"
	sed -n 's/.*"state_hash":"\([0-9a-f]*\)".*/\1/p' "$TMP/body"
}

# hash_settled: whether the committed state has held still for 0.2 s
# (its hash, read at each call, is in HASH).  A paused client may have an
# order in flight, and nothing outside the daemon shows when its commit is
# done: a state that stops changing does (a commit takes milliseconds).
HASH= HASH_SINCE=
hash_settled() {
	h=$(state_hash "paused client")
	if [ -z "$h" ] || [ "$h" != "$HASH" ]; then
		HASH=$h HASH_SINCE=$(date +%s%3N)
		return 1
	fi
	[ $(( $(date +%s%3N) - HASH_SINCE )) -ge 200 ]
}

# acked_past N: whether the client has had more than N orders acknowledged.
acked_past() {
	[ "$(wc -l <"$TMP/acked")" -gt "$1" ]
}

# Pseudo-random pauses, different each run but printed for a re-run.
SEED=${CRASH_SEED:-$(date +%s)}
note "seed $SEED"
i=0
while [ $i -lt 6 ]; do
	i=$((i + 1))
	pause=$(awk -v s="$SEED" -v i="$i" 'BEGIN { srand(s + i); printf "%.2f", 0.3 + rand() * 1.2 }')
	# The kill comes at a random moment of the traffic: the scenario.
	sleep "$pause"
	if [ $((i % 2)) -eq 1 ]; then
		# Paused client: the state before and after must be equal.
		kill -STOP "$CPID"
		# Let a request already sent by the client finish its commit.
		HASH=
		wait_until 5 "the state to hold still with the client paused" \
		    hash_settled ||
		    fail "kill $i: the state kept changing, or could not be read"
		before=$HASH
		kill -KILL "$DAEMON_PID"
		wait_exit "$DAEMON_PID" 5
		start_daemon --drain-delay 0
		after=$(state_hash "after restart $i")
		[ -n "$before" ] && [ "$before" = "$after" ] ||
		    fail "kill $i: state hash $before before, $after after"
		kill -CONT "$CPID"
		note "kill $i after ${pause}s (client paused): hash $after kept"
	else
		# In the middle of the traffic.
		kill -KILL "$DAEMON_PID"
		wait_exit "$DAEMON_PID" 5
		start_daemon --drain-delay 0
		acked_at_restart=$(wc -l <"$TMP/acked")
		note "kill $i after ${pause}s, mid-traffic"
	fi
done
# The client gets an order through the last daemon before it stops.
wait_until 10 "an order acknowledged after the last restart" \
    acked_past "$acked_at_restart" ||
    fail "no order acknowledged after the last restart ($(cat "$TMP/client.err"))"
kill -TERM "$CPID" 2>/dev/null || true
wait_exit "$CPID" 5
acked=$(wc -l <"$TMP/acked")
[ "$acked" -ge 30 ] || fail "only $acked orders acknowledged: the client did not get going ($(cat "$TMP/client.err"))"
stop_daemon
if [ "$TEST_STORE" = postgresql ]; then
	pg_sql "$(store_db_name "$TMP/crash.db")" \
	    "SELECT body FROM actions WHERE kind = 'order'" >"$TMP/stored" ||
	    fail "cannot read the actions back"
	lost=$(grep -Fxvc -f "$TMP/stored" "$TMP/acked" || true)
	[ "$lost" -eq 0 ] || fail "$lost acknowledged orders lost"
else
	"$CRASH" verify "$TMP/crash.db" "$TMP/acked" ||
	    fail "acknowledged orders lost"
fi
note "ok"
