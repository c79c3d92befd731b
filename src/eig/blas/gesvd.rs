//! `DGESVD`: singular value decomposition, QR-iteration interface.

use core::ffi::{c_char, c_int};

use faer::linalg::svd::ComputeSvdVectors as Want;
use faer::reborrow::Reborrow;

use super::{arg, char_arg, copy_cols, copy_vt, lapack_int, mat_mut, mat_ref, svd, usable, xerbla};

/// `DGESVD`: A = U·Σ·Vᵀ for a general m×n matrix A (`lda ≥ max(1, m)`), σ₁ ≥ … ≥ σ_min(m,n) ≥ 0
/// written to `s`; mn = min(m, n).
///
/// * `jobu = 'A'`: all m columns of U to `u` (`ldu ≥ m`); `'S'`: the first mn columns to `u`;
///   `'O'`: the first mn columns overwrite A; `'N'`: none.
/// * `jobvt = 'A'`: all n rows of Vᵀ to `vt` (`ldvt ≥ n`); `'S'`: the first mn rows to `vt`
///   (`ldvt ≥ mn`); `'O'`: the first mn rows overwrite A; `'N'`: none. `jobu` and `jobvt`
///   cannot both be `'O'`.
///
/// Otherwise A's contents are unspecified on exit (here: unchanged).
///
/// Workspace (LAPACK `dgesvd.f`): `lwork ≥ max(1, 3mn + max(m, n), 5mn)`; `lwork = −1` writes
/// that size to `work[0]` and returns.
///
/// `info`: 0 on success; −i for an invalid i-th argument (1 jobu, 2 jobvt, 3 m, 4 n, 6 lda,
/// 9 ldu, 11 ldvt, 13 lwork; a null array that would be referenced gives its own position);
/// 1 if the SVD did not converge.
///
/// # Safety
/// Fortran contract: every array valid for the accesses the reference routine would make for
/// the given jobs; outputs not overlapping each other or A (except as the jobs specify).
#[no_mangle]
pub unsafe extern "C" fn dgesvd_(
    jobu: *const c_char,
    jobvt: *const c_char,
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
    info: *mut c_int,
) {
    const NAME: &str = "DGESVD";
    if !usable(info.cast_const()) {
        return xerbla(NAME, 14);
    }
    let fail = |i: c_int| {
        xerbla(NAME, i);
        // SAFETY: `info` was checked non-null and aligned; valid for writes by the contract.
        unsafe { info.write(-i) };
    };
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment.
    let (jobu, jobvt, m, n, lda, ldu, ldvt, lwork) = unsafe {
        (
            char_arg(jobu),
            char_arg(jobvt),
            arg(m),
            arg(n),
            arg(lda),
            arg(ldu),
            arg(ldvt),
            arg(lwork),
        )
    };
    let valid = |c: &u8| matches!(c, b'A' | b'S' | b'O' | b'N');
    let Some(jobu) = jobu.filter(valid) else {
        return fail(1);
    };
    let Some(jobvt) = jobvt.filter(|c| valid(c) && !(*c == b'O' && jobu == b'O')) else {
        return fail(2);
    };
    let Some(m) = m.and_then(|v| usize::try_from(v).ok()) else {
        return fail(3);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return fail(4);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= m.max(1))
    else {
        return fail(6);
    };
    let mn = m.min(n);
    let Some(ldu) = ldu
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= 1 && !(matches!(jobu, b'A' | b'S') && v < m))
    else {
        return fail(9);
    };
    let Some(ldvt) = ldvt
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= 1 && !(jobvt == b'A' && v < n) && !(jobvt == b'S' && v < mn))
    else {
        return fail(11);
    };
    let Some(lwork) = lwork else { return fail(13) };
    if !usable(work.cast_const()) {
        return fail(12);
    }
    let minwrk = if mn == 0 {
        1
    } else {
        lapack_int((3 * mn + m.max(n)).max(5 * mn))
    };
    // SAFETY: `work` non-null and aligned with at least one element.
    unsafe { work.write(f64::from(minwrk)) };
    let lquery = lwork == -1;
    if lwork < minwrk && !lquery {
        return fail(13);
    }
    // SAFETY: checked above.
    unsafe { info.write(0) };
    if lquery || mn == 0 {
        return;
    }
    if !usable(a.cast_const()) {
        return fail(5);
    }
    if !usable(s.cast_const()) {
        return fail(7);
    }
    if matches!(jobu, b'A' | b'S') && !usable(u.cast_const()) {
        return fail(8);
    }
    if matches!(jobvt, b'A' | b'S') && !usable(vt.cast_const()) {
        return fail(10);
    }

    let want = |job: u8| match job {
        b'A' => Want::Full,
        b'N' => Want::No,
        _ => Want::Thin,
    };
    let parts = {
        // SAFETY: `a` non-null and aligned, m, n > 0, lda ≥ m; valid for reads by the contract.
        // The view ends with this block, before anything is written to A.
        let am = unsafe { mat_ref(a, m, n, lda) };
        svd(am, want(jobu), want(jobvt))
    };
    let Ok(parts) = parts else {
        // SAFETY: checked above.
        unsafe { info.write(1) };
        return;
    };
    // SAFETY: `s` non-null and aligned, holds min(m, n) values by the contract.
    unsafe { core::slice::from_raw_parts_mut(s, mn) }.copy_from_slice(&parts.s);
    let (uu, vv) = (parts.u.rb(), parts.v.rb());
    match jobu {
        b'A' | b'S' => {
            let ucols = if jobu == b'A' { m } else { mn };
            // SAFETY: `u` non-null and aligned, ldu ≥ m; holds m×ucols by the contract.
            copy_cols(unsafe { mat_mut(u, m, ucols, ldu) }, uu, ucols);
        }
        // SAFETY: A is no longer borrowed; m, n > 0, lda ≥ m.
        b'O' => copy_cols(unsafe { mat_mut(a, m, n, lda) }, uu, mn),
        _ => {}
    }
    match jobvt {
        b'A' | b'S' => {
            let vrows = if jobvt == b'A' { n } else { mn };
            // SAFETY: `vt` non-null and aligned, ldvt ≥ vrows; holds vrows×n by the contract.
            copy_vt(unsafe { mat_mut(vt, vrows, n, ldvt) }, vv, vrows);
        }
        // SAFETY: A is no longer borrowed; m, n > 0, lda ≥ m.
        b'O' => copy_vt(unsafe { mat_mut(a, m, n, lda) }, vv, mn),
        _ => {}
    }
}
