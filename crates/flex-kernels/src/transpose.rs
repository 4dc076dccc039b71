//! Matrix transposes into channels-last layouts, four by four with SSE2 (a scalar loop moves
//! one float per load and store and ran at a fraction of the memory's speed).
//!
//! The weight gradient needs them: gemm copies whole vectors when it packs a column-major
//! lhs or a row-major rhs, and one float at a time otherwise (gemm-common 0.19
//! `pack_operands.rs`), so the operands are turned channels-last once, here, instead of
//! inside every packing (`bench/NOTES.md`, change 15).

use super::uninit::written_by;
use std::mem::MaybeUninit;

/// Writes `dst[j * dst_rs + i] = src[i * src_rs + j]` for the `rows x cols` matrix `src`.
/// Every element of `dst`'s `cols x rows` block is written (it may start uninitialised).
pub(super) fn transpose_into(
    src: &[f32],
    src_rs: usize,
    rows: usize,
    cols: usize,
    dst: &mut [MaybeUninit<f32>],
    dst_rs: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        src.len() > (rows - 1) * src_rs + cols - 1,
        "transpose: src too short"
    );
    assert!(
        dst.len() > (cols - 1) * dst_rs + rows - 1,
        "transpose: dst too short"
    );
    assert!(
        src_rs >= cols && dst_rs >= rows,
        "transpose: overlapping rows"
    );
    let (rows4, cols4) = (rows / 4 * 4, cols / 4 * 4);
    for i in (0..rows4).step_by(4) {
        for j in (0..cols4).step_by(4) {
            // SAFETY: rows i..i+4 and columns j..j+4 are inside both blocks (asserted above).
            unsafe { block4(src, src_rs, dst, dst_rs, i, j) };
        }
    }
    // The tails: the last `cols % 4` columns of every row, the last `rows % 4` rows.
    for i in 0..rows {
        let row = &src[i * src_rs..i * src_rs + cols];
        let from = if i < rows4 { cols4 } else { 0 };
        for (j, v) in row.iter().enumerate().skip(from) {
            dst[j * dst_rs + i].write(*v);
        }
    }
}

/// One 4x4 block at (`i`, `j`) of `src` to (`j`, `i`) of `dst`.
///
/// # Safety
/// Rows `i..i+4`, columns `j..j+4` of `src` and rows `j..j+4`, columns `i..i+4` of `dst`
/// lie inside the slices.
#[inline(always)]
unsafe fn block4(
    src: &[f32],
    src_rs: usize,
    dst: &mut [MaybeUninit<f32>],
    dst_rs: usize,
    i: usize,
    j: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86_64; the caller's promise covers every address.
        unsafe {
            let s = src.as_ptr().add(i * src_rs + j);
            let r0 = _mm_loadu_ps(s);
            let r1 = _mm_loadu_ps(s.add(src_rs));
            let r2 = _mm_loadu_ps(s.add(2 * src_rs));
            let r3 = _mm_loadu_ps(s.add(3 * src_rs));
            let t0 = _mm_unpacklo_ps(r0, r1); // a0 b0 a1 b1
            let t1 = _mm_unpacklo_ps(r2, r3); // c0 d0 c1 d1
            let t2 = _mm_unpackhi_ps(r0, r1); // a2 b2 a3 b3
            let t3 = _mm_unpackhi_ps(r2, r3); // c2 d2 c3 d3
            let d = dst.as_mut_ptr().add(j * dst_rs + i) as *mut f32;
            _mm_storeu_ps(d, _mm_movelh_ps(t0, t1));
            _mm_storeu_ps(d.add(dst_rs), _mm_movehl_ps(t1, t0));
            _mm_storeu_ps(d.add(2 * dst_rs), _mm_movelh_ps(t2, t3));
            _mm_storeu_ps(d.add(3 * dst_rs), _mm_movehl_ps(t3, t2));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for a in 0..4 {
        for b in 0..4 {
            dst[(j + b) * dst_rs + i + a].write(src[(i + a) * src_rs + j + b]);
        }
    }
}

/// `[rows, cols]` (row-major) to `[cols, rows]`.
pub(super) fn transposed(src: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(src.len(), rows * cols, "transpose: length");
    // SAFETY: `transpose_into` writes the whole `cols x rows` block, which is all of it.
    unsafe {
        written_by(rows * cols, |dst| {
            transpose_into(src, cols, rows, cols, dst, rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_every_shape_with_tails() {
        for rows in 0..11 {
            for cols in 0..11 {
                let src: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
                let t = transposed(&src, rows, cols);
                for i in 0..rows {
                    for j in 0..cols {
                        assert_eq!(
                            t[j * rows + i],
                            src[i * cols + j],
                            "{rows}x{cols} at {i},{j}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn strided_blocks_leave_the_rest_alone() {
        // A 5x6 block of a 7-wide source into a 9-wide destination; the rest stays -1.
        let src: Vec<f32> = (0..5 * 7).map(|v| v as f32).collect();
        let mut dst = vec![MaybeUninit::new(-1.0f32); 6 * 9];
        transpose_into(&src, 7, 5, 6, &mut dst, 9);
        for j in 0..6 {
            for i in 0..9 {
                // SAFETY: every element was initialised above.
                let v = unsafe { dst[j * 9 + i].assume_init() };
                let want = if i < 5 { (i * 7 + j) as f32 } else { -1.0 };
                assert_eq!(v, want, "row {j}, column {i}");
            }
        }
    }
}
