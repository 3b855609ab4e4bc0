-- Calendar feeds (PostgreSQL). Keep in step with ../../sqlite/2026-12-02-000012_calendar_feeds/up.sql.
-- A person's private calendar URL (/feeds/calendars/SECRET.ics): one per person, the
-- secret stored only as its SHA-256 (like API tokens); a new one replaces the old,
-- deleting the row revokes it.
CREATE TABLE calendar_secrets (
    actor_id BIGINT PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
-- The events a person answered (their calendar).
CREATE INDEX rsvps_person ON rsvps (person_id);
