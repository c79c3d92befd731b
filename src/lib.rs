#![warn(missing_docs)]
//! # wirtinger
//!
//! Optimization of real-valued objectives of complex variables with CR (Wirtinger) calculus.
//!
//! Conventions (see `docs/conventions.md`): the gradient is g = 2∂f/∂z̄ = ∂f/∂x + i∂f/∂y, the
//! inner product ⟨a, b⟩ = Re(aᴴb), and the Hessian is the widely-linear pair (H, K) with
//! dg = H dz + K conj(dz).

pub mod cr;
pub mod eig;
pub mod error;
pub mod expr;
pub mod io;
pub mod malloc;
pub mod model;
mod rng;
pub mod solve;

pub use error::{Diagnostic, Error};
