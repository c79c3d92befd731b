//! A primal–dual interior-point method for the proximal λ_max subproblem of the bundle method
//! that exploits its structure: many coordinates x (thousands of edge weights), one small PSD
//! block (p = r or 2r), a diagonal proximal term and bound constraints.
//!
//! **Why not Clarabel.** Every coordinate xⱼ enters every entry of the p × p block through
//! Mⱼ = Pᴴ Aⱼ P, so the constraint matrix has p(p + 1)/2 dense rows over all N coordinates; a
//! general sparse LDLᵀ of the KKT system spends O(N p⁴) in scalar code each iteration (measured:
//! 30 ms per Clarabel iteration at N = 3000, p = 10). Here the x-block of the Newton system is
//! diagonal (u I plus the bound barriers), so x is eliminated and what remains is one dense
//! system of size 1 + p(p + 1)/2 + (other rows), built with one matrix product F D⁻¹ Fᵀ:
//! O(N m²) flops in BLAS-3 form (m the number of non-bound rows).
//!
//! **Problem** (the `k = 1` program of [`super::subproblem`]), over y = (x, t):
//!
//! minimize (u/2)‖x − x̂‖² + ℓᵀx + c t
//! subject to S = t I − M₀ − Σ xⱼ Mⱼ ⪰ 0                     (dual Z)
//!            t − w̄₀ − w̄ᵀx ≥ 0                               (the aggregate cut, dual β)
//!            −(c₀ + aᵀx) ≥ 0 for each inequality row         (dual ν ≥ 0)
//!            c₀ + aᵀx = 0 for each equality row             (dual μ)
//!
//! written as G y + s = h, s ∈ 𝒦 (PSD block in svec coordinates × nonnegative orthant),
//! E y = e. Inequality rows with a single coordinate (bounds) are *diagonal rows*: their
//! Newton equations are eliminated into the diagonal of the x-block.
//!
//! **Method.** The Nesterov–Todd scaled primal–dual predictor–corrector method of CVXOPT's
//! `coneqp` (L. Vandenberghe, "The CVXOPT linear and quadratic cone program solvers", 2010,
//! §§ 3–5), with its initialization (one least-squares KKT solve with identity scaling, then a
//! shift into the cone interior) and Mehrotra's σ = ρ³ centering. NT scaling of the PSD block
//! (ibid. § 4.2): with S = L_s L_sᵀ, Z = L_z L_zᵀ and the SVD L_zᵀ L_s = U Σ Vᵀ, R = L_s V Σ^{-1/2}
//! gives R⁻¹ S R⁻ᵀ = Rᵀ Z R = Σ = λ, R⁻¹ = Σ^{-1/2} Uᵀ L_zᵀ. Each Newton system
//!
//! ```text
//! [P  Gᵀ  Eᵀ] [Δy]   [r₁]
//! [G  −𝒢  0 ] [Δz] = [r₂]      𝒢 = W⁻¹W⁻ᵀ: X ↦ (RRᵀ) X (RRᵀ) on the block, s/z on the orthant
//! [E   0  0 ] [Δμ]   [r₃]
//! ```
//!
//! is reduced by eliminating the diagonal rows and then x (D = u I + bound terms, diagonal):
//! with F the x-columns and f the t-column of the other rows, ζ their multipliers,
//!
//! ```text
//! [F D⁻¹Fᵀ + 𝒢̃   −f] [ζ ]   [F D⁻¹ r₁ₓ − r̃]
//! [   −fᵀ         0 ] [Δt] = [   −r₁ₜ     ],   Δx = D⁻¹(r₁ₓ − Fᵀζ),
//! ```
//!
//! one factorization per iteration shared by the predictor and the corrector. K = F D⁻¹Fᵀ + 𝒢̃
//! is positive definite in the interior, so that is a Cholesky factorization of K (half the
//! flops of an LU of the bordered matrix; only K's lower triangle is assembled), the border
//! eliminated through K⁻¹f: with a the upper right-hand side, Δt = (r₁ₜ − fᵀK⁻¹a)/(fᵀK⁻¹f)
//! and ζ = K⁻¹(a + f Δt). A pivoted LU of the bordered matrix takes over when rounding makes K
//! numerically indefinite (the last iterations of degenerate problems). The columns
//! of coordinates without bound rows have D = u in every iteration, so their share of F D⁻¹Fᵀ
//! is computed once per solve ([`solve_relaxed`] leaves out the bounds of the coordinates far
//! from them, so that this is most columns, and checks afterwards that they hold).
//!
//! Without the proximal term (the subspace step, u = 0) the same method applies when every
//! coordinate has a bound, so that D stays positive definite in the interior.
//!
//! The method returns `None` when it does not apply (Ky Fan; u = 0 with an unbounded
//! coordinate; too many non-bound rows) or does not converge (including an unbounded
//! subspace problem); the caller then uses Clarabel.

use super::subproblem::{Row, Sub, SubSol};
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, Side};
use std::f64::consts::SQRT_2;

/// Largest number of non-bound rows (svec block, cut, inequality and equality rows) this method
/// takes; the dense reduced system has this size.
pub const MAX_SMALL_ROWS: usize = 1500;
/// Iteration limit.
const MAX_ITER: usize = 80;

/// The data in the form G y + s = h, E y = e.
struct Data {
    n: usize,
    /// Block size p and number of svec rows.
    p: usize,
    ms: usize,
    /// Small orthant rows (cut first when present, then multi-term inequality rows).
    nsl: usize,
    /// Equality rows.
    ne: usize,
    /// x-columns of the non-bound rows, (ms + nsl + ne) × n.
    f: Mat<f64>,
    /// t-column of the non-bound rows (ms + nsl; equality rows have none).
    ft: Vec<f64>,
    /// h for the svec and small orthant rows, then e for the equality rows.
    h: Vec<f64>,
    /// Diagonal rows: (coordinate, coefficient, h).
    diag: Vec<(usize, f64, f64)>,
    /// Original index of each small orthant row (None: the cut) and each diagonal row in `le`.
    le_small: Vec<Option<usize>>,
    le_diag: Vec<usize>,
    has_cut: bool,
    u: f64,
    /// q over (d, t).
    q: Vec<f64>,
    /// x̂: x = x̂ + d.
    shift: Vec<f64>,
    /// The coordinates without bound rows, whose x-block entry is u throughout (none when
    /// u = 0).
    plain: Vec<usize>,
    /// The other coordinates.
    barred: Vec<usize>,
    /// F_plain F_plainᵀ (lower triangle mirrored), computed at the first factorization.
    gram: std::cell::OnceCell<Mat<f64>>,
}

/// The one nonzero term (coordinate, coefficient) of a bound row, or `None` for any other row.
fn single_term(r: &Row) -> Option<(usize, f64)> {
    let mut nz = r.terms.iter().filter(|(_, a)| *a != 0.0);
    let &(j, a) = nz.next()?;
    nz.next().is_none().then_some((j, a))
}

fn svec_index(r: usize, c: usize) -> usize {
    let (r, c) = if r <= c { (r, c) } else { (c, r) };
    r + c * (c + 1) / 2
}

fn svec(m: &Mat<f64>) -> Vec<f64> {
    let p = m.nrows();
    let mut v = Vec::with_capacity(p * (p + 1) / 2);
    for c in 0..p {
        for r in 0..=c {
            v.push(if r == c {
                m[(r, c)]
            } else {
                SQRT_2 * 0.5 * (m[(r, c)] + m[(c, r)])
            });
        }
    }
    v
}

/// The symmetric matrix of an svec vector (columns of the upper triangle in order, off-diagonal
/// entries scaled by √2, so that ⟨svec A, svec B⟩ = ⟨A, B⟩).
///
/// ```
/// let u = wirtinger::eig::bundle::ipm::unsvec(&[1.0, 2f64.sqrt() * 5.0, 3.0], 2);
/// assert_eq!((u[(0, 0)], u[(0, 1)], u[(1, 0)], u[(1, 1)]), (1.0, 5.0, 5.0, 3.0));
/// ```
pub fn unsvec(z: &[f64], p: usize) -> Mat<f64> {
    let mut u = Mat::<f64>::zeros(p, p);
    for c in 0..p {
        for r in 0..=c {
            let v = z[svec_index(r, c)];
            let v = if r == c { v } else { v / SQRT_2 };
            u[(r, c)] = v;
            u[(c, r)] = v;
        }
    }
    u
}

/// NT scaling at (s, z).
struct Scaling {
    r: Mat<f64>,
    rinv: Mat<f64>,
    /// G = R Rᵀ.
    g: Mat<f64>,
    /// λ of the block (diagonal of Σ).
    lam: Vec<f64>,
    /// Orthant: w = √(z/s), λ = √(sz).
    w: Vec<f64>,
    lam_o: Vec<f64>,
}

impl Data {
    /// Returns `None` when the structure does not fit (see the module documentation).
    ///
    /// With `relax`, the bound rows of each coordinate j with `relax[j]` are left out (see
    /// [`solve_relaxed`]).
    fn new(sub: &Sub, relax: Option<&[bool]>) -> Option<Data> {
        let n = sub.n_x;
        let (u, xh) = sub.prox.unwrap_or((0.0, &[]));
        if sub.k != 1 || u < 0.0 || !u.is_finite() {
            return None;
        }
        let relaxed = |j: usize| relax.is_some_and(|r| r[j]);
        let p = sub.m0.nrows();
        let ms = p * (p + 1) / 2;
        let mut diag = Vec::new();
        let mut le_diag = Vec::new();
        let mut general: Vec<(usize, &Row)> = Vec::new();
        for (i, r) in sub.le.iter().enumerate() {
            match single_term(r) {
                Some((j, a)) => {
                    if !relaxed(j) {
                        diag.push((j, a, -r.c0));
                        le_diag.push(i);
                    }
                }
                None => general.push((i, r)),
            }
        }
        let mut bounded = vec![false; n];
        diag.iter().for_each(|d| bounded[d.0] = true);
        // Without a proximal term the x-block is the bound barriers alone: every coordinate
        // needs a bound.
        if u == 0.0 && bounded.contains(&false) {
            return None;
        }
        let (barred, plain): (Vec<usize>, Vec<usize>) = (0..n).partition(|&j| bounded[j]);
        let has_cut = sub.cut.is_some();
        let nsl = usize::from(has_cut) + general.len();
        let ne = sub.eq.len();
        let m = ms + nsl + ne;
        if m > MAX_SMALL_ROWS {
            return None;
        }
        let mut f = Mat::<f64>::zeros(m, n);
        let mut ft = vec![0.0; ms + nsl];
        let mut h = vec![0.0; m];
        // svec(Σ xⱼ Mⱼ) − t svec(I) + s = −svec(M₀).
        for (j, mj) in sub.mj {
            for (i, v) in svec(mj).into_iter().enumerate() {
                f[(i, *j)] += v;
            }
        }
        for (i, v) in svec(sub.m0).into_iter().enumerate() {
            h[i] = -v;
        }
        for c in 0..p {
            ft[svec_index(c, c)] = -1.0;
        }
        let mut le_small = Vec::new();
        let mut row = ms;
        if let Some((w0, w)) = sub.cut {
            // w̄ᵀx − t + s = −w̄₀.
            for (j, a) in w.iter().enumerate() {
                f[(row, j)] = *a;
            }
            ft[row] = -1.0;
            h[row] = -w0;
            le_small.push(None);
            row += 1;
        }
        for (i, r) in general {
            for &(j, a) in &r.terms {
                f[(row, j)] += a;
            }
            h[row] = -r.c0;
            le_small.push(Some(i));
            row += 1;
        }
        for r in sub.eq {
            for &(j, a) in &r.terms {
                f[(row, j)] += a;
            }
            h[row] = -r.c0;
            row += 1;
        }
        // The variable is the step d = x − x̂ (x̂ = 0 without a proximal term): the objective
        // ½u‖d‖² + ℓᵀd + c t has no cancelling terms (½u‖x‖² − u x̂ᵀx would lose to rounding
        // the 1e-12-level model differences the bundle compares), and h absorbs x̂.
        let shift: Vec<f64> = if sub.prox.is_some() {
            xh.to_vec()
        } else {
            vec![0.0; n]
        };
        let fx = mat_vec(&f, &shift);
        for (hv, v) in h.iter_mut().zip(&fx) {
            *hv -= v;
        }
        for dgl in &mut diag {
            dgl.2 -= dgl.1 * shift[dgl.0];
        }
        let mut q: Vec<f64> = sub.lin.to_vec();
        q.push(sub.coef);
        Some(Data {
            n,
            p,
            ms,
            nsl,
            ne,
            f,
            ft,
            h,
            diag,
            le_small,
            le_diag,
            has_cut,
            u,
            q,
            shift,
            plain,
            barred,
            gram: std::cell::OnceCell::new(),
        })
    }

    /// fᵀv for the t-column f (zero past `ft`) and a column v of the reduced system.
    fn ft_dot(&self, v: &Mat<f64>) -> f64 {
        self.ft.iter().enumerate().map(|(i, a)| a * v[(i, 0)]).sum()
    }

    fn degree(&self) -> f64 {
        (self.p + self.nsl + self.diag.len()) as f64
    }

    /// G y (all inequality rows) and E y.
    fn g_apply(&self, y: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (x, t) = (&y[..self.n], y[self.n]);
        let mut all = mat_vec(&self.f, x);
        let ne = self.ne;
        let ey = all.split_off(self.ms + self.nsl);
        debug_assert_eq!(ey.len(), ne);
        for (v, ft) in all.iter_mut().zip(&self.ft) {
            *v += ft * t;
        }
        all.extend(self.diag.iter().map(|&(j, a, _)| a * x[j]));
        (all, ey)
    }

    /// Gᵀ z + Eᵀ μ.
    fn g_adjoint(&self, z: &[f64], mu: &[f64]) -> Vec<f64> {
        let k = self.ms + self.nsl;
        let mut zz = z[..k].to_vec();
        zz.extend_from_slice(mu);
        let mut out = mat_t_vec(&self.f, &zz);
        out.push(self.ft.iter().zip(&z[..k]).map(|(a, b)| a * b).sum());
        for (i, &(j, a, _)) in self.diag.iter().enumerate() {
            out[j] += a * z[k + i];
        }
        out
    }

    fn h_ineq(&self) -> Vec<f64> {
        let k = self.ms + self.nsl;
        let mut h = self.h[..k].to_vec();
        h.extend(self.diag.iter().map(|d| d.2));
        h
    }

    fn e_eq(&self) -> &[f64] {
        &self.h[self.ms + self.nsl..]
    }

    /// The largest α ≥ 0 with v + α d in 𝒦 (∞ when unlimited), or `None` if v is not interior.
    fn max_step(&self, v: &[f64], d: &[f64]) -> Option<f64> {
        let mut a = f64::INFINITY;
        if self.p > 0 {
            let vm = unsvec(&v[..self.ms], self.p);
            let dm = unsvec(&d[..self.ms], self.p);
            let l = vm.llt(Side::Lower).ok()?;
            let l = l.L().to_owned();
            let mut x = dm.clone();
            faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                l.as_ref(),
                x.as_mut(),
                faer::Par::Seq,
            );
            let mut y = x.transpose().to_owned();
            faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                l.as_ref(),
                y.as_mut(),
                faer::Par::Seq,
            );
            let ys = Mat::from_fn(self.p, self.p, |i, j| 0.5 * (y[(i, j)] + y[(j, i)]));
            let lmin = ys
                .self_adjoint_eigenvalues(Side::Lower)
                .ok()?
                .into_iter()
                .fold(f64::INFINITY, f64::min);
            if lmin < 0.0 {
                a = a.min(-1.0 / lmin);
            }
        }
        for i in self.ms..v.len() {
            if v[i] <= 0.0 {
                return None;
            }
            if d[i] < 0.0 {
                a = a.min(-v[i] / d[i]);
            }
        }
        Some(a)
    }

    /// Shifts v into the interior of 𝒦 as CVXOPT does: v + (1 + t) e when t = max eig(−v) ≥ 0.
    fn shift_interior(&self, v: &mut [f64]) -> Option<()> {
        let mut t = f64::NEG_INFINITY;
        if self.p > 0 {
            let vm = unsvec(&v[..self.ms], self.p);
            let lmin = vm
                .self_adjoint_eigenvalues(Side::Lower)
                .ok()?
                .into_iter()
                .fold(f64::INFINITY, f64::min);
            t = t.max(-lmin);
        }
        for x in &v[self.ms..] {
            t = t.max(-x);
        }
        let nrm = norm(v);
        if t >= -1e-8 * nrm.max(1.0) {
            let a = 1.0 + t;
            for c in 0..self.p {
                v[svec_index(c, c)] += a;
            }
            for x in &mut v[self.ms..] {
                *x += a;
            }
        }
        Some(())
    }

    fn identity_scaling(&self) -> Scaling {
        let no = self.nsl + self.diag.len();
        Scaling {
            r: Mat::identity(self.p, self.p),
            rinv: Mat::identity(self.p, self.p),
            g: Mat::identity(self.p, self.p),
            lam: vec![1.0; self.p],
            w: vec![1.0; no],
            lam_o: vec![1.0; no],
        }
    }

    fn scaling(&self, s: &[f64], z: &[f64]) -> Option<Scaling> {
        let p = self.p;
        let sm = unsvec(&s[..self.ms], p);
        let zm = unsvec(&z[..self.ms], p);
        let ls = sm.llt(Side::Lower).ok()?.L().to_owned();
        let lz = zm.llt(Side::Lower).ok()?.L().to_owned();
        let prod = lz.transpose() * &ls;
        let svd = prod.svd().ok()?;
        let sig: Vec<f64> = (0..p).map(|i| svd.S().column_vector()[i]).collect();
        if !sig.iter().all(|v| *v > 0.0 && v.is_finite()) {
            return None;
        }
        let v = svd.V();
        let u = svd.U();
        let r = Mat::from_fn(p, p, |i, j| {
            (0..p).map(|k| ls[(i, k)] * v[(k, j)]).sum::<f64>() / sig[j].sqrt()
        });
        // R⁻¹ = Σ^{-1/2} Uᵀ L_zᵀ.
        let rinv = Mat::from_fn(p, p, |i, j| {
            (0..p).map(|k| u[(k, i)] * lz[(j, k)]).sum::<f64>() / sig[i].sqrt()
        });
        let g = &r * r.transpose();
        let mut w = Vec::new();
        let mut lam_o = Vec::new();
        for i in self.ms..s.len() {
            if !(s[i] > 0.0 && z[i] > 0.0) {
                return None;
            }
            w.push((z[i] / s[i]).sqrt());
            lam_o.push((s[i] * z[i]).sqrt());
        }
        Some(Scaling {
            r,
            rinv,
            g,
            lam: sig,
            w,
            lam_o,
        })
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// M x, sequential (a matrix–vector product is memory-bound; threads only add hand-offs).
fn mat_vec(m: &Mat<f64>, x: &[f64]) -> Vec<f64> {
    product(m.as_ref(), x)
}

/// Mᵀ z, sequential.
fn mat_t_vec(m: &Mat<f64>, z: &[f64]) -> Vec<f64> {
    product(m.transpose(), z)
}

fn product(m: faer::MatRef<'_, f64>, x: &[f64]) -> Vec<f64> {
    let mut y = Mat::<f64>::zeros(m.nrows(), 1);
    faer::linalg::matmul::matmul(
        y.as_mut(),
        Accum::Replace,
        m,
        faer::MatRef::from_column_major_slice(x, x.len(), 1),
        1.0,
        faer::Par::Seq,
    );
    (0..m.nrows()).map(|i| y[(i, 0)]).collect()
}

/// The lower triangle of F Fᵀ by faer's triangular product (half the flops of a full one); the
/// strict upper triangle is zero (only K's lower triangle is read, see [`Factored::new`]).
fn gram(f: faer::MatRef<'_, f64>) -> Mat<f64> {
    use faer::linalg::matmul::triangular::{matmul, BlockStructure};
    let (m, n) = (f.nrows(), f.ncols());
    let mut g = Mat::<f64>::zeros(m, m);
    // Threads pay off only for large products (rayon's hand-offs cost ~10 µs each).
    let par = if m * m * n > 20_000_000 {
        faer::get_global_parallelism()
    } else {
        faer::Par::Seq
    };
    matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        f,
        BlockStructure::Rectangular,
        f.transpose(),
        BlockStructure::Rectangular,
        1.0,
        par,
    );
    g
}

/// The columns `cols` of f, column j scaled by `scale(j)`.
fn columns(f: &Mat<f64>, cols: &[usize], scale: impl Fn(usize) -> f64) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(f.nrows(), cols.len());
    for (c, &j) in cols.iter().enumerate() {
        out.col_mut(c).copy_from(f.col(j));
        let s = scale(j);
        if s != 1.0 {
            out.col_mut(c).iter_mut().for_each(|v| *v *= s);
        }
    }
    out
}

/// The factored reduced system of one scaling.
struct Factored<'d> {
    data: &'d Data,
    /// D⁻¹ over x.
    dinv: Vec<f64>,
    /// s/z of the diagonal rows.
    gd: Vec<f64>,
    factor: Factor,
}

/// The reduced matrix [K −f; −fᵀ 0] factored: by the Cholesky factor of K and the bordering
/// (K is positive definite in the interior: F D⁻¹Fᵀ plus the block's 𝒢 and the orthant's s/z),
/// or, when rounding makes K numerically indefinite, by a pivoted LU of the whole matrix.
enum Factor {
    /// K = L Lᵀ, K⁻¹f and fᵀK⁻¹f.
    Cholesky(faer::linalg::solvers::Llt<f64>, Mat<f64>, f64),
    Lu(faer::linalg::solvers::PartialPivLu<f64>),
}

impl<'d> Factored<'d> {
    fn new(data: &'d Data, sc: &Scaling) -> Option<Factored<'d>> {
        let (n, ms, nsl) = (data.n, data.ms, data.nsl);
        let m = data.f.nrows();
        let gd: Vec<f64> = sc.w[nsl..].iter().map(|w| 1.0 / (w * w)).collect();
        let mut dd = vec![data.u; n];
        for (&(j, a, _), g) in data.diag.iter().zip(&gd) {
            dd[j] += a * a / g;
        }
        if !dd.iter().all(|d| *d > 0.0 && d.is_finite()) {
            return None;
        }
        let dinv: Vec<f64> = dd.iter().map(|d| 1.0 / d).collect();
        // The lower triangle of K = F D⁻¹ Fᵀ + 𝒢̃. Coordinates without bound rows have D = u in
        // every iteration, so their part F_plain F_plainᵀ/u is one product for the whole solve;
        // the barred part changes with the barrier terms.
        let mut k = if data.plain.is_empty() {
            Mat::<f64>::zeros(m, m)
        } else {
            let g = data
                .gram
                .get_or_init(|| gram(columns(&data.f, &data.plain, |_| 1.0).as_ref()));
            g * faer::Scale(1.0 / data.u)
        };
        if !data.barred.is_empty() {
            let fs = columns(&data.f, &data.barred, |j| dinv[j].sqrt());
            k += gram(fs.as_ref());
        }
        add_block_scaling(&mut k, data.p, &sc.g);
        for i in 0..nsl {
            k[(ms + i, ms + i)] += 1.0 / (sc.w[i] * sc.w[i]);
        }
        if !k.as_ref().is_all_finite() {
            return None;
        }
        // The t-column of the non-bound rows (zero on the equality rows past `ft`).
        let f = Mat::<f64>::from_fn(m, 1, |i, _| data.ft.get(i).copied().unwrap_or(0.0));
        if let Ok(llt) = k.llt(Side::Lower) {
            let kf = llt.solve(&f);
            let s = data.ft_dot(&kf);
            if s > 0.0 && s.is_finite() {
                let factor = Factor::Cholesky(llt, kf, s);
                return Some(Factored {
                    data,
                    dinv,
                    gd,
                    factor,
                });
            }
        }
        let mut big = Mat::<f64>::zeros(m + 1, m + 1);
        for j in 0..m {
            for i in j..m {
                big[(i, j)] = k[(i, j)];
                big[(j, i)] = k[(i, j)];
            }
        }
        for (j, a) in data.ft.iter().enumerate() {
            big[(j, m)] = -a;
            big[(m, j)] = -a;
        }
        let factor = Factor::Lu(big.partial_piv_lu());
        Some(Factored {
            data,
            dinv,
            gd,
            factor,
        })
    }

    /// Solves the Newton system for (r₁, r₂, r₃); returns (Δy, Δz, Δμ).
    fn solve(&self, r1: &[f64], r2: &[f64], r3: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let d = self.data;
        let (n, ms, nsl) = (d.n, d.ms, d.nsl);
        let k = ms + nsl;
        let m = d.f.nrows();
        let mut r1x = r1[..n].to_vec();
        for (i, &(j, a, _)) in d.diag.iter().enumerate() {
            r1x[j] += a * r2[k + i] / self.gd[i];
        }
        let dr: Vec<f64> = r1x.iter().zip(&self.dinv).map(|(a, b)| a * b).collect();
        let fdr = mat_vec(&d.f, &dr);
        let mut rhs = Mat::<f64>::zeros(m + 1, 1);
        for i in 0..m {
            let rt = if i < k { r2[i] } else { r3[i - k] };
            rhs[(i, 0)] = fdr[i] - rt;
        }
        let b = -r1[n];
        let (zeta, dt): (Vec<f64>, f64) = match &self.factor {
            // K ζ − f Δt = a, −fᵀζ = b: Δt = −(b + fᵀK⁻¹a)/(fᵀK⁻¹f), ζ = K⁻¹a + K⁻¹f Δt.
            Factor::Cholesky(llt, kf, s) => {
                let ka = llt.solve(rhs.subrows(0, m));
                let fka = d.ft_dot(&ka);
                let dt = -(b + fka) / s;
                ((0..m).map(|i| ka[(i, 0)] + kf[(i, 0)] * dt).collect(), dt)
            }
            Factor::Lu(lu) => {
                rhs[(m, 0)] = b;
                let sol = lu.solve(&rhs);
                ((0..m).map(|i| sol[(i, 0)]).collect(), sol[(m, 0)])
            }
        };
        let ftz = mat_t_vec(&d.f, &zeta);
        let mut dy: Vec<f64> = (0..n).map(|j| self.dinv[j] * (r1x[j] - ftz[j])).collect();
        dy.push(dt);
        let mut dz = zeta[..k].to_vec();
        for (i, &(j, a, _)) in d.diag.iter().enumerate() {
            dz.push((a * dy[j] - r2[k + i]) / self.gd[i]);
        }
        (dy, dz, zeta[k..].to_vec())
    }
}

/// Adds the lower triangle of 𝒢 of the p × p block, X ↦ G X G in svec coordinates, to the
/// leading svec rows of `k`:
/// ⟨E_kl, G E_ij G⟩ = 2 α_kl α_ij (G_ki G_jl + G_kj G_il), α = 1/√2 off the diagonal, ½ on it.
/// For the column (i, j), with u = G e_i and v = G e_j, the entries are the symmetrized outer
/// product 2 α_kl α_ij (u_k v_l + v_k u_l) (G is symmetric).
fn add_block_scaling(k: &mut Mat<f64>, p: usize, g: &Mat<f64>) {
    let alpha = |i: usize, j: usize| if i == j { 0.5 } else { 1.0 / SQRT_2 };
    let column = |j: usize| match g.col(j).try_as_col_major() {
        Some(c) => c.as_slice(),
        None => unreachable!("the columns of an owned matrix are contiguous"),
    };
    for c2 in 0..p {
        let v = column(c2);
        for r2 in 0..=c2 {
            let u = column(r2);
            let b = svec_index(r2, c2);
            let ab = 2.0 * alpha(r2, c2);
            let col = k.col_mut(b);
            let Some(col) = col.try_as_col_major_mut() else {
                unreachable!("the columns of an owned matrix are contiguous")
            };
            let col = col.as_slice_mut();
            for c1 in c2..p {
                let first = if c1 == c2 { r2 } else { 0 };
                let base = c1 * (c1 + 1) / 2;
                // Off-diagonal entries (r1 < c1) carry α = 1/√2, the diagonal one ½.
                let (uc, vc) = (u[c1] * ab / SQRT_2, v[c1] * ab / SQRT_2);
                let out = &mut col[base + first..base + c1];
                for ((o, &ur), &vr) in out.iter_mut().zip(&u[first..c1]).zip(&v[first..c1]) {
                    *o += ur * vc + vr * uc;
                }
                col[base + c1] += ab * (u[c1] * v[c1]);
            }
        }
    }
}

impl Scaling {
    /// W⁻¹ v for a scaled vector v: R V Rᵀ on the block, v / w on the orthant.
    fn w_inv(&self, d: &Data, v: &[f64]) -> Vec<f64> {
        let mut out = svec(&(&self.r * unsvec(&v[..d.ms], d.p) * self.r.transpose()));
        out.extend(v[d.ms..].iter().zip(&self.w).map(|(a, w)| a / w));
        out
    }
    /// W Δs: R⁻¹ ΔS R⁻ᵀ, w Δs.
    fn w_apply(&self, d: &Data, v: &[f64]) -> Vec<f64> {
        let mut out = svec(&(&self.rinv * unsvec(&v[..d.ms], d.p) * self.rinv.transpose()));
        out.extend(v[d.ms..].iter().zip(&self.w).map(|(a, w)| a * w));
        out
    }
    /// W⁻ᵀ Δz: Rᵀ ΔZ R, Δz / w.
    fn w_inv_t(&self, d: &Data, v: &[f64]) -> Vec<f64> {
        let mut out = svec(&(self.r.transpose() * unsvec(&v[..d.ms], d.p) * &self.r));
        out.extend(v[d.ms..].iter().zip(&self.w).map(|(a, w)| a / w));
        out
    }
    /// 𝒢 Δz = W⁻¹ W⁻ᵀ Δz.
    fn g_apply(&self, d: &Data, v: &[f64]) -> Vec<f64> {
        let mut out = svec(&(&self.g * unsvec(&v[..d.ms], d.p) * &self.g));
        out.extend(v[d.ms..].iter().zip(&self.w).map(|(a, w)| a / (w * w)));
        out
    }
    /// λ ⋄ v: the solution Y of λ ∘ Y = v (Y_ij = 2 V_ij / (λ_i + λ_j); v / λ).
    fn lam_div(&self, d: &Data, v: &[f64]) -> Vec<f64> {
        let vm = unsvec(&v[..d.ms], d.p);
        let y = Mat::from_fn(d.p, d.p, |i, j| {
            2.0 * vm[(i, j)] / (self.lam[i] + self.lam[j])
        });
        let mut out = svec(&y);
        out.extend(v[d.ms..].iter().zip(&self.lam_o).map(|(a, l)| a / l));
        out
    }
    /// −λ ∘ λ − a ∘ b + σμ e in scaled coordinates (a, b scaled vectors, or none).
    fn target(&self, d: &Data, ab: Option<(&[f64], &[f64])>, sigma_mu: f64) -> Vec<f64> {
        let p = d.p;
        let mut m = Mat::from_fn(p, p, |i, j| {
            if i == j {
                sigma_mu - self.lam[i] * self.lam[i]
            } else {
                0.0
            }
        });
        let mut o: Vec<f64> = self.lam_o.iter().map(|l| sigma_mu - l * l).collect();
        if let Some((a, b)) = ab {
            let am = unsvec(&a[..d.ms], p);
            let bm = unsvec(&b[..d.ms], p);
            let ab = &am * &bm;
            for j in 0..p {
                for i in 0..p {
                    m[(i, j)] -= 0.5 * (ab[(i, j)] + ab[(j, i)]);
                }
            }
            for (i, x) in o.iter_mut().enumerate() {
                *x -= a[d.ms + i] * b[d.ms + i];
            }
        }
        let mut out = svec(&m);
        out.extend(o);
        out
    }
}

/// One predictor–corrector step at (s, z) with residuals (r_d, r_p, r_e) and μ = gap/degree:
/// (Δy, Δz, Δμ, Δs, step length), or `None` when the scaling or the factorization fails or
/// the step is negligible.
#[allow(clippy::type_complexity)]
fn newton(
    d: &Data,
    s: &[f64],
    z: &[f64],
    rd: &[f64],
    rp: &[f64],
    re: &[f64],
    mu_c: f64,
) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, f64)> {
    let sc = d.scaling(s, z)?;
    let fac = Factored::new(d, &sc)?;
    let neg_rd: Vec<f64> = rd.iter().map(|v| -v).collect();
    let neg_re: Vec<f64> = re.iter().map(|v| -v).collect();
    let step = |ds_t: &[f64]| {
        // ds̃ = λ ⋄ d_s; r₂ = −r_p − W⁻¹ ds̃; Δs = W⁻¹ ds̃ − 𝒢 Δz.
        let dst = sc.lam_div(d, ds_t);
        let wd = sc.w_inv(d, &dst);
        let r2: Vec<f64> = rp.iter().zip(&wd).map(|(a, b)| -a - b).collect();
        let (dy, dz, dmu) = fac.solve(&neg_rd, &r2, &neg_re);
        let gdz = sc.g_apply(d, &dz);
        let ds: Vec<f64> = wd.iter().zip(&gdz).map(|(a, b)| a - b).collect();
        (dy, dz, dmu, ds)
    };
    // Predictor (affine scaling), then σ = ρ³ with ρ the gap ratio along it.
    let (_, dza, _, dsa) = step(&sc.target(d, None, 0.0));
    let a_aff = d.max_step(s, &dsa)?.min(d.max_step(z, &dza)?).min(1.0);
    let s_a: Vec<f64> = s.iter().zip(&dsa).map(|(a, b)| a + a_aff * b).collect();
    let z_a: Vec<f64> = z.iter().zip(&dza).map(|(a, b)| a + a_aff * b).collect();
    let sigma = (dot(&s_a, &z_a) / dot(s, z)).clamp(0.0, 1.0).powi(3);
    // Corrector with Mehrotra's second-order term (W Δs_a) ∘ (W⁻ᵀ Δz_a).
    let wsa = sc.w_apply(d, &dsa);
    let wza = sc.w_inv_t(d, &dza);
    let (dy, dz, dmu, ds) = step(&sc.target(d, Some((&wsa, &wza)), sigma * mu_c));
    let a_max = d.max_step(s, &ds)?.min(d.max_step(z, &dz)?);
    let alpha = (0.99 * a_max).min(1.0);
    if alpha.is_nan() || alpha <= 1e-12 {
        return None;
    }
    Some((dy, dz, dmu, ds, alpha))
}

/// Solves the proximal λ_max subproblem, or `None` (not applicable, or no convergence: the
/// caller falls back to Clarabel): [`solve_relaxed`] first, [`solve_barrier`] when it does not
/// settle or does not apply (the subspace step, u = 0).
///
/// ```
/// use faer::Mat;
/// use wirtinger::eig::bundle::ipm;
/// use wirtinger::eig::bundle::subproblem::{model_value, solve_clarabel, Row, Sub};
/// // min λ_max(diag(x₀, x₁)) + ½‖x − (1, 3)‖² over x₀ + x₁ = 2, x ≥ 0: on x₀ ≤ 1 the objective
/// // is 3 − x₀ + x₀², least at x = (0.5, 1.5), where λ_max = 1.5.
/// let m0 = Mat::<f64>::zeros(2, 2);
/// let e = |i: usize| Mat::<f64>::from_fn(2, 2, |a, b| if a == i && b == i { 1.0 } else { 0.0 });
/// let mj = vec![(0, e(0)), (1, e(1))];
/// let eq = vec![Row { c0: -2.0, terms: vec![(0, 1.0), (1, 1.0)] }];
/// let le = vec![Row { c0: 0.0, terms: vec![(0, -1.0)] }, Row { c0: 0.0, terms: vec![(1, -1.0)] }];
/// let xh = [1.0, 3.0];
/// let sub = Sub {
///     n_x: 2, k: 1, mult: 1, coef: 1.0, lin: &[0.0, 0.0], m0: &m0, mj: &mj, cut: None,
///     eq: &eq, le: &le, prox: Some((1.0, &xh)), tol: 1e-10,
/// };
/// let s = ipm::solve(&sub).unwrap();
/// assert!((s.x[0] - 0.5).abs() < 1e-7 && (s.x[1] - 1.5).abs() < 1e-7);
/// // The same model value as Clarabel's solution, recomputed from the points.
/// let c = solve_clarabel(&sub).unwrap();
/// let (a, b) = (model_value(&sub, &s.x).unwrap(), model_value(&sub, &c.x).unwrap());
/// assert!((a - 1.5).abs() < 1e-7 && (a - b).abs() < 1e-7);
/// ```
pub fn solve(sub: &Sub) -> Option<SubSol> {
    solve_relaxed(sub).or_else(|| solve_barrier(sub))
}

/// The subproblem with every bound row as a barrier term of the x-block (D = u I + bound
/// terms, a new F D⁻¹Fᵀ each iteration), or `None`. This also takes the subspace step (u = 0),
/// where the bounds cannot be relaxed.
pub fn solve_barrier(sub: &Sub) -> Option<SubSol> {
    let d = Data::new(sub, None)?;
    let it = run(&d, sub)?;
    Some(d.solution(sub, &it))
}

/// A converged interior-point iterate.
struct Iterate {
    y: Vec<f64>,
    z: Vec<f64>,
    mu: Vec<f64>,
    iterations: u32,
}

/// The interior-point iteration on `d`, or `None` when it does not converge.
fn run(d: &Data, sub: &Sub) -> Option<Iterate> {
    let n = d.n;
    let tol = sub.tol.max(1e-12);
    let h = d.h_ineq();
    let e = d.e_eq().to_vec();
    let q = d.q.clone();
    let p_apply = |y: &[f64]| -> Vec<f64> {
        let mut v: Vec<f64> = y[..n].iter().map(|a| d.u * a).collect();
        v.push(0.0);
        v
    };
    // Initialization (CVXOPT coneqp): one solve with identity scaling, s = −z, shifted.
    let id = d.identity_scaling();
    let f0 = Factored::new(d, &id)?;
    let neg_q: Vec<f64> = q.iter().map(|v| -v).collect();
    let (mut y, z0, mut mu) = f0.solve(&neg_q, &h, &e);
    let mut z = z0;
    let mut s: Vec<f64> = z.iter().map(|v| -v).collect();
    d.shift_interior(&mut s)?;
    d.shift_interior(&mut z)?;
    // Residuals and gap relative to the data's own scale (a bundle subproblem of a problem whose
    // optimum is 7e-3 compares model values to 1e-12; an absolute 1e-10 would not do).
    let res_scale_p = norm(&h).max(norm(&e)).max(1e-12);
    let res_scale_d = norm(&q).max(1e-12);
    let deg = d.degree();
    let mut iterations = 0u32;
    let mut converged = false;
    // Reduced tolerance accepted when progress stops (rounding in the ill-conditioned last
    // iterations of degenerate problems), as Clarabel's `reduced_tol_*`.
    let tol_reduced = (1e3 * tol).max(1e-8);
    let mut near = false;
    let mut last_gap = f64::INFINITY;
    for it in 0..MAX_ITER {
        iterations = it as u32;
        let py = p_apply(&y);
        let (gy, ey) = d.g_apply(&y);
        let gtz = d.g_adjoint(&z, &mu);
        let rd: Vec<f64> = (0..=n).map(|i| py[i] + q[i] + gtz[i]).collect();
        let rp: Vec<f64> = (0..h.len()).map(|i| gy[i] + s[i] - h[i]).collect();
        let re: Vec<f64> = (0..e.len()).map(|i| ey[i] - e[i]).collect();
        let gap = dot(&s, &z);
        let pres = norm(&rp).max(norm(&re)) / res_scale_p;
        let dres = norm(&rd) / res_scale_d;
        if !(pres.is_finite() && dres.is_finite() && gap.is_finite()) {
            return None;
        }
        let omag = (sub.coef * y[n]).abs()
            + dot(&q[..n], &y[..n]).abs()
            + 0.5 * d.u * dot(&y[..n], &y[..n]);
        let within = |t: f64| pres <= t && dres <= t && gap <= t * omag.max(1e-8);
        if within(tol) {
            converged = true;
            break;
        }
        near = within(tol_reduced);
        if near && gap > 0.5 * last_gap {
            break;
        }
        last_gap = gap;
        let Some((dy, dz, dmu, ds, alpha)) = newton(d, &s, &z, &rd, &rp, &re, gap / deg) else {
            break;
        };
        for (a, b) in y.iter_mut().zip(&dy) {
            *a += alpha * b;
        }
        for (a, b) in s.iter_mut().zip(&ds) {
            *a += alpha * b;
        }
        for (a, b) in z.iter_mut().zip(&dz) {
            *a += alpha * b;
        }
        for (a, b) in mu.iter_mut().zip(&dmu) {
            *a += alpha * b;
        }
    }
    if !converged && !near {
        return None;
    }
    Some(Iterate {
        y,
        z,
        mu,
        iterations,
    })
}

impl Data {
    /// The subproblem's solution at a converged iterate (bound rows left out of `self` get
    /// multiplier 0).
    fn solution(&self, sub: &Sub, it: &Iterate) -> SubSol {
        let (y, z, n) = (&it.y, &it.z, self.n);
        let x: Vec<f64> = y[..n].iter().zip(&self.shift).map(|(a, b)| a + b).collect();
        let model = sub.coef * y[n] + dot(sub.lin, &x);
        let k = self.ms + self.nsl;
        let mut nu = vec![0.0; sub.le.len()];
        let mut beta = 0.0;
        for (i, who) in self.le_small.iter().enumerate() {
            match who {
                None => beta = z[self.ms + i].max(0.0),
                Some(o) => nu[*o] = z[self.ms + i].max(0.0),
            }
        }
        for (i, o) in self.le_diag.iter().enumerate() {
            nu[*o] = z[k + i].max(0.0);
        }
        debug_assert!(self.has_cut || beta == 0.0);
        SubSol {
            x,
            model,
            beta,
            u_r: unsvec(&z[..self.ms], self.p),
            mu: it.mu.clone(),
            nu,
            iterations: it.iterations,
        }
    }
}

/// Rounds of [`solve_relaxed`] before [`solve_barrier`] takes over.
pub const MAX_RELAXED_ROUNDS: usize = 3;
/// [`solve_relaxed`] gives up when a round bars more than 1/RELAXED_GIVE_UP of the relaxed
/// coordinates again.
const RELAXED_GIVE_UP: usize = 20;

/// The proximal subproblem (u > 0) with the bounds of coordinates far from them relaxed, or
/// `None` (no proximal term, no bound rows, Ky Fan, or not settled in [`MAX_RELAXED_ROUNDS`]
/// rounds).
///
/// A coordinate without bound rows has the x-block entry u in every iteration, so its part of
/// F D⁻¹Fᵀ is computed once per solve instead of once per iteration; with thousands of
/// coordinates (edge weights) and a block of a few hundred svec rows that product is most of an
/// iteration. So the bound rows of the coordinates that are not near their bounds are left out:
/// if the solution x_R of this relaxation satisfies them, it is the subproblem's solution
/// (the relaxation's minimum over a larger set, attained in the smaller one), with multiplier 0
/// on the left-out rows. Otherwise the coordinates whose bounds x_R violates or comes near get
/// theirs back and the relaxation is solved again; the barred set only grows. Where the
/// solution has few coordinates off their bounds (random data, a long step) this would take
/// many rounds, so more than one in twenty of the relaxed coordinates barred again in a round,
/// or more than [`MAX_RELAXED_ROUNDS`] rounds, end it: the caller uses [`solve_barrier`].
///
/// "Near" is within a tenth of the median distance of x̂ to its bounds, taken over the
/// coordinates with bound rows (x̂ on a bound is at distance 0); violations within ten times the
/// solver's tolerance relative to ‖x‖_∞ are moved onto the bound.
pub fn solve_relaxed(sub: &Sub) -> Option<SubSol> {
    let (u, xh) = sub.prox?;
    if sub.k != 1 || !(u > 0.0 && u.is_finite()) {
        return None;
    }
    // Bound rows a xⱼ ≤ b as (j, a, b).
    let bounds: Vec<(usize, f64, f64)> = sub
        .le
        .iter()
        .filter_map(|r| single_term(r).map(|(j, a)| (j, a, -r.c0)))
        .collect();
    if bounds.is_empty() {
        return None;
    }
    // Distance of x̂ to the nearest bound of each coordinate.
    let mut dist = vec![f64::INFINITY; sub.n_x];
    for &(j, a, b) in &bounds {
        dist[j] = dist[j].min(((b - a * xh[j]) / a.abs()).max(0.0));
    }
    let mut finite: Vec<f64> = dist.iter().copied().filter(|d| d.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    let near = 0.1 * finite[finite.len() / 2];
    let mut relax: Vec<bool> = dist.iter().map(|d| *d > near).collect();
    if !relax.contains(&true) {
        return None;
    }
    let tol = sub.tol.max(1e-12);
    let mut iterations = 0;
    for _ in 0..MAX_RELAXED_ROUNDS {
        let d = Data::new(sub, Some(&relax))?;
        let it = run(&d, sub)?;
        iterations += it.iterations;
        let mut sol = d.solution(sub, &it);
        let eps = 10.0 * tol * sol.x.iter().fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()));
        let violated = bounds
            .iter()
            .any(|&(j, a, b)| relax[j] && a * sol.x[j] - b > eps * a.abs());
        if !violated {
            for &(j, a, b) in &bounds {
                if relax[j] && a * sol.x[j] > b {
                    sol.x[j] = b / a;
                }
            }
            sol.model = sub.coef * it.y[d.n] + dot(sub.lin, &sol.x);
            sol.iterations = iterations;
            return Some(sol);
        }
        // Bars back the violated bounds and those x_R came near; when that is many of them
        // the relaxation was a poor guess (a sparse solution, a long step), and the barrier
        // formulation is cheaper than more rounds.
        let relaxed = relax.iter().filter(|r| **r).count();
        let mut barred = 0;
        for &(j, a, b) in &bounds {
            if relax[j] && (b - a * sol.x[j]) / a.abs() <= near {
                relax[j] = false;
                barred += 1;
            }
        }
        if barred * RELAXED_GIVE_UP > relaxed {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svec_round_trip_and_inner_product() {
        let a = Mat::from_fn(3, 3, |i, j| {
            (1 + i + j) as f64 + if i == j { 0.5 } else { 0.0 }
        });
        let b = Mat::from_fn(3, 3, |i, j| ((i * j) as f64).cos());
        let (sa, sb) = (svec(&a), svec(&b));
        let back = unsvec(&sa, 3);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[(i, j)] - a[(i, j)]).abs() < 1e-14);
            }
        }
        let direct: f64 = (0..3)
            .flat_map(|i| (0..3).map(move |j| (i, j)))
            .map(|(i, j)| a[(i, j)] * b[(i, j)])
            .sum();
        assert!((dot(&sa, &sb) - direct).abs() < 1e-12);
    }

    /// The lower triangle `add_block_scaling` writes is that of the matrix of X ↦ G X G in svec
    /// coordinates, column b = svec(G · unsvec(e_b) · G), for a G without structure.
    #[test]
    fn block_scaling_is_the_svec_matrix_of_x_to_gxg() {
        let p = 5;
        let mut rng = crate::rng::SplitMix64::new(3);
        let a = Mat::from_fn(p, p, |_, _| rng.symmetric());
        let g = &a * a.transpose() + Mat::<f64>::identity(p, p);
        let m = p * (p + 1) / 2;
        let mut k = Mat::<f64>::from_fn(m, m, |i, j| (i + 2 * j) as f64);
        add_block_scaling(&mut k, p, &g);
        for b in 0..m {
            let mut e = vec![0.0; m];
            e[b] = 1.0;
            let col = svec(&(&g * unsvec(&e, p) * &g));
            for (a, want) in col.iter().enumerate().skip(b) {
                let got = k[(a, b)] - (a + 2 * b) as f64;
                assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{a} {b}");
            }
            for a in 0..b {
                assert_eq!(k[(a, b)], (a + 2 * b) as f64, "upper triangle left alone");
            }
        }
    }
}
