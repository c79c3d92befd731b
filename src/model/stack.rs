//! Sparse stacks of matrices: k matrices S₀, …, S_{k−1} of one shape m × n, kept in compressed
//! sparse form, for `lincomb(x, S)` = Σᵢ xᵢ Sᵢ and `S[i]` (contract §2, "Sparse .mtx stacks stay
//! sparse").
//!
//! The stack is stored as **one** faer CSC matrix F of size (m·n) × k whose column i is vec(Sᵢ)
//! (column-major entry index e = r + c·m). Then
//!
//! - `lincomb(x, S)` is the sparse matrix–vector product vec(Σᵢ xᵢ Sᵢ) = F x, costing
//!   O(nnz + m·n) (the result is a dense value);
//! - its reverse-mode adjoint (DESIGN.md §1: ḡ_x = conj(∂y/∂x)ᵀ ḡ_y for the holomorphic linear
//!   map y = F x) is ḡ_{xᵢ} = Σₑ conj(Fₑᵢ) ḡ_{y,e} = ⟨Sᵢ, Ḡ⟩, i.e. Fᴴ ḡ_y, costing O(nnz);
//! - the forward-mode tangent along a unit direction eᵢ is Sᵢ itself, so the affine extraction
//!   of `A₀ + lincomb(x, S)` reads its coefficient matrices straight from the columns of F
//!   (memory O(nnz), never k dense n × n matrices).
//!
//! ```
//! use wirtinger::model::{Shape, SparseStack};
//! use num_complex::Complex64 as C64;
//! // S₀ = [[1, 0], [0, 0]], S₁ = [[0, 2], [2, 0]] (entries (row, col, value) per matrix).
//! let one = C64::new(1.0, 0.0);
//! let s = SparseStack::from_entries(2, 2, vec![vec![(0, 0, one)], vec![(0, 1, one * 2.0), (1, 0, one * 2.0)]]).unwrap();
//! let y = s.lincomb(&[C64::new(3.0, 0.0), C64::new(0.5, 0.0)]);
//! assert_eq!(y.data(), &[one * 3.0, one, one, C64::new(0.0, 0.0)]);
//! assert_eq!(s.item(1).unwrap().get(0, 1), one * 2.0);
//! assert_eq!(s.nnz(), 3);
//! ```

use super::{Shape, Tensor};
use faer::sparse::{SparseColMat, Triplet};
use num_complex::Complex64 as C64;

/// k sparse matrices of one shape m × n (see the module documentation).
#[derive(Clone, Debug)]
pub struct SparseStack {
    m: usize,
    n: usize,
    /// (m·n) × k, column i = vec(Sᵢ).
    flat: SparseColMat<usize, C64>,
    real: bool,
}

impl SparseStack {
    /// A stack from each matrix's (row, column, value) entries; duplicates are summed, exact
    /// zeros dropped. Errors on an index outside m × n, a non-finite value, or k = 0.
    pub fn from_entries(
        m: usize,
        n: usize,
        items: Vec<Vec<(usize, usize, C64)>>,
    ) -> Result<SparseStack, String> {
        if items.is_empty() {
            return Err("a stack needs at least one matrix".into());
        }
        let numel = m
            .checked_mul(n)
            .ok_or_else(|| format!("a {m}×{n} matrix has too many entries"))?;
        let k = items.len();
        let mut t = Vec::with_capacity(items.iter().map(Vec::len).sum());
        let mut real = true;
        for (i, es) in items.iter().enumerate() {
            for &(r, c, v) in es {
                if r >= m || c >= n {
                    return Err(format!(
                        "matrix {i} of the stack has an entry ({r}, {c}) outside {m}×{n}"
                    ));
                }
                if !(v.re.is_finite() && v.im.is_finite()) {
                    return Err(format!("matrix {i} of the stack has a non-finite entry"));
                }
                if v != C64::new(0.0, 0.0) {
                    real &= v.im == 0.0;
                    t.push(Triplet::new(r + c * m, i, v));
                }
            }
        }
        let flat = SparseColMat::try_new_from_triplets(numel, k, &t)
            .map_err(|e| format!("could not assemble the sparse stack: {e:?}"))?;
        if flat
            .as_ref()
            .val()
            .iter()
            .any(|v| !(v.re.is_finite() && v.im.is_finite()))
        {
            return Err("a sum of duplicate entries of the stack is not finite".into());
        }
        Ok(SparseStack { m, n, flat, real })
    }

    /// Number of matrices k.
    pub fn len(&self) -> usize {
        self.flat.ncols()
    }
    /// Never true (a stack has at least one matrix); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The shape m × n of each matrix.
    pub fn shape(&self) -> Shape {
        Shape::Matrix(self.m, self.n)
    }
    /// Whether every entry is real.
    pub fn is_real(&self) -> bool {
        self.real
    }
    /// Stored entries over all matrices.
    pub fn nnz(&self) -> usize {
        self.flat.compute_nnz()
    }
    /// The stored entries of Sᵢ as (column-major entry index e = r + c·m, value); empty for
    /// i ≥ k.
    pub fn column(&self, i: usize) -> (&[usize], &[C64]) {
        if i >= self.len() {
            return (&[], &[]);
        }
        let f = self.flat.as_ref();
        (f.row_idx_of_col_raw(i), f.val_of_col(i))
    }
    /// Sᵢ as a dense matrix (`None` for i ≥ k).
    pub fn item(&self, i: usize) -> Option<Tensor> {
        if i >= self.len() {
            return None;
        }
        let mut t = Tensor::zeros(self.shape());
        let (ix, vx) = self.column(i);
        for (&e, &v) in ix.iter().zip(vx) {
            t.data_mut()[e] = v;
        }
        Some(t)
    }
    /// Σᵢ xᵢ Sᵢ (dense m × n), for x of length k (missing entries count as 0): O(nnz + m·n).
    pub fn lincomb(&self, x: &[C64]) -> Tensor {
        let mut t = Tensor::zeros(self.shape());
        self.lincomb_into(x, t.data_mut());
        t
    }
    /// out += vec(Σᵢ xᵢ Sᵢ).
    pub fn lincomb_into(&self, x: &[C64], out: &mut [C64]) {
        for (i, &xi) in x.iter().enumerate().take(self.len()) {
            if xi == C64::new(0.0, 0.0) {
                continue;
            }
            let (ix, vx) = self.column(i);
            for (&e, &v) in ix.iter().zip(vx) {
                out[e] += v * xi;
            }
        }
    }
    /// The adjoint map G ↦ (⟨Sᵢ, G⟩)ᵢ = (Σₑ conj(Sᵢ,ₑ) Gₑ)ᵢ for G of m·n entries
    /// (column-major): O(nnz).
    pub fn adjoint(&self, g: &[C64]) -> Vec<C64> {
        (0..self.len())
            .map(|i| {
                let (ix, vx) = self.column(i);
                ix.iter().zip(vx).map(|(&e, &v)| v.conj() * g[e]).sum()
            })
            .collect()
    }
    /// The dense matrices S₀ … S_{k−1} (for small stacks and tests).
    pub fn to_dense(&self) -> Vec<Tensor> {
        (0..self.len()).filter_map(|i| self.item(i)).collect()
    }
}
