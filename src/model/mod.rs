//! The in-memory problem: variables, data, objective and constraints, as every front end
//! (problem files, the Rust builder) produces it.

mod shape;
mod tensor;

pub use shape::{Shape, Ty};
pub use tensor::Tensor;
