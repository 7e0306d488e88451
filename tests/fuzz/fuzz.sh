#!/bin/sh
# make fuzz: builds the library and every fuzz target with clang, libFuzzer,
# ASan and UBSan in a directory of their own ($FUZZ_DIR, fuzz-build/ in the
# build tree), so the ordinary build is untouched, then runs each target
# for $FUZZ_SECONDS seconds on its committed seeds (tests/fuzz/corpus/T/)
# plus what earlier runs found ($FUZZ_DIR/corpus/T/).  A crash stops the
# run with the input saved as $FUZZ_DIR/crashes/T-crash-*; README.md says
# how it becomes a regression input.
#
# Make passes, in the environment: FUZZ_CC, FUZZ_CFLAGS (sanitizers,
# optimisation), FUZZ_CPPFLAGS (include paths, defines), FUZZ_LIBS, the
# library's FUZZ_SOURCES (relative to FUZZ_SRCDIR), FUZZ_TARGETS, FUZZ_DIR
# and FUZZ_SECONDS.  With FUZZ_BUILD_ONLY=1, or FUZZ_SECONDS=0 (which
# libFuzzer would take as no limit), it only builds.
set -eu

: "${FUZZ_CC:=clang}" "${FUZZ_SECONDS:=60}" "${FUZZ_BUILD_ONLY:=0}"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "fuzz: $FUZZ_CC not found: install the Debian packages clang and libclang-rt-14-dev (./bootstrap does)" >&2
	exit 1
fi

mkdir -p "$FUZZ_DIR/obj" "$FUZZ_DIR/crashes"

# The library, with coverage for libFuzzer but no main of its own.
lib_cflags="$FUZZ_CFLAGS -fsanitize=fuzzer-no-link"
objs=
for src in $FUZZ_SOURCES; do
	case $src in *.c) ;; *) continue ;; esac
	obj="$FUZZ_DIR/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	if [ ! -f "$obj" ] || [ "$FUZZ_SRCDIR/$src" -nt "$obj" ] ||
	    [ -n "$(find "$FUZZ_SRCDIR/src" -name '*.h' -newer "$obj" |
	    head -n 1)" ]; then
		echo "  CC (fuzz) $src"
		# shellcheck disable=SC2086
		$FUZZ_CC $FUZZ_CPPFLAGS $lib_cflags -c -o "$obj" \
		    "$FUZZ_SRCDIR/$src"
	fi
	objs="$objs $obj"
done
rm -f "$FUZZ_DIR/libbroadside.a"
# shellcheck disable=SC2086
ar rcs "$FUZZ_DIR/libbroadside.a" $objs

for t in $FUZZ_TARGETS; do
	echo "  CCLD (fuzz) fuzz_$t"
	case $t in
	http1|http2) extra="$FUZZ_SRCDIR/tests/fuzz/fuzz_wire.c" ;;
	*) extra= ;;
	esac
	# shellcheck disable=SC2086
	$FUZZ_CC $FUZZ_CPPFLAGS $FUZZ_CFLAGS -fsanitize=fuzzer \
	    -I"$FUZZ_SRCDIR/tests/fuzz" -o "$FUZZ_DIR/fuzz_$t" \
	    "$FUZZ_SRCDIR/tests/fuzz/fuzz_$t.c" \
	    "$FUZZ_SRCDIR/tests/fuzz/fuzz_support.c" $extra \
	    "$FUZZ_DIR/libbroadside.a" $FUZZ_LIBS
done
if [ "$FUZZ_BUILD_ONLY" = 1 ] || [ "$FUZZ_SECONDS" -le 0 ]; then
	exit 0
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
BS_SRCDIR=$FUZZ_SRCDIR
export BS_SRCDIR
failed=
for t in $FUZZ_TARGETS; do
	echo "== fuzz_$t for $FUZZ_SECONDS s"
	mkdir -p "$FUZZ_DIR/corpus/$t"
	if ! "$FUZZ_DIR/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
	    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_DIR/crashes/$t-" \
	    "$FUZZ_DIR/corpus/$t" "$FUZZ_SRCDIR/tests/fuzz/corpus/$t" \
	    >"$FUZZ_DIR/fuzz_$t.log" 2>&1; then
		failed="$failed $t"
		tail -n 60 "$FUZZ_DIR/fuzz_$t.log" >&2
		echo "fuzz: fuzz_$t failed; the input is in $FUZZ_DIR/crashes/ (README.md, \"Fuzzing\")" >&2
	else
		grep -E '^stat::number_of_executed_units|^Done' \
		    "$FUZZ_DIR/fuzz_$t.log" || true
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	exit 1
fi
echo "fuzz: every target ran $FUZZ_SECONDS s without a failure"
