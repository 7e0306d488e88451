#!/bin/sh
# The operator's dashboard (www/dashboard.html, dashboard.js, dashboard/)
# in headless Chromium: its arithmetic; under a small broadside-load run,
# its charts and battle table change and its figures agree with GET
# /metrics within a second; kill -9 of the daemon shows "unreachable"
# within 3 s, and a restart on the same port and database brings it back
# by itself; no console error, and no serious or critical axe-core
# violation (tests/browser/dashboard.mjs says what each step checks).
#
# Screenshots go to tests/browser/screenshots/dashboard-*.png in the build
# tree.  Needs Debian's chromium and the npm packages of
# tests/browser/package-lock.json (browserlib.sh); skipped (exit 77) only
# without /usr/bin/chromium.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/browserlib.sh"

browser_setup
LOAD=${LOAD:-$BS_BUILDDIR/tools/load/broadside-load}
[ -x "$LOAD" ] || fail "no broadside-load at $LOAD (run make first)"

SHOTS=$BS_BUILDDIR/tests/browser/screenshots
mkdir -p "$SHOTS"
rm -f "$SHOTS"/dashboard-*.png

# A daemon with an admin token and no --dev: the page passes its
# ?access_token= on to the figures stream.
TOKEN=dashboard-test-token-$$-0123456789
printf '%s\n' "$TOKEN" >"$TMP/admin.token"
chmod 600 "$TMP/admin.token"
# (Loopback out of --metrics-allow, whose addresses need no token.)
start_daemon --heartbeat 1 --drain-delay 0 --admin-token-file "$TMP/admin.token" \
    --metrics-allow 192.0.2.0/24
TOKEN_URL=$BASE_URL TOKEN_PID=$DAEMON_PID TOKEN_LOG=$DAEMON_LOG
http GET "$TOKEN_URL/dashboard"
expect_status 401 "the dashboard without the admin token"

# A database the restart reuses, a heartbeat of 1 s (the watchdog's bound
# is then 2.5 s), no drain delay.
DAEMON_DB=$TMP/dashboard.db
start_daemon --heartbeat 1 --drain-delay 0 --dev
{
	printf '%s\n' "$BROADSIDED" --listen "127.0.0.1:$DAEMON_PORT"
	store_args "$DAEMON_DB"
	printf '%s\n' --sql-dir "$DAEMON_SQL" --www "$DAEMON_WWW" \
	    --heartbeat 1 --drain-delay 0 --dev
} >"$TMP/restart.args"
: >"$TMP/pids"

started=$(date +%s)
NODE_PATH=$BROWSER_NODE_MODULES node "$BS_SRCDIR/tests/browser/dashboard.mjs" \
    "$BASE_URL" "$TMP/restart.args" "$DAEMON_PID" "$LOAD" "$SHOTS" \
    "$TMP/pids" "$TMP" "$BS_SRCDIR" "$TOKEN_URL" "$TOKEN" >"$TMP/browser.out" 2>"$TMP/browser.err" &
BROWSER_PID=$!
track_client "$BROWSER_PID"
wait_exit "$BROWSER_PID" 85
status=$EXIT_STATUS

# The daemon killed by the test, and what it started: the load (first
# line) and the restarted daemon (the EXIT trap kills either if still
# running).
# (Still alive when the test failed before its kill: stopped here.)
if proc_alive "$DAEMON_PID"; then
	kill -KILL "$DAEMON_PID" 2>/dev/null || true
fi
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
while read -r p; do
	track_client "$p"
	DAEMON_PID=$p
done <"$TMP/pids"
[ "$(wc -l <"$TMP/pids")" -ge 2 ] || DAEMON_PID=
[ -z "$DAEMON_PID" ] || DAEMON_LOG=$TMP/restarted.log

[ "$status" -eq 0 ] ||
    fail "the dashboard in Chromium (status $status): $(cat "$TMP/browser.out") $(tail -n 30 "$TMP/browser.err")"
note "$(cat "$TMP/browser.out")"
note "screenshots in $SHOTS (dashboard-*.png), $(( $(date +%s) - started )) s"

# The restarted daemon is not our child: stop it by hand.
if [ -n "$DAEMON_PID" ]; then
	kill -TERM "$DAEMON_PID"
	wait_until 15 "the restarted daemon to stop" proc_gone "$DAEMON_PID" ||
	    fail "the restarted daemon did not stop within 15 s"
fi

DAEMON_PID=$TOKEN_PID DAEMON_LOG=$TOKEN_LOG
stop_daemon
