#!/bin/sh
# Idempotency-Key (broadside-api(7), IDEMPOTENT REQUESTS).  Every kind of
# change (create a battle, join, add a ship, take a station, narrate, edit
# a ship, start, order) is sent twice with the same key: once directly,
# once with its first answer cut by broadside-faultproxy (the answer is
# held back past the client's timeout), once across a SIGKILL after the
# commit.  Each time the store holds ONE change, and the answers are the
# same bytes, the replays marked Idempotent-Replayed: true.  Bad keys,
# a key reused with another body and two requests at once with the same
# key get their documented problems and change nothing.
. "$(dirname "$0")/lib.sh"
sqlite_only "it reads and locks the SQLite file with sqlite3"

PROXY=$BS_BUILDDIR/tools/faultproxy/broadside-faultproxy
[ -x "$PROXY" ] || fail "no proxy at $PROXY (run make first)"
need_tool sqlite3 sqlite3 sqlite3
need_tool jq jq jq

DB=$TMP/idem.db
DAEMON_DB=$DB
start_daemon --drain-delay 0
DAEMON_LISTEN=127.0.0.1:$DAEMON_PORT
DIRECT=$BASE_URL

# The proxy holds every answer back 1.5 s; a client that waits 0.5 s
# loses it, while the request itself goes through at once.
"$PROXY" --listen 127.0.0.1:0 --target "127.0.0.1:$DAEMON_PORT" \
    --down-delay-ms 1500 </dev/null >"$TMP/proxy.out" 2>"$TMP/proxy.log" &
PROXY_PID=$!
track_client "$PROXY_PID"
# proxy_listening: whether the proxy says where it listens; fails the test
# if it has exited.
proxy_listening() {
	grep -q '^listening on ' "$TMP/proxy.out" && return 0
	proc_alive "$PROXY_PID" || fail "proxy exited: $(cat "$TMP/proxy.log")"
	return 1
}
wait_until 10 "the proxy to listen" proxy_listening || fail "proxy not listening"
CUT=http://$(sed -n 's/^listening on //p' "$TMP/proxy.out")

# sql QUERY: one value from the daemon's database (WAL: read alongside).
sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

# actions KIND [BATTLE]: how many changes of that kind are recorded.
actions() {
	sql "SELECT count(*) FROM actions WHERE kind = '$1'${2:+ AND battle_id = '$2'}"
}

KEYN=0
# newkey: a fresh key, as uuidgen would give (uuidgen is not a build
# requirement): the test's name, its pid and a counter.
newkey() {
	KEYN=$((KEYN + 1))
	KEY=idem-$$-$KEYN-$(date +%s)
}

# send BASE METHOD PATH TOKEN KEY [CURL ARGS...]: one request; STATUS,
# $TMP/body and $TMP/headers as http() sets them.
send() {
	base=$1 method=$2 path=$3 token=$4 key=$5
	shift 5
	http "$method" "$base$path" ${token:+-H "Authorization: Bearer $token"} \
	    ${key:+-H "Idempotency-Key: $key"} "$@"
}

# first BASE METHOD PATH TOKEN KEY WHAT [CURL ARGS...]: the first request
# with a key, answered 2xx and not as a replay; its body is kept in
# $TMP/first.
first() {
	what=$6
	b=$1 m=$2 p=$3 t=$4 k=$5
	shift 6
	send "$b" "$m" "$p" "$t" "$k" "$@"
	case $STATUS in
	2??) ;;
	*) expect_status 2xx "$what (first)" ;;
	esac
	expect_no_header Idempotent-Replayed "$what (first)"
	cp "$TMP/body" "$TMP/first"
	FIRST_STATUS=$STATUS
}

# settled METHOD PATH TOKEN KEY [CURL ARGS...]: sends the request directly;
# whether it was answered other than 409 (the first still in flight, which
# must then be that problem).
settled() {
	send "$DIRECT" "$@"
	[ "$STATUS" = 409 ] || return 0
	expect_problem 409 idempotency-in-flight "$what (retry)"
	return 1
}

# replay METHOD PATH TOKEN KEY WHAT [CURL ARGS...]: the same request again,
# directly: the stored answer, marked as a replay.  While the first is in
# flight (409), it is retried as a client would, for 10 s at most.
replay() {
	what=$5
	m=$1 p=$2 t=$3 k=$4
	shift 5
	wait_until 10 "$what to be answered other than 409" \
	    settled "$m" "$p" "$t" "$k" "$@" ||
	    fail "$what: still in flight after 10 s"
	case $STATUS in
	2??) ;;
	*) expect_status 2xx "$what (replay)" ;;
	esac
	expect_header Idempotent-Replayed '^true$' "$what (replay)"
	cp "$TMP/body" "$TMP/replayed"
	REPLAY_STATUS=$STATUS
}

# same WHAT: the replay answered what the first did, byte for byte.
same() {
	[ "$REPLAY_STATUS" = "$FIRST_STATUS" ] ||
	    fail "$1: replay status $REPLAY_STATUS, first $FIRST_STATUS"
	cmp -s "$TMP/first" "$TMP/replayed" ||
	    fail "$1: the replay differs: $(cat "$TMP/first") vs $(cat "$TMP/replayed")"
}

# cut_answer METHOD PATH TOKEN KEY WHAT [CURL ARGS...]: the request through the
# proxy, whose answer the client never sees.
cut_answer() {
	what=$5
	m=$1 p=$2 t=$3 k=$4
	shift 5
	rc=0
	"$CURL" -sS --max-time 0.5 -o /dev/null -X "$m" \
	    ${t:+-H "Authorization: Bearer $t"} -H "Idempotency-Key: $k" \
	    "$@" "$CUT$p" 2>/dev/null || rc=$?
	[ "$rc" = 28 ] || fail "$what: the proxy did not cut the answer (curl exit $rc)"
}

# expect_count WHAT GOT WANT
expect_count() {
	[ "$2" = "$3" ] || fail "$1: $2 in the store, expected $3"
}

# ---- 1. each kind twice, directly ------------------------------------------

newkey
first "$DIRECT" POST /v1/battles "" "$KEY" "create" -d name=One
ID=$(jq -r .id "$TMP/first")
GM=$(jq -r .gm_token "$TMP/first")
CODE=$(jq -r .join_code "$TMP/first")
replay POST /v1/battles "" "$KEY" "create" -d name=One
same "create"
expect_count "battles after a replayed create" "$(sql 'SELECT count(*) FROM battles')" 1

newkey
first "$DIRECT" POST "/v1/battles/$ID/players" "" "$KEY" "join" \
    -d join_code="$CODE" -d name=Ann
P=$(jq -r .token "$TMP/first")
replay POST "/v1/battles/$ID/players" "" "$KEY" "join" \
    -d join_code="$CODE" -d name=Ann
same "join"
expect_count "players after a replayed join" \
    "$(sql "SELECT count(*) FROM players WHERE battle_id = '$ID'")" 1

newkey
first "$DIRECT" POST "/v1/battles/$ID/ships" "$GM" "$KEY" "add ship" \
    -d class=frigate -d side=crew -d x=100 -d y=100 -d crewed=true
replay POST "/v1/battles/$ID/ships" "$GM" "$KEY" "add ship" \
    -d class=frigate -d side=crew -d x=100 -d y=100 -d crewed=true
same "add ship"
expect_count "ships added" "$(actions ship_add "$ID")" 1
# The target, without a key: keys are optional.
send "$DIRECT" POST "/v1/battles/$ID/ships" "$GM" "" -d class=corvette \
    -d side=hostile -d x=250 -d y=200
expect_status 201 "second ship, no key"
send "$DIRECT" POST "/v1/battles/$ID/ships" "$GM" "" -d class=corvette \
    -d side=hostile -d x=300 -d y=200
expect_status 201 "third ship, no key"
expect_count "ships added" "$(actions ship_add "$ID")" 3

newkey
first "$DIRECT" PUT "/v1/battles/$ID/stations/gunner" "$P" "$KEY" "take station"
replay PUT "/v1/battles/$ID/stations/gunner" "$P" "$KEY" "take station"
same "take station"
expect_count "stations taken" "$(actions take "$ID")" 1

newkey
first "$DIRECT" POST "/v1/battles/$ID/narration" "$GM" "$KEY" "narration" \
    -d text="The void hums."
replay POST "/v1/battles/$ID/narration" "$GM" "$KEY" "narration" \
    -d text="The void hums."
same "narration"
expect_count "narrations" "$(actions narrate "$ID")" 1

newkey
first "$DIRECT" PATCH "/v1/battles/$ID/ships/2" "$GM" "$KEY" "edit ship" \
    -d x=260
replay PATCH "/v1/battles/$ID/ships/2" "$GM" "$KEY" "edit ship" -d x=260
same "edit ship"
expect_count "ship edits" "$(actions ship_edit "$ID")" 1

newkey
first "$DIRECT" POST "/v1/battles/$ID/start" "$GM" "$KEY" "start"
replay POST "/v1/battles/$ID/start" "$GM" "$KEY" "start"
same "start"
expect_count "starts" "$(actions start "$ID")" 1

newkey
ORDER_KEY=$KEY
first "$DIRECT" POST "/v1/battles/$ID/orders" "$P" "$KEY" "order" \
    -d round=1 -d station=gunner -d type=fire -d weapon=0 -d target=2
replay POST "/v1/battles/$ID/orders" "$P" "$KEY" "order" \
    -d round=1 -d station=gunner -d type=fire -d weapon=0 -d target=2
same "order"
expect_count "orders" "$(actions order "$ID")" 1
note "each kind twice: one change, the same answer"

# ---- 2. bad keys, a reused key, GET ----------------------------------------

for bad in ";" ": $(printf 'k%.0s' $(seq 65))" ": a b" ": $(printf 'caf\303\251')" \
    ": a,b"; do
	send "$DIRECT" POST "/v1/battles/$ID/narration" "$GM" "" \
	    -H "Idempotency-Key$bad" -d text=bad-key
	expect_problem 400 bad-idempotency-key "key '$bad'"
done
send "$DIRECT" POST "/v1/battles/$ID/narration" "$GM" "" \
    -H "Idempotency-Key: one" -H "Idempotency-Key: two" -d text=bad-key
expect_problem 400 bad-idempotency-key "two keys"
send "$DIRECT" POST "/v1/battles/$ID/narration" "$GM" "$ORDER_KEY" \
    -d text=reused
expect_status 200 "a key is scoped to its target: the order's key on narration"
send "$DIRECT" POST "/v1/battles/$ID/orders" "$P" "$ORDER_KEY" \
    -d round=1 -d station=gunner -d type=fire -d weapon=0 -d target=3
expect_problem 422 idempotency-key-mismatch "the order's key, another body"
expect_count "orders after a mismatched key" "$(actions order "$ID")" 1
expect_count "narrations" "$(actions narrate "$ID")" 2
send "$DIRECT" GET "/v1/battles/$ID" "$GM" "" -H "Idempotency-Key: a b"
expect_status 200 "GET ignores the header"
note "bad keys 400, reused key 422, GET ignores it"

# ---- 3. answers cut by the network ---------------------------------------------

send "$DIRECT" POST /v1/battles "" "" -d name=Two
expect_status 201 "battle two"
ID2=$(jq -r .id "$TMP/body")
GM2=$(jq -r .gm_token "$TMP/body")
CODE2=$(jq -r .join_code "$TMP/body")

newkey
cut_answer POST /v1/battles "" "$KEY" "create, cut" -d name=Three
replay POST /v1/battles "" "$KEY" "create, cut" -d name=Three
cp "$TMP/replayed" "$TMP/first"; FIRST_STATUS=$REPLAY_STATUS
replay POST /v1/battles "" "$KEY" "create, cut" -d name=Three
same "create, cut"
expect_count "battles named Three" "$(sql "SELECT count(*) FROM battles WHERE name = 'Three'")" 1

# cut_twice METHOD PATH TOKEN WHAT [ARGS...]: cut, then two replays with
# the same answer.
cut_twice() {
	newkey
	m=$1 p=$2 t=$3 w=$4
	shift 4
	cut_answer "$m" "$p" "$t" "$KEY" "$w, cut" "$@"
	replay "$m" "$p" "$t" "$KEY" "$w, cut" "$@"
	cp "$TMP/replayed" "$TMP/first"
	FIRST_STATUS=$REPLAY_STATUS
	replay "$m" "$p" "$t" "$KEY" "$w, cut" "$@"
	same "$w, cut"
}

cut_twice POST "/v1/battles/$ID2/players" "" "join" -d join_code="$CODE2" \
    -d name=Bea
P2=$(jq -r .token "$TMP/first")
expect_count "players of battle two" \
    "$(sql "SELECT count(*) FROM players WHERE battle_id = '$ID2'")" 1
cut_twice POST "/v1/battles/$ID2/ships" "$GM2" "add ship" -d class=frigate \
    -d side=crew -d x=100 -d y=100 -d crewed=true
send "$DIRECT" POST "/v1/battles/$ID2/ships" "$GM2" "" -d class=corvette \
    -d side=hostile -d x=250 -d y=200
expect_status 201 "battle two's hostile ship"
expect_count "ships of battle two" "$(actions ship_add "$ID2")" 2
cut_twice PUT "/v1/battles/$ID2/stations/gunner" "$P2" "take station"
expect_count "stations taken in battle two" "$(actions take "$ID2")" 1
cut_twice POST "/v1/battles/$ID2/narration" "$GM2" "narration" -d text=Cut
expect_count "narrations of battle two" "$(actions narrate "$ID2")" 1
cut_twice PATCH "/v1/battles/$ID2/ships/2" "$GM2" "edit ship" -d x=240
expect_count "ship edits in battle two" "$(actions ship_edit "$ID2")" 1
cut_twice POST "/v1/battles/$ID2/start" "$GM2" "start"
expect_count "starts of battle two" "$(actions start "$ID2")" 1
cut_twice POST "/v1/battles/$ID2/orders" "$P2" "order" -d round=1 \
    -d station=gunner -d type=fire -d weapon=0 -d target=2
CUT_ORDER_KEY=$KEY
expect_count "orders of battle two" "$(actions order "$ID2")" 1
note "answers cut by the proxy: one change, replays alike"

# ---- 4. two requests with the same key at once ---------------------------------

# An outside writer holds the database's write lock, so the first
# request's commit waits; the second, sent meanwhile, finds it in flight.
mkfifo "$TMP/lock.in"
sqlite3 "$DB" <"$TMP/lock.in" >"$TMP/lock.out" 2>&1 &
LOCK_PID=$!
track_client "$LOCK_PID"
exec 3>"$TMP/lock.in"
echo ".timeout 5000" >&3
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&3
wait_until 10 "the write lock" grep -q locked "$TMP/lock.out" ||
    fail "no write lock: $(cat "$TMP/lock.out")"
newkey
for n in 1 2; do
	"$CURL" -sS --max-time 10 -o "$TMP/par$n.body" -D "$TMP/par$n.headers" \
	    -w '%{http_code}' -H "Authorization: Bearer $GM" \
	    -H "Idempotency-Key: $KEY" -d text=Twice \
	    "$DIRECT/v1/battles/$ID/narration" >"$TMP/par$n.status" 2>&1 &
	eval "PAR$n=\$!"
done
# One of them is answered while the lock is still held: that is the 409.
# one_answered: whether either duplicate has its answer.
one_answered() {
	[ -s "$TMP/par1.status" ] || [ -s "$TMP/par2.status" ]
}
wait_until 4 "one duplicate to be answered" one_answered ||
    fail "neither duplicate was answered while the first waits for its commit"
echo "COMMIT;" >&3
exec 3>&-
wait_exit "$PAR1" 10
wait_exit "$PAR2" 10
wait_exit "$LOCK_PID" 5
statuses=$( (cat "$TMP/par1.status"; echo; cat "$TMP/par2.status"; echo) |
    sort | tr '\n' ' ')
[ "$statuses" = "200 409 " ] ||
    fail "two requests with the same key at once: statuses $statuses, expected 200 and 409"
for n in 1 2; do
	if [ "$(cat "$TMP/par$n.status")" = 409 ]; then
		cp "$TMP/par$n.body" "$TMP/body"
		tr -d '\r' <"$TMP/par$n.headers" >"$TMP/headers"
		STATUS=409
		expect_problem 409 idempotency-in-flight "the duplicate"
		expect_header Retry-After '^1$' "the duplicate"
	else
		cp "$TMP/par$n.body" "$TMP/first"
		FIRST_STATUS=200
	fi
done
replay POST "/v1/battles/$ID/narration" "$GM" "$KEY" "duplicate, later" \
    -d text=Twice
same "duplicate, later"
expect_count "narrations 'Twice'" \
    "$(sql "SELECT count(*) FROM actions WHERE kind = 'narrate' AND body LIKE '%Twice%'")" 1
note "two at once: 200 and 409 (Retry-After: 1), one change"

# ---- 5. across a SIGKILL after the commit --------------------------------------

send "$DIRECT" POST /v1/battles "" "" -d name=Four
expect_status 201 "battle four"
ID4=$(jq -r .id "$TMP/body")
GM4=$(jq -r .gm_token "$TMP/body")
CODE4=$(jq -r .join_code "$TMP/body")
send "$DIRECT" POST "/v1/battles/$ID4/ships" "$GM4" "" -d class=corvette \
    -d side=hostile -d x=250 -d y=200
expect_status 201 "battle four's hostile ship"

# Each request answered (so committed), its key and body kept for after.
: >"$TMP/kill.list"
n=0
# keep KEY WHAT METHOD PATH TOKEN [ARGS...]: a first request, recorded.
keep() {
	n=$((n + 1))
	k=$1 w=$2 m=$3 p=$4 t=$5
	shift 5
	first "$DIRECT" "$m" "$p" "$t" "$k" "$w" "$@"
	cp "$TMP/first" "$TMP/kill$n.first"
	echo "$FIRST_STATUS" >"$TMP/kill$n.status"
}
newkey; K1=$KEY
keep "$K1" "create" POST /v1/battles "" -d name=Five
newkey; K2=$KEY
keep "$K2" "join" POST "/v1/battles/$ID4/players" "" -d join_code="$CODE4" -d name=Cy
P4=$(jq -r .token "$TMP/first")
newkey; K3=$KEY
keep "$K3" "add ship" POST "/v1/battles/$ID4/ships" "$GM4" -d class=frigate \
    -d side=crew -d x=100 -d y=100 -d crewed=true
newkey; K4=$KEY
keep "$K4" "take station" PUT "/v1/battles/$ID4/stations/gunner" "$P4"
newkey; K5=$KEY
keep "$K5" "narration" POST "/v1/battles/$ID4/narration" "$GM4" -d text=Kill
newkey; K6=$KEY
keep "$K6" "edit ship" PATCH "/v1/battles/$ID4/ships/1" "$GM4" -d x=230
newkey; K7=$KEY
keep "$K7" "start" POST "/v1/battles/$ID4/start" "$GM4"
newkey; K8=$KEY
keep "$K8" "order" POST "/v1/battles/$ID4/orders" "$P4" -d round=1 \
    -d station=gunner -d type=fire -d weapon=0 -d target=1
# Rounds resolve on their own: everything else must stay as it is.
COUNTS="SELECT kind || count(*) FROM actions WHERE kind <> 'resolve' GROUP BY kind ORDER BY kind"
counts_before=$(sql "$COUNTS" | tr '\n' ' ')
battles_before=$(sql "SELECT count(*) FROM battles")

kill -KILL "$DAEMON_PID"
wait_exit "$DAEMON_PID" 5
start_daemon --drain-delay 0
grep -q 'restored [0-9]* idempotency keys' "$DAEMON_LOG" ||
    fail "no 'restored ... idempotency keys' line after the restart"

# again N WHAT METHOD PATH TOKEN KEY [ARGS...]
again() {
	i=$1 w=$2 m=$3 p=$4 t=$5 k=$6
	shift 6
	replay "$m" "$p" "$t" "$k" "$w, after SIGKILL" "$@"
	cp "$TMP/kill$i.first" "$TMP/first"
	FIRST_STATUS=$(cat "$TMP/kill$i.status")
	same "$w, after SIGKILL"
}
again 1 "create" POST /v1/battles "" "$K1" -d name=Five
again 2 "join" POST "/v1/battles/$ID4/players" "" "$K2" -d join_code="$CODE4" -d name=Cy
again 3 "add ship" POST "/v1/battles/$ID4/ships" "$GM4" "$K3" -d class=frigate \
    -d side=crew -d x=100 -d y=100 -d crewed=true
again 4 "take station" PUT "/v1/battles/$ID4/stations/gunner" "$P4" "$K4"
again 5 "narration" POST "/v1/battles/$ID4/narration" "$GM4" "$K5" -d text=Kill
again 6 "edit ship" PATCH "/v1/battles/$ID4/ships/1" "$GM4" "$K6" -d x=230
again 7 "start" POST "/v1/battles/$ID4/start" "$GM4" "$K7"
again 8 "order" POST "/v1/battles/$ID4/orders" "$P4" "$K8" -d round=1 \
    -d station=gunner -d type=fire -d weapon=0 -d target=1
# A key whose answer the proxy cut before the kill still replays.
replay POST "/v1/battles/$ID2/orders" "$P2" "$CUT_ORDER_KEY" "cut order, after SIGKILL" \
    -d round=1 -d station=gunner -d type=fire -d weapon=0 -d target=2
counts_after=$(sql "$COUNTS" | tr '\n' ' ')
[ "$counts_after" = "$counts_before" ] ||
    fail "changes after the replays: $counts_after, before the kill: $counts_before"
expect_count "battles after the replays" "$(sql 'SELECT count(*) FROM battles')" "$battles_before"
note "across SIGKILL: the stored answers, no second change"

# ---- 6. deleting a battle ------------------------------------------------------

rows=$(sql "SELECT count(*) FROM idempotency WHERE battle_id = '$ID4'")
[ "$rows" -ge 7 ] || fail "battle four has $rows keys stored, expected at least 7"
newkey
first "$DIRECT" DELETE "/v1/battles/$ID4" "$GM4" "$KEY" "delete"
replay DELETE "/v1/battles/$ID4" "$GM4" "$KEY" "delete"
same "delete"
expect_count "keys of the deleted battle" \
    "$(sql "SELECT count(*) FROM idempotency WHERE battle_id = '$ID4'")" 0
# Its narration key is forgotten with it: the battle is gone.
send "$DIRECT" POST "/v1/battles/$ID4/narration" "$GM4" "$K5" -d text=Kill
expect_problem 404 no-such-battle "a change to the deleted battle"
# The creation key is the address's: still its first answer.
again 1 "create, battle since deleted" POST /v1/battles "" "$K1" -d name=Five
note "delete: keys of the battle gone, its own and creation keys replay"

scrape "$TMP/metrics"
replays=$(metric_sum "$TMP/metrics" broadside_idempotent_replays_total)
num_ge "$replays" 3 || fail "broadside_idempotent_replays_total is '$replays' after the restart's replays"

kill -TERM "$PROXY_PID"
wait_exit "$PROXY_PID" 10
stop_daemon
note "ok"
