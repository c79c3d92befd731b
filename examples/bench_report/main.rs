//! Prints the benchmark table of docs/benchmarks.md from criterion's results.
//!
//! ```text
//! cargo bench                                  # engine, solvers, sdp, … (whatever exists)
//! cargo run --release --example bench_report   # markdown tables on stdout
//! cargo run --release --example bench_report -- path/to/criterion
//! ```
//!
//! For every criterion group (one problem instance) it prints each function id's median, the
//! 95% interval of the median, and the ratio to the group's baseline (the id starting with
//! `baseline`); see `report.rs` for the file format it reads. Without results it prints one
//! message and exits with code 2.

mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo run --release --example bench_report [-- [CRITERION_DIR]]

Prints criterion's medians as markdown tables, one per benchmark group, with each id's ratio to
the group's baseline (the id starting with `baseline`). CRITERION_DIR defaults to
$CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else target/criterion of this crate.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = match args.as_slice() {
        [] => report::default_home(Path::new(env!("CARGO_MANIFEST_DIR"))),
        [h] if h == "-h" || h == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [dir] if !dir.starts_with('-') => PathBuf::from(dir),
        _ => {
            eprintln!("error: unexpected arguments {args:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match report::collect(&root) {
        Ok(rows) => {
            println!(
                "## Benchmark report\n\nCriterion medians from {} (printed {} UTC).\n",
                root.display(),
                report::format_utc(report::now_secs())
            );
            print!("{}", report::render(&rows));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
