//! Events (meetings, seminars) and RSVPs. A lead or facilitator schedules an event in
//! their community; the community announces it (FEP-1b12, like a thread) and sends an
//! RSVP poll for Mastodon. The community answers RSVPs: members here record theirs
//! directly, members elsewhere send `Join`/`TentativeAccept`/`Leave` (see `received`).

pub mod fields;
pub mod poll;
pub mod received;
pub mod wire;

use crate::outbox::{Outgoing, queue};
use crate::posts::store_local;
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use chrono::NaiveDateTime;
pub use fields::{EventChanges, EventFields, Place};
pub(crate) use poll::withdraw_poll;
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::events::Counts;
use weft_db::models::*;
use weft_protocol::Activity;
use wire::{EventParts, event_into_json};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// An event with what is shown about it, and the viewer's own answer.
#[derive(Debug, Clone)]
pub struct EventDetails {
    pub item: ItemRow,
    pub event: EventRow,
    pub author: ActorRow,
    pub community: ActorRow,
    /// All answers where the event is hosted; elsewhere the counts its hosting instance
    /// published, or (until it has) the answers known here.
    pub counts: Counts,
    /// The counts are the hosting instance's (a remote event).
    pub counts_published: bool,
    pub places_left: Option<i64>,
    pub mine: Option<RsvpRow>,
}

impl EventDetails {
    pub fn parts(&self) -> EventParts<'_> {
        EventParts {
            item: &self.item,
            event: &self.event,
            author: &self.author,
            community: &self.community,
            counts: self.counts,
        }
    }
}

/// The event item `item_id` with its details; `viewer`'s answer when one is given.
pub fn details(
    conn: &mut AnyConnection,
    item: ItemRow,
    viewer: Option<&ActorRow>,
) -> CoreResult<EventDetails> {
    let event = weft_db::events::by_item(conn, item.id)?
        .ok_or_else(|| CoreError::NotFound(format!("{} is not an event", item.ap_id)))?;
    let community_id = item
        .origin_community_id
        .ok_or_else(|| CoreError::Invalid("the event is in no community".into()))?;
    let community = weft_db::actors::by_id(conn, community_id)?;
    let author = weft_db::actors::by_id(conn, item.author_id)?;
    let published = match community.is_local {
        true => None,
        false => weft_db::events::published(conn, item.id)?.filter(|p| p.from.is_some()),
    };
    let counts = match &published {
        Some(p) => Counts {
            going: p.going.unwrap_or(0),
            maybe: p.maybe.unwrap_or(0),
            declined: p.declined.unwrap_or(0),
        },
        None => weft_db::events::counts(conn, item.id)?,
    };
    let places_left = published
        .as_ref()
        .and_then(|p| p.remaining)
        .or_else(|| event.capacity.map(|c| (i64::from(c) - counts.going).max(0)));
    let mine = match viewer {
        Some(v) => weft_db::events::rsvp_of(conn, item.id, v.id)?,
        None => None,
    };
    Ok(EventDetails {
        item,
        event,
        author,
        community,
        counts,
        counts_published: published.is_some(),
        places_left,
        mine,
    })
}

/// An event as a member sees it: gone (404) once deleted, here and on every instance that
/// heard of the deletion.
pub fn shown(
    conn: &mut AnyConnection,
    item_id: i64,
    viewer: Option<&ActorRow>,
) -> CoreResult<EventDetails> {
    let item = weft_db::items::by_id(conn, item_id)?
        .filter(|i| i.kind == ItemKind::Event && i.deleted_at.is_none())
        .ok_or_else(|| CoreError::NotFound(format!("no event {item_id}")))?;
    details(conn, item, viewer)
}

/// Who answered a local event (people here and elsewhere), for its organiser and the
/// community's moderators.
pub fn attendees(
    conn: &mut AnyConnection,
    viewer: &ActorRow,
    item_id: i64,
) -> CoreResult<Vec<(RsvpRow, ActorRow)>> {
    let shown = shown(conn, item_id, None)?;
    rules::may_see_attendees(conn, &shown.item, &shown.community, viewer)?;
    Ok(weft_db::events::attendees(conn, item_id)?)
}

/// A community's events that are not over yet, soonest first.
pub fn upcoming(
    conn: &mut AnyConnection,
    community: &ActorRow,
    viewer: &ActorRow,
    after: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<EventDetails>> {
    // The page goes on after the event `after` (its start, then its id).
    let after = match after {
        Some(id) => {
            let row = weft_db::events::by_item(conn, id)?
                .ok_or_else(|| CoreError::Invalid(format!("after={id} names no event here")))?;
            Some((row.starts_at, id))
        }
        None => None,
    };
    let rows = weft_db::events::upcoming(
        conn,
        community.id,
        weft_db::now(),
        after,
        limit.clamp(1, 100),
    )?;
    rows.into_iter()
        .map(|(item, _)| details(conn, item, Some(viewer)))
        .collect()
}

/// A lead or facilitator schedules an event in their (local) community. The author's
/// `Create(Event)` goes in their outbox; the community announces it to its followers
/// and sends its RSVP poll.
pub fn schedule(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    community: &ActorRow,
    new: EventFields,
) -> CoreResult<EventDetails> {
    rules::may_schedule_event(conn, community, author)?;
    let now = weft_db::now();
    let title = fields::title(new.title)?;
    let description = new.description.trim().to_string();
    crate::posts::check_length("the description", &description)?;
    let mut event = fields::new_row(&new.into(), now)?;
    let item = store_local(
        conn,
        urls,
        author,
        community,
        NewItem {
            ap_id: String::new(),
            kind: ItemKind::Event,
            object_type: "Event".into(),
            author_id: author.id,
            origin_community_id: Some(community.id),
            title: Some(title),
            content: sanitize::text_to_html(&description),
            source: Some(description).filter(|d| !d.is_empty()),
            url: None,
            in_reply_to_id: None,
            in_reply_to_ap_id: None,
            thread_root_id: None,
            is_local: true,
            published_at: now,
            updated_at: None,
        },
    )?;
    event.item_id = item.id;
    weft_db::events::insert(conn, &event)?;
    let details = details(conn, item, Some(author))?;
    send(conn, urls, &details, "Create")?;
    Ok(details)
}

/// A local event, read for a change by `actor` (its organiser or a moderator of its
/// community) while it can still change.
fn changeable(conn: &mut AnyConnection, actor: &ActorRow, item_id: i64) -> CoreResult<ItemRow> {
    let item = weft_db::items::by_id(conn, item_id)?
        .filter(|i| i.kind == ItemKind::Event && i.deleted_at.is_none())
        .ok_or_else(|| CoreError::NotFound(format!("no event {item_id}")))?;
    rules::may_change_item(conn, &item, actor)?;
    if !item.is_local {
        return Err(CoreError::Invalid(
            "only the event's own instance can change it".into(),
        ));
    }
    Ok(item)
}

/// The organiser or a moderator changes an event: what `changes` names (title,
/// description, time, zone, place, link, capacity) replaces what is stored, the rest
/// stays. Its answers stay; a lower capacity turns nobody away who is going already.
/// Followers get `Update(Event)` and the poll's `Update(Question)`.
pub fn edit(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
    changes: EventChanges,
) -> CoreResult<EventDetails> {
    let item = changeable(conn, actor, item_id)?;
    let mut event = weft_db::events::by_item_for_update(conn, item.id)?
        .ok_or_else(|| CoreError::NotFound(format!("no event {item_id}")))?;
    if event.status == event_status::CANCELLED {
        return Err(CoreError::Conflict(
            "the event was cancelled: schedule a new one instead".into(),
        ));
    }
    let now = weft_db::now();
    fields::apply(&mut event, &changes, now)?;
    let title = match changes.title {
        Some(t) => Some(fields::title(t)?),
        None => item.title.clone(),
    };
    if let Some(d) = changes.description {
        crate::posts::check_length("the description", d.trim())?;
    }
    let (content, source) = match changes.description.map(str::trim) {
        Some(d) => (
            sanitize::text_to_html(d),
            Some(d.to_string()).filter(|d| !d.is_empty()),
        ),
        None => (item.content.clone(), item.source.clone()),
    };
    weft_db::events::update(conn, &event)?;
    weft_db::items::update_content(
        conn,
        item.id,
        title.as_deref(),
        &content,
        source.as_deref(),
        now,
    )?;
    let item = weft_db::items::by_id(conn, item.id)?.expect("exists");
    let details = details(conn, item, Some(actor))?;
    send(conn, urls, &details, "Update")?;
    Ok(details)
}

/// The author or a moderator cancels an event: it stays listed as cancelled, takes no
/// more RSVPs, and its poll closes.
pub fn cancel(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
) -> CoreResult<EventDetails> {
    let item = changeable(conn, actor, item_id)?;
    let mut event = weft_db::events::by_item(conn, item.id)?
        .ok_or_else(|| CoreError::NotFound(format!("{item_id} is not an event")))?;
    if event.status == event_status::CANCELLED {
        return details(conn, item, Some(actor));
    }
    event.status = event_status::CANCELLED.into();
    weft_db::events::update(conn, &event)?;
    weft_db::items::update_content(
        conn,
        item.id,
        item.title.as_deref(),
        &item.content,
        item.source.as_deref(),
        weft_db::now(),
    )?;
    let item = weft_db::items::by_id(conn, item.id)?.expect("exists");
    let details = details(conn, item, Some(actor))?;
    send(conn, urls, &details, "Update")?;
    Ok(details)
}

/// The author's `Create`/`Update` of the event (kept in their outbox), announced by the
/// community with the bare event, and the community's `Create`/`Update` of the poll.
fn send(
    conn: &mut AnyConnection,
    urls: &Urls,
    details: &EventDetails,
    verb: &str,
) -> CoreResult<()> {
    let parts = details.parts();
    let object = event_into_json(&parts);
    let community = &details.community;
    let id = urls.activity();
    let activity: Activity<Value> = Activity::new(
        verb,
        id.clone(),
        url(&details.author.ap_id),
        serde_json::to_value(&object).expect("json"),
    )
    .to(object.addressing.to.clone())
    .audience(object.addressing.audience.clone());
    let bare = (verb == "Create").then(|| serde_json::to_value(&object).expect("json"));
    crate::posts::send_local(
        conn,
        urls,
        crate::posts::LocalActivity {
            author: &details.author,
            community,
            verb,
            activity: &activity,
            object_id: object.id.as_str(),
            bare,
        },
    )?;
    poll::send(conn, urls, &parts, verb)?;
    Ok(())
}

/// Why an RSVP cannot be taken now, if it cannot.
fn closed_reason(item: &ItemRow, event: &EventRow, now: NaiveDateTime) -> Option<String> {
    if item.deleted_at.is_some() {
        Some("the event was deleted".into())
    } else if event.status == event_status::CANCELLED {
        Some("the event was cancelled".into())
    } else if event.over_at() < now {
        Some("the event is over".into())
    } else {
        None
    }
}

/// What recording an answer on the hosting instance came to.
pub(crate) enum Settled {
    Recorded,
    /// "going" refused: every place is taken.
    Full(i32),
}

/// Records `person`'s answer to a local event (locked against a concurrent last place).
pub(crate) fn settle(
    conn: &mut AnyConnection,
    item: &ItemRow,
    person: &ActorRow,
    answer: &str,
    activity_id: Option<&str>,
) -> CoreResult<Settled> {
    let event = weft_db::events::by_item_for_update(conn, item.id)?
        .ok_or_else(|| CoreError::NotFound(format!("{} is not an event", item.ap_id)))?;
    if answer == rsvp::GOING
        && let Some(capacity) = event.capacity
    {
        let already = weft_db::events::rsvp_of(conn, item.id, person.id)?
            .is_some_and(|r| r.answer == rsvp::GOING && r.state == rsvp::ACCEPTED);
        let going = weft_db::events::counts(conn, item.id)?.going;
        if !already && going >= i64::from(capacity) {
            return Ok(Settled::Full(capacity));
        }
    }
    record(conn, item, person, answer, rsvp::ACCEPTED, activity_id)?;
    Ok(Settled::Recorded)
}

/// Writes `person`'s answer in `state` on the hosting instance, replacing an earlier one;
/// its poll is then due to be sent again.
pub(crate) fn record(
    conn: &mut AnyConnection,
    item: &ItemRow,
    person: &ActorRow,
    answer: &str,
    state: &str,
    activity_id: Option<&str>,
) -> CoreResult<()> {
    let now = weft_db::now();
    weft_db::events::set_rsvp(
        conn,
        &NewRsvp {
            event_id: item.id,
            person_id: person.id,
            answer: answer.into(),
            state: state.into(),
            activity_ap_id: activity_id.map(str::to_string),
            created_at: now,
            updated_at: now,
        },
    )?;
    weft_db::events::mark_poll_changed(conn, item.id, now)?;
    Ok(())
}

/// The verb that carries an answer to a remote community.
pub(crate) fn verb_of(answer: &str) -> &'static str {
    match answer {
        rsvp::GOING => "Join",
        rsvp::MAYBE => "TentativeAccept",
        _ => "Leave",
    }
}

/// A local member answers an event: recorded at once when the event's community is
/// here; otherwise sent to that community as `Join` (pending until it answers),
/// `TentativeAccept` or `Leave`.
pub fn rsvp(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    item_id: i64,
    answer: &str,
) -> CoreResult<EventDetails> {
    if !rsvp::ANSWERS.contains(&answer) {
        return Err(CoreError::Invalid(format!(
            "answer {answer:?}: say going, maybe or declined"
        )));
    }
    let shown = shown(conn, item_id, Some(person))?;
    if let Some(why) = closed_reason(&shown.item, &shown.event, weft_db::now()) {
        return Err(CoreError::Conflict(format!("{why}: it takes no RSVPs")));
    }
    let community = &shown.community;
    if community.is_local {
        if let Settled::Full(capacity) = settle(conn, &shown.item, person, answer, None)? {
            return Err(CoreError::Conflict(format!(
                "the event is full: {} taken",
                match capacity {
                    1 => "its only place is".to_string(),
                    n => format!("all {n} places are"),
                }
            )));
        }
    } else {
        let verb = verb_of(answer);
        let id = urls.activity();
        let activity: Activity<Value> = Activity::new(
            verb,
            id.clone(),
            url(&person.ap_id),
            Value::String(shown.item.ap_id.clone()),
        )
        .to([community.ap_id.clone()]);
        let now = weft_db::now();
        weft_db::events::set_rsvp(
            conn,
            &NewRsvp {
                event_id: shown.item.id,
                person_id: person.id,
                answer: answer.into(),
                state: if verb == "Join" {
                    rsvp::PENDING
                } else {
                    rsvp::ACCEPTED
                }
                .into(),
                activity_ap_id: Some(id.to_string()),
                created_at: now,
                updated_at: now,
            },
        )?;
        queue(
            conn,
            urls,
            Outgoing {
                sender: person,
                activity: &activity,
                kind: verb,
                activity_id: &id,
                object_id: Some(&shown.item.ap_id),
                public: false,
                inboxes: vec![community.delivery_inbox().to_string()],
            },
        )?;
    }
    details(conn, shown.item, Some(person))
}
