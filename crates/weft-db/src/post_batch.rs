//! Storing a batch of received posts: the activities recorded as received, the posts
//! stored and placed, and what their communities send about them. Each part is gated on
//! the one before, so a post whose activity turns out to be a repeat (recorded a moment
//! ago by a concurrent writer) stores nothing, and a post stored meanwhile by another
//! writer is not announced twice. On PostgreSQL all of it is one statement, since every
//! statement is a round trip; on SQLite, cached statements row by row.

use crate::models::*;
use crate::{AnyConnection, DbResult};
use chrono::NaiveDateTime;
use std::collections::{HashMap, HashSet};

/// What a batch writes, decided beforehand. Row ids not known yet are 0.
#[derive(Default)]
pub struct PostBatch {
    /// (activity id, actor id) of every activity acted on.
    pub received: Vec<(String, String)>,
    /// Posts, each with the id of the activity that brought it: stored only if that
    /// activity was newly received, and only if no post with its ap_id is stored.
    pub items: Vec<(String, NewItem)>,
    /// Placements, by the ap_id of their post (stored only with it).
    pub placements: Vec<(String, NewPlacement)>,
    /// Activities about the posts: queued only if their `object_ap_id` was stored.
    pub outbox: Vec<NewOutbox>,
    /// Deliveries, by the ap_id of their activity.
    pub deliveries: Vec<(String, NewDelivery)>,
}

pub struct PostBatchWritten {
    /// Activity ids newly recorded as received.
    pub fresh: HashSet<String>,
    /// Posts stored: ap_id → row id.
    pub items: HashMap<String, i64>,
}

pub fn write(
    conn: &mut AnyConnection,
    batch: &PostBatch,
    now: NaiveDateTime,
) -> DbResult<PostBatchWritten> {
    match conn {
        AnyConnection::Postgresql(c) => Ok(crate::pg_batch::write_posts(c, batch, now)?),
        AnyConnection::Sqlite(_) => write_row_by_row(conn, batch, now),
    }
}

fn write_row_by_row(
    conn: &mut AnyConnection,
    batch: &PostBatch,
    now: NaiveDateTime,
) -> DbResult<PostBatchWritten> {
    let mut fresh = HashSet::with_capacity(batch.received.len());
    for (activity, actor) in &batch.received {
        if crate::outbox::mark_received(conn, activity, actor, now)? {
            fresh.insert(activity.clone());
        }
    }
    let mut stored: HashMap<String, i64> = HashMap::with_capacity(batch.items.len());
    for (activity, item) in &batch.items {
        if fresh.contains(activity)
            && let Some(id) = crate::items::insert_new(conn, item)?
        {
            stored.insert(item.ap_id.clone(), id);
        }
    }
    for (item, placement) in &batch.placements {
        if let Some(id) = stored.get(item) {
            let mut placement = placement.clone();
            placement.item_id = *id;
            crate::items::place(conn, &placement)?;
        }
    }
    let outbox: Vec<NewOutbox> = batch
        .outbox
        .iter()
        .filter(|o| {
            o.object_ap_id
                .as_ref()
                .is_some_and(|id| stored.contains_key(id))
        })
        .cloned()
        .collect();
    crate::outbox::insert_with_deliveries(conn, &outbox, &batch.deliveries)?;
    Ok(PostBatchWritten {
        fresh,
        items: stored,
    })
}
