# tests/load/: load and fault tools, included from the top Makefile.am.
#
# broadside-faultproxy(1) is installed (a tool for testing deployments as
# much as this tree); fpcheck is the echo server and client its test uses.
# BS_* for the scripts come from AM_TESTS_ENVIRONMENT in Makefile.am.

bin_PROGRAMS = tests/load/broadside-faultproxy
tests_load_broadside_faultproxy_SOURCES = tests/load/faultproxy.c \
	tests/load/relay.c tests/load/relay.h \
	tests/load/shaper.c tests/load/shaper.h
tests_load_broadside_faultproxy_LDADD = src/libbroadside.a $(LIBM)

dist_man_MANS += man/broadside-faultproxy.1

check_PROGRAMS += tests/load/fpcheck tests/load/test_shaper
tests_load_fpcheck_SOURCES = tests/load/fpcheck.c

# The fault model alone, fed made-up times (cmocka).
tests_load_test_shaper_SOURCES = tests/load/test_shaper.c \
	tests/load/shaper.c tests/load/shaper.h
tests_load_test_shaper_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_load_test_shaper_LDADD = src/libbroadside.a $(CMOCKA_LIBS) $(LIBM)

# The seed's acceptance scenarios (broadside-load(1), SCENARIOS).
LOAD_TESTS = tests/load/test_shaper tests/load/test_faultproxy.sh \
	tests/load/test_seed.sh tests/load/test_badnet.sh \
	tests/load/test_restart.sh tests/load/test_soak.sh
TESTS += $(LOAD_TESTS)
EXTRA_DIST += tests/load/test_faultproxy.sh tests/load/test_seed.sh \
	tests/load/test_badnet.sh tests/load/test_restart.sh \
	tests/load/test_soak.sh tests/load/loadlib.sh \
	tests/load/storm.sh tests/load/scale.sh tests/load/soak.sh

# broadside-load(1): plays battles with many simulated browsers (libcurl
# multi on the project's loop) and checks that nothing was lost.
bin_PROGRAMS += tests/load/broadside-load
tests_load_broadside_load_SOURCES = tests/load/load.c tests/load/load.h \
	tests/load/bots.c tests/load/net.c tests/load/net.h \
	tests/load/hist.c tests/load/hist.h
tests_load_broadside_load_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_load_broadside_load_LDADD = src/libbroadside.a $(CURL_LIBS) \
	$(JANSSON_LIBS) $(LIBM)
dist_man_MANS += man/broadside-load.1
