//! `weft`: run an instance, migrate its database, manage members, communities and the
//! instance (see `cli/`).

use clap::Parser;
use std::process::ExitCode;
use weft_server::Config;
use weft_server::cli::{Cli, Command, execute};

fn main() -> ExitCode {
    // Usage errors exit 2 with clap's hint; --help and --version exit 0.
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("weft: {message}");
            return ExitCode::FAILURE;
        }
    };
    // A health check prints only its answer.
    if !matches!(cli.command, Command::Health { .. }) {
        weft_server::init_logging(config.log_format);
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let (mut out, mut input) = (std::io::stdout(), std::io::stdin().lock());
    match runtime.block_on(execute(cli.command, config, &mut out, &mut input)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("weft: {message}");
            ExitCode::FAILURE
        }
    }
}
