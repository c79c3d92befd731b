//! Dense values: a shape and its entries in column-major order.

use super::shape::Shape;
use faer::{MatMut, MatRef};
use num_complex::Complex64 as C64;

/// A dense value in column-major order. Real values are stored with zero imaginary parts.
///
/// ```
/// use wirtinger::model::{Shape, Tensor};
/// use num_complex::Complex64 as C64;
/// let a = Tensor::from_real(Shape::Matrix(2, 2), &[1.0, 2.0, 3.0, 4.0]); // columns [1,2], [3,4]
/// assert_eq!(a.get(0, 1), C64::new(3.0, 0.0));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Shape,
    data: Vec<C64>,
}

impl Tensor {
    /// A tensor from its shape and column-major data. Returns `None` when the length does not match.
    pub fn new(shape: Shape, data: Vec<C64>) -> Option<Tensor> {
        (data.len() == shape.numel()).then_some(Tensor { shape, data })
    }
    /// A tensor from data whose length the caller has checked against the shape.
    pub(crate) fn from_parts(shape: Shape, data: Vec<C64>) -> Tensor {
        debug_assert_eq!(data.len(), shape.numel());
        Tensor { shape, data }
    }
    /// Zeros.
    pub fn zeros(shape: Shape) -> Tensor {
        Tensor {
            shape,
            data: vec![C64::new(0.0, 0.0); shape.numel()],
        }
    }
    /// A complex scalar.
    pub fn scalar(v: C64) -> Tensor {
        Tensor {
            shape: Shape::Scalar,
            data: vec![v],
        }
    }
    /// A tensor from real column-major data (panics never; extra or missing entries are zero-filled
    /// or cut, so callers pass `shape.numel()` entries).
    pub fn from_real(shape: Shape, re: &[f64]) -> Tensor {
        let mut data: Vec<C64> = re.iter().map(|&x| C64::new(x, 0.0)).collect();
        data.resize(shape.numel(), C64::new(0.0, 0.0));
        Tensor { shape, data }
    }
    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }
    /// The entries, column-major.
    pub fn data(&self) -> &[C64] {
        &self.data
    }
    /// Mutable entries, column-major.
    pub fn data_mut(&mut self) -> &mut [C64] {
        &mut self.data
    }
    /// Consumes the tensor, returning its entries.
    pub fn into_data(self) -> Vec<C64> {
        self.data
    }
    /// Entry (i, j) of the matrix view.
    pub fn get(&self, i: usize, j: usize) -> C64 {
        self.data[i + j * self.shape.rows()]
    }
    /// The matrix view (a vector is a column, a scalar 1×1).
    pub fn as_mat(&self) -> MatRef<'_, C64> {
        MatRef::from_column_major_slice(&self.data, self.shape.rows(), self.shape.cols())
    }
    /// The mutable matrix view.
    pub fn as_mat_mut(&mut self) -> MatMut<'_, C64> {
        let (r, c) = (self.shape.rows(), self.shape.cols());
        MatMut::from_column_major_slice_mut(&mut self.data, r, c)
    }
    /// True when every entry is finite.
    pub fn is_finite(&self) -> bool {
        self.data
            .iter()
            .all(|z| z.re.is_finite() && z.im.is_finite())
    }
    /// True when every imaginary part is zero.
    pub fn is_real(&self) -> bool {
        self.data.iter().all(|z| z.im == 0.0)
    }
    /// The same entries seen with another shape of equal size.
    pub fn reshaped(self, shape: Shape) -> Option<Tensor> {
        (shape.numel() == self.data.len()).then_some(Tensor {
            shape,
            data: self.data,
        })
    }
    /// Copies a matrix view into a tensor of the given shape (whose rows×cols must match).
    pub fn from_mat(shape: Shape, m: MatRef<'_, C64>) -> Tensor {
        let mut data = Vec::with_capacity(m.nrows() * m.ncols());
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                data.push(m[(i, j)]);
            }
        }
        Tensor { shape, data }
    }
}
