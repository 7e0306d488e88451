# Shared by the integration tests (sourced, never run on its own).
#
# The tests start the real daemon on a free loopback port with a temp
# database and talk to it with curl.  Automake's harness runs them from the
# build directory with BROADSIDED, BS_SRCDIR, BS_BUILDDIR, CURL, PROMTOOL
# and MANDOC in the environment (Makefile.am).  By hand, from the build
# directory (the defaults then find everything):
#
#   sh /path/to/source/tests/integration/test_health.sh
#
# POSIX sh (dash or bash).  Exit status: 0 pass, 1 fail.  Nothing here
# skips for a missing tool: curl, promtool and mandoc are build
# requirements of make check.  Every wait is bounded; an EXIT trap kills
# any daemon still running and removes the temp directory.

set -eu

BS_SRCDIR=${BS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BS_BUILDDIR=${BS_BUILDDIR:-$(pwd)}
BROADSIDED=${BROADSIDED:-$BS_BUILDDIR/src/broadsided}
CURL=${CURL:-curl}
PROMTOOL=${PROMTOOL:-promtool}
MANDOC=${MANDOC:-mandoc}
[ -n "$CURL" ] || CURL=curl
[ -n "$PROMTOOL" ] || PROMTOOL=promtool
[ -n "$MANDOC" ] || MANDOC=mandoc

TEST_NAME=$(basename "$0" .sh)
DAEMON_PIDS=
CLIENT_PIDS=
DAEMON_PID=
DAEMON_LOG=
DAEMON_SEQ=0
BASE_URL=
DAEMON_PORT=

# --- reporting -------------------------------------------------------

note() {
	printf '%s: %s\n' "$TEST_NAME" "$*"
}

fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	if [ -n "$DAEMON_LOG" ] && [ -s "$DAEMON_LOG" ]; then
		echo "--- daemon log ($DAEMON_LOG), last 40 lines:" >&2
		tail -n 40 "$DAEMON_LOG" >&2
		echo "---" >&2
	fi
	exit 1
}

# need_tool NAME PATH PACKAGE: fails clearly when a required tool is absent.
need_tool() {
	if ! command -v "$2" >/dev/null 2>&1; then
		fail "$1 not found ('$2'): install the Debian package $3 and re-run configure"
	fi
}

# --- temp directory and clean-up -------------------------------------

cleanup() {
	status=$?
	for p in $CLIENT_PIDS; do
		! proc_alive "$p" || kill -KILL "$p" 2>/dev/null || true
	done
	for p in $DAEMON_PIDS; do
		if proc_alive "$p"; then
			kill -KILL "$p" 2>/dev/null || true
			echo "$TEST_NAME: killed daemon $p still running at exit" >&2
		fi
	done
	pg_cleanup
	# BS_KEEP_TMP=1 keeps the logs and files of a run to read afterwards.
	if [ -n "${BS_KEEP_TMP:-}" ]; then
		echo "$TEST_NAME: kept $TMP" >&2
	else
		[ -z "${TMP:-}" ] || rm -rf "$TMP"
	fi
	exit "$status"
}

. "$BS_SRCDIR/tests/integration/pglib.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-$TEST_NAME.XXXXXX")
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

need_tool curl "$CURL" curl
[ -x "$BROADSIDED" ] || fail "no daemon at $BROADSIDED (run make first)"

# track_client PID: a background client that the EXIT trap kills if it
# is still running.
track_client() {
	CLIENT_PIDS="$CLIENT_PIDS $1"
}

# proc_alive PID: whether the process exists and is not a zombie (kill -0
# succeeds on a zombie child that has not been waited for).
proc_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_until SECONDS WHAT COMMAND [ARGS...]: runs COMMAND until it
# succeeds, for SECONDS (whole seconds) at most, and returns 0 as soon as
# it does.  Past the time, it says what it waited for ("timed out after
# 10 s waiting for WHAT") and returns 1, so that the caller's `|| fail
# "..."` (or set -e) ends the test.  COMMAND runs in this shell: it may be
# a function that sets variables, or that calls fail to give up early (a
# process it waits on has died).  The first checks come 0.01 s, 0.02 s and
# 0.05 s apart, since most conditions hold within milliseconds; then
# every 0.1 s.  (local: dash and bash have it, and a COMMAND may itself
# wait, as wait_exit does.)
wait_until() {
	local limit what deadline pause
	limit=$1 what=$2
	shift 2
	deadline=$(( $(date +%s%3N) + limit * 1000 ))
	pause=0.01
	until "$@"; do
		if [ "$(date +%s%3N)" -ge "$deadline" ]; then
			printf '%s: timed out after %s s waiting for %s\n' \
			    "$TEST_NAME" "$limit" "$what" >&2
			return 1
		fi
		sleep "$pause"
		case $pause in
		0.01) pause=0.02 ;;
		0.02) pause=0.05 ;;
		*) pause=0.1 ;;
		esac
	done
}

# proc_gone PID: whether the process has exited (the negation of
# proc_alive, for wait_until).
proc_gone() {
	! proc_alive "$1"
}

# wait_exit PID SECONDS: waits for a child to exit, at most SECONDS; sets
# EXIT_STATUS (124 if it was still running and has been killed).
wait_exit() {
	if ! wait_until "$2" "process $1 to exit" proc_gone "$1"; then
		kill -KILL "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
		EXIT_STATUS=124
		return 0
	fi
	EXIT_STATUS=0
	wait "$1" || EXIT_STATUS=$?
}

# tcp_clients_ge N PORT: whether N or more loopback TCP connections to
# PORT are established, as the kernel sees them (/proc/net/tcp): the
# client's side is, even before the server has accepted.
tcp_clients_ge() {
	[ "$(awk -v p="$(printf '%04X' "$2")" '
	    $4 == "01" && substr($3, length($3) - 3) == p { n++ }
	    END { print n + 0 }' /proc/net/tcp)" -ge "$1" ]
}

# --- the daemon -------------------------------------------------------

# BROADSIDE_TEST_STORE=postgresql (make check in the environment) runs the
# suite against the PostgreSQL store: start_daemon starts one private
# cluster for the test (pglib.sh) and gives each daemon a database in it
# instead of an SQLite file, one for each file name (store_db_name): a new
# one for each default DAEMON_DB, the same one for a restart on "the same
# file".  Tests that read the SQLite file themselves call sqlite_only.
TEST_STORE=${BROADSIDE_TEST_STORE:-sqlite}
case $TEST_STORE in
sqlite|postgresql) ;;
*) fail "BROADSIDE_TEST_STORE is '$TEST_STORE': sqlite or postgresql" ;;
esac

# sqlite_only WHY: skips the test (exit 77) under the PostgreSQL switch.
sqlite_only() {
	if [ "$TEST_STORE" = postgresql ]; then
		note "SKIP under BROADSIDE_TEST_STORE=postgresql: $*"
		exit 77
	fi
}

# store_db_name PATH: the PostgreSQL database that stands for the SQLite
# file PATH under the switch.
store_db_name() {
	echo "f$(printf '%s' "$1" | cksum | cut -d' ' -f1)"
}

# store_args PATH: the two arguments that put a daemon on the store of
# the file PATH, one a line: --db PATH, or under the switch --store and
# the URI of its database (for a command line the test writes itself).
store_args() {
	if [ "$TEST_STORE" = postgresql ]; then
		[ -n "$PG_DIR" ] || fail "store_args before start_daemon"
		pg_new_db "$(store_db_name "$1")"
		printf '%s\n' --node-id "$TEST_NAME" --store "$PG_URI"
	else
		printf '%s\n' --db "$1"
	fi
}

# What start_daemon passes unless the test changes these first.  An empty
# value leaves the option out (to let a --config file set it).
DAEMON_LISTEN=127.0.0.1:0
DAEMON_WWW=$BS_SRCDIR/www
DAEMON_SQL=$BS_SRCDIR/sql
DAEMON_DB=default

# start_daemon [ARGS...]: starts broadsided in the background with
# --listen $DAEMON_LISTEN --db TMP/... (or --store, above) --sql-dir
# $DAEMON_SQL --www $DAEMON_WWW and ARGS, stderr
# to a log file; waits (10 s at most) for its "listening on" line.  Sets
# DAEMON_PID, DAEMON_LOG, BASE_URL (http://127.0.0.1:PORT) and
# DAEMON_PORT.  Fails with the log if the daemon does not come up.
start_daemon() {
	DAEMON_SEQ=$((DAEMON_SEQ + 1))
	DAEMON_LOG=$TMP/daemon$DAEMON_SEQ.log
	db=$DAEMON_DB store=
	[ "$db" != default ] || db=$TMP/daemon$DAEMON_SEQ.db
	if [ "$TEST_STORE" = postgresql ] && [ -n "$db" ]; then
		[ -n "$PG_DIR" ] || pg_start
		pg_new_db "$(store_db_name "$db")"
		# One node id for the test's daemons: a daemon started again
		# on the database takes its battles back at once, as one
		# restarted on its own file does (broadsided(8) --node-id).
		store=$PG_URI db= node_id=$TEST_NAME
	fi
	set -- ${DAEMON_LISTEN:+--listen "$DAEMON_LISTEN"} \
	    ${db:+--db "$db"} ${store:+--store "$store" --node-id "$node_id"} \
	    ${DAEMON_SQL:+--sql-dir "$DAEMON_SQL"} \
	    ${DAEMON_WWW:+--www "$DAEMON_WWW"} "$@"
	echo "$BROADSIDED $*" >"$TMP/daemon$DAEMON_SEQ.cmd"
	"$BROADSIDED" "$@" </dev/null >"$TMP/daemon$DAEMON_SEQ.out" \
	    2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	BASE_URL=
	wait_until 10 "the daemon's 'listening on' line" daemon_listening "$@" ||
	    fail "no 'listening on' line within 10 s: $*"
	DAEMON_PORT=${BASE_URL##*:}
	case $DAEMON_PORT in
	''|*[!0-9]*|0) fail "bad port in the 'listening on' line: $BASE_URL" ;;
	esac
}

# daemon_listening ARGS...: sets BASE_URL from the daemon's "listening on"
# line and succeeds once there is one; fails the test if the daemon has
# exited (ARGS: its command line, for the message).
daemon_listening() {
	BASE_URL=$(sed -n 's,^.*listening on \(http://[^ ]*[0-9]\).*$,\1,p' \
	    "$DAEMON_LOG" | head -n 1)
	[ -z "$BASE_URL" ] || return 0
	if ! proc_alive "$DAEMON_PID"; then
		EXIT_STATUS=0
		wait "$DAEMON_PID" || EXIT_STATUS=$?
		fail "daemon exited with status $EXIT_STATUS at start-up: $*"
	fi
	return 1
}

# stop_daemon [SIGNAL [SECONDS]]: sends SIGNAL (TERM) to the daemon, waits
# at most SECONDS (15: the default drain-delay + drain-grace, and a
# little), and asserts exit status 0.  Built with --enable-sanitizers, a
# leak shows up here as status 23.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null ||
	    fail "daemon $DAEMON_PID is gone before SIG${1:-TERM}"
	wait_exit "$DAEMON_PID" "${2:-15}"
	[ "$EXIT_STATUS" -ne 124 ] ||
	    fail "daemon still running ${2:-15} s after SIG${1:-TERM} (killed)"
	[ "$EXIT_STATUS" -eq 0 ] ||
	    fail "daemon exited with status $EXIT_STATUS after SIG${1:-TERM} (23: leaks under ASan)"
	if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' \
	    "$DAEMON_LOG"; then
		fail "sanitizer report in the daemon log"
	fi
	DAEMON_PID=
}

# --- HTTP -------------------------------------------------------------

# http METHOD URL [CURL ARGS...]: one request with a 10 s cap.  Sets
# STATUS (000 when no HTTP response arrived) and CURL_RC; the headers of
# the last response are in $TMP/headers (CR stripped), the body in
# $TMP/body.
http() {
	method=$1 url=$2
	shift 2
	rm -f "$TMP/body" "$TMP/headers.raw"
	out=$TMP/body
	if [ "$method" = HEAD ]; then
		# curl --head writes the headers to -o too; the body is
		# checked by expect_head_no_body.
		set -- --head "$@"
		out=/dev/null
	else
		set -- -X "$method" "$@"
	fi
	CURL_RC=0
	STATUS=$("$CURL" -sS --max-time 10 -o "$out" -D "$TMP/headers.raw" \
	    -w '%{http_code}' "$@" "$url" 2>"$TMP/curl.err") || CURL_RC=$?
	tr -d '\r' <"$TMP/headers.raw" >"$TMP/headers" 2>/dev/null ||
	    : >"$TMP/headers"
	[ -f "$TMP/body" ] || : >"$TMP/body"
}

# expect_head_no_body URL WHAT: HEAD URL sends no body.  A body after the
# headers would be read as the start of the next response on the same
# connection, so a second request follows on it and must come back whole.
expect_head_no_body() {
	rc=0
	got=$("$CURL" -sS --max-time 10 --head -o /dev/null "$1" \
	    --next -sS --max-time 10 -o /dev/null \
	    -w '%{http_code} %{num_connects}' "$BASE_URL/healthz" \
	    2>"$TMP/curl.err") || rc=$?
	[ "$rc" -eq 0 ] && [ "$got" = "200 0" ] ||
	    fail "$2: GET /healthz after HEAD on the same connection: '$got' (curl exit $rc: $(cat "$TMP/curl.err")), expected '200 0'"
}

# header NAME: the value of a header of the last response (last one if
# repeated, since -D keeps the headers of interim responses too), or "".
header() {
	awk -v n="$1" '
	    BEGIN { n = tolower(n) }
	    /^HTTP\// { v = ""; found = 0 }
	    {
		i = index($0, ":")
		if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
			sub(/[ \t]+$/, "", v); found = 1
		}
	    }
	    END { if (found) print v }' "$TMP/headers"
}

# expect_status CODE WHAT: the last response had status CODE.
expect_status() {
	if [ "$STATUS" != "$1" ]; then
		[ ! -s "$TMP/curl.err" ] || cat "$TMP/curl.err" >&2
		echo "--- headers:" >&2
		cat "$TMP/headers" >&2
		echo "--- body (first 20 lines):" >&2
		head -n 20 "$TMP/body" >&2
		echo >&2
		fail "$2: expected status $1, got $STATUS (curl exit $CURL_RC)"
	fi
}

# expect_header NAME ERE WHAT: the header is present and matches ERE
# (case-insensitive).
expect_header() {
	v=$(header "$1")
	if [ -z "$v" ] && ! grep -qi "^$1:" "$TMP/headers"; then
		cat "$TMP/headers" >&2
		fail "$3: no $1 header"
	fi
	printf '%s\n' "$v" | grep -Eqi -- "$2" ||
	    fail "$3: $1 is '$v', expected /$2/"
}

# expect_no_header NAME WHAT
expect_no_header() {
	if grep -qi "^$1:" "$TMP/headers"; then
		fail "$2: unexpected header '$(grep -i "^$1:" "$TMP/headers")'"
	fi
}

# json_string KEY [FILE]: the string value of "KEY" in a flat JSON object
# (no jq on a fresh Debian; our bodies are small and flat).
json_string() {
	tr -d '\n' <"${2:-$TMP/body}" |
	    sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\(\([^"\\]\|\\.\)*\)".*/\1/p'
}

# json_number KEY [FILE]
json_number() {
	tr -d '\n' <"${2:-$TMP/body}" |
	    sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*\(-\{0,1\}[0-9][0-9.eE+-]*\).*/\1/p'
}

# expect_json_string KEY VALUE WHAT
expect_json_string() {
	got=$(json_string "$1")
	[ "$got" = "$2" ] ||
	    fail "$3: \"$1\" is '$got', expected '$2' in: $(head -c 300 "$TMP/body")"
}

# expect_problem STATUS SLUG WHAT: the last response is an RFC 9457
# problem: that status, Content-Type application/problem+json, and a body
# with type urn:broadside:problem:SLUG, a title, the same status and a
# detail sentence.
expect_problem() {
	expect_status "$1" "$3"
	expect_header Content-Type '^application/problem\+json' "$3"
	expect_json_string type "urn:broadside:problem:$2" "$3"
	[ -n "$(json_string title)" ] || fail "$3: problem without a title"
	[ -n "$(json_string detail)" ] || fail "$3: problem without a detail"
	[ "$(json_number status)" = "$1" ] ||
	    fail "$3: problem \"status\" is '$(json_number status)', expected $1"
}

# --- metrics ----------------------------------------------------------

# scrape FILE: GET /metrics into FILE (status 200 asserted).
scrape() {
	http GET "$BASE_URL/metrics"
	expect_status 200 "GET /metrics"
	cp "$TMP/body" "$1"
}

# metric_sum FILE NAME [LABEL=\"VALUE\"...]: the sum of the samples of
# metric NAME (exact name) whose labels include every given pair; "" when
# there is none.
metric_sum() {
	f=$1 n=$2
	shift 2
	awk -v n="$n" -v want="$*" '
	    /^#/ { next }
	    {
		name = $1; labels = ""
		i = index($1, "{")
		if (i > 0) {
			name = substr($0, 1, i - 1)
			j = index($0, "}")
			labels = "," substr($0, i + 1, j - i - 1) ","
			rest = substr($0, j + 1)
		} else
			rest = substr($0, length($1) + 1)
		if (name != n)
			next
		k = split(want, w, " ")
		for (x = 1; x <= k; x++)
			if (index(labels, "," w[x] ",") == 0)
				next
		split(rest, r, " ")
		sum += r[1]; found = 1
	    }
	    END { if (found) printf "%.17g\n", sum }' "$f"
}

# num_ge A B [N]: A >= B + N as numbers (floats allowed; "" fails).
num_ge() {
	[ -n "$1" ] && [ -n "$2" ] || return 1
	awk -v a="$1" -v b="$2" -v n="${3:-0}" 'BEGIN { exit !(a + 0 >= b + n) }'
}

# --- event streams, read from a file that curl -N writes -------------

# as TOKEN METHOD URL [CURL ARGS...]: http with a bearer token.
as() {
	t=$1
	shift
	http "$@" -H "Authorization: Bearer $t"
}

# jbody [JQ ARGS...]: jq -c over the last response's body.
jbody() {
	jq -c "$@" "$TMP/body"
}

# sse_events FILE NAME: the data of every NAME event in FILE so far, one
# JSON document a line.
sse_events() {
	awk -v want="$2" '/^event: /{ev=substr($0, 8)} /^data: /{ if (ev == want) print substr($0, 7) } /^$/{ev=""}' "$1"
}

# sse_count FILE NAME N: whether FILE holds N NAME events or more.
sse_count() {
	[ "$(sse_events "$1" "$2" | wc -l)" -ge "$3" ]
}

# sse_wait FILE NAME N: waits (10 s at most) until FILE holds N NAME
# events.
sse_wait() {
	wait_until 10 "$3 $2 events" sse_count "$1" "$2" "$3" ||
	    fail "fewer than $3 $2 events in 10 s: $(tail -c 800 "$1")"
}
