//! Where uploaded bytes are kept: one small interface, [`Storage`], with two
//! implementations chosen by configuration: a folder on the local disk (the default) and
//! S3-compatible object storage (`object_store`), for an organisation that outgrows one
//! disk or runs several `weft serve` processes. Both lay objects out the same way
//! (`ab/cd/abcd…`, the SHA-256 in hex), so a store can be copied from one to the other.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// The name bytes are stored under: their SHA-256, 64 lower-case hex digits. It can only
/// be made from the bytes or from text that is exactly such a digest, so no path a client
/// sends ever reaches the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileKey(String);

impl FileKey {
    pub fn of(bytes: &[u8]) -> FileKey {
        let digest = Sha256::digest(bytes);
        FileKey(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// `text` if it is a SHA-256 in lower-case hex.
    pub fn parse(text: &str) -> Option<FileKey> {
        (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| FileKey(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `ab/cd/abcd…`: two levels of folders keep each one small.
    fn relative(&self) -> String {
        format!("{}/{}/{}", &self.0[..2], &self.0[2..4], self.0)
    }
}

impl fmt::Display for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A store that failed (a disk error, an S3 endpoint that did not answer as it should).
#[derive(Debug, thiserror::Error)]
#[error("the file store: {0}")]
pub struct StorageError(pub String);

impl From<io::Error> for StorageError {
    fn from(e: io::Error) -> Self {
        StorageError(e.to_string())
    }
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> Self {
        StorageError(e.to_string())
    }
}

/// The bytes of a stored file, as a stream (never the whole file in memory).
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// A stored file being read: its size, and its bytes.
pub struct StoredFile {
    pub size: u64,
    pub body: ByteStream,
}

/// Keeps bytes under their [`FileKey`].
#[async_trait::async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Stores `bytes` under `key` unless they are there already; true when this call
    /// stored them. A reader never sees a partly written object.
    async fn put(&self, key: &FileKey, bytes: Bytes) -> Result<bool, StorageError>;
    /// The object under `key`, or `None` when there is none.
    async fn get(&self, key: &FileKey) -> Result<Option<StoredFile>, StorageError>;
    /// Removes the object under `key` (none there: nothing to do).
    async fn delete(&self, key: &FileKey) -> Result<(), StorageError>;
    /// Where the files are, for logs and messages (never a secret).
    fn describe(&self) -> String;
}

/// Which store, as configured.
#[derive(Clone, Debug, PartialEq)]
pub enum StorageSettings {
    /// A folder on the local disk (by default `files` in the data directory).
    Local {
        dir: PathBuf,
    },
    S3(S3Settings),
}

/// An S3-compatible bucket. Unset values come from the standard `AWS_*` variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`…).
#[derive(Clone, Default, PartialEq)]
pub struct S3Settings {
    pub bucket: String,
    /// e.g. `https://s3.eu-central-1.amazonaws.com`, `https://minio.internal:9000`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Objects go under this prefix in the bucket (none: at its top).
    pub prefix: Option<String>,
    /// Allow a plain `http://` endpoint (a server on the same private network).
    pub allow_http: bool,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "…"),
            )
            .field("prefix", &self.prefix)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// Opens the configured store (a local folder is made if missing).
pub fn open(settings: &StorageSettings) -> Result<Arc<dyn Storage>, String> {
    match settings {
        StorageSettings::Local { dir } => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot make the file store folder {}: {e}", dir.display()))?;
            Ok(Arc::new(LocalDisk { root: dir.clone() }))
        }
        StorageSettings::S3(s3) => Ok(Arc::new(S3Store::new(s3)?)),
    }
}

/// Files in a folder on the local disk.
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    fn path(&self, key: &FileKey) -> PathBuf {
        self.root.join(key.relative())
    }
}

#[async_trait::async_trait]
impl Storage for LocalDisk {
    async fn put(&self, key: &FileKey, bytes: Bytes) -> Result<bool, StorageError> {
        let path = self.path(key);
        if tokio::fs::try_exists(&path).await? {
            return Ok(false);
        }
        let folder = path.parent().expect("a key has folders");
        tokio::fs::create_dir_all(folder).await?;
        // Written beside, flushed to disk, then renamed into place: all or nothing.
        let temporary = folder.join(format!(".{key}.{}.part", uuid::Uuid::new_v4()));
        let written = async {
            let mut file = tokio::fs::File::create(&temporary).await?;
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&temporary, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(e.into());
        }
        Ok(true)
    }

    async fn get(&self, key: &FileKey) -> Result<Option<StoredFile>, StorageError> {
        let file = match tokio::fs::File::open(self.path(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        Ok(Some(StoredFile {
            size,
            body: read_in_chunks(file),
        }))
    }

    async fn delete(&self, key: &FileKey) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn describe(&self) -> String {
        format!("the folder {}", self.root.display())
    }
}

/// A file's bytes, 64 KiB at a time.
fn read_in_chunks(file: tokio::fs::File) -> ByteStream {
    use tokio::io::AsyncReadExt;
    futures_util::stream::try_unfold(file, |mut file| async move {
        let mut buffer = bytes::BytesMut::with_capacity(64 * 1024);
        let n = file.read_buf(&mut buffer).await?;
        Ok((n > 0).then(|| (buffer.freeze(), file)))
    })
    .boxed()
}

/// Files in an S3-compatible bucket.
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    prefix: Option<String>,
    describe: String,
}

impl S3Store {
    pub fn new(s3: &S3Settings) -> Result<S3Store, String> {
        if s3.bucket.is_empty() {
            return Err("S3 file storage needs a bucket".into());
        }
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&s3.bucket)
            .with_allow_http(s3.allow_http);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &s3.region {
            builder = builder.with_region(region);
        }
        if let Some(id) = &s3.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .map_err(|e| format!("S3 file storage (bucket {}): {e}", s3.bucket))?;
        let prefix = s3
            .prefix
            .as_deref()
            .map(|p| p.trim_matches('/').to_string())
            .filter(|p| !p.is_empty());
        Ok(S3Store {
            store: Arc::new(store),
            describe: format!(
                "the S3 bucket {}{}{}",
                s3.bucket,
                prefix
                    .as_deref()
                    .map(|p| format!(" under {p}/"))
                    .unwrap_or_default(),
                s3.endpoint
                    .as_deref()
                    .map(|e| format!(" at {e}"))
                    .unwrap_or_default()
            ),
            prefix,
        })
    }

    fn path(&self, key: &FileKey) -> ObjectPath {
        match &self.prefix {
            Some(p) => ObjectPath::from(format!("{p}/{}", key.relative())),
            None => ObjectPath::from(key.relative()),
        }
    }
}

#[async_trait::async_trait]
impl Storage for S3Store {
    async fn put(&self, key: &FileKey, bytes: Bytes) -> Result<bool, StorageError> {
        let path = self.path(key);
        match self.store.head(&path).await {
            Ok(_) => return Ok(false),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        // One PUT: the object appears whole or not at all.
        self.store.put(&path, PutPayload::from_bytes(bytes)).await?;
        Ok(true)
    }

    async fn get(&self, key: &FileKey) -> Result<Option<StoredFile>, StorageError> {
        match self.store.get(&self.path(key)).await {
            Ok(result) => Ok(Some(StoredFile {
                size: result.meta.size,
                body: result
                    .into_stream()
                    .map(|r| r.map_err(io::Error::other))
                    .boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &FileKey) -> Result<(), StorageError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_digests_only() {
        let key = FileKey::of(b"hello");
        assert_eq!(
            key.as_str(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(FileKey::parse(key.as_str()), Some(key.clone()));
        assert_eq!(key.relative(), format!("2c/f2/{key}"));
        for bad in [
            "",
            "../../etc/passwd",
            &key.as_str().to_uppercase(),
            &format!("{key}0"),
            &format!("../{}", &key.as_str()[3..]),
        ] {
            assert_eq!(FileKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_logs() {
        let s3 = S3Settings {
            bucket: "b".into(),
            secret_access_key: Some("hunter2".into()),
            ..Default::default()
        };
        assert!(!format!("{s3:?}").contains("hunter2"));
    }
}
