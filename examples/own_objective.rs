//! Implement the `Objective` trait with your own value, gradient and Hessian, let wirtinger
//! assemble the dense pair (H, K) from your Hessian–vector product, and solve with Newton.
//!
//! The objective is the quartic f(z) = Σᵢ |zᵢ|⁴ + Re(cᴴz), with g = 4|z|²z + c,
//! H v + K conj(v) = 8|z|² v + 4 z² conj(v) (entrywise), so H = diag(8|z|²), K = diag(4z²).
//! g vanishes at zᵢ = −(cᵢ/|cᵢ|)·(|cᵢ|/4)^(1/3) (|zᵢ|³ = |cᵢ|/4, opposite to cᵢ), the minimizer.
//!
//! Run: `cargo run --example own_objective`

use num_complex::Complex64 as C64;
use wirtinger::cr::{EvalError, Objective};
use wirtinger::model::SolverSettings;
use wirtinger::solve::{solve_objective, Method, SolveOptions, Status};

struct Quartic {
    c: Vec<C64>,
}

impl Objective for Quartic {
    fn dim(&self) -> usize {
        self.c.len()
    }
    fn value(&self, z: &[C64]) -> Result<f64, EvalError> {
        Ok(z.iter()
            .zip(&self.c)
            .map(|(x, c)| x.norm_sqr().powi(2) + (c.conj() * x).re)
            .sum())
    }
    fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), EvalError> {
        let g = z
            .iter()
            .zip(&self.c)
            .map(|(x, c)| 4.0 * x.norm_sqr() * x + c)
            .collect();
        Ok((self.value(z)?, g))
    }
    fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        Ok(z.iter()
            .zip(v)
            .map(|(x, d)| 8.0 * x.norm_sqr() * d + 4.0 * x * x * d.conj())
            .collect())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let f = Quartic {
        c: vec![C64::new(1.0, -2.0), C64::new(0.5, 0.25)],
    };
    let z = [C64::new(0.3, -0.4), C64::new(-1.0, 0.2)];
    let (v, g) = f.value_gradient(&z)?;
    let (h, k) = f.hessian(&z)?;
    println!("f = {v:.6}, g = {g:?}");
    for i in 0..2 {
        println!(
            "H[{i}][{i}] = {:.6}, K[{i}][{i}] = {:.6}",
            h[(i, i)],
            k[(i, i)]
        );
        assert!((h[(i, i)] - C64::new(8.0 * z[i].norm_sqr(), 0.0)).norm() < 1e-12);
        assert!((k[(i, i)] - 4.0 * z[i] * z[i]).norm() < 1e-12);
    }
    // First-order check of the gradient convention: f(z + t d) ≈ f(z) + t Re(gᴴd).
    let d = [C64::new(0.1, 0.7), C64::new(-0.4, 0.3)];
    let t = 1e-6;
    let zp: Vec<C64> = z.iter().zip(&d).map(|(a, b)| a + t * b).collect();
    let zm: Vec<C64> = z.iter().zip(&d).map(|(a, b)| a - t * b).collect();
    let fd = (f.value(&zp)? - f.value(&zm)?) / (2.0 * t);
    let exact: f64 = g.iter().zip(&d).map(|(a, b)| (a.conj() * b).re).sum();
    println!("directional derivative: finite difference {fd:.9}, Re(gᴴd) {exact:.9}");
    assert!((fd - exact).abs() < 1e-6);

    // Solve it with Newton on (H, K) assembled from `hvp`. The options set tol and max_iter;
    // `SolverSettings` would supply them otherwise (a problem file's `[solver]` table).
    let options = SolveOptions {
        tol: Some(1e-12),
        max_iter: Some(50),
        ..SolveOptions::default()
    };
    let start = vec![C64::new(0.5, 0.5); f.dim()];
    let r = solve_objective(
        &f,
        None,
        start,
        Method::Newton,
        &SolverSettings::default(),
        &options,
    );
    println!(
        "quartic: {} after {} Newton iterations, f = {:.12}",
        r.status.as_str(),
        r.iterations,
        r.objective
    );
    for (zi, ci) in r.point.iter().zip(&f.c) {
        let closed = -(ci / ci.norm()) * (ci.norm() / 4.0).cbrt();
        println!("  z = {zi:.12}   closed form {closed:.12}");
        assert!((zi - closed).norm() < 1e-9);
    }
    assert_eq!(r.status, Status::Optimal);
    Ok(())
}
