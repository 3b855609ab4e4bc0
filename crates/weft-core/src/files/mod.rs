//! Uploaded files: a community library's documents, images and recordings. The bytes
//! are checked (size, type read from the contents), stored once under their SHA-256 in
//! the configured [`storage`], and recorded per community in the `files` table; they are
//! served publicly at `/files/{sha256}`.

pub mod kinds;
pub mod name;
pub mod storage;

use crate::CoreError;
use bytes::Bytes;
use std::sync::Arc;
pub use storage::{FileKey, S3Settings, Storage, StorageError, StorageSettings, StoredFile};
use weft_db::Db;
use weft_db::files::{FileRow, NewFile};
use weft_db::models::ActorRow;

/// The largest file taken unless configured otherwise: 25 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// Room for the multipart form around a file: an upload body may be this much larger
/// than the largest file (a proxy in front allows the sum).
pub const FORM_OVERHEAD: u64 = 1024 * 1024;

/// The file store and its limits, shared by the API (uploads) and the file route.
#[derive(Clone)]
pub struct Files {
    pub storage: Arc<dyn Storage>,
    /// The largest file taken, in bytes.
    pub max_bytes: u64,
}

impl Files {
    pub fn open(settings: &StorageSettings, max_bytes: u64) -> Result<Files, String> {
        Ok(Files {
            storage: storage::open(settings)?,
            max_bytes,
        })
    }
}

/// Why an upload or a download did not happen.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is larger than {limit} bytes, the most this instance takes")]
    TooLarge { limit: u64 },
    /// A type the library does not take (read from the bytes).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<weft_db::DbError> for FileError {
    fn from(e: weft_db::DbError) -> Self {
        FileError::Core(e.into())
    }
}

/// Stores a file `me` uploads to the library of the local `community`, named `raw_name`
/// by their client. The answer is the community's row for these bytes, and whether it is
/// new (the same bytes again give the row they already have). Nothing is stored when
/// anything is refused; the bytes are stored once however many communities have them.
pub async fn upload(
    db: &Db,
    files: &Files,
    me: ActorRow,
    community: ActorRow,
    raw_name: &str,
    bytes: Bytes,
) -> Result<(FileRow, bool), FileError> {
    let (c, m) = (community.clone(), me.clone());
    db.read(move |conn| crate::rules::may_upload_file(conn, &c, &m))
        .await?;
    if bytes.len() as u64 > files.max_bytes {
        return Err(FileError::TooLarge {
            limit: files.max_bytes,
        });
    }
    let name = name::sanitise(raw_name);
    let media_type = kinds::sniff(&bytes, &name).map_err(FileError::Refused)?;
    let key = FileKey::of(&bytes);
    let size = bytes.len() as i64;
    let stored_now = files.storage.put(&key, bytes).await?;
    let sha256 = key.as_str().to_string();
    let recorded = db
        .write(move |conn| {
            // Asked again in the transaction: a role may have changed meanwhile.
            crate::rules::may_upload_file(conn, &community, &me)?;
            let row = NewFile {
                sha256: &sha256,
                media_type,
                size,
                uploader_id: me.id,
                community_id: community.id,
                name: &name,
                created_at: weft_db::now(),
            };
            match weft_db::files::insert(conn, &row)? {
                Some(new) => Ok((new, true)),
                None => Ok::<_, CoreError>((
                    weft_db::files::in_community(conn, community.id, &sha256)?
                        .expect("the row that conflicted"),
                    false,
                )),
            }
        })
        .await;
    if recorded.is_err() && stored_now {
        forget_unrecorded(db, files, &key).await;
    }
    Ok(recorded?)
}

/// Removes bytes this upload stored when it could not record them, unless some other
/// upload recorded the same bytes meanwhile.
async fn forget_unrecorded(db: &Db, files: &Files, key: &FileKey) {
    let sha256 = key.as_str().to_string();
    let referenced = db
        .read(move |c| weft_db::files::count_by_sha256(c, &sha256))
        .await;
    if matches!(referenced, Ok(0))
        && let Err(e) = files.storage.delete(key).await
    {
        tracing::warn!("could not remove {key} after a failed upload: {e}");
    }
}

/// A community's files in upload order, after the id `after`, at most `limit`.
pub async fn of_community(
    db: &Db,
    community: ActorRow,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<FileRow>, FileError> {
    Ok(db
        .read(move |c| weft_db::files::of_community(c, community.id, after, limit))
        .await?)
}

/// The file whose SHA-256 is `sha256`, with its bytes to stream: `None` when `sha256` is
/// no digest, or no community has these bytes (stored objects nobody refers to are not
/// served), or the store has lost them (logged).
pub async fn open(
    db: &Db,
    files: &Files,
    sha256: &str,
) -> Result<Option<(FileRow, StoredFile)>, FileError> {
    let Some(key) = FileKey::parse(sha256) else {
        return Ok(None);
    };
    let k = key.as_str().to_string();
    let Some(row) = db
        .read(move |c| weft_db::files::first_by_sha256(c, &k))
        .await?
    else {
        return Ok(None);
    };
    match files.storage.get(&key).await? {
        Some(stored) => Ok(Some((row, stored))),
        None => {
            tracing::warn!(
                "the file {key} is recorded but missing from {}",
                files.storage.describe()
            );
            Ok(None)
        }
    }
}
