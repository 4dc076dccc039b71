//! Output buffers that every element of is written by a kernel, allocated without zeroing:
//! `vec![0.0; n]` is a `calloc`, and glibc clears reused memory for it (a `memset` that was
//! 10% of a CNN step, `bench/NOTES.md` changes 11 and 13).

use std::mem::MaybeUninit;

/// A `len`-long vector whose elements `write` writes, without zeroing it first.
///
/// # Safety
/// `write` must write every element of the slice it gets.
pub(super) unsafe fn written_by(
    len: usize,
    write: impl FnOnce(&mut [MaybeUninit<f32>]),
) -> Vec<f32> {
    let mut v = Vec::with_capacity(len);
    write(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: the caller's promise: all `len` elements were written.
    unsafe { v.set_len(len) };
    v
}
