//! Implement the `Objective` trait with your own value, gradient and Hessian, and let wirtinger
//! assemble the dense pair (H, K) from your Hessian–vector product.
//!
//! The objective is the quartic f(z) = Σᵢ |zᵢ|⁴ + Re(cᴴz), with g = 4|z|²z + c,
//! H v + K conj(v) = 8|z|² v + 4 z² conj(v) (entrywise), so H = diag(8|z|²), K = diag(4z²).
//!
//! Run: `cargo run --example own_objective`

use num_complex::Complex64 as C64;
use wirtinger::cr::{EvalError, Objective};

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

fn main() -> Result<(), EvalError> {
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
    Ok(())
}
