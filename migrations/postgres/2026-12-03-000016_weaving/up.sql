-- Weaving (PostgreSQL). Keep in step with ../../sqlite/2026-12-03-000016_weaving/up.sql.

-- What a community here wove in ("bridges in"): its `woven` placement (community, item,
-- weaver, note, time) and the activities that carried it, which unweaving undoes.
CREATE TABLE weaves (
    id BIGSERIAL PRIMARY KEY,
    placement_id BIGINT NOT NULL UNIQUE REFERENCES placements (id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    origin_community_id BIGINT REFERENCES actors (id) ON DELETE SET NULL,
    announce_ap_id TEXT NOT NULL UNIQUE,
    note_ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX weaves_community ON weaves (community_id, id);

-- Where the items of this instance's communities were woven ("bridges out"): told by the
-- weaving community's `Announce` (or written directly when it is a community here).
CREATE TABLE weave_travels (
    id BIGSERIAL PRIMARY KEY,
    origin_community_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    woven_into_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    weaver_id BIGINT REFERENCES actors (id) ON DELETE SET NULL,
    note TEXT,
    announce_ap_id TEXT NOT NULL UNIQUE,
    woven_at TIMESTAMP NOT NULL,
    UNIQUE (woven_into_id, item_id)
);
CREATE INDEX weave_travels_origin ON weave_travels (origin_community_id, id);
