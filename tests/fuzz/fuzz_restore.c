/*
 * Fuzz target: restoring a battle from stored rows (src/battles_restore.c,
 * src/persist.c's reading back, src/game/codec.c, src/action.c).  The
 * input up to the first NUL byte is a snapshot (codec_save() text); after
 * it, one stored action per line: "KIND<TAB>ACTOR<TAB>BODY" ("order",
 * "player:1", a JSON object), and lines "member<TAB>ID<TAB>ROLE".  The
 * rows go into a real store (SQLite, in a temporary directory), the
 * snapshot compressed as the storage thread compresses it, and
 * battles_restore() loads them as at start-up; then every view of the
 * battle is projected.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <zlib.h>

#include "alloc.h"
#include "battles.h"
#include "fuzz.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "store_sqlite.h"

#define FUZZ_RESTORE_MAX_ROWS 64

static struct loop *store_loop;
static struct store *store;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256], *path;

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	path = xasprintf("%s/restore.db", fuzz_tmpdir());
	if (loop_new(&store_loop) != 0 || store_open(&store, store_loop, path,
	    fuzz_sql_dir(), STORE_DURABILITY_NORMAL, NULL, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_restore: %s\n", err);
		abort();
	}
	free(path);
	/* Nothing here needs the disk to survive a crash. */
	sqlite3_exec(store_sqlite_db(store_conn(store)), "PRAGMA synchronous = OFF", NULL, NULL,
	    NULL);
	return 0;
}

static void
exec_sql(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(store_sqlite_db(store_conn(store)), sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "fuzz_restore: %s: %s\n", sql, msg);
		abort();
	}
}

static void
insert_snapshot(const uint8_t *text, size_t len)
{
	uLongf zlen = compressBound((uLong)len);
	Bytef *z = xmalloc(zlen);
	sqlite3_stmt *st;

	if (compress2(z, &zlen, text, (uLong)len, 1) != Z_OK)
		abort();
	sqlite3_prepare_v2(store_sqlite_db(store_conn(store)), "INSERT INTO snapshots (battle_id,"
	    " action_seq, round, state, raw_size, at) VALUES "
	    "('fuzzbattle', 0, 0, ?, ?, 0)", -1, &st, NULL);
	sqlite3_bind_blob(st, 1, z, (int)zlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
	if (sqlite3_step(st) != SQLITE_DONE)
		abort();
	sqlite3_finalize(st);
	free(z);
}

/* One row: an action, or a member.  Malformed lines are skipped. */
static void
insert_row(char *line, int seq)
{
	char *f[3], *tab;
	sqlite3_stmt *st;
	int n = 0;

	f[n++] = line;
	while (n < 3 && (tab = strchr(f[n - 1], '\t')) != NULL) {
		*tab = '\0';
		f[n++] = tab + 1;
	}
	if (n < 3)
		return;
	if (strcmp(f[0], "member") == 0) {
		sqlite3_prepare_v2(store_sqlite_db(store_conn(store)), "INSERT OR IGNORE INTO "
		    "players (battle_id, player_id, name, role, token_hash, "
		    "created_at) VALUES ('fuzzbattle', ?, 'M', ?, "
		    "randomblob(32), 0)", -1, &st, NULL);
		sqlite3_bind_int(st, 1, (int)strtol(f[1], NULL, 10));
		sqlite3_bind_text(st, 2, f[2], -1, SQLITE_STATIC);
	} else {
		sqlite3_prepare_v2(store_sqlite_db(store_conn(store)), "INSERT INTO actions "
		    "(battle_id, seq, kind, actor, body, at) VALUES "
		    "('fuzzbattle', ?, ?, ?, ?, 0)", -1, &st, NULL);
		sqlite3_bind_int(st, 1, seq);
		sqlite3_bind_text(st, 2, f[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f[1], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, f[2], -1, SQLITE_STATIC);
	}
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
project(struct live_battle *lb, void *arg)
{
	(void)arg;
	for (int v = 0; v < VIEWER_COUNT; v++)
		json_decref(live_battle_document(lb, (enum viewer)v));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *snap, *rows;
	size_t slen, rlen;
	struct loop *loop;
	struct battles *reg;
	char err[256];

	fuzz_split(data, size, 0, &snap, &slen, &rows, &rlen);
	exec_sql("BEGIN; DELETE FROM battles; INSERT INTO battles (id, "
	    "created_at, name, join_code, gm_token_hash, phase) VALUES "
	    "('fuzzbattle', 0, 'Fuzz', 'ABCDEF', randomblob(32), 'lobby')");
	insert_snapshot(snap, slen);
	if (rows != NULL) {
		char *text = fuzz_strndup(rows, rlen), *line = text;

		for (int seq = 1; line != NULL && seq <= FUZZ_RESTORE_MAX_ROWS;
		    seq++) {
			char *nl = strchr(line, '\n');

			if (nl != NULL)
				*nl = '\0';
			insert_row(line, seq);
			line = nl != NULL ? nl + 1 : NULL;
		}
		free(text);
	}
	exec_sql("COMMIT");

	/* A loop of its own: what restore defers dies with the battles. */
	if (loop_new(&loop) != 0)
		abort();
	reg = battles_new(loop, store, NULL, NULL, &(struct battles_options){
		.max_battles = 4, .max_ships = 16, .max_players = 8,
		.max_spectators = 8, .snapshot_every = 64,
	    });
	if (battles_restore(reg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_restore: %s\n", err);
		abort();
	}
	battles_foreach(reg, project, NULL);
	battles_free(reg);
	loop_free(loop);
	return 0;
}
