#!/bin/sh
# Scenario 6 (make bench): the soak of tests/load/test_soak.sh for
# SOAK_SECONDS (600), with its criterion (flat resident memory after
# warm-up); records the daemon's resident memory in the second and the
# last quarter of the run.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/bench/benchlib.sh"

rss=$(mktemp "${TMPDIR:-/tmp}/broadside-soak.XXXXXX")
trap 'rm -f "$rss"' EXIT
SOAK_SECONDS=${SOAK_SECONDS:-600} SOAK_RSS_OUT=$rss \
    sh "$BS_SRCDIR/tests/load/test_soak.sh" || exit 1
set -- $(awk '{ v[NR] = $1 } END {
	q = int(NR / 4)
	for (i = q + 1; i <= 2 * q; i++) a += v[i]
	for (i = NR - q + 1; i <= NR; i++) b += v[i]
	printf "%.0f %.0f\n", a / q, b / q }' "$rss")
bench_figure soak.rss_second_quarter_kib "$1" KiB lower counted
bench_figure soak.rss_last_quarter_kib "$2" KiB lower counted
