//! Dense kernels shared by evaluation and tangent propagation: products with transposition
//! flags and Hermitian eigendecompositions.

use super::graph::{Spectral, Trans};
use crate::model::{Shape, Tensor};
use faer::linalg::matmul::matmul_with_conj;
use faer::{Accum, Conj, Mat, MatMut, MatRef, Par, Side};
use num_complex::Complex64 as C64;

/// `dst (=|+=) op_a(a) · op_b(b)` on one thread.
pub fn matmul_into(
    dst: MatMut<'_, C64>,
    beta: Accum,
    a: MatRef<'_, C64>,
    ta: Trans,
    b: MatRef<'_, C64>,
    tb: Trans,
) {
    let (a, ca) = view(a, ta);
    let (b, cb) = view(b, tb);
    matmul_with_conj(dst, beta, a, ca, b, cb, C64::new(1.0, 0.0), Par::Seq);
}

fn view(m: MatRef<'_, C64>, t: Trans) -> (MatRef<'_, C64>, Conj) {
    match t {
        Trans::N => (m, Conj::No),
        Trans::T => (m.transpose(), Conj::No),
        Trans::H => (m.transpose(), Conj::Yes),
        Trans::C => (m, Conj::Yes),
    }
}

/// An eigendecomposition A = V diag(λ) Vᴴ of a Hermitian matrix, λ ascending.
#[derive(Clone, Debug)]
pub struct HermEig {
    /// Eigenvalues, ascending.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns.
    pub vectors: Mat<C64>,
}

/// Eigendecomposition of the Hermitian part of a square matrix.
pub fn herm_eig(a: MatRef<'_, C64>) -> Result<HermEig, String> {
    let n = a.nrows();
    let h = Mat::from_fn(n, n, |i, j| (a[(i, j)] + a[(j, i)].conj()) * 0.5);
    if !h.as_ref().is_all_finite() {
        return Err("eigenvalue function of a matrix with non-finite entries".into());
    }
    let e = h
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| format!("the eigenvalue solver did not converge ({e:?})"))?;
    let values = (0..n).map(|i| e.S()[i].re).collect();
    Ok(HermEig {
        values,
        vectors: e.U().to_owned(),
    })
}

/// Relative tolerance under which two eigenvalues are treated as equal (a crossing).
pub const EIG_TIE_TOL: f64 = 1e-12;

impl HermEig {
    /// The largest |λ| (at least the smallest positive normal number).
    pub fn scale(&self) -> f64 {
        self.values
            .iter()
            .fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()))
    }
    /// f(λ) for a spectral function.
    pub fn spectral_value(&self, f: Spectral) -> f64 {
        let n = self.values.len();
        match f {
            Spectral::Largest(k) => self.values[n.saturating_sub(k)..].iter().sum(),
            Spectral::Smallest(k) => self.values[..k.min(n)].iter().sum(),
            Spectral::HalfAbsSum => 0.5 * self.values.iter().map(|v| v.abs()).sum::<f64>(),
        }
    }
    /// The derivative weights dᵢ = f′(λᵢ), so that ∇f = V diag(d) Vᴴ.
    ///
    /// At a crossing (λ_k = λ_{k+1} for `Largest(k)`), the weights follow the eigensolver's
    /// ordering of the tied eigenvectors: the result is one element of the generalized gradient
    /// (Clarke subdifferential), not an average. For `HalfAbsSum`, |λ| ≤ 1e-12·max|λ| counts as 0
    /// and gets weight 0.
    pub fn spectral_weights(&self, f: Spectral) -> Vec<f64> {
        let n = self.values.len();
        match f {
            Spectral::Largest(k) => (0..n).map(|i| f64::from(u8::from(i + k >= n))).collect(),
            Spectral::Smallest(k) => (0..n).map(|i| f64::from(u8::from(i < k))).collect(),
            Spectral::HalfAbsSum => {
                let tol = EIG_TIE_TOL * self.scale();
                self.values
                    .iter()
                    .map(|&v| {
                        if v.abs() <= tol {
                            0.0
                        } else {
                            0.5 * v.signum()
                        }
                    })
                    .collect()
            }
        }
    }
    /// V diag(d) Vᴴ.
    pub fn weighted(&self, d: &[f64]) -> Tensor {
        let n = self.values.len();
        let cols: Vec<usize> = (0..n).filter(|&i| d[i] != 0.0).collect();
        let vs = Mat::from_fn(n, cols.len(), |i, j| {
            self.vectors[(i, cols[j])] * d[cols[j]]
        });
        let v = Mat::from_fn(n, cols.len(), |i, j| self.vectors[(i, cols[j])]);
        let mut out = Tensor::zeros(Shape::Matrix(n, n));
        if !cols.is_empty() {
            matmul_into(
                out.as_mat_mut(),
                Accum::Replace,
                vs.as_ref(),
                Trans::N,
                v.as_ref(),
                Trans::H,
            );
        }
        out
    }
    /// The Daleckii–Krein first divided differences Γᵢⱼ = (dᵢ − dⱼ)/(λᵢ − λⱼ), with 0 where
    /// λᵢ = λⱼ within tolerance (the weights are piecewise constant, so f″ = 0 there).
    pub fn divided_differences(&self, d: &[f64]) -> Mat<f64> {
        let n = self.values.len();
        let tol = EIG_TIE_TOL * self.scale();
        Mat::from_fn(n, n, |i, j| {
            let gap = self.values[i] - self.values[j];
            if gap.abs() <= tol || d[i] == d[j] {
                0.0
            } else {
                (d[i] - d[j]) / gap
            }
        })
    }
    /// The directional derivative of V diag(d) Vᴴ along a Hermitian dA (Daleckii–Krein):
    /// V (Γ ∘ (Vᴴ dA V)) Vᴴ.
    pub fn weighted_derivative(&self, gamma: &Mat<f64>, da: MatRef<'_, C64>) -> Mat<C64> {
        let n = self.values.len();
        let v = self.vectors.as_ref();
        let mut t = Mat::<C64>::zeros(n, n);
        matmul_into(t.as_mut(), Accum::Replace, da, Trans::N, v, Trans::N);
        let mut x = Mat::<C64>::zeros(n, n);
        matmul_into(
            x.as_mut(),
            Accum::Replace,
            v,
            Trans::H,
            t.as_ref(),
            Trans::N,
        );
        for j in 0..n {
            for i in 0..n {
                x[(i, j)] *= gamma[(i, j)];
            }
        }
        matmul_into(
            t.as_mut(),
            Accum::Replace,
            v,
            Trans::N,
            x.as_ref(),
            Trans::N,
        );
        let mut out = Mat::<C64>::zeros(n, n);
        matmul_into(
            out.as_mut(),
            Accum::Replace,
            t.as_ref(),
            Trans::N,
            v,
            Trans::H,
        );
        out
    }
}

/// Generalized Hermitian-definite eigendecomposition A v = λ B v, with V normalized so that
/// Vᴴ B V = I (computed from B = L Lᴴ and the standard problem L⁻¹ A L⁻ᴴ).
pub fn gen_eig(a: MatRef<'_, C64>, b: MatRef<'_, C64>) -> Result<HermEig, String> {
    use faer::linalg::triangular_solve::{
        solve_lower_triangular_in_place, solve_upper_triangular_in_place,
    };
    let n = a.nrows();
    let bh = Mat::from_fn(n, n, |i, j| (b[(i, j)] + b[(j, i)].conj()) * 0.5);
    let llt = bh.llt(Side::Lower).map_err(|_| {
        "the second argument of a generalized eigenvalue function is not positive definite"
            .to_string()
    })?;
    let l = llt.L();
    let mut x = Mat::from_fn(n, n, |i, j| (a[(i, j)] + a[(j, i)].conj()) * 0.5);
    solve_lower_triangular_in_place(l, x.as_mut(), Par::Seq);
    let mut y = x.adjoint().to_owned();
    solve_lower_triangular_in_place(l, y.as_mut(), Par::Seq);
    let mut e = herm_eig(y.as_ref())?;
    solve_upper_triangular_in_place(l.adjoint(), e.vectors.as_mut(), Par::Seq);
    Ok(e)
}
