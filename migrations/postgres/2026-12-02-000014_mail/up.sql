-- Mail (PostgreSQL). Keep in step with ../../sqlite/2026-12-02-000014_mail/up.sql.
-- A service writes a mail job in the transaction of the change that causes it; the mail
-- worker claims due jobs with a lease, sends them over SMTP and marks them sent.

CREATE TABLE mail_jobs (
    id BIGSERIAL PRIMARY KEY,
    -- confirm, reset, join_request, digest
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    -- the local person it is for, when it is for one
    actor_id BIGINT REFERENCES actors (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    -- the rendered parts; emptied once sent (they may hold a single-use link)
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    -- RFC 8058 one-click unsubscribe address (List-Unsubscribe), for digests
    unsubscribe_url TEXT,
    -- queued, sent, failed
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX mail_jobs_due ON mail_jobs (status, next_attempt_at);

-- Single-use secrets sent by mail (confirm an address, reset a password) and the
-- unsubscribe secret of digests; stored as SHA-256 only.
CREATE TABLE mail_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    -- confirm, reset, unsubscribe
    purpose TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    -- the address the token was sent to: void once the account's address changes
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    used_at TIMESTAMP
);
CREATE INDEX mail_tokens_actor ON mail_tokens (actor_id, purpose);

-- A local account's mail: when its address was confirmed, and the weekly digest.
CREATE TABLE account_mail (
    actor_id BIGINT PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    email_confirmed_at TIMESTAMP,
    digest BOOLEAN NOT NULL DEFAULT false,
    -- when the last digest was made (sent, or nothing to say): the next is due a week on
    digest_last_at TIMESTAMP
);
CREATE INDEX account_mail_digest ON account_mail (digest, digest_last_at);
