//! `wirtinger solve FILE`: contract §3 (progress on a terminal, closing summary, `--output`
//! written atomically, exit codes 0 optimal / 2 rejected / 3 any other status).

use super::{reject, to_stderr, to_stdout};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wirtinger::io::load_problem;
use wirtinger::io::result::write_result;
use wirtinger::solve::{solve, IterationInfo, Observer, SolveOptions, Status};
use wirtinger::{Diagnostic, Error};

/// Exit code for a solve that ended without optimality.
pub const EXIT_NOT_OPTIMAL: u8 = 3;

/// The options of `solve`.
pub struct Args {
    pub file: PathBuf,
    pub method: Option<String>,
    pub max_iter: Option<u64>,
    pub tol: Option<f64>,
    pub time_limit: Option<f64>,
    pub output: Option<PathBuf>,
    /// `--memory-limit GIB` (see `wirtinger::solve::budget`).
    pub memory_limit: Option<f64>,
    pub quiet: bool,
    /// `--plot FILE.svg` (see [`super::plot`]).
    pub plot: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let file = &args.file;
    if let Some(t) = args.tol {
        if !(t >= 0.0 && t.is_finite()) {
            return reject(&Diagnostic::new(
                "--tol must be a non-negative number (0 means never stop on tolerance)",
            ));
        }
    }
    let time_limit = match args.time_limit {
        Some(s) if s >= 0.0 && s.is_finite() => Some(Duration::from_secs_f64(s.min(1e9))),
        Some(_) => {
            return reject(&Diagnostic::new(
                "--time-limit must be a non-negative number of seconds",
            ))
        }
        None => None,
    };
    if let Some(svg) = &args.plot {
        // a plot that cannot be written at all is found before a long solve
        if let Err(e) = super::plot::check_target(svg) {
            return reject(&Diagnostic::new(format!("cannot write the plot: {e}")).for_file(svg));
        }
    }
    if let Some(g) = args.memory_limit {
        if !(g > 0.0 && g.is_finite()) {
            return reject(&Diagnostic::new(
                "--memory-limit must be a positive number of GiB",
            ));
        }
    }
    if let Err(m) = wirtinger::solve::interrupt::install() {
        to_stderr(&format!("warning: {m}\n"));
    }
    let problem = match load_problem(file) {
        Ok(p) => p,
        Err(d) => return reject(&d),
    };
    let live = !args.quiet && std::io::stderr().is_terminal();
    // The solvers minimize; show the objective in the problem's own sense.
    let sign = if problem.sense == wirtinger::model::Sense::Maximize {
        -1.0
    } else {
        1.0
    };
    let mut last_draw: Option<Instant> = None;
    let progress = |info: &IterationInfo| {
        if !live {
            return;
        }
        let now = Instant::now();
        if last_draw.is_some_and(|t| now.duration_since(t) < Duration::from_millis(100)) {
            return;
        }
        last_draw = Some(now);
        to_stderr(&format!(
            "\r{}  iter {:>6}  f {:>14.7e}  |g| {:>10.3e}  step {:>10.3e}  {:>7.2}s\x1b[K",
            info.method,
            info.iter,
            sign * info.value,
            info.gradient_norm,
            info.step,
            info.elapsed
        ));
    };
    let options = SolveOptions {
        method: args.method.clone(),
        max_iter: args.max_iter,
        tol: args.tol,
        time_limit,
        memory_limit: args.memory_limit,
        observer: Some(Observer::new(progress)),
        ..SolveOptions::default()
    };
    let result = solve(&problem, &options);
    drop(options);
    if live {
        to_stderr("\r\x1b[K");
    }
    let report = match result {
        Ok(r) => r,
        Err(Error::Input(d)) => {
            // A rejection that points into the problem file (e.g. a constraint the SDP path
            // cannot take) gets the file's text, so that it shows line, column and snippet.
            let d = match (d.file.is_none(), d.span.is_some() && d.source.is_none()) {
                (true, true) => match std::fs::read_to_string(file) {
                    Ok(text) => d.in_file(file, text),
                    Err(_) => d.for_file(file),
                },
                (true, false) => d.for_file(file),
                _ => *d,
            };
            return reject(&d);
        }
        Err(e) => return reject(&Diagnostic::new(e.to_string()).for_file(file)),
    };
    if let Some(out) = &args.output {
        if let Err(e) = write_result(out, &problem, &report) {
            return reject(
                &Diagnostic::new(format!("cannot write the result file: {e}")).for_file(out),
            );
        }
    }
    if let Some(svg) = &args.plot {
        if let Err(e) = super::plot::write_plot(&problem, &report, file, svg) {
            return reject(&Diagnostic::new(format!("cannot write the plot: {e}")).for_file(svg));
        }
    }
    if !args.quiet {
        summary(file, &report);
    }
    if report.status == Status::Optimal {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_OPTIMAL)
    }
}

/// The closing summary on standard output (a closed pipe or a failing output does not change
/// the exit code: the solve and its result file stand).
fn summary(file: &Path, r: &wirtinger::solve::Report) {
    let method = match &r.method_reason {
        Some(why) => format!("{} (auto: {why})", r.method),
        None => r.method.clone(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "problem     {}", file.display());
    let _ = writeln!(out, "method      {method}");
    let _ = writeln!(out, "status      {}: {}", r.status, r.message);
    let _ = writeln!(out, "objective   {:.12e}", r.objective);
    let _ = writeln!(out, "iterations  {}", r.iterations);
    if r.gradient_norm.is_finite() {
        let _ = writeln!(out, "|gradient|  {:.3e}", r.gradient_norm);
    } else {
        let _ = writeln!(out, "|gradient|  — (none for this method)");
    }
    let _ = writeln!(out, "time        {:.4} s", r.time_seconds);
    to_stdout(&out);
}
