//! The spectral bundle method against the dense SDP path (Clarabel on the full PSD block) and
//! closed forms, with its certificate recomputed here independently.

use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use wirtinger::io::parse_problem;
use wirtinger::model::Problem;
use wirtinger::solve::{solve, Report, SolveOptions, Status};

fn load(text: &str) -> Problem {
    parse_problem(text, "t.toml".as_ref()).unwrap()
}

fn run(p: &Problem, method: &str) -> Report {
    let o = SolveOptions {
        method: Some(method.into()),
        ..Default::default()
    };
    solve(p, &o).unwrap()
}

/// A problem min/max f(A₀ + Σ xᵢAᵢ) with seeded random symmetric (or Hermitian) data.
fn affine_problem(n: usize, m: usize, complex: bool, objective: &str, extra: &str) -> String {
    let kind = if complex { "complex_normal" } else { "normal" };
    let mut s = format!("[variables]\nx = {{ type = \"real\", shape = [{m}] }}\n[data]\n");
    let mut sum = String::from("A0");
    for i in 0..=m {
        s += &format!(
            "G{i} = {{ random = \"{kind}\", shape = [{n}, {n}], seed = {} }}\nA{i} = {{ expr = \"(G{i} + G{i}') / 2\" }}\n",
            100 + i
        );
        if i > 0 {
            sum += &format!(" + x[{}] * A{i}", i - 1);
        }
    }
    s += &format!("[objective]\n{}\n", objective.replace("ARG", &sum));
    s += extra;
    s
}

fn agree(a: &Report, b: &Report, tol: f64) {
    assert_eq!(a.status, Status::Optimal, "{}", a.message);
    assert_eq!(b.status, Status::Optimal, "{}", b.message);
    let d = (a.objective - b.objective).abs() / a.objective.abs().max(1.0);
    assert!(d < tol, "{} vs {} ({d:.2e})", a.objective, b.objective);
}

#[test]
fn real_lambda_max_agrees_with_sdp() {
    let p = load(&affine_problem(
        30,
        5,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let b = run(&p, "spectral_bundle");
    let s = run(&p, "sdp");
    eprintln!("{} {:?}", b.message, b.bundle);
    agree(&b, &s, 1e-6);
}
