-- Accounts (PostgreSQL). Keep in step with ../../sqlite/2026-12-02-000007_accounts/up.sql.

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX api_tokens_actor ON api_tokens (actor_id);
INSERT INTO api_tokens (actor_id, name, token_hash, created_at)
    SELECT actor_id, 'command line', api_token_hash, created_at FROM local_users;

ALTER TABLE local_users DROP COLUMN api_token_hash;
ALTER TABLE local_users ADD COLUMN email TEXT;
ALTER TABLE local_users ADD COLUMN password_hash TEXT;
ALTER TABLE local_users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE local_users ADD COLUMN application TEXT;
CREATE UNIQUE INDEX local_users_email ON local_users (email);

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent TEXT
);
CREATE INDEX sessions_actor ON sessions (actor_id);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (subject, failed_at);

CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE invitations (
    id BIGSERIAL PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    community_id BIGINT REFERENCES actors (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES actors (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0
);
