#!/bin/sh
# TLS on the shared port (src/tls.c): --tls-cert/--tls-key errors exit 2
# with one line; with a test CA made by certtool, curl reaches HTTP/2
# through ALPN and HTTP/1.1 through the libmicrohttpd bridge, cleartext
# keeps working on the same port, event streams over TLS (both protocols)
# get their snapshot and an event, a garbage handshake and a handshake
# that never finishes are closed without harming others, the connection
# limit counts handshakes, /metrics counts TLS connections, and the daemon
# drains and exits 0 with TLS streams open; TLS 1.0, 1.1 and static-RSA
# key exchange are refused, TLS 1.3 is chosen, and --tls-priority changes
# that (gnutls-cli).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"

make_test_certs

# --- option errors: exit 2, one line on stderr ------------------------------
# expect_tls_error NEEDLE ARGS...
expect_tls_error() {
	needle=$1
	shift
	"$BROADSIDED" --listen 127.0.0.1:0 --db "$TMP/opt.db" \
	    --sql-dir "$BS_SRCDIR/sql" "$@" </dev/null >"$TMP/out" \
	    2>"$TMP/err" &
	wait_exit $! 5
	[ "$EXIT_STATUS" -eq 2 ] ||
	    fail "broadsided $*: exit status $EXIT_STATUS, expected 2: $(cat "$TMP/err")"
	[ "$(awk 'END { print NR }' "$TMP/err")" -eq 1 ] ||
	    fail "broadsided $*: expected one line on stderr: $(cat "$TMP/err")"
	grep -qF -e "$needle" "$TMP/err" ||
	    fail "broadsided $*: stderr '$(cat "$TMP/err")' does not name '$needle'"
	note "$* -> 2: $(cat "$TMP/err")"
}
expect_tls_error --tls-key --tls-cert "$CERT"
expect_tls_error --tls-cert --tls-key "$KEY"
expect_tls_error "$TMP/missing.pem" --tls-cert "$TMP/missing.pem" \
    --tls-key "$KEY"
echo "not a certificate" >"$TMP/junk.pem"
expect_tls_error "$TMP/junk.pem" --tls-cert "$TMP/junk.pem" --tls-key "$KEY"
# A key that is not the certificate's.
expect_tls_error --tls-key --tls-cert "$CERT" --tls-key "$TMP/ca.key"

# --- the daemon with TLS --------------------------------------------------
start_daemon --drain-delay 0 --heartbeat 1 --sniff-timeout 2 \
    --tls-cert "$CERT" --tls-key "$KEY"
S_URL=https://127.0.0.1:$DAEMON_PORT

# tls METHOD URL [CURL ARGS...]: http() with the test CA.
tls() {
	m=$1 u=$2
	shift 2
	http "$m" "$u" --cacert "$CA" -w '%{http_code} %{http_version}' "$@"
}

# version: the HTTP version of the last tls() call (2 or 1.1).
version() {
	printf '%s\n' "$STATUS" | awk '{ print $2 }'
}

tls GET "$S_URL/healthz"
[ "$STATUS" = "200 2" ] ||
    fail "GET /healthz over TLS: '$STATUS' (curl exit $CURL_RC: $(cat "$TMP/curl.err")), expected '200 2' (h2 through ALPN)"
expect_json_string status ok "GET /healthz over TLS + h2"
tls GET "$S_URL/healthz" --http1.1
[ "$STATUS" = "200 1.1" ] ||
    fail "GET /healthz over TLS + HTTP/1.1: '$STATUS' (curl exit $CURL_RC: $(cat "$TMP/curl.err")), expected '200 1.1'"
expect_json_string status ok "GET /healthz over TLS + HTTP/1.1"
# Cleartext on the same port, both protocols.
http GET "$BASE_URL/healthz"
expect_status 200 "cleartext HTTP/1.1 beside TLS"
http GET "$BASE_URL/healthz" --http2-prior-knowledge
expect_status 200 "cleartext HTTP/2 beside TLS"
# Several requests on one bridged connection (keep-alive through the pump).
got=$("$CURL" -sS --max-time 10 --cacert "$CA" --http1.1 -o /dev/null \
    -w '%{http_code} %{num_connects}\n' "$S_URL/healthz" \
    -o /dev/null "$S_URL/readyz" 2>"$TMP/curl.err" | tr '\n' ' ') ||
    fail "two requests on one TLS + HTTP/1.1 connection: $(cat "$TMP/curl.err")"
[ "$got" = "200 1 200 0 " ] ||
    fail "two requests on one TLS + HTTP/1.1 connection: '$got', expected '200 1 200 0 '"

# A battle, created over TLS + HTTP/1.1 and read back over TLS + h2.
tls POST "$S_URL/v1/battles" --http1.1 -H 'Content-Type: application/json' \
    -d '{"name":"Over TLS"}'
[ "$STATUS" = "201 1.1" ] || fail "create a battle over TLS: '$STATUS': $(cat "$TMP/body")"
ID=$(json_string id)
GM=$(json_string gm_token)
[ -n "$ID" ] && [ -n "$GM" ] || fail "create: no id or token: $(cat "$TMP/body")"
tls GET "$S_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
[ "$STATUS" = "200 2" ] || fail "GET the battle over TLS + h2: '$STATUS'"
# A body larger than one TLS record and than the bridge's buffers goes up.
head -c 70000 /dev/zero | tr '\0' 'x' >"$TMP/big"
tls POST "$S_URL/v1/battles" --http1.1 -H 'Content-Type: application/json' \
    --data-binary "@$TMP/big"
[ "$STATUS" = "413 1.1" ] || fail "oversize body over TLS + HTTP/1.1: '$STATUS'"
tls POST "$S_URL/v1/battles" -H 'Content-Type: application/json' \
    --data-binary "@$TMP/big"
[ "$STATUS" = "413 2" ] || fail "oversize body over TLS + h2: '$STATUS'"

# --- event streams over TLS, both protocols -----------------------------------
# sse_start NAME [CURL ARGS...]: a stream in the background, 30 s at most.
sse_start() {
	n=$1
	shift
	"$CURL" -sS -N --max-time 30 --cacert "$CA" -D "$TMP/$n.headers" \
	    -H "Authorization: Bearer $GM" "$@" "$S_URL/v1/battles/$ID/events" \
	    >"$TMP/$n.out" 2>"$TMP/$n.err" &
	track_client $!
	eval "${n}_PID=\$!"
}

# wait_for FILE ERE WHAT: the file gets a matching line within 10 s.
wait_for() {
	wait_until 10 "$3" grep -sEq -- "$2" "$1" ||
	    fail "$3: nothing matching /$2/ within 10 s: $(head -c 600 "$1" 2>/dev/null) $(cat "${1%.out}.err" 2>/dev/null)"
}

sse_start h2s --compressed
sse_start h1s --http1.1
wait_for "$TMP/h2s.out" '^event: snapshot' "TLS + h2 event stream"
wait_for "$TMP/h1s.out" '^event: snapshot' "TLS + HTTP/1.1 event stream"
grep -q '^HTTP/2 200' "$TMP/h2s.headers" ||
    fail "the h2 event stream was not HTTP/2: $(head -n 1 "$TMP/h2s.headers")"
grep -q '^HTTP/1.[01] 200' "$TMP/h1s.headers" ||
    fail "the HTTP/1.1 event stream: $(head -n 1 "$TMP/h1s.headers")"
tls POST "$S_URL/v1/battles/$ID/narration" -H "Authorization: Bearer $GM" \
    -H 'Content-Type: application/json' -d '{"text":"Narrated over TLS"}'
[ "$STATUS" = "200 2" ] || fail "narration over TLS: '$STATUS': $(cat "$TMP/body")"
wait_for "$TMP/h2s.out" '"text":"Narrated over TLS"' \
    "the narration on the TLS + h2 event stream"
wait_for "$TMP/h1s.out" '"text":"Narrated over TLS"' \
    "the narration on the TLS + HTTP/1.1 event stream"
wait_for "$TMP/h1s.out" '^:hb' "a heartbeat on the TLS + HTTP/1.1 stream"

# --- bad handshakes: closed, and nobody else notices ----------------------------
# Garbage behind a handshake record's first byte (curl's telnet:// sends
# stdin as it is).
printf '\026garbage, not a ClientHello\r\n' |
    "$CURL" -sS --max-time 5 telnet://127.0.0.1:"$DAEMON_PORT" \
    >"$TMP/garbage.out" 2>&1 || true
# handshakes N FILE: scrapes /metrics into FILE; whether N handshakes are
# in progress (sets v).
handshakes() {
	scrape "$2"
	v=$(metric_sum "$2" broadside_tls_connections_open 'protocol="handshake"')
	[ "$v" = "$1" ]
}
# (The garbage's connection is closed first, so that the one counted
# next is the stalled handshake.)
wait_until 5 "the garbage's connection to be closed" handshakes 0 "$TMP/m0" ||
    fail "a garbage handshake is still counted: handshake gauge '$v'"
# A client that starts a handshake and never finishes it: it holds its
# socket open for 6 s (the sleep); --sniff-timeout (2 s) must end its
# handshake.
(printf '\026\003\001\002\000\001'; sleep 6) |
    "$CURL" -sS --max-time 8 telnet://127.0.0.1:"$DAEMON_PORT" \
    >"$TMP/stall.out" 2>&1 &
STALL_PID=$!
track_client "$STALL_PID"
wait_until 5 "the stalled handshake to be counted" handshakes 1 "$TMP/m1" ||
    fail "a stalled handshake is not counted: handshake gauge '$v'"
tls GET "$S_URL/healthz"
[ "$STATUS" = "200 2" ] || fail "GET /healthz over TLS during a stalled handshake: '$STATUS'"
wait_until 5 "the stalled handshake to be closed" handshakes 0 "$TMP/m2" ||
    fail "a stalled handshake was not closed within --sniff-timeout (gauge '$v')"
proc_alive "$STALL_PID" ||
    fail "the stalled client left by itself; the test proves nothing"
v=$(metric_sum "$TMP/m2" broadside_tls_handshake_failures_total)
num_ge "$v" 2 || fail "broadside_tls_handshake_failures_total is '$v', expected >= 2"
# The streams lived through all of it.
proc_alive "$h2s_PID" || fail "the TLS + h2 event stream ended: $(cat "$TMP/h2s.err")"
proc_alive "$h1s_PID" || fail "the TLS + HTTP/1.1 event stream ended: $(cat "$TMP/h1s.err")"

# --- metrics ---------------------------------------------------------------------
v=$(metric_sum "$TMP/m2" broadside_tls_connections_open 'protocol="h2-tls"')
num_ge "$v" 1 || fail "broadside_tls_connections_open{protocol=\"h2-tls\"} is '$v' with a stream open"
v=$(metric_sum "$TMP/m2" broadside_tls_connections_open 'protocol="http1-tls"')
num_ge "$v" 1 || fail "broadside_tls_connections_open{protocol=\"http1-tls\"} is '$v' with a stream open"
v=$(metric_sum "$TMP/m2" broadside_tls_connections_total 'protocol="h2-tls"')
num_ge "$v" 5 || fail "broadside_tls_connections_total{protocol=\"h2-tls\"} is '$v'"
v=$(metric_sum "$TMP/m2" broadside_tls_connections_total 'protocol="http1-tls"')
num_ge "$v" 4 || fail "broadside_tls_connections_total{protocol=\"http1-tls\"} is '$v'"
if [ -n "$PROMTOOL" ] && command -v "$PROMTOOL" >/dev/null 2>&1; then
	"$PROMTOOL" check metrics <"$TMP/m2" >"$TMP/promtool.out" 2>&1 ||
	    fail "promtool: $(cat "$TMP/promtool.out")"
fi

# --- the drain: TLS streams end, the daemon exits 0 (no leaks under ASan) --------
stop_daemon TERM 15
wait_exit "$h2s_PID" 5
[ "$EXIT_STATUS" -ne 124 ] || fail "the TLS + h2 stream outlived the daemon"
wait_exit "$h1s_PID" 5
[ "$EXIT_STATUS" -ne 124 ] || fail "the TLS + HTTP/1.1 stream outlived the daemon"
grep -q '^retry:' "$TMP/h1s.out" ||
    fail "no last retry: on the TLS + HTTP/1.1 stream at the drain"

# --- the connection limit counts handshakes in progress ---------------------------
start_daemon --max-connections 2 --sniff-timeout 5 \
    --tls-cert "$CERT" --tls-key "$KEY"
# Two clients that hold a handshake open for 4 s (the sleep).
for i in 1 2; do
	(printf '\026\003\001\002\000\001'; sleep 4) |
	    "$CURL" -sS --max-time 6 telnet://127.0.0.1:"$DAEMON_PORT" \
	    >/dev/null 2>&1 &
	track_client $!
done
# Once both are connected, a third connection queues behind them.
wait_until 3 "the two handshakes to connect" tcp_clients_ge 2 "$DAEMON_PORT" ||
    fail "the two stalled handshakes did not connect"
http GET "$BASE_URL/healthz"
expect_status 503 "a third connection while two TLS handshakes hold the limit"
stop_daemon TERM 15

# --- the priority: TLS 1.2 and 1.3 only, and forward secrecy only -----------------
# An RSA certificate, so that a static-RSA key exchange could be chosen
# if the server allowed it (with ECDSA it never can).
need_tool gnutls-cli gnutls-cli gnutls-bin
expect_tls_error "--tls-priority" --tls-cert "$CERT" --tls-key "$KEY" \
    --tls-priority 'NORMAL:+NO-SUCH-THING'
make_test_certs rsa
start_daemon --tls-cert "$CERT" --tls-key "$KEY"
# handshake PRIORITY: gnutls-cli with that client priority; sets HS (its
# exit status) and leaves its output in $TMP/cli.out.
handshake() {
	HS=0
	gnutls-cli --x509cafile "$CA" --port "$DAEMON_PORT" --priority "$1" \
	    127.0.0.1 </dev/null >"$TMP/cli.out" 2>&1 || HS=$?
}
# refused PRIORITY WHAT: the handshake fails.
refused() {
	handshake "$1"
	[ "$HS" -ne 0 ] ||
	    fail "$2 was accepted: $(grep -m 1 'Description:' "$TMP/cli.out")"
}
refused NORMAL:-VERS-ALL:+VERS-TLS1.1 "TLS 1.1"
refused NORMAL:-VERS-ALL:+VERS-TLS1.0 "TLS 1.0"
refused NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA \
    "static RSA key exchange (TLS 1.2, kx RSA only)"
handshake NORMAL
[ "$HS" -eq 0 ] || fail "a NORMAL client could not connect: $(tail -n 3 "$TMP/cli.out")"
grep -q 'Description: (TLS1.3-' "$TMP/cli.out" ||
    fail "a NORMAL client did not get TLS 1.3: $(grep -m 1 'Description:' "$TMP/cli.out")"
handshake NORMAL:-VERS-ALL:+VERS-TLS1.2
[ "$HS" -eq 0 ] || fail "a TLS 1.2 client could not connect: $(tail -n 3 "$TMP/cli.out")"
grep -q 'Description: (TLS1.2-X.509)-(ECDHE-' "$TMP/cli.out" ||
    fail "TLS 1.2 without ECDHE: $(grep -m 1 'Description:' "$TMP/cli.out")"
stop_daemon TERM 15
# The operator may choose otherwise.
start_daemon --tls-cert "$CERT" --tls-key "$KEY" \
    --tls-priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
handshake NORMAL
grep -q 'Description: (TLS1.2-' "$TMP/cli.out" ||
    fail "--tls-priority with TLS 1.2 only: $(grep -m 1 'Description:' "$TMP/cli.out") $(tail -n 3 "$TMP/cli.out")"
stop_daemon TERM 15
note "TLS: h2 and HTTP/1.1 through ALPN, streams, bad handshakes, limit, drain, priority"
