//! `weft-bench`: Weft's benchmarks. Each prints its figures and a ratio against a limit
//! measured in the same run (these machines are noisy; absolute times alone mean little).
//!
//! ```text
//! weft-bench [all] [--smoke] [--postgres URL]   every benchmark, then a table
//! weft-bench p1 | p2 | p3 | p4 | p5 | p6 | p7 [--smoke] [--postgres URL]
//! weft-bench serve                            (internal) run a Weft instance for a benchmark
//! ```
//! Run them with `scripts/bench.sh` (release build). `--smoke` uses tiny sizes; the test
//! suite runs that so the benchmarks cannot rot.
//!
//! Exit status: 0 when every correctness check held (every activity delivered once and
//! in order, what was stored is what was sent, every signature sound), whether or not the
//! speed goals were met; 1 when a correctness check failed; 2 when a benchmark could not
//! run (or the arguments are wrong).

mod directory;
mod distance;
mod fanout;
mod floor;
mod inbox;
mod readpath;
mod sink;
mod startup;
mod weft;

use clap::{Parser, ValueEnum};
use std::process::ExitCode;

/// One line of the results table.
pub struct Row {
    pub name: &'static str,
    pub backend: String,
    pub goal: String,
    pub limit: String,
    pub measured: String,
    pub ratio: String,
    /// Whether the speed goal was met; `None` for a row that informs (no goal of its own).
    pub pass: Option<bool>,
    /// Correctness checks that failed (a lost, repeated or reordered activity, a bad
    /// signature, stored ≠ sent): any makes the run fail, unlike a missed speed goal.
    pub broken: Vec<String>,
}

pub struct Options {
    pub smoke: bool,
    pub postgres: Option<String>,
    /// A fault the sinks inject (only for the smoke test that proves a failed
    /// correctness check fails the run).
    pub fault: Option<Fault>,
}

/// A fault to inject into the sinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// Each sink records the first activity it accepts twice, as if delivered twice.
    Repeat,
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

/// Which benchmark to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    /// Every benchmark, then the table.
    All,
    /// Fan-out of one post to 10,000 followers on 1,000 instances (and P5's peak memory).
    P1,
    /// A stream of activities to a peer 150 ms away.
    P2,
    /// Signed Create(Note)s into the inbox.
    P3,
    /// The read path against nginx serving the same bytes.
    P4,
    /// Memory when idle (with P6).
    P5,
    /// Start-up on an empty database.
    P6,
    /// Directory search over 10,000 communities from 100 instances.
    P7,
    /// (internal) Run a Weft instance from the `WEFT_*` environment for a benchmark.
    Serve,
}

/// Weft's benchmarks (P1-P6). Exit status: 0 when every correctness check held (speed
/// goals may be missed), 1 when one failed, 2 when a benchmark could not run.
#[derive(Parser, Debug)]
#[command(name = "weft-bench", version)]
struct Args {
    /// The benchmark to run.
    #[arg(value_enum, default_value_t = Which::All)]
    which: Which,
    /// Tiny sizes, so the test suite can run every benchmark.
    #[arg(long)]
    smoke: bool,
    /// Also run the database-bound benchmarks on this PostgreSQL server (an admin URL).
    #[arg(long, env = "WEFT_BENCH_POSTGRES_URL")]
    postgres: Option<String>,
    /// Makes the sinks misbehave, to prove a failed correctness check fails the run.
    #[arg(long, value_enum, hide = true)]
    inject_fault: Option<Fault>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.which == Which::Serve {
        return weft::serve_child();
    }
    let options = Options {
        smoke: args.smoke,
        postgres: args.postgres.filter(|s| !s.is_empty()),
        fault: args.inject_fault,
    };
    let which = args.which;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = runtime.block_on(async {
        let mut rows = vec![];
        let all = which == Which::All;
        if all || which == Which::P6 || which == Which::P5 {
            rows.extend(startup::run(&options).await?);
        }
        if all || which == Which::P1 {
            rows.extend(fanout::run(&options).await?);
        }
        if all || which == Which::P2 {
            rows.extend(distance::run(&options).await?);
        }
        if all || which == Which::P3 {
            rows.extend(inbox::run(&options).await?);
        }
        if all || which == Which::P4 {
            rows.extend(readpath::run(&options).await?);
        }
        if all || which == Which::P7 {
            rows.extend(directory::run(&options).await?);
        }
        Ok::<_, String>(rows)
    });
    match result {
        Ok(rows) => {
            print_table(&rows);
            let broken: Vec<String> = rows
                .iter()
                .flat_map(|r| {
                    r.broken
                        .iter()
                        .map(move |b| format!("{} ({}): {b}", r.name, r.backend))
                })
                .collect();
            if broken.is_empty() {
                ExitCode::SUCCESS
            } else {
                for b in &broken {
                    eprintln!("weft-bench: correctness check failed: {b}");
                }
                ExitCode::from(1)
            }
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
