//! What an incoming document is read as: the envelope first, then its object with the
//! typed reader for its kind, as the inbox reads it (`weft-federation`'s `inbox/`):
//! `Follow`s with [`Follow`], answers with [`AcceptFollow`], posts with [`PostObject`],
//! events with [`EventObject`], announced activities by the same rules again.

use crate::{
    AcceptFollow, ActorJson, Envelope, EventObject, Follow, POST_TYPES, PostObject, QuestionObject,
    RoleChange, UndoFollow,
};
use serde_json::Value;
use url::Url;

/// Actor types Weft reads as actors.
pub const ACTOR_TYPES: [&str; 5] = ["Person", "Group", "Service", "Application", "Organization"];

/// An incoming document, read.
#[derive(Debug)]
pub enum Incoming {
    Actor(Box<ActorJson>),
    Follow(Follow),
    UndoFollow(UndoFollow),
    /// `Accept`/`Reject` of a `Follow`.
    AnswerFollow(AcceptFollow),
    /// `Accept`/`Reject` of a `Join`: the answered activity.
    AnswerJoin(Box<Envelope>),
    /// `Reject` of a `Create`: a community refusing a post (the refused activity).
    RefusedCreate(Box<Envelope>),
    Post(Box<PostObject>),
    Event(Box<EventObject>),
    /// An RSVP poll (Weft peers read the event instead).
    Poll(Box<QuestionObject>),
    /// An activity whose object is named by id (`Delete`, `Join`, `Leave`, …).
    Link(Url),
    /// An `Announce` of an activity: that activity, read.
    Announced(Box<Incoming>),
    /// `Add`/`Remove` on a community's moderators collection.
    RoleChange(Box<RoleChange>),
}

/// `Add`/`Remove` are read whole (their `target` is not in the envelope).
fn role_change(json: &Value) -> Option<Result<Incoming, String>> {
    let kind = json.get("type").and_then(Value::as_str)?;
    (kind == "Add" || kind == "Remove")
        .then(|| typed(json).map(|c| Incoming::RoleChange(Box::new(c))))
}

/// Reads a document as the inbox would, or says why it cannot be read.
pub fn read(json: &Value) -> Result<Incoming, String> {
    let kind = json.get("type").and_then(Value::as_str).unwrap_or_default();
    if ACTOR_TYPES.contains(&kind) {
        return typed(json).map(|a| Incoming::Actor(Box::new(a)));
    }
    if let Some(change) = role_change(json) {
        return change;
    }
    let envelope: Envelope = typed(json)?;
    read_envelope(&envelope)
}

fn typed<T: serde::de::DeserializeOwned>(json: &Value) -> Result<T, String> {
    serde_json::from_value(json.clone()).map_err(|e| e.to_string())
}

fn read_envelope(activity: &Envelope) -> Result<Incoming, String> {
    let object_kind = activity.object_kind();
    let link = || {
        activity
            .object_id()
            .map(Incoming::Link)
            .ok_or_else(|| format!("{} names no object", activity.kind))
    };
    match (activity.kind.as_str(), object_kind) {
        ("Follow", _) => activity.parse_as().map(Incoming::Follow),
        ("Undo", Some("Follow")) => activity.parse_as().map(Incoming::UndoFollow),
        ("Accept" | "Reject", Some("Follow")) => activity.parse_as().map(Incoming::AnswerFollow),
        ("Accept" | "Reject", Some("Join")) => {
            typed(&activity.object).map(|j| Incoming::AnswerJoin(Box::new(j)))
        }
        ("Reject", Some("Create")) => {
            typed(&activity.object).map(|c| Incoming::RefusedCreate(Box::new(c)))
        }
        ("Create" | "Update" | "Announce", Some(kind)) if POST_TYPES.contains(&kind) => {
            if activity.object.get("rsvpFor").is_some() {
                return typed(&activity.object).map(|q| Incoming::Poll(Box::new(q)));
            }
            typed(&activity.object).map(|p| Incoming::Post(Box::new(p)))
        }
        ("Create" | "Update" | "Announce", Some("Event")) => {
            typed(&activity.object).map(|e| Incoming::Event(Box::new(e)))
        }
        ("Update", Some(kind)) if ACTOR_TYPES.contains(&kind) => {
            typed(&activity.object).map(|a| Incoming::Actor(Box::new(a)))
        }
        ("Announce", Some("Add" | "Remove")) => role_change(&activity.object)
            .expect("an Add or Remove")
            .map(|i| Incoming::Announced(Box::new(i))),
        ("Announce", Some(_)) => {
            let inner: Envelope = typed(&activity.object)?;
            read_envelope(&inner).map(|i| Incoming::Announced(Box::new(i)))
        }
        ("Delete", _) | ("Undo" | "Accept" | "Reject", None) => link(),
        ("Join" | "TentativeAccept" | "Leave", _) => link(),
        ("Create" | "Update" | "Announce", None) => link(),
        (kind, object) => Err(format!(
            "Weft does not accept {kind} of {}",
            object.unwrap_or("a link")
        )),
    }
}
