-- A community's profile beyond the Group's name and domain statement (issue 10), for
-- local communities and the stored copies of remote ones alike. Keep in step with
-- ../../postgres/2026-12-02-000008_community_profile/up.sql.

-- The rest of the profile: terms of reference as served (HTML; the markdown source is
-- communities.terms_of_reference), meeting rhythm, language, and for a proposal why it
-- is needed and who proposed it.
CREATE TABLE community_profiles (
    actor_id INTEGER PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    terms_of_reference_html TEXT NOT NULL DEFAULT '',
    meeting_rhythm TEXT NOT NULL DEFAULT '',
    language TEXT,
    why TEXT NOT NULL DEFAULT '',
    proposer_id INTEGER REFERENCES actors (id) ON DELETE SET NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Tags, lower-cased, without '#'.
CREATE TABLE community_tags (
    community_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (community_id, tag)
);
CREATE INDEX community_tags_tag ON community_tags (tag);

-- What a community means to harvest (seminar, blog, funding bid, …) and how far it got.
CREATE TABLE community_objectives (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    done_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX community_objectives_community ON community_objectives (community_id, id);

-- Local people interested in a proposed community (remote people follow it instead).
CREATE TABLE community_interest (
    community_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, person_id)
);

CREATE INDEX communities_parent ON communities (parent_id);
