//! `wirtinger check FILE`: engine derivatives against central finite differences.

use super::EXIT_INPUT;
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
    println!(
        "checking {}: {} variable{}, {} entries ({} real coordinates)",
        file.display(),
        f.vars().len(),
        if f.vars().len() == 1 { "" } else { "s" },
        n,
        n + ncomplex
    );
    if f.is_nonsmooth() {
        println!(
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
    println!(
        "{:<26} {:>18} {:>18}",
        "point", "gradient error", "Hessian error"
    );
    let mut worst: Option<CheckReport> = None;
    let mut checked = 0;
    for (name, z) in &points {
        match check_derivatives(&f, z, seed) {
            Ok(r) => {
                let h = if r.hessian_checked {
                    format!("{:.2e}", r.hessian_error)
                } else {
                    "-".into()
                };
                println!("{name:<26} {:>18.2e} {h:>18}", r.gradient_error);
                checked += 1;
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
            Err(e) => println!("{name:<26} not checked: {}", e.message),
        }
    }
    println!(
        "{:<26} {GRADIENT_TOL:>18.0e} {HESSIAN_TOL:>18.0e}",
        "tolerance"
    );
    let Some(w) = worst else {
        println!("result: no point could be checked");
        return ExitCode::from(1);
    };
    let _ = checked;
    let ok =
        w.gradient_error <= GRADIENT_TOL && (!w.hessian_checked || w.hessian_error <= HESSIAN_TOL);
    if ok {
        println!("result: derivatives agree with finite differences");
        ExitCode::SUCCESS
    } else {
        println!("result: derivatives DISAGREE with finite differences");
        ExitCode::from(1)
    }
}

fn reject(d: &Diagnostic) -> ExitCode {
    eprint!("{}", d.render());
    ExitCode::from(EXIT_INPUT)
}
