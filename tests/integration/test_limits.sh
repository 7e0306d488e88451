#!/bin/sh
# Who may fill --max-battles, and for how long (broadsided(8)): the
# creator token (--creator-token-file) refuses creators without it; the
# per-address creation quota (--create-per-hour) answers 429 with
# Retry-After while another address (127.0.0.2) still creates; idle
# lobbies (--lobby-ttl) and ended battles (--ended-ttl) are deleted by the
# sweep, from memory (404) and from the database, a battle in play is
# not, and idle time runs on across a restart.  curl, jq and sqlite3.
. "$(dirname "$0")/lib.sh"
sqlite_only "it edits the SQLite file with sqlite3"

need_tool jq jq jq
need_tool sqlite3 sqlite3 sqlite3

echo "admin-token-for-tests-0123456789" >"$TMP/admin"
ADMIN=admin-token-for-tests-0123456789
echo "creator-token-for-tests-0123456789" >"$TMP/creator"
CREATOR=creator-token-for-tests-0123456789

# create [CURL ARGS...]: POST /v1/battles (name only).
create() {
	http POST "$BASE_URL/v1/battles" -d '{"name":"Limits"}' "$@"
}

# --- the creator token and the quota -----------------------------------

start_daemon --drain-delay 0 --create-per-hour 3 \
    --creator-token-file "$TMP/creator" --admin-token-file "$TMP/admin"

create
expect_problem 401 creator-token-required "create without the creator token"
expect_header WWW-Authenticate '^Bearer' "create without the creator token"
create -H "Authorization: Bearer ${CREATOR}x"
expect_problem 401 creator-token-required "create with a wrong token"

for i in 1 2 3; do
	create -H "Authorization: Bearer $CREATOR"
	expect_status 201 "create $i of 3 with the creator token"
done
create -H "Authorization: Bearer $CREATOR"
expect_problem 429 too-many-creations "create a 4th in the hour"
expect_header Retry-After '^[0-9]+$' "create a 4th in the hour"
wait_s=$(header Retry-After)
[ "$wait_s" -ge 1 ] && [ "$wait_s" -le 1200 ] ||
    fail "Retry-After $wait_s: one battle comes back every 1200 s"
note "4th creation from 127.0.0.1: 429, Retry-After: $wait_s"

# Another address has its own quota.
create -H "Authorization: Bearer $CREATOR" --interface 127.0.0.2
expect_status 201 "create from 127.0.0.2"
# The operator has none.
create -H "Authorization: Bearer $ADMIN"
expect_status 201 "create with the admin token"
stop_daemon

# --- expiry ----------------------------------------------------------------

DAEMON_DB=$TMP/expiry.db
TTL="--lobby-ttl 3 --ended-ttl 3"
start_daemon --drain-delay 0 $TTL

# battle NAME: creates one; sets ID, GM, U.
battle() {
	http POST "$BASE_URL/v1/battles" -d "{\"name\":\"$1\"}"
	expect_status 201 "create $1"
	ID=$(json_string id) GM=$(json_string gm_token)
	U=$BASE_URL/v1/battles/$ID
}

# gone ID TOKEN: whether GET of the battle is 404 (by id: a restart
# changes the port).
gone() {
	as "$2" GET "$BASE_URL/v1/battles/$1"
	[ "$STATUS" = 404 ]
}

# rows ID: the battle's rows in the database (WAL: read alongside).
rows() {
	sqlite3 -cmd '.timeout 5000' "$DAEMON_DB" \
	    "SELECT count(*) FROM battles WHERE id = '$1'"
}

battle Idle
IDLE_ID=$ID IDLE_GM=$GM
# Answered 201 after the commit: the row is there.
[ "$(rows "$IDLE_ID")" = 1 ] || fail "the idle lobby is not in the database"
battle Finished
as "$GM" POST "$U/end"
expect_status 200 "end a battle"
ENDED_ID=$ID ENDED_GM=$GM
battle Playing
for spec in '{"class":"frigate","side":"crew","crewed":true,"x":100,"y":100}' \
    '{"class":"corvette","side":"hostile","x":300,"y":100}'; do
	as "$GM" POST "$U/ships" -d "$spec"
	expect_status 201 "add a ship"
done
as "$GM" POST "$U/start"
expect_status 200 "start"
PLAY_ID=$ID PLAY_GM=$GM

wait_until 10 "the idle lobby to be deleted" gone "$IDLE_ID" "$IDLE_GM" ||
    fail "the idle lobby is still there after 10 s (--lobby-ttl 3)"
expect_problem 404 no-such-battle "GET of an expired lobby"
wait_until 5 "the ended battle to be deleted" gone "$ENDED_ID" "$ENDED_GM" ||
    fail "the ended battle is still there (--ended-ttl 3)"
as "$PLAY_GM" GET "$BASE_URL/v1/battles/$PLAY_ID"
expect_status 200 "a battle in play does not expire"
rows_gone() {
	[ "$(rows "$IDLE_ID")" = 0 ] && [ "$(rows "$ENDED_ID")" = 0 ]
}
wait_until 5 "the rows to be deleted" rows_gone ||
    fail "expired battles still in the database: $(rows "$IDLE_ID") $(rows "$ENDED_ID")"
grep -q "battle $IDLE_ID: deleted: a lobby" "$DAEMON_LOG" ||
    fail "no log line for the expired lobby"

# A lobby idle while the daemon is down expires at the restart.
battle Sleeper
SLEEP_ID=$ID SLEEP_GM=$GM
stop_daemon
sleep 4
start_daemon --drain-delay 0 $TTL
wait_until 2 "the lobby idle across the restart to go" gone "$SLEEP_ID" \
    "$SLEEP_GM" || fail "a lobby idle for 4 s across a restart is still there"
as "$IDLE_GM" GET "$BASE_URL/v1/battles/$IDLE_ID"
expect_status 404 "the expired lobby after the restart"
as "$PLAY_GM" GET "$BASE_URL/v1/battles/$PLAY_ID"
expect_status 200 "the battle in play after the restart"
stop_daemon
note "idle lobby and ended battle deleted from memory and disk; in play kept"
