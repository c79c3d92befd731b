//! Degenerate inputs found in the review of this session's code: each must give a clean error
//! or a correct answer (checked against closed forms), never a panic.

use faer::Mat;
use wirtinger::eig::lanczos::{extreme_eigenpairs, EigOptions};
use wirtinger::io::parse_problem;
use wirtinger::solve::{solve, SolveOptions, Status};

/// Options that force the Lanczos path even for small n.
fn forced(nev: usize) -> EigOptions<f64> {
    EigOptions {
        dense_limit: 0,
        ..EigOptions::largest(nev)
    }
}

#[test]
fn lanczos_zero_matrix_gives_zero_eigenvalues() {
    let a = Mat::<f64>::zeros(40, 40);
    let e = extreme_eigenpairs(&a, &forced(2)).unwrap();
    assert!(!e.values.is_empty());
    assert!(e.values.iter().all(|&v| v == 0.0), "{:?}", e.values);
}

#[test]
fn lanczos_more_pairs_than_n() {
    // diag(1, 2, 3): asking for 10 returns the 3 that exist.
    let a = Mat::<f64>::from_fn(3, 3, |i, j| if i == j { (i + 1) as f64 } else { 0.0 });
    let e = extreme_eigenpairs(&a, &forced(10)).unwrap();
    assert_eq!(e.values.len(), 3);
    for (v, x) in e.values.iter().zip([3.0, 2.0, 1.0]) {
        assert!((v - x).abs() < 1e-10, "{:?}", e.values);
    }
}

#[test]
fn lanczos_nan_is_an_error() {
    let mut a = Mat::<f64>::identity(50, 50);
    a[(7, 7)] = f64::NAN;
    assert!(extreme_eigenpairs(&a, &forced(1)).is_err());
    let n1 = Mat::<f64>::from_fn(1, 1, |_, _| f64::INFINITY);
    assert!(extreme_eigenpairs(&n1, &forced(1)).is_err());
}

fn bundle(text: &str) -> Result<wirtinger::solve::Report, String> {
    let p = parse_problem(text, "t.toml".as_ref()).map_err(|d| d.render())?;
    let o = SolveOptions {
        method: Some("spectral_bundle".into()),
        ..Default::default()
    };
    solve(&p, &o).map_err(|e| e.to_string())
}

#[test]
fn bundle_zero_matrices() {
    // λ_max(0 + x·0) = 0 for every x: optimal value 0.
    let r = bundle(
        "[variables]\nx = { type = \"real\", shape = [2] }\n[data]\nZ = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]\n\
         [objective]\nminimize = \"lambda_max(Z + x[0] * Z + x[1] * Z)\"\n",
    );
    let r = r.unwrap();
    assert_eq!(r.status, Status::Optimal, "{}", r.message);
    assert!(r.objective.abs() < 1e-8, "{}", r.objective);
}

#[test]
fn bundle_one_by_one_and_k_at_least_n_are_clear_errors() {
    // λ_max of a 1×1 block, and sum_largest(A, k) with k ≥ n, are the trace: affine, not the
    // method's form. The method must say so (and point to sdp), not panic.
    let one =
        "[variables]\nx = { type = \"real\", shape = [1] }\n[data]\nA = [[1.0]]\nB = [[1.0]]\n\
               [objective]\nminimize = \"lambda_max(A + x[0] * B)\"\n\
               [[constraints]]\nexpr = \"x[0] >= -3\"\n";
    let e = bundle(one).unwrap_err();
    assert!(e.contains("trace") && e.contains("sdp"), "{e}");
    for k in [3, 5] {
        let e = bundle(&format!(
            "[variables]\nx = {{ type = \"real\", shape = [1] }}\n[data]\n\
             A = [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]\n\
             B = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 0.0]]\n\
             [objective]\nminimize = \"sum_largest(A + x[0] * B, {k})\"\n"
        ))
        .unwrap_err();
        let why = if k == 3 {
            "trace"
        } else {
            "between 1 and the matrix size 3"
        };
        assert!(e.contains(why), "k = {k}: {e}");
    }
}
