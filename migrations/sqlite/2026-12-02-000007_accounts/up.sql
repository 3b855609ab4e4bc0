-- Accounts (SQLite). Keep in step with ../../postgres/2026-12-02-000007_accounts/up.sql.
-- A person logs in with a password (argon2id), holds several named API tokens and, in a
-- browser, sessions; the instance has a registration policy; invitations let people in.

-- API tokens: several per person, named, optionally expiring; stored as SHA-256 only.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX api_tokens_actor ON api_tokens (actor_id);
INSERT INTO api_tokens (actor_id, name, token_hash, created_at)
    SELECT actor_id, 'command line', api_token_hash, created_at FROM local_users;

-- local_users without the single token, with a password, an email and a status
-- (rebuilt: SQLite cannot drop a UNIQUE column).
CREATE TABLE local_users_new (
    actor_id INTEGER PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    email TEXT,
    password_hash TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    -- active, pending (awaiting an admin), rejected, suspended
    status TEXT NOT NULL DEFAULT 'active',
    -- "why I want to join", for an instance that approves registrations
    application TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO local_users_new (actor_id, is_admin, status, created_at)
    SELECT actor_id, is_admin, 'active', created_at FROM local_users;
DROP TABLE local_users;
ALTER TABLE local_users_new RENAME TO local_users;
CREATE UNIQUE INDEX local_users_email ON local_users (email);

-- Browser sessions (the web interface): expiring, revocable, stored hashed.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent TEXT
);
CREATE INDEX sessions_actor ON sessions (actor_id);

-- Failed log-ins, per account ('account:NAME') and per address ('address:IP'), for the
-- limits on guessing. Old rows are deleted as new ones are written.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (subject, failed_at);

-- Instance settings an admin changes at run time (registration_policy, …).
CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Invitations: to register on this instance (community_id NULL) or to join a community.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash TEXT NOT NULL UNIQUE,
    community_id INTEGER REFERENCES actors (id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0
);
