//! `wirtinger solve`: exit codes (0 optimal, 2 rejected, 3 other statuses) and the result file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wirtinger(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args(args)
        .output()
        .expect("run wirtinger")
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wirtinger-solve-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn optimal_exits_0_and_writes_the_result_file() {
    let d = tmpdir("ok");
    let out = d.join("r.json");
    let o = wirtinger(&[
        "solve",
        "problems/least_squares.toml",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    for w in ["status", "optimal", "objective", "iterations", "time"] {
        assert!(stdout.contains(w), "summary lacks {w}: {stdout}");
    }
    let j = read_json(&out);
    assert_eq!(j["status"], "optimal");
    assert_eq!(j["method"], "levenberg_marquardt");
    assert!(j["objective"].as_f64().unwrap() > 0.0);
    assert!(j["iterations"].as_u64().unwrap() >= 1);
    assert!(j["gradient_norm"].as_f64().unwrap() < 1e-6);
    assert!(j["time_seconds"].as_f64().unwrap() >= 0.0);
    let z = &j["variables"]["z"];
    assert_eq!(z["re"].as_array().unwrap().len(), 4);
    assert_eq!(z["im"].as_array().unwrap().len(), 4);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn real_variables_scalars_and_matrices_in_the_result_file() {
    let d = tmpdir("shapes");
    let f = d.join("p.toml");
    std::fs::write(
        &f,
        r#"
[variables]
x = { type = "real", shape = [2], init = [0.5, 0.5] }
s = { type = "complex", shape = [] }
W = { type = "complex", shape = [2, 3] }
[objective]
maximize = "-sum((x - 1).^2) - abs2(s - 2i) - norm2sq(W - ones(2) * transpose(ones(3)))"
"#,
    )
    .unwrap();
    let out = d.join("r.json");
    let o = wirtinger(&[
        "solve",
        f.to_str().unwrap(),
        "--method",
        "newton",
        "--output",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let j = read_json(&out);
    assert_eq!(j["method"], "newton");
    assert!(j["objective"].as_f64().unwrap().abs() < 1e-12);
    let x = j["variables"]["x"].as_array().unwrap();
    assert!((x[0].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!((j["variables"]["s"]["im"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    let w = j["variables"]["W"]["re"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].as_array().unwrap().len(), 3);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn not_optimal_exits_3() {
    let d = tmpdir("max");
    let out = d.join("r.json");
    let o = wirtinger(&[
        "solve",
        "problems/phase_retrieval.toml",
        "--method",
        "lbfgs",
        "--max-iter",
        "2",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(read_json(&out)["status"], "max_iterations");
    let o = wirtinger(&[
        "solve",
        "problems/phase_retrieval.toml",
        "--time-limit",
        "0",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(read_json(&out)["status"], "time_limit");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn rejected_inputs_exit_2_with_one_message() {
    for (args, needle) in [
        (
            vec![
                "solve",
                "problems/least_squares.toml",
                "--method",
                "spectral_bundle",
            ],
            "does not fit the spectral_bundle method",
        ),
        (
            vec!["solve", "problems/least_squares.toml", "--method", "bogus"],
            "unknown method",
        ),
        (
            vec!["solve", "problems/rank_one_fit.toml", "--method", "sdp"],
            "not SDP-representable",
        ),
        (
            vec![
                "solve",
                "problems/widely_linear_quadratic.toml",
                "--method",
                "lm",
            ],
            "sum-of-squares",
        ),
        (
            vec!["solve", "problems/least_squares.toml", "--tol", "-1"],
            "--tol",
        ),
        (
            vec!["solve", "problems/least_squares.toml", "--time-limit", "-3"],
            "--time-limit",
        ),
        (
            vec!["solve", "problems/does_not_exist.toml"],
            "does_not_exist.toml",
        ),
    ] {
        let o = wirtinger(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

#[test]
fn unwritable_output_is_rejected_and_leaves_nothing() {
    let o = wirtinger(&[
        "solve",
        "problems/least_squares.toml",
        "--output",
        "/nonexistent-dir/r.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write the result file"));
}
