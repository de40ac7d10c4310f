//! Memory handed back to the operating system after a peak.
//!
//! A start reads every stored response once, in blocks (hundreds of megabytes at ten
//! million responses), then frees them. glibc's allocator keeps most freed pages in
//! its heaps, so without a trim the node's resident memory stays at the load's peak
//! (measured: 320 MB at 4,221 units and 10 million responses, against 158 MB after
//! the trim; BENCHMARKS.md).

/// Returns freed heap pages to the operating system (glibc only; elsewhere the
/// allocator does its own).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no
    // pointer and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
