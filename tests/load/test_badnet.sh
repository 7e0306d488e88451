#!/bin/sh
# Scenario 2, a bad network: the seed's battles played through
# broadside-faultproxy with 500 ms of added latency each way, 5 % loss
# and connections reset at random (every 8 s on average).  Pass: every
# client's view converges to GET of its battle (checked around the
# proxy), no acknowledged order is missing from the log, and dropped
# streams resume (the report counts replays against snapshot re-sends).
# Requests cut by a reset are not errors here: --faults.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"

# Every simulated browser connects from 127.0.0.1: no per-address cap.
start_daemon --retry 1000 --per-ip-connections 0
start_proxy --delay-ms 500 --loss-pct 5 --reset-every 8 --seed 11
DIRECT=$BASE_URL
BASE_URL=$PROXY_URL
run_load badnet --check-url "$DIRECT" --battles 10 --players 5 \
    --ships 10 --spectators 1 --rounds 4 --round-seconds 8 \
    --think-ms 2000 --seed 3 --faults --max-errors 0 --compressed \
    --timeout 100
BASE_URL=$DIRECT
stop_proxy
reconnects=$(report_value badnet .reconnects.total)
replays=$(report_value badnet .reconnects.replays)
[ "$reconnects" -gt 0 ] ||
    fail "no stream was reset: the proxy's --reset-every did nothing"
[ "$replays" -gt 0 ] ||
    fail "$reconnects reconnections and not one resumed by a replay"
# Every change cut by the network was sent again with its key until
# its outcome was known (broadside-api(7), IDEMPOTENT REQUESTS).
unknown=$(report_value badnet .idempotency.unknown)
[ "$unknown" = 0 ] ||
    fail "$unknown changes whose outcome stayed unknown (no answer to any attempt)"
dup=$(report_value badnet .errors.duplicated)
[ "$dup" = 0 ] || fail "$dup changes made twice (narrations in the log twice)"
[ "$(report_value badnet .idempotency.narrations_checked)" -gt 0 ] ||
    fail "no narration was checked in the final logs"
note "changes sent again with their key: $(report_value badnet .idempotency.retries)," \
    "answered as replays: $(report_value badnet .idempotency.replays), unknown: 0"
note "reconnections: $reconnects, resumed by replay: $replays," \
    "by a snapshot: $(report_value badnet .reconnects.snapshots)"
stop_daemon
note "ok"
