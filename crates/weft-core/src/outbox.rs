//! Writing outgoing activities: an outbox row, and one delivery row per remote inbox,
//! in the caller's transaction. The delivery workers send from there.

use crate::Urls;
use crate::software::{self, Form};
use serde::Serialize;
use std::collections::BTreeSet;
use url::Url;
use weft_db::models::{ActorRow, NewDelivery, NewOutbox};
use weft_db::{AnyConnection, DbResult};
use weft_protocol::WithContext;

/// One activity to send.
pub struct Outgoing<'a, A: Serialize> {
    pub sender: &'a ActorRow,
    pub activity: &'a A,
    pub kind: &'a str,
    pub activity_id: &'a Url,
    /// The object the activity is about; activities on one object reach each inbox in order.
    pub object_id: Option<&'a str>,
    /// Listed in the sender's public outbox collection.
    pub public: bool,
    /// Inboxes (shared where known). Local and duplicate ones are dropped here.
    pub inboxes: Vec<String>,
}

/// Stores the activity and queues its deliveries; returns the outbox id.
pub fn queue<A: Serialize>(
    conn: &mut AnyConnection,
    urls: &Urls,
    out: Outgoing<'_, A>,
) -> DbResult<i64> {
    Ok(queue_many(conn, urls, vec![out])?[0])
}

/// Stores several activities and queues their deliveries, in a few statements whatever
/// their number; returns the outbox ids in the order given.
pub fn queue_many<A: Serialize>(
    conn: &mut AnyConnection,
    urls: &Urls,
    outs: Vec<Outgoing<'_, A>>,
) -> DbResult<Vec<i64>> {
    queue_in_forms(conn, urls, outs.into_iter().map(|o| (o, None)).collect())
}

/// [`queue_many`], each activity with the form it is (`None`: every instance gets it):
/// an instance is sent only the forms its software reads ([`software::reads`]).
pub fn queue_in_forms<A: Serialize>(
    conn: &mut AnyConnection,
    urls: &Urls,
    outs: Vec<(Outgoing<'_, A>, Option<Form>)>,
) -> DbResult<Vec<i64>> {
    let planned = plan_in_forms(urls, outs);
    let deliveries = deliveries(conn, &planned.targets)?;
    weft_db::outbox::insert_with_deliveries(conn, &planned.rows, &deliveries)
}

/// Activities as outbox rows, and where each is to be delivered, not yet written.
pub struct Planned {
    pub rows: Vec<NewOutbox>,
    pub targets: Vec<Target>,
}

/// One remote inbox of one activity.
pub struct Target {
    pub activity_ap_id: String,
    pub inbox: String,
    pub domain: String,
    pub ordering_key: String,
    /// Sent only to instances that read this form; `None`: to every instance.
    pub form: Option<Form>,
}

/// The rows and targets of activities to send: local and repeated inboxes dropped,
/// activities on one object sharing an ordering key.
pub fn plan<A: Serialize>(urls: &Urls, outs: Vec<Outgoing<'_, A>>) -> Planned {
    plan_in_forms(urls, outs.into_iter().map(|o| (o, None)).collect())
}

/// [`plan`], each activity with its form (see [`queue_in_forms`]).
pub fn plan_in_forms<A: Serialize>(
    urls: &Urls,
    outs: Vec<(Outgoing<'_, A>, Option<Form>)>,
) -> Planned {
    let now = weft_db::now();
    let mut planned = Planned {
        rows: Vec::with_capacity(outs.len()),
        targets: vec![],
    };
    for (out, form) in outs {
        planned.rows.push(NewOutbox {
            ap_id: out.activity_id.to_string(),
            actor_id: out.sender.id,
            kind: out.kind.to_string(),
            object_ap_id: out.object_id.map(str::to_string),
            body: serde_json::to_string(&WithContext::new(out.activity))
                .expect("activities serialise"),
            is_public: out.public,
            created_at: now,
        });
        let inboxes: BTreeSet<String> = out
            .inboxes
            .into_iter()
            .filter(|i| !urls.is_local(i))
            .collect();
        let ordering_key = out
            .object_id
            .map(str::to_string)
            .unwrap_or_else(|| out.activity_id.to_string());
        planned
            .targets
            .extend(inboxes.into_iter().filter_map(|inbox| {
                let domain = Url::parse(&inbox)
                    .ok()
                    .as_ref()
                    .and_then(crate::urls::host_port)?;
                Some(Target {
                    activity_ap_id: out.activity_id.to_string(),
                    inbox,
                    domain,
                    ordering_key: ordering_key.clone(),
                    form,
                })
            }));
    }
    planned
}

/// Delivery rows for the targets (instances recorded as needed), keyed by the activity's
/// ap_id; their `outbox_id` is filled in by the caller once the activity is stored. A
/// target whose form its instance's software does not read is dropped here: one row per
/// instance per activity it reads.
pub fn deliveries(
    conn: &mut AnyConnection,
    targets: &[Target],
) -> DbResult<Vec<(String, NewDelivery)>> {
    if targets.is_empty() {
        return Ok(vec![]);
    }
    let mut domains: Vec<String> = targets.iter().map(|t| t.domain.clone()).collect();
    domains.sort();
    domains.dedup();
    let instances = weft_db::instances::known(conn, &domains)?;
    let now = weft_db::now();
    Ok(targets
        .iter()
        .filter_map(|t| {
            let instance = instances.get(&t.domain)?;
            if let Some(form) = t.form
                && !software::reads(instance.software.as_deref()).wants(form)
            {
                return None;
            }
            Some((
                t.activity_ap_id.clone(),
                NewDelivery {
                    outbox_id: 0,
                    instance_id: instance.id,
                    inbox_url: t.inbox.clone(),
                    ordering_key: t.ordering_key.clone(),
                    next_attempt_at: now,
                },
            ))
        })
        .collect())
}
