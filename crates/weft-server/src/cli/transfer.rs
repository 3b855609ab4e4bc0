//! `weft export COMMUNITY FILE` and `weft import FILE`: a community moved between
//! instances as one JSON document (`weft_core::transfer`). A progress bar on a terminal;
//! a plain summary line otherwise (and always at the end).

use crate::Config;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;
use weft_core::transfer::{self, Progress, TransferError};

pub(super) async fn export(
    config: Config,
    community: &str,
    file: &Path,
    out: &mut dyn Write,
) -> Result<(), String> {
    if file.exists() {
        return Err(format!(
            "{} exists already: name a new file (an export never overwrites one)",
            file.display()
        ));
    }
    let db = super::open_for_admin(&config).await?;
    let urls = crate::urls(&config)?;
    let files = weft_core::files::Files::open(&config.files.storage, config.files.max_bytes)?;
    let started = Instant::now();
    let export = transfer::export(&db, &files, &urls, community, bar().as_mut())
        .await
        .map_err(explain)?;
    let json = serde_json::to_vec_pretty(&export).map_err(|e| e.to_string())?;
    // Written beside the target and renamed, so a failed export leaves no half file.
    let partial = file.with_extension("partial");
    std::fs::write(&partial, &json).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, file).map_err(|e| format!("{}: {e}", file.display()))?;
    say!(
        out,
        "exported {community} to {}: {} members, {} items ({} events, {} resources), {} files, {:.1} MB in {:.1} s",
        file.display(),
        export.members.len(),
        export.items.len(),
        export.items.iter().filter(|i| i.event.is_some()).count(),
        export.items.iter().filter(|i| i.resource.is_some()).count(),
        export.files.len(),
        json.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) async fn import(
    config: Config,
    file: &Path,
    name: Option<String>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let text = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let export: transfer::Export = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{} is not a Weft community export: {e} (made by `weft export COMMUNITY FILE`?)",
            file.display()
        )
    })?;
    let db = super::open_for_admin(&config).await?;
    let urls = crate::urls(&config)?;
    let files = weft_core::files::Files::open(&config.files.storage, config.files.max_bytes)?;
    let started = Instant::now();
    let done = transfer::import(&db, &files, &urls, export, name, bar().as_mut())
        .await
        .map_err(explain)?;
    say!(
        out,
        "imported {} as {} ({}): {} members ({} new local people, {} matched by username), {} items ({} events, {} resources with {} versions), {} files in {:.1} s",
        file.display(),
        done.community,
        done.ap_id,
        done.members,
        done.people_created,
        done.people_matched,
        done.items,
        done.events,
        done.resources,
        done.versions,
        done.files,
        started.elapsed().as_secs_f64()
    );
    if done.people_created > 0 {
        say!(
            out,
            "the new local people have no password yet: they reset it by mail (when mail is set up), or an admin runs `weft admin reset-password USER`"
        );
    }
    Ok(())
}

fn explain(e: TransferError) -> String {
    match e {
        TransferError::Core(weft_core::CoreError::Conflict(m)) => {
            format!("{m}: import under another name with --name NEW")
        }
        other => other.to_string(),
    }
}

/// A progress bar when standard error is a terminal; nothing otherwise.
fn bar() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar(None))
    } else {
        Box::new(transfer::Quiet)
    }
}

struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn start(&mut self, stage: &str, total: u64) {
        let bar = ProgressBar::new(total).with_message(stage.to_string());
        if let Ok(style) = ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        self.0 = Some(bar);
    }
    fn step(&mut self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
    fn finish(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
