//! Sparse stacks of matrices (`{ files = [...] }` of Matrix Market coordinate files) end to end:
//! loading, `lincomb(x, S)` and `S[i]` in the engine against finite differences and against the
//! same problem with dense data, the affine extraction without N·n² memory, and the spectral
//! bundle method against the dense SDP path on graph Laplacian stacks.

use num_complex::Complex64 as C64;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use wirtinger::cr::check_derivatives;
use wirtinger::eig::recognize::recognize;
use wirtinger::expr::DataValue;
use wirtinger::io::{load_problem, parse_problem};
use wirtinger::model::builder::{fns::*, ProblemBuilder, E};
use wirtinger::model::{Problem, SparseStack};
use wirtinger::solve::{solve, SolveOptions, Status};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for one test's files.
fn tempdir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let p = std::env::temp_dir().join(format!(
        "wirtinger-sparse-stacks-{}-{tag}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// A splitmix64 stream in [0, 1).
fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The cycle on n nodes plus chords, m edges in all (distinct, seeded).
fn graph(n: usize, m: usize, seed: u64) -> Vec<(usize, usize)> {
    let mut r = rng(seed);
    let mut edges: Vec<(usize, usize)> = (0..n)
        .map(|i| (i.min((i + 1) % n), i.max((i + 1) % n)))
        .collect();
    let mut seen: std::collections::HashSet<(usize, usize)> = edges.iter().copied().collect();
    while edges.len() < m {
        let (a, b) = ((r() * n as f64) as usize, (r() * n as f64) as usize);
        let e = (a.min(b), a.max(b));
        if a != b && seen.insert(e) {
            edges.push(e);
        }
    }
    edges
}

fn edge_laplacian(i: usize, j: usize) -> Vec<(usize, usize, C64)> {
    let one = C64::new(1.0, 0.0);
    vec![(i, i, one), (j, j, one), (i, j, -one), (j, i, -one)]
}

/// Writes the edge Laplacians as symmetric coordinate .mtx files; returns the `files` array.
fn write_graph(dir: &std::path::Path, n: usize, edges: &[(usize, usize)]) -> String {
    let mut names = Vec::new();
    for (e, &(i, j)) in edges.iter().enumerate() {
        let name = format!("L{e}.mtx");
        std::fs::write(
            dir.join(&name),
            format!(
                "%%MatrixMarket matrix coordinate real symmetric\n{n} {n} 3\n{} {} 1\n{} {} 1\n{} {} -1\n",
                i + 1, i + 1, j + 1, j + 1, j + 1, i + 1
            ),
        )
        .unwrap();
        names.push(format!("\"{name}\""));
    }
    format!("[{}]", names.join(", "))
}

/// max λ₂ of the weighted Laplacian of a graph, as a file with an .mtx stack.
fn connectivity_file(n: usize, m: usize, seed: u64, tag: &str) -> Problem {
    let dir = tempdir(tag);
    let files = write_graph(&dir, n, &graph(n, m, seed));
    let c = 2.0 / (n * (n - 1)) as f64;
    let text = format!(
        r#"[variables]
w = {{ type = "real", shape = [{m}], init = {{ expr = "ones({m}) / {m}" }} }}
[data]
J = {{ expr = "{c:e} * ones({n}) * ones({n})'" }}
L = {{ files = {files} }}
[objective]
maximize = "lambda_min(lincomb(w, L) + J)"
[[constraints]]
expr = "sum(w) == 1"
[[constraints]]
expr = "w >= 0"
"#
    );
    let path = dir.join("p.toml");
    std::fs::write(&path, text).unwrap();
    load_problem(&path).unwrap()
}

fn run(p: &Problem, method: &str, tol: Option<f64>) -> wirtinger::solve::Report {
    let o = SolveOptions {
        method: Some(method.into()),
        tol,
        ..Default::default()
    };
    solve(p, &o).unwrap()
}

const STACK_FILES: [(&str, &str); 3] = [
    (
        "S0.mtx",
        "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 2\n3 1 -1\n2 2 4\n",
    ),
    (
        "S1.mtx",
        "%%MatrixMarket matrix coordinate complex hermitian\n3 3 2\n2 1 1 1\n3 3 3 0\n",
    ),
    (
        "S2.mtx",
        "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 2 0.5\n3 2 -2\n",
    ),
];

/// The same three matrices as inline dense data.
const DENSE_DATA: &str = r#"
S0 = [[2, 0, -1], [0, 4, 0], [-1, 0, 0]]
S1 = { re = [[0, 1, 0], [1, 0, 0], [0, 0, 3]], im = [[0, -1, 0], [1, 0, 0], [0, 0, 0]] }
S2 = [[0, 0.5, 0], [0, 0, 0], [0, -2, 0]]
"#;

#[test]
fn mtx_stack_is_sparse_and_matches_dense_data_in_value_gradient_and_hessian() {
    let dir = tempdir("engine");
    for (name, text) in STACK_FILES {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let objectives = [
        // smooth: a least-squares misfit, a quadratic form, a product with a variable
        "norm2sq(lincomb(z, S) - S[1]) + real(u' * lincomb(z, S) * u)",
        "sum(abs2(lincomb(z, S) * u)) + abs2(trace(lincomb(z, S)))",
        // eigenvalue (nonsmooth, differentiable at a random point)
        "lambda_max(lincomb(z, S) + lincomb(z, S)') + norm2sq(z)",
    ];
    for obj in objectives {
        let vars = "[variables]\nz = { type = \"complex\", shape = [3], init = { re = [0.3, -0.2, 0.7], im = [0.1, 0.4, -0.5] } }\nu = { type = \"complex\", shape = [3], init = { re = [1, 0.5, -1], im = [0, 1, 0.25] } }\n";
        let sparse_text = format!(
            "{vars}[data]\nS = {{ files = [\"S0.mtx\", \"S1.mtx\", \"S2.mtx\"] }}\n[objective]\nminimize = \"{obj}\"\n"
        );
        let path = dir.join("sparse.toml");
        std::fs::write(&path, &sparse_text).unwrap();
        let sp = load_problem(&path).unwrap();
        match sp.data.get("S") {
            Some(DataValue::SparseStack(s)) => {
                assert_eq!(s.len(), 3);
                assert_eq!(s.nnz(), 4 + 3 + 2, "stored entries only (mirrors expanded)");
                assert!(!s.is_real());
            }
            other => panic!("expected a sparse stack, got {other:?}"),
        }
        let dense_obj = obj
            .replace("lincomb(z, S)", "(z[0] * S0 + z[1] * S1 + z[2] * S2)")
            .replace("S[1]", "S1");
        let dense_text =
            format!("{vars}[data]\n{DENSE_DATA}[objective]\nminimize = \"{dense_obj}\"\n");
        let de = parse_problem(&dense_text, &dir.join("dense.toml")).unwrap();
        let (fs, fd) = (sp.function().unwrap(), de.function().unwrap());
        let mut r = rng(5);
        for _ in 0..3 {
            let z: Vec<C64> = (0..6).map(|_| C64::new(r() - 0.5, r() - 0.5)).collect();
            let (vs, gs) = fs.value_gradient(&z).unwrap();
            let (vd, gd) = fd.value_gradient(&z).unwrap();
            assert!(
                (vs - vd).abs() <= 1e-12 * vd.abs().max(1.0),
                "{obj}: {vs} vs {vd}"
            );
            for (a, b) in gs.iter().zip(&gd) {
                assert!(
                    (a - b).norm() <= 1e-11 * (1.0 + b.norm()),
                    "{obj}: gradient"
                );
            }
            let v: Vec<C64> = (0..6).map(|_| C64::new(r() - 0.5, r() - 0.5)).collect();
            let (hs, hd) = (fs.hvp(&z, &v).unwrap(), fd.hvp(&z, &v).unwrap());
            for (a, b) in hs.iter().zip(&hd) {
                assert!((a - b).norm() <= 1e-10 * (1.0 + b.norm()), "{obj}: Hessian");
            }
        }
        // Against finite differences (what `wirtinger check` runs).
        let rep = check_derivatives(&fs, &sp.initial_point(), 11).unwrap();
        assert!(rep.passed(), "{obj}: {rep:?}");
        // The dense Hessian pair, assembled with sparse unit tangents through Lincomb.
        let (h, _) = fs.hessian(&sp.initial_point()).unwrap();
        let (hd, _) = fd.hessian(&de.initial_point()).unwrap();
        for j in 0..h.ncols() {
            for i in 0..h.nrows() {
                assert!((h[(i, j)] - hd[(i, j)]).norm() <= 1e-10 * (1.0 + hd[(i, j)].norm()));
            }
        }
    }
}

/// Loads `text` from a directory holding the stack files plus `extra` files; the error.
fn rejected(text: &str, extra: &[(&str, &str)]) -> wirtinger::Diagnostic {
    let dir = tempdir("bad");
    for (name, t) in STACK_FILES.iter().chain(extra) {
        std::fs::write(dir.join(name), t).unwrap();
    }
    let path = dir.join("p.toml");
    std::fs::write(&path, text).unwrap();
    match load_problem(&path) {
        Ok(_) => panic!("accepted: {text}"),
        Err(d) => d,
    }
}

/// 1-based (line, column) of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str) -> (usize, usize) {
    let off = text.find(needle).unwrap();
    let line = text[..off].matches('\n').count() + 1;
    let col = text[..off].rfind('\n').map_or(off, |p| off - p - 1) + 1;
    (line, col)
}

#[test]
fn bad_sparse_stacks_are_rejected_with_positions() {
    let head = "[variables]\nx = { type = \"real\", shape = [3] }\n[data]\n";
    // Files of different shapes.
    let text = format!(
        "{head}S = {{ files = [\"S0.mtx\", \"T.mtx\", \"S2.mtx\"] }}\n[objective]\nminimize = \"norm2sq(lincomb(x, S))\"\n"
    );
    let d = rejected(
        &text,
        &[(
            "T.mtx",
            "%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 1\n",
        )],
    );
    assert!(
        d.message
            .contains("`T.mtx` has shape [2, 3] but the first matrix of the stack has [3, 3]"),
        "{}",
        d.message
    );
    assert_eq!(d.line_col(), Some(at(&text, "\"T.mtx\"")));
    // A broken file: its own line and column, and the entry's position in the TOML.
    let text = format!(
        "{head}S = {{ files = [\"S0.mtx\", \"B.mtx\"] }}\n[objective]\nminimize = \"norm2sq(lincomb(x, S))\"\n"
    );
    let d = rejected(
        &text,
        &[(
            "B.mtx",
            "%%MatrixMarket matrix coordinate real general\n3 3 1\n4 1 1\n",
        )],
    );
    assert!(
        d.message.contains("cannot read `B.mtx` (line 3"),
        "{}",
        d.message
    );
    assert_eq!(d.line_col(), Some(at(&text, "\"B.mtx\"")));
    // A non-square stack under an eigenvalue function.
    let text = format!(
        "{head}S = {{ files = [\"R0.mtx\", \"R1.mtx\", \"R2.mtx\"] }}\n[objective]\nminimize = \"lambda_max(lincomb(x, S))\"\n"
    );
    let rect = "%%MatrixMarket matrix coordinate real general\n2 3 1\n1 3 1\n";
    let d = rejected(
        &text,
        &[("R0.mtx", rect), ("R1.mtx", rect), ("R2.mtx", rect)],
    );
    assert!(d.message.contains("square"), "{}", d.message);
    assert_eq!(d.line_col(), Some(at(&text, "lincomb(x, S))\"")));
    // S[i] out of range.
    let text = format!(
        "{head}S = {{ files = [\"S0.mtx\", \"S1.mtx\", \"S2.mtx\"] }}\n[objective]\nminimize = \"norm2sq(lincomb(x, S) - S[3])\"\n"
    );
    let d = rejected(&text, &[]);
    assert!(
        d.message
            .contains("index 3 out of range: `S` has 3 matrices"),
        "{}",
        d.message
    );
    assert_eq!(d.line_col(), Some(at(&text, "3])")));
    // lincomb length mismatch.
    let text = "[variables]\nx = { type = \"real\", shape = [2] }\n[data]\nS = { files = [\"S0.mtx\", \"S1.mtx\", \"S2.mtx\"] }\n[objective]\nminimize = \"norm2sq(lincomb(x, S))\"\n".to_string();
    let d = rejected(&text, &[]);
    assert!(
        d.message
            .contains("`lincomb(x, S)` needs x of shape [3], got [2]"),
        "{}",
        d.message
    );
    assert_eq!(d.line_col(), Some(at(&text, "x, S))")));
    // A stack is not a value.
    let text = format!(
        "{head}S = {{ files = [\"S0.mtx\", \"S1.mtx\", \"S2.mtx\"] }}\n[objective]\nminimize = \"norm2sq(S)\"\n"
    );
    let d = rejected(&text, &[]);
    assert!(d
        .message
        .contains("`S` is a stack of 3 matrices, not a value"));
}

#[test]
fn affine_extraction_of_a_long_lincomb_is_proportional_to_nnz() {
    // n = 400, N = 2000 edge Laplacians: N dense tangents of n² complex entries would be
    // 2000 · 160000 · 16 B = 5.1 GB (plus as much again in intermediate nodes).
    let (n, m) = (400, 2000);
    let edges = graph(n, m, 3);
    let st = SparseStack::from_entries(
        n,
        n,
        edges.iter().map(|&(i, j)| edge_laplacian(i, j)).collect(),
    )
    .unwrap();
    let mut b = ProblemBuilder::new();
    let w = b.real_var("w", &[m]);
    let l = b.sparse_stack("L", st);
    b.maximize(lambda_min(
        lincomb(w.clone(), l) + E::real(1.0 / n as f64) * eye(n),
    ));
    b.constrain(sum(w.clone()).equals(E::real(1.0)));
    b.constrain(w.ge(E::real(0.0)));
    let p = b.build().unwrap();
    let t = Instant::now();
    let rec = recognize(&p).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let arg = &rec.objective.atoms[0].arg;
    let stored: usize = arg.rows.iter().map(Vec::len).sum();
    // −(L(w) + I/n): 4 entries per edge, plus nothing else depends on w.
    assert_eq!(stored, 4 * m);
    assert!(secs < 20.0, "extraction took {secs} s");
    // The map is exact: edge e moves (i, i) by −1 (the atom is negated for max λ_min).
    let (i, j) = edges[7];
    let row = &arg.rows[i + j * n];
    assert_eq!(row, &vec![(7, C64::new(1.0, 0.0))]);
}

#[test]
fn spectral_bundle_agrees_with_the_dense_sdp_on_graph_stacks() {
    // A random connected graph: 30 nodes, 60 edges (no closed form; the two methods must agree),
    // and the hypercube Q5 of the gallery (λ₂* = 1/40, a 5-fold eigenvalue at the optimum).
    let p = connectivity_file(30, 60, 9, "rand30");
    let q5 = load_problem(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("problems/algebraic_connectivity_q5.toml"),
    )
    .unwrap();
    for (p, known) in [(&p, None), (&q5, Some(0.025))] {
        let sdp = run(p, "sdp", None);
        assert_eq!(sdp.status, Status::Optimal, "{}", sdp.message);
        let tol = 1e-7;
        let sb = run(p, "spectral_bundle", Some(tol));
        assert_eq!(sb.status, Status::Optimal, "{}", sb.message);
        assert!(
            (sb.objective - sdp.objective).abs() <= 1e-6 * sdp.objective.abs().max(1.0),
            "bundle {} vs sdp {}",
            sb.objective,
            sdp.objective
        );
        if let Some(v) = known {
            assert!((sb.objective - v).abs() < 1e-7, "{} vs {v}", sb.objective);
        }
        // The certificate: a bracket [lower, upper] (maximize: the objective is the lower
        // bound) around the SDP optimum, with gap ≤ tol·max(1, |f|).
        let c = sb.bundle.as_ref().unwrap();
        assert!(c.gap >= 0.0 && c.gap <= tol * sb.objective.abs().max(1.0));
        assert!(c.lower_bound <= sdp.objective + 1e-8 && sdp.objective <= c.upper_bound + 1e-8);
    }
}
