-- Broadside schema, version 3: the crew's copy of each log entry.
--
-- A log entry is filtered for the crew (and spectators, who read the
-- crew's log) when it is written, against what the crew detected then,
-- so that reading the log later shows what the live stream showed.

ALTER TABLE log ADD COLUMN crew_entry text;
