# tests/load/: the load and fault scenarios, included from the top
# Makefile.am.  The tools they run are built from tools/load/
# (broadside-load) and tools/faultproxy/ (broadside-faultproxy); fpcheck
# is the echo server and client the fault proxy's test uses.  BS_* for
# the scripts come from AM_TESTS_ENVIRONMENT in Makefile.am.

check_PROGRAMS += tests/load/fpcheck tests/load/test_shaper
tests_load_fpcheck_SOURCES = tests/load/fpcheck.c

# The fault model alone, fed made-up times (cmocka).
tests_load_test_shaper_SOURCES = tests/load/test_shaper.c \
	tools/faultproxy/shaper.c tools/faultproxy/shaper.h
tests_load_test_shaper_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tools/faultproxy
tests_load_test_shaper_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_load_test_shaper_LDADD = src/libbroadside.a $(CMOCKA_LIBS) $(LIBM)

# The seed's acceptance scenarios (broadside-load(1), SCENARIOS).
LOAD_TESTS = tests/load/test_shaper tests/load/test_faultproxy.sh \
	tests/load/test_seed.sh tests/load/test_badnet.sh \
	tests/load/test_restart.sh tests/load/test_soak.sh \
	tests/load/test_cluster.sh
TESTS += $(LOAD_TESTS)
EXTRA_DIST += tests/load/test_faultproxy.sh tests/load/test_seed.sh \
	tests/load/test_badnet.sh tests/load/test_restart.sh \
	tests/load/test_soak.sh tests/load/loadlib.sh \
	tests/load/test_cluster.sh tests/load/clusterlib.sh \
	tests/load/storm.sh tests/load/scale.sh tests/load/soak.sh
