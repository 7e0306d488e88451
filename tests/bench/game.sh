#!/bin/sh
# make bench: the rules engine alone (bench_game.c, a fixed seed), its
# timings per round, per attack and per view.  Prints bench_game's
# report and records its figures (benchlib.sh).
set -eu
. "$(dirname "$0")/benchlib.sh"
OUT=$(mktemp "${TMPDIR:-/tmp}/broadside-game.XXXXXX")
trap 'rm -f "$OUT"' EXIT
"$BS_BUILDDIR/tests/bench/bench_game" >"$OUT"
cat "$OUT"
# The seed is fixed, so the battles played and the attacks rolled are
# the same on every machine until the rules change.
bench_json_figure "$OUT" .attacks game.attacks attacks higher exact
bench_json_figure "$OUT" .round_us.median game.round_us.median us lower timing
bench_json_figure "$OUT" .round_us.p99 game.round_us.p99 us lower timing
bench_json_figure "$OUT" .attack_us.median game.attack_us.median us lower timing
bench_json_figure "$OUT" .attack_us.p99 game.attack_us.p99 us lower timing
for v in gm crew spectator; do
	bench_json_figure "$OUT" ".view_us.$v.median" "game.view_us.$v.median" \
	    us lower timing
done
