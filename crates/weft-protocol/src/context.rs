//! The JSON-LD `@context` Weft puts on what it serves and sends. It names the
//! ActivityStreams and security vocabularies (Fedify reads no keys without the latter)
//! and the extension terms Lemmy and Mastodon use. Remote contexts are never fetched.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub fn weft_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "lemmy": "https://join-lemmy.org/ns#",
            "toot": "http://joinmastodon.org/ns#",
            "sensitive": "as:sensitive",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "moderators": { "@type": "@id", "@id": "lemmy:moderators" },
            "featured": { "@type": "@id", "@id": "toot:featured" },
            "discoverable": "toot:discoverable",
            "source": "as:source"
        }
    ])
}

/// A document with Weft's `@context` in front. On input any context is accepted.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WithContext<T> {
    #[serde(rename = "@context", default = "weft_context")]
    pub context: Value,
    #[serde(flatten)]
    pub inner: T,
}

impl<T> WithContext<T> {
    pub fn new(inner: T) -> Self {
        WithContext {
            context: weft_context(),
            inner,
        }
    }
}
