# The rules engine (src/game/): a pure library inside libbroadside.a,
# its unit tests and its benchmark.  Included at the end of Makefile.am.

src_libbroadside_a_SOURCES += \
	src/game/game.h \
	src/game/state.h \
	src/game/battle.c \
	src/game/clock.c \
	src/game/codec.c \
	src/game/combatlog.c \
	src/game/crew.c \
	src/game/field.c src/game/field.h \
	src/game/fire.c \
	src/game/fleet.c \
	src/game/order.c \
	src/game/refusal.c \
	src/game/resolve.c src/game/resolve.h \
	src/game/rng.c src/game/rng.h \
	src/game/ship.c src/game/ship.h \
	src/game/view.c

GAME_TESTS = \
	tests/unit/test_game_rules \
	tests/unit/test_game_systems \
	tests/unit/test_game_orders \
	tests/unit/test_game_gm \
	tests/unit/test_game_views \
	tests/unit/test_game_codec \
	tests/unit/test_game_props

UNIT_TESTS += $(GAME_TESTS)

tests_unit_test_game_rules_SOURCES = tests/unit/test_game_rules.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_rules_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_rules_LDADD = $(UNIT_LDADD)
tests_unit_test_game_systems_SOURCES = tests/unit/test_game_systems.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_systems_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_systems_LDADD = $(UNIT_LDADD)
tests_unit_test_game_orders_SOURCES = tests/unit/test_game_orders.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_orders_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_orders_LDADD = $(UNIT_LDADD)
tests_unit_test_game_gm_SOURCES = tests/unit/test_game_gm.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_gm_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_gm_LDADD = $(UNIT_LDADD)
tests_unit_test_game_views_SOURCES = tests/unit/test_game_views.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_views_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_views_LDADD = $(UNIT_LDADD)
tests_unit_test_game_codec_SOURCES = tests/unit/test_game_codec.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_codec_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_codec_LDADD = $(UNIT_LDADD)
tests_unit_test_game_props_SOURCES = tests/unit/test_game_props.c \
	tests/unit/test_game_support.c tests/unit/test_game_support.h
tests_unit_test_game_props_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_game_props_LDADD = $(UNIT_LDADD)

BENCHES += tests/bench/bench_game
EXTRA_PROGRAMS += tests/bench/bench_game
tests_bench_bench_game_SOURCES = tests/bench/bench_game.c
tests_bench_bench_game_LDADD = src/libbroadside.a $(JANSSON_LIBS) $(LIBM)

dist_man_MANS += man/broadside-rules.7
