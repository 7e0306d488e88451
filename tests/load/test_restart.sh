#!/bin/sh
# Scenario 3, a crash under load: broadside-load plays while the daemon
# is killed with SIGKILL mid-battle and started again on the same
# database and port.  Pass: every client comes back (a new epoch: a fresh
# snapshot) and converges, and every order acknowledged before or after
# the crash is in the log.  Requests that met the dead server are not
# errors here: --faults.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"

DAEMON_DB=$TMP/restart.db
# Every simulated browser connects from 127.0.0.1: no per-address cap.
start_daemon --retry 500 --per-ip-connections 0
DAEMON_LISTEN=127.0.0.1:$DAEMON_PORT

"$LOAD" --url "$BASE_URL" --report "$TMP/restart.json" --battles 5 \
    --players 5 --ships 6 --spectators 2 --duration 16 \
    --round-seconds 5 --think-ms 800 --seed 5 --faults --max-errors 0 \
    --timeout 90 >"$TMP/restart.out" 2>"$TMP/restart.err" &
LOAD_PID=$!
track_client "$LOAD_PID"

# The scenario's timing: 6 s into the 16 s of play (rounds of 5 s) is
# mid-battle, and the daemon stays down 1 s so that clients meet a dead
# server before it is back.
sleep 6
kill -KILL "$DAEMON_PID"
wait_exit "$DAEMON_PID" 5
note "killed the daemon (SIGKILL) mid-battle"
sleep 1
start_daemon --retry 500 --per-ip-connections 0

wait_exit "$LOAD_PID" 100
cat "$TMP/restart.out"
if [ "$EXIT_STATUS" -ne 0 ]; then
	head -n 40 "$TMP/restart.err" >&2
	fail "broadside-load exited with status $EXIT_STATUS across the restart"
fi
snapshots=$(jq -r .reconnects.snapshots "$TMP/restart.json")
[ "$snapshots" -ge 1 ] ||
    fail "no client came back with a fresh snapshot after the restart"
unknown=$(jq -r .idempotency.unknown "$TMP/restart.json")
[ "$unknown" = 0 ] ||
    fail "$unknown changes whose outcome stayed unknown across the restart"
note "changes sent again with their key: $(jq -r .idempotency.retries "$TMP/restart.json")," \
    "answered as replays: $(jq -r .idempotency.replays "$TMP/restart.json"), unknown: 0"
stop_daemon
note "ok"
