DROP TABLE invitations;
DROP TABLE instance_settings;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP INDEX local_users_email;
ALTER TABLE local_users DROP COLUMN application;
ALTER TABLE local_users DROP COLUMN status;
ALTER TABLE local_users DROP COLUMN password_hash;
ALTER TABLE local_users DROP COLUMN email;
ALTER TABLE local_users ADD COLUMN api_token_hash TEXT;
UPDATE local_users u SET api_token_hash = COALESCE(
    (SELECT t.token_hash FROM api_tokens t WHERE t.actor_id = u.actor_id ORDER BY t.id LIMIT 1),
    'none:' || u.actor_id);
ALTER TABLE local_users ALTER COLUMN api_token_hash SET NOT NULL;
ALTER TABLE local_users ADD CONSTRAINT local_users_api_token_hash_key UNIQUE (api_token_hash);
DROP TABLE api_tokens;
