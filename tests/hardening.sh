#!/bin/sh
# The daemon is built hardened (configure.ac, HARDENCFLAGS and
# HARDENLDFLAGS): full RELRO (a GNU_RELRO segment and BIND_NOW, so the
# GOT is read-only before main), the stack protector (__stack_chk_fail
# imported) and, in an optimised build without the sanitizers,
# _FORTIFY_SOURCE (checked __*_chk calls imported).  readelf (binutils).
set -eu
BS_BUILDDIR=${BS_BUILDDIR:-$(pwd)}
BROADSIDED=${BROADSIDED:-$BS_BUILDDIR/src/broadsided}

fail() {
	echo "hardening: FAIL: $*" >&2
	exit 1
}
command -v readelf >/dev/null 2>&1 ||
    fail "readelf not found: install the Debian package binutils"
[ -x "$BROADSIDED" ] || fail "no daemon at $BROADSIDED (run make first)"

# makevar NAME: the value configure gave NAME in the build's Makefile.
makevar() {
	sed -n "s/^$1 = //p" "$BS_BUILDDIR/Makefile" | head -n 1
}

readelf -lW "$BROADSIDED" | grep -q 'GNU_RELRO' ||
    fail "no GNU_RELRO segment: the GOT stays writable"
readelf -dW "$BROADSIDED" | grep -Eq '\(BIND_NOW\)|\(FLAGS_1\).*[[:space:]]NOW' ||
    fail "no BIND_NOW (-z now): lazy binding keeps the GOT writable: $(readelf -dW "$BROADSIDED" | grep -E 'FLAGS')"
syms=$(readelf --dyn-syms -W "$BROADSIDED")
printf '%s\n' "$syms" | grep -q ' __stack_chk_fail' ||
    fail "no __stack_chk_fail: built without the stack protector"

cflags=" $(makevar CFLAGS) $(makevar CPPFLAGS) "
case $cflags in
*" -O0 "*) optimised=no ;;
*" -O"*) optimised=yes ;;
*) optimised=no ;;
esac
if [ "$optimised" = yes ] && [ -z "$(makevar SANFLAGS)" ]; then
	printf '%s\n' "$syms" | grep -Eq ' __[a-z_]+_chk(@|$)' ||
	    fail "optimised, yet no __*_chk call: built without _FORTIFY_SOURCE (CFLAGS:$cflags)"
	echo "hardening: full RELRO, stack protector, _FORTIFY_SOURCE"
else
	echo "hardening: full RELRO, stack protector (no _FORTIFY_SOURCE: not optimised, or sanitizers)"
fi
