//! Clarabel's PSD cone on our faer-backed BLAS/LAPACK symbols: SDPs with PSD blocks of size
//! n ≥ 4 (smaller blocks never reach BLAS), solved with Clarabel's faer KKT solver, checked
//! against faer's eigenvalues to 1e-7.
//!
//! Clarabel's form: minimize ½xᵀPx + qᵀx subject to A·x + s = b, s ∈ K. Its
//! `PSDTriangleConeT(n)` holds svec(S): the upper triangle column by column, off-diagonal
//! entries times √2, so that ⟨svec(X), svec(Y)⟩ = tr(XY).
#![cfg(all(feature = "faer-blas", not(feature = "system-blas")))]

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus,
    SupportedConeT::{PSDTriangleConeT, ZeroConeT},
};
use faer::{Mat, Side};

/// Deterministic pseudo-random symmetric matrix with entries in [−2, 2).
fn rand_sym(n: usize, seed: u64) -> Mat<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let a = Mat::from_fn(n, n, |_, _| next());
    Mat::from_fn(n, n, |i, j| a[(i, j)] + a[(j, i)])
}

/// svec: upper triangle column by column, off-diagonals × √2.
fn svec(x: &Mat<f64>) -> Vec<f64> {
    let n = x.nrows();
    let mut v = Vec::with_capacity(n * (n + 1) / 2);
    for j in 0..n {
        for i in 0..=j {
            v.push(if i == j {
                x[(i, i)]
            } else {
                std::f64::consts::SQRT_2 * x[(i, j)]
            });
        }
    }
    v
}

/// Inverse of [`svec`].
fn smat(v: &[f64], n: usize) -> Mat<f64> {
    let mut x = Mat::zeros(n, n);
    let mut k = 0;
    for j in 0..n {
        for i in 0..=j {
            let value = if i == j {
                v[k]
            } else {
                v[k] / std::f64::consts::SQRT_2
            };
            x[(i, j)] = value;
            x[(j, i)] = value;
            k += 1;
        }
    }
    x
}

/// A dense CSC matrix from its columns.
fn csc_from_columns(nrows: usize, cols: &[Vec<f64>]) -> CscMatrix<f64> {
    let (mut colptr, mut rowval, mut nzval) = (vec![0], vec![], vec![]);
    for col in cols {
        assert_eq!(col.len(), nrows);
        for (i, &v) in col.iter().enumerate() {
            if v != 0.0 {
                rowval.push(i);
                nzval.push(v);
            }
        }
        colptr.push(rowval.len());
    }
    CscMatrix::new(nrows, cols.len(), colptr, rowval, nzval)
}

fn settings() -> DefaultSettings<f64> {
    // Make sure the faer-backed symbols are in the link whatever the linker.
    wirtinger::eig::blas::ensure_linked();
    DefaultSettingsBuilder::default()
        .direct_solve_method("faer".to_owned())
        .verbose(false)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .expect("valid settings")
}

fn eigenvalues(a: &Mat<f64>) -> Vec<f64> {
    a.self_adjoint_eigenvalues(Side::Lower).expect("faer evd")
}

fn assert_rel(got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{got} vs {want} (diff {:e})",
        got - want
    );
}

/// min t s.t. t·I − C ⪰ 0: the optimum is λ_max(C).
#[test]
fn lambda_max_of_a_fixed_5x5_matrix() {
    let n = 5;
    let c = rand_sym(n, 1);
    let dim = n * (n + 1) / 2;
    // s = b − A·t = svec(t·I − C): b = −svec(C), A = −svec(I).
    let b: Vec<f64> = svec(&c).iter().map(|v| -v).collect();
    let a_col: Vec<f64> = svec(&Mat::identity(n, n)).iter().map(|v| -v).collect();
    let a = csc_from_columns(dim, &[a_col]);
    let p = CscMatrix::zeros((1, 1));
    let q = [1.0];
    let cones = [PSDTriangleConeT(n)];
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings()).expect("solver");
    solver.solve();
    assert_eq!(solver.solution.status, SolverStatus::Solved);
    let lmax = *eigenvalues(&c).last().unwrap();
    assert_rel(solver.solution.x[0], lmax, 1e-7);
    assert_rel(solver.solution.obj_val, lmax, 1e-7);
}

/// min tr(C·X) s.t. tr(X) = 1, X ⪰ 0: the optimum is λ_min(C), attained at X = v·vᵀ for the
/// corresponding unit eigenvector v.
#[test]
fn trace_constrained_minimum_is_lambda_min() {
    let n = 6;
    let c = rand_sym(n, 2);
    let dim = n * (n + 1) / 2;
    let q = svec(&c);
    // Rows 0..dim: −svec(X) + s = 0, s ∈ PSD. Row dim: tr(X) + s = 1, s ∈ {0}.
    let trace_row = svec(&Mat::identity(n, n));
    let cols: Vec<Vec<f64>> = (0..dim)
        .map(|k| {
            let mut col = vec![0.0; dim + 1];
            col[k] = -1.0;
            col[dim] = trace_row[k];
            col
        })
        .collect();
    let a = csc_from_columns(dim + 1, &cols);
    let mut b = vec![0.0; dim + 1];
    b[dim] = 1.0;
    let p = CscMatrix::zeros((dim, dim));
    let cones = [PSDTriangleConeT(n), ZeroConeT(1)];
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings()).expect("solver");
    solver.solve();
    assert_eq!(solver.solution.status, SolverStatus::Solved);

    let evd = c.self_adjoint_eigen(Side::Lower).expect("faer evd");
    let lmin = evd.S().column_vector()[0];
    assert_rel(solver.solution.obj_val, lmin, 1e-7);
    // X* ≈ v·vᵀ: ⟨X*, v·vᵀ⟩ = vᵀX*v ≈ 1 = tr X*.
    let x = smat(&solver.solution.x, n);
    let v = evd.U().col(0);
    let vxv = v.transpose() * &x * v;
    assert_rel(vxv, 1.0, 1e-6);
}

/// min λ_max(A₀ + Σᵢ xᵢ·Aᵢ) over x ∈ ℝ³ with n = 12: the value at the solution equals faer's
/// λ_max there, and the dual matrix Z is the optimality certificate
/// (Z ⪰ 0, tr Z = 1, ⟨Aᵢ, Z⟩ = 0, ⟨A₀, Z⟩ = optimum).
#[test]
fn affine_lambda_max_with_dual_certificate() {
    let n = 12;
    let k = 3;
    let mats: Vec<Mat<f64>> = (0..=k).map(|i| rand_sym(n, 10 + i as u64)).collect();
    let dim = n * (n + 1) / 2;
    // Variables (t, x₁, …, x_k); s = svec(t·I − A₀ − Σ xᵢAᵢ) = b − A·(t, x).
    let b: Vec<f64> = svec(&mats[0]).iter().map(|v| -v).collect();
    let mut cols = vec![svec(&Mat::identity(n, n))
        .iter()
        .map(|v| -v)
        .collect::<Vec<_>>()];
    cols.extend(mats[1..].iter().map(svec));
    let a = csc_from_columns(dim, &cols);
    let p = CscMatrix::zeros((k + 1, k + 1));
    let mut q = vec![0.0; k + 1];
    q[0] = 1.0;
    let cones = [PSDTriangleConeT(n)];
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings()).expect("solver");
    solver.solve();
    assert_eq!(solver.solution.status, SolverStatus::Solved);

    let x = &solver.solution.x;
    let mut ax = mats[0].clone();
    for i in 1..=k {
        ax += faer::Scale(x[i]) * &mats[i];
    }
    let lmax = *eigenvalues(&ax).last().unwrap();
    assert_rel(x[0], lmax, 1e-7);
    assert_rel(solver.solution.obj_val, lmax, 1e-7);

    let z = smat(&solver.solution.z, n);
    let z_eigs = eigenvalues(&z);
    assert!(
        z_eigs[0] >= -1e-8,
        "Z ⪰ 0: smallest eigenvalue {}",
        z_eigs[0]
    );
    assert_rel((0..n).map(|i| z[(i, i)]).sum(), 1.0, 1e-7);
    let inner = |m: &Mat<f64>| -> f64 {
        (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| m[(i, j)] * z[(i, j)])
            .sum()
    };
    for ai in &mats[1..] {
        assert!(inner(ai).abs() <= 1e-7, "⟨Aᵢ, Z⟩ = {}", inner(ai));
    }
    assert_rel(inner(&mats[0]), lmax, 1e-7);
}
