#!/bin/sh
# Headless Chromium over TLS (src/tls.c): a browser that negotiates h2
# through ALPN opens an EventSource on https:// to a battle's events and
# receives its snapshot and a narration posted from the page, and the page
# reports protocol h2 (eventsource_h2.mjs).
#
# Needs Debian's chromium and npm's playwright-core at the version of
# tests/browser/package-lock.json, both installed by ./bootstrap
# (tests/browser/browserlib.sh: otherwise npm ci into the build tree).
# The test is skipped (exit 77) only when /usr/bin/chromium is not
# installed, and says so; a failed npm install fails it.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/tlslib.sh"
. "$(dirname "$0")/browserlib.sh"

browser_setup

make_test_certs
start_daemon --drain-delay 0 --heartbeat 1 --tls-cert "$CERT" --tls-key "$KEY"
S_URL=https://127.0.0.1:$DAEMON_PORT

http POST "$S_URL/v1/battles" --cacert "$CA" \
    -H 'Content-Type: application/json' -d '{"name":"Seen by Chromium"}'
expect_status 201 "create a battle over TLS"
ID=$(json_string id)
GM=$(json_string gm_token)
[ -n "$ID" ] && [ -n "$GM" ] || fail "create: no id or token: $(cat "$TMP/body")"

NODE_PATH=$BROWSER_NODE_MODULES node \
    "$BS_SRCDIR/tests/browser/eventsource_h2.mjs" "$S_URL" "$ID" "$GM" \
    "$TMP/chromium-profile" >"$TMP/browser.out" 2>"$TMP/browser.err" &
BROWSER_PID=$!
track_client "$BROWSER_PID"
wait_exit "$BROWSER_PID" 90
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "Chromium over TLS (status $EXIT_STATUS): $(cat "$TMP/browser.out") $(tail -n 20 "$TMP/browser.err")"
grep -q '"protocol":"h2"' "$TMP/browser.out" ||
    fail "Chromium did not report h2: $(cat "$TMP/browser.out")"
grep -q '"narration":true' "$TMP/browser.out" ||
    fail "the narration did not reach Chromium's EventSource: $(cat "$TMP/browser.out")"
note "Chromium: $(cat "$TMP/browser.out")"


scrape "$TMP/metrics"
v=$(metric_sum "$TMP/metrics" broadside_tls_connections_total 'protocol="h2-tls"')
num_ge "$v" 1 || fail "Chromium's connection is not counted as h2-tls: '$v'"
stop_daemon TERM 15
