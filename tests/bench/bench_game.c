/*
 * bench_game: how fast the rules engine resolves rounds and projects
 * views, at the seed's battle size: one crewed frigate and ten GM ships,
 * every weapon firing every round.  A battle that ends (or runs its
 * missiles dry) is replaced by a fresh one.  Prints median and p99 per
 * round, per attack and per projection, then one JSON line with the same
 * figures.  It measures; it never fails on a timing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "game/game.h"

#define ROUNDS		20000
#define GM_SHIPS	10

static const struct actor gm = { ACTOR_GM, 0 };
static const struct actor player = { ACTOR_PLAYER, 1 };

static const char *const classes[] = { "scout", "corvette", "trader",
	"frigate", "destroyer" };

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
must(int rc, const struct refusal *why, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench_game: %s refused: %s\n", what,
		    why->text);
		exit(1);
	}
}

static void
add_ship(struct battle *b, const char *spec)
{
	struct refusal why = { 0 };
	json_t *j = json_loads(spec, 0, NULL);

	must(fleet_add(b, &gm, j, NULL, &why), &why, spec);
	json_decref(j);
}

static void
edit_ship(struct battle *b, int id, const char *changes)
{
	struct refusal why = { 0 };
	json_t *j = json_loads(changes, 0, NULL);

	must(fleet_edit(b, &gm, id, j, &why), &why, changes);
	json_decref(j);
}

/* Ships close together, with deep hulls and racks, so battles last. */
static struct battle *
setup(uint64_t seed)
{
	struct battle *b = NULL;
	char spec[512];
	int i;

	if (battle_new(&b, seed, NULL) != 0)
		exit(1);
	add_ship(b, "{\"class\":\"frigate\",\"side\":\"crew\",\"crewed\":true,"
	    "\"x\":500,\"y\":500,\"hull_max\":3000,\"sensors\":1000,"
	    "\"weapons\":[\"beam laser\",\"beam laser\","
	    "{\"type\":\"missile rack\",\"ammo\":99}]}");
	for (i = 0; i < GM_SHIPS; i++) {
		snprintf(spec, sizeof spec, "{\"class\":\"%s\",\"side\":"
		    "\"%s\",\"x\":%d,\"y\":%d,\"hull_max\":400,\"name\":"
		    "\"Enemy %d\",\"notes\":\"plan %d\",\"hidden\":%s}",
		    classes[i % 5], i == 0 ? "crew" : "hostile",
		    300 + 40 * i, 300 + (i * 37) % 400, i, i,
		    i % 4 == 3 ? "true" : "false");
		add_ship(b, spec);
	}
	/* Deep missile racks: frigates' mount 2, destroyers' 1 and 2. */
	for (i = 0; i < GM_SHIPS; i++) {
		if (i % 5 == 3)
			edit_ship(b, i + 2, "{\"ammo\":{\"2\":99}}");
		if (i % 5 == 4)
			edit_ship(b, i + 2, "{\"ammo\":{\"1\":99,\"2\":99}}");
	}
	if (crew_player_add(b, "Bench", NULL, NULL) != 0)
		exit(1);
	for (i = 0; i < STATION_COUNT; i++)
		crew_assign(b, &gm, 1, (enum station)i, NULL);
	if (battle_start(b, &gm, NULL, NULL) != 0)
		exit(1);
	return b;
}

/* Every weapon of every ship fires; returns how many were refused. */
static int
give_orders(struct battle *b, int *target)
{
	char order[512];
	struct refusal why;
	json_t *j;
	int r = battle_round(b), id, refused = 0, nweapons;

	*target = 3 + r % (GM_SHIPS - 1);	/* a hostile ship */
	snprintf(order, sizeof order, "{\"round\":%d,\"station\":\"gunner\","
	    "\"type\":\"fire\",\"fire\":[{\"weapon\":0,\"target\":%d},"
	    "{\"weapon\":1,\"target\":%d},{\"weapon\":2,\"target\":%d}]}", r,
	    *target, *target, *target);
	j = json_loads(order, 0, NULL);
	refused += order_submit(b, &player, j, &why) != 0;
	json_decref(j);
	for (id = 2; id <= GM_SHIPS + 1; id++) {
		nweapons = (id - 2) % 5 == 0 ? 1 : (id - 2) % 5 <= 2 ? 2 : 3;
		snprintf(order, sizeof order, "{\"round\":%d,\"ship\":%d,"
		    "\"fire\":[{\"weapon\":0,\"target\":%d}%s%s]}", r, id,
		    id == 2 ? *target : 1,
		    nweapons > 1 ? ",{\"weapon\":1,\"target\":1}" : "",
		    nweapons > 2 ? ",{\"weapon\":2,\"target\":1}" : "");
		if (id == 2)	/* the crew-side escort */
			snprintf(order, sizeof order, "{\"round\":%d,"
			    "\"ship\":2,\"fire\":[{\"weapon\":0,"
			    "\"target\":%d}]}", r, *target);
		j = json_loads(order, 0, NULL);
		refused += order_submit(b, &gm, j, &why) != 0;
		json_decref(j);
	}
	return refused;
}

static int
cmp_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct figures {
	double	median_us, p99_us;
};

static struct figures
figures(int64_t *ns, size_t n)
{
	struct figures f = { 0, 0 };

	if (n == 0)
		return f;
	qsort(ns, n, sizeof *ns, cmp_ns);
	f.median_us = (double)ns[n / 2] / 1000.0;
	f.p99_us = (double)ns[(n * 99) / 100] / 1000.0;
	return f;
}

static int64_t
time_view(const struct battle *b, enum viewer viewer)
{
	int64_t t0 = now_ns();
	json_t *view = view_battle(b, viewer);
	int64_t t1 = now_ns();

	json_decref(view);
	return t1 - t0;
}

int
main(void)
{
	static int64_t round_ns[ROUNDS], attack_ns[ROUNDS];
	static int64_t view_ns[3][ROUNDS];
	static const char *const view_names[3] = { "gm", "crew",
	    "spectator" };
	struct figures round_f, attack_f, view_f[3];
	struct battle *b;
	uint64_t seed = 1;
	long attacks = 0, refused = 0, battles = 1;
	int i, v, target, n;
	int64_t t0, t1;
	json_t *log, *e;
	size_t k;

	b = setup(seed);
	for (i = 0; i < ROUNDS; i++) {
		refused += give_orders(b, &target);
		log = json_array();
		t0 = now_ns();
		resolve_round(b, log);
		t1 = now_ns();
		n = 0;
		json_array_foreach(log, k, e)
			n += strcmp(json_string_value(json_object_get(e,
			    "kind")), "attack") == 0;
		json_decref(log);
		attacks += n;
		round_ns[i] = t1 - t0;
		attack_ns[i] = n > 0 ? (t1 - t0) / n : 0;
		for (v = 0; v < 3; v++)
			view_ns[v][i] = time_view(b, (enum viewer)v);
		if (battle_phase(b) == PHASE_ENDED || battle_round(b) > 40) {
			battle_free(b);
			b = setup(++seed);
			battles++;
		}
	}
	battle_free(b);
	round_f = figures(round_ns, ROUNDS);
	attack_f = figures(attack_ns, ROUNDS);
	for (v = 0; v < 3; v++)
		view_f[v] = figures(view_ns[v], ROUNDS);
	printf("bench_game: %d rounds, %ld battles, %ld attacks "
	    "(%.1f a round), %ld orders refused\n", ROUNDS, battles, attacks,
	    (double)attacks / ROUNDS, refused);
	printf("  resolution per round:  median %8.2f us  p99 %8.2f us\n",
	    round_f.median_us, round_f.p99_us);
	printf("  resolution per attack: median %8.2f us  p99 %8.2f us "
	    "(goal: p99 < 50 us)\n", attack_f.median_us, attack_f.p99_us);
	for (v = 0; v < 3; v++)
		printf("  projection %-9s:  median %8.2f us  p99 %8.2f us\n",
		    view_names[v], view_f[v].median_us, view_f[v].p99_us);
	printf("{\"bench\":\"game\",\"rounds\":%d,\"attacks\":%ld,"
	    "\"round_us\":{\"median\":%.2f,\"p99\":%.2f},"
	    "\"attack_us\":{\"median\":%.2f,\"p99\":%.2f},\"view_us\":{",
	    ROUNDS, attacks, round_f.median_us, round_f.p99_us,
	    attack_f.median_us, attack_f.p99_us);
	for (v = 0; v < 3; v++)
		printf("%s\"%s\":{\"median\":%.2f,\"p99\":%.2f}", v ? "," : "",
		    view_names[v], view_f[v].median_us, view_f[v].p99_us);
	printf("}}\n");
	return 0;
}
