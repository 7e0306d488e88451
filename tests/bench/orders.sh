#!/bin/sh
# make bench: starts the daemon on a temp database and runs bench_orders
# against it (HTTP/1.1, durable acknowledgements).  Prints its report and
# records its figures (benchlib.sh).
set -eu
. "$(dirname "$0")/benchlib.sh"
BUILD=$BS_BUILDDIR
SRC=$BS_SRCDIR
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-bench.XXXXXX")
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$BUILD/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/bench.db" \
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
bench_json_figure "$TMP/out" .orders_per_s orders.per_s orders/s higher timing
bench_json_figure "$TMP/out" .latency_p50_ms orders.latency_p50_ms \
    ms lower timing
bench_json_figure "$TMP/out" .latency_p99_ms orders.latency_p99_ms \
    ms lower timing
bench_json_figure "$TMP/out" '.refused + .failed' orders.refused_or_failed \
    orders lower exact
exit $status
