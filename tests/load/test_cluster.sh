#!/bin/sh
# Scale-out (broadside-cluster(7)): three nodes on one PostgreSQL store
# behind HAProxy (contrib/haproxy.cfg's shape, clusterlib.sh), under
# broadside-load.  Each part plays battles through HAProxy and passes only
# when every client converges (its view equals GET of its battle) and
# every acknowledged order is in its battle's log.
#  1. The seed load, scaled to this test's time: one node reached
#     directly, then three through HAProxy, on the same store: no error,
#     and the three nodes' order -> visible p99 within 1.5 times the one
#     node's (or 25 ms more: both are a few ms on a quiet machine).
#  2. kill -9 of the node holding the most battles, under load: its
#     battles are served by the others within the lease (plus a health
#     check); a request waiting for that gets 503, never an error.
#  3. A rolling restart of the three nodes with SIGTERM, under load: no
#     error at all (a request during a hand-over waits out its 503).
#  4. PostgreSQL stopped for 2 s and started again, under load: requests
#     get 503 while it is away, then the battles are served again without
#     any restart.
# Then every battle, loaded afresh from the store by a new node (its
# snapshot and actions replayed), has the state hash its GM saw last.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"
. "$BS_SRCDIR/tests/load/clusterlib.sh"
need_tool jq jq jq

# The sanitizers make the daemons several times slower.
! sanitized || LOAD_TIMEOUT=240
PLAY="--battles 6 --players 5 --ships 10 --spectators 2 --round-seconds 10
    --think-ms 1500 --keep"

cluster_pg

# kept NAME: appends the battles run NAME kept to $TMP/kept.
kept() {
	jq -r '.kept[] | "\(.id) \(.gm_token) \(.state_hash)"' \
	    "$TMP/$1.json" >>"$TMP/kept"
}

# --- 1. one node, then three through HAProxy ----------------------------
# The one node is reached directly, so it trusts no proxy.
DAEMON_DB= start_daemon --store "$CLUSTER_URI" --node-id single \
    --per-ip-connections 0 --create-per-hour 0 --lease-ttl "$CLUSTER_TTL"
run_load single $PLAY --rounds 6 --seed 11 --max-errors 0
stop_daemon
kept single
p99_one=$(report_value single .order_to_visible.p99_ms)

for i in 1 2 3; do
	node_start "$i"
done
haproxy_start 3
haproxy_up_all 3
note "HAProxy on $H_URL before nodes $NODE_PORT_1 $NODE_PORT_2 $NODE_PORT_3"
BASE_URL=$H_URL
run_load three $PLAY --rounds 6 --seed 12 --max-errors 0
kept three
p99_three=$(report_value three .order_to_visible.p99_ms)
# The balancer spread the battles (6 ids on 3 nodes: one may get none).
serving=0
for i in 1 2 3; do
	eval "log=\$NODE_LOG_$i"
	! grep -q "taken (epoch" "$log" || serving=$((serving + 1))
done
[ "$serving" -ge 2 ] || fail "only $serving node served battles"
# (Not under the sanitizers, whose slowness is not the cluster's.)
sanitized || awk -v a="$p99_three" -v b="$p99_one" 'BEGIN {
	exit !(a <= 1.5 * b || a <= b + 25) }' ||
    fail "order -> visible p99 through HAProxy ${p99_three} ms, one node ${p99_one} ms: more than 1.5x"
note "order -> visible p99: one node ${p99_one} ms, three behind HAProxy ${p99_three} ms"

# owned_by NODE: the battles created since RUN_MS (Unix ms) that NODE
# holds a live lease of.
owned_by() {
	pg_sql cluster "SELECT id FROM battles WHERE owner = '$1' AND
	    created_at >= $RUN_MS AND lease_expires >
	    (extract(epoch from clock_timestamp()) * 1000)::bigint"
}

# load_bg NAME ARGS...: run_load in the background; LOAD_PID, RUN_MS.
load_bg() {
	RUN_MS=$(date +%s%3N)
	(run_load "$@" >"$TMP/$1.summary" 2>&1; echo $? >"$TMP/$1.rc") &
	LOAD_PID=$!
	track_client "$LOAD_PID"
}

# load_wait NAME: waits for a background run; fails the test as it did.
load_wait() {
	wait_exit "$LOAD_PID" 300
	cat "$TMP/$1.summary"
	[ "$(cat "$TMP/$1.rc" 2>/dev/null)" = 0 ] ||
	    fail "$1: the load failed (above)"
	kept "$1"
}

# --- 2. kill -9 of a node under load -------------------------------------
load_bg kill $PLAY --duration 20 --rounds 100 --seed 13 --faults --max-errors 0
sleep 6
victim=1 most=0
for i in 1 2 3; do
	n=$(owned_by "node$i" | wc -l)
	[ "$n" -le "$most" ] || { victim=$i most=$n; }
done
[ "$most" -gt 0 ] || fail "no node holds a battle 6 s into the load"
owned_by "node$victim" >"$TMP/victim_battles"
node_signal "$victim" KILL
killed_at=$(date +%s%3N)
moved() {
	while read -r id; do
		o=$(pg_sql cluster "SELECT owner FROM battles WHERE id = '$id'")
		[ -n "$o" ] && [ "$o" != "node$victim" ] || return 1
	done <"$TMP/victim_battles"
}
wait_until $((CLUSTER_TTL + 10)) "node$victim's battles to move" moved ||
    fail "node$victim's battles were not taken by the others"
took=$(( $(date +%s%3N) - killed_at ))
[ "$took" -le $((CLUSTER_TTL * 1000 + 3000)) ] ||
    fail "node$victim's $most battles moved in $took ms (lease ${CLUSTER_TTL} s)"
note "kill -9 node$victim: its $most battles served elsewhere after $took ms"
load_wait kill
node_start "$victim"
haproxy_up_all 3

# --- 3. rolling restart with SIGTERM under load --------------------------
load_bg rolling $PLAY --duration 24 --rounds 100 --seed 14 --max-errors 0
sleep 3
for i in 1 2 3; do
	node_stop "$i"
	node_start "$i"
	haproxy_up_all 3
	sleep 2
done
load_wait rolling
note "rolling restart: $(report_value rolling .unavailable.requests) requests waited out a 503, no error"

# --- 4. PostgreSQL restarted under load ----------------------------------
load_bg pgrestart $PLAY --duration 18 --rounds 100 --seed 15 --max-errors 0
sleep 5
pg_stop
sleep 2
pg_resume
load_wait pgrestart
w=$(report_value pgrestart .unavailable.requests)
[ "$w" -gt 0 ] || fail "no request got a 503 while PostgreSQL was away"
note "PostgreSQL restarted: $w requests waited out a 503, no error"

# --- every battle as stored -----------------------------------------------
for i in 1 2 3; do
	node_stop "$i"
done
DAEMON_DB= start_daemon --store "$CLUSTER_URI" --node-id fresh \
    --lease-ttl "$CLUSTER_TTL"
n=0
while read -r id gm hash; do
	http GET "$BASE_URL/v1/battles/$id/me" -H "Authorization: Bearer $gm"
	expect_status 200 "battle $id, loaded afresh"
	got=$(json_string state_hash)
	[ "$got" = "$hash" ] ||
	    fail "battle $id loaded afresh has state hash $got, its GM saw $hash"
	n=$((n + 1))
done <"$TMP/kept"
[ "$n" -ge 30 ] || fail "only $n battles were kept"
stop_daemon
note "$n battles loaded afresh from the store: each as its GM last saw it"
note "ok"
