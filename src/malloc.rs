//! Allocator settings for solver processes.
//!
//! Every Hessian, Jacobian or Hessian–vector pass of the engine allocates its tangent batches
//! (one to tens of MB per node for a 200 × 200 matrix node) and frees them when the pass ends.
//! With glibc's defaults, blocks above the mmap threshold (128 KiB, raised adaptively) come
//! from and go back to the kernel, and the top of the heap is trimmed beyond 128 KiB of free
//! space, so every pass pays page faults and the zeroing of fresh pages. On the Hermitian
//! rank-one fit ‖M − zzᴴ‖²_F with n = 200, `perf` put 35% of `Function::hessian` in
//! `exc_page_fault` and `clear_page_erms`, and a Newton solve (15 iterations) took 0.38 s;
//! with the settings below it takes 0.13 s (`wirtinger solve` on that problem, release build).
//!
//! The `wirtinger` binary applies them at startup. A program that embeds the crate and runs
//! derivative-heavy solves may call [`keep_freed_memory`] once at its start too; the library
//! itself never changes process-wide settings.

/// The mmap threshold set: glibc's largest allowed value (32 MiB on 64-bit targets). Larger
/// blocks (big data arrays) are still mapped and unmapped individually.
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free memory kept at the top of the heap before it is returned to the kernel.
pub const TRIM_THRESHOLD: usize = 1 << 30;

/// Keeps freed memory in the process: sets glibc's `M_MMAP_THRESHOLD` to [`MMAP_THRESHOLD`]
/// and `M_TRIM_THRESHOLD` to [`TRIM_THRESHOLD`] (`mallopt(3)`). Returns whether both were
/// accepted; on targets without glibc it does nothing and returns false.
///
/// Resident memory after a peak stays up to [`TRIM_THRESHOLD`] above what is in use, the
/// price of not faulting the same pages in again on the next pass.
///
/// ```
/// // Once, at the start of a program that runs many Newton or Gauss–Newton solves.
/// let applied = wirtinger::malloc::keep_freed_memory();
/// # let _ = applied;
/// ```
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let as_int = |v: usize| libc::c_int::try_from(v).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, as_int(MMAP_THRESHOLD)) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, as_int(TRIM_THRESHOLD)) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
