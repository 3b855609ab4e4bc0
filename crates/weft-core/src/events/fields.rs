//! What a lead writes about an event, checked: times in RFC 3339 with their UTC offset, the
//! time zone against the IANA database, the online link, the place and the capacity. An
//! edit names only what changes (PATCH): a named field replaces, `null` clears, a missing
//! one stays as it was.

use crate::{CoreError, CoreResult, sanitize};
use chrono::{DateTime, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use url::Url;
use weft_db::models::{EventRow, event_status};

/// A place: its name and/or its address, set (and cleared) together.
#[derive(Clone, Copy, Debug, Default)]
pub struct Place<'a> {
    pub name: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// What a lead writes when scheduling an event.
#[derive(Clone, Copy, Debug)]
pub struct EventFields<'a> {
    pub title: &'a str,
    /// Markdown; stored beside its HTML.
    pub description: &'a str,
    /// RFC 3339 with an offset (`2026-05-01T10:00:00+01:00`).
    pub starts_at: &'a str,
    pub ends_at: Option<&'a str>,
    /// An IANA zone name (`Europe/London`) the times are shown in.
    pub timezone: Option<&'a str>,
    pub online_url: Option<&'a str>,
    pub place: Option<Place<'a>>,
    pub capacity: Option<i64>,
}

/// An edit: for each field, `None` keeps what is stored, `Some(None)` clears it.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventChanges<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub starts_at: Option<&'a str>,
    pub ends_at: Option<Option<&'a str>>,
    pub timezone: Option<Option<&'a str>>,
    pub online_url: Option<Option<&'a str>>,
    pub place: Option<Option<Place<'a>>>,
    pub capacity: Option<Option<i64>>,
}

impl<'a> From<EventFields<'a>> for EventChanges<'a> {
    fn from(f: EventFields<'a>) -> Self {
        EventChanges {
            title: Some(f.title),
            description: Some(f.description),
            starts_at: Some(f.starts_at),
            ends_at: Some(f.ends_at),
            timezone: Some(f.timezone),
            online_url: Some(f.online_url),
            place: Some(f.place),
            capacity: Some(f.capacity),
        }
    }
}

/// A title as stored (plain text), checked.
pub(crate) fn title(value: &str) -> CoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CoreError::Invalid("an event needs a title".into()));
    }
    if value.chars().count() > 300 {
        return Err(CoreError::Invalid(
            "the title is longer than 300 characters".into(),
        ));
    }
    Ok(sanitize::title(value))
}

/// A time zone name checked against the IANA database, in its canonical spelling.
pub fn zone(name: &str) -> CoreResult<Tz> {
    let name = name.trim();
    name.parse::<Tz>()
        .ok()
        .or_else(|| {
            // `europe/london` is meant as `Europe/London`.
            chrono_tz::TZ_VARIANTS
                .iter()
                .copied()
                .find(|tz| tz.name().eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "timezone {name:?} is not in the IANA time zone database: give a name such as \
                 Europe/London or America/New_York"
            ))
        })
}

/// An RFC 3339 time; a time without its UTC offset is refused with the offset it most
/// likely needs (the event's zone's at that time, when the zone is known).
pub fn time(field: &str, text: &str, tz: Option<Tz>) -> CoreResult<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok());
    let Some(naive) = naive else {
        return Err(CoreError::Invalid(format!(
            "{field} {text:?} is not a time: write it in RFC 3339 with its UTC offset, such as \
             2026-05-01T10:00:00+01:00"
        )));
    };
    let written = naive.format("%Y-%m-%dT%H:%M:%S");
    let advice = match tz {
        Some(tz) => match tz.from_local_datetime(&naive).earliest() {
            Some(local) => format!(
                "write {} (the offset of {} then)",
                local.format("%Y-%m-%dT%H:%M:%S%:z"),
                tz.name()
            ),
            None => format!(
                "that time does not exist in {} (the clocks change): choose another",
                tz.name()
            ),
        },
        None => format!(
            "write {written}Z for UTC, or the offset of the event's place, such as \
             {written}+01:00"
        ),
    };
    Err(CoreError::Invalid(format!(
        "{field}: {text} has no UTC offset: {advice}"
    )))
}

fn whole_seconds(at: DateTime<Utc>) -> NaiveDateTime {
    // Whole seconds: a meeting time needs no more, and both backends then agree.
    let at = at.naive_utc();
    at.with_nanosecond(0).unwrap_or(at)
}

fn optional_text(value: Option<&str>) -> Option<String> {
    value.map(sanitize::title).filter(|v| !v.is_empty())
}

fn online_link(link: Option<&str>) -> CoreResult<Option<String>> {
    let Some(link) = link.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let parsed = Url::parse(link)
        .map_err(|e| CoreError::Invalid(format!("the online link {link:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(CoreError::Invalid(
            "the online link must be an http or https address".into(),
        ));
    }
    Ok(Some(parsed.to_string()))
}

/// A new event's row (item id filled in later): `changes` names every field.
pub(crate) fn new_row(changes: &EventChanges, now: NaiveDateTime) -> CoreResult<EventRow> {
    let mut row = EventRow {
        item_id: 0,
        starts_at: now,
        ends_at: None,
        timezone: None,
        online_url: None,
        place_name: None,
        place_address: None,
        capacity: None,
        status: event_status::CONFIRMED.into(),
    };
    apply(&mut row, changes, now)?;
    Ok(row)
}

/// Applies what `changes` names to `row`, each field checked, then the whole: it ends after
/// it starts, and it is somewhere.
pub(crate) fn apply(
    row: &mut EventRow,
    changes: &EventChanges,
    now: NaiveDateTime,
) -> CoreResult<()> {
    if let Some(name) = changes.timezone {
        row.timezone = name
            .filter(|n| !n.trim().is_empty())
            .map(|n| zone(n).map(|tz| tz.name().to_string()))
            .transpose()?;
    }
    let tz = row.timezone.as_deref().and_then(|z| z.parse::<Tz>().ok());
    if let Some(text) = changes.starts_at {
        let starts_at = whole_seconds(time("starts_at", text, tz)?);
        if starts_at < now {
            return Err(CoreError::Invalid(
                "the event starts in the past: give a start time still to come".into(),
            ));
        }
        row.starts_at = starts_at;
    }
    if let Some(end) = changes.ends_at {
        row.ends_at = end
            .map(|text| time("ends_at", text, tz).map(whole_seconds))
            .transpose()?;
    }
    if row.ends_at.is_some_and(|e| e <= row.starts_at) {
        return Err(CoreError::Invalid(
            "the event must end after it starts".into(),
        ));
    }
    if let Some(link) = changes.online_url {
        row.online_url = online_link(link)?;
    }
    if let Some(place) = changes.place {
        let place = place.unwrap_or_default();
        row.place_name = optional_text(place.name);
        row.place_address = optional_text(place.address);
    }
    if let Some(capacity) = changes.capacity {
        row.capacity = match capacity {
            Some(c) if !(1..=1_000_000).contains(&c) => {
                return Err(CoreError::Invalid(
                    "capacity must be between 1 and 1,000,000 (or left out)".into(),
                ));
            }
            c => c.map(|c| c as i32),
        };
    }
    if row.online_url.is_none() && row.place_name.is_none() && row.place_address.is_none() {
        return Err(CoreError::Invalid(
            "say where the event is: an online link, a place, or both".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_without_offset_is_refused_with_the_zones_offset() {
        let london = zone("Europe/London").unwrap();
        let err = time("starts_at", "2026-05-01T10:00", Some(london)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "starts_at: 2026-05-01T10:00 has no UTC offset: write 2026-05-01T10:00:00+01:00 \
             (the offset of Europe/London then)"
        );
        let err = time("starts_at", "2026-12-01T10:00:00", Some(london)).unwrap_err();
        assert!(
            err.to_string().contains("2026-12-01T10:00:00+00:00"),
            "{err}"
        );
        let err = time("ends_at", "2026-05-01T10:00", None).unwrap_err();
        assert!(err.to_string().contains("2026-05-01T10:00:00Z"), "{err}");
        let err = time("starts_at", "2026-03-29T01:30", Some(london)).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert_eq!(
            time("starts_at", "2026-05-01T10:00:00+01:00", None).unwrap(),
            "2026-05-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn zones_come_from_the_iana_database() {
        assert_eq!(zone("europe/london").unwrap().name(), "Europe/London");
        assert!(zone("Europe/Lundon").is_err());
        assert!(zone("Mars/Olympus_Mons").is_err());
    }
}
