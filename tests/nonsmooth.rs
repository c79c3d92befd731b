//! Nonsmooth analysis (issue 4, item 5): directional derivatives at constructed multiple
//! eigenvalues against one-sided finite differences (λ(x + t d) − λ(x))/t computed here with
//! faer's eigensolver/SVD on the perturbed matrix, generalized-gradient matrices against a
//! hand computation, and nearly defective eigenvalues of non-Hermitian matrices.

use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use wirtinger::eig::nonsmooth::{analyze, analyze_matrix, MatrixAnalysis, Options};
use wirtinger::io::parse_problem;

fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

fn rand_mat(m: usize, n: usize, seed: u64) -> Mat<f64> {
    let mut r = rng(seed);
    Mat::from_fn(m, n, |_, _| r())
}

/// An orthogonal matrix: the Q factor of a random matrix.
fn orthogonal(n: usize, seed: u64) -> Mat<f64> {
    rand_mat(n, n, seed).qr().compute_Q()
}

fn toml_real(m: &Mat<f64>) -> String {
    let rows: Vec<String> = (0..m.nrows())
        .map(|i| {
            let r: Vec<String> = (0..m.ncols()).map(|j| format!("{:?}", m[(i, j)])).collect();
            format!("[{}]", r.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

fn toml_complex(m: &Mat<C64>) -> String {
    let part = |im: bool| {
        toml_real(&Mat::from_fn(m.nrows(), m.ncols(), |i, j| {
            if im {
                m[(i, j)].im
            } else {
                m[(i, j)].re
            }
        }))
    };
    format!("{{ re = {}, im = {} }}", part(false), part(true))
}

fn eig_desc(m: &Mat<C64>) -> Vec<f64> {
    let mut v = m.self_adjoint_eigenvalues(Side::Lower).unwrap();
    v.reverse();
    v
}

/// φ of the descending eigenvalues for each atom used below.
fn phi(name: &str, l: &[f64]) -> f64 {
    let n = l.len();
    match name {
        "lambda_max" => l[0],
        "sum_largest2" => l[0] + l[1],
        "sum_largest4" => l[..4].iter().sum(),
        "lambda_min" => l[n - 1],
        "sum_smallest3" => l[n - 3..].iter().sum(),
        _ => unreachable!(),
    }
}

/// Checks φ′(x; d) from the analysis against (φ(M + tṀ) − φ(M))/t for t = 1e-7 (the error of a
/// one-sided difference is O(t), here about 1e-6 at most; rounding adds ~1e-9).
fn check_fd(name: &str, analytic: f64, m0: &Mat<C64>, md: &Mat<C64>) {
    let t = 1e-7;
    let base = phi(name, &eig_desc(m0));
    let moved = m0 + md * faer::Scale(C64::new(t, 0.0));
    let fd = (phi(name, &eig_desc(&moved)) - base) / t;
    assert!(
        (fd - analytic).abs() <= 1e-5 * (1.0 + analytic.abs()),
        "{name}: analysis {analytic}, finite difference {fd}"
    );
}

/// A₀ = Q diag(2, 2, 2, 0.5, −1, −1) Qᵀ (a triple top eigenvalue and a double bottom one),
/// A(x) = A₀ + Σ xᵢAᵢ with random symmetric Aᵢ, at x = 0, along random directions.
#[test]
fn directional_derivatives_at_a_triple_eigenvalue() {
    let n = 6;
    let q = orthogonal(n, 11);
    let d = Mat::from_fn(n, n, |i, j| {
        if i == j {
            [2.0, 2.0, 2.0, 0.5, -1.0, -1.0][i]
        } else {
            0.0
        }
    });
    let a0 = &q * &d * q.transpose();
    let a0 = Mat::from_fn(n, n, |i, j| 0.5 * (a0[(i, j)] + a0[(j, i)]));
    let ai: Vec<Mat<f64>> = (0..3)
        .map(|k| {
            let r = rand_mat(n, n, 20 + k);
            Mat::from_fn(n, n, |i, j| r[(i, j)] + r[(j, i)])
        })
        .collect();
    let m = "(A0 + x[0] * A1 + x[1] * A2 + x[2] * A3)";
    let text = format!(
        "[data]\nA0 = {}\nA1 = {}\nA2 = {}\nA3 = {}\n[variables]\nx = {{ type = \"real\", shape = [3] }}\n[objective]\nminimize = \"lambda_max({m}) + sum_largest({m}, 2) + sum_largest({m}, 4) - lambda_min({m}) - sum_smallest({m}, 3)\"\n",
        toml_real(&a0),
        toml_real(&ai[0]),
        toml_real(&ai[1]),
        toml_real(&ai[2]),
    );
    let p = parse_problem(&text, "t.toml".as_ref()).unwrap();
    let an = analyze(&p, &p.initial_point(), &Options::default()).unwrap();
    let names = [
        "lambda_max",
        "sum_largest2",
        "sum_largest4",
        "lambda_min",
        "sum_smallest3",
    ];
    assert_eq!(an.atoms.len(), 5);
    let h = an.atoms[0].hermitian.as_ref().unwrap();
    let mults: Vec<usize> = h.clusters.iter().map(|c| c.multiplicity()).collect();
    assert_eq!(mults, vec![3, 1, 2]);
    let smooth: Vec<bool> = an.atoms.iter().map(|a| a.smooth).collect();
    // λ_max splits the triple; top-2 splits it; top-4 takes it whole plus the simple 0.5;
    // λ_min splits the double; bottom-3 takes the double whole plus 0.5.
    assert_eq!(smooth, vec![false, false, true, false, true]);
    let m0 = Mat::from_fn(n, n, |i, j| C64::new(a0[(i, j)], 0.0));
    let mut r = rng(5);
    for _ in 0..4 {
        let dir: Vec<f64> = (0..3).map(|_| r()).collect();
        let md = Mat::from_fn(n, n, |i, j| {
            C64::new((0..3).map(|k| dir[k] * ai[k][(i, j)]).sum::<f64>(), 0.0)
        });
        for (a, name) in an.atoms.iter().zip(names) {
            let v = a.directional_derivative(&dir).unwrap();
            check_fd(name, v, &m0, &md);
        }
        // a kink: along d and −d the λ_max derivatives do not cancel
        let neg: Vec<f64> = dir.iter().map(|v| -v).collect();
        let up = an.atoms[0].directional_derivative(&dir).unwrap();
        let down = an.atoms[0].directional_derivative(&neg).unwrap();
        assert!(up + down > 1e-3, "{up} {down}");
    }
}

/// The same on a complex Hermitian triple eigenvalue with a complex variable z = u + iv:
/// M(z) = H₀ + z B + conj(z) Bᴴ, directions in (u, v).
#[test]
fn complex_hermitian_triple_eigenvalue() {
    let n = 5;
    // a unitary U from the QR of a random complex matrix
    let (re, im) = (rand_mat(n, n, 31), rand_mat(n, n, 32));
    let g = Mat::from_fn(n, n, |i, j| C64::new(re[(i, j)], im[(i, j)]));
    let u = g.qr().compute_Q();
    let dg = Mat::from_fn(n, n, |i, j| {
        C64::new(
            if i == j {
                [1.5, 1.5, 1.5, 0.0, -2.0][i]
            } else {
                0.0
            },
            0.0,
        )
    });
    let h0 = &u * &dg * u.adjoint();
    let h0 = Mat::from_fn(n, n, |i, j| (h0[(i, j)] + h0[(j, i)].conj()) * 0.5);
    let (br, bi) = (rand_mat(n, n, 33), rand_mat(n, n, 34));
    let b = Mat::from_fn(n, n, |i, j| C64::new(br[(i, j)], bi[(i, j)]));
    let text = format!(
        "[data]\nH0 = {}\nB = {}\n[variables]\nz = {{ type = \"complex\", shape = [] }}\n[objective]\nminimize = \"lambda_max(H0 + z * B + conj(z) * B')\"\n",
        toml_complex(&h0),
        toml_complex(&b)
    );
    let p = parse_problem(&text, "t.toml".as_ref()).unwrap();
    let an = analyze(&p, &p.initial_point(), &Options::default()).unwrap();
    assert_eq!(an.coordinates, vec!["re z", "im z"]);
    let a = &an.atoms[0];
    assert_eq!(a.hermitian.as_ref().unwrap().clusters[0].multiplicity(), 3);
    let mut r = rng(9);
    for _ in 0..4 {
        let (du, dv) = (r(), r());
        let dz = C64::new(du, dv);
        let md = &b * faer::Scale(dz) + b.adjoint() * faer::Scale(dz.conj());
        let v = a.directional_derivative(&[du, dv]).unwrap();
        check_fd("lambda_max", v, &h0, &md);
    }
}

/// σ_max at a double top singular value and norm_nuc at a rank-deficient A (3×4), through the
/// embedding [[0, A], [Aᵀ, 0]], against finite differences of faer's singular values.
#[test]
fn sigma_max_and_norm_nuc_at_multiple_singular_values() {
    let (m, n) = (3, 4);
    let u = orthogonal(m, 41);
    let v = orthogonal(n, 42);
    let mk = |s: [f64; 3]| {
        let s = Mat::from_fn(m, n, |i, j| if i == j { s[i] } else { 0.0 });
        &u * &s * v.transpose()
    };
    let a_top = mk([2.0, 2.0, 0.5]);
    let a_low = mk([1.0, 0.0, 0.0]);
    let b = rand_mat(m, n, 43);
    let c = rand_mat(m, n, 44);
    let text = format!(
        "[data]\nA = {}\nL = {}\nB = {}\nC = {}\n[variables]\nx = {{ type = \"real\", shape = [2] }}\n[objective]\nminimize = \"sigma_max(A + x[0] * B + x[1] * C) + norm_nuc(L + x[0] * B + x[1] * C)\"\n",
        toml_real(&a_top),
        toml_real(&a_low),
        toml_real(&b),
        toml_real(&c)
    );
    let p = parse_problem(&text, "t.toml".as_ref()).unwrap();
    let an = analyze(&p, &p.initial_point(), &Options::default()).unwrap();
    assert_eq!(an.atoms.len(), 2);
    assert!(!an.atoms[0].smooth && !an.atoms[1].smooth);
    let sv = |a: &Mat<f64>| -> Vec<f64> { a.singular_values().unwrap() };
    let mut r = rng(3);
    for _ in 0..4 {
        let d = [r(), r()];
        let md = &b * faer::Scale(d[0]) + &c * faer::Scale(d[1]);
        let t = 1e-7;
        let fd_top = (sv(&(&a_top + &md * faer::Scale(t)))[0] - 2.0) / t;
        let nuc = |a: &Mat<f64>| sv(a).iter().sum::<f64>();
        let fd_nuc = (nuc(&(&a_low + &md * faer::Scale(t))) - 1.0) / t;
        let top = an.atoms[0].directional_derivative(&d).unwrap();
        let nn = an.atoms[1].directional_derivative(&d).unwrap();
        assert!(
            (top - fd_top).abs() <= 1e-5 * (1.0 + top.abs()),
            "{top} {fd_top}"
        );
        assert!(
            (nn - fd_nuc).abs() <= 1e-5 * (1.0 + nn.abs()),
            "{nn} {fd_nuc}"
        );
    }
}

/// A(x) = diag(1, 1, 0) + x₀ (e₀e₁ᵀ + e₁e₀ᵀ) + x₁ diag(1, −1, 0) at x = 0: the top cluster is
/// span(e₀, e₁) (P = diag(1, 1, 0)), and by hand V G₀ Vᴴ = P A₁ P = [[0, 1, 0], [1, 0, 0], [0, 0, 0]],
/// V G₁ Vᴴ = diag(1, −1, 0), whatever orthonormal basis V the eigensolver picks; the eigenvalues
/// of G₀ and G₁ are ±1, so λ_max′(0; ±e₀) = λ_max′(0; ±e₁) = 1 (λ_max(x) = 1 + ‖x‖ here).
#[test]
fn generalized_gradient_matrices_by_hand() {
    let text = "[data]\nA0 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]\nA1 = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]\nA2 = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 0.0]]\n[variables]\nx = { type = \"real\", shape = [2] }\n[objective]\nminimize = \"lambda_max(A0 + x[0] * A1 + x[1] * A2)\"\n";
    let p = parse_problem(text, "t.toml".as_ref()).unwrap();
    let an = analyze(&p, &p.initial_point(), &Options::default()).unwrap();
    let a = &an.atoms[0];
    let h = a.hermitian.as_ref().unwrap();
    let c = a.active.unwrap();
    assert_eq!(h.clusters[c].multiplicity(), 2);
    let v = &h.clusters[c].basis;
    let g = h.gradient_matrices(c);
    let want = [
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 0.0]],
    ];
    for (gj, w) in g.iter().zip(want) {
        let proj = v * gj * v.adjoint();
        for i in 0..3 {
            for j in 0..3 {
                assert!((proj[(i, j)] - C64::new(w[i][j], 0.0)).norm() < 1e-14);
            }
        }
        let e = eig_desc(gj);
        assert!((e[0] - 1.0).abs() < 1e-14 && (e[1] + 1.0).abs() < 1e-14);
    }
    for d in [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]] {
        assert!((a.directional_derivative(&d).unwrap() - 1.0).abs() < 1e-14);
    }
    // λ_max(x) = 1 + ‖x‖: along (3, 4) the derivative is 5
    assert!((a.directional_derivative(&[3.0, 4.0]).unwrap() - 5.0).abs() < 1e-13);
}

/// Non-Hermitian: a Jordan block J₃(1) + x·N is flagged nearly defective (its computed
/// eigenvectors are parallel); a diagonalizable matrix with distinct eigenvalues is not; a
/// perturbation of size ε moves J₃'s eigenvalues by ε^(1/3), as the warning says.
#[test]
fn nearly_defective_non_hermitian() {
    let text = "[data]\nJ = [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]\nN = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]\nD = [[1.0, 2.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 3.0]]\n[variables]\nx = { type = \"real\", shape = [1] }\n[objective]\nminimize = \"x[0]^2\"\n";
    let p = parse_problem(text, "t.toml".as_ref()).unwrap();
    let opts = Options::default();
    let z0 = p.initial_point();
    match analyze_matrix(&p, &z0, "J + x[0] * N", &opts).unwrap() {
        MatrixAnalysis::General(g) => {
            assert_eq!(g.warnings.len(), 1, "{g:?}");
            assert!(g.warnings[0].contains("‖dA‖^(1/3)"));
            assert!(g.eigenvector_condition > 1e4);
        }
        MatrixAnalysis::Hermitian(_) => panic!("J is not Hermitian"),
    }
    match analyze_matrix(&p, &z0, "D", &opts).unwrap() {
        MatrixAnalysis::General(g) => {
            assert!(g.warnings.is_empty(), "{:?}", g.warnings);
            assert!(g.eigenvector_condition.is_finite());
            let mut ev: Vec<f64> = g.eigenvalues.iter().map(|v| v.re).collect();
            ev.sort_by(f64::total_cmp);
            for (a, b) in ev.iter().zip([1.0, 2.0, 3.0]) {
                assert!((a - b).abs() < 1e-12);
            }
        }
        MatrixAnalysis::Hermitian(_) => panic!("D is not Hermitian"),
    }
    // x = ε: J₃ + εN has eigenvalues 1 + ε^(1/3)·ω (the cube roots of ε)
    let eps = 1e-9;
    match analyze_matrix(&p, &[C64::new(eps, 0.0)], "J + x[0] * N", &opts).unwrap() {
        MatrixAnalysis::General(g) => {
            for v in &g.eigenvalues {
                assert!(((v - 1.0).norm() - eps.cbrt()).abs() < 1e-6, "{v}");
            }
        }
        MatrixAnalysis::Hermitian(_) => panic!(),
    }
    // Hermitian expressions take the Hermitian path
    assert!(matches!(
        analyze_matrix(&p, &z0, "D + D'", &opts).unwrap(),
        MatrixAnalysis::Hermitian(_)
    ));
    assert!(analyze_matrix(&p, &z0, "[1]", &opts).is_err());
    assert!(analyze_matrix(&p, &z0, "ones(3)", &opts).is_err());
}

/// A 300×300 argument with 300 coordinates (λ_max(A + diag(x))): the derivatives are streamed in
/// chunks of coordinates (64 MiB of tangents at a time: 46 coordinates, 7 chunks here), and the restricted
/// blocks still add up: for a simple top eigenvalue with unit eigenvector v, Gⱼ = |vⱼ|², so
/// Σⱼ Gⱼ = 1 and λ_max′(x; 1) = 1 (adding t·I shifts every eigenvalue by t).
#[test]
fn large_argument_in_chunks() {
    let text = "[data]\nG = { random = \"normal\", shape = [300, 300], seed = 3 }\nA = { expr = \"G + G'\" }\n[variables]\nx = { type = \"real\", shape = [300] }\n[objective]\nminimize = \"lambda_max(A + diag(x))\"\n";
    let p = parse_problem(text, "t.toml".as_ref()).unwrap();
    let an = analyze(&p, &p.initial_point(), &Options::default()).unwrap();
    let a = &an.atoms[0];
    assert!(a.smooth);
    let h = a.hermitian.as_ref().unwrap();
    let g = h.gradient_matrices(a.active.unwrap());
    assert_eq!(g.len(), 300);
    let total: f64 = g.iter().map(|m| m[(0, 0)].re).sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    let v = h.vectors.col(0);
    for (j, m) in g.iter().enumerate().step_by(37) {
        assert!((m[(0, 0)].re - v[j].norm_sqr()).abs() < 1e-14);
    }
    let ones = vec![1.0; 300];
    assert!((a.directional_derivative(&ones).unwrap() - 1.0).abs() < 1e-12);
}
