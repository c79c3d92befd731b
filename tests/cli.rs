//! The binary's exit codes and messages (contract §3).

use std::process::Command;

fn wirtinger(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirtinger"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_agrees_on_a_smooth_problem() {
    let (code, out, err) = wirtinger(&["check", "problems/least_squares.toml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("derivatives agree"), "{out}");
}

#[test]
fn check_disagrees_at_an_eigenvalue_crossing() {
    let (code, out, _) = wirtinger(&["check", "tests/fixtures/crossing.toml"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DISAGREE"), "{out}");
    assert!(out.contains("nonsmooth"), "{out}");
}

#[test]
fn check_rejects_bad_input_with_exit_2_and_one_located_message() {
    let (code, out, err) = wirtinger(&["check", "tests/golden/shape_mismatch.toml"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: tests/golden/shape_mismatch.toml:6:21: "),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

#[test]
fn missing_file_is_rejected() {
    let (code, _, err) = wirtinger(&["check", "tests/fixtures/no_such_file.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("tests/fixtures/no_such_file.toml") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn a_directory_is_rejected() {
    let (code, _, err) = wirtinger(&["check", "tests"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn bad_arguments_are_rejected_with_exit_2() {
    assert_eq!(wirtinger(&["frobnicate"]).0, 2);
    assert_eq!(wirtinger(&["check"]).0, 2);
    assert_eq!(
        wirtinger(&["check", "problems/least_squares.toml", "--seed", "x"]).0,
        2
    );
    assert_eq!(wirtinger(&["--help"]).0, 0);
}

#[test]
fn every_example_problem_passes_check() {
    for entry in std::fs::read_dir("problems").expect("problems/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let p = path.to_string_lossy().into_owned();
        let (code, out, err) = wirtinger(&["check", &p]);
        if out.contains("nonsmooth") {
            // A nonsmooth objective may start at a kink (e.g. an eigenvalue crossing at x = 0),
            // where the central difference averages two sides: require agreement at the
            // random point, where it is differentiable almost surely.
            let row = out
                .lines()
                .find(|l| l.starts_with("random point"))
                .unwrap_or_else(|| panic!("{p}: {out}{err}"));
            let errs: Vec<f64> = row
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            assert!(
                errs.len() >= 2 && errs[errs.len() - 2] < 1e-6 && errs[errs.len() - 1] < 1e-5,
                "{p}: {out}"
            );
        } else {
            assert_eq!(code, 0, "{p}: {out}{err}");
        }
    }
}
