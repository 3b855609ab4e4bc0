//! What bridges need from the inbox (`weft_core::constellation::bridges`): the hop count
//! an `Announce` carries (`weft:hops`), and the origin community of an item that a
//! community passed on from another.

use crate::{Ctx, FedError, fetch_actor};
use url::Url;
use weft_db::models::ActorRow;
use weft_protocol::{Addressing, Envelope, same_id};

/// The bridges an announced item has crossed before this `Announce` (0 when absent).
pub(super) fn hops_of(activity: &Envelope) -> i32 {
    activity
        .hops
        .and_then(|h| i32::try_from(h).ok())
        .unwrap_or(0)
}

/// The community an item announced by `group` belongs to, when that is not `group`
/// (the item was passed on through a bridge): its `audience`, fetched when not known.
/// `None` when the item is addressed to `group`, or names no other community.
pub(super) async fn origin_of(
    ctx: &Ctx,
    group: &ActorRow,
    addressing: &Addressing,
) -> Result<Option<ActorRow>, FedError> {
    if addressing.all().any(|a| same_id(a, &group.ap_id)) {
        return Ok(None);
    }
    let Some(audience) = addressing.audience.as_ref() else {
        return Ok(None);
    };
    if same_id(audience.as_str(), &group.ap_id) {
        return Ok(None);
    }
    let origin = if ctx.urls.is_local(audience.as_str()) {
        let id = audience.to_string();
        ctx.db
            .read(move |c| weft_db::actors::by_ap_id(c, &id))
            .await?
    } else {
        Some(fetch_actor(&Url::clone(audience), ctx).await?)
    };
    Ok(origin.filter(ActorRow::is_group))
}
