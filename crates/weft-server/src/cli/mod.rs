//! The `weft` command line: what each command does, and running it against the database
//! the configuration names. `main.rs` only parses and hands over; tests run commands
//! through [`execute`] with the output captured.

use crate::{Config, open_db, start};
use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use weft_db::Db;

/// Writes a line of a command's answer.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).map_err(|e| format!("cannot write the answer: {e}"))?
    };
}

pub mod admin;
mod backup;
mod constellation;
mod members;
mod transfer;

/// Weft: a federated ActivityPub server for networks of communities of practice.
#[derive(Parser)]
#[command(
    name = "weft",
    version,
    after_help = "Configuration: defaults, then --config FILE (TOML), then the environment: \
WEFT_DATABASE_URL, WEFT_LISTEN, WEFT_DOMAIN, WEFT_DATA_DIR, WEFT_DEV, WEFT_LOG, \
WEFT_LOG_FORMAT, WEFT_METRICS_TOKEN, WEFT_METRICS_LISTEN. \
Set WEFT_DOMAIN before creating anything: ids are stored as URLs under that name."
)]
pub struct Cli {
    /// A TOML configuration file (see deploy/weft.toml.example).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the instance (SQLite under WEFT_DATA_DIR by default).
    #[command(
        after_help = "Example: WEFT_DOMAIN=cop.example.org weft serve --config /etc/weft/weft.toml"
    )]
    Serve,
    /// Create or upgrade the database, then exit.
    #[command(after_help = "Example: weft migrate --config /etc/weft/weft.toml")]
    Migrate,
    /// Local members.
    #[command(subcommand, after_help = "Example: weft user create alice")]
    User(UserCommand),
    /// Local communities.
    #[command(subcommand, after_help = "Example: weft community list")]
    Community(CommunityCommand),
    /// The instance's settings.
    #[command(
        subcommand,
        after_help = "Example: weft instance registration approval"
    )]
    Instance(InstanceCommand),
    /// Administration: admins, registrations, the delivery queue, blocked instances.
    #[command(subcommand, after_help = "Example: weft admin queue")]
    Admin(admin::AdminCommand),
    /// Copy the SQLite database to FILE while the instance runs (PostgreSQL: pg_dump).
    #[command(
        long_about = "Copy the SQLite database to FILE while the instance runs: a \
consistent copy of one moment (VACUUM INTO), every committed write in it or none. FILE \
must not exist yet. Restore by stopping Weft and putting the copy in place of weft.db. \
A PostgreSQL database is backed up with pg_dump instead (see docs/operations.md).",
        after_help = "Example: weft backup /var/backups/weft/weft-$(date +%F).db"
    )]
    Backup {
        /// Where to write the copy (must not exist yet).
        file: PathBuf,
    },
    /// Write a local community (profile, members and roles, threads, events, library
    /// with every version and file) to FILE as one JSON document, for `weft import`.
    #[command(
        long_about = "Write a local community to FILE as one JSON document: its profile, \
objectives and tags, members and roles, threads and replies, events with their answers, \
and its library (folders, resources with every version, and the files' bytes). FILE \
must not exist yet. It holds members' e-mail addresses: keep it as safely as a backup. \
The format is described in docs/operations.md (\"Moving a community\").",
        after_help = "Example: weft export wellbeing /var/backups/wellbeing.json"
    )]
    Export {
        /// The community's name.
        community: String,
        /// Where to write the export (must not exist yet).
        file: PathBuf,
    },
    /// Rebuild a community from a `weft export` file on this instance.
    #[command(
        long_about = "Rebuild a community from a `weft export` file, in one transaction \
(a failed import stores nothing). Everything made in the community gets an id on this \
instance; the community's local people become local people here (matched by username \
when the name exists already), without a password; remote people stay who they are. \
Followers on other servers do not move with it: they follow the new address.",
        after_help = "Example: weft import /var/backups/wellbeing.json --name wellbeing_archive"
    )]
    Import {
        /// The export file.
        file: PathBuf,
        /// The community's name here (by default the name it had).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Ask a running instance's /health and exit 0 when it answers (for container
    /// health checks, where there is no curl).
    #[command(after_help = "Example (Dockerfile): HEALTHCHECK CMD [\"weft\", \"health\"]")]
    Health {
        /// The address to ask; by default http://LISTEN/health from the configuration
        /// (0.0.0.0 is asked as 127.0.0.1).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a local member and print their API token (shown once).
    #[command(after_help = "Example: weft user create alice --display-name \"Alice A\"")]
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
    #[command(after_help = "Example: weft user token alice")]
    Token {
        /// The member's username.
        name: String,
    },
    /// List the local members.
    #[command(after_help = "Example: weft user list")]
    List,
    /// Set a member's password (read from standard input, one line); ends their sessions.
    #[command(after_help = "Example: weft user password alice < new-password.txt")]
    Password {
        /// The member's username.
        name: String,
    },
}

#[derive(Subcommand)]
pub enum InstanceCommand {
    /// Show or set who may register: open, approval (an admin approves) or closed
    /// (invitations only).
    #[command(
        after_help = "Examples:\n  weft instance registration\n  weft instance registration approval"
    )]
    Registration {
        /// open, approval or closed; omit to show the current policy.
        policy: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum CommunityCommand {
    /// Create a community (an ActivityPub Group).
    #[command(
        after_help = "Example: weft community create wellbeing --title \"Wellbeing at work\" --lead alice --join approval"
    )]
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
    #[command(after_help = "Example: weft community list")]
    List,
    /// Give a local member a role in a community (replacing the role they had there).
    #[command(after_help = "Example: weft community set-role wellbeing bob facilitator")]
    SetRole {
        /// The community's name.
        community: String,
        /// The member's username.
        user: String,
        /// lead, facilitator, weaver or member.
        role: String,
    },
}

/// Runs a parsed command with its configuration; answers go to `out`, and the commands
/// that read a password read it from `input`.
pub async fn execute(
    command: Command,
    config: Config,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> Result<(), String> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            open_db(&config).await?;
            say!(
                out,
                "database ready: {}",
                weft_db::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::User(command) => members::user(config, command, out, input).await,
        Command::Community(command) => members::community(config, command, out).await,
        Command::Instance(command) => members::instance(config, command, out).await,
        Command::Admin(command) => admin::run(config, command, out, input).await,
        Command::Backup { file } => backup::backup(config, &file, out).await,
        Command::Health { url } => backup::health(&config, url, out).await,
        Command::Export { community, file } => {
            transfer::export(config, &community, &file, out).await
        }
        Command::Import { file, name } => transfer::import(config, &file, name, out).await,
    }
}

/// Opens the database for an administrative command, warning when it is not the one a
/// running `weft serve` would use (a new, empty file, or one made under another domain).
pub(crate) async fn open_for_admin(config: &Config) -> Result<Db, String> {
    let sqlite_file = config
        .database_url
        .strip_prefix("sqlite://")
        .map(PathBuf::from);
    let existed = sqlite_file.as_ref().is_none_or(|f| f.exists());
    let db = open_db(config).await?;
    let domain = crate::urls(config)?.domain().to_string();
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
