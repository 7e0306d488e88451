# tools/faultproxy/: broadside-faultproxy(1), a TCP proxy that plays a bad
# network (delay, loss, resets, blackholes), included from the top
# Makefile.am.  It is installed: a tool for testing deployments as much as
# this tree.  Its tests live in tests/load/ (test_shaper, fpcheck,
# test_faultproxy.sh).

bin_PROGRAMS += tools/faultproxy/broadside-faultproxy
tools_faultproxy_broadside_faultproxy_SOURCES = \
	tools/faultproxy/faultproxy.c \
	tools/faultproxy/relay.c tools/faultproxy/relay.h \
	tools/faultproxy/shaper.c tools/faultproxy/shaper.h
tools_faultproxy_broadside_faultproxy_LDADD = src/libbroadside.a $(LIBM)

dist_man_MANS += man/broadside-faultproxy.1
