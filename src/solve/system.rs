//! The linear systems of the second-order methods: (A + μI) Δ = −g, where A is the Hessian pair
//! (Newton), its K-free part (pseudo-Newton) or the Gauss–Newton matrix, in complex or real
//! coordinates.
//!
//! # Which coordinates
//!
//! The Newton equation H Δ + K conj(Δ) = −g (DESIGN.md §1) is widely linear. With z = x + iy,
//! dg = (H + K) dx + i(H − K) dy, so in real coordinates (x, y) it is the symmetric system
//!
//! ```text
//!     [ Re(H+K)  −Im(H−K) ] [Δx]     [Re g]
//!     [ Im(H+K)   Re(H−K) ] [Δy] = − [Im g]                           (R)
//! ```
//!
//! (the real Hessian of f). For a real variable the y-row and y-column are dropped: its H and K
//! columns each hold half of the real Hessian column, so the x-column of (R) is exactly the real
//! Hessian column there.
//!
//! - **K = 0 and no real variables**: H Δ = −g, an n×n Hermitian system (n³/3 complex
//!   multiply-adds ≈ 4n³/3 real flops for Cholesky).
//! - **otherwise**: the real 2n system (R), Cholesky at (2n)³/3 ≈ 2.7n³ flops. The Schur
//!   complement (H − K H̄⁻¹ K̄) Δ = K H̄⁻¹ conj(g) − g would factor H̄ (n³/3), form H̄⁻¹K̄ (n³) and
//!   K·(H̄⁻¹K̄) (n³) and factor the complement (n³/3): about 2.7n³ complex ≈ 10.7n³ real flops,
//!   and it needs H itself to be invertible, which fails exactly at the gauge-singular
//!   minimizers (global phase) that we must handle. So (R) is both cheaper and more robust.
//!
//! # Globalization: the Levenberg shift
//!
//! [`System::solve_shifted`] factors A + μI by Cholesky. The second-order methods try μ = 0
//! first (the pure Newton / Gauss–Newton step, which keeps quadratic convergence), and when the
//! factorization fails (A indefinite or numerically singular) increase μ through
//! μ₁ = max(10⁻¹⁰·s, min(‖g‖, 10⁻³·s)), 10μ₁, 100μ₁, … with s = maxᵢ|Aᵢᵢ| until it succeeds
//! (Nocedal & Wright, *Numerical Optimization*, 2nd ed., §3.4, "Hessian modification"; the
//! choice μ ≈ ‖g‖ near a singular minimizer follows Yamashita & Fukushima 2001, who show that it
//! keeps quadratic convergence when the solutions form a manifold, as the global phase does). A
//! successful factorization makes A + μI positive definite, so Δ is a descent direction.

use super::complex_vec::re_dot;
use super::problem::{Failure, Shared};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::linalg::matmul::matmul;
use faer::traits::ComplexField;
use faer::{Accum, Mat, Par};
use num_complex::Complex64 as C64;

/// One real coordinate of the embedding: entry `i`, imaginary part when `im`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coord {
    /// Entry of the complex vector.
    pub i: usize,
    /// The imaginary part (else the real part).
    pub im: bool,
}

/// The active real coordinates: every real part, and the imaginary parts of complex entries.
pub fn coords(mask: &[bool]) -> Vec<Coord> {
    let mut c: Vec<Coord> = (0..mask.len()).map(|i| Coord { i, im: false }).collect();
    c.extend(
        (0..mask.len())
            .filter(|&i| !mask[i])
            .map(|i| Coord { i, im: true }),
    );
    c
}

/// A model matrix A (symmetric positive semidefinite near a minimizer).
pub enum System {
    /// Hermitian n×n (K = 0, no real variables).
    Complex(Mat<C64>),
    /// Real symmetric on the active coordinates.
    Real(Mat<f64>, Vec<Coord>),
}

/// The real embedding (R) of the pair (H, K) on the active coordinates, symmetrized:
/// ½(R + Rᵀ), which is (R) of (½(H + Hᴴ), ½(K + Kᵀ)) (R is linear in (H, K) and
/// R(H, K)ᵀ = R(Hᴴ, Kᵀ)), so rounding asymmetries of an assembled pair do not reach the
/// factorization. This is how it is computed: the pair is symmetrized, then embedded, and with
/// H exactly Hermitian and K exactly symmetric every entry of (R) and its mirror are the same
/// sum of the same two numbers, so (R) comes out exactly symmetric. (It agrees with ½(R + Rᵀ)
/// of [`embed_pair_reference`] to rounding.)
///
/// Without real variables, one pass over square tiles of (H, K) does both: for i ≤ j it reads
/// h_ij, h_ji, k_ij, k_ji, forms h = ½(h_ij + conj h_ji), k = ½(k_ij + k_ji) and writes the
/// eight entries of (R) they determine,
///
/// ```text
///     R[i, j]     = R[j, i]     = Re h + Re k      R[n+i, j]   = R[j, n+i]   = Im h + Im k
///     R[n+i, n+j] = R[n+j, n+i] = Re h − Re k      R[n+j, i]   = R[i, n+j]   = Im k − Im h
/// ```
///
/// (About 0.1 ms for n = 200, against 0.65 ms for the entry-by-entry construction.) With real
/// variables, (R) is built column by column from the symmetrized pair: the column for the real
/// part of entry i is [Re, Im] of column i of H + K, the one for its imaginary part [Re, Im] of
/// column i of i(H − K), both contiguous reads.
///
/// ```
/// use faer::Mat;
/// use num_complex::Complex64 as C64;
/// use wirtinger::solve::system::{embed_pair, System};
/// // f(z) = |z|² + Re(z²): H = 2, K = 2 (real Hessian diag(4, 0)).
/// let h = Mat::from_fn(1, 1, |_, _| C64::new(2.0, 0.0));
/// let k = Mat::from_fn(1, 1, |_, _| C64::new(2.0, 0.0));
/// let System::Real(r, _) = embed_pair(&h, &k, &[false]) else { unreachable!() };
/// assert_eq!((r[(0, 0)], r[(0, 1)], r[(1, 0)], r[(1, 1)]), (4.0, 0.0, 0.0, 0.0));
/// ```
pub fn embed_pair(h: &Mat<C64>, k: &Mat<C64>, mask: &[bool]) -> System {
    if mask.iter().any(|&m| m) {
        let (mut h, mut k) = (h.clone(), k.clone());
        hermitian_part(&mut h);
        symmetric_part(&mut k);
        embed_symmetric_pair(&h, &k, mask)
    } else {
        System::Real(embed_complex_pair(h, k).0, coords(mask))
    }
}

/// Tile size of the passes that read a matrix and its transpose together.
const TILE: usize = 32;

/// ½(R + Rᵀ) of (H, K) when every variable is complex: the single tiled pass of [`embed_pair`].
/// Also returns ‖½(H + Hᴴ)‖²_F and ‖½(K + Kᵀ)‖²_F as plain sums (infinite on overflow).
fn embed_complex_pair(h: &Mat<C64>, k: &Mat<C64>) -> (Mat<f64>, f64, f64) {
    let n = h.nrows();
    let mut m = Mat::<f64>::zeros(2 * n, 2 * n);
    let cs = m.col_stride();
    let base = m.as_ptr_mut();
    // SAFETY (for `put`): callers pass r, c < 2n, the dimensions of `m`, which this function
    // owns; no reference into `m` is alive while the pass runs.
    let put = |r: usize, c: usize, v: f64| unsafe {
        *base.offset(r as isize + c as isize * cs) = v;
    };
    let (mut hh, mut kk) = (0.0, 0.0);
    for j0 in (0..n).step_by(TILE) {
        for i0 in (0..=j0).step_by(TILE) {
            for j in j0..(j0 + TILE).min(n) {
                let (hj, kj) = (h.col_as_slice(j), k.col_as_slice(j));
                for i in i0..(i0 + TILE).min(j + 1) {
                    let hs = (hj[i] + h[(j, i)].conj()) * 0.5;
                    let ks = (kj[i] + k[(j, i)]) * 0.5;
                    let w = if i == j { 1.0 } else { 2.0 };
                    hh += w * hs.norm_sqr();
                    kk += w * ks.norm_sqr();
                    let (a, b) = (hs.re + ks.re, hs.im + ks.im);
                    let (c, d) = (ks.im - hs.im, hs.re - ks.re);
                    put(i, j, a);
                    put(j, i, a);
                    put(n + i, j, b);
                    put(j, n + i, b);
                    put(n + j, i, c);
                    put(i, n + j, c);
                    put(n + i, n + j, d);
                    put(n + j, n + i, d);
                }
            }
        }
    }
    (m, hh, kk)
}

/// (R) of a Hermitian H and a symmetric K (no symmetrization; see [`embed_pair`]).
fn embed_symmetric_pair(h: &Mat<C64>, k: &Mat<C64>, mask: &[bool]) -> System {
    let c = coords(mask);
    let n = mask.len();
    let p = c.len();
    // Row of the imaginary part of each complex entry (after the n real parts).
    let im_rows: Vec<usize> = (0..n).filter(|&i| !mask[i]).collect();
    let mut m = Mat::<f64>::zeros(p, p);
    for (bj, cb) in c.iter().enumerate() {
        let (hc, kc) = (h.col_as_slice(cb.i), k.col_as_slice(cb.i));
        let col = m.col_as_slice_mut(bj);
        let (re_part, im_part) = col.split_at_mut(n);
        if cb.im {
            // i(H − K): real part −Im(H − K), imaginary part Re(H − K).
            for (r, x) in re_part.iter_mut().enumerate() {
                *x = kc[r].im - hc[r].im;
            }
            for (x, &r) in im_part.iter_mut().zip(&im_rows) {
                *x = hc[r].re - kc[r].re;
            }
        } else {
            for (r, x) in re_part.iter_mut().enumerate() {
                *x = hc[r].re + kc[r].re;
            }
            for (x, &r) in im_part.iter_mut().zip(&im_rows) {
                *x = hc[r].im + kc[r].im;
            }
        }
    }
    System::Real(m, c)
}

/// A ← ½(A + Aᴴ).
fn hermitian_part(a: &mut Mat<C64>) {
    mirror_average(a, |x, y| {
        let v = (x + y.conj()) * 0.5;
        (v, v.conj())
    });
}

/// A ← ½(A + Aᵀ).
fn symmetric_part(a: &mut Mat<C64>) {
    mirror_average(a, |x, y| {
        let v = (x + y) * 0.5;
        (v, v)
    });
}

/// For every i ≤ j: (a_ij, a_ji) ← pair(a_ij, a_ji), by square tiles so that the transposed
/// reads stay in cache. The diagonal takes `pair(a_jj, a_jj).0`.
fn mirror_average<T: Copy>(a: &mut Mat<T>, pair: impl Fn(T, T) -> (T, T)) {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "a square matrix");
    for j0 in (0..n).step_by(TILE) {
        for i0 in (0..=j0).step_by(TILE) {
            for j in j0..(j0 + TILE).min(n) {
                for i in i0..(i0 + TILE).min(j + 1) {
                    let (v, w) = pair(a[(i, j)], a[(j, i)]);
                    a[(i, j)] = v;
                    if i != j {
                        a[(j, i)] = w;
                    }
                }
            }
        }
    }
}

/// The entry-by-entry construction of [`embed_pair`] (the definition (R) read literally, one
/// entry at a time), kept as the reference that the column-wise construction is tested against.
pub fn embed_pair_reference(h: &Mat<C64>, k: &Mat<C64>, mask: &[bool]) -> System {
    let c = coords(mask);
    let i = C64::new(0.0, 1.0);
    // Column for coordinate b: dg for a unit step in it; row a: the real or imaginary part.
    let entry = |a: Coord, b: Coord| -> f64 {
        let col = if b.im {
            i * (h[(a.i, b.i)] - k[(a.i, b.i)])
        } else {
            h[(a.i, b.i)] + k[(a.i, b.i)]
        };
        if a.im {
            col.im
        } else {
            col.re
        }
    };
    let p = c.len();
    let mut m = Mat::<f64>::zeros(p, p);
    for bj in 0..p {
        for ai in 0..=bj {
            let v = 0.5 * (entry(c[ai], c[bj]) + entry(c[bj], c[ai]));
            m[(ai, bj)] = v;
            m[(bj, ai)] = v;
        }
    }
    System::Real(m, c)
}

/// The real Jacobian of the residual, [Re dr; Im dr] per active coordinate: 2M × P, from
/// dr = (J + J̃) dx + i(J − J̃) dy.
pub fn real_jacobian(j: &Mat<C64>, jt: &Mat<C64>, c: &[Coord]) -> Mat<f64> {
    let m = j.nrows();
    let i = C64::new(0.0, 1.0);
    Mat::from_fn(2 * m, c.len(), |r, col| {
        let cd = c[col];
        let (row, im_part) = if r < m { (r, false) } else { (r - m, true) };
        let v = if cd.im {
            i * (j[(row, cd.i)] - jt[(row, cd.i)])
        } else {
            j[(row, cd.i)] + jt[(row, cd.i)]
        };
        if im_part {
            v.im
        } else {
            v.re
        }
    })
}

/// The Gauss–Newton matrix 2JᴴJ (complex, when J̃ = 0 and no real variables) or 2J_RᵀJ_R.
pub fn gauss_newton_matrix(j: &Mat<C64>, jt: &Mat<C64>, mask: &[bool]) -> System {
    if !mask.iter().any(|&m| m) && jt.norm_l2() <= 1e-14 * j.norm_l2() {
        let n = j.ncols();
        let mut a = Mat::<C64>::zeros(n, n);
        matmul(
            a.as_mut(),
            Accum::Replace,
            j.adjoint(),
            j.as_ref(),
            C64::new(2.0, 0.0),
            Par::Seq,
        );
        hermitian_part(&mut a);
        System::Complex(a)
    } else {
        let c = coords(mask);
        let jr = real_jacobian(j, jt, &c);
        let p = c.len();
        let mut a = Mat::<f64>::zeros(p, p);
        matmul(
            a.as_mut(),
            Accum::Replace,
            jr.transpose(),
            jr.as_ref(),
            2.0,
            Par::Seq,
        );
        mirror_average(&mut a, |x, y| {
            let v = 0.5 * (x + y);
            (v, v)
        });
        System::Real(a, c)
    }
}

impl System {
    /// The Newton or pseudo-Newton model from (H, K). `drop_k`: pseudo-Newton, which keeps K
    /// only in rows and columns of real variables (where H + K is the real Hessian).
    pub fn from_pair(mut h: Mat<C64>, mut k: Mat<C64>, mask: &[bool], drop_k: bool) -> System {
        let any_real = mask.iter().any(|&m| m);
        if drop_k {
            let n = k.nrows();
            for c in 0..n {
                for r in 0..n {
                    if !(mask[r] || mask[c]) {
                        k[(r, c)] = C64::new(0.0, 0.0);
                    }
                }
            }
        }
        if any_real {
            hermitian_part(&mut h);
            symmetric_part(&mut k);
            return embed_symmetric_pair(&h, &k, mask);
        }
        // K negligible: the Hermitian system H Δ = −g. A zero K is recognized by one read of
        // it (a nonzero one at its first nonzero entry); otherwise the norms come with (R).
        if k.col_iter()
            .all(|c| c.iter().all(|v| *v == C64::new(0.0, 0.0)))
        {
            hermitian_part(&mut h);
            return System::Complex(h);
        }
        let (r, hh, kk) = embed_complex_pair(&h, &k);
        let small_k = if hh.is_finite() && kk.is_finite() {
            kk <= 1e-28 * hh
        } else {
            k.norm_l2() <= 1e-14 * h.norm_l2()
        };
        if small_k {
            hermitian_part(&mut h);
            System::Complex(h)
        } else {
            System::Real(r, coords(mask))
        }
    }

    /// s = maxᵢ |Aᵢᵢ| (1 when A = 0).
    pub fn scale(&self) -> f64 {
        let s = match self {
            System::Complex(a) => (0..a.nrows())
                .map(|i| a[(i, i)].re.abs())
                .fold(0.0, f64::max),
            System::Real(a, _) => (0..a.nrows()).map(|i| a[(i, i)].abs()).fold(0.0, f64::max),
        };
        if s > 0.0 && s.is_finite() {
            s
        } else {
            1.0
        }
    }

    /// Δ with (A + μI) Δ = −g, or None when A + μI is not numerically positive definite.
    pub fn solve_shifted(&self, g: &[C64], mu: f64) -> Option<Vec<C64>> {
        match self {
            System::Complex(a) => {
                let n = a.nrows();
                let mut rhs = Mat::from_fn(n, 1, |i, _| -g[i]);
                shifted_llt_solve(a, C64::new(mu, 0.0), &mut rhs)?;
                let d: Vec<C64> = (0..n).map(|i| rhs[(i, 0)]).collect();
                d.iter()
                    .all(|x| x.re.is_finite() && x.im.is_finite())
                    .then_some(d)
            }
            System::Real(a, c) => {
                let p = a.nrows();
                let mut rhs = Mat::from_fn(p, 1, |r, _| {
                    let cd = c[r];
                    -if cd.im { g[cd.i].im } else { g[cd.i].re }
                });
                shifted_llt_solve(a, mu, &mut rhs)?;
                let mut d = vec![C64::new(0.0, 0.0); g.len()];
                for (r, cd) in c.iter().enumerate() {
                    let v = rhs[(r, 0)];
                    if !v.is_finite() {
                        return None;
                    }
                    if cd.im {
                        d[cd.i].im = v;
                    } else {
                        d[cd.i].re = v;
                    }
                }
                Some(d)
            }
        }
    }

    /// ½ Δᵀ A Δ in the real inner product (for predicted decreases).
    pub fn quad(&self, d: &[C64]) -> f64 {
        match self {
            System::Complex(a) => {
                let n = a.nrows();
                let mut s = C64::new(0.0, 0.0);
                for j in 0..n {
                    for i in 0..n {
                        s += d[i].conj() * a[(i, j)] * d[j];
                    }
                }
                0.5 * s.re
            }
            System::Real(a, c) => {
                let x: Vec<f64> = c
                    .iter()
                    .map(|cd| if cd.im { d[cd.i].im } else { d[cd.i].re })
                    .collect();
                let p = x.len();
                let mut s = 0.0;
                for j in 0..p {
                    for i in 0..p {
                        s += x[i] * a[(i, j)] * x[j];
                    }
                }
                0.5 * s
            }
        }
    }
}

/// Solves (A + shift·I) X = B in place of `rhs` by Cholesky, or None when A + shift·I is not
/// numerically positive definite. One copy of A (the factor overwrites it in place, faer's
/// `cholesky_in_place` on the lower triangle, with faer's global parallelism as in
/// `Mat::llt`); `Mat::llt` on a shifted copy would copy twice.
fn shifted_llt_solve<T>(a: &Mat<T>, shift: T, rhs: &mut Mat<T>) -> Option<()>
where
    T: ComplexField + Copy + std::ops::AddAssign,
{
    let n = a.nrows();
    let mut l = a.clone();
    for i in 0..n {
        l[(i, i)] += shift;
    }
    let par = faer::get_global_parallelism();
    let mut mem = MemBuffer::new(llt::factor::cholesky_in_place_scratch::<T>(
        n,
        par,
        Default::default(),
    ));
    let stack = MemStack::new(&mut mem);
    llt::factor::cholesky_in_place(
        l.as_mut(),
        Default::default(),
        par,
        stack,
        Default::default(),
    )
    .ok()?;
    llt::solve::solve_in_place(l.as_ref(), rhs.as_mut(), par, stack);
    Some(())
}

/// The Gauss–Newton matrix 2J_RᵀJ_R as an operator (two engine passes per product), for the
/// matrix-free methods.
pub struct NormalOperator<'s, 'a> {
    /// The shared objective state.
    pub shared: &'s Shared<'a>,
    /// The point.
    pub z: Vec<C64>,
}

impl NormalOperator<'_, '_> {
    /// 2 J_Rᵀ J_R v (real adjoint of dr = J v + J̃ conj(v)).
    pub fn apply(&self, v: &[C64]) -> Result<Vec<C64>, Failure> {
        let jv = self.shared.jvp(&self.z, v)?;
        let w = self.shared.vjp(&self.z, &jv)?;
        Ok(w.iter().map(|x| x * 2.0).collect())
    }

    /// Conjugate gradients (Hestenes & Stiefel 1952; Nocedal & Wright Alg. 5.2) on
    /// (2J_RᵀJ_R + μI) Δ = −g in the real inner product ⟨a, b⟩ = Re(aᴴb), from Δ = 0, until
    /// ‖residual‖ ≤ η‖g‖ or `max_iter` products. Returns Δ and the products used.
    pub fn cg(&self, g: &[C64], mu: f64, eta: f64, max_iter: usize) -> Result<Vec<C64>, Failure> {
        let n = g.len();
        let mut x = vec![C64::new(0.0, 0.0); n];
        let mut r: Vec<C64> = g.iter().map(|v| -v).collect();
        let mut p = r.clone();
        let mut rr = re_dot(&r, &r);
        let stop = eta * eta * rr;
        for _ in 0..max_iter {
            if rr <= stop || rr == 0.0 {
                break;
            }
            let mut ap = self.apply(&p)?;
            for (a, q) in ap.iter_mut().zip(&p) {
                *a += q * mu;
            }
            let pap = re_dot(&p, &ap);
            if pap <= 0.0 || !pap.is_finite() {
                break;
            }
            let alpha = rr / pap;
            for i in 0..n {
                x[i] += p[i] * alpha;
                r[i] -= ap[i] * alpha;
            }
            let rr_new = re_dot(&r, &r);
            let beta = rr_new / rr;
            rr = rr_new;
            for i in 0..n {
                p[i] = r[i] + p[i] * beta;
            }
        }
        Ok(x)
    }
}
