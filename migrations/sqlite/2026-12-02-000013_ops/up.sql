-- Instances an admin blocked (`weft admin block DOMAIN`): their inbox posts are refused
-- and nothing is delivered to them (weft_core::rules::may_federate_with). Kept by domain
-- (host[:port], as in `instances`), so a block holds before the instance is first seen.
-- Keep in step with ../../postgres/2026-12-02-000013_ops/up.sql.
CREATE TABLE blocked_instances (
    domain TEXT PRIMARY KEY NOT NULL,
    reason TEXT,
    blocked_at TIMESTAMP NOT NULL
);
