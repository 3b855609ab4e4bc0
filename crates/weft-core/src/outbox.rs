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
    let now = weft_db::now();
    let body =
        serde_json::to_string(&WithContext::new(out.activity)).expect("activities serialise");
    let outbox_id = weft_db::outbox::insert(
        conn,
        &NewOutbox {
            ap_id: out.activity_id.to_string(),
            actor_id: out.sender.id,
            kind: out.kind.to_string(),
            object_ap_id: out.object_id.map(str::to_string),
            body,
            is_public: out.public,
            created_at: now,
        },
    )?;
    let inboxes: BTreeSet<String> = out
        .inboxes
        .into_iter()
        .filter(|i| !urls.is_local(i))
        .collect();
    let ordering_key = out
        .object_id
        .map(str::to_string)
        .unwrap_or_else(|| out.activity_id.to_string());
    let targets: Vec<(String, String)> = inboxes
        .into_iter()
        .filter_map(|inbox| {
            let domain = Url::parse(&inbox)
                .ok()
                .as_ref()
                .and_then(crate::urls::host_port)?;
            Some((inbox, domain))
        })
        .collect();
    let mut domains: Vec<String> = targets.iter().map(|(_, d)| d.clone()).collect();
    domains.sort();
    domains.dedup();
    let instance_ids = weft_db::outbox::instance_ids(conn, &domains)?;
    let rows: Vec<NewDelivery> = targets
        .into_iter()
        .filter_map(|(inbox, domain)| {
            Some(NewDelivery {
                outbox_id,
                instance_id: *instance_ids.get(&domain)?,
                inbox_url: inbox,
                ordering_key: ordering_key.clone(),
                next_attempt_at: now,
            })
        })
        .collect();
    weft_db::outbox::insert_deliveries(conn, &rows)?;
    Ok(outbox_id)
}
