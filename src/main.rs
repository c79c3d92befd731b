//! The `wirtinger` binary: see `wirtinger --help` and `docs/cli.md`.

// mod cli; (enabled once cr::check lands)

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
