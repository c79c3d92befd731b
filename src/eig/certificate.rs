//! The dual certificate of an SDP solution (issue 4, item 4).
//!
//! Clarabel solves min qᵀy s.t. A y + s = b, s ∈ K and returns a dual z ∈ K* with
//! Aᵀz + q = 0 (P = 0; Goulart & Chen 2024, §2). For each PSD block, z holds svec(W) of a
//! symmetric dual matrix W (off-diagonals × √2). This module maps every block back to the
//! problem's own terms and checks the optimality conditions it certifies, recomputed from the
//! problem's affine maps (not from the conic matrix A):
//!
//! - **Hermitian dual.** For a complex argument the block is the real embedding
//!   R(G) = [[X, −Y], [Y, X]] of G = X + iY, with dual W = [[P, Q], [Qᵀ, R]]. With
//!   T = [I; −iI], Z_h = Tᴴ W T = (P + R) + i(Qᵀ − Q) is Hermitian, Z_h ⪰ 0 when W ⪰ 0,
//!   tr Z_h = tr W, and ⟨R(G), W⟩ = ⟨G, Z_h⟩ = Re tr(G Z_h) for every Hermitian G.
//! - **λ_max / Ky Fan** (`Largest(k)`, including λ_min, sum_smallest and σ_max on their
//!   rewritten arguments): with weight w (the atom's coefficient c, times the constraint's
//!   multiplier μ in a constraint) the normalized dual Ẑ = Z_h / w satisfies
//!   tr Ẑ = k, 0 ⪯ Ẑ (⪯ I for k > 1) and ⟨Ẑ, G(x*)⟩ = λ₁ + … + λ_k of G(x*): Ẑ is a
//!   subgradient of the Ky Fan function at G(x*) (Overton & Womersley, "Optimality conditions and
//!   duality theory for minimizing sums of the largest eigenvalues of symmetric matrices",
//!   Math. Programming 62, 1993, Thm. 3.5). Its rank is at most the number of eigenvalues
//!   ≥ λ_k (all of them above λ_k, plus the multiplicity of λ_k; for λ_max, the multiplicity
//!   of λ_max), with equality under strict complementarity (Alizadeh, Haeberly & Overton,
//!   "Complementarity and nondegeneracy in semidefinite programming", 1997).
//! - **Nuclear norm** (½ Σ|λ(E)| with E = [[0, A], [Aᴴ, 0]]): Ŷ = 2 Z_h / w − I, from the dual
//!   of the block P − E ⪰ 0, satisfies −I ⪯ Ŷ ⪯ I and ⟨Ŷ, E(x*)⟩ = Σ|λ(E(x*))| = 2‖A‖_*.
//! - **Stationarity.** For every real coordinate xⱼ (real and imaginary parts of complex
//!   entries), with Gⱼ = ∂G/∂xⱼ the coefficient matrices of each atom's affine argument:
//!   ℓⱼ + Σ_atoms ⟨Gⱼ, Z_h⟩ (⟨Gⱼ, Z_h − (w/2) I⟩ for the nuclear norm, w·tr Gⱼ for an atom that
//!   is affine because k·m ≥ size) − Σ_norm rows z·∂row/∂xⱼ + Σ_constraints multipliers ·
//!   ∂(constraint)/∂xⱼ = 0. For min λ_max(A₀ + Σ xᵢAᵢ) + cᵀx this is tr Ẑ = 1, Ẑ ⪰ 0,
//!   ⟨Aᵢ, Ẑ⟩ + cᵢ = 0.
//!
//! - **Generalized eigenvalues** ([`super::generalized`]): for the objective's main LMI with
//!   dual Z: Z ⪰ 0, ⟨K, Z⟩ = ±1 (stationarity in s), and Ẑ = Z/|s*| with ⟨M(x*), Ẑ⟩ = 1 and
//!   ⟨K, Ẑ⟩ = λ(K, M(x*)) (Ẑ attains the generalized Rayleigh quotient; rank ≤ multiplicity of
//!   the active generalized eigenvalue); for a constraint's LMI L(x) = cM − K (or K − cM):
//!   Z ⪰ 0, ⟨L(x*), Z⟩ = 0, multiplier μ = ⟨M(x*), Z⟩ of the scalar constraint and, when
//!   μ > 0, Ẑ = Z/μ with ⟨K(x*), Ẑ⟩ = λ(K, M(x*)); for a domain LMI M(x) ⪰ 0 with dual W:
//!   ⟨M(x*), W⟩ = 0. Each LMI contributes −⟨Gⱼ, Z⟩ to the stationarity of coordinate j.
//!
//! **Tolerances.** The rank counts eigenvalues of Ẑ above [`RANK_TOL`] times its largest one;
//! the multiplicity counts eigenvalues of G(x*) within [`MULTIPLICITY_TOL`]·max(1, |λ_k|) of
//! λ_k. Interior-point duals are only ε-complementary (Clarabel stops at gap ~ tol), so the
//! eigenvalues Ẑ should have zero are of order tol/(spectral gap of G); with the default
//! tol = 1e-9 they sit far below 1e-6.

use super::affine::AffineMap;
use super::conic::{Conic, LmiRows};
use super::generalized::{check_at, objective_lmi, SignCase};
use super::recognize::{Atom, AtomKind, ConvexExpr, Linear, Recognized};
use super::spectrum::{eigenvalues_desc, Place};
use num_complex::Complex64 as C64;
use serde_json::{json, Value};
use std::f64::consts::SQRT_2;
use std::ops::Range;

/// Relative eigenvalue threshold of the numerical rank of a dual matrix.
pub const RANK_TOL: f64 = 1e-6;
/// Relative tolerance for eigenvalues of G(x*) counted as equal to the active one.
pub const MULTIPLICITY_TOL: f64 = 1e-6;
/// A weight (coefficient × multiplier) below this is an inactive atom: no normalized dual.
pub const INACTIVE_WEIGHT: f64 = 1e-9;

/// One checked identity: `value` should equal `expected` (or, for a bound, not exceed it).
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// What it states, e.g. `tr Z = 1`.
    pub name: String,
    /// The computed value.
    pub value: f64,
    /// What it should be.
    pub expected: f64,
    /// |value − expected| / max(1, |expected|) (for a bound: only the excess).
    pub residual: f64,
}

/// The dual matrix of one eigenvalue atom.
#[derive(Clone, Debug, PartialEq)]
pub struct AtomDual {
    /// e.g. `lambda_max in the objective`.
    pub label: String,
    /// Where the atom is.
    pub place: Place,
    /// Index of the atom among the atoms of its place (0-based, in recognition order).
    pub index: usize,
    /// The atom kind.
    pub kind: AtomKind,
    /// Weight w = coefficient × (multiplier of the constraint, or 1 in the objective).
    pub weight: f64,
    /// Whether the argument is complex (dual mapped back from the real embedding).
    pub embedded: bool,
    /// Size n of the argument G (Hermitian n×n).
    pub n: usize,
    /// The dual matrix Z_h (unnormalized, Hermitian, column-major n×n).
    pub z_raw: Vec<C64>,
    /// The normalized dual (Ẑ = Z_h/w, or Ŷ = 2Z_h/w − I for the nuclear norm); `None` when the
    /// atom is inactive (w ≈ 0).
    pub z: Option<Vec<C64>>,
    /// Eigenvalues of the normalized dual (of Z_h when inactive), descending.
    pub z_eigenvalues: Vec<f64>,
    /// Numerical rank of the normalized dual (see [`RANK_TOL`]).
    pub rank: usize,
    /// Eigenvalues of G(x*), descending.
    pub g_eigenvalues: Vec<f64>,
    /// Multiplicity of the active eigenvalue λ_k of G(x*) (see [`MULTIPLICITY_TOL`]).
    pub active_multiplicity: usize,
    /// Upper bound on the rank: the number of eigenvalues of G(x*) ≥ λ_k − tol.
    pub rank_bound: Option<usize>,
    /// The identities of this dual.
    pub identities: Vec<Identity>,
}

/// The dual of a generalized eigenvalue term's LMI (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct GenDual {
    /// e.g. `lambda_min(A, B) in the objective`.
    pub label: String,
    /// Where the term is.
    pub place: Place,
    /// Whether the LMI was embedded real (complex K or M).
    pub embedded: bool,
    /// Size n.
    pub n: usize,
    /// The dual matrix Z of the main LMI (Hermitian, column-major n×n).
    pub z_raw: Vec<C64>,
    /// The normalized dual Ẑ (None when the constraint is inactive).
    pub z: Option<Vec<C64>>,
    /// Eigenvalues of Ẑ (of Z when inactive), descending.
    pub z_eigenvalues: Vec<f64>,
    /// Numerical rank (see [`RANK_TOL`]).
    pub rank: usize,
    /// Generalized eigenvalues of (K, M(x*)), descending, recomputed with faer.
    pub values: Vec<f64>,
    /// Multiplicity of the active generalized eigenvalue (λ_max or λ_min).
    pub active_multiplicity: usize,
    /// Smallest eigenvalue of M(x*).
    pub m_min_eigenvalue: f64,
    /// The checked identities.
    pub identities: Vec<Identity>,
}

/// The whole certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct Certificate {
    /// The rank tolerance used.
    pub rank_tol: f64,
    /// The multiplicity tolerance used.
    pub multiplicity_tol: f64,
    /// One entry per eigenvalue atom with a PSD block.
    pub duals: Vec<AtomDual>,
    /// Lagrange multipliers of each constraint of the problem, by its index, in the convention
    /// ∇f + Σ λᵢ ∇gᵢ = 0 with gᵢ = lhs − rhs for `==` and `<=`, rhs − lhs for `>=` (so λ ≥ 0 for
    /// inequalities; for a complex equality λ is complex and its term is Re(conj(λ) ∂g)): one per
    /// entry for a linear constraint, one for a convex constraint.
    pub multipliers: Vec<(usize, Vec<C64>)>,
    /// Stationarity residual per real coordinate (absolute).
    pub stationarity: Vec<f64>,
    /// max |stationarity| / max(1, scale of its terms).
    pub stationarity_residual: f64,
    /// Largest residual of all identities and the stationarity.
    pub max_residual: f64,
    /// One entry per generalized eigenvalue term.
    pub generalized: Vec<GenDual>,
}

fn herm_from_svec(z: &[f64], p: usize) -> Vec<f64> {
    let mut w = vec![0.0; p * p];
    for c in 0..p {
        for r in 0..=c {
            let k = r + c * (c + 1) / 2;
            let v = if r == c { z[k] } else { z[k] / SQRT_2 };
            w[r + c * p] = v;
            w[c + r * p] = v;
        }
    }
    w
}

/// Z_h from the symmetric dual W of size p = m·n.
fn hermitian_dual(w: &[f64], p: usize, embedded: bool) -> Vec<C64> {
    if !embedded {
        return w.iter().map(|&v| C64::new(v, 0.0)).collect();
    }
    let n = p / 2;
    let at = |r: usize, c: usize| w[r + c * p];
    let mut z = vec![C64::new(0.0, 0.0); n * n];
    for j in 0..n {
        for i in 0..n {
            // P + R + i(Qᵀ − Q), Q = W[0..n, n..2n]
            z[i + j * n] = C64::new(at(i, j) + at(n + i, n + j), at(j, n + i) - at(i, n + j));
        }
    }
    z
}

/// Re tr(G Z) for Hermitian G, Z (column-major n×n) = Σ Re(conj(Gᵢⱼ) Zᵢⱼ).
fn inner(g: &[C64], z: &[C64]) -> f64 {
    g.iter().zip(z).map(|(a, b)| (a.conj() * b).re).sum()
}

/// The coefficient matrices Gⱼ of an affine map, one per coordinate, as sparse entry lists.
fn coefficient_matrices(map: &AffineMap, ncoords: usize) -> Vec<Vec<(usize, C64)>> {
    let mut g = vec![Vec::new(); ncoords];
    for (e, row) in map.rows.iter().enumerate() {
        for &(j, a) in row {
            g[j].push((e, a));
        }
    }
    g
}

fn sparse_inner(g: &[(usize, C64)], z: &[C64]) -> f64 {
    g.iter().map(|&(e, a)| (a.conj() * z[e]).re).sum()
}

fn sparse_trace(g: &[(usize, C64)], n: usize) -> f64 {
    g.iter()
        .filter(|(e, _)| e % (n + 1) == 0)
        .map(|(_, a)| a.re)
        .sum()
}

fn ident(name: String, value: f64, expected: f64) -> Identity {
    let residual = (value - expected).abs() / 1f64.max(expected.abs());
    Identity {
        name,
        value,
        expected,
        residual,
    }
}

fn bound(name: String, value: f64, limit: f64, upper: bool) -> Identity {
    let excess = if upper { value - limit } else { limit - value };
    Identity {
        name,
        value,
        expected: limit,
        residual: excess.max(0.0) / 1f64.max(limit.abs()),
    }
}

fn rank(eigs: &[f64]) -> usize {
    let top = eigs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if top == 0.0 {
        return 0;
    }
    eigs.iter().filter(|&&v| v > RANK_TOL * top).count()
}

/// Accumulates −Σ z_row ∂row/∂xⱼ over the rows of a norm atom (rows laid out as
/// [`super::conic`] builds them).
fn norm_rows_contribution(
    kind: &AtomKind,
    arg: &AffineMap,
    rows: &Range<usize>,
    z: &[f64],
    out: &mut [f64],
    scale: &mut [f64],
) {
    let mut add = |row: usize, e: usize, im: bool, factor: f64| {
        for &(j, a) in &arg.rows[e] {
            let d = if im { a.im } else { a.re };
            let v = -z[row] * factor * d;
            out[j] += v;
            scale[j] += v.abs();
        }
    };
    let mut r = rows.start;
    match kind {
        AtomKind::Norm2 | AtomKind::Norm2Sq => {
            let (skip, factor) = if *kind == AtomKind::Norm2 {
                (1, 1.0)
            } else {
                (2, 2.0)
            };
            r += skip;
            for e in 0..arg.c0.len() {
                add(r, e, false, factor);
                r += 1;
                if arg.entry_is_complex(e) {
                    add(r, e, true, factor);
                    r += 1;
                }
            }
        }
        AtomKind::Norm1 => {
            for e in 0..arg.c0.len() {
                if arg.entry_is_complex(e) {
                    add(r + 1, e, false, 1.0);
                    add(r + 2, e, true, 1.0);
                    r += 3;
                }
            }
            for e in 0..arg.c0.len() {
                if !arg.entry_is_complex(e) {
                    // rows t − a (lo) and t + a (hi)
                    add(r, e, false, -1.0);
                    add(r + 1, e, false, 1.0);
                    r += 2;
                }
            }
        }
        _ => {}
    }
}

/// The Hermitian dual matrix of an LMI's rows.
fn lmi_dual(z: &[f64], r: &LmiRows) -> Vec<C64> {
    let n = r.n;
    let zb = z.get(r.rows.clone()).unwrap_or(&[]);
    if r.diagonal {
        let mut out = vec![C64::new(0.0, 0.0); n * n];
        for (i, v) in zb.iter().enumerate().take(n) {
            out[i * (n + 1)] = C64::new(*v, 0.0);
        }
        return out;
    }
    let p = if r.embedded { 2 * n } else { n };
    if zb.len() != p * (p + 1) / 2 {
        return vec![C64::new(0.0, 0.0); n * n];
    }
    hermitian_dual(&herm_from_svec(zb, p), p, r.embedded)
}

fn herm_eigs_desc(z: &[C64], n: usize) -> Vec<f64> {
    eigenvalues_desc(&faer::Mat::from_fn(n, n, |i, j| z[i + j * n])).unwrap_or_default()
}

fn multiplicity(values: &[f64], active: f64) -> usize {
    let tol = MULTIPLICITY_TOL * 1f64.max(active.abs());
    values.iter().filter(|v| (*v - active).abs() <= tol).count()
}

struct Ctx<'a> {
    ncoords: usize,
    x: &'a [f64],
    z: &'a [f64],
    stat: Vec<f64>,
    scale: Vec<f64>,
    duals: Vec<AtomDual>,
    gen_duals: Vec<GenDual>,
}

impl Ctx<'_> {
    /// Adds atom `a`'s stationarity terms and, for eigenvalue atoms with a PSD block, its dual.
    fn atom(&mut self, a: &Atom, rows: &Range<usize>, weight: f64, place: Place, index: usize) {
        let n = a.arg.shape.rows();
        let embedded = a.arg.is_complex();
        let m = if embedded { 2 } else { 1 };
        let p = n * m;
        let gs = coefficient_matrices(&a.arg, self.ncoords);
        let w = weight * a.coef;
        let (k, nuclear) = match a.kind {
            AtomKind::Largest(k) => (k, false),
            AtomKind::HalfAbsSum => (0, true),
            _ => {
                norm_rows_contribution(
                    &a.kind,
                    &a.arg,
                    rows,
                    self.z,
                    &mut self.stat,
                    &mut self.scale,
                );
                return;
            }
        };
        if !nuclear && k * m >= p {
            // The atom is the trace: affine, no cone.
            for (j, g) in gs.iter().enumerate() {
                let v = w * sparse_trace(g, n);
                self.stat[j] += v;
                self.scale[j] += v.abs();
            }
            return;
        }
        // The block whose dual pairs with G: the only one for λ_max (p > 1), else the second.
        let block_len = p * (p + 1) / 2;
        let start = if !nuclear && k == 1 {
            rows.start
        } else {
            rows.start + block_len
        };
        let Some(zb) = self.z.get(start..start + block_len) else {
            return;
        };
        let wsym = if p == 1 {
            vec![zb[0]]
        } else {
            herm_from_svec(zb, p)
        };
        let zh = hermitian_dual(&wsym, p, embedded);
        let half = if nuclear { 0.5 * w } else { 0.0 };
        for (j, g) in gs.iter().enumerate() {
            let v = sparse_inner(g, &zh) - half * sparse_trace(g, n);
            self.stat[j] += v;
            self.scale[j] += sparse_inner(g, &zh).abs() + (half * sparse_trace(g, n)).abs();
        }
        // G(x*) and its spectrum.
        let gx = a.arg.eval(self.x);
        let gmat = faer::Mat::from_fn(n, n, |i, j| (gx[i + j * n] + gx[j + i * n].conj()) * 0.5);
        let g_eigs = eigenvalues_desc(&gmat).unwrap_or_default();
        let active = w > INACTIVE_WEIGHT;
        let zn: Option<Vec<C64>> = active.then(|| {
            zh.iter()
                .enumerate()
                .map(|(e, v)| {
                    if nuclear {
                        let d = if e % (n + 1) == 0 { 1.0 } else { 0.0 };
                        2.0 * v / w - d
                    } else {
                        v / w
                    }
                })
                .collect()
        });
        let shown = zn.as_ref().unwrap_or(&zh);
        let zmat = faer::Mat::from_fn(n, n, |i, j| shown[i + j * n]);
        let z_eigs = eigenvalues_desc(&zmat).unwrap_or_default();
        let mut identities = Vec::new();
        let (mult, rank_bound, z_rank);
        if nuclear {
            let zero_tol = MULTIPLICITY_TOL * g_eigs.iter().fold(1.0f64, |s, v| s.max(v.abs()));
            mult = g_eigs.iter().filter(|v| v.abs() <= zero_tol).count();
            rank_bound = None;
            z_rank = rank(&z_eigs);
            if let Some(zn) = &zn {
                let abs_sum: f64 = g_eigs.iter().map(|v| v.abs()).sum();
                identities.push(bound(
                    "λ_max(Y) ≤ 1".into(),
                    z_eigs.first().copied().unwrap_or(0.0),
                    1.0,
                    true,
                ));
                identities.push(bound(
                    "λ_min(Y) ≥ −1".into(),
                    z_eigs.last().copied().unwrap_or(0.0),
                    -1.0,
                    false,
                ));
                identities.push(ident(
                    "⟨Y, E(x*)⟩ = Σ|λ(E(x*))|".into(),
                    inner(&gx, zn),
                    abs_sum,
                ));
            }
        } else {
            let lk = g_eigs.get(k - 1).copied().unwrap_or(f64::NAN);
            let tol = MULTIPLICITY_TOL * 1f64.max(lk.abs());
            mult = g_eigs.iter().filter(|v| (*v - lk).abs() <= tol).count();
            rank_bound = Some(g_eigs.iter().filter(|&&v| v >= lk - tol).count());
            z_rank = rank(&z_eigs);
            if let Some(zn) = &zn {
                let tr: f64 = (0..n).map(|i| zn[i * (n + 1)].re).sum();
                let top: f64 = g_eigs[..k.min(n)].iter().sum();
                identities.push(ident(format!("tr Z = {k}"), tr, k as f64));
                identities.push(bound(
                    "λ_min(Z) ≥ 0".into(),
                    z_eigs.last().copied().unwrap_or(0.0),
                    0.0,
                    false,
                ));
                if k > 1 {
                    identities.push(bound(
                        "λ_max(Z) ≤ 1".into(),
                        z_eigs.first().copied().unwrap_or(0.0),
                        1.0,
                        true,
                    ));
                }
                let sum = if k == 1 {
                    "λ_max(G(x*))".to_string()
                } else {
                    format!("sum of the {k} largest eigenvalues of G(x*)")
                };
                identities.push(ident(format!("⟨Z, G(x*)⟩ = {sum}"), inner(&gx, zn), top));
            }
        }
        self.duals.push(AtomDual {
            label: format!("{} in {place}", a.name),
            place,
            index,
            kind: a.kind.clone(),
            weight: w,
            embedded,
            n,
            z_raw: zh,
            z: zn,
            z_eigenvalues: z_eigs,
            rank: z_rank,
            g_eigenvalues: g_eigs,
            active_multiplicity: mult,
            rank_bound,
            identities,
        });
    }

    /// −⟨Gⱼ, Z⟩ for every coordinate j of an LMI G(y) ⪰ 0 with dual Z.
    fn lmi_stationarity(&mut self, g: &AffineMap, z: &[C64]) {
        for (e, row) in g.rows.iter().enumerate() {
            for &(j, a) in row {
                if j < self.ncoords {
                    let v = -(a.conj() * z[e]).re;
                    self.stat[j] += v;
                    self.scale[j] += v.abs();
                }
            }
        }
    }

    /// The domain LMI M(x) ⪰ 0: stationarity and ⟨M(x*), W⟩ = 0.
    fn domain(&mut self, m: &AffineMap, rows: Option<&LmiRows>, ids: &mut Vec<Identity>) {
        let Some(r) = rows else { return };
        let w = lmi_dual(self.z, r);
        self.lmi_stationarity(m, &w);
        ids.push(ident(
            "⟨M(x*), W⟩ = 0 (dual W of M(x) ⪰ 0)".into(),
            inner(&m.eval(self.x), &w),
            0.0,
        ));
    }

    fn generalized(&mut self, rec: &Recognized, conic: &Conic, y: &[f64]) -> Vec<(usize, f64)> {
        let mut multipliers = Vec::new();
        if let (Some(q), Some(rows)) = (&rec.quasi, &conic.quasi) {
            let g = objective_lmi(q, rows.s);
            let z = lmi_dual(self.z, &rows.main);
            self.lmi_stationarity(&g, &z);
            let n = rows.main.n;
            let s = y.get(rows.s).copied().unwrap_or(f64::NAN);
            let pc = check_at(&q.term, self.x);
            let k_user: Vec<C64> = q.k_tilde.iter().map(|v| v * q.sign).collect();
            let mx = q.term.m.eval(self.x);
            let zn: Vec<C64> = z.iter().map(|v| v / s.abs()).collect();
            let z_eigs = herm_eigs_desc(&zn, n);
            let ds = match q.case {
                SignCase::Positive => q.sign,
                SignCase::Negative => -q.sign,
            };
            let mut ids = vec![
                bound(
                    "λ_min(Z) ≥ 0".into(),
                    z_eigs.last().copied().unwrap_or(0.0),
                    0.0,
                    false,
                ),
                ident(
                    format!("⟨K, Z⟩ = {ds} (stationarity in s = 1/λ)"),
                    inner(&k_user, &z),
                    ds,
                ),
                ident("⟨M(x*), Z/|s*|⟩ = 1".into(), inner(&mx, &zn), 1.0),
                ident(
                    "⟨K, Z/|s*|⟩ = λ(K, M(x*))".into(),
                    inner(&k_user, &zn),
                    pc.lambda,
                ),
            ];
            self.domain(&q.term.m, rows.domain.as_ref(), &mut ids);
            self.gen_dual(
                format!("{} in the objective", q.term.name),
                Place::Objective,
                &rows.main,
                z,
                Some(zn),
                z_eigs,
                &pc,
                ids,
            );
        }
        for ((i, gc), rows) in rec.generalized.iter().zip(&conic.generalized_rows) {
            let z = lmi_dual(self.z, &rows.main);
            self.lmi_stationarity(&gc.lmi, &z);
            let n = rows.main.n;
            let pc = check_at(&gc.term, self.x);
            let mx = gc.term.m.eval(self.x);
            let mu = inner(&mx, &z);
            multipliers.push((*i, mu));
            let active = mu > INACTIVE_WEIGHT;
            let zn: Option<Vec<C64>> = active.then(|| z.iter().map(|v| v / mu).collect());
            let z_eigs = herm_eigs_desc(zn.as_ref().unwrap_or(&z), n);
            let mut ids = vec![
                bound(
                    "λ_min(Z) ≥ 0".into(),
                    z_eigs.last().copied().unwrap_or(0.0),
                    0.0,
                    false,
                ),
                ident(
                    "⟨L(x*), Z⟩ = 0 (complementarity)".into(),
                    inner(&gc.lmi.eval(self.x), &z),
                    0.0,
                ),
            ];
            if let Some(zn) = &zn {
                ids.push(ident(
                    "⟨K(x*), Z/μ⟩ = λ(K, M(x*))".into(),
                    inner(&gc.term.k.eval(self.x), zn),
                    pc.lambda,
                ));
            }
            self.domain(&gc.term.m, rows.domain.as_ref(), &mut ids);
            self.gen_dual(
                format!("{} in constraint {}", gc.term.name, i + 1),
                Place::Constraint(*i),
                &rows.main,
                z,
                zn,
                z_eigs,
                &pc,
                ids,
            );
        }
        multipliers
    }

    #[allow(clippy::too_many_arguments)]
    fn gen_dual(
        &mut self,
        label: String,
        place: Place,
        rows: &LmiRows,
        z_raw: Vec<C64>,
        z: Option<Vec<C64>>,
        z_eigenvalues: Vec<f64>,
        pc: &super::generalized::PointCheck,
        identities: Vec<Identity>,
    ) {
        let rank = rank(&z_eigenvalues);
        self.gen_duals.push(GenDual {
            label,
            place,
            embedded: rows.embedded,
            n: rows.n,
            z_raw,
            z,
            z_eigenvalues,
            rank,
            values: pc.values.clone(),
            active_multiplicity: multiplicity(&pc.values, pc.lambda),
            m_min_eigenvalue: pc.m_min,
            identities,
        });
    }

    fn expr(&mut self, e: &ConvexExpr, rows: &[Range<usize>], weight: f64, place: Place) {
        for (j, &l) in e.lin.iter().enumerate() {
            self.stat[j] += weight * l;
            self.scale[j] += (weight * l).abs();
        }
        for (i, (a, r)) in e.atoms.iter().zip(rows).enumerate() {
            self.atom(a, r, weight, place, i);
        }
    }
}

/// Builds the certificate from Clarabel's primal y and dual z of `conic` (built from `rec`).
pub fn certificate(rec: &Recognized, conic: &Conic, y: &[f64], z: &[f64]) -> Certificate {
    let ncoords = conic.n_coords;
    let x = &y[..ncoords.min(y.len())];
    let mut cx = Ctx {
        ncoords,
        x,
        z,
        stat: vec![0.0; ncoords],
        scale: vec![0.0; ncoords],
        duals: Vec::new(),
        gen_duals: Vec::new(),
    };
    cx.expr(&rec.objective, &conic.objective_rows, 1.0, Place::Objective);
    let zr = |r: Option<usize>| r.and_then(|r| z.get(r).copied()).unwrap_or(0.0);
    let mut multipliers = Vec::new();
    for ((ci, l), rows) in rec.linear.iter().zip(&conic.linear_rows) {
        let (map, sign) = match l {
            // row = entry (re/im); contribution −z ∂entry
            Linear::Zero(m) => (m, -1.0),
            // row = −entry; contribution +z ∂entry
            Linear::NonPositive(m) => (m, 1.0),
        };
        let mut mu = Vec::with_capacity(rows.len());
        for (e, &(re_row, im_row)) in rows.iter().enumerate() {
            let (zre, zim) = (zr(re_row), zr(im_row));
            for &(j, a) in &map.rows[e] {
                let v = sign * (zre * a.re + zim * a.im);
                cx.stat[j] += v;
                cx.scale[j] += v.abs();
            }
            // Lagrange multiplier λ of g = lhs − rhs: λ = z for inequalities (rows −g ≥ 0),
            // λ = −z for equalities (rows g = 0, contribution −z ∂g).
            mu.push(C64::new(sign * zre, sign * zim));
        }
        multipliers.push((*ci, mu));
    }
    for (((ci, e), rows), row) in rec
        .convex
        .iter()
        .zip(&conic.constraint_rows)
        .zip(&conic.convex_rows)
    {
        let mu = zr(*row);
        cx.expr(e, rows, mu, Place::Constraint(*ci));
        multipliers.push((*ci, vec![C64::new(mu, 0.0)]));
    }
    for (ci, mu) in cx.generalized(rec, conic, y) {
        multipliers.push((ci, vec![C64::new(mu, 0.0)]));
    }
    multipliers.sort_by_key(|m| m.0);
    let stationarity_residual = cx
        .stat
        .iter()
        .zip(&cx.scale)
        .map(|(r, s)| r.abs() / 1f64.max(*s))
        .fold(0.0, f64::max);
    let max_residual = cx
        .duals
        .iter()
        .flat_map(|d| d.identities.iter().map(|i| i.residual))
        .chain(
            cx.gen_duals
                .iter()
                .flat_map(|d| d.identities.iter().map(|i| i.residual)),
        )
        .fold(stationarity_residual, f64::max);
    Certificate {
        rank_tol: RANK_TOL,
        multiplicity_tol: MULTIPLICITY_TOL,
        duals: cx.duals,
        multipliers,
        stationarity: cx.stat,
        stationarity_residual,
        max_residual,
        generalized: cx.gen_duals,
    }
}

fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn matrix_json(z: &[C64], n: usize, complex: bool) -> Value {
    let rows = |part: &dyn Fn(&C64) -> f64| {
        Value::Array(
            (0..n)
                .map(|i| Value::Array((0..n).map(|j| num(part(&z[i + j * n]))).collect()))
                .collect(),
        )
    };
    if complex {
        json!({ "re": rows(&|c| c.re), "im": rows(&|c| c.im) })
    } else {
        rows(&|c| c.re)
    }
}

impl Certificate {
    /// The certificate as the `certificate` object of the result file (see docs/sdp.md).
    pub fn to_json(&self) -> Value {
        let duals: Vec<Value> = self
            .duals
            .iter()
            .map(|d| {
                let z = d.z.as_ref().unwrap_or(&d.z_raw);
                json!({
                    "atom": d.label,
                    "weight": num(d.weight),
                    "embedded": d.embedded,
                    "size": d.n,
                    "normalized": d.z.is_some(),
                    "z": matrix_json(z, d.n, d.embedded),
                    "z_eigenvalues": d.z_eigenvalues.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    "rank": d.rank,
                    "argument_eigenvalues": d.g_eigenvalues.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    "active_multiplicity": d.active_multiplicity,
                    "rank_bound": d.rank_bound,
                    "identities": d.identities.iter().map(|i| json!({
                        "identity": i.name,
                        "value": num(i.value),
                        "expected": num(i.expected),
                        "residual": num(i.residual),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let multipliers: Vec<Value> = self
            .multipliers
            .iter()
            .map(|(i, m)| {
                let complex = m.iter().any(|v| v.im != 0.0);
                let vals: Vec<Value> = m
                    .iter()
                    .map(|v| {
                        if complex {
                            json!({ "re": num(v.re), "im": num(v.im) })
                        } else {
                            num(v.re)
                        }
                    })
                    .collect();
                json!({ "constraint": i + 1, "values": vals })
            })
            .collect();
        let ids = |v: &[Identity]| -> Vec<Value> {
            v.iter()
                .map(|i| {
                    json!({
                        "identity": i.name,
                        "value": num(i.value),
                        "expected": num(i.expected),
                        "residual": num(i.residual),
                    })
                })
                .collect()
        };
        let generalized: Vec<Value> = self
            .generalized
            .iter()
            .map(|d| {
                let z = d.z.as_ref().unwrap_or(&d.z_raw);
                json!({
                    "term": d.label,
                    "embedded": d.embedded,
                    "size": d.n,
                    "normalized": d.z.is_some(),
                    "z": matrix_json(z, d.n, d.embedded),
                    "z_eigenvalues": d.z_eigenvalues.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    "rank": d.rank,
                    "generalized_eigenvalues": d.values.iter().map(|&v| num(v)).collect::<Vec<_>>(),
                    "active_multiplicity": d.active_multiplicity,
                    "m_min_eigenvalue": num(d.m_min_eigenvalue),
                    "identities": ids(&d.identities),
                })
            })
            .collect();
        let mut out = json!({
            "rank_tol": self.rank_tol,
            "multiplicity_tol": self.multiplicity_tol,
            "stationarity_residual": num(self.stationarity_residual),
            "max_residual": num(self.max_residual),
            "duals": duals,
            "multipliers": multipliers,
        });
        if !generalized.is_empty() {
            if let Some(m) = out.as_object_mut() {
                m.insert("generalized".into(), Value::Array(generalized));
            }
        }
        out
    }
}
