-- Uploaded files (SQLite). Keep in step with ../../postgres/2026-12-02-000011_files/up.sql.
-- The bytes are stored once, named by their SHA-256 (never by anything a client sent);
-- each community that has a file has one row for it, with who uploaded it first and the
-- name it came with (sanitised, used only for Content-Disposition).
CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploader_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, sha256)
);
CREATE INDEX files_sha256 ON files (sha256, id);
CREATE INDEX files_community ON files (community_id, id);
