//! `weft-bench`: Weft's benchmarks. Each prints its figures and a ratio against a limit
//! measured in the same run (these machines are noisy; absolute times alone mean little).
//!
//! ```text
//! weft-bench all [--smoke] [--postgres URL]   every benchmark, then a table
//! weft-bench p1 | p2 | p3 | p4 | p5 | p6 [--smoke] [--postgres URL]
//! weft-bench serve                            (internal) run a Weft instance for a benchmark
//! ```
//! Run them with `scripts/bench.sh` (release build). `--smoke` uses tiny sizes; the test
//! suite runs that so the benchmarks cannot rot.

mod distance;
mod fanout;
mod floor;
mod inbox;
mod readpath;
mod sink;
mod startup;
mod weft;

use std::process::ExitCode;

/// One line of the results table.
pub struct Row {
    pub name: &'static str,
    pub backend: String,
    pub goal: String,
    pub limit: String,
    pub measured: String,
    pub ratio: String,
    /// Whether the goal was met; `None` for a row that informs (no goal of its own).
    pub pass: Option<bool>,
}

pub struct Options {
    pub smoke: bool,
    pub postgres: Option<String>,
}

impl Options {
    /// The backends to run a database-bound benchmark on.
    pub fn backends(&self) -> Vec<weft::Backend> {
        let mut backends = vec![weft::Backend::Sqlite];
        if let Some(url) = &self.postgres {
            backends.push(weft::Backend::Postgres(url.clone()));
        }
        backends
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return weft::serve_child();
    }
    let smoke = args.iter().any(|a| a == "--smoke");
    let postgres = args
        .iter()
        .position(|a| a == "--postgres")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            std::env::var("WEFT_BENCH_POSTGRES_URL")
                .ok()
                .filter(|s| !s.is_empty())
        });
    let options = Options { smoke, postgres };
    let which = args.first().map(String::as_str).unwrap_or("all");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = runtime.block_on(async {
        let mut rows = vec![];
        let all = which == "all";
        if all || which == "p6" || which == "p5" {
            rows.extend(startup::run(&options).await?);
        }
        if all || which == "p1" {
            rows.extend(fanout::run(&options).await?);
        }
        if all || which == "p2" {
            rows.extend(distance::run(&options).await?);
        }
        if all || which == "p3" {
            rows.extend(inbox::run(&options).await?);
        }
        if all || which == "p4" {
            rows.extend(readpath::run(&options).await?);
        }
        if rows.is_empty() {
            return Err(format!("unknown benchmark {which:?}: use all, p1 … p6"));
        }
        Ok::<_, String>(rows)
    });
    match result {
        Ok(rows) => {
            print_table(&rows);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("weft-bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!("| benchmark | backend | goal | limit (same run) | measured | ratio | goal met |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.backend,
            r.goal,
            r.limit,
            r.measured,
            r.ratio,
            match r.pass {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "-",
            }
        );
    }
}
