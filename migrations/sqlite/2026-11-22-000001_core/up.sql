-- Weft core schema (SQLite). Keep in step with ../../postgres/2026-11-22-000001_core/up.sql.

-- Every actor Weft knows: local people, local communities (Group), the instance actor,
-- and cached remote actors. One table, so follows and authorship point at one place.
CREATE TABLE actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT,
    summary TEXT,
    summary_source TEXT,
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,
    is_local BOOLEAN NOT NULL,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT 0,
    discoverable BOOLEAN NOT NULL DEFAULT 1,
    posting_restricted_to_mods BOOLEAN NOT NULL DEFAULT 0,
    published_at TIMESTAMP NOT NULL,
    last_refreshed_at TIMESTAMP NOT NULL
);
-- Local names are unique across people and communities: checked by the service that
-- creates them, inside its transaction. (No partial index: SQLite re-prepares every
-- statement on this table whose plan could depend on one.)
CREATE INDEX actors_username ON actors (username, is_local);
CREATE INDEX actors_domain ON actors (domain);

-- What makes a local Group a community of practice.
CREATE TABLE communities (
    actor_id INTEGER PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    terms_of_reference TEXT NOT NULL DEFAULT '',
    lifecycle TEXT NOT NULL DEFAULT 'active',
    meeting_mode TEXT NOT NULL DEFAULT 'online',
    parent_id INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);

-- Local accounts. The API token is stored as a SHA-256 hash only.
CREATE TABLE local_users (
    actor_id INTEGER PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    api_token_hash TEXT NOT NULL UNIQUE,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- Roles of people in communities: lead, facilitator, weaver, member.
CREATE TABLE memberships (
    community_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, person_id)
);

CREATE TABLE follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    follower_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    target_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    activity_ap_id TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (follower_id, target_id)
);
CREATE INDEX follows_target ON follows (target_id, state);

-- An item (post now; resources and events later) exists once, whatever communities it is in.
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    object_type TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    origin_community_id INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    title TEXT,
    content TEXT NOT NULL,
    source TEXT,
    url TEXT,
    in_reply_to_id INTEGER REFERENCES items (id) ON DELETE SET NULL,
    in_reply_to_ap_id TEXT,
    thread_root_id INTEGER REFERENCES items (id) ON DELETE SET NULL,
    is_local BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX items_in_reply_to ON items (in_reply_to_id);
CREATE INDEX items_thread_root ON items (thread_root_id);

-- Where an item appears: created in, woven into, or bridged into a community.
CREATE TABLE placements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    how TEXT NOT NULL,
    by_actor_id INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    note TEXT,
    hops INTEGER NOT NULL DEFAULT 0,
    placed_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, item_id)
);
CREATE INDEX placements_feed ON placements (community_id, placed_at, id);

-- Every activity a local actor sent, in order; the outbox collection reads it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id TEXT NOT NULL UNIQUE,
    actor_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    object_ap_id TEXT,
    body TEXT NOT NULL,
    is_public BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_actor ON outbox (actor_id, id);

-- Remote instances we deliver to, with their health.
CREATE TABLE instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL UNIQUE,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    paused_until TIMESTAMP,
    last_success_at TIMESTAMP,
    last_failure_at TIMESTAMP,
    last_error TEXT
);

-- One row per (activity, remote inbox) still to be delivered; deleted once delivered.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    instance_id INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    UNIQUE (outbox_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (instance_id, id);
CREATE INDEX deliveries_next ON deliveries (next_attempt_at);

-- Ids of activities already processed, so a redelivery is dropped.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY,
    actor_ap_id TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
