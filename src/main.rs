//! The `wirtinger` binary: see `wirtinger --help` and `docs/cli.md`.

mod cli;

fn main() -> std::process::ExitCode {
    // Tangent batches are freed and allocated again on every pass: keep their pages.
    wirtinger::malloc::keep_freed_memory();
    cli::main()
}
