//! Termination (contract §5), shared by every method: a wrapper [`Driven`] around a method's
//! `argmin::core::Solver` that runs under argmin's `Executor`, tests optimality, detects stalls
//! and non-finite values, enforces the time limit, records the history and calls the observer.
//!
//! # The optimality test of the smooth methods
//!
//! With f the objective (minimization form) and g = 2∂f/∂z̄ its gradient,
//!
//! ```text
//!     ‖g‖ ≤ tol · max(1, |f|)                                         (1)
//! ```
//!
//! (relative to the objective's scale; absolute when |f| ≤ 1). `tol = 0` disables the test:
//! the solve ends only at `max_iter`, the time limit, a stall or a numerical error.
//!
//! **Floating-point limit.** A method *stalls* when it cannot decrease f any more: its line
//! search fails, its damping grows without a decrease, f has not decreased in
//! [`STALL_WINDOW`] consecutive iterations below its best value so far (at the rounding level
//! of f, a fall of ‖g‖ below its smallest value so far by a relative 10⁻⁶ counts as progress
//! too; a cycle between two points is none), or the step is below ε‖z‖. Along a descent
//! direction d, f(z + αd) − f(z) ≈ α⟨g, d⟩ < 0, so a stall means the predicted decrease is
//! below the rounding error of f: the gradient is at the noise floor of the evaluation. A stall
//! with
//!
//! ```text
//!     ‖g‖ ≤ max(tol, √ε) · max(1, |f|)                                 (2)
//! ```
//!
//! (ε = 2⁻⁵² the machine epsilon, √ε ≈ 1.5·10⁻⁸), or with
//!
//! ```text
//!     ‖g‖² ≤ 2 L̂ · 10ε|f|                                              (3)
//! ```
//!
//! where L̂ = ‖g_k − g_{k−1}‖/‖z_k − z_{k−1}‖ is the curvature seen on the last step (the best
//! decrease any step along −g can make is about ‖g‖²/(2L̂); (3) says that it is below the
//! rounding error of f, so no method driven by values of f can tell progress from noise), or
//! with (3) where the rounding error 10ε|f| is replaced by [`NOISE_MULTIPLE`]·σ, σ the noise
//! of f measured at the point by ECnoise ([`super::noise`], about 8 extra values, taken only
//! when the stall fails the other tests: an evaluation that cancels is noisier than ε|f|), is
//! therefore a converged answer at the limit of floating-point precision and ends `optimal`
//! (with a message saying so); a stall farther from stationarity ends `stalled`. With `tol = 0`
//! a stall always ends `stalled`.
//!
//! **Trust regions.** A trust-region method stalls when [`MAX_REJECTIONS`] consecutive steps are
//! rejected, the radius shrinking at least fourfold each time. For these stalls L̂ in (3) is the
//! curvature along the gradient, c_g = ⟨g, ∇²f g⟩/‖g‖² (one Hessian–vector product, see
//! `Curvature`), not the curvature of the last accepted step: once the radius r is below
//! ‖g‖/c_g, Steihaug's first CG step already reaches the boundary along −g, so the trial step is
//! −r g/‖g‖ with predicted decrease r‖g‖ − ½r²c_g ≥ ½r‖g‖, and a smooth f realizes it to first
//! order (ρ → 1). The radius passed through every scale down to 4⁻⁶⁰ of its size and every
//! trial was rejected (ρ < 1/8), so the decrease at r ≈ ‖g‖/c_g, about ‖g‖²/(2c_g), was not
//! distinguishable from the rounding error of f: that is test (3) with L̂ = c_g. (A step of the
//! last accepted kind, typically along the flattest directions, says little about −g; on the
//! Rayleigh quotient its L̂ is orders of magnitude below c_g.) When c_g ≤ 0 (negative curvature
//! along −g) the test does not apply.
//!
//! **Non-finite values.** A NaN or infinite value or gradient at an accepted point, or an
//! evaluation the engine refuses, ends `numerical_error` with the last finite iterate. So does
//! a stall that fails the floating-point tests above when some trial point since the last
//! accepted iterate gave a non-finite value, gradient or Hessian–vector product (overflow or
//! log 0 along the path, counted by [`Probe::nonfinite_evaluations`]): the method backed off
//! from the fault until it could not move, which is a numerical fault, not a stall (e.g. a
//! line search that met only non-finite values). A stall that passes them is `optimal` even
//! then: the answer is converged, whatever lies farther along the search direction.

use super::report::{HistoryEntry, IterationInfo, Status};
use super::{CVec, Failure};
use argmin::core::{
    CostFunction, Gradient, IterState, Problem, Solver, State, TerminationReason,
    TerminationStatus, KV,
};
use num_complex::Complex64 as C64;
use std::time::{Duration, Instant};

/// The relative decrease of ‖g‖ that counts as progress while f is at its rounding level (far
/// above the rounding noise of ‖g‖, far below any useful linear rate).
const GRADIENT_PROGRESS: f64 = 1e-6;

/// How many noise levels σ of f (measured by [`super::noise`]) a decrease must stay below to be
/// invisible to a method driven by values of f, in test (3).
pub const NOISE_MULTIPLE: f64 = 10.0;

/// Iterations without a decrease of f after which a method has stalled.
pub const STALL_WINDOW: u32 = 3;

/// Consecutive rejected steps (the point does not move) after which a trust-region method has
/// stalled: each rejection shrinks the radius at least fourfold, so 60 of them take it below
/// 10⁻³⁶ of its size.
pub const MAX_REJECTIONS: u32 = 60;

/// The state type of every method here; `H` is the Hessian (or inverse Hessian) type of the
/// second-order argmin solvers, `()` for the others.
pub type St<P, H = ()> = IterState<P, P, (), H, (), f64>;

/// A parameter vector: the complex newtype or the real embedding [x; y].
pub trait Iterate: Clone {
    /// As a complex vector.
    fn to_complex(&self) -> Vec<C64>;
    /// Euclidean norm (of the real embedding).
    fn norm(&self) -> f64;
    /// ‖self − other‖.
    fn dist(&self, other: &Self) -> f64;
}

impl Iterate for CVec {
    fn to_complex(&self) -> Vec<C64> {
        self.0.clone()
    }
    fn norm(&self) -> f64 {
        super::complex_vec::norm(&self.0)
    }
    fn dist(&self, other: &Self) -> f64 {
        super::complex_vec::dist(&self.0, &other.0)
    }
}

impl Iterate for Vec<f64> {
    fn to_complex(&self) -> Vec<C64> {
        super::problem::from_real(self)
    }
    fn norm(&self) -> f64 {
        let plain = self.iter().map(|x| x * x).sum::<f64>();
        if plain.is_normal() || self.iter().all(|x| *x == 0.0) {
            return plain.sqrt();
        }
        super::complex_vec::scaled_norm(self.iter().copied())
    }
    fn dist(&self, other: &Self) -> f64 {
        self.iter()
            .zip(other)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    }
}

/// The tolerance, limits and history size of one solve.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `tol` (0: never stop on tolerance).
    pub tol: f64,
    /// `max_iter`.
    pub max_iter: u64,
    /// Wall-clock limit.
    pub time_limit: Option<Duration>,
    /// Largest number of history entries kept (thinned uniformly beyond it).
    pub history_limit: usize,
}

impl Limits {
    /// Test (1).
    pub fn optimal(&self, f: f64, gnorm: f64) -> bool {
        self.tol > 0.0 && gnorm <= self.tol * f.abs().max(1.0)
    }
    /// Tests (2) and (3), for a stalled method; `curvature` is L̂ (when known), `noise` the
    /// measured noise level σ of f (when measured).
    ///
    /// ```
    /// use wirtinger::solve::termination::Limits;
    /// let l = Limits { tol: 1e-8, max_iter: 100, time_limit: None, history_limit: 100 };
    /// // The MVDR beamformer's L-BFGS stall: f = 0.2617, ‖g‖ = 1.44e-7, L̂ = 13.7. With the
    /// // rounding error taken as 10ε|f| it is not at the floor; with the measured σ it is.
    /// let (f, g, c) = (0.2617, 1.44e-7, Some(13.7));
    /// assert!(!l.at_noise_floor(f, g, c, None));
    /// assert!(l.at_noise_floor(f, g, c, Some(3.5e-16)));
    /// // ‖g‖ within √ε·max(1, |f|) passes on its own (test (2)).
    /// assert!(l.at_noise_floor(f, 1e-8, None, None));
    /// ```
    pub fn at_noise_floor(
        &self,
        f: f64,
        gnorm: f64,
        curvature: Option<f64>,
        noise: Option<f64>,
    ) -> bool {
        if self.tol <= 0.0 {
            return false;
        }
        let by_scale = gnorm <= self.tol.max(f64::EPSILON.sqrt()) * f.abs().max(1.0);
        let rounding = (10.0 * f64::EPSILON * f.abs()).max(NOISE_MULTIPLE * noise.unwrap_or(0.0));
        let by_curvature =
            curvature.is_some_and(|l| l.is_finite() && gnorm * gnorm <= 2.0 * l * rounding);
        by_scale || by_curvature
    }
}

/// A stall reported by a method (as `TerminationReason::SolverExit` with this prefix).
pub const STALLED: &str = "stalled: ";

/// What [`Driven`] asks the problem beyond values and gradients.
pub trait Probe<P> {
    /// The curvature of the objective along a direction at a point, ⟨d, ∇²f(x) d⟩/‖d‖² (the
    /// real Hessian; for complex parameters Re(dᴴ(H d + K conj d))/‖d‖²), or None when no
    /// Hessian–vector product is available or it is not finite. Used by the floating-point
    /// test of trust-region stalls (module docs).
    fn curvature_along(&self, x: &P, d: &P) -> Option<f64>;
    /// How many evaluations so far gave a non-finite value, gradient or Hessian–vector product,
    /// or failed (trial points included): a stall after such an evaluation is a numerical
    /// fault (module docs).
    fn nonfinite_evaluations(&self) -> u64;
    /// The noise level σ of computed values of f at a point (ECnoise, [`super::noise`]), or
    /// None when it cannot be measured. Used by test (3) of stalls.
    fn value_noise(&self, x: &P) -> Option<f64>;
}

/// The wrapper: runs `inner`, decides termination.
pub struct Driven<'o, S, O, P> {
    /// The method.
    pub inner: S,
    /// Its canonical name.
    pub method: &'static str,
    /// Tolerance and limits.
    pub limits: Limits,
    /// A copy of the problem (restored when an argmin solver loses it on a line-search error).
    problem: O,
    start: Instant,
    observer: Option<&'o mut dyn FnMut(&IterationInfo)>,
    /// The history (thinned).
    pub history: Vec<HistoryEntry>,
    stride: u64,
    /// The final status and message, when decided here.
    pub outcome: Option<(Status, String)>,
    /// The last finite iterate: point, value, gradient norm.
    pub last: Option<(P, f64, f64)>,
    no_decrease: u32,
    /// The lowest f and, at its rounding level, the lowest ‖g‖ of the progress test.
    best_f: f64,
    best_gn: f64,
    /// Whether the method may reject steps (trust regions): an unchanged point is then a
    /// rejected step, not a stall.
    rejects_steps: bool,
    rejections: u32,
    iters: u64,
    prev_grad: Option<P>,
    curvature: Option<f64>,
    /// [`Probe::nonfinite_evaluations`] at the last accepted iterate.
    faults_seen: u64,
}

impl<'o, S, O: Probe<P>, P: Iterate> Driven<'o, S, O, P> {
    /// Wraps a method.
    pub fn new(
        inner: S,
        method: &'static str,
        problem: O,
        limits: Limits,
        start: Instant,
        observer: Option<&'o mut dyn FnMut(&IterationInfo)>,
    ) -> Self {
        Driven {
            inner,
            method,
            limits,
            problem,
            start,
            observer,
            history: Vec::new(),
            stride: 1,
            outcome: None,
            last: None,
            no_decrease: 0,
            best_f: f64::INFINITY,
            best_gn: f64::INFINITY,
            rejects_steps: method.ends_with("trust_region"),
            rejections: 0,
            iters: 0,
            prev_grad: None,
            curvature: None,
            faults_seen: 0,
        }
    }

    /// Iterations completed.
    pub fn iterations(&self) -> u64 {
        self.iters
    }

    fn record(&mut self, iter: u64, p: &P, value: f64, gnorm: f64, step: f64) {
        if iter.is_multiple_of(self.stride) {
            self.history.push(HistoryEntry {
                iter,
                value,
                gradient_norm: gnorm,
                step,
            });
            if self.history.len() > self.limits.history_limit.max(2) {
                self.stride *= 2;
                let s = self.stride;
                self.history.retain(|e| e.iter % s == 0);
            }
        }
        if let Some(obs) = self.observer.as_mut() {
            let point = p.to_complex();
            obs(&IterationInfo {
                iter,
                value,
                gradient_norm: gnorm,
                step,
                point: &point,
                elapsed: self.start.elapsed().as_secs_f64(),
                method: self.method,
            });
        }
    }

    /// A state at the last accepted iterate, to end the run with when the method fails: the
    /// method consumed the state it was given, and a copy of it made before each iteration
    /// (six vectors for L-BFGS) would cost more than the rest of the bookkeeping. The report
    /// takes its point from `self.last`; argmin only needs a state to terminate.
    fn last_state<H>(&self) -> St<P, H> {
        match &self.last {
            Some((x, f, _)) => St::new().param(x.clone()).cost(*f),
            None => St::new(),
        }
    }

    fn finish<H>(&mut self, state: St<P, H>, status: Status, msg: String) -> St<P, H> {
        let reason = match status {
            Status::Optimal => TerminationReason::SolverConverged,
            _ => TerminationReason::SolverExit(msg.clone()),
        };
        self.outcome = Some((status, msg));
        state.terminate_with(reason)
    }

    /// The status of a stall at the last point.
    fn stall<H>(&mut self, state: St<P, H>, why: &str) -> St<P, H> {
        let curvature = self.curvature;
        self.stall_with(state, why, curvature)
    }

    /// The status of a stall at the last point, with curvature L̂ for test (3).
    fn stall_with<H>(&mut self, state: St<P, H>, why: &str, curvature: Option<f64>) -> St<P, H> {
        let (f, gn) = self
            .last
            .as_ref()
            .map_or((f64::NAN, f64::NAN), |l| (l.1, l.2));
        let at_floor = self.limits.at_noise_floor(f, gn, curvature, None)
            || curvature.is_some()
                && self.last.as_ref().is_some_and(|(x, ..)| {
                    let noise = self.problem.value_noise(x);
                    self.limits.at_noise_floor(f, gn, curvature, noise)
                });
        if at_floor {
            let msg = format!(
                "converged to floating-point precision (no further decrease possible: {why}; ‖g‖ = {gn:.3e})"
            );
            self.finish(state, Status::Optimal, msg)
        } else if self.problem.nonfinite_evaluations() > self.faults_seen {
            let n = self.problem.nonfinite_evaluations() - self.faults_seen;
            self.finish(
                state,
                Status::NumericalError,
                format!(
                    "non-finite values along the search ({n} trial evaluation{} gave NaN or ∞, \
                     e.g. overflow or log 0) and no finite progress: {why}; the point is the \
                     last finite iterate",
                    if n == 1 { "" } else { "s" }
                ),
            )
        } else {
            self.finish(
                state,
                Status::Stalled,
                format!("no further progress: {why}"),
            )
        }
    }
}

fn failure_of(e: &argmin::core::Error) -> Option<&Failure> {
    e.chain().find_map(|c| c.downcast_ref::<Failure>())
}

fn describe(e: &argmin::core::Error) -> String {
    failure_of(e).map_or_else(|| e.to_string(), |f| f.to_string())
}

impl<O, S, P, H> Solver<O, St<P, H>> for Driven<'_, S, O, P>
where
    O: CostFunction<Param = P, Output = f64> + Gradient<Param = P, Gradient = P> + Probe<P> + Clone,
    S: Solver<O, St<P, H>>,
    P: Iterate,
    H: Clone,
{
    fn name(&self) -> &str {
        self.method
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: St<P, H>,
    ) -> Result<(St<P, H>, Option<KV>), argmin::core::Error> {
        let x0 = state.get_param().cloned();
        let (mut state, kv) = match self.inner.init(problem, state) {
            Ok(r) => r,
            Err(e) => {
                let mut st = St::<P, H>::new();
                if let Some(x) = x0 {
                    st = st.param(x);
                }
                let msg = format!("at the starting point: {e}");
                return Ok((self.finish(st, Status::NumericalError, msg), None));
            }
        };
        if problem.problem.is_none() {
            problem.problem = Some(self.problem.clone());
        }
        let Some(x) = state.get_param().cloned() else {
            return Err(argmin::core::Error::msg("no starting point"));
        };
        let fg = problem
            .cost(&x)
            .and_then(|f| Ok((f, problem.gradient(&x)?)));
        let (f, g) = match fg {
            Ok(r) => r,
            Err(e) => {
                let msg = format!("at the starting point: {}", describe(&e));
                self.last = Some((x, f64::NAN, f64::NAN));
                return Ok((self.finish(state, Status::NumericalError, msg), kv));
            }
        };
        let gn = g.norm();
        self.prev_grad = Some(g.clone());
        state = state.cost(f).gradient(g);
        if !f.is_finite() {
            self.last = Some((x, f, gn));
            let msg = "the objective is not finite at the starting point".to_string();
            return Ok((self.finish(state, Status::NumericalError, msg), kv));
        }
        self.last = Some((x.clone(), f, gn));
        self.faults_seen = self.problem.nonfinite_evaluations();
        self.record(0, &x, f, gn, 0.0);
        if self.limits.optimal(f, gn) {
            let msg = format!("the starting point passes the optimality test (‖g‖ = {gn:.3e})");
            return Ok((self.finish(state, Status::Optimal, msg), kv));
        }
        Ok((state, kv))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: St<P, H>,
    ) -> Result<(St<P, H>, Option<KV>), argmin::core::Error> {
        let result = self.inner.next_iter(problem, state);
        if problem.problem.is_none() {
            problem.problem = Some(self.problem.clone());
        }
        self.iters += 1;
        let iter = self.iters;
        let (mut st, kv) = match result {
            Ok(r) => r,
            Err(e) => {
                return Ok(match failure_of(&e) {
                    Some(f) => {
                        let msg = f.to_string();
                        (
                            self.finish(self.last_state(), Status::NumericalError, msg),
                            None,
                        )
                    }
                    None => (self.stall(self.last_state(), &e.to_string()), None),
                });
            }
        };
        // A method that ended itself (e.g. argmin's L-BFGS after a failed line search) may
        // hand back a state without a point: the last finite iterate stands.
        let inner_exit = match st.get_termination_reason() {
            Some(TerminationReason::SolverExit(m)) => Some(m.clone()),
            _ => None,
        };
        let Some(x) = st.get_param().cloned() else {
            let why = inner_exit.unwrap_or_else(|| "the method returned no point".into());
            return Ok((self.stall(self.last_state(), &why), kv));
        };
        let fg = problem
            .cost(&x)
            .and_then(|f| Ok((f, problem.gradient(&x)?)));
        let (f, g) = match fg {
            Ok(r) => r,
            Err(e) => {
                return Ok((
                    self.finish(self.last_state(), Status::NumericalError, describe(&e)),
                    kv,
                ));
            }
        };
        if !f.is_finite() {
            let msg = "the objective became non-finite".to_string();
            return Ok((
                self.finish(self.last_state(), Status::NumericalError, msg),
                kv,
            ));
        }
        let gn = g.norm();
        let unchanged = self.last.as_ref().is_some_and(|l| x.dist(&l.0) == 0.0);
        if self.rejects_steps && unchanged && inner_exit.is_none() {
            // A rejected trust-region step: the radius shrank, the point stays.
            self.rejections += 1;
            if self.rejections >= MAX_REJECTIONS {
                let why = format!("{MAX_REJECTIONS} consecutive steps were rejected");
                // Test (3) with the curvature along the gradient (module docs, trust regions).
                let c_g = self
                    .problem
                    .curvature_along(&x, &g)
                    .filter(|c| c.is_finite() && *c > 0.0);
                return Ok((self.stall_with(st.cost(f).gradient(g), &why, c_g), kv));
            }
            return Ok((st.cost(f).gradient(g), kv));
        }
        self.rejections = 0;
        let step = self.last.as_ref().map_or(0.0, |l| x.dist(&l.0));
        if let Some(pg) = &self.prev_grad {
            // L̂ = ‖Δg‖/‖Δx‖ from steps longer than a thousand ulps of x: over a shorter one g
            // changes by its rounding alone, and the quotient is noise (0 when both gradients
            // round to the same vector), which fails test (3) at the floor itself: steepest
            // descent with backtracking on problems/least_squares.toml ended `stalled` at
            // ‖g‖ = 1.7e-7, f correct to the last digit, its last L̂ from a step of 2.5e-18.
            if step > 1e3 * f64::EPSILON * x.norm() {
                self.curvature = Some(g.dist(pg) / step);
            }
        }
        self.prev_grad = Some(g.clone());
        st = st.cost(f).gradient(g);
        self.last = Some((x.clone(), f, gn));
        self.record(iter, &x, f, gn, step);
        if self.limits.optimal(f, gn) {
            let msg = format!("‖g‖ = {gn:.3e} ≤ tol·max(1, |f|)");
            return Ok((self.finish(st, Status::Optimal, msg), kv));
        }
        if let Some(m) = inner_exit {
            let why = m.strip_prefix(STALLED).unwrap_or(&m).to_string();
            return Ok((self.stall(st, &why), kv));
        }
        // Progress: f fell below its best value so far (by any amount: a method creeping down at
        // the rounding level of f is still descending), or, with f within its rounding level of
        // that best, ‖g‖ fell below the smallest norm seen by more than GRADIENT_PROGRESS. Both
        // compare with the best so far, not with the last iterate, so a cycle between two points
        // whose f and ‖g‖ alternate in their last digits is no progress.
        let flat = super::newton::within_noise(self.best_f, f);
        if f < self.best_f || (flat && gn < self.best_gn * (1.0 - GRADIENT_PROGRESS)) {
            self.best_f = self.best_f.min(f);
            self.best_gn = self.best_gn.min(gn);
            self.no_decrease = 0;
        } else {
            self.no_decrease += 1;
            if self.no_decrease >= STALL_WINDOW {
                let why = format!("f did not decrease in {STALL_WINDOW} iterations");
                return Ok((self.stall(st, &why), kv));
            }
        }
        if step <= f64::EPSILON * x.norm() {
            return Ok((self.stall(st, "the step is below machine precision"), kv));
        }
        if self.no_decrease == 0 {
            // Faults met before this progress are behind us.
            self.faults_seen = self.problem.nonfinite_evaluations();
        }
        Ok((st, kv))
    }

    fn terminate(&mut self, _state: &St<P, H>) -> TerminationStatus {
        if super::interrupt::requested() {
            self.outcome = Some((
                Status::Interrupted,
                "interrupted (Ctrl-C); the point is the last accepted iterate".into(),
            ));
            return TerminationStatus::Terminated(TerminationReason::Interrupt);
        }
        if let Some(t) = self.limits.time_limit {
            if self.start.elapsed() >= t {
                self.outcome = Some((
                    Status::TimeLimit,
                    format!("time limit of {} s reached", t.as_secs_f64()),
                ));
                return TerminationStatus::Terminated(TerminationReason::Timeout);
            }
        }
        TerminationStatus::NotTerminated
    }
}
