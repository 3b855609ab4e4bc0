//! `weft`: run an instance, migrate its database, create users and communities.

use std::path::PathBuf;
use std::process::ExitCode;
use weft_server::{Config, open_db, start, urls};

const USAGE: &str = "usage:
  weft serve                       run the instance (SQLite in ./data by default)
  weft migrate                     create or upgrade the database, then exit
  weft user create NAME [--display-name TEXT] [--admin]
                                   create a local member; prints their API token
  weft community create NAME --title TEXT [--lead USER] [--domain TEXT] [--mods-only]
                                   create a community (an ActivityPub Group)
options: --config FILE (TOML); environment: WEFT_DATABASE_URL, WEFT_LISTEN, WEFT_DOMAIN,
WEFT_DATA_DIR, WEFT_DEV";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
                .unwrap_or_else(|_| "info,activitypub_federation=warn".into()),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(std::env::args().skip(1).collect())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("weft: {message}");
            ExitCode::from(2)
        }
    }
}

/// Pulls `--name VALUE` out of the arguments.
fn take_option(args: &mut Vec<String>, name: &str) -> Result<Option<String>, String> {
    let Some(at) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    if at + 1 >= args.len() {
        return Err(format!("{name} needs a value"));
    }
    let value = args.remove(at + 1);
    args.remove(at);
    Ok(Some(value))
}

fn take_flag(args: &mut Vec<String>, name: &str) -> bool {
    let found = args.iter().position(|a| a == name);
    if let Some(at) = found {
        args.remove(at);
    }
    found.is_some()
}

async fn run(mut args: Vec<String>) -> Result<(), String> {
    let config_file = take_option(&mut args, "--config")?.map(PathBuf::from);
    let config = Config::load(config_file.as_deref())?;
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["serve"] | [] => serve(config).await,
        ["migrate"] => {
            open_db(&config).await?;
            println!(
                "database ready: {}",
                weft_db::redact_url(&config.database_url)
            );
            Ok(())
        }
        ["user", "create", ..] => {
            let mut rest: Vec<String> = args[2..].to_vec();
            let display = take_option(&mut rest, "--display-name")?;
            let admin = take_flag(&mut rest, "--admin");
            let [name] = rest.as_slice() else {
                return Err(format!("weft user create takes one NAME\n{USAGE}"));
            };
            let db = open_db(&config).await?;
            let urls = urls(&config)?;
            let name = name.clone();
            let keys = weft_core::keys::generate();
            let (actor, token) = db
                .write(move |c| {
                    weft_core::accounts::create_user(
                        c,
                        &urls,
                        &name,
                        display.as_deref(),
                        admin,
                        keys,
                    )
                })
                .await
                .map_err(|e| e.to_string())?;
            println!("created {}\nAPI token (shown once): {token}", actor.ap_id);
            Ok(())
        }
        ["community", "create", ..] => {
            let mut rest: Vec<String> = args[2..].to_vec();
            let title = take_option(&mut rest, "--title")?
                .ok_or("weft community create needs --title TEXT")?;
            let lead = take_option(&mut rest, "--lead")?;
            let domain = take_option(&mut rest, "--domain")?.unwrap_or_default();
            let mods_only = take_flag(&mut rest, "--mods-only");
            let [name] = rest.as_slice() else {
                return Err(format!("weft community create takes one NAME\n{USAGE}"));
            };
            let db = open_db(&config).await?;
            let urls = urls(&config)?;
            let name = name.clone();
            let keys = weft_core::keys::generate();
            let actor = db
                .write(move |c| -> Result<_, weft_core::CoreError> {
                    let lead = match &lead {
                        Some(l) => {
                            Some(weft_db::actors::local_by_username(c, l)?.ok_or_else(|| {
                                weft_core::CoreError::NotFound(format!(
                                    "no local user {l}: create it with `weft user create {l}`"
                                ))
                            })?)
                        }
                        None => None,
                    };
                    weft_core::accounts::create_community(
                        c,
                        &urls,
                        &weft_core::accounts::NewCommunity {
                            name: &name,
                            title: &title,
                            domain_statement: &domain,
                            terms_of_reference: "",
                            posting_restricted_to_mods: mods_only,
                            lead: lead.as_ref(),
                        },
                        keys,
                    )
                })
                .await
                .map_err(|e| e.to_string())?;
            println!("created community {}", actor.ap_id);
            Ok(())
        }
        _ => Err(format!("unknown command {:?}\n{USAGE}", args.join(" "))),
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let domain = config.domain.clone();
    let dev = config.dev;
    let running = start(config, None).await?;
    tracing::info!(
        "Weft serving {} on http://{} ({})",
        domain,
        running.addr,
        if dev {
            "development mode: plain http allowed"
        } else {
            "production mode"
        }
    );
    tokio::select! {
        _ = running.server => Err("the server stopped".into()),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}
