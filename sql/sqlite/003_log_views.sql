-- Broadside schema, version 3: the crew's copy of each log entry.
--
-- A log entry is filtered for the crew (and spectators, who read the
-- crew's log) when it is written, against what the crew detected then,
-- so that reading the log later shows what the live stream showed: a
-- ship detected in round 4 does not give away its round-1 position.
-- Entries written before this version have none; they are filtered
-- against the battle as it stands when read.

ALTER TABLE log ADD COLUMN crew_entry TEXT;
