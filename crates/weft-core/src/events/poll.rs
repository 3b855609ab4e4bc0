//! The RSVP poll a community sends beside each of its events, for Mastodon: sent with
//! the event, sent again (at most once per `gap`) while votes and answers change its
//! counts, and deleted with the event.

use super::wire::{EventParts, poll_into_json};
use super::{details, url};
use crate::outbox::{Outgoing, queue};
use crate::{CoreResult, Urls};
use serde_json::Value;
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, ItemRow};
use weft_protocol::{Activity, PUBLIC};

/// The community's `Create`/`Update` of the poll, to its followers, with the counts as
/// they stand; the poll is then up to date.
pub(crate) fn send(
    conn: &mut AnyConnection,
    urls: &Urls,
    parts: &EventParts,
    verb: &str,
) -> CoreResult<()> {
    let community = parts.community;
    let now = weft_db::now();
    let poll = poll_into_json(urls, parts, now);
    let id = urls.activity();
    let activity: Activity<Value> = Activity::new(
        verb,
        id.clone(),
        url(&community.ap_id),
        serde_json::to_value(&poll).expect("json"),
    )
    .to([PUBLIC.to_string()])
    .cc(poll.addressing.cc.clone())
    .audience(poll.addressing.audience.clone());
    let inboxes = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &activity,
            kind: verb,
            activity_id: &id,
            object_id: Some(poll.id.as_str()),
            public: true,
            inboxes,
        },
    )?;
    weft_db::events::mark_poll_sent(conn, parts.item.id, now)?;
    Ok(())
}

/// Sends `Update(Question)` for local events whose counts changed and whose poll was last
/// sent at least `gap` ago; returns how many. Each event is locked and looked at again
/// first, so answers recorded meanwhile, and other processes sharing the database, are
/// neither lost nor sent twice.
pub fn send_updates(
    conn: &mut AnyConnection,
    urls: &Urls,
    gap: chrono::Duration,
) -> CoreResult<usize> {
    let sent_before = weft_db::now() - gap;
    let mut sent = 0;
    for item_id in weft_db::events::polls_due(conn, sent_before, None, 100)? {
        weft_db::events::by_item_for_update(conn, item_id)?;
        if weft_db::events::polls_due(conn, sent_before, Some(item_id), 1)?.is_empty() {
            continue;
        }
        let Some(item) = weft_db::items::by_id(conn, item_id)? else {
            continue;
        };
        let shown = details(conn, item, None)?;
        send(conn, urls, &shown.parts(), "Update")?;
        sent += 1;
    }
    Ok(sent)
}

/// Are any polls due (a read, so an idle instance writes nothing)?
pub fn updates_due(conn: &mut AnyConnection, gap: chrono::Duration) -> CoreResult<bool> {
    Ok(!weft_db::events::polls_due(conn, weft_db::now() - gap, None, 1)?.is_empty())
}

/// After a local event is deleted, its community deletes the RSVP poll, so Mastodon
/// stops showing it.
pub(crate) fn withdraw_poll(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    item: &ItemRow,
) -> CoreResult<()> {
    if item.kind != weft_db::models::ItemKind::Event || !community.is_local {
        return Ok(());
    }
    let poll_id = urls.rsvp_poll(item.id);
    let id = urls.activity();
    let delete: Activity<Value> = Activity::new(
        "Delete",
        id.clone(),
        url(&community.ap_id),
        Value::String(poll_id.to_string()),
    )
    .to([PUBLIC.to_string()])
    .cc(community.followers_url.clone())
    .audience(Some(url(&community.ap_id)));
    let inboxes = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &delete,
            kind: "Delete",
            activity_id: &id,
            object_id: Some(poll_id.as_str()),
            public: true,
            inboxes,
        },
    )?;
    Ok(())
}
