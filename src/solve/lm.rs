//! Levenberg–Marquardt (`levenberg_marquardt`, alias `lm`) for f = ‖r‖², with Nielsen's damping
//! update.
//!
//! Each iteration solves (A + μI) h = −g with A = 2J_RᵀJ_R the Gauss–Newton matrix (see
//! [`super::system`]: complex 2JᴴJ when J̃ = 0, else the real embedding; conjugate gradients on
//! the normal equations when the real dimension exceeds [`super::newton::DENSE_LIMIT`]) and
//! compares the actual decrease with the one predicted by the model
//! m(h) = f + ⟨g, h⟩ + ½hᵀAh:
//!
//! ```text
//!     ρ = (f(z) − f(z + h)) / (f − m(h)),     f − m(h) = ½ hᵀ(μh − g).
//! ```
//!
//! ρ > 0: accept, μ ← μ · max(1/3, 1 − (2ρ − 1)³), ν ← 2; else μ ← μν, ν ← 2ν and solve again
//! (H. B. Nielsen, "Damping parameter in Marquardt's method", IMM-REP-1999-05, DTU; Madsen,
//! Nielsen & Tingleff, *Methods for Non-Linear Least Squares Problems*, 2004, Alg. 3.16). The
//! first μ is τ · maxᵢ Aᵢᵢ with τ = 10⁻³. Identity damping (Levenberg's) keeps the step well
//! defined when A is singular along gauge directions (the global phase of phase retrieval).
//! An iteration is one accepted step (rejected trials reuse the Jacobian); more than
//! [`MAX_REJECTIONS`] consecutive rejections, or μ beyond 10²⁰·maxᵢAᵢᵢ, is a stall.

use super::complex_vec::{norm, re_dot, CVec};
use super::newton::{add_scaled, fail, shared_of, within_noise, DENSE_LIMIT, MAX_SHIFT};
use super::problem::{ComplexProblem, Failure, Shared};
use super::system::{gauss_newton_matrix, NormalOperator, System};
use super::termination::{St, STALLED};
use argmin::core::{Problem, Solver, State, TerminationReason, KV};
use num_complex::Complex64 as C64;

/// Consecutive rejected trials that end the solve as a stall.
pub const MAX_REJECTIONS: u32 = 40;

/// Levenberg–Marquardt with Nielsen's update.
#[derive(Clone, Debug)]
pub struct LevenbergMarquardt {
    /// Conjugate gradients instead of dense factorizations.
    pub matrix_free: bool,
    /// τ for the first μ.
    pub tau: f64,
    mu: Option<f64>,
    nu: f64,
}

impl LevenbergMarquardt {
    /// With τ = 10⁻³.
    pub fn new(matrix_free: bool) -> LevenbergMarquardt {
        LevenbergMarquardt {
            matrix_free,
            tau: 1e-3,
            mu: None,
            nu: 2.0,
        }
    }
}

/// Dense or matrix-free model matrix.
enum Model<'s, 'a> {
    Dense(System),
    Free(NormalOperator<'s, 'a>),
}

impl Model<'_, '_> {
    /// maxᵢ Aᵢᵢ for a dense A; for the operator, the caller uses a Rayleigh quotient.
    fn scale(&self) -> f64 {
        match self {
            Model::Dense(s) => s.scale(),
            Model::Free(_) => 1.0,
        }
    }
    fn solve(&self, g: &[C64], mu: f64, eta: f64) -> Result<Option<Vec<C64>>, Failure> {
        match self {
            Model::Dense(s) => Ok(s.solve_shifted(g, mu)),
            Model::Free(op) => op.cg(g, mu, eta, g.len().clamp(1, 500)).map(Some),
        }
    }
}

pub(crate) fn use_matrix_free(shared: &Shared<'_>) -> bool {
    let p = shared
        .mask
        .iter()
        .map(|&m| if m { 1 } else { 2 })
        .sum::<usize>();
    p > DENSE_LIMIT
}

impl<'s, 'a> Solver<ComplexProblem<'s, 'a>, St<CVec>> for LevenbergMarquardt {
    fn name(&self) -> &str {
        "levenberg_marquardt"
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
        let gn = norm(&g);
        let model = if self.matrix_free {
            Model::Free(NormalOperator {
                shared,
                z: z.0.clone(),
            })
        } else {
            let (j, jt) = shared.jacobians(&z.0).map_err(fail)?;
            Model::Dense(gauss_newton_matrix(&j, &jt, &shared.mask))
        };
        let mut s = model.scale();
        if let Model::Free(op) = &model {
            // Rayleigh quotient of A along g as the scale.
            let ag = op.apply(&g).map_err(fail)?;
            let q = re_dot(&g, &ag) / re_dot(&g, &g).max(f64::MIN_POSITIVE);
            if q.is_finite() && q > 0.0 {
                s = q;
            }
        }
        let mut mu = self.mu.unwrap_or(self.tau * s);
        let eta = (gn / f.abs().max(1.0)).sqrt().min(0.1);
        let zn = norm(&z.0);
        for _ in 0..MAX_REJECTIONS {
            if mu > MAX_SHIFT * s || !mu.is_finite() {
                break;
            }
            let Some(mut h) = model.solve(&g, mu, eta).map_err(fail)? else {
                mu *= self.nu;
                self.nu *= 2.0;
                continue;
            };
            shared.project(&mut h);
            let hn = norm(&h);
            if hn <= f64::EPSILON * zn.max(f64::MIN_POSITIVE) {
                break;
            }
            let pred = 0.5 * (mu * re_dot(&h, &h) - re_dot(&h, &g));
            let zt = add_scaled(&z.0, 1.0, &h);
            let (ft, gt) = match shared.value_gradient(&zt) {
                Ok((v, gt)) => (v, norm(&gt)),
                Err(_) => (f64::INFINITY, f64::INFINITY),
            };
            if within_noise(f, ft) && gt < gn && !(pred > 0.0 && f - ft > 0.0) {
                // At the rounding level of f: accept a step that reduces ‖g‖ (see
                // `newton::within_noise`), keeping μ.
                self.mu = Some(mu);
                return Ok((state.param(CVec(zt)).cost(ft), None));
            }
            let rho = if pred > 0.0 && ft.is_finite() {
                (f - ft) / pred
            } else {
                -1.0
            };
            if rho > 0.0 {
                let t = 2.0 * rho - 1.0;
                mu *= (1.0 / 3.0f64).max(1.0 - t * t * t);
                self.nu = 2.0;
                self.mu = Some(mu);
                return Ok((state.param(CVec(zt)).cost(ft), None));
            }
            mu *= self.nu;
            self.nu *= 2.0;
        }
        self.mu = Some(mu);
        let msg = format!("{STALLED}no damping gives a decrease (μ = {mu:.3e})");
        Ok((
            state
                .param(z)
                .terminate_with(TerminationReason::SolverExit(msg)),
            None,
        ))
    }
}
