//! im2col (an item's input patches as the columns of a `[K, P]` matrix) and its adjoint
//! col2im, straight from and to NCHW, with zero padding and any stride.

use super::geometry::ConvGeom;
use std::mem::MaybeUninit;

/// The output indices `o` in `[lo, hi)` for which `o*stride + tap - pad` lies in
/// `[0, in_len)`, clamped to `[0, out_len)`.
#[inline]
pub(super) fn valid_range(
    tap: usize,
    pad: usize,
    stride: usize,
    in_len: usize,
    out_len: usize,
) -> (usize, usize) {
    let lo = if tap >= pad {
        0
    } else {
        (pad - tap).div_ceil(stride)
    };
    let end = in_len + pad; // o*stride + tap < end
    let hi = if end <= tap {
        0
    } else {
        ((end - 1 - tap) / stride + 1).min(out_len)
    };
    (lo.min(hi), hi)
}

/// Writes the `[K, P]` cols block of one item `xb` (`[c, h, w]`) into `cols`, at column offset
/// `off` of a matrix with row stride `ld`. Every element of the block is written, so `cols`
/// may start uninitialised (no zeroing pass: `calloc`'s memset was 10% of a CNN step).
pub(super) fn im2col(
    g: &ConvGeom,
    xb: &[f32],
    cols: &mut [MaybeUninit<f32>],
    ld: usize,
    off: usize,
) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let plane_len = g.h * g.w;
    let same_rows = g.stride == [1, 1] && ow == g.w;
    for ci in 0..g.c_in {
        let plane = &xb[ci * plane_len..(ci + 1) * plane_len];
        for i in 0..g.kh {
            let (oy0, oy1) = valid_range(i, ph, sh, g.h, oh);
            for j in 0..g.kw {
                let (ox0, ox1) = valid_range(j, pw, sw, g.w, ow);
                let r = (ci * g.kh + i) * g.kw + j;
                let row = &mut cols[r * ld + off..r * ld + off + oh * ow];
                zero(&mut row[..oy0 * ow]);
                zero(&mut row[oy1 * ow..]);
                if ox0 >= ox1 {
                    zero(&mut row[oy0 * ow..oy1 * ow]);
                    continue;
                }
                if same_rows {
                    // Stride 1 and rows as wide as the input's: the valid rows are one
                    // contiguous run of the plane, shifted. Copy it in one go (a `memcpy` per
                    // 7- or 14-wide row cost more than the copy), then zero the 1-2 edge
                    // columns, which picked up the neighbouring rows' ends.
                    let first = oy0 * ow + ox0; // the first valid element of the block
                    let last = (oy1 - 1) * ow + ox1; // one past the last valid one
                    let src0 = (oy0 + i - ph) * g.w + ox0 + j - pw;
                    row[first..last].write_copy_of_slice(&plane[src0..src0 + (last - first)]);
                    for seg in row[oy0 * ow..oy1 * ow].chunks_mut(ow) {
                        zero(&mut seg[..ox0]);
                        zero(&mut seg[ox1..]);
                    }
                    continue;
                }
                for oy in oy0..oy1 {
                    let iy = oy * sh + i - ph;
                    let src = &plane[iy * g.w..(iy + 1) * g.w];
                    let seg = &mut row[oy * ow..(oy + 1) * ow];
                    zero(&mut seg[..ox0]);
                    zero(&mut seg[ox1..]);
                    let ix0 = ox0 * sw + j - pw;
                    if sw == 1 {
                        seg[ox0..ox1].write_copy_of_slice(&src[ix0..ix0 + (ox1 - ox0)]);
                    } else {
                        for (o, v) in seg[ox0..ox1].iter_mut().enumerate() {
                            v.write(src[ix0 + o * sw]);
                        }
                    }
                }
            }
        }
    }
}

/// Writes zeros over `s` (`write_filled` is not stable yet).
#[inline]
fn zero(s: &mut [MaybeUninit<f32>]) {
    for v in s {
        v.write(0.0);
    }
}

/// Adds the `[K, P]` block of `dcols` (row stride `ld`, column offset `off`) back onto the item
/// gradient `dxb` (`[c, h, w]`). Fixed loop order, so the sums are deterministic. `dcols` is
/// scratch: on the contiguous path its edge columns are zeroed first.
pub(super) fn col2im_add(g: &ConvGeom, dcols: &mut [f32], ld: usize, off: usize, dxb: &mut [f32]) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let plane_len = g.h * g.w;
    let same_rows = g.stride == [1, 1] && ow == g.w;
    for ci in 0..g.c_in {
        let plane = &mut dxb[ci * plane_len..(ci + 1) * plane_len];
        for i in 0..g.kh {
            let (oy0, oy1) = valid_range(i, ph, sh, g.h, oh);
            for j in 0..g.kw {
                let (ox0, ox1) = valid_range(j, pw, sw, g.w, ow);
                if ox0 >= ox1 || oy0 >= oy1 {
                    continue;
                }
                let r = (ci * g.kh + i) * g.kw + j;
                let row = &mut dcols[r * ld + off..r * ld + off + oh * ow];
                if same_rows {
                    // As in `im2col`: one contiguous run; the edge columns, which would land
                    // on the neighbouring rows' ends, are zeroed first so they add nothing.
                    for seg in row[oy0 * ow..oy1 * ow].chunks_mut(ow) {
                        seg[..ox0].fill(0.0);
                        seg[ox1..].fill(0.0);
                    }
                    let first = oy0 * ow + ox0;
                    let last = (oy1 - 1) * ow + ox1;
                    let dst0 = (oy0 + i - ph) * g.w + ox0 + j - pw;
                    let dst = &mut plane[dst0..dst0 + (last - first)];
                    for (d, s) in dst.iter_mut().zip(&row[first..last]) {
                        *d += *s;
                    }
                    continue;
                }
                for oy in oy0..oy1 {
                    let iy = oy * sh + i - ph;
                    let dst = &mut plane[iy * g.w..(iy + 1) * g.w];
                    let src = &row[oy * ow + ox0..oy * ow + ox1];
                    let ix0 = ox0 * sw + j - pw;
                    if sw == 1 {
                        for (d, s) in dst[ix0..ix0 + src.len()].iter_mut().zip(src) {
                            *d += *s;
                        }
                    } else {
                        for (o, s) in src.iter().enumerate() {
                            dst[ix0 + o * sw] += *s;
                        }
                    }
                }
            }
        }
    }
}

/// Copies the `[oc, P]` blocks of items `b0..b0+nb` of `dy` side by side into `[oc, nb*P]`.
pub(super) fn gather_items(g: &ConvGeom, dy: &[f32], b0: usize, nb: usize) -> Vec<f32> {
    let (oc, p) = (g.c_out, g.positions());
    let ld = nb * p;
    // SAFETY: item `i` writes columns `i*P..(i+1)*P` of every row `o`: all `oc * nb*P`.
    unsafe {
        written_by(oc * ld, |out| {
            for i in 0..nb {
                let item = &dy[(b0 + i) * oc * p..(b0 + i + 1) * oc * p];
                for o in 0..oc {
                    out[o * ld + i * p..o * ld + (i + 1) * p]
                        .write_copy_of_slice(&item[o * p..(o + 1) * p]);
                }
            }
        })
    }
}

/// The cols matrix `[K, nb*P]` of items `b0..b0+nb`.
pub(super) fn cols_for_items(g: &ConvGeom, x: &[f32], b0: usize, nb: usize) -> Vec<f32> {
    let (k, p) = (g.col_rows(), g.positions());
    let item_len = g.c_in * g.h * g.w;
    let ld = nb * p;
    // SAFETY: the items' blocks tile the `[K, nb*P]` matrix (columns `i*P..(i+1)*P` of every
    // row for item `i`), and `im2col` writes every element of its block.
    unsafe {
        written_by(k * ld, |cols| {
            for i in 0..nb {
                let xb = &x[(b0 + i) * item_len..(b0 + i + 1) * item_len];
                im2col(g, xb, cols, ld, i * p);
            }
        })
    }
}

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
