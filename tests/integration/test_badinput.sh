#!/bin/sh
# The bad-input matrix (badinput.c) against the real daemon, which must
# still be healthy, and exit cleanly, afterwards.
. "$(dirname "$0")/lib.sh"

BAD=$BS_BUILDDIR/tests/integration/badinput
[ -x "$BAD" ] || fail "no $BAD (run make check)"
start_daemon --drain-delay 0
"$BAD" "$BASE_URL" >"$TMP/bad.out" 2>&1 || {
	cat "$TMP/bad.out" >&2
	fail "badinput failed"
}
cat "$TMP/bad.out"
http GET "$BASE_URL/healthz"
expect_status 200 "healthy after the matrix"
stop_daemon
note "ok"
