//! Local actors: people (with an API token), communities (with a lead), and the
//! instance actor that signs fetches.

use crate::keys::KeyPair;
use crate::{CoreError, CoreResult, Urls, sanitize};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use weft_db::AnyConnection;
use weft_db::models::*;

/// The instance actor's username; reserved for it.
pub const INSTANCE_ACTOR: &str = "weft.instance";

fn check_username(name: &str) -> CoreResult<()> {
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

fn new_local_actor(
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

fn ensure_name_free(conn: &mut AnyConnection, name: &str) -> CoreResult<()> {
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

/// The stored form of an API token: its SHA-256, in lower-case hex.
pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// A new random API token (256 bits, URL-safe base64).
fn new_token() -> String {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
}

/// Creates a local person; returns the row and the API token (shown once, stored hashed).
/// `keys` come from [`crate::keys::generate`], called before the transaction.
pub fn create_user(
    conn: &mut AnyConnection,
    urls: &Urls,
    username: &str,
    display_name: Option<&str>,
    is_admin: bool,
    keys: KeyPair,
) -> CoreResult<(ActorRow, String)> {
    check_username(username)?;
    ensure_name_free(conn, username)?;
    let actor = weft_db::actors::insert(
        conn,
        &new_local_actor(
            urls,
            actor_kind::PERSON,
            username,
            display_name.map(sanitize::title),
            keys,
        ),
    )?;
    let token = new_token();
    weft_db::actors::insert_local_user(
        conn,
        &LocalUserRow {
            actor_id: actor.id,
            api_token_hash: hash_token(&token),
            is_admin,
            created_at: weft_db::now(),
        },
    )?;
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

/// Gives a local person a new API token (shown once); the old one stops working.
pub fn reset_token(conn: &mut AnyConnection, username: &str) -> CoreResult<(ActorRow, String)> {
    let person = local_person(conn, username)?;
    let token = new_token();
    weft_db::actors::set_token_hash(conn, person.id, &hash_token(&token))?;
    Ok((person, token))
}

/// Gives a local person a role in a local community, replacing any role they held there.
/// Run by the instance's operator (the CLI); the moderators collection follows at once.
pub fn set_role(
    conn: &mut AnyConnection,
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
    weft_db::actors::set_membership(
        conn,
        &MembershipRow {
            community_id: community.id,
            person_id: person.id,
            role: new_role.to_string(),
            created_at: weft_db::now(),
        },
    )?;
    Ok((community, person))
}

/// The local person an API token belongs to.
pub fn authenticate(conn: &mut AnyConnection, token: &str) -> CoreResult<ActorRow> {
    weft_db::actors::by_token_hash(conn, &hash_token(token))?
        .ok_or_else(|| CoreError::Forbidden("the API token is not valid".into()))
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
    Ok(actor)
}
