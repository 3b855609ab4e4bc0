DROP INDEX memberships_role;
DROP INDEX invitations_invitee;
ALTER TABLE invitations DROP COLUMN invitee_id;
ALTER TABLE communities DROP COLUMN join_policy;
