ALTER TABLE instances DROP COLUMN lease_until;
ALTER TABLE instances DROP COLUMN lease_owner;
