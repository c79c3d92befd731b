//! `DPOTRF`: Cholesky factorization.

use core::ffi::{c_char, c_int};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch, LltError};
use faer::Mat;

use super::{arg, char_arg, mat_mut, par, usable, xerbla};

/// `DPOTRF`: Cholesky factorization of a symmetric positive definite n×n matrix,
/// A = Uᵀ·U (`uplo = 'U'`, U upper triangular, stored in the upper triangle of A) or
/// A = L·Lᵀ (`'L'`, L lower triangular, stored in the lower triangle). Only the `uplo` triangle
/// is read and overwritten; the strict other triangle is not referenced. `lda ≥ max(1, n)`.
///
/// `info` (LAPACK `dpotrf.f`): 0 on success; −i if the i-th argument is invalid (1: uplo,
/// 2: n < 0, 4: lda < max(1, n); 3 if `a` is null for n > 0); k > 0 if the leading principal
/// minor of order k is not positive definite (its last pivot is ≤ 0 or NaN), in which case the
/// factorization is not completed and A is left unchanged.
///
/// The factorization is faer's blocked left-looking LLᵀ on a contiguous copy of the triangle
/// (so that faer's use of the other half as workspace never touches the caller's matrix).
///
/// # Safety
/// Fortran contract: `a` valid for reads and writes of the n×n matrix with leading dimension
/// `lda`; `info` valid for one write.
#[no_mangle]
pub unsafe extern "C" fn dpotrf_(
    uplo: *const c_char,
    n: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    info: *mut c_int,
) {
    const NAME: &str = "DPOTRF";
    if !usable(info.cast_const()) {
        return xerbla(NAME, 5);
    }
    let fail = |i: c_int| {
        xerbla(NAME, i);
        // SAFETY: `info` was checked non-null and aligned; valid for writes by the contract.
        unsafe { info.write(-i) };
    };
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment.
    let (uplo, n, lda) = unsafe { (char_arg(uplo), arg(n), arg(lda)) };
    let Some(uplo) = uplo.filter(|c| matches!(c, b'U' | b'L')) else {
        return fail(1);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return fail(2);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return fail(4);
    };
    if n > 0 && !usable(a.cast_const()) {
        return fail(3);
    }
    // SAFETY: checked above.
    unsafe { info.write(0) };
    if n == 0 {
        return;
    }
    // SAFETY: `a` non-null and aligned, n > 0, lda ≥ n: the caller's n×n matrix, exclusively
    // ours for this call. Only its `uplo` triangle is read or written below.
    let mut am = unsafe { mat_mut(a, n, n, lda) };
    let upper = uplo == b'U';
    // W's lower triangle holds the stored triangle of A (transposed for 'U': W = Aᵀ there).
    let mut w = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            w[(i, j)] = if upper { am[(j, i)] } else { am[(i, j)] };
        }
    }
    let par = par(n);
    let mut mem = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    let result = cholesky_in_place(
        w.as_mut(),
        Default::default(),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    match result {
        Ok(_) => {
            for j in 0..n {
                for i in j..n {
                    if upper {
                        am[(j, i)] = w[(i, j)];
                    } else {
                        am[(i, j)] = w[(i, j)];
                    }
                }
            }
        }
        Err(LltError::NonPositivePivot { index }) => {
            // SAFETY: checked above.
            unsafe { info.write(super::lapack_int(index + 1)) };
        }
    }
}
