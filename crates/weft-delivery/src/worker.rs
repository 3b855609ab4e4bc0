//! The dispatcher and the per-instance workers.

use crate::sender::{SendError, Sender};
use chrono::{NaiveDateTime, TimeDelta};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tracing::{debug, warn};
use weft_db::models::{DeliveryRow, OutboxRow};
use weft_db::{Db, DbError};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Requests in flight to one instance at once.
    pub in_flight: usize,
    /// First retry delay; each further failure doubles it, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive failures after which an instance is paused.
    pub pause_after: i32,
    /// Rows read per round for one instance.
    pub batch: i64,
    /// How long a worker holds an instance's queue before renewing; after a crash other
    /// processes (or the restarted one) wait this long before taking it over.
    pub lease: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            in_flight: 16,
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
        // service queues more, or a worker finishes (both notify).
        let next = shared
            .db
            .read(move |c| weft_db::outbox::next_wake_after(c, now))
            .await
            .ok()
            .flatten();
        let wait = next
            .map(|at| (at - weft_db::now()).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(60))
            .clamp(Duration::from_millis(5), Duration::from_secs(60));
        let _ = tokio::time::timeout(wait, notify.notified()).await;
    }
}

/// Sends everything due for one instance, then exits.
async fn run_instance(shared: Arc<Shared>, instance: i64, notify: Arc<Notify>) {
    let result = drain_instance(&shared, instance).await;
    if let Err(e) = result {
        warn!("delivery to instance {instance}: {e}");
    }
    shared
        .running
        .lock()
        .expect("running set")
        .remove(&instance);
    notify.notify_one();
}

async fn drain_instance(shared: &Arc<Shared>, instance: i64) -> Result<(), DbError> {
    let result = drain_leased(shared, instance).await;
    let owner = shared.owner.clone();
    shared
        .db
        .write(move |c| weft_db::outbox::release_lease(c, instance, &owner))
        .await?;
    result
}

async fn drain_leased(shared: &Arc<Shared>, instance: i64) -> Result<(), DbError> {
    loop {
        let owner = shared.owner.clone();
        let now = weft_db::now();
        let until =
            now + TimeDelta::from_std(shared.settings.lease).unwrap_or(TimeDelta::minutes(1));
        let leased = shared
            .db
            .write(move |c| weft_db::outbox::try_lease(c, instance, &owner, now, until))
            .await?;
        if !leased {
            return Ok(());
        }
        let now = weft_db::now();
        let batch = shared.settings.batch;
        let rows = shared
            .db
            .read(move |c| weft_db::outbox::queued_for_instance(c, instance, batch))
            .await?;
        let groups = due_groups(rows, now);
        if groups.is_empty() {
            return Ok(());
        }
        let results: Vec<(bool, Option<String>)> = futures_util::stream::iter(groups)
            .map(|group| send_group(shared, group))
            .buffer_unordered(shared.settings.in_flight)
            .collect()
            .await;
        let failure = results
            .iter()
            .find_map(|(ok, err)| (!ok).then(|| err.clone()).flatten());
        let now = weft_db::now();
        match failure {
            None => {
                shared
                    .db
                    .write(move |c| weft_db::outbox::record_success(c, instance, now))
                    .await?;
            }
            Some(error) => {
                let settings = shared.settings.clone();
                shared
                    .db
                    .write(move |c| -> Result<(), DbError> {
                        let before = weft_db::outbox::instance(c, instance)?;
                        let failures = before.consecutive_failures + 1;
                        let paused = (failures >= settings.pause_after)
                            .then(|| now + backoff(&settings, failures - settings.pause_after + 1));
                        weft_db::outbox::record_failure(c, instance, now, paused, &error)?;
                        Ok(())
                    })
                    .await?;
                return Ok(());
            }
        }
    }
}

/// Splits the queue (in id order) into groups by ordering key, keeping only rows due
/// now; a key whose oldest row is still backing off holds back its later rows too.
fn due_groups(
    rows: Vec<(DeliveryRow, OutboxRow)>,
    now: NaiveDateTime,
) -> Vec<Vec<(DeliveryRow, OutboxRow)>> {
    let mut blocked: HashSet<String> = HashSet::new();
    let mut order: Vec<String> = vec![];
    let mut groups: HashMap<String, Vec<(DeliveryRow, OutboxRow)>> = HashMap::new();
    for (delivery, activity) in rows {
        let key = delivery.ordering_key.clone();
        if blocked.contains(&key) {
            continue;
        }
        if delivery.next_attempt_at > now {
            blocked.insert(key);
            continue;
        }
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

/// Sends one key's rows in order; stops at the first failure. Returns (all ok, error).
async fn send_group(
    shared: &Arc<Shared>,
    group: Vec<(DeliveryRow, OutboxRow)>,
) -> (bool, Option<String>) {
    for (delivery, activity) in group {
        let signer = match signer(shared, activity.actor_id).await {
            Ok(s) => s,
            Err(e) => return (false, Some(e.to_string())),
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
        let settings = shared.settings.clone();
        let stored = match outcome {
            Ok(()) => {
                debug!("delivered {} to {}", activity.ap_id, delivery.inbox_url);
                shared
                    .db
                    .write(move |c| weft_db::outbox::delivered(c, delivery.id))
                    .await
            }
            Err(SendError::Refused(message)) => {
                warn!(
                    "{} refused {}: {message}",
                    delivery.inbox_url, activity.ap_id
                );
                shared
                    .db
                    .write(move |c| weft_db::outbox::delivered(c, delivery.id))
                    .await
            }
            Err(SendError::Retry(message)) => {
                debug!(
                    "will retry {} to {}: {message}",
                    activity.ap_id, delivery.inbox_url
                );
                let attempts = delivery.attempts + 1;
                let next = weft_db::now() + backoff(&settings, attempts);
                let error = message.clone();
                let result = shared
                    .db
                    .write(move |c| {
                        weft_db::outbox::reschedule(c, delivery.id, attempts, next, &error)
                    })
                    .await;
                if let Err(e) = result {
                    return (false, Some(e.to_string()));
                }
                return (false, Some(message));
            }
        };
        if let Err(e) = stored {
            return (false, Some(e.to_string()));
        }
    }
    (true, None)
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
