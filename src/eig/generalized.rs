//! Generalized eigenvalues λ(K, M(x)) of K v = λ M v (M Hermitian positive definite) in the
//! `sdp` path (issue 7, item 6): which forms are exact SDPs, and how.
//!
//! These functions are **quasiconvex** (λ_max) and **quasiconcave** (λ_min) in x, not convex:
//! for M(x) ≻ 0,
//!
//! - λ_max(K, M) ≤ t ⟺ K − t·M ⪯ 0, and λ_min(K, M) ≥ t ⟺ K − t·M ⪰ 0
//!
//! (multiply vᴴKv ≤ t·vᴴMv over all v; Boyd & Vandenberghe, *Convex Optimization*, 2004,
//! §3.4.1 and §4.2.5 on quasiconvex problems, and the "generalized eigenvalue minimization"
//! example of §4.6.2). For every fixed t the right-hand sides are LMIs in x, also when K is
//! affine in x. That gives the two forms taken here:
//!
//! **1. Constraints.** `lambda_max(K(x), M(x)) <= c` becomes c·M(x) − K(x) ⪰ 0, and
//! `lambda_min(K(x), M(x)) >= c` becomes K(x) − c·M(x) ⪰ 0, for every real constant c (the
//! constraint may be scaled and shifted by constants: a·λ + b ≤ d with a > 0). The bound c must
//! be a constant: c(x)·M(x) is bilinear. `lambda_max(…) >= c` and `lambda_min(…) <= c` are
//! superlevel sets of a quasiconvex function, not convex: rejected.
//!
//! **2. Objectives** minimize c·λ_max(K, M(x)) + d, or maximize c·λ_min(K, M(x)) + d, with
//! c > 0 and **K constant** (data). Write K̃ = K for λ_max and K̃ = −K for λ_min (λ_min(K, M) =
//! −λ_max(−K, M)), so every case is min c·λ_max(K̃, M(x)) + d. By Sylvester's law of inertia the
//! generalized eigenvalues of (K̃, M) have the signs of the eigenvalues of K̃ for every M ≻ 0, so
//! the sign of the optimal λ is known from K̃ alone, and the 1/t reparametrization s = 1/t
//! (Boyd & Vandenberghe §4.6.2; Men, Nguyen, Freund, Parrilo & Peraire, "Bandgap optimization of
//! two-dimensional photonic crystals using semidefinite programming and subspace methods",
//! J. Comput. Phys. 229, 2010, §3, where the band-gap ratio is handled the same way) gives:
//!
//! | case | data | SDP | optimum |
//! |---|---|---|---|
//! | positive | λ_max(K̃) > 0 (λ > 0 everywhere) | max s s.t. s·K̃ ⪯ M(x) | λ* = 1/s* |
//! | negative | K̃ ≺ 0 (λ < 0 everywhere) | max s s.t. M(x) ⪯ s·K̃ | λ* = 1/s* (s* < 0) |
//! | zero | K̃ ⪯ 0 singular (λ_max ≡ 0) | rejected: the objective is constant | |
//!
//! *Positive case*: for t > 0, K̃ ⪯ t·M ⟺ s·K̃ ⪯ M with s = 1/t, and minimizing t is
//! maximizing s. Every feasible s > 0 gives λ_max(K̃, M(x)) ≤ 1/s, and every x gives the
//! feasible s = 1/λ_max(K̃, M(x)) > 0, so s* = 1/λ*; points with s ≤ 0 are feasible too but
//! never optimal. s* = +∞ (Clarabel: unbounded) means inf λ = 0, not attained.
//! *Negative case*: for t < 0, K̃ ⪯ t·M ⟺ M ⪯ s·K̃ (dividing by t < 0 flips the order), and
//! t = 1/s decreases as s < 0 increases toward 0, so again maximize s; s* → 0 means λ → −∞.
//! In user terms: maximize λ_min(K, M(x)) with **K ≻ 0** (the band-gap case: a stiffness at a
//! nonzero Bloch vector) is min u s.t. M(x) ⪯ u·K, λ* = 1/u* (u = −s); with λ_min(K) < 0 it is
//! min u s.t. u·K ⪯ M(x), λ* = 1/u* < 0.
//! The sign of λ at the optimum is decided by K̃'s extreme eigenvalue with the relative
//! tolerance [`SIGN_TOL`]; when it is zero to that tolerance the sign is not known from the data
//! and the objective is rejected (exit 2) with that reason.
//!
//! A generalized eigenvalue **added to other non-constant terms** is rejected: a sum of a
//! quasiconvex and a convex function is not quasiconvex in general, and the reformulation needs
//! the whole objective to be one monotone function of λ. So is an objective whose K depends on
//! x (s·K(x) is bilinear; bisect on c with the constraint form instead), maximizing λ_max, and
//! minimizing λ_min.
//!
//! **Constant M.** When M is constant data (M = LLᴴ ≻ 0) the function is not merely
//! quasiconvex: λ_max(K(x), M) = λ_max(L⁻¹K(x)L⁻ᴴ) is convex for affine K(x), so it is
//! recognized as an ordinary `lambda_max` (`lambda_min`) atom of the whitened argument
//! ([`whiten`]) and takes every form the convex atoms take (sums, `<=` affine bounds, K affine,
//! also `spectral_bundle`); none of the rules above applies to it.
//!
//! **The domain M(x) ≻ 0.** The functions are defined only where M(x) ≻ 0, an open set; the SDP
//! adds its closure M(x) ⪰ 0 as an LMI whenever M depends on x and the inequality is not implied
//! by the main LMI (it is implied in the positive objective case when K̃ ⪰ 0, since
//! M(x) ⪰ s·K̃ ⪰ 0 for the optimal s > 0). A diagonal M(x) needs only n linear inequalities.
//! A constant M must be positive definite (checked at recognition, else exit 2). At x* the
//! verification ([`super::verify`]) recomputes M(x*), requires a Cholesky factorization
//! and a positive smallest eigenvalue, and recomputes λ(K, M(x*)) with faer; an optimum that
//! lies on the boundary (M(x*) singular: the infimum is not attained) fails the verification
//! and ends in `numerical_error` with that reason.
//!
//! **Dual certificate.** Clarabel's dual Z ⪰ 0 of the main LMI satisfies, at an optimum,
//! ⟨K̃, Z⟩ = ±1 (stationarity in s: + in the positive, − in the negative case) and
//! ⟨Z, M(x*) − s*K̃⟩ = 0 (complementarity), so Ẑ = Z/|s*| has ⟨M(x*), Ẑ⟩ = 1 and
//! ⟨K̃, Ẑ⟩ = 1/s* = λ*: Ẑ attains λ_max(K̃, M) = max{⟨K̃, W⟩ : W ⪰ 0, ⟨M, W⟩ = 1} (the
//! generalized Rayleigh quotient over densities), so it is a convex combination of M-normalized
//! eigenvectors of the top generalized eigenvalue, of rank at most its multiplicity. Stationarity
//! in x (⟨Mⱼ, Z⟩ terms with the constraints' multipliers) makes ⟨M(x), Z⟩ ≤ s_dual on the
//! feasible set, hence λ_max(K̃, M(x)) ≥ ⟨K̃, Z⟩/⟨M(x), Z⟩ ≥ 1/s_dual in the positive case: the
//! dual value bounds the optimum. For a constraint λ_max(K, M) ≤ c with dual Z of cM − K ⪰ 0,
//! μ = ⟨M(x*), Z⟩ is the Lagrange multiplier of the scalar constraint (dλ = vᴴ(dK − λ dM)v for
//! vᴴMv = 1), and ⟨cM(x*) − K(x*), Z⟩ = 0.
//!
//! ```
//! use wirtinger::eig::recognize::recognize;
//! use wirtinger::eig::generalized::SignCase;
//! // max λ_min(K, diag(x)) with K = I and x₀ + x₁ = 1: λ_min = min(1/x₀, 1/x₁), best at x = ½.
//! let p = wirtinger::io::parse_problem(r#"
//! [variables]
//! x = { type = "real", shape = [2] }
//! [data]
//! K = [[1.0, 0.0], [0.0, 1.0]]
//! [objective]
//! maximize = "lambda_min(K, diag(x))"
//! [[constraints]]
//! expr = "sum(x) == 1"
//! "#, "p.toml".as_ref()).unwrap();
//! let rec = recognize(&p).unwrap();
//! let q = rec.quasi.as_ref().unwrap();
//! // K̃ = −K ≺ 0: the negative case, min u s.t. diag(x) ⪯ u·I.
//! assert_eq!(q.case, SignCase::Negative);
//! let r = wirtinger::solve::solve(&p, &Default::default()).unwrap();
//! assert!((r.objective - 2.0).abs() < 1e-7);
//! ```

use super::affine::{affine_map, AffineMap, Coords};
use super::spectrum::{eigenvalues_desc, generalized_eigenvalues_desc};
use crate::cr::{Graph, NodeId};
use faer::Mat;
use num_complex::Complex64 as C64;

/// Relative tolerance for the sign of K̃'s extreme eigenvalue (relative to max |λ(K̃)|).
pub const SIGN_TOL: f64 = 1e-10;

/// Relative tolerance for M(x*) ≻ 0 in the verification: λ_min(M(x*)) > PD_TOL·max|λ(M(x*))|.
pub const PD_TOL: f64 = 1e-13;

/// The sign of λ at the optimum of a generalized eigenvalue objective (see the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignCase {
    /// λ_max(K̃) > 0: max s s.t. s·K̃ ⪯ M(x).
    Positive,
    /// K̃ ≺ 0: max s s.t. M(x) ⪯ s·K̃.
    Negative,
}

/// A generalized eigenvalue term met while recognizing an expression.
#[derive(Clone, Debug)]
pub struct GenTerm {
    /// The `GenEigValue` node (its value is λ(K, M)).
    pub node: NodeId,
    /// λ_max (true) or λ_min.
    pub max: bool,
    /// Its coefficient in the expression (minimization form for an objective).
    pub coef: f64,
    /// K (Hermitian part), affine over the coordinates.
    pub k: AffineMap,
    /// M (Hermitian part), affine over the coordinates.
    pub m: AffineMap,
    /// `lambda_max(A, B)` or `lambda_min(A, B)`.
    pub name: String,
}

/// The objective min c·λ_max(K̃, M(x)) + d (minimization form), reformulated with s = 1/λ.
#[derive(Clone, Debug)]
pub struct QuasiObjective {
    /// The term.
    pub term: GenTerm,
    /// +1 for λ_max (K̃ = K), −1 for λ_min (K̃ = −K): λ_max(K̃, M) = sign·λ(K, M).
    pub sign: f64,
    /// c > 0.
    pub coef: f64,
    /// d.
    pub c0: f64,
    /// K̃ (constant), column-major n×n.
    pub k_tilde: Vec<C64>,
    /// The sign case.
    pub case: SignCase,
    /// λ_max(K̃), which decided the case.
    pub k_tilde_max: f64,
    /// Whether the SDP carries the domain LMI M(x) ⪰ 0.
    pub domain: bool,
}

/// A constraint λ_max(K(x), M(x)) ≤ c or λ_min(K(x), M(x)) ≥ c.
#[derive(Clone, Debug)]
pub struct GenConstraint {
    /// The term (its `coef` is the constraint's coefficient a of a·λ + b ≤ 0).
    pub term: GenTerm,
    /// The bound c.
    pub bound: f64,
    /// The LMI that must be ⪰ 0: c·M(x) − K(x) for λ_max, K(x) − c·M(x) for λ_min.
    pub lmi: AffineMap,
    /// Whether the SDP carries the domain LMI M(x) ⪰ 0.
    pub domain: bool,
}

/// Merges repeated coordinates of each entry and drops zero coefficients.
pub fn coalesce(map: &AffineMap) -> AffineMap {
    let rows = map
        .rows
        .iter()
        .map(|r| {
            let mut v: Vec<(usize, C64)> = Vec::with_capacity(r.len());
            let mut sorted = r.clone();
            sorted.sort_by_key(|e| e.0);
            for (j, a) in sorted {
                match v.last_mut() {
                    Some(last) if last.0 == j => last.1 += a,
                    _ => v.push((j, a)),
                }
            }
            v.retain(|(_, a)| *a != C64::new(0.0, 0.0));
            v
        })
        .collect();
    AffineMap {
        shape: map.shape,
        c0: map.c0.clone(),
        rows,
    }
}

/// Whether the map does not depend on the coordinates.
pub fn is_constant(map: &AffineMap) -> bool {
    coalesce(map).rows.iter().all(|r| r.is_empty())
}

/// Whether every off-diagonal entry of the n×n map is identically zero.
pub fn is_diagonal(map: &AffineMap) -> bool {
    let n = map.shape.rows();
    let m = coalesce(map);
    (0..n * n)
        .filter(|e| e % (n + 1) != 0)
        .all(|e| m.c0[e] == C64::new(0.0, 0.0) && m.rows[e].is_empty())
}

/// The n×n matrix of column-major entries.
pub fn to_mat(v: &[C64], n: usize) -> Mat<C64> {
    Mat::from_fn(n, n, |i, j| v[i + j * n])
}

/// For a constant M = LLᴴ ≻ 0, the map x ↦ L⁻¹K(x)L⁻ᴴ, whose ordinary eigenvalues are the
/// generalized eigenvalues of (K(x), M) (Golub & Van Loan, *Matrix Computations*, §8.7.2). Then
/// λ_max(K(x), M) = λ_max(L⁻¹K(x)L⁻ᴴ) is **convex** in x (K affine), an ordinary `lambda_max`
/// atom that may be summed with others, bounded, and solved by every eigenvalue method. Errors
/// when M is not positive definite.
///
/// ```
/// use wirtinger::eig::generalized::{term, whiten};
/// use wirtinger::eig::affine::Coords;
/// let p = wirtinger::io::parse_problem(r#"
/// [variables]
/// x = { type = "real", shape = [1] }
/// [data]
/// A = [[2.0, 0.0], [0.0, 6.0]]
/// B = [[4.0, 0.0], [0.0, 9.0]]
/// [objective]
/// minimize = "lambda_max(x[0] * A, B)"
/// "#, "p.toml".as_ref()).unwrap();
/// let coords = Coords::new(&p.var_types());
/// let t = term(&p.graph, p.objective, 1.0, true, "lambda_max(A, B)".into(), &coords).unwrap();
/// // L = diag(2, 3): L⁻¹AL⁻ᴴ = diag(1/2, 2/3), the coefficient of x₀.
/// let w = whiten(&t).unwrap();
/// assert!((w.rows[0][0].1.re - 0.5).abs() < 1e-15 && (w.rows[3][0].1.re - 2.0 / 3.0).abs() < 1e-15);
/// ```
pub fn whiten(t: &GenTerm) -> Result<AffineMap, String> {
    use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
    let n = t.k.shape.rows();
    let m = to_mat(&t.m.c0, n);
    let llt = m.llt(faer::Side::Lower).map_err(|_| {
        format!(
            "the second argument of `{}` is constant and not positive definite",
            t.name
        )
    })?;
    let l = llt.L();
    // C ↦ L⁻¹ C L⁻ᴴ for a Hermitian C: X = L⁻¹C, then L⁻¹Xᴴ = (X L⁻ᴴ)ᴴ = X L⁻ᴴ (Hermitian).
    let transform = |c: &[C64]| -> Vec<C64> {
        let mut x = to_mat(c, n);
        solve_lower_triangular_in_place(l, x.as_mut(), faer::Par::Seq);
        let mut y = x.adjoint().to_owned();
        solve_lower_triangular_in_place(l, y.as_mut(), faer::Par::Seq);
        (0..n * n)
            .map(|e| {
                let (i, j) = (e % n, e / n);
                (y[(i, j)] + y[(j, i)].conj()) * 0.5
            })
            .collect()
    };
    let c0 = transform(&t.k.c0);
    let mut coefs: std::collections::BTreeMap<usize, Vec<C64>> = Default::default();
    for (e, row) in t.k.rows.iter().enumerate() {
        for &(j, a) in row {
            coefs
                .entry(j)
                .or_insert_with(|| vec![C64::new(0.0, 0.0); n * n])[e] += a;
        }
    }
    let mut rows = vec![Vec::new(); n * n];
    for (j, cj) in coefs {
        for (e, v) in transform(&cj).into_iter().enumerate() {
            if v != C64::new(0.0, 0.0) {
                rows[e].push((j, v));
            }
        }
    }
    Ok(AffineMap {
        shape: t.k.shape,
        c0,
        rows,
    })
}

/// Extracts the affine maps of a `GenEigValue` node's two (Hermitian-part) arguments.
pub fn term(
    g: &Graph,
    node: NodeId,
    coef: f64,
    max: bool,
    name: String,
    coords: &Coords,
) -> Result<GenTerm, String> {
    let args = &g.node(node).args;
    let k = affine_map(g, args[0], coords)
        .map_err(|e| format!("the first argument of `{name}` is not affine: {e}"))?;
    let m = affine_map(g, args[1], coords)
        .map_err(|e| format!("the second argument of `{name}` is not affine: {e}"))?;
    Ok(GenTerm {
        node,
        max,
        coef,
        k: coalesce(&k),
        m: coalesce(&m),
        name,
    })
}

/// Checks that a constant M is positive definite.
fn check_constant_metric(t: &GenTerm) -> Result<(), String> {
    let n = t.m.shape.rows();
    let m = to_mat(&t.m.c0, n);
    if m.llt(faer::Side::Lower).is_err() {
        return Err(format!(
            "the second argument of `{}` is constant and not positive definite",
            t.name
        ));
    }
    Ok(())
}

/// Classifies the objective's only term, minimize `t.coef`·λ(K, M(x)) + c0 (minimization form).
pub fn objective(t: GenTerm, c0: f64) -> Result<QuasiObjective, String> {
    let name = t.name.clone();
    let sign = match (t.max, t.coef > 0.0) {
        (true, true) => 1.0,
        (false, false) => -1.0,
        (true, false) => {
            return Err(format!(
                "`{name}` is quasiconvex (its sublevel sets are LMIs), so it may only be \
                 minimized (or maximized with a negative coefficient); maximizing it is not a \
                 convex problem"
            ))
        }
        (false, true) => {
            return Err(format!(
                "`{name}` is quasiconcave (its superlevel sets are LMIs), so it may only be \
                 maximized (or minimized with a negative coefficient); minimizing it is not a \
                 convex problem"
            ))
        }
    };
    if !is_constant(&t.k) {
        return Err(format!(
            "the first argument of `{name}` depends on the variables; as an objective the \
             1/t reparametrization needs it constant (s·K(x) would be bilinear); write \
             `{name} <= c` (or `>= c` for lambda_min) as a constraint and bisect on c"
        ));
    }
    if is_constant(&t.m) {
        check_constant_metric(&t)?;
    }
    let n = t.k.shape.rows();
    let k_tilde: Vec<C64> = t.k.c0.iter().map(|v| v * sign).collect();
    let eigs = eigenvalues_desc(&to_mat(&k_tilde, n))
        .map_err(|e| format!("the first argument of `{name}`: {e}"))?;
    let top = eigs.first().copied().unwrap_or(0.0);
    let scale = eigs.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let which = if t.max {
        "the largest eigenvalue of K"
    } else {
        "the smallest eigenvalue of K"
    };
    let case = if scale > 0.0 && top > SIGN_TOL * scale {
        SignCase::Positive
    } else if scale > 0.0 && top < -SIGN_TOL * scale {
        SignCase::Negative
    } else {
        return Err(format!(
            "the sign of λ at the optimum is not known from the data: {which} (the first \
             argument of `{name}`) is zero to rounding ({:.3e} relative), so λ is 0 or its sign \
             is undetermined (by Sylvester's law of inertia the generalized eigenvalues have \
             the signs of K's eigenvalues); the 1/t reparametrization needs it nonzero",
            if scale > 0.0 { sign * top / scale } else { 0.0 }
        ));
    };
    // In the positive case with K̃ ⪰ 0 the main LMI implies M(x) ⪰ s*·K̃ ⪰ 0.
    let k_psd = eigs.last().is_some_and(|&v| v >= 0.0);
    let implied = case == SignCase::Positive && k_psd;
    let domain = !implied && !is_constant(&t.m);
    Ok(QuasiObjective {
        sign,
        coef: t.coef.abs(),
        c0,
        k_tilde,
        case,
        k_tilde_max: top,
        domain,
        term: t,
    })
}

/// Classifies a constraint a·λ(K, M) + b ≤ 0 (a = `t.coef`, b = `offset`).
pub fn constraint(t: GenTerm, offset: f64) -> Result<GenConstraint, String> {
    let name = t.name.clone();
    let a = t.coef;
    let bound = -offset / a;
    // a > 0: λ ≤ bound; a < 0: λ ≥ bound.
    let lmi = match (t.max, a > 0.0) {
        (true, true) => t.m.clone().scaled(bound).minus(&t.k),
        (false, false) => t.k.minus(&t.m.clone().scaled(bound)),
        (true, false) => {
            return Err(format!(
                "`{name}` is quasiconvex: `{name} <= c` is an LMI, but here it is bounded from \
                 below (`>= c`), which is not a convex set"
            ))
        }
        (false, true) => {
            return Err(format!(
                "`{name}` is quasiconcave: `{name} >= c` is an LMI, but here it is bounded from \
                 above (`<= c`), which is not a convex set"
            ))
        }
    };
    if is_constant(&t.m) {
        check_constant_metric(&t)?;
    }
    let domain = !is_constant(&t.m);
    Ok(GenConstraint {
        lmi: coalesce(&lmi),
        bound,
        domain,
        term: t,
    })
}

/// The main LMI of the objective as a Hermitian map over the conic variables y (x first, then
/// s at index `s`): M(x) − s·K̃ (positive case) or s·K̃ − M(x) (negative case), ⪰ 0.
pub fn objective_lmi(q: &QuasiObjective, s: usize) -> AffineMap {
    let sgn = match q.case {
        SignCase::Positive => 1.0,
        SignCase::Negative => -1.0,
    };
    let m = q.term.m.clone().scaled(sgn);
    let rows = m
        .rows
        .iter()
        .zip(&q.k_tilde)
        .map(|(r, k)| {
            let mut r = r.clone();
            if *k != C64::new(0.0, 0.0) {
                r.push((s, -sgn * k));
            }
            r
        })
        .collect();
    AffineMap {
        shape: m.shape,
        c0: m.c0,
        rows,
    }
}

/// The independent check of one generalized eigenvalue at a point: M(x*) ≻ 0 and λ(K, M(x*)),
/// recomputed with faer (Cholesky of M, then the Hermitian eigensolver on L⁻¹KL⁻ᴴ).
#[derive(Clone, Debug, PartialEq)]
pub struct PointCheck {
    /// Generalized eigenvalues, descending (empty when M(x*) is not positive definite).
    pub values: Vec<f64>,
    /// λ_max or λ_min of them (NaN when M(x*) is not positive definite).
    pub lambda: f64,
    /// Smallest eigenvalue of M(x*).
    pub m_min: f64,
    /// λ_min(M(x*)) / max|λ(M(x*))|.
    pub m_min_relative: f64,
    /// Whether M(x*) passed: Cholesky succeeded and λ_min(M(x*)) > [`PD_TOL`] relative.
    pub m_positive_definite: bool,
}

/// Recomputes λ(K(x), M(x)) at x (real coordinates) with faer.
///
/// ```
/// use wirtinger::eig::generalized::check_at;
/// use wirtinger::eig::recognize::recognize;
/// let p = wirtinger::io::parse_problem(r#"
/// [variables]
/// x = { type = "real", shape = [2] }
/// [data]
/// K = [[1.0, 0.0], [0.0, 3.0]]
/// [objective]
/// minimize = "lambda_max(K, diag(x))"
/// [[constraints]]
/// expr = "x >= 0"
/// "#, "p.toml".as_ref()).unwrap();
/// let rec = recognize(&p).unwrap();
/// let term = &rec.quasi.as_ref().unwrap().term;
/// // λ(diag(1, 3), diag(1, 2)) = {1, 3/2}.
/// let c = check_at(term, &[1.0, 2.0]);
/// assert!(c.m_positive_definite && (c.lambda - 1.5).abs() < 1e-15);
/// // diag(1, 0) is singular: no λ.
/// assert!(!check_at(term, &[1.0, 0.0]).m_positive_definite);
/// ```
pub fn check_at(t: &GenTerm, x: &[f64]) -> PointCheck {
    let n = t.k.shape.rows();
    let k = to_mat(&t.k.eval(x), n);
    let m = to_mat(&t.m.eval(x), n);
    let m_eigs = eigenvalues_desc(&m).unwrap_or_default();
    let m_min = m_eigs.last().copied().unwrap_or(f64::NAN);
    let m_scale = m_eigs.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let m_min_relative = if m_scale > 0.0 {
        m_min / m_scale
    } else {
        f64::NAN
    };
    let values = if m_min_relative > PD_TOL {
        generalized_eigenvalues_desc(&k, &m).unwrap_or_default()
    } else {
        Vec::new()
    };
    let ok = !values.is_empty();
    let lambda = if !ok {
        f64::NAN
    } else if t.max {
        values[0]
    } else {
        values[values.len() - 1]
    };
    PointCheck {
        values,
        lambda,
        m_min,
        m_min_relative,
        m_positive_definite: ok,
    }
}
