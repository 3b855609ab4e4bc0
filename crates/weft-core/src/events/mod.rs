//! Events (meetings, seminars) and RSVPs. A lead or facilitator schedules an event in
//! their community; the community announces it (FEP-1b12, like a thread) and sends an
//! RSVP poll for Mastodon. The community answers RSVPs: members here record theirs
//! directly, members elsewhere send `Join`/`TentativeAccept`/`Leave` (see `received`).

pub mod poll;
pub mod received;
pub mod wire;

use crate::outbox::{Outgoing, queue};
use crate::posts::store_local;
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
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

/// What a lead writes when scheduling (or editing) an event.
pub struct EventFields<'a> {
    pub title: &'a str,
    /// Markdown; stored beside its HTML.
    pub description: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// An IANA zone name (`Europe/London`) the times are shown in.
    pub timezone: Option<&'a str>,
    pub online_url: Option<&'a str>,
    pub place_name: Option<&'a str>,
    pub place_address: Option<&'a str>,
    pub capacity: Option<i64>,
}

/// An event with what is shown about it, and the viewer's own answer.
#[derive(Debug, Clone)]
pub struct EventDetails {
    pub item: ItemRow,
    pub event: EventRow,
    pub author: ActorRow,
    pub community: ActorRow,
    pub counts: Counts,
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
    let counts = weft_db::events::counts(conn, item.id)?;
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
        mine,
    })
}

/// A community's events that are not over yet, soonest first.
pub fn upcoming(
    conn: &mut AnyConnection,
    community: &ActorRow,
    viewer: &ActorRow,
    limit: i64,
) -> CoreResult<Vec<EventDetails>> {
    let rows = weft_db::events::upcoming(conn, community.id, weft_db::now(), limit.clamp(1, 100))?;
    rows.into_iter()
        .map(|(item, _)| details(conn, item, Some(viewer)))
        .collect()
}

fn required_text(what: &str, value: &str, max: usize) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::Invalid(format!("an event needs a {what}")));
    }
    if value.chars().count() > max {
        return Err(CoreError::Invalid(format!(
            "the {what} is longer than {max} characters"
        )));
    }
    Ok(value.to_string())
}

fn optional_text(value: Option<&str>) -> Option<String> {
    value.map(sanitize::title).filter(|v| !v.is_empty())
}

fn whole_seconds(at: DateTime<Utc>) -> NaiveDateTime {
    let at = at.naive_utc();
    at.with_nanosecond(0).unwrap_or(at)
}

/// Checks what a lead wrote and turns it into the event's row (item id filled in later).
fn validated(new: &EventFields, now: NaiveDateTime) -> CoreResult<EventRow> {
    // Whole seconds: a meeting time needs no more, and both backends then agree.
    let starts_at = whole_seconds(new.starts_at);
    if starts_at < now {
        return Err(CoreError::Invalid(
            "the event starts in the past: give a start time still to come".into(),
        ));
    }
    let ends_at = new.ends_at.map(whole_seconds);
    if ends_at.is_some_and(|e| e <= starts_at) {
        return Err(CoreError::Invalid(
            "the event must end after it starts".into(),
        ));
    }
    if let Some(zone) = new.timezone
        && (zone.is_empty()
            || zone.len() > 64
            || !zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)))
    {
        return Err(CoreError::Invalid(format!(
            "{zone:?} is not a time-zone name such as Europe/London"
        )));
    }
    let online_url = match new.online_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => {
            let parsed = Url::parse(u)
                .map_err(|e| CoreError::Invalid(format!("the online link {u:?}: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(CoreError::Invalid(
                    "the online link must be an http or https address".into(),
                ));
            }
            Some(parsed.to_string())
        }
        None => None,
    };
    let capacity = match new.capacity {
        Some(c) if !(1..=1_000_000).contains(&c) => {
            return Err(CoreError::Invalid(
                "capacity must be between 1 and 1,000,000 (or left out)".into(),
            ));
        }
        c => c.map(|c| c as i32),
    };
    let (place_name, place_address) = (
        optional_text(new.place_name),
        optional_text(new.place_address),
    );
    if online_url.is_none() && place_name.is_none() && place_address.is_none() {
        return Err(CoreError::Invalid(
            "say where the event is: an online link, a place, or both".into(),
        ));
    }
    Ok(EventRow {
        item_id: 0,
        starts_at,
        ends_at,
        timezone: new.timezone.map(str::to_string),
        online_url,
        place_name,
        place_address,
        capacity,
        status: event_status::CONFIRMED.into(),
    })
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
    let (title, description) = texts(&new)?;
    let mut event = validated(&new, now)?;
    let item = store_local(
        conn,
        urls,
        author,
        community,
        NewItem {
            ap_id: String::new(),
            kind: "event".into(),
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

/// The title (plain text) and description (markdown) as stored.
fn texts(new: &EventFields) -> CoreResult<(String, String)> {
    Ok((
        sanitize::title(&required_text("title", new.title, 300)?),
        new.description.trim().to_string(),
    ))
}

/// A local event, read for a change by `actor` (its organiser or a moderator of its
/// community) while it can still change.
fn changeable(conn: &mut AnyConnection, actor: &ActorRow, item_id: i64) -> CoreResult<ItemRow> {
    let item = weft_db::items::by_id(conn, item_id)?
        .filter(|i| i.kind == "event" && i.deleted_at.is_none())
        .ok_or_else(|| CoreError::NotFound(format!("no event {item_id}")))?;
    rules::may_change_item(conn, &item, actor)?;
    if !item.is_local {
        return Err(CoreError::Invalid(
            "only the event's own instance can change it".into(),
        ));
    }
    Ok(item)
}

/// The organiser or a moderator changes an event (title, description, time, place,
/// capacity). Its answers stay; a lower capacity turns nobody away who is going already.
/// Followers get `Update(Event)` and the poll's `Update(Question)`.
pub fn edit(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
    new: EventFields,
) -> CoreResult<EventDetails> {
    let item = changeable(conn, actor, item_id)?;
    let old = weft_db::events::by_item_for_update(conn, item.id)?
        .ok_or_else(|| CoreError::NotFound(format!("no event {item_id}")))?;
    if old.status == event_status::CANCELLED {
        return Err(CoreError::Conflict(
            "the event was cancelled: schedule a new one instead".into(),
        ));
    }
    let (title, description) = texts(&new)?;
    let event = EventRow {
        item_id: item.id,
        ..validated(&new, weft_db::now())?
    };
    weft_db::events::update(conn, &event)?;
    weft_db::items::update_content(
        conn,
        item.id,
        Some(&title),
        &sanitize::text_to_html(&description),
        Some(description.as_str()).filter(|d| !d.is_empty()),
        weft_db::now(),
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
    .to(object.to.clone())
    .audience(object.audience.clone());
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
    let now = weft_db::now();
    weft_db::events::set_rsvp(
        conn,
        &NewRsvp {
            event_id: item.id,
            person_id: person.id,
            answer: answer.into(),
            state: rsvp::ACCEPTED.into(),
            activity_ap_id: activity_id.map(str::to_string),
            created_at: now,
            updated_at: now,
        },
    )?;
    weft_db::events::mark_poll_changed(conn, item.id, now)?;
    Ok(Settled::Recorded)
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
    let item = weft_db::items::by_id(conn, item_id)?
        .ok_or_else(|| CoreError::NotFound(format!("no event {item_id}")))?;
    let shown = details(conn, item, Some(person))?;
    if let Some(why) = closed_reason(&shown.item, &shown.event, weft_db::now()) {
        return Err(CoreError::Conflict(format!("{why}: it takes no RSVPs")));
    }
    let community = &shown.community;
    if community.is_local {
        if let Settled::Full(capacity) = settle(conn, &shown.item, person, answer, None)? {
            return Err(CoreError::Conflict(format!(
                "the event is full: all {capacity} places are taken"
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
