#!/bin/sh
# HTTP/2 on the same port as HTTP/1.1 (src/http2.c): prior knowledge
# (curl, nghttp), Upgrade: h2c (curl --http2), the same answers and
# errors as HTTP/1.1, event streams, many streams on one connection with
# one stalled (h2streams.c), the whole scripted battle over HTTP/2, floods
# cut off while others are served (h2flood.c), metrics and the drain.
. "$(dirname "$0")/lib.sh"

need_tool nghttp nghttp nghttp2-client
H2STREAMS=$BS_BUILDDIR/tests/integration/h2streams
H2FLOOD=$BS_BUILDDIR/tests/integration/h2flood
FLOW=$BS_BUILDDIR/tests/integration/battle_flow
for p in "$H2STREAMS" "$H2FLOOD" "$FLOW"; do
	[ -x "$p" ] || fail "no $p (run make check)"
done

# h2 METHOD URL [CURL ARGS...]: http() over HTTP/2 with prior knowledge.
h2() {
	m=$1 u=$2
	shift 2
	http "$m" "$u" --http2-prior-knowledge "$@"
}

expect_h2() {
	grep -q '^HTTP/2 ' "$TMP/headers" ||
	    fail "$1: not answered over HTTP/2: $(head -n 1 "$TMP/headers")"
}

echo "admin-token-for-tests-0123456789" >"$TMP/admin"
ADMIN="Authorization: Bearer admin-token-for-tests-0123456789"
# The pages, and a script of 3 MB: many DATA frames, more than the
# connection writes at once and than the socket's buffers hold.
mkdir "$TMP/www"
cp -R "$BS_SRCDIR/www/." "$TMP/www/"
awk 'BEGIN { for (i = 0; i < 60000; i++)
	printf "var line%d = \"a line of a large script, number %d\";\n", i, i }' \
    >"$TMP/www/large.js"
DAEMON_WWW=$TMP/www
start_daemon --drain-delay 0 --heartbeat 1 --write-timeout 2 --create-per-hour 0 \
    --idle-timeout 3 --admin-token-file "$TMP/admin"

# --- prior knowledge: curl and nghttp ---------------------------------
h2 GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz over HTTP/2"
expect_h2 "GET /healthz"
expect_json_string status ok "GET /healthz over HTTP/2"
expect_no_header Connection "HTTP/2 response"

nghttp -v "$BASE_URL/healthz" >"$TMP/nghttp.out" 2>&1 ||
    fail "nghttp -v /healthz failed: $(tail -n 5 "$TMP/nghttp.out")"
grep -q ':status: 200' "$TMP/nghttp.out" ||
    fail "nghttp: no :status 200: $(cat "$TMP/nghttp.out")"
grep -q '{"status":"ok"}' "$TMP/nghttp.out" ||
    fail "nghttp: no body"
grep -q 'SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100' "$TMP/nghttp.out" ||
    fail "nghttp: the server did not announce 100 concurrent streams"

# A large body arrives whole, in order, to a fast reader and to one
# that reads slowly (the connection's output waits on a full socket).
for rate in 0 4M; do
	h2 GET "$BASE_URL/large.js" --limit-rate $rate
	expect_status 200 "GET a 3 MB file over HTTP/2 (rate $rate)"
	cmp -s "$TMP/body" "$TMP/www/large.js" ||
	    fail "a 3 MB file arrived altered over HTTP/2 (rate $rate)"
done

# --- Upgrade: h2c (curl --http2 on http://) ----------------------------
http GET "$BASE_URL/healthz" --http2
expect_status 200 "GET /healthz with Upgrade: h2c"
grep -q '^HTTP/1.1 101' "$TMP/headers" ||
    fail "Upgrade: h2c was not switched: $(head -n 1 "$TMP/headers")"
expect_h2 "GET /healthz after the upgrade"
# A body-carrying request is not upgraded (RFC 9113 leaves it optional).
http POST "$BASE_URL/v1/battles" --http2 -H 'Content-Type: application/json' \
    -d '{"name":"Upgrade with a body"}'
expect_status 201 "POST with Upgrade: h2c and a body, served as HTTP/1.1"
grep -q '^HTTP/1.1 201' "$TMP/headers" ||
    fail "a POST with a body was upgraded: $(head -n 1 "$TMP/headers")"

# --- the API over HTTP/2 ---------------------------------------------
h2 POST "$BASE_URL/v1/battles" -H 'Content-Type: application/json' \
    -d '{"name":"Over HTTP/2"}'
expect_status 201 "create a battle over HTTP/2"
expect_h2 "create a battle"
ID=$(json_string id)
GM=$(json_string gm_token)
[ -n "$ID" ] && [ -n "$GM" ] || fail "create: no id or token: $(cat "$TMP/body")"

h2 GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_status 200 "GET the battle over HTTP/2"
cp "$TMP/body" "$TMP/state.h2"
http GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_status 200 "GET the battle over HTTP/1.1"
cmp -s "$TMP/body" "$TMP/state.h2" ||
    fail "the same battle reads differently over HTTP/1.1 and HTTP/2"

# An order before the battle starts: the same refusal on both protocols.
ORDER='{"round":1,"ship":1,"type":"hold"}'
h2 POST "$BASE_URL/v1/battles/$ID/orders" -H "Authorization: Bearer $GM" \
    -H 'Content-Type: application/json' -d "$ORDER"
S2=$STATUS
cp "$TMP/body" "$TMP/order.h2"
expect_header Content-Type '^application/problem\+json' "order over HTTP/2"
http POST "$BASE_URL/v1/battles/$ID/orders" -H "Authorization: Bearer $GM" \
    -H 'Content-Type: application/json' -d "$ORDER"
[ "$STATUS" = "$S2" ] && cmp -s "$TMP/body" "$TMP/order.h2" ||
    fail "an order is answered differently: HTTP/2 $S2 $(cat "$TMP/order.h2") vs HTTP/1.1 $STATUS $(cat "$TMP/body")"

h2 GET "$BASE_URL/v1/no-such-thing"
expect_problem 404 not-found "unknown path over HTTP/2"

# Bodies are capped as on HTTP/1.1: 413 problem+json.
head -c 70000 /dev/zero | tr '\0' 'x' >"$TMP/big"
h2 POST "$BASE_URL/v1/battles" -H 'Content-Type: application/json' \
    --data-binary "@$TMP/big"
expect_problem 413 body-too-large "oversize body over HTTP/2"
# Header lists past --h2-max-header-list (16384): 431 problem+json.
LONG=$(head -c 17000 /dev/zero | tr '\0' 'y')
h2 GET "$BASE_URL/healthz" -H "X-Long: $LONG"
expect_problem 431 headers-too-large "oversize header list over HTTP/2"

# --- an event stream over HTTP/2, gzip-compressed as on HTTP/1.1 ---------
"$CURL" -sS -N --http2-prior-knowledge --compressed --max-time 4 \
    -D "$TMP/sse.headers" \
    -H "Authorization: Bearer $GM" "$BASE_URL/v1/battles/$ID/events" \
    >"$TMP/sse.out" 2>"$TMP/sse.err" &
SSE_PID=$!
track_client "$SSE_PID"
wait_until 4 "the snapshot on the HTTP/2 event stream" \
    grep -sq '^event: snapshot' "$TMP/sse.out" ||
    fail "no snapshot on the HTTP/2 event stream: $(cat "$TMP/sse.out" "$TMP/sse.err")"
h2 POST "$BASE_URL/v1/battles/$ID/narration" -H "Authorization: Bearer $GM" \
    -H 'Content-Type: application/json' -d '{"text":"Narrated over h2"}'
expect_status 200 "narration over HTTP/2"
wait_exit "$SSE_PID" 8
grep -q '^event: snapshot' "$TMP/sse.out" ||
    fail "no snapshot on the HTTP/2 event stream: $(cat "$TMP/sse.out" "$TMP/sse.err")"
grep -q '"text":"Narrated over h2"' "$TMP/sse.out" ||
    fail "the narration did not reach the HTTP/2 event stream: $(cat "$TMP/sse.out")"
grep -q '^:hb' "$TMP/sse.out" || fail "no heartbeat on the HTTP/2 event stream"
grep -qi '^content-encoding: gzip' "$TMP/sse.headers" ||
    fail "the HTTP/2 event stream was not compressed: $(cat "$TMP/sse.headers")"

# --- many streams on one connection, one of them stalled ------------------
"$H2STREAMS" "$BASE_URL" 50 5 >"$TMP/h2streams.out" 2>&1 || {
	cat "$TMP/h2streams.out" >&2
	fail "h2streams failed"
}
cat "$TMP/h2streams.out"

# --- the whole scripted battle over HTTP/2 ---------------------------------
BS_CLIENT_HTTP2=1 "$FLOW" "$BASE_URL" >"$TMP/flow.out" 2>&1 || {
	cat "$TMP/flow.out" >&2
	fail "battle_flow over HTTP/2 failed"
}
sed 's/^/battle_flow over HTTP\/2: /' "$TMP/flow.out"
# Its final state reads the same over either protocol.
h2 GET "$BASE_URL/v1/battles" -H "$ADMIN"
expect_status 200 "admin list over HTTP/2"
cp "$TMP/body" "$TMP/list.h2"
http GET "$BASE_URL/v1/battles" -H "$ADMIN"
cmp -s "$TMP/body" "$TMP/list.h2" ||
    fail "the admin list differs between HTTP/1.1 and HTTP/2"
grep -q '"phase":"ended"' "$TMP/list.h2" ||
    fail "the battle played over HTTP/2 did not end: $(cat "$TMP/list.h2")"

# --- floods: cut off, while another client is served -------------------------
for mode in ping settings reset slowping; do
	"$H2FLOOD" "$BASE_URL" "$mode" >"$TMP/flood.out" 2>&1 &
	FLOOD_PID=$!
	track_client "$FLOOD_PID"
	for i in 1 2 3 4 5; do
		h2 GET "$BASE_URL/healthz"
		expect_status 200 "GET /healthz during a $mode flood"
	done
	wait_exit "$FLOOD_PID" 15
	[ "$EXIT_STATUS" -eq 0 ] || {
		cat "$TMP/flood.out" >&2
		fail "a $mode flood was not cut off (status $EXIT_STATUS)"
	}
	note "$mode flood: $(cat "$TMP/flood.out")"
done
# The paced PING flood reads every ACK, so only Broadside's own limit on
# control frames stops it: GOAWAY ENHANCE_YOUR_CALM (11).
grep -q 'GOAWAY error code 11$' "$TMP/flood.out" ||
    fail "the paced PING flood was not cut off by GOAWAY ENHANCE_YOUR_CALM: $(cat "$TMP/flood.out")"
grep -q 'too many control frames' "$DAEMON_LOG" ||
    fail "no log line for the control-frame flood" 

# A client that says nothing after the preface: closed by --idle-timeout,
# politely (GOAWAY NO_ERROR).
t0=$(date +%s)
"$H2FLOOD" "$BASE_URL" silent >"$TMP/idle.out" 2>&1 || {
	cat "$TMP/idle.out" >&2
	fail "an idle HTTP/2 connection was not closed"
}
[ $(( $(date +%s) - t0 )) -ge 2 ] ||
    fail "an idle HTTP/2 connection was closed before --idle-timeout: $(cat "$TMP/idle.out")"
grep -q 'GOAWAY error code 0$' "$TMP/idle.out" ||
    fail "no GOAWAY NO_ERROR before an idle close: $(cat "$TMP/idle.out")"
note "idle: $(cat "$TMP/idle.out")"

# --- metrics -------------------------------------------------------------------
scrape "$TMP/metrics"
v=$(metric_sum "$TMP/metrics" broadside_connections_total 'protocol="http2"')
num_ge "$v" 10 || fail "broadside_connections_total{protocol=\"http2\"} is '$v'"
v=$(metric_sum "$TMP/metrics" broadside_http_streams_total 'protocol="http2"')
num_ge "$v" 60 || fail "broadside_http_streams_total{protocol=\"http2\"} is '$v'"
[ -n "$(metric_sum "$TMP/metrics" broadside_http_streams_open 'protocol="http2"')" ] ||
    fail "no broadside_http_streams_open{protocol=\"http2\"}"
if [ -n "$PROMTOOL" ] && command -v "$PROMTOOL" >/dev/null 2>&1; then
	"$PROMTOOL" check metrics <"$TMP/metrics" >"$TMP/promtool.out" 2>&1 ||
	    fail "promtool: $(cat "$TMP/promtool.out")"
fi

# --- the drain: an HTTP/2 event stream gets its last retry: and ends ------------
"$CURL" -sS -N --http2-prior-knowledge --max-time 10 \
    -H "Authorization: Bearer $GM" "$BASE_URL/v1/battles/$ID/events" \
    >"$TMP/drain.out" 2>"$TMP/drain.err" &
SSE_PID=$!
track_client "$SSE_PID"
wait_until 5 "the snapshot on the HTTP/2 event stream" \
    grep -sq '^event: snapshot' "$TMP/drain.out" ||
    fail "no snapshot on the HTTP/2 event stream before the drain: $(cat "$TMP/drain.out" "$TMP/drain.err")"
stop_daemon
wait_exit "$SSE_PID" 5
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "the HTTP/2 event stream did not end cleanly at the drain (curl status $EXIT_STATUS: $(cat "$TMP/drain.err"))"
grep -q '^retry: 1000' "$TMP/drain.out" ||
    fail "no retry: hint at the drain: $(tail -n 5 "$TMP/drain.out")"
# Every session used the frame buffer they share: src/http2.c checks each
# session's first frame and logs an error when it came from elsewhere.
if grep -q 'does not pack frames' "$DAEMON_LOG"; then
	fail "nghttp2's sessions could not share one frame buffer: $(grep 'does not pack' "$DAEMON_LOG")"
fi
note "ok"
