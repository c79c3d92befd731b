//! The small conic program of one bundle iteration, solved by Clarabel.
//!
//! With P (n × r, orthonormal) the subspace basis, Mⱼ = Pᴴ Aⱼ P (r × r) and the aggregate W̄
//! known through w̄ⱼ = ⟨Aⱼ, W̄⟩, the model of φ = sum_largest(·, k) is
//!
//! φ̂(x) = max { ⟨A(x), α W̄ + P U Pᴴ⟩ : α ≥ 0, 0 ⪯ U ⪯ (1 − α) I, α k + tr U = k }
//!       = max( w̄₀ + Σ xⱼ w̄ⱼ , sum_largest(M₀ + Σ xⱼ Mⱼ, k) )   (for r ≥ k),
//!
//! a minorant of φ because every such W lies in {0 ⪯ W ⪯ I, tr W = k} (Fan's variational
//! characterization; Overton & Womersley 1993). The program, over y = (x, t, [s, Y]):
//!
//! minimize c·t + ℓᵀx [+ (u/2)‖x − x̂‖²]
//! subject to t ≥ w̄₀ + Σ xⱼ w̄ⱼ (the aggregate cut, dual β ≥ 0),
//!            t I − R(M(x)) ⪰ 0 (k = 1), or t ≥ (kk·s + tr Y)/m, Y ⪰ 0, Y − R(M(x)) + s I ⪰ 0
//!            (Ky Fan, Ben-Tal & Nemirovski Prop. 4.2.1, dual U_R of the last block),
//!            the problem's linear equalities (dual μ) and inequalities (dual ν ≥ 0),
//!
//! where R embeds a Hermitian r × r matrix as the real symmetric 2r × 2r [[Re, −Im], [Im, Re]]
//! (m = 2, kk = 2k; for real data R is the identity, m = 1, kk = k). The proximal term enters
//! Clarabel's quadratic objective directly (P = u I on the x block).
//!
//! **Duals.** Stationarity in t gives β + γ = c (γ the weight of the LMI part) and the dual
//! matrix of the LMI block, mapped back by the adjoint Rᵀ(U_R) = (U₁₁ + U₂₂) + i(U₂₁ − U₁₂),
//! is Ũ ⪰ 0 with tr Ũ = k γ and (Ky Fan) Ũ ⪯ γ I. So W = (β W̄ + P Ũ Pᴴ)/c lies in the
//! feasible set of φ's dual, and stationarity in x reads c⟨Aⱼ, W⟩ + ℓⱼ + (Eᵀμ + Gᵀν)ⱼ
//! (+ u(xⱼ − x̂ⱼ)) = 0.

use super::super::conic::Lin;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use faer::Mat;
use std::f64::consts::SQRT_2;

/// A linear constraint c₀ + Σ aⱼ xⱼ (== 0 or ≤ 0).
#[derive(Clone, Debug)]
pub struct Row {
    /// The constant.
    pub c0: f64,
    /// (coordinate, coefficient).
    pub terms: Vec<(usize, f64)>,
}

impl Row {
    /// The value at x.
    pub fn eval(&self, x: &[f64]) -> f64 {
        self.terms.iter().fold(self.c0, |s, &(j, a)| s + a * x[j])
    }
}

/// The data of one subproblem (real symmetric, already embedded).
#[derive(Clone, Copy)]
pub struct Sub<'a> {
    /// Number of coordinates N.
    pub n_x: usize,
    /// k of sum_largest (1: λ_max).
    pub k: usize,
    /// 1 (real data) or 2 (Hermitian data embedded).
    pub mult: usize,
    /// The atom's coefficient c > 0.
    pub coef: f64,
    /// ℓ.
    pub lin: &'a [f64],
    /// R(M₀), p × p.
    pub m0: &'a Mat<f64>,
    /// (coordinate j, R(Mⱼ)).
    pub mj: &'a [(usize, Mat<f64>)],
    /// The aggregate cut (w̄₀, w̄ over the coordinates), if any.
    pub cut: Option<(f64, &'a [f64])>,
    /// Equalities.
    pub eq: &'a [Row],
    /// Inequalities (≤ 0).
    pub le: &'a [Row],
    /// The proximal term (u, x̂).
    pub prox: Option<(f64, &'a [f64])>,
    /// Clarabel's tolerances.
    pub tol: f64,
}

/// A solved subproblem.
#[derive(Clone, Debug)]
pub struct SubSol {
    /// x.
    pub x: Vec<f64>,
    /// The model value c·φ̂(x) + ℓᵀx (without the constant and the proximal term).
    pub model: f64,
    /// Dual of the cut (0 without a cut).
    pub beta: f64,
    /// Dual matrix of the LMI block, p × p.
    pub u_r: Mat<f64>,
    /// Duals of the equalities.
    pub mu: Vec<f64>,
    /// Duals of the inequalities.
    pub nu: Vec<f64>,
    /// Clarabel's iterations.
    pub iterations: u32,
}

/// Why a subproblem has no solution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubFailure {
    /// The constraints cannot hold.
    Infeasible,
    /// The model is unbounded below (the subspace is too small; no bound this time).
    Unbounded,
    /// Anything else (Clarabel's status).
    Other(String),
}

struct Rows {
    rows: Vec<Lin>,
    cones: Vec<SupportedConeT<f64>>,
}

impl Rows {
    fn block(&mut self, cone: SupportedConeT<f64>, rows: Vec<Lin>) -> std::ops::Range<usize> {
        let start = self.rows.len();
        if !rows.is_empty() {
            self.rows.extend(rows);
            self.cones.push(cone);
        }
        start..self.rows.len()
    }
    /// svec of the symmetric matrix with entries `m(r, c)` as a PSD block.
    fn psd(&mut self, p: usize, m: impl Fn(usize, usize) -> Lin) -> std::ops::Range<usize> {
        let mut rows = Vec::with_capacity(p * (p + 1) / 2);
        for c in 0..p {
            for r in 0..=c {
                let mut l = m(r, c);
                if r != c {
                    l.c0 *= SQRT_2;
                    l.terms.iter_mut().for_each(|(_, a)| *a *= SQRT_2);
                }
                rows.push(l);
            }
        }
        if p == 1 {
            self.block(SupportedConeT::NonnegativeConeT(1), rows)
        } else {
            self.block(SupportedConeT::PSDTriangleConeT(p), rows)
        }
    }
}

/// Solves the subproblem: the proximal λ_max program by the structured interior-point method
/// of [`super::ipm`] when it applies and converges, everything else (and its failures) by
/// Clarabel.
///
/// The returned model value is recomputed from x, c·max(w̄₀ + w̄ᵀx, sum_largest(M(x), k)) + ℓᵀx
/// (eigenvalues of the small matrix), rather than taken from the epigraph variable t, which an
/// interior-point solution leaves above the maximum by its slack: the serious-step test
/// compares this value with f at the center to ~1e-12, far below the solvers' tolerances.
pub fn solve(sub: &Sub) -> Result<SubSol, SubFailure> {
    let mut s = match super::ipm::solve(sub) {
        Some(s) => s,
        None => solve_clarabel(sub)?,
    };
    if let Some(m) = model_value(sub, &s.x) {
        s.model = m;
    }
    Ok(s)
}

/// c·φ̂(x) + ℓᵀx with φ̂(x) = max(w̄₀ + w̄ᵀx, sum_largest(M(x), k)); on the real embedding R(M)
/// every eigenvalue of M appears `mult` times, so the sum of the largest k·mult is divided by
/// `mult`.
pub fn model_value(sub: &Sub, x: &[f64]) -> Option<f64> {
    let mut m = sub.m0.clone();
    for (j, mj) in sub.mj {
        if x[*j] != 0.0 {
            m += mj * faer::Scale(x[*j]);
        }
    }
    let mut ev = m.self_adjoint_eigenvalues(faer::Side::Lower).ok()?;
    ev.sort_by(|a, b| b.total_cmp(a));
    let kk = (sub.k * sub.mult).min(ev.len());
    let mut phi = ev[..kk].iter().sum::<f64>() / sub.mult as f64;
    if let Some((w0, w)) = sub.cut {
        phi = phi.max(w0 + w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>());
    }
    let v = sub.coef * phi + sub.lin.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
    v.is_finite().then_some(v)
}

/// Solves the subproblem with Clarabel.
pub fn solve_clarabel(sub: &Sub) -> Result<SubSol, SubFailure> {
    let n = sub.n_x;
    let p = sub.m0.nrows();
    let kk = sub.k * sub.mult;
    let inv_m = 1.0 / sub.mult as f64;
    let t = n;
    let kyfan = sub.k > 1;
    let (sv, y0) = (n + 1, n + 2);
    let nv = if kyfan {
        n + 2 + p * (p + 1) / 2
    } else {
        n + 1
    };
    let yi = |r: usize, c: usize| {
        let (r, c) = if r <= c { (r, c) } else { (c, r) };
        y0 + r + c * (c + 1) / 2
    };
    // −R(M(x))ᵣ꜀ as a Lin over x.
    let neg_m = |r: usize, c: usize| Lin {
        c0: -sub.m0[(r, c)],
        terms: sub
            .mj
            .iter()
            .filter(|(_, m)| m[(r, c)] != 0.0)
            .map(|(j, m)| (*j, -m[(r, c)]))
            .collect(),
    };
    let mut rows = constraint_rows(sub.eq, sub.le);
    let (eq, le) = (0..sub.eq.len(), sub.eq.len()..sub.eq.len() + sub.le.len());
    let cut = match sub.cut {
        Some((w0, w)) => {
            let mut l = Lin {
                c0: -w0,
                terms: vec![(t, 1.0)],
            };
            l.terms.extend(
                w.iter()
                    .enumerate()
                    .filter(|(_, a)| **a != 0.0)
                    .map(|(j, a)| (j, -a)),
            );
            Some(
                rows.block(SupportedConeT::NonnegativeConeT(1), vec![l])
                    .start,
            )
        }
        None => None,
    };
    let lmi = if !kyfan {
        rows.psd(p, |r, c| {
            let mut l = neg_m(r, c);
            if r == c {
                l.terms.push((t, 1.0));
            }
            l
        })
    } else {
        let mut epi = Lin {
            c0: 0.0,
            terms: vec![(t, 1.0), (sv, -(kk as f64) * inv_m)],
        };
        epi.terms.extend((0..p).map(|i| (yi(i, i), -inv_m)));
        rows.block(SupportedConeT::NonnegativeConeT(1), vec![epi]);
        rows.psd(p, |r, c| Lin {
            c0: 0.0,
            terms: vec![(yi(r, c), 1.0)],
        });
        rows.psd(p, |r, c| {
            let mut l = neg_m(r, c);
            l.terms.push((yi(r, c), 1.0));
            if r == c {
                l.terms.push((sv, 1.0));
            }
            l
        })
    };
    // Objective.
    let mut q = vec![0.0; nv];
    q[..n].copy_from_slice(sub.lin);
    q[t] = sub.coef;
    let pmat = match sub.prox {
        Some((u, xh)) => {
            for j in 0..n {
                q[j] -= u * xh[j];
            }
            CscMatrix::new(
                nv,
                nv,
                (0..=nv).map(|j| j.min(n)).collect(),
                (0..n).collect(),
                vec![u; n],
            )
        }
        None => CscMatrix::zeros((nv, nv)),
    };
    let sol = run_clarabel(&pmat, &q, &rows, nv, sub.tol)?;
    let x = sol.x[..n].to_vec();
    let model = sub.coef * sol.x[t] + sub.lin.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>();
    Ok(SubSol {
        x,
        model,
        beta: cut.map_or(0.0, |i| sol.z[i].max(0.0)),
        u_r: super::ipm::unsvec(&sol.z[lmi], p),
        mu: sol.z[eq].to_vec(),
        nu: sol.z[le].iter().map(|v| v.max(0.0)).collect(),
        iterations: sol.iterations,
    })
}

/// min { qᵀx : x in the constraint set } (a Clarabel LP), or `Unbounded` when the set is
/// unbounded in a direction of descent. Returned is the smaller of the primal and the dual
/// objective, so that a tolerance-level inaccuracy errs on the side of a lower bound.
///
/// A weighted simplex (one equality Σⱼ aⱼxⱼ = b over every coordinate with all aⱼ of one sign,
/// and one lower bound xⱼ ≥ lⱼ per coordinate, nothing else: edge weights summing to one) is
/// solved in closed form, [`simplex_min`], exact to rounding and without Clarabel.
///
/// ```
/// use wirtinger::eig::bundle::subproblem::{lp_min, Row, SubFailure};
/// // min 3x₀ + x₁ over the simplex x ≥ 0, x₀ + x₁ = 1: the smallest coefficient, 1.
/// let eq = [Row { c0: -1.0, terms: vec![(0, 1.0), (1, 1.0)] }];
/// let le = [Row { c0: 0.0, terms: vec![(0, -1.0)] }, Row { c0: 0.0, terms: vec![(1, -1.0)] }];
/// assert!((lp_min(2, &eq, &le, &[3.0, 1.0], 1e-10).unwrap() - 1.0).abs() < 1e-8);
/// // Without the bounds the LP is unbounded.
/// assert_eq!(lp_min(2, &eq, &[], &[3.0, 1.0], 1e-10), Err(SubFailure::Unbounded));
/// ```
pub fn lp_min(n: usize, eq: &[Row], le: &[Row], q: &[f64], tol: f64) -> Result<f64, SubFailure> {
    if let Some(v) = simplex_min(n, eq, le, q) {
        return Ok(v);
    }
    let rows = constraint_rows(eq, le);
    let sol = run_clarabel(&CscMatrix::zeros((n, n)), q, &rows, n, tol)?;
    Ok(sol.obj.min(sol.obj_dual))
}

/// min qᵀx over a weighted simplex {x : x ≥ l, Σⱼ aⱼxⱼ = b} with every aⱼ > 0 (after fixing
/// the equality's sign), or `None` when the constraints have another form (or the set is
/// empty: the general LP reports that).
///
/// With y = x − l ≥ 0 and b′ = b − Σ aⱼlⱼ ≥ 0 the set is the simplex Σ aⱼyⱼ = b′, whose
/// vertices are b′/aⱼ · eⱼ; a linear function attains its minimum at a vertex, so
///
/// ```text
///     min qᵀx = qᵀl + b′ · minⱼ qⱼ/aⱼ.
/// ```
///
/// ```
/// use wirtinger::eig::bundle::subproblem::{simplex_min, Row};
/// // 2x₀ + x₁ = 4, x₀ ≥ 1, x₁ ≥ 0: vertices (2, 0) and (1, 2); min of x₀ − x₁ is −1 at (1, 2).
/// let eq = [Row { c0: -4.0, terms: vec![(0, 2.0), (1, 1.0)] }];
/// let le = [Row { c0: 1.0, terms: vec![(0, -1.0)] }, Row { c0: 0.0, terms: vec![(1, -1.0)] }];
/// assert_eq!(simplex_min(2, &eq, &le, &[1.0, -1.0]), Some(-1.0));
/// // An upper bound instead of a lower one is not this form.
/// let up = [Row { c0: -1.0, terms: vec![(0, 1.0)] }, Row { c0: 0.0, terms: vec![(1, -1.0)] }];
/// assert_eq!(simplex_min(2, &eq, &up, &[1.0, -1.0]), None);
/// ```
pub fn simplex_min(n: usize, eq: &[Row], le: &[Row], q: &[f64]) -> Option<f64> {
    let [row] = eq else { return None };
    if n == 0 || row.terms.len() != n || le.len() != n || q.len() != n {
        return None;
    }
    // The equality c₀ + Σ aⱼxⱼ = 0 as Σ |aⱼ| xⱼ = b.
    let sign = row.terms[0].1.signum();
    let mut a = vec![0.0; n];
    for &(j, c) in &row.terms {
        if j >= n || a[j] != 0.0 || !c.is_finite() || c * sign <= 0.0 {
            return None;
        }
        a[j] = c * sign;
    }
    let b = -row.c0 * sign;
    // Lower bounds: c₀ + c·xⱼ ≤ 0 with c < 0, i.e. xⱼ ≥ −c₀/c.
    let mut lo = vec![f64::NAN; n];
    for r in le {
        let [(j, c)] = r.terms[..] else { return None };
        if j >= n || !lo[j].is_nan() || c >= 0.0 {
            return None;
        }
        lo[j] = -r.c0 / c;
    }
    if lo.iter().chain(q).any(|v| !v.is_finite()) {
        return None;
    }
    let slack = b - a.iter().zip(&lo).map(|(a, l)| a * l).sum::<f64>();
    if !(slack >= 0.0 && slack.is_finite()) {
        return None;
    }
    let ratio = q
        .iter()
        .zip(&a)
        .map(|(q, a)| q / a)
        .fold(f64::INFINITY, f64::min);
    Some(q.iter().zip(&lo).map(|(q, l)| q * l).sum::<f64>() + slack * ratio)
}

fn constraint_rows(eq: &[Row], le: &[Row]) -> Rows {
    let neg = |r: &Row| Lin {
        c0: -r.c0,
        terms: r.terms.iter().map(|&(j, a)| (j, -a)).collect(),
    };
    let mut rows = Rows {
        rows: Vec::new(),
        cones: Vec::new(),
    };
    rows.block(
        SupportedConeT::ZeroConeT(eq.len()),
        eq.iter().map(neg).collect(),
    );
    rows.block(
        SupportedConeT::NonnegativeConeT(le.len()),
        le.iter().map(neg).collect(),
    );
    rows
}

/// The projection of x₀ onto the constraints: argmin ½‖x − x₀‖² subject to the equalities and
/// inequalities (a Clarabel QP), the bundle's feasible start.
pub fn project(
    n: usize,
    eq: &[Row],
    le: &[Row],
    x0: &[f64],
    tol: f64,
) -> Result<Vec<f64>, SubFailure> {
    let rows = constraint_rows(eq, le);
    let q: Vec<f64> = x0.iter().map(|v| -v).collect();
    let pmat = CscMatrix::new(n, n, (0..=n).collect(), (0..n).collect(), vec![1.0; n]);
    let sol = run_clarabel(&pmat, &q, &rows, n, tol)?;
    Ok(sol.x[..n].to_vec())
}

struct Solved {
    x: Vec<f64>,
    z: Vec<f64>,
    obj: f64,
    obj_dual: f64,
    iterations: u32,
}

fn run_clarabel(
    pmat: &CscMatrix<f64>,
    q: &[f64],
    rows: &Rows,
    nv: usize,
    tol: f64,
) -> Result<Solved, SubFailure> {
    let (a, b) = super::super::conic::constraint_matrix(&rows.rows, nv);
    #[cfg(all(feature = "faer-blas", not(feature = "system-blas")))]
    super::super::blas::ensure_linked();
    let settings = DefaultSettingsBuilder::default()
        .direct_solve_method("faer".to_owned())
        .verbose(false)
        .tol_gap_abs(tol)
        .tol_gap_rel(tol)
        .tol_feas(tol)
        .max_iter(200)
        .build()
        .map_err(|e| SubFailure::Other(format!("invalid Clarabel settings: {e}")))?;
    let mut solver = DefaultSolver::new(pmat, q, &a, &b, &rows.cones, settings)
        .map_err(|e| SubFailure::Other(format!("Clarabel rejected the subproblem: {e}")))?;
    solver.solve();
    let sol = &solver.solution;
    match sol.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {}
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
            return Err(SubFailure::Infeasible)
        }
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => {
            return Err(SubFailure::Unbounded)
        }
        s => return Err(SubFailure::Other(format!("{s:?}"))),
    }
    if sol.x.iter().chain(&sol.z).any(|v| !v.is_finite()) {
        return Err(SubFailure::Other("non-finite solution".into()));
    }
    Ok(Solved {
        x: sol.x.clone(),
        z: sol.z.clone(),
        obj: sol.obj_val,
        obj_dual: sol.obj_val_dual,
        iterations: sol.iterations,
    })
}
