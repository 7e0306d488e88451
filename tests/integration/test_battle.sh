#!/bin/sh
# A whole battle through the real daemon (battle_flow.c), then a restart
# on the same database: the battle comes back with the same state hash.
. "$(dirname "$0")/lib.sh"

FLOW=$BS_BUILDDIR/tests/integration/battle_flow
[ -x "$FLOW" ] || fail "no $FLOW (run make check)"

DAEMON_DB=$TMP/battle.db
start_daemon --drain-delay 0
"$FLOW" "$BASE_URL" >"$TMP/flow.out" 2>&1 || {
	cat "$TMP/flow.out" >&2
	fail "battle_flow failed"
}
cat "$TMP/flow.out"
stop_daemon

# The ended battle is still there after a restart, readable by the admin.
echo "admin-token-for-tests-0123456789" >"$TMP/admin"
start_daemon --drain-delay 0 --admin-token-file "$TMP/admin"
http GET "$BASE_URL/v1/battles" -H "Authorization: Bearer admin-token-for-tests-0123456789"
expect_status 200 "admin list after restart"
grep -q '"phase":"ended"' "$TMP/body" || fail "the ended battle did not survive the restart: $(cat "$TMP/body")"
http GET "$BASE_URL/v1/battles"
expect_status 401 "list without the admin token"
stop_daemon
note "ok"
