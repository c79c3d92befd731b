//! `DSYRK`: symmetric rank-k update.

use core::ffi::{c_char, c_int};

use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::reborrow::ReborrowMut;
use faer::Accum;

use super::{arg, char_arg, mat_mut, mat_ref, par, scale, usable, xerbla, Part};

/// `DSYRK`: C ← α·A·Aᵀ + β·C (`trans = 'N'`, A n×k) or C ← α·Aᵀ·A + β·C (`'T'`/`'C'`, A k×n),
/// updating only the `uplo` triangle (`'U'`/`'L'`) of the n×n matrix C; the other triangle is
/// never read or written. `lda ≥ max(1, rows(A))`, `ldc ≥ max(1, n)`.
///
/// Reference BLAS `dsyrk.f`: quick return when n = 0 or (α = 0 or k = 0) and β = 1; β = 0
/// zeroes the triangle without reading it; α = 0 leaves A unreferenced. Invalid arguments
/// (parameters 1, 2, 3, 4, 7, 10) are reported as by `XERBLA` and leave C untouched.
///
/// # Safety
/// Fortran contract: every pointer valid for the reference routine's accesses; C must not
/// overlap A.
#[no_mangle]
pub unsafe extern "C" fn dsyrk_(
    uplo: *const c_char,
    trans: *const c_char,
    n: *const c_int,
    k: *const c_int,
    alpha: *const f64,
    a: *const f64,
    lda: *const c_int,
    beta: *const f64,
    c: *mut f64,
    ldc: *const c_int,
) {
    const NAME: &str = "DSYRK";
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment; their
    // validity for one read is the Fortran calling contract.
    let (uplo, t, n, k, alpha, lda, beta, ldc) = unsafe {
        (
            char_arg(uplo),
            char_arg(trans),
            arg(n),
            arg(k),
            arg(alpha),
            arg(lda),
            arg(beta),
            arg(ldc),
        )
    };
    let Some(uplo) = uplo.filter(|c| matches!(c, b'U' | b'L')) else {
        return xerbla(NAME, 1);
    };
    let Some(t) = t.filter(|c| matches!(c, b'N' | b'T' | b'C')) else {
        return xerbla(NAME, 2);
    };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 3);
    };
    let Some(k) = k.and_then(|v| usize::try_from(v).ok()) else {
        return xerbla(NAME, 4);
    };
    let Some(alpha) = alpha else {
        return xerbla(NAME, 5);
    };
    let (nrowa, ncola) = if t == b'N' { (n, k) } else { (k, n) };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= nrowa.max(1))
    else {
        return xerbla(NAME, 7);
    };
    let Some(beta) = beta else {
        return xerbla(NAME, 8);
    };
    let Some(ldc) = ldc
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return xerbla(NAME, 10);
    };

    if n == 0 || ((alpha == 0.0 || k == 0) && beta == 1.0) {
        return;
    }
    if !usable(c) {
        return xerbla(NAME, 9);
    }
    let skip_product = alpha == 0.0 || k == 0;
    if !skip_product && !usable(a) {
        return xerbla(NAME, 6);
    }
    let (part, structure) = if uplo == b'U' {
        (Part::Upper, BlockStructure::TriangularUpper)
    } else {
        (Part::Lower, BlockStructure::TriangularLower)
    };
    // SAFETY: `c` non-null and aligned, n > 0, ldc ≥ n; valid and exclusive by the contract.
    // Only the `uplo` triangle is accessed below.
    let mut cm = unsafe { mat_mut(c, n, n, ldc) };
    scale(cm.rb_mut(), beta, part);
    if skip_product {
        return;
    }
    // SAFETY: `a` non-null and aligned, lda ≥ rows(A); valid for reads, disjoint from C.
    let am = unsafe { mat_ref(a, nrowa, ncola, lda) };
    let opa = if t == b'N' { am } else { am.transpose() };
    let rect = BlockStructure::Rectangular;
    matmul(
        cm,
        structure,
        Accum::Add,
        opa,
        rect,
        opa.transpose(),
        rect,
        alpha,
        par(n.max(k)),
    );
}
