//! The `wirtinger` command line (contract §3).

mod check;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Optimization of real-valued objectives of complex variables.
#[derive(Parser, Debug)]
#[command(name = "wirtinger", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compare the engine's gradient and Hessian with finite differences at the initial point
    /// and at a seeded random point; exit 0 when they agree, 1 when they do not, 2 on bad input.
    Check {
        /// The problem file (TOML).
        file: PathBuf,
        /// Seed of the random point.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Exit code for rejected input (contract §3).
pub const EXIT_INPUT: u8 = 2;

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check { file, seed } => check::run(&file, seed),
    }
}
