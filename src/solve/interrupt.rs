//! Ctrl-C (SIGINT): the first press asks the running solve to stop at the next iteration
//! boundary (status `interrupted`, the best point so far, exit code 3 on the command line); a
//! second press exits at once with code 130. A result file that is being written at that moment
//! is finished first (writing it takes milliseconds), so that no partial or temporary file is
//! left behind.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static PRESSES: AtomicU32 = AtomicU32::new(0);
/// Held from creating a result file's temporary copy to renaming it into place
/// ([`while_writing`]), and by a second press before it exits.
static WRITING: Mutex<()> = Mutex::new(());

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
            // Removing a temporary file that is being created races with its creation (the
            // file can appear after the removal); waiting for the write to end does not.
            let _finished = WRITING.lock();
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

/// Runs `write`, which writes a file through a temporary copy, so that a second Ctrl-C during
/// it exits only after it has returned (with the file complete, or its temporary copy removed).
///
/// ```
/// let n = wirtinger::solve::interrupt::while_writing(|| 2 + 2);
/// assert_eq!(n, 4);
/// ```
pub fn while_writing<R>(write: impl FnOnce() -> R) -> R {
    // A panic inside an earlier write poisons the lock; the data it guards is `()`.
    let _writing = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    write()
}
