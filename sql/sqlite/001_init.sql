-- Broadside schema, version 1.  Applied at start-up by src/store.c in one
-- transaction that also sets PRAGMA user_version = 1.
--
-- A battle is restored from its newest snapshot plus every accepted order
-- and GM edit recorded after it, replayed through the rules engine in
-- sequence order (the engine is deterministic, so the result is exact).

CREATE TABLE battles (
	id            TEXT PRIMARY KEY,
	created_at    INTEGER NOT NULL,       -- Unix ms
	name          TEXT NOT NULL,
	join_code     TEXT NOT NULL,
	gm_token_hash BLOB NOT NULL,          -- SHA-256 of the GM token
	phase         TEXT NOT NULL,          -- lobby, planning, ended
	round_deadline INTEGER,               -- Unix ms, or NULL
	ended_at      INTEGER                 -- Unix ms, or NULL
);

CREATE TABLE players (
	battle_id  TEXT NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	player_id  INTEGER NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,             -- player, spectator
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (battle_id, player_id)
);

-- Every accepted order and GM edit, in the order the engine applied them.
CREATE TABLE actions (
	battle_id TEXT NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,           -- per battle, from 1
	kind      TEXT NOT NULL,              -- order, edit, start, end, ...
	actor     TEXT NOT NULL,              -- gm, player:N
	body      TEXT NOT NULL,              -- JSON
	at        INTEGER NOT NULL,           -- Unix ms
	PRIMARY KEY (battle_id, seq)
);

CREATE TABLE log (
	battle_id TEXT NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,           -- the log entry's sequence
	round     INTEGER NOT NULL,
	entry     TEXT NOT NULL,              -- JSON, the GM's (full) view
	PRIMARY KEY (battle_id, seq)
);

-- zlib-compressed engine state, taken at least once per round.
CREATE TABLE snapshots (
	battle_id  TEXT NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	action_seq INTEGER NOT NULL,          -- last action included
	round      INTEGER NOT NULL,
	state      BLOB NOT NULL,
	raw_size   INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (battle_id, action_seq)
);
