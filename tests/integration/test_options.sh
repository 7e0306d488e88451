#!/bin/sh
# The command line and the config file: --version and --help exit 0; every
# wrong option, bad value or bad config file exits 2 with exactly one line
# on stderr naming the problem (a missing --sql-dir too); a missing --www
# warns; a port already taken exits 1; a good config file is honoured,
# and the command line wins over it.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

# cli ARGS...: runs the daemon (5 s at most; one that starts instead of
# refusing is killed and reported as status 124), stdout in $TMP/out,
# stderr in $TMP/err; sets RC.
cli() {
	"$BROADSIDED" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" &
	wait_exit $! 5
	RC=$EXIT_STATUS
}

# lines FILE: the number of lines, counting a last one without a newline.
lines() {
	awk 'END { print NR }' "$1"
}

# expect_usage_error NEEDLE ARGS...: exit status 2, nothing on stdout,
# exactly one line on stderr, and that line contains NEEDLE.
expect_usage_error() {
	needle=$1
	shift
	cli "$@"
	what="broadsided $*"
	if [ "$RC" -eq 124 ]; then
		fail "$what: started (or hung) instead of refusing: $(cat "$TMP/err")"
	fi
	[ "$RC" -eq 2 ] ||
	    fail "$what: exit status $RC, expected 2; stderr: $(cat "$TMP/err")"
	[ ! -s "$TMP/out" ] || fail "$what: wrote to stdout: $(cat "$TMP/out")"
	if [ "$(lines "$TMP/err")" -ne 1 ]; then
		cat "$TMP/err" >&2
		fail "$what: $(lines "$TMP/err") lines on stderr (above), expected exactly 1"
	fi
	grep -qF -e "$needle" "$TMP/err" ||
	    fail "$what: stderr '$(cat "$TMP/err")' does not name '$needle'"
	note "$what -> 2: $(cat "$TMP/err")"
}

# --- --version and --help ----------------------------------------------

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
    "$BS_BUILDDIR/config.h" 2>/dev/null || true)
cli --version
[ "$RC" -eq 0 ] || fail "--version: exit status $RC"
[ ! -s "$TMP/err" ] || fail "--version: wrote to stderr: $(cat "$TMP/err")"
if [ -n "$version" ]; then
	[ "$(cat "$TMP/out")" = "broadsided $version" ] ||
	    fail "--version printed '$(cat "$TMP/out")', expected 'broadsided $version'"
else
	grep -Eq '^broadsided [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out" ||
	    fail "--version printed '$(cat "$TMP/out")'"
fi

cli --help
[ "$RC" -eq 0 ] || fail "--help: exit status $RC"
[ ! -s "$TMP/err" ] || fail "--help: wrote to stderr: $(cat "$TMP/err")"
for opt in listen db sql-dir durability www config dev admin-token-file \
    log-level drain-delay drain-grace max-body max-connections \
    per-ip-connections idle-timeout sniff-timeout conn-memory \
    create-per-hour creator-token-file lobby-ttl ended-ttl version help; do
	grep -q -e "--$opt\\b" "$TMP/out" || fail "--help does not mention --$opt"
done

# --- wrong options and values --------------------------------------------

L='--listen 127.0.0.1:0'	# so that a daemon that starts by mistake
				# does not take a fixed port
expect_usage_error bogus $L --bogus
expect_usage_error extra $L extra
expect_usage_error foo --listen foo
expect_usage_error 127.0.0.1 --listen 127.0.0.1
expect_usage_error 99999 --listen 127.0.0.1:99999
expect_usage_error '::1' --listen '[::1'
expect_usage_error 'listen' --listen
expect_usage_error loud $L --log-level loud
expect_usage_error lobby-ttl $L --lobby-ttl -1
expect_usage_error create-per-hour $L --create-per-hour lots
expect_usage_error '10.0.0.0/33' $L --metrics-allow '127.0.0.1,10.0.0.0/33'
expect_usage_error max-body $L --max-body -1
expect_usage_error max-body $L --max-body 12abc
expect_usage_error drain-grace $L --drain-grace soon
expect_usage_error drain-delay $L --drain-delay -3
expect_usage_error idle-timeout $L --idle-timeout ''
expect_usage_error max-connections $L --max-connections many
expect_usage_error per-ip-connections $L --per-ip-connections -1
expect_usage_error sniff-timeout $L --sniff-timeout 1x
expect_usage_error conn-memory $L --conn-memory lots
expect_usage_error maybe $L --durability maybe

# --- the schema and the pages ---------------------------------------------

# --help names the default directories; without the schema the daemon
# refuses before it makes a database, naming the directory it tried.
cli --help
grep -q '(default /.*/sql)' "$TMP/out" ||
    fail "--help does not print the default --sql-dir"
grep -q '(default /.*/www)' "$TMP/out" ||
    fail "--help does not print the default --www"
expect_usage_error "$TMP/nosql" $L --db "$TMP/nosql.db" --sql-dir "$TMP/nosql"
[ ! -e "$TMP/nosql.db" ] || fail "--sql-dir missing: the database was made"

# Without the pages it starts and warns, with the path it tried.
DAEMON_WWW=$TMP/nowww
start_daemon
grep -q "warn .*$TMP/nowww/index.html" "$DAEMON_LOG" ||
    fail "--www $TMP/nowww: no warning with the path in the log: $(cat "$DAEMON_LOG")"
http GET "$BASE_URL/"
expect_status 404 "GET / without the pages"
stop_daemon
DAEMON_WWW=$BS_SRCDIR/www

# --- config files ----------------------------------------------------------

expect_usage_error "$TMP/missing.conf" $L --config "$TMP/missing.conf"
mkdir "$TMP/dir.conf"
expect_usage_error "$TMP/dir.conf" $L --config "$TMP/dir.conf"

printf '# a comment\nlog-level = info\nbogus-key = 1\n' >"$TMP/unknown.conf"
expect_usage_error bogus-key $L --config "$TMP/unknown.conf"
grep -qF "unknown.conf" "$TMP/err" ||
    fail "the error for an unknown key does not name the file: $(cat "$TMP/err")"

printf 'listen = 127.0.0.1:0\nmax-body = lots\n' >"$TMP/badvalue.conf"
expect_usage_error max-body --config "$TMP/badvalue.conf"
grep -qF "badvalue.conf" "$TMP/err" ||
    fail "the error for a bad value does not name the file: $(cat "$TMP/err")"

printf 'listen 127.0.0.1:0\n' >"$TMP/noequals.conf"
expect_usage_error noequals.conf --config "$TMP/noequals.conf"

printf 'listen = 127.0.0.1:0\nlog-level = chatty\n' >"$TMP/badlevel.conf"
expect_usage_error chatty --config "$TMP/badlevel.conf"

# --- a port already taken: a runtime failure, exit 1 -------------------------

start_daemon
cli --listen "127.0.0.1:$DAEMON_PORT" --db "$TMP/second.db" \
    --sql-dir "$BS_SRCDIR/sql" --www "$BS_SRCDIR/www"
[ "$RC" -ne 124 ] || fail "a second daemon on port $DAEMON_PORT did not exit"
[ "$RC" -eq 1 ] ||
    fail "a second daemon on port $DAEMON_PORT: exit status $RC, expected 1; stderr: $(cat "$TMP/err")"
grep -q "$DAEMON_PORT" "$TMP/err" ||
    fail "the bind failure does not name the address: $(cat "$TMP/err")"
note "port taken -> 1: $(grep "$DAEMON_PORT" "$TMP/err" | head -n 1)"
stop_daemon

# --- a good config file is honoured ----------------------------------------

cat >"$TMP/good.conf" <<EOF
# Broadside, test configuration

listen = 127.0.0.1:0
log-level = debug
   dev = true
max-body=100
drain-delay = 0
sniff-timeout = 1
EOF
DAEMON_LISTEN=
start_daemon --config "$TMP/good.conf"
head -c 101 /dev/zero | tr '\0' 'c' >"$TMP/101"
http GET "$BASE_URL/dashboard"
expect_status 200 "GET /dashboard with dev = true in the config file"
http POST "$BASE_URL/healthz" --data-binary "@$TMP/101"
expect_problem 413 body-too-large "101 bytes with max-body=100 in the config file"
http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz with the config file"
# A connection that sends nothing is closed after sniff-timeout, which is
# logged at debug level.  (curl's telnet:// sends only what its stdin
# gives it: nothing for 2 s here, the sleep, past the sniff-timeout.)
sleep 2 | "$CURL" -s --max-time 5 "telnet://127.0.0.1:$DAEMON_PORT" \
    >/dev/null 2>&1 &
track_client $!
wait_until 5 "a debug line in the log" grep -Eq \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z debug ' \
    "$DAEMON_LOG" ||
    fail "log-level = debug and sniff-timeout = 1 in the config file: no debug line in the log after a silent connection"
stop_daemon
# Every line of the log is "TIME LEVEL message".
if grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (error|warn |info |debug) ' \
    "$DAEMON_LOG"; then
	grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]*Z (error|warn |info |debug) ' \
	    "$DAEMON_LOG" | head -n 5 >&2
	fail "log lines (above) not in the form 'TIME LEVEL message'"
fi

# The command line wins over the file.
start_daemon --config "$TMP/good.conf" --max-body 1000 --log-level info
http POST "$BASE_URL/healthz" --data-binary "@$TMP/101"
expect_problem 405 method-not-allowed "--max-body 1000 over max-body=100 in the file"
if grep -q ' debug ' "$DAEMON_LOG"; then
	fail "--log-level info over log-level = debug in the file: debug lines logged"
fi
stop_daemon

note "ok"
