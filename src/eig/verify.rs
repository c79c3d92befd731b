//! Verification of an SDP solution against the problem itself (issue 4, item 3).
//!
//! Clarabel certifies the *conic* program; the conic program is only as right as the
//! reformulation. So at the returned x* every atom is recomputed by the engine (eigenvalues by
//! faer's Hermitian eigensolver through [`crate::cr::Values`], norms directly) and compared:
//! - objective atoms: the epigraph bound tⱼ must equal φⱼ(Aⱼ(x*)) (at an optimum each bound is
//!   tight, since its coefficient in the objective is positive);
//! - the objective: f(x*) evaluated by the engine against the conic objective qᵀy* + c₀;
//! - constraint atoms: φⱼ(Aⱼ(x*)) ≤ tⱼ (a bound may be slack when the constraint is inactive);
//! - every constraint of the problem, evaluated by the engine: violation of `==`, `<=`, `>=`;
//! - generalized eigenvalues λ(K, M(x*)) ([`super::generalized`]): M(x*) must be positive
//!   definite (Cholesky, and λ_min(M(x*)) > [`super::generalized::PD_TOL`] relative), else the
//!   difference is infinite; λ is recomputed independently with faer (Cholesky of M, Hermitian
//!   eigensolver on L⁻¹KL⁻ᴴ) and compared with the engine's value, with the epigraph bound 1/s*
//!   of the objective (the conic objective is read back as c/s* + d) and with a constraint's c.
//!
//! Each difference is relative: |a − b| / max(1, |a|, |b|). The solve reports `optimal` only when
//! the largest of them is within [`super::sdp::VERIFY_TOL`] (or 10·tol when tol is looser).

use super::conic::Conic;
use super::generalized::{check_at, PointCheck};
use super::recognize::Recognized;
use crate::cr::Values;
use crate::expr::BinOp;
use crate::model::{Problem, Sense};
use num_complex::Complex64 as C64;

/// What the check found.
#[derive(Clone, Debug)]
pub struct Verification {
    /// f(x*) in minimization form, recomputed by the engine.
    pub objective_exact: f64,
    /// The conic program's objective qᵀy* + c₀.
    pub objective_conic: f64,
    /// Largest relative difference between an atom and its epigraph bound (objective atoms),
    /// or excess of an atom over its bound (constraint atoms), or objective mismatch.
    pub max_atom_difference: f64,
    /// Largest relative constraint violation.
    pub max_violation: f64,
    /// What the largest difference was about.
    pub worst: String,
    /// The independent check of each generalized eigenvalue term, labelled by term and place.
    pub generalized: Vec<(String, PointCheck)>,
}

impl Verification {
    /// max(atom difference, constraint violation).
    pub fn max_error(&self) -> f64 {
        self.max_atom_difference.max(self.max_violation)
    }
}

fn rel(a: f64, b: f64) -> f64 {
    let d = (a - b).abs() / 1f64.max(a.abs()).max(b.abs());
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// Recomputes every atom and constraint at y* (the conic program's solution; its first
/// `n_coords` entries are x*).
pub fn verify(problem: &Problem, rec: &Recognized, conic: &Conic, y: &[f64]) -> Verification {
    let g = &problem.graph;
    let x = &y[..conic.n_coords];
    let mut values = Values::new(g, &rec.coords.tensors(x), &[]);
    let mut val = |id| -> Result<Vec<C64>, String> {
        values
            .ensure_get(g, id)
            .map(|t| t.data().to_vec())
            .map_err(|e| e.message)
    };
    let mut worst = String::from("nothing");
    let mut diff: f64 = 0.0;
    let mut note = |d: f64, what: String, diff: &mut f64| {
        if d > *diff || (d.is_nan() && !diff.is_nan()) {
            *diff = if d.is_nan() { f64::INFINITY } else { d };
            worst = what;
        }
    };
    let sign = if problem.sense == Sense::Maximize {
        -1.0
    } else {
        1.0
    };
    let objective_exact = match val(problem.objective) {
        Ok(v) => sign * v[0].re,
        Err(_) => f64::NAN,
    };
    let mut objective_conic = conic.q.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() + conic.offset;
    let mut generalized = Vec::new();
    if let (Some(q), Some(rows)) = (&rec.quasi, &conic.quasi) {
        // f = c·λ_max(K̃, M(x)) + d with λ = 1/s at the optimum.
        let s = y.get(rows.s).copied().unwrap_or(f64::NAN);
        objective_conic = q.coef / s + q.c0;
        let label = format!("`{}` in the objective", q.term.name);
        // λ(K, M(x*)) by the engine, against its epigraph value sign/s* (= sign·λ_max(K̃, M)).
        let engine = val(q.term.node).map_or(f64::NAN, |v| v[0].re);
        // M(x*) ≻ 0 first, so that its failure is what the message names.
        let pc = check_at(&q.term, x);
        check_point(&pc, engine, &label, &mut |d, w| note(d, w, &mut diff));
        note(
            rel(engine, q.sign / s),
            format!("{label} ({engine} recomputed, from the SDP {})", q.sign / s),
            &mut diff,
        );
        generalized.push((label, pc));
    }
    for (i, gc) in &rec.generalized {
        let label = format!("`{}` in constraint {}", gc.term.name, i + 1);
        let engine = val(gc.term.node).map_or(f64::NAN, |v| v[0].re);
        let pc = check_at(&gc.term, x);
        check_point(&pc, engine, &label, &mut |d, w| note(d, w, &mut diff));
        let excess = if gc.term.max {
            pc.lambda - gc.bound
        } else {
            gc.bound - pc.lambda
        };
        if excess > 0.0 || excess.is_nan() {
            note(
                rel(pc.lambda, gc.bound),
                format!("{label} ({} recomputed, bound {})", pc.lambda, gc.bound),
                &mut diff,
            );
        }
        generalized.push((label, pc));
    }
    note(
        rel(objective_exact, objective_conic),
        format!("the objective ({objective_exact} recomputed, {objective_conic} from the SDP)"),
        &mut diff,
    );
    for (a, b) in rec.objective.atoms.iter().zip(&conic.objective_bounds) {
        let exact = val(a.node).map_or(f64::NAN, |v| a.sign * v[0].re);
        let bound = b.eval(y);
        note(
            rel(exact, bound),
            format!(
                "`{}` in the objective ({exact} recomputed, bound {bound})",
                a.name
            ),
            &mut diff,
        );
    }
    for ((i, e), bounds) in rec.convex.iter().zip(&conic.constraint_bounds) {
        for (a, b) in e.atoms.iter().zip(bounds) {
            let exact = val(a.node).map_or(f64::NAN, |v| a.sign * v[0].re);
            let bound = b.eval(y);
            let excess = if exact <= bound {
                0.0
            } else {
                rel(exact, bound)
            };
            note(
                excess,
                format!(
                    "`{}` in constraint {} ({exact} recomputed, bound {bound})",
                    a.name,
                    i + 1
                ),
                &mut diff,
            );
        }
    }
    let max_atom_difference = diff;
    let atom_worst = worst.clone();
    let mut viol: f64 = 0.0;
    let mut vworst = String::new();
    for (i, c) in problem.constraints.iter().enumerate() {
        let (l, r) = match (val(c.lhs), val(c.rhs)) {
            (Ok(l), Ok(r)) => (l, r),
            _ => {
                viol = f64::INFINITY;
                vworst = format!("constraint {} could not be evaluated", i + 1);
                continue;
            }
        };
        let len = l.len().max(r.len());
        for e in 0..len {
            let a = l[if l.len() == 1 { 0 } else { e }];
            let b = r[if r.len() == 1 { 0 } else { e }];
            let d = match c.op {
                BinOp::Eq => (a - b).norm() / 1f64.max(a.norm()).max(b.norm()),
                BinOp::Ge if a.re < b.re => rel(a.re, b.re),
                BinOp::Le if a.re > b.re => rel(a.re, b.re),
                _ => 0.0,
            };
            let d = if d.is_nan() { f64::INFINITY } else { d };
            if d > viol {
                viol = d;
                vworst = format!("constraint {} (entry {e}: {a} vs {b})", i + 1);
            }
        }
    }
    let worst = if viol > max_atom_difference {
        vworst
    } else {
        atom_worst
    };
    Verification {
        objective_exact,
        objective_conic,
        max_atom_difference,
        max_violation: viol,
        worst,
        generalized,
    }
}

/// M(x*) ≻ 0 and the faer value against the engine's (`engine` is λ(K, M) itself).
fn check_point(pc: &PointCheck, engine: f64, label: &str, note: &mut dyn FnMut(f64, String)) {
    if !pc.m_positive_definite {
        note(
            f64::INFINITY,
            format!(
                "{label}: M(x*) is not positive definite (smallest eigenvalue {:e}, {:e} \
                 relative), so λ(K, M(x*)) is not defined: the optimum of the reformulation lies \
                 on the boundary of the domain M(x) ≻ 0 (the infimum is not attained)",
                pc.m_min, pc.m_min_relative
            ),
        );
        return;
    }
    note(
        rel(pc.lambda, engine),
        format!("{label} (faer {} against the engine's {engine})", pc.lambda),
    );
}
