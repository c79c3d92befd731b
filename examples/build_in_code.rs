//! Build a problem in Rust with the same operations as problem files: complex least squares
//! ‖A z − b‖², then evaluate the objective, its gradient g = 2∂f/∂z̄ and its Hessian pair (H, K),
//! and compare with the closed forms g = 2Aᴴ(Az − b), H = 2AᴴA, K = 0.
//!
//! Run: `cargo run --example build_in_code`

use num_complex::Complex64 as C64;
use wirtinger::io::array::ReadLimits;
use wirtinger::io::random::{generate, RandomKind};
use wirtinger::model::builder::{fns::*, ProblemBuilder};
use wirtinger::model::{Shape, Tensor};

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
    let (m, n) = (6, 3);
    let a_val = random(&[m, n], 1);
    let b_val = random(&[m], 2);

    let mut p = ProblemBuilder::new();
    let z = p.complex_var("z", &[n]);
    let a = p.data("A", a_val.clone(), false);
    let b = p.data("b", b_val.clone(), false);
    p.minimize(norm2sq(&a * &z - &b));
    let problem = p.build()?;
    let f = problem.function()?;

    let z0: Vec<C64> = random(&[n], 3).into_data();
    let (value, grad) = f.value_gradient(&z0)?;
    let (h, k) = f.hessian(&z0)?;

    // Closed forms.
    let am = a_val.as_mat();
    let zm = faer::MatRef::from_column_major_slice(&z0, n, 1);
    let r = am * zm - faer::MatRef::from_column_major_slice(b_val.data(), m, 1);
    let g_exact = am.adjoint() * &r * faer::Scale(C64::new(2.0, 0.0));
    let h_exact = am.adjoint() * am * faer::Scale(C64::new(2.0, 0.0));
    let g_err = (0..n)
        .map(|i| (grad[i] - g_exact[(i, 0)]).norm())
        .fold(0.0, f64::max);
    let h_err = (0..n * n)
        .map(|q| (h[(q % n, q / n)] - h_exact[(q % n, q / n)]).norm())
        .fold(0.0, f64::max);
    let k_max = (0..n * n)
        .map(|q| k[(q % n, q / n)].norm())
        .fold(0.0, f64::max);
    println!("f(z0) = {value:.6}");
    println!("max |g − 2Aᴴ(Az − b)| = {g_err:.2e}");
    println!("max |H − 2AᴴA|       = {h_err:.2e}");
    println!("max |K|              = {k_max:.2e}");
    assert!(g_err < 1e-12 && h_err < 1e-12 && k_max < 1e-12);
    Ok(())
}
