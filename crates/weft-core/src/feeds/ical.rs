//! A [`Calendar`] as iCalendar (RFC 5545), written with the `icalendar` crate.
//!
//! Each event is a `VEVENT`: `UID` its ActivityPub id (stable wherever it is seen),
//! `DTSTAMP` and `LAST-MODIFIED` when it last changed, `DTSTART`/`DTEND` in its IANA time
//! zone (`TZID`, with a `VTIMEZONE` per zone, which the crate does not write: see
//! [`super::vtimezone`]) or in UTC when it names no zone Weft knows (an event from a
//! server that sends none: UTC is exact, a guessed zone would not be), `SUMMARY`,
//! `DESCRIPTION` (plain text), `URL`, `LOCATION` (place and online link), and `STATUS`:
//! `CANCELLED`, or `TENTATIVE` in a person's calendar for a `maybe` (or a `going` not yet
//! accepted), else `CONFIRMED`.

use super::vtimezone::vtimezone;
use super::{Calendar, CalendarEntry};
use crate::sanitize;
use crate::wire::utc;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use icalendar::{CalendarDateTime, Component, EventLike, EventStatus};
use std::collections::BTreeMap;
use weft_db::models::event_status;

/// The `Content-Type` of what [`calendar_into_ics`] writes.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// The event's zone, when it names one in the IANA database.
fn zone(entry: &CalendarEntry) -> Option<Tz> {
    entry.event.timezone.as_deref()?.parse().ok()
}

/// A UTC time as the event's local time in `tz` (`TZID`), or in UTC when it has no zone
/// or the local time is ambiguous (the hour repeated when clocks go back).
fn when(at: NaiveDateTime, tz: Option<Tz>) -> CalendarDateTime {
    if let Some(tz) = tz {
        let local = tz.from_utc_datetime(&at).naive_local();
        if tz.from_local_datetime(&local).single().is_some() {
            return CalendarDateTime::WithTimezone {
                date_time: local,
                tzid: tz.name().to_string(),
            };
        }
    }
    CalendarDateTime::Utc(utc(at))
}

/// Where: the place's name and address, and the online link, as one line.
fn location(entry: &CalendarEntry) -> Option<String> {
    let e = &entry.event;
    let parts: Vec<&str> = [&e.place_name, &e.place_address, &e.online_url]
        .into_iter()
        .filter_map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The description as plain text (its markdown source when written here), with the
/// community it is in and the online link.
fn description(entry: &CalendarEntry) -> String {
    let item = &entry.item;
    let mut text = match &item.source {
        Some(source) if item.is_local => source.trim().to_string(),
        _ => sanitize::html_to_text(&item.content),
    };
    let community = entry
        .community
        .display_name
        .as_deref()
        .unwrap_or(&entry.community.username);
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&format!("In {community}: {}", entry.community.ap_id));
    if let Some(online) = &entry.event.online_url {
        text.push_str(&format!("\nOnline: {online}"));
    }
    text
}

fn vevent(entry: &CalendarEntry) -> icalendar::Event {
    let item = &entry.item;
    let tz = zone(entry);
    let modified = utc(entry.modified());
    let mut event = icalendar::Event::new();
    event
        .uid(&item.ap_id)
        .timestamp(modified)
        .last_modified(modified)
        .summary(item.title.as_deref().unwrap_or("Event"))
        .description(&description(entry))
        .url(item.url.as_deref().unwrap_or(&item.ap_id))
        .starts(when(entry.event.starts_at, tz));
    if let Some(ends) = entry.event.ends_at {
        event.ends(when(ends, tz));
    }
    if let Some(place) = location(entry) {
        event.location(&place);
    }
    event.status(if entry.event.status == event_status::CANCELLED {
        EventStatus::Cancelled
    } else if entry.tentative {
        EventStatus::Tentative
    } else {
        EventStatus::Confirmed
    });
    event
}

/// The calendar as an iCalendar document (CRLF lines).
pub fn calendar_into_ics(calendar: &Calendar) -> String {
    let mut cal = icalendar::Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Weft//Weft calendar feed//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .name(&calendar.name);
    // Each zone's span of events, for its VTIMEZONE.
    let mut zones: BTreeMap<String, (Tz, NaiveDateTime, NaiveDateTime)> = BTreeMap::new();
    for entry in &calendar.entries {
        if let Some(tz) = zone(entry) {
            let (start, end) = (entry.event.starts_at, entry.event.over_at());
            zones
                .entry(tz.name().to_string())
                .and_modify(|z| {
                    z.1 = z.1.min(start);
                    z.2 = z.2.max(end);
                })
                .or_insert((tz, start, end));
        }
        cal.push(vevent(entry));
    }
    let text = cal.to_string();
    let timezones: String = zones
        .values()
        .map(|(tz, from, to)| vtimezone(*tz, *from, *to))
        .collect();
    // The VTIMEZONEs go before the first VEVENT (or the end, with no events).
    let at = text
        .find("BEGIN:VEVENT\r\n")
        .or_else(|| text.rfind("END:VCALENDAR"))
        .unwrap_or(text.len());
    let mut out = String::with_capacity(text.len() + timezones.len());
    out.push_str(&text[..at]);
    out.push_str(&timezones);
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use weft_db::models::{ActorRow, EventRow, ItemKind, ItemRow};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn community() -> ActorRow {
        ActorRow {
            id: 1,
            ap_id: "https://b.example/c/cop".into(),
            kind: "Group".into(),
            username: "cop".into(),
            domain: "b.example".into(),
            display_name: Some("Cop".into()),
            summary: None,
            summary_source: None,
            inbox_url: "https://b.example/c/cop/inbox".into(),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            public_key_id: "https://b.example/c/cop#main-key".into(),
            public_key_pem: String::new(),
            private_key_pem: None,
            is_local: false,
            manually_approves_followers: false,
            discoverable: true,
            posting_restricted_to_mods: false,
            published_at: at(2026, 1, 1, 0, 0),
            last_refreshed_at: at(2026, 1, 1, 0, 0),
        }
    }

    /// A remote event as stored from another server's JSON.
    fn entry(title: &str, starts: NaiveDateTime, zone: Option<&str>) -> CalendarEntry {
        CalendarEntry {
            item: ItemRow {
                id: 7,
                ap_id: "https://b.example/events/7".into(),
                kind: ItemKind::Event,
                object_type: "Event".into(),
                author_id: 2,
                origin_community_id: Some(1),
                title: Some(title.into()),
                content: "<p>Bring <em>cases</em>; tea, coffee</p>".into(),
                source: None,
                url: None,
                in_reply_to_id: None,
                in_reply_to_ap_id: None,
                thread_root_id: None,
                is_local: false,
                published_at: at(2026, 1, 2, 0, 0),
                updated_at: None,
                deleted_at: None,
            },
            event: EventRow {
                item_id: 7,
                starts_at: starts,
                ends_at: None,
                timezone: zone.map(str::to_string),
                online_url: None,
                place_name: Some("Room 2; upstairs, left".into()),
                place_address: None,
                capacity: None,
                status: "confirmed".into(),
            },
            community: community(),
            tentative: false,
        }
    }

    fn ics(entries: Vec<CalendarEntry>) -> String {
        calendar_into_ics(&Calendar {
            name: "A calendar".into(),
            entries,
            modified: at(2026, 1, 2, 0, 0),
        })
    }

    #[test]
    fn an_unknown_zone_is_written_in_utc() {
        let text = ics(vec![entry(
            "Review",
            at(2030, 1, 15, 19, 0),
            Some("Mars/Olympus"),
        )]);
        assert!(text.contains("DTSTART:20300115T190000Z\r\n"), "{text}");
        assert!(!text.contains("VTIMEZONE"), "{text}");
        // Text values are escaped (RFC 5545 §3.3.11).
        assert!(
            text.contains("LOCATION:Room 2\\; upstairs\\, left\r\n"),
            "{text}"
        );
        assert!(text.contains("DTSTAMP:20260102T000000Z\r\n"), "{text}");
        assert!(
            text.contains("UID:https://b.example/events/7\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_repeated_local_hour_is_written_in_utc_and_others_in_their_zone() {
        // 00:30 UTC on 27 October 2030 is 01:30 in London, an hour that happens twice.
        let text = ics(vec![
            entry("Twice", at(2030, 10, 27, 0, 30), Some("Europe/London")),
            entry("Once", at(2030, 10, 28, 9, 0), Some("Europe/London")),
        ]);
        assert!(text.contains("DTSTART:20301027T003000Z\r\n"), "{text}");
        assert!(
            text.contains("DTSTART;TZID=Europe/London:20301028T090000\r\n"),
            "{text}"
        );
        assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1, "{text}");
        assert!(
            text.find("BEGIN:VTIMEZONE").unwrap() < text.find("BEGIN:VEVENT").unwrap(),
            "{text}"
        );
        // Every line is folded to at most 75 octets.
        assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");
    }
}
