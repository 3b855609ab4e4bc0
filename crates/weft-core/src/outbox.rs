//! Writing outgoing activities: an outbox row, and one delivery row per remote inbox,
//! in the caller's transaction. The delivery workers send from there.

use crate::Urls;
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
    let now = weft_db::now();
    let rows: Vec<NewOutbox> = outs
        .iter()
        .map(|out| NewOutbox {
            ap_id: out.activity_id.to_string(),
            actor_id: out.sender.id,
            kind: out.kind.to_string(),
            object_ap_id: out.object_id.map(str::to_string),
            body: serde_json::to_string(&WithContext::new(out.activity))
                .expect("activities serialise"),
            is_public: out.public,
            created_at: now,
        })
        .collect();
    let outbox_ids = weft_db::outbox::insert_many(conn, &rows)?;
    // (outbox id, ordering key, inbox, domain) for every remote inbox of every activity.
    let mut targets: Vec<(i64, String, String, String)> = vec![];
    for (out, outbox_id) in outs.into_iter().zip(&outbox_ids) {
        let inboxes: BTreeSet<String> = out
            .inboxes
            .into_iter()
            .filter(|i| !urls.is_local(i))
            .collect();
        let ordering_key = out
            .object_id
            .map(str::to_string)
            .unwrap_or_else(|| out.activity_id.to_string());
        targets.extend(inboxes.into_iter().filter_map(|inbox| {
            let domain = Url::parse(&inbox)
                .ok()
                .as_ref()
                .and_then(crate::urls::host_port)?;
            Some((*outbox_id, ordering_key.clone(), inbox, domain))
        }));
    }
    if targets.is_empty() {
        return Ok(outbox_ids);
    }
    let mut domains: Vec<String> = targets.iter().map(|t| t.3.clone()).collect();
    domains.sort();
    domains.dedup();
    let instance_ids = weft_db::outbox::instance_ids(conn, &domains)?;
    let deliveries: Vec<NewDelivery> = targets
        .into_iter()
        .filter_map(|(outbox_id, ordering_key, inbox, domain)| {
            Some(NewDelivery {
                outbox_id,
                instance_id: *instance_ids.get(&domain)?,
                inbox_url: inbox,
                ordering_key,
                next_attempt_at: now,
            })
        })
        .collect();
    weft_db::outbox::insert_deliveries(conn, &deliveries)?;
    Ok(outbox_ids)
}
