//! faer-backed implementations of the Fortran BLAS/LAPACK symbols that Clarabel's PSD cones
//! link against.
//!
//! Clarabel (with its `sdp` feature) calls the double-precision routines through the `blas` and
//! `lapack` crates, which declare them as `extern "C"` functions with the Fortran ABI of
//! `blas-sys` 0.7 / `lapack-sys` 0.14: every argument by pointer, characters as `*const c_char`,
//! integers as `*const c_int`, no hidden string-length arguments, matrices column-major with a
//! leading dimension. This module defines exactly those symbols, `#[no_mangle]`:
//!
//! | symbol | file | computes | reference |
//! |---|---|---|---|
//! | [`dgemm_`] | `gemm.rs` | C ← α·op(A)·op(B) + β·C | BLAS `dgemm.f` |
//! | [`dgemv_`] | `gemv.rs` | y ← α·op(A)·x + β·y | BLAS `dgemv.f` |
//! | [`dsymv_`] | `symv.rs` | y ← α·A·x + β·y, A = Aᵀ from one triangle | BLAS `dsymv.f` |
//! | [`dsyrk_`] | `syrk.rs` | C ← α·A·Aᵀ + β·C (or AᵀA), one triangle | BLAS `dsyrk.f` |
//! | [`dsyr2k_`] | `syr2k.rs` | C ← α(A·Bᵀ + B·Aᵀ) + β·C (or AᵀB + BᵀA) | BLAS `dsyr2k.f` |
//! | [`dpotrf_`] | `potrf.rs` | A = LLᵀ or UᵀU (Cholesky) | LAPACK `dpotrf.f` |
//! | [`dpotrs_`] | `potrs.rs` | solve A·X = B with the Cholesky factor | LAPACK `dpotrs.f` |
//! | [`dsyevr_`] | `syevr.rs` | A = ZΛZᵀ, all / an interval / an index range | LAPACK `dsyevr.f` |
//! | [`dgesdd_`] | `gesdd.rs` | A = UΣVᵀ (divide-and-conquer interface) | LAPACK `dgesdd.f` |
//! | [`dgesvd_`] | `gesvd.rs` | A = UΣVᵀ (QR-iteration interface) | LAPACK `dgesvd.f` |
//! | [`dgesv_`] | `gesv.rs` | A = PLU and A·X = B | LAPACK `dgesv.f` |
//!
//! Semantics follow the reference implementations: option characters in either case (`'C'` is
//! accepted as a transpose, as for real data in the reference BLAS); `β = 0` sets the output to
//! zero without reading it (so NaN there does not propagate); `α = 0` leaves the inputs
//! unreferenced; the other triangle of a symmetric matrix is never read or written; `lwork = −1`
//! (and `liwork = −1` for `dsyevr_`) is a workspace query that writes the size into `work[0]`
//! (and `iwork[0]`); invalid arguments give `info = −i` for the i-th argument (BLAS routines,
//! which have no `info`, leave their output untouched), and numerical failures a positive `info`.
//! Invalid arguments are also reported on standard error like the reference `XERBLA` does, but
//! never stop the process. Workspace arrays are only checked and sized; the computations use
//! faer's own allocations.
//!
//! All numerical work is done by faer (matrix products, triangular solves, Cholesky, LU,
//! self-adjoint eigendecomposition, SVD): sequentially when every dimension is below
//! [`PAR_MIN_DIM`], else with faer's global parallelism setting.
//!
//! # Safety
//!
//! These are `unsafe extern "C"` functions with the contract of the Fortran routines: every
//! pointer argument must be valid for the reads (and writes) the reference routine would do for
//! the given dimensions, and output arrays must not overlap inputs. Scalar argument pointers are
//! checked for null and alignment, as are array pointers that would be referenced; dimensions and
//! leading dimensions are validated as in the reference code before any array is touched.

#![allow(clippy::too_many_arguments)]

use core::ffi::{c_char, c_int};
use core::ptr::NonNull;

use faer::{MatMut, MatRef, Par};

mod gemm;
mod gemv;
mod gesdd;
mod gesv;
mod gesvd;
mod potrf;
mod potrs;
mod syevr;
mod symv;
mod syr2k;
mod syrk;

pub use gemm::dgemm_;
pub use gemv::dgemv_;
pub use gesdd::dgesdd_;
pub use gesv::dgesv_;
pub use gesvd::dgesvd_;
pub use potrf::dpotrf_;
pub use potrs::dpotrs_;
pub use syevr::dsyevr_;
pub use symv::dsymv_;
pub use syr2k::dsyr2k_;
pub use syrk::dsyrk_;

/// Keeps every symbol of this module in the final link.
///
/// Linkers that search each static archive once, in order (GNU ld, used by rustc on Linux
/// targets where it does not default to lld), could meet Clarabel's references to these
/// symbols only after having passed over this crate. Calling this function (it does nothing
/// at run time) from code that is linked anyway, before using Clarabel, makes the object files
/// that define the symbols part of the link. lld, macOS's ld64 and MSVC's link.exe do not need
/// it.
pub fn ensure_linked() {
    let table: [*const (); 11] = [
        dgemm_ as *const (),
        dgemv_ as *const (),
        dsymv_ as *const (),
        dsyrk_ as *const (),
        dsyr2k_ as *const (),
        dpotrf_ as *const (),
        dpotrs_ as *const (),
        dsyevr_ as *const (),
        dgesdd_ as *const (),
        dgesvd_ as *const (),
        dgesv_ as *const (),
    ];
    core::hint::black_box(table);
}

/// Smallest dimension at which the routines use faer's global parallelism; below it they run
/// sequentially.
///
/// Handing a 10×10 product or reduction to rayon costs more than the arithmetic: every call
/// wakes a worker thread and waits on a latch, tens of microseconds when the cores are busy,
/// against about 2·10³ flops of work. Clarabel calls these routines about 90 times per
/// interior-point iteration on the PSD blocks (scaling products, `dsyevr_` for the step length,
/// `dgesdd_` for the Nesterov–Todd scaling), so on small SDPs the dispatch dominated: on
/// min λ_max(A₀ + Σᵢ₌₁⁵ xᵢAᵢ) with n = 10, a third of the profile was rayon's thread
/// switching (see docs/sdp-backend.md, "Speed").
pub const PAR_MIN_DIM: usize = 64;

/// Parallelism for a routine whose largest dimension is `dim`: sequential below
/// [`PAR_MIN_DIM`], else faer's global setting (`faer::get_global_parallelism()`).
fn par(dim: usize) -> Par {
    if dim < PAR_MIN_DIM {
        Par::Seq
    } else {
        faer::get_global_parallelism()
    }
}

/// Reports an invalid argument the way the reference `XERBLA` does (without stopping).
fn xerbla(name: &str, arg: c_int) {
    eprintln!(" ** On entry to {name} parameter number {arg} had an illegal value");
}

/// Reads a scalar passed by reference; `None` when the pointer is null or misaligned.
///
/// # Safety
/// A non-null, aligned `p` must be valid for one read of `T`.
unsafe fn arg<T: Copy>(p: *const T) -> Option<T> {
    if p.is_null() || !p.is_aligned() {
        None
    } else {
        // SAFETY: non-null and aligned checked above; validity for reads is the caller's contract.
        Some(unsafe { p.read() })
    }
}

/// Reads a Fortran character argument, upper-cased (Fortran `LSAME` is case-insensitive).
///
/// # Safety
/// As [`arg`].
unsafe fn char_arg(p: *const c_char) -> Option<u8> {
    // SAFETY: forwarded contract of `arg`.
    unsafe { arg(p) }.map(|c| (c as u8).to_ascii_uppercase())
}

/// Whether an array pointer that is going to be referenced is usable (non-null and aligned).
fn usable<T>(p: *const T) -> bool {
    !p.is_null() && p.is_aligned()
}

/// A column-major `nrows × ncols` view with leading dimension `ld`.
///
/// # Safety
/// When `nrows > 0 && ncols > 0`, `ptr` must be non-null, aligned and valid for reads of the
/// elements `ptr[i + j·ld]`, `i < nrows`, `j < ncols`, with `ld ≥ nrows`, and nothing may write
/// to them while the view lives. Empty views use a dangling pointer and never dereference it.
unsafe fn mat_ref<'a>(ptr: *const f64, nrows: usize, ncols: usize, ld: usize) -> MatRef<'a, f64> {
    let ptr = if nrows == 0 || ncols == 0 {
        NonNull::<f64>::dangling().as_ptr().cast_const()
    } else {
        ptr
    };
    // SAFETY: the caller guarantees the addressed region; `ld` fits in `isize` because it came
    // from a nonnegative `c_int`.
    unsafe { MatRef::from_raw_parts(ptr, nrows, ncols, 1, ld as isize) }
}

/// A mutable column-major `nrows × ncols` view with leading dimension `ld`.
///
/// # Safety
/// As [`mat_ref`], for reads and writes, and no other reference may access the elements while
/// the view lives.
unsafe fn mat_mut<'a>(ptr: *mut f64, nrows: usize, ncols: usize, ld: usize) -> MatMut<'a, f64> {
    let ptr = if nrows == 0 || ncols == 0 {
        NonNull::<f64>::dangling().as_ptr()
    } else {
        ptr
    };
    // SAFETY: as in `mat_ref`, plus exclusivity from the caller.
    unsafe { MatMut::from_raw_parts_mut(ptr, nrows, ncols, 1, ld as isize) }
}

/// A BLAS vector of `len` elements with increment `inc ≠ 0`, as a `len × 1` view. For `inc < 0`
/// element `i` is stored at `x[(len − 1 − i)·|inc|]`, as in the reference BLAS.
///
/// # Safety
/// When `len > 0`, `ptr` must be non-null, aligned and valid for reads of
/// `x[0], x[|inc|], …, x[(len − 1)·|inc|]`, with no writer while the view lives.
unsafe fn vec_ref<'a>(ptr: *const f64, len: usize, inc: c_int) -> MatRef<'a, f64> {
    if len == 0 {
        return MatRef::from_column_major_slice(&[], 0, 1);
    }
    let step = inc.unsigned_abs() as usize;
    // SAFETY: the offset `(len − 1)·|inc|` stays inside the vector's storage by the contract.
    let start = if inc < 0 {
        unsafe { ptr.add((len - 1) * step) }
    } else {
        ptr
    };
    // SAFETY: the strided region is the vector's storage (caller's contract).
    unsafe { MatRef::from_raw_parts(start, len, 1, inc as isize, 1) }
}

/// Mutable counterpart of [`vec_ref`].
///
/// # Safety
/// As [`vec_ref`], for reads and writes, with exclusive access while the view lives.
unsafe fn vec_mut<'a>(ptr: *mut f64, len: usize, inc: c_int) -> MatMut<'a, f64> {
    if len == 0 {
        return MatMut::from_column_major_slice_mut(&mut [], 0, 1);
    }
    let step = inc.unsigned_abs() as usize;
    // SAFETY: the offset `(len − 1)·|inc|` stays inside the vector's storage by the contract.
    let start = if inc < 0 {
        unsafe { ptr.add((len - 1) * step) }
    } else {
        ptr
    };
    // SAFETY: the strided region is the vector's storage (caller's contract).
    unsafe { MatMut::from_raw_parts_mut(start, len, 1, inc as isize, 1) }
}

/// Which part of a square matrix an operation touches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Full,
    Upper,
    Lower,
}

/// `C ← β·C` on the given part, with the BLAS convention that `β = 0` sets it to zero without
/// reading it and `β = 1` leaves it untouched.
fn scale(c: MatMut<'_, f64>, beta: f64, part: Part) {
    if beta == 1.0 {
        return;
    }
    let mut c = c;
    let (m, n) = (c.nrows(), c.ncols());
    for j in 0..n {
        let rows = match part {
            Part::Full => 0..m,
            Part::Upper => 0..(j + 1).min(m),
            Part::Lower => j.min(m)..m,
        };
        for i in rows {
            let v = if beta == 0.0 { 0.0 } else { beta * c[(i, j)] };
            c[(i, j)] = v;
        }
    }
}

/// The LAPACK integer written to `work[0]` / `iwork[0]`, saturated to `c_int`.
fn lapack_int(v: usize) -> c_int {
    c_int::try_from(v).unwrap_or(c_int::MAX)
}

/// What the SVD helpers return: σ (nonincreasing), U (m×·) and V (n×·), faer-owned.
struct SvdParts {
    s: Vec<f64>,
    u: faer::Mat<f64>,
    v: faer::Mat<f64>,
}

/// A = U·diag(σ)·Vᵀ of an m×n matrix with faer, computing U and V thin, full or not at all.
/// `Err` when faer's bidiagonal SVD did not converge.
fn svd(
    a: MatRef<'_, f64>,
    want_u: faer::linalg::svd::ComputeSvdVectors,
    want_v: faer::linalg::svd::ComputeSvdVectors,
) -> Result<SvdParts, faer::linalg::svd::SvdError> {
    use faer::linalg::svd::ComputeSvdVectors as C;
    let (m, n) = (a.nrows(), a.ncols());
    let mn = m.min(n);
    let cols = |want: C, full: usize| match want {
        C::No => 0,
        C::Thin => mn,
        C::Full => full,
    };
    let mut u = faer::Mat::<f64>::zeros(m, cols(want_u, m));
    let mut v = faer::Mat::<f64>::zeros(n, cols(want_v, n));
    let mut s = faer::diag::Diag::<f64>::zeros(mn);
    let par = par(m.max(n));
    let mut mem = faer::dyn_stack::MemBuffer::new(faer::linalg::svd::svd_scratch::<f64>(
        m,
        n,
        want_u,
        want_v,
        par,
        Default::default(),
    ));
    faer::linalg::svd::svd(
        a,
        s.as_mut(),
        (want_u != C::No).then(|| u.as_mut()),
        (want_v != C::No).then(|| v.as_mut()),
        par,
        faer::dyn_stack::MemStack::new(&mut mem),
        Default::default(),
    )?;
    let s = (0..mn).map(|i| s.column_vector()[i]).collect();
    Ok(SvdParts { s, u, v })
}

/// Copies the first `ncols` columns of `src` into `dst` (same number of rows).
fn copy_cols(mut dst: MatMut<'_, f64>, src: MatRef<'_, f64>, ncols: usize) {
    for j in 0..ncols {
        for i in 0..src.nrows() {
            dst[(i, j)] = src[(i, j)];
        }
    }
}

/// Writes Vᵀ's first `nrows` rows (i.e. the first `nrows` columns of V, transposed) into `dst`.
fn copy_vt(mut dst: MatMut<'_, f64>, v: MatRef<'_, f64>, nrows: usize) {
    for i in 0..nrows {
        for j in 0..v.nrows() {
            dst[(i, j)] = v[(j, i)];
        }
    }
}
