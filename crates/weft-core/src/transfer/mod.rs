//! Moving a community between instances: `weft export COMMUNITY FILE` writes its profile,
//! members and roles, threads, events with their answers, and library (folders, resources
//! with every version, files) as one JSON document ([`format`]); `weft import FILE` rebuilds
//! it on another instance (or the same one under another name) in one transaction.
//!
//! What moves and what does not is said in `docs/operations.md` ("Moving a community"):
//! the community and everything made in it move and get ids on the new instance; remote
//! people keep theirs; followers on other servers do not move (they follow the new address
//! again), and items woven or bridged in from elsewhere stay where they live.

pub mod export;
pub mod format;
pub mod import;

pub use export::export;
pub use format::Export;
pub use import::{Imported, import};

use crate::CoreError;
use crate::files::StorageError;

/// Told how far an export or import is (a progress bar on a terminal, nothing otherwise).
pub trait Progress {
    /// A new stage of `total` steps begins.
    fn start(&mut self, stage: &str, total: u64);
    fn step(&mut self);
    fn finish(&mut self);
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: &str, _: u64) {}
    fn step(&mut self) {}
    fn finish(&mut self) {}
}

/// Why an export or import did not happen (an import that fails stores nothing).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The export file is not one this version reads, or contradicts itself.
    #[error("{0}")]
    Invalid(String),
    /// A file the database names is not in the file store.
    #[error("{0}")]
    Missing(String),
}

impl From<weft_db::DbError> for TransferError {
    fn from(e: weft_db::DbError) -> Self {
        TransferError::Core(e.into())
    }
}

impl From<weft_db::QueryError> for TransferError {
    fn from(e: weft_db::QueryError) -> Self {
        TransferError::Core(e.into())
    }
}
