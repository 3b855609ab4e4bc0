//! What other servers send about events: RSVPs to events hosted here (`Join`,
//! `TentativeAccept`, `Leave`, a Mastodon poll vote), a remote community's answer to a
//! member's `Join`, and events announced by followed remote communities.

use super::wire::places;
use super::{Settled, closed_reason, details, record, settle, url};
use crate::outbox::{Outgoing, queue};
use crate::posts::{Received, check_event_authorship, created_placement};
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use serde_json::{Value, json};
use url::Url;
use weft_db::AnyConnection;
use weft_db::events::Published;
use weft_db::models::*;
use weft_protocol::{Activity, EventObject, QuestionObject, answer_for_option, same_id};

/// What became of a received RSVP.
#[derive(Debug)]
pub enum RsvpOutcome {
    Recorded(String),
    Refused(String),
    Ignored(String),
}

/// The answer an RSVP verb stands for.
pub fn answer_of(verb: &str) -> Option<&'static str> {
    match verb {
        "Join" => Some(rsvp::GOING),
        "TentativeAccept" => Some(rsvp::MAYBE),
        "Leave" => Some(rsvp::DECLINED),
        _ => None,
    }
}

/// The local event an RSVP names, with its (local) community; `Err` says why not.
fn hosted_event(
    conn: &mut AnyConnection,
    event_ap_id: &str,
) -> CoreResult<Result<ItemRow, String>> {
    let Some(item) = weft_db::items::by_ap_id(conn, event_ap_id)? else {
        return Ok(Err(format!("{event_ap_id} is not known here")));
    };
    if item.kind != ItemKind::Event {
        return Ok(Err(format!("{event_ap_id} is not an event")));
    }
    let hosted = match item.origin_community_id {
        Some(id) => weft_db::actors::by_id(conn, id)?.is_local,
        None => false,
    };
    if !hosted {
        return Ok(Err(format!(
            "{event_ap_id} belongs to a community of another instance; RSVP there"
        )));
    }
    Ok(Ok(item))
}

/// A remote person's `Join` (going), `TentativeAccept` (maybe) or `Leave` (can't go) of
/// an event hosted here. A `Join` is answered with `Accept`, or `Reject` when the event
/// is full or closed.
pub fn receive_rsvp(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    activity: &Activity<Value>,
    event_ap_id: &str,
) -> CoreResult<RsvpOutcome> {
    let answer = answer_of(&activity.kind)
        .ok_or_else(|| CoreError::Invalid(format!("{} is not an RSVP", activity.kind)))?;
    let item = match hosted_event(conn, event_ap_id)? {
        Ok(item) => item,
        Err(why) => return Ok(RsvpOutcome::Ignored(why)),
    };
    let shown = details(conn, item, None)?;
    let refusal = match closed_reason(&shown.item, &shown.event, weft_db::now()) {
        Some(why) => Some(why),
        None => match settle(
            conn,
            &shown.item,
            person,
            answer,
            Some(activity.id.as_str()),
        )? {
            Settled::Recorded => None,
            Settled::Full(capacity) => Some(format!("the event is full ({})", places(capacity))),
        },
    };
    if refusal.is_some() && activity.kind == "Join" && shown.item.deleted_at.is_none() {
        // The refused answer replaces the earlier one (as it does on the sender's side,
        // which marks its `Join` refused): counted nowhere, shown to the organiser.
        record(
            conn,
            &shown.item,
            person,
            answer,
            rsvp::REFUSED,
            Some(activity.id.as_str()),
        )?;
    }
    if activity.kind == "Join" {
        let verb = if refusal.is_some() {
            "Reject"
        } else {
            "Accept"
        };
        answer_join(
            conn,
            urls,
            &shown.community,
            person,
            activity,
            event_ap_id,
            verb,
        )?;
    }
    Ok(match refusal {
        Some(why) => RsvpOutcome::Refused(why),
        None => RsvpOutcome::Recorded(format!("{} is {answer} to {event_ap_id}", person.ap_id)),
    })
}

/// The community's `Accept`/`Reject` of a `Join`, to the person who sent it.
fn answer_join(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    person: &ActorRow,
    join: &Activity<Value>,
    event_ap_id: &str,
    verb: &str,
) -> CoreResult<()> {
    let id = urls.activity();
    let embedded = json!({
        "type": "Join",
        "id": join.id,
        "actor": person.ap_id,
        "object": event_ap_id,
    });
    let answer: Activity<Value> =
        Activity::new(verb, id.clone(), url(&community.ap_id), embedded).to([person.ap_id.clone()]);
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &answer,
            kind: verb,
            activity_id: &id,
            object_id: Some(event_ap_id),
            public: false,
            inboxes: vec![person.inbox_url.clone()],
        },
    )?;
    Ok(())
}

/// A remote community's `Accept` (`accepted`) or `Reject` of a local member's `Join`.
pub fn receive_join_answer(
    conn: &mut AnyConnection,
    community: &ActorRow,
    join_id: &str,
    accepted: bool,
) -> CoreResult<RsvpOutcome> {
    let Some(row) = weft_db::events::rsvp_by_activity(conn, join_id)? else {
        return Ok(RsvpOutcome::Ignored(format!(
            "no RSVP here was sent as {join_id}"
        )));
    };
    let item = weft_db::items::by_id(conn, row.event_id)?.expect("rsvps keep their event");
    rules::may_answer_for_event(&item, community)?;
    let state = if accepted {
        rsvp::ACCEPTED
    } else {
        rsvp::REFUSED
    };
    weft_db::events::set_rsvp_state(conn, row.id, state)?;
    Ok(RsvpOutcome::Recorded(format!(
        "RSVP to {} {state}",
        item.ap_id
    )))
}

/// A Mastodon user's vote on a local event's RSVP poll: `option` is the option's name.
pub fn receive_vote(
    conn: &mut AnyConnection,
    voter: &ActorRow,
    item_id: i64,
    vote_id: &Url,
    option: &str,
) -> CoreResult<RsvpOutcome> {
    let answer = answer_for_option(option).ok_or_else(|| {
        CoreError::Invalid(format!(
            "{option:?} is not an option of this poll (Going, Maybe, Can't go)"
        ))
    })?;
    let Some(item) = weft_db::items::by_id(conn, item_id)?.filter(|i| i.kind == ItemKind::Event)
    else {
        return Ok(RsvpOutcome::Ignored(format!("no event {item_id} here")));
    };
    let shown = details(conn, item, None)?;
    if let Some(why) = closed_reason(&shown.item, &shown.event, weft_db::now()) {
        return Ok(RsvpOutcome::Refused(why));
    }
    Ok(
        match settle(conn, &shown.item, voter, answer, Some(vote_id.as_str()))? {
            Settled::Recorded => RsvpOutcome::Recorded(format!(
                "{} voted {answer} on {}",
                voter.ap_id, shown.item.ap_id
            )),
            Settled::Full(capacity) => {
                RsvpOutcome::Refused(format!("the event is full ({})", places(capacity)))
            }
        },
    )
}

/// An event a followed remote community announced (the caller has established that the
/// object is authentic). Stored with its details, so members here can see and answer it.
pub fn receive_announced_event(
    conn: &mut AnyConnection,
    community: &ActorRow,
    author: &ActorRow,
    object: &EventObject,
) -> CoreResult<Received> {
    check_event_authorship(object, author)?;
    if let Some(reason) = rules::not_taken_from(conn, community)? {
        return Ok(Received::Ignored(reason));
    }
    if let Some(existing) = weft_db::items::by_ap_id(conn, object.id.as_str())? {
        return Ok(Received::Known(existing));
    }
    if !object.addresses().any(|a| same_id(a, &community.ap_id)) {
        return Ok(Received::Ignored(format!(
            "{} announced {} which is not addressed to it",
            community.ap_id, object.id
        )));
    }
    store_remote_event(conn, community, author, object).map(Received::Stored)
}

/// Stores a remote event of `community` (its origin), placed there as created.
pub(crate) fn store_remote_event(
    conn: &mut AnyConnection,
    community: &ActorRow,
    author: &ActorRow,
    object: &EventObject,
) -> CoreResult<ItemRow> {
    let now = weft_db::now();
    let item = weft_db::items::insert(
        conn,
        &NewItem {
            ap_id: object.id.to_string(),
            kind: ItemKind::Event,
            object_type: "Event".into(),
            author_id: author.id,
            origin_community_id: Some(community.id),
            title: Some(sanitize::remote_title(&object.name)),
            content: sanitize::html(&object.content),
            source: object.source.as_ref().map(sanitize::remote_source),
            url: object.url.as_ref().and_then(sanitize::remote_url),
            in_reply_to_id: None,
            in_reply_to_ap_id: None,
            thread_root_id: None,
            is_local: false,
            published_at: object.published.map(|p| p.naive_utc()).unwrap_or(now),
            updated_at: object.updated.map(|p| p.naive_utc()),
        },
    )?;
    weft_db::events::insert(conn, &super::wire::event_from_json(item.id, object))?;
    take_event_counts(conn, item.id, object)?;
    weft_db::items::place(conn, &created_placement(&item, author, community, now))?;
    Ok(item)
}

/// A remote author's `Update` of an event (a new time or place, or a cancellation).
pub fn receive_event_update(
    conn: &mut AnyConnection,
    author: &ActorRow,
    object: &EventObject,
) -> CoreResult<Received> {
    check_event_authorship(object, author)?;
    let Some(item) = weft_db::items::by_ap_id(conn, object.id.as_str())? else {
        return Ok(Received::Ignored(format!(
            "{} is not known here",
            object.id
        )));
    };
    rules::may_update_received_event(&item, author)?;
    weft_db::items::update_content(
        conn,
        item.id,
        Some(&sanitize::remote_title(&object.name)),
        &sanitize::html(&object.content),
        object
            .source
            .as_ref()
            .map(sanitize::remote_source)
            .as_deref(),
        object
            .updated
            .map(|u| u.naive_utc())
            .unwrap_or_else(weft_db::now),
    )?;
    weft_db::events::update(conn, &super::wire::event_from_json(item.id, object))?;
    take_event_counts(conn, item.id, object)?;
    let item = weft_db::items::by_id(conn, item.id)?.expect("exists");
    Ok(Received::Stored(item))
}

/// Where a remote event's published counts came from.
const FROM_EVENT: &str = "event";
const FROM_POLL: &str = "poll";

/// Keeps the counts a received `Event` carries (`participantCount`,
/// `remainingAttendeeCapacity`), unless its community's RSVP poll has given them: the poll
/// is sent again with every change, so its counts are never older than an `Event`'s.
fn take_event_counts(
    conn: &mut AnyConnection,
    item_id: i64,
    object: &EventObject,
) -> CoreResult<()> {
    if object.participant_count.is_none() && object.remaining_attendee_capacity.is_none() {
        return Ok(());
    }
    let known = weft_db::events::published(conn, item_id)?.unwrap_or_default();
    if known.from.as_deref() == Some(FROM_POLL) {
        return Ok(());
    }
    let published = Published {
        going: object.participant_count.map(|n| n.max(0)),
        maybe: None,
        declined: None,
        remaining: object.remaining_attendee_capacity.map(|n| n.max(0)),
        from: Some(FROM_EVENT.into()),
    };
    weft_db::events::set_published(conn, item_id, &published)?;
    Ok(())
}

/// A remote community's RSVP poll (`Create`/`Update` of a `Question` with `rsvpFor`): the
/// counts of its event as the hosting instance has them, shown here in place of the
/// answers only this instance's members gave.
pub fn receive_poll(
    conn: &mut AnyConnection,
    community: &ActorRow,
    poll: &QuestionObject,
) -> CoreResult<RsvpOutcome> {
    if poll.attributed_to.as_ref().map(Url::as_str) != Some(community.ap_id.as_str()) {
        return Err(CoreError::Forbidden(
            "an RSVP poll is taken only from the community that holds it".into(),
        ));
    }
    let Some(item) = weft_db::items::by_ap_id(conn, poll.rsvp_for.as_str())? else {
        return Ok(RsvpOutcome::Ignored(format!(
            "{} is not known here",
            poll.rsvp_for
        )));
    };
    if item.is_local {
        return Err(CoreError::Forbidden(format!(
            "{} is hosted here: its counts are this instance's own",
            item.ap_id
        )));
    }
    rules::may_answer_for_event(&item, community)?;
    if item.deleted_at.is_some() {
        return Ok(RsvpOutcome::Ignored(format!("{} was deleted", item.ap_id)));
    }
    let mut published = Published {
        from: Some(FROM_POLL.into()),
        ..Published::default()
    };
    for option in &poll.one_of {
        let votes = Some(option.replies.total_items.max(0));
        match answer_for_option(&option.name) {
            Some(rsvp::GOING) => published.going = votes,
            Some(rsvp::MAYBE) => published.maybe = votes,
            Some(rsvp::DECLINED) => published.declined = votes,
            _ => {}
        }
    }
    weft_db::events::set_published(conn, item.id, &published)?;
    Ok(RsvpOutcome::Recorded(format!(
        "{}: {} going, {} maybe, {} can't go",
        item.ap_id,
        published.going.unwrap_or(0),
        published.maybe.unwrap_or(0),
        published.declined.unwrap_or(0)
    )))
}
