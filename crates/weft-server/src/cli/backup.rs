//! `weft backup FILE` (an online, consistent copy of a SQLite database) and `weft health`
//! (asks a running instance's `/health`, for container health checks).

use crate::Config;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

pub(super) async fn backup(config: Config, file: &Path, out: &mut dyn Write) -> Result<(), String> {
    if config.database_url.starts_with("postgres") {
        return Err(format!(
            "{} is PostgreSQL: back it up with pg_dump, e.g. `pg_dump --format=custom --file=weft.dump \"$WEFT_DATABASE_URL\"` (docs/operations.md)",
            weft_db::redact_url(&config.database_url)
        ));
    }
    if file.exists() {
        return Err(format!(
            "{} exists already: name a new file (a backup never overwrites one)",
            file.display()
        ));
    }
    let target = std::path::absolute(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if let Some(dir) = target.parent()
        && !dir.is_dir()
    {
        return Err(format!("the folder {} does not exist", dir.display()));
    }
    let db = super::open_for_admin(&config).await?;
    let started = Instant::now();
    let path = target.to_string_lossy().into_owned();
    db.read(move |c| weft_db::operations::sqlite_backup(c, &path))
        .await
        .map_err(|e| format!("the backup failed: {e}"))?;
    let size = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    say!(
        out,
        "backed up {} to {} ({:.1} MB in {:.1} s)",
        weft_db::redact_url(&config.database_url),
        target.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) async fn health(
    config: &Config,
    url: Option<String>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let url = url.unwrap_or_else(|| {
        let listen = config
            .listen
            .replace("0.0.0.0", "127.0.0.1")
            .replace("[::]", "[::1]");
        format!("http://{listen}/health")
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url} does not answer: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    say!(out, "{url}: {}", response.text().await.unwrap_or_default());
    Ok(())
}
