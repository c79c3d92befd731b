//! The `sdp` method: recognize ([`super::recognize`]), build the conic program
//! ([`super::conic`]), solve it with Clarabel, verify ([`super::verify`]).
//!
//! **Settings.** `tol` (default [`DEFAULT_TOL`]) sets Clarabel's `tol_gap_abs`, `tol_gap_rel`
//! and `tol_feas` alike: Clarabel stops with `Solved` when the duality gap is below
//! tol_gap_abs or tol_gap_rel·min(|primal|, |dual|) and the primal and dual residuals are below
//! tol_feas relative to the data (Goulart & Chen, "Clarabel: an interior-point solver for conic
//! programs with quadratic objectives", 2024, §5). `tol = 0` is passed as is: Clarabel then never
//! meets its full-accuracy test and ends on its iteration limit or lack of progress (the latter
//! possibly as `AlmostSolved`, at its reduced tolerances). `max_iter` (default
//! [`DEFAULT_MAX_ITER`]) is Clarabel's interior-point iteration limit and the time limit its
//! `time_limit`. The KKT systems use Clarabel's faer solver (`direct_solve_method = "faer"`).
//!
//! **Status.** `Solved` and `AlmostSolved` become `optimal` only when the verification passes
//! (largest relative difference ≤ max([`VERIFY_TOL`], 10·tol)), else `numerical_error`;
//! with `tol = 0`, a verified `AlmostSolved` (Clarabel's stop for lack of progress) is `stalled`;
//! `PrimalInfeasible` (and `AlmostPrimalInfeasible`) → `infeasible`; `DualInfeasible` (and
//! `AlmostDualInfeasible`) → `unbounded`; `MaxIterations` → `max_iterations`; `MaxTime` →
//! `time_limit`; anything else → `numerical_error`. For `infeasible` and `unbounded` the objective
//! is `null` and the point is Clarabel's returned x (part of its certificate, not a solution).
//! For a generalized eigenvalue objective ([`super::generalized`]) `unbounded` also covers the
//! infima the reformulation cannot attain: s = 1/λ unbounded above (positive case: λ → 0), and
//! s* ≈ 0 in the negative case (λ → −∞; detected when the verification fails with
//! |s*|·‖K̃‖_F ≤ 1e-6 · max |entry or coefficient of M|).

use super::certificate::certificate;
use super::conic::{build, Conic};
use super::recognize::Recognized;
use super::verify::verify;
use crate::model::Problem;
use crate::solve::{Evaluations, Report, SdpInfo, Status};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus,
};
use std::time::{Duration, Instant};

/// Default `tol` of `sdp`.
pub const DEFAULT_TOL: f64 = 1e-9;
/// Default `max_iter` of `sdp` (Clarabel's iterations).
pub const DEFAULT_MAX_ITER: u64 = 200;
/// Relative tolerance of the verification for `optimal`.
pub const VERIFY_TOL: f64 = 1e-6;
/// Largest PSD block that `auto` hands to `sdp`.
pub const AUTO_MAX_PSD_BLOCK: usize = 100;

/// Limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct SdpLimits {
    /// Tolerance (see the module documentation).
    pub tol: f64,
    /// Clarabel's iteration limit.
    pub max_iter: u64,
    /// Wall-clock limit.
    pub time_limit: Option<Duration>,
}

/// Clarabel's settings for a run with these limits (the ones [`solve_recognized`] uses):
/// the faer KKT solver, tolerances, iteration and time limits, no output.
pub fn clarabel_settings(limits: &SdpLimits) -> Result<DefaultSettings<f64>, String> {
    let mut builder = DefaultSettingsBuilder::default();
    builder
        .direct_solve_method("faer".to_owned())
        .verbose(false)
        .tol_gap_abs(limits.tol)
        .tol_gap_rel(limits.tol)
        .tol_feas(limits.tol)
        .max_iter(u32::try_from(limits.max_iter).unwrap_or(u32::MAX));
    if let Some(t) = limits.time_limit {
        builder.time_limit(t.as_secs_f64());
    }
    builder
        .build()
        .map_err(|e| format!("invalid Clarabel settings: {e}"))
}

fn status_name(s: SolverStatus) -> String {
    format!("{s:?}")
}

/// Solves a recognized problem; `start` is when the whole solve began (for the reported time).
pub fn solve_recognized(
    problem: &Problem,
    rec: &Recognized,
    limits: SdpLimits,
    start: Instant,
) -> Report {
    let t_recognize = start.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let conic = build(rec);
    let t_build = t0.elapsed().as_secs_f64();
    let n = conic.q.len();
    let m = conic.b.len();
    let fail = |msg: String, conic: &Conic| Report {
        status: Status::NumericalError,
        method: "sdp".into(),
        method_reason: None,
        objective: f64::NAN,
        point: problem.initial_point(),
        iterations: 0,
        gradient_norm: f64::NAN,
        evaluations: Evaluations::default(),
        time_seconds: start.elapsed().as_secs_f64(),
        tol: limits.tol,
        max_iter: limits.max_iter,
        message: msg,
        history: Vec::new(),
        sdp: Some(SdpInfo {
            duality_gap: f64::NAN,
            relative_gap: f64::NAN,
            verification: f64::NAN,
            verification_worst: String::new(),
            clarabel_status: String::new(),
            largest_psd_block: conic.max_psd,
            conic_size: (conic.q.len(), conic.b.len()),
            timings: vec![("recognize", t_recognize), ("build", t_build)],
            certificate: None,
        }),
        bundle: None,
    };
    #[cfg(all(feature = "faer-blas", not(feature = "system-blas")))]
    super::blas::ensure_linked();
    let settings = match clarabel_settings(&limits) {
        Ok(s) => s,
        Err(e) => return fail(e, &conic),
    };
    let p = CscMatrix::zeros((n, n));
    let mut solver =
        match DefaultSolver::new(&p, &conic.q, &conic.a, &conic.b, &conic.cones, settings) {
            Ok(s) => s,
            Err(e) => return fail(format!("Clarabel rejected the conic program: {e}"), &conic),
        };
    solver.solve();
    let sol = &solver.solution;
    let y = sol.x.clone();
    let x = &y[..conic.n_coords.min(y.len())];
    let point = rec.coords.point(x);
    let t0 = Instant::now();
    let ver = verify(problem, rec, &conic, &y);
    let t_verify = t0.elapsed().as_secs_f64();
    let vtol = VERIFY_TOL.max(10.0 * limits.tol);
    let gap = (sol.obj_val - sol.obj_val_dual).abs();
    let cstatus = sol.status;
    let verified = ver.max_error() <= vtol;
    let t0 = Instant::now();
    let cert = matches!(cstatus, SolverStatus::Solved | SolverStatus::AlmostSolved)
        .then(|| certificate(rec, &conic, &y, &sol.z));
    let t_certificate = t0.elapsed().as_secs_f64();
    // Generalized eigenvalue objective, negative case: s* = 0 means λ = 1/s → −∞ (M(x) → 0 is
    // feasible); the verification then fails on the huge 1/s*, and the status is `unbounded`.
    let s_star = conic.quasi.as_ref().and_then(|r| y.get(r.s).copied());
    let quasi_unbounded = !verified
        && match (&rec.quasi, s_star) {
            (Some(q), Some(s)) if q.case == super::generalized::SignCase::Negative => {
                let k_norm = q.k_tilde.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
                let m_scale = q
                    .term
                    .m
                    .c0
                    .iter()
                    .chain(q.term.m.rows.iter().flatten().map(|(_, a)| a))
                    .fold(0.0f64, |m, v| m.max(v.norm()));
                s.abs() * k_norm <= 1e-6 * m_scale
            }
            _ => false,
        };
    let (status, message) = match cstatus {
        SolverStatus::Solved | SolverStatus::AlmostSolved if quasi_unbounded => (
            Status::Unbounded,
            format!(
                "Clarabel: {}, with s* = {:e} ≈ 0 for the generalized eigenvalue objective \
                 (negative case, M(x) ⪯ s·K̃): λ = 1/s is unbounded below as M(x) → 0",
                status_name(cstatus),
                s_star.unwrap_or(f64::NAN)
            ),
        ),
        SolverStatus::AlmostSolved if verified && limits.tol == 0.0 => (
            Status::Stalled,
            format!(
                "Clarabel stopped for lack of progress (tol = 0 never stops on tolerance); \
                 the point is verified to {:.1e}, duality gap {gap:.1e}",
                ver.max_error()
            ),
        ),
        SolverStatus::Solved | SolverStatus::AlmostSolved if verified => (
            Status::Optimal,
            format!(
                "Clarabel: {}; verified: atoms recomputed at x* agree to {:.1e} (≤ {vtol:.0e}), duality gap {gap:.1e}",
                status_name(cstatus),
                ver.max_error()
            ),
        ),
        SolverStatus::Solved | SolverStatus::AlmostSolved => (
            Status::NumericalError,
            format!(
                "Clarabel: {}, but the verification failed: {} differs by {:.1e} (> {vtol:.0e})",
                status_name(cstatus),
                ver.worst,
                ver.max_error()
            ),
        ),
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => (
            Status::Infeasible,
            format!(
                "Clarabel: {} (the constraints cannot all hold); the point is part of its certificate",
                status_name(cstatus)
            ),
        ),
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible
            if rec.quasi.is_some() =>
        (
            Status::Unbounded,
            format!(
                "Clarabel: {} (s = 1/λ is unbounded above: the generalized eigenvalue approaches 0 \
                 without attaining it, so the infimum is the objective's constant); the point is \
                 part of its certificate",
                status_name(cstatus)
            ),
        ),
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => (
            Status::Unbounded,
            format!(
                "Clarabel: {} (the objective is unbounded below in minimization form); the point is part of its certificate",
                status_name(cstatus)
            ),
        ),
        SolverStatus::MaxIterations => (
            Status::MaxIterations,
            format!("iteration limit of {} reached", limits.max_iter),
        ),
        SolverStatus::MaxTime => (Status::TimeLimit, "time limit reached".into()),
        other => (
            Status::NumericalError,
            format!("Clarabel stopped with status {}", status_name(other)),
        ),
    };
    let sign = if problem.sense == crate::model::Sense::Maximize {
        -1.0
    } else {
        1.0
    };
    let objective = match status {
        Status::Infeasible | Status::Unbounded => f64::NAN,
        _ => sign * ver.objective_exact,
    };
    Report {
        status,
        method: "sdp".into(),
        method_reason: None,
        objective,
        point,
        iterations: u64::from(sol.iterations),
        gradient_norm: f64::NAN,
        evaluations: Evaluations::default(),
        time_seconds: start.elapsed().as_secs_f64(),
        tol: limits.tol,
        max_iter: limits.max_iter,
        message,
        history: Vec::new(),
        sdp: Some(SdpInfo {
            duality_gap: gap,
            relative_gap: solver.info.gap_rel,
            verification: ver.max_error(),
            verification_worst: ver.worst.clone(),
            clarabel_status: status_name(cstatus),
            largest_psd_block: conic.max_psd,
            conic_size: (n, m),
            timings: vec![
                ("recognize", t_recognize),
                ("build", t_build),
                ("clarabel", sol.solve_time),
                ("verify", t_verify),
                ("certificate", t_certificate),
            ],
            certificate: cert,
        }),
        bundle: None,
    }
}
