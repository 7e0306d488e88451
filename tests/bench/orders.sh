#!/bin/sh
# make bench: starts the daemon and runs bench_orders against it
# (HTTP/1.1, durable acknowledgements: every 202 after its commit).
# Prints its report and records its figures (benchlib.sh):
#   orders.sh               on a temp SQLite file, as orders.*
#   orders.sh postgresql    on a private PostgreSQL cluster
#                           (tests/integration/pglib.sh, fsync on: durable
#                           means on the disk there too), as orders_pg.*
# Further arguments go to bench_orders.
set -eu
. "$(dirname "$0")/benchlib.sh"
BUILD=$BS_BUILDDIR
SRC=$BS_SRCDIR
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-bench.XXXXXX")
PID=
STORE=sqlite
if [ "${1:-}" = postgresql ]; then
	STORE=postgresql
	shift
fi
if [ $STORE = postgresql ]; then
	TEST_NAME=orders_pg
	fail() {
		echo "$TEST_NAME: $*" >&2
		exit 1
	}
	PG_FSYNC=on
	. "$SRC/tests/integration/pglib.sh"
	trap '[ -z "$PID" ] || kill $PID 2>/dev/null; pg_cleanup; rm -rf "$TMP"' EXIT
	pg_start
	pg_new_db bench
	set -- --store "$PG_URI" -- "$@"
	NAME=orders_pg
else
	trap '[ -z "$PID" ] || kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
	set -- --db "$TMP/bench.db" -- "$@"
	NAME=orders
fi
"$BUILD/src/broadsided" --listen 127.0.0.1:0 "$1" "$2" \
    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 --burst 100000 \
    --drain-delay 0 --per-ip-connections 0 --create-per-hour 0 2>"$TMP/log" &
PID=$!
shift 3
i=0
while ! grep -q 'listening on' "$TMP/log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$TMP/log"; exit 1; }
	sleep 0.1
done
URL=$(sed -n 's,^.*listening on \(http://[^ ]*\).*$,\1,p' "$TMP/log")
status=0
"$BUILD/tests/bench/bench_orders" "$URL" "$@" >"$TMP/out" || status=$?
cat "$TMP/out"
bench_json_figure "$TMP/out" .orders_per_s $NAME.per_s orders/s higher timing
bench_json_figure "$TMP/out" .latency_p50_ms $NAME.latency_p50_ms \
    ms lower timing
bench_json_figure "$TMP/out" .latency_p99_ms $NAME.latency_p99_ms \
    ms lower timing
bench_json_figure "$TMP/out" '.refused + .failed' $NAME.refused_or_failed \
    orders lower exact
exit $status
