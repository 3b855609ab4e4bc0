//! Resources from other instances. Where the community lives: a remote member's `Create`
//! or `Update` (decided by the same rules as a local one, then announced), and their
//! `Delete`. Where it is followed: the versions the community announces, kept one by
//! one; one that goes backwards, or repeats a number with other content, is refused.

use super::fields;
use super::{ResourceDetails, details, send, store_new, store_version, wire};
use crate::posts::{Received, created_placement};
use crate::{CoreError, CoreResult, Urls, rules};
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{ResourceObject, same_id};

/// The local community a member's `Create`/`Update` is for: the one that holds the
/// resource, else the one it is attributed or addressed to.
fn community_for(
    conn: &mut AnyConnection,
    urls: &Urls,
    object: &ResourceObject,
    existing: Option<&ItemRow>,
) -> CoreResult<Option<ActorRow>> {
    if let Some(item) = existing {
        return Ok(match item.origin_community_id {
            Some(id) => Some(weft_db::actors::by_id(conn, id)?),
            None => None,
        });
    }
    for address in object.addresses() {
        if !urls.is_local(address) {
            continue;
        }
        if let Some(actor) = weft_db::actors::by_ap_id(conn, address)?
            && actor.is_group()
        {
            return Ok(Some(actor));
        }
    }
    Ok(None)
}

/// A remote member's `Create` or `Update` of a resource of a community here. The
/// community takes it if its rules let `actor` add (a member) or edit (the author, a lead
/// or a facilitator); the new resource or version is `actor`'s, and the community
/// announces it. An `Update` must carry the next version number: one at or below the
/// current version was written against an older text and is refused.
pub fn receive_member_change(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    activity_id: &Url,
    verb: &str,
    object: &ResourceObject,
) -> CoreResult<Received> {
    let existing = match verb {
        "Update" => Some(
            weft_db::items::by_ap_id(conn, object.id.as_str())?
                .filter(|i| i.kind == ItemKind::Resource && i.is_local)
                .ok_or_else(|| {
                    CoreError::NotFound(format!("{} is no resource of this instance", object.id))
                })?,
        ),
        _ => None,
    };
    let Some(community) = community_for(conn, urls, object, existing.as_ref())? else {
        return Ok(Received::Ignored(format!(
            "{} is for no community of this instance",
            object.id
        )));
    };
    if !community.is_local {
        return Ok(Received::Ignored(format!(
            "{} belongs to {}, which lives elsewhere",
            object.id, community.ap_id
        )));
    }
    let content = wire::content_from_json(object)?;
    let message = fields::message(object.weft.message.as_deref());
    let Some(item) = existing else {
        rules::may_add_resource(conn, &community, actor)?;
        let d = store_new(conn, urls, actor, &community, content, None)?;
        send(conn, urls, &d, actor, "Create", Some(activity_id))?;
        return Ok(Received::Stored(d.item));
    };
    if item.deleted_at.is_some() {
        return Err(CoreError::NotFound(format!("{} was deleted", item.ap_id)));
    }
    weft_db::resources::by_item_for_update(conn, item.id)?;
    let d = details(conn, item)?;
    rules::may_change_resource(conn, &community, &d.item, actor)?;
    let next = d.resource.current_version + 1;
    if let Some(sent) = object.weft.version
        && sent != i64::from(next)
    {
        return Err(CoreError::Conflict(format!(
            "the edit is version {sent}, but {} is at version {}: edit the current version",
            d.item.ap_id, d.resource.current_version
        )));
    }
    if content == d.content() {
        return Ok(Received::Known(d.item));
    }
    let d = store_version(conn, &d, next, content, message, actor, weft_db::now())?;
    send(conn, urls, &d, actor, "Update", Some(activity_id))?;
    Ok(Received::Stored(d.item))
}

/// A remote `Delete` of a resource by a person: where the community lives, its author, a
/// lead or a facilitator may (the community announces it).
pub fn receive_delete(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    delete_id: &Url,
    item: ItemRow,
) -> CoreResult<Received> {
    if item.deleted_at.is_some() {
        return Ok(Received::Known(item));
    }
    let d = details(conn, item)?;
    if !d.community.is_local {
        return Ok(Received::Ignored(format!(
            "{} is removed by its community, {}",
            d.item.ap_id, d.community.ap_id
        )));
    }
    rules::may_change_resource(conn, &d.community, &d.item, actor)?;
    weft_db::items::mark_deleted(conn, d.item.id, weft_db::now())?;
    send(conn, urls, &d, actor, "Delete", Some(delete_id))?;
    Ok(Received::Stored(d.item))
}

/// A version of a resource a followed remote `community` announced (the caller has
/// established it is authentic: embedded on the community's own host, or fetched from
/// there). `author` added the resource, `editor` wrote this version. A new resource is
/// stored with the version it is at; a known one takes the version if it is newer than
/// the one held. An older version, or the same number with other content, is refused.
pub fn receive_announced(
    conn: &mut AnyConnection,
    community: &ActorRow,
    author: &ActorRow,
    editor: &ActorRow,
    object: &ResourceObject,
) -> CoreResult<Received> {
    if !object
        .attributed_to
        .as_ref()
        .is_some_and(|a| same_id(a.as_str(), &community.ap_id))
    {
        return Err(CoreError::Forbidden(format!(
            "{} announced {}, which is not in its library",
            community.ap_id, object.id
        )));
    }
    if let Some(reason) = rules::not_taken_from(conn, community)? {
        return Ok(Received::Ignored(reason));
    }
    let content = wire::content_from_json(object)?;
    let message = fields::message(object.weft.message.as_deref());
    let sent = object
        .weft
        .version
        .map(i32::try_from)
        .transpose()
        .map_err(|_| {
            CoreError::Invalid(format!("weft:version of {} is out of range", object.id))
        })?;
    if sent.is_some_and(|v| v < 1) {
        return Err(CoreError::Invalid(format!(
            "weft:version of {} must be 1 or more",
            object.id
        )));
    }
    let at = object
        .updated
        .or(object.published)
        .map(|t| t.naive_utc())
        .unwrap_or_else(weft_db::now);
    let Some(item) = weft_db::items::by_ap_id(conn, object.id.as_str())? else {
        let number = sent.unwrap_or(1);
        let item = weft_db::items::insert(
            conn,
            &NewItem {
                ap_id: object.id.to_string(),
                kind: ItemKind::Resource,
                object_type: "Document".into(),
                author_id: author.id,
                origin_community_id: Some(community.id),
                title: Some(content.title.clone()),
                content: content.description_html.clone(),
                source: Some(content.description_source.clone()),
                url: object.url.as_ref().and_then(crate::sanitize::remote_url),
                in_reply_to_id: None,
                in_reply_to_ap_id: None,
                thread_root_id: None,
                is_local: false,
                published_at: object.published.map(|p| p.naive_utc()).unwrap_or(at),
                updated_at: object.updated.map(|u| u.naive_utc()),
            },
        )?;
        weft_db::items::place(conn, &created_placement(&item, author, community, at))?;
        weft_db::resources::insert(
            conn,
            &ResourceRow {
                item_id: item.id,
                folder_id: None,
                current_version: number,
                kind: content.kind.clone(),
            },
        )?;
        weft_db::resources::insert_version(
            conn,
            &content.into_version(item.id, number, message, editor.id, at),
        )?;
        return Ok(Received::Stored(item));
    };
    if item.kind != ItemKind::Resource || item.origin_community_id != Some(community.id) {
        return Err(CoreError::Forbidden(format!(
            "{} is not a resource of {}",
            item.ap_id, community.ap_id
        )));
    }
    if item.deleted_at.is_some() {
        return Ok(Received::Ignored(format!("{} was deleted", item.ap_id)));
    }
    weft_db::resources::by_item_for_update(conn, item.id)?;
    let d: ResourceDetails = details(conn, item)?;
    let current = d.resource.current_version;
    let same = content == d.content();
    let number = match sent {
        Some(v) => v,
        // Without version numbers (Mobilizon), a changed text is the next version.
        None if same => current,
        None => current + 1,
    };
    if number < current {
        return Err(CoreError::Conflict(format!(
            "version {number} of {} goes backwards: version {current} is held here",
            d.item.ap_id
        )));
    }
    if number == current {
        if same {
            return Ok(Received::Known(d.item));
        }
        return Err(CoreError::Conflict(format!(
            "version {number} of {} repeats a version held here with other content",
            d.item.ap_id
        )));
    }
    let d = store_version(conn, &d, number, content, message, editor, at)?;
    Ok(Received::Stored(d.item))
}

/// After a local community refused `actor`'s change (`verb` of `object_id`, sent as
/// `activity_id`) for one of its rules: tells them why, with a `Reject`.
pub fn reject_change(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    activity_id: &Url,
    verb: &str,
    object: &ResourceObject,
    reason: &str,
) -> CoreResult<bool> {
    let existing = weft_db::items::by_ap_id(conn, object.id.as_str())?;
    let Some(community) = community_for(conn, urls, object, existing.as_ref())?
        .filter(|c| c.is_local && c.is_group())
    else {
        return Ok(false);
    };
    crate::refusals::send_reject(
        conn,
        urls,
        &community,
        actor,
        verb,
        activity_id,
        &object.id,
        reason,
    )?;
    Ok(true)
}
