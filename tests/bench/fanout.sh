#!/bin/sh
# Event-stream fan-out, side by side with nginx + nchan, measured by the
# neutral SSE client ssebench, which is not part of this repository:
# $SSEBENCH_SRC names its ssebench.c (by default in a checkout beside the
# source tree).  Each of C battles gets one spectator token that its
# subscribers share; events are GM narrations, which reach subscribers as
# "log" events after their commit.  Part of make bench when ssebench's
# source is present, skipped with a note otherwise; the reference run
# needs nginx with nchan (Debian nginx-light, libnginx-mod-nchan).
# Records broadsided's figures, and its CPU time against nchan's
# (benchlib.sh).
#
#   fanout.sh [SUBSCRIBERS [CHANNELS [RATE [SECONDS]]]]   (1000 100 1000 10)
#   (BS_FLAGS adds daemon options, DEBOUNCE sets --debounce, default 0)
set -eu
. "$(dirname "$0")/benchlib.sh"
N=${1:-1000} C=${2:-100} R=${3:-1000} S=${4:-10}
M=$((R * S))
BUILD=$BS_BUILDDIR
SRC=$(cd "$BS_SRCDIR" && pwd)
SSEBENCH_SRC=$(bench_ssebench_src fanout) || exit 0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-fanout.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/ssebench" "$SSEBENCH_SRC" -lm
ulimit -n 20000 2>/dev/null || true

"$BUILD/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/fan.db" \
    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 --burst 100000 \
    --max-connections 19000 --max-battles 5000 --max-spectators 1000 \
    --drain-delay 0 --debounce "${DEBOUNCE:-0}" --per-ip-connections 0 \
    --create-per-hour 0 \
    ${BS_FLAGS:-} 2>"$TMP/log" &
BS=$!
PIDS="$PIDS $BS"
URL=$(bench_listening "$TMP/log" "$BS")
PORT=${URL##*:}
bench_fan_battles "$URL" "$C" "$TMP/battles.tsv"
echo "== broadsided: $N subscribers, $C battles, $R events/s for $S s"
"$TMP/ssebench" -p "$PORT" --channels-file "$TMP/battles.tsv" \
    --body-template '{"text":"%s"}' --event-type log \
    -n "$N" -m "$M" -r "$R" -w 2 -d 5 -X 120 -S "$BS" -l broadside \
    >"$TMP/broadside.json" || { cat "$TMP/broadside.json"; exit 1; }
cat "$TMP/broadside.json"
kill $BS; wait $BS 2>/dev/null || true

if command -v nginx >/dev/null && [ -e /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
	mkdir -p "$TMP/nginx"
	nginx -p "$TMP/nginx/" -c "$(dirname "$SSEBENCH_SRC")/nchan.conf" \
	    -e "$TMP/nginx/error.log" -g 'daemon off; worker_processes 1;' &
	NG=$!
	PIDS="$PIDS $NG"
	sleep 0.7
	W=$(pgrep -P $NG | paste -sd, -)
	echo "== nginx + nchan: the same load"
	"$TMP/ssebench" -n "$N" -c "$C" -m "$M" -r "$R" -w 2 -d 5 -X 120 \
	    -S "$W" -l nchan >"$TMP/nchan.json" ||
	    { cat "$TMP/nchan.json"; exit 1; }
	cat "$TMP/nchan.json"
	kill -QUIT $NG; wait $NG 2>/dev/null || true
else
	echo "fanout: nginx with nchan not installed (apt-get install nginx-light libnginx-mod-nchan): no reference run"
fi

# Latencies and CPU time are timings; memory per subscriber is a count
# (ssebench reads the daemon's RSS before and after subscribing).
J=$TMP/broadside.json
bench_json_figure "$J" '.missing + .duplicates + .out_of_order' \
    fanout.missing_or_misordered events lower exact
bench_json_figure "$J" .lat_p50_ms fanout.lat_p50_ms ms lower timing
bench_json_figure "$J" .lat_p99_ms fanout.lat_p99_ms ms lower timing
bench_json_figure "$J" .sched_lat_p99_ms fanout.sched_lat_p99_ms ms lower timing
bench_json_figure "$J" .server_cpu_s fanout.server_cpu_s s lower timing
bench_json_figure "$J" .server_rss_bytes_per_sub fanout.rss_bytes_per_sub \
    bytes lower counted
if [ -s "$TMP/nchan.json" ]; then
	ours=$(grep '^{' "$J" | tail -n 1 | jq -r '.server_cpu_s')
	theirs=$(grep '^{' "$TMP/nchan.json" | tail -n 1 |
	    jq -r '.server_cpu_s')
	ratio=$(awk -v a="$ours" -v b="$theirs" \
	    'BEGIN { if (b > 0) printf "%.2f", a / b }')
	bench_figure fanout.cpu_vs_nchan "$ratio" ratio lower timing
fi
