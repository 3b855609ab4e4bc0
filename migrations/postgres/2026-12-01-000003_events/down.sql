DROP TABLE rsvps;
DROP TABLE events;
