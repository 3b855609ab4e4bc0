//! Event rows → `Event` and RSVP-poll `Question` JSON (`event_into_json`,
//! `poll_into_json`), and a received `Event` → its row (`event_from_json`).

use crate::wire::utc;
use crate::{Urls, sanitize};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use url::Url;
use weft_db::events::Counts;
use weft_db::models::{ActorRow, EventRow, ItemRow, event_status};
use weft_protocol::{
    Addressing, EventObject, Location, POLL_OPTIONS, PUBLIC, PollOption, QuestionObject, Source,
};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// An event item with its details, author, community and settled RSVPs.
pub struct EventParts<'a> {
    pub item: &'a ItemRow,
    pub event: &'a EventRow,
    pub author: &'a ActorRow,
    pub community: &'a ActorRow,
    pub counts: Counts,
}

impl EventParts<'_> {
    /// Places left, when the event has a capacity.
    pub fn remaining(&self) -> Option<i64> {
        self.event
            .capacity
            .map(|c| (i64::from(c) - self.counts.going).max(0))
    }
}

/// The event as served and sent: addressed to its community and Public, with the
/// community as `audience` (where RSVPs go).
pub fn event_into_json(parts: &EventParts) -> EventObject {
    let (item, event) = (parts.item, parts.event);
    let community = url(&parts.community.ap_id);
    let mut location = vec![];
    if event.place_name.is_some() || event.place_address.is_some() {
        location.push(Location::place(
            event.place_name.clone(),
            event.place_address.clone(),
        ));
    }
    if let Some(online) = event.online_url.as_deref().and_then(|u| Url::parse(u).ok()) {
        location.push(Location::online(online));
    }
    EventObject {
        kind: "Event".into(),
        id: url(&item.ap_id),
        attributed_to: Some(url(&parts.author.ap_id)),
        addressing: Addressing::new(
            vec![community.to_string(), PUBLIC.to_string()],
            vec![],
            Some(community),
        ),
        name: item.title.clone().unwrap_or_default(),
        content: item.content.clone(),
        summary: Some(summary_text(parts)),
        media_type: Some("text/html".into()),
        source: item.source.clone().map(Source::markdown),
        start_time: utc(event.starts_at),
        end_time: event.ends_at.map(utc),
        timezone: event.timezone.clone(),
        location,
        join_mode: Some("free".into()),
        maximum_attendee_capacity: event.capacity.map(i64::from),
        remaining_attendee_capacity: parts.remaining(),
        participant_count: Some(parts.counts.going),
        event_status: Some(
            if event.status == event_status::CANCELLED {
                "CANCELLED"
            } else {
                "CONFIRMED"
            }
            .into(),
        ),
        published: Some(utc(item.published_at)),
        updated: item.updated_at.map(utc),
        url: item.url.as_deref().map(url),
        tag: vec![],
    }
}

/// "1 place", "2 places".
pub fn places(n: impl Into<i64>) -> String {
    match n.into() {
        1 => "1 place".into(),
        n => format!("{n} places"),
    }
}

/// "No places left.", "1 place left.", "12 places left."
pub fn places_left_text(n: i64) -> String {
    match n {
        0 => "No places left.".into(),
        n => format!("{} left.", places(n)),
    }
}

/// A start and optional end in one zone: "Thu 10 Dec 2026, 14:00–16:00 GMT", the end's
/// date named only when it differs; `with_date` false leaves out the start's date too.
fn span<T: TimeZone>(start: DateTime<T>, end: Option<DateTime<T>>, with_date: bool) -> String
where
    T::Offset: std::fmt::Display,
{
    let day = "%a %-d %b %Y";
    let mut text = match with_date {
        true => start.format(&format!("{day}, %H:%M")).to_string(),
        false => start.format("%H:%M").to_string(),
    };
    if let Some(end) = &end {
        if end.date_naive() == start.date_naive() {
            text.push_str(&end.format("–%H:%M").to_string());
        } else {
            text.push_str(&end.format(&format!(" – {day}, %H:%M")).to_string());
        }
    }
    text.push_str(&start.format(" %Z").to_string());
    text
}

/// When the event is, in its own time zone and in UTC: "Thu 10 Dec 2026, 14:00–16:00 GMT
/// (Europe/London) · 14:00–16:00 UTC"; in UTC alone when it has no (known) zone. Plain
/// text that needs no escaping.
pub fn when_text(event: &EventRow) -> String {
    let (start, end) = (
        event.starts_at.and_utc(),
        event.ends_at.map(|e| e.and_utc()),
    );
    let zone = event
        .timezone
        .as_deref()
        .and_then(|z| z.parse::<Tz>().ok())
        .filter(|tz| !matches!(tz.name(), "UTC" | "Etc/UTC" | "Etc/Universal" | "Universal"));
    let Some(tz) = zone else {
        return span(start, end, true);
    };
    let local = start.with_timezone(&tz);
    let utc_needs_date = local.date_naive() != start.date_naive();
    format!(
        "{} ({}) · {}",
        span(local, end.map(|e| e.with_timezone(&tz)), true),
        tz.name(),
        span(start, end, utc_needs_date)
    )
}

/// The event in a line of plain text, for readers that show an `Event` as its name,
/// summary and link (Mastodon): "Thu 10 Dec 2026, 14:00–16:00 GMT (Europe/London) ·
/// 14:00–16:00 UTC · Room 2, 1 High Street, Leeds · online · 30 places left."
pub fn summary_text(parts: &EventParts) -> String {
    let event = parts.event;
    let mut bits = vec![];
    if event.status == event_status::CANCELLED {
        bits.push("Cancelled".to_string());
    }
    bits.push(when_text(event));
    let place: Vec<&str> = [&event.place_name, &event.place_address]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !place.is_empty() {
        bits.push(place.join(", "));
    }
    if event.online_url.is_some() {
        bits.push("online".into());
    }
    if let Some(remaining) = parts.remaining() {
        bits.push(places_left_text(remaining));
    }
    bits.join(" · ")
}

/// The RSVP poll of a local event, for Mastodon: the community asks "will you come?",
/// one vote each, closing when the event starts. Its text stands on its own, since
/// Mastodon shows a `Question`'s content but only a link for an `Event`.
pub fn poll_into_json(urls: &Urls, parts: &EventParts, now: NaiveDateTime) -> QuestionObject {
    let (item, event, community) = (parts.item, parts.event, parts.community);
    let title = item.title.clone().unwrap_or_default();
    let mut content = format!(
        "<p><strong>{}</strong></p><p>{}",
        sanitize::escape(&title),
        when_text(event)
    );
    for place in [&event.place_name, &event.place_address]
        .into_iter()
        .flatten()
    {
        // Stored as plain text (`sanitize::title`): escaped for HTML here.
        content.push_str(&format!(" · {}", sanitize::escape(place)));
    }
    if event.online_url.is_some() {
        content.push_str(" · online");
    }
    content.push_str("</p>");
    content.push_str(&item.content);
    if let Some(remaining) = parts.remaining() {
        content.push_str(&format!("<p>{}</p>", places_left_text(remaining)));
    }
    let link = item.url.clone().unwrap_or_else(|| item.ap_id.clone());
    content.push_str(&format!(
        "<p>Vote to RSVP: <a href=\"{0}\">{0}</a></p>",
        sanitize::escape(&link)
    ));
    let counts = parts.counts;
    let votes = [counts.going, counts.maybe, counts.declined];
    let cancelled = event.status == event_status::CANCELLED;
    let closed = if cancelled {
        Some(item.updated_at.unwrap_or(now))
    } else {
        (now >= event.starts_at).then_some(event.starts_at)
    };
    QuestionObject {
        kind: "Question".into(),
        id: urls.rsvp_poll(item.id),
        attributed_to: Some(url(&community.ap_id)),
        addressing: Addressing::new(
            vec![PUBLIC.to_string()],
            community.followers_url.clone().into_iter().collect(),
            Some(url(&community.ap_id)),
        ),
        content,
        media_type: Some("text/html".into()),
        one_of: POLL_OPTIONS
            .iter()
            .zip(votes)
            .map(|((name, _), n)| PollOption::new(name, n))
            .collect(),
        end_time: Some(utc(event.starts_at)),
        closed: closed.map(utc),
        voters_count: Some(votes.iter().sum()),
        rsvp_for: url(&item.ap_id),
        published: Some(utc(item.published_at)),
        url: Some(url(&link)),
    }
}

/// Longest time-zone name and place text kept from a remote event.
const MAX_TEXT: usize = 300;

/// A received event's details, as stored (text cleaned, only http(s) meeting links).
pub fn event_from_json(item_id: i64, object: &EventObject) -> EventRow {
    let place = object.place();
    let clean = |s: Option<String>| {
        s.map(|s| sanitize::remote_title(&s))
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(MAX_TEXT).collect::<String>())
    };
    EventRow {
        item_id,
        starts_at: object.start_time.naive_utc(),
        ends_at: object
            .end_time
            .map(|e| e.naive_utc())
            .filter(|e| *e >= object.start_time.naive_utc()),
        timezone: clean(object.timezone.clone()),
        online_url: object
            .online_url()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(Url::to_string),
        place_name: clean(place.and_then(|p| p.name.clone())),
        place_address: clean(place.and_then(Location::address_text)),
        capacity: object
            .maximum_attendee_capacity
            .filter(|c| *c > 0)
            .map(|c| c.min(i64::from(i32::MAX)) as i32),
        status: if object.is_cancelled() {
            event_status::CANCELLED
        } else {
            event_status::CONFIRMED
        }
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(starts: &str, ends: Option<&str>, zone: Option<&str>) -> EventRow {
        let at = |s: &str| s.parse::<DateTime<chrono::Utc>>().unwrap().naive_utc();
        EventRow {
            item_id: 1,
            starts_at: at(starts),
            ends_at: ends.map(at),
            timezone: zone.map(str::to_string),
            online_url: None,
            place_name: None,
            place_address: None,
            capacity: None,
            status: event_status::CONFIRMED.into(),
        }
    }

    #[test]
    fn times_are_shown_in_the_events_zone_and_in_utc() {
        let summer = event(
            "2027-07-01T09:00:00Z",
            Some("2027-07-01T10:30:00Z"),
            Some("Europe/London"),
        );
        assert_eq!(
            when_text(&summer),
            "Thu 1 Jul 2027, 10:00–11:30 BST (Europe/London) · 09:00–10:30 UTC"
        );
        let late = event("2027-01-15T23:30:00Z", None, Some("Asia/Tokyo"));
        assert_eq!(
            when_text(&late),
            "Sat 16 Jan 2027, 08:30 JST (Asia/Tokyo) · Fri 15 Jan 2027, 23:30 UTC"
        );
        let two_days = event("2027-01-15T09:00:00Z", Some("2027-01-16T17:00:00Z"), None);
        assert_eq!(
            when_text(&two_days),
            "Fri 15 Jan 2027, 09:00 – Sat 16 Jan 2027, 17:00 UTC"
        );
    }

    #[test]
    fn plurals() {
        assert_eq!(places_left_text(1), "1 place left.");
        assert_eq!(places_left_text(0), "No places left.");
        assert_eq!(places_left_text(30), "30 places left.");
        assert_eq!(places(1), "1 place");
    }
}
