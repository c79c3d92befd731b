//! Reading criterion's results and printing them as the project's benchmark table.
//!
//! Criterion (0.5) writes, for every benchmark it ran, a folder
//! `<criterion home>/<group>/<function id>/new/` (or `<name>/new/` for a benchmark outside a
//! group) holding
//!
//! - `benchmark.json`: `{"group_id": …, "function_id": … | null, "value_str": … | null, …}`,
//!   the names as written in the bench (the folder names are sanitized copies of them);
//! - `estimates.json`: bootstrap estimates in nanoseconds per iteration; we read
//!   `median.point_estimate` and `median.confidence_interval.{lower_bound, upper_bound}`
//!   (the 95% interval of the median).
//!
//! The project convention (docs/benchmarks.md): a group is one problem instance, a function id
//! is what runs on it, and the group's baseline is the id starting with `baseline`. Each row's
//! ratio is its median divided by the baseline's median. Criterion keeps folders of benchmarks
//! that were later renamed or removed, so every row carries the time its `estimates.json` was
//! written, and rows measured more than [`SAME_RUN_WINDOW_SECS`] before the newest row of their
//! group are flagged: their ratio does not compare two measurements of the same run.
//!
//! This file is shared by `examples/bench_report/main.rs` and `tests/bench_report.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Rows written more than this many seconds before the newest row of their group are flagged
/// as measured in an earlier run. One `cargo bench --bench solvers` run takes a few minutes per
/// group, so an hour separates runs without flagging the slow members of one run.
pub const SAME_RUN_WINDOW_SECS: u64 = 3600;

/// Deepest folder level searched below the criterion home (`group/id/value/new` is 4).
const MAX_DEPTH: usize = 6;

/// The median of one benchmark, as criterion estimated it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Median {
    /// Point estimate, nanoseconds per iteration.
    pub ns: f64,
    /// Lower end of the 95% confidence interval, nanoseconds.
    pub lower_ns: f64,
    /// Upper end of the 95% confidence interval, nanoseconds.
    pub upper_ns: f64,
}

/// One benchmark: its names and its median.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Criterion group (the problem instance), or the benchmark's name outside a group.
    pub group: String,
    /// Function id within the group (with `/value` appended for parameterized ids); `None` for
    /// a benchmark outside a group.
    pub id: Option<String>,
    pub median: Median,
    /// When `estimates.json` was written, seconds since the Unix epoch (0 if unknown).
    pub written: u64,
}

/// What went wrong while reading the criterion folder.
#[derive(Debug)]
pub enum ReportError {
    /// The criterion home does not exist or is not a folder.
    Missing(PathBuf),
    /// The folder exists but holds no benchmark result.
    Empty(PathBuf),
    /// A file could not be read or parsed.
    File { path: PathBuf, message: String },
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Missing(p) => write!(
                f,
                "no criterion results at {}: run `cargo bench` first (or pass the folder that \
                 holds them)",
                p.display()
            ),
            ReportError::Empty(p) => write!(
                f,
                "{} holds no benchmark results (no `<group>/<id>/new/estimates.json`): run \
                 `cargo bench` first",
                p.display()
            ),
            ReportError::File { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for ReportError {}

/// Reads the median from the text of an `estimates.json`.
///
/// ```text
/// {"median": {"point_estimate": 481898.6,
///             "confidence_interval": {"lower_bound": 465357.4, "upper_bound": 497375.6, …}, …},
///  "mean": {…}, …}
/// ```
///
/// The point estimate must be a finite positive number; the interval defaults to the point
/// estimate when absent.
pub fn parse_estimates(text: &str) -> Result<Median, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let median = v
        .get("median")
        .ok_or("no `median` estimate (is this criterion's estimates.json?)")?;
    let ns = median
        .get("point_estimate")
        .and_then(serde_json::Value::as_f64)
        .ok_or("`median.point_estimate` is missing or not a number")?;
    if !(ns.is_finite() && ns > 0.0) {
        return Err(format!(
            "`median.point_estimate` is {ns}, not a positive time"
        ));
    }
    let bound = |name: &str| {
        median
            .get("confidence_interval")
            .and_then(|ci| ci.get(name))
            .and_then(serde_json::Value::as_f64)
            .filter(|x| x.is_finite())
            .unwrap_or(ns)
    };
    Ok(Median {
        ns,
        lower_ns: bound("lower_bound"),
        upper_ns: bound("upper_bound"),
    })
}

/// Reads `(group, id)` from the text of a `benchmark.json`.
///
/// `function_id` and `value_str` may be null; a parameterized benchmark
/// (`BenchmarkId::new("newton", 128)`) has id `newton/128`, one given only a parameter has id
/// `128`, and a benchmark outside any group has id `None`.
pub fn parse_benchmark(text: &str) -> Result<(String, Option<String>), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let group = v
        .get("group_id")
        .and_then(serde_json::Value::as_str)
        .ok_or("`group_id` is missing or not a string (is this criterion's benchmark.json?)")?;
    let part = |name: &str| v.get(name).and_then(serde_json::Value::as_str);
    let id = match (part("function_id"), part("value_str")) {
        (Some(f), Some(p)) => Some(format!("{f}/{p}")),
        (Some(f), None) => Some(f.to_string()),
        (None, Some(p)) => Some(p.to_string()),
        (None, None) => None,
    };
    Ok((group.to_string(), id))
}

/// Finds every benchmark result under `root` (criterion's home, e.g. `target/criterion`).
///
/// Rows come sorted by group, then id. Folders named `report` (criterion's HTML) are skipped.
pub fn collect(root: &Path) -> Result<Vec<Row>, ReportError> {
    if !root.is_dir() {
        return Err(ReportError::Missing(root.to_path_buf()));
    }
    let mut rows = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| ReportError::File {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let name = entry.file_name();
            if name == "report" {
                continue;
            }
            if name == "new" {
                if let Some(row) = read_result(&path)? {
                    rows.push(row);
                }
            } else if depth < MAX_DEPTH {
                stack.push((path, depth + 1));
            }
        }
    }
    if rows.is_empty() {
        return Err(ReportError::Empty(root.to_path_buf()));
    }
    rows.sort_by(|a, b| (&a.group, &a.id).cmp(&(&b.group, &b.id)));
    Ok(rows)
}

/// Reads one `new/` folder; `None` when it is not a complete criterion result.
fn read_result(new: &Path) -> Result<Option<Row>, ReportError> {
    let (bench_path, est_path) = (new.join("benchmark.json"), new.join("estimates.json"));
    if !(bench_path.is_file() && est_path.is_file()) {
        return Ok(None);
    }
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| ReportError::File {
            path: p.to_path_buf(),
            message: e.to_string(),
        })
    };
    let fail = |p: &Path, message: String| ReportError::File {
        path: p.to_path_buf(),
        message,
    };
    let (group, id) = parse_benchmark(&read(&bench_path)?).map_err(|m| fail(&bench_path, m))?;
    let median = parse_estimates(&read(&est_path)?).map_err(|m| fail(&est_path, m))?;
    let written = std::fs::metadata(&est_path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Ok(Some(Row {
        group,
        id,
        median,
        written,
    }))
}

/// Formats nanoseconds with three significant digits and a unit: `481.9 µs` → `482 µs`.
pub fn format_ns(ns: f64) -> String {
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {unit}")
}

/// Formats a ratio with three significant digits below 1 (`0.0226×`, `0.000748×`), two decimals
/// from 0.1 to 100 (`1.25×`), none above (`154×`).
pub fn format_ratio(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        return format!("{r}×");
    }
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 0.1 {
        format!("{r:.2}×")
    } else {
        let decimals = (-r.log10()).ceil() as usize + 2;
        format!("{r:.decimals$}×")
    }
}

/// `YYYY-MM-DD HH:MM` (UTC) for seconds since the Unix epoch.
///
/// Days to civil date by H. Hinnant's `civil_from_days` (proleptic Gregorian calendar, eras of
/// 400 years = 146097 days starting on March 1).
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Renders the rows as markdown: one table per group (id, median, 95% interval of the median,
/// ratio to the group's baseline), then one table of the benchmarks outside any group.
///
/// A group without an id starting with `baseline` gets no ratio column and a note saying so;
/// with several such ids, the first in sort order is the baseline.
pub fn render(rows: &[Row]) -> String {
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    let mut ungrouped: Vec<&Row> = Vec::new();
    for r in rows {
        match r.id {
            Some(_) => groups.entry(&r.group).or_default().push(r),
            None => ungrouped.push(r),
        }
    }
    let mut out = String::new();
    for (group, members) in &groups {
        let mut members = members.clone();
        // Baselines first, then the others by name.
        members.sort_by_key(|r| (!is_baseline(r), r.id.clone()));
        let baseline = members.first().copied().filter(|r| is_baseline(r));
        let newest = members.iter().map(|r| r.written).max().unwrap_or(0);
        let oldest = members.iter().map(|r| r.written).min().unwrap_or(0);
        let _ = writeln!(out, "### {group}\n");
        let when = if newest == 0 {
            "measured at an unknown time".to_string()
        } else if newest - oldest < 60 {
            format!("measured {} UTC", format_utc(newest))
        } else {
            format!(
                "measured {} – {} UTC",
                format_utc(oldest),
                format_utc(newest)
            )
        };
        match baseline {
            Some(b) => {
                let _ = writeln!(
                    out,
                    "{when}; ratio = median ÷ median of `{}`\n",
                    b.id.as_deref().unwrap_or_default()
                );
                let _ = writeln!(out, "| id | median | 95% interval | ratio |");
                let _ = writeln!(out, "|---|---:|---:|---:|");
            }
            None => {
                let _ = writeln!(
                    out,
                    "{when}; no baseline in this group (no id starts with `baseline`), so no \
                     ratios\n"
                );
                let _ = writeln!(out, "| id | median | 95% interval |");
                let _ = writeln!(out, "|---|---:|---:|");
            }
        }
        let mut stale = false;
        for r in &members {
            let old = newest.saturating_sub(r.written) > SAME_RUN_WINDOW_SECS;
            stale |= old;
            let mark = if old { " †" } else { "" };
            let id = r.id.as_deref().unwrap_or_default();
            let interval = format!(
                "{} – {}",
                format_ns(r.median.lower_ns),
                format_ns(r.median.upper_ns)
            );
            match baseline {
                Some(b) => {
                    let ratio = r.median.ns / b.median.ns;
                    let _ = writeln!(
                        out,
                        "| {id}{mark} | {} | {interval} | {} |",
                        format_ns(r.median.ns),
                        format_ratio(ratio)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "| {id}{mark} | {} | {interval} |",
                        format_ns(r.median.ns)
                    );
                }
            }
        }
        if stale {
            let _ = writeln!(
                out,
                "\n† measured more than an hour before the newest row of this group (an earlier \
                 run, or a benchmark since renamed or removed): its ratio does not compare \
                 measurements of the same run."
            );
        }
        out.push('\n');
    }
    if !ungrouped.is_empty() {
        let _ = writeln!(out, "### Benchmarks outside a group\n");
        let _ = writeln!(
            out,
            "| benchmark | median | 95% interval | measured (UTC) |"
        );
        let _ = writeln!(out, "|---|---:|---:|---|");
        for r in &ungrouped {
            let _ = writeln!(
                out,
                "| {} | {} | {} – {} | {} |",
                r.group,
                format_ns(r.median.ns),
                format_ns(r.median.lower_ns),
                format_ns(r.median.upper_ns),
                format_utc(r.written)
            );
        }
        out.push('\n');
    }
    out
}

fn is_baseline(r: &Row) -> bool {
    r.id.as_deref().is_some_and(|id| id.starts_with("baseline"))
}

/// Criterion's output folder, chosen the way criterion 0.5 chooses it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` in `manifest_dir`.
pub fn default_home(manifest_dir: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        let target = PathBuf::from(target);
        return if target.is_absolute() {
            target.join("criterion")
        } else {
            manifest_dir.join(target).join("criterion")
        };
    }
    manifest_dir.join("target").join("criterion")
}

/// Seconds since the Unix epoch now (for the report's header).
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
