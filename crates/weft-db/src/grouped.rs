//! Group commit (SQLite). Many small write transactions (the inbox: one per activity)
//! cost mostly their commit and the hand-offs to a blocking thread. `write_grouped` sends
//! the work to one writer thread, which runs whatever is waiting in one transaction, each
//! piece in a savepoint of its own (a piece that fails is undone alone), commits once, and
//! only then tells each caller how it went. On PostgreSQL four writers take groups at
//! once (it has concurrent writers; a commit there waits for its WAL flush).

use crate::connection::sqlite_immediate_transaction;
use crate::{AnyConnection, Backend, Db, DbError};
use diesel::connection::Connection;
use std::sync::mpsc;

/// What the writer runs for one caller: the piece of work inside the shared transaction,
/// which returns what to tell the caller once the commit's outcome is known.
pub(crate) type Job = Box<dyn FnOnce(&mut AnyConnection) -> Finish + Send>;
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The most pieces in one transaction.
const GROUP: usize = 256;

impl Db {
    /// Like [`Db::write`], but committed together with other callers' writes.
    pub async fn write_grouped<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn: &mut AnyConnection| {
            // A savepoint inside the writer's transaction.
            let result = conn.transaction(f);
            Box::new(move |committed: Result<(), String>| {
                let outcome = match committed {
                    Ok(()) => result,
                    Err(e) => Err(E::from(DbError::Task(format!("commit failed: {e}")))),
                };
                let _ = reply.send(outcome);
            }) as Finish
        });
        let sender = self.grouper.get_or_init(|| self.start_writer());
        sender
            .send(job)
            .map_err(|_| E::from(DbError::Task("the database writer stopped".into())))?;
        answer.await.map_err(|_| {
            E::from(DbError::Task(
                "the database writer dropped the write".into(),
            ))
        })?
    }

    fn start_writer(&self) -> mpsc::Sender<Job> {
        let (sender, jobs) = mpsc::channel::<Job>();
        let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
        // SQLite has one writer; PostgreSQL takes several groups at once.
        let writers = match self.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        for n in 0..writers {
            // A writer's own handle has no writer of its own: when every other handle is
            // gone, the channel closes and the thread ends.
            let mut db = self.clone();
            db.grouper = std::sync::Arc::default();
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("weft-db-writer-{n}"))
                .spawn(move || {
                    loop {
                        let group = {
                            let jobs = jobs.lock().unwrap_or_else(|p| p.into_inner());
                            let Ok(first) = jobs.recv() else { return };
                            let mut group = vec![first];
                            while group.len() < GROUP {
                                match jobs.try_recv() {
                                    Ok(job) => group.push(job),
                                    Err(_) => break,
                                }
                            }
                            group
                        };
                        db.run_group(group);
                    }
                })
                .expect("start the database writer");
        }
        sender
    }

    fn run_group(&self, group: Vec<Job>) {
        let mut finishes = Vec::with_capacity(group.len());
        let run_all = |c: &mut AnyConnection| -> Result<(), DbError> {
            for job in group {
                // A piece that panics must not take the writer down; its half-done
                // savepoint cannot be trusted, so the whole group is rolled back.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(c))) {
                    Ok(finish) => finishes.push(finish),
                    Err(_) => return Err(DbError::Task("a grouped write panicked".into())),
                }
            }
            Ok(())
        };
        let outcome: Result<(), DbError> = match self.backend() {
            Backend::Sqlite => {
                let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                self.conn()
                    .and_then(|mut conn| sqlite_immediate_transaction(&mut conn, run_all))
            }
            Backend::Postgres => self.conn().and_then(|mut conn| {
                let conn: &mut AnyConnection = &mut conn;
                conn.transaction(|c| {
                    run_all(c)?;
                    self.notify_in_transaction(c)
                })
            }),
        };
        self.wrote();
        let committed = outcome.map_err(|e| e.to_string());
        for finish in finishes {
            finish(committed.clone());
        }
    }
}
