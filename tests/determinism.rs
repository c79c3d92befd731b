//! Determinism (issue 6, item 6): the same problem file gives bit-identical result files run
//! after run, in-process and through the binary. Timing fields (`time_seconds`, per-phase
//! `timings`, any key ending in `_seconds`) are the only ones excluded. Numbers are compared
//! through their JSON text, which serde_json writes as the shortest round-trip representation,
//! so equal text means equal bits.
//!
//! Thread counts: faer (dense factorizations) and Clarabel run on rayon's pool; the binary runs
//! here once with the default pool and once with `RAYON_NUM_THREADS=1`, each twice, and each
//! pair must agree (docs/reliability.md explains why different thread counts may differ in the
//! last bits and how to pin them).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use wirtinger::io::load_problem;
use wirtinger::io::result::result_json;
use wirtinger::solve::{solve, SolveOptions};

/// (file, method) pairs covering each solver family and the SDP path.
const CASES: &[(&str, &str)] = &[
    ("least_squares.toml", "auto"),
    ("phase_retrieval.toml", "auto"),
    ("rayleigh_quotient.toml", "trust_region"),
    ("rayleigh_quotient.toml", "lbfgs"),
    ("mvdr_beamformer.toml", "newton"),
    ("lovasz_theta_c5.toml", "auto"),
];

fn problem_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("problems")
        .join(name)
}

/// Removes timing fields, recursively.
fn strip_timing(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !(k == "timings" || k.ends_with("_seconds")));
            m.values_mut().for_each(strip_timing);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_timing),
        _ => {}
    }
}

fn in_process(name: &str, method: &str) -> String {
    let p = load_problem(&problem_path(name)).unwrap();
    let r = solve(
        &p,
        &SolveOptions {
            method: Some(method.into()),
            ..SolveOptions::default()
        },
    )
    .unwrap();
    let mut v = result_json(&p, &r);
    strip_timing(&mut v);
    serde_json::to_string(&v).unwrap()
}

fn via_binary(name: &str, method: &str, threads: Option<&str>, tag: &str) -> String {
    let out = std::env::temp_dir().join(format!(
        "wirtinger-det-{}-{tag}-{method}-{name}.json",
        std::process::id()
    ));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirtinger"));
    cmd.arg("solve")
        .arg(problem_path(name))
        .args(["--quiet", "--method", method, "--output"])
        .arg(&out);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    let o = cmd.output().unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "{name} {method}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut v: Value = serde_json::from_str(&text).unwrap();
    strip_timing(&mut v);
    serde_json::to_string(&v).unwrap()
}

#[test]
fn strip_timing_removes_only_timing_fields() {
    let mut v: Value = serde_json::from_str(
        r#"{"objective": 1.5, "time_seconds": 0.1, "sdp": {"timings": {"a": 1}, "gap": 2, "x_seconds": 3}}"#,
    )
    .unwrap();
    strip_timing(&mut v);
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"objective":1.5,"sdp":{"gap":2}}"#
    );
}

#[test]
fn results_are_bit_identical_in_process() {
    for (name, method) in CASES {
        let a = in_process(name, method);
        let b = in_process(name, method);
        assert_eq!(a, b, "{name} with {method}");
        assert!(a.contains("\"objective\""), "{a}");
    }
}

#[test]
fn results_are_bit_identical_through_the_binary() {
    for (name, method) in CASES {
        let here = in_process(name, method);
        for threads in [None, Some("1")] {
            let tag = threads.unwrap_or("default");
            let a = via_binary(name, method, threads, &format!("{tag}a"));
            let b = via_binary(name, method, threads, &format!("{tag}b"));
            assert_eq!(a, b, "{name} with {method}, RAYON_NUM_THREADS={tag}");
            if threads.is_none() {
                // The test process and the binary use the same default pool size.
                assert_eq!(a, here, "{name} with {method}: binary vs in-process");
            }
        }
    }
}
