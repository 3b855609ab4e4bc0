//! Following: people and communities following people and communities, local or remote.

use crate::outbox::{Outgoing, queue};
use crate::{CoreError, CoreResult, Urls};
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{AcceptFollow, Activity, Follow, UndoFollow};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// A local actor follows `target`. Local targets are followed at once; remote ones get a
/// `Follow` and stay pending until their `Accept` arrives. Returns the follow's state.
pub fn follow(
    conn: &mut AnyConnection,
    urls: &Urls,
    follower: &ActorRow,
    target: &ActorRow,
) -> CoreResult<String> {
    if !follower.is_local {
        return Err(CoreError::Invalid(
            "only local actors follow through this service".into(),
        ));
    }
    if follower.id == target.id {
        return Err(CoreError::Invalid("an actor cannot follow itself".into()));
    }
    if let Some(existing) = weft_db::follows::find(conn, follower.id, target.id)?
        && existing.state == follow_state::ACCEPTED
    {
        return Ok(existing.state);
    }
    let now = weft_db::now();
    if target.is_local && target.is_group() && follower.kind == actor_kind::PERSON {
        // A person following a community here joins it, under its join policy.
        return Ok(
            match crate::membership::join(conn, urls, follower, target, None)? {
                crate::rules::JoinAnswer::Member => follow_state::ACCEPTED,
                crate::rules::JoinAnswer::Pending => follow_state::PENDING,
            }
            .into(),
        );
    }
    if target.is_local {
        let state = if target.manually_approves_followers {
            follow_state::PENDING
        } else {
            follow_state::ACCEPTED
        };
        weft_db::follows::upsert(
            conn,
            &NewFollow {
                follower_id: follower.id,
                target_id: target.id,
                state: state.into(),
                activity_ap_id: None,
                created_at: now,
            },
        )?;
        return Ok(state.into());
    }
    let id = urls.activity();
    let activity: Follow = Activity::new(
        "Follow",
        id.clone(),
        url(&follower.ap_id),
        url(&target.ap_id),
    )
    .to([target.ap_id.clone()]);
    weft_db::follows::upsert(
        conn,
        &NewFollow {
            follower_id: follower.id,
            target_id: target.id,
            state: follow_state::PENDING.into(),
            activity_ap_id: Some(id.to_string()),
            created_at: now,
        },
    )?;
    queue(
        conn,
        urls,
        Outgoing {
            sender: follower,
            activity: &activity,
            kind: "Follow",
            activity_id: &id,
            object_id: Some(&target.ap_id),
            public: false,
            inboxes: vec![target.inbox_url.clone()],
        },
    )?;
    Ok(follow_state::PENDING.into())
}

/// A local actor stops following `target`; a remote target gets `Undo(Follow)`.
pub fn unfollow(
    conn: &mut AnyConnection,
    urls: &Urls,
    follower: &ActorRow,
    target: &ActorRow,
) -> CoreResult<()> {
    if target.is_local && target.is_group() && follower.kind == actor_kind::PERSON {
        // Unfollowing a community here is leaving it.
        return crate::membership::leave(conn, urls, follower, target);
    }
    let Some(existing) = weft_db::follows::find(conn, follower.id, target.id)? else {
        return Err(CoreError::NotFound(format!(
            "not following {}",
            target.ap_id
        )));
    };
    weft_db::follows::delete(conn, follower.id, target.id)?;
    if target.is_local {
        return Ok(());
    }
    let follow_id = existing
        .activity_ap_id
        .map(|s| url(&s))
        .unwrap_or_else(|| urls.activity());
    let follow: Follow = Activity::new(
        "Follow",
        follow_id,
        url(&follower.ap_id),
        url(&target.ap_id),
    );
    let id = urls.activity();
    let undo: UndoFollow =
        Activity::new("Undo", id.clone(), url(&follower.ap_id), follow).to([target.ap_id.clone()]);
    queue(
        conn,
        urls,
        Outgoing {
            sender: follower,
            activity: &undo,
            kind: "Undo",
            activity_id: &id,
            object_id: Some(&target.ap_id),
            public: false,
            inboxes: vec![target.inbox_url.clone()],
        },
    )?;
    Ok(())
}

/// A remote actor's `Follow` of a local actor: recorded and, unless the target approves
/// followers by hand, answered with `Accept`.
pub fn receive_follow(
    conn: &mut AnyConnection,
    urls: &Urls,
    follower: &ActorRow,
    target: &ActorRow,
    follow: &Follow,
) -> CoreResult<()> {
    if !target.is_local {
        return Err(CoreError::NotFound(format!(
            "{} is not an actor of this instance",
            target.ap_id
        )));
    }
    if target.kind == actor_kind::APPLICATION {
        return Err(CoreError::Invalid(
            "the instance actor cannot be followed".into(),
        ));
    }
    if target.is_group() && follower.kind == actor_kind::PERSON {
        // A person following a community here asks to join it (see `membership`).
        crate::membership::receive_follow(conn, urls, follower, target, follow)?;
        return Ok(());
    }
    let state = if target.manually_approves_followers {
        follow_state::PENDING
    } else {
        follow_state::ACCEPTED
    };
    weft_db::follows::upsert(
        conn,
        &NewFollow {
            follower_id: follower.id,
            target_id: target.id,
            state: state.into(),
            activity_ap_id: Some(follow.id.to_string()),
            created_at: weft_db::now(),
        },
    )?;
    if state == follow_state::ACCEPTED {
        answer_follow(conn, urls, target, follower, follow, true)?;
    }
    Ok(())
}

/// The `Follow` of `target` by `follower` whose id was `id`, addressed to the target as
/// Weft sends it (to answer a request that waited).
pub fn follow_of(id: &str, follower: &ActorRow, target: &ActorRow) -> Follow {
    Activity::new("Follow", url(id), url(&follower.ap_id), url(&target.ap_id))
        .to([target.ap_id.clone()])
}

/// `target` answers `follower`'s `follow`: `Accept`, or `Reject` when not `accepted`.
pub fn answer_follow(
    conn: &mut AnyConnection,
    urls: &Urls,
    target: &ActorRow,
    follower: &ActorRow,
    follow: &Follow,
    accepted: bool,
) -> CoreResult<()> {
    let kind = if accepted { "Accept" } else { "Reject" };
    let id = urls.activity();
    let answer: AcceptFollow = Activity::new(kind, id.clone(), url(&target.ap_id), follow.clone())
        .to([follower.ap_id.clone()]);
    queue(
        conn,
        urls,
        Outgoing {
            sender: target,
            activity: &answer,
            kind,
            activity_id: &id,
            object_id: Some(&follower.ap_id),
            public: false,
            inboxes: vec![follower.inbox_url.clone()],
        },
    )?;
    Ok(())
}

/// A remote actor's `Undo(Follow)`.
/// Undoing the follow of a community here is leaving it.
pub fn receive_undo_follow(
    conn: &mut AnyConnection,
    urls: &Urls,
    follower: &ActorRow,
    target: &ActorRow,
) -> CoreResult<()> {
    if target.is_local && target.is_group() && follower.kind == actor_kind::PERSON {
        return crate::membership::receive_leave(conn, urls, follower, target);
    }
    weft_db::follows::delete(conn, follower.id, target.id)?;
    Ok(())
}

/// A remote actor accepted (or rejected) a local actor's follow.
pub fn receive_follow_answer(
    conn: &mut AnyConnection,
    answering: &ActorRow,
    follower: &ActorRow,
    accepted: bool,
) -> CoreResult<()> {
    let Some(existing) = weft_db::follows::find(conn, follower.id, answering.id)? else {
        return Err(CoreError::NotFound(format!(
            "{} has no follow of {} to answer",
            follower.ap_id, answering.ap_id
        )));
    };
    if accepted {
        weft_db::follows::set_state(conn, existing.id, follow_state::ACCEPTED)?;
    } else {
        weft_db::follows::delete(conn, follower.id, answering.id)?;
    }
    Ok(())
}
