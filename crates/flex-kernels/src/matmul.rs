//! One matrix product on raw f32 slices through gemm 0.19 (the product burn-flex itself
//! uses; it accumulates with `read_dst` and takes any strides, so no operand is copied).

use std::mem::MaybeUninit;

/// Whether one gemm call may use rayon threads itself. Chosen from shapes only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Par {
    /// The caller already runs in parallel over groups/chunks.
    None,
    /// A single call: let gemm use the current rayon pool (`Parallelism::Rayon(0)`).
    Gemm,
}

/// `dst (+)= lhs * rhs`, f32, through `gemm::gemm` (gemm-0.19.0/src/gemm.rs:156):
///
/// ```text
/// pub unsafe fn gemm<T: 'static>(m, n, k,
///     dst: *mut T, dst_cs: isize, dst_rs: isize, read_dst: bool,
///     lhs: *const T, lhs_cs: isize, lhs_rs: isize,
///     rhs: *const T, rhs_cs: isize, rhs_rs: isize,
///     alpha: T, beta: T, conj_dst: bool, conj_lhs: bool, conj_rhs: bool,
///     parallelism: Parallelism)
/// // dst := alpha×dst + beta×lhs×rhs ; alpha is ignored (treated as 0) when !read_dst
/// ```
///
/// Here: `dst` is `m x n` with row stride `dst_rs` and column stride 1;
/// `lhs(i, l) = lhs[i*lhs_rs + l*lhs_cs]` (`m x k`); `rhs(l, j) = rhs[l*rhs_rs + j*rhs_cs]`
/// (`k x n`). `accumulate == true` adds to `dst`, otherwise overwrites it.
#[allow(clippy::too_many_arguments)]
pub(super) fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    dst_rs: usize,
    lhs: &[f32],
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: &[f32],
    rhs_rs: usize,
    rhs_cs: usize,
    accumulate: bool,
    par: Par,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(dst.len() >= (m - 1) * dst_rs + n, "matmul: dst too short");
    if k == 0 {
        // Empty sum: leave dst, or zero it. (Avoids relying on gemm's k == 0 behaviour.)
        if !accumulate {
            for i in 0..m {
                dst[i * dst_rs..i * dst_rs + n].fill(0.0);
            }
        }
        return;
    }
    // SAFETY: `dst` is a valid, exclusive `&mut` slice whose accessed range was asserted.
    unsafe {
        gemm_raw(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_rs,
            lhs,
            lhs_rs,
            lhs_cs,
            rhs,
            rhs_rs,
            rhs_cs,
            accumulate,
            par,
        )
    }
}

/// `dst = lhs * rhs` into a contiguous `m x n` destination that may be uninitialised: gemm
/// without `read_dst` stores every element and never loads one (gemm-common 0.19's
/// microkernels store only when `alpha_status == 0`), so no zeroing pass is needed.
#[allow(clippy::too_many_arguments)]
pub(super) fn matmul_into_uninit(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [MaybeUninit<f32>],
    lhs: &[f32],
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: &[f32],
    rhs_rs: usize,
    rhs_cs: usize,
    par: Par,
) {
    assert_eq!(dst.len(), m * n, "matmul: dst length");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // Empty sum: zeros (gemm would not write them).
        for v in dst {
            v.write(0.0);
        }
        return;
    }
    // SAFETY: `dst` holds exactly `m * n` elements, written (not read) by gemm.
    unsafe {
        gemm_raw(
            m,
            n,
            k,
            dst.as_mut_ptr().cast::<f32>(),
            n,
            lhs,
            lhs_rs,
            lhs_cs,
            rhs,
            rhs_rs,
            rhs_cs,
            false,
            par,
        )
    }
}

/// The gemm call behind [`matmul`] and [`matmul_into_uninit`].
///
/// Checks that `lhs` and `rhs` hold every element the product reads.
///
/// # Safety
/// `dst` must be valid for `m x n` writes with row stride `dst_rs` (and reads when
/// `accumulate`), not aliasing `lhs` or `rhs`; `m`, `n` and `k` are non-zero.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_raw(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    lhs: &[f32],
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: &[f32],
    rhs_rs: usize,
    rhs_cs: usize,
    accumulate: bool,
    par: Par,
) {
    assert!(
        lhs.len() > (m - 1) * lhs_rs + (k - 1) * lhs_cs,
        "matmul: lhs too short"
    );
    assert!(
        rhs.len() > (k - 1) * rhs_rs + (n - 1) * rhs_cs,
        "matmul: rhs too short"
    );
    let parallelism = match par {
        Par::None => gemm::Parallelism::None,
        // Needs gemm's `rayon` feature (enabled by burn-flex's `rayon` feature, and by our own
        // Cargo.toml: `gemm = { version = "0.19", default-features = false, features = ["std", "rayon"] }`).
        Par::Gemm => gemm::Parallelism::Rayon(0),
    };
    // SAFETY: the caller's promise for `dst`; `lhs` and `rhs` were checked above.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,               // dst_cs
            dst_rs as isize, // dst_rs
            accumulate,      // read_dst
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0f32, // alpha: dst scale (only read when read_dst)
            1.0f32, // beta: product scale
            false,  // conj_dst
            false,  // conj_lhs
            false,  // conj_rhs
            parallelism,
        );
    }
}
