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

/// The system allocator, plus a message when memory runs out: which request failed and
/// what to do (lower the batch size), before Rust aborts with its own terse line. Each
/// binary of the course installs it with `#[global_allocator]`.
///
/// Linux usually overcommits, so a slowly growing process is killed by the kernel
/// instead; a request too large for the machine (a batch's activations, an im2col
/// buffer) fails here and gets this message.
pub struct ClearOutOfMemory;

// SAFETY: every call is forwarded unchanged to `System`; a failed request is only
// reported (with write(2), no allocation) and then returned as failed.
unsafe impl std::alloc::GlobalAlloc for ClearOutOfMemory {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc(layout) };
        if p.is_null() {
            report(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if p.is_null() {
            report(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            report(new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// Writes the out-of-memory advice to stderr without allocating.
fn report(bytes: usize) {
    let mut buf = [0u8; 256];
    let mut n = 0;
    let mut put = |s: &[u8]| {
        let take = s.len().min(buf.len() - n);
        buf[n..n + take].copy_from_slice(&s[..take]);
        n += take;
    };
    put(b"\nerror: out of memory: a request for ");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = bytes;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put(&digits[i..]);
    put(b" bytes failed. Lower --batch-size (or --limit, or the model's size) and run again; --resume continues from the last checkpoint.\n");
    #[cfg(unix)]
    // SAFETY: write(2) on stderr with a valid buffer.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), n);
    }
}
