//! The linear systems of the second-order methods (src/solve/system.rs): the column-wise real
//! embedding of (H, K) against the entry-by-entry definition and against the widely-linear map
//! dz ↦ H dz + K conj(dz) itself, and the shifted Cholesky solve against the residual of the
//! system it solves.

use faer::Mat;
use num_complex::Complex64 as C64;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wirtinger::solve::system::{coords, embed_pair, embed_pair_reference, System};

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

fn random_mat(n: usize, rng: &mut ChaCha8Rng) -> Mat<C64> {
    Mat::from_fn(n, n, |_, _| C64::new(uniform(rng), uniform(rng)))
}

/// A random Hermitian H and complex-symmetric K (a valid Hessian pair).
fn random_pair(n: usize, rng: &mut ChaCha8Rng) -> (Mat<C64>, Mat<C64>) {
    let a = random_mat(n, rng);
    let b = random_mat(n, rng);
    let h = Mat::from_fn(n, n, |i, j| (a[(i, j)] + a[(j, i)].conj()) * 0.5);
    let k = Mat::from_fn(n, n, |i, j| (b[(i, j)] + b[(j, i)]) * 0.5);
    (h, k)
}

fn masks(n: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<bool>> {
    vec![
        vec![false; n],
        vec![true; n],
        (0..n).map(|_| rng.next_u32().is_multiple_of(3)).collect(),
    ]
}

fn real_of(s: &System) -> (&Mat<f64>, &[wirtinger::solve::system::Coord]) {
    match s {
        System::Real(m, c) => (m, c),
        System::Complex(_) => panic!("expected the real system"),
    }
}

#[test]
fn tiled_embedding_equals_the_entry_by_entry_definition() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // Sizes around the symmetrization tile (32) and its multiples, and unsymmetric inputs (the
    // symmetrization must average the same two entries).
    for n in [1, 2, 5, 16, 17, 31, 32, 33, 50, 70] {
        for mask in masks(n, &mut rng) {
            let (h, k) = (random_mat(n, &mut rng), random_mat(n, &mut rng));
            let fast = embed_pair(&h, &k, &mask);
            let slow = embed_pair_reference(&h, &k, &mask);
            let ((a, ca), (b, cb)) = (real_of(&fast), real_of(&slow));
            assert_eq!(ca, cb);
            assert_eq!(a.nrows(), b.nrows());
            // The definition averages (R) and its transpose; the construction averages the
            // pair first: equal to rounding (a few ulps of the four summands), and exactly
            // symmetric.
            let scale = h.norm_max() + k.norm_max();
            for j in 0..a.ncols() {
                for i in 0..a.nrows() {
                    assert!(
                        (a[(i, j)] - b[(i, j)]).abs() <= 4.0 * f64::EPSILON * scale,
                        "n = {n}, mask {mask:?}, entry ({i}, {j}): {} vs {}",
                        a[(i, j)],
                        b[(i, j)]
                    );
                    assert_eq!(a[(i, j)], a[(j, i)], "n = {n}, mask {mask:?}, ({i}, {j})");
                }
            }
        }
    }
}

#[test]
fn embedding_is_the_real_form_of_the_widely_linear_map() {
    // For a Hessian pair, R x = [Re dg; Im dg] on the active coordinates, dg = H dz + K conj(dz),
    // dz = x on the coordinates (real parts only for real variables, whose H and K columns each
    // hold half the real Hessian column: there dz is real and dg = (H + K) dx).
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for n in [1, 3, 40] {
        for mask in masks(n, &mut rng) {
            let (h, k) = random_pair(n, &mut rng);
            let sys = embed_pair(&h, &k, &mask);
            let (r, c) = real_of(&sys);
            assert_eq!(c, coords(&mask).as_slice());
            let x: Vec<f64> = (0..c.len()).map(|_| uniform(&mut rng)).collect();
            let mut dz = vec![C64::new(0.0, 0.0); n];
            for (cd, &v) in c.iter().zip(&x) {
                if cd.im {
                    dz[cd.i].im = v;
                } else {
                    dz[cd.i].re = v;
                }
            }
            let dg: Vec<C64> = (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| h[(i, j)] * dz[j] + k[(i, j)] * dz[j].conj())
                        .sum()
                })
                .collect();
            for (row, cd) in c.iter().enumerate() {
                let rx: f64 = (0..c.len()).map(|col| r[(row, col)] * x[col]).sum();
                let want = if cd.im { dg[cd.i].im } else { dg[cd.i].re };
                assert!(
                    (rx - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "n = {n}, row {row}: {rx} vs {want}"
                );
            }
        }
    }
}

#[test]
fn shifted_solve_satisfies_its_system_and_refuses_indefinite_matrices() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let n = 45;
    let (h, k) = random_pair(n, &mut rng);
    let g: Vec<C64> = (0..n)
        .map(|_| C64::new(uniform(&mut rng), uniform(&mut rng)))
        .collect();
    for system in [
        System::from_pair(h.clone(), k.clone(), &vec![false; n], false),
        System::from_pair(h.clone(), Mat::zeros(n, n), &vec![false; n], false),
    ] {
        // A random pair is indefinite: plain Cholesky must fail, a shift beyond the spectrum
        // (Gershgorin: s·dim bounds every |eigenvalue| by the largest absolute row sum) must
        // succeed and give (A + μI)Δ = −g.
        assert!(system.solve_shifted(&g, 0.0).is_none());
        let mu = 6.0 * n as f64;
        let d = system
            .solve_shifted(&g, mu)
            .expect("A + μI is positive definite");
        // Residual through the widely-linear map: H Δ + K conj(Δ) + μΔ + g (K = 0 for the
        // complex system).
        let kk = match &system {
            System::Complex(_) => Mat::zeros(n, n),
            System::Real(..) => k.clone(),
        };
        for i in 0..n {
            let lhs: C64 = (0..n)
                .map(|j| h[(i, j)] * d[j] + kk[(i, j)] * d[j].conj())
                .sum::<C64>()
                + d[i] * mu
                + g[i];
            assert!(lhs.norm() <= 1e-12 * n as f64, "row {i}: residual {lhs}");
        }
    }
}

#[test]
fn from_pair_chooses_the_hermitian_system_exactly_when_k_is_negligible() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let n = 40;
    let (h, k) = random_pair(n, &mut rng);
    let mask = vec![false; n];
    // ‖K‖ ≤ 1e-14‖H‖ (here about 1e-16 relative, nonzero): the n×n Hermitian system, H itself.
    let tiny = Mat::from_fn(n, n, |i, j| k[(i, j)] * 1e-16);
    match System::from_pair(h.clone(), tiny, &mask, false) {
        System::Complex(a) => {
            for j in 0..n {
                for i in 0..n {
                    assert_eq!(a[(i, j)], h[(i, j)], "({i}, {j})");
                }
            }
        }
        System::Real(..) => panic!("a negligible K must give the Hermitian system"),
    }
    // A relevant K (1e-6 relative): the real system, the same matrix as `embed_pair`.
    let small = Mat::from_fn(n, n, |i, j| k[(i, j)] * 1e-6);
    let chosen = System::from_pair(h.clone(), small.clone(), &mask, false);
    let embedded = embed_pair(&h, &small, &mask);
    let ((a, _), (b, _)) = (real_of(&chosen), real_of(&embedded));
    for j in 0..2 * n {
        for i in 0..2 * n {
            assert_eq!(a[(i, j)], b[(i, j)], "({i}, {j})");
        }
    }
}
