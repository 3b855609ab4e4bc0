//! Roles: a lead changes someone's role or removes them; changes to the moderators
//! collection (leads and facilitators) federate as `Add`/`Remove` with the collection as
//! `target`, sent by the lead and announced by the group (FEP-1b12, Lemmy's shape). A
//! remote Weft applies them to its copy of the community's moderators.

use crate::outbox::{Outgoing, queue_many};
use crate::{CoreError, CoreResult, Urls, rules};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{Activity, PUBLIC, RoleChange, same_id};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// The moderators collection of a community (local or remote): `{id}/moderators`, the
/// id Weft and Lemmy both serve as `attributedTo`.
pub fn moderators_url(community: &ActorRow) -> Url {
    url(&format!(
        "{}/moderators",
        community.ap_id.trim_end_matches('/')
    ))
}

/// A role named by a caller, checked.
pub fn parse_role(name: &str) -> CoreResult<&'static str> {
    role::ALL.into_iter().find(|r| *r == name).ok_or_else(|| {
        CoreError::Invalid(format!(
            "{name:?} is not a role: use one of {}",
            role::ALL.join(", ")
        ))
    })
}

/// A lead (or an admin) gives `person` (local or remote) `new_role` in `community`,
/// making them a member if they were not. A change to who moderates is announced.
pub fn change_role(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    person: &ActorRow,
    new_role: &str,
) -> CoreResult<MembershipRow> {
    let new_role = parse_role(new_role)?;
    rules::may_change_role(conn, community, by)?;
    apply_role(conn, urls, by, community, person, new_role)
}

/// The instance's operator (the command line) sets a role: no rule is asked, and a change
/// to who moderates is announced in the community's own name.
pub fn set_role_as_operator(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    person: &ActorRow,
    new_role: &str,
) -> CoreResult<MembershipRow> {
    let new_role = parse_role(new_role)?;
    apply_role(conn, urls, community, community, person, new_role)
}

/// Stores `person`'s new role (never leaving `community` without a lead) and announces a
/// change to who moderates it.
fn apply_role(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    person: &ActorRow,
    new_role: &'static str,
) -> CoreResult<MembershipRow> {
    if person.kind != actor_kind::PERSON {
        return Err(CoreError::Invalid(format!(
            "{} is not a person: only people hold roles",
            person.ap_id
        )));
    }
    rules::keeps_a_lead(conn, community, person, Some(new_role))?;
    let old = weft_db::actors::role_of(conn, community.id, person.id)?;
    weft_db::actors::set_membership(
        conn,
        &MembershipRow {
            community_id: community.id,
            person_id: person.id,
            role: new_role.into(),
            created_at: weft_db::now(),
        },
    )?;
    let was_moderator = old.as_deref().is_some_and(role::is_moderator);
    if old.as_deref() != Some(new_role) {
        if role::is_moderator(new_role) {
            announce(conn, urls, by, community, person, Some(new_role))?;
        } else if was_moderator {
            announce(conn, urls, by, community, person, None)?;
        }
    }
    Ok(weft_db::memberships::find(conn, community.id, person.id)?.expect("just stored"))
}

/// A lead (or an admin) removes `person` from `community` (never its last lead).
pub fn remove_member(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    person: &ActorRow,
) -> CoreResult<()> {
    rules::may_change_role(conn, community, by)?;
    rules::keeps_a_lead(conn, community, person, None)?;
    let Some(had) = weft_db::memberships::find(conn, community.id, person.id)? else {
        return Err(CoreError::NotFound(format!(
            "{} is not a member of {}",
            person.username, community.username
        )));
    };
    weft_db::memberships::delete(conn, community.id, person.id)?;
    weft_db::follows::delete(conn, person.id, community.id)?;
    if role::is_moderator(&had.role) {
        announce(conn, urls, by, community, person, None)?;
    }
    Ok(())
}

/// Queues `Add` (with the new moderator role) or, when `role` is None, `Remove` of
/// `person` on `community`'s moderators collection, sent by `by` (the community itself
/// when `by` is remote) and announced by the community to its remote followers and to
/// the person's own instance.
pub(crate) fn announce(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    person: &ActorRow,
    role: Option<&str>,
) -> CoreResult<()> {
    // A remote person leaving is announced in the community's own name: an activity
    // with an id here is never put in a remote actor's mouth.
    let by = if by.is_local { by } else { community };
    let group = url(&community.ap_id);
    let target = moderators_url(community);
    let kind = if role.is_some() { "Add" } else { "Remove" };
    let change_id = urls.activity();
    let change = RoleChange {
        activity: Activity::new(kind, change_id.clone(), url(&by.ap_id), url(&person.ap_id))
            .to([PUBLIC.to_string()])
            .cc([community.ap_id.clone()])
            .audience(Some(group.clone())),
        target: target.clone(),
        role: role.map(str::to_string),
    };
    let change = serde_json::to_value(&change).expect("serialisable");
    let announce_id = urls.activity();
    let announce: Value = serde_json::to_value(
        Activity::new("Announce", announce_id.clone(), group, change.clone())
            .to([PUBLIC.to_string()])
            .cc(community.followers_url.clone()),
    )
    .expect("serialisable");
    let mut inboxes = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    if !person.is_local {
        inboxes.push(person.delivery_inbox().to_string());
    }
    let target = target.to_string();
    queue_many(
        conn,
        urls,
        vec![
            Outgoing {
                sender: by,
                activity: &change,
                kind,
                activity_id: &change_id,
                object_id: Some(&target),
                public: false,
                inboxes: vec![],
            },
            Outgoing {
                sender: community,
                activity: &announce,
                kind: "Announce",
                activity_id: &announce_id,
                object_id: Some(&target),
                public: true,
                inboxes,
            },
        ],
    )?;
    Ok(())
}

/// A remote community's `Add`/`Remove` on its moderators collection, announced (or
/// sent) by the community itself, which alone speaks for who moderates it: this
/// instance's copy of its moderators follows. Returns what changed.
pub fn receive_role_change(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
    change: &RoleChange,
) -> CoreResult<String> {
    if community.is_local || !community.is_group() {
        return Err(CoreError::Forbidden(format!(
            "{} is not a remote community: its moderators are changed here",
            community.ap_id
        )));
    }
    if !same_id(change.target.as_str(), moderators_url(community).as_str()) {
        return Err(CoreError::Forbidden(format!(
            "{} is not the moderators collection of {}",
            change.target, community.ap_id
        )));
    }
    if change.activity.kind == "Remove" {
        weft_db::memberships::delete(conn, community.id, person.id)?;
        return Ok(format!(
            "{} no longer moderates {}",
            person.ap_id, community.ap_id
        ));
    }
    let role = change
        .role
        .as_deref()
        .filter(|r| role::is_moderator(r))
        .unwrap_or(role::FACILITATOR);
    weft_db::actors::set_membership(
        conn,
        &MembershipRow {
            community_id: community.id,
            person_id: person.id,
            role: role.into(),
            created_at: weft_db::now(),
        },
    )?;
    Ok(format!(
        "{} is now {role} of {}",
        person.ap_id, community.ap_id
    ))
}
