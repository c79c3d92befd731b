//! The in-memory problem: variables, data, objective and constraints, as every front end
//! (problem files, the Rust builder) produces it.

pub mod builder;
mod problem;
mod shape;
mod stack;
mod tensor;

pub use problem::{Constraint, Problem, Sense, SolverSettings, Variable};
pub use shape::{Shape, Ty};
pub use stack::SparseStack;
pub use tensor::Tensor;
