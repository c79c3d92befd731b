//! The vectorized expression graph: nodes are operations on whole scalars, vectors and
//! matrices, in topological order (every node's arguments come before it).

use super::custom::CustomOp;
use crate::model::{Shape, SparseStack, Tensor, Ty};
use num_complex::Complex64 as C64;
use std::collections::HashMap;
use std::sync::Arc;

/// Index of a node in a [`Graph`].
pub type NodeId = usize;

/// How a matrix-product operand is used: as is, transposed, conjugate-transposed or conjugated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trans {
    /// `A`
    N,
    /// `Aᵀ`
    T,
    /// `Aᴴ`
    H,
    /// `conj(A)`
    C,
}

impl Trans {
    /// `op ∘ conj`: the operand conjugated first.
    pub fn conj(self) -> Trans {
        match self {
            Trans::N => Trans::C,
            Trans::C => Trans::N,
            Trans::T => Trans::H,
            Trans::H => Trans::T,
        }
    }
    /// The transpose of the operation's result.
    pub fn transpose(self) -> Trans {
        match self {
            Trans::N => Trans::T,
            Trans::T => Trans::N,
            Trans::H => Trans::C,
            Trans::C => Trans::H,
        }
    }
    /// The conjugate transpose of the operation's result.
    pub fn adjoint(self) -> Trans {
        self.conj().transpose()
    }
    /// Whether the operation swaps rows and columns.
    pub fn swaps(self) -> bool {
        matches!(self, Trans::T | Trans::H)
    }
}

/// Elementwise functions of one argument. Each documents its derivative pair (∂φ/∂u, ∂φ/∂ū).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unary {
    /// conj(u): (0, 1)
    Conj,
    /// Re u: (½, ½)
    Real,
    /// Im u: (−i/2, i/2)
    Imag,
    /// |u|: (ū/2|u|, u/2|u|); at u = 0 the engine uses 0 (a subgradient).
    Abs,
    /// |u|²: (ū, u)
    Abs2,
    /// u/|u| (0 at u = 0); appears in derivative graphs of `abs`.
    Sign,
    /// exp u: holomorphic, φ′ = exp u
    Exp,
    /// log u (principal branch; for real-typed arguments the real logarithm, NaN below 0)
    Log,
    /// √u (principal branch; for real-typed arguments the real root, NaN below 0);
    /// φ′ = 1/(2√u), infinite at 0
    Sqrt,
    /// sin u
    Sin,
    /// cos u
    Cos,
}

impl Unary {
    /// The function's name in the expression language.
    pub fn name(self) -> &'static str {
        match self {
            Unary::Conj => "conj",
            Unary::Real => "real",
            Unary::Imag => "imag",
            Unary::Abs => "abs",
            Unary::Abs2 => "abs2",
            Unary::Sign => "sign",
            Unary::Exp => "exp",
            Unary::Log => "log",
            Unary::Sqrt => "sqrt",
            Unary::Sin => "sin",
            Unary::Cos => "cos",
        }
    }
}

/// Spectral functions of a Hermitian matrix with eigenvalues λ₁ ≥ … ≥ λₙ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Spectral {
    /// λ₁ + … + λ_k (k = 1: λ_max)
    Largest(usize),
    /// λₙ + … + λₙ₋ₖ₊₁ (k = 1: λ_min)
    Smallest(usize),
    /// ½ Σ |λᵢ| (the nuclear norm of A when applied to the embedding [[0, A], [Aᴴ, 0]])
    HalfAbsSum,
}

/// A graph operation. Arguments are listed in [`Node::args`].
#[derive(Clone)]
pub enum Op {
    /// The `i`-th variable (its slice of the parameter vector).
    Var(usize),
    /// The `i`-th seed of a pullback (the adjoint given to a vector–Jacobian product).
    Seed(usize),
    /// A constant.
    Const(Arc<Tensor>),
    /// a + b (same layout)
    Add,
    /// a − b (same layout)
    Sub,
    /// −a
    Neg,
    /// c·a for a constant c
    Scale(C64),
    /// a .* b (same layout)
    EMul,
    /// a ./ b (same layout)
    EDiv,
    /// elementwise function
    Unary(Unary),
    /// elementwise a.^p for a constant exponent p
    PowConst(C64),
    /// scalar → every entry of the shape
    Broadcast(Shape),
    /// sum of all entries → scalar
    Sum,
    /// ‖a‖₂ (Frobenius for matrices), real scalar; its gradient a/‖a‖ is taken as 0 at a = 0
    Norm2,
    /// op_a(a) · op_b(b)
    MatMul(Trans, Trans),
    /// aᵀ (`conj = false`) or aᴴ (`conj = true`)
    Transpose {
        /// whether to conjugate
        conj: bool,
    },
    /// vector → diagonal matrix of the node's shape
    Diag,
    /// matrix → its main diagonal
    DiagOf,
    /// picks entries at column-major positions
    Gather(Arc<Vec<usize>>),
    /// places entries at column-major positions of a zero value of the node's shape (sums repeats)
    Scatter(Arc<Vec<usize>>),
    /// (A + Aᴴ)/2; with `check`, evaluation fails when ‖A − Aᴴ‖_F > 1e-8‖A‖_F
    Herm {
        /// reject arguments that are not Hermitian within tolerance
        check: bool,
    },
    /// [[0, A], [Aᴴ, 0]] for an m×n matrix A
    Embed,
    /// adjoint of `Embed`: G ↦ G₁₂ + G₂₁ᴴ, of the node's shape
    EmbedAdj,
    /// spectral function value of a Hermitian matrix (real scalar)
    SpectralValue(Spectral),
    /// its gradient V diag(f′(λ)) Vᴴ (a Hermitian matrix)
    SpectralGrad(Spectral),
    /// unit eigenvector of the largest eigenvalue (data only)
    EigvecMax,
    /// largest (`true`) or smallest generalized eigenvalue of (A, B), B Hermitian positive definite
    GenEigValue(bool),
    /// v vᴴ for the generalized eigenvector v of that eigenvalue, normalized so that vᴴBv = 1
    /// (the gradient of the eigenvalue is v vᴴ with respect to A and −λ v vᴴ with respect to B)
    GenEigProj(bool),
    /// numpy forward FFT of a vector (unnormalized)
    Fft,
    /// numpy inverse FFT of a vector (1/n)
    Ifft,
    /// Σᵢ x\[i\]·S\[i\] for a sparse stack S and a vector x of length k (a scalar when k = 1):
    /// vec(result) = F x with F the (m·n) × k matrix of the stack ([`SparseStack`])
    Lincomb(Arc<SparseStack>),
    /// its adjoint G ↦ (⟨S\[i\], G⟩)ᵢ = Fᴴ vec(G), a vector of length k (the node's shape)
    StackAdj(Arc<SparseStack>),
    /// a user operation
    Custom(Arc<dyn CustomOp>),
    /// the vector–Jacobian product of a user operation with respect to argument `which`;
    /// args are the operation's inputs followed by the output adjoint
    CustomVjp(Arc<dyn CustomOp>, usize),
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Var(i) => write!(f, "Var({i})"),
            Op::Seed(i) => write!(f, "Seed({i})"),
            Op::Const(t) => write!(f, "Const({})", t.shape()),
            Op::Add => write!(f, "Add"),
            Op::Sub => write!(f, "Sub"),
            Op::Neg => write!(f, "Neg"),
            Op::Scale(c) => write!(f, "Scale({c})"),
            Op::EMul => write!(f, "EMul"),
            Op::EDiv => write!(f, "EDiv"),
            Op::Unary(u) => write!(f, "{}", u.name()),
            Op::PowConst(p) => write!(f, "PowConst({p})"),
            Op::Broadcast(s) => write!(f, "Broadcast({s})"),
            Op::Sum => write!(f, "Sum"),
            Op::Norm2 => write!(f, "Norm2"),
            Op::MatMul(a, b) => write!(f, "MatMul({a:?}, {b:?})"),
            Op::Transpose { conj } => write!(f, "Transpose(conj={conj})"),
            Op::Diag => write!(f, "Diag"),
            Op::DiagOf => write!(f, "DiagOf"),
            Op::Gather(i) => write!(f, "Gather({})", i.len()),
            Op::Scatter(i) => write!(f, "Scatter({})", i.len()),
            Op::Herm { check } => write!(f, "Herm(check={check})"),
            Op::Embed => write!(f, "Embed"),
            Op::EmbedAdj => write!(f, "EmbedAdj"),
            Op::SpectralValue(s) => write!(f, "SpectralValue({s:?})"),
            Op::SpectralGrad(s) => write!(f, "SpectralGrad({s:?})"),
            Op::EigvecMax => write!(f, "EigvecMax"),
            Op::GenEigValue(m) => write!(f, "GenEigValue(max={m})"),
            Op::GenEigProj(m) => write!(f, "GenEigProj(max={m})"),
            Op::Fft => write!(f, "Fft"),
            Op::Ifft => write!(f, "Ifft"),
            Op::Lincomb(s) => write!(f, "Lincomb({} × {})", s.len(), s.shape()),
            Op::StackAdj(s) => write!(f, "StackAdj({} × {})", s.len(), s.shape()),
            Op::Custom(c) => write!(f, "Custom({})", c.name()),
            Op::CustomVjp(c, i) => write!(f, "CustomVjp({}, {i})", c.name()),
        }
    }
}

/// One node: an operation, its arguments and its static type.
#[derive(Clone, Debug)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// Argument node ids (all smaller than this node's id).
    pub args: Vec<NodeId>,
    /// Shape and realness of the node's value.
    pub ty: Ty,
}

/// A graph of whole-array operations in topological order.
///
/// ```
/// use wirtinger::cr::{Graph, Op};
/// use wirtinger::model::{Shape, Ty};
/// let mut g = Graph::default();
/// let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(3)));
/// let a = g.unary(wirtinger::cr::Unary::Abs2, z);
/// let f = g.push(Op::Sum, vec![a], Ty::real(Shape::Scalar));
/// assert_eq!(g.len(), 3);
/// assert!(g.node(f).ty.real);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    /// (A, op) ↦ the constant node holding op(A), see [`Graph::matmul`].
    materialized: HashMap<(NodeId, Trans), NodeId>,
}

/// The shape of aᵀ: a vector becomes a 1×n row, a 1×n row becomes a vector.
fn transposed_shape(s: Shape) -> Shape {
    match s {
        Shape::Vector(n) => Shape::Matrix(1, n),
        s => Shape::of_product(s.cols(), s.rows()),
    }
}

/// Constant left factors of products with at most this many entries (8 MiB of complex data)
/// are stored a second time in the layout their product reads; see [`Graph::matmul`].
///
/// The copy pays while A and the copy stay in the last-level cache together (32 MB on the
/// development machine, shared by two cores). Measured with `norm2sq(A * z - b)`, value and
/// gradient: A of 1000 × 500 (8 MiB): 204 µs with the copy, 226 µs without; A of 2000 × 500
/// (16 MiB, both 32 MiB): 1.15 ms with the copy, 0.55 ms without, since both then stream from
/// memory on every gradient.
pub const MATERIALIZE_ENTRIES: usize = 1 << 19;

impl Graph {
    /// Appends a node and returns its id.
    pub fn push(&mut self, op: Op, args: Vec<NodeId>, ty: Ty) -> NodeId {
        self.nodes.push(Node { op, args, ty });
        self.nodes.len() - 1
    }
    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }
    /// All nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// Marks a node as real-valued (for forms such as zᴴz or zᴴPz with Hermitian P, whose
    /// value is real although their factors are complex).
    pub(crate) fn set_real(&mut self, id: NodeId) {
        self.nodes[id].ty.real = true;
    }
    /// The type of a node.
    pub fn ty(&self, id: NodeId) -> Ty {
        self.nodes[id].ty
    }
    /// The shape of a node.
    pub fn shape(&self, id: NodeId) -> Shape {
        self.nodes[id].ty.shape
    }

    // ---- typed constructors used by lowering and by the adjoint builder ----

    /// A constant.
    pub fn constant(&mut self, t: Tensor, real: bool) -> NodeId {
        let ty = Ty {
            shape: t.shape(),
            real,
        };
        self.push(Op::Const(Arc::new(t)), vec![], ty)
    }
    /// A real scalar constant.
    pub fn real_scalar(&mut self, x: f64) -> NodeId {
        self.constant(Tensor::scalar(C64::new(x, 0.0)), true)
    }
    /// a + b, same layout; the result has a's shape.
    pub fn add(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let ty = Ty {
            shape: self.shape(a),
            real: self.ty(a).real && self.ty(b).real,
        };
        self.push(Op::Add, vec![a, b], ty)
    }
    /// a − b.
    pub fn sub(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let ty = Ty {
            shape: self.shape(a),
            real: self.ty(a).real && self.ty(b).real,
        };
        self.push(Op::Sub, vec![a, b], ty)
    }
    /// −a, simplified as it is built: −(c·x) is (−c)·x and −(constant) is a constant.
    pub fn neg(&mut self, a: NodeId) -> NodeId {
        if matches!(self.nodes[a].op, Op::Scale(_) | Op::Const(_)) {
            return self.scale(C64::new(-1.0, 0.0), a);
        }
        let ty = self.ty(a);
        self.push(Op::Neg, vec![a], ty)
    }
    /// c·a, simplified as it is built: 1·a is a, c·(d·x) is (cd)·x, and c times a constant is
    /// a constant.
    pub fn scale(&mut self, c: C64, a: NodeId) -> NodeId {
        let ty = Ty {
            shape: self.shape(a),
            real: self.ty(a).real && c.im == 0.0,
        };
        if c == C64::new(1.0, 0.0) {
            return a;
        }
        match &self.nodes[a].op {
            Op::Scale(d) => {
                let (cd, x) = (c * d, self.nodes[a].args[0]);
                self.push(Op::Scale(cd), vec![x], ty)
            }
            Op::Const(t) => {
                let data = t.data().iter().map(|v| c * v).collect();
                let value = Tensor::from_parts(t.shape(), data);
                self.constant(value, ty.real)
            }
            _ => self.push(Op::Scale(c), vec![a], ty),
        }
    }
    /// The value of `a` when it is a scalar constant or a constant scalar broadcast.
    fn scalar_const(&self, a: NodeId) -> Option<C64> {
        match &self.nodes[a].op {
            Op::Const(t) if t.data().len() == 1 => Some(t.data()[0]),
            Op::Broadcast(_) => self.scalar_const(self.nodes[a].args[0]),
            _ => None,
        }
    }
    /// a .* b; a scalar constant factor (broadcast or not) becomes [`Graph::scale`].
    pub fn emul(&mut self, a: NodeId, b: NodeId) -> NodeId {
        if self.shape(a) == self.shape(b) {
            if let Some(c) = self.scalar_const(b) {
                return self.scale(c, a);
            }
            if let Some(c) = self.scalar_const(a) {
                return self.scale(c, b);
            }
        }
        let ty = Ty {
            shape: self.shape(a),
            real: self.ty(a).real && self.ty(b).real,
        };
        self.push(Op::EMul, vec![a, b], ty)
    }
    /// a ./ b.
    pub fn ediv(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let ty = Ty {
            shape: self.shape(a),
            real: self.ty(a).real && self.ty(b).real,
        };
        self.push(Op::EDiv, vec![a, b], ty)
    }
    /// An elementwise function.
    pub fn unary(&mut self, u: Unary, a: NodeId) -> NodeId {
        let t = self.ty(a);
        let real = match u {
            Unary::Real | Unary::Imag | Unary::Abs | Unary::Abs2 => true,
            _ => t.real,
        };
        self.push(
            Op::Unary(u),
            vec![a],
            Ty {
                shape: t.shape,
                real,
            },
        )
    }
    /// conj(a), skipped for real a.
    pub fn conj(&mut self, a: NodeId) -> NodeId {
        if self.ty(a).real {
            a
        } else {
            self.unary(Unary::Conj, a)
        }
    }
    /// Re(a), skipped for real a.
    pub fn re(&mut self, a: NodeId) -> NodeId {
        if self.ty(a).real {
            a
        } else {
            self.unary(Unary::Real, a)
        }
    }
    /// a.^p for a constant p (a itself for p = 1).
    pub fn pow_const(&mut self, a: NodeId, p: C64) -> NodeId {
        let t = self.ty(a);
        if p == C64::new(1.0, 0.0) {
            return a;
        }
        self.push(
            Op::PowConst(p),
            vec![a],
            Ty {
                shape: t.shape,
                real: t.real && p.im == 0.0,
            },
        )
    }
    /// A scalar repeated over a shape.
    pub fn broadcast(&mut self, a: NodeId, shape: Shape) -> NodeId {
        if shape.is_scalar() {
            return a;
        }
        let real = self.ty(a).real;
        self.push(Op::Broadcast(shape), vec![a], Ty { shape, real })
    }
    /// The sum of all entries.
    pub fn sum(&mut self, a: NodeId) -> NodeId {
        let real = self.ty(a).real;
        if self.shape(a).is_scalar() {
            return a;
        }
        self.push(
            Op::Sum,
            vec![a],
            Ty {
                shape: Shape::Scalar,
                real,
            },
        )
    }
    /// op_a(a)·op_b(b); the caller has checked inner dimensions. The result is a scalar when
    /// 1×1, a vector when it has one column.
    ///
    /// A scaled factor whose scale is cheaper on the result (op(c·X)·B = c̃·(op(X)·B) with c̃ =
    /// c, or c̄ under a conjugating op, when the result has fewer entries than X) is built as
    /// the scaled product: the gradient of ‖M − zzᴴ‖²_F multiplies −2(M − zzᴴ) by z, and
    /// scaling the n-vector instead of the n×n matrix spares a pass over the matrix and its
    /// tangents.
    pub fn matmul(&mut self, a: NodeId, ta: Trans, b: NodeId, tb: Trans) -> NodeId {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let r = if ta.swaps() { sa.cols() } else { sa.rows() };
        let c = if tb.swaps() { sb.rows() } else { sb.cols() };
        let out = r * c;
        for (x, t, first) in [(a, ta, true), (b, tb, false)] {
            if let Op::Scale(s) = self.nodes[x].op {
                if out < self.shape(x).numel() {
                    let inner = self.nodes[x].args[0];
                    let s = if matches!(t, Trans::C | Trans::H) {
                        s.conj()
                    } else {
                        s
                    };
                    let p = if first {
                        self.matmul(inner, ta, b, tb)
                    } else {
                        self.matmul(a, ta, inner, tb)
                    };
                    return self.scale(s, p);
                }
            }
        }
        // The stored copy holds op(A) itself: the result's shape r × c is unchanged.
        let (a, ta) = self.materialize(a, ta);
        let ty = Ty {
            shape: Shape::of_product(r, c),
            real: self.ty(a).real && self.ty(b).real,
        };
        self.push(Op::MatMul(ta, tb), vec![a, b], ty)
    }

    /// For a constant left factor A used as op(A) ≠ A, a constant holding op(A) itself (made
    /// once per A and op), so that the product reads a column-major matrix as it is stored.
    ///
    /// Every reverse pass through y = Az multiplies by Aᴴ. faer reads Aᴴ of a column-major A
    /// as a row-major matrix, through dot products slower than its column-major kernel on a
    /// stored Aᴴ, and phase retrieval or least squares spend most of their time in these two
    /// products: with this copy (and the folding in [`Graph::scale`]), value and gradient of
    /// phase retrieval at n = 128, m = 576 take 52.5 µs instead of 57.7 µs
    /// (`cargo bench --bench solvers -- phase_retrieval_parts`). The copy costs the constant's
    /// size once more, and is made only up to [`MATERIALIZE_ENTRIES`] entries. Problems make
    /// the copies their gradients read when they are built
    /// ([`super::adjoint::prepare_pullback_copies`]), so that compiles find them here.
    pub(crate) fn materialize(&mut self, a: NodeId, ta: Trans) -> (NodeId, Trans) {
        let Op::Const(t) = &self.nodes[a].op else {
            return (a, ta);
        };
        if ta == Trans::N || t.data().len() > MATERIALIZE_ENTRIES {
            return (a, ta);
        }
        if let Some(&m) = self.materialized.get(&(a, ta)) {
            return (m, Trans::N);
        }
        let conj = matches!(ta, Trans::H | Trans::C);
        let value = if ta.swaps() {
            super::eval::transpose_value(t, conj, transposed_shape(t.shape()))
        } else {
            let data = t.data().iter().map(|v| v.conj()).collect();
            Tensor::from_parts(t.shape(), data)
        };
        let real = self.ty(a).real;
        let m = self.constant(value, real);
        self.materialized.insert((a, ta), m);
        (m, Trans::N)
    }
    /// The constant and operation whose stored copy op(A) is node `copy` (see
    /// [`Graph::matmul`]), if it is one.
    pub(crate) fn materialized_source(&self, copy: NodeId) -> Option<(NodeId, Trans)> {
        self.materialized
            .iter()
            .find(|&(_, &m)| m == copy)
            .map(|(&key, _)| key)
    }
    /// aᵀ or aᴴ: a vector becomes a 1×n row, a 1×n row becomes a vector.
    pub fn transpose(&mut self, a: NodeId, conj: bool) -> NodeId {
        let t = self.ty(a);
        let shape = transposed_shape(t.shape);
        self.push(
            Op::Transpose { conj },
            vec![a],
            Ty {
                shape,
                real: t.real,
            },
        )
    }
    /// Transposes `a` into the exact shape `shape` (used by adjoints to restore input shapes).
    pub fn transpose_to(&mut self, a: NodeId, conj: bool, shape: Shape) -> NodeId {
        let real = self.ty(a).real;
        self.push(Op::Transpose { conj }, vec![a], Ty { shape, real })
    }
    /// Hermitian part (A + Aᴴ)/2.
    pub fn herm(&mut self, a: NodeId, check: bool) -> NodeId {
        let t = self.ty(a);
        self.push(Op::Herm { check }, vec![a], t)
    }
}
