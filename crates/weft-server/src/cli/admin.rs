//! `weft admin …`: what an instance's operator does from a shell: make an admin, reset a
//! password, resolve waiting registrations, look at the delivery queue per instance and
//! retry or drop it, block instances. Each runs the same `weft-core` services as the API.

use super::open_for_admin;
use crate::Config;
use clap::Subcommand;
use std::io::{BufRead, Write};

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a local member who administers this instance; prints their API token.
    #[command(
        after_help = "Example: weft admin create-admin alice --display-name \"Alice A\"\n\
Then set their password: echo 'a long passphrase' | weft admin reset-password alice"
    )]
    CreateAdmin {
        /// The username: 1 to 64 characters from a-z, 0-9 and _.
        name: String,
        /// The name shown to people.
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
    },
    /// Set a member's password, read from standard input (one line); ends their sessions.
    #[command(
        after_help = "Example: weft admin reset-password alice < new-password.txt\n\
(Typed at a terminal, the line is shown: prefer a file or a pipe.)"
    )]
    ResetPassword {
        /// The member's username.
        name: String,
    },
    /// Registrations waiting for approval (when registration is by approval).
    #[command(subcommand, after_help = "Example: weft admin registrations list")]
    Registrations(RegistrationCommand),
    /// The delivery queue per remote instance: waiting, failing, next attempt.
    #[command(
        after_help = "Examples:\n  weft admin queue\n  weft admin queue retry social.example.org\n  weft admin queue drop gone.example.net"
    )]
    Queue {
        #[command(subcommand)]
        action: Option<QueueCommand>,
    },
    /// Block an instance: its inbox posts are refused (403) and nothing is delivered to
    /// it; what was queued for it is dropped. Covers its subdomains.
    #[command(after_help = "Example: weft admin block spam.example --reason \"spam waves\"")]
    Block {
        /// Its domain (host, or host:port).
        domain: String,
        /// Why, for the record (shown by `weft admin blocked`).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Lift a block.
    #[command(after_help = "Example: weft admin unblock spam.example")]
    Unblock {
        /// The blocked domain.
        domain: String,
    },
    /// List the blocked instances.
    #[command(after_help = "Example: weft admin blocked")]
    Blocked,
    /// Constellations: convene one, ask to join one, accept members, list them.
    #[command(subcommand, after_help = "Example: weft admin constellation list")]
    Constellation(super::constellation::ConstellationCommand),
    /// Show the federation policy, or set it: `open`, or `constellation_members` (only
    /// the instances of this instance's constellations; others are refused with 403).
    #[command(after_help = "Example: weft admin federation-policy constellation_members")]
    FederationPolicy {
        /// `open` or `constellation_members`.
        policy: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum RegistrationCommand {
    /// List the waiting registrations, oldest first, with what each wrote.
    #[command(after_help = "Example: weft admin registrations list")]
    List,
    /// Approve one: they can log in.
    #[command(after_help = "Example: weft admin registrations approve bob")]
    Approve {
        /// The username.
        name: String,
    },
    /// Reject one: they cannot log in.
    #[command(after_help = "Example: weft admin registrations reject spammer42")]
    Reject {
        /// The username.
        name: String,
    },
}

#[derive(Subcommand)]
pub enum QueueCommand {
    /// Try everything queued for an instance now, and end its pause (it is back).
    #[command(after_help = "Example: weft admin queue retry social.example.org")]
    Retry {
        /// The instance's domain.
        domain: String,
    },
    /// Drop everything queued for an instance (it is gone for good).
    #[command(after_help = "Example: weft admin queue drop gone.example.net")]
    Drop {
        /// The instance's domain.
        domain: String,
    },
}

pub(super) async fn run(
    config: Config,
    command: AdminCommand,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> Result<(), String> {
    let db = open_for_admin(&config).await?;
    let urls = crate::urls(&config)?;
    let err = |e: weft_core::CoreError| e.to_string();
    match command {
        AdminCommand::CreateAdmin { name, display_name } => {
            let keys = weft_core::keys::generate();
            let (actor, token) = db
                .write(move |c| {
                    weft_core::accounts::create_user(
                        c,
                        &urls,
                        &name,
                        display_name.as_deref(),
                        true,
                        keys,
                    )
                })
                .await
                .map_err(err)?;
            say!(
                out,
                "created the admin {}\nAPI token (shown once): {token}\nset a password with: weft admin reset-password {}",
                actor.ap_id,
                actor.username
            );
        }
        AdminCommand::ResetPassword { name } => {
            let person = super::members::set_password(&db, name, input).await?;
            say!(
                out,
                "password set for {}; their sessions ended",
                person.ap_id
            );
        }
        AdminCommand::Registrations(RegistrationCommand::List) => {
            let waiting = db
                .read(|c| {
                    weft_db::accounts::users_with_status(
                        c,
                        weft_db::models::account_status::PENDING,
                        None,
                        i64::MAX,
                    )
                })
                .await
                .map_err(|e| e.to_string())?;
            if waiting.is_empty() {
                say!(out, "no registrations waiting");
            }
            for (actor, account) in waiting {
                say!(
                    out,
                    "{}\t{}\t{}\t{}",
                    actor.username,
                    account.email.as_deref().unwrap_or("-"),
                    account.created_at.format("%Y-%m-%d %H:%M"),
                    account
                        .application
                        .as_deref()
                        .unwrap_or("-")
                        .replace(['\n', '\t'], " ")
                );
            }
        }
        AdminCommand::Registrations(RegistrationCommand::Approve { name }) => {
            let person = db
                .write(move |c| weft_core::registration::resolve(c, &name, true))
                .await
                .map_err(err)?;
            say!(out, "approved {}: they can log in", person.username);
        }
        AdminCommand::Registrations(RegistrationCommand::Reject { name }) => {
            let person = db
                .write(move |c| weft_core::registration::resolve(c, &name, false))
                .await
                .map_err(err)?;
            say!(out, "rejected {}", person.username);
        }
        AdminCommand::Queue { action: None } => {
            let queue = db.read(weft_core::operations::queue).await.map_err(err)?;
            if queue.is_empty() {
                say!(out, "the delivery queue is empty");
                return Ok(());
            }
            let now = weft_db::now();
            say!(
                out,
                "INSTANCE\tWAITING\tFAILING\tFAILURES IN A ROW\tNEXT ATTEMPT\tSTATE"
            );
            for q in queue {
                let next = match q.next_attempt_at {
                    Some(at) if at <= now => "now".to_string(),
                    Some(at) => format!("in {}", human((at - now).num_seconds())),
                    None => "-".into(),
                };
                let state = match (q.instance.paused_until, &q.instance.last_error) {
                    (Some(until), _) if until > now => {
                        format!("paused for {}", human((until - now).num_seconds()))
                    }
                    (_, Some(error)) if q.instance.consecutive_failures > 0 => {
                        format!("failing: {}", error.replace(['\n', '\t'], " "))
                    }
                    _ => "ok".into(),
                };
                say!(
                    out,
                    "{}\t{}\t{}\t{}\t{next}\t{state}",
                    q.instance.domain,
                    q.depth,
                    q.retrying,
                    q.instance.consecutive_failures
                );
            }
        }
        AdminCommand::Queue {
            action: Some(QueueCommand::Retry { domain }),
        } => {
            let d = domain.clone();
            let rows = db
                .write(move |c| weft_core::operations::retry(c, &d))
                .await
                .map_err(err)?;
            say!(
                out,
                "{rows} deliveries to {domain} are due now; a running instance sends them within a second"
            );
        }
        AdminCommand::Queue {
            action: Some(QueueCommand::Drop { domain }),
        } => {
            let d = domain.clone();
            let rows = db
                .write(move |c| weft_core::operations::drop_queue(c, &d))
                .await
                .map_err(err)?;
            say!(out, "dropped {rows} deliveries to {domain}");
        }
        AdminCommand::Block { domain, reason } => {
            let done = db
                .write(move |c| weft_core::operations::block(c, &urls, &domain, reason.as_deref()))
                .await
                .map_err(err)?;
            if done.newly {
                say!(
                    out,
                    "blocked {}: its inbox posts are refused and nothing is sent to it ({} queued deliveries dropped)",
                    done.domain,
                    done.dropped
                );
            } else {
                say!(
                    out,
                    "{} was blocked already ({} queued deliveries dropped)",
                    done.domain,
                    done.dropped
                );
            }
        }
        AdminCommand::Unblock { domain } => {
            let domain = db
                .write(move |c| weft_core::operations::unblock(c, &domain))
                .await
                .map_err(err)?;
            say!(out, "unblocked {domain}");
        }
        AdminCommand::Constellation(command) => {
            super::constellation::run(&config, &db, command, out).await?;
        }
        AdminCommand::FederationPolicy { policy } => {
            super::constellation::policy(&db, policy, out).await?;
        }
        AdminCommand::Blocked => {
            let blocked = db.read(weft_core::operations::blocked).await.map_err(err)?;
            if blocked.is_empty() {
                say!(out, "no instance is blocked");
            }
            for b in blocked {
                say!(
                    out,
                    "{}\tsince {}\t{}",
                    b.domain,
                    b.blocked_at.format("%Y-%m-%d"),
                    b.reason.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}

/// A number of seconds as people read it: 45s, 12m, 3h, 2d.
fn human(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
