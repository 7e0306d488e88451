-- Broadside schema, version 5: battle leases (doc/design.md, "Battle
-- leases").  A battle is served by one node at a time, its owner, until
-- lease_expires; every take adds one to lease_epoch, and every write of
-- the owner checks, in its own transaction, that the battle is still its
-- own at the epoch it took (fencing).  An SQLite file has one daemon (its
-- flock), which takes every lease at start-up; the columns are the same
-- as on PostgreSQL so that one code path serves both.

ALTER TABLE battles ADD COLUMN owner TEXT;              -- node id, or NULL
ALTER TABLE battles ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE battles ADD COLUMN lease_expires INTEGER NOT NULL DEFAULT 0;
                                                        -- Unix ms
