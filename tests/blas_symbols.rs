//! The faer-backed Fortran BLAS/LAPACK symbols (`src/eig/blas`), called through `extern "C"`
//! declarations with the `lapack-sys` 0.14 / `blas-sys` ABI exactly as Clarabel calls them, and
//! checked against faer: transposes, both triangles, leading dimensions larger than the matrix
//! (padding must stay untouched), α/β cases (β = 0 must ignore NaN in the output), workspace
//! queries and invalid arguments.
#![cfg(all(feature = "faer-blas", not(feature = "system-blas")))]
#![allow(clippy::too_many_arguments)]

use core::ffi::{c_char, c_int};

use faer::prelude::*;
use faer::{Mat, MatRef, Side};

// Link the crate that defines the symbols.
use wirtinger as _;

extern "C" {
    fn dgemm_(
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
    );
    fn dgemv_(
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
    );
    fn dsymv_(
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
    );
    fn dsyrk_(
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
    );
    fn dsyr2k_(
        uplo: *const c_char,
        trans: *const c_char,
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
    );
    fn dpotrf_(
        uplo: *const c_char,
        n: *const c_int,
        a: *mut f64,
        lda: *const c_int,
        info: *mut c_int,
    );
    fn dpotrs_(
        uplo: *const c_char,
        n: *const c_int,
        nrhs: *const c_int,
        a: *const f64,
        lda: *const c_int,
        b: *mut f64,
        ldb: *const c_int,
        info: *mut c_int,
    );
    fn dsyevr_(
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
    );
    fn dgesdd_(
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
    );
    fn dgesvd_(
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
    );
    fn dgesv_(
        n: *const c_int,
        nrhs: *const c_int,
        a: *mut f64,
        lda: *const c_int,
        ipiv: *mut c_int,
        b: *mut f64,
        ldb: *const c_int,
        info: *mut c_int,
    );
}

// ---------------------------------------------------------------- helpers

/// Sentinel stored in padding rows and unreferenced triangles.
const PAD: f64 = -7.25e300;

/// Deterministic pseudo-random matrix with entries in [−1, 1).
fn rand_mat(m: usize, n: usize, seed: u64) -> Mat<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut a = Mat::zeros(m, n);
    for j in 0..n {
        for i in 0..m {
            a[(i, j)] = next();
        }
    }
    a
}

fn rand_sym(n: usize, seed: u64) -> Mat<f64> {
    let a = rand_mat(n, n, seed);
    Mat::from_fn(n, n, |i, j| a[(i, j)] + a[(j, i)])
}

fn rand_spd(n: usize, seed: u64) -> Mat<f64> {
    let a = rand_mat(n, n, seed);
    let mut s = &a * a.transpose();
    for i in 0..n {
        s[(i, i)] += n as f64;
    }
    s
}

/// Column-major storage with leading dimension `ld ≥ nrows`, padding rows set to [`PAD`].
fn store(a: MatRef<'_, f64>, ld: usize) -> Vec<f64> {
    let mut v = vec![PAD; ld * a.ncols().max(1)];
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            v[i + j * ld] = a[(i, j)];
        }
    }
    v
}

/// Storage of a symmetric matrix with only the `uplo` triangle set; the other triangle holds
/// NaN (so that reading it would show) and the padding [`PAD`].
fn store_tri(a: MatRef<'_, f64>, ld: usize, uplo: u8) -> Vec<f64> {
    let mut v = store(a, ld);
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let other = if uplo.eq_ignore_ascii_case(&b'U') {
                i > j
            } else {
                i < j
            };
            if other {
                v[i + j * ld] = f64::NAN;
            }
        }
    }
    v
}

fn load(v: &[f64], m: usize, n: usize, ld: usize) -> Mat<f64> {
    Mat::from_fn(m, n, |i, j| v[i + j * ld])
}

/// The symmetric matrix whose `uplo` triangle is stored in `v`.
fn load_sym(v: &[f64], n: usize, ld: usize, uplo: u8) -> Mat<f64> {
    let upper = uplo.eq_ignore_ascii_case(&b'U');
    Mat::from_fn(n, n, |i, j| {
        let (r, c) = if (i <= j) == upper { (i, j) } else { (j, i) };
        v[r + c * ld]
    })
}

fn assert_pad(v: &[f64], m: usize, n: usize, ld: usize) {
    for j in 0..n {
        for i in m..ld {
            assert_eq!(v[i + j * ld].to_bits(), PAD.to_bits(), "padding ({i}, {j})");
        }
    }
}

fn assert_close(a: MatRef<'_, f64>, b: MatRef<'_, f64>, tol: f64) {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let scale = 1.0 + b.norm_max();
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let d = (a[(i, j)] - b[(i, j)]).abs();
            assert!(
                d <= tol * scale,
                "entry ({i}, {j}): {} vs {} (|diff| = {d:e})",
                a[(i, j)],
                b[(i, j)]
            );
        }
    }
}

fn op(a: MatRef<'_, f64>, t: u8) -> MatRef<'_, f64> {
    if t.eq_ignore_ascii_case(&b'N') {
        a
    } else {
        a.transpose()
    }
}

fn ch(c: u8) -> c_char {
    c as c_char
}

// ---------------------------------------------------------------- BLAS wrappers

fn gemm(
    ta: u8,
    tb: u8,
    m: i32,
    n: i32,
    k: i32,
    alpha: f64,
    a: &[f64],
    lda: i32,
    b: &[f64],
    ldb: i32,
    beta: f64,
    c: &mut [f64],
    ldc: i32,
) {
    // SAFETY: the slices hold the matrices the dimensions describe (callers build them with
    // `store`); C does not overlap A or B.
    unsafe {
        dgemm_(
            &ch(ta),
            &ch(tb),
            &m,
            &n,
            &k,
            &alpha,
            a.as_ptr(),
            &lda,
            b.as_ptr(),
            &ldb,
            &beta,
            c.as_mut_ptr(),
            &ldc,
        )
    }
}

fn gemv(
    t: u8,
    m: i32,
    n: i32,
    alpha: f64,
    a: &[f64],
    lda: i32,
    x: &[f64],
    incx: i32,
    beta: f64,
    y: &mut [f64],
    incy: i32,
) {
    // SAFETY: slices sized for the dimensions and increments by the callers.
    unsafe {
        dgemv_(
            &ch(t),
            &m,
            &n,
            &alpha,
            a.as_ptr(),
            &lda,
            x.as_ptr(),
            &incx,
            &beta,
            y.as_mut_ptr(),
            &incy,
        )
    }
}

fn symv(
    uplo: u8,
    n: i32,
    alpha: f64,
    a: &[f64],
    lda: i32,
    x: &[f64],
    incx: i32,
    beta: f64,
    y: &mut [f64],
    incy: i32,
) {
    // SAFETY: slices sized for the dimensions and increments by the callers.
    unsafe {
        dsymv_(
            &ch(uplo),
            &n,
            &alpha,
            a.as_ptr(),
            &lda,
            x.as_ptr(),
            &incx,
            &beta,
            y.as_mut_ptr(),
            &incy,
        )
    }
}

/// Strided BLAS vector storage of `x` with increment `inc` (negative: stored backwards), other
/// slots [`PAD`].
fn store_vec(x: &[f64], inc: i32) -> Vec<f64> {
    let step = inc.unsigned_abs() as usize;
    let mut v = vec![PAD; (x.len().max(1) - 1) * step + 1];
    for (i, &xi) in x.iter().enumerate() {
        let slot = if inc > 0 { i } else { x.len() - 1 - i };
        v[slot * step] = xi;
    }
    v
}

fn load_vec(v: &[f64], len: usize, inc: i32) -> Vec<f64> {
    let step = inc.unsigned_abs() as usize;
    (0..len)
        .map(|i| {
            let slot = if inc > 0 { i } else { len - 1 - i };
            v[slot * step]
        })
        .collect()
}

// ---------------------------------------------------------------- dgemm

#[test]
fn dgemm_all_transposes_leading_dims_alpha_beta() {
    let (m, n, k) = (5usize, 4usize, 6usize);
    let mut seed = 1;
    for ta in [b'N', b'T', b'c', b'n'] {
        for tb in [b'N', b't', b'C'] {
            for (alpha, beta) in [(1.0, 0.0), (1.3, 0.7), (-0.5, 1.0), (2.0, -1.5)] {
                seed += 1;
                let a = if ta.eq_ignore_ascii_case(&b'N') {
                    rand_mat(m, k, seed)
                } else {
                    rand_mat(k, m, seed)
                };
                let b = if tb.eq_ignore_ascii_case(&b'N') {
                    rand_mat(k, n, seed + 100)
                } else {
                    rand_mat(n, k, seed + 100)
                };
                let c0 = rand_mat(m, n, seed + 200);
                let (lda, ldb, ldc) = (a.nrows() + 2, b.nrows() + 1, m + 3);
                let av = store(a.as_ref(), lda);
                let bv = store(b.as_ref(), ldb);
                let mut cv = store(c0.as_ref(), ldc);
                gemm(
                    ta, tb, m as i32, n as i32, k as i32, alpha, &av, lda as i32, &bv, ldb as i32,
                    beta, &mut cv, ldc as i32,
                );
                let expected =
                    Scale(alpha) * (op(a.as_ref(), ta) * op(b.as_ref(), tb)) + Scale(beta) * &c0;
                assert_close(load(&cv, m, n, ldc).as_ref(), expected.as_ref(), 1e-13);
                assert_pad(&cv, m, n, ldc);
            }
        }
    }
}

#[test]
fn dgemm_beta_zero_ignores_nan_and_alpha_zero_ignores_inputs() {
    let (m, n, k) = (4usize, 5usize, 3usize);
    let a = rand_mat(m, k, 7);
    let b = rand_mat(k, n, 8);
    let (av, bv) = (store(a.as_ref(), m), store(b.as_ref(), k));
    let mut cv = vec![f64::NAN; m * n];
    gemm(b'N', b'N', 4, 5, 3, 1.5, &av, 4, &bv, 3, 0.0, &mut cv, 4);
    let expected = Scale(1.5) * (&a * &b);
    assert_close(load(&cv, m, n, m).as_ref(), expected.as_ref(), 1e-13);

    // α = 0: A and B are not referenced (NaN there must not show), C ← βC.
    let nan_a = vec![f64::NAN; m * k];
    let nan_b = vec![f64::NAN; k * n];
    let c0 = rand_mat(m, n, 9);
    let mut cv = store(c0.as_ref(), m);
    gemm(
        b'N', b'N', 4, 5, 3, 0.0, &nan_a, 4, &nan_b, 3, 2.0, &mut cv, 4,
    );
    assert_close(
        load(&cv, m, n, m).as_ref(),
        (Scale(2.0) * &c0).as_ref(),
        0.0,
    );
    // α = 0, β = 0: C ← 0 even where it held NaN.
    let mut cv = vec![f64::NAN; m * n];
    gemm(
        b'N', b'N', 4, 5, 3, 0.0, &nan_a, 4, &nan_b, 3, 0.0, &mut cv, 4,
    );
    assert!(cv.iter().all(|&x| x == 0.0));
    // k = 0: C ← βC.
    let mut cv = store(c0.as_ref(), m);
    gemm(
        b'N', b'N', 4, 5, 0, 1.0, &nan_a, 4, &nan_b, 1, -1.0, &mut cv, 4,
    );
    assert_close(
        load(&cv, m, n, m).as_ref(),
        (Scale(-1.0) * &c0).as_ref(),
        0.0,
    );
}

#[test]
fn dgemm_invalid_arguments_leave_c_untouched() {
    let a = store(rand_mat(3, 3, 1).as_ref(), 3);
    let b = a.clone();
    let c0 = store(rand_mat(3, 3, 2).as_ref(), 3);
    for (ta, m, lda, ldc) in [
        (b'X', 3, 3, 3),
        (b'N', -1, 3, 3),
        (b'N', 3, 2, 3),
        (b'N', 3, 3, 2),
    ] {
        let mut c = c0.clone();
        gemm(ta, b'N', m, 3, 3, 1.0, &a, lda, &b, 3, 0.0, &mut c, ldc);
        assert_eq!(c, c0);
    }
}

// ---------------------------------------------------------------- dgemv

#[test]
fn dgemv_transposes_increments_alpha_beta() {
    let (m, n) = (5usize, 3usize);
    let a = rand_mat(m, n, 21);
    let lda = m + 2;
    let av = store(a.as_ref(), lda);
    for t in [b'N', b'T', b'c'] {
        let (lenx, leny) = if t == b'N' { (n, m) } else { (m, n) };
        for (incx, incy) in [(1, 1), (2, -1), (-3, 2), (-1, -2)] {
            for (alpha, beta) in [(1.0, 0.0), (0.7, 1.3), (-2.0, 1.0)] {
                let x = rand_mat(lenx, 1, 22);
                let y0 = rand_mat(leny, 1, 23);
                let xs: Vec<f64> = (0..lenx).map(|i| x[(i, 0)]).collect();
                let ys: Vec<f64> = (0..leny).map(|i| y0[(i, 0)]).collect();
                let xv = store_vec(&xs, incx);
                let mut yv = store_vec(&ys, incy);
                if beta == 0.0 {
                    // β = 0: y is not read.
                    for i in 0..leny {
                        let slot = if incy > 0 { i } else { leny - 1 - i };
                        yv[slot * incy.unsigned_abs() as usize] = f64::NAN;
                    }
                }
                gemv(
                    t, m as i32, n as i32, alpha, &av, lda as i32, &xv, incx, beta, &mut yv, incy,
                );
                let expected = Scale(alpha) * (op(a.as_ref(), t) * &x) + Scale(beta) * &y0;
                let got = load_vec(&yv, leny, incy);
                let got = Mat::from_fn(leny, 1, |i, _| got[i]);
                assert_close(got.as_ref(), expected.as_ref(), 1e-13);
                // Slots between strided elements stay untouched.
                let step = incy.unsigned_abs() as usize;
                for (s, v) in yv.iter().enumerate() {
                    if s % step != 0 {
                        assert_eq!(v.to_bits(), PAD.to_bits());
                    }
                }
            }
        }
    }
}

#[test]
fn dgemv_invalid_increment_leaves_y_untouched() {
    let a = store(rand_mat(2, 2, 1).as_ref(), 2);
    let x = [1.0, 2.0];
    let mut y = [3.0, 4.0];
    gemv(b'N', 2, 2, 1.0, &a, 2, &x, 0, 0.0, &mut y, 1);
    assert_eq!(y, [3.0, 4.0]);
    gemv(b'Q', 2, 2, 1.0, &a, 2, &x, 1, 0.0, &mut y, 1);
    assert_eq!(y, [3.0, 4.0]);
}

// ---------------------------------------------------------------- dsymv

#[test]
fn dsymv_both_triangles_never_reads_the_other() {
    let n = 6usize;
    let a = rand_sym(n, 31);
    let lda = n + 1;
    for uplo in [b'U', b'L', b'u', b'l'] {
        let av = store_tri(a.as_ref(), lda, uplo);
        for (incx, incy) in [(1, 1), (-2, 3)] {
            for (alpha, beta) in [(1.0, 0.0), (-0.3, 0.9)] {
                let x = rand_mat(n, 1, 32);
                let y0 = rand_mat(n, 1, 33);
                let xs: Vec<f64> = (0..n).map(|i| x[(i, 0)]).collect();
                let ys: Vec<f64> = (0..n).map(|i| y0[(i, 0)]).collect();
                let xv = store_vec(&xs, incx);
                let mut yv = store_vec(&ys, incy);
                symv(
                    uplo, n as i32, alpha, &av, lda as i32, &xv, incx, beta, &mut yv, incy,
                );
                let expected = Scale(alpha) * (&a * &x) + Scale(beta) * &y0;
                let got = load_vec(&yv, n, incy);
                let got = Mat::from_fn(n, 1, |i, _| got[i]);
                assert_close(got.as_ref(), expected.as_ref(), 1e-13);
            }
        }
    }
    // Invalid uplo: y untouched.
    let av = store(a.as_ref(), n);
    let x = vec![1.0; n];
    let mut y = vec![5.0; n];
    symv(b'X', n as i32, 1.0, &av, n as i32, &x, 1, 0.0, &mut y, 1);
    assert!(y.iter().all(|&v| v == 5.0));
}

// ---------------------------------------------------------------- dsyrk / dsyr2k

fn assert_other_triangle_untouched(cv: &[f64], before: &[f64], n: usize, ld: usize, uplo: u8) {
    let upper = uplo.eq_ignore_ascii_case(&b'U');
    for j in 0..n {
        for i in 0..n {
            if (upper && i > j) || (!upper && i < j) {
                assert_eq!(cv[i + j * ld].to_bits(), before[i + j * ld].to_bits());
            }
        }
    }
}

#[test]
fn dsyrk_triangles_transposes_alpha_beta() {
    let (n, k) = (5usize, 3usize);
    for uplo in [b'U', b'L', b'l'] {
        for t in [b'N', b'T', b'c'] {
            for (alpha, beta) in [(1.0, 0.0), (0.5, 2.0), (0.0, 0.5)] {
                let a = if t == b'N' {
                    rand_mat(n, k, 41)
                } else {
                    rand_mat(k, n, 41)
                };
                let c0 = rand_sym(n, 42);
                let (lda, ldc) = (a.nrows() + 1, n + 2);
                let av = store(a.as_ref(), lda);
                let mut cv = store(c0.as_ref(), ldc);
                if beta == 0.0 {
                    cv = store_tri(c0.as_ref(), ldc, uplo);
                    // The referenced triangle is NaN: β = 0 must not read it.
                    let upper = uplo.eq_ignore_ascii_case(&b'U');
                    for j in 0..n {
                        for i in 0..n {
                            let stored = if upper { i <= j } else { i >= j };
                            let other = cv[i + j * ldc];
                            cv[i + j * ldc] = if stored { f64::NAN } else { -other.abs() };
                        }
                    }
                }
                let before = cv.clone();
                // SAFETY: slices hold the matrices the dimensions describe.
                unsafe {
                    dsyrk_(
                        &ch(uplo),
                        &ch(t),
                        &(n as i32),
                        &(k as i32),
                        &alpha,
                        av.as_ptr(),
                        &(lda as i32),
                        &beta,
                        cv.as_mut_ptr(),
                        &(ldc as i32),
                    )
                };
                let opa = op(a.as_ref(), t);
                let c_in = if beta == 0.0 {
                    Mat::zeros(n, n)
                } else {
                    c0.clone()
                };
                let expected = Scale(alpha) * (opa * opa.transpose()) + Scale(beta) * &c_in;
                assert_close(
                    load_sym(&cv, n, ldc, uplo).as_ref(),
                    expected.as_ref(),
                    1e-13,
                );
                assert_other_triangle_untouched(&cv, &before, n, ldc, uplo);
                assert_pad(&cv, n, n, ldc);
            }
        }
    }
    // Invalid trans: C untouched.
    let av = store(rand_mat(3, 3, 1).as_ref(), 3);
    let c0 = store(rand_sym(3, 2).as_ref(), 3);
    let mut cv = c0.clone();
    // SAFETY: 3×3 matrices with leading dimension 3.
    unsafe {
        dsyrk_(
            &ch(b'U'),
            &ch(b'X'),
            &3,
            &3,
            &1.0,
            av.as_ptr(),
            &3,
            &0.0,
            cv.as_mut_ptr(),
            &3,
        )
    };
    assert_eq!(cv, c0);
}

#[test]
fn dsyr2k_triangles_transposes_alpha_beta() {
    let (n, k) = (5usize, 4usize);
    for uplo in [b'U', b'L', b'u'] {
        for t in [b'N', b'T', b'C'] {
            for (alpha, beta) in [(1.0, 0.0), (-0.7, 1.1)] {
                let (a, b) = if t == b'N' {
                    (rand_mat(n, k, 51), rand_mat(n, k, 52))
                } else {
                    (rand_mat(k, n, 51), rand_mat(k, n, 52))
                };
                let c0 = rand_sym(n, 53);
                let (lda, ldb, ldc) = (a.nrows() + 2, a.nrows() + 1, n + 1);
                let av = store(a.as_ref(), lda);
                let bv = store(b.as_ref(), ldb);
                let mut cv = store(c0.as_ref(), ldc);
                if beta == 0.0 {
                    cv = store_tri(c0.as_ref(), ldc, uplo);
                    let upper = uplo.eq_ignore_ascii_case(&b'U');
                    for j in 0..n {
                        for i in 0..n {
                            if (upper && i <= j) || (!upper && i >= j) {
                                cv[i + j * ldc] = f64::NAN;
                            } else {
                                cv[i + j * ldc] = 3.5;
                            }
                        }
                    }
                }
                let before = cv.clone();
                // SAFETY: slices hold the matrices the dimensions describe.
                unsafe {
                    dsyr2k_(
                        &ch(uplo),
                        &ch(t),
                        &(n as i32),
                        &(k as i32),
                        &alpha,
                        av.as_ptr(),
                        &(lda as i32),
                        bv.as_ptr(),
                        &(ldb as i32),
                        &beta,
                        cv.as_mut_ptr(),
                        &(ldc as i32),
                    )
                };
                let (opa, opb) = (op(a.as_ref(), t), op(b.as_ref(), t));
                let c_in = if beta == 0.0 {
                    Mat::zeros(n, n)
                } else {
                    c0.clone()
                };
                let expected = Scale(alpha) * (opa * opb.transpose() + opb * opa.transpose())
                    + Scale(beta) * &c_in;
                assert_close(
                    load_sym(&cv, n, ldc, uplo).as_ref(),
                    expected.as_ref(),
                    1e-13,
                );
                assert_other_triangle_untouched(&cv, &before, n, ldc, uplo);
                assert_pad(&cv, n, n, ldc);
            }
        }
    }
    // ldb too small: C untouched.
    let av = store(rand_mat(4, 2, 1).as_ref(), 4);
    let c0 = store(rand_sym(4, 2).as_ref(), 4);
    let mut cv = c0.clone();
    // SAFETY: 4×2 inputs and a 4×4 output with leading dimension 4.
    unsafe {
        dsyr2k_(
            &ch(b'L'),
            &ch(b'N'),
            &4,
            &2,
            &1.0,
            av.as_ptr(),
            &4,
            av.as_ptr(),
            &3,
            &1.0,
            cv.as_mut_ptr(),
            &4,
        )
    };
    assert_eq!(cv, c0);
}

// ---------------------------------------------------------------- dpotrf / dpotrs

fn potrf(uplo: u8, n: i32, a: &mut [f64], lda: i32) -> i32 {
    let mut info = 12345;
    // SAFETY: `a` holds an n×n matrix with leading dimension lda (callers).
    unsafe { dpotrf_(&ch(uplo), &n, a.as_mut_ptr(), &lda, &mut info) };
    info
}

#[test]
fn dpotrf_both_triangles_match_faer_llt() {
    let n = 7usize;
    let a = rand_spd(n, 61);
    let l_faer = a.llt(Side::Lower).unwrap().L().to_owned();
    for uplo in [b'L', b'U', b'l', b'u'] {
        let lda = n + 3;
        let mut av = store_tri(a.as_ref(), lda, uplo);
        let before = av.clone();
        assert_eq!(potrf(uplo, n as i32, &mut av, lda as i32), 0);
        let f = load(&av, n, n, lda);
        let upper = uplo.eq_ignore_ascii_case(&b'U');
        let l = Mat::from_fn(n, n, |i, j| match (upper, i >= j) {
            (false, true) => f[(i, j)],
            (true, true) => f[(j, i)],
            _ => 0.0,
        });
        assert_close(l.as_ref(), l_faer.as_ref(), 1e-12);
        assert_close((&l * l.transpose()).as_ref(), a.as_ref(), 1e-12);
        assert_other_triangle_untouched(&av, &before, n, lda, uplo);
        assert_pad(&av, n, n, lda);
    }
}

#[test]
fn dpotrf_reports_first_non_positive_leading_minor() {
    // Leading 1×1 and 2×2 minors positive, 3×3 minor singular-negative: info = 3.
    let n = 5usize;
    let mut a = rand_spd(n, 62);
    a[(2, 2)] = -50.0;
    for uplo in [b'U', b'L'] {
        let mut av = store(a.as_ref(), n);
        assert_eq!(potrf(uplo, n as i32, &mut av, n as i32), 3);
    }
    // NaN on the diagonal counts as not positive definite.
    let mut b = rand_spd(n, 63);
    b[(0, 0)] = f64::NAN;
    let mut bv = store(b.as_ref(), n);
    assert_eq!(potrf(b'L', n as i32, &mut bv, n as i32), 1);
    // Invalid arguments.
    let mut av = store(a.as_ref(), n);
    assert_eq!(potrf(b'X', n as i32, &mut av, n as i32), -1);
    assert_eq!(potrf(b'U', -1, &mut av, n as i32), -2);
    assert_eq!(potrf(b'U', n as i32, &mut av, n as i32 - 1), -4);
    // n = 0 is a quick return.
    assert_eq!(potrf(b'U', 0, &mut av, 1), 0);
}

#[test]
fn dpotrs_solves_with_both_factors() {
    let (n, nrhs) = (6usize, 3usize);
    let a = rand_spd(n, 71);
    let b = rand_mat(n, nrhs, 72);
    let x_faer = a.llt(Side::Lower).unwrap().solve(&b);
    for uplo in [b'U', b'L', b'u'] {
        let (lda, ldb) = (n + 2, n + 1);
        let mut av = store_tri(a.as_ref(), lda, uplo);
        assert_eq!(potrf(uplo, n as i32, &mut av, lda as i32), 0);
        let mut bv = store(b.as_ref(), ldb);
        let mut info = 99;
        // SAFETY: factor n×n with lda, right-hand side n×nrhs with ldb.
        unsafe {
            dpotrs_(
                &ch(uplo),
                &(n as i32),
                &(nrhs as i32),
                av.as_ptr(),
                &(lda as i32),
                bv.as_mut_ptr(),
                &(ldb as i32),
                &mut info,
            )
        };
        assert_eq!(info, 0);
        let x = load(&bv, n, nrhs, ldb);
        assert_close(x.as_ref(), x_faer.as_ref(), 1e-12);
        assert_close((&a * &x).as_ref(), b.as_ref(), 1e-12);
        assert_pad(&bv, n, nrhs, ldb);
    }
    let mut info = 0;
    let av = vec![1.0; n * n];
    let mut bv = vec![1.0; n];
    // SAFETY: nrhs < 0 is rejected before any array is touched.
    unsafe {
        dpotrs_(
            &ch(b'L'),
            &(n as i32),
            &-1,
            av.as_ptr(),
            &(n as i32),
            bv.as_mut_ptr(),
            &(n as i32),
            &mut info,
        )
    };
    assert_eq!(info, -3);
}

// ---------------------------------------------------------------- dsyevr

struct Syevr {
    info: i32,
    m: i32,
    w: Vec<f64>,
    z: Vec<f64>,
    isuppz: Vec<i32>,
}

/// Calls `dsyevr_` like Clarabel does: a workspace query, then the computation with the sizes
/// it returned.
fn syevr(
    jobz: u8,
    range: u8,
    uplo: u8,
    n: usize,
    a: &mut [f64],
    lda: usize,
    (vl, vu): (f64, f64),
    (il, iu): (i32, i32),
    ldz: usize,
) -> Syevr {
    let mut m = -1;
    let mut w = vec![f64::NAN; n.max(1)];
    let mut z = vec![PAD; ldz * n.max(1)];
    let mut isuppz = vec![0; 2 * n.max(1)];
    let mut work = vec![0.0; 1];
    let mut iwork = vec![0; 1];
    let mut info = 77;
    let (n_i, lda_i, ldz_i) = (n as i32, lda as i32, ldz as i32);
    for pass in 0..2 {
        let (lwork, liwork) = if pass == 0 {
            (-1, -1)
        } else {
            (work.len() as i32, iwork.len() as i32)
        };
        // SAFETY: every array is sized for the call (work/iwork by the query).
        unsafe {
            dsyevr_(
                &ch(jobz),
                &ch(range),
                &ch(uplo),
                &n_i,
                a.as_mut_ptr(),
                &lda_i,
                &vl,
                &vu,
                &il,
                &iu,
                &-1.0,
                &mut m,
                w.as_mut_ptr(),
                z.as_mut_ptr(),
                &ldz_i,
                isuppz.as_mut_ptr(),
                work.as_mut_ptr(),
                &lwork,
                iwork.as_mut_ptr(),
                &liwork,
                &mut info,
            )
        };
        if info != 0 {
            break;
        }
        if pass == 0 {
            assert_eq!(work[0], (26 * n).max(1) as f64);
            assert_eq!(iwork[0], (10 * n).max(1) as i32);
            work.resize(work[0] as usize, 0.0);
            iwork.resize(iwork[0] as usize, 0);
        }
    }
    Syevr {
        info,
        m,
        w,
        z,
        isuppz,
    }
}

#[test]
fn dsyevr_all_ranges_both_triangles_against_faer() {
    let n = 8usize;
    let a = rand_sym(n, 81);
    let evals = a.self_adjoint_eigenvalues(Side::Lower).unwrap();
    let (lda, ldz) = (n + 2, n + 3);
    let mid = 0.5 * (evals[2] + evals[3]);
    let hi = 0.5 * (evals[5] + evals[6]);
    // (range, (vl, vu), (il, iu), first selected index, one past the last)
    let cases = [
        (b'A', (0.0, 0.0), (0, 0), 0usize, n),
        (b'a', (0.0, 0.0), (0, 0), 0, n),
        (b'I', (0.0, 0.0), (2, 5), 1, 5),
        (b'i', (0.0, 0.0), (1, 8), 0, 8),
        (b'V', (mid, hi), (0, 0), 3, 6),
    ];
    for jobz in [b'N', b'V', b'v'] {
        for uplo in [b'U', b'L', b'u'] {
            for &(range, vlu, ilu, lo, hi_idx) in &cases {
                let mut av = store_tri(a.as_ref(), lda, uplo);
                let r = syevr(jobz, range, uplo, n, &mut av, lda, vlu, ilu, ldz);
                assert_eq!(r.info, 0);
                let count = hi_idx - lo;
                assert_eq!(r.m as usize, count, "range {}", range as char);
                for k in 0..count {
                    assert!((r.w[k] - evals[lo + k]).abs() <= 1e-12 * (1.0 + evals[lo + k].abs()));
                }
                if jobz.eq_ignore_ascii_case(&b'V') {
                    let z = load(&r.z, n, count, ldz);
                    let lam = Mat::from_fn(count, count, |i, j| if i == j { r.w[i] } else { 0.0 });
                    assert_close((&a * &z).as_ref(), (&z * &lam).as_ref(), 1e-12);
                    assert_close(
                        (z.transpose() * &z).as_ref(),
                        Mat::<f64>::identity(count, count).as_ref(),
                        1e-12,
                    );
                    assert_pad(&r.z, n, count, ldz);
                    if count == n {
                        for k in 0..n {
                            assert!(r.isuppz[2 * k] >= 1 && r.isuppz[2 * k + 1] <= n as i32);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn dsyevr_invalid_arguments_and_short_workspace() {
    let n = 5usize;
    let a = rand_sym(n, 91);
    let mut av = store(a.as_ref(), n);
    let bad = |r: Syevr| r.info;
    assert_eq!(
        bad(syevr(
            b'X',
            b'A',
            b'U',
            n,
            &mut av,
            n,
            (0.0, 0.0),
            (0, 0),
            n
        )),
        -1
    );
    assert_eq!(
        bad(syevr(
            b'N',
            b'X',
            b'U',
            n,
            &mut av,
            n,
            (0.0, 0.0),
            (0, 0),
            n
        )),
        -2
    );
    assert_eq!(
        bad(syevr(
            b'N',
            b'A',
            b'X',
            n,
            &mut av,
            n,
            (0.0, 0.0),
            (0, 0),
            n
        )),
        -3
    );
    assert_eq!(
        bad(syevr(
            b'N',
            b'A',
            b'U',
            n,
            &mut av,
            n - 1,
            (0.0, 0.0),
            (0, 0),
            n
        )),
        -6
    );
    assert_eq!(
        bad(syevr(
            b'N',
            b'V',
            b'U',
            n,
            &mut av,
            n,
            (1.0, 1.0),
            (0, 0),
            n
        )),
        -8
    );
    assert_eq!(
        bad(syevr(
            b'N',
            b'I',
            b'U',
            n,
            &mut av,
            n,
            (0.0, 0.0),
            (0, 1),
            n
        )),
        -9
    );
    assert_eq!(
        bad(syevr(
            b'N',
            b'I',
            b'U',
            n,
            &mut av,
            n,
            (0.0, 0.0),
            (2, 6),
            n
        )),
        -10
    );
    assert_eq!(
        bad(syevr(
            b'V',
            b'A',
            b'U',
            n,
            &mut av,
            n,
            (0.0, 0.0),
            (0, 0),
            n - 1
        )),
        -15
    );
    // A workspace shorter than the minimum.
    let (mut m, mut info) = (0, 0);
    let (mut w, mut z, mut isuppz) = (vec![0.0; n], vec![0.0; n * n], vec![0; 2 * n]);
    let (mut work, mut iwork) = (vec![0.0; 26 * n - 1], vec![0; 10 * n]);
    // SAFETY: arrays sized for n = 5 (work deliberately one short, which must be rejected).
    unsafe {
        dsyevr_(
            &ch(b'V'),
            &ch(b'A'),
            &ch(b'U'),
            &(n as i32),
            av.as_mut_ptr(),
            &(n as i32),
            &0.0,
            &0.0,
            &0,
            &0,
            &-1.0,
            &mut m,
            w.as_mut_ptr(),
            z.as_mut_ptr(),
            &(n as i32),
            isuppz.as_mut_ptr(),
            work.as_mut_ptr(),
            &(26 * n as i32 - 1),
            iwork.as_mut_ptr(),
            &(10 * n as i32),
            &mut info,
        )
    };
    assert_eq!(info, -18);
}

// ---------------------------------------------------------------- dgesdd / dgesvd

fn check_svd(a: &Mat<f64>, s: &[f64], u: MatRef<'_, f64>, vt: MatRef<'_, f64>) {
    let k = s.len();
    let sigma = Mat::from_fn(k, k, |i, j| if i == j { s[i] } else { 0.0 });
    let rec = u.get(.., ..k) * &sigma * vt.get(..k, ..);
    assert_close(rec.as_ref(), a.as_ref(), 1e-12);
    assert_close(
        (u.transpose() * u).as_ref(),
        Mat::<f64>::identity(u.ncols(), u.ncols()).as_ref(),
        1e-12,
    );
    assert_close(
        (vt * vt.transpose()).as_ref(),
        Mat::<f64>::identity(vt.nrows(), vt.nrows()).as_ref(),
        1e-12,
    );
}

#[test]
fn dgesdd_jobs_shapes_and_workspace_query() {
    for (m, n) in [(6usize, 4usize), (4, 6), (5, 5)] {
        let a = rand_mat(m, n, 101 + m as u64);
        let sv = a.singular_values().unwrap();
        let mn = m.min(n);
        for jobz in [b'S', b'A', b'N', b'O', b's'] {
            let lda = m + 2;
            let mut av = store(a.as_ref(), lda);
            let up = jobz.to_ascii_uppercase();
            let ucols = if up == b'A' { m } else { mn };
            let vrows = if up == b'A' { n } else { mn };
            let (ldu, ldvt) = (m + 1, vrows + 2);
            let mut s = vec![0.0; mn];
            let mut u = vec![PAD; ldu * m];
            let mut vt = vec![PAD; ldvt * n];
            let mut iwork = vec![0; 8 * mn];
            let mut work = vec![0.0; 1];
            let mut info = 5;
            for pass in 0..2 {
                let lwork = if pass == 0 { -1 } else { work.len() as i32 };
                // SAFETY: arrays sized for the job (work by the query).
                unsafe {
                    dgesdd_(
                        &ch(jobz),
                        &(m as i32),
                        &(n as i32),
                        av.as_mut_ptr(),
                        &(lda as i32),
                        s.as_mut_ptr(),
                        u.as_mut_ptr(),
                        &(ldu as i32),
                        vt.as_mut_ptr(),
                        &(ldvt as i32),
                        work.as_mut_ptr(),
                        &lwork,
                        iwork.as_mut_ptr(),
                        &mut info,
                    )
                };
                assert_eq!(info, 0);
                if pass == 0 {
                    assert!(work[0] >= 1.0);
                    work.resize(work[0] as usize, 0.0);
                }
            }
            for k in 0..mn {
                assert!((s[k] - sv[k]).abs() <= 1e-12 * (1.0 + sv[0]));
            }
            let (uu, vv) = match up {
                b'N' => continue,
                b'O' if m >= n => (load(&av, m, n, lda), load(&vt, n, n, ldvt)),
                b'O' => (load(&u, m, m, ldu), load(&av, m, n, lda)),
                _ => (load(&u, m, ucols, ldu), load(&vt, vrows, n, ldvt)),
            };
            check_svd(&a, &s, uu.as_ref(), vv.as_ref());
            if up != b'O' {
                assert_pad(&u, m, ucols, ldu);
                assert_pad(&vt, vrows, n, ldvt);
                assert_pad(&av, m, n, lda);
            }
        }
    }
    // ldvt too small for jobz = 'S' (needs min(m, n) = 4).
    let a = rand_mat(6, 4, 1);
    let mut av = store(a.as_ref(), 6);
    let (mut s, mut u, mut vt) = (vec![0.0; 4], vec![0.0; 24], vec![0.0; 16]);
    let (mut work, mut iwork, mut info) = (vec![0.0; 1000], vec![0; 32], 0);
    // SAFETY: arrays large enough; ldvt = 3 is rejected before use.
    unsafe {
        dgesdd_(
            &ch(b'S'),
            &6,
            &4,
            av.as_mut_ptr(),
            &6,
            s.as_mut_ptr(),
            u.as_mut_ptr(),
            &6,
            vt.as_mut_ptr(),
            &3,
            work.as_mut_ptr(),
            &1000,
            iwork.as_mut_ptr(),
            &mut info,
        )
    };
    assert_eq!(info, -10);
}

#[test]
fn dgesvd_job_combinations() {
    for (m, n) in [(6usize, 4usize), (3, 5)] {
        let a = rand_mat(m, n, 111 + n as u64);
        let sv = a.singular_values().unwrap();
        let mn = m.min(n);
        for (jobu, jobvt) in [
            (b'S', b'S'),
            (b'A', b'A'),
            (b'a', b's'),
            (b'O', b'S'),
            (b'S', b'O'),
            (b'N', b'N'),
        ] {
            let lda = m + 1;
            let mut av = store(a.as_ref(), lda);
            let ucols = if jobu == b'A' || jobu == b'a' { m } else { mn };
            let vrows = if jobvt == b'A' { n } else { mn };
            let (ldu, ldvt) = (m + 2, n + 1);
            let mut s = vec![0.0; mn];
            let mut u = vec![PAD; ldu * m];
            let mut vt = vec![PAD; ldvt * n];
            let mut work = vec![0.0; 1];
            let mut info = 5;
            for pass in 0..2 {
                let lwork = if pass == 0 { -1 } else { work.len() as i32 };
                // SAFETY: arrays sized for the jobs (work by the query).
                unsafe {
                    dgesvd_(
                        &ch(jobu),
                        &ch(jobvt),
                        &(m as i32),
                        &(n as i32),
                        av.as_mut_ptr(),
                        &(lda as i32),
                        s.as_mut_ptr(),
                        u.as_mut_ptr(),
                        &(ldu as i32),
                        vt.as_mut_ptr(),
                        &(ldvt as i32),
                        work.as_mut_ptr(),
                        &lwork,
                        &mut info,
                    )
                };
                assert_eq!(info, 0);
                if pass == 0 {
                    assert_eq!(work[0], (3 * mn + m.max(n)).max(5 * mn) as f64);
                    work.resize(work[0] as usize, 0.0);
                }
            }
            for k in 0..mn {
                assert!((s[k] - sv[k]).abs() <= 1e-12 * (1.0 + sv[0]));
            }
            if jobu == b'N' {
                continue;
            }
            let uu = if jobu == b'O' {
                load(&av, m, mn, lda)
            } else {
                load(&u, m, ucols, ldu)
            };
            let vv = if jobvt == b'O' {
                load(&av, mn, n, lda)
            } else {
                load(&vt, vrows, n, ldvt)
            };
            check_svd(&a, &s, uu.as_ref(), vv.as_ref());
        }
    }
    // jobu = jobvt = 'O' is invalid (argument 2).
    let mut av = store(rand_mat(3, 3, 1).as_ref(), 3);
    let (mut s, mut u, mut vt, mut work, mut info) =
        (vec![0.0; 3], vec![0.0; 9], vec![0.0; 9], vec![0.0; 100], 0);
    // SAFETY: arrays large enough; the job pair is rejected before use.
    unsafe {
        dgesvd_(
            &ch(b'O'),
            &ch(b'o'),
            &3,
            &3,
            av.as_mut_ptr(),
            &3,
            s.as_mut_ptr(),
            u.as_mut_ptr(),
            &3,
            vt.as_mut_ptr(),
            &3,
            work.as_mut_ptr(),
            &100,
            &mut info,
        )
    };
    assert_eq!(info, -2);
}

// ---------------------------------------------------------------- dgesv

fn gesv(
    n: usize,
    nrhs: usize,
    a: &mut [f64],
    lda: usize,
    b: &mut [f64],
    ldb: usize,
) -> (i32, Vec<i32>) {
    let mut ipiv = vec![0; n.max(1)];
    let mut info = 42;
    // SAFETY: arrays sized for n×n (lda) and n×nrhs (ldb) by the callers.
    unsafe {
        dgesv_(
            &(n as i32),
            &(nrhs as i32),
            a.as_mut_ptr(),
            &(lda as i32),
            ipiv.as_mut_ptr(),
            b.as_mut_ptr(),
            &(ldb as i32),
            &mut info,
        )
    };
    (info, ipiv)
}

/// P·L·U from the factors in `lu` and LAPACK's interchanges.
fn reconstruct_plu(lu: &Mat<f64>, ipiv: &[i32]) -> Mat<f64> {
    let n = lu.nrows();
    let l = Mat::from_fn(n, n, |i, j| match i.cmp(&j) {
        core::cmp::Ordering::Greater => lu[(i, j)],
        core::cmp::Ordering::Equal => 1.0,
        core::cmp::Ordering::Less => 0.0,
    });
    let u = Mat::from_fn(n, n, |i, j| if i <= j { lu[(i, j)] } else { 0.0 });
    let mut plu = &l * &u;
    // A = P·L·U with P = P₁·P₂·…: undo the interchanges in reverse order.
    for i in (0..n).rev() {
        let p = (ipiv[i] - 1) as usize;
        for j in 0..n {
            let t = plu[(i, j)];
            plu[(i, j)] = plu[(p, j)];
            plu[(p, j)] = t;
        }
    }
    plu
}

#[test]
fn dgesv_solves_and_factors_like_getrf() {
    let (n, nrhs) = (7usize, 3usize);
    let a = rand_mat(n, n, 121);
    let b = rand_mat(n, nrhs, 122);
    let x_faer = a.partial_piv_lu().solve(&b);
    let (lda, ldb) = (n + 2, n + 3);
    let mut av = store(a.as_ref(), lda);
    let mut bv = store(b.as_ref(), ldb);
    let (info, ipiv) = gesv(n, nrhs, &mut av, lda, &mut bv, ldb);
    assert_eq!(info, 0);
    let x = load(&bv, n, nrhs, ldb);
    assert_close(x.as_ref(), x_faer.as_ref(), 1e-11);
    assert_close((&a * &x).as_ref(), b.as_ref(), 1e-12);
    let lu = load(&av, n, n, lda);
    assert_close(reconstruct_plu(&lu, &ipiv).as_ref(), a.as_ref(), 1e-12);
    // Partial pivoting: |L| ≤ 1.
    for j in 0..n {
        for i in j + 1..n {
            assert!(lu[(i, j)].abs() <= 1.0 + 1e-15);
        }
    }
    assert_pad(&av, n, n, lda);
    assert_pad(&bv, n, nrhs, ldb);
}

#[test]
fn dgesv_singular_matrix_and_invalid_arguments() {
    // Third column = first + second: U(3, 3) = 0 exactly in LAPACK's getf2 on this data.
    let n = 4usize;
    #[rustfmt::skip]
    let a = [
        1.0, 0.0, 0.0, 0.0,
        0.0, 1.0, 0.0, 0.0,
        1.0, 1.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 2.0,
    ];
    let mut av = a.to_vec();
    let b0 = vec![1.0, 2.0, 3.0, 4.0];
    let mut bv = b0.clone();
    let (info, ipiv) = gesv(n, 1, &mut av, n, &mut bv, n);
    assert_eq!(info, 3);
    assert_eq!(bv, b0, "B must be left unchanged when U is singular");
    assert!(av.iter().all(|x| x.is_finite()));
    let lu = load(&av, n, n, n);
    let am = load(&a, n, n, n);
    assert_close(reconstruct_plu(&lu, &ipiv).as_ref(), am.as_ref(), 1e-15);

    let mut av = a.to_vec();
    assert_eq!(gesv(n, 1, &mut av, n, &mut bv, n - 1).0, -7);
    assert_eq!(gesv(n, 1, &mut av, n - 1, &mut bv, n).0, -4);
}
