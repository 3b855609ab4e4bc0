//! Uploaded files: one row per community that has the bytes (their SHA-256), with who
//! uploaded them first and the name they came with. The bytes live in the file store.

use crate::schema::files;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A file a community has.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = files)]
pub struct FileRow {
    pub id: i64,
    /// The SHA-256 of the bytes, 64 lower-case hex digits: the key they are stored under.
    pub sha256: String,
    /// Read from the bytes when they were uploaded.
    pub media_type: String,
    pub size: i64,
    pub uploader_id: i64,
    pub community_id: i64,
    /// The uploaded file's name, sanitised: only ever used in `Content-Disposition`.
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = files)]
pub struct NewFile<'a> {
    pub sha256: &'a str,
    pub media_type: &'a str,
    pub size: i64,
    pub uploader_id: i64,
    pub community_id: i64,
    pub name: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn by_id(conn: &mut AnyConnection, id: i64) -> DbResult<Option<FileRow>> {
    Ok(files::table
        .find(id)
        .select(FileRow::as_select())
        .first(conn)
        .optional()?)
}

/// The community's row for these bytes, if it has them.
pub fn in_community(
    conn: &mut AnyConnection,
    community_id: i64,
    sha256: &str,
) -> DbResult<Option<FileRow>> {
    Ok(files::table
        .filter(files::community_id.eq(community_id))
        .filter(files::sha256.eq(sha256))
        .select(FileRow::as_select())
        .first(conn)
        .optional()?)
}

/// The first row for these bytes anywhere (its name is the one they are served with).
pub fn first_by_sha256(conn: &mut AnyConnection, sha256: &str) -> DbResult<Option<FileRow>> {
    Ok(files::table
        .filter(files::sha256.eq(sha256))
        .order(files::id.asc())
        .select(FileRow::as_select())
        .first(conn)
        .optional()?)
}

/// How many rows name these bytes (0: nothing refers to the stored object).
pub fn count_by_sha256(conn: &mut AnyConnection, sha256: &str) -> DbResult<i64> {
    Ok(files::table
        .filter(files::sha256.eq(sha256))
        .count()
        .get_result(conn)?)
}

/// Records a community's file; `None` when it has these bytes already (the row stays as
/// it was: the first uploader and name are kept).
pub fn insert(conn: &mut AnyConnection, row: &NewFile) -> DbResult<Option<FileRow>> {
    let id: Option<i64> = with_backend!(conn, c => diesel::insert_into(files::table)
        .values(row)
        .on_conflict((files::community_id, files::sha256))
        .do_nothing()
        .returning(files::id)
        .get_result(c)
        .optional()?);
    match id {
        Some(id) => by_id(conn, id),
        None => Ok(None),
    }
}

/// A community's files in upload order (by id, after `after`), at most `limit`.
pub fn of_community(
    conn: &mut AnyConnection,
    community_id: i64,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<FileRow>> {
    Ok(files::table
        .filter(files::community_id.eq(community_id))
        .filter(files::id.gt(after.unwrap_or(0)))
        .order(files::id.asc())
        .limit(limit)
        .select(FileRow::as_select())
        .load(conn)?)
}
