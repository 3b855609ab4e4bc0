-- The directory and the constellation (issue 12). Keep in step with
-- ../../postgres/2026-12-03-000017_directory/up.sql.

-- Every discoverable community this instance knows: its own (is_local) and those crawled
-- from the directories of the other members of its constellations. Keyed by the
-- community's URL; `source_domain` is the instance whose directory listed it.
CREATE TABLE directory_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    source_domain TEXT NOT NULL,
    is_local BOOLEAN NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    about TEXT NOT NULL,
    tags TEXT NOT NULL,
    language TEXT,
    lifecycle TEXT NOT NULL,
    member_count BIGINT NOT NULL,
    last_activity_at TIMESTAMP,
    fetched_at TIMESTAMP NOT NULL
);
CREATE INDEX directory_entries_source ON directory_entries (source_domain);

-- SQLite's own full-text index (FTS5, in the bundled library) over the words of the
-- entries, kept by triggers: the search service asks it with MATCH and ranks with bm25.
CREATE VIRTUAL TABLE directory_fts USING fts5(
    title, about, tags,
    content='directory_entries', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER directory_entries_ai AFTER INSERT ON directory_entries BEGIN
    INSERT INTO directory_fts(rowid, title, about, tags) VALUES (new.id, new.title, new.about, new.tags);
END;
CREATE TRIGGER directory_entries_ad AFTER DELETE ON directory_entries BEGIN
    INSERT INTO directory_fts(directory_fts, rowid, title, about, tags) VALUES ('delete', old.id, old.title, old.about, old.tags);
END;
CREATE TRIGGER directory_entries_au AFTER UPDATE ON directory_entries BEGIN
    INSERT INTO directory_fts(directory_fts, rowid, title, about, tags) VALUES ('delete', old.id, old.title, old.about, old.tags);
    INSERT INTO directory_fts(rowid, title, about, tags) VALUES (new.id, new.title, new.about, new.tags);
END;

-- Constellations this instance convened (their `Service` actor is local) or joined
-- (remote): the actor, and where its member list is served.
CREATE TABLE constellations (
    actor_id BIGINT PRIMARY KEY NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
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
    domain TEXT PRIMARY KEY NOT NULL,
    directory_url TEXT,
    etag TEXT,
    last_modified TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    fetched_at TIMESTAMP
);
