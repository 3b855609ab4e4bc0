//! The dispatcher and the per-instance workers.

use crate::sender::{Payload, SendError, Sender, Signer};
use chrono::TimeDelta;
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, mpsc};
use tracing::{debug, warn};
use weft_db::models::DeliveryRow;
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
    /// The longest the dispatcher sleeps: rows queued by another process sharing the
    /// database (which cannot wake this one) wait at most this long.
    pub idle_poll: Duration,
    /// The name this process's leases are held under: one that a restarted process
    /// takes again (see `weft_db::lease_slots`), so it owns its predecessor's leases at
    /// once. None: a name of this process alone (its leases run out after a crash).
    pub lease_owner: Option<String>,
    /// Production: inboxes are held to the address rules (https, no internal IP
    /// literals); development sends to plain http and localhost.
    pub production: bool,
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
            idle_poll: Duration::from_secs(1),
            lease_owner: None,
            production: false,
        }
    }
}

/// Wakes the dispatcher when something was queued.
#[derive(Clone)]
pub struct DeliveryHandle {
    notify: Arc<Notify>,
    queued: Arc<AtomicBool>,
}

impl DeliveryHandle {
    pub fn wake(&self) {
        self.queued.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

struct Shared {
    db: Db,
    /// This process's name in instance leases.
    owner: String,
    sender: Sender,
    meter: weft_core::Meter,
    settings: Settings,
    workers: Semaphore,
    /// Instances being sent (or recorded) by this process: not claimed again meanwhile.
    running: Mutex<HashSet<i64>>,
    /// Sending actors' parsed keys, by actor row id.
    signers: Mutex<HashMap<i64, Arc<Signer>>>,
    /// Finished rounds, for the recorder.
    finished: mpsc::UnboundedSender<Round>,
    /// Set by every wake-up, cleared by the recorder as it starts a write: something was
    /// queued that a claim may have skipped because its instance was being sent.
    queued: Arc<AtomicBool>,
}

impl Shared {
    /// Only PostgreSQL is shared by several Weft processes; on SQLite the in-process
    /// `running` set is enough and leases would cost writes for nothing.
    fn shared_database(&self) -> bool {
        self.db.backend() == weft_db::Backend::Postgres
    }
}

/// Starts the dispatcher and the recorder; they run until the runtime stops. Attempts
/// are counted on `meter`.
pub fn spawn(
    db: Db,
    client: reqwest::Client,
    settings: Settings,
    meter: weft_core::Meter,
) -> DeliveryHandle {
    let notify = Arc::new(Notify::new());
    let owner = settings.lease_owner.clone().unwrap_or_else(|| {
        format!(
            "{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        )
    });
    let (finished, rounds) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Shared {
        db,
        owner,
        sender: Sender::new(client)
            .with_meter(meter.clone())
            .production(settings.production),
        meter,
        workers: Semaphore::new(settings.max_workers.max(1)),
        settings,
        running: Mutex::default(),
        signers: Mutex::default(),
        finished,
        queued: queued.clone(),
    });
    tokio::spawn(dispatch(shared.clone(), notify.clone()));
    tokio::spawn(record(shared, rounds, notify.clone()));
    DeliveryHandle { notify, queued }
}

fn backoff(settings: &Settings, failures: i32) -> TimeDelta {
    let factor = 2u32.saturating_pow(failures.clamp(0, 30) as u32 - u32::from(failures > 0));
    let delay = settings
        .first_backoff
        .saturating_mul(factor)
        .min(settings.max_backoff);
    TimeDelta::from_std(delay).unwrap_or(TimeDelta::days(1))
}

fn lease_length(settings: &Settings) -> TimeDelta {
    TimeDelta::from_std(settings.lease).unwrap_or(TimeDelta::minutes(1))
}

/// The least time between two claims: wake-ups arriving together cost one.
const GATHER: Duration = Duration::from_millis(5);

/// How long the recorder lets finished rounds gather before writing them.
const RECORD_GATHER: Duration = Duration::from_millis(5);

/// Claims what is due (many instances' rows in one transaction) and starts a worker per
/// instance with its rows in hand; sleeps until something else comes due or is queued.
/// A wake-up after a quiet spell claims at once; wake-ups in quick succession (a busy
/// inbox) are gathered, claims at least `GATHER` apart.
async fn dispatch(shared: Arc<Shared>, notify: Arc<Notify>) {
    let mut last_claim: Option<Instant> = None;
    loop {
        if let Some(since) = last_claim.map(|at| at.elapsed())
            && since < GATHER
        {
            tokio::time::sleep(GATHER - since).await;
        }
        last_claim = Some(Instant::now());
        let now = weft_db::now();
        let busy = busy_now(&shared);
        let (owner, per_instance) = (shared.owner.clone(), shared.settings.batch);
        let lease_until = shared
            .shared_database()
            .then(|| now + lease_length(&shared.settings));
        let claim = move |c: &mut weft_db::AnyConnection| {
            let claimant = weft_db::queue::Claimant {
                owner: &owner,
                lease_until,
            };
            weft_db::queue::claim_due(c, now, &claimant, &busy, per_instance as usize)
        };
        let claimed_at = Instant::now();
        let claimed = if lease_until.is_some() {
            // Taking leases is a write; most wake-ups (an inbox activity that queued
            // nothing) find nothing due, which a read can tell.
            let (owner, busy) = (shared.owner.clone(), busy_now(&shared));
            let due = shared
                .db
                .read(move |c| weft_db::outbox::instances_with_due(c, now, &owner))
                .await
                .map(|ids| ids.iter().any(|id| !busy.contains(id)));
            match due {
                Ok(true) => shared.db.write(claim).await,
                Ok(false) => Ok(Default::default()),
                Err(e) => Err(e),
            }
        } else {
            shared.db.read(claim).await
        };
        match claimed {
            Ok(claim) => {
                let instances = drop_blocked(&shared, claim.instances).await;
                let rounds = prepare(&shared, instances).await;
                {
                    let mut running = shared.running.lock().expect("running set");
                    for c in rounds {
                        running.insert(c.instance_id);
                        tokio::spawn(run_instance(shared.clone(), c, claimed_at));
                    }
                }
                if claim.more {
                    continue;
                }
            }
            Err(e) => warn!("delivery: cannot read the queue: {e}"),
        }
        // Everything due now has a worker; sleep until something else comes due, or a
        // service queues more, or a recorded round left more to send (both notify).
        let next = shared
            .db
            .read(move |c| weft_db::outbox::next_wake_after(c, now))
            .await
            .ok()
            .flatten();
        let wait = next
            .map(|at| (at - weft_db::now()).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(shared.settings.idle_poll)
            .clamp(Duration::from_millis(5), shared.settings.idle_poll);
        let _ = tokio::time::timeout(wait, notify.notified()).await;
    }
}

/// Leaves out the instances an admin blocked ([`weft_core::rules::may_federate_with`]):
/// their rows are handed to the recorder as done, unsent, which forgets them.
async fn drop_blocked(
    shared: &Arc<Shared>,
    claimed: Vec<weft_db::queue::Claimed>,
) -> Vec<weft_db::queue::Claimed> {
    if claimed.is_empty() {
        return claimed;
    }
    let ids: Vec<i64> = claimed.iter().map(|c| c.instance_id).collect();
    let blocked = shared
        .db
        .read(move |c| -> Result<HashSet<i64>, weft_core::CoreError> {
            let blocklist = weft_core::operations::Blocklist::load(c)?;
            if blocklist.is_empty() {
                return Ok(HashSet::new());
            }
            Ok(weft_db::operations::domains_of(c, &ids)?
                .into_iter()
                .filter(|(_, domain)| {
                    weft_core::rules::may_federate_with(&blocklist, domain).is_err()
                })
                .map(|(id, _)| id)
                .collect())
        })
        .await;
    let blocked = match blocked {
        Ok(blocked) => blocked,
        Err(e) => {
            // Sent as claimed; the next claim looks again.
            warn!("delivery: cannot read the blocked instances: {e}");
            return claimed;
        }
    };
    let (refused, allowed): (Vec<_>, Vec<_>) = claimed
        .into_iter()
        .partition(|c| blocked.contains(&c.instance_id));
    for c in refused {
        debug!(
            "instance {} is blocked: {} deliveries dropped",
            c.instance_id,
            c.rows.len()
        );
        for _ in &c.rows {
            shared.meter.count(
                "weft_deliveries_total",
                &[("result", "blocked"), ("status", "none")],
            );
        }
        shared
            .running
            .lock()
            .expect("running set")
            .insert(c.instance_id);
        let round = Round {
            instance: c.instance_id,
            done: c.rows.iter().map(|(d, _)| d.id).collect(),
            local_failure: None,
            peer_failure: None,
        };
        if shared.finished.send(round).is_err() {
            shared
                .running
                .lock()
                .expect("running set")
                .remove(&c.instance_id);
        }
    }
    allowed
}

/// One activity ready to send: who signs it and its payload.
struct Ready {
    ap_id: String,
    actor_id: i64,
    payload: Payload,
}

/// One instance's claimed rows, ready to send.
struct Claimed {
    instance_id: i64,
    rows: Vec<(DeliveryRow, Arc<Ready>)>,
    waiting: HashMap<String, i64>,
}

/// Makes each claimed activity ready once, however many instances it goes to (its body
/// shared, digested once), and loads each sender's key before the workers start, so they
/// do not all read and parse it at once.
async fn prepare(shared: &Arc<Shared>, claimed: Vec<weft_db::queue::Claimed>) -> Vec<Claimed> {
    let mut ready: HashMap<i64, Arc<Ready>> = HashMap::new();
    let rounds: Vec<Claimed> = claimed
        .into_iter()
        .map(|c| Claimed {
            instance_id: c.instance_id,
            waiting: c.waiting,
            rows: c
                .rows
                .into_iter()
                .map(|(delivery, activity)| {
                    let ready = ready
                        .entry(activity.id)
                        .or_insert_with(|| {
                            Arc::new(Ready {
                                ap_id: activity.ap_id.clone(),
                                actor_id: activity.actor_id,
                                payload: Payload::new(activity.body.clone()),
                            })
                        })
                        .clone();
                    (delivery, ready)
                })
                .collect(),
        })
        .collect();
    let mut actors: Vec<i64> = ready.values().map(|r| r.actor_id).collect();
    actors.sort_unstable();
    actors.dedup();
    for actor in actors {
        // A failure here is met again, and reported, by the worker.
        let _ = signer(shared, actor).await;
    }
    rounds
}

fn busy_now(shared: &Shared) -> Vec<i64> {
    shared
        .running
        .lock()
        .expect("running set")
        .iter()
        .copied()
        .collect()
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

/// One instance's round, sent and waiting to be recorded.
struct Round {
    instance: i64,
    /// Rows done with: delivered, or refused for good.
    done: Vec<i64>,
    local_failure: Option<String>,
    peer_failure: Option<String>,
}

/// This process's lease on one instance's queue (PostgreSQL), taken when the rows were
/// claimed and renewed while sending; released when the round is recorded.
struct Lease {
    instance: i64,
    shared_database: bool,
    renewed: Mutex<Instant>,
}

impl Lease {
    async fn renew(&self, shared: &Shared) -> Result<bool, DbError> {
        let (owner, instance) = (shared.owner.clone(), self.instance);
        let now = weft_db::now();
        let until = now + lease_length(&shared.settings);
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
}

/// Sends one instance's claimed rows (waiting for a worker slot first), then hands the
/// round to the recorder.
/// `claimed_at`: when the lease was taken; a worker that waited long for its slot renews
/// it before sending.
async fn run_instance(shared: Arc<Shared>, claimed: Claimed, claimed_at: Instant) {
    let instance = claimed.instance_id;
    let lease = Lease {
        instance,
        shared_database: shared.shared_database(),
        renewed: Mutex::new(claimed_at),
    };
    let round = match shared.workers.acquire().await {
        Ok(_permit) => send_round(&shared, &lease, claimed).await,
        Err(_) => Round {
            instance,
            done: vec![],
            local_failure: Some("delivery is shutting down".into()),
            peer_failure: None,
        },
    };
    if shared.finished.send(round).is_err() {
        shared
            .running
            .lock()
            .expect("running set")
            .remove(&instance);
    }
}

async fn send_round(shared: &Arc<Shared>, lease: &Lease, claimed: Claimed) -> Round {
    let groups = due_groups(claimed.rows, &claimed.waiting);
    let results: Vec<(Vec<i64>, GroupResult)> = futures_util::stream::iter(groups)
        .map(|group| send_group(shared, lease, group))
        .buffer_unordered(shared.settings.in_flight)
        .collect()
        .await;
    let mut round = Round {
        instance: claimed.instance_id,
        done: vec![],
        local_failure: None,
        peer_failure: None,
    };
    for (done, result) in results {
        round.done.extend(done);
        match result {
            GroupResult::Done => {}
            GroupResult::PeerFailed(e) => round.peer_failure = round.peer_failure.or(Some(e)),
            GroupResult::LocalFailed(e) => round.local_failure = round.local_failure.or(Some(e)),
        }
    }
    if let Some(error) = &round.local_failure {
        warn!(
            "delivery to instance {} stopped by a local error: {error}",
            round.instance
        );
    }
    round
}

/// Records finished rounds, as many as have finished, in one write: the rows sent are
/// forgotten (a crash before this resends them; receivers drop repeats by id), each
/// instance's health is noted, and its lease released. Then the instances may be
/// claimed again, and the dispatcher is woken if that may find something: an instance
/// that got somewhere still has rows queued (cut at a limit, queued by another process,
/// made due by a recovery), something was queued while the write went on, or a failure
/// changed when the next retry comes due. (Waking it after every round cost a fan-out a
/// dozen claims that found nothing.)
async fn record(
    shared: Arc<Shared>,
    mut rounds: mpsc::UnboundedReceiver<Round>,
    notify: Arc<Notify>,
) {
    while let Some(first) = rounds.recv().await {
        // Rounds finishing together are recorded together: a write per round would be
        // most of the database's work in a fan-out.
        tokio::time::sleep(RECORD_GATHER).await;
        let mut batch = vec![first];
        while batch.len() < 4096 {
            match rounds.try_recv() {
                Ok(round) => batch.push(round),
                Err(_) => break,
            }
        }
        let instances: Vec<i64> = batch.iter().map(|r| r.instance).collect();
        // Instances that got somewhere may have more due: rows cut at a limit, queued
        // meanwhile (by this process or another), or made due by a recovery.
        let moved: Vec<i64> = batch
            .iter()
            .filter(|r| !r.done.is_empty())
            .map(|r| r.instance)
            .collect();
        // A failure moves the next retry: the dispatcher's sleep is worked out anew.
        let failure = batch.iter().any(|r| r.peer_failure.is_some());
        let done: Vec<i64> = batch.iter().flat_map(|r| r.done.iter().copied()).collect();
        let healthy: Vec<i64> = batch
            .iter()
            .filter(|r| r.local_failure.is_none() && r.peer_failure.is_none() && !r.done.is_empty())
            .map(|r| r.instance)
            .collect();
        let failed: Vec<(i64, String)> = batch
            .into_iter()
            .filter(|r| r.local_failure.is_none())
            .filter_map(|r| r.peer_failure.map(|e| (r.instance, e)))
            .collect();
        let (settings, owner) = (shared.settings.clone(), shared.owner.clone());
        let (leased, release) = (shared.shared_database(), instances.clone());
        let now = weft_db::now();
        // Rows queued from here on are seen by the check in the write below, or leave
        // this set for the check after it.
        shared.queued.store(false, Ordering::SeqCst);
        let written = shared
            .db
            .write_grouped(move |c| -> Result<bool, DbError> {
                weft_db::outbox::delivered_many(c, &done)?;
                weft_db::queue::record_successes(c, &healthy, now)?;
                for (instance, error) in &failed {
                    let before = weft_db::outbox::instance(c, *instance)?;
                    let failures = before.consecutive_failures + 1;
                    let paused = (failures >= settings.pause_after)
                        .then(|| now + backoff(&settings, failures - settings.pause_after + 1));
                    weft_db::outbox::record_failure(c, *instance, now, paused, error)?;
                }
                if leased {
                    weft_db::queue::release_leases(c, &release, &owner)?;
                }
                Ok(!weft_db::queue::with_rows_left(c, &moved)?.is_empty())
            })
            .await;
        let more_due = match written {
            Ok(more_due) => more_due,
            // The rows stay queued and are sent again; receivers drop repeats by id.
            Err(e) => {
                warn!("delivery: cannot record {} rounds: {e}", instances.len());
                false
            }
        };
        {
            let mut running = shared.running.lock().expect("running set");
            for instance in &instances {
                running.remove(instance);
            }
        }
        // Something queued while these instances were busy may have been skipped by a
        // claim; now that they may be claimed again, look.
        let queued_meanwhile = shared.queued.load(Ordering::SeqCst);
        if more_due || failure || queued_meanwhile {
            notify.notify_one();
        }
    }
}

/// Splits due rows (in id order) into groups by ordering key, leaving out rows whose key
/// has an older row still waiting for its retry: those go when it has gone.
fn due_groups(
    rows: Vec<(DeliveryRow, Arc<Ready>)>,
    waiting: &HashMap<String, i64>,
) -> Vec<Vec<(DeliveryRow, Arc<Ready>)>> {
    let mut order: Vec<String> = vec![];
    let mut groups: HashMap<String, Vec<(DeliveryRow, Arc<Ready>)>> = HashMap::new();
    for (delivery, activity) in rows {
        if waiting
            .get(&delivery.ordering_key)
            .is_some_and(|oldest| *oldest < delivery.id)
        {
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
    group: Vec<(DeliveryRow, Arc<Ready>)>,
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
            .send(&delivery.inbox_url, &activity.payload, &signer)
            .await;
        match outcome {
            Ok(()) => debug!("delivered {} to {}", activity.ap_id, delivery.inbox_url),
            Err(SendError::Refused(message)) => {
                warn!(
                    "{} refused {}: {message}",
                    delivery.inbox_url, activity.ap_id
                );
                // A post refused by its community's server is shown refused to its author.
                let (outbox_id, instance) = (delivery.outbox_id, delivery.instance_id);
                if let Err(e) = shared
                    .db
                    .write(move |c| {
                        weft_db::post_states::refused_by_delivery(c, outbox_id, instance, &message)
                    })
                    .await
                {
                    warn!("cannot record the refusal of {}: {e}", activity.ap_id);
                }
            }
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

async fn signer(shared: &Arc<Shared>, actor_id: i64) -> Result<Arc<Signer>, DbError> {
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
    let signer = Arc::new(Signer::from_pem(&actor.public_key_id, &pem).map_err(DbError::Task)?);
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
