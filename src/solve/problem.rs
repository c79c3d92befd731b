//! The adapter from an [`Objective`] to argmin's `CostFunction`/`Gradient`, with real-variable
//! projection, a one-point cache and evaluation counting.
//!
//! - **Real variables** (`real_mask`): their imaginary parts are held at 0, so the gradient's
//!   imaginary parts there are dropped (the gradient of f restricted to the real subspace is the
//!   orthogonal projection of g under ⟨a, b⟩ = Re(aᴴb)). Every search direction built from
//!   projected gradients stays in the subspace.
//! - **Cache**: argmin's line searches and solvers ask for the cost and the gradient at the same
//!   point in separate calls (and L-BFGS and steepest descent re-ask for the point the line search
//!   accepted). The adapter computes value and gradient together and remembers the last point,
//!   so a repeated request costs nothing and the counts in [`Evaluations`] are real work.
//! - **Failures**: a failed evaluation or a non-finite gradient is an error ([`Failure`]); a
//!   non-finite *value* is reported as +∞ so that line searches back off from it.

use super::complex_vec::CVec;
use super::report::Evaluations;
use crate::cr::{EvalError, HvpAt, LeastSquares, Objective};
use argmin::core::{CostFunction, Gradient};
use faer::Mat;
use num_complex::Complex64 as C64;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Why an evaluation could not be used.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Failure {
    /// The engine refused the point.
    #[error("evaluation failed: {}", .0.message)]
    Eval(EvalError),
    /// A value, gradient or derivative came out NaN or infinite.
    #[error("non-finite {0}")]
    NonFinite(&'static str),
}

impl From<EvalError> for Failure {
    fn from(e: EvalError) -> Failure {
        Failure::Eval(e)
    }
}

/// The last point evaluated: z, f(z), projected g(z).
type Cached = (Vec<C64>, f64, Vec<C64>);

/// State shared by every adapter of one solve: the objective, the least-squares view, the mask,
/// the counts and the cache. Adapters hold a reference to it, so the counts survive argmin moving
/// (and, on line-search errors, dropping) the problem.
pub struct Shared<'a> {
    /// The objective (minimization form).
    pub f: &'a dyn Objective,
    /// Its least-squares structure, when the method uses it.
    pub ls: Option<&'a LeastSquares>,
    /// True for entries of real variables.
    pub mask: Vec<bool>,
    counts: Cell<Evaluations>,
    cache: RefCell<Option<Cached>>,
    /// Evaluations that gave a non-finite value, gradient or product, or failed.
    nonfinite: Cell<u64>,
}

/// Whether every entry is finite and so is Σ|vᵢ|²: the solvers (argmin's among them) take
/// inner products of gradients and Hessian–vector products, so a vector whose squared norm
/// overflows (entries beyond ~1e154) would turn into ∞ − ∞ = NaN inside them; it is treated
/// as non-finite here, where the fault can be reported.
fn all_finite(v: &[C64]) -> bool {
    v.iter().map(|x| x.norm_sqr()).sum::<f64>().is_finite()
}

impl<'a> Shared<'a> {
    /// Wraps an objective.
    pub fn new(f: &'a dyn Objective, ls: Option<&'a LeastSquares>) -> Shared<'a> {
        let mut mask = f.real_mask();
        mask.resize(f.dim(), false);
        Shared {
            f,
            ls,
            mask,
            counts: Cell::new(Evaluations::default()),
            cache: RefCell::new(None),
            nonfinite: Cell::new(0),
        }
    }
    /// Whether any entry is a real variable.
    pub fn any_real(&self) -> bool {
        self.mask.iter().any(|&m| m)
    }
    /// The counts so far.
    pub fn counts(&self) -> Evaluations {
        self.counts.get()
    }
    fn count(&self, f: impl FnOnce(&mut Evaluations)) {
        let mut c = self.counts.get();
        f(&mut c);
        self.counts.set(c);
    }
    fn fault(&self) {
        self.nonfinite.set(self.nonfinite.get() + 1);
    }
    /// Evaluations so far that gave a non-finite value, gradient or Hessian–vector product,
    /// residual or Jacobian, or that the engine refused.
    pub fn nonfinite_evaluations(&self) -> u64 {
        self.nonfinite.get()
    }
    /// Zeroes the imaginary parts of real entries.
    pub fn project(&self, v: &mut [C64]) {
        for (x, &m) in v.iter_mut().zip(&self.mask) {
            if m {
                x.im = 0.0;
            }
        }
    }
    /// f(z) and the projected gradient, from the cache when z is the last point asked for.
    /// The value may be non-finite; the gradient is finite whenever the value is.
    pub fn value_gradient(&self, z: &[C64]) -> Result<(f64, Vec<C64>), Failure> {
        self.value_gradient_with(z, |v, g| (v, g.to_vec()))
    }
    /// [`Shared::value_gradient`], with the value and gradient lent to `take` instead of
    /// copied out: argmin asks for the cost and then for the gradient at the same point, and a
    /// copy of the gradient for the cost alone was one allocation and 2 KiB copied per
    /// evaluation at n = 128. `take` must not call back into `self`.
    pub fn value_gradient_with<R>(
        &self,
        z: &[C64],
        take: impl FnOnce(f64, &[C64]) -> R,
    ) -> Result<R, Failure> {
        if let Some((cz, v, g)) = self.cache.borrow().as_ref() {
            if cz.as_slice() == z {
                return Ok(take(*v, g));
            }
        }
        self.count(|c| {
            c.value += 1;
            c.gradient += 1;
        });
        // A trial point that is itself infinite or NaN (a line search extrapolating without
        // bound) is the method's failure, not the objective's: it is not counted as a fault.
        let finite_point = z.iter().all(|x| x.re.is_finite() && x.im.is_finite());
        let fault = || {
            if finite_point {
                self.fault();
            }
        };
        let (v, mut g) = self.f.value_gradient(z).inspect_err(|_| fault())?;
        self.project(&mut g);
        if !v.is_finite() {
            fault();
        } else if !all_finite(&g) {
            fault();
            return Err(Failure::NonFinite("gradient"));
        }
        let mut cache = self.cache.borrow_mut();
        let (cz, cv, cg) = cache.get_or_insert_with(|| (Vec::new(), 0.0, Vec::new()));
        cz.clear();
        cz.extend_from_slice(z);
        *cv = v;
        *cg = g;
        Ok(take(v, cg))
    }
    /// The noise level of computed values of f at z ([`super::noise::estimate`]); its
    /// evaluations are counted as values.
    pub fn value_noise(&self, z: &[C64]) -> Option<f64> {
        super::noise::estimate(z, &self.mask, |w| {
            self.count(|c| c.value += 1);
            self.f.value(w).ok().filter(|v| v.is_finite())
        })
    }
    /// The dense pair (H, K) at z.
    pub fn hessian(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), Failure> {
        self.count(|c| c.hessian += 1);
        let (h, k) = self.f.hessian(z)?;
        if !(h.as_ref().is_all_finite() && k.as_ref().is_all_finite()) {
            return Err(Failure::NonFinite("Hessian"));
        }
        Ok((h, k))
    }
    /// H v + K conj(v) at z (v projected first, the result projected).
    pub fn hvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, Failure> {
        self.hvp_by(v, |v| self.f.hvp(z, v))
    }
    /// One Hessian–vector product computed by `product`, counted, projected and checked.
    fn hvp_by(
        &self,
        v: &[C64],
        product: impl FnOnce(&[C64]) -> Result<Vec<C64>, EvalError>,
    ) -> Result<Vec<C64>, Failure> {
        self.count(|c| c.hvp += 1);
        let mut v = v.to_vec();
        self.project(&mut v);
        let mut w = product(&v).inspect_err(|_| self.fault())?;
        self.project(&mut w);
        if !all_finite(&w) {
            self.fault();
            return Err(Failure::NonFinite("Hessian–vector product"));
        }
        Ok(w)
    }
    fn ls(&self) -> Result<&'a LeastSquares, Failure> {
        self.ls.ok_or(Failure::Eval(EvalError {
            node: 0,
            message: "the objective has no least-squares structure".into(),
        }))
    }
    /// The stacked residual r(z), f = ‖r‖².
    pub fn residual(&self, z: &[C64]) -> Result<Vec<C64>, Failure> {
        self.count(|c| c.residual += 1);
        let r = self.ls()?.residual(z).inspect_err(|_| self.fault())?;
        if !all_finite(&r) {
            self.fault();
            return Err(Failure::NonFinite("residual"));
        }
        Ok(r)
    }
    /// Dense (J, J̃) at z.
    pub fn jacobians(&self, z: &[C64]) -> Result<(Mat<C64>, Mat<C64>), Failure> {
        self.count(|c| c.jacobian += 1);
        let (j, jt) = self.ls()?.jacobians(z).inspect_err(|_| self.fault())?;
        if !(j.as_ref().is_all_finite() && jt.as_ref().is_all_finite()) {
            self.fault();
            return Err(Failure::NonFinite("Jacobian"));
        }
        Ok((j, jt))
    }
    /// dr = J v + J̃ conj(v) (v projected first).
    pub fn jvp(&self, z: &[C64], v: &[C64]) -> Result<Vec<C64>, Failure> {
        self.count(|c| c.jvp += 1);
        let mut v = v.to_vec();
        self.project(&mut v);
        let b = crate::cr::Batch {
            rows: v.len(),
            k: 1,
            data: v,
        };
        Ok(self.ls()?.jvp(z, &b)?.data)
    }
    /// The real adjoint Jᴴu + J̃ᵀ conj(u), projected.
    pub fn vjp(&self, z: &[C64], u: &[C64]) -> Result<Vec<C64>, Failure> {
        self.count(|c| c.jvp += 1);
        let mut w = self.ls()?.vjp(z, u)?;
        self.project(&mut w);
        Ok(w)
    }
}

/// argmin's view of the objective on complex parameters ([`CVec`]).
#[derive(Clone, Copy)]
pub struct ComplexProblem<'s, 'a> {
    /// The shared state.
    pub shared: &'s Shared<'a>,
}

fn to_argmin(e: Failure) -> argmin::core::Error {
    argmin::core::Error::new(e)
}

impl CostFunction for ComplexProblem<'_, '_> {
    type Param = CVec;
    type Output = f64;
    fn cost(&self, p: &CVec) -> Result<f64, argmin::core::Error> {
        let v = self
            .shared
            .value_gradient_with(&p.0, |v, _| v)
            .map_err(to_argmin)?;
        Ok(if v.is_finite() { v } else { f64::INFINITY })
    }
}

impl Gradient for ComplexProblem<'_, '_> {
    type Param = CVec;
    type Gradient = CVec;
    fn gradient(&self, p: &CVec) -> Result<CVec, argmin::core::Error> {
        let (v, g) = self
            .shared
            .value_gradient_with(&p.0, |v, g| (v, CVec::from_slice(g)))
            .map_err(to_argmin)?;
        if !v.is_finite() {
            return Err(to_argmin(Failure::NonFinite("value")));
        }
        Ok(g)
    }
}

/// argmin's view of the objective on the real embedding: `Vec<f64>` = [x; y] of length 2N
/// (the y of real variables is held at 0 by the projected gradient).
#[derive(Clone, Copy)]
pub struct RealProblem<'s, 'a> {
    /// The shared state.
    pub shared: &'s Shared<'a>,
}

/// [x; y] → x + iy.
pub fn from_real(p: &[f64]) -> Vec<C64> {
    let n = p.len() / 2;
    (0..n).map(|i| C64::new(p[i], p[n + i])).collect()
}

/// x + iy → [x; y].
pub fn to_real(z: &[C64]) -> Vec<f64> {
    z.iter()
        .map(|c| c.re)
        .chain(z.iter().map(|c| c.im))
        .collect()
}

impl CostFunction for RealProblem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        let v = self
            .shared
            .value_gradient_with(&from_real(p), |v, _| v)
            .map_err(to_argmin)?;
        Ok(if v.is_finite() { v } else { f64::INFINITY })
    }
}

impl Gradient for RealProblem<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        let (v, g) = self
            .shared
            .value_gradient_with(&from_real(p), |v, g| (v, to_real(g)))
            .map_err(to_argmin)?;
        if !v.is_finite() {
            return Err(to_argmin(Failure::NonFinite("value")));
        }
        Ok(g)
    }
}

/// The exact Hessian of the real embedding [x; y] (2N × 2N, row-major for argmin's `vec`
/// backend), from the pair (H, K): a unit step in x_j changes g by (H + K)e_j, a unit step in
/// y_j by i(H − K)e_j; row x_i takes the real part, row y_i the imaginary part (DESIGN.md §1).
/// The y-coordinates of real variables get zero rows and columns (their gradient is projected
/// to 0), and the matrix is symmetrized against rounding.
impl argmin::core::Hessian for RealProblem<'_, '_> {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, p: &Vec<f64>) -> Result<Vec<Vec<f64>>, argmin::core::Error> {
        let z = from_real(p);
        let (h, k) = self.shared.hessian(&z).map_err(to_argmin)?;
        let n = z.len();
        let mask = &self.shared.mask;
        let i = C64::new(0.0, 1.0);
        let entry = |a: usize, b: usize| -> f64 {
            let (ai, aim) = (a % n, a >= n);
            let (bi, bim) = (b % n, b >= n);
            if (aim && mask[ai]) || (bim && mask[bi]) {
                return 0.0;
            }
            let col = if bim {
                i * (h[(ai, bi)] - k[(ai, bi)])
            } else {
                h[(ai, bi)] + k[(ai, bi)]
            };
            if aim {
                col.im
            } else {
                col.re
            }
        };
        let m = 2 * n;
        // Row a, column b: the symmetrized entry (rounding makes H ± K only nearly symmetric).
        let out = (0..m)
            .map(|a| (0..m).map(|b| 0.5 * (entry(a, b) + entry(b, a))).collect())
            .collect();
        Ok(out)
    }
}

/// The Hessian of the complex problem as an operator v ↦ H v + K conj(v) at one point, for
/// argmin's Newton–CG and Steihaug trust region (which only multiply by the Hessian): each
/// product is one tangent pass of the engine, no matrix is formed. The operator holds one
/// [`Objective::hvp_at`] for its point, so the engine's forward values at that point are
/// computed once and shared by every product of the CG (and by argmin's clones of the
/// operator): on phase retrieval (n = 64, m = 6n) 50 products take 0.62× the time of 50
/// independent `hvp` calls (`cargo bench --bench trust_region`).
#[derive(Clone)]
pub struct HessianOperator<'s, 'a> {
    shared: &'s Shared<'a>,
    op: Rc<RefCell<HvpAt<'a>>>,
}

impl argmin_math::ArgminDot<CVec, CVec> for HessianOperator<'_, '_> {
    fn dot(&self, v: &CVec) -> CVec {
        // argmin's trait cannot return an error. A failed or non-finite product (counted as a
        // fault by `Shared::hvp`) becomes 0, i.e. no curvature information: Steihaug then steps
        // to the boundary along its current direction, the trial's value decides, and a stall
        // after the fault ends `numerical_error` (see `termination`). A NaN here would instead
        // reach argmin's Steihaug, whose step-length sort unwraps a NaN comparison and panics.
        let mut op = self.op.borrow_mut();
        CVec(
            self.shared
                .hvp_by(&v.0, |v| (*op)(v))
                .unwrap_or_else(|_| vec![C64::new(0.0, 0.0); v.0.len()]),
        )
    }
}

impl<'s, 'a> argmin::core::Hessian for ComplexProblem<'s, 'a> {
    type Param = CVec;
    type Hessian = HessianOperator<'s, 'a>;
    fn hessian(&self, p: &CVec) -> Result<HessianOperator<'s, 'a>, argmin::core::Error> {
        Ok(HessianOperator {
            shared: self.shared,
            op: Rc::new(RefCell::new(self.shared.f.hvp_at(&p.0))),
        })
    }
}

fn curvature_of(shared: &Shared<'_>, z: &[C64], d: &[C64]) -> Option<f64> {
    let mut d = d.to_vec();
    shared.project(&mut d);
    let dd = super::complex_vec::re_dot(&d, &d);
    if dd == 0.0 || !dd.is_finite() {
        return None;
    }
    let w = shared.hvp(z, &d).ok()?;
    let c = super::complex_vec::re_dot(&d, &w) / dd;
    c.is_finite().then_some(c)
}

/// Re(dᴴ(H d + K conj d))/‖d‖²: one Hessian–vector product.
impl super::termination::Probe<CVec> for ComplexProblem<'_, '_> {
    fn curvature_along(&self, x: &CVec, d: &CVec) -> Option<f64> {
        curvature_of(self.shared, &x.0, &d.0)
    }
    fn nonfinite_evaluations(&self) -> u64 {
        self.shared.nonfinite.get()
    }
    fn value_noise(&self, x: &CVec) -> Option<f64> {
        self.shared.value_noise(&x.0)
    }
}

/// dᵀ∇²f d/‖d‖² on the real embedding (the same number as for the complex parameters, since
/// ⟨a, b⟩ = Re(aᴴb) is the real dot product of the embeddings).
impl super::termination::Probe<Vec<f64>> for RealProblem<'_, '_> {
    fn curvature_along(&self, x: &Vec<f64>, d: &Vec<f64>) -> Option<f64> {
        curvature_of(self.shared, &from_real(x), &from_real(d))
    }
    fn nonfinite_evaluations(&self) -> u64 {
        self.shared.nonfinite.get()
    }
    fn value_noise(&self, x: &Vec<f64>) -> Option<f64> {
        self.shared.value_noise(&from_real(x))
    }
}
