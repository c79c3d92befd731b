//! Resource limits (issue 6, item 2): memory estimates and refusals before allocating, bounds
//! on random data, readers that never read forever, and a history that does not grow with
//! `max_iter`. Every refusal is exit 2 with one clear message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use wirtinger::io::parse_problem;
use wirtinger::solve::{solve, SolveOptions};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wirtinger"))
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wirtinger-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn solve_cli(file: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("solve")
        .arg(file)
        .args(["--quiet"])
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A rejection: exit 2, one message naming the file, no panic.
fn assert_rejected(o: &Output, file: &Path, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {e}");
    assert!(!e.contains("panicked"), "{e}");
    assert!(
        e.contains(&*file.file_name().unwrap().to_string_lossy()),
        "{e}"
    );
    for n in needles {
        assert!(e.contains(n), "missing `{n}` in: {e}");
    }
}

const QUARTIC_20000: &str = r#"
[variables]
z = { type = "complex", shape = [20000] }
[objective]
minimize = "sum(abs2(z).^2) + sum(abs2(z))"
"#;

/// Newton on N = 20000 complex parameters: (H, K), the real 40000² system and its factor take
/// 160 N² bytes ≈ 59.6 GiB. With a 16 GiB limit it is refused before any allocation (the run
/// would otherwise take minutes and abort on allocation), with the estimate, the limit and
/// the matrix-free alternatives; L-BFGS on the same problem is not refused.
#[test]
fn dense_newton_beyond_the_limit_is_refused_with_the_estimate() {
    let f = scratch("quartic.toml", QUARTIC_20000);
    for m in [
        "newton",
        "pseudo_newton",
        "argmin_newton_cg",
        "argmin_trust_region",
        "argmin_bfgs",
    ] {
        let o = solve_cli(&f, &["--method", m, "--memory-limit", "16"]);
        assert_rejected(
            &o,
            &f,
            &[
                m,
                "GiB",
                "16.00 GiB",
                "--memory-limit",
                "lbfgs",
                "trust_region",
            ],
        );
    }
    let o = solve_cli(&f, &["--method", "newton", "--memory-limit", "16"]);
    assert!(
        stderr(&o).contains("59.6"),
        "160·N² bytes = 59.6 GiB: {}",
        stderr(&o)
    );
    let o = solve_cli(
        &f,
        &[
            "--method",
            "lbfgs",
            "--memory-limit",
            "16",
            "--max-iter",
            "2",
        ],
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
}

/// The limit from the file (`[solver] memory_limit`), overridden by the command line; bad
/// values are rejected with their position.
#[test]
fn memory_limit_from_the_file_and_the_command_line() {
    let base = "[variables]\nz = { type = \"complex\", shape = [3] }\n[objective]\nminimize = \"sum(abs2(z - 1))\"\n";
    let tight = scratch(
        "tight.toml",
        &format!("{base}[solver]\nmethod = \"newton\"\nmemory_limit = 1e-9\n"),
    );
    let o = solve_cli(&tight, &[]);
    assert_rejected(&o, &tight, &["[solver] memory_limit", "GiB"]);
    // The command line overrides the file.
    let o = solve_cli(&tight, &["--memory-limit", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bad = scratch(
        "bad_limit.toml",
        &format!("{base}[solver]\nmemory_limit = 0\n"),
    );
    assert_rejected(
        &solve_cli(&bad, &[]),
        &bad,
        &["memory_limit", "positive", ":6:16"],
    );
    let bad = scratch(
        "bad_limit2.toml",
        &format!("{base}[solver]\nmemory_limit = \"lots\"\n"),
    );
    assert_rejected(&solve_cli(&bad, &[]), &bad, &["memory_limit"]);
    for v in ["0", "-1", "nan", "inf"] {
        let o = solve_cli(&tight, &["--memory-limit", v]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "--memory-limit {v}: {}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("--memory-limit"), "{}", stderr(&o));
    }
}

/// Dense Gauss–Newton/LM (J, J̃ and the normal matrix) and the SDP's KKT system are checked too.
#[test]
fn least_squares_and_sdp_estimates_are_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ls = root.join("problems/least_squares.toml");
    for m in ["gauss_newton", "lm"] {
        let o = solve_cli(&ls, &["--method", m, "--memory-limit", "1e-9"]);
        assert_rejected(&o, &ls, &["Jacobians", "GiB", "matrix-free"]);
    }
    let sdp = root.join("problems/lovasz_theta_c5.toml");
    let o = solve_cli(&sdp, &["--memory-limit", "1e-9"]);
    assert_rejected(&o, &sdp, &["sdp", "KKT", "PSD block", "spectral_bundle"]);
    let o = solve_cli(&sdp, &["--memory-limit", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Random data of 10¹⁸ entries (or a shape written with floats) is refused at load time,
/// before generating anything; so is a variable of that size.
#[test]
fn huge_random_data_is_refused() {
    for (name, shape) in [
        ("huge.toml", "[1000000000, 1000000000]"),
        ("float_shape.toml", "[1e9, 1e9]"),
        (
            "overflow.toml",
            "[9223372036854775807, 9223372036854775807]",
        ),
    ] {
        let f = scratch(
            name,
            &format!(
                "[data]\nG = {{ random = \"complex_normal\", shape = {shape}, seed = 1 }}\n\
                 [variables]\nz = {{ type = \"complex\", shape = [2] }}\n\
                 [objective]\nminimize = \"sum(abs2(z))\"\n"
            ),
        );
        let o = solve_cli(&f, &[]);
        assert_rejected(&o, &f, &["shape"]);
        let e = stderr(&o);
        assert!(e.contains(":2:"), "the position of the entry: {e}");
    }
    let f = scratch(
        "huge_var.toml",
        "[variables]\nz = { type = \"complex\", shape = [1000000000, 1000000000] }\n[objective]\nminimize = \"sum(abs2(z))\"\n",
    );
    assert_rejected(&solve_cli(&f, &[]), &f, &["z"]);
}

fn data_file_problem(name: &str, file: &str) -> PathBuf {
    scratch(
        name,
        &format!(
            "[data]\nA = {{ file = \"{file}\" }}\n[variables]\nz = {{ type = \"complex\", shape = [2] }}\n\
             [objective]\nminimize = \"sum(abs2(z))\"\n"
        ),
    )
}

/// A reader given a special file (/dev/zero: endless) refuses it without reading; a file
/// with more data than its header declares is refused, not truncated silently.
#[test]
fn readers_never_read_forever_nor_past_their_header() {
    for ext in ["npy", "mtx"] {
        // A link with the reader's extension to the endless /dev/zero.
        let link = scratch("dummy", "").with_file_name(format!("zero.{ext}"));
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let f = data_file_problem(&format!("zero_{ext}.toml"), &format!("zero.{ext}"));
        let start = std::time::Instant::now();
        let o = solve_cli(&f, &[]);
        assert_rejected(&o, &f, &["not a regular file"]);
        assert!(start.elapsed() < Duration::from_secs(20));
    }
    // .npy: header says 2 float64, the file holds 3.
    let mut npy = Vec::new();
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    let total = 10 + header.len() + 1;
    let pad = (64 - total % 64) % 64;
    npy.extend_from_slice(b"\x93NUMPY\x01\x00");
    npy.extend_from_slice(&((header.len() + pad + 1) as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend(std::iter::repeat_n(b' ', pad));
    npy.push(b'\n');
    for v in [1.0f64, 2.0, 3.0] {
        npy.extend_from_slice(&v.to_le_bytes());
    }
    let dir = scratch("dummy", "").with_file_name("");
    std::fs::write(dir.join("long.npy"), &npy).unwrap();
    let f = data_file_problem("long_npy.toml", "long.npy");
    assert_rejected(&solve_cli(&f, &[]), &f, &["long.npy"]);
    // The same file without the extra value is accepted (the test can tell the difference).
    std::fs::write(dir.join("exact.npy"), &npy[..npy.len() - 8]).unwrap();
    let f = data_file_problem("exact_npy.toml", "exact.npy");
    assert_eq!(solve_cli(&f, &[]).status.code(), Some(0));
    // .mtx: header declares 1 entry, the file has 3.
    std::fs::write(
        dir.join("long.mtx"),
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1.0\n2 2 2.0\n1 2 3.0\n",
    )
    .unwrap();
    let f = data_file_problem("long_mtx.toml", "long.mtx");
    assert_rejected(&solve_cli(&f, &[]), &f, &["long.mtx"]);
}

/// `max_iter = 10⁹` with a time limit: the history stays within `history_limit` entries
/// (thinned uniformly: kept iterations are multiples of a doubling stride, from 0 to near the
/// end), so memory does not grow with the iteration count.
#[test]
fn history_does_not_grow_with_max_iter() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slow_quadratic.toml"),
    )
    .unwrap();
    let p = parse_problem(&text, Path::new("slow.toml")).unwrap();
    let limit = 16;
    let r = solve(
        &p,
        &SolveOptions {
            method: Some("steepest_descent".into()),
            max_iter: Some(1_000_000_000),
            tol: Some(0.0),
            time_limit: Some(Duration::from_millis(1500)),
            history_limit: limit,
            ..SolveOptions::default()
        },
    )
    .unwrap();
    assert!(
        r.iterations > 8 * limit as u64,
        "{} iterations",
        r.iterations
    );
    assert!(r.history.len() <= limit + 1, "{} entries", r.history.len());
    assert!(r.history.len() >= limit / 2, "{} entries", r.history.len());
    assert_eq!(r.history[0].iter, 0);
    let stride = r.history[1].iter;
    assert!(stride.is_power_of_two());
    assert!(r
        .history
        .windows(2)
        .all(|w| w[1].iter - w[0].iter == stride));
    assert!(
        r.history.last().unwrap().iter * 2 >= r.iterations,
        "{:?}",
        r.history.last()
    );
}
