//! One serving process per SQLite file. Several `weft serve` processes may share one
//! PostgreSQL database (they tell each other what they wrote, and share the delivery
//! queue by leases), but not a SQLite file: there each process's caches and its delivery
//! workers assume they are alone. A server holds an exclusive lock on `FILE-serve.lock`
//! beside the database while it runs (the operating system releases it when the process
//! ends, however it ends); a second server on the same file refuses to start. Admin
//! commands (`weft user …`) take no lock and may run beside a server.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Held while the server runs; dropping it releases the lock.
pub struct ServeLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file of a SQLite database URL; `None` for PostgreSQL and in-memory SQLite.
pub fn lock_path(database_url: &str) -> Option<PathBuf> {
    match weft_db::parse_database_url(database_url) {
        Ok((weft_db::Backend::Sqlite, path)) if path != ":memory:" && !path.is_empty() => {
            let mut name = Path::new(&path).as_os_str().to_owned();
            name.push("-serve.lock");
            Some(PathBuf::from(name))
        }
        _ => None,
    }
}

/// Takes the lock of the SQLite file named by `database_url` (nothing for PostgreSQL),
/// or says that another server holds it.
pub fn acquire(database_url: &str) -> Result<Option<ServeLock>, String> {
    let Some(path) = lock_path(database_url) else {
        return Ok(None);
    };
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create directory {}: {e}", parent.display()))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            return Err(format!(
                "another `weft serve`{} is already serving the SQLite database {} (it holds \
                 {}). Several processes can share one PostgreSQL database, not a SQLite \
                 file: stop the other server, or move to PostgreSQL to run several.",
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (process {holder})")
                },
                weft_db::redact_url(database_url),
                path.display()
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", path.display()));
        }
    }
    // For an operator wondering who holds it.
    file.set_len(0)
        .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
        .map_err(|e| format!("cannot write the lock file {}: {e}", path.display()))?;
    Ok(Some(ServeLock { _file: file, path }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_server_on_one_sqlite_file_is_refused_until_the_first_stops() {
        let dir = std::env::temp_dir().join(format!("weft-serve-lock-{}", std::process::id()));
        let url = format!("sqlite://{}", dir.join("weft.db").display());
        let first = acquire(&url).unwrap().expect("SQLite takes a lock");
        assert_eq!(first.path, dir.join("weft.db-serve.lock"));
        let err = acquire(&url).err().expect("the second is refused");
        assert!(err.contains("another `weft serve`"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        assert!(err.contains("PostgreSQL"), "{err}");
        drop(first);
        assert!(acquire(&url).unwrap().is_some(), "free again once released");
        assert!(
            acquire("postgres://weft:weft@localhost/weft")
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
