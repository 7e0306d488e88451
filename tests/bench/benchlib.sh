# Shared by the bench scripts (sourced, never run on its own).
#
# Each bench prints its figures for a reader as before and records its key
# figures with bench_figure, one JSON object a line, in $BS_BENCH_OUT
# (bench-results.jsonl in the build directory unless set).  make bench
# starts that file afresh, runs every bench, then tests/bench/compare
# checks it against the committed tests/bench/baseline.json.
#
# POSIX sh; the scripts read the C benches' JSON lines with jq.

BS_BUILDDIR=${BS_BUILDDIR:-$(pwd)}
BS_SRCDIR=${BS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BS_BENCH_OUT=${BS_BENCH_OUT:-$BS_BUILDDIR/bench-results.jsonl}

if ! command -v jq >/dev/null 2>&1; then
	echo "$(basename "$0"): jq not installed (apt-get install jq)" >&2
	exit 1
fi

# bench_figure NAME VALUE UNIT BETTER KIND: records one figure and prints
# it.  NAME is dotted, bench first (orders.per_s); VALUE a plain decimal
# number; BETTER is lower or higher; KIND says how compare judges it:
#   exact    a count fixed by the scenario: any change is flagged;
#   counted  a machine-independent measure (bytes, instructions): a
#            small margin;
#   timing   throughput, latency, CPU time: a generous margin.
# A VALUE that is not a number (a tool that printed nothing) is reported
# and left out, so that compare lists the figure as missing.
bench_figure() {
	case $4 in
	lower|higher) ;;
	*) echo "bench_figure: $1: BETTER is '$4', not lower or higher" >&2
	   exit 1 ;;
	esac
	case $5 in
	exact|counted|timing) ;;
	*) echo "bench_figure: $1: KIND is '$5', not exact, counted or timing" >&2
	   exit 1 ;;
	esac
	if ! printf '%s\n' "$2" |
	    grep -Eq '^-?(0|[1-9][0-9]*)(\.[0-9]+)?$'; then
		printf '  %-36s (no value: %s) not recorded\n' "$1" "${2:-empty}"
		return 0
	fi
	printf '{"name":"%s","value":%s,"unit":"%s","better":"%s","kind":"%s"}\n' \
	    "$1" "$2" "$3" "$4" "$5" >>"$BS_BENCH_OUT"
	printf '  %-36s %14s %-10s (%s, %s is better)\n' "$1" "$2" "$3" "$5" "$4"
}

# bench_json_figure FILE KEY NAME UNIT BETTER KIND: bench_figure with the
# value of KEY (a jq path such as .round_us.median) in the last JSON line
# of FILE, the line a C bench or ssebench prints last.
bench_json_figure() {
	v=$(grep '^{' "$1" | tail -n 1 | jq -r "$2 // empty")
	bench_figure "$3" "$v" "$4" "$5" "$6"
}

# bench_ssebench_src NAME: prints the path of the neutral SSE client's
# source, $SSEBENCH_SRC or the team's checkout beside the source tree;
# when there is none, says that bench NAME is skipped and fails.
bench_ssebench_src() {
	f=${SSEBENCH_SRC:-$(cd "$BS_SRCDIR" && pwd)/../shared/tools/ssebench/ssebench.c}
	if [ ! -f "$f" ]; then
		echo "$1: no ssebench source at $f (set SSEBENCH_SRC); skipped" >&2
		return 1
	fi
	echo "$f"
}

# bench_listening LOG PID: waits (10 s at most) until the daemon PID,
# whose stderr is LOG, listens; prints its URL (http://127.0.0.1:PORT).
bench_listening() {
	i=0
	until grep -q 'listening on' "$1"; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$2" 2>/dev/null; then
			cat "$1" >&2
			return 1
		fi
		sleep 0.1
	done
	sed -n 's,^.*listening on \(http://[^ ]*\).*$,\1,p' "$1" | head -n 1
}

# bench_fan_battles URL N FILE: creates N battles on the daemon at URL,
# each with one spectator, and writes ssebench's channels file: a line a
# battle, its event stream with the spectator's token, its narration
# path and the GM's Authorization header.
bench_fan_battles() {
	c=0
	while [ $c -lt "$2" ]; do
		r=$(curl -s -d '{"name":"fan","round_seconds":600}' \
		    "$1/v1/battles")
		id=$(echo "$r" | jq -r .id)
		gm=$(echo "$r" | jq -r .gm_token)
		code=$(echo "$r" | jq -r .join_code)
		t=$(curl -s -d "{\"join_code\":\"$code\",\"name\":\"w\",\"role\":\"spectator\"}" \
		    "$1/v1/battles/$id/players" | jq -r .token)
		printf '/v1/battles/%s/events?access_token=%s\t/v1/battles/%s/narration\tAuthorization: Bearer %s\n' \
		    "$id" "$t" "$id" "$gm" >>"$3"
		c=$((c + 1))
	done
}
