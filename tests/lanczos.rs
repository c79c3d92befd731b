//! The block Lanczos eigensolver against faer's dense Hermitian eigendecomposition, closed
//! forms, and matrices with multiple extreme eigenvalues.

use faer::sparse::{SparseColMat, Triplet};
use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use wirtinger::eig::lanczos::{
    clusters, extreme_eigenpairs, AffineOperator, EigMethod, EigOptions, HermOperator, Scalar,
};

fn unif(r: &mut ChaCha8Rng) -> f64 {
    (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

fn random_real(n: usize, seed: u64) -> Mat<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let g = Mat::from_fn(n, n, |_, _| unif(&mut r));
    Mat::from_fn(n, n, |i, j| g[(i, j)] + g[(j, i)])
}

fn random_herm(n: usize, seed: u64) -> Mat<C64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let g = Mat::from_fn(n, n, |_, _| C64::new(unif(&mut r), unif(&mut r)));
    Mat::from_fn(n, n, |i, j| g[(i, j)] + g[(j, i)].conj())
}

/// Eigenvalues by faer, descending.
fn dense_desc<T: Scalar>(a: &Mat<T>) -> Vec<f64> {
    let mut v: Vec<f64> = a
        .self_adjoint_eigenvalues(Side::Lower)
        .unwrap()
        .into_iter()
        .collect();
    v.reverse();
    v
}

/// ‖A v − λ v‖ and ‖VᴴV − I‖ recomputed here.
fn check_pairs<T: Scalar>(a: &Mat<T>, values: &[f64], v: &Mat<T>, tol: f64) {
    let av = a * v;
    for j in 0..v.ncols() {
        let r: f64 = (0..a.nrows())
            .map(|i| (av[(i, j)] - v[(i, j)].times(values[j])).modulus2())
            .sum::<f64>()
            .sqrt();
        assert!(r < tol, "residual {r} of pair {j}");
    }
    let g = v.adjoint() * v;
    for i in 0..v.ncols() {
        for j in 0..v.ncols() {
            let e = if i == j { 1.0 } else { 0.0 };
            assert!((g[(i, j)].to_c64() - C64::new(e, 0.0)).norm() < 1e-10);
        }
    }
}

#[test]
fn real_largest_and_smallest_against_dense() {
    let n = 320;
    let a = random_real(n, 1);
    let exact = dense_desc(&a);
    let e = extreme_eigenpairs(&a, &EigOptions::largest(5)).unwrap();
    assert_eq!(e.method, EigMethod::Lanczos);
    assert!(e.converged);
    assert_eq!(e.values.len(), 5);
    for i in 0..5 {
        assert!(
            (e.values[i] - exact[i]).abs() < 1e-9 * exact[0].abs(),
            "{i}"
        );
    }
    check_pairs(&a, &e.values, &e.vectors, 1e-8 * exact[0].abs());
    let s = extreme_eigenpairs(&a, &EigOptions::smallest(3)).unwrap();
    assert!(s.converged);
    for i in 0..3 {
        assert!((s.values[i] - exact[n - 1 - i]).abs() < 1e-9 * exact[0].abs());
    }
    check_pairs(&a, &s.values, &s.vectors, 1e-8 * exact[0].abs());
}

#[test]
fn complex_hermitian_against_dense() {
    let n = 260;
    let a = random_herm(n, 2);
    let exact = dense_desc(&a);
    let e = extreme_eigenpairs(&a, &EigOptions::largest(4)).unwrap();
    assert_eq!(e.method, EigMethod::Lanczos);
    assert!(e.converged);
    for i in 0..4 {
        assert!((e.values[i] - exact[i]).abs() < 1e-9 * exact[0].abs());
    }
    check_pairs(&a, &e.values, &e.vectors, 1e-8 * exact[0].abs());
}

/// Q diag(d) Qᴴ with Q from the QR of a random matrix.
fn with_spectrum<T: Scalar>(d: &[f64], seed: u64) -> Mat<T> {
    let n = d.len();
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let g = Mat::<T>::from_fn(n, n, |_, _| {
        T::from_c64(C64::new(
            unif(&mut r),
            if T::REAL { 0.0 } else { unif(&mut r) },
        ))
    });
    let q = g.qr().compute_Q();
    let dq = Mat::<T>::from_fn(n, n, |i, j| q[(i, j)].times(d[j]));
    let a = &dq * q.adjoint();
    Mat::from_fn(n, n, |i, j| (a[(i, j)] + a[(j, i)].conjugate()).times(0.5))
}

#[test]
fn multiple_top_eigenvalue_is_returned_whole() {
    // λ = 5 three times, then 4.9, 4.8, …: nev = 1 must widen to the triple cluster.
    let n = 300;
    let d: Vec<f64> = (0..n)
        .map(|i| {
            if i < 3 {
                5.0
            } else {
                5.0 - 0.1 * (i - 2) as f64 / 3.0
            }
        })
        .collect();
    for seed in [3, 4] {
        let a: Mat<f64> = with_spectrum(&d, seed);
        let e = extreme_eigenpairs(&a, &EigOptions::largest(1)).unwrap();
        assert!(e.converged);
        assert_eq!(e.values.len(), 3, "{:?}", e.values);
        for v in &e.values {
            assert!((v - 5.0).abs() < 1e-9);
        }
        check_pairs(&a, &e.values, &e.vectors, 1e-8);
        assert_eq!(clusters(&e.values, 1e-8), vec![0..3]);
    }
    let c: Mat<C64> = with_spectrum(&d, 5);
    let e = extreme_eigenpairs(&c, &EigOptions::largest(2)).unwrap();
    assert_eq!(e.values.len(), 3);
    check_pairs(&c, &e.values, &e.vectors, 1e-8);
}

#[test]
fn forced_lanczos_on_small_matrix_with_cluster() {
    // Dense switch off: Lanczos on n = 60 with a double smallest eigenvalue.
    let n = 60;
    let d: Vec<f64> = (0..n)
        .map(|i| if i >= n - 2 { -3.0 } else { i as f64 / 7.0 })
        .collect();
    let a: Mat<C64> = with_spectrum(&d, 6);
    let mut o = EigOptions::smallest(1);
    o.dense_limit = 0;
    let e = extreme_eigenpairs(&a, &o).unwrap();
    assert_eq!(e.method, EigMethod::Lanczos);
    assert_eq!(e.values.len(), 2);
    assert!((e.values[0] + 3.0).abs() < 1e-9 && (e.values[1] + 3.0).abs() < 1e-9);
    check_pairs(&a, &e.values, &e.vectors, 1e-8);
    // The dense path gives the same.
    let f = extreme_eigenpairs(&a, &EigOptions::smallest(1)).unwrap();
    assert_eq!(f.method, EigMethod::Dense);
    assert_eq!(f.values.len(), 2);
    assert!((f.values[0] - e.values[0]).abs() < 1e-10);
}

#[test]
fn sparse_path_laplacian_closed_form() {
    // Laplacian of the path on n nodes: eigenvalues 2 − 2cos(πk/n), k = 0..n−1. The top ones
    // are close (relative gaps ~ 1/n²), so keep n moderate and force Lanczos.
    let n = 120;
    let mut t = Vec::new();
    for i in 0..n - 1 {
        t.push(Triplet::new(i, i, 1.0));
        t.push(Triplet::new(i + 1, i + 1, 1.0));
        t.push(Triplet::new(i, i + 1, -1.0));
        t.push(Triplet::new(i + 1, i, -1.0));
    }
    let l = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &t).unwrap();
    let mut o = EigOptions::largest(3);
    o.dense_limit = 0;
    let e = extreme_eigenpairs(&l, &o).unwrap();
    assert!(e.converged, "{:?}", e.residuals);
    for k in 0..3 {
        let exact = 2.0 - 2.0 * (std::f64::consts::PI * (n - 1 - k) as f64 / n as f64).cos();
        assert!(
            (e.values[k] - exact).abs() < 1e-9,
            "{k}: {} vs {exact}",
            e.values[k]
        );
    }
}

#[test]
fn sparse_random_against_dense() {
    // Sparse symmetric: a spread diagonal plus ~5 random off-diagonal pairs per column.
    let n = 2000;
    let mut r = ChaCha8Rng::seed_from_u64(11);
    let mut t = Vec::new();
    for i in 0..n {
        t.push(Triplet::new(i, i, 10.0 * unif(&mut r)));
        for _ in 0..5 {
            let j = (r.next_u64() % n as u64) as usize;
            let v = unif(&mut r);
            t.push(Triplet::new(i, j, v));
            t.push(Triplet::new(j, i, v));
        }
    }
    let s = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &t).unwrap();
    let dense = s.to_dense();
    let exact = dense_desc(&dense);
    let e = extreme_eigenpairs(&s, &EigOptions::largest(4)).unwrap();
    assert!(e.converged);
    assert_eq!(e.values.len(), 4);
    for (i, (v, x)) in e.values.iter().zip(&exact).enumerate() {
        assert!((v - x).abs() < 1e-8, "{i}");
    }
    check_pairs(&dense, &e.values, &e.vectors, 1e-7);
}

#[test]
fn affine_operator_matches_formed_matrix() {
    let n = 240;
    let a0 = random_real(n, 7);
    let a1 = random_real(n, 8);
    let a2 = random_real(n, 9);
    let x = [0.3, -1.2];
    let formed = Mat::from_fn(n, n, |i, j| {
        a0[(i, j)] + x[0] * a1[(i, j)] + x[1] * a2[(i, j)]
    });
    let op = AffineOperator {
        base: &a0 as &dyn HermOperator<f64>,
        terms: vec![(x[0], &a1 as &dyn HermOperator<f64>), (x[1], &a2)],
    };
    let e = extreme_eigenpairs(&op, &EigOptions::largest(2)).unwrap();
    let exact = dense_desc(&formed);
    assert!(e.converged);
    for i in 0..2 {
        assert!((e.values[i] - exact[i]).abs() < 1e-9 * exact[0].abs());
    }
    check_pairs(&formed, &e.values, &e.vectors, 1e-8 * exact[0].abs());
}

#[test]
fn warm_start_needs_fewer_products() {
    let n = 400;
    let a = random_real(n, 10);
    let cold = extreme_eigenpairs(&a, &EigOptions::largest(3)).unwrap();
    let mut o = EigOptions::largest(3);
    o.start = Some(cold.vectors.clone());
    let warm = extreme_eigenpairs(&a, &o).unwrap();
    assert!(warm.converged);
    assert!(
        warm.products < cold.products,
        "{} vs {}",
        warm.products,
        cold.products
    );
    for i in 0..3 {
        assert!((warm.values[i] - cold.values[i]).abs() < 1e-9 * cold.values[0].abs());
    }
}

#[test]
fn empty_and_tiny() {
    let a = Mat::<f64>::zeros(0, 0);
    let e = extreme_eigenpairs(&a, &EigOptions::largest(2)).unwrap();
    assert!(e.values.is_empty());
    let b = Mat::<f64>::from_fn(1, 1, |_, _| 4.0);
    let e = extreme_eigenpairs(&b, &EigOptions::largest(3)).unwrap();
    assert_eq!(e.values, vec![4.0]);
    let nan = Mat::<f64>::from_fn(2, 2, |_, _| f64::NAN);
    assert!(extreme_eigenpairs(&nan, &EigOptions::largest(1)).is_err());
}

/// A huge top cluster (the zero eigenvalues of a disconnected graph's −L) is returned in part
/// when `max_vectors` is set: `max_vectors` orthonormal eigenvectors of the cluster, on both
/// paths; without the cap the dense path returns the whole cluster.
#[test]
fn max_vectors_caps_a_wide_cluster() {
    let n = 300;
    // diag: 120 copies of 5, then 4, 3, … below.
    let d = |i: usize| {
        if i < 120 {
            5.0
        } else {
            4.0 - (i - 120) as f64 * 0.01
        }
    };
    let a = Mat::<f64>::from_fn(n, n, |i, j| if i == j { d(i) } else { 0.0 });
    let whole = extreme_eigenpairs(&a, &EigOptions::largest(2)).unwrap();
    assert_eq!(whole.values.len(), 120);
    for dense_limit in [usize::MAX, 0] {
        let o = EigOptions {
            max_vectors: 7,
            dense_limit,
            ..EigOptions::largest(2)
        };
        let e = extreme_eigenpairs(&a, &o).unwrap();
        assert_eq!(e.values.len(), 7, "dense_limit {dense_limit}");
        assert!(
            e.values.iter().all(|v| (v - 5.0).abs() < 1e-9),
            "{:?}",
            e.values
        );
        // Eigenvectors of the cluster: supported on the first 120 coordinates, orthonormal.
        let g = e.vectors.transpose() * &e.vectors;
        for i in 0..7 {
            for j in 0..7 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((g[(i, j)] - want).abs() < 1e-10);
            }
            let outside: f64 = (120..n).map(|r| e.vectors[(r, i)].powi(2)).sum();
            assert!(outside < 1e-16, "{outside}");
        }
    }
}

/// With `max_vectors` set and few pairs wanted, the dense path computes only those (Householder
/// tridiagonalization, bisection, inverse iteration, back-transformation of the wanted
/// columns): against faer's full decomposition, on random real and complex matrices and on
/// spectra with an exact triple and a near-cluster (separations 1e-9) at the wanted end; the
/// residuals ‖Av − λv‖ and the orthonormality recomputed here.
#[test]
fn partial_dense_path_matches_the_full_decomposition() {
    let n = 240;
    fn opts<T: Scalar>(largest: bool) -> EigOptions<T> {
        EigOptions {
            max_vectors: 12,
            dense_limit: usize::MAX,
            ..if largest {
                EigOptions::largest(3)
            } else {
                EigOptions::smallest(3)
            }
        }
    }
    let check = |values: &[f64], want_desc: &[f64], largest: bool| {
        let scale = want_desc[0].abs().max(want_desc[n - 1].abs());
        for (k, v) in values.iter().enumerate() {
            let w = if largest {
                want_desc[k]
            } else {
                want_desc[n - 1 - k]
            };
            assert!((v - w).abs() < 1e-12 * scale, "value {k}: {v} vs {w}");
        }
    };
    for largest in [true, false] {
        let a = random_real(n, 31);
        let e = extreme_eigenpairs(&a, &opts(largest)).unwrap();
        assert_eq!((e.method, e.values.len()), (EigMethod::Dense, 3));
        assert!(e.converged);
        check(&e.values, &dense_desc(&a), largest);
        check_pairs(&a, &e.values, &e.vectors, 1e-10 * 40.0);
        let c = random_herm(n, 32);
        let e = extreme_eigenpairs(&c, &opts(largest)).unwrap();
        assert!(e.converged);
        check(&e.values, &dense_desc(&c), largest);
        check_pairs(&c, &e.values, &e.vectors, 1e-10 * 40.0);
    }
    // An exact triple, then ten eigenvalues 1e-9 apart, at both ends.
    let d: Vec<f64> = (0..n)
        .map(|i| match i {
            0..=2 => 3.0,
            3..=12 => 2.0 - 1e-9 * i as f64,
            _ if i >= n - 3 => -3.0,
            _ => 1.0 - 2.0 * i as f64 / n as f64,
        })
        .collect();
    for seed in [41, 42] {
        let a: Mat<f64> = with_spectrum(&d, seed);
        let c: Mat<C64> = with_spectrum(&d, seed);
        let want = dense_desc(&a);
        let e = extreme_eigenpairs(&a, &opts(true)).unwrap();
        assert_eq!(e.values.len(), 3);
        check(&e.values, &want, true);
        check_pairs(&a, &e.values, &e.vectors, 1e-12);
        let e = extreme_eigenpairs(&a, &opts(false)).unwrap();
        assert_eq!(e.values.len(), 3);
        check(&e.values, &want, false);
        check_pairs(&a, &e.values, &e.vectors, 1e-12);
        // nev = 5 ends inside the near-cluster: widened to all of it (13 of the 12 + 1
        // computed exceeds the cap, so the cap's 12 come back).
        let o = EigOptions {
            max_vectors: 12,
            dense_limit: usize::MAX,
            ..EigOptions::largest(5)
        };
        let e = extreme_eigenpairs(&c, &o).unwrap();
        assert_eq!(e.values.len(), 12, "{:?}", e.values);
        check(&e.values, &dense_desc(&c), true);
        check_pairs(&c, &e.values, &e.vectors, 1e-12);
    }
}
