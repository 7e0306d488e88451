-- Broadside schema, version 4: idempotency keys (broadside-api(7),
-- IDEMPOTENT REQUESTS); sql/sqlite/004_idempotency.sql says why.

CREATE TABLE idempotency (
	caller       bytea NOT NULL,          -- SHA-256 of the bearer token,
	                                      -- or of the client address
	target       text NOT NULL,           -- "POST /v1/battles/ID/ships"
	key          text NOT NULL,           -- 1..64 of [A-Za-z0-9_-]
	fingerprint  bytea NOT NULL,          -- SHA-256 of method, path, body
	battle_id    text REFERENCES battles(id) ON DELETE CASCADE,
	created_at   bigint NOT NULL,         -- Unix ms
	expires_at   bigint NOT NULL,         -- Unix ms
	status       integer NOT NULL,
	content_type text,
	location     text,
	body         bytea NOT NULL,
	PRIMARY KEY (caller, target, key)
);

CREATE INDEX idempotency_expiry ON idempotency (expires_at);
CREATE INDEX idempotency_battle ON idempotency (battle_id);
