-- Broadside schema, version 6 (SQLite only): the idempotency table of
-- version 4, stored by battle.
--
-- Version 4 kept the keys in a rowid table with three indexes (its
-- primary key, expiry, battle): every key written touched four b-trees,
-- two of them at random places, and with an Idempotency-Key on every
-- order that was most of each commit's pages.  Here the rows are stored
-- in their primary key (WITHOUT ROWID), which starts with the battle, so
-- that a battle's keys are found (and deleted with it) through the key
-- itself, and a write touches this one b-tree.
--
-- battle_id is '' for a key that no battle's deletion takes (creating a
-- battle, deleting one); a key's battle follows from its target, so the
-- key (caller, target, key) stays unique.  A primary key column of a
-- WITHOUT ROWID table cannot be NULL, hence '' and no foreign key: the
-- daemon deletes a battle's keys in the transaction that deletes the
-- battle (src/persist_sqlite.c).
--
-- No index on expires_at either: the daemon's in-memory index names each
-- key it forgets, expired or past its bounds, and the minute's sweep
-- deletes those by key (src/api/idempotent.c); only the sweep at
-- start-up, and one after more keys were forgotten in a minute than the
-- index can name, pass over every key.

CREATE TABLE idempotency_6 (
	caller       BLOB NOT NULL,
	target       TEXT NOT NULL,
	key          TEXT NOT NULL,
	fingerprint  BLOB NOT NULL,
	battle_id    TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	status       INTEGER NOT NULL,
	content_type TEXT,
	location     TEXT,
	body         BLOB NOT NULL,
	PRIMARY KEY (battle_id, caller, target, key)
) WITHOUT ROWID;

INSERT INTO idempotency_6 SELECT caller, target, key, fingerprint,
    coalesce(battle_id, ''), created_at, expires_at, status, content_type,
    location, body FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_6 RENAME TO idempotency;
