/*
 * Helpers the game engine's unit tests share (test_game_support.c, linked
 * into each test_game_* program).  They drive the engine only through
 * src/game/game.h, as the daemon does.
 */
#ifndef BROADSIDE_TEST_GAME_SUPPORT_H
#define BROADSIDE_TEST_GAME_SUPPORT_H

#include <stdint.h>

#include <jansson.h>

#include "game/game.h"

extern const struct actor tg_gm, tg_spectator;
struct actor tg_player_actor(int id);
json_t *tg_jsonf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct battle *tg_battle(uint64_t seed);
/*
 * The duel: player 1 (skill 3) holds every station of the crewed corvette
 * (ship 1, at 100,100); a hostile frigate (ship 2) sits 200 units east;
 * started.
 */
struct battle *tg_duel(uint64_t seed);
int tg_ship(struct battle *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tg_edit(struct battle *b, int ship, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tg_player(struct battle *b, const char *name, int skill,
    const char *stations);
int tg_order(struct battle *b, const struct actor *who,
    struct refusal *why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tg_start(struct battle *b);
json_t *tg_resolve(struct battle *b);
json_t *tg_find(const json_t *log, const char *kind, int nth);
int tg_count(const json_t *log, const char *kind);
json_t *tg_gm_ship(const struct battle *b, int ship);
int tg_ship_int(const struct battle *b, int ship, const char *key);
const char *tg_ship_str(const struct battle *b, int ship, const char *key);
void tg_check_entry_sums(const json_t *entry);
char *tg_dump(const json_t *j);
/* The value of a log entry's modifier by name, 0 when it has none. */
int tg_modifier(const json_t *entry, const char *name);
/* An integer member; fails the test when there is none. */
int tg_int(const json_t *o, const char *key);

#endif
