//! `weft user …`, `weft community …`, `weft instance …`: members, communities and the
//! instance's settings.

use super::{CommunityCommand, InstanceCommand, UserCommand, open_for_admin};
use crate::{Config, urls};
use std::io::{BufRead, Write};
use weft_core::CoreError;
use weft_db::Db;

/// Reads a password (one line) from `input` and sets it; the member's sessions end.
pub(super) async fn set_password(
    db: &Db,
    name: String,
    input: &mut dyn BufRead,
) -> Result<weft_db::models::ActorRow, String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    weft_core::auth::check_password(&password, &name).map_err(|e| e.to_string())?;
    let hash = weft_core::auth::hash_password(&password);
    db.write(move |c| weft_core::auth::set_password(c, &name, &hash))
        .await
        .map_err(|e| e.to_string())
}

pub(super) async fn user(
    config: Config,
    command: UserCommand,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> Result<(), String> {
    let db = open_for_admin(&config).await?;
    let urls = urls(&config)?;
    match command {
        UserCommand::Create {
            name,
            display_name,
            admin,
        } => {
            let keys = weft_core::keys::generate();
            let (actor, token) = db
                .write(move |c| {
                    weft_core::accounts::create_user(
                        c,
                        &urls,
                        &name,
                        display_name.as_deref(),
                        admin,
                        keys,
                    )
                })
                .await
                .map_err(|e| e.to_string())?;
            say!(
                out,
                "created {}\nAPI token (shown once): {token}",
                actor.ap_id
            );
        }
        UserCommand::Token { name } => {
            let (actor, token) = db
                .write(move |c| weft_core::auth::reset_command_line_token(c, &name))
                .await
                .map_err(|e| e.to_string())?;
            say!(
                out,
                "new API token for {} (shown once; the command line's earlier tokens no longer work): {token}",
                actor.ap_id
            );
        }
        UserCommand::Password { name } => {
            let person = set_password(&db, name, input).await?;
            say!(
                out,
                "password set for {}; they log in with POST /api/v1/login",
                person.ap_id
            );
        }
        UserCommand::List => {
            let users = db
                .read(weft_db::actors::local_users)
                .await
                .map_err(|e| e.to_string())?;
            if users.is_empty() {
                say!(
                    out,
                    "no members yet: create one with `weft user create NAME`"
                );
            }
            for (actor, account) in users {
                say!(
                    out,
                    "{}@{}\t{}{}\tsince {}",
                    actor.username,
                    actor.domain,
                    actor.display_name.as_deref().unwrap_or("-"),
                    if account.is_admin { "\tadmin" } else { "" },
                    account.created_at.format("%Y-%m-%d"),
                );
            }
        }
    }
    Ok(())
}

pub(super) async fn community(
    config: Config,
    command: CommunityCommand,
    out: &mut dyn Write,
) -> Result<(), String> {
    let db = open_for_admin(&config).await?;
    let urls = urls(&config)?;
    match command {
        CommunityCommand::Create {
            name,
            title,
            lead,
            about,
            mods_only,
            join_policy,
        } => {
            let keys = weft_core::keys::generate();
            let actor = db
                .write(move |c| -> Result<_, CoreError> {
                    let lead = match &lead {
                        Some(l) => Some(weft_core::accounts::local_person(c, l)?),
                        None => None,
                    };
                    weft_core::accounts::create_community(
                        c,
                        &urls,
                        &weft_core::accounts::NewCommunity {
                            name: &name,
                            title: &title,
                            domain_statement: about.as_deref().unwrap_or_default(),
                            terms_of_reference: "",
                            posting_restricted_to_mods: mods_only,
                            lead: lead.as_ref(),
                        },
                        keys,
                    )
                    .and_then(|actor| {
                        weft_core::membership::store_join_policy(c, &actor, &join_policy)?;
                        Ok(actor)
                    })
                })
                .await
                .map_err(|e| e.to_string())?;
            say!(out, "created community {}", actor.ap_id);
        }
        CommunityCommand::List => {
            let communities = db
                .read(weft_db::actors::local_communities)
                .await
                .map_err(|e| e.to_string())?;
            if communities.is_empty() {
                say!(
                    out,
                    "no communities yet: create one with `weft community create NAME --title TEXT`"
                );
            }
            for (actor, details, members) in communities {
                say!(
                    out,
                    "{}@{}\t{}\t{}\t{members} member{}",
                    actor.username,
                    actor.domain,
                    actor.display_name.as_deref().unwrap_or("-"),
                    details.lifecycle,
                    if members == 1 { "" } else { "s" },
                );
            }
        }
        CommunityCommand::SetRole {
            community,
            user,
            role,
        } => {
            let wanted = role.clone();
            let (community, person) = db
                .write(move |c| weft_core::accounts::set_role(c, &urls, &community, &user, &wanted))
                .await
                .map_err(|e| e.to_string())?;
            say!(
                out,
                "{} is now {role} of {}",
                person.username,
                community.username
            );
        }
    }
    Ok(())
}

pub(super) async fn instance(
    config: Config,
    command: InstanceCommand,
    out: &mut dyn Write,
) -> Result<(), String> {
    let db = open_for_admin(&config).await?;
    match command {
        InstanceCommand::Registration { policy: None } => {
            let policy = db
                .read(weft_core::registration::policy)
                .await
                .map_err(|e| e.to_string())?;
            say!(out, "registration: {}", policy.as_str());
        }
        InstanceCommand::Registration { policy: Some(p) } => {
            let policy = weft_core::registration::RegistrationPolicy::parse(&p)
                .map_err(|e| e.to_string())?;
            db.write(move |c| weft_core::registration::store_policy(c, policy))
                .await
                .map_err(|e| e.to_string())?;
            say!(out, "registration: {}", policy.as_str());
        }
    }
    Ok(())
}
