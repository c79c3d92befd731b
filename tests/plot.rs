//! `wirtinger solve --plot FILE.svg`: the SVG is produced, is well-formed XML (parsed with
//! roxmltree), and draws the series it should, checked against numbers computed outside the
//! plot: the iteration history of the result file (the points of each line, and their heights
//! affine in log₁₀ of the values, i.e. a log axis), and for an eigenvalue problem the eigenvalues
//! of A(x*) recomputed with faer from the solution (their heights affine in the values, and the
//! triple eigenvalue at the Ky Fan optimum drawn at one height). A plot that cannot be written is
//! exit 2 with one message, and leaves no file behind.

use faer::{Mat, Side};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Colours of the series (src/cli/plot.rs: objective PALETTE[0], gradient PALETTE[2]).
const OBJECTIVE: &str = "#1F77B4";
const GRADIENT: &str = "#2CA02C";

fn wirtinger(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run wirtinger")
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wirtinger-plot-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("result file")).expect("JSON")
}

/// Solves `problem` with `--plot` and `--output`; returns the SVG text and the result.
fn solve_and_plot(problem: &str, tag: &str, extra: &[&str]) -> (String, serde_json::Value, i32) {
    let d = tmpdir(tag);
    let svg = d.join("plot.svg");
    let out = d.join("result.json");
    let mut args = vec![
        "solve",
        problem,
        "--quiet",
        "--plot",
        svg.to_str().expect("utf-8 path"),
        "--output",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let o = wirtinger(&args);
    let code = o.status.code().expect("exit code");
    assert!(
        code == 0 || code == 3,
        "{problem}: exit {code}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&svg).expect("the SVG file exists");
    let result = json(&out);
    let _ = std::fs::remove_dir_all(&d);
    (text, result, code)
}

/// The text of every `<text>` element, trimmed.
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// The polylines of one colour, as point lists (pixels).
fn polylines(doc: &roxmltree::Document, stroke: &str) -> Vec<Vec<(f64, f64)>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(stroke))
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').expect("x,y");
                    (x.parse().expect("x"), y.parse().expect("y"))
                })
                .collect()
        })
        .collect()
}

/// Circles of one colour and radius: (cx, cy).
fn circles(doc: &roxmltree::Document, fill: &str, r: &str) -> Vec<(f64, f64)> {
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("circle")
                && n.attribute("fill") == Some(fill)
                && n.attribute("r") == Some(r)
        })
        .map(|n| {
            let a = |k| {
                n.attribute(k)
                    .and_then(|v| v.parse().ok())
                    .expect("coordinate")
            };
            (a("cx"), a("cy"))
        })
        .collect()
}

/// Asserts that pixel heights are an affine function of `values` (to rounding to whole pixels):
/// fit through the extremes, check every point; the function must decrease (SVG y grows down).
fn assert_affine(heights: &[f64], values: &[f64], what: &str) {
    assert_eq!(heights.len(), values.len(), "{what}: point count");
    let (imax, imin) = (0..values.len()).fold((0, 0), |(a, b), i| {
        (
            if values[i] > values[a] { i } else { a },
            if values[i] < values[b] { i } else { b },
        )
    });
    let slope = (heights[imax] - heights[imin]) / (values[imax] - values[imin]);
    assert!(slope < 0.0, "{what}: larger values must be drawn higher");
    for (h, v) in heights.iter().zip(values) {
        let predicted = heights[imin] + slope * (v - values[imin]);
        assert!(
            (h - predicted).abs() <= 1.01,
            "{what}: value {v} drawn at y = {h}, expected {predicted:.2}"
        );
    }
}

#[test]
fn smooth_problem_draws_objective_and_gradient_norm_on_log_axes() {
    // A maximization whose objective is negative at the start: drawn as f_max − f.
    let (svg, result, code) = solve_and_plot("problems/amplitude_noise_ml.toml", "ml", &[]);
    assert_eq!(code, 0);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let t = texts(&doc);
    for want in [
        "objective per iteration",
        "gradient norm per iteration (g = 2∂f/∂z̄)",
        "f_max − f (log scale)",
        "‖g‖ (log scale)",
        "iteration",
    ] {
        assert!(
            t.iter().any(|s| s == want),
            "missing text {want:?} in {t:?}"
        );
    }
    let f_max = result["objective"].as_f64().expect("objective");
    assert!(
        t.iter()
            .any(|s| s == &format!("f_max − f, f_max = {f_max:.6e}")),
        "legend with f_max = {f_max:.6e} in {t:?}"
    );

    let history: Vec<(f64, f64, f64)> = result["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|row| {
            let v = |i: usize| row[i].as_f64().unwrap_or(f64::NAN);
            (v(0), v(1), v(2))
        })
        .collect();
    assert!(history.len() >= 3, "history {history:?}");
    // The best value of the history is the maximum; its own point (distance 0) is not drawn.
    let best = history
        .iter()
        .map(|h| h.1)
        .fold(f64::NEG_INFINITY, f64::max);
    let dist: Vec<(f64, f64)> = history
        .iter()
        .map(|h| (h.0, best - h.1))
        .filter(|d| d.1 > 0.0)
        .collect();
    let lines = polylines(&doc, OBJECTIVE);
    let line = lines.iter().find(|l| l.len() > 2).expect("objective line");
    assert_eq!(line.len(), dist.len(), "one point per drawn iteration");
    assert!(
        line.windows(2).all(|w| w[1].0 > w[0].0),
        "iterations left to right"
    );
    let logs: Vec<f64> = dist.iter().map(|d| d.1.log10()).collect();
    assert_affine(
        &line.iter().map(|p| p.1).collect::<Vec<_>>(),
        &logs,
        "objective",
    );
    // x is affine in the iteration number too
    let iters: Vec<f64> = dist.iter().map(|d| -d.0).collect();
    assert_affine(
        &line.iter().map(|p| p.0).collect::<Vec<_>>(),
        &iters,
        "iterations",
    );

    let grads: Vec<f64> = history
        .iter()
        .map(|h| h.2)
        .filter(|g| g.is_finite() && *g > 0.0)
        .collect();
    let lines = polylines(&doc, GRADIENT);
    let line = lines.iter().find(|l| l.len() > 2).expect("gradient line");
    let logs: Vec<f64> = grads.iter().map(|g| g.log10()).collect();
    assert_affine(
        &line.iter().map(|p| p.1).collect::<Vec<_>>(),
        &logs,
        "gradient",
    );
    // the gradient falls by many decades: the plot spans them
    assert!(logs[0] - logs[logs.len() - 1] > 8.0, "{logs:?}");
}

#[test]
fn eigenvalue_problem_draws_the_spectrum_with_its_multiplicities() {
    let (svg, result, code) = solve_and_plot("problems/ky_fan_theta_c7.toml", "kyfan", &[]);
    assert_eq!(code, 0);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let t = texts(&doc);
    assert!(t
        .iter()
        .any(|s| s == "spectrum at the solution (×m: a value of multiplicity m)"));
    assert!(t.iter().any(|s| s == "eigenvalue λᵢ(A(x*))"));
    assert!(
        t.iter()
            .any(|s| s.starts_with("sum_largest(·, 2) in the objective (line ")),
        "{t:?}"
    );
    // sdp keeps no history: no history panels, and the title says why
    assert!(!t.iter().any(|s| s == "objective per iteration"));
    assert!(
        t.iter()
            .any(|s| s.contains("sdp keeps no iteration history")),
        "{t:?}"
    );

    // The eigenvalues of A(x*) = J + S diag(x) + diag(x) Sᵀ, recomputed with faer.
    let x: Vec<f64> = result["variables"]["x"]
        .as_array()
        .expect("x")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    let n = 7;
    let a = Mat::<f64>::from_fn(n, n, |i, j| {
        let edge = if i == (j + 1) % n {
            x[j] // S[j+1, j]·x_j
        } else if j == (i + 1) % n {
            x[i] // (diag(x) Sᵀ)[i, i+1]
        } else {
            0.0
        };
        1.0 + edge
    });
    let mut lam: Vec<f64> = a
        .self_adjoint_eigenvalues(Side::Lower)
        .expect("eigenvalues");
    lam.reverse();
    // the optimum 2θ(C7) = λ₁ + λ₂, with λ₁ = λ₂ = λ₃
    let c = (std::f64::consts::PI / 7.0).cos();
    assert!((lam[0] + lam[1] - 14.0 * c / (1.0 + c)).abs() < 1e-6);
    assert!(lam[0] - lam[2] < 1e-6, "{lam:?}");

    let mut pts = circles(&doc, OBJECTIVE, "4");
    pts.sort_by(|p, q| p.0.total_cmp(&q.0));
    assert_eq!(pts.len(), n, "one point per eigenvalue");
    assert_affine(
        &pts.iter().map(|p| p.1).collect::<Vec<_>>(),
        &lam,
        "spectrum",
    );
    assert!(
        pts[0].1 == pts[1].1 && pts[1].1 == pts[2].1,
        "the triple eigenvalue at one height: {pts:?}"
    );
    assert!(t.iter().any(|s| s == "×3"), "{t:?}");
    assert!(t.iter().any(|s| s == "×2"), "{t:?}");
}

#[test]
fn a_solve_that_stops_early_still_draws_its_history() {
    let (svg, result, code) =
        solve_and_plot("problems/rank_one_fit.toml", "early", &["--max-iter", "5"]);
    assert_eq!(code, 3);
    assert_eq!(result["status"], "max_iterations");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let lines = polylines(&doc, OBJECTIVE);
    assert!(
        lines.iter().any(|l| l.len() == 6),
        "iterations 0..=5: {lines:?}"
    );
}

#[test]
fn an_unwritable_plot_path_is_exit_2_with_a_message() {
    let d = tmpdir("bad");
    let missing = d.join("no-such-dir").join("p.svg");
    // found before the solve: a missing directory, a directory in the way
    let mut cases = vec![
        missing.to_str().expect("utf-8").to_string(),
        d.to_str().expect("utf-8").to_string(),
    ];
    // found when writing, after the solve: /proc takes no new files
    if cfg!(target_os = "linux") {
        cases.push("/proc/wirtinger-plot-test.svg".to_string());
    }
    for target in &cases {
        let o = wirtinger(&[
            "solve",
            "problems/least_squares.toml",
            "--quiet",
            "--plot",
            target,
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{target}: {err}");
        assert!(err.contains("cannot write the plot"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(
            err.trim()
                .lines()
                .filter(|l| l.starts_with("error"))
                .count(),
            1,
            "{err}"
        );
    }
    assert!(!missing.exists());
    // no temporary file left behind
    let left: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_existing_plot_is_replaced_whole() {
    let d = tmpdir("replace");
    let svg = d.join("p.svg");
    std::fs::write(&svg, "old").expect("write");
    let o = wirtinger(&[
        "solve",
        "problems/least_squares.toml",
        "--quiet",
        "--plot",
        svg.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&svg).expect("svg");
    roxmltree::Document::parse(&text).expect("well-formed SVG");
    let names: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["p.svg".to_string()]);
    let _ = std::fs::remove_dir_all(&d);
}
