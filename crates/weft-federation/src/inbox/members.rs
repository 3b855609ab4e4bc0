//! `Add`/`Remove` on a remote community's moderators collection, announced by the
//! community: this instance's copy of its moderators follows.

use super::{Outcome, once};
use crate::{Ctx, FedError, fetch_actor};
use weft_db::models::ActorRow;
use weft_protocol::{Envelope, RoleChange};

/// Whether `activity` is an `Add`/`Remove`, or a community's `Announce` of one.
pub fn is_role_change(activity: &Envelope) -> bool {
    let change = |kind: &str| kind == "Add" || kind == "Remove";
    change(&activity.kind)
        || (activity.kind == "Announce" && activity.object_kind().is_some_and(change))
}

pub async fn receive(
    ctx: &Ctx,
    actor: &ActorRow,
    activity: &Envelope,
) -> Result<Outcome, FedError> {
    if !actor.is_group() {
        return Ok(Outcome::Ignored(
            "changes to a community's moderators are taken from the community itself".into(),
        ));
    }
    if activity.kind != "Announce" {
        return Ok(Outcome::Ignored(format!(
            "a bare {} is not acted on: the community announces changes to its moderators",
            activity.kind
        )));
    }
    let change: RoleChange = serde_json::from_value(activity.object.clone())
        .map_err(|e| FedError::bad_request(format!("the Add or Remove: {e}")))?;
    let person = fetch_actor(&change.activity.object, ctx).await?;
    let group = actor.clone();
    let Some(done) = once(ctx, activity, move |c| {
        weft_core::membership::receive_role_change(c, &group, &person, &change)
    })
    .await?
    else {
        return Ok(Outcome::repeat(activity));
    };
    Ok(Outcome::Done(done))
}
