//! Constellations: a named group of instances convened by one of them. The convenor's
//! constellation is a `Service` actor (`/constellations/{name}`) publishing its member
//! list; another instance's admin asks to join (its instance actor `Follow`s the
//! constellation), the convenor's admin accepts (`Accept`, and an `Add` to the members
//! already there), and the members crawl each other's directories (`crawl`).

use crate::following;
use crate::keys::KeyPair;
use crate::outbox::{Outgoing, queue};
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use url::Url;
use weft_db::AnyConnection;
use weft_db::directory::{ConstellationMemberRow, ConstellationRow};
use weft_db::models::*;

/// A constellation actor's username is its name after this (no person or community name
/// has a dot, so the two never meet).
pub const USERNAME_PREFIX: &str = "constellation.";

/// How this instance stands in a constellation.
pub mod standing {
    /// It convened it.
    pub const CONVENED: &str = "convened";
    /// It asked to join; the convenor has not answered.
    pub const PENDING: &str = "pending";
    /// The convenor accepted it.
    pub const MEMBER: &str = "member";
    /// It asked and was refused (or left).
    pub const NONE: &str = "none";
}

/// A constellation as an admin sees it.
#[derive(Debug, Clone)]
pub struct Constellation {
    pub actor: ActorRow,
    pub row: ConstellationRow,
    pub name: String,
    pub standing: &'static str,
    pub members: Vec<ConstellationMemberRow>,
}

fn check_name(name: &str) -> CoreResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "constellation name {name:?} is not allowed: use 1 to 64 characters from a-z, 0-9 and _"
        )))
    }
}

/// The instance actor (it follows constellations for the instance).
pub fn instance_actor(conn: &mut AnyConnection, urls: &Urls) -> CoreResult<ActorRow> {
    weft_db::actors::by_ap_id(conn, urls.instance_actor().as_str())?
        .ok_or_else(|| CoreError::NotFound("the instance actor is not made yet".into()))
}

/// Who acts: an admin through the API (`Some`, checked by `rule`), or the operator at
/// the shell (`None`: `weft admin constellation …`, who holds the database anyway).
fn check(
    conn: &mut AnyConnection,
    by: Option<&ActorRow>,
    rule: fn(&mut AnyConnection, &ActorRow) -> CoreResult<()>,
) -> CoreResult<()> {
    match by {
        Some(actor) => rule(conn, actor),
        None => Ok(()),
    }
}

fn name_of(actor: &ActorRow) -> String {
    actor
        .username
        .strip_prefix(USERNAME_PREFIX)
        .unwrap_or(&actor.username)
        .to_string()
}

fn describe(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: ActorRow,
    row: ConstellationRow,
) -> CoreResult<Constellation> {
    let standing = if actor.is_local {
        standing::CONVENED
    } else {
        let me = instance_actor(conn, urls)?;
        match weft_db::follows::find(conn, me.id, actor.id)? {
            Some(f) if f.state == follow_state::ACCEPTED => standing::MEMBER,
            Some(_) => standing::PENDING,
            None => standing::NONE,
        }
    };
    let members = weft_db::directory::members(conn, actor.id)?;
    Ok(Constellation {
        name: name_of(&actor),
        actor,
        row,
        standing,
        members,
    })
}

/// An admin convenes a constellation here, named `name`; this instance is its first
/// member. `keys` come from [`crate::keys::generate`], called outside the transaction.
pub fn convene(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: Option<&ActorRow>,
    name: &str,
    title: Option<&str>,
    keys: KeyPair,
) -> CoreResult<Constellation> {
    check(conn, by, rules::may_convene)?;
    check_name(name)?;
    let id = urls.constellation(name);
    if weft_db::actors::by_ap_id(conn, id.as_str())?.is_some() {
        return Err(CoreError::Conflict(format!(
            "a constellation named {name:?} is convened here already"
        )));
    }
    let now = weft_db::now();
    let title = title.map(sanitize::title).filter(|t| !t.is_empty());
    let actor = weft_db::actors::insert(
        conn,
        &NewActor {
            ap_id: id.to_string(),
            kind: actor_kind::SERVICE.into(),
            username: format!("{USERNAME_PREFIX}{name}"),
            domain: urls.domain().to_string(),
            display_name: Some(title.unwrap_or_else(|| name.to_string())),
            summary: None,
            summary_source: None,
            inbox_url: urls.shared_inbox().to_string(),
            shared_inbox_url: Some(urls.shared_inbox().to_string()),
            outbox_url: None,
            followers_url: None,
            public_key_id: format!("{id}#main-key"),
            public_key_pem: keys.public_pem,
            private_key_pem: Some(keys.private_pem),
            is_local: true,
            // Every request to join waits for the admin.
            manually_approves_followers: true,
            discoverable: true,
            posting_restricted_to_mods: false,
            published_at: now,
            last_refreshed_at: now,
        },
    )?;
    let row = ConstellationRow {
        actor_id: actor.id,
        members_url: urls.constellation_members(name).to_string(),
        created_at: now,
    };
    weft_db::directory::insert_constellation(conn, &row)?;
    weft_db::directory::add_member(
        conn,
        &ConstellationMemberRow {
            constellation_id: actor.id,
            member: urls.instance_actor().to_string(),
            domain: urls.domain().to_string(),
            added_at: now,
        },
    )?;
    describe(conn, urls, actor, row)
}

/// The constellation convened here as `name`.
pub fn local(conn: &mut AnyConnection, urls: &Urls, name: &str) -> CoreResult<Constellation> {
    let id = urls.constellation(name).to_string();
    let not_found =
        || CoreError::NotFound(format!("no constellation named {name:?} is convened here"));
    let actor = weft_db::actors::by_ap_id(conn, &id)?
        .filter(|a| a.is_local && a.kind == actor_kind::SERVICE)
        .ok_or_else(not_found)?;
    let row = weft_db::directory::constellations(conn)?
        .into_iter()
        .find(|(a, _)| a.id == actor.id)
        .map(|(_, r)| r)
        .ok_or_else(not_found)?;
    describe(conn, urls, actor, row)
}

/// Every constellation this instance convened or asked to join (admins).
pub fn list(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: Option<&ActorRow>,
) -> CoreResult<Vec<Constellation>> {
    check(conn, by, rules::may_administer)?;
    let mut out = vec![];
    for (actor, row) in weft_db::directory::constellations(conn)? {
        out.push(describe(conn, urls, actor, row)?);
    }
    Ok(out)
}

/// An admin asks for this instance to join the remote `constellation` (its actor, as
/// fetched; `members_url` from its document): the instance actor sends `Follow`.
pub fn ask_to_join(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: Option<&ActorRow>,
    constellation: &ActorRow,
    members_url: &str,
) -> CoreResult<Constellation> {
    check(conn, by, rules::may_join_constellation)?;
    if constellation.is_local {
        return Err(CoreError::Invalid(
            "that constellation is convened here: this instance is its member already".into(),
        ));
    }
    if constellation.kind != actor_kind::SERVICE {
        return Err(CoreError::Invalid(format!(
            "{} is not a constellation (a Service actor)",
            constellation.ap_id
        )));
    }
    let row = ConstellationRow {
        actor_id: constellation.id,
        members_url: members_url.to_string(),
        created_at: weft_db::now(),
    };
    weft_db::directory::insert_constellation(conn, &row)?;
    let me = instance_actor(conn, urls)?;
    following::follow(conn, urls, &me, constellation)?;
    describe(conn, urls, constellation.clone(), row)
}

/// The instances asking to join the constellation `name` (admins).
pub fn requests(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: Option<&ActorRow>,
    name: &str,
) -> CoreResult<Vec<ActorRow>> {
    check(conn, by, rules::may_accept_constellation_member)?;
    let c = local(conn, urls, name)?;
    Ok(weft_db::directory::pending_followers(conn, c.actor.id)?)
}

/// An admin accepts `member` (its instance actor's URL, or its domain) into the
/// constellation `name`: `Accept(Follow)` to it, `Add` to the members already there.
pub fn accept(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: Option<&ActorRow>,
    name: &str,
    member: &str,
) -> CoreResult<Constellation> {
    check(conn, by, rules::may_accept_constellation_member)?;
    let c = local(conn, urls, name)?;
    let wanted = member.trim().trim_end_matches('/').to_ascii_lowercase();
    let asking = weft_db::directory::pending_followers(conn, c.actor.id)?
        .into_iter()
        .find(|a| a.ap_id.to_ascii_lowercase() == wanted || a.domain.to_ascii_lowercase() == wanted)
        .ok_or_else(|| {
            CoreError::NotFound(format!(
                "{member} has not asked to join {name} (`weft admin constellation requests {name}` lists who has)"
            ))
        })?;
    let follow = weft_db::follows::find(conn, asking.id, c.actor.id)?
        .ok_or_else(|| CoreError::NotFound(format!("{member} has not asked to join {name}")))?;
    weft_db::follows::set_state(conn, follow.id, follow_state::ACCEPTED)?;
    let follow_id = follow
        .activity_ap_id
        .clone()
        .unwrap_or_else(|| urls.activity().to_string());
    following::answer_follow(
        conn,
        urls,
        &c.actor,
        &asking,
        &following::follow_of(&follow_id, &asking, &c.actor),
        true,
    )?;
    let already: Vec<ConstellationMemberRow> = c.members.clone();
    weft_db::directory::add_member(
        conn,
        &ConstellationMemberRow {
            constellation_id: c.actor.id,
            member: asking.ap_id.clone(),
            domain: asking.domain.clone(),
            added_at: weft_db::now(),
        },
    )?;
    send_member_change(conn, urls, &c, "Add", &asking.ap_id, &already)?;
    local(conn, urls, name)
}

/// Tells the remote members in `to` that `member` was added to (or removed from) the
/// constellation: `Add`/`Remove` with the member list as `target`.
fn send_member_change(
    conn: &mut AnyConnection,
    urls: &Urls,
    c: &Constellation,
    kind: &str,
    member: &str,
    to: &[ConstellationMemberRow],
) -> CoreResult<()> {
    let mut inboxes = vec![];
    let mut addressed = vec![];
    for m in to {
        if m.domain == urls.domain() {
            continue;
        }
        if let Some(actor) = weft_db::actors::by_ap_id(conn, &m.member)? {
            inboxes.push(
                actor
                    .shared_inbox_url
                    .clone()
                    .unwrap_or(actor.inbox_url.clone()),
            );
            addressed.push(actor.ap_id);
        }
    }
    if inboxes.is_empty() {
        return Ok(());
    }
    let id = urls.activity();
    let activity = serde_json::json!({
        "type": kind,
        "id": id,
        "actor": c.actor.ap_id,
        "object": member,
        "target": c.row.members_url,
        "to": addressed,
        "cc": [],
    });
    queue(
        conn,
        urls,
        Outgoing {
            sender: &c.actor,
            activity: &activity,
            kind,
            activity_id: &id,
            object_id: Some(&c.row.members_url),
            public: false,
            inboxes,
        },
    )?;
    Ok(())
}

/// A constellation this instance joined says a member was added or removed (`Add` or
/// `Remove`, signed by the constellation's own actor, so it is its own member list that
/// changes): the local copy of the list follows at once (the crawler re-reads the whole
/// list anyway).
pub fn receive_member_change(
    conn: &mut AnyConnection,
    constellation: &ActorRow,
    kind: &str,
    member: &Url,
) -> CoreResult<String> {
    let row = weft_db::directory::constellations(conn)?
        .into_iter()
        .find(|(a, _)| a.id == constellation.id)
        .map(|(_, r)| r)
        .ok_or_else(|| {
            CoreError::NotFound(format!(
                "{} is not a constellation this instance asked to join",
                constellation.ap_id
            ))
        })?;
    let domain = crate::urls::host_port(member)
        .ok_or_else(|| CoreError::Invalid(format!("{member} names no instance")))?;
    if kind == "Remove" {
        weft_db::directory::remove_member(conn, row.actor_id, member.as_str())?;
        return Ok(format!("{member} left {}", constellation.ap_id));
    }
    weft_db::directory::add_member(
        conn,
        &ConstellationMemberRow {
            constellation_id: row.actor_id,
            member: member.to_string(),
            domain,
            added_at: weft_db::now(),
        },
    )?;
    Ok(format!("{member} joined {}", constellation.ap_id))
}
