//! The dispatcher and the per-instance workers.

use crate::sender::{SendError, Sender};
use chrono::TimeDelta;
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use tracing::{debug, warn};
use weft_db::models::{DeliveryRow, OutboxRow};
use weft_db::{Db, DbError};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Requests in flight to one instance at once.
    pub in_flight: usize,
    /// Instances being sent to at once (each holds up to `in_flight` requests).
    pub max_workers: usize,
    /// First retry delay; each further failure doubles it, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive failed rounds after which an instance is paused.
    pub pause_after: i32,
    /// Rows read per round for one instance.
    pub batch: i64,
    /// How long a worker holds an instance's queue; renewed while it sends. After a
    /// crash, other processes (or the restarted one) wait this long to take it over.
    pub lease: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            in_flight: 64,
            max_workers: 64,
            first_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(24 * 3600),
            pause_after: 8,
            batch: 256,
            lease: Duration::from_secs(60),
        }
    }
}

/// Wakes the dispatcher when something was queued.
#[derive(Clone)]
pub struct DeliveryHandle {
    notify: Arc<Notify>,
}

impl DeliveryHandle {
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

struct Shared {
    db: Db,
    /// This process's name in instance leases.
    owner: String,
    sender: Sender,
    settings: Settings,
    workers: Semaphore,
    running: Mutex<HashSet<i64>>,
    /// Sending actors' (key id, private key), by actor row id.
    signers: Mutex<HashMap<i64, Arc<(String, String)>>>,
}

/// Starts the dispatcher; it runs until the runtime stops.
pub fn spawn(db: Db, client: reqwest::Client, settings: Settings) -> DeliveryHandle {
    let notify = Arc::new(Notify::new());
    let owner = format!(
        "{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let shared = Arc::new(Shared {
        db,
        owner,
        sender: Sender::new(client),
        workers: Semaphore::new(settings.max_workers.max(1)),
        settings,
        running: Mutex::default(),
        signers: Mutex::default(),
    });
    tokio::spawn(dispatch(shared, notify.clone()));
    DeliveryHandle { notify }
}

fn backoff(settings: &Settings, failures: i32) -> TimeDelta {
    let factor = 2u32.saturating_pow(failures.clamp(0, 30) as u32 - u32::from(failures > 0));
    let delay = settings
        .first_backoff
        .saturating_mul(factor)
        .min(settings.max_backoff);
    TimeDelta::from_std(delay).unwrap_or(TimeDelta::days(1))
}

/// The longest the dispatcher sleeps: rows queued by another process sharing the
/// database (which cannot wake this one) wait at most this long.
const POLL: Duration = Duration::from_secs(1);

/// The least time between two scans of the queue.
const GATHER: Duration = Duration::from_millis(10);

async fn dispatch(shared: Arc<Shared>, notify: Arc<Notify>) {
    loop {
        let now = weft_db::now();
        let owner = shared.owner.clone();
        let due = shared
            .db
            .read(move |c| weft_db::outbox::instances_with_due(c, now, &owner))
            .await;
        match due {
            Ok(instances) => {
                for instance in instances {
                    if shared.running.lock().expect("running set").insert(instance) {
                        tokio::spawn(run_instance(shared.clone(), instance, notify.clone()));
                    }
                }
            }
            Err(e) => warn!("delivery: cannot read the queue: {e}"),
        }
        // Everything due now has a worker; sleep until something else comes due, or a
        // service queues more, or a worker that made progress finishes (both notify).
        let next = shared
            .db
            .read(move |c| weft_db::outbox::next_wake_after(c, now))
            .await
            .ok()
            .flatten();
        let wait = next
            .map(|at| (at - weft_db::now()).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(POLL)
            .clamp(Duration::from_millis(5), POLL);
        let _ = tokio::time::timeout(wait, notify.notified()).await;
        // Let wake-ups gather: when hundreds of workers finish at once, one scan of the
        // queue serves them all instead of one scan each.
        tokio::time::sleep(GATHER).await;
    }
}

/// Sends everything due for one instance, then exits.
async fn run_instance(shared: Arc<Shared>, instance: i64, notify: Arc<Notify>) {
    let progress = match shared.workers.acquire().await {
        Ok(_permit) => drain_instance(&shared, instance).await.unwrap_or_else(|e| {
            warn!("delivery to instance {instance}: {e}");
            false
        }),
        Err(_) => false,
    };
    shared
        .running
        .lock()
        .expect("running set")
        .remove(&instance);
    // Only a worker that sent or rescheduled something wakes the dispatcher: one that
    // found all its rows held back must not make it spin.
    if progress {
        notify.notify_one();
    }
}

/// How a group of sends ended.
enum GroupResult {
    Done,
    /// The peer failed (network, 5xx, 408, 429): the row is rescheduled.
    PeerFailed(String),
    /// Our side failed (database, lease lost, key unreadable): nothing is held against
    /// the peer.
    LocalFailed(String),
}

/// The lease on one instance's queue, renewed while sending. Only PostgreSQL is shared
/// by several Weft processes; on SQLite the in-process `running` set is enough and the
/// lease costs nothing.
struct Lease {
    instance: i64,
    shared_database: bool,
    renewed: Mutex<Instant>,
}

impl Lease {
    async fn take(shared: &Shared, instance: i64) -> Result<Option<Lease>, DbError> {
        let lease = Lease {
            instance,
            shared_database: shared.db.backend() == weft_db::Backend::Postgres,
            renewed: Mutex::new(Instant::now()),
        };
        if !lease.shared_database {
            return Ok(Some(lease));
        }
        Ok(lease.renew(shared).await?.then_some(lease))
    }

    async fn renew(&self, shared: &Shared) -> Result<bool, DbError> {
        let (owner, instance) = (shared.owner.clone(), self.instance);
        let now = weft_db::now();
        let until =
            now + TimeDelta::from_std(shared.settings.lease).unwrap_or(TimeDelta::minutes(1));
        let held = shared
            .db
            .write(move |c| weft_db::outbox::try_lease(c, instance, &owner, now, until))
            .await?;
        *self.renewed.lock().expect("lease clock") = Instant::now();
        Ok(held)
    }

    /// Renews when a third of the lease has passed; false when it was lost.
    async fn keep(&self, shared: &Shared) -> Result<bool, DbError> {
        if !self.shared_database {
            return Ok(true);
        }
        let age = self.renewed.lock().expect("lease clock").elapsed();
        if age < shared.settings.lease / 3 {
            return Ok(true);
        }
        self.renew(shared).await
    }

    async fn release(&self, shared: &Shared) -> Result<(), DbError> {
        if !self.shared_database {
            return Ok(());
        }
        let (owner, instance) = (shared.owner.clone(), self.instance);
        shared
            .db
            .write(move |c| weft_db::outbox::release_lease(c, instance, &owner))
            .await
    }
}

/// Sends rounds of due rows until none is left; returns whether any row was sent or
/// rescheduled.
async fn drain_instance(shared: &Arc<Shared>, instance: i64) -> Result<bool, DbError> {
    let Some(lease) = Lease::take(shared, instance).await? else {
        return Ok(false);
    };
    let result = drain_leased(shared, &lease, instance).await;
    if let Err(e) = lease.release(shared).await {
        warn!("delivery: cannot release the lease on instance {instance}: {e}");
    }
    result
}

async fn drain_leased(shared: &Arc<Shared>, lease: &Lease, instance: i64) -> Result<bool, DbError> {
    let mut progress = false;
    loop {
        let now = weft_db::now();
        let batch = shared.settings.batch;
        let (rows, blocked) = shared
            .db
            .read(move |c| -> Result<_, DbError> {
                let rows = weft_db::outbox::due_for_instance(c, instance, now, batch)?;
                let last = rows.last().map(|(d, _)| d.id).unwrap_or(0);
                let blocked = weft_db::outbox::keys_waiting_before(c, instance, now, last)?;
                Ok((rows, blocked))
            })
            .await?;
        let groups = due_groups(rows, &blocked);
        if groups.is_empty() {
            return Ok(progress);
        }
        let results: Vec<(Vec<i64>, GroupResult)> = futures_util::stream::iter(groups)
            .map(|group| send_group(shared, lease, group))
            .buffer_unordered(shared.settings.in_flight)
            .collect()
            .await;
        // Something was sent or rescheduled: the dispatcher's idea of when to look next
        // may be stale, so this worker will wake it.
        progress = true;
        let sent: Vec<i64> = results
            .iter()
            .flat_map(|(ids, _)| ids.iter().copied())
            .collect();
        let local = results.iter().find_map(|(_, r)| match r {
            GroupResult::LocalFailed(e) => Some(e.clone()),
            _ => None,
        });
        let peer = results.iter().find_map(|(_, r)| match r {
            GroupResult::PeerFailed(e) => Some(e.clone()),
            _ => None,
        });
        // One write per round, committed together with other instances' rounds: the rows
        // sent are forgotten (a crash before this resends them; receivers drop repeats by
        // id) and the instance's health noted.
        let settings = shared.settings.clone();
        let now = weft_db::now();
        let stop = local.is_some() || peer.is_some();
        shared
            .db
            .write_grouped(move |c| -> Result<(), DbError> {
                weft_db::outbox::delivered_many(c, &sent)?;
                match (&local, &peer) {
                    (Some(_), _) => Ok(()),
                    (None, None) => weft_db::outbox::record_success(c, instance, now),
                    (None, Some(error)) => {
                        let before = weft_db::outbox::instance(c, instance)?;
                        let failures = before.consecutive_failures + 1;
                        let paused = (failures >= settings.pause_after)
                            .then(|| now + backoff(&settings, failures - settings.pause_after + 1));
                        weft_db::outbox::record_failure(c, instance, now, paused, error)?;
                        Ok(())
                    }
                }
            })
            .await?;
        if let Some(error) = results.iter().find_map(|(_, r)| match r {
            GroupResult::LocalFailed(e) => Some(e),
            _ => None,
        }) {
            warn!("delivery to instance {instance} stopped by a local error: {error}");
        }
        if stop {
            return Ok(progress);
        }
    }
}

/// Splits due rows (in id order) into groups by ordering key, leaving out keys that
/// still have an older row waiting for its retry: those go when it has gone.
fn due_groups(
    rows: Vec<(DeliveryRow, OutboxRow)>,
    blocked: &[String],
) -> Vec<Vec<(DeliveryRow, OutboxRow)>> {
    let blocked: HashSet<&str> = blocked.iter().map(String::as_str).collect();
    let mut order: Vec<String> = vec![];
    let mut groups: HashMap<String, Vec<(DeliveryRow, OutboxRow)>> = HashMap::new();
    for (delivery, activity) in rows {
        if blocked.contains(delivery.ordering_key.as_str()) {
            continue;
        }
        let key = delivery.ordering_key.clone();
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push((delivery, activity));
    }
    order
        .into_iter()
        .filter_map(|k| groups.remove(&k))
        .collect()
}

/// Sends one key's rows in order, stopping at the first failure. Returns the ids of the
/// rows that are done (delivered, or refused for good) and how the group ended.
async fn send_group(
    shared: &Arc<Shared>,
    lease: &Lease,
    group: Vec<(DeliveryRow, OutboxRow)>,
) -> (Vec<i64>, GroupResult) {
    let mut done = vec![];
    for (delivery, activity) in group {
        match lease.keep(shared).await {
            Ok(true) => {}
            Ok(false) => {
                return (
                    done,
                    GroupResult::LocalFailed("the lease was taken over".into()),
                );
            }
            Err(e) => return (done, GroupResult::LocalFailed(e.to_string())),
        }
        let signer = match signer(shared, activity.actor_id).await {
            Ok(s) => s,
            Err(e) => return (done, GroupResult::LocalFailed(e.to_string())),
        };
        let outcome = shared
            .sender
            .send(
                &delivery.inbox_url,
                activity.body.clone(),
                &signer.0,
                &signer.1,
            )
            .await;
        match outcome {
            Ok(()) => debug!("delivered {} to {}", activity.ap_id, delivery.inbox_url),
            Err(SendError::Refused(message)) => {
                warn!(
                    "{} refused {}: {message}",
                    delivery.inbox_url, activity.ap_id
                )
            }
            Err(SendError::Local(message)) => return (done, GroupResult::LocalFailed(message)),
            Err(SendError::Retry(message)) => {
                debug!(
                    "will retry {} to {}: {message}",
                    activity.ap_id, delivery.inbox_url
                );
                let attempts = delivery.attempts + 1;
                let next = weft_db::now() + backoff(&shared.settings, attempts);
                let error = message.clone();
                let (id, instance, key) = (
                    delivery.id,
                    delivery.instance_id,
                    delivery.ordering_key.clone(),
                );
                let stored = shared
                    .db
                    .write(move |c| -> Result<(), DbError> {
                        weft_db::outbox::reschedule(c, id, attempts, next, &error)?;
                        // Later activities on the same object wait behind this one.
                        weft_db::outbox::hold_back_key(c, instance, &key, id, next)
                    })
                    .await;
                return match stored {
                    Ok(()) => (done, GroupResult::PeerFailed(message)),
                    Err(e) => (done, GroupResult::LocalFailed(e.to_string())),
                };
            }
        }
        done.push(delivery.id);
    }
    (done, GroupResult::Done)
}

async fn signer(shared: &Arc<Shared>, actor_id: i64) -> Result<Arc<(String, String)>, DbError> {
    if let Some(s) = shared.signers.lock().expect("signers").get(&actor_id) {
        return Ok(s.clone());
    }
    let actor = shared
        .db
        .read(move |c| weft_db::actors::by_id(c, actor_id))
        .await?;
    let pem = actor
        .private_key_pem
        .ok_or_else(|| DbError::Task(format!("actor {} has no private key", actor.ap_id)))?;
    let signer = Arc::new((actor.public_key_id, pem));
    shared
        .signers
        .lock()
        .expect("signers")
        .insert(actor_id, signer.clone());
    Ok(signer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps_at_a_day() {
        let s = Settings::default();
        assert_eq!(backoff(&s, 1), TimeDelta::seconds(30));
        assert_eq!(backoff(&s, 2), TimeDelta::seconds(60));
        assert_eq!(backoff(&s, 3), TimeDelta::seconds(120));
        assert_eq!(backoff(&s, 40), TimeDelta::days(1));
    }
}
