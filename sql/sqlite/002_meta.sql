-- Broadside schema, version 2: facts about the store itself.
--
-- "epoch" counts the daemon's starts on this database.  Event-stream ids
-- are EPOCH-SEQ, so a client that resumes with an id from before a restart
-- is told to take a fresh snapshot instead of a replay.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);

INSERT INTO meta (key, value) VALUES ('epoch', 0);
