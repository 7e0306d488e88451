#!/bin/sh
# make bench: orders.sh against the PostgreSQL store.  Starts a private
# cluster (tests/integration/pglib.sh, with fsync on: durable means on the
# disk here too) and the daemon on a database in it, runs bench_orders
# (HTTP/1.1, durable acknowledgements), prints its report and records its
# figures as orders_pg.* (benchlib.sh), beside orders.* for SQLite.
set -eu
. "$(dirname "$0")/benchlib.sh"
BUILD=$BS_BUILDDIR
SRC=$BS_SRCDIR
TEST_NAME=orders_pg
fail() {
	echo "$TEST_NAME: $*" >&2
	exit 1
}
PG_FSYNC=on
. "$SRC/tests/integration/pglib.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-bench.XXXXXX")
PID=
trap '[ -z "$PID" ] || kill $PID 2>/dev/null; pg_cleanup; rm -rf "$TMP"' EXIT
pg_start
pg_new_db bench
"$BUILD/src/broadsided" --listen 127.0.0.1:0 --store "$PG_URI" \
    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 --burst 100000 \
    --drain-delay 0 --per-ip-connections 0 --create-per-hour 0 2>"$TMP/log" &
PID=$!
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
bench_json_figure "$TMP/out" .orders_per_s orders_pg.per_s orders/s higher \
    timing
bench_json_figure "$TMP/out" .latency_p50_ms orders_pg.latency_p50_ms \
    ms lower timing
bench_json_figure "$TMP/out" .latency_p99_ms orders_pg.latency_p99_ms \
    ms lower timing
bench_json_figure "$TMP/out" '.refused + .failed' \
    orders_pg.refused_or_failed orders lower exact
exit $status
