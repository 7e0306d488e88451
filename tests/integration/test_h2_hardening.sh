#!/bin/sh
# HTTP/2 abuse and conformance on raw frames (h2raw.c): request bodies
# held open on many streams and connections kept alive by PINGs (memory
# bounded by --h2-conn-body and --h2-body-total, measured as the daemon's
# RSS; closed by --idle-timeout all the same), one log line per cause for
# a control-frame flood, and the stream-state rules of RFC 9113 (sections
# 3.4, 5.1, 5.1.1 and 6.1), one case each.
. "$(dirname "$0")/lib.sh"

H2RAW=$BS_BUILDDIR/tests/integration/h2raw
H2FLOOD=$BS_BUILDDIR/tests/integration/h2flood
for p in "$H2RAW" "$H2FLOOD"; do
	[ -x "$p" ] || fail "no $p (run make check)"
done

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$DAEMON_PID/status"
}

# Two bodies' worth in all (the default 1 MiB per connection), so that
# four connections meet both budgets.
start_daemon --idle-timeout 3 --h2-body-total 2097152

# --- bodies that never finish, kept alive by PINGs ----------------------
# 4 connections x 100 streams x 60,000 bytes: 24 MB buffered before the
# budgets; now at most --h2-body-total (2 MiB).
before=$(rss_kb)
"$H2RAW" "$BASE_URL" bodies 4 100 60000 12 >"$TMP/bodies.out" 2>&1 &
RAW_PID=$!
track_client "$RAW_PID"
wait_until 10 "h2raw to send what the windows allow" \
    grep -q '^holding' "$TMP/bodies.out" ||
    fail "h2raw never held its bodies: $(cat "$TMP/bodies.out")"
sleep 0.5
held=$(rss_kb)
grow=$((held - before))
note "RSS ${before} kB before, ${held} kB with 400 partial bodies (+${grow} kB)"
[ "$grow" -lt 8192 ] ||
    fail "400 partial HTTP/2 bodies grew the daemon's RSS by ${grow} kB (budget 2 MiB)"
# PINGs every second do not keep them past --idle-timeout 3.
wait_exit "$RAW_PID" 14
cat "$TMP/bodies.out"
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "connections holding partial bodies outlived --idle-timeout despite PINGs only: $(cat "$TMP/bodies.out")"
for t in $(sed -n 's/^conn .* closed after \([0-9.]*\) s.*$/\1/p' "$TMP/bodies.out"); do
	awk -v t="$t" 'BEGIN { exit !(t >= 2.5) }' ||
	    fail "a connection was closed after $t s, before --idle-timeout"
done
refused=$(sed -n 's/^conn .* refused \([0-9]*\),.*$/\1/p' "$TMP/bodies.out" |
    awk '{ s += $1 } END { print s + 0 }')
busy=$(sed -n 's/^conn .* 503 \([0-9]*\),.*$/\1/p' "$TMP/bodies.out" |
    awk '{ s += $1 } END { print s + 0 }')
[ "$refused" -gt 0 ] ||
    fail "no stream was refused past --h2-conn-body: $(cat "$TMP/bodies.out")"
[ "$busy" -gt 0 ] ||
    fail "no stream got 503 past --h2-body-total: $(cat "$TMP/bodies.out")"
n=$(grep -c 'request bodies over' "$DAEMON_LOG" || true)
[ "$n" -le 4 ] || fail "$n log lines for refused bodies from 4 connections"
# The budgets were given back: a body is taken again.
http POST "$BASE_URL/v1/battles" --http2-prior-knowledge \
    -H 'Content-Type: application/json' -d '{"name":"After the hold"}'
expect_status 201 "a POST over HTTP/2 once the held bodies are gone"

# --- control-frame floods: one log line per connection ------------------
# PRIORITY frames need no answer, so only our own limit stops them, and
# 4,000 of them arrive in one read.
"$H2RAW" "$BASE_URL" case priority-flood >"$TMP/flood.out" 2>&1 ||
    fail "priority-flood: h2raw failed: $(cat "$TMP/flood.out")"
grep -q '^GOAWAY ENHANCE_YOUR_CALM' "$TMP/flood.out" ||
    fail "a PRIORITY flood was not cut off: $(cat "$TMP/flood.out")"
"$H2FLOOD" "$BASE_URL" slowping >"$TMP/flood.out" 2>&1 ||
    fail "the paced PING flood was not cut off: $(cat "$TMP/flood.out")"
n=$(grep -c 'too many control frames' "$DAEMON_LOG" || true)
[ "$n" -eq 2 ] ||
    fail "two control-frame floods, one connection each, logged $n lines (want 2)"

# --- RFC 9113 stream states, one case each --------------------------------
# case NAME WANT WHAT: runs h2raw's case NAME; its output must match WANT.
case_expect() {
	"$H2RAW" "$BASE_URL" case "$1" >"$TMP/case.out" 2>&1 ||
	    fail "$1: h2raw failed: $(cat "$TMP/case.out")"
	grep -q "$2" "$TMP/case.out" ||
	    fail "$3: want '$2', the server sent: $(tr '\n' ' ' <"$TMP/case.out")"
}
case_expect bad-preface '^GOAWAY PROTOCOL_ERROR' \
    "RFC 9113 3.4: an invalid connection preface is a PROTOCOL_ERROR"
case_expect no-settings '^GOAWAY PROTOCOL_ERROR' \
    "RFC 9113 3.4: a preface not followed by SETTINGS is a PROTOCOL_ERROR"
case_expect data-after-reset '^RST_STREAM 1 STREAM_CLOSED' \
    "RFC 9113 5.1 (closed): DATA after the client's RST_STREAM"
case_expect headers-after-reset '^RST_STREAM 1 STREAM_CLOSED' \
    "RFC 9113 5.1 (closed): HEADERS after the client's RST_STREAM"
case_expect data-after-close '^GOAWAY STREAM_CLOSED' \
    "RFC 9113 5.1 (closed): DATA after END_STREAM both ways"
case_expect headers-after-close '^GOAWAY STREAM_CLOSED' \
    "RFC 9113 5.1 (closed): HEADERS after END_STREAM both ways"
case_expect lower-id '^GOAWAY PROTOCOL_ERROR' \
    "RFC 9113 5.1.1: a new stream id below one already used"
case_expect data-half-closed '^GOAWAY STREAM_CLOSED' \
    "RFC 9113 6.1: DATA on a half-closed (remote) stream"
! grep -q '^HEADERS 1' "$TMP/case.out" ||
    fail "RFC 9113 6.1: a request followed by DATA after END_STREAM was answered"

# Still serving.
http GET "$BASE_URL/healthz" --http2-prior-knowledge
expect_status 200 "GET /healthz over HTTP/2 after the abuse"
stop_daemon
note "ok"
