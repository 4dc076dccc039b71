//! im2col (an item's input patches as the columns of a `[K, P]` matrix) and its adjoint
//! col2im, straight from and to NCHW, with zero padding and any stride.

use super::geometry::ConvGeom;
use super::uninit::written_by;
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
///
/// Where each tap's valid rows are one contiguous run of a plane ([`RunSource`]: stride 1
/// with rows as wide as the input's, or stride 2 through phase planes), the run is copied in
/// one go (a `memcpy` per 4- to 32-wide row cost more than the copy) and the 1-2 edge
/// columns, which picked up the neighbouring rows' ends, zeroed after; otherwise row by row.
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
    let source = RunSource::of(g);
    let phases = (source == RunSource::Phases).then(|| split_phases(g, xb));
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
                if ox0 >= ox1 || oy0 >= oy1 {
                    // No valid position (a tap beyond a 1x1 or 2x2 map's padding).
                    zero(&mut row[oy0 * ow..oy1 * ow]);
                    continue;
                }
                // The first valid input position of this tap.
                let (iy0, ix0) = (oy0 * sh + i - ph, ox0 * sw + j - pw);
                let run = match (&phases, source) {
                    (Some(phases), _) => Some(&phases[phase_offset(g, ci, iy0, ix0)..]),
                    (None, RunSource::Plane) => Some(&plane[iy0 * g.w + ix0..]),
                    (None, _) => None,
                };
                if let Some(src) = run {
                    let (first, last) = (oy0 * ow + ox0, (oy1 - 1) * ow + ox1);
                    row[first..last].write_copy_of_slice(&src[..last - first]);
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
                    if sw == 1 {
                        seg[ox0..ox1].write_copy_of_slice(&src[ix0..ix0 + (ox1 - ox0)]);
                    } else if sw == 2 {
                        copy_every_second(&mut seg[ox0..ox1], &src[ix0..]);
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

/// Adds the `[K, P]` block of `dcols` (row stride `ld`, column offset `off`) back onto the item
/// gradient `dxb` (`[c, h, w]`). Fixed loop order, so the sums are deterministic. `dcols` is
/// scratch: on the contiguous-run path ([`RunSource`]) its edge columns are zeroed first, so
/// that they add nothing to the neighbouring rows' ends; through phase planes the taps add
/// into the planes in the same order (the same sums), which are then added onto `dxb`.
pub(super) fn col2im_add(g: &ConvGeom, dcols: &mut [f32], ld: usize, off: usize, dxb: &mut [f32]) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let plane_len = g.h * g.w;
    let source = RunSource::of(g);
    let mut phases = (source == RunSource::Phases).then(|| vec![0.0f32; dxb.len()]);
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
                let (iy0, ix0) = (oy0 * sh + i - ph, ox0 * sw + j - pw);
                let run = match (&mut phases, source) {
                    (Some(phases), _) => Some(&mut phases[phase_offset(g, ci, iy0, ix0)..]),
                    (None, RunSource::Plane) => Some(&mut plane[iy0 * g.w + ix0..]),
                    (None, _) => None,
                };
                if let Some(dst) = run {
                    for seg in row[oy0 * ow..oy1 * ow].chunks_mut(ow) {
                        seg[..ox0].fill(0.0);
                        seg[ox1..].fill(0.0);
                    }
                    let (first, last) = (oy0 * ow + ox0, (oy1 - 1) * ow + ox1);
                    for (d, s) in dst.iter_mut().zip(&row[first..last]) {
                        *d += *s;
                    }
                    continue;
                }
                for oy in oy0..oy1 {
                    let iy = oy * sh + i - ph;
                    let dst = &mut plane[iy * g.w..(iy + 1) * g.w];
                    let src = &row[oy * ow + ox0..oy * ow + ox1];
                    if sw == 1 {
                        for (d, s) in dst[ix0..ix0 + src.len()].iter_mut().zip(src) {
                            *d += *s;
                        }
                    } else if sw == 2 {
                        add_to_every_second(&mut dst[ix0..], src);
                    } else {
                        for (o, s) in src.iter().enumerate() {
                            dst[ix0 + o * sw] += *s;
                        }
                    }
                }
            }
        }
    }
    if let Some(phases) = phases {
        add_phases(g, &phases, dxb);
    }
}

// ---------------------------------------------------------------------------------------------
// Contiguous runs: stride 1 on the plane, stride 2 through phase planes
// ---------------------------------------------------------------------------------------------

/// Where a tap's valid rows are one contiguous run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunSource {
    /// Stride 1 and output rows as wide as the input's (every 3x3 padding-1 layer): a run of
    /// the input plane itself.
    Plane,
    /// Stride 2 both ways, even input sides, output rows half as wide (the DCGAN's 4x4
    /// padding-1 layers, ResNet's stride-2 ones): each plane split into its four phases
    /// (even/odd rows x even/odd columns, `[c, 2, 2, h/2, w/2]`), a tap reads one phase
    /// with stride 1. Row by row, the gathers were a third of the DCGAN's step
    /// (`bench/NOTES.md`, change 12).
    Phases,
    /// Row by row.
    None,
}

impl RunSource {
    fn of(g: &ConvGeom) -> Self {
        let ow = g.out_w();
        if g.stride == [1, 1] && ow == g.w {
            Self::Plane
        } else if g.stride == [2, 2]
            && g.h.is_multiple_of(2)
            && g.w.is_multiple_of(2)
            && ow == g.w / 2
        {
            Self::Phases
        } else {
            Self::None
        }
    }
}

/// The offset in the phase planes of input position `(iy, ix)` of channel `ci`.
#[inline]
fn phase_offset(g: &ConvGeom, ci: usize, iy: usize, ix: usize) -> usize {
    let (h2, w2) = (g.h / 2, g.w / 2);
    let phase = (ci * 2 + iy % 2) * 2 + ix % 2;
    phase * h2 * w2 + (iy / 2) * w2 + ix / 2
}

/// One item `[c, h, w]` as its phase planes `[c, 2, 2, h/2, w/2]`.
fn split_phases(g: &ConvGeom, xb: &[f32]) -> Vec<f32> {
    // SAFETY: every row `y` of every channel fills `w/2` elements of both of its phases.
    unsafe {
        written_by(xb.len(), |out| {
            for ci in 0..g.c_in {
                for y in 0..g.h {
                    let row = &xb[(ci * g.h + y) * g.w..][..g.w];
                    for rx in 0..2 {
                        let dst = &mut out[phase_offset(g, ci, y, rx)..][..g.w / 2];
                        copy_every_second(dst, &row[rx..]);
                    }
                }
            }
        })
    }
}

/// Adds phase planes `[c, 2, 2, h/2, w/2]` back onto the item `dxb` `[c, h, w]`.
fn add_phases(g: &ConvGeom, phases: &[f32], dxb: &mut [f32]) {
    for ci in 0..g.c_in {
        for y in 0..g.h {
            let row = &mut dxb[(ci * g.h + y) * g.w..][..g.w];
            for rx in 0..2 {
                let src = &phases[phase_offset(g, ci, y, rx)..][..g.w / 2];
                add_to_every_second(&mut row[rx..], src);
            }
        }
    }
}

/// `dst[o] = src[2 * o]`: stride-2 im2col rows (the DCGAN's discriminator, and the backward
/// of its generator's transposed convolutions), four at a time with SSE2 (the scalar gather
/// made im2col a quarter of the DCGAN's step). `src` holds at least `2 * dst.len() - 1`.
#[inline]
fn copy_every_second(dst: &mut [MaybeUninit<f32>], src: &[f32]) {
    let n = dst.len();
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    #[cfg(target_arch = "x86_64")]
    let done = {
        use std::arch::x86_64::*;
        // Four outputs read eight inputs: quads while `src` has them.
        let quads = (n / 4).min(src.len() / 8);
        // SAFETY: SSE2 is part of x86-64; quad `q` reads src[8q..8q+8] and writes
        // dst[4q..4q+4], inside both slices by the bound on `quads`.
        unsafe {
            for q in 0..quads {
                let lo = _mm_loadu_ps(src.as_ptr().add(8 * q));
                let hi = _mm_loadu_ps(src.as_ptr().add(8 * q + 4));
                let even = _mm_shuffle_ps::<0b10_00_10_00>(lo, hi);
                _mm_storeu_ps(dst.as_mut_ptr().add(4 * q).cast::<f32>(), even);
            }
        }
        4 * quads
    };
    for (o, v) in dst.iter_mut().enumerate().skip(done) {
        v.write(src[2 * o]);
    }
}

/// `dst[2 * o] += src[o]`: stride-2 col2im rows, four at a time with SSE2 (the odd elements
/// get `+ 0.0`, which leaves them as they are but for the sign of a zero). `dst` holds at
/// least `2 * src.len() - 1`.
#[inline]
fn add_to_every_second(dst: &mut [f32], src: &[f32]) {
    let n = src.len();
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    #[cfg(target_arch = "x86_64")]
    let done = {
        use std::arch::x86_64::*;
        let quads = (n / 4).min(dst.len() / 8);
        // SAFETY: SSE2 is part of x86-64; quad `q` reads src[4q..4q+4] and reads and writes
        // dst[8q..8q+8], inside both slices by the bound on `quads`.
        unsafe {
            let zero = _mm_setzero_ps();
            for q in 0..quads {
                let add = _mm_loadu_ps(src.as_ptr().add(4 * q));
                let (lo, hi) = (dst.as_mut_ptr().add(8 * q), dst.as_mut_ptr().add(8 * q + 4));
                _mm_storeu_ps(lo, _mm_add_ps(_mm_loadu_ps(lo), _mm_unpacklo_ps(add, zero)));
                _mm_storeu_ps(hi, _mm_add_ps(_mm_loadu_ps(hi), _mm_unpackhi_ps(add, zero)));
            }
        }
        4 * quads
    };
    for (o, s) in src.iter().enumerate().skip(done) {
        dst[2 * o] += *s;
    }
}

/// Writes zeros over `s` (`write_filled` is not stable yet).
#[inline]
fn zero(s: &mut [MaybeUninit<f32>]) {
    for v in s {
        v.write(0.0);
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
