//! Connection errors say which backend, which URL (password hidden) and the driver's words.

use weft_db::{Backend, Db, parse_database_url};

#[test]
fn backend_comes_from_the_scheme() {
    assert_eq!(
        parse_database_url("sqlite://data/weft.db").unwrap().0,
        Backend::Sqlite
    );
    assert_eq!(
        parse_database_url("data/weft.db").unwrap().0,
        Backend::Sqlite
    );
    assert_eq!(
        parse_database_url("postgres://u:p@h/db").unwrap().0,
        Backend::Postgres
    );
    assert_eq!(
        parse_database_url("postgresql://u:p@h/db").unwrap().0,
        Backend::Postgres
    );
    let err = parse_database_url("mysql://u:secret@h/db")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn postgres_errors_name_backend_and_hide_the_password() {
    // Port 1 on loopback: nothing listens there.
    let err = Db::connect("postgres://weft:hunter2@127.0.0.1:1/weft")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("PostgreSQL"), "{err}");
    assert!(
        err.contains("postgres://weft:****@127.0.0.1:1/weft"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(
        err.to_lowercase().contains("connect"),
        "the driver's message is kept: {err}"
    );
}

#[test]
fn sqlite_errors_name_the_path() {
    let err = Db::connect("sqlite:///proc/weft-cannot-be-here/weft.db")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("SQLite") && err.contains("/proc/weft-cannot-be-here"),
        "{err}"
    );
}

#[test]
fn sqlite_database_is_created_and_migrated() {
    let dir = std::env::temp_dir().join(format!("weft-db-test-{}", std::process::id()));
    let url = format!("sqlite://{}", dir.join("sub/weft.db").display());
    let db = Db::connect(&url).unwrap();
    let count = db.read_blocking(weft_db::outbox::pending_count).unwrap();
    assert_eq!(count, 0);
    // Connecting again runs no migration twice.
    Db::connect(&url).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
