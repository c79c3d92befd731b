//! Shapes and types of values: scalars, column vectors and matrices, real or complex.

use std::fmt;

/// The shape of a value. Vectors are columns: a `Vector(n)` acts as an n×1 matrix in products.
///
/// ```
/// use wirtinger::model::Shape;
/// assert_eq!(Shape::Vector(3).rows(), 3);
/// assert_eq!(Shape::Vector(3).cols(), 1);
/// assert_eq!(Shape::from_dims(&[2, 3]), Some(Shape::Matrix(2, 3)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `[]`
    Scalar,
    /// `[n]`, a column
    Vector(usize),
    /// `[m, n]`
    Matrix(usize, usize),
}

impl Shape {
    /// Rows when seen as a matrix (a scalar is 1×1, a vector n×1).
    pub fn rows(&self) -> usize {
        match *self {
            Shape::Scalar => 1,
            Shape::Vector(n) => n,
            Shape::Matrix(m, _) => m,
        }
    }
    /// Columns when seen as a matrix.
    pub fn cols(&self) -> usize {
        match *self {
            Shape::Matrix(_, n) => n,
            _ => 1,
        }
    }
    /// Number of entries.
    pub fn numel(&self) -> usize {
        self.rows().saturating_mul(self.cols())
    }
    /// The shape of an r×c matrix result: 1×1 is a scalar, r×1 a vector, else a matrix.
    pub fn of_product(r: usize, c: usize) -> Shape {
        if r == 1 && c == 1 {
            Shape::Scalar
        } else if c == 1 {
            Shape::Vector(r)
        } else {
            Shape::Matrix(r, c)
        }
    }
    /// The shape described by a dimension list `[]`, `[n]` or `[m, n]`.
    pub fn from_dims(dims: &[usize]) -> Option<Shape> {
        match dims {
            [] => Some(Shape::Scalar),
            [n] => Some(Shape::Vector(*n)),
            [m, n] => Some(Shape::Matrix(*m, *n)),
            _ => None,
        }
    }
    /// The dimension list of this shape.
    pub fn dims(&self) -> Vec<usize> {
        match *self {
            Shape::Scalar => vec![],
            Shape::Vector(n) => vec![n],
            Shape::Matrix(m, n) => vec![m, n],
        }
    }
    /// Whether two shapes hold the same entries in the same layout (a vector `[n]` and an
    /// `[n, 1]` matrix are the same).
    pub fn same_layout(&self, other: &Shape) -> bool {
        self.rows() == other.rows() && self.cols() == other.cols()
    }
    /// True for `Scalar`.
    pub fn is_scalar(&self) -> bool {
        matches!(self, Shape::Scalar)
    }
    /// True for a square matrix (or a scalar, which is 1×1).
    pub fn is_square(&self) -> bool {
        match *self {
            Shape::Scalar => true,
            Shape::Vector(_) => false,
            Shape::Matrix(m, n) => m == n,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Scalar => write!(f, "[]"),
            Shape::Vector(n) => write!(f, "[{n}]"),
            Shape::Matrix(m, n) => write!(f, "[{m}, {n}]"),
        }
    }
}

/// The static type of an expression: its shape and whether it is real.
///
/// ```
/// use wirtinger::model::{Shape, Ty};
/// let t = Ty::complex(Shape::Vector(4));
/// assert_eq!(t.to_string(), "complex [4]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ty {
    /// The shape.
    pub shape: Shape,
    /// True when every value of this expression is real.
    pub real: bool,
}

impl Ty {
    /// A real type of the given shape.
    pub fn real(shape: Shape) -> Ty {
        Ty { shape, real: true }
    }
    /// A complex type of the given shape.
    pub fn complex(shape: Shape) -> Ty {
        Ty { shape, real: false }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = if self.real { "real" } else { "complex" };
        match self.shape {
            Shape::Scalar => write!(f, "{k} scalar"),
            s => write!(f, "{k} {s}"),
        }
    }
}
