//! Local actors: people (with an API token), communities (with a lead), and the
//! instance actor that signs fetches.

use crate::keys::KeyPair;
use crate::{CoreError, CoreResult, Urls, sanitize};
use weft_db::AnyConnection;
use weft_db::models::*;

/// The instance actor's username; reserved for it.
pub const INSTANCE_ACTOR: &str = "weft.instance";

pub(crate) fn check_username(name: &str) -> CoreResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "name {name:?} is not allowed: use 1 to 64 characters from a-z, 0-9 and _"
        )))
    }
}

pub(crate) fn new_local_actor(
    urls: &Urls,
    kind: &str,
    username: &str,
    display_name: Option<String>,
    keys: KeyPair,
) -> NewActor {
    let is_group = kind == actor_kind::GROUP;
    let id = if kind == actor_kind::APPLICATION {
        urls.instance_actor()
    } else {
        urls.actor(is_group, username)
    };
    let now = weft_db::now();
    let with_parts = kind != actor_kind::APPLICATION;
    NewActor {
        ap_id: id.to_string(),
        kind: kind.to_string(),
        username: username.to_string(),
        domain: urls.domain().to_string(),
        display_name,
        summary: None,
        summary_source: None,
        inbox_url: if with_parts {
            urls.actor_part(&id, "inbox").to_string()
        } else {
            urls.shared_inbox().to_string()
        },
        shared_inbox_url: Some(urls.shared_inbox().to_string()),
        outbox_url: with_parts.then(|| urls.actor_part(&id, "outbox").to_string()),
        followers_url: with_parts.then(|| urls.actor_part(&id, "followers").to_string()),
        public_key_id: format!("{id}#main-key"),
        public_key_pem: keys.public_pem,
        private_key_pem: Some(keys.private_pem),
        is_local: true,
        manually_approves_followers: false,
        discoverable: true,
        posting_restricted_to_mods: false,
        published_at: now,
        last_refreshed_at: now,
    }
}

pub(crate) fn ensure_name_free(conn: &mut AnyConnection, name: &str) -> CoreResult<()> {
    if weft_db::actors::local_by_username(conn, name)?.is_some() || name == INSTANCE_ACTOR {
        return Err(CoreError::Conflict(format!(
            "the name {name:?} is taken on this instance"
        )));
    }
    Ok(())
}

/// The instance actor, created on first start with `keys` (made by the caller outside
/// the transaction: RSA key generation is slow).
pub fn ensure_instance_actor(
    conn: &mut AnyConnection,
    urls: &Urls,
    keys: impl FnOnce() -> KeyPair,
) -> CoreResult<ActorRow> {
    if let Some(actor) = weft_db::actors::by_ap_id(conn, urls.instance_actor().as_str())? {
        return Ok(actor);
    }
    let actor = new_local_actor(
        urls,
        actor_kind::APPLICATION,
        INSTANCE_ACTOR,
        Some(urls.domain().to_string()),
        keys(),
    );
    Ok(weft_db::actors::insert(conn, &actor)?)
}

/// Creates a local person's actor (the account row is the caller's). `keys` come from
/// [`crate::keys::generate`], called before the transaction.
pub(crate) fn insert_person(
    conn: &mut AnyConnection,
    urls: &Urls,
    username: &str,
    display_name: Option<&str>,
    keys: KeyPair,
) -> CoreResult<ActorRow> {
    check_username(username)?;
    ensure_name_free(conn, username)?;
    Ok(weft_db::actors::insert(
        conn,
        &new_local_actor(
            urls,
            actor_kind::PERSON,
            username,
            display_name.map(sanitize::title),
            keys,
        ),
    )?)
}

/// Creates a local person from the command line; returns the row and an API token
/// (shown once, stored hashed). They log in with a password once they set one.
pub fn create_user(
    conn: &mut AnyConnection,
    urls: &Urls,
    username: &str,
    display_name: Option<&str>,
    is_admin: bool,
    keys: KeyPair,
) -> CoreResult<(ActorRow, String)> {
    let actor = insert_person(conn, urls, username, display_name, keys)?;
    weft_db::actors::insert_local_user(
        conn,
        &LocalUserRow {
            actor_id: actor.id,
            email: None,
            password_hash: None,
            is_admin,
            status: account_status::ACTIVE.into(),
            application: None,
            created_at: weft_db::now(),
        },
    )?;
    let (_, token) =
        crate::auth::create_token(conn, &actor, crate::auth::COMMAND_LINE_TOKEN, None)?;
    Ok((actor, token))
}

/// The local person named `username`, or a refusal that says how to make one.
pub fn local_person(conn: &mut AnyConnection, username: &str) -> CoreResult<ActorRow> {
    weft_db::actors::local_by_username(conn, username)?
        .filter(|a| a.kind == actor_kind::PERSON)
        .ok_or_else(|| {
            CoreError::NotFound(format!(
                "no local person {username:?}: create one with `weft user create {username}`"
            ))
        })
}

/// The local community named `name`.
pub fn local_community(conn: &mut AnyConnection, name: &str) -> CoreResult<ActorRow> {
    weft_db::actors::local_by_username(conn, name)?
        .filter(|a| a.kind == actor_kind::GROUP)
        .ok_or_else(|| CoreError::NotFound(format!("no local community {name:?}")))
}

/// Gives a local person a role in a local community, replacing any role they held there.
/// Run by the instance's operator (the CLI); the moderators collection follows at once.
pub fn set_role(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &str,
    username: &str,
    new_role: &str,
) -> CoreResult<(ActorRow, ActorRow)> {
    if !role::ALL.contains(&new_role) {
        return Err(CoreError::Invalid(format!(
            "{new_role:?} is not a role: use one of {}",
            role::ALL.join(", ")
        )));
    }
    let community = local_community(conn, community)?;
    let person = local_person(conn, username)?;
    crate::membership::roles::set_role_as_operator(conn, urls, &community, &person, new_role)?;
    Ok((community, person))
}

pub struct NewCommunity<'a> {
    pub name: &'a str,
    pub title: &'a str,
    /// The domain statement: what the community is about (markdown).
    pub domain_statement: &'a str,
    pub terms_of_reference: &'a str,
    pub posting_restricted_to_mods: bool,
    pub lead: Option<&'a ActorRow>,
}

/// Creates a community (a `Group`) with its lead.
pub fn create_community(
    conn: &mut AnyConnection,
    urls: &Urls,
    new: &NewCommunity,
    keys: KeyPair,
) -> CoreResult<ActorRow> {
    check_username(new.name)?;
    ensure_name_free(conn, new.name)?;
    if new.title.trim().is_empty() {
        return Err(CoreError::Invalid("a community needs a title".into()));
    }
    let mut actor = new_local_actor(
        urls,
        actor_kind::GROUP,
        new.name,
        Some(sanitize::title(new.title)),
        keys,
    );
    actor.summary = Some(sanitize::text_to_html(new.domain_statement));
    actor.summary_source = Some(new.domain_statement.to_string());
    actor.posting_restricted_to_mods = new.posting_restricted_to_mods;
    let actor = weft_db::actors::insert(conn, &actor)?;
    let now = weft_db::now();
    weft_db::actors::insert_community(
        conn,
        &CommunityRow {
            actor_id: actor.id,
            terms_of_reference: new.terms_of_reference.to_string(),
            lifecycle: "active".into(),
            meeting_mode: "online".into(),
            parent_id: None,
            created_at: now,
            join_policy: join_policy::OPEN.into(),
        },
    )?;
    if let Some(lead) = new.lead {
        if !lead.is_local || lead.kind != actor_kind::PERSON {
            return Err(CoreError::Invalid(
                "a community's lead must be a local person".into(),
            ));
        }
        weft_db::actors::set_membership(
            conn,
            &MembershipRow {
                community_id: actor.id,
                person_id: lead.id,
                role: role::LEAD.into(),
                created_at: now,
            },
        )?;
    }
    // Listed in the directory (and found by search) from now on.
    crate::directory::refresh_local(conn, urls)?;
    Ok(actor)
}
