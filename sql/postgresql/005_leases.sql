-- Broadside schema, version 5: battle leases; sql/sqlite/005_leases.sql
-- says why.  Expiry is compared with the server's clock (now()), so the
-- nodes' clocks do not matter.

ALTER TABLE battles
	ADD COLUMN owner text,                          -- node id, or NULL
	ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0,
	ADD COLUMN lease_expires bigint NOT NULL DEFAULT 0,   -- Unix ms
	-- When another node was last asked for the battle (Unix ms): its
	-- owner hands it over when nobody writes to it there (an SQLite file
	-- has one node, and no such column).
	ADD COLUMN wanted_at bigint NOT NULL DEFAULT 0;
