//! The one-method-per-derivative trait that solvers use: the engine's compiled [`Function`]
//! implements it, and so can a user's own type with hand-written derivatives.

use super::eval::EvalError;
use super::function::Function;
use super::tangent::Batch;
use faer::Mat;
use num_complex::Complex64 as C64;

/// v ↦ H v + K conj(v) at a fixed point, see [`Objective::hvp_at`].
pub type HvpAt<'s> = Box<dyn FnMut(&[C64]) -> Result<Vec<C64>, EvalError> + 's>;

/// A real-valued objective of z ∈ Cᴺ with the conventions of DESIGN.md §1: the gradient is
/// g = 2∂f/∂z̄ and the Hessian acts as v ↦ H v + K conj(v).
///
/// Implement `dim`, `value` and `value_gradient`; add `hvp` for second-order methods.
///
/// ```
/// use wirtinger::cr::{EvalError, Objective};
/// use num_complex::Complex64 as C64;
/// /// f(z) = Σ |zᵢ|⁴: g = 4|z|² z, H = 8|z|²·I (diagonal), K = 4 z² (diagonal).
/// struct Quartic(usize);
/// impl Objective for Quartic {
///     fn dim(&self) -> usize { self.0 }
///     fn value(&self, z: &[C64]) -> Result<f64, EvalError> {
///         Ok(z.iter().map(|x| x.norm_sqr().powi(2)).sum())
///     }
///     fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), EvalError> {
///         Ok((self.value(z)?, z.iter().map(|x| 4.0 * x.norm_sqr() * x).collect()))
///     }
///     fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
///         Ok(z.iter().zip(v).map(|(x, d)| 8.0 * x.norm_sqr() * d + 4.0 * x * x * d.conj()).collect())
///     }
/// }
/// let (h, k) = Quartic(1).hessian(&[C64::new(1.0, 1.0)]).unwrap();
/// assert!((h[(0, 0)] - C64::new(16.0, 0.0)).norm() < 1e-12);
/// assert!((k[(0, 0)] - C64::new(0.0, 8.0)).norm() < 1e-12);
/// ```
pub trait Objective {
    /// Length N of the parameter vector.
    fn dim(&self) -> usize;
    /// For each entry, whether it is a real variable (its imaginary part stays 0).
    fn real_mask(&self) -> Vec<bool> {
        vec![false; self.dim()]
    }
    /// f(z).
    fn value(&self, z: &[C64]) -> Result<f64, EvalError>;
    /// f(z) and g = 2∂f/∂z̄.
    fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), EvalError>;
    /// H v + K conj(v). The default says that no Hessian is available.
    fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        let _ = (z, v);
        Err(EvalError {
            node: 0,
            message: "this objective provides no Hessian (implement Objective::hvp)".into(),
        })
    }
    /// Products v ↦ H v + K conj(v) at one fixed point z, for many directions (the Hessian
    /// operator of trust-region CG). An implementation may evaluate what the products share at
    /// z (the engine: the forward values) once, in the first call, and reuse it. The default
    /// calls [`Objective::hvp`] each time.
    fn hvp_at<'s>(&'s self, z: &[C64]) -> HvpAt<'s> {
        let z = z.to_vec();
        Box::new(move |v: &[C64]| self.hvp(&z, v))
    }
    /// The dense pair (H, K). The default assembles it from 2N calls of [`Objective::hvp`] with
    /// directions eⱼ and i·eⱼ: T₁ = H + K, T₂ = i(H − K).
    fn hessian(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), EvalError> {
        let n = self.dim();
        let real = self.real_mask();
        let i = C64::new(0.0, 1.0);
        let mut h = Mat::<C64>::zeros(n, n);
        let mut k = Mat::<C64>::zeros(n, n);
        for j in 0..n {
            let mut e = vec![C64::new(0.0, 0.0); n];
            e[j] = C64::new(1.0, 0.0);
            let t1 = self.hvp(z, &e)?;
            let t2 = if real.get(j).copied().unwrap_or(false) {
                vec![C64::new(0.0, 0.0); n]
            } else {
                e[j] = i;
                self.hvp(z, &e)?
            };
            for r in 0..n {
                h[(r, j)] = (t1[r] - i * t2[r]) * 0.5;
                k[(r, j)] = (t1[r] + i * t2[r]) * 0.5;
            }
        }
        Ok((h, k))
    }
}

impl Objective for Function {
    fn dim(&self) -> usize {
        Function::dim(self)
    }
    fn real_mask(&self) -> Vec<bool> {
        let mut m = vec![false; Function::dim(self)];
        for v in self.vars() {
            if v.real {
                m[v.offset..v.offset + v.shape.numel()].fill(true);
            }
        }
        m
    }
    fn value(&self, z: &[C64]) -> Result<f64, EvalError> {
        Function::value(self, z)
    }
    fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), EvalError> {
        Function::value_gradient(self, z)
    }
    fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, EvalError> {
        Function::hvp(self, z, v)
    }
    fn hvp_at<'s>(&'s self, z: &[C64]) -> HvpAt<'s> {
        Function::hvp_at(self, z)
    }
    fn hessian(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), EvalError> {
        Function::hessian(self, z)
    }
}

/// H v + K conj(v) for many directions through [`Objective::hvp`] (for user objectives).
pub fn hvp_columns(f: &dyn Objective, z: &[C64], v: &Batch) -> Result<Batch, EvalError> {
    let mut out = Batch::zeros(v.rows, v.k);
    for j in 0..v.k {
        let c = f.hvp(z, v.col(j))?;
        out.data[j * v.rows..(j + 1) * v.rows].copy_from_slice(&c);
    }
    Ok(out)
}
