//! Newton, pseudo-Newton and Gauss–Newton: one `argmin::core::Solver`, [`DampedNewton`], that
//! solves (A + μI) Δ = −g with the Levenberg shift of [`super::system`] and takes an Armijo
//! backtracking step along Δ.
//!
//! - **Newton** (`newton`): A is the real Hessian, the widely-linear pair (H, K) in the
//!   coordinates of [`super::system`] (H Δ + K conj(Δ) = −g, DESIGN.md §1). Quadratic
//!   convergence near a nondegenerate minimizer, and near minimizers that form a manifold
//!   (global phase) thanks to the shift μ ≈ ‖g‖.
//! - **Pseudo-Newton** (`pseudo_newton`): H Δ = −g, K dropped (exact only when K = 0); on the
//!   rows and columns of real variables K is kept, so that the real Hessian is used there
//!   (dropping K on a real variable would halve its curvature).
//! - **Gauss–Newton** (`gauss_newton`): for f = ‖r‖², A = 2J_RᵀJ_R where J_R is the real
//!   Jacobian of r from J = ∂r/∂z and J̃ = ∂r/∂z̄ (2JᴴJ when J̃ = 0); dense when the real
//!   dimension is at most [`DENSE_LIMIT`], else conjugate gradients on the normal equations
//!   with products J v + J̃ conj(v) and their adjoints (two engine passes per product).
//!
//! **Line search**: backtracking from α = 1 with the Armijo condition
//! f(z + αΔ) ≤ f(z) + 10⁻⁴ α⟨g, Δ⟩ and safeguarded quadratic interpolation
//! (Nocedal & Wright, §3.1 and §3.5). A failed line search (no decrease down to
//! α‖Δ‖ ≤ ε‖z‖) is a stall, judged by the floating-point test of [`super::termination`].

use super::complex_vec::{norm, re_dot, CVec};
use super::problem::{ComplexProblem, Failure, Shared};
use super::system::{gauss_newton_matrix, NormalOperator, System};
use super::termination::{St, STALLED};
use argmin::core::{Problem, Solver, State, TerminationReason, KV};
use num_complex::Complex64 as C64;

/// Largest real dimension (2n, less real variables' imaginary parts) for dense linear algebra
/// in the least-squares methods.
pub const DENSE_LIMIT: usize = 2000;

/// Which model matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// (H, K).
    Newton,
    /// H only (K kept for real variables).
    PseudoNewton,
    /// 2J_RᵀJ_R.
    GaussNewton,
}

/// The damped (Levenberg-shifted) Newton-type method with backtracking.
#[derive(Clone, Debug)]
pub struct DampedNewton {
    /// The model matrix.
    pub model: Model,
    /// Use conjugate gradients instead of dense factorizations (Gauss–Newton only).
    pub matrix_free: bool,
}

/// The shared state behind argmin's problem wrapper.
pub(crate) fn shared_of<'s, 'a>(
    problem: &Problem<ComplexProblem<'s, 'a>>,
) -> Result<&'s Shared<'a>, argmin::core::Error> {
    problem
        .problem
        .as_ref()
        .map(|p| p.shared)
        .ok_or_else(|| argmin::core::Error::msg("the problem is not available"))
}

pub(crate) fn fail(e: Failure) -> argmin::core::Error {
    argmin::core::Error::new(e)
}

/// The next Levenberg shift: μ₁ = max(10⁻¹⁰s, min(‖g‖, 10⁻³s)) after 0, then ×10.
pub(crate) fn next_shift(mu: f64, s: f64, gnorm: f64) -> f64 {
    if mu == 0.0 {
        (1e-10 * s).max(gnorm.min(1e-3 * s))
    } else {
        10.0 * mu
    }
}

/// Largest shift tried, relative to the scale s of the matrix.
pub(crate) const MAX_SHIFT: f64 = 1e20;

pub(crate) fn add_scaled(x: &[C64], a: f64, d: &[C64]) -> Vec<C64> {
    x.iter().zip(d).map(|(x, d)| x + d * a).collect()
}

/// Armijo backtracking along d from z; Some((z_new, f_new)) on success.
pub(crate) fn backtrack(
    shared: &Shared<'_>,
    z: &[C64],
    f: f64,
    g: &[C64],
    d: &[C64],
) -> Option<(Vec<C64>, f64)> {
    let slope = re_dot(g, d);
    if slope >= 0.0 || !slope.is_finite() {
        return None;
    }
    let dn = norm(d);
    let zn = norm(z);
    let gn = norm(g);
    let mut alpha = 1.0;
    for _ in 0..60 {
        let zt = add_scaled(z, alpha, d);
        let (ft, gt) = match shared.value_gradient(&zt) {
            Ok((v, gt)) => (v, norm(&gt)),
            Err(_) => (f64::INFINITY, f64::INFINITY),
        };
        if ft.is_finite() && ft <= f + 1e-4 * alpha * slope {
            return Some((zt, ft));
        }
        if alpha == 1.0 && within_noise(f, ft) && gt < gn {
            return Some((zt, ft));
        }
        if alpha * dn <= f64::EPSILON * zn.max(f64::MIN_POSITIVE) {
            return None;
        }
        // Minimizer of the quadratic through f, slope and ft, kept in [0.1α, 0.5α].
        let q = if ft.is_finite() {
            -slope * alpha * alpha / (2.0 * (ft - f - slope * alpha))
        } else {
            0.1 * alpha
        };
        alpha = q.clamp(0.1 * alpha, 0.5 * alpha);
    }
    None
}

/// Whether f(z + Δ) − f(z) is within the rounding error of f, taken as 10³·ε·|f| (plus the
/// smallest normal number): near a minimizer the decrease predicted by a Newton-type model,
/// ½⟨g, A⁻¹g⟩, falls below the rounding error of f long before ‖g‖ reaches its own noise floor,
/// so f can no longer tell a good step from a bad one. There a full step is accepted when it
/// reduces ‖g‖ (the idea of the approximate Wolfe conditions of Hager & Zhang, SIAM J. Optim.
/// 16(1), 2005, §4, which allow f to rise by ε|f|).
pub(crate) fn within_noise(f: f64, ft: f64) -> bool {
    ft.is_finite() && (ft - f).abs() <= 1e3 * f64::EPSILON * f.abs() + f64::MIN_POSITIVE
}

impl DampedNewton {
    fn system(&self, shared: &Shared<'_>, z: &[C64]) -> Result<System, Failure> {
        match self.model {
            Model::Newton | Model::PseudoNewton => {
                let (h, k) = shared.hessian(z)?;
                Ok(System::from_pair(
                    h,
                    k,
                    &shared.mask,
                    self.model == Model::PseudoNewton,
                ))
            }
            Model::GaussNewton => {
                let (j, jt) = shared.jacobians(z)?;
                Ok(gauss_newton_matrix(&j, &jt, &shared.mask))
            }
        }
    }

    /// The search direction, or None when no shift up to the limit gives one.
    fn direction(
        &self,
        shared: &Shared<'_>,
        z: &[C64],
        f: f64,
        g: &[C64],
    ) -> Result<Option<Vec<C64>>, Failure> {
        let gn = norm(g);
        if self.matrix_free {
            let op = NormalOperator {
                shared,
                z: z.to_vec(),
            };
            let eta = (gn / f.abs().max(1.0)).sqrt().min(0.1);
            let mut d = op.cg(g, 0.0, eta, g.len().clamp(1, 500))?;
            shared.project(&mut d);
            return Ok(Some(d));
        }
        let sys = self.system(shared, z)?;
        let s = sys.scale();
        let mut mu = 0.0;
        while mu <= MAX_SHIFT * s && mu.is_finite() {
            if let Some(mut d) = sys.solve_shifted(g, mu) {
                shared.project(&mut d);
                if re_dot(g, &d) < 0.0 {
                    return Ok(Some(d));
                }
            }
            mu = next_shift(mu, s, gn);
        }
        // A shift range beyond f64 (the Hessian's scale near overflow) is a numerical fault.
        (MAX_SHIFT * s)
            .is_finite()
            .then_some(None)
            .ok_or(Failure::NonFinite("Levenberg shift"))
    }
}

impl<'s, 'a> Solver<ComplexProblem<'s, 'a>, St<CVec>> for DampedNewton {
    fn name(&self) -> &str {
        match self.model {
            Model::Newton => "newton",
            Model::PseudoNewton => "pseudo_newton",
            Model::GaussNewton => "gauss_newton",
        }
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<ComplexProblem<'s, 'a>>,
        mut state: St<CVec>,
    ) -> Result<(St<CVec>, Option<KV>), argmin::core::Error> {
        let shared = shared_of(problem)?;
        let z = state
            .take_param()
            .ok_or_else(|| argmin::core::Error::msg("no current point"))?;
        let (f, g) = shared.value_gradient(&z.0).map_err(fail)?;
        let Some(d) = self.direction(shared, &z.0, f, &g).map_err(fail)? else {
            let msg = format!("{STALLED}no positive definite shift of the model matrix");
            return Ok((
                state
                    .param(z)
                    .terminate_with(TerminationReason::SolverExit(msg)),
                None,
            ));
        };
        match backtrack(shared, &z.0, f, &g, &d) {
            Some((zn, fnew)) => Ok((state.param(CVec(zn)).cost(fnew), None)),
            None => {
                let msg = format!(
                    "{STALLED}the line search found no decrease along the Newton direction"
                );
                Ok((
                    state
                        .param(z)
                        .terminate_with(TerminationReason::SolverExit(msg)),
                    None,
                ))
            }
        }
    }
}
