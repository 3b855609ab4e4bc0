//! Handles on one PostgreSQL database stand for processes: what one writes moves the
//! others' generation (so their caches drop it) within milliseconds, however it tells
//! them; a listener whose connection is cut reconnects and hears again. Runs when
//! `WEFT_TEST_POSTGRES_URL` is set (always under CI).

use diesel::connection::SimpleConnection;
use std::time::{Duration, Instant};
use weft_db::notify::Mode;
use weft_db::{Db, DbError};

/// A fresh database, dropped at the end.
struct Fresh {
    admin: String,
    name: String,
    url: String,
}

impl Fresh {
    fn new() -> Option<Fresh> {
        let admin = match std::env::var("WEFT_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("CI").is_err(),
                    "CI must set WEFT_TEST_POSTGRES_URL"
                );
                eprintln!("WEFT_TEST_POSTGRES_URL is not set: skipping");
                return None;
            }
        };
        let name = format!("weft_notify_{}_{}", std::process::id(), nanos());
        weft_db::establish(&admin)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        Some(Fresh {
            admin,
            name,
            url: url.to_string(),
        })
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Ok(mut c) = weft_db::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A write transaction that changes nothing: enough to count as a write.
fn write(db: &Db) {
    db.write_blocking(|c| c.batch_execute("SELECT 1").map_err(DbError::from))
        .unwrap();
}

/// How long until `db`'s generation moves past `before` (at most 5 s).
fn moved(db: &Db, before: u64) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if db.generation() != before {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn another_process_hears_each_write_within_milliseconds_and_after_a_cut_connection() {
    let Some(fresh) = Fresh::new() else { return };
    let one = Db::connect(&fresh.url).unwrap();
    let two = Db::connect(&fresh.url).unwrap();
    one.share_writes(Mode::Coalesced);
    two.share_writes(Mode::Coalesced);
    wait_for("both listeners", || one.listening() && two.listening());
    // Settle: what the listeners announced on connecting has been heard.
    std::thread::sleep(Duration::from_millis(100));

    // A serving process's writes, told by its listener.
    let mut latencies = vec![];
    for _ in 0..20 {
        let before = two.generation();
        let heard = two.heard_from_other_processes();
        write(&one);
        let after = moved(&two, before).expect("the write was heard");
        latencies.push(after);
        wait_for("the notification counted", || {
            two.heard_from_other_processes() > heard
        });
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    eprintln!(
        "write in one handle -> generation moved in the other: median {median:?}, max {:?}",
        latencies.last().unwrap()
    );
    assert!(median < Duration::from_millis(100), "{latencies:?}");

    // Its own notifications do not move its generation beyond its own writes.
    let before = one.generation();
    write(&one);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(one.generation(), before + 1, "one's own notice is ignored");

    // A handle without a listener (the command line) notifies in its transactions.
    let cli = Db::connect(&fresh.url).unwrap();
    assert_eq!(cli.notify_mode(), Mode::InTransaction);
    let before = two.generation();
    write(&cli);
    moved(&two, before).expect("the command line's write was heard");

    // A server may notify in its transactions instead, and still hears the others.
    let three = Db::connect(&fresh.url).unwrap();
    three.share_writes(Mode::InTransaction);
    wait_for("the third listener", || three.listening());
    std::thread::sleep(Duration::from_millis(50));
    let before = (two.generation(), three.generation());
    write(&three);
    moved(&two, before.0).expect("a write notified in its transaction was heard");
    write(&one);
    moved(&three, before.1 + 1).expect("the third hears the others");

    // A handle that is told not to notify is not heard (caches see it at their TTL).
    let quiet = Db::connect(&fresh.url).unwrap();
    quiet.share_writes(Mode::Off);
    let before = two.generation();
    write(&quiet);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(two.generation(), before, "nothing was sent");

    // Cut the listeners' connections: they reconnect (moving their generation, as
    // they may have missed something) and hear again.
    let mut admin = weft_db::establish(&fresh.url).unwrap();
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'weft-listener' AND datname = current_database()",
        )
        .unwrap();
    wait_for("a listener to see its connection cut", || {
        !two.listening() || !one.listening()
    });
    wait_for("both listeners back", || one.listening() && two.listening());
    std::thread::sleep(Duration::from_millis(50));
    let before = two.generation();
    write(&one);
    moved(&two, before).expect("heard after reconnecting");

    drop((one, two, three, cli, quiet, admin));
    // The listener threads end with their handles, letting the database go.
    wait_for("the listeners to disconnect", || {
        let mut c = weft_db::establish(&fresh.admin).unwrap();
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let weft_db::AnyConnection::Postgresql(pg) = &mut c else {
            unreachable!()
        };
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE application_name = 'weft-listener' AND datname = '{}'",
            fresh.name
        ))
        .get_result::<Count>(pg)
        .unwrap()
        .n == 0
    });
}
