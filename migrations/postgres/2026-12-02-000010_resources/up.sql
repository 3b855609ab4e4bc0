-- The resource library (methods, stories, case studies, tools, …) of a community, with
-- every version kept. Keep in step with ../../sqlite/2026-12-02-000010_resources/up.sql.

-- Folders nest (a folder with no parent is at the top of its community's library); one
-- name per parent. A folder of a remote community is known by its ap_id.
CREATE TABLE resource_folders (
    id BIGSERIAL PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES resource_folders (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX resource_folders_name
    ON resource_folders (community_id, COALESCE(parent_id, 0), name);

-- What makes an item (kind 'resource') a resource: its folder (none: the top of the
-- library) and the version it is at. The item row holds the current title and text.
CREATE TABLE resources (
    item_id BIGINT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    folder_id BIGINT REFERENCES resource_folders (id) ON DELETE SET NULL,
    current_version INTEGER NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX resources_folder ON resources (folder_id);

-- Every version of a resource, as it was written: the first is version 1. Tags and
-- attachments are JSON arrays.
CREATE TABLE resource_versions (
    id BIGSERIAL PRIMARY KEY,
    resource_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    description_source TEXT NOT NULL,
    description_html TEXT NOT NULL,
    tags TEXT NOT NULL,
    link TEXT,
    attachments TEXT NOT NULL,
    message TEXT,
    edited_by BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (resource_id, version)
);
