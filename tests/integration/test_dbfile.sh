#!/bin/sh
# The database file holds join codes, GM notes and hidden state: the
# daemon creates it, and SQLite its -wal and -shm files, readable by
# their owner only (0600) whatever the umask; files an earlier run left
# readable by others are tightened at start-up, with a warning in the log.
# A second daemon on the same file refuses to start.
. "$(dirname "$0")/lib.sh"
sqlite_only "it checks the SQLite file and its flock"

# The common umask, under which SQLite on its own makes 0644 files.
umask 022
DAEMON_DB=$TMP/state/broadside.db

# modes_are MODE WHAT: the database and its -wal and -shm files all exist
# with MODE (octal, as stat -c %a prints it).
modes_are() {
	for f in "$DAEMON_DB" "$DAEMON_DB-wal" "$DAEMON_DB-shm"; do
		[ -f "$f" ] || fail "$2: no $f"
		m=$(stat -c %a "$f")
		[ "$m" = "$1" ] || fail "$2: $f has mode $m, expected $1"
	done
}

start_daemon --drain-delay 0
http POST "$BASE_URL/v1/battles" -d name=Private
expect_status 201 "create a battle"
ID=$(json_string id)
GM=$(json_string gm_token)
modes_are 600 "a new database"
stop_daemon

# Files left readable by others (an older version, a copy, a restore).
chmod 644 "$DAEMON_DB"
: >"$DAEMON_DB-wal"
: >"$DAEMON_DB-shm"
chmod 644 "$DAEMON_DB-wal" "$DAEMON_DB-shm"
start_daemon --drain-delay 0
modes_are 600 "a database that was 0644"
grep -q "readable by others (mode 644)" "$DAEMON_LOG" ||
    fail "no warning in the log about the 0644 database: $(cat "$DAEMON_LOG")"
http GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_status 200 "the battle, after the modes were tightened"

# One daemon per database file: a second one on the same file refuses to
# start, naming the file, and the first one goes on serving.
FIRST_PID=$DAEMON_PID FIRST_URL=$BASE_URL
"$BROADSIDED" --listen 127.0.0.1:0 --db "$DAEMON_DB" \
    ${DAEMON_SQL:+--sql-dir "$DAEMON_SQL"} ${DAEMON_WWW:+--www "$DAEMON_WWW"} \
    </dev/null >/dev/null 2>"$TMP/second.log" &
second_pid=$!
track_client "$second_pid"
wait_exit "$second_pid" 10
[ "$EXIT_STATUS" -ne 124 ] ||
    fail "a second daemon on $DAEMON_DB still runs 10 s later"
[ "$EXIT_STATUS" -ne 0 ] ||
    fail "a second daemon on $DAEMON_DB exited 0: $(cat "$TMP/second.log")"
grep -q "database $DAEMON_DB is in use" "$TMP/second.log" ||
    fail "the second daemon did not say the database is in use: $(cat "$TMP/second.log")"
DAEMON_PID=$FIRST_PID BASE_URL=$FIRST_URL
http GET "$BASE_URL/v1/battles/$ID" -H "Authorization: Bearer $GM"
expect_status 200 "the battle from the first daemon, after a second one was refused"
stop_daemon
note "ok"
