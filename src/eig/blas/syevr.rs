//! `DSYEVR`: symmetric eigendecomposition.

use core::ffi::{c_char, c_int};

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::Mat;

use super::{arg, char_arg, lapack_int, mat_mut, mat_ref, par, usable, xerbla};

/// `DSYEVR`: eigenvalues and optionally eigenvectors of a symmetric n×n matrix A, given by its
/// `uplo` triangle: A = Z·Λ·Zᵀ with Λ = diag(λ₁ ≤ … ≤ λₙ) and Z orthogonal.
///
/// * `jobz`: `'N'` eigenvalues only (Z not referenced), `'V'` also eigenvectors.
/// * `range`: `'A'` all; `'V'` those with vl < λ ≤ vu (requires vl < vu when n > 0); `'I'` the
///   il-th through iu-th (1 ≤ il ≤ iu ≤ n, or il = 1, iu = 0 when n = 0).
/// * On exit `m` is the number found, `w[0..m]` the eigenvalues in ascending order and, for
///   `'V'`, the columns 0..m of Z (`ldz ≥ n`) the orthonormal eigenvectors. For `range = 'A'`
///   or `'I'` with il = 1, iu = n, `isuppz[2i], isuppz[2i+1]` are the first and last nonzero
///   rows (1-based) of eigenvector i.
/// * Workspace (LAPACK `dsyevr.f`): `lwork ≥ max(1, 26n)`, `liwork ≥ max(1, 10n)`; a query
///   (`lwork = −1` or `liwork = −1`) writes these sizes to `work[0]` and `iwork[0]` and returns.
///   The arrays are not otherwise used.
/// * `info`: 0 on success; −i for an invalid i-th argument (1 jobz, 2 range, 3 uplo, 4 n,
///   6 lda, 8 vu ≤ vl, 9 il, 10 iu, 15 ldz, 18 lwork, 20 liwork; a null array that would be
///   referenced gives its own position); 1 if the eigensolver did not converge.
///
/// Clarabel calls it with `range = 'A'`, `uplo = 'U'`, `abstol = −1` and `jobz` `'N'` or `'V'`.
/// `abstol` is not used: faer's self-adjoint eigensolver (Householder tridiagonalization and a
/// tridiagonal divide-and-conquer/QR solver) works to full precision. A is not modified.
///
/// # Safety
/// Fortran contract: every array valid for the accesses the reference routine would make (A
/// n×n with `lda`, w n, Z n×max(1, m) with `ldz` when `jobz = 'V'`, isuppz 2·max(1, m),
/// work lwork / at least 1, iwork liwork / at least 1), outputs not overlapping A.
#[no_mangle]
pub unsafe extern "C" fn dsyevr_(
    jobz: *const c_char,
    range: *const c_char,
    uplo: *const c_char,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    vl: *const f64,
    vu: *const f64,
    il: *const c_int,
    iu: *const c_int,
    abstol: *const f64,
    m: *mut c_int,
    w: *mut f64,
    z: *mut f64,
    ldz: *const c_int,
    isuppz: *mut c_int,
    work: *mut f64,
    lwork: *const c_int,
    iwork: *mut c_int,
    liwork: *const c_int,
    info: *mut c_int,
) {
    const NAME: &str = "DSYEVR";
    let _ = abstol;
    if !usable(info.cast_const()) {
        return xerbla(NAME, 21);
    }
    let fail = |i: c_int| {
        xerbla(NAME, i);
        // SAFETY: `info` was checked non-null and aligned; valid for writes by the contract.
        unsafe { info.write(-i) };
    };
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment.
    let (jobz, range, uplo, n, lda) = unsafe {
        (
            char_arg(jobz),
            char_arg(range),
            char_arg(uplo),
            arg(n),
            arg(lda),
        )
    };
    let Some(jobz) = jobz.filter(|c| matches!(c, b'N' | b'V')) else {
        return fail(1);
    };
    let Some(range) = range.filter(|c| matches!(c, b'A' | b'V' | b'I')) else {
        return fail(2);
    };
    let Some(uplo) = uplo.filter(|c| matches!(c, b'U' | b'L')) else {
        return fail(3);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return fail(4);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return fail(6);
    };
    let wantz = jobz == b'V';
    // The selected index range [lo, hi) is computed once the eigenvalues are known for 'V'.
    let mut bounds = (0.0, 0.0);
    let mut index_range = (0usize, n);
    match range {
        b'V' => {
            // SAFETY: read through `arg` (null/alignment checked).
            let (l, u) = unsafe { (arg(vl), arg(vu)) };
            let Some(l) = l else { return fail(7) };
            let Some(u) = u else { return fail(8) };
            if n > 0 && u <= l {
                return fail(8);
            }
            bounds = (l, u);
        }
        b'I' => {
            // SAFETY: read through `arg` (null/alignment checked).
            let (l, u) = unsafe { (arg(il), arg(iu)) };
            let n_int = lapack_int(n);
            let Some(l) = l.filter(|&l| l >= 1 && l <= n_int.max(1)) else {
                return fail(9);
            };
            let Some(u) = u.filter(|&u| u >= n_int.min(l) && u <= n_int) else {
                return fail(10);
            };
            // il ≥ 1 and iu ≥ 0 here, so both convert.
            index_range = ((l - 1) as usize, u as usize);
        }
        _ => {}
    }
    // SAFETY: read through `arg` (null/alignment checked).
    let ldz = unsafe { arg(ldz) };
    let Some(ldz) = ldz
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= 1 && (!wantz || v >= n))
    else {
        return fail(15);
    };
    // SAFETY: read through `arg` (null/alignment checked).
    let (lwork, liwork) = unsafe { (arg(lwork), arg(liwork)) };
    let Some(lwork) = lwork else { return fail(18) };
    let Some(liwork) = liwork else {
        return fail(20);
    };
    if !usable(work.cast_const()) {
        return fail(17);
    }
    if !usable(iwork.cast_const()) {
        return fail(19);
    }
    let lwmin = lapack_int(26 * n).max(1);
    let liwmin = lapack_int(10 * n).max(1);
    // SAFETY: `work` and `iwork` are non-null and aligned and hold at least one element.
    unsafe {
        work.write(f64::from(lwmin));
        iwork.write(liwmin);
    }
    let lquery = lwork == -1 || liwork == -1;
    if lwork < lwmin && !lquery {
        return fail(18);
    }
    if liwork < liwmin && !lquery {
        return fail(20);
    }
    // SAFETY: checked above.
    unsafe { info.write(0) };
    if lquery {
        return;
    }
    if !usable(m.cast_const()) {
        return fail(12);
    }
    // SAFETY: checked non-null and aligned.
    unsafe { m.write(0) };
    if n == 0 {
        // SAFETY: as above.
        unsafe { work.write(1.0) };
        return;
    }
    if !usable(a.cast_const()) {
        return fail(5);
    }
    if !usable(w.cast_const()) {
        return fail(13);
    }
    if wantz && !usable(z.cast_const()) {
        return fail(14);
    }

    // SAFETY: `a` non-null and aligned, n > 0, lda ≥ n; valid by the contract and not written
    // while this view lives. Only the `uplo` triangle is read: faer's solver reads the lower
    // triangle of its argument, which is the stored triangle of A or of Aᵀ.
    let am = unsafe { mat_ref(a, n, n, lda) };
    let lower = if uplo == b'U' { am.transpose() } else { am };
    let par = par(n);
    let compute = if wantz {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let mut s = Diag::<f64>::zeros(n);
    let mut u = if wantz {
        Mat::<f64>::zeros(n, n)
    } else {
        Mat::<f64>::zeros(0, 0)
    };
    let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        compute,
        par,
        Default::default(),
    ));
    let result = self_adjoint_evd(
        lower,
        s.as_mut(),
        wantz.then(|| u.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if result.is_err() {
        // SAFETY: checked above.
        unsafe { info.write(1) };
        return;
    }
    let lambda = s.column_vector();
    if range == b'V' {
        let (l, h) = bounds;
        let lo = (0..n).find(|&i| lambda[i] > l).unwrap_or(n);
        let hi = (lo..n).find(|&i| lambda[i] > h).unwrap_or(n);
        index_range = (lo, hi);
    }
    let (lo, hi) = index_range;
    let count = hi - lo;
    // SAFETY: `w` non-null and aligned with room for n ≥ count values by the contract; `m` as
    // above.
    unsafe {
        let wv = core::slice::from_raw_parts_mut(w, count);
        for (k, wk) in wv.iter_mut().enumerate() {
            *wk = lambda[lo + k];
        }
        m.write(lapack_int(count));
    }
    if !wantz || count == 0 {
        return;
    }
    // SAFETY: `z` non-null and aligned, ldz ≥ n; by the contract it holds an n×m matrix with
    // leading dimension ldz, disjoint from A and w.
    let mut zm = unsafe { mat_mut(z, n, count, ldz) };
    for k in 0..count {
        for i in 0..n {
            zm[(i, k)] = u[(i, lo + k)];
        }
    }
    let full = range == b'A' || (range == b'I' && lo == 0 && hi == n);
    if full && usable(isuppz.cast_const()) {
        // SAFETY: `isuppz` non-null and aligned; by the contract it holds 2·m integers.
        let supp = unsafe { core::slice::from_raw_parts_mut(isuppz, 2 * count) };
        for k in 0..count {
            let col = u.col(lo + k);
            let first = (0..n).find(|&i| col[i] != 0.0);
            let last = (0..n).rev().find(|&i| col[i] != 0.0);
            supp[2 * k] = first.map_or(0, |i| lapack_int(i + 1));
            supp[2 * k + 1] = last.map_or(0, |i| lapack_int(i + 1));
        }
    }
}
