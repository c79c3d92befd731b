//! `wirtinger check FILE`: engine derivatives against central finite differences.

use super::{reject, to_stdout};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use wirtinger::cr::{check_derivatives, random_point, CheckReport, GRADIENT_TOL, HESSIAN_TOL};
use wirtinger::io::load_problem;
use wirtinger::Diagnostic;

pub fn run(file: &Path, seed: u64) -> ExitCode {
    let problem = match load_problem(file) {
        Ok(p) => p,
        Err(d) => return reject(&d),
    };
    let f = match problem.function() {
        Ok(f) => f,
        Err(m) => return reject(&Diagnostic::new(m).for_file(file)),
    };
    let n = f.dim();
    let ncomplex: usize = f
        .vars()
        .iter()
        .filter(|v| !v.real)
        .map(|v| v.shape.numel())
        .sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "checking {}: {} variable{}, {} entries ({} real coordinates)",
        file.display(),
        f.vars().len(),
        if f.vars().len() == 1 { "" } else { "s" },
        n,
        n + ncomplex
    );
    if f.is_nonsmooth() {
        let _ = writeln!(
            out,
            "note: the objective is nonsmooth; derivatives are compared where it is differentiable"
        );
    }
    let points = [
        ("initial point".to_string(), problem.initial_point()),
        (
            format!("random point (seed {seed})"),
            random_point(&f, seed),
        ),
    ];
    let _ = writeln!(
        out,
        "{:<26} {:>18} {:>18}",
        "point", "gradient error", "Hessian error"
    );
    let mut worst: Option<CheckReport> = None;
    for (name, z) in &points {
        match check_derivatives(&f, z, seed) {
            Ok(r) => {
                let h = if r.hessian_checked {
                    format!("{:.2e}", r.hessian_error)
                } else {
                    "-".into()
                };
                let _ = writeln!(out, "{name:<26} {:>18.2e} {h:>18}", r.gradient_error);
                worst = Some(match worst {
                    None => r,
                    Some(w) => CheckReport {
                        gradient_error: w.gradient_error.max(r.gradient_error),
                        hessian_error: w.hessian_error.max(r.hessian_error),
                        directions: w.directions + r.directions,
                        hessian_checked: w.hessian_checked || r.hessian_checked,
                    },
                });
            }
            Err(e) => {
                let _ = writeln!(out, "{name:<26} not checked: {}", e.message);
            }
        }
    }
    let _ = writeln!(
        out,
        "{:<26} {GRADIENT_TOL:>18.0e} {HESSIAN_TOL:>18.0e}",
        "tolerance"
    );
    let (verdict, code) = match worst {
        None => ("no point could be checked", ExitCode::from(1)),
        Some(w)
            if w.gradient_error <= GRADIENT_TOL
                && (!w.hessian_checked || w.hessian_error <= HESSIAN_TOL) =>
        {
            (
                "derivatives agree with finite differences",
                ExitCode::SUCCESS,
            )
        }
        Some(_) => (
            "derivatives DISAGREE with finite differences",
            ExitCode::from(1),
        ),
    };
    let _ = writeln!(out, "result: {verdict}");
    // Exit 1 also when the report cannot be written (not for a reader that closed the pipe).
    if to_stdout(&out) {
        code
    } else {
        ExitCode::from(1)
    }
}
