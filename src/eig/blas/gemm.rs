//! `DGEMM`: general matrix–matrix product.

use core::ffi::{c_char, c_int};

use faer::linalg::matmul::matmul;
use faer::reborrow::ReborrowMut;
use faer::Accum;

use super::{arg, char_arg, mat_mut, mat_ref, par, scale, usable, xerbla, Part};

/// `DGEMM`: C ← α·op(A)·op(B) + β·C with op(X) = X (`'N'`) or Xᵀ (`'T'`/`'C'`), where op(A) is
/// m×k, op(B) is k×n and C is m×n, all column-major with leading dimensions `lda ≥ max(1,
/// rows(A))`, `ldb ≥ max(1, rows(B))`, `ldc ≥ max(1, m)`.
///
/// Reference BLAS `dgemm.f`: quick return when m = 0, n = 0, or (α = 0 or k = 0) and β = 1;
/// β = 0 sets C to zero without reading it; α = 0 leaves A and B unreferenced. Invalid
/// arguments (parameter 1, 2, 3, 4, 5, 8, 10, 13 in the reference order) are reported as by
/// `XERBLA` and leave C untouched.
///
/// # Safety
/// Fortran contract: every pointer valid for the reference routine's accesses; C must not
/// overlap A or B.
#[no_mangle]
pub unsafe extern "C" fn dgemm_(
    transa: *const c_char,
    transb: *const c_char,
    m: *const c_int,
    n: *const c_int,
    k: *const c_int,
    alpha: *const f64,
    a: *const f64,
    lda: *const c_int,
    b: *const f64,
    ldb: *const c_int,
    beta: *const f64,
    c: *mut f64,
    ldc: *const c_int,
) {
    const NAME: &str = "DGEMM";
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment; their
    // validity for one read is the Fortran calling contract.
    let (ta, tb, m, n, k, alpha, lda, ldb, beta, ldc) = unsafe {
        (
            char_arg(transa),
            char_arg(transb),
            arg(m),
            arg(n),
            arg(k),
            arg(alpha),
            arg(lda),
            arg(ldb),
            arg(beta),
            arg(ldc),
        )
    };
    let Some(ta) = ta.filter(|c| matches!(c, b'N' | b'T' | b'C')) else {
        return xerbla(NAME, 1);
    };
    let Some(tb) = tb.filter(|c| matches!(c, b'N' | b'T' | b'C')) else {
        return xerbla(NAME, 2);
    };
    let Some(m) = m.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 3);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 4);
    };
    let Some(k) = k.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 5);
    };
    let (nrowa, ncola) = if ta == b'N' { (m, k) } else { (k, m) };
    let (nrowb, ncolb) = if tb == b'N' { (k, n) } else { (n, k) };
    let Some(alpha) = alpha else {
        return xerbla(NAME, 6);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= nrowa.max(1))
    else {
        return xerbla(NAME, 8);
    };
    let Some(ldb) = ldb
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= nrowb.max(1))
    else {
        return xerbla(NAME, 10);
    };
    let Some(beta) = beta else {
        return xerbla(NAME, 11);
    };
    let Some(ldc) = ldc
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= m.max(1))
    else {
        return xerbla(NAME, 13);
    };

    if m == 0 || n == 0 || ((alpha == 0.0 || k == 0) && beta == 1.0) {
        return;
    }
    if !usable(c) {
        return xerbla(NAME, 12);
    }
    let skip_product = alpha == 0.0 || k == 0;
    if !skip_product && !usable(a) {
        return xerbla(NAME, 7);
    }
    if !skip_product && !usable(b) {
        return xerbla(NAME, 9);
    }

    // SAFETY: `c` is non-null and aligned, m, n > 0 and ldc ≥ m were checked; by the Fortran
    // contract it addresses an m×n matrix with leading dimension ldc that nothing else accesses.
    let mut cm = unsafe { mat_mut(c, m, n, ldc) };
    scale(cm.rb_mut(), beta, Part::Full);
    if skip_product {
        return;
    }
    // SAFETY: `a`/`b` non-null and aligned, leading dimensions checked against the row counts;
    // the Fortran contract makes them valid, and they do not overlap C.
    let (am, bm) = unsafe { (mat_ref(a, nrowa, ncola, lda), mat_ref(b, nrowb, ncolb, ldb)) };
    let am = if ta == b'N' { am } else { am.transpose() };
    let bm = if tb == b'N' { bm } else { bm.transpose() };
    matmul(cm, Accum::Add, am, bm, alpha, par(m.max(n).max(k)));
}
