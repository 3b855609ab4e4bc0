//! Actors: `Person`, `Group` (a community, FEP-1b12 / Lemmy-compatible), `Application`
//! (the instance actor). One struct serves all: what Weft writes, and what it accepts
//! from Mastodon, Lemmy, Mobilizon and others (unknown fields are ignored).

use crate::object::Source;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    /// On a Lemmy-style Group: the moderators collection.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    #[serde(deserialize_with = "one_public_key")]
    pub public_key: PublicKeyJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
}

impl ActorJson {
    pub fn shared_inbox(&self) -> Option<&Url> {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyJson {
    pub id: String,
    pub owner: Url,
    pub public_key_pem: String,
}

/// `publicKey` as one object or an array of them (the first RSA key wins).
fn one_public_key<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKeyJson, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PublicKeyJson),
        Many(Vec<PublicKeyJson>),
    }
    match OneOrMany::deserialize(d)? {
        OneOrMany::One(k) => Ok(k),
        OneOrMany::Many(keys) => keys
            .into_iter()
            .next()
            .ok_or_else(|| serde::de::Error::custom("publicKey is an empty array")),
    }
}
