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

# Pseudo-random pauses, different each run but printed for a re-run.
SEED=${CRASH_SEED:-$(date +%s)}
note "seed $SEED"
i=0
while [ $i -lt 6 ]; do
	i=$((i + 1))
	pause=$(awk -v s="$SEED" -v i="$i" 'BEGIN { srand(s + i); printf "%.2f", 0.3 + rand() * 1.2 }')
	sleep "$pause"
	if [ $((i % 2)) -eq 1 ]; then
		# Paused client: the state before and after must be equal.
		kill -STOP "$CPID"
		# Let a request already sent by the client finish its commit.
		sleep 0.3
		before=$(state_hash "before kill $i")
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
		note "kill $i after ${pause}s, mid-traffic"
	fi
done
sleep 0.5
kill -TERM "$CPID" 2>/dev/null || true
wait_exit "$CPID" 5
acked=$(wc -l <"$TMP/acked")
[ "$acked" -ge 30 ] || fail "only $acked orders acknowledged: the client did not get going ($(cat "$TMP/client.err"))"
stop_daemon
"$CRASH" verify "$TMP/crash.db" "$TMP/acked" || fail "acknowledged orders lost"
note "ok"
