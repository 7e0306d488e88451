-- Broadside schema, version 1, in PostgreSQL's dialect (sql/sqlite/ has
-- SQLite's, numbered alike).  Applied at start-up by src/store_pg.c in one
-- transaction that also records the version in the schema_version table.
--
-- A battle is restored from its newest snapshot plus every accepted order
-- and GM edit recorded after it, replayed through the rules engine in
-- sequence order (the engine is deterministic, so the result is exact).

CREATE TABLE battles (
	id             text PRIMARY KEY,
	created_at     bigint NOT NULL,       -- Unix ms
	name           text NOT NULL,
	join_code      text NOT NULL,
	gm_token_hash  bytea NOT NULL,        -- SHA-256 of the GM token
	phase          text NOT NULL,         -- lobby, planning, ended
	round_deadline bigint,                -- Unix ms, or NULL
	ended_at       bigint                 -- Unix ms, or NULL
);

CREATE TABLE players (
	battle_id  text NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	player_id  bigint NOT NULL,
	name       text NOT NULL,
	role       text NOT NULL,             -- player, spectator
	token_hash bytea NOT NULL UNIQUE,
	created_at bigint NOT NULL,
	PRIMARY KEY (battle_id, player_id)
);

-- Every accepted order and GM edit, in the order the engine applied them.
CREATE TABLE actions (
	battle_id text NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	seq       bigint NOT NULL,            -- per battle, from 1
	kind      text NOT NULL,              -- order, edit, start, end, ...
	actor     text NOT NULL,              -- gm, player:N
	body      text NOT NULL,              -- JSON
	at        bigint NOT NULL,            -- Unix ms
	PRIMARY KEY (battle_id, seq)
);

CREATE TABLE log (
	battle_id text NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	seq       bigint NOT NULL,            -- the log entry's sequence
	round     bigint NOT NULL,
	entry     text NOT NULL,              -- JSON, the GM's (full) view
	PRIMARY KEY (battle_id, seq)
);

-- zlib-compressed engine state, taken at least once per round.
CREATE TABLE snapshots (
	battle_id  text NOT NULL REFERENCES battles(id) ON DELETE CASCADE,
	action_seq bigint NOT NULL,           -- last action included
	round      bigint NOT NULL,
	state      bytea NOT NULL,
	raw_size   bigint NOT NULL,
	at         bigint NOT NULL,
	PRIMARY KEY (battle_id, action_seq)
);
