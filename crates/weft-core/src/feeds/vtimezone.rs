//! `VTIMEZONE` components (RFC 5545 §3.6.5) from the IANA database (chrono-tz), which
//! the `icalendar` crate does not write. Each names the offsets in force over the span
//! asked for, one observance per transition found there (no `RRULE`s: a calendar client
//! needs only the transitions around its events).

use chrono::{NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz, TzOffset};
use std::fmt::Write;

/// The longest span searched for transitions (a calendar of events decades apart still
/// gets the offsets of its first twenty years).
const MAX_SPAN_DAYS: i64 = 20 * 366;

/// What distinguishes two offsets: from UTC, and the daylight-saving part.
fn key(o: &TzOffset) -> (i32, i64) {
    (o.fix().local_minus_utc(), o.dst_offset().num_seconds())
}

/// The `VTIMEZONE` of `tz` for events between `from` and `to` (UTC), with a year either
/// side, in CRLF lines.
pub fn vtimezone(tz: Tz, from: NaiveDateTime, to: NaiveDateTime) -> String {
    let start = from - TimeDelta::days(366);
    let end = (to + TimeDelta::days(366)).min(start + TimeDelta::days(MAX_SPAN_DAYS));
    let at = |t: NaiveDateTime| tz.offset_from_utc_datetime(&t);
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let first = at(start);
    // The offset in force before the first transition, from a date before any event.
    let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
    observance(&mut out, &first, &first, epoch.min(start));
    let mut previous = first;
    let mut t = start;
    while t < end {
        let next = t + TimeDelta::days(1);
        let offset = at(next);
        if key(&offset) != key(&previous) {
            // The first second with the new offset, between t and next.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > TimeDelta::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if key(&at(mid)) == key(&previous) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let local = hi + TimeDelta::seconds(previous.fix().local_minus_utc().into());
            observance(&mut out, &previous, &offset, local);
            previous = offset;
        }
        t = next;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// One `STANDARD` or `DAYLIGHT` observance starting at local time `local`.
fn observance(out: &mut String, from: &TzOffset, to: &TzOffset, local: NaiveDateTime) {
    let kind = if to.dst_offset().is_zero() {
        "STANDARD"
    } else {
        "DAYLIGHT"
    };
    let _ = write!(
        out,
        "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
        local.format("%Y%m%dT%H%M%S"),
        utc_offset(from.fix().local_minus_utc()),
        utc_offset(to.fix().local_minus_utc()),
    );
    if let Some(name) = to.abbreviation() {
        let _ = write!(out, "TZNAME:{name}\r\n");
    }
    let _ = write!(out, "END:{kind}\r\n");
}

/// An RFC 5545 UTC offset: `+HHMM`, or `+HHMMSS` when it has seconds.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn london_has_its_2026_transitions() {
        let text = vtimezone(
            chrono_tz::Europe::London,
            utc("2026-05-01 09:00"),
            utc("2026-05-01 11:00"),
        );
        assert!(text.starts_with("BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"));
        // Summer time began on 29 March 2026 at 01:00 GMT, ended on 25 October at 01:00.
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20260329T010000\r\nTZOFFSETFROM:+0000\r\n\
                 TZOFFSETTO:+0100\r\nTZNAME:BST\r\nEND:DAYLIGHT\r\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0100\r\n\
                 TZOFFSETTO:+0000\r\nTZNAME:GMT\r\nEND:STANDARD\r\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("END:VTIMEZONE\r\n"));
    }

    #[test]
    fn a_zone_without_transitions_has_one_observance() {
        let text = vtimezone(
            chrono_tz::Asia::Tokyo,
            utc("2026-05-01 09:00"),
            utc("2026-05-01 11:00"),
        );
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
        assert!(text.contains("TZOFFSETTO:+0900\r\n"), "{text}");
        assert!(!text.contains("DAYLIGHT"), "{text}");
        assert_eq!(utc_offset(-(5 * 3600 + 30 * 60)), "-0530");
    }
}
