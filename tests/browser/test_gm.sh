#!/bin/sh
# The GM console (www/gm.html, www/gm/) in headless Chromium: a GM runs a
# whole battle from /gm with clicks and keys only (create, 10 ships placed
# on the map, players joining from the player console, start, orders by
# hand and by the batch action, pause/extend/resume, narration with &, +
# and non-ASCII, reveal, resolve, end); the log read with GET matches what
# was clicked and the page's state equals GET; no console error or failed
# request; axe-core finds no serious or critical violation
# (tests/browser/gm.mjs says what each step checks).
#
# Screenshots of every step go to tests/browser/screenshots/gm-*.png in the
# build tree.  Needs Debian's chromium and the npm packages of
# tests/browser/package-lock.json (browserlib.sh); skipped (exit 77) only
# without /usr/bin/chromium.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/browserlib.sh"

browser_setup

SHOTS=$BS_BUILDDIR/tests/browser/screenshots
mkdir -p "$SHOTS"
rm -f "$SHOTS"/gm-*.png

start_daemon --heartbeat 1 --drain-delay 0 --dev

started=$(date +%s)
NODE_PATH=$BROWSER_NODE_MODULES node "$BS_SRCDIR/tests/browser/gm.mjs" \
    "$BASE_URL" "$SHOTS" >"$TMP/browser.out" 2>"$TMP/browser.err" &
BROWSER_PID=$!
track_client "$BROWSER_PID"
wait_exit "$BROWSER_PID" 90
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "the GM console in Chromium (status $EXIT_STATUS): $(cat "$TMP/browser.out") $(tail -n 30 "$TMP/browser.err")"
note "$(cat "$TMP/browser.out")"
note "screenshots in $SHOTS ($(ls "$SHOTS" | grep -c '^gm-') files), $(( $(date +%s) - started )) s"
stop_daemon TERM 15
