-- Where a local post into a remote community stands. Keep in step with
-- ../../postgres/2026-12-02-000004_post_state/up.sql.
-- 'pending' until the community announces it, 'refused' (with the reason) when the
-- community sends a Reject or its server refuses the Create for good. An item without a
-- row here is published.
CREATE TABLE post_states (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    reason TEXT,
    updated_at TIMESTAMP NOT NULL
);
