//! `DGESDD`: singular value decomposition, divide-and-conquer interface.

use core::ffi::{c_char, c_int};

use faer::linalg::svd::ComputeSvdVectors as Want;
use faer::reborrow::Reborrow;

use super::{arg, char_arg, copy_cols, copy_vt, lapack_int, mat_mut, mat_ref, svd, usable, xerbla};

/// `DGESDD`: A = U·Σ·Vᵀ for a general m×n matrix A (`lda ≥ max(1, m)`), σ₁ ≥ … ≥ σ_min(m,n) ≥ 0
/// written to `s`.
///
/// * `jobz = 'A'`: all m columns of U (m×m, `ldu ≥ m`) and all n rows of Vᵀ (n×n,
///   `ldvt ≥ n`);
/// * `'S'`: the first min(m, n) columns of U (`ldu ≥ m`) and rows of Vᵀ (`ldvt ≥ min(m, n)`);
/// * `'O'`: if m ≥ n, the first n columns of U overwrite A and Vᵀ goes to `vt` (`ldvt ≥ n`);
///   otherwise U goes to `u` (`ldu ≥ m`) and the first m rows of Vᵀ overwrite A;
/// * `'N'`: singular values only.
///
/// Otherwise A's contents are unspecified on exit (here: unchanged).
///
/// Workspace (LAPACK `dgesdd.f`, documented minimums with mn = min(m, n), mx = max(m, n)):
/// `'N'`: 3mn + max(mx, 7mn); `'O'`: 3mn + max(mx, 5mn² + 4mn); `'S'`: 4mn² + 7mn;
/// `'A'`: 4mn² + 6mn + mx; 1 if m = 0 or n = 0. `lwork = −1` writes that size to `work[0]`
/// and returns. `iwork` (8·mn integers) is not used.
///
/// `info`: 0 on success; −i for an invalid i-th argument (1 jobz, 2 m, 3 n, 5 lda, 8 ldu,
/// 10 ldvt, 12 lwork; a null array that would be referenced gives its own position); 1 if the
/// SVD did not converge.
///
/// Clarabel calls it with `jobz = 'S'`, square A, and a workspace query first.
///
/// # Safety
/// Fortran contract: every array valid for the accesses the reference routine would make for
/// the given job; outputs not overlapping each other or A (except as the job specifies).
#[no_mangle]
pub unsafe extern "C" fn dgesdd_(
    jobz: *const c_char,
    m: *const c_int,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    s: *mut f64,
    u: *mut f64,
    ldu: *const c_int,
    vt: *mut f64,
    ldvt: *const c_int,
    work: *mut f64,
    lwork: *const c_int,
    iwork: *mut c_int,
    info: *mut c_int,
) {
    const NAME: &str = "DGESDD";
    let _ = iwork;
    if !usable(info.cast_const()) {
        return xerbla(NAME, 14);
    }
    let fail = |i: c_int| {
        xerbla(NAME, i);
        // SAFETY: `info` was checked non-null and aligned; valid for writes by the contract.
        unsafe { info.write(-i) };
    };
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment.
    let (jobz, m, n, lda, ldu, ldvt, lwork) = unsafe {
        (
            char_arg(jobz),
            arg(m),
            arg(n),
            arg(lda),
            arg(ldu),
            arg(ldvt),
            arg(lwork),
        )
    };
    let Some(jobz) = jobz.filter(|c| matches!(c, b'A' | b'S' | b'O' | b'N')) else {
        return fail(1);
    };
    let Some(m) = m.and_then(|v| usize::try_from(v).ok()) else {
        return fail(2);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return fail(3);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= m.max(1))
    else {
        return fail(5);
    };
    let (mn, mx) = (m.min(n), m.max(n));
    let as_ = matches!(jobz, b'A' | b'S');
    let o = jobz == b'O';
    let Some(ldu) = ldu
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= 1 && !(as_ && v < m) && !(o && m < n && v < m))
    else {
        return fail(8);
    };
    let Some(ldvt) = ldvt.and_then(|v| usize::try_from(v).ok()).filter(|&v| {
        v >= 1 && !(jobz == b'A' && v < n) && !(jobz == b'S' && v < mn) && !(o && m >= n && v < n)
    }) else {
        return fail(10);
    };
    let Some(lwork) = lwork else { return fail(12) };
    if !usable(work.cast_const()) {
        return fail(11);
    }
    let minwrk = if mn == 0 {
        1
    } else {
        match jobz {
            b'N' => 3 * mn + mx.max(7 * mn),
            b'O' => 3 * mn + mx.max(5 * mn * mn + 4 * mn),
            b'S' => 4 * mn * mn + 7 * mn,
            _ => 4 * mn * mn + 6 * mn + mx,
        }
    };
    let minwrk = lapack_int(minwrk);
    // SAFETY: `work` non-null and aligned with at least one element.
    unsafe { work.write(f64::from(minwrk)) };
    let lquery = lwork == -1;
    if lwork < minwrk && !lquery {
        return fail(12);
    }
    // SAFETY: checked above.
    unsafe { info.write(0) };
    if lquery || mn == 0 {
        return;
    }
    if !usable(a.cast_const()) {
        return fail(4);
    }
    if !usable(s.cast_const()) {
        return fail(6);
    }
    let needs_u = as_ || (o && m < n);
    let needs_vt = as_ || (o && m >= n);
    if needs_u && !usable(u.cast_const()) {
        return fail(7);
    }
    if needs_vt && !usable(vt.cast_const()) {
        return fail(9);
    }

    let want = match jobz {
        b'A' => Want::Full,
        b'N' => Want::No,
        _ => Want::Thin,
    };
    let parts = {
        // SAFETY: `a` non-null and aligned, m, n > 0, lda ≥ m; valid for reads by the contract.
        // The view ends with this block, before anything is written to A.
        let am = unsafe { mat_ref(a, m, n, lda) };
        svd(am, want, want)
    };
    let Ok(parts) = parts else {
        // SAFETY: checked above.
        unsafe { info.write(1) };
        return;
    };
    // SAFETY: `s` non-null and aligned, holds min(m, n) values by the contract.
    unsafe { core::slice::from_raw_parts_mut(s, mn) }.copy_from_slice(&parts.s);
    let (uu, vv) = (parts.u.rb(), parts.v.rb());
    match jobz {
        b'A' | b'S' => {
            let (ucols, vrows) = if jobz == b'A' { (m, n) } else { (mn, mn) };
            // SAFETY: `u` (ldu ≥ m) and `vt` (ldvt ≥ vrows) non-null and aligned; by the
            // contract they hold m×ucols and vrows×n matrices, disjoint from each other.
            let (um, vtm) = unsafe { (mat_mut(u, m, ucols, ldu), mat_mut(vt, vrows, n, ldvt)) };
            copy_cols(um, uu, ucols);
            copy_vt(vtm, vv, vrows);
        }
        b'O' => {
            // SAFETY: A (lda ≥ m) is no longer borrowed; the other output (ldu ≥ m or
            // ldvt ≥ n checked for this case) is non-null and aligned and disjoint from A.
            let am = unsafe { mat_mut(a, m, n, lda) };
            if m >= n {
                copy_cols(am, uu, n);
                // SAFETY: see above.
                copy_vt(unsafe { mat_mut(vt, n, n, ldvt) }, vv, n);
            } else {
                // SAFETY: see above.
                copy_cols(unsafe { mat_mut(u, m, m, ldu) }, uu, m);
                copy_vt(am, vv, m);
            }
        }
        _ => {}
    }
}
