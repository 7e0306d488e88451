-- Broadside schema, version 4: idempotency keys (broadside-api(7),
-- IDEMPOTENT REQUESTS).  (Number 3 is another change's.)
--
-- The answer to a request sent with an Idempotency-Key, written in the same
-- transaction as the change it answers, so that a retry after a crash gets
-- the answer the lost one would have brought.  A key is scoped to its
-- caller and its target.  Keys of a battle go with it (ON DELETE CASCADE);
-- those without a battle (creating a battle, deleting one) only expire.
-- Expired rows, and rows past the per-caller and total bounds, are deleted
-- at start-up and by a periodic sweep (src/api/idempotent.c).

CREATE TABLE idempotency (
	caller       BLOB NOT NULL,           -- SHA-256 of the bearer token,
	                                      -- or of the client address
	target       TEXT NOT NULL,           -- "POST /v1/battles/ID/ships"
	key          TEXT NOT NULL,           -- 1..64 of [A-Za-z0-9_-]
	fingerprint  BLOB NOT NULL,           -- SHA-256 of method, path, body
	battle_id    TEXT REFERENCES battles(id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,        -- Unix ms
	expires_at   INTEGER NOT NULL,        -- Unix ms
	status       INTEGER NOT NULL,
	content_type TEXT,
	location     TEXT,
	body         BLOB NOT NULL,
	PRIMARY KEY (caller, target, key)
);

CREATE INDEX idempotency_expiry ON idempotency (expires_at);
CREATE INDEX idempotency_battle ON idempotency (battle_id);
