//! `wirtinger analyze`: at a solved result file (θ(C5): the top eigenvalue √5 is triple at the
//! optimum), at the initial point, with `--json`, `--direction` and `--matrix`; bad input exits 2
//! with one message naming the file.

use std::path::PathBuf;
use std::process::Command;

fn wirtinger(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args(args)
        .output()
        .expect("run wirtinger");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wirtinger-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn root(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[cfg(all(feature = "faer-blas", not(feature = "system-blas")))]
#[test]
fn analyze_at_a_solved_lovasz_theta() {
    let problem = root("problems/lovasz_theta_c5.toml");
    let result = tmp("c5.json");
    let (code, _, err) = wirtinger(&[
        "solve",
        &problem,
        "--quiet",
        "--output",
        result.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let json = tmp("c5-analysis.json");
    let (code, out, err) = wirtinger(&[
        "analyze",
        &problem,
        "--at",
        result.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--direction",
        "1,0,0,0,0",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("multiplicity 3"), "{out}");
    assert!(out.contains("NOT differentiable"), "{out}");
    assert!(out.contains("generalized-gradient matrices"), "{out}");
    assert!(out.contains("φ′(x; d)"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let a = &doc["atoms"][0];
    assert_eq!(a["function"], "lambda_max");
    assert_eq!(a["smooth"], false);
    let c = a["active_cluster"].as_u64().unwrap() as usize;
    assert_eq!(a["clusters"][c]["multiplicity"], 3);
    let v = a["value"].as_f64().unwrap();
    assert!((v - 5f64.sqrt()).abs() < 1e-7);
    assert_eq!(a["gradient_matrices"].as_array().unwrap().len(), 5);
    // tr Gⱼ = tr(Vᴴ Eⱼ V): by the symmetry of C5 every edge gets the same trace
    let tr = |j: usize| -> f64 {
        let m = &a["gradient_matrices"][j]["matrix"]["re"];
        (0..3).map(|i| m[i][i].as_f64().unwrap()).sum()
    };
    for j in 1..5 {
        assert!((tr(j) - tr(0)).abs() < 1e-6);
    }
    let plus = a["one_sided_derivatives"][0]["plus"].as_f64().unwrap();
    assert!((a["direction_derivative"].as_f64().unwrap() - plus).abs() < 1e-12);
}

#[test]
fn analyze_initial_point_and_matrix() {
    let text = "[data]\nJ = [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]\nA0 = [[1.0, 0.0], [0.0, 1.0]]\nA1 = [[1.0, 0.0], [0.0, -1.0]]\n[variables]\nx = { type = \"real\", shape = [1] }\n[objective]\nminimize = \"lambda_max(A0 + x[0] * A1)\"\n";
    let file = tmp("p.toml");
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = wirtinger(&["analyze", file.to_str().unwrap(), "--matrix", "J"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("at the initial point"), "{out}");
    assert!(out.contains("(line 8, column 13)"), "{out}");
    assert!(out.contains("multiplicity 2"), "{out}");
    assert!(out.contains("+1.0000000000  +1.0000000000  (kink"), "{out}");
    assert!(out.contains("nearly defective"), "{out}");
}

#[test]
fn analyze_rejects_bad_input_with_exit_2() {
    let text = "[data]\nA0 = [[1.0, 0.0], [0.0, 1.0]]\n[variables]\nx = { type = \"real\", shape = [2] }\n[objective]\nminimize = \"lambda_max(A0 * x[0])\"\n";
    let file = tmp("q.toml");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let missing = tmp("missing.json");
    let wrong = tmp("wrong.json");
    std::fs::write(&wrong, r#"{"variables": {"x": [1.0]}}"#).unwrap();
    let notjson = tmp("notjson.json");
    std::fs::write(&notjson, "{\n  \"variables\": [,\n}").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--at", missing.to_str().unwrap()], "cannot read"),
        (
            vec!["--at", wrong.to_str().unwrap()],
            "has 1 entries, expected 2",
        ),
        (vec!["--at", notjson.to_str().unwrap()], "notjson.json:2:"),
        (vec!["--direction", "1"], "2 real coordinates"),
        (vec!["--direction", "1,a"], "comma-separated"),
        (vec!["--matrix", "ones(2)"], "square matrix"),
        (vec!["--matrix", "nope"], "unknown name"),
        (vec!["--cluster-tol", "-1"], "--cluster-tol"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["analyze", f];
        args.extend(extra.iter().copied());
        let (code, _, err) = wirtinger(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }
    let bad = tmp("bad.toml");
    std::fs::write(&bad, "[variables\n").unwrap();
    let (code, _, err) = wirtinger(&["analyze", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml:1:"), "{err}");
}

/// A JSON error in a CRLF file with a two-byte character is located at its own line and
/// column (characters), and a full standard output is an error (exit 1), not a panic (101).
#[test]
fn analyze_crlf_json_error_location_and_unwritable_stdout() {
    let p = root("problems/lovasz_theta_c5.toml");
    let r = tmp("crlf.json");
    std::fs::write(&r, "{\"variables\":\r\n {\"é\": ,\r\n").unwrap();
    let (code, _, err) = wirtinger(&["analyze", &p, "--at", r.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("crlf.json:2:8:"), "{err}");
    if std::path::Path::new("/dev/full").exists() {
        let out = Command::new(env!("CARGO_BIN_EXE_wirtinger"))
            .args(["analyze", &p])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot write to standard output"), "{err}");
    }
}
