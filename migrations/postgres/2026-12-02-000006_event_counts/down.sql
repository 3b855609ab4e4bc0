ALTER TABLE events DROP COLUMN published_from;
ALTER TABLE events DROP COLUMN published_remaining;
ALTER TABLE events DROP COLUMN published_declined;
ALTER TABLE events DROP COLUMN published_maybe;
ALTER TABLE events DROP COLUMN published_going;
