#!/bin/sh
# Scenario 4 (make bench): a reconnect storm.  STORM_BATTLES battles
# (300) of a GM, 5 players and 4 spectators play; 20 s in, broadside-load
# drops every event stream at once, and each client reconnects as
# EventSource does, after the server's retry: hint (--retry 1000 here),
# with Last-Event-ID.  Records how long until each client's stream is
# back (the hint included), the last one above all, and how the
# reconnections were served (replays against snapshots).
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"
. "$BS_SRCDIR/tests/bench/benchlib.sh"

BATTLES=${STORM_BATTLES:-300}
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

# Every simulated browser connects from 127.0.0.1: no per-address cap.
start_daemon --max-connections 15000 --max-battles $((BATTLES + 10)) \
    --rate 100000 --burst 100000 --retry 1000 --per-ip-connections 0 --create-per-hour 0
run_load storm --battles "$BATTLES" --players 5 --ships 10 \
    --spectators 4 --duration 40 --round-seconds 30 --think-ms 15000 \
    --drop-at 20 --connect-rate 1000 --timeout 300 --quiet \
    --max-errors 1000000
r=$TMP/storm.json
bench_figure storm.streams "$(jq -r .drop_to_back.count "$r")" streams \
    higher exact
bench_figure storm.back_p50_ms "$(jq -r .drop_to_back.p50_ms "$r")" ms \
    lower timing
bench_figure storm.back_max_ms "$(jq -r .drop_to_back.max_ms "$r")" ms \
    lower timing
bench_figure storm.replays "$(jq -r .reconnects.replays "$r")" streams \
    higher timing
bench_figure storm.snapshots "$(jq -r .reconnects.snapshots "$r")" \
    streams lower timing
bench_figure storm.errors "$(jq -r .errors_total "$r")" errors lower timing
stop_daemon
