//! `weft admin constellation …` and `weft admin federation-policy`: the operator's side
//! of the constellation, running the same `weft-core` services as the admin API (as the
//! operator, who holds the database: no account needed). A running instance sends what
//! they queue (the `Accept`, the `Follow`) within a second.

use crate::Config;
use clap::Subcommand;
use std::io::Write;
use weft_core::directory::FederationPolicy;
use weft_core::directory::constellation::{self, Constellation};
use weft_db::Db;

#[derive(Subcommand)]
pub enum ConstellationCommand {
    /// Convene a constellation here; this instance is its first member.
    #[command(
        after_help = "Example: weft admin constellation convene north --title \"Northern CoPs\""
    )]
    Convene {
        /// 1 to 64 characters from a-z, 0-9 and _ (its address: /constellations/NAME).
        name: String,
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
    },
    /// Ask to join another instance's constellation (its actor's URL).
    #[command(
        after_help = "Example: weft admin constellation join https://cop.example.org/constellations/north"
    )]
    Join {
        /// The constellation's URL.
        url: String,
    },
    /// The instances asking to join a constellation convened here.
    #[command(after_help = "Example: weft admin constellation requests north")]
    Requests { name: String },
    /// Accept an instance (its domain, or its actor's URL) into a constellation convened here.
    #[command(after_help = "Example: weft admin constellation accept north social.example.net")]
    Accept { name: String, member: String },
    /// The constellations convened here or asked to join, with their members.
    #[command(after_help = "Example: weft admin constellation list")]
    List,
}

fn err(e: weft_core::CoreError) -> String {
    e.to_string()
}

fn show(out: &mut dyn Write, c: &Constellation) -> Result<(), String> {
    say!(
        out,
        "{}\t{}\t{}\t{} members",
        c.name,
        c.standing,
        c.actor.ap_id,
        c.members.len()
    );
    for m in &c.members {
        say!(out, "  {}\t{}", m.domain, m.member);
    }
    Ok(())
}

pub(super) async fn run(
    config: &Config,
    db: &Db,
    command: ConstellationCommand,
    out: &mut dyn Write,
) -> Result<(), String> {
    let urls = crate::urls(config)?;
    match command {
        ConstellationCommand::Convene { name, title } => {
            let keys = weft_core::keys::generate();
            let c = db
                .write(move |c| {
                    constellation::convene(c, &urls, None, &name, title.as_deref(), keys)
                })
                .await
                .map_err(err)?;
            say!(
                out,
                "convened {} at {}: give this address to the admins who ask to join",
                c.name,
                c.actor.ap_id
            );
        }
        ConstellationCommand::Join { url } => {
            let id =
                url::Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
            let client = crate::http_client(config.dev)?;
            let document: serde_json::Value = client
                .get(id.clone())
                .header("accept", "application/activity+json")
                .send()
                .await
                .map_err(|e| format!("{id}: {e}"))?
                .error_for_status()
                .map_err(|e| format!("{id}: {e}"))?
                .json()
                .await
                .map_err(|e| format!("{id} is not JSON: {e}"))?;
            let domain = document
                .get("id")
                .and_then(|v| v.as_str())
                .and_then(|s| url::Url::parse(s).ok())
                .as_ref()
                .and_then(weft_core::urls::host_port)
                .filter(|d| Some(d) == weft_core::urls::host_port(&id).as_ref())
                .ok_or_else(|| format!("{id} serves an actor of another host"))?;
            let members_url = document
                .get("weft:members")
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("{id} is not a constellation (no weft:members)"))?
                .to_string();
            let c = db
                .write(move |c| {
                    let json = serde_json::from_value(document)
                        .map_err(|e| weft_core::CoreError::Invalid(format!("not an actor: {e}")))?;
                    let row = weft_core::wire::actor_from_json(&json, &domain);
                    let actor = weft_db::actors::upsert(c, &row)?;
                    constellation::ask_to_join(c, &urls, None, &actor, &members_url)
                })
                .await
                .map_err(err)?;
            say!(
                out,
                "asked to join {}: {} until its convenor's admin accepts",
                c.actor.ap_id,
                c.standing
            );
        }
        ConstellationCommand::Requests { name } => {
            let asking = db
                .read(move |c| constellation::requests(c, &urls, None, &name))
                .await
                .map_err(err)?;
            if asking.is_empty() {
                say!(out, "no instance is asking to join");
            }
            for a in asking {
                say!(out, "{}\t{}", a.domain, a.ap_id);
            }
        }
        ConstellationCommand::Accept { name, member } => {
            let c = db
                .write(move |c| constellation::accept(c, &urls, None, &name, &member))
                .await
                .map_err(err)?;
            show(out, &c)?;
        }
        ConstellationCommand::List => {
            let list = db
                .read(move |c| constellation::list(c, &urls, None))
                .await
                .map_err(err)?;
            if list.is_empty() {
                say!(out, "no constellation convened here or asked to join");
            }
            for c in &list {
                show(out, c)?;
            }
        }
    }
    Ok(())
}

/// `weft admin federation-policy [open|constellation_members]`.
pub(super) async fn policy(
    db: &Db,
    set: Option<String>,
    out: &mut dyn Write,
) -> Result<(), String> {
    if let Some(wanted) = set {
        let wanted = FederationPolicy::parse(&wanted).map_err(err)?;
        db.write(move |c| weft_core::directory::policy::set(c, None, wanted))
            .await
            .map_err(err)?;
    }
    let policy = db
        .read(weft_core::directory::Policy::load)
        .await
        .map_err(err)?;
    say!(out, "federation policy: {}", policy.mode.as_str());
    let mut allowed: Vec<String> = policy.allowed.into_iter().collect();
    allowed.sort();
    for domain in allowed {
        say!(out, "  allowed: {domain}");
    }
    Ok(())
}
