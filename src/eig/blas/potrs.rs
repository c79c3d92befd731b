//! `DPOTRS`: solve with a Cholesky factor.

use core::ffi::{c_char, c_int};

use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::reborrow::ReborrowMut;

use super::{arg, char_arg, mat_mut, mat_ref, par, usable, xerbla};

/// `DPOTRS`: solves A·X = B for symmetric positive definite A given its Cholesky factor from
/// `DPOTRF`: A = Uᵀ·U (`uplo = 'U'`: Uᵀ·Y = B, then U·X = Y) or A = L·Lᵀ (`'L'`: L·Y = B,
/// then Lᵀ·X = Y). Only the `uplo` triangle of the factor is read. B is n×nrhs with
/// `ldb ≥ max(1, n)` and is overwritten by X.
///
/// `info` (LAPACK `dpotrs.f`): 0 on success; −i for an invalid i-th argument (1: uplo, 2: n,
/// 3: nrhs, 5: lda < max(1, n), 8: ldb < max(1, n); 4 / 6 for a null `a` / `b` that would be
/// referenced). Quick return when n = 0 or nrhs = 0.
///
/// # Safety
/// Fortran contract: `a` valid for reads of the n×n factor, `b` for reads and writes of the
/// n×nrhs right-hand side, not overlapping; `info` valid for one write.
#[no_mangle]
pub unsafe extern "C" fn dpotrs_(
    uplo: *const c_char,
    n: *const c_int,
    nrhs: *const c_int,
    a: *const f64,
    lda: *const c_int,
    b: *mut f64,
    ldb: *const c_int,
    info: *mut c_int,
) {
    const NAME: &str = "DPOTRS";
    if !usable(info.cast_const()) {
        return xerbla(NAME, 8);
    }
    let fail = |i: c_int| {
        xerbla(NAME, i);
        // SAFETY: `info` was checked non-null and aligned; valid for writes by the contract.
        unsafe { info.write(-i) };
    };
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment.
    let (uplo, n, nrhs, lda, ldb) =
        unsafe { (char_arg(uplo), arg(n), arg(nrhs), arg(lda), arg(ldb)) };
    let Some(uplo) = uplo.filter(|c| matches!(c, b'U' | b'L')) else {
        return fail(1);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return fail(2);
    };
    let Some(nrhs) = nrhs.and_then(|v| usize::try_from(v).ok()) else {
        return fail(3);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return fail(5);
    };
    let Some(ldb) = ldb
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return fail(7);
    };
    if n > 0 && nrhs > 0 {
        if !usable(a) {
            return fail(4);
        }
        if !usable(b.cast_const()) {
            return fail(6);
        }
    }
    // SAFETY: checked above.
    unsafe { info.write(0) };
    if n == 0 || nrhs == 0 {
        return;
    }
    // SAFETY: pointers non-null and aligned, dimensions and leading dimensions checked; the
    // contract makes them valid and disjoint. Only the `uplo` triangle of A is read.
    let (am, mut bm) = unsafe { (mat_ref(a, n, n, lda), mat_mut(b, n, nrhs, ldb)) };
    let par = par(n.max(nrhs));
    if uplo == b'U' {
        solve_lower_triangular_in_place(am.transpose(), bm.rb_mut(), par);
        solve_upper_triangular_in_place(am, bm, par);
    } else {
        solve_lower_triangular_in_place(am, bm.rb_mut(), par);
        solve_upper_triangular_in_place(am.transpose(), bm, par);
    }
}
