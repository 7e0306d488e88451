#!/bin/sh
# Two nodes behind HAProxy, with the configuration shipped in
# contrib/haproxy.cfg (its shape: loopback ports, no TLS, short timeouts
# and check interval): (a) every request and event stream of a battle
# reaches the same node, the hash owner of its id, which serves it only
# when it holds the battle (here each node has its own SQLite file; with
# a shared PostgreSQL store the node takes the battle's lease instead,
# which test_leases.sh tests); (b) an event stream through HAProxy stays open past its client
# and server timeouts and receives events; (c) a SIGTERM'd node leaves
# rotation through /readyz within its --drain-delay, before it closes,
# and no request fails; (d) the nodes see each client's own address
# through PROXY v2 (--create-per-hour per client), from HAProxy only
# (--trusted-proxy): a header from another address is not believed, and
# a trusted peer without one is closed; (e) the connection cap counts
# the client a trusted peer names, not the peer; (f) HAProxy keeps no
# idle connection to a node (each names its client, who would be
# counted for it) after event streams are dropped.  And HAProxy accepts the shipped
# file as it is (its TLS frontend with a test certificate).  curl, jq,
# haproxy, certtool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"

need_tool jq jq jq
need_tool haproxy haproxy haproxy
PC=$BS_BUILDDIR/tests/integration/proxyclient
[ -x "$PC" ] || fail "no $PC (make check builds it)"

# The shipped configuration as it is, TLS frontend included, with a test
# certificate in place of the operator's.
make_test_certs
cat "$CERT" "$KEY" >"$TMP/haproxy.pem"
sed "s#/etc/haproxy/broadside.pem#$TMP/haproxy.pem#" \
    "$BS_SRCDIR/contrib/haproxy.cfg" >"$TMP/shipped.cfg"
haproxy -c -f "$TMP/shipped.cfg" >"$TMP/check.log" 2>&1 ||
    fail "HAProxy refuses contrib/haproxy.cfg: $(cat "$TMP/check.log")"

echo "admin-token-for-tests-0123456789" >"$TMP/admin"
ADMIN=admin-token-for-tests-0123456789
# The drain delay: long beside the 3-3.7 s of requests that (c) sends
# during it, so that a slow machine's last request still finds node1 up.
DELAY=8

# Two nodes; HAProxy reaches them from 127.0.0.1, the only trusted peer.
# The tests' own direct requests come from 127.0.0.5 (untrusted).
NODE_ARGS="--trusted-proxy 127.0.0.1/32 --heartbeat 1 --drain-delay $DELAY
    --create-per-hour 2 --admin-token-file $TMP/admin"
start_daemon $NODE_ARGS
A_PID=$DAEMON_PID A_URL=$BASE_URL A_PORT=$DAEMON_PORT
start_daemon $NODE_ARGS
B_PID=$DAEMON_PID B_URL=$BASE_URL B_PORT=$DAEMON_PORT
DAEMON_PID=

# --- HAProxy, from contrib/haproxy.cfg -------------------------------------

CFG=$TMP/haproxy.cfg
# HAProxy's client and server timeouts in the tests: short, so that (b)
# shows a stream outliving them.
H_TIMEOUT=2s
# start_haproxy PORT: HAProxy on 127.0.0.1:PORT in the foreground; fails
# (returns 1) when it cannot bind.
start_haproxy() {
	H_PORT=$1
	sed -e '/^	bind :443 /d' \
	    -e "s/^	bind :80\$/	bind 127.0.0.1:$H_PORT/" \
	    -e "s/^	timeout client 30s\$/	timeout client $H_TIMEOUT/" \
	    -e "s/^	timeout server 30s\$/	timeout server $H_TIMEOUT/" \
	    -e 's/ inter 1s / inter 200ms /' \
	    -e '/^	server node/d' \
	    "$BS_SRCDIR/contrib/haproxy.cfg" >"$CFG"
	printf '\tserver node1 127.0.0.1:%s\n\tserver node2 127.0.0.1:%s\n' \
	    "$A_PORT" "$B_PORT" >>"$CFG"
	for want in "bind 127.0.0.1:$H_PORT" "timeout client $H_TIMEOUT" \
	    "timeout server $H_TIMEOUT" 'inter 200ms' 'send-proxy-v2' \
	    'balance hash var(txn.battle)' 'uri /readyz'; do
		grep -q "$want" "$CFG" ||
		    fail "contrib/haproxy.cfg changed shape: no '$want' in $CFG"
	done
	haproxy -db -f "$CFG" >"$TMP/haproxy.log" 2>&1 &
	H_PID=$!
	track_client "$H_PID"
	wait_until 5 "HAProxy listening" haproxy_up
}
haproxy_up() {
	"$CURL" -s -o /dev/null --max-time 1 "http://127.0.0.1:$H_PORT/" &&
	    return 0
	proc_alive "$H_PID" || return 2
	return 1
}
# start_haproxy_somewhere: start_haproxy on the first free port of a few;
# sets H (HAProxy's URL).
start_haproxy_somewhere() {
	H_PID=
	for try in 1 2 3 4 5; do
		port=$((20000 + ($$ * 7 + try * 7919 + ${1:-0}) % 40000))
		if start_haproxy "$port" 2>/dev/null; then
			break
		fi
		kill "$H_PID" 2>/dev/null || true
		H_PID=
	done
	[ -n "$H_PID" ] ||
	    fail "HAProxy did not start: $(tail -n 5 "$TMP/haproxy.log")"
	H=http://127.0.0.1:$H_PORT
}
start_haproxy_somewhere
note "HAProxy $(haproxy -v | head -n 1 | cut -d' ' -f3) on $H, nodes $A_PORT and $B_PORT"

# node: which node served the last response through HAProxy.
node() {
	header X-Broadside-Node
}

# Both nodes in rotation: requests without a battle id go round robin.
both_up() {
	http GET "$H/healthz"
	[ "$STATUS" = 200 ] || return 1
	SEEN="$SEEN $(node)"
	case $SEEN in *node1*node2*|*node2*node1*) return 0 ;; esac
	return 1
}
SEEN=
wait_until 10 "both nodes in HAProxy's rotation" both_up ||
    fail "not both nodes in rotation: $SEEN"

# --- (a) a battle's requests and stream reach one node -----------------

# Six battles on each node, created directly.
for n in node1 node2; do
	node_url=$A_URL
	[ $n = node1 ] || node_url=$B_URL
	for i in 1 2 3 4 5 6; do
		as "$ADMIN" POST "$node_url/v1/battles" --interface 127.0.0.5 \
		    -d "{\"name\":\"Held by $n $i\"}"
		expect_status 201 "create battle $i on $n directly"
		echo "$(json_string id) $n $(json_string gm_token)" >>"$TMP/battles"
	done
done

SERVED= HASHED1=0 HASHED2=0
while read -r id holder gm; do
	first=
	for i in 1 2 3; do
		as "$gm" GET "$H/v1/battles/$id"
		[ -n "$first" ] || first=$(node)
		[ "$(node)" = "$first" ] ||
		    fail "battle $id went to $first, then to $(node)"
	done
	if [ "$first" = "$holder" ]; then
		expect_status 200 "battle $id, held and hashed to $holder"
		SERVED="$SERVED $id:$gm"
	else
		expect_status 404 "battle $id, held by $holder, hashed to $first"
	fi
	[ "$first" = node1 ] && HASHED1=$((HASHED1 + 1))
	[ "$first" = node2 ] && HASHED2=$((HASHED2 + 1))
	# Its event stream goes to the same node.
	"$CURL" -sN --max-time 1 -D "$TMP/sse.h" -o /dev/null \
	    "$H/v1/battles/$id/events?access_token=$gm" || true
	sed -n 's/\r$//; s/^x-broadside-node: //ip' "$TMP/sse.h" |
	    grep -qx "$first" ||
	    fail "battle $id's stream did not go to $first: $(cat "$TMP/sse.h")"
done <"$TMP/battles"
[ "$HASHED1" -gt 0 ] && [ "$HASHED2" -gt 0 ] ||
    fail "the hash sent every battle to one node ($HASHED1, $HASHED2)"
[ -n "$SERVED" ] || fail "no battle hashed to the node that holds it"
note "(a) 12 battles: $HASHED1 hashed to node1, $HASHED2 to node2, each always to the same node; served where held:$(echo "$SERVED" | wc -w)"

# --- (b) an event stream outlives HAProxy's timeouts -----------------------

set -- $SERVED
ID=${1%%:*} GM=${1#*:}
: >"$TMP/sse"
"$CURL" -sN --max-time 7 "$H/v1/battles/$ID/events?access_token=$GM" \
    >"$TMP/sse" 2>"$TMP/sse.err" &
sse_pid=$!
track_client "$sse_pid"
sse_wait "$TMP/sse" snapshot 1
sleep 4		# twice HAProxy's 2 s client and server timeouts
proc_alive "$sse_pid" ||
    fail "the stream through HAProxy closed within 4 s: $(tail -c 400 "$TMP/sse")"
as "$GM" POST "$H/v1/battles/$ID/narration" \
    -H 'Content-Type: application/json' -d '{"text":"Through HAProxy."}'
expect_status 200 "a narration through HAProxy"
wait_until 5 "the narration on the stream" grep -q 'Through HAProxy' "$TMP/sse" ||
    fail "the stream got no narration: $(tail -c 400 "$TMP/sse")"
rc=0
wait "$sse_pid" || rc=$?
[ "$rc" -eq 28 ] ||
    fail "the stream ended before curl's 7 s (curl $rc): $(tail -c 400 "$TMP/sse")"
beats=$(sse_events "$TMP/sse" heartbeat | wc -l)
[ "$beats" -ge 3 ] || fail "only $beats heartbeats in 7 s"
note "(b) one stream for 7 s through 2 s timeouts: $beats heartbeats, the narration"

# --- (c) a draining node leaves rotation before it closes ----------------

# HAProxy checks every 200 ms and needs 2 failed checks: a node out of
# rotation within 1.5 s of its SIGTERM.  A sanitizer build answers its
# checks several times slower, with the whole suite beside it: 3 s
# there (it once took more than 1.5 s in CI's sanitizer step).
LATE_MS=1500
! grep -q __asan_init "$BROADSIDED" || LATE_MS=3000
kill -TERM "$A_PID"
t0=$(date +%s%N)
FAILED=0 LATE1=0 LATE=0 N=0
elapsed() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
# Requests for LATE_MS + 1.5 s of the 8 s drain delay (longer, by up to
# 0.7 s, on a slow machine, until 3 have been sent past LATE_MS); from
# LATE_MS on, none may go to node1, and none may fail.
while [ "$(elapsed)" -lt $((LATE_MS + 1500)) ] ||
    { [ "$LATE" -lt 3 ] && [ "$(elapsed)" -lt $((LATE_MS + 2200)) ]; }; do
	http GET "$H/healthz"
	ms=$(elapsed)
	N=$((N + 1))
	if [ "$STATUS" != 200 ]; then
		FAILED=$((FAILED + 1))
		note "at $ms ms: status $STATUS (curl $CURL_RC) from $(node)"
		continue
	fi
	[ "$ms" -ge "$LATE_MS" ] || continue
	LATE=$((LATE + 1))
	[ "$(node)" != node1 ] || LATE1=$((LATE1 + 1))
done
proc_alive "$A_PID" || fail "node1 closed before its $DELAY s drain delay"
[ "$FAILED" -eq 0 ] || fail "$FAILED of $N requests failed while node1 drained; HAProxy: $(tail -n 15 "$TMP/haproxy.log")"
[ "$LATE" -gt 0 ] || fail "no request past $LATE_MS ms into the drain (machine too slow?)"
[ "$LATE1" -eq 0 ] ||
    fail "$LATE1 requests went to node1 more than $LATE_MS ms into its drain"
wait_exit "$A_PID" 20
[ "$EXIT_STATUS" -eq 0 ] || fail "node1 exited with status $EXIT_STATUS"
note "(c) $N requests while node1 drained: none failed; $LATE past $LATE_MS ms, none to node1"

# --- (d) per-client limits see the client ----------------------------------

# Only node2 is left: every creation goes to it.
for from in 127.0.0.2 127.0.0.3; do
	for i in 1 2; do
		http POST "$H/v1/battles" --interface "$from" \
		    -d '{"name":"Quota"}'
		expect_status 201 "creation $i of 2 from $from through HAProxy"
	done
	http POST "$H/v1/battles" --interface "$from" -d '{"name":"Quota"}'
	expect_problem 429 too-many-creations "a 3rd creation from $from"
done
# HAProxy's own address (the trusted peer) has its quota untouched: a
# client it names directly in PROXY v2 gets one too.
for i in 1 2; do
	got=$("$PC" "$B_PORT" 127.0.0.1 127.0.0.9 POST /v1/battles \
	    '{"name":"Named"}')
	[ "$got" = 201 ] || fail "creation $i from 127.0.0.9 named by a trusted peer: $got"
done
got=$("$PC" "$B_PORT" 127.0.0.1 127.0.0.9 POST /v1/battles '{"name":"N"}')
[ "$got" = 429 ] || fail "a 3rd creation from 127.0.0.9: $got, not 429"
# The same header from an untrusted address is not believed: not HTTP.
got=$("$PC" "$B_PORT" 127.0.0.4 127.0.0.8 POST /v1/battles '{"name":"N"}')
[ "$got" = 400 ] || fail "a PROXY header from untrusted 127.0.0.4: $got, not 400"
# A trusted peer that sends no header is closed.
got=$("$PC" "$B_PORT" 127.0.0.1 - GET /healthz)
[ "$got" = closed ] || fail "the trusted peer without a PROXY header: $got"
note "(d) through HAProxy 127.0.0.2 and 127.0.0.3 each had 2 creations; a header from 127.0.0.4 is 400; the trusted peer without one is closed"

kill -TERM "$H_PID"
DAEMON_PID=$B_PID
stop_daemon

# --- (e) the connection cap counts the client, not the balancer ------------

start_daemon --trusted-proxy 127.0.0.1/32 --per-ip-connections 2
for i in 1 2; do
	"$PC" "$DAEMON_PORT" 127.0.0.1 127.0.0.9 hold 20 >/dev/null &
	track_client $!
done
# at_cap: whether 127.0.0.9's third connection is refused.
at_cap() {
	[ "$("$PC" "$DAEMON_PORT" 127.0.0.1 127.0.0.9 GET /healthz)" = 503 ]
}
wait_until 10 "127.0.0.9 at its cap of 2" at_cap ||
    fail "a 3rd connection named 127.0.0.9 was not refused"
got=$("$PC" "$DAEMON_PORT" 127.0.0.1 127.0.0.8 GET /healthz)
[ "$got" = 200 ] ||
    fail "127.0.0.8, named by the same balancer, got $got: the balancer was counted"
note "(e) --per-ip-connections 2: a 3rd connection named 127.0.0.9 is 503, 127.0.0.8 through the same peer is 200"
stop_daemon

# --- (f) a client's dropped streams and short requests stay under its cap -----

# With send-proxy-v2, a connection to a node names one client, and the
# node counts it against that client's --per-ip-connections while it is
# open.  An event stream that its client drops ends at HAProxy at the
# next heartbeat it cannot pass on; its connection to the node must then
# close, not wait in HAProxy's idle pool (where nobody else may use it)
# for some 20 s.  8 streams from one address, each dropped after half a
# second, to a node with a cap of 8 and 1 s heartbeats, are all
# answered; their connections to the node close within 6 s; and 50 short
# requests from that address after them are all answered.
start_daemon --trusted-proxy 127.0.0.1/32 --per-ip-connections 8 \
    --heartbeat 1
http POST "$BASE_URL/v1/battles" --interface 127.0.0.5 \
    -d '{"name":"Dropped streams"}'
expect_status 201 "a battle for (f)"
ID=$(json_string id) GM=$(json_string gm_token)
A_PORT=$DAEMON_PORT B_PORT=$DAEMON_PORT
# The shipped timeouts: an idle connection to a node lasts as long as
# HAProxy's server timeout allows.
H_TIMEOUT=30s
start_haproxy_somewhere 13
SEEN=
wait_until 10 "both servers (one node) in HAProxy's rotation" both_up ||
    fail "not both servers in rotation: $SEEN"
CODES=
for i in 1 2 3 4 5 6 7 8; do
	code=$("$CURL" -sN --max-time 0.5 -o /dev/null -w '%{http_code}' \
	    --interface 127.0.0.2 "$H/v1/battles/$ID/events?access_token=$GM") ||
	    true
	CODES="$CODES $code"
done
for code in $CODES; do
	[ "$code" = 200 ] ||
	    fail "8 streams from 127.0.0.2 through HAProxy, each dropped after 0.5 s: got$CODES (HAProxy kept the dropped streams' connections, counted against the client's cap)"
done
# The last streams end at HAProxy's next heartbeats; their connections
# to the node must go with them (kept idle, they stay some 20 s).  Fewer
# than 3 left: a health check may be open at any moment.
few_conns() {
	! tcp_clients_ge 3 "$DAEMON_PORT"
}
wait_until 6 "the dropped streams' connections to the node closed" \
    few_conns ||
    fail "HAProxy still holds $(awk -v p="$(printf '%04X' "$DAEMON_PORT")" '$4 == "01" && substr($3, length($3) - 3) == p { n++ } END { print n + 0 }' /proc/net/tcp) connections to the node 6 s after 8 streams were dropped: each counts against the client's --per-ip-connections"
REFUSED=0
for i in $(seq 50); do
	http GET "$H/healthz" --interface 127.0.0.2
	[ "$STATUS" = 200 ] || REFUSED=$((REFUSED + 1))
done
[ "$REFUSED" -eq 0 ] ||
    fail "$REFUSED of 50 short requests from 127.0.0.2 through HAProxy were not 200 (last: $STATUS $(head -c 300 "$TMP/body")): HAProxy keeps connections naming the client open"
note "(f) --per-ip-connections 8: 8 streams from 127.0.0.2 through HAProxy dropped, all 200, their connections to the node closed within 6 s; then 50 short requests, all 200"
kill -TERM "$H_PID"
stop_daemon
note "ok"
