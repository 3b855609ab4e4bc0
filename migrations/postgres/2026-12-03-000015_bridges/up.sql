-- Bridges: a local community (B) follows another community (A, here or elsewhere) and
-- takes what A announces as placements `how = 'bridged'` (weft_core::constellation::bridges).
-- The follow itself is the `follows` row (B -> A); this row is what B's lead chose:
-- the kinds placed in B and the kinds passed on to B's own followers, each a
-- comma-separated list of `threads`, `events`, `resources`. `state` is `linked` or
-- `unlinked` (after `Undo(Follow)`; the placements it made stay, marked bridged).
-- Keep in step with ../../sqlite/2026-12-03-000015_bridges/up.sql.
CREATE TABLE bridges (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    target_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    place_kinds TEXT NOT NULL,
    pass_kinds TEXT NOT NULL,
    state TEXT NOT NULL,
    created_by BIGINT REFERENCES actors (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, target_id)
);
CREATE INDEX bridges_target ON bridges (target_id, state);
