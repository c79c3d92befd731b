//! Ctrl-C during `solve`, with a real SIGINT: the first stops at the next iteration and writes
//! the result with status `interrupted` (exit 3); a second exits at once (130) without leaving a
//! result or temporary file.
#![cfg(unix)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn start(out: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args([
            "solve",
            "tests/fixtures/slow_quadratic.toml",
            "--method",
            "steepest_descent",
            "--tol",
            "0",
            "--max-iter",
            "100000000",
            "--quiet",
            "--output",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn sigint(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wirtinger-int-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn first_ctrl_c_stops_and_writes_an_interrupted_result() {
    let dir = temp_dir("one");
    let out = dir.join("result.json");
    let mut child = start(&out);
    std::thread::sleep(Duration::from_millis(1500));
    sigint(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["status"], "interrupted");
    assert!(v["iterations"].as_u64().unwrap() > 0);
    assert!(v["objective"].as_f64().unwrap().is_finite());
    assert_eq!(v["variables"]["x"].as_array().unwrap().len(), 50);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn second_ctrl_c_exits_at_once_without_a_file() {
    let dir = temp_dir("two");
    let out = dir.join("result.json");
    let mut child = start(&out);
    std::thread::sleep(Duration::from_millis(1500));
    sigint(&child);
    sigint(&child);
    let status = child.wait().unwrap();
    // The second press normally arrives while the solver is still stopping; if the first was
    // handled completely before it, the run ends as after one press.
    assert!(matches!(status.code(), Some(130) | Some(3)), "{status:?}");
    // Never a temporary file; the result file is either absent or complete (when the first
    // press had already finished the run before the second arrived).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(path, out, "unexpected file {path:?}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["status"], "interrupted");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
