//! Phase retrieval (complex Gaussian, n = 64, m = 6n, noiseless, spectral start written in the
//! problem file with `eigvec_max`): LM, Newton and L-BFGS recover x up to a global phase.

use num_complex::Complex64 as C64;
use std::path::Path;
use wirtinger::expr::DataValue;
use wirtinger::io::load_problem;
use wirtinger::model::Problem;
use wirtinger::solve::{solve, SolveOptions, Status};

fn truth(p: &Problem) -> Vec<C64> {
    match p.data.get("x0") {
        Some(DataValue::Dense { value, .. }) => value.data().to_vec(),
        _ => panic!("x0 missing"),
    }
}

/// min over φ of ‖z e^{iφ} − x‖ / ‖x‖: the best phase is arg(zᴴx).
fn phase_error(z: &[C64], x: &[C64]) -> f64 {
    let c: C64 = z.iter().zip(x).map(|(a, b)| a.conj() * b).sum();
    let ph = if c.norm() > 0.0 {
        c / c.norm()
    } else {
        C64::new(1.0, 0.0)
    };
    let num: f64 = z.iter().zip(x).map(|(a, b)| (a * ph - b).norm_sqr()).sum();
    let den: f64 = x.iter().map(|b| b.norm_sqr()).sum();
    (num / den).sqrt()
}

fn run(method: &str) -> (u64, f64) {
    run_with(method, None)
}

fn run_with(method: &str, matrix_free: Option<bool>) -> (u64, f64) {
    let p = load_problem(Path::new("problems/phase_retrieval.toml")).unwrap();
    let x = truth(&p);
    let start_err = phase_error(&p.initial_point(), &x);
    assert!(start_err < 0.9, "spectral start error {start_err}");
    let r = solve(
        &p,
        &SolveOptions {
            method: Some(method.into()),
            tol: Some(1e-12),
            matrix_free,
            ..SolveOptions::default()
        },
    )
    .unwrap();
    let err = phase_error(&r.point, &x);
    eprintln!(
        "phase retrieval n = 64, m = 384: {method}: {} iterations, {:?}, error {err:.2e}, status {}, {:?}",
        r.iterations, r.evaluations, r.status, r.message
    );
    assert_eq!(r.status, Status::Optimal, "{method}: {}", r.message);
    assert!(err < 1e-8, "{method}: relative error up to phase {err:.3e}");
    assert!(r.objective < 1e-14, "{method}: objective {}", r.objective);
    (r.iterations, err)
}

#[test]
fn levenberg_marquardt_recovers_x() {
    let (it, _) = run("lm");
    assert!(it <= 15, "LM took {it} iterations");
}

#[test]
fn newton_recovers_x_despite_the_singular_gauge_direction() {
    let (it, _) = run("newton");
    assert!(it <= 20, "Newton took {it} iterations");
}

#[test]
fn lbfgs_recovers_x() {
    run("lbfgs");
}

#[test]
fn gauss_newton_recovers_x() {
    run("gauss_newton");
}

#[test]
fn matrix_free_least_squares_recover_x() {
    let (it, _) = run_with("lm", Some(true));
    assert!(it <= 20, "matrix-free LM took {it} iterations");
    run_with("gauss_newton", Some(true));
}

#[test]
fn auto_picks_levenberg_marquardt() {
    let p = load_problem(Path::new("problems/phase_retrieval.toml")).unwrap();
    let r = solve(&p, &SolveOptions::default()).unwrap();
    assert_eq!(r.method, "levenberg_marquardt");
    assert!(r.method_reason.unwrap().contains("sum of squares"));
    assert_eq!(r.status, Status::Optimal);
}
