-- Memberships and joining (PostgreSQL). Keep in step with ../../sqlite/2026-12-02-000009_membership/up.sql.
-- A community's join policy: open (a follow or a local join makes a member), approval
-- (a request, i.e. a pending follow of the community, waits for a lead or facilitator),
-- invite (only holders of an invitation, or people invited by name, may join).
ALTER TABLE communities ADD COLUMN join_policy TEXT NOT NULL DEFAULT 'open';
-- An invitation to a community may name the person it is for (local or remote): their
-- Follow, or their local join, is then pre-approved.
ALTER TABLE invitations ADD COLUMN invitee_id BIGINT REFERENCES actors (id) ON DELETE CASCADE;
CREATE INDEX invitations_invitee ON invitations (community_id, invitee_id);
CREATE INDEX memberships_role ON memberships (community_id, role);
