//! Posts a community refuses. A local community that refuses a remote author's `Create`
//! for one of its rules tells the author with a `Reject` of that `Create` (with the
//! reason as `summary`); a local author's post into a remote community waits, *pending*,
//! for the community's `Announce`, and is *refused* when a `Reject` (or a 4xx from the
//! community's server, see `weft_db::post_states::refused_by_delivery`) comes back.

use crate::outbox::{Outgoing, queue};
use crate::posts::{Received, check_authorship, community_for};
use crate::received::IncomingCreate;
use crate::{CoreError, CoreResult, Urls, rules};
use serde::Serialize;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, ItemRow};
use weft_db::post_states::{PENDING, PUBLISHED, REFUSED};
use weft_protocol::Activity;

/// The `Reject` a community sends: the refused activity (its id, actor and the object's
/// id) and why.
#[derive(Serialize)]
struct RejectWithReason {
    #[serde(flatten)]
    activity: Activity<Activity<Url>>,
    summary: String,
}

/// After the inbox refused `create`: when the refusal was one of a local community's
/// posting rules, the community sends the author a `Reject` saying why, and the reason
/// is returned. Other refusals (a forged author, a malformed post) are answered only by
/// the HTTP status.
pub fn reject_refused_create(
    conn: &mut AnyConnection,
    urls: &Urls,
    create: &IncomingCreate,
) -> CoreResult<Option<String>> {
    let (author, object) = (&create.author, &create.object);
    if check_authorship(object, author).is_err() {
        return Ok(None);
    }
    let parent = match &object.in_reply_to {
        Some(p) => weft_db::items::by_ap_id(conn, p.as_str())?,
        None => None,
    };
    let Some(community) = community_for(conn, urls, object, parent.as_ref())? else {
        return Ok(None);
    };
    if !community.is_local {
        return Ok(None);
    }
    let reason = match rules::may_post(conn, &community, author, parent.is_none()) {
        Err(CoreError::Forbidden(reason)) => reason,
        _ => return Ok(None),
    };
    send_reject(
        conn,
        urls,
        &community,
        author,
        "Create",
        &create.create_id,
        &object.id,
        &reason,
    )?;
    Ok(Some(reason))
}

/// The local post a `Reject` names: by the refused `Create`'s id (as sent from this
/// instance's outbox), or by the post's own id.
pub fn rejected_post(conn: &mut AnyConnection, ids: &[String]) -> CoreResult<Option<ItemRow>> {
    for id in ids {
        let object = match weft_db::outbox::by_ap_id(conn, id)? {
            Some(row) if row.kind == "Create" => row.object_ap_id,
            _ => Some(id.clone()),
        };
        if let Some(object) = object
            && let Some(item) = weft_db::items::by_ap_id(conn, &object)?
            && item.is_local
        {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

/// A remote community's `Reject` of a local member's post into it: the post is marked
/// refused with the community's reason. Only the post's own community may refuse it,
/// and only while it waits (or was already refused by the community's server).
pub fn receive_reject(
    conn: &mut AnyConnection,
    community: &ActorRow,
    item: &ItemRow,
    reason: Option<&str>,
) -> CoreResult<Received> {
    let origin = match item.origin_community_id {
        Some(id) => Some(weft_db::actors::by_id(conn, id)?),
        None => None,
    };
    rules::may_refuse_post(item, origin.as_ref(), community)?;
    let state = weft_db::post_states::of(conn, item.id)?;
    match state.as_ref().map(|s| s.state.as_str()) {
        Some(PENDING) | Some(REFUSED) => {}
        Some(PUBLISHED) | None | Some(_) => {
            return Ok(Received::Ignored(format!(
                "{} was already published",
                item.ap_id
            )));
        }
    }
    let reason = reason
        .map(crate::sanitize::title)
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| format!("{} refused the post", community.ap_id));
    weft_db::post_states::set(conn, item.id, REFUSED, Some(&reason), weft_db::now())?;
    Ok(Received::Stored(item.clone()))
}

/// A remote community's `Announce` of a local member's post (or of its `Create`): the
/// community took it, so a pending post is published. Announces by other communities,
/// or of posts not local, change nothing.
pub fn announced_own_post(
    conn: &mut AnyConnection,
    community: &ActorRow,
    object_id: &str,
) -> CoreResult<Received> {
    let Some(item) = weft_db::items::by_ap_id(conn, object_id)?.filter(|i| i.is_local) else {
        return Ok(Received::Ignored(format!("{object_id} is not known here")));
    };
    if item.origin_community_id != Some(community.id) {
        return Ok(Received::Ignored(format!(
            "{} is not in {}",
            item.ap_id, community.ap_id
        )));
    }
    if weft_db::post_states::publish_pending(conn, item.id, weft_db::now())? {
        return Ok(Received::Stored(item));
    }
    Ok(Received::Known(item))
}

/// A local community tells `actor` it refused their `verb` (sent as `refused_id`) of
/// `object_id`, with the reason as `summary`: a `Reject` to their inbox alone. Posts and
/// resources are refused this way.
#[allow(clippy::too_many_arguments)]
pub fn send_reject(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    actor: &ActorRow,
    verb: &str,
    refused_id: &Url,
    object_id: &Url,
    reason: &str,
) -> CoreResult<()> {
    let id = urls.activity();
    let refused = Activity::new(
        verb,
        refused_id.clone(),
        Url::parse(&actor.ap_id).expect("stored ids are URLs"),
        object_id.clone(),
    );
    let reject = RejectWithReason {
        activity: Activity::new(
            "Reject",
            id.clone(),
            Url::parse(&community.ap_id).expect("stored ids are URLs"),
            refused,
        )
        .to([actor.ap_id.clone()]),
        summary: reason.to_string(),
    };
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &reject,
            kind: "Reject",
            activity_id: &id,
            object_id: Some(object_id.as_str()),
            public: false,
            inboxes: vec![actor.delivery_inbox().to_string()],
        },
    )?;
    Ok(())
}
