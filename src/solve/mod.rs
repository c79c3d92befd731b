//! Solvers for smooth real-valued objectives of complex variables, built on argmin.
//!
//! One call, [`solve`], runs a [`Problem`] with [`SolveOptions`] and returns a [`Report`].
//! Every method is an `argmin::core::Solver` running under argmin's `Executor`, wrapped by
//! [`termination::Driven`], which applies the termination rules of contract §5 (documented
//! there: optimality test ‖g‖ ≤ tol·max(1, |f|), floating-point limit, stalls, non-finite
//! values, time limit).
//!
//! | method | what | default `tol` | default `max_iter` |
//! |---|---|---|---|
//! | `newton` | widely-linear Newton (H, K), Levenberg shift, Armijo backtracking ([`newton`]) | 1e-10 | 200 |
//! | `pseudo_newton` | H only, K dropped (K kept on real variables) | 1e-10 | 200 |
//! | `gauss_newton` | J, J̃ from the engine; dense or CG ([`newton`]) | 1e-10 | 200 |
//! | `levenberg_marquardt`, `lm` | Nielsen's damping ([`lm`]) | 1e-10 | 200 |
//! | `lbfgs` | argmin's L-BFGS on complex parameters ([`CVec`]), memory 10 | 1e-8 | 5000 |
//! | `steepest_descent` | argmin's steepest descent on complex parameters | 1e-8 | 20000 |
//! | `argmin_lbfgs` | argmin's L-BFGS on the real embedding `Vec<f64>` = [x; y] | 1e-8 | 5000 |
//!
//! The first-order methods take a line search ([`LineSearch`]): argmin's Moré–Thuente (default),
//! Hager–Zhang or backtracking (Armijo, c₁ = 10⁻⁴).
//!
//! `auto` (contract §5): a smooth objective without constraints gets `levenberg_marquardt`
//! when it is a sum of squares, else `newton` when the real dimension (2 per complex entry, 1 per
//! real one) is at most 2000, else `lbfgs`. Eigenvalue objectives, nonsmooth objectives and
//! constraints go to `sdp` ([`crate::eig::sdp`]: recognition, Clarabel, verification) when the
//! largest PSD block is at most 100, else to `spectral_bundle` ([`crate::eig::bundle`]).

pub mod budget;
pub mod complex_vec;
pub mod first_step;
pub mod interrupt;
pub mod lm;
pub mod newton;
pub mod noise;
pub mod problem;
pub mod report;
pub mod system;
pub mod termination;

pub use complex_vec::CVec;
pub use problem::Failure;
pub use report::{BundleInfo, Evaluations, HistoryEntry, IterationInfo, Report, SdpInfo, Status};

use crate::cr::{LeastSquares, Objective};
use crate::model::{Problem, Sense, SolverSettings};
use crate::Diagnostic;
use argmin::core::{CostFunction, Executor, Gradient, Solver, State, TerminationReason};
use argmin::solver::gradientdescent::SteepestDescent;
use argmin::solver::linesearch::condition::ArmijoCondition;
use argmin::solver::linesearch::{
    BacktrackingLineSearch, HagerZhangLineSearch, MoreThuenteLineSearch,
};
use argmin::solver::newton::NewtonCG;
use argmin::solver::quasinewton::{BFGS, LBFGS};
use argmin::solver::trustregion::{Steihaug, TrustRegion};
use first_step::FirstStepScaled;
use num_complex::Complex64 as C64;
use problem::{ComplexProblem, RealProblem, Shared};
use std::cell::RefCell;
use std::time::{Duration, Instant};
use termination::{Driven, Iterate, Limits, St};

/// A method that can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// argmin's steepest descent on [`CVec`].
    SteepestDescent,
    /// Widely-linear Newton.
    Newton,
    /// Newton without K.
    PseudoNewton,
    /// argmin's L-BFGS on [`CVec`].
    Lbfgs,
    /// Gauss–Newton.
    GaussNewton,
    /// Levenberg–Marquardt.
    LevenbergMarquardt,
    /// argmin's trust region with Steihaug's CG on complex parameters, Hessian–vector products
    /// H v + K conj(v) from the engine (no matrix formed).
    TrustRegion,
    /// argmin's L-BFGS on the real embedding.
    ArgminLbfgs,
    /// argmin's BFGS on the real embedding (dense inverse-Hessian approximation).
    ArgminBfgs,
    /// argmin's Newton–CG on the real embedding with the dense real Hessian.
    ArgminNewtonCg,
    /// argmin's Steihaug trust region on the real embedding with the dense real Hessian.
    ArgminTrustRegion,
}

impl Method {
    /// The canonical name (contract §5).
    pub fn name(self) -> &'static str {
        match self {
            Method::SteepestDescent => "steepest_descent",
            Method::Newton => "newton",
            Method::PseudoNewton => "pseudo_newton",
            Method::Lbfgs => "lbfgs",
            Method::GaussNewton => "gauss_newton",
            Method::LevenbergMarquardt => "levenberg_marquardt",
            Method::TrustRegion => "trust_region",
            Method::ArgminLbfgs => "argmin_lbfgs",
            Method::ArgminBfgs => "argmin_bfgs",
            Method::ArgminNewtonCg => "argmin_newton_cg",
            Method::ArgminTrustRegion => "argmin_trust_region",
        }
    }
    /// Parses a name (`lm` is `levenberg_marquardt`); `auto` and unknown names give None.
    pub fn parse(name: &str) -> Option<Method> {
        Some(match name {
            "steepest_descent" => Method::SteepestDescent,
            "newton" => Method::Newton,
            "pseudo_newton" => Method::PseudoNewton,
            "lbfgs" => Method::Lbfgs,
            "gauss_newton" => Method::GaussNewton,
            "levenberg_marquardt" | "lm" => Method::LevenbergMarquardt,
            "trust_region" => Method::TrustRegion,
            "argmin_lbfgs" => Method::ArgminLbfgs,
            "argmin_bfgs" => Method::ArgminBfgs,
            "argmin_newton_cg" => Method::ArgminNewtonCg,
            "argmin_trust_region" => Method::ArgminTrustRegion,
            _ => return None,
        })
    }
    /// The default `tol`.
    pub fn default_tol(self) -> f64 {
        match self {
            Method::SteepestDescent | Method::Lbfgs | Method::ArgminLbfgs | Method::ArgminBfgs => {
                1e-8
            }
            _ => 1e-10,
        }
    }
    /// The default `max_iter`.
    pub fn default_max_iter(self) -> u64 {
        match self {
            Method::SteepestDescent => 20_000,
            Method::Lbfgs | Method::ArgminLbfgs | Method::ArgminBfgs => 5_000,
            Method::TrustRegion | Method::ArgminNewtonCg | Method::ArgminTrustRegion => 1_000,
            _ => 200,
        }
    }
}

/// The line search of the first-order methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineSearch {
    /// argmin's Moré–Thuente (strong Wolfe).
    #[default]
    MoreThuente,
    /// argmin's Hager–Zhang (approximate Wolfe).
    HagerZhang,
    /// argmin's backtracking with the Armijo condition, c₁ = 10⁻⁴.
    Backtracking,
}

/// A per-iteration callback.
pub struct Observer<'a>(RefCell<Callback<'a>>);

/// The boxed callback inside an [`Observer`].
pub type Callback<'a> = Box<dyn FnMut(&IterationInfo) + 'a>;

impl<'a> Observer<'a> {
    /// Wraps a callback.
    pub fn new(f: impl FnMut(&IterationInfo) + 'a) -> Observer<'a> {
        Observer(RefCell::new(Box::new(f)))
    }
}

impl std::fmt::Debug for Observer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// Options of [`solve`]; `None` fields fall back to the problem's `[solver]` table, then to the
/// method's defaults.
#[derive(Debug)]
pub struct SolveOptions<'a> {
    /// Method name (contract §5).
    pub method: Option<String>,
    /// Iteration limit.
    pub max_iter: Option<u64>,
    /// Tolerance (0: never stop on tolerance).
    pub tol: Option<f64>,
    /// Wall-clock limit.
    pub time_limit: Option<Duration>,
    /// Line search of `steepest_descent`, `lbfgs` and `argmin_lbfgs`.
    pub line_search: LineSearch,
    /// L-BFGS memory.
    pub lbfgs_memory: usize,
    /// History entries kept (thinned uniformly beyond).
    pub history_limit: usize,
    /// Least-squares methods: force conjugate gradients on the normal equations (`Some(true)`)
    /// or dense factorizations (`Some(false)`); `None` chooses dense when the real dimension is
    /// at most [`newton::DENSE_LIMIT`].
    pub matrix_free: Option<bool>,
    /// Called after every iteration (and for the starting point).
    pub observer: Option<Observer<'a>>,
    /// Memory limit in GiB for the dense matrices (overrides `[solver] memory_limit`; default
    /// a share of the physical memory, see [`budget`]).
    pub memory_limit: Option<f64>,
}

impl Default for SolveOptions<'_> {
    fn default() -> Self {
        SolveOptions {
            method: None,
            max_iter: None,
            tol: None,
            time_limit: None,
            line_search: LineSearch::MoreThuente,
            lbfgs_memory: 10,
            history_limit: 10_000,
            matrix_free: None,
            observer: None,
            memory_limit: None,
        }
    }
}

fn reject(msg: impl Into<String>) -> crate::Error {
    crate::Error::from(Diagnostic::new(msg))
}

const SDP_LATER: &str = "use method = \"sdp\" for SDP-representable problems";

/// Whether `auto` hands the problem to the SDP path (contract §5): constraints, or an
/// eigenvalue, singular-value, `abs` or non-squared norm function in the objective.
pub fn wants_sdp(problem: &Problem, f: &crate::cr::Function) -> bool {
    !problem.constraints.is_empty() || problem.has_spectral_terms() || f.is_nonsmooth()
}

/// Runs the `sdp` method ([`crate::eig::sdp`]); with `auto`, a program whose largest PSD block
/// exceeds [`crate::eig::sdp::AUTO_MAX_PSD_BLOCK`] goes to `spectral_bundle` instead.
fn solve_sdp(
    problem: &Problem,
    options: &SolveOptions,
    auto: bool,
) -> Result<Report, crate::Error> {
    use crate::eig::sdp;
    let start = Instant::now();
    let rec = crate::eig::recognize::recognize(problem).map_err(crate::Error::from)?;
    let block = crate::eig::conic::largest_psd_block(&rec);
    // spectral_bundle does not take generalized eigenvalues: `auto` keeps them on sdp.
    if auto && block > sdp::AUTO_MAX_PSD_BLOCK && !rec.has_generalized() {
        let mut report = solve_bundle(problem, &rec, options, start)?;
        report.method_reason = Some(format!(
            "eigenvalue terms or constraints; SDP-representable with largest PSD block \
             {block} > {}",
            sdp::AUTO_MAX_PSD_BLOCK
        ));
        return Ok(report);
    }
    let limit = budget::MemoryLimit::resolve(options.memory_limit, problem.solver.memory_limit);
    budget::check_sdp(&rec, &limit).map_err(crate::Error::from)?;
    let limits = sdp::SdpLimits {
        tol: options
            .tol
            .or(problem.solver.tol)
            .unwrap_or(sdp::DEFAULT_TOL),
        max_iter: options
            .max_iter
            .or(problem.solver.max_iter)
            .unwrap_or(sdp::DEFAULT_MAX_ITER),
        time_limit: options.time_limit,
    };
    let mut report = sdp::solve_recognized(problem, &rec, limits, start);
    if auto && block > sdp::AUTO_MAX_PSD_BLOCK {
        report.method_reason = Some(format!(
            "generalized eigenvalue terms, which only sdp takes (largest PSD block {block} > {})",
            sdp::AUTO_MAX_PSD_BLOCK
        ));
    } else if auto {
        report.method_reason = Some(format!(
            "eigenvalue, singular-value or nonsmooth norm terms or constraints; SDP-representable \
             with largest PSD block {block} ≤ {}",
            sdp::AUTO_MAX_PSD_BLOCK
        ));
    }
    Ok(report)
}

/// Runs the `spectral_bundle` method ([`crate::eig::bundle`]) on a recognized problem.
fn solve_bundle(
    problem: &Problem,
    rec: &crate::eig::recognize::Recognized,
    options: &SolveOptions,
    start: Instant,
) -> Result<Report, crate::Error> {
    use crate::eig::bundle;
    let limits = bundle::BundleLimits {
        tol: options
            .tol
            .or(problem.solver.tol)
            .unwrap_or(bundle::DEFAULT_TOL),
        max_iter: options
            .max_iter
            .or(problem.solver.max_iter)
            .unwrap_or(bundle::DEFAULT_MAX_ITER),
        time_limit: options.time_limit,
    };
    let mut guard = options.observer.as_ref().map(|o| o.0.borrow_mut());
    let observer: Option<&mut dyn FnMut(&IterationInfo)> = match guard.as_mut() {
        Some(g) => Some(&mut ***g),
        None => None,
    };
    bundle::solve_recognized(problem, rec, limits, start, observer).map_err(crate::Error::from)
}

/// The method `auto` picks, and why.
pub fn choose_auto(
    problem: &Problem,
    f: &crate::cr::Function,
) -> Result<(Method, String), crate::Error> {
    if !problem.constraints.is_empty() {
        return Err(reject(format!(
            "the problem has constraints, which only the SDP methods take; {SDP_LATER}"
        )));
    }
    if problem.has_spectral_terms() || f.is_nonsmooth() {
        return Err(reject(format!(
            "the objective is not smooth (eigenvalue, singular-value, abs or norm functions), \
             which `auto` hands to the SDP methods; {SDP_LATER}"
        )));
    }
    if LeastSquares::detect(f.graph(), f.output(), f.vars()).is_some() {
        return Ok((
            Method::LevenbergMarquardt,
            "smooth, unconstrained and a sum of squares".into(),
        ));
    }
    let real_dim: usize = f
        .vars()
        .iter()
        .map(|v| v.shape.numel() * if v.real { 1 } else { 2 })
        .sum();
    if real_dim <= 2000 {
        Ok((
            Method::Newton,
            format!("smooth and unconstrained, real dimension {real_dim} ≤ 2000"),
        ))
    } else {
        Ok((
            Method::Lbfgs,
            format!("smooth and unconstrained, real dimension {real_dim} > 2000"),
        ))
    }
}

/// Solves a problem.
///
/// Rejections (an unknown or unavailable method, constraints, a least-squares method on an
/// objective that is not a sum of squares) are [`crate::Error::Input`]; everything that happens
/// while iterating ends in the report's status.
///
/// ```
/// use wirtinger::io::parse_problem;
/// use wirtinger::solve::{solve, SolveOptions, Status};
/// let p = parse_problem(r#"
/// [variables]
/// z = { type = "complex", shape = [] }
/// [objective]
/// minimize = "abs2(z - (1 + 2i))"
/// "#, "p.toml".as_ref()).unwrap();
/// let r = solve(&p, &SolveOptions::default()).unwrap();
/// assert_eq!(r.status, Status::Optimal);
/// assert!((r.point[0] - num_complex::Complex64::new(1.0, 2.0)).norm() < 1e-8);
/// ```
pub fn solve(problem: &Problem, options: &SolveOptions) -> Result<Report, crate::Error> {
    let name = options
        .method
        .clone()
        .or_else(|| problem.solver.method.clone())
        .unwrap_or_else(|| "auto".into());
    if !crate::io::METHODS.contains(&name.as_str()) {
        return Err(crate::Error::from(
            Diagnostic::new(format!("unknown method `{name}`"))
                .with_note(format!("the methods are {}", crate::io::METHODS.join(", "))),
        ));
    }
    let f = problem.function().map_err(reject)?;
    if name == "spectral_bundle" {
        let start = Instant::now();
        let rec = crate::eig::recognize::recognize(problem).map_err(crate::Error::from)?;
        return solve_bundle(problem, &rec, options, start);
    }
    if name == "sdp" || (name == "auto" && wants_sdp(problem, &f)) {
        return solve_sdp(problem, options, name == "auto");
    }
    let (method, reason) = match Method::parse(&name) {
        Some(m) => {
            if !problem.constraints.is_empty() {
                return Err(reject(format!(
                    "method `{name}` does not take constraints (only sdp and spectral_bundle do; {SDP_LATER})"
                )));
            }
            (m, None)
        }
        None => {
            let (m, why) = choose_auto(problem, &f)?;
            (m, Some(why))
        }
    };
    let ls = match method {
        Method::GaussNewton | Method::LevenbergMarquardt => {
            let ls = LeastSquares::detect(f.graph(), f.output(), f.vars());
            if ls.is_none() {
                return Err(reject(format!(
                    "method `{}` needs a sum-of-squares objective (sum(abs2(r)), norm2sq(r), \
                     sum(r.^2) with real r, r' * r, positive multiples and sums of these), \
                     to be minimized",
                    method.name()
                )));
            }
            ls
        }
        _ => None,
    };
    let limit = budget::MemoryLimit::resolve(options.memory_limit, problem.solver.memory_limit);
    budget::check_smooth(method, &f, ls.as_ref(), options.matrix_free, &limit)
        .map_err(crate::Error::from)?;
    let mut report = solve_objective(
        &f,
        ls.as_ref(),
        problem.initial_point(),
        method,
        &problem.solver,
        options,
    );
    report.method_reason = reason;
    if problem.sense == Sense::Maximize {
        report.objective = -report.objective;
        for h in &mut report.history {
            h.value = -h.value;
        }
    }
    Ok(report)
}

/// Runs one method on an objective (minimization form) from `z0`; `settings` (a problem's
/// `[solver]` table, or `SolverSettings::default()` for an objective of your own) supplies
/// `max_iter` and `tol` when the options leave them unset.
pub fn solve_objective(
    f: &dyn Objective,
    ls: Option<&LeastSquares>,
    mut z0: Vec<C64>,
    method: Method,
    settings: &SolverSettings,
    options: &SolveOptions,
) -> Report {
    let start = Instant::now();
    let shared = Shared::new(f, ls);
    shared.project(&mut z0);
    let limits = Limits {
        tol: options.tol.or(settings.tol).unwrap_or(method.default_tol()),
        max_iter: options
            .max_iter
            .or(settings.max_iter)
            .unwrap_or(method.default_max_iter()),
        time_limit: options.time_limit,
        history_limit: options.history_limit,
    };
    let mut guard = options.observer.as_ref().map(|o| o.0.borrow_mut());
    let observer: Option<&mut dyn FnMut(&IterationInfo)> = match guard.as_mut() {
        Some(g) => Some(&mut ***g),
        None => None,
    };
    let cp = ComplexProblem { shared: &shared };
    let x0 = CVec(z0.clone());
    let name = method.name();
    let run = Run {
        limits,
        start,
        observer,
        method: name,
    };
    let out = match method {
        Method::Newton | Method::PseudoNewton | Method::GaussNewton => {
            let model = match method {
                Method::Newton => newton::Model::Newton,
                Method::PseudoNewton => newton::Model::PseudoNewton,
                _ => newton::Model::GaussNewton,
            };
            let matrix_free = model == newton::Model::GaussNewton
                && options
                    .matrix_free
                    .unwrap_or_else(|| lm::use_matrix_free(&shared));
            run.go(cp, newton::DampedNewton { model, matrix_free }, x0)
        }
        Method::LevenbergMarquardt => {
            let mf = options
                .matrix_free
                .unwrap_or_else(|| lm::use_matrix_free(&shared));
            run.go(cp, lm::LevenbergMarquardt::new(mf), x0)
        }
        Method::Lbfgs => {
            let m = options.lbfgs_memory.max(1);
            // The first trial step has unit length (first_step.rs).
            match options.line_search {
                LineSearch::MoreThuente => run.go(
                    cp,
                    LBFGS::new(FirstStepScaled::new(MoreThuenteLineSearch::new()), m),
                    x0,
                ),
                LineSearch::HagerZhang => run.go(
                    cp,
                    LBFGS::new(FirstStepScaled::new(HagerZhangLineSearch::new()), m),
                    x0,
                ),
                LineSearch::Backtracking => {
                    run.go(cp, LBFGS::new(FirstStepScaled::new(backtracking()), m), x0)
                }
            }
        }
        Method::SteepestDescent => match options.line_search {
            LineSearch::MoreThuente => {
                run.go(cp, SteepestDescent::new(MoreThuenteLineSearch::new()), x0)
            }
            LineSearch::HagerZhang => {
                run.go(cp, SteepestDescent::new(HagerZhangLineSearch::new()), x0)
            }
            LineSearch::Backtracking => run.go(cp, SteepestDescent::new(backtracking()), x0),
        },
        Method::TrustRegion => run.go_with(
            cp,
            TrustRegion::new(Steihaug::new().with_max_iters(4 * z0.len().max(1) as u64)),
            x0,
            |s: St<CVec, problem::HessianOperator>| s,
        ),
        Method::ArgminBfgs => {
            let rp = RealProblem { shared: &shared };
            let x0 = problem::to_real(&z0);
            let n = x0.len();
            let eye: Vec<Vec<f64>> = (0..n)
                .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
                .collect();
            let hook = move |s: St<Vec<f64>, Vec<Vec<f64>>>| s.inv_hessian(eye);
            match options.line_search {
                LineSearch::MoreThuente => {
                    run.go_with(rp, BFGS::new(MoreThuenteLineSearch::new()), x0, hook)
                }
                LineSearch::HagerZhang => {
                    run.go_with(rp, BFGS::new(HagerZhangLineSearch::new()), x0, hook)
                }
                LineSearch::Backtracking => run.go_with(rp, BFGS::new(backtracking()), x0, hook),
            }
        }
        Method::ArgminNewtonCg => {
            let rp = RealProblem { shared: &shared };
            let x0 = problem::to_real(&z0);
            let hook = |s: St<Vec<f64>, Vec<Vec<f64>>>| s;
            match options.line_search {
                LineSearch::MoreThuente => {
                    run.go_with(rp, NewtonCG::new(MoreThuenteLineSearch::new()), x0, hook)
                }
                LineSearch::HagerZhang => {
                    run.go_with(rp, NewtonCG::new(HagerZhangLineSearch::new()), x0, hook)
                }
                LineSearch::Backtracking => {
                    run.go_with(rp, NewtonCG::new(backtracking()), x0, hook)
                }
            }
        }
        Method::ArgminTrustRegion => {
            let rp = RealProblem { shared: &shared };
            let x0 = problem::to_real(&z0);
            let n = x0.len().max(1) as u64;
            run.go_with(
                rp,
                TrustRegion::new(Steihaug::new().with_max_iters(2 * n)),
                x0,
                |s: St<Vec<f64>, Vec<Vec<f64>>>| s,
            )
        }
        Method::ArgminLbfgs => {
            let rp = RealProblem { shared: &shared };
            let m = options.lbfgs_memory.max(1);
            let x0 = problem::to_real(&z0);
            match options.line_search {
                LineSearch::MoreThuente => {
                    run.go(rp, LBFGS::new(MoreThuenteLineSearch::new(), m), x0)
                }
                LineSearch::HagerZhang => {
                    run.go(rp, LBFGS::new(HagerZhangLineSearch::new(), m), x0)
                }
                LineSearch::Backtracking => run.go(rp, LBFGS::new(backtracking(), m), x0),
            }
        }
    };
    let (point, value, gnorm) = out.last.unwrap_or((z0, f64::NAN, f64::NAN));
    Report {
        status: out.status,
        method: name.to_string(),
        method_reason: None,
        objective: value,
        point,
        iterations: out.iterations,
        gradient_norm: gnorm,
        evaluations: shared.counts(),
        time_seconds: start.elapsed().as_secs_f64(),
        tol: limits.tol,
        max_iter: limits.max_iter,
        message: out.message,
        history: out.history,
        sdp: None,
        bundle: None,
    }
}

fn backtracking<P, G>() -> BacktrackingLineSearch<P, G, ArmijoCondition<f64>, f64> {
    // c₁ = 10⁻⁴ is inside (0, 1), so the condition is always constructed.
    match ArmijoCondition::new(1e-4) {
        Ok(c) => BacktrackingLineSearch::new(c),
        Err(_) => unreachable!("c1 = 1e-4 is a valid Armijo constant"),
    }
}

struct Run<'o> {
    limits: Limits,
    start: Instant,
    observer: Option<&'o mut dyn FnMut(&IterationInfo)>,
    method: &'static str,
}

struct Outcome {
    status: Status,
    message: String,
    iterations: u64,
    last: Option<(Vec<C64>, f64, f64)>,
    history: Vec<HistoryEntry>,
}

impl<'o> Run<'o> {
    fn go<O, S, P>(self, problem: O, solver: S, x0: P) -> Outcome
    where
        O: CostFunction<Param = P, Output = f64>
            + Gradient<Param = P, Gradient = P>
            + termination::Probe<P>
            + Clone,
        S: Solver<O, St<P>>,
        P: Iterate,
    {
        self.go_with(problem, solver, x0, |s| s)
    }

    /// [`Run::go`] for solvers whose state carries a (inverse) Hessian of type `H`, with a hook
    /// that completes the initial state (e.g. BFGS's initial inverse Hessian).
    fn go_with<O, S, P, H>(
        self,
        problem: O,
        solver: S,
        x0: P,
        init: impl FnOnce(St<P, H>) -> St<P, H>,
    ) -> Outcome
    where
        O: CostFunction<Param = P, Output = f64>
            + Gradient<Param = P, Gradient = P>
            + termination::Probe<P>
            + Clone,
        S: Solver<O, St<P, H>>,
        P: Iterate,
        H: Clone,
    {
        let driven = Driven::new(
            solver,
            self.method,
            problem.clone(),
            self.limits,
            self.start,
            self.observer,
        );
        let max_iter = self.limits.max_iter;
        let result = Executor::new(problem, driven)
            .configure(|s| init(s.param(x0.clone()).max_iters(max_iter)))
            .run();
        let res = match result {
            Ok(r) => r,
            Err(e) => {
                return Outcome {
                    status: Status::NumericalError,
                    message: format!("the solver failed: {e}"),
                    iterations: 0,
                    last: None,
                    history: Vec::new(),
                }
            }
        };
        let reason = res.state.get_termination_reason().cloned();
        let d = res.solver;
        let (status, message) = match (d.outcome.clone(), reason) {
            (Some(o), _) => o,
            (None, Some(TerminationReason::MaxItersReached)) => (
                Status::MaxIterations,
                format!("iteration limit of {max_iter} reached"),
            ),
            (None, Some(TerminationReason::Timeout)) => {
                (Status::TimeLimit, "time limit reached".into())
            }
            (None, Some(TerminationReason::Interrupt)) => {
                (Status::Interrupted, "interrupted".into())
            }
            (None, r) => (
                Status::Stalled,
                format!(
                    "the solver stopped: {}",
                    r.map_or("unknown reason".into(), |r| r.text().to_string())
                ),
            ),
        };
        Outcome {
            status,
            message,
            iterations: d.iterations(),
            last: d.last.as_ref().map(|(p, f, g)| (p.to_complex(), *f, *g)),
            history: d.history,
        }
    }
}
