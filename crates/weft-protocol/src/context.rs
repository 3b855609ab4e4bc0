//! The JSON-LD `@context` Weft puts on what it serves and sends. It names the
//! ActivityStreams and security vocabularies (Fedify reads no keys without the latter)
//! and the extension terms Lemmy, Mastodon and Mobilizon use, and Weft's own (`rsvpFor`). The community profile uses compact `weft:` IRIs
//! (`weft:lifecycle`, …) under the `weft` prefix defined here. Remote contexts are never fetched.

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
            "source": "as:source",
            "sc": "http://schema.org/",
            "mz": "https://joinmobilizon.org/ns#",
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "weft": "https://w3id.org/weft/ns#",
            "timezone": "mz:timezone",
            "joinMode": "mz:joinMode",
            "participantCount": "mz:participantCount",
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "eventStatus": "ical:status",
            "VirtualLocation": "sc:VirtualLocation",
            "votersCount": "toot:votersCount",
            "rsvpFor": { "@type": "@id", "@id": "weft:rsvpFor" }
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
