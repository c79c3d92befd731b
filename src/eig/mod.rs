//! Eigenvalue objectives solved as semidefinite programs (the `sdp` method).
//!
//! - [`affine`]: affine maps x ↦ A₀ + Σ xⱼAⱼ of graph nodes over the real coordinates, by exact
//!   linearization and a checked affinity test;
//! - [`recognize`]: the disciplined-convex check (which problems are SDP-representable);
//! - [`generalized`]: generalized eigenvalues λ(K, M(x)) (quasiconvex) as LMIs and through
//!   the 1/t reparametrization;
//! - [`conic`]: the conic program (epigraphs, LMIs, Hermitian → real embedding, SOCs);
//! - [`sdp`]: the Clarabel run, settings and status mapping;
//! - [`verify`]: every atom recomputed at x*, never `optimal` without it;
//! - [`certificate`]: the dual matrices mapped back to the problem and the optimality identities;
//! - [`spectrum`]: every eigenvalue/singular-value atom's matrix and spectrum at a point;
//! - [`nonsmooth`]: clusters, generalized gradients and directional derivatives at crossings,
//!   nearly defective eigenvalues of non-Hermitian matrices;
//! - `blas`: faer-backed implementations of the Fortran BLAS/LAPACK symbols Clarabel's PSD cones
//!   link against (compiled with the default `faer-blas` cargo feature, left out with
//!   `system-blas`; see `docs/sdp-backend.md`).

#[cfg(all(feature = "faer-blas", not(feature = "system-blas")))]
pub mod blas;

pub mod affine;
pub mod bundle;
pub mod certificate;
pub mod conic;
pub mod generalized;
pub mod lanczos;
pub mod nonsmooth;
pub mod recognize;
pub mod sdp;
pub mod spectrum;
pub mod verify;
