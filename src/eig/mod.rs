//! Eigenvalue objectives solved as semidefinite programs.
//!
//! For now this module holds the numerical backend that Clarabel's positive-semidefinite cones
//! link against: [`blas`], faer-backed implementations of the Fortran BLAS/LAPACK symbols
//! Clarabel calls (compiled with the default `faer-blas` cargo feature, left out with
//! `system-blas`; see `docs/sdp-backend.md`).

#[cfg(all(feature = "faer-blas", not(feature = "system-blas")))]
pub mod blas;
