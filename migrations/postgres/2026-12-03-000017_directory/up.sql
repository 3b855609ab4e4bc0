-- The directory and the constellation (issue 12). Keep in step with
-- ../../sqlite/2026-12-03-000017_directory/up.sql.

-- Every discoverable community this instance knows: its own (is_local) and those crawled
-- from the directories of the other members of its constellations. Keyed by the
-- community's URL; `source_domain` is the instance whose directory listed it. `search`
-- is PostgreSQL's own full-text vector of its words (title weighed most, then tags, then
-- the domain statement), under a GIN index.
CREATE TABLE directory_entries (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    source_domain TEXT NOT NULL,
    is_local BOOLEAN NOT NULL DEFAULT FALSE,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    about TEXT NOT NULL,
    tags TEXT NOT NULL,
    language TEXT,
    lifecycle TEXT NOT NULL,
    member_count BIGINT NOT NULL,
    last_activity_at TIMESTAMP,
    fetched_at TIMESTAMP NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', tags), 'B')
        || setweight(to_tsvector('english', about), 'C')
    ) STORED
);
CREATE INDEX directory_entries_source ON directory_entries (source_domain);
CREATE INDEX directory_entries_search ON directory_entries USING GIN (search);

-- Constellations this instance convened (their `Service` actor is local) or joined
-- (remote): the actor, and where its member list is served.
CREATE TABLE constellations (
    actor_id BIGINT PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    members_url TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The member instances of each constellation, by their instance actor: for a local
-- constellation those its admin accepted; for a joined one, the list last fetched.
CREATE TABLE constellation_members (
    constellation_id BIGINT NOT NULL REFERENCES constellations (actor_id) ON DELETE CASCADE,
    member TEXT NOT NULL,
    domain TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (constellation_id, member)
);
CREATE INDEX constellation_members_domain ON constellation_members (domain);

-- The crawl of each member instance's directory: its address, the validators of the
-- last answer (ETag, Last-Modified), and the backoff after failures.
CREATE TABLE directory_sources (
    domain TEXT PRIMARY KEY,
    directory_url TEXT,
    etag TEXT,
    last_modified TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    fetched_at TIMESTAMP
);
