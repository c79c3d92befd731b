//! A few eigenpairs at one end of a dense Hermitian matrix, without the whole decomposition.
//!
//! A full dense eigendecomposition at n = 1000 spends about 55 ms reducing A to tridiagonal
//! form and 70 ms more on the eigenvectors of the tridiagonal matrix (divide and conquer over
//! all n of them); the bundle method needs at most r_max ≈ 30. So, after the same Householder
//! reduction A = Q T Qᴴ (faer's `tridiag_in_place`):
//!
//! 1. **Eigenvalues by bisection** on Sturm counts (Golub & Van Loan, *Matrix Computations*,
//!    4th ed., § 8.4.1; LAPACK `dstebz`): for the symmetric tridiagonal T (diagonal d,
//!    off-diagonal e), the number of negative qᵢ in q₁ = d₁ − σ, qᵢ = dᵢ − σ − eᵢ₋₁²/qᵢ₋₁ is
//!    the number of eigenvalues below σ. Each wanted eigenvalue is bisected from the Gershgorin
//!    interval to the width 2ε‖T‖.
//! 2. **Eigenvectors by inverse iteration** (LAPACK `dstein`, after Peters & Wilkinson 1971):
//!    (T − λI) x⁺ = x by an LU factorization of the tridiagonal matrix with partial pivoting
//!    (`dgttrf`; a zero pivot becomes ε‖T‖), three steps from a seeded random start. Vectors
//!    of eigenvalues closer than 10⁻³‖T‖ are one cluster and are orthogonalized against the
//!    cluster's earlier vectors (modified Gram–Schmidt) before every step, and an eigenvalue
//!    equal to its predecessor to 10ε‖T‖ is shifted by that much, so that the cluster's
//!    invariant subspace comes out with an orthonormal basis.
//! 3. **Back-transformation** of those columns only: x ← Q x with the block Householder
//!    sequence (for complex Hermitian A, faer's T has complex off-diagonal entries, which are
//!    made real by the diagonal unitary scaling faer itself uses).
//!
//! The caller (the dense path of [`super::extreme_eigenpairs`]) recomputes every residual
//! ‖Avᵢ − λᵢvᵢ‖ with A itself and falls back to the full decomposition if one is too large.

use super::operator::Scalar;
use super::Which;
use crate::rng::SplitMix64;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::tridiag;
use faer::linalg::householder;
use faer::{Conj, Mat, MatRef};

/// The `count` eigenvalues at the `which` end of the Hermitian part of `a` in that order, their
/// eigenvectors, and the spectral radius of A (max |λ| over the whole spectrum).
pub(crate) fn extreme_pairs<T: Scalar>(
    a: MatRef<'_, T>,
    which: Which,
    count: usize,
    seed: u64,
) -> Result<(Vec<f64>, Mat<T>, f64), String> {
    let n = a.nrows();
    let count = count.min(n);
    let mut trid = Mat::from_fn(n, n, |i, j| {
        if i >= j {
            (a[(i, j)] + a[(j, i)].conjugate()).times(0.5)
        } else {
            T::from_f64(0.0)
        }
    });
    if !trid.as_ref().is_all_finite() {
        return Err("the matrix has non-finite entries".into());
    }
    if n == 0 || count == 0 {
        return Ok((Vec::new(), Mat::zeros(n, 0), 0.0));
    }
    let par = super::par();
    let bs = faer::linalg::qr::no_pivoting::factor::recommended_block_size::<T>(n, n);
    let mut hh = Mat::<T>::zeros(bs, n.saturating_sub(1));
    if n > 1 {
        let mut mem = MemBuffer::new(tridiag::tridiag_in_place_scratch::<T>(
            n,
            par,
            Default::default(),
        ));
        tridiag::tridiag_in_place(
            trid.as_mut(),
            hh.as_mut(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
    }
    let d: Vec<f64> = (0..n).map(|i| trid[(i, i)].real_part()).collect();
    // The off-diagonal: real already for real A; for complex A, |eᵢ| with the phases sᵢ that
    // make T real, T = S T_R Sᴴ, s₀ = 1, sᵢ = phase(eᵢ₋₁ sᵢ₋₁) (as faer does).
    let mut e = vec![0.0; n.saturating_sub(1)];
    let mut phase = vec![T::from_f64(1.0); n];
    for i in 1..n {
        let sub = trid[(i, i - 1)];
        if T::REAL {
            e[i - 1] = sub.real_part();
        } else {
            e[i - 1] = sub.modulus2().sqrt();
            let z = sub.to_c64() * phase[i - 1].to_c64();
            let r = z.norm();
            phase[i] = if r == 0.0 {
                T::from_f64(1.0)
            } else {
                T::from_c64(z / r)
            };
        }
    }
    let (lo, hi) = gershgorin(&d, &e);
    let norm = lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE);
    // Eigenvalue indices in ascending order, 0..count or n−count..n, and the other end of the
    // spectrum for the spectral radius (one end is among the wanted values).
    let mut wanted: Vec<usize> = match which {
        Which::Smallest => (0..count).collect(),
        Which::Largest => (n - count..n).collect(),
    };
    wanted.push(match which {
        Which::Smallest => n - 1,
        Which::Largest => 0,
    });
    let mut values_asc = bisect_all(&d, &e, &wanted, lo, hi, norm);
    let other_end = values_asc.pop().unwrap_or(0.0);
    let radius = values_asc
        .iter()
        .fold(other_end.abs(), |m, v| m.max(v.abs()));
    let vecs_asc = inverse_iteration(&d, &e, &values_asc, norm, seed);
    // Order by `which` and lift: x ← Q S x.
    let order: Vec<usize> = match which {
        Which::Smallest => (0..count).collect(),
        Which::Largest => (0..count).rev().collect(),
    };
    let values: Vec<f64> = order.iter().map(|&c| values_asc[c]).collect();
    let mut u = Mat::<T>::from_fn(n, count, |i, c| phase[i].times(vecs_asc[order[c]][i]));
    if n > 1 {
        let mut mem = MemBuffer::new(
            householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<T>(
                n - 1,
                bs,
                count,
            ),
        );
        householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
            trid.as_ref().submatrix(1, 0, n - 1, n - 1),
            hh.as_ref(),
            Conj::No,
            u.as_mut().subrows_mut(1, n - 1),
            par,
            MemStack::new(&mut mem),
        );
    }
    Ok((values, u, radius))
}

/// An interval [lo, hi] holding every eigenvalue (Gershgorin's discs of T).
fn gershgorin(d: &[f64], e: &[f64]) -> (f64, f64) {
    let n = d.len();
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for i in 0..n {
        let r = if i > 0 { e[i - 1].abs() } else { 0.0 } + if i + 1 < n { e[i].abs() } else { 0.0 };
        lo = lo.min(d[i] - r);
        hi = hi.max(d[i] + r);
    }
    (lo, hi)
}

/// Independent bisections run side by side: the Sturm recurrence is a chain of dependent
/// divisions, so one bisection waits on the divider's latency; [`LANES`] chains interleaved in
/// one pass over T keep it busy.
const LANES: usize = 8;

/// The numbers of eigenvalues of T below each σ (Sturm counts; a zero qᵢ is replaced by a
/// tiny negative number, as `dstebz` does with its pivmin). Every lane computes exactly what a
/// single count would.
fn count_below(d: &[f64], e: &[f64], sigma: &[f64; LANES], pivmin: f64) -> [usize; LANES] {
    let mut count = [0usize; LANES];
    let mut q = [1.0f64; LANES];
    for i in 0..d.len() {
        let ee = if i > 0 { e[i - 1] * e[i - 1] } else { 0.0 };
        for l in 0..LANES {
            let off = if i > 0 { ee / q[l] } else { 0.0 };
            let mut ql = d[i] - sigma[l] - off;
            if ql.abs() < pivmin {
                ql = -pivmin;
            }
            count[l] += usize::from(ql < 0.0);
            q[l] = ql;
        }
    }
    count
}

/// The eigenvalues of indices `ks` (ascending, from 0) of T, each by its own bisection of
/// [lo, hi] to 2ε·max(‖T‖, |λ|); [`LANES`] of them at a time. The result for an index does not
/// depend on which others are computed with it.
fn bisect_all(d: &[f64], e: &[f64], ks: &[usize], lo: f64, hi: f64, norm: f64) -> Vec<f64> {
    let pivmin = f64::MIN_POSITIVE * norm.max(1.0) * 4.0;
    let start = (lo - f64::EPSILON * norm, hi + f64::EPSILON * norm);
    let mut out = Vec::with_capacity(ks.len());
    for group in ks.chunks(LANES) {
        // Invariant per lane: count_below(a) ≤ k < count_below(b).
        let mut ab = [start; LANES];
        let mut active = [false; LANES];
        active[..group.len()].iter_mut().for_each(|a| *a = true);
        loop {
            let mut mid = [0.0; LANES];
            for l in 0..group.len() {
                let (a, b) = ab[l];
                let m = 0.5 * (a + b);
                if active[l]
                    && (b - a <= 2.0 * f64::EPSILON * norm.max(a.abs().max(b.abs()))
                        || m <= a
                        || m >= b)
                {
                    active[l] = false;
                }
                mid[l] = m;
            }
            if !active.iter().any(|a| *a) {
                break;
            }
            let counts = count_below(d, e, &mid, pivmin);
            for (l, &k) in group.iter().enumerate() {
                if active[l] {
                    if counts[l] > k {
                        ab[l].1 = mid[l];
                    } else {
                        ab[l].0 = mid[l];
                    }
                }
            }
        }
        out.extend(ab[..group.len()].iter().map(|(a, b)| 0.5 * (a + b)));
    }
    out
}

/// Eigenvectors of T for the ascending eigenvalues `values` (see the module documentation).
fn inverse_iteration(d: &[f64], e: &[f64], values: &[f64], norm: f64, seed: u64) -> Vec<Vec<f64>> {
    let n = d.len();
    let cluster_gap = 1e-3 * norm;
    let pert = 10.0 * f64::EPSILON * norm;
    let mut rng = SplitMix64::new(seed);
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(values.len());
    let mut cluster_start = 0;
    let mut last_shift = f64::NEG_INFINITY;
    for (k, &lambda) in values.iter().enumerate() {
        if k == 0 || lambda - values[k - 1] > cluster_gap {
            cluster_start = k;
        }
        let mut shift = lambda;
        if k > cluster_start && shift - last_shift < pert {
            shift = last_shift + pert;
        }
        last_shift = shift;
        let lu = TridiagLu::new(d, e, shift, norm);
        let mut x: Vec<f64> = (0..n).map(|_| rng.symmetric()).collect();
        for _ in 0..3 {
            for v in &out[cluster_start..k] {
                let c: f64 = x.iter().zip(v).map(|(a, b)| a * b).sum();
                x.iter_mut().zip(v).for_each(|(a, b)| *a -= c * b);
            }
            normalize(&mut x);
            lu.solve(&mut x);
        }
        for v in &out[cluster_start..k] {
            let c: f64 = x.iter().zip(v).map(|(a, b)| a * b).sum();
            x.iter_mut().zip(v).for_each(|(a, b)| *a -= c * b);
        }
        normalize(&mut x);
        out.push(x);
    }
    out
}

fn normalize(x: &mut [f64]) {
    let s = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    if s > 0.0 && s.is_finite() {
        x.iter_mut().for_each(|v| *v /= s);
    } else {
        // A breakdown (overflow): restart from a unit vector.
        x.iter_mut().for_each(|v| *v = 0.0);
        x[0] = 1.0;
    }
}

/// P(T − σI) = LU of a tridiagonal matrix with partial pivoting (LAPACK `dgttrf`): L unit lower
/// bidiagonal (multipliers `l`), U upper with two superdiagonals.
struct TridiagLu {
    l: Vec<f64>,
    d: Vec<f64>,
    du: Vec<f64>,
    du2: Vec<f64>,
    swap: Vec<bool>,
}

impl TridiagLu {
    fn new(diag: &[f64], e: &[f64], sigma: f64, norm: f64) -> TridiagLu {
        let n = diag.len();
        let mut d: Vec<f64> = diag.iter().map(|v| v - sigma).collect();
        let mut dl: Vec<f64> = e.to_vec();
        let mut du: Vec<f64> = e.to_vec();
        let mut du2 = vec![0.0; n.saturating_sub(2)];
        let mut swap = vec![false; n.saturating_sub(1)];
        for i in 0..n.saturating_sub(1) {
            if d[i].abs() >= dl[i].abs() {
                let f = if d[i] != 0.0 { dl[i] / d[i] } else { 0.0 };
                dl[i] = f;
                d[i + 1] -= f * du[i];
            } else {
                let f = d[i] / dl[i];
                d[i] = dl[i];
                dl[i] = f;
                let t = du[i];
                du[i] = d[i + 1];
                d[i + 1] = t - f * d[i + 1];
                if i + 2 < n {
                    du2[i] = du[i + 1];
                    du[i + 1] *= -f;
                }
                swap[i] = true;
            }
        }
        let tiny = f64::EPSILON * norm.max(f64::MIN_POSITIVE);
        for v in &mut d {
            if v.abs() < tiny {
                *v = if *v < 0.0 { -tiny } else { tiny };
            }
        }
        TridiagLu {
            l: dl,
            d,
            du,
            du2,
            swap,
        }
    }

    /// x ← (T − σI)⁻¹ x.
    fn solve(&self, x: &mut [f64]) {
        let n = self.d.len();
        for i in 0..n.saturating_sub(1) {
            if self.swap[i] {
                x.swap(i, i + 1);
            }
            x[i + 1] -= self.l[i] * x[i];
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            if i + 1 < n {
                s -= self.du[i] * x[i + 1];
            }
            if i + 2 < n {
                s -= self.du2[i] * x[i + 2];
            }
            x[i] = s / self.d[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Side;
    use num_complex::Complex64 as C64;

    /// The side-by-side bisections give every eigenvalue of a tridiagonal T to rounding (against
    /// faer's decomposition of T), and the value of an index is the same bit for bit whether it
    /// is bisected alone or in a group (the lanes do not interact).
    #[test]
    fn grouped_bisection_is_exact_and_independent_of_the_grouping() {
        let n = 60;
        let mut rng = SplitMix64::new(11);
        let mut d: Vec<f64> = (0..n).map(|_| rng.symmetric()).collect();
        let e: Vec<f64> = (0..n - 1)
            .map(|i| if i == 20 { 0.0 } else { rng.symmetric() })
            .collect();
        d[5] = d[4];
        let t = Mat::<f64>::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => d[i],
            1 => e[i.min(j)],
            _ => 0.0,
        });
        let mut want: Vec<f64> = t.self_adjoint_eigenvalues(Side::Lower).unwrap();
        want.sort_by(f64::total_cmp);
        let (lo, hi) = gershgorin(&d, &e);
        let norm = lo.abs().max(hi.abs());
        let ks: Vec<usize> = (0..n).rev().collect();
        let all = bisect_all(&d, &e, &ks, lo, hi, norm);
        for (&k, v) in ks.iter().zip(&all) {
            assert!(
                (v - want[k]).abs() <= 1e-13 * norm,
                "{k}: {v} vs {}",
                want[k]
            );
            let alone = bisect_all(&d, &e, &[k], lo, hi, norm);
            assert_eq!(alone[0].to_bits(), v.to_bits(), "index {k}");
        }
    }

    /// `extreme_pairs` itself (the dense path falls back to the full decomposition when a
    /// residual is too large, so it is tested directly here): values against faer's full
    /// decomposition, residuals ‖Av − λv‖ and orthonormality, real and complex, both ends, on
    /// a random matrix and on one with an exact triple and a near-cluster at the ends.
    #[test]
    fn extreme_pairs_match_the_full_decomposition() {
        fn check<T: Scalar>(a: &Mat<T>, which: Which, count: usize) {
            let n = a.nrows();
            let (values, v, radius) = extreme_pairs(a.as_ref(), which, count, 7).unwrap();
            let mut all: Vec<f64> = a
                .self_adjoint_eigenvalues(Side::Lower)
                .unwrap()
                .into_iter()
                .collect();
            all.sort_by(f64::total_cmp);
            let scale = all[0].abs().max(all[n - 1].abs());
            assert!((radius - scale).abs() < 1e-13 * scale);
            let av = a * &v;
            for k in 0..count {
                let want = match which {
                    Which::Smallest => all[k],
                    Which::Largest => all[n - 1 - k],
                };
                assert!(
                    (values[k] - want).abs() < 1e-13 * scale,
                    "{k}: {} vs {want}",
                    values[k]
                );
                let r: f64 = (0..n)
                    .map(|i| (av[(i, k)] - v[(i, k)].times(values[k])).modulus2())
                    .sum::<f64>()
                    .sqrt();
                assert!(r < 1e-13 * scale, "residual {r} of pair {k}");
            }
            let g = v.adjoint() * &v;
            for i in 0..count {
                for j in 0..count {
                    let e = if i == j { 1.0 } else { 0.0 };
                    assert!((g[(i, j)].to_c64() - C64::new(e, 0.0)).norm() < 1e-12);
                }
            }
        }
        let n = 150;
        let mut r = SplitMix64::new(3);
        let g = Mat::<f64>::from_fn(n, n, |_, _| r.symmetric());
        let a = Mat::<f64>::from_fn(n, n, |i, j| g[(i, j)] + g[(j, i)]);
        let gc = Mat::<C64>::from_fn(n, n, |_, _| C64::new(r.symmetric(), r.symmetric()));
        let c = Mat::<C64>::from_fn(n, n, |i, j| gc[(i, j)] + gc[(j, i)].conj());
        // Q diag(d) Qᵀ: a triple at the top, ten values 1e-9 apart at the bottom.
        let d: Vec<f64> = (0..n)
            .map(|i| match i {
                0..=2 => 3.0,
                _ if i >= n - 10 => -2.0 - 1e-9 * i as f64,
                _ => 1.0 - i as f64 / n as f64,
            })
            .collect();
        let q = Mat::<f64>::from_fn(n, n, |_, _| r.symmetric())
            .qr()
            .compute_Q();
        let qd = Mat::<f64>::from_fn(n, n, |i, j| q[(i, j)] * d[j]);
        let s = &qd * q.transpose();
        for which in [Which::Largest, Which::Smallest] {
            check(&a, which, 6);
            check(&c, which, 6);
            check(&s, which, 12);
        }
    }
}
