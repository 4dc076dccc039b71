//! im2col (an item's input patches as the columns of a `[K, P]` matrix) and its adjoint
//! col2im, straight from and to NCHW, with zero padding and any stride.

use super::geometry::ConvGeom;

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
/// `off` of a matrix with row stride `ld`. Every element of the block is written.
pub(super) fn im2col(g: &ConvGeom, xb: &[f32], cols: &mut [f32], ld: usize, off: usize) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let plane_len = g.h * g.w;
    for ci in 0..g.c_in {
        let plane = &xb[ci * plane_len..(ci + 1) * plane_len];
        for i in 0..g.kh {
            let (oy0, oy1) = valid_range(i, ph, sh, g.h, oh);
            for j in 0..g.kw {
                let (ox0, ox1) = valid_range(j, pw, sw, g.w, ow);
                let r = (ci * g.kh + i) * g.kw + j;
                let row = &mut cols[r * ld + off..r * ld + off + oh * ow];
                row[..oy0 * ow].fill(0.0);
                row[oy1 * ow..].fill(0.0);
                for oy in oy0..oy1 {
                    let iy = oy * sh + i - ph;
                    let src = &plane[iy * g.w..(iy + 1) * g.w];
                    let seg = &mut row[oy * ow..(oy + 1) * ow];
                    seg[..ox0].fill(0.0);
                    seg[ox1..].fill(0.0);
                    if ox0 < ox1 {
                        let ix0 = ox0 * sw + j - pw;
                        if sw == 1 {
                            seg[ox0..ox1].copy_from_slice(&src[ix0..ix0 + (ox1 - ox0)]);
                        } else {
                            for (o, v) in seg[ox0..ox1].iter_mut().enumerate() {
                                *v = src[ix0 + o * sw];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Adds the `[K, P]` block of `dcols` (row stride `ld`, column offset `off`) back onto the item
/// gradient `dxb` (`[c, h, w]`). Fixed loop order, so the sums are deterministic.
pub(super) fn col2im_add(g: &ConvGeom, dcols: &[f32], ld: usize, off: usize, dxb: &mut [f32]) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let plane_len = g.h * g.w;
    for ci in 0..g.c_in {
        let plane = &mut dxb[ci * plane_len..(ci + 1) * plane_len];
        for i in 0..g.kh {
            let (oy0, oy1) = valid_range(i, ph, sh, g.h, oh);
            for j in 0..g.kw {
                let (ox0, ox1) = valid_range(j, pw, sw, g.w, ow);
                if ox0 >= ox1 {
                    continue;
                }
                let r = (ci * g.kh + i) * g.kw + j;
                let row = &dcols[r * ld + off..r * ld + off + oh * ow];
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
    let mut out = vec![0.0f32; oc * ld];
    for i in 0..nb {
        let item = &dy[(b0 + i) * oc * p..(b0 + i + 1) * oc * p];
        for o in 0..oc {
            out[o * ld + i * p..o * ld + (i + 1) * p].copy_from_slice(&item[o * p..(o + 1) * p]);
        }
    }
    out
}

/// The cols matrix `[K, nb*P]` of items `b0..b0+nb`.
pub(super) fn cols_for_items(g: &ConvGeom, x: &[f32], b0: usize, nb: usize) -> Vec<f32> {
    let (k, p) = (g.col_rows(), g.positions());
    let item_len = g.c_in * g.h * g.w;
    let ld = nb * p;
    let mut cols = vec![0.0f32; k * ld];
    for i in 0..nb {
        let xb = &x[(b0 + i) * item_len..(b0 + i + 1) * item_len];
        im2col(g, xb, &mut cols, ld, i * p);
    }
    cols
}
