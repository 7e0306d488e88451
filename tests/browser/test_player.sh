#!/bin/sh
# The player console (www/index.html, www/player/) in headless Chromium:
# three players and two spectators join by link, take stations and play
# three rounds by clicks and keys; a reload, a kill -9 and restart of the
# daemon, and a blackhole in broadside-faultproxy; secrecy from the
# spectator's received bytes; console errors, failed requests and axe-core
# on every page (tests/browser/player.mjs says what each step checks).
#
# Screenshots of every step go to tests/browser/screenshots/player/ in the build
# tree.  Needs Debian's chromium and the npm packages of
# tests/browser/package-lock.json (browserlib.sh); skipped (exit 77) only
# without /usr/bin/chromium.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/browserlib.sh"

browser_setup
FAULTPROXY=${FAULTPROXY:-$BS_BUILDDIR/tools/faultproxy/broadside-faultproxy}
[ -x "$FAULTPROXY" ] || fail "no fault proxy at $FAULTPROXY (run make first)"

SHOTS=$BS_BUILDDIR/tests/browser/screenshots/player
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

# A database the restart can reuse, a heartbeat of 1 s (the watchdog's
# bound is then 2.5 s), no drain delay.
DAEMON_DB=$TMP/player.db
start_daemon --heartbeat 1 --drain-delay 0 --dev
# The same daemon again, on the same port and database, for the restart.
{
	printf '%s\n' "$BROADSIDED" --listen "127.0.0.1:$DAEMON_PORT"
	store_args "$DAEMON_DB"
	printf '%s\n' --sql-dir "$DAEMON_SQL" --www "$DAEMON_WWW" \
	    --heartbeat 1 --drain-delay 0 --dev
} >"$TMP/restart.args"
: >"$TMP/pids"

started=$(date +%s)
NODE_PATH=$BROWSER_NODE_MODULES node "$BS_SRCDIR/tests/browser/player.mjs" \
    "$BASE_URL" "$TMP/restart.args" "$DAEMON_PID" "$TMP" "$FAULTPROXY" \
    "$SHOTS" "$TMP/pids" >"$TMP/browser.out" 2>"$TMP/browser.err" &
BROWSER_PID=$!
track_client "$BROWSER_PID"
wait_exit "$BROWSER_PID" 150
status=$EXIT_STATUS

# The daemon killed by the test, and what it started instead: the
# restarted daemon (the EXIT trap kills it if it is still running) and
# the fault proxy.
if ! proc_alive "$DAEMON_PID"; then
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
fi
for p in $(cat "$TMP/pids"); do
	if [ -z "$DAEMON_PID" ] && [ -z "${restarted:-}" ]; then
		restarted=$p
		DAEMON_PID=$p
		DAEMON_PIDS="$DAEMON_PIDS $p"
		DAEMON_LOG=$TMP/restarted.log
	else
		track_client "$p"
	fi
done

[ "$status" -eq 0 ] ||
    fail "the player console in Chromium (status $status): $(cat "$TMP/browser.out") $(tail -n 30 "$TMP/browser.err")"
note "$(cat "$TMP/browser.out")"
note "screenshots in $SHOTS ($(ls "$SHOTS" | wc -l) files), $(( $(date +%s) - started )) s"

# The restarted daemon is not our child: stop it by hand.
if [ -n "$DAEMON_PID" ]; then
	kill -TERM "$DAEMON_PID"
	wait_until 15 "the restarted daemon to stop" proc_gone "$DAEMON_PID" ||
	    fail "the restarted daemon did not stop within 15 s"
fi
