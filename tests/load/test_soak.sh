#!/bin/sh
# Scenario 6, soak: battles played without pause for SOAK_SECONDS (40 in
# make check; make bench runs 600) while the daemon's resident memory is
# sampled every second.  Each battle lasts 12 rounds (or until a side is
# destroyed) and is deleted; a new one takes its place, so that battles
# are created, played, ended and deleted all along.  Pass, besides broadside-load's own checks:
#  - flat memory after warm-up: the first quarter of the samples is
#    warm-up (battles, streams and caches being made; the replay rings,
#    up to 1 MiB per battle by default, are made small here, 64 events
#    and 64 KiB, so that they are full by then); the rest is cut in three
#    windows, and memory is growing if the mean rises by more than 2 %
#    and 1 MiB from the first window to the second AND from the second to
#    the third.  A leak grows in every window; a one-time step (a malloc
#    arena of the storage thread growing, say) is in one;
#  - under the sanitizers (ASan's quarantine grows memory by design, so
#    the memory criterion is left out there), LeakSanitizer finds no leak
#    when the daemon stops, nor in broadside-load itself (both exit 23
#    on a leak).
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-40}

# Every simulated browser connects from 127.0.0.1: no per-address caps (connections, creations).
start_daemon --ring-events 64 --ring-bytes 65536 --per-ip-connections 0 --create-per-hour 0
"$LOAD" --url "$BASE_URL" --report "$TMP/soak.json" --battles 10 \
    --players 5 --ships 10 --spectators 3 --duration "$SOAK_SECONDS" \
    --rounds 12 \
    --round-seconds 5 --think-ms 400 --seed 9 --max-errors 0 \
    --timeout $((SOAK_SECONDS + 60)) >"$TMP/soak.out" 2>"$TMP/soak.err" &
LOAD_PID=$!
track_client "$LOAD_PID"

: >"$TMP/rss"
while proc_alive "$LOAD_PID"; do
	awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status" >>"$TMP/rss"
	sleep 1	# one sample a second, for the whole run
done
wait_exit "$LOAD_PID" 5
cat "$TMP/soak.out"
if [ "$EXIT_STATUS" -ne 0 ]; then
	head -n 40 "$TMP/soak.err" >&2
	fail "broadside-load exited with status $EXIT_STATUS"
fi

# The samples taken while battles were played (not the final checks).
n=$(wc -l <"$TMP/rss")
[ "$n" -ge 8 ] || fail "only $n memory samples"
verdict=$(awk -v n="$n" '
    { v[NR] = $1 }
    END {
	w = int((n - int(n / 4)) / 3)
	first = n - 3 * w
	for (k = 0; k < 3; k++) {
		m[k] = 0
		for (i = 1; i <= w; i++) m[k] += v[first + k * w + i]
		m[k] /= w
	}
	up1 = m[1] - m[0] > m[0] * 0.02 + 1024
	up2 = m[2] - m[1] > m[1] * 0.02 + 1024
	printf "%s %.0f %.0f %.0f\n", (up1 && up2 ? "growing" : "flat"),
	    m[0], m[1], m[2]
    }' "$TMP/rss")
set -- $verdict
note "resident memory after warm-up, by thirds: $2, $3, $4 KiB" \
    "($n samples): $1"
if sanitized; then
	note "sanitizer build: the memory criterion is left to LeakSanitizer"
elif [ "$1" != flat ]; then
	fail "resident memory grew in every window after warm-up: $2, $3, $4 KiB"
fi
[ -z "${SOAK_RSS_OUT:-}" ] || cp "$TMP/rss" "$SOAK_RSS_OUT"
stop_daemon
note "ok"
