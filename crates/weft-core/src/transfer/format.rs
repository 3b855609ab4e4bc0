//! The export file: one JSON document describing a community, written by `weft export` and
//! read by `weft import`. ActivityStreams names are used where they mean the same thing
//! (`id`, `type`, `name`, `content`, `published`, `attributedTo`, `inReplyTo`, `startTime`);
//! the rest is Weft's own and documented in `docs/operations.md` ("Moving a community").
//! Files travel inside the document, base64-encoded.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// What `format` says; an import refuses any other.
pub const FORMAT: &str = "https://weft.social/ns/export/community/v1";

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    pub format: String,
    /// The instance it was exported from (its base URL).
    pub source: String,
    pub exported_at: NaiveDateTime,
    pub community: Community,
    /// Everyone the community refers to: members, authors, people who answered events,
    /// editors of resources. Local people of the source become local people of the
    /// importing instance; remote people stay who they are.
    pub people: Vec<Person>,
    pub members: Vec<Member>,
    pub objectives: Vec<Objective>,
    pub folders: Vec<Folder>,
    /// Threads, replies, events and resources, a parent before its replies.
    pub items: Vec<Item>,
    pub files: Vec<File>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Community {
    /// Its actor id at the source.
    pub id: String,
    pub preferred_username: String,
    /// The title.
    pub name: String,
    /// The domain statement, as written (markdown).
    pub domain_statement: String,
    pub terms_of_reference: String,
    pub lifecycle: String,
    pub meeting_mode: String,
    pub meeting_rhythm: String,
    pub join_policy: String,
    pub posting_restricted_to_mods: bool,
    pub discoverable: bool,
    pub language: Option<String>,
    pub why: String,
    /// Who proposed it (an id in `people`).
    pub proposer: Option<String>,
    pub tags: Vec<String>,
    pub published: NaiveDateTime,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub preferred_username: String,
    pub domain: String,
    pub name: Option<String>,
    /// A person of the exporting instance (moves with the community).
    pub local: bool,
    /// Local people only: the address they confirmed, so they can reset their password on
    /// the new instance. No password or token is ever exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Remote people only: where to reach them and their key, until refreshed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub person: String,
    pub role: String,
    pub joined: NaiveDateTime,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Objective {
    pub kind: String,
    pub title: String,
    pub status: String,
    pub done_on: Option<String>,
    pub note: String,
    pub created: NaiveDateTime,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    /// Its id at the source.
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub created: NaiveDateTime,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    /// `post`, `event` or `resource`.
    pub kind: String,
    /// The ActivityStreams type it is sent as (`Page`, `Note`, `Event`, `Document`).
    #[serde(rename = "type")]
    pub object_type: String,
    pub attributed_to: String,
    pub name: Option<String>,
    /// Sanitised HTML, as shown.
    pub content: String,
    /// What the author wrote (markdown), where known.
    pub source: Option<String>,
    /// Where the item lives when it is not the exporting instance's own.
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    /// Made on the exporting instance (gets a new id on import); false for posts that
    /// remote people sent to the community (they keep theirs).
    pub local: bool,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
    /// Deleted: kept as a tombstone, content emptied, so replies keep their place.
    pub deleted: Option<NaiveDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub start_time: NaiveDateTime,
    pub end_time: Option<NaiveDateTime>,
    pub timezone: Option<String>,
    pub online_url: Option<String>,
    pub place_name: Option<String>,
    pub place_address: Option<String>,
    pub capacity: Option<i32>,
    pub status: String,
    pub rsvps: Vec<Rsvp>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Rsvp {
    pub person: String,
    pub answer: String,
    pub state: String,
    pub created: NaiveDateTime,
    pub updated: NaiveDateTime,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub kind: String,
    pub folder: Option<String>,
    pub current_version: i32,
    /// Every version, oldest first.
    pub versions: Vec<Version>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version: i32,
    pub title: String,
    pub kind: String,
    pub description_source: String,
    pub description_html: String,
    pub tags: Vec<String>,
    pub link: Option<String>,
    /// As stored: `url`, `mediaType`, `name`, `size`. Links to the source's own files are
    /// rewritten to the importing instance's on import.
    pub attachments: serde_json::Value,
    pub message: Option<String>,
    pub edited_by: String,
    pub created: NaiveDateTime,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct File {
    pub sha256: String,
    pub media_type: String,
    pub name: String,
    pub size: i64,
    pub uploaded_by: String,
    pub created: NaiveDateTime,
    /// The bytes, base64 (standard alphabet, padded).
    pub data: String,
}
