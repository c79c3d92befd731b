//! The `wirtinger` binary: see `wirtinger --help` and `docs/cli.md`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
