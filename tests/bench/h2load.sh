#!/bin/sh
# make bench: HTTP/2 against HTTP/1.1 on the same endpoints, in the same
# run, with h2load (Debian nghttp2-client): GET /healthz and GET of a
# battle, -c 100 -m 10 -n 100000.  Prints requests per second, mean
# latency and the h2/h1 ratio, and records them (benchlib.sh).
set -eu
. "$(dirname "$0")/benchlib.sh"
BUILD=$BS_BUILDDIR
SRC=$BS_SRCDIR
N=${N:-100000}
if ! command -v h2load >/dev/null; then
	echo "h2load: not installed (apt-get install nghttp2-client); skipped"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-h2load.XXXXXX")
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$BUILD/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/h2.db" \
    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 --burst 100000 \
    --drain-delay 0 --per-ip-connections 0 2>"$TMP/log" &
PID=$!
i=0
until grep -q 'listening on' "$TMP/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$TMP/log"; exit 1; }; sleep 0.1
done
URL=$(sed -n 's,^.*listening on \(http://[^ ]*\).*$,\1,p' "$TMP/log")
# One battle per protocol, so that neither run drains the other's
# rate-limit bucket.
for p in 2 1; do
	R=$(curl -s -d '{"name":"h2load"}' "$URL/v1/battles")
	eval "ID$p=\$(echo \"\$R\" | sed 's/.*\"id\":\"\([^\"]*\)\".*/\1/')"
	eval "GM$p=\$(echo \"\$R\" | sed 's/.*\"gm_token\":\"\([^\"]*\)\".*/\1/')"
done

# run LABEL [h2load args...]: prints "LABEL req/s mean_ms"; keeps both
# in TMP/LABEL and TMP/LABEL.ms for the figures below.
run() {
	label=$1
	shift
	h2load -c 100 -m 10 -n "$N" "$@" >"$TMP/out" 2>&1 || true
	rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$TMP/out")
	mean=$(awk '/^time for request:/ { print $6 }' "$TMP/out")
	ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$TMP/out")
	printf '%-24s %10s req/s  mean %-10s  succeeded %s\n' "$label" \
	    "${rps:-?}" "${mean:-?}" "${ok:-?}"
	echo "$rps" >"$TMP/$label"
	# h2load picks the unit of its times (us, ms or s).
	mean_ms=$(echo "$mean" | awk '
	    /us$/ { printf "%.3f", $0 / 1000; exit }
	    /ms$/ { printf "%.3f", $0 + 0; exit }
	    /s$/  { printf "%.3f", $0 * 1000; exit }')
	echo "$mean_ms" >"$TMP/$label.ms"
}

run h2-healthz "$URL/healthz"
run h1-healthz --h1 "$URL/healthz"
run h2-battle -H "Authorization: Bearer $GM2" "$URL/v1/battles/$ID2"
run h1-battle --h1 -H "Authorization: Bearer $GM1" "$URL/v1/battles/$ID1"
for l in h2-healthz h1-healthz h2-battle h1-battle; do
	bench_figure "h2load.$l.rps" "$(cat "$TMP/$l")" req/s higher timing
	bench_figure "h2load.$l.mean_ms" "$(cat "$TMP/$l.ms")" ms lower timing
done
for e in healthz battle; do
	ratio=$(awk -v a="$(cat "$TMP/h2-$e")" -v b="$(cat "$TMP/h1-$e")" \
	    'BEGIN { if (b > 0) printf "%.2f", a / b }')
	echo "$e: h2/h1 = ${ratio:-?}"
	bench_figure "h2load.$e.h2_over_h1" "$ratio" ratio higher timing
done
