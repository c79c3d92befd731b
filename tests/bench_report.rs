//! The benchmark report (`cargo run --release --example bench_report`): parsing of criterion's
//! `estimates.json` / `benchmark.json`, discovery of results in a criterion folder, ratios to the
//! group baseline, flagging of rows from an earlier run, and the errors for a missing or empty
//! folder. Fixtures are small criterion folders written here, in criterion 0.5's format.

#[path = "../examples/bench_report/report.rs"]
#[allow(dead_code)]
mod report;

use report::{
    collect, format_ns, format_ratio, format_utc, parse_benchmark, parse_estimates, render, Median,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// An `estimates.json` as criterion 0.5 writes it (trimmed to two estimates; times in ns).
fn estimates(median: f64, lower: f64, upper: f64) -> String {
    format!(
        r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":1.5,"standard_error":0.1}},
"median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lower},"upper_bound":{upper}}},"point_estimate":{median},"standard_error":7294.2}},
"slope":null}}"#
    )
}

fn benchmark(group: &str, function: Option<&str>) -> String {
    let f = function.map_or("null".to_string(), |f| format!("\"{f}\""));
    format!(
        r#"{{"group_id":"{group}","function_id":{f},"value_str":null,"throughput":null,"full_id":"x","directory_name":"x","title":"x"}}"#
    )
}

/// A fresh, empty folder under the system temp dir.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wirtinger_bench_report_{name}_{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `<root>/<folder>/new/{benchmark,estimates}.json` (and the `base/` copy criterion keeps,
/// which must be ignored).
fn write_result(root: &Path, folder: &str, group: &str, function: Option<&str>, median: f64) {
    for sub in ["new", "base"] {
        let dir = root.join(folder).join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("benchmark.json"), benchmark(group, function)).unwrap();
        let m = if sub == "new" { median } else { 1.0 };
        std::fs::write(dir.join("estimates.json"), estimates(m, 0.9 * m, 1.1 * m)).unwrap();
    }
}

#[test]
fn parses_the_median_and_its_interval() {
    let m = parse_estimates(&estimates(481898.6204693065, 465357.4, 497375.6)).unwrap();
    assert_eq!(
        m,
        Median {
            ns: 481898.6204693065,
            lower_ns: 465357.4,
            upper_ns: 497375.6
        }
    );
}

#[test]
fn rejects_estimates_without_a_usable_median() {
    for (text, needle) in [
        ("{", "not JSON"),
        (r#"{"mean":{"point_estimate":1.0}}"#, "no `median`"),
        (r#"{"median":{"point_estimate":"fast"}}"#, "not a number"),
        (
            r#"{"median":{"point_estimate":0.0}}"#,
            "not a positive time",
        ),
        (
            r#"{"median":{"point_estimate":-3.0}}"#,
            "not a positive time",
        ),
    ] {
        let err = parse_estimates(text).unwrap_err();
        assert!(err.contains(needle), "{text}: {err}");
    }
    // Without an interval the bounds fall back to the point estimate.
    let m = parse_estimates(r#"{"median":{"point_estimate":2.5}}"#).unwrap();
    assert_eq!((m.lower_ns, m.upper_ns), (2.5, 2.5));
}

#[test]
fn names_come_from_benchmark_json() {
    let p = |t: &str| parse_benchmark(t).unwrap();
    assert_eq!(
        p(&benchmark("least_squares_2000x500", Some("value"))),
        ("least_squares_2000x500".into(), Some("value".into()))
    );
    assert_eq!(p(&benchmark("small", None)), ("small".into(), None));
    assert_eq!(
        p(r#"{"group_id":"g","function_id":"newton","value_str":"128"}"#),
        ("g".into(), Some("newton/128".into()))
    );
    assert_eq!(
        p(r#"{"group_id":"g","function_id":null,"value_str":"128"}"#),
        ("g".into(), Some("128".into()))
    );
    assert!(parse_benchmark(r#"{"function_id":"x"}"#)
        .unwrap_err()
        .contains("group_id"));
}

#[test]
fn report_gives_ratios_to_the_baseline() {
    let root = fresh_dir("ratios");
    // Folder names are sanitized by criterion; the names must come from benchmark.json.
    write_result(
        &root,
        "ls_2000x500/baseline_faer",
        "ls_2000x500",
        Some("baseline_faer"),
        400_000.0,
    );
    write_result(
        &root,
        "ls_2000x500/value",
        "ls_2000x500",
        Some("value"),
        500_000.0,
    );
    write_result(
        &root,
        "ls_2000x500/hvp_dir",
        "ls_2000x500",
        Some("hvp (H v + K conj v)"),
        1_300_000.0,
    );
    write_result(&root, "pr_n128/lbfgs", "pr_n128", Some("lbfgs"), 9.6e6);
    write_result(&root, "small_4var", "small_4var", None, 3100.0);
    // Criterion's HTML report folder is not a result.
    std::fs::create_dir_all(root.join("report/new")).unwrap();

    let rows = collect(&root).unwrap();
    assert_eq!(rows.len(), 5);
    let text = render(&rows);
    // Baseline first with ratio 1, others as median ÷ baseline median.
    let ls = text.split("### ls_2000x500").nth(1).unwrap();
    let lines: Vec<&str> = ls.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(lines[0], "| id | median | 95% interval | ratio |");
    assert_eq!(
        lines[1],
        "| baseline_faer | 400 µs | 360 µs – 440 µs | 1.00× |"
    );
    assert_eq!(
        lines[2],
        "| hvp (H v + K conj v) | 1.30 ms | 1.17 ms – 1.43 ms | 3.25× |"
    );
    assert_eq!(lines[3], "| value | 500 µs | 450 µs – 550 µs | 1.25× |");
    assert!(ls.contains("ratio = median ÷ median of `baseline_faer`"));
    // A group without a baseline says so and prints no ratios.
    let pr = text.split("### pr_n128").nth(1).unwrap();
    assert!(pr.contains("no baseline in this group"), "{pr}");
    assert!(
        pr.contains("| lbfgs | 9.60 ms | 8.64 ms – 10.6 ms |\n"),
        "{pr}"
    );
    // A benchmark outside any group is listed on its own.
    assert!(text.contains("### Benchmarks outside a group"));
    assert!(text.contains("| small_4var | 3.10 µs |"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn rows_from_an_earlier_run_are_flagged() {
    let root = fresh_dir("stale");
    write_result(&root, "g/baseline", "g", Some("baseline"), 100.0);
    write_result(&root, "g/old_name", "g", Some("old_name"), 200.0);
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(root.join("g/old_name/new/estimates.json"))
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let text = render(&collect(&root).unwrap());
    assert!(text.contains("| old_name † | 200 ns |"), "{text}");
    assert!(text.contains("| baseline | 100 ns |"), "{text}");
    assert!(
        text.contains("† measured more than an hour before"),
        "{text}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn missing_or_empty_folders_are_errors() {
    let root = fresh_dir("empty");
    let missing = root.join("criterion");
    let e = collect(&missing).unwrap_err().to_string();
    assert!(e.starts_with("no criterion results at "), "{e}");
    assert!(e.contains("run `cargo bench` first"), "{e}");
    std::fs::create_dir_all(missing.join("g/id/new")).unwrap();
    let e = collect(&missing).unwrap_err().to_string();
    assert!(e.contains("holds no benchmark results"), "{e}");
    // A broken estimates.json names its file.
    std::fs::write(
        missing.join("g/id/new/benchmark.json"),
        benchmark("g", Some("id")),
    )
    .unwrap();
    std::fs::write(missing.join("g/id/new/estimates.json"), "{}").unwrap();
    let e = collect(&missing).unwrap_err().to_string();
    assert!(e.contains("estimates.json: no `median`"), "{e}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn durations_and_dates_are_formatted() {
    assert_eq!(format_ns(3.1e3), "3.10 µs");
    assert_eq!(format_ns(481_898.6), "482 µs");
    assert_eq!(format_ns(12.345e6), "12.3 ms");
    assert_eq!(format_ns(2.75e9), "2.75 s");
    assert_eq!(format_ns(950.0), "950 ns");
    assert_eq!(format_ratio(1.0), "1.00×");
    assert_eq!(format_ratio(3.25), "3.25×");
    assert_eq!(format_ratio(154.4), "154×");
    assert_eq!(format_ratio(0.1), "0.10×");
    // Small ratios keep three significant digits instead of rounding to 0.00×.
    assert_eq!(format_ratio(0.022_55), "0.0226×");
    assert_eq!(format_ratio(0.000_748_1), "0.000748×");
    assert_eq!(format_ratio(0.05), "0.0500×");
    // Checked against `date -u -d @SECS`.
    assert_eq!(format_utc(0), "1970-01-01 00:00");
    assert_eq!(format_utc(951_782_400), "2000-02-29 00:00");
    assert_eq!(format_utc(1_795_708_984), "2026-11-26 16:03");
}
