//! Hermitian operators for [`super::extreme_eigenpairs`]: anything that can apply A to a block of
//! vectors. Implemented for dense faer matrices, faer sparse (CSC) matrices, closures, and
//! affine combinations A(x) = A₀ + Σ xⱼAⱼ applied term by term without forming A(x).
//!
//! Everything is generic over [`Scalar`], i.e. `f64` (real symmetric) and `c64` (complex
//! Hermitian): a real problem runs in real arithmetic, at a quarter of the complex flop count.

use faer::sparse::SparseColMat;
use faer::traits::ComplexField;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use num_complex::Complex64 as C64;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

/// A field element the eigensolver works in: `f64` or `c64` (`num_complex::Complex64`).
pub trait Scalar:
    ComplexField<Real = f64>
    + Copy
    + Debug
    + PartialEq
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + 'static
{
    /// Whether the field is ℝ.
    const REAL: bool;
    /// The complex conjugate.
    fn conjugate(self) -> Self;
    /// The real part.
    fn real_part(self) -> f64;
    /// |a|².
    fn modulus2(self) -> f64;
    /// A real number as a field element.
    fn from_f64(x: f64) -> Self;
    /// A complex number as a field element (`f64` keeps the real part).
    fn from_c64(z: C64) -> Self;
    /// As a complex number.
    fn to_c64(self) -> C64;
    /// a·s for real s.
    fn times(self, s: f64) -> Self;
}

impl Scalar for f64 {
    const REAL: bool = true;
    fn conjugate(self) -> f64 {
        self
    }
    fn real_part(self) -> f64 {
        self
    }
    fn modulus2(self) -> f64 {
        self * self
    }
    fn from_f64(x: f64) -> f64 {
        x
    }
    fn from_c64(z: C64) -> f64 {
        z.re
    }
    fn to_c64(self) -> C64 {
        C64::new(self, 0.0)
    }
    fn times(self, s: f64) -> f64 {
        self * s
    }
}

impl Scalar for C64 {
    const REAL: bool = false;
    fn conjugate(self) -> C64 {
        self.conj()
    }
    fn real_part(self) -> f64 {
        self.re
    }
    fn modulus2(self) -> f64 {
        self.norm_sqr()
    }
    fn from_f64(x: f64) -> C64 {
        C64::new(x, 0.0)
    }
    fn from_c64(z: C64) -> C64 {
        z
    }
    fn to_c64(self) -> C64 {
        self
    }
    fn times(self, s: f64) -> C64 {
        self * s
    }
}

/// A Hermitian linear operator on 𝔽ⁿ (𝔽 = ℝ or ℂ). Implementations must be Hermitian; the
/// eigensolver does not check it.
pub trait HermOperator<T: Scalar> {
    /// n.
    fn size(&self) -> usize;
    /// y = A x for a block x (n × b), overwriting y.
    fn apply(&self, x: MatRef<'_, T>, y: MatMut<'_, T>);
    /// The dense matrix, if it is at hand (used instead of n products when n is small).
    fn as_dense(&self) -> Option<MatRef<'_, T>> {
        None
    }
}

fn par() -> Par {
    faer::get_global_parallelism()
}

impl<T: Scalar> HermOperator<T> for Mat<T> {
    fn size(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, x: MatRef<'_, T>, y: MatMut<'_, T>) {
        faer::linalg::matmul::matmul(y, Accum::Replace, self.as_ref(), x, T::from_f64(1.0), par());
    }
    fn as_dense(&self) -> Option<MatRef<'_, T>> {
        Some(self.as_ref())
    }
}

impl<T: Scalar> HermOperator<T> for SparseColMat<usize, T> {
    fn size(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, x: MatRef<'_, T>, y: MatMut<'_, T>) {
        faer::sparse::linalg::matmul::sparse_dense_matmul(
            y,
            Accum::Replace,
            self.as_ref(),
            x,
            T::from_f64(1.0),
            par(),
        );
    }
}

/// A closure y = A x as an operator.
///
/// ```
/// use faer::{Mat, MatMut, MatRef};
/// use wirtinger::eig::lanczos::{extreme_eigenpairs, EigOptions, FnOperator};
/// // The path-graph Laplacian of 100 nodes, applied without forming it.
/// let n = 100;
/// let op = FnOperator::new(n, |x: MatRef<'_, f64>, mut y: MatMut<'_, f64>| {
///     for c in 0..x.ncols() {
///         for i in 0..n {
///             let mut v = 0.0;
///             if i > 0 { v += x[(i, c)] - x[(i - 1, c)]; }
///             if i + 1 < n { v += x[(i, c)] - x[(i + 1, c)]; }
///             y[(i, c)] = v;
///         }
///     }
/// });
/// let mut o = EigOptions::largest(1);
/// o.dense_limit = 0; // Lanczos even at this size
/// let e = extreme_eigenpairs(&op, &o).unwrap();
/// let exact = 2.0 - 2.0 * (std::f64::consts::PI * (n - 1) as f64 / n as f64).cos();
/// assert!((e.values[0] - exact).abs() < 1e-9);
/// ```
pub struct FnOperator<F> {
    n: usize,
    f: F,
}

impl<F> FnOperator<F> {
    /// Wraps `f(x, y)` (which must set y = A x) on 𝔽ⁿ.
    pub fn new(n: usize, f: F) -> FnOperator<F> {
        FnOperator { n, f }
    }
}

impl<T: Scalar, F: Fn(MatRef<'_, T>, MatMut<'_, T>)> HermOperator<T> for FnOperator<F> {
    fn size(&self) -> usize {
        self.n
    }
    fn apply(&self, x: MatRef<'_, T>, y: MatMut<'_, T>) {
        (self.f)(x, y)
    }
}

/// A(x) = A₀ + Σⱼ xⱼ Aⱼ applied term by term (one product per term), never formed.
pub struct AffineOperator<'a, T: Scalar> {
    /// A₀.
    pub base: &'a dyn HermOperator<T>,
    /// (xⱼ, Aⱼ).
    pub terms: Vec<(f64, &'a dyn HermOperator<T>)>,
}

impl<T: Scalar> HermOperator<T> for AffineOperator<'_, T> {
    fn size(&self) -> usize {
        self.base.size()
    }
    fn apply(&self, x: MatRef<'_, T>, mut y: MatMut<'_, T>) {
        self.base.apply(x, y.as_mut());
        let mut tmp = Mat::<T>::zeros(x.nrows(), x.ncols());
        for &(c, a) in &self.terms {
            if c == 0.0 {
                continue;
            }
            a.apply(x, tmp.as_mut());
            for j in 0..x.ncols() {
                for i in 0..x.nrows() {
                    y[(i, j)] += tmp[(i, j)].times(c);
                }
            }
        }
    }
}
