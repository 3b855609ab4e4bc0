//! Feeds people subscribe to outside the fediverse: a community's calendar (iCalendar)
//! and Atom feed, a thread's Atom feed, and each person's private calendar of the events
//! they go or may go to, anywhere. What goes in a feed is read here; writing the formats
//! is in [`ical`] and [`atom`].
//!
//! Everything a local community holds is public (threads and events are addressed to
//! Public; there is no members-only reading), so its feeds are public: what an anonymous
//! reader may see is what `feed::community_feed` shows anyone without posts of their own
//! (no pending or refused posts, nothing deleted). A person's calendar shows events they
//! answered, which is theirs alone: it lives at an address holding a secret.

pub mod atom;
pub mod ical;
mod vtimezone;

use crate::auth::{hash_secret, new_secret};
use crate::{CoreError, CoreResult, Urls, rules};
use chrono::{NaiveDateTime, TimeDelta};
use url::Url;
use weft_db::AnyConnection;
use weft_db::items::FeedEntry;
use weft_db::models::*;

/// A calendar shows events that ended at most this many days ago, and every one to come.
pub const CALENDAR_PAST_DAYS: i64 = 90;
/// The most events one calendar holds (the soonest first, from the window's start).
pub const CALENDAR_MAX_EVENTS: i64 = 500;
/// How many threads and events a community's Atom feed holds (the latest).
pub const ATOM_ENTRIES: i64 = 50;
/// How many replies a thread's Atom feed holds (the latest, after the thread itself).
pub const ATOM_REPLIES: usize = 200;

/// One event in a calendar, with its community and (in a person's calendar) their answer.
#[derive(Debug, Clone)]
pub struct CalendarEntry {
    pub item: ItemRow,
    pub event: EventRow,
    pub community: ActorRow,
    /// In a person's calendar: `maybe`, or a `going` the hosting community has not yet
    /// accepted (`TENTATIVE`).
    pub tentative: bool,
}

impl CalendarEntry {
    /// When the event (as this instance knows it) last changed.
    pub fn modified(&self) -> NaiveDateTime {
        self.item
            .updated_at
            .unwrap_or(self.item.published_at)
            .max(self.item.published_at)
    }
}

/// A calendar: its name, its events, and when it last changed (for `Last-Modified`).
#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    pub entries: Vec<CalendarEntry>,
    pub modified: NaiveDateTime,
}

fn window_start() -> NaiveDateTime {
    weft_db::now() - TimeDelta::days(CALENDAR_PAST_DAYS)
}

/// A local community's calendar: its events of the last [`CALENDAR_PAST_DAYS`] days and
/// all to come (cancelled ones marked so), soonest first.
pub fn community_calendar(conn: &mut AnyConnection, community: &ActorRow) -> CoreResult<Calendar> {
    rules::may_read_feeds(community)?;
    let rows = weft_db::events::upcoming(
        conn,
        community.id,
        window_start(),
        None,
        CALENDAR_MAX_EVENTS,
    )?;
    let entries: Vec<CalendarEntry> = rows
        .into_iter()
        .map(|(item, event)| CalendarEntry {
            item,
            event,
            community: community.clone(),
            tentative: false,
        })
        .collect();
    let modified = newest(&entries, community.published_at);
    Ok(Calendar {
        name: community
            .display_name
            .clone()
            .unwrap_or_else(|| community.username.clone()),
        entries,
        modified,
    })
}

/// The person whose calendar address holds `secret`, and their calendar: the events here
/// and on other instances they said they are going or may go to (not those they
/// declined, nor a `going` the hosting community refused), in the same window as a
/// community's. An unknown secret (never made, replaced or revoked) is not found.
pub fn member_calendar(conn: &mut AnyConnection, secret: &str) -> CoreResult<(ActorRow, Calendar)> {
    let gone = || {
        CoreError::NotFound(
            "no calendar at this address: it was replaced or revoked (make a new one with \
             POST /api/v1/calendar)"
                .into(),
        )
    };
    if secret.is_empty() || secret.len() > 100 {
        return Err(gone());
    }
    let person = weft_db::calendars::owner_of(conn, &hash_secret(secret))?.ok_or_else(gone)?;
    let rows = weft_db::calendars::answered(
        conn,
        person.id,
        &[rsvp::GOING, rsvp::MAYBE],
        window_start(),
        CALENDAR_MAX_EVENTS,
    )?;
    let mut entries = Vec::with_capacity(rows.len());
    let mut latest_answer = person.published_at;
    // Each community read once, however many of its events the person answered.
    let mut communities: std::collections::HashMap<i64, ActorRow> = Default::default();
    for (item, event, answer) in rows {
        let Some(community_id) = item.origin_community_id else {
            continue;
        };
        let community = match communities.get(&community_id) {
            Some(c) => c.clone(),
            None => {
                let c = weft_db::actors::by_id(conn, community_id)?;
                communities.insert(community_id, c.clone());
                c
            }
        };
        latest_answer = latest_answer.max(answer.updated_at);
        entries.push(CalendarEntry {
            item,
            event,
            community,
            tentative: answer.answer == rsvp::MAYBE || answer.state == rsvp::PENDING,
        });
    }
    let modified = newest(&entries, latest_answer);
    let name = format!(
        "{}'s events",
        person
            .display_name
            .clone()
            .unwrap_or_else(|| person.username.clone())
    );
    Ok((
        person,
        Calendar {
            name,
            entries,
            modified,
        },
    ))
}

fn newest(entries: &[CalendarEntry], floor: NaiveDateTime) -> NaiveDateTime {
    entries
        .iter()
        .map(CalendarEntry::modified)
        .fold(floor, NaiveDateTime::max)
}

/// Makes (or replaces) `person`'s private calendar address; the old one stops working.
/// Returns the address (shown once: only its hash is kept) and when it was made.
pub fn make_calendar_address(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
) -> CoreResult<(Url, NaiveDateTime)> {
    rules::may_keep_a_calendar(person)?;
    let secret = new_secret();
    let now = weft_db::now();
    weft_db::calendars::set_secret(conn, person.id, &hash_secret(&secret), now)?;
    Ok((urls.member_calendar(&secret), now))
}

/// Revokes `person`'s private calendar address (it then answers 404).
pub fn revoke_calendar_address(conn: &mut AnyConnection, person: &ActorRow) -> CoreResult<()> {
    rules::may_keep_a_calendar(person)?;
    if weft_db::calendars::delete_secret(conn, person.id)? {
        Ok(())
    } else {
        Err(CoreError::NotFound("you have no calendar address".into()))
    }
}

/// When `person`'s current calendar address was made, if they have one.
pub fn calendar_address_made(
    conn: &mut AnyConnection,
    person: &ActorRow,
) -> CoreResult<Option<NaiveDateTime>> {
    rules::may_keep_a_calendar(person)?;
    Ok(weft_db::calendars::secret_made_at(conn, person.id)?)
}

/// An entry of a community's Atom feed: a thread or an event, with the event's details.
pub struct AtomEntry {
    pub entry: FeedEntry,
    pub event: Option<EventRow>,
}

/// A local community's latest [`ATOM_ENTRIES`] threads and events, newest first, as
/// anyone may see them.
pub fn community_entries(
    conn: &mut AnyConnection,
    community: &ActorRow,
) -> CoreResult<Vec<AtomEntry>> {
    rules::may_read_feeds(community)?;
    // Viewer 0 is nobody: no one's pending or refused posts are shown.
    let entries = weft_db::items::feed(conn, community.id, 0, None, ATOM_ENTRIES)?;
    entries
        .into_iter()
        .map(|entry| {
            let event = match entry.item.kind {
                ItemKind::Event => weft_db::events::by_item(conn, entry.item.id)?,
                _ => None,
            };
            Ok(AtomEntry { entry, event })
        })
        .collect()
}

/// A thread for its Atom feed: its first post, that post's community, and its replies.
pub struct ThreadFeed {
    pub root: ItemRow,
    pub author: ActorRow,
    pub community: ActorRow,
    pub replies: Vec<(ItemRow, ActorRow)>,
}

/// The thread of the post `item_id` (a thread's first post or one of its replies) in a
/// local community, with its latest [`ATOM_REPLIES`] replies as anyone may see them.
pub fn thread_feed(conn: &mut AnyConnection, item_id: i64) -> CoreResult<ThreadFeed> {
    let missing = || CoreError::NotFound(format!("no thread {item_id} here"));
    let item = weft_db::items::by_id(conn, item_id)?.ok_or_else(missing)?;
    let root_id = item.thread_root_id.unwrap_or(item.id);
    let root = weft_db::items::by_id(conn, root_id)?
        .filter(|r| r.deleted_at.is_none())
        .ok_or_else(missing)?;
    let published = weft_db::post_states::of(conn, root.id)?
        .is_none_or(|s| s.state == weft_db::post_states::PUBLISHED);
    let community_id = root.origin_community_id.filter(|_| published);
    let community = match community_id {
        Some(id) => weft_db::actors::by_id(conn, id)?,
        None => return Err(missing()),
    };
    rules::may_read_feeds(&community)?;
    let author = weft_db::actors::by_id(conn, root.author_id)?;
    let mut replies = weft_db::items::thread_replies(conn, root.id, 0)?;
    if replies.len() > ATOM_REPLIES {
        replies.drain(..replies.len() - ATOM_REPLIES);
    }
    Ok(ThreadFeed {
        root,
        author,
        community,
        replies,
    })
}

/// An entity tag for a feed's bytes (quoted, as the `ETag` header has it).
pub fn etag(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}
