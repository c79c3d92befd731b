//! The `wirtinger` command line (contract §3).

mod analyze;
mod check;
mod plot;
mod solve;

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
    /// Solve a problem: progress on a terminal, a closing summary, the result file with
    /// --output; exit 0 optimal, 2 rejected input, 3 any other status.
    Solve {
        /// The problem file (TOML).
        file: PathBuf,
        /// Method (overrides `[solver] method`): auto, steepest_descent, newton, pseudo_newton,
        /// lbfgs, trust_region, gauss_newton, levenberg_marquardt (lm), sdp, spectral_bundle,
        /// argmin_lbfgs, argmin_bfgs, argmin_newton_cg, argmin_trust_region; see docs/methods.md.
        #[arg(long)]
        method: Option<String>,
        /// Iteration limit (overrides `[solver] max_iter`).
        #[arg(long = "max-iter")]
        max_iter: Option<u64>,
        /// Tolerance (overrides `[solver] tol`; 0 means never stop on tolerance).
        #[arg(long, allow_hyphen_values = true)]
        tol: Option<f64>,
        /// Wall-clock limit in seconds.
        #[arg(long = "time-limit", allow_hyphen_values = true)]
        time_limit: Option<f64>,
        /// Write the result file (JSON, atomically).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Memory limit in GiB for dense Hessians, Jacobians and SDP systems (overrides
        /// `[solver] memory_limit`; default 75% of the physical memory); a solve whose estimate
        /// exceeds it is refused (exit 2).
        #[arg(long = "memory-limit", allow_hyphen_values = true)]
        memory_limit: Option<f64>,
        /// No progress line and no summary.
        #[arg(long)]
        quiet: bool,
        /// Draw objective and gradient norm per iteration (log scale) and, for eigenvalue
        /// problems, the spectrum at the solution, to an SVG file (written atomically).
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<PathBuf>,
    },
    /// Nonsmooth analysis of every eigenvalue and singular-value function at a point (the
    /// result file's, or the initial point): clusters and multiplicities, generalized-gradient
    /// matrices, one-sided directional derivatives; `--matrix` for any square expression,
    /// with nearly-defective warnings when it is not Hermitian. Exit 0, or 2 on bad input.
    Analyze {
        /// The problem file (TOML).
        file: PathBuf,
        /// Analyze at the point of this result file (default: the initial point).
        #[arg(long, value_name = "RESULT.json")]
        at: Option<PathBuf>,
        /// Eigenvalues whose consecutive gaps are within this times max(1, max|λ|) form a cluster.
        #[arg(long = "cluster-tol", default_value_t = wirtinger::eig::nonsmooth::DEFAULT_CLUSTER_TOL, allow_hyphen_values = true)]
        cluster_tol: f64,
        /// A non-Hermitian cluster is nearly defective when the smallest singular value of its
        /// unit eigenvectors is at most this.
        #[arg(long = "defect-tol", default_value_t = wirtinger::eig::nonsmooth::DEFAULT_DEFECT_TOL, allow_hyphen_values = true)]
        defect_tol: f64,
        /// Also analyze this square matrix expression (repeatable).
        #[arg(long, value_name = "EXPR")]
        matrix: Vec<String>,
        /// A direction d (comma-separated, one number per real coordinate): prints φ′(x; d).
        #[arg(long, value_name = "D", allow_hyphen_values = true)]
        direction: Option<String>,
        /// Write the full analysis as JSON (atomically).
        #[arg(long, value_name = "OUT.json")]
        json: Option<PathBuf>,
    },
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

/// Prints a rejection (one diagnostic with file, line and column where they exist) on standard
/// error and returns exit code 2.
fn reject(d: &wirtinger::Diagnostic) -> ExitCode {
    to_stderr(&d.render());
    ExitCode::from(EXIT_INPUT)
}

/// Writes `text` to standard error; a failing standard error has nowhere to be reported, so it
/// is ignored (`eprint!` would panic).
fn to_stderr(text: &str) {
    use std::io::Write as _;
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes()).and_then(|()| e.flush());
}

/// Writes `text` to standard output. A reader that stopped reading (`| head`: a closed pipe) is
/// not an error and gives `true`; any other failure (a full disk) is reported on standard error
/// and gives `false`. `print!` would panic in both cases.
fn to_stdout(text: &str) -> bool {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(e) => {
            to_stderr(&format!("error: cannot write to standard output: {e}\n"));
            false
        }
    }
}

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
        Command::Analyze {
            file,
            at,
            cluster_tol,
            defect_tol,
            matrix,
            direction,
            json,
        } => analyze::run(analyze::Args {
            file,
            at,
            cluster_tol,
            defect_tol,
            matrix,
            direction,
            json,
        }),
        Command::Solve {
            file,
            method,
            max_iter,
            tol,
            time_limit,
            output,
            memory_limit,
            quiet,
            plot,
        } => solve::run(solve::Args {
            file,
            method,
            max_iter,
            tol,
            time_limit,
            output,
            memory_limit,
            quiet,
            plot,
        }),
    }
}
