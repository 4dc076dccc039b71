//! Allocator settings for training. glibc hands every freed buffer above its mmap
//! threshold back to the kernel, so each training step page-faults its tensors' memory in
//! anew and the kernel's TLB shootdowns cost about a fifth of a CNN step on 2 cores (perf:
//! `native_write_msr`, `smp_call_function_many_cond`, page faults). Keeping freed memory in
//! the heap made the `cnn-fashion` bench 12-30% faster (bench/NOTES.md).

/// Keeps freed memory for reuse (buffers up to 32 MiB from the heap, no trimming below
/// 1 GiB, 256 MiB grown at a time). Call once at start, before threads allocate;
/// environment settings (`MALLOC_MMAP_THRESHOLD_`, ...) win. A no-op off glibc.
pub fn tune_for_training() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set_by_user = [
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_",
            "MALLOC_TOP_PAD_",
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
        if set_by_user {
            return;
        }
        // SAFETY: mallopt only changes allocator tunables; values are within glibc's limits
        // (the mmap threshold's maximum is 32 MiB on 64-bit).
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
            libc::mallopt(libc::M_TOP_PAD, 256 << 20);
        }
    }
}
