//! `weft`: run an instance, migrate its database, manage members and communities.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use weft_core::CoreError;
use weft_db::Db;
use weft_server::{Config, open_db, start, urls};

/// Weft: a federated ActivityPub server for networks of communities of practice.
#[derive(Parser)]
#[command(
    name = "weft",
    version,
    after_help = "Configuration: defaults, then --config FILE (TOML), then the environment: \
WEFT_DATABASE_URL, WEFT_LISTEN, WEFT_DOMAIN, WEFT_DATA_DIR, WEFT_DEV, WEFT_LOG. \
Set WEFT_DOMAIN before creating anything: ids are stored as URLs under that name."
)]
struct Cli {
    /// A TOML configuration file (see deploy/weft.toml.example).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the instance (SQLite under WEFT_DATA_DIR by default).
    Serve,
    /// Create or upgrade the database, then exit.
    Migrate,
    /// Local members.
    #[command(subcommand)]
    User(UserCommand),
    /// Local communities.
    #[command(subcommand)]
    Community(CommunityCommand),
    /// The instance's settings.
    #[command(subcommand)]
    Instance(InstanceCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a local member and print their API token (shown once).
    Create {
        /// The username: 1 to 64 characters from a-z, 0-9 and _.
        name: String,
        /// The name shown to people.
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
        /// Make them an administrator of this instance.
        #[arg(long)]
        admin: bool,
    },
    /// Give a member a new API token (for a lost one); the old token stops working.
    Token {
        /// The member's username.
        name: String,
    },
    /// List the local members.
    List,
    /// Set a member's password (read from standard input, one line); ends their sessions.
    Password {
        /// The member's username.
        name: String,
    },
}

#[derive(Subcommand)]
enum InstanceCommand {
    /// Show or set who may register: open, approval (an admin approves) or closed
    /// (invitations only).
    Registration {
        /// open, approval or closed; omit to show the current policy.
        policy: Option<String>,
    },
}

#[derive(Subcommand)]
enum CommunityCommand {
    /// Create a community (an ActivityPub Group).
    Create {
        /// Its name in addresses (name@domain): 1 to 64 characters from a-z, 0-9 and _.
        name: String,
        /// Its title, shown to people.
        #[arg(long, value_name = "TEXT")]
        title: String,
        /// Its first lead: a local member's username.
        #[arg(long, value_name = "USER")]
        lead: Option<String>,
        /// The domain statement: what the community is about (markdown).
        #[arg(long, value_name = "TEXT")]
        about: Option<String>,
        /// Only leads and facilitators may start threads.
        #[arg(long)]
        mods_only: bool,
        /// How people join: open, approval (a lead or facilitator accepts each request)
        /// or invite (only holders of an invitation).
        #[arg(long = "join", value_name = "POLICY", default_value = "open",
              value_parser = ["open", "approval", "invite"])]
        join_policy: String,
    },
    /// List the local communities.
    List,
    /// Give a local member a role in a community (replacing the role they had there).
    SetRole {
        /// The community's name.
        community: String,
        /// The member's username.
        user: String,
        /// lead, facilitator, weaver or member.
        role: String,
    },
}

fn main() -> ExitCode {
    // Usage errors exit 2 with clap's hint; --help and --version exit 0.
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
                .unwrap_or_else(|_| "info,activitypub_federation=warn".into()),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("weft: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            open_db(&config).await?;
            println!(
                "database ready: {}",
                weft_db::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::User(command) => user(config, command).await,
        Command::Community(command) => community(config, command).await,
        Command::Instance(command) => instance(config, command).await,
    }
}

/// Opens the database for an administrative command, warning when it is not the one a
/// running `weft serve` would use (a new, empty file, or one made under another domain).
async fn open_for_admin(config: &Config) -> Result<Db, String> {
    let sqlite_file = config
        .database_url
        .strip_prefix("sqlite://")
        .map(PathBuf::from);
    let existed = sqlite_file.as_ref().is_none_or(|f| f.exists());
    let db = open_db(config).await?;
    let domain = weft_server::urls(config)?.domain().to_string();
    let d = domain.clone();
    let (instance, (elsewhere, other)) = db
        .read(move |c| {
            let instance =
                weft_db::actors::count_local(c, weft_db::models::actor_kind::APPLICATION)?;
            Ok::<_, weft_db::DbError>((instance, weft_db::actors::local_on_other_domain(c, &d)?))
        })
        .await
        .map_err(|e| e.to_string())?;
    let place = weft_db::redact_url(&config.database_url);
    if !existed || instance == 0 {
        eprintln!(
            "weft: note: {place} is a new database that `weft serve` has not used yet. If your \
             instance runs with another working directory, --config, WEFT_DATA_DIR or \
             WEFT_DATABASE_URL, it will not see what this command writes."
        );
    }
    if elsewhere > 0 {
        eprintln!(
            "weft: warning: {place} holds {elsewhere} local actors made under the domain {}, \
             but WEFT_DOMAIN is now {domain}; ids are stored as URLs, so set WEFT_DOMAIN back.",
            other.unwrap_or_default()
        );
    }
    Ok(db)
}

async fn user(config: Config, command: UserCommand) -> Result<(), String> {
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
            println!("created {}\nAPI token (shown once): {token}", actor.ap_id);
        }
        UserCommand::Token { name } => {
            let (actor, token) = db
                .write(move |c| weft_core::auth::reset_command_line_token(c, &name))
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "new API token for {} (shown once; the command line's earlier tokens no longer work): {token}",
                actor.ap_id
            );
        }
        UserCommand::Password { name } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            weft_core::auth::check_password(&password, &name).map_err(|e| e.to_string())?;
            let hash = weft_core::auth::hash_password(&password);
            let person = db
                .write(move |c| weft_core::auth::set_password(c, &name, &hash))
                .await
                .map_err(|e| e.to_string())?;
            println!(
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
                println!("no members yet: create one with `weft user create NAME`");
            }
            for (actor, account) in users {
                println!(
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

async fn community(config: Config, command: CommunityCommand) -> Result<(), String> {
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
            println!("created community {}", actor.ap_id);
        }
        CommunityCommand::List => {
            let communities = db
                .read(weft_db::actors::local_communities)
                .await
                .map_err(|e| e.to_string())?;
            if communities.is_empty() {
                println!(
                    "no communities yet: create one with `weft community create NAME --title TEXT`"
                );
            }
            for (actor, details, members) in communities {
                println!(
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
            println!(
                "{} is now {role} of {}",
                person.username, community.username
            );
        }
    }
    Ok(())
}

async fn instance(config: Config, command: InstanceCommand) -> Result<(), String> {
    let db = open_for_admin(&config).await?;
    match command {
        InstanceCommand::Registration { policy: None } => {
            let policy = db
                .read(weft_core::registration::policy)
                .await
                .map_err(|e| e.to_string())?;
            println!("registration: {}", policy.as_str());
        }
        InstanceCommand::Registration { policy: Some(p) } => {
            let policy = weft_core::registration::RegistrationPolicy::parse(&p)
                .map_err(|e| e.to_string())?;
            db.write(move |c| weft_core::registration::store_policy(c, policy))
                .await
                .map_err(|e| e.to_string())?;
            println!("registration: {}", policy.as_str());
        }
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    let domain = config.domain.clone();
    let dev = config.dev;
    let database = weft_db::redact_url(&config.database_url);
    let running = start(config, None).await?;
    tracing::info!(
        "Weft serving {} on http://{} ({}), database {}",
        domain,
        running.addr,
        if dev {
            "development mode: plain http allowed"
        } else {
            "production mode"
        },
        database,
    );
    tokio::select! {
        _ = running.server => Err("the server stopped".into()),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}
