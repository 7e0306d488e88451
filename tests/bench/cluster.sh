#!/bin/sh
# make bench: scale-out figures (broadside-cluster(7)).  1, 2 and 3 nodes
# on one PostgreSQL store (fsync on: durable means on the disk) behind
# HAProxy (tests/load/clusterlib.sh, from contrib/haproxy.cfg), all on
# this machine: durable orders/s and their latency (bench_orders through
# HAProxy), and the seed scenario's order -> visible p99 (broadside-load
# through HAProxy).  orders.sh (and orders.sh postgresql) give one node without
# HAProxy, on SQLite and on PostgreSQL, beside these.  Then failover with
# the default lease (10 s): 3 nodes, a stream on each of 9 battles, kill
# -9 of the node holding most, three times over; the time from the kill
# until each of its battles' streams has a snapshot again, p50 and max.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"
PG_FSYNC=on
CLUSTER_NODE_ARGS="--rate 10000 --burst 10000"
. "$BS_SRCDIR/tests/load/clusterlib.sh"
. "$BS_SRCDIR/tests/bench/benchlib.sh"
ORDERS=$BS_BUILDDIR/tests/bench/bench_orders
[ -x "$ORDERS" ] || fail "no $ORDERS (make bench builds it)"

cluster_pg

# stop_all N: nodes 1..N and HAProxy stopped.
stop_all() {
	i=1
	while [ "$i" -le "$1" ]; do
		eval "[ -z \"\$NODE_PID_$i\" ]" || node_stop "$i"
		i=$((i + 1))
	done
	kill "$H_PID" 2>/dev/null || true
	wait_exit "$H_PID" 5
}

for n in ${CLUSTER_BENCH_NODES:-1 2 3}; do
	i=1
	while [ "$i" -le "$n" ]; do
		node_start "$i"
		i=$((i + 1))
	done
	haproxy_start "$n"
	haproxy_up_all "$n"
	"$ORDERS" "$H_URL" -b 30 -c 30 -s 10 >"$TMP/orders$n" ||
	    fail "bench_orders through HAProxy before $n nodes failed"
	cat "$TMP/orders$n"
	bench_json_figure "$TMP/orders$n" .orders_per_s \
	    "cluster.nodes$n.orders_per_s" orders/s higher timing
	bench_json_figure "$TMP/orders$n" .latency_p99_ms \
	    "cluster.nodes$n.order_latency_p99_ms" ms lower timing
	BASE_URL=$H_URL
	run_load "seed$n" --battles 10 --players 5 --ships 10 --spectators 5 \
	    --rounds 6 --round-seconds 10 --think-ms 1500 --seed 7 \
	    --max-errors 0
	bench_figure "cluster.nodes$n.order_visible_p99_ms" \
	    "$(report_value "seed$n" .order_to_visible.p99_ms)" ms lower timing
	stop_all "$n"
done

# --- failover -------------------------------------------------------------
CLUSTER_TTL=10
for i in 1 2 3; do
	node_start "$i"
done
haproxy_start 3
haproxy_up_all 3

# watch ID TOKEN: an EventSource's life on battle ID through HAProxy:
# every snapshot's arrival (Unix ms) in $TMP/snap.ID; reconnects 0.2 s
# after its stream ends.
watch() {
	while :; do
		"$CURL" -sS -N --max-time 30 \
		    "$H_URL/v1/battles/$1/events?access_token=$2" 2>/dev/null |
		    while IFS= read -r line; do
			case $line in
			'event: snapshot'*) date +%s%3N >>"$TMP/snap.$1" ;;
			esac
		done
		sleep 0.2
	done
}
: >"$TMP/battles"
for b in 1 2 3 4 5 6 7 8 9; do
	http POST "$H_URL/v1/battles" -d name=Failover
	expect_status 201 "a battle through HAProxy"
	id=$(json_string id) gm=$(json_string gm_token)
	echo "$id" >>"$TMP/battles"
	watch "$id" "$gm" &
	track_client $!
done
snapped() {
	while read -r id; do
		[ -s "$TMP/snap.$id" ] || return 1
	done <"$TMP/battles"
}
wait_until 20 "every battle's stream to have its snapshot" snapped ||
    fail "streams without a snapshot"
: >"$TMP/failover"
for round in 1 2 3; do
	victim=1 most=0
	for i in 1 2 3; do
		c=$(pg_sql cluster "SELECT count(*) FROM battles WHERE
		    owner = 'node$i' AND name = 'Failover'")
		[ "$c" -le "$most" ] || { victim=$i most=$c; }
	done
	pg_sql cluster "SELECT id FROM battles WHERE owner = 'node$victim'
	    AND name = 'Failover'" >"$TMP/victims"
	node_signal "$victim" KILL
	killed=$(date +%s%3N)
	eval "wait_exit \$NODE_PID_$victim 5"
	back() {
		while read -r id; do
			[ "$(tail -n 1 "$TMP/snap.$id")" -gt "$killed" ] ||
			    return 1
		done <"$TMP/victims"
	}
	wait_until 60 "node$victim's battles back on their streams" back ||
	    fail "node$victim's battles did not come back"
	while read -r id; do
		echo $(( $(awk -v k="$killed" '$1 > k { print; exit }' \
		    "$TMP/snap.$id") - killed )) >>"$TMP/failover"
	done <"$TMP/victims"
	note "kill -9 node$victim: $most battles back in $(tail -n "$most" "$TMP/failover" | tr '\n' ' ')ms"
	node_start "$victim"
	haproxy_up_all 3
done
sort -n "$TMP/failover" >"$TMP/failover.sorted"
count=$(wc -l <"$TMP/failover.sorted")
p50=$(sed -n "$(( (count + 1) / 2 ))p" "$TMP/failover.sorted")
max=$(tail -n 1 "$TMP/failover.sorted")
bench_figure cluster.failover_p50_ms "$p50" ms lower timing
bench_figure cluster.failover_max_ms "$max" ms lower timing
stop_all 3
