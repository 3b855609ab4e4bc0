-- What software a remote instance runs, from its NodeInfo (`software.name`, lower case),
-- so each instance is sent the form of an activity it reads (weft_core::software).
-- Checked when first seen and again when older than a day; a failed check leaves
-- `software` empty (unknown: both forms are sent) and says why in `software_error`.
-- Keep in step with ../../sqlite/2026-12-02-000005_instance_software/up.sql.
ALTER TABLE instances ADD COLUMN software TEXT;
ALTER TABLE instances ADD COLUMN software_checked_at TIMESTAMP;
ALTER TABLE instances ADD COLUMN software_error TEXT;
