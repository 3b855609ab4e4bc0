//! `Add`/`Remove` of a person to a community's moderators collection (Lemmy's shape,
//! FEP-1b12): sent by the lead who made the change, announced by the group.

use crate::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

/// `Add` or `Remove`: `object` is the person, `target` the moderators collection.
/// Weft adds the person's new role (`lead` or `facilitator`) as `weft:role`; other
/// servers ignore it, and a Weft that reads no role stores `facilitator`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RoleChange {
    #[serde(flatten)]
    pub activity: Activity<Url>,
    pub target: Url,
    #[serde(rename = "weft:role", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}
