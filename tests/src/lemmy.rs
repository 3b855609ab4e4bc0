//! What Lemmy 0.19 requires of the activities a community server receives, field by
//! field, written from its protocol structs (LemmyNet/lemmy tag 0.19.20,
//! `crates/apub/src/protocol/`) and checked against its own JSON fixtures
//! (`crates/weft-protocol/tests/fixtures/lemmy/`). Lemmy reads an incoming activity as an
//! untagged enum (`activity_lists.rs`), so one missing required field makes the whole
//! activity "data did not match any variant": a 400.

use serde_json::Value;

/// What one field must be.
#[derive(Clone, Copy)]
enum Need {
    /// A URL (`Url`, `ObjectId<…>`).
    Url,
    /// Present, one URL or an array of URLs (`#[serde(deserialize_with =
    /// "deserialize_one_or_many")] Vec<Url>` without `default`).
    Urls,
    /// Absent, or one-or-many URLs (the same with `default`).
    OptUrls,
    /// A string (`String`).
    Str,
    /// Absent, null or a string (`Option<String>`).
    OptStr,
    /// Absent, null or a boolean.
    OptBool,
    /// Absent, null or an RFC 3339 date (`Option<DateTime<Utc>>`).
    OptDate,
    /// Exactly one of these strings (an enum of types).
    OneOf(&'static [&'static str]),
    /// Absent, null or one of these strings.
    OptOneOf(&'static [&'static str]),
    /// Must not be there (`deserialize_not_present`).
    Absent,
}

type Rules = &'static [(&'static str, Need)];

fn check_field(json: &Value, field: &str, need: Need) -> Result<(), String> {
    let value = json.get(field).filter(|v| !v.is_null());
    let is_url = |v: &Value| v.as_str().is_some_and(|s| url::Url::parse(s).is_ok());
    let urls = |v: &Value| match v {
        Value::Array(items) => items.iter().all(is_url),
        other => is_url(other),
    };
    let ok = match (need, value) {
        (Need::Url, Some(v)) => is_url(v),
        (Need::Urls, Some(v)) | (Need::OptUrls, Some(v)) => urls(v),
        (Need::Str, Some(v)) | (Need::OptStr, Some(v)) => v.is_string(),
        (Need::OptBool, Some(v)) => v.is_boolean(),
        (Need::OptDate, Some(v)) => v
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        (Need::OneOf(values), Some(v)) | (Need::OptOneOf(values), Some(v)) => {
            v.as_str().is_some_and(|s| values.contains(&s))
        }
        (Need::Absent, Some(_)) => false,
        (Need::Url | Need::Urls | Need::Str | Need::OneOf(_), None) => false,
        (_, None) => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}` is {value:?}, Lemmy needs {}",
            describe(need)
        ))
    }
}

fn describe(need: Need) -> String {
    match need {
        Need::Url => "a URL".into(),
        Need::Urls => "one or more URLs (required)".into(),
        Need::OptUrls => "URLs or nothing".into(),
        Need::Str => "a string".into(),
        Need::OptStr => "a string or nothing".into(),
        Need::OptBool => "a boolean or nothing".into(),
        Need::OptDate => "an RFC 3339 date or nothing".into(),
        Need::OneOf(v) => format!("one of {v:?}"),
        Need::OptOneOf(v) => format!("one of {v:?} or nothing"),
        Need::Absent => "no such field".into(),
    }
}

fn check_rules(json: &Value, what: &str, rules: Rules) -> Result<(), String> {
    for (field, need) in rules {
        check_field(json, field, *need).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

const MEDIA_TYPE: &[&str] = &["text/markdown", "text/html"];

/// `protocol/objects/page.rs` `Page` (a post; `PageType` allows these kinds).
const PAGE: Rules = &[
    (
        "type",
        Need::OneOf(&["Page", "Article", "Note", "Video", "Event"]),
    ),
    ("id", Need::Url),
    ("attributedTo", Need::Url),
    ("to", Need::OptUrls),
    ("inReplyTo", Need::Absent),
    ("name", Need::OptStr),
    ("cc", Need::OptUrls),
    ("content", Need::OptStr),
    ("mediaType", Need::OptOneOf(MEDIA_TYPE)),
    ("sensitive", Need::OptBool),
    ("published", Need::OptDate),
    ("updated", Need::OptDate),
    ("audience", Need::OptUrls),
];

/// `protocol/objects/note.rs` `Note` (a comment).
const NOTE: Rules = &[
    ("type", Need::OneOf(&["Note"])),
    ("id", Need::Url),
    ("attributedTo", Need::Url),
    ("to", Need::Urls),
    ("cc", Need::OptUrls),
    ("content", Need::Str),
    ("inReplyTo", Need::Url),
    ("mediaType", Need::OptOneOf(MEDIA_TYPE)),
    ("published", Need::OptDate),
    ("updated", Need::OptDate),
    ("audience", Need::OptUrls),
];

/// `activities/create_or_update/page.rs` `CreateOrUpdatePage` and `note.rs`
/// `CreateOrUpdateNote`: `to` and `cc` both required.
const CREATE_OR_UPDATE: Rules = &[
    ("type", Need::OneOf(&["Create", "Update"])),
    ("id", Need::Url),
    ("actor", Need::Url),
    ("to", Need::Urls),
    ("cc", Need::Urls),
    ("audience", Need::OptUrls),
];

/// `activities/deletion/delete.rs` `Delete`: `to` required, `cc` optional; the object an
/// id or a `Tombstone`.
const DELETE: Rules = &[
    ("type", Need::OneOf(&["Delete"])),
    ("id", Need::Url),
    ("actor", Need::Url),
    ("to", Need::Urls),
    ("cc", Need::OptUrls),
    ("audience", Need::OptUrls),
    ("summary", Need::OptStr),
];

/// `protocol/objects/tombstone.rs` `Tombstone`.
const TOMBSTONE: Rules = &[("type", Need::OneOf(&["Tombstone"])), ("id", Need::Url)];

/// `activities/community/announce.rs` `AnnounceActivity`: `to` and `cc` required; the
/// object an id, or an activity with `id` and `actor` (`RawAnnouncableActivities`).
const ANNOUNCE: Rules = &[
    ("type", Need::OneOf(&["Announce"])),
    ("id", Need::Url),
    ("actor", Need::Url),
    ("to", Need::Urls),
    ("cc", Need::Urls),
];

/// `activities/following/follow.rs` `Follow` (`to` optional, skipped when unreadable).
const FOLLOW: Rules = &[
    ("type", Need::OneOf(&["Follow"])),
    ("id", Need::Url),
    ("actor", Need::Url),
    ("object", Need::Url),
];

/// `following/accept.rs` `AcceptFollow` and `following/undo_follow.rs` `UndoFollow`: the
/// object is the embedded `Follow`.
const ANSWER_FOLLOW: Rules = &[
    ("type", Need::OneOf(&["Accept", "Undo"])),
    ("id", Need::Url),
    ("actor", Need::Url),
];

/// `activities/community/collection_add.rs` `CollectionAdd` and `collection_remove.rs`
/// `CollectionRemove`: `to` and `cc` required, `object` and `target` URLs.
const COLLECTION_CHANGE: Rules = &[
    ("type", Need::OneOf(&["Add", "Remove"])),
    ("id", Need::Url),
    ("actor", Need::Url),
    ("to", Need::Urls),
    ("cc", Need::Urls),
    ("object", Need::Url),
    ("target", Need::Url),
    ("audience", Need::OptUrls),
];

/// Checks an activity as a Lemmy 0.19 community or shared inbox reads it.
pub fn check(activity: &Value) -> Result<(), String> {
    let kind = activity["type"].as_str().unwrap_or_default();
    let object = &activity["object"];
    let object_kind = object["type"].as_str();
    match (kind, object_kind) {
        ("Create" | "Update", Some("Note")) if object.get("inReplyTo").is_some() => {
            check_rules(activity, kind, CREATE_OR_UPDATE)?;
            check_rules(object, "its Note", NOTE)
        }
        ("Create" | "Update", Some(_)) => {
            check_rules(activity, kind, CREATE_OR_UPDATE)?;
            check_rules(object, "its Page", PAGE)
        }
        ("Delete", _) => {
            check_rules(activity, kind, DELETE)?;
            match object {
                Value::String(_) => check_field(activity, "object", Need::Url),
                _ => check_rules(object, "its Tombstone", TOMBSTONE),
            }
        }
        ("Announce", _) => {
            check_rules(activity, kind, ANNOUNCE)?;
            match object {
                Value::String(_) => check_field(activity, "object", Need::Url),
                inner if inner.get("actor").is_some() => {
                    check_field(inner, "id", Need::Url)?;
                    check(inner).map_err(|e| format!("the announced {e}"))
                }
                _ => Err("the announced object is no activity (it has no `actor`): \
                          Lemmy reads only `Announce`s of activities"
                    .into()),
            }
        }
        ("Add" | "Remove", _) => check_rules(activity, kind, COLLECTION_CHANGE),
        ("Follow", _) => check_rules(activity, kind, FOLLOW),
        ("Accept" | "Undo", Some("Follow")) => {
            check_rules(activity, kind, ANSWER_FOLLOW)?;
            check_rules(object, "its Follow", FOLLOW)
        }
        (kind, object) => Err(format!("Lemmy has no type for {kind} of {object:?}")),
    }
}
