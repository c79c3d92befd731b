//! The spectral bundle method against the dense SDP path (Clarabel on the full PSD block) and
//! closed forms, with its certificate recomputed here independently.

use faer::{Mat, Side};
use num_complex::Complex64 as C64;
use wirtinger::io::parse_problem;
use wirtinger::model::Problem;
use wirtinger::solve::{solve, Report, SolveOptions, Status};

fn load(text: &str) -> Problem {
    parse_problem(text, "t.toml".as_ref()).unwrap()
}

fn run(p: &Problem, method: &str) -> Report {
    let o = SolveOptions {
        method: Some(method.into()),
        ..Default::default()
    };
    solve(p, &o).unwrap()
}

/// A problem min/max f(A₀ + Σ xᵢAᵢ) with seeded random symmetric (or Hermitian) data.
fn affine_problem(n: usize, m: usize, complex: bool, objective: &str, extra: &str) -> String {
    let kind = if complex { "complex_normal" } else { "normal" };
    let mut s = format!("[variables]\nx = {{ type = \"real\", shape = [{m}] }}\n[data]\n");
    let mut sum = String::from("A0");
    for i in 0..=m {
        s += &format!(
            "G{i} = {{ random = \"{kind}\", shape = [{n}, {n}], seed = {} }}\nA{i} = {{ expr = \"(G{i} + G{i}') / 2\" }}\n",
            100 + i
        );
        if i > 0 {
            sum += &format!(" + x[{}] * A{i}", i - 1);
        }
    }
    s += &format!("[objective]\n{}\n", objective.replace("ARG", &sum));
    s += extra;
    s
}

fn agree(a: &Report, b: &Report, tol: f64) {
    assert_eq!(a.status, Status::Optimal, "{}", a.message);
    assert_eq!(b.status, Status::Optimal, "{}", b.message);
    let d = (a.objective - b.objective).abs() / a.objective.abs().max(1.0);
    assert!(d < tol, "{} vs {} ({d:.2e})", a.objective, b.objective);
}

#[test]
fn real_lambda_max_agrees_with_sdp() {
    let p = load(&affine_problem(
        30,
        5,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let b = run(&p, "spectral_bundle");
    let s = run(&p, "sdp");
    eprintln!("{} {:?}", b.message, b.bundle);
    agree(&b, &s, 1e-6);
}

/// Eigenvalues of the Hermitian part of the objective's matrix recomputed with faer at the
/// report's point, descending.
fn spectrum_at(p: &Problem, r: &Report, n: usize, m: usize) -> Vec<f64> {
    // A(x) = A0 + Σ xᵢ Aᵢ rebuilt from the data entries.
    let data = |name: &str| -> Mat<C64> {
        let wirtinger::expr::DataValue::Dense { value, .. } = &p.data[name] else {
            panic!("{name} is not a dense value")
        };
        Mat::from_fn(n, n, |i, j| value.data()[i + j * n])
    };
    let mut a = data("A0");
    for i in 1..=m {
        let ai = data(&format!("A{i}"));
        let xi = r.point[i - 1].re;
        a = Mat::from_fn(n, n, |r, c| a[(r, c)] + ai[(r, c)] * xi);
    }
    let h = Mat::from_fn(n, n, |i, j| (a[(i, j)] + a[(j, i)].conj()) * 0.5);
    let mut v: Vec<f64> = h
        .self_adjoint_eigenvalues(Side::Lower)
        .unwrap()
        .into_iter()
        .collect();
    v.reverse();
    v
}

/// The certificate: the bracket holds the dense SDP optimum and is within tol.
fn certified(b: &Report, exact: f64) {
    let info = b.bundle.as_ref().unwrap();
    let tol = b.tol;
    assert!(
        info.gap <= tol * info.upper_bound.abs().max(1.0),
        "{info:?}"
    );
    let slack = 1e-8 * exact.abs().max(1.0);
    assert!(
        info.lower_bound <= exact + slack && exact <= info.upper_bound + slack,
        "{} ≤ {exact} ≤ {}",
        info.lower_bound,
        info.upper_bound
    );
}

#[test]
fn real_lambda_max_certificate_recomputed() {
    let (n, m) = (30, 5);
    let p = load(&affine_problem(
        n,
        m,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let b = run(&p, "spectral_bundle");
    let s = run(&p, "sdp");
    agree(&b, &s, 1e-6);
    certified(&b, s.objective);
    // The upper bound is λ_max at the returned point, recomputed here.
    let lam = spectrum_at(&p, &b, n, m);
    assert!((lam[0] - b.objective).abs() < 1e-9 * lam[0].abs().max(1.0));
    assert_eq!(b.bundle.as_ref().unwrap().upper_bound, b.objective);
}

#[test]
fn hermitian_lambda_max_agrees_with_sdp() {
    let (n, m) = (24, 4);
    let p = load(&affine_problem(
        n,
        m,
        true,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let b = run(&p, "spectral_bundle");
    let s = run(&p, "sdp");
    agree(&b, &s, 1e-6);
    certified(&b, s.objective);
    let lam = spectrum_at(&p, &b, n, m);
    assert!((lam[0] - b.objective).abs() < 1e-9 * lam[0].abs().max(1.0));
}

#[test]
fn ky_fan_real_and_hermitian_agree_with_sdp() {
    for (complex, k) in [(false, 3), (true, 2)] {
        let (n, m) = (20, 4);
        let obj = format!("minimize = \"sum_largest(ARG, {k}) + 0.5 * x[0]\"");
        let p = load(&affine_problem(n, m, complex, &obj, ""));
        let b = run(&p, "spectral_bundle");
        let s = run(&p, "sdp");
        agree(&b, &s, 1e-6);
        certified(&b, s.objective);
        let lam = spectrum_at(&p, &b, n, m);
        let f: f64 = lam[..k].iter().sum::<f64>() + 0.5 * b.point[0].re;
        assert!((f - b.objective).abs() < 1e-9 * f.abs().max(1.0));
    }
}

#[test]
fn max_lambda_min_with_constraints_agrees_with_sdp() {
    let (n, m) = (25, 5);
    let cons = "[[constraints]]\nexpr = \"sum(x) == 1\"\n[[constraints]]\nexpr = \"x >= -0.5\"\n[[constraints]]\nexpr = \"x[0] - x[1] <= 0.2\"\n";
    let p = load(&affine_problem(
        n,
        m,
        false,
        "maximize = \"lambda_min(ARG)\"",
        cons,
    ));
    let b = run(&p, "spectral_bundle");
    let s = run(&p, "sdp");
    agree(&b, &s, 1e-6);
    let info = b.bundle.as_ref().unwrap();
    // maximize: the objective is the lower bound, the certificate the upper one.
    assert_eq!(info.lower_bound, b.objective);
    assert!(info.upper_bound + 1e-8 >= s.objective && info.lower_bound <= s.objective + 1e-8);
    assert!(info.gap <= b.tol * b.objective.abs().max(1.0));
    let x: Vec<f64> = b.point.iter().map(|z| z.re).collect();
    assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-8);
    assert!(x.iter().all(|v| *v >= -0.5 - 1e-8) && x[0] - x[1] <= 0.2 + 1e-8);
    let lam = spectrum_at(&p, &b, n, m);
    assert!((lam[n - 1] - b.objective).abs() < 1e-9 * lam[n - 1].abs().max(1.0));
}

#[test]
fn lovasz_theta_c5_multiple_eigenvalue() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("problems/lovasz_theta_c5.toml"),
    )
    .unwrap();
    let p = load(&text);
    let b = run(&p, "spectral_bundle");
    assert_eq!(b.status, Status::Optimal, "{}", b.message);
    assert!((b.objective - 5f64.sqrt()).abs() < 1e-7, "{}", b.objective);
    certified(&b, 5f64.sqrt());
    assert!(b.iterations < 100, "{} iterations", b.iterations);
}

/// Lovász θ of the odd cycle C_n, n = 251 (past the dense switch: Lanczos), against
/// θ(C_n) = n cos(π/n) / (1 + cos(π/n)) (Lovász 1979, Cor. 5). A = J + P diag(x) + diag(x) Pᵀ
/// with P the cyclic shift, read from a Matrix Market file.
#[test]
fn lovasz_theta_c251_lanczos() {
    let n = 251;
    let dir = std::env::temp_dir().join(format!("wirtinger_bundle_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut mtx = format!("%%MatrixMarket matrix coordinate real general\n{n} {n} {n}\n");
    for k in 0..n {
        mtx += &format!("{} {} 1\n", (k + 1) % n + 1, k + 1);
    }
    std::fs::write(dir.join("P.mtx"), mtx).unwrap();
    let text = format!(
        "[variables]\nx = {{ type = \"real\", shape = [{n}] }}\n[data]\nP = {{ file = \"P.mtx\" }}\n\
         J = {{ expr = \"ones({n}) * ones({n})'\" }}\n[objective]\n\
         minimize = \"lambda_max(J + P * diag(x) + diag(x) * P')\"\n"
    );
    let file = dir.join("theta.toml");
    std::fs::write(&file, &text).unwrap();
    let p = parse_problem(&text, &file).unwrap();
    let b = run(&p, "spectral_bundle");
    let c = (std::f64::consts::PI / n as f64).cos();
    let exact = n as f64 * c / (1.0 + c);
    assert_eq!(b.status, Status::Optimal, "{}", b.message);
    let info = b.bundle.as_ref().unwrap();
    // The run starts on Lanczos (n > 200); it may switch to dense decompositions once a Lanczos
    // run needs more than 10n products (src/eig/bundle/mod.rs, `Ctx::evaluate`).
    assert!(
        ["lanczos", "dense"].contains(&info.eigensolver.as_str()),
        "{}",
        info.eigensolver
    );
    assert!(
        (b.objective - exact).abs() < 1e-6 * exact,
        "{} vs {exact}",
        b.objective
    );
    certified(&b, exact);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn infeasible_constraints() {
    let cons = "[[constraints]]\nexpr = \"x[0] >= 1\"\n[[constraints]]\nexpr = \"x[0] <= 0\"\n";
    let p = load(&affine_problem(
        8,
        2,
        false,
        "minimize = \"lambda_max(ARG)\"",
        cons,
    ));
    let b = run(&p, "spectral_bundle");
    assert_eq!(b.status, Status::Infeasible, "{}", b.message);
}

#[test]
fn unsupported_forms_are_input_errors() {
    let p = load(&affine_problem(
        8,
        2,
        false,
        "minimize = \"lambda_max(ARG) + norm2(x)\"",
        "",
    ));
    let o = SolveOptions {
        method: Some("spectral_bundle".into()),
        ..Default::default()
    };
    let e = solve(&p, &o).unwrap_err();
    assert!(e.to_string().contains("spectral_bundle"), "{e}");
}

#[test]
fn auto_picks_spectral_bundle_above_block_100() {
    let p = load(&affine_problem(
        101,
        3,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let r = solve(&p, &SolveOptions::default()).unwrap();
    assert_eq!(r.method, "spectral_bundle");
    assert_eq!(r.status, Status::Optimal, "{}", r.message);
    assert!(r.method_reason.unwrap().contains("101 > 100"));
    // At block 100 `auto` keeps the dense path (not solved here: a 100 × 100 SDP is slow in a
    // test build); the block size is what decides.
    let q = load(&affine_problem(
        100,
        3,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let rec = wirtinger::eig::recognize::recognize(&q).unwrap();
    assert_eq!(wirtinger::eig::conic::largest_psd_block(&rec), 100);
}

#[test]
fn command_line_and_result_file() {
    let dir = std::env::temp_dir().join(format!("wirtinger_bundle_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p.toml");
    std::fs::write(
        &file,
        affine_problem(12, 2, false, "maximize = \"lambda_min(ARG)\"", ""),
    )
    .unwrap();
    let out = dir.join("r.json");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args([
            "solve",
            file.to_str().unwrap(),
            "--method",
            "spectral_bundle",
            "--quiet",
        ])
        .arg("--output")
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["status"], "optimal");
    assert_eq!(v["method"], "spectral_bundle");
    let (lo, hi, obj) = (
        v["lower_bound"].as_f64().unwrap(),
        v["upper_bound"].as_f64().unwrap(),
        v["objective"].as_f64().unwrap(),
    );
    assert!(lo <= hi && obj == lo, "{lo} {hi} {obj}");
    assert!(v["gap"].as_f64().unwrap() <= 1e-7 * obj.abs().max(1.0));
    assert!(v["gradient_norm"].is_null());
    // max_iter 1 cannot certify: exit 3, status max_iterations.
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args([
            "solve",
            file.to_str().unwrap(),
            "--method",
            "spectral_bundle",
            "--quiet",
        ])
        .args(["--max-iter", "1"])
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A complex variable: A(z) = A₀ + z B + conj(z) Bᴴ is Hermitian and affine in (Re z, Im z).
#[test]
fn complex_variable_agrees_with_sdp() {
    let text = r#"
[variables]
z = { type = "complex", shape = [2] }
[data]
G = { random = "complex_normal", shape = [16, 16], seed = 41 }
A0 = { expr = "G + G'" }
B = { random = "complex_normal", shape = [16, 16], seed = 42 }
C = { random = "complex_normal", shape = [16, 16], seed = 43 }
[objective]
minimize = "lambda_max(A0 + z[0] * B + conj(z[0]) * B' + z[1] * C + conj(z[1]) * C')"
"#;
    let p = load(text);
    let b = run(&p, "spectral_bundle");
    let s = run(&p, "sdp");
    agree(&b, &s, 1e-6);
    certified(&b, s.objective);
}

#[test]
fn time_limit_and_tol_zero() {
    let p = load(&affine_problem(
        40,
        5,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let o = SolveOptions {
        method: Some("spectral_bundle".into()),
        tol: Some(0.0),
        max_iter: Some(15),
        ..Default::default()
    };
    let r = solve(&p, &o).unwrap();
    // tol = 0 never stops on the gap.
    assert!(
        matches!(r.status, Status::MaxIterations | Status::Stalled),
        "{:?}: {}",
        r.status,
        r.message
    );
    let o = SolveOptions {
        method: Some("spectral_bundle".into()),
        time_limit: Some(std::time::Duration::from_nanos(1)),
        ..Default::default()
    };
    assert_eq!(solve(&p, &o).unwrap().status, Status::TimeLimit);
}

#[test]
fn observer_sees_a_nonincreasing_center() {
    let p = load(&affine_problem(
        20,
        3,
        false,
        "minimize = \"lambda_max(ARG)\"",
        "",
    ));
    let seen = std::cell::RefCell::new(Vec::new());
    let o = SolveOptions {
        method: Some("spectral_bundle".into()),
        observer: Some(wirtinger::solve::Observer::new(|i| {
            seen.borrow_mut()
                .push((i.iter, i.value, i.method.to_string()))
        })),
        ..Default::default()
    };
    let r = solve(&p, &o).unwrap();
    drop(o);
    let seen = seen.into_inner();
    assert_eq!(r.status, Status::Optimal);
    assert_eq!(seen[0].0, 0);
    assert!(seen.len() >= 2 && seen.iter().all(|s| s.2 == "spectral_bundle"));
    assert!(seen
        .windows(2)
        .all(|w| w[1].1 <= w[0].1 && w[1].0 == w[0].0 + 1));
    assert!(seen.last().unwrap().1 >= r.objective - 1e-12);
}
