//! Ctrl-C (SIGINT): the first press asks the running solve to stop at the next iteration
//! boundary (status `interrupted`, the best point so far, exit code 3 on the command line); a
//! second press exits at once with code 130, removing a result file that is being written, so
//! that no partial file is left behind.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static PRESSES: AtomicU32 = AtomicU32::new(0);
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Exit code after a second Ctrl-C (128 + SIGINT, the shell convention).
pub const EXIT_SECOND_INTERRUPT: i32 = 130;

/// Installs the handler (once per process; later calls do nothing).
///
/// ```
/// wirtinger::solve::interrupt::install().unwrap();
/// assert!(!wirtinger::solve::interrupt::requested());
/// ```
pub fn install() -> Result<(), String> {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    // ctrlc runs the handler on its own thread, not in signal context, so locking is allowed.
    ctrlc::set_handler(|| {
        let n = PRESSES.fetch_add(1, Ordering::SeqCst) + 1;
        REQUESTED.store(true, Ordering::SeqCst);
        if n >= 2 {
            if let Ok(mut p) = PENDING.lock() {
                if let Some(path) = p.take() {
                    let _ = std::fs::remove_file(path);
                }
            }
            eprintln!("\ninterrupted twice: exiting now");
            std::process::exit(EXIT_SECOND_INTERRUPT);
        }
        eprintln!("\ninterrupt: stopping at the next iteration (press Ctrl-C again to exit now)");
    })
    .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Forgets an earlier request (for programs that solve several problems in a row).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
    PRESSES.store(0, Ordering::SeqCst);
}

/// Registers (or, with `None`, clears) a temporary file that a second Ctrl-C must remove.
pub fn set_pending_file(path: Option<PathBuf>) {
    if let Ok(mut p) = PENDING.lock() {
        *p = path;
    }
}
