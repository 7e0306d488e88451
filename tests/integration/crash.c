/*
 * The client side of the crash-safety test (test_crash.sh):
 *
 *   crash setup URL STATE      creates a battle the GM can order forever
 *                              (one crewed ship, one hostile, round timer
 *                              600 s), writes "ID GM_TOKEN" to STATE
 *   crash orders URL STATE ACKED
 *                              submits every station's and the hostile's
 *                              order round after round, appending each
 *                              order that got 202 to ACKED (one JSON line,
 *                              as the server stores it), riding out
 *                              restarts of the daemon until killed
 *   crash verify DB ACKED      checks that every line of ACKED is an
 *                              order recorded in the database
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "client.h"

static const char *const stations[] = { "captain", "pilot", "gunner",
	"engineer", "sensors" };
static const char *const types[] = { "tactics", "evade", "hold", "hold",
	"scan" };

static int
setup(const char *statefile)
{
	struct reply r;
	char id[64], gm[64], path[128];
	FILE *f;

	client_json(&r, "POST", "/v1/battles", NULL, json_pack("{s:s, s:i}",
	    "name", "Crash test", "round_seconds", 600));
	expect_status(&r, 201, "create");
	snprintf(id, sizeof(id), "%s", reply_str(&r, "id"));
	snprintf(gm, sizeof(gm), "%s", reply_str(&r, "gm_token"));
	reply_free(&r);
	snprintf(path, sizeof(path), "/v1/battles/%s/ships", id);
	client_json(&r, "POST", path, gm, json_pack("{s:s, s:s, s:i, s:i, "
	    "s:b}", "class", "frigate", "side", "crew", "x", 100, "y", 100,
	    "crewed", 1));
	expect_status(&r, 201, "crewed ship");
	reply_free(&r);
	/* Far out of range: nobody is ever hurt, the battle never ends. */
	client_json(&r, "POST", path, gm, json_pack("{s:s, s:s, s:i, s:i}",
	    "class", "scout", "side", "hostile", "x", 990, "y", 990));
	expect_status(&r, 201, "hostile ship");
	reply_free(&r);
	snprintf(path, sizeof(path), "/v1/battles/%s/start", id);
	client_call(&r, "POST", path, gm, "", NULL);
	expect_status(&r, 200, "start");
	reply_free(&r);
	f = fopen(statefile, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "%s %s\n", id, gm);
	fclose(f);
	return 0;
}

/* The battle's round, or 0 while the daemon is away. */
static int
current_round(const char *id, const char *gm)
{
	char path[128];
	struct reply r;
	int round = 0;

	snprintf(path, sizeof(path), "/v1/battles/%s", id);
	if (client_call(&r, "GET", path, gm, NULL, NULL) == 0 &&
	    r.status == 200)
		round = (int)json_integer_value(json_object_get(r.json,
		    "round"));
	reply_free(&r);
	return round;
}

static void
submit(const char *id, const char *gm, json_t *order, FILE *acked)
{
	char *text = json_dumps(order, JSON_COMPACT | JSON_SORT_KEYS);
	char path[128];
	struct reply r;

	snprintf(path, sizeof(path), "/v1/battles/%s/orders", id);
	if (client_call(&r, "POST", path, gm, text, NULL) == 0 &&
	    r.status == 202) {
		fprintf(acked, "%s\n", text);
		fflush(acked);
	}
	reply_free(&r);
	free(text);
	json_decref(order);
}

static int
orders(const char *statefile, const char *ackfile)
{
	char id[64], gm[64];
	FILE *f = fopen(statefile, "r"), *acked;

	if (f == NULL || fscanf(f, "%63s %63s", id, gm) != 2)
		return 1;
	fclose(f);
	acked = fopen(ackfile, "a");
	if (acked == NULL)
		return 1;
	for (;;) {
		int round = current_round(id, gm);

		if (round == 0) {
			usleep(50000);
			continue;
		}
		for (int s = 0; s < 5; s++)
			submit(id, gm, json_pack("{s:i, s:s, s:s}", "round",
			    round, "station", stations[s], "type", types[s]),
			    acked);
		submit(id, gm, json_pack("{s:i, s:i}", "round", round, "ship",
		    2), acked);
	}
}

static int
verify(const char *dbfile, const char *ackfile)
{
	FILE *acked = fopen(ackfile, "r");
	sqlite3_stmt *st;
	char line[512];
	int n = 0, missing = 0;
	sqlite3 *db;

	if (acked == NULL || sqlite3_open_v2(dbfile, &db,
	    SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 1;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM actions WHERE kind = "
	    "'order' AND body = ?", -1, &st, NULL) != SQLITE_OK)
		return 1;
	while (fgets(line, sizeof(line), acked) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, line, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    sqlite3_column_int(st, 0) == 0) {
			fprintf(stderr, "acknowledged but not stored: %s\n",
			    line);
			missing++;
		}
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(acked);
	printf("%d acknowledged orders checked, %d missing\n", n, missing);
	return missing == 0 && n > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int rv = 2;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "setup") == 0) {
		client_init(argv[2]);
		rv = setup(argv[3]);
	} else if (argc == 5 && strcmp(argv[1], "orders") == 0) {
		client_init(argv[2]);
		rv = orders(argv[3], argv[4]);
	} else if (argc == 4 && strcmp(argv[1], "verify") == 0) {
		return verify(argv[2], argv[3]);
	} else {
		fprintf(stderr, "usage: crash setup URL STATE | orders URL "
		    "STATE ACKED | verify DB ACKED\n");
		return 2;
	}
	client_cleanup();
	return rv;
}
