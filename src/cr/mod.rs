//! The CR-calculus engine on a vectorized expression graph.
//!
//! - [`Graph`]: whole-array operations in topological order;
//! - [`Function`]: value, gradient g = 2∂f/∂z̄ (reverse mode, as a graph transformation),
//!   H v + K conj(v) (forward over reverse) and the dense pair (H, K) with all directions at once;
//! - [`LeastSquares`]: residuals and both Jacobians J = ∂r/∂z, J̃ = ∂r/∂z̄;
//! - [`CustomOp`]: user operations with their own JVP and VJP rules;
//! - [`check_derivatives`]: finite-difference check of gradients and Hessian–vector products.
//!
//! Non-differentiable points: `abs` at 0 and `sqrt` at 0 (and `log` at 0) follow the formulas,
//! except that `abs` uses the subgradient 0 at 0 and `sign` is 0 at 0; √ at 0 gives an infinite
//! derivative (as in JAX and PyTorch). Eigenvalue functions at a crossing return the gradient
//! built from the eigenvectors the eigensolver returns (an element of the generalized gradient)
//! and drop the divided differences of tied eigenvalues from second derivatives.

mod adjoint;
mod check;
mod coords;
mod custom;
mod eval;
mod function;
mod graph;
mod linalg;
mod lsq;
mod objective;
mod row_fusion;
mod row_kernel;
pub mod sparse;
mod tangent;

pub use adjoint::{active_nodes, prepare_pullback_copies, pullback};
pub use check::{check_derivatives, random_point, CheckReport, GRADIENT_TOL, HESSIAN_TOL};
pub use coords::Coords;
pub use custom::CustomOp;
pub use eval::{
    evaluate, evaluate_outputs, hermitian_defect, normalize_phase, EvalError, Values, HERMITIAN_TOL,
};
/// Entries per node in one tangent batch of the dense Hessian assembly (memory budget).
pub use function::TANGENT_ENTRIES;
pub use function::{layout, split_point, Function, VarInfo};
pub use graph::{Graph, Node, NodeId, Op, Spectral, Trans, Unary, MATERIALIZE_ENTRIES};
pub use linalg::{herm_eig, HermEig};
pub use lsq::{LeastSquares, ResidualPiece};
/// v ↦ H v + K conj(v) at a fixed point ([`Objective::hvp_at`]).
pub use objective::HvpAt;
pub use objective::{hvp_columns, Objective};
pub(crate) use row_kernel::available as simd_available;
pub use tangent::{propagate, propagate_tangents, Batch, Tangent};
