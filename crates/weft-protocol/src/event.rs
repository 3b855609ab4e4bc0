//! Events (FEP-8a8e, Mobilizon-compatible) and the poll that lets Mastodon users RSVP.
//!
//! An `Event` has a `name`, `startTime`, an optional `endTime` and `timezone`, and a
//! `location` that is a `Place` (with an `address`), a `VirtualLocation` (with a `url`),
//! or both. RSVPs are `Join` (going), `TentativeAccept` (maybe) and `Leave` (can't go),
//! sent to the event's community, which answers a `Join` with `Accept` or `Reject`.
//! Mastodon cannot `Join`, so the community also sends a `Question` with three options;
//! a vote (`Create(Note)` with a `name` and `inReplyTo` the question) is an RSVP.

use crate::object::{Source, Tag};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An event, as sent and as accepted.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, deserialize_with = "crate::addressing::first_url")]
    pub attributed_to: Option<Url>,
    #[serde(flatten)]
    pub addressing: crate::addressing::Addressing,
    pub name: String,
    #[serde(default)]
    pub content: String,
    /// When, where and how many places are left, in plain text: Mastodon shows an `Event`
    /// as its name, this and a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    pub start_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    /// An IANA time zone name (`Europe/London`), for showing the times as local ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::object::lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub location: Vec<Location>,
    /// `free` (anyone may join), as Mobilizon writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_attendee_capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_attendee_capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_count: Option<i64>,
    /// `CONFIRMED`, `TENTATIVE` or `CANCELLED` (iCalendar's values; Mobilizon writes the
    /// same under `ical:status`).
    #[serde(
        default,
        alias = "ical:status",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    #[serde(
        default,
        deserialize_with = "crate::object::lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tag: Vec<Tag>,
}

impl EventObject {
    pub fn is_cancelled(&self) -> bool {
        self.event_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
    }

    /// The physical place, if there is one.
    pub fn place(&self) -> Option<&Location> {
        self.location.iter().find(|l| l.kind == "Place")
    }

    /// The online meeting's address, if there is one.
    pub fn online_url(&self) -> Option<&Url> {
        self.location
            .iter()
            .find(|l| l.kind == "VirtualLocation")
            .and_then(|l| l.url.as_ref())
    }

    /// Every address on the event (to, cc, audience).
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.addressing.all()
    }
}

/// A `Place` or a `VirtualLocation`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Location {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A line of text, or a schema.org `PostalAddress` object (Mobilizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Value>,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
}

impl Location {
    pub fn place(name: Option<String>, address: Option<String>) -> Location {
        Location {
            kind: "Place".into(),
            name,
            address: address.map(Value::String),
            url: None,
        }
    }

    pub fn online(url: Url) -> Location {
        Location {
            kind: "VirtualLocation".into(),
            name: None,
            address: None,
            url: Some(url),
        }
    }

    /// The address as one line: a string as it is, a `PostalAddress` joined by commas.
    pub fn address_text(&self) -> Option<String> {
        match self.address.as_ref()? {
            Value::String(s) => Some(s.clone()).filter(|s| !s.is_empty()),
            Value::Object(o) => {
                let parts: Vec<&str> = [
                    "streetAddress",
                    "postalCode",
                    "addressLocality",
                    "addressRegion",
                    "addressCountry",
                ]
                .iter()
                .filter_map(|k| o.get(*k).and_then(Value::as_str))
                .filter(|s| !s.is_empty())
                .collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            _ => None,
        }
    }
}

/// The names of the RSVP poll's options, as Mastodon shows them, and the answer each is.
pub const POLL_OPTIONS: [(&str, &str); 3] = [
    ("Going", "going"),
    ("Maybe", "maybe"),
    ("Can't go", "declined"),
];

/// The answer a poll option's name stands for.
pub fn answer_for_option(name: &str) -> Option<&'static str> {
    POLL_OPTIONS
        .iter()
        .find(|(option, _)| option.eq_ignore_ascii_case(name.trim()))
        .map(|(_, answer)| *answer)
}

/// The RSVP poll a community sends beside an event, for Mastodon.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QuestionObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, deserialize_with = "crate::addressing::first_url")]
    pub attributed_to: Option<Url>,
    #[serde(flatten)]
    pub addressing: crate::addressing::Addressing,
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub one_of: Vec<PollOption>,
    /// The poll closes when the event starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voters_count: Option<i64>,
    /// Weft's marker: this poll is the RSVP of that event (so Weft peers, which read the
    /// event itself, do not store the poll as a post).
    pub rsvp_for: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
}

/// One option of a poll: a `Note` with a `name` and its vote count.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PollOption {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub replies: VoteCount,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VoteCount {
    #[serde(rename = "type")]
    pub kind: String,
    pub total_items: i64,
}

impl PollOption {
    pub fn new(name: &str, votes: i64) -> PollOption {
        PollOption {
            kind: "Note".into(),
            name: name.to_string(),
            replies: VoteCount {
                kind: "Collection".into(),
                total_items: votes,
            },
        }
    }
}
