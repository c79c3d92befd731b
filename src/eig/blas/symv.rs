//! `DSYMV`: symmetric matrix–vector product.

use core::ffi::{c_char, c_int};

use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::reborrow::ReborrowMut;
use faer::Accum;

use super::{arg, char_arg, mat_ref, par, scale, usable, vec_mut, vec_ref, xerbla, Part};

/// `DSYMV`: y ← α·A·x + β·y for symmetric n×n A given by its upper (`uplo = 'U'`) or lower
/// (`'L'`) triangle, `lda ≥ max(1, n)`; the other triangle is never read. Vectors have
/// increments `incx, incy ≠ 0` (negative ones walk backwards).
///
/// With A = T + S where T is the stored triangle (with diagonal) and S its strict part, the
/// product is A·x = T·x + Sᵀ·x, computed as two triangular products.
///
/// Reference BLAS `dsymv.f`: quick return when n = 0 or α = 0 and β = 1; β = 0 zeroes y
/// without reading it. Invalid arguments (parameters 1, 2, 5, 7, 10) are reported as by
/// `XERBLA` and leave y untouched.
///
/// # Safety
/// Fortran contract: every pointer valid for the reference routine's accesses; y must not
/// overlap A or x.
#[no_mangle]
pub unsafe extern "C" fn dsymv_(
    uplo: *const c_char,
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
    const NAME: &str = "DSYMV";
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment; their
    // validity for one read is the Fortran calling contract.
    let (uplo, n, alpha, lda, incx, beta, incy) = unsafe {
        (
            char_arg(uplo),
            arg(n),
            arg(alpha),
            arg(lda),
            arg(incx),
            arg(beta),
            arg(incy),
        )
    };
    let Some(uplo) = uplo.filter(|c| matches!(c, b'U' | b'L')) else {
        return xerbla(NAME, 1);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 2);
    };
    let Some(alpha) = alpha else {
        return xerbla(NAME, 3);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return xerbla(NAME, 5);
    };
    let Some(incx) = incx.filter(|&v| v != 0) else {
        return xerbla(NAME, 7);
    };
    let Some(beta) = beta else {
        return xerbla(NAME, 8);
    };
    let Some(incy) = incy.filter(|&v| v != 0) else {
        return xerbla(NAME, 10);
    };

    if n == 0 || (alpha == 0.0 && beta == 1.0) {
        return;
    }
    if !usable(y) {
        return xerbla(NAME, 9);
    }
    if alpha != 0.0 && !usable(a) {
        return xerbla(NAME, 4);
    }
    if alpha != 0.0 && !usable(x) {
        return xerbla(NAME, 6);
    }
    // SAFETY: `y` non-null and aligned, n > 0, incy ≠ 0; valid and exclusive by the contract.
    let mut yv = unsafe { vec_mut(y, n, incy) };
    scale(yv.rb_mut(), beta, Part::Full);
    if alpha == 0.0 {
        return;
    }
    // SAFETY: `a`, `x` non-null and aligned, lda ≥ n checked; valid for reads and disjoint from
    // y by the contract. Only the `uplo` triangle of A is accessed below.
    let (am, xv) = unsafe { (mat_ref(a, n, n, lda), vec_ref(x, n, incx)) };
    let (tri, strict_t) = if uplo == b'U' {
        (
            BlockStructure::TriangularUpper,
            BlockStructure::StrictTriangularLower,
        )
    } else {
        (
            BlockStructure::TriangularLower,
            BlockStructure::StrictTriangularUpper,
        )
    };
    let rect = BlockStructure::Rectangular;
    matmul(
        yv.rb_mut(),
        rect,
        Accum::Add,
        am,
        tri,
        xv,
        rect,
        alpha,
        par(n),
    );
    matmul(
        yv,
        rect,
        Accum::Add,
        am.transpose(),
        strict_t,
        xv,
        rect,
        alpha,
        par(n),
    );
}
