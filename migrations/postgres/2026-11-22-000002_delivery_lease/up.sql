-- A worker holds an instance's queue for a while, so several Weft processes sharing one
-- database never send the same instance's deliveries at once.
ALTER TABLE instances ADD COLUMN lease_owner TEXT;
ALTER TABLE instances ADD COLUMN lease_until TIMESTAMP;
