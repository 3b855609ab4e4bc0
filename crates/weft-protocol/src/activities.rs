//! Activities. One generic shape, `Activity<O>`, with the object type chosen per verb:
//! `Activity<Value>` is the envelope every incoming activity is first read as; typed
//! aliases describe what Weft sends (see `docs/federation/`).

use crate::addressing::Addressing;
use crate::object::PostObject;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Activity<O> {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(deserialize_with = "required_first_url")]
    pub actor: Url,
    pub object: O,
    #[serde(flatten)]
    pub addressing: Addressing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Weft's extension on a community's `Announce` of an item it took from another
    /// community (a bridge): how many bridges the item has crossed so far
    /// (`docs/federation/constellation.md`). Absent means 0; an unreadable value too.
    #[serde(
        rename = "weft:hops",
        default,
        deserialize_with = "lenient_hops",
        skip_serializing_if = "Option::is_none"
    )]
    pub hops: Option<u32>,
}

/// Every activity arriving in an inbox is first read as this.
pub type Envelope = Activity<Value>;
/// `Follow`: object is the followed actor's id.
pub type Follow = Activity<Url>;
/// `Accept`/`Reject` of a follow: object is the embedded `Follow`.
pub type AcceptFollow = Activity<Follow>;
/// `Undo` of a follow: object is the embedded `Follow`.
pub type UndoFollow = Activity<Follow>;
/// `Create`/`Update` of a post.
pub type CreateOrUpdate = Activity<PostObject>;
/// `Delete` of a post: object is its id.
pub type Delete = Activity<Url>;
/// A community's `Announce`: object is an embedded activity, or the bare post.
pub type Announce = Activity<Value>;

impl<O> Activity<O> {
    pub fn new(kind: &str, id: Url, actor: Url, object: O) -> Self {
        Activity {
            kind: kind.to_string(),
            id,
            actor,
            object,
            addressing: Addressing::default(),
            published: None,
            hops: None,
        }
    }

    pub fn to(mut self, to: impl IntoIterator<Item = String>) -> Self {
        self.addressing.to = to.into_iter().collect();
        self
    }

    pub fn cc(mut self, cc: impl IntoIterator<Item = String>) -> Self {
        self.addressing.cc = cc.into_iter().collect();
        self
    }

    pub fn audience(mut self, audience: Option<Url>) -> Self {
        self.addressing.audience = audience;
        self
    }

    pub fn published(mut self, at: DateTime<Utc>) -> Self {
        self.published = Some(at);
        self
    }

    /// Sets `weft:hops` (a bridged item passed on).
    pub fn hops(mut self, hops: Option<u32>) -> Self {
        self.hops = hops;
        self
    }
}

impl Envelope {
    /// The id of the object, embedded or linked.
    pub fn object_id(&self) -> Option<Url> {
        crate::addressing::ids_of(Some(&self.object))
            .first()
            .and_then(|s| Url::parse(s).ok())
    }

    /// The object's `type`, when it is embedded.
    pub fn object_kind(&self) -> Option<&str> {
        self.object.get("type").and_then(Value::as_str)
    }

    /// Reads the envelope as a typed activity.
    pub fn parse_as<O: serde::de::DeserializeOwned>(&self) -> Result<Activity<O>, String> {
        let object: O = serde_json::from_value(self.object.clone())
            .map_err(|e| format!("{} has an object Weft cannot read: {e}", self.kind))?;
        Ok(Activity {
            kind: self.kind.clone(),
            id: self.id.clone(),
            actor: self.actor.clone(),
            object,
            addressing: self.addressing.clone(),
            published: self.published,
            hops: self.hops,
        })
    }
}

/// `actor` must name one actor (a string, or an object with an id).
fn required_first_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    crate::addressing::first_url(d)?
        .ok_or_else(|| serde::de::Error::custom("`actor` must be an actor id"))
}

/// `weft:hops` as a count; anything else (a string, a negative number) reads as absent.
fn lenient_hops<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value
        .and_then(|v| v.as_u64())
        .and_then(|n| u32::try_from(n).ok()))
}
