# tools/load/: broadside-load(1), included from the top Makefile.am.  It
# plays battles with many simulated browsers (libcurl multi on the
# project's loop) and checks that nothing was lost.  The scenarios that
# run it live in tests/load/.

bin_PROGRAMS += tools/load/broadside-load
tools_load_broadside_load_SOURCES = tools/load/load.c tools/load/load.h \
	tools/load/bots.c tools/load/bots.h \
	tools/load/setup.c tools/load/play.c tools/load/sse.c \
	tools/load/checks.c \
	tools/load/net.c tools/load/net.h \
	tools/load/hist.c tools/load/hist.h
tools_load_broadside_load_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS)
tools_load_broadside_load_LDADD = src/libbroadside.a $(CURL_LIBS) \
	$(JANSSON_LIBS) $(LIBM)
dist_man_MANS += man/broadside-load.1
