# Several broadsided nodes on one PostgreSQL store behind HAProxy, built
# from contrib/haproxy.cfg (sourced after tests/integration/lib.sh, by
# test_cluster.sh and tests/bench/cluster.sh; never run on its own).
#
#   cluster_pg              a private PostgreSQL (pglib.sh), database
#                           'cluster'; CLUSTER_URI
#   node_start I [ARGS...]  node I (1, 2, ...) on the store: id nodeI,
#                           trusting 127.0.0.1 (HAProxy) for PROXY v2; its
#                           port is kept across restarts; NODE_PID_I,
#                           NODE_PORT_I, NODE_LOG_I (BASE_URL unchanged)
#   node_signal I SIG       sends SIG to node I
#   node_stop I             SIGTERM, waits for a clean exit
#   haproxy_start N         HAProxy on a free port before nodes 1..N; H_URL
#   haproxy_up_all N        waits until every node 1..N is in rotation
#
# CLUSTER_TTL is the lease (--lease-ttl, seconds; 3 by default) and
# CLUSTER_NODE_ARGS more arguments for every node.

CLUSTER_TTL=${CLUSTER_TTL:-3}
CLUSTER_NODE_ARGS=${CLUSTER_NODE_ARGS:-}
need_tool haproxy haproxy haproxy

cluster_pg() {
	pg_start
	pg_new_db cluster
	CLUSTER_URI=$PG_URI
}

node_start() {
	i=$1
	shift
	eval "port=\${NODE_PORT_$i:-0}"
	keep_url=$BASE_URL
	# Every client is HAProxy at 127.0.0.1, naming the real one; the
	# load's browsers are all 127.0.0.1 too: no per-address caps, and
	# room for all of them in the per-address rate (a failover sends
	# them all to a node that must ask the store).
	DAEMON_DB= DAEMON_LISTEN=127.0.0.1:$port start_daemon \
	    --store "$CLUSTER_URI" --node-id "node$i" \
	    --lease-ttl "$CLUSTER_TTL" --trusted-proxy 127.0.0.1/32 \
	    --per-ip-connections 0 --create-per-hour 0 --heartbeat 5 \
	    --rate 1000 --burst 2000 \
	    --drain-delay 2 --drain-grace 5 $CLUSTER_NODE_ARGS "$@"
	eval "NODE_PID_$i=\$DAEMON_PID NODE_PORT_$i=\$DAEMON_PORT NODE_LOG_$i=\$DAEMON_LOG"
	DAEMON_PID= BASE_URL=$keep_url
}

node_signal() {
	eval "kill -$2 \$NODE_PID_$1"
}

node_stop() {
	eval "DAEMON_PID=\$NODE_PID_$1 DAEMON_LOG=\$NODE_LOG_$1"
	stop_daemon TERM 20
	eval "NODE_PID_$1="
}

# haproxy_start N: contrib/haproxy.cfg with its TLS frontend dropped, its
# plain one on a loopback port, checks every 300 ms, and nodes 1..N.
haproxy_start() {
	n=$1
	for try in 1 2 3 4 5; do
		H_PORT=$(pg_free_port)
		sed -e '/^	bind :443 /d' \
		    -e "s/^	bind :80\$/	bind 127.0.0.1:$H_PORT/" \
		    -e 's/ inter 1s / inter 300ms /' \
		    -e '/^	server node/d' \
		    "$BS_SRCDIR/contrib/haproxy.cfg" >"$TMP/haproxy.cfg"
		for want in "bind 127.0.0.1:$H_PORT" 'inter 300ms' \
		    'send-proxy-v2' 'balance hash var(txn.battle)' \
		    'uri /readyz'; do
			grep -q "$want" "$TMP/haproxy.cfg" ||
			    fail "contrib/haproxy.cfg changed shape: no '$want'"
		done
		i=1
		while [ "$i" -le "$n" ]; do
			eval "printf '\tserver node%s 127.0.0.1:%s\n' $i \$NODE_PORT_$i" \
			    >>"$TMP/haproxy.cfg"
			i=$((i + 1))
		done
		haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
		H_PID=$!
		track_client "$H_PID"
		H_URL=http://127.0.0.1:$H_PORT
		if wait_until 5 "HAProxy listening" haproxy_listening; then
			return 0
		fi
		kill "$H_PID" 2>/dev/null || true
	done
	fail "HAProxy did not start: $(tail -n 5 "$TMP/haproxy.log")"
}

haproxy_listening() {
	"$CURL" -s -o /dev/null --max-time 1 "$H_URL/healthz" && return 0
	proc_alive "$H_PID" || return 2
	return 1
}

# haproxy_up_all N: every node 1..N answered a request through HAProxy
# (requests without a battle id go round robin).
haproxy_up_all() {
	H_SEEN=
	wait_until 15 "nodes 1 to $1 in HAProxy's rotation" _up_all "$1" ||
	    fail "not every node in rotation: seen$H_SEEN"
}

_up_all() {
	out=$("$CURL" -s -o /dev/null -D - --max-time 2 "$H_URL/healthz" |
	    tr -d '\r' | sed -n 's/^[Xx]-[Bb]roadside-[Nn]ode: //p')
	case " $H_SEEN " in *" $out "*) ;; *) H_SEEN="$H_SEEN $out" ;; esac
	i=1
	while [ "$i" -le "$1" ]; do
		case " $H_SEEN " in *" node$i "*) ;; *) return 1 ;; esac
		i=$((i + 1))
	done
	return 0
}
