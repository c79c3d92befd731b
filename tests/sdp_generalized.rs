//! Generalized eigenvalues λ(K, M(x)) in the `sdp` path (issue 7, item 6): closed forms in
//! every supported sign case, the constraint forms against the hand-written LMI, a complex
//! Hermitian pencil against its real embedding, every rejected form (exit 2, term named and
//! located), the verification of M(x*) ≻ 0, and λ(K, M(x*)) recomputed here with faer.
#![cfg(all(feature = "faer-blas", not(feature = "system-blas")))]

mod common;

use common::mat;

use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use std::process::Command;
use wirtinger::eig::conic::build;
use wirtinger::eig::generalized::SignCase;
use wirtinger::eig::recognize::recognize;
use wirtinger::eig::verify::verify;
use wirtinger::io::parse_problem;
use wirtinger::solve::{solve, Report, SolveOptions, Status};

const TOL: f64 = 1e-7;

fn cmat(re: &[Vec<f64>], im: &[Vec<f64>]) -> String {
    format!("{{ re = {}, im = {} }}", mat(re), mat(im))
}

fn run(text: &str, method: &str) -> Result<Report, String> {
    let p = parse_problem(text, "t.toml".as_ref()).map_err(|e| e.render())?;
    let opts = SolveOptions {
        method: Some(method.into()),
        ..Default::default()
    };
    solve(&p, &opts).map_err(|e| e.to_string())
}

fn assert_optimal(r: &Report, want: f64) {
    assert_eq!(r.status, Status::Optimal, "{}", r.message);
    assert_eq!(r.method, "sdp");
    assert!(
        (r.objective - want).abs() <= TOL * want.abs().max(1.0),
        "objective {} vs {want} (diff {:e}); {}",
        r.objective,
        r.objective - want,
        r.message
    );
    let s = r.sdp.as_ref().expect("sdp info");
    assert!(s.verification <= 1e-6, "verification {}", s.verification);
    let c = s.certificate.as_ref().expect("certificate");
    assert!(!c.generalized.is_empty());
    assert!(
        c.max_residual <= 1e-6,
        "certificate residual {}",
        c.max_residual
    );
}

/// λ(K, M) by faer, here in the test: Cholesky M = LLᴴ, eigenvalues of L⁻¹KL⁻ᴴ, ascending.
fn faer_gen_eigs(k: &Mat<C64>, m: &Mat<C64>) -> Vec<f64> {
    let llt = m.llt(Side::Lower).expect("M(x*) positive definite");
    let n = k.nrows();
    let l = llt.L().to_owned();
    let mut li = Mat::<C64>::identity(n, n);
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(
        l.as_ref(),
        li.as_mut(),
        faer::Par::Seq,
    );
    let c = &li * k * li.adjoint();
    let c = Mat::from_fn(n, n, |i, j| (c[(i, j)] + c[(j, i)].conj()) * 0.5);
    c.self_adjoint_eigenvalues(Side::Lower).expect("eigen")
}

fn diag_mat(v: &[f64]) -> Mat<C64> {
    Mat::from_fn(v.len(), v.len(), |i, j| {
        C64::new(if i == j { v[i] } else { 0.0 }, 0.0)
    })
}

/// The diagonal pencil: λ(±diag(a), diag(x)) = ±aᵢ/xᵢ, with Σx = 1, x ≥ 0.
fn diagonal(a: &[f64], neg: bool, sense: &str, fun: &str) -> String {
    let n = a.len();
    let s = if neg { -1.0 } else { 1.0 };
    let k: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j { s * a[i] } else { 0.0 })
                .collect()
        })
        .collect();
    format!(
        "[variables]\nx = {{ type = \"real\", shape = [{n}] }}\n[data]\nK = {}\n\
         [objective]\n{sense} = \"{fun}(K, diag(x))\"\n[[constraints]]\nexpr = \"sum(x) == 1\"\n",
        mat(&k)
    )
}

/// Every supported sign case has the closed form ±Σaᵢ at x ∝ a: min λ_max(diag(a), diag(x)) =
/// min maxᵢ aᵢ/xᵢ = Σa (positive case, K ⪰ 0), max λ_min(diag(a), diag(x)) = Σa (K ≻ 0: the
/// negative case of K̃ = −K), min λ_max(−diag(a), diag(x)) = −Σa (K ≺ 0), max λ_min(−diag(a),
/// diag(x)) = −Σa (K̃ = diag(a) ⪰ 0: positive case). x* = a/Σa in each, checked by faer.
#[test]
fn diagonal_closed_forms_in_every_sign_case() {
    let a = [1.0, 2.0, 3.5];
    let sum: f64 = a.iter().sum();
    let cases = [
        (false, "minimize", "lambda_max", sum, SignCase::Positive),
        (false, "maximize", "lambda_min", sum, SignCase::Negative),
        (true, "minimize", "lambda_max", -sum, SignCase::Negative),
        (true, "maximize", "lambda_min", -sum, SignCase::Positive),
    ];
    for (neg, sense, fun, want, case) in cases {
        let text = diagonal(&a, neg, sense, fun);
        let p = parse_problem(&text, "t.toml".as_ref()).unwrap();
        let rec = recognize(&p).unwrap();
        assert_eq!(
            rec.quasi.as_ref().unwrap().case,
            case,
            "{sense} {fun} neg={neg}"
        );
        let r = run(&text, "auto").unwrap();
        assert_optimal(&r, want);
        let x: Vec<f64> = r.point.iter().map(|v| v.re).collect();
        for (xi, ai) in x.iter().zip(&a) {
            assert!((xi - ai / sum).abs() < 1e-6, "x = {x:?}");
        }
        // Independent recomputation at x*.
        let s = if neg { -1.0 } else { 1.0 };
        let k = diag_mat(&a.iter().map(|v| s * v).collect::<Vec<_>>());
        let eigs = faer_gen_eigs(&k, &diag_mat(&x));
        let lam = if fun == "lambda_max" {
            eigs[eigs.len() - 1]
        } else {
            eigs[0]
        };
        assert!(
            (lam - r.objective).abs() <= TOL * want.abs(),
            "{lam} vs {}",
            r.objective
        );
    }
}

/// A scalar pencil, scaled and shifted: min 3·λ_max([[2]], [[1 + x]]) + 1 over x ≤ 3 is
/// 3·2/4 + 1 = 2.5, at x = 3.
#[test]
fn scalar_pencil_scaled_and_shifted() {
    let text = "[variables]\nx = { type = \"real\", shape = [1] }\n[data]\nK = [[2.0]]\n\
                M0 = [[1.0]]\nM1 = [[1.0]]\n[objective]\n\
                minimize = \"3 * lambda_max(K, M0 + x[0] * M1) + 1\"\n\
                [[constraints]]\nexpr = \"x <= 3\"\n";
    let r = run(text, "sdp").unwrap();
    assert_optimal(&r, 2.5);
    assert!((r.point[0].re - 3.0).abs() < 1e-6);
}

fn k3() -> Vec<Vec<f64>> {
    vec![
        vec![2.0, 1.0, 0.0],
        vec![1.0, 3.0, 1.0],
        vec![0.0, 1.0, 2.0],
    ]
}

fn pencil_problem(constraint: &str, objective: &str) -> String {
    let m1 = vec![
        vec![1.0, 0.0, 0.0],
        vec![0.0, 1.0, 0.0],
        vec![0.0, 0.0, 1.0],
    ];
    let m2 = vec![
        vec![1.0, 0.5, 0.0],
        vec![0.5, 2.0, 0.5],
        vec![0.0, 0.5, 3.0],
    ];
    format!(
        "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\nK = {}\nM1 = {}\nM2 = {}\n\
         [objective]\n{objective}\n[[constraints]]\nexpr = \"{constraint}\"\n\
         [[constraints]]\nexpr = \"x >= 0\"\n",
        mat(&k3()),
        mat(&m1),
        mat(&m2)
    )
}

/// Solves the pencil problem with the generalized constraint and with its hand-written LMI;
/// both optimal with the same objective. Returns the generalized run and its point.
fn against_lmi(generalized: &str, hand_written: &str, objective: &str) -> (Report, Vec<f64>) {
    let gen = run(&pencil_problem(generalized, objective), "sdp").unwrap();
    let lmi = run(&pencil_problem(hand_written, objective), "sdp").unwrap();
    assert_eq!(lmi.status, Status::Optimal, "{}", lmi.message);
    assert_optimal(&gen, lmi.objective);
    let x = gen.point.iter().map(|v| v.re).collect();
    (gen, x)
}

/// `lambda_max(K, M(x)) <= c` and `lambda_min(K, M(x)) >= c` against the same constraints
/// written by hand as `lambda_max(K - c*M(x)) <= 0` and `lambda_min(K - c*M(x)) >= 0`.
#[test]
fn constraint_forms_against_the_hand_written_lmi() {
    let m = "x[0] * M1 + x[1] * M2";
    let obj = "minimize = \"x[0] + 2 * x[1]\"";
    let (gen, x) = against_lmi(
        &format!("lambda_max(K, {m}) <= 1.5"),
        &format!("lambda_max(K - 1.5 * ({m})) <= 0"),
        obj,
    );
    // The constraint is active: λ_max(K, M(x*)) = 1.5, recomputed here; μ > 0.
    let (kk, mm) = pencil_mats(&x);
    let eigs = faer_gen_eigs(&kk, &mm);
    assert!((eigs[2] - 1.5).abs() < 1e-7, "{eigs:?}");
    let cert = gen.sdp.unwrap().certificate.unwrap();
    let mu = cert.multipliers.iter().find(|m| m.0 == 0).unwrap().1[0].re;
    assert!(mu > 1e-3, "multiplier {mu}");

    // λ_min(K, M(x)) ≥ 0.8 with the objective maximized in the other direction.
    let obj = "maximize = \"x[0] + x[1]\"";
    let (_, x) = against_lmi(
        &format!("lambda_min(K, {m}) >= 0.8"),
        &format!("lambda_min(K - 0.8 * ({m})) >= 0"),
        obj,
    );
    let (kk, mm) = pencil_mats(&x);
    assert!((faer_gen_eigs(&kk, &mm)[0] - 0.8).abs() < 1e-7);
}

fn pencil_mats(x: &[f64]) -> (Mat<C64>, Mat<C64>) {
    let k = k3();
    let m2 = [[1.0, 0.5, 0.0], [0.5, 2.0, 0.5], [0.0, 0.5, 3.0]];
    let kk = Mat::from_fn(3, 3, |i, j| C64::new(k[i][j], 0.0));
    let mm = Mat::from_fn(3, 3, |i, j| {
        C64::new(x[0] * f64::from(u8::from(i == j)) + x[1] * m2[i][j], 0.0)
    });
    (kk, mm)
}

/// A complex Hermitian pencil, max λ_min(K, M₀ + x₀M₁ + x₁M₂) with x₀ + x₁ = 1, x ≥ 0 (K ≻ 0, the
/// negative case), against the same problem on the real embeddings R(K), R(Mᵢ) written by hand
/// (the pencil (R(K), R(M)) has every generalized eigenvalue of (K, M) twice).
#[test]
fn complex_hermitian_pencil_against_its_real_embedding() {
    let kre = vec![
        vec![4.0, 1.0, 0.5],
        vec![1.0, 3.0, 0.2],
        vec![0.5, 0.2, 5.0],
    ];
    let kim = vec![
        vec![0.0, 0.7, -0.3],
        vec![-0.7, 0.0, 1.1],
        vec![0.3, -1.1, 0.0],
    ];
    let m0 = vec![
        vec![0.5, 0.0, 0.0],
        vec![0.0, 0.5, 0.0],
        vec![0.0, 0.0, 0.5],
    ];
    let m1re = vec![
        vec![2.0, 0.3, 0.0],
        vec![0.3, 1.0, 0.0],
        vec![0.0, 0.0, 0.5],
    ];
    let m1im = vec![
        vec![0.0, 0.4, 0.0],
        vec![-0.4, 0.0, 0.0],
        vec![0.0, 0.0, 0.0],
    ];
    let m2re = vec![
        vec![0.5, 0.0, 0.0],
        vec![0.0, 1.0, 0.2],
        vec![0.0, 0.2, 2.0],
    ];
    let m2im = vec![
        vec![0.0, 0.0, 0.0],
        vec![0.0, 0.0, -0.5],
        vec![0.0, 0.5, 0.0],
    ];
    let z3 = vec![vec![0.0; 3]; 3];
    let tail = "[objective]\nmaximize = \"lambda_min(K, M0 + x[0] * M1 + x[1] * M2)\"\n\
                [[constraints]]\nexpr = \"sum(x) == 1\"\n[[constraints]]\nexpr = \"x >= 0\"\n";
    let complex = format!(
        "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\nK = {}\nM0 = {}\nM1 = {}\n\
         M2 = {}\n{tail}",
        cmat(&kre, &kim),
        cmat(&m0, &z3),
        cmat(&m1re, &m1im),
        cmat(&m2re, &m2im)
    );
    let embed = |re: &Vec<Vec<f64>>, im: &Vec<Vec<f64>>| -> Vec<Vec<f64>> {
        (0..6)
            .map(|r| {
                (0..6)
                    .map(|c| {
                        let (i, j) = (r % 3, c % 3);
                        match (r / 3, c / 3) {
                            (0, 0) | (1, 1) => re[i][j],
                            (1, 0) => im[i][j],
                            _ => -im[i][j],
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let real = format!(
        "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\nK = {}\nM0 = {}\nM1 = {}\n\
         M2 = {}\n{tail}",
        mat(&embed(&kre, &kim)),
        mat(&embed(&m0, &z3)),
        mat(&embed(&m1re, &m1im)),
        mat(&embed(&m2re, &m2im))
    );
    let rc = run(&complex, "sdp").unwrap();
    let rr = run(&real, "sdp").unwrap();
    assert_eq!(rr.status, Status::Optimal, "{}", rr.message);
    assert_optimal(&rc, rr.objective);
    let d = &rc
        .sdp
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap()
        .generalized[0];
    assert!(d.embedded);
    // faer at x*: the complex pencil's λ_min is the objective.
    let x: Vec<f64> = rc.point.iter().map(|v| v.re).collect();
    let c = |re: &Vec<Vec<f64>>, im: &Vec<Vec<f64>>| {
        Mat::from_fn(3, 3, |i, j| C64::new(re[i][j], im[i][j]))
    };
    let k = c(&kre, &kim);
    let m = &c(&m0, &z3) + &(&c(&m1re, &m1im) * x[0]) + &(&c(&m2re, &m2im) * x[1]);
    let lam = faer_gen_eigs(&k, &m)[0];
    assert!(
        (lam - rc.objective).abs() <= TOL * lam.abs(),
        "{lam} vs {}",
        rc.objective
    );
}

/// The gallery's photonic band edge: the double band-edge eigenvalue gives a rank-2 dual.
#[test]
fn photonic_band_edge_certificate_has_rank_two() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/problems/photonic_band_edge.toml"
    );
    let p = wirtinger::io::load_problem(path.as_ref()).unwrap();
    let r = solve(&p, &SolveOptions::default()).unwrap();
    let want = 256.0 * (std::f64::consts::PI / 16.0).sin().powi(2) / 5.5;
    assert_optimal(&r, want);
    let d = &r
        .sdp
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap()
        .generalized[0];
    assert_eq!(d.active_multiplicity, 2);
    assert_eq!(d.rank, 2);
    // The identities, recomputed here from the returned Ẑ: ⟨M(x*), Ẑ⟩ = 1, ⟨K, Ẑ⟩ = λ*, and the
    // rank-2 Ẑ lives on the eigenspace of the two band-edge Bloch waves: KẐ = λ_min(K)·Ẑ.
    let n = 8;
    let z = d.z.as_ref().expect("normalized");
    let mut dm = vec![vec![0.0; n]; n];
    for i in 0..n {
        dm[i][i] = -1.0;
        if i + 1 < n {
            dm[i][i + 1] = 1.0;
        }
    }
    dm[n - 1][0] = -1.0;
    let k = |i: usize, j: usize| -> f64 { 64.0 * (0..n).map(|r| dm[r][i] * dm[r][j]).sum::<f64>() };
    let x: Vec<f64> = r.point.iter().map(|v| v.re).collect();
    let m_z: f64 = (0..n)
        .map(|i| (1.0 + 0.12 * x[i]) * z[i * (n + 1)].re)
        .sum();
    let k_z: f64 = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| k(i, j) * z[i + j * n].re)
        .sum();
    assert!((m_z - 1.0).abs() < 1e-7, "{m_z}");
    assert!((k_z - want).abs() < 1e-7 * want, "{k_z} vs {want}");
    let lk = 256.0 * (std::f64::consts::PI / 16.0).sin().powi(2);
    for i in 0..n {
        for j in 0..n {
            let kz: f64 = (0..n).map(|l| k(i, l) * z[l + j * n].re).sum();
            assert!(
                (kz - lk * z[i + j * n].re).abs() < 1e-5,
                "KẐ ≠ λ_min(K)Ẑ at ({i}, {j})"
            );
        }
    }
}

fn rejected(text: &str, method: &str, needles: &[&str]) {
    let dir = std::env::temp_dir().join(format!("wirtinger-geneig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("r{}t.toml", needles.join("").len() + text.len()));
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args([
            "solve",
            file.to_str().unwrap(),
            "--method",
            method,
            "--quiet",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}\n{err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` not in:\n{err}");
    }
}

const HEAD: &str = "[variables]\nx = { type = \"real\", shape = [2] }\n[data]\n\
                    K = [[1.0, 0.0], [0.0, 2.0]]\nN = [[-1.0, 0.0], [0.0, 0.0]]\n\
                    B = [[1.0, 0.0], [0.0, -1.0]]\n";

/// Each form that is not an exact SDP is rejected (exit 2) with the term named and located.
#[test]
fn rejected_forms_name_and_locate_the_term() {
    let obj = |o: &str| format!("{HEAD}[objective]\n{o}\n[[constraints]]\nexpr = \"x >= 0.1\"\n");
    rejected(
        &obj("minimize = \"lambda_max(K, diag(x)) + x[0]\""),
        "sdp",
        &["lambda_max(A, B)", "objective", "must be alone", "affine"],
    );
    rejected(
        &obj("minimize = \"lambda_max(K, diag(x)) + lambda_max(diag(x))\""),
        "sdp",
        &["lambda_max(A, B)", "must be alone", "`lambda_max`"],
    );
    rejected(
        &obj("maximize = \"lambda_max(K, diag(x))\""),
        "sdp",
        &["lambda_max(A, B)", "quasiconvex", "maximizing"],
    );
    rejected(
        &obj("minimize = \"lambda_min(K, diag(x))\""),
        "sdp",
        &["lambda_min(A, B)", "quasiconcave", "minimizing"],
    );
    rejected(
        &obj("minimize = \"lambda_max(x[0] * K, diag(x))\""),
        "sdp",
        &[
            "first argument of `lambda_max(A, B)` depends on the variables",
            "bisect",
        ],
    );
    // K ⪯ 0 singular: λ_max ≡ 0, the sign is not known from the data.
    rejected(
        &obj("minimize = \"lambda_max(N, diag(x))\""),
        "sdp",
        &["sign of λ at the optimum is not known from the data"],
    );
    // A constant B that is not positive definite.
    rejected(
        &format!(
            "{HEAD}[objective]\nminimize = \"x[0]\"\n[[constraints]]\n\
             expr = \"lambda_max(K + x[0] * K, B) <= 1\"\n"
        ),
        "sdp",
        &["not positive definite", "constraint 1", "t.toml:10:8"],
    );
    // Superlevel set of λ_max and sublevel set of λ_min, located in the file.
    rejected(
        &format!(
            "{HEAD}[objective]\nminimize = \"x[0]\"\n[[constraints]]\nexpr = \"x >= 0.1\"\n\
             [[constraints]]\nexpr = \"lambda_max(K, diag(x)) >= 2\"\n"
        ),
        "sdp",
        &["constraint 2", "t.toml:12:8", "not a convex set"],
    );
    rejected(
        &format!(
            "{HEAD}[objective]\nminimize = \"x[0]\"\n[[constraints]]\n\
             expr = \"lambda_min(K, diag(x)) <= 2\"\n"
        ),
        "sdp",
        &["constraint 1", "not a convex set"],
    );
    // A bound that depends on x is bilinear.
    rejected(
        &format!(
            "{HEAD}[objective]\nminimize = \"x[0]\"\n[[constraints]]\n\
             expr = \"lambda_max(K, diag(x)) <= x[1]\"\n"
        ),
        "sdp",
        &["constraint 1", "must be alone"],
    );
    // spectral_bundle does not take them, and says to use sdp.
    rejected(
        &obj("maximize = \"lambda_min(K, diag(x))\""),
        "spectral_bundle",
        &["lambda_min(A, B)", "method = \"sdp\""],
    );
}

/// The verification refuses a point where M(x*) is singular (λ undefined there), whatever the
/// conic solution says.
#[test]
fn verification_catches_a_singular_metric() {
    let text = "[variables]\nx = { type = \"real\", shape = [2] }\n[data]\n\
                K = [[1.0, 0.0], [0.0, 1.0]]\n[objective]\n\
                minimize = \"lambda_max(K, diag(x))\"\n[[constraints]]\nexpr = \"sum(x) == 1\"\n";
    let p = parse_problem(text, "t.toml".as_ref()).unwrap();
    let rec = recognize(&p).unwrap();
    let conic = build(&rec);
    let s = conic.quasi.as_ref().unwrap().s;
    let mut y = vec![0.0; conic.q.len()];
    y[0] = 1.0;
    y[s] = 1.0;
    let v = verify(&p, &rec, &conic, &y);
    assert!(v.max_error().is_infinite(), "{}", v.max_error());
    assert!(v.worst.contains("not positive definite"), "{}", v.worst);
    assert!(!v.generalized[0].1.m_positive_definite);
    // At the optimum x = (½, ½), s = ½ it passes.
    y[0] = 0.5;
    y[1] = 0.5;
    y[s] = 0.5;
    let v = verify(&p, &rec, &conic, &y);
    assert!(v.max_error() < 1e-12, "{} {}", v.max_error(), v.worst);
}

/// auto keeps generalized eigenvalue problems on sdp.
#[test]
fn auto_routes_to_sdp() {
    let r = run(
        &diagonal(&[1.0, 1.0], false, "minimize", "lambda_max"),
        "auto",
    )
    .unwrap();
    assert_optimal(&r, 2.0);
    assert!(r.method_reason.is_some());
}

/// With a constant M = LLᴴ, λ_max(K(x), M) = λ_max(L⁻¹K(x)L⁻ᴴ) is convex: K may be affine and
/// the term may be summed with others. Against the whitened problem written by hand (L⁻¹AᵢL⁻ᴴ
/// computed here with faer), and with spectral_bundle, which then takes it too.
#[test]
fn constant_metric_is_an_ordinary_convex_atom() {
    let a0 = k3();
    let a1 = vec![
        vec![0.0, 1.0, 0.0],
        vec![1.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0],
    ];
    let a2 = vec![
        vec![0.0, 0.0, 0.0],
        vec![0.0, 0.0, 1.0],
        vec![0.0, 1.0, 0.0],
    ];
    let m = vec![
        vec![2.0, 0.5, 0.0],
        vec![0.5, 1.0, 0.2],
        vec![0.0, 0.2, 1.5],
    ];
    let gen = format!(
        "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\nA0 = {}\nA1 = {}\nA2 = {}\n\
         M = {}\n[objective]\n\
         minimize = \"lambda_max(A0 + x[0] * A1 + x[1] * A2, M) + 0.3 * x[0] + norm2sq(x) / 10\"\n",
        mat(&a0),
        mat(&a1),
        mat(&a2),
        mat(&m)
    );
    let mm = Mat::from_fn(3, 3, |i, j| m[i][j]);
    let llt = mm.llt(Side::Lower).unwrap();
    let mut li = Mat::<f64>::identity(3, 3);
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(
        llt.L(),
        li.as_mut(),
        faer::Par::Seq,
    );
    let w = |a: &Vec<Vec<f64>>| -> Vec<Vec<f64>> {
        let am = Mat::from_fn(3, 3, |i, j| a[i][j]);
        let c = &li * &am * li.transpose();
        (0..3)
            .map(|i| (0..3).map(|j| 0.5 * (c[(i, j)] + c[(j, i)])).collect())
            .collect()
    };
    let hand = format!(
        "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\nW0 = {}\nW1 = {}\nW2 = {}\n\
         [objective]\n\
         minimize = \"lambda_max(W0 + x[0] * W1 + x[1] * W2) + 0.3 * x[0] + norm2sq(x) / 10\"\n",
        mat(&w(&a0)),
        mat(&w(&a1)),
        mat(&w(&a2))
    );
    let rg = run(&gen, "sdp").unwrap();
    let rh = run(&hand, "sdp").unwrap();
    assert_eq!(rg.status, Status::Optimal, "{}", rg.message);
    assert_eq!(rh.status, Status::Optimal, "{}", rh.message);
    assert!(
        (rg.objective - rh.objective).abs() <= TOL * rh.objective.abs().max(1.0),
        "{} vs {}",
        rg.objective,
        rh.objective
    );
    // A constraint with the whitened atom, K affine: convex <= affine.
    let con = gen.replace(
        "+ norm2sq(x) / 10\"\n",
        "\"\n[[constraints]]\nexpr = \"lambda_max(A0 + x[0] * A1, M) <= 3 + x[1]\"\n\
         [[constraints]]\nexpr = \"norm2sq(x) <= 4\"\n",
    );
    let rc = run(&con, "sdp").unwrap();
    assert_eq!(rc.status, Status::Optimal, "{}", rc.message);
    // The pure objective without the norm term: spectral_bundle takes it and agrees with sdp.
    let single = gen.replace(" + norm2sq(x) / 10", "");
    let rs = run(&single, "sdp").unwrap();
    let rb = run(&single, "spectral_bundle").unwrap();
    assert_eq!(rs.status, Status::Optimal, "{}", rs.message);
    assert_eq!(rb.status, Status::Optimal, "{}", rb.message);
    assert!(
        (rs.objective - rb.objective).abs() <= 1e-6 * rs.objective.abs().max(1.0),
        "{} vs {}",
        rs.objective,
        rb.objective
    );
}

/// Infima that are not attained: min λ_max(I, diag(x)) over x ≥ 1 approaches 0 as x → ∞
/// (positive case, s = 1/λ unbounded above), and min λ_max(−I, diag(x)) over x ≤ 1 is −∞ as
/// x → 0 (negative case, s* = 0). Both end `unbounded`, never `optimal`.
#[test]
fn unattained_infima_are_unbounded() {
    for (k, con) in [("1.0", "x >= 1"), ("-1.0", "x <= 1")] {
        let text = format!(
            "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\n\
             K = [[{k}, 0.0], [0.0, {k}]]\n[objective]\nminimize = \"lambda_max(K, diag(x))\"\n\
             [[constraints]]\nexpr = \"{con}\"\n"
        );
        let r = run(&text, "sdp").unwrap();
        assert_eq!(r.status, Status::Unbounded, "{k}: {}", r.message);
        assert!(r.message.contains("1/"), "{}", r.message);
    }
}

/// K affine in x inside a constraint stays an LMI: min x₀ + x₁ s.t. λ_max(K + x₁E, M₀ + x₀I) ≤ 1
/// against λ_max(K + x₁E − (M₀ + x₀I)) ≤ 0, with λ_max(K + x₁E, M(x*)) = 1 recomputed by faer.
#[test]
fn constraint_with_affine_first_argument() {
    let e = vec![
        vec![0.0, 1.0, 0.0],
        vec![1.0, 0.0, 1.0],
        vec![0.0, 1.0, 0.0],
    ];
    let m0 = vec![
        vec![1.0, 0.2, 0.0],
        vec![0.2, 1.0, 0.0],
        vec![0.0, 0.0, 1.0],
    ];
    let body = |con: &str| {
        format!(
            "[variables]\nx = {{ type = \"real\", shape = [2] }}\n[data]\nK = {}\nE = {}\n\
             M0 = {}\nI = {{ expr = \"eye(3)\" }}\n[objective]\nminimize = \"x[0] + x[1]\"\n\
             [[constraints]]\nexpr = \"{con}\"\n[[constraints]]\nexpr = \"x[1] >= -1\"\n",
            mat(&k3()),
            mat(&e),
            mat(&m0)
        )
    };
    let gen = run(&body("lambda_max(K + x[1] * E, M0 + x[0] * I) <= 1"), "sdp").unwrap();
    let lmi = run(
        &body("lambda_max(K + x[1] * E - (M0 + x[0] * I)) <= 0"),
        "sdp",
    )
    .unwrap();
    assert_eq!(lmi.status, Status::Optimal, "{}", lmi.message);
    assert_optimal(&gen, lmi.objective);
    let x: Vec<f64> = gen.point.iter().map(|v| v.re).collect();
    let k = Mat::from_fn(3, 3, |i, j| C64::new(k3()[i][j] + x[1] * e[i][j], 0.0));
    let m = Mat::from_fn(3, 3, |i, j| {
        C64::new(m0[i][j] + x[0] * f64::from(u8::from(i == j)), 0.0)
    });
    let eigs = faer_gen_eigs(&k, &m);
    assert!((eigs[2] - 1.0).abs() < 1e-7, "{eigs:?}");
}

/// The result file of `wirtinger solve` carries the generalized certificate.
#[test]
fn result_file_has_the_generalized_certificate() {
    let dir = std::env::temp_dir().join(format!("wirtinger-geneig-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("r.json");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/problems/photonic_band_edge.toml"
    );
    let st = Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args(["solve", file, "--quiet", "--output", out.to_str().unwrap()])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["status"], "optimal");
    let g = &v["certificate"]["generalized"][0];
    assert_eq!(g["rank"], 2);
    assert_eq!(g["active_multiplicity"], 2);
    assert!(g["m_min_eigenvalue"].as_f64().unwrap() > 1.0);
    assert!(g["term"]
        .as_str()
        .unwrap()
        .contains("lambda_min(A, B) in the objective"));
}
