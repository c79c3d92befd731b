//! `DGEMV`: general matrix–vector product.

use core::ffi::{c_char, c_int};

use faer::linalg::matmul::matmul;
use faer::reborrow::ReborrowMut;
use faer::Accum;

use super::{arg, char_arg, mat_ref, par, scale, usable, vec_mut, vec_ref, xerbla, Part};

/// `DGEMV`: y ← α·op(A)·x + β·y with op(A) = A (`'N'`) or Aᵀ (`'T'`/`'C'`), A m×n column-major
/// with `lda ≥ max(1, m)`; x has n (resp. m) and y m (resp. n) elements with increments
/// `incx, incy ≠ 0` (negative increments walk the vector backwards, as in the reference).
///
/// Reference BLAS `dgemv.f`: quick return (y untouched) when m = 0, n = 0 or α = 0 and β = 1;
/// β = 0 sets y to zero without reading it; α = 0 leaves A and x unreferenced. Invalid
/// arguments (parameters 1, 2, 3, 6, 8, 11) are reported as by `XERBLA` and leave y untouched.
///
/// # Safety
/// Fortran contract: every pointer valid for the reference routine's accesses; y must not
/// overlap A or x.
#[no_mangle]
pub unsafe extern "C" fn dgemv_(
    trans: *const c_char,
    m: *const c_int,
    n: *const c_int,
    alpha: *const f64,
    a: *const f64,
    lda: *const c_int,
    x: *const f64,
    incx: *const c_int,
    beta: *const f64,
    y: *mut f64,
    incy: *const c_int,
) {
    const NAME: &str = "DGEMV";
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment; their
    // validity for one read is the Fortran calling contract.
    let (t, m, n, alpha, lda, incx, beta, incy) = unsafe {
        (
            char_arg(trans),
            arg(m),
            arg(n),
            arg(alpha),
            arg(lda),
            arg(incx),
            arg(beta),
            arg(incy),
        )
    };
    let Some(t) = t.filter(|c| matches!(c, b'N' | b'T' | b'C')) else {
        return xerbla(NAME, 1);
    };
    let Some(m) = m.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 2);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 3);
    };
    let Some(alpha) = alpha else {
        return xerbla(NAME, 4);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= m.max(1))
    else {
        return xerbla(NAME, 6);
    };
    let Some(incx) = incx.filter(|&v| v != 0) else {
        return xerbla(NAME, 8);
    };
    let Some(beta) = beta else {
        return xerbla(NAME, 9);
    };
    let Some(incy) = incy.filter(|&v| v != 0) else {
        return xerbla(NAME, 11);
    };

    if m == 0 || n == 0 || (alpha == 0.0 && beta == 1.0) {
        return;
    }
    let (lenx, leny) = if t == b'N' { (n, m) } else { (m, n) };
    if !usable(y) {
        return xerbla(NAME, 10);
    }
    if alpha != 0.0 && !usable(a) {
        return xerbla(NAME, 5);
    }
    if alpha != 0.0 && !usable(x) {
        return xerbla(NAME, 7);
    }
    // SAFETY: `y` is non-null and aligned, leny > 0 and incy ≠ 0; the Fortran contract makes
    // its leny strided elements valid and exclusively ours.
    let mut yv = unsafe { vec_mut(y, leny, incy) };
    scale(yv.rb_mut(), beta, Part::Full);
    if alpha == 0.0 {
        return;
    }
    // SAFETY: `a` and `x` are non-null and aligned, lda ≥ m was checked; the Fortran contract
    // makes them valid for reads and disjoint from y.
    let (am, xv) = unsafe { (mat_ref(a, m, n, lda), vec_ref(x, lenx, incx)) };
    let am = if t == b'N' { am } else { am.transpose() };
    matmul(yv, Accum::Add, am, xv, alpha, par(m.max(n)));
}
