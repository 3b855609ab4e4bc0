-- Events (meetings, seminars) and RSVPs. Keep in step with ../../postgres/2026-12-01-000003_events/up.sql.

-- What makes an item (kind 'event') an event: when and where, and how many may come.
-- RSVPs are answered by the event's community (the item's origin community).
CREATE TABLE events (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    timezone TEXT,
    online_url TEXT,
    place_name TEXT,
    place_address TEXT,
    capacity INTEGER,
    status TEXT NOT NULL DEFAULT 'confirmed',
    -- The RSVP poll's counts changed since they were last sent (local events), and when
    -- they were last sent: updates go out at most once a minute.
    poll_changed_at TIMESTAMP,
    poll_sent_at TIMESTAMP
);
CREATE INDEX events_poll_changed ON events (poll_changed_at);
CREATE INDEX events_starts ON events (starts_at);

-- One answer per person per event: going, maybe or declined. On the hosting instance
-- the answer is settled ('accepted'); a member here answering a remote event waits
-- ('pending') for the community's Accept or Reject.
CREATE TABLE rsvps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    answer TEXT NOT NULL,
    state TEXT NOT NULL,
    activity_ap_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (event_id, person_id)
);
CREATE INDEX rsvps_activity ON rsvps (activity_ap_id);
