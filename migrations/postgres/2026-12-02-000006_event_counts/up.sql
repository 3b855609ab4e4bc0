-- The counts a remote event's hosting instance publishes (its Event's participantCount and
-- remainingAttendeeCapacity, or its RSVP poll's votes), shown on this instance in place of
-- the answers only its own members gave. Keep in step with
-- ../../sqlite/2026-12-02-000006_event_counts/up.sql.
ALTER TABLE events ADD COLUMN published_going BIGINT;
ALTER TABLE events ADD COLUMN published_maybe BIGINT;
ALTER TABLE events ADD COLUMN published_declined BIGINT;
ALTER TABLE events ADD COLUMN published_remaining BIGINT;
-- 'event' or 'poll': once a poll's counts arrived, an Event's are not taken over them.
ALTER TABLE events ADD COLUMN published_from TEXT;
