//! Extreme eigenpairs of Hermitian operators: a thick-restart block Lanczos method with full
//! reorthogonalization, and dense faer eigendecompositions for small n.
//!
//! **Method.** Block Lanczos (Golub & Underwood 1977) builds an orthonormal basis Q of the block
//! Krylov space span{X₀, A X₀, A² X₀, …} of a start block X₀ (n × b); every new block is
//! orthogonalized against the whole basis twice (classical Gram–Schmidt, "twice is enough",
//! Giraud, Langou & Rozložník 2005), so the basis stays orthonormal to working precision and no
//! spurious copies of converged eigenvalues appear. The products A Q are kept, so the
//! Rayleigh–Ritz step uses H = Qᴴ(AQ) (Hermitian up to rounding, symmetrized) and the residual
//! of each Ritz pair (θ, x = Qy) is computed explicitly as ‖(AQ)y − θ Qy‖, not estimated.
//! When the basis reaches its size limit it is restarted *thick* (Wu & Simon, "Thick-restart
//! Lanczos method for large symmetric eigenvalue problems", SIAM J. Matrix Anal. Appl. 22(2),
//! 2000; Stathopoulos & Saad for the block form): the wanted Ritz vectors and their products are
//! kept (no new products), and the Krylov expansion continues from the residual block of the
//! unconverged wanted pairs, which spans the same space as the next block Lanczos step.
//!
//! **Convergence.** A Ritz pair is converged when ‖A x − θ x‖ ≤ tol · max(|θ|ᵢ) (relative to
//! the largest Ritz value in modulus, an estimate of ‖A‖₂); by the Bauer–Fike bound for Hermitian
//! matrices its eigenvalue error is then at most that residual (and its square over the gap for
//! well-separated eigenvalues). The returned residuals are recomputed with fresh products.
//!
//! **Multiplicities.** A block Krylov space of block size b holds at most b vectors of one
//! eigenspace, so a multiple eigenvalue is seen at most b times (default b = nev + 1, at least 2).
//! The wanted set is widened to whole clusters: if the next Ritz value lies within
//! `cluster_tol` · max|θ| of the last wanted one, it is wanted too ([`clusters`] groups values the
//! same way). Stopping also needs the first pair after the wanted set nearly converged and
//! separated from the cluster by more than its residual. When the converged boundary cluster is
//! as large as the block, it may be part of a larger eigenspace: the block grows past it, fresh
//! random directions are added, and the run continues at least as many restarts as the cluster
//! took to converge (a hidden copy converges at the same rate). This finds multiplicities in
//! practice (tested up to 3 from nev = 1); no Krylov method can prove an eigenspace complete.
//!
//! **Dense switch.** For n ≤ `dense_limit` (default [`DENSE_LIMIT`] = 200) the matrix is formed
//! (or taken as is) and decomposed by faer's dense Hermitian eigensolver: at that size an
//! O(n³) tridiagonalization takes well under a millisecond to a few milliseconds and is exact to
//! rounding, while Lanczos would need comparable work in products and restarts.

pub mod operator;
mod tridiagonal;

pub use operator::{AffineOperator, FnOperator, HermOperator, Scalar};

use crate::rng::SplitMix64;
use faer::{Accum, Mat, MatRef, Par, Side};

/// Largest n decomposed densely by default.
pub const DENSE_LIMIT: usize = 200;

/// Which end of the spectrum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The largest eigenvalues, in decreasing order.
    Largest,
    /// The smallest eigenvalues, in increasing order.
    Smallest,
}

/// Options of [`extreme_eigenpairs`].
#[derive(Clone, Debug)]
pub struct EigOptions<T: Scalar> {
    /// Which end.
    pub which: Which,
    /// Number of eigenpairs wanted (widened to complete a cluster).
    pub nev: usize,
    /// Relative residual tolerance (see the module documentation).
    pub tol: f64,
    /// Relative tolerance under which two eigenvalues belong to one cluster.
    pub cluster_tol: f64,
    /// Block size (0: nev + 1, at least 2, at most 16).
    pub block: usize,
    /// Largest basis (0: max(nev + 3·block, 30)); capped at n.
    pub max_basis: usize,
    /// Restart limit.
    pub max_restarts: usize,
    /// Largest n decomposed densely.
    pub dense_limit: usize,
    /// Start vectors (n × anything); random vectors fill the rest of the first block.
    pub start: Option<Mat<T>>,
    /// Seed of the random start vectors.
    pub seed: u64,
    /// Most pairs returned (0: no limit). A cluster wider than this (a graph Laplacian with
    /// hundreds of zero eigenvalues) is returned in part: `nev` or more of its pairs, at most
    /// `max(nev, max_vectors)`, an orthonormal basis of part of the eigenspace.
    pub max_vectors: usize,
}

impl<T: Scalar> EigOptions<T> {
    /// The `nev` largest eigenpairs with default settings.
    pub fn largest(nev: usize) -> EigOptions<T> {
        EigOptions {
            which: Which::Largest,
            nev,
            tol: 1e-10,
            cluster_tol: 1e-8,
            block: 0,
            max_basis: 0,
            max_restarts: 1000,
            dense_limit: DENSE_LIMIT,
            start: None,
            seed: 0x5eed,
            max_vectors: 0,
        }
    }
    /// The `nev` smallest eigenpairs with default settings.
    pub fn smallest(nev: usize) -> EigOptions<T> {
        EigOptions {
            which: Which::Smallest,
            ..EigOptions::largest(nev)
        }
    }
}

/// How the eigenpairs were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EigMethod {
    /// faer's dense Hermitian eigendecomposition.
    Dense,
    /// Block Lanczos.
    Lanczos,
}

/// The result of [`extreme_eigenpairs`].
#[derive(Clone, Debug)]
pub struct Eigenpairs<T: Scalar> {
    /// Eigenvalues, the wanted end first (decreasing for `Largest`, increasing for `Smallest`).
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the same order.
    pub vectors: Mat<T>,
    /// ‖A vᵢ − λᵢ vᵢ‖ for each pair, recomputed.
    pub residuals: Vec<f64>,
    /// Whether every returned pair met the tolerance.
    pub converged: bool,
    /// Products A·v (block products count each column).
    pub products: usize,
    /// Restarts used (0 for dense).
    pub restarts: usize,
    /// Which path ran.
    pub method: EigMethod,
}

/// Groups sorted eigenvalues into clusters: consecutive values within `tol` · max(1e-300,
/// max|λ|) of their neighbour share a cluster. Returns index ranges.
///
/// ```
/// use wirtinger::eig::lanczos::clusters;
/// assert_eq!(clusters(&[3.0, 3.0 - 1e-12, 1.0], 1e-8), vec![0..2, 2..3]);
/// ```
pub fn clusters(values: &[f64], tol: f64) -> Vec<std::ops::Range<usize>> {
    let scale = values.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=values.len() {
        if i == values.len() || (values[i] - values[i - 1]).abs() > tol * scale {
            out.push(start..i);
            start = i;
        }
    }
    out
}

fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut s = T::from_f64(0.0);
    for (x, y) in a.iter().zip(b) {
        s += x.conjugate() * *y;
    }
    s
}

fn norm<T: Scalar>(a: &[T]) -> f64 {
    a.iter().map(|x| x.modulus2()).sum::<f64>().sqrt()
}

fn col<T: Scalar>(m: &Mat<T>, j: usize) -> &[T] {
    m.col(j).try_as_col_major().map_or(&[], |c| c.as_slice())
}

fn col_mut<T: Scalar>(m: &mut Mat<T>, j: usize) -> &mut [T] {
    m.col_mut(j)
        .try_as_col_major_mut()
        .map_or(&mut [], |c| c.as_slice_mut())
}

/// A random scalar from `rng`: real and imaginary parts in [−1, 1).
fn random_scalar<T: Scalar>(rng: &mut SplitMix64) -> T {
    if T::REAL {
        T::from_f64(rng.symmetric())
    } else {
        T::from_c64(num_complex::Complex64::new(
            rng.symmetric(),
            rng.symmetric(),
        ))
    }
}

/// Orthonormalizes the columns of `v` against the first `len` columns of `q` (assumed
/// orthonormal) and among themselves, by classical Gram–Schmidt applied twice; a column that
/// loses more than all but `1e-10` of its norm is dependent and dropped. Returns the kept
/// columns.
pub fn orthonormalize<T: Scalar>(q: MatRef<'_, T>, v: Mat<T>) -> Mat<T> {
    let n = v.nrows();
    let mut v = v;
    let orig: Vec<f64> = (0..v.ncols()).map(|j| norm(col(&v, j))).collect();
    if q.ncols() > 0 && v.ncols() > 0 {
        for _ in 0..2 {
            // v ← v − Q (Qᴴ v)
            let mut c = Mat::<T>::zeros(q.ncols(), v.ncols());
            faer::linalg::matmul::matmul(
                c.as_mut(),
                Accum::Replace,
                q.adjoint(),
                v.as_ref(),
                T::from_f64(1.0),
                par(),
            );
            faer::linalg::matmul::matmul(
                v.as_mut(),
                Accum::Add,
                q,
                c.as_ref(),
                T::from_f64(-1.0),
                par(),
            );
        }
    }
    let mut kept: Vec<Vec<T>> = Vec::new();
    for (j, &o) in orig.iter().enumerate() {
        let mut x = col(&v, j).to_vec();
        for _ in 0..2 {
            for k in &kept {
                let c = dot(k, &x);
                for (a, b) in x.iter_mut().zip(k) {
                    *a -= c * *b;
                }
            }
        }
        let nx = norm(&x);
        if o > 0.0 && nx > 1e-10 * o && nx > 0.0 {
            let s = 1.0 / nx;
            x.iter_mut().for_each(|a| *a = a.times(s));
            kept.push(x);
        }
    }
    Mat::from_fn(n, kept.len(), |i, j| kept[j][i])
}

/// The dense path computes only the wanted pairs when they are at most 1/PARTIAL_FRACTION of
/// the spectrum ([`tridiagonal`]); otherwise the whole decomposition.
const PARTIAL_FRACTION: usize = 4;

fn par() -> Par {
    faer::get_global_parallelism()
}

/// Eigendecomposition of a small Hermitian matrix (Hermitian part taken), values and vectors
/// ordered by `which`.
fn small_eig<T: Scalar>(h: MatRef<'_, T>, which: Which) -> Result<(Vec<f64>, Mat<T>), String> {
    let m = h.nrows();
    let hs = Mat::from_fn(m, m, |i, j| (h[(i, j)] + h[(j, i)].conjugate()).times(0.5));
    if !hs.as_ref().is_all_finite() {
        return Err("the matrix has non-finite entries".into());
    }
    let e = hs
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| format!("the dense eigensolver did not converge ({e:?})"))?;
    let order: Vec<usize> = match which {
        Which::Largest => (0..m).rev().collect(),
        Which::Smallest => (0..m).collect(),
    };
    let s = e.S();
    let u = e.U();
    let values = order
        .iter()
        .map(|&i| {
            let v: T = s[i];
            v.real_part()
        })
        .collect();
    let vectors = Mat::from_fn(m, m, |i, j| u[(i, order[j])]);
    Ok((values, vectors))
}

/// `w` limited to `max(nev, max_vectors)` when `max_vectors` > 0.
fn cap(w: usize, nev: usize, max_vectors: usize) -> usize {
    if max_vectors == 0 {
        w
    } else {
        w.min(nev.max(max_vectors))
    }
}

/// Number wanted after widening `nev` to complete the cluster at its boundary.
fn widen(values: &[f64], nev: usize, tol: f64) -> usize {
    let scale = values.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
    widen_scaled(values, nev, tol, scale)
}

/// [`widen`] with the scale of the relative cluster test given.
fn widen_scaled(values: &[f64], nev: usize, tol: f64, scale: f64) -> usize {
    let scale = scale.max(1e-300);
    let mut w = nev.min(values.len());
    while w > 0 && w < values.len() && (values[w] - values[w - 1]).abs() <= tol * scale {
        w += 1;
    }
    w
}

/// The `nev` extreme eigenpairs of a Hermitian operator (see the module documentation).
///
/// Errors: n = 0 or nev = 0 with nothing to compute is fine (empty result); non-finite products
/// or a failed dense decomposition are errors. Not meeting the tolerance within `max_restarts`
/// is not an error: `converged` is false and the residuals say how far.
///
/// ```
/// use faer::Mat;
/// use wirtinger::eig::lanczos::{extreme_eigenpairs, EigOptions};
/// let n = 400;
/// // diag(0, 1, …, n−1) with its top eigenvalue doubled: multiplicity 2.
/// let a = Mat::<f64>::from_fn(n, n, |i, j| if i == j { (i.min(n - 2)) as f64 } else { 0.0 });
/// let e = extreme_eigenpairs(&a, &EigOptions::largest(1)).unwrap();
/// assert_eq!(e.values.len(), 2); // the cluster {n−2, n−2} is returned whole
/// assert!((e.values[0] - (n - 2) as f64).abs() < 1e-9 && (e.values[1] - (n - 2) as f64).abs() < 1e-9);
/// ```
pub fn extreme_eigenpairs<T: Scalar>(
    op: &dyn HermOperator<T>,
    opts: &EigOptions<T>,
) -> Result<Eigenpairs<T>, String> {
    let n = op.size();
    let nev = opts.nev.min(n);
    if n == 0 || nev == 0 {
        return Ok(Eigenpairs {
            values: Vec::new(),
            vectors: Mat::zeros(n, 0),
            residuals: Vec::new(),
            converged: true,
            products: 0,
            restarts: 0,
            method: EigMethod::Dense,
        });
    }
    if n <= opts.dense_limit {
        return dense(op, nev, opts);
    }
    lanczos(op, nev, opts)
}

fn dense<T: Scalar>(
    op: &dyn HermOperator<T>,
    nev: usize,
    opts: &EigOptions<T>,
) -> Result<Eigenpairs<T>, String> {
    let n = op.size();
    let mut products = 0;
    let formed;
    let a = match op.as_dense() {
        Some(a) => a,
        None => {
            let mut m = Mat::<T>::zeros(n, n);
            op.apply(Mat::<T>::identity(n, n).as_ref(), m.as_mut());
            products = n;
            formed = m;
            formed.as_ref()
        }
    };
    // With a cap on the vectors returned, only that many (and one more value, to see whether a
    // cluster continues) are computed, when that is a small part of the spectrum.
    let count = nev.max(opts.max_vectors) + 1;
    if opts.max_vectors > 0 && count * PARTIAL_FRACTION <= n {
        let (values, vectors, radius) =
            tridiagonal::extreme_pairs(a, opts.which, count, opts.seed)?;
        let e = dense_pairs(op, values, vectors, radius, nev, opts, products);
        if e.converged {
            return Ok(e);
        }
    }
    let (values, vectors) = small_eig(a, opts.which)?;
    let radius = values.iter().fold(0f64, |m, v| m.max(v.abs()));
    Ok(dense_pairs(
        op, values, vectors, radius, nev, opts, products,
    ))
}

/// The first w of the ordered pairs (the wanted ones, widened to complete a cluster, capped),
/// with their residuals; `radius` is the spectral radius, the scale of the cluster test.
fn dense_pairs<T: Scalar>(
    op: &dyn HermOperator<T>,
    values: Vec<f64>,
    vectors: Mat<T>,
    radius: f64,
    nev: usize,
    opts: &EigOptions<T>,
    products: usize,
) -> Eigenpairs<T> {
    let w = cap(
        widen_scaled(&values, nev, opts.cluster_tol, radius),
        nev,
        opts.max_vectors,
    );
    let vectors = vectors.subcols(0, w).to_owned();
    let values = values[..w].to_vec();
    let residuals = residuals(op, &values, &vectors);
    let scale = values.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-300);
    let converged = residuals
        .iter()
        .all(|r| *r <= opts.tol.max(1e-12) * scale * 10.0);
    Eigenpairs {
        values,
        vectors,
        residuals,
        converged,
        products: products + w,
        restarts: 0,
        method: EigMethod::Dense,
    }
}

/// ‖A vᵢ − λᵢ vᵢ‖ with fresh products.
fn residuals<T: Scalar>(op: &dyn HermOperator<T>, values: &[f64], v: &Mat<T>) -> Vec<f64> {
    let mut av = Mat::<T>::zeros(v.nrows(), v.ncols());
    op.apply(v.as_ref(), av.as_mut());
    (0..v.ncols())
        .map(|j| {
            col(&av, j)
                .iter()
                .zip(col(v, j))
                .map(|(a, x)| (*a - x.times(values[j])).modulus2())
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

fn apply_block<T: Scalar>(op: &dyn HermOperator<T>, x: &Mat<T>) -> Result<Mat<T>, String> {
    let mut y = Mat::<T>::zeros(x.nrows(), x.ncols());
    op.apply(x.as_ref(), y.as_mut());
    if !y.as_ref().is_all_finite() {
        return Err("the operator returned non-finite values".into());
    }
    Ok(y)
}

fn hcat<T: Scalar>(a: &Mat<T>, b: &Mat<T>) -> Mat<T> {
    let (n, ka) = (a.nrows(), a.ncols());
    Mat::from_fn(n, ka + b.ncols(), |i, j| {
        if j < ka {
            a[(i, j)]
        } else {
            b[(i, j - ka)]
        }
    })
}

/// aᴴ b.
fn mul_adj<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Mat<T> {
    let mut c = Mat::<T>::zeros(a.ncols(), b.ncols());
    faer::linalg::matmul::matmul(
        c.as_mut(),
        Accum::Replace,
        a.adjoint(),
        b,
        T::from_f64(1.0),
        par(),
    );
    c
}

fn mul<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Mat<T> {
    let mut c = Mat::<T>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a, b, T::from_f64(1.0), par());
    c
}

fn lanczos<T: Scalar>(
    op: &dyn HermOperator<T>,
    nev: usize,
    opts: &EigOptions<T>,
) -> Result<Eigenpairs<T>, String> {
    let n = op.size();
    let mut b = if opts.block == 0 {
        (nev + 1).clamp(2, 16)
    } else {
        opts.block
    }
    .min(n);
    let basis = |b: usize| {
        if opts.max_basis == 0 {
            (nev + 3 * b).max(30)
        } else {
            opts.max_basis.max(nev + 2 * b)
        }
        .min(n)
    };
    let mut m_max = basis(b);
    // Ritz vectors kept at a restart.
    let keep_of =
        |b: usize, m_max: usize| (nev + b).min(m_max.saturating_sub(b)).max(nev.min(m_max));
    let mut keep_max = keep_of(b, m_max);
    let mut rng = SplitMix64::new(opts.seed);
    let mut start = Mat::<T>::zeros(n, 0);
    if let Some(s) = &opts.start {
        if s.nrows() == n && s.ncols() > 0 {
            start = s.to_owned();
        }
    }
    if start.ncols() < b {
        let extra = Mat::<T>::from_fn(n, b - start.ncols(), |_, _| random_scalar(&mut rng));
        start = hcat(&start, &extra);
    }
    let mut q = Mat::<T>::zeros(n, 0);
    let mut aq = Mat::<T>::zeros(n, 0);
    let mut next = start;
    let mut products = 0;
    let mut restarts = 0;
    let (mut probe_until, mut phase_start) = (0, 0);
    loop {
        // Expansion: block Krylov steps until the basis is full.
        while q.ncols() < m_max {
            let room = m_max - q.ncols();
            let mut blk = orthonormalize(q.as_ref(), next);
            if blk.ncols() == 0 {
                // Invariant subspace reached: continue with a random block (or stop when the
                // basis already spans everything it can).
                let fresh = Mat::<T>::from_fn(n, b.min(room), |_, _| random_scalar(&mut rng));
                blk = orthonormalize(q.as_ref(), fresh);
                if blk.ncols() == 0 {
                    break;
                }
            }
            if blk.ncols() > room {
                blk = blk.subcols(0, room).to_owned();
            }
            let ab = apply_block(op, &blk)?;
            products += blk.ncols();
            q = hcat(&q, &blk);
            aq = hcat(&aq, &ab);
            next = ab;
        }
        // Rayleigh–Ritz.
        let h = mul_adj(q.as_ref(), aq.as_ref());
        let (theta, y) = small_eig(h.as_ref(), opts.which)?;
        let want = widen(&theta, nev, opts.cluster_tol).min(theta.len());
        let keep = keep_max.max(want).min(theta.len());
        let yk = y.subcols(0, keep);
        let x = mul(q.as_ref(), yk);
        let ax = mul(aq.as_ref(), yk);
        let scale = theta.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
        let mut res = Mat::<T>::zeros(n, keep);
        let mut rnorm = vec![0.0; keep];
        for j in 0..keep {
            let r = col_mut(&mut res, j);
            for ((ri, a), xi) in r.iter_mut().zip(col(&ax, j)).zip(col(&x, j)) {
                *ri = *a - xi.times(theta[j]);
            }
            rnorm[j] = norm(col(&res, j));
        }
        let ok = |j: usize| rnorm[j] <= opts.tol * scale;
        // The next Ritz pair must be nearly converged too (to 1000·tol: residuals computed
        // from the kept products stagnate near 1e-10 relative) and outside the last wanted cluster (an
        // eigenvalue lies within its residual of θ for Hermitian A): a further copy of the
        // cluster still converging would show up as a next pair that is not yet converged.
        let separated = want >= keep
            || (rnorm[want] <= 1e3 * opts.tol * scale
                && (theta[want] - theta[want - 1]).abs() > rnorm[want] + opts.cluster_tol * scale);
        let done = (0..want).all(ok) && separated && restarts >= probe_until;
        // A converged cluster at the boundary as large as the block may be only part of its
        // eigenspace (a block Krylov space holds at most b vectors of one eigenspace): grow the
        // block past it and continue; the converged vectors stay in the basis, so the new
        // random directions can only find further copies or confirm there are none.
        let boundary = clusters(&theta[..want], opts.cluster_tol)
            .last()
            .map_or(0, |r| r.len());
        if done && boundary >= b && b < n && restarts < opts.max_restarts {
            // A hidden copy converges at the rate the found ones did (same eigenvalue, same
            // gap), so the grown block is iterated at least as many restarts as they took.
            probe_until = 2 * restarts - phase_start + 1;
            phase_start = restarts;
            b = (boundary + 1).min(n);
            m_max = basis(b).max(m_max);
            keep_max = keep_of(b, m_max);
            restarts += 1;
            next = Mat::<T>::from_fn(n, b, |_, _| random_scalar(&mut rng));
            let keep = keep_max.max(want).min(x.ncols()).min(m_max - b.min(m_max));
            q = x.subcols(0, keep).to_owned();
            aq = ax.subcols(0, keep).to_owned();
            continue;
        }
        if done || restarts >= opts.max_restarts || q.ncols() >= n {
            let want = cap(want, nev, opts.max_vectors);
            let vectors = x.subcols(0, want).to_owned();
            let values = theta[..want].to_vec();
            let residuals = residuals(op, &values, &vectors);
            products += want;
            let converged = residuals.iter().all(|r| *r <= 2.0 * opts.tol * scale);
            return Ok(Eigenpairs {
                values,
                vectors,
                residuals,
                converged,
                products,
                restarts,
                method: EigMethod::Lanczos,
            });
        }
        restarts += 1;
        // Thick restart: keep the Ritz vectors and their products; expand from the residuals
        // of the unconverged wanted pairs (then of the next ones), b of them.
        let mut pick: Vec<usize> = (0..keep).filter(|&j| !ok(j)).take(b).collect();
        if pick.is_empty() {
            pick = (0..b.min(keep)).collect();
        }
        next = Mat::from_fn(n, pick.len(), |i, j| res[(i, pick[j])]);
        q = x;
        aq = ax;
    }
}
