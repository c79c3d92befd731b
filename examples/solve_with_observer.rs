//! Solve from Rust and watch every iteration.
//!
//! 1. Complex ridge regression f(z) = ‖Az − b‖² + λ‖z‖², built in code and solved with L-BFGS
//!    under an observer that records (iteration, f, ‖g‖). The minimizer solves the normal
//!    equations (AᴴA + λI) z = Aᴴb, recomputed here with faer's Cholesky.
//! 2. A problem file, loaded and solved with the method its `[solver]` table or `auto` picks.
//!
//! Run: `cargo run --example solve_with_observer`

use faer::linalg::solvers::Solve;
use faer::Side;
use num_complex::Complex64 as C64;
use wirtinger::io::array::ReadLimits;
use wirtinger::io::random::{generate, RandomKind};
use wirtinger::model::builder::{fns::*, ProblemBuilder};
use wirtinger::model::{Shape, Tensor};
use wirtinger::solve::{solve, Observer, SolveOptions, Status};

fn random(shape: &[usize], seed: u64) -> Tensor {
    let raw = generate(
        RandomKind::ComplexNormal,
        shape,
        seed,
        &ReadLimits::default(),
    )
    .expect("a small random array");
    Tensor::new(Shape::from_dims(shape).expect("1-D or 2-D"), raw.data).expect("sizes match")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Once, at the start: keep freed tangent batches in the process (docs/api.md, section 6).
    // glibc: M_MMAP_THRESHOLD = 32 MiB, M_TRIM_THRESHOLD = 1 GiB; does nothing elsewhere.
    let applied = wirtinger::malloc::keep_freed_memory();
    println!("allocator settings applied: {applied}");

    // 1. Ridge regression in code, L-BFGS, an observer.
    let (m, n, lambda) = (40, 10, 0.5);
    let a_val = random(&[m, n], 21);
    let b_val = random(&[m], 22);
    let mut p = ProblemBuilder::new();
    let z = p.complex_var("z", &[n]);
    let a = p.data("A", a_val.clone(), false);
    let b = p.data("b", b_val.clone(), false);
    p.minimize(norm2sq(&a * &z - &b) + lambda * norm2sq(&z));
    let problem = p.build()?;

    let mut seen: Vec<(u64, f64, f64)> = Vec::new();
    let report = {
        let options = SolveOptions {
            method: Some("lbfgs".into()),
            tol: Some(1e-12),
            observer: Some(Observer::new(|info| {
                seen.push((info.iter, info.value, info.gradient_norm))
            })),
            ..SolveOptions::default()
        };
        solve(&problem, &options)?
    };
    println!(
        "ridge: {} after {} iterations ({}), f = {:.12}",
        report.status.as_str(),
        report.iterations,
        report.message,
        report.objective
    );
    for (iter, value, gnorm) in seen.iter().step_by(5) {
        println!("  iter {iter:>3}   f = {value:<22.15e} ‖g‖ = {gnorm:.3e}");
    }
    assert_eq!(report.status, Status::Optimal);
    assert_eq!(seen.first().map(|s| s.0), Some(0));
    assert_eq!(seen.last().map(|s| s.0), Some(report.iterations));

    // The same minimizer from the normal equations, with faer.
    let am = a_val.as_mat();
    let bm = faer::MatRef::from_column_major_slice(b_val.data(), m, 1);
    let mut normal = am.adjoint() * am;
    for i in 0..n {
        normal[(i, i)] += C64::new(lambda, 0.0);
    }
    let exact = normal.llt(Side::Lower)?.solve(am.adjoint() * bm);
    let err = (0..n)
        .map(|i| (report.point[i] - exact[(i, 0)]).norm())
        .fold(0.0, f64::max);
    println!("  max |z − (AᴴA + λI)⁻¹Aᴴb| = {err:.2e}");
    // A line search that compares values of f can resolve z* only to about
    // sqrt(2ε|f|/λ_min(H)) ≈ 2e-8 here (ε = 2.2e-16, |f| ≈ 25, λ_min(H) = 2λ_min(AᴴA + λI) ≈ 20).
    assert!(err < 1e-7);

    // 2. A problem file.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/problems/least_squares.toml");
    let file_problem = wirtinger::io::load_problem(path.as_ref())?;
    let r = solve(&file_problem, &SolveOptions::default())?;
    let expected = file_problem.expected_objective.unwrap_or(f64::NAN);
    println!(
        "least_squares.toml: {} with {} ({}), f = {:.12}, expected {expected:.12}",
        r.status.as_str(),
        r.method,
        r.method_reason.as_deref().unwrap_or("named"),
        r.objective
    );
    assert!((r.objective - expected).abs() <= 1e-9 * expected.abs().max(1.0));
    Ok(())
}
