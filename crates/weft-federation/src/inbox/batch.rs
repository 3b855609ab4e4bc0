//! `Create`s arriving at the inbox are taken in batches (`weft_core::received`): whatever
//! has arrived while the previous batch was being written goes in the next one, in one
//! transaction, and each sender is answered only after the commit. Under load that turns
//! a dozen statements per post into a few per batch; a lone `Create` is a batch of one
//! and waits a millisecond at most.

use crate::FedError;
use std::sync::{Arc, OnceLock};
use tokio::sync::{Mutex, mpsc, oneshot};
use weft_core::Urls;
use weft_core::received::{CreateOutcome, IncomingCreate, receive_creates};
use weft_db::Db;

/// The most creates in one transaction.
const MAX_BATCH: usize = 256;

/// Batches in the making at once (on both backends, measured).
const TAKERS: usize = 2;

/// When fewer than `FEW` creates are waiting, a batch waits `GATHER` for more.
const FEW: usize = 16;
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

pub struct CreateBatcher {
    db: Db,
    urls: Urls,
    /// Started on first use, on the runtime that serves the inbox.
    queue: OnceLock<mpsc::UnboundedSender<Waiting>>,
}

struct Waiting {
    create: IncomingCreate,
    reply: oneshot::Sender<Result<CreateOutcome, FedError>>,
}

impl CreateBatcher {
    pub fn new(db: Db, urls: Urls) -> Self {
        CreateBatcher {
            db,
            urls,
            queue: OnceLock::new(),
        }
    }

    /// Receives one create with whatever else is arriving; answers after the commit.
    pub async fn receive(&self, create: IncomingCreate) -> Result<CreateOutcome, FedError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .get_or_init(|| self.start())
            .send(Waiting { create, reply })
            .map_err(|_| {
                FedError::from(weft_db::DbError::Task("the inbox writer stopped".into()))
            })?;
        answer.await.map_err(|_| {
            FedError::from(weft_db::DbError::Task(
                "the inbox writer dropped the activity".into(),
            ))
        })?
    }

    fn start(&self) -> mpsc::UnboundedSender<Waiting> {
        let (sender, waiting) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(waiting));
        // A second batch is gathered (and on SQLite waits at the write lock) while the
        // first is written, so the writer does not sit idle between batches; more would
        // only make batches smaller.
        for _ in 0..TAKERS {
            tokio::spawn(take(self.db.clone(), self.urls.clone(), waiting.clone()));
        }
        sender
    }
}

async fn take(db: Db, urls: Urls, waiting: Arc<Mutex<mpsc::UnboundedReceiver<Waiting>>>) {
    loop {
        let batch = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else {
                return;
            };
            let mut batch = vec![first];
            // Under load a batch of one or two costs the same statements as a batch of
            // fifty: when little is waiting, let a little more arrive.
            if waiting.len() < FEW {
                tokio::time::sleep(GATHER).await;
            }
            while batch.len() < MAX_BATCH {
                match waiting.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        write(&db, &urls, batch).await;
    }
}

async fn write(db: &Db, urls: &Urls, batch: Vec<Waiting>) {
    let (creates, replies): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|w| (w.create, w.reply)).unzip();
    let creates = Arc::new(creates);
    let (all, u) = (creates.clone(), urls.clone());
    match db.write(move |c| receive_creates(c, &u, &all)).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(e) if replies.len() == 1 => {
            let _ = replies.into_iter().next().expect("one").send(Err(e.into()));
        }
        Err(e) => {
            // One bad create must not fail its neighbours: take them one by one.
            tracing::warn!(
                "inbox: a batch of {} failed ({e}); retrying singly",
                replies.len()
            );
            for (n, reply) in replies.into_iter().enumerate() {
                let (all, u) = (creates.clone(), urls.clone());
                let one = db
                    .write(move |c| receive_creates(c, &u, &all[n..=n]))
                    .await
                    .map(|mut outcomes| outcomes.remove(0))
                    .map_err(FedError::from);
                let _ = reply.send(one);
            }
        }
    }
}
