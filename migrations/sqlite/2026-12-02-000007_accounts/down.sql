DROP TABLE invitations;
DROP TABLE instance_settings;
DROP TABLE login_failures;
DROP TABLE sessions;
CREATE TABLE local_users_old (
    actor_id INTEGER PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    api_token_hash TEXT NOT NULL UNIQUE,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO local_users_old (actor_id, api_token_hash, is_admin, created_at)
    SELECT u.actor_id, COALESCE((SELECT t.token_hash FROM api_tokens t WHERE t.actor_id = u.actor_id ORDER BY t.id LIMIT 1), 'none:' || u.actor_id), u.is_admin, u.created_at
    FROM local_users u;
DROP TABLE local_users;
ALTER TABLE local_users_old RENAME TO local_users;
DROP TABLE api_tokens;
