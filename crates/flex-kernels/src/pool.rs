//! Max pooling without padding on raw f32 NCHW slices, forward and backward. burn-flex
//! pools through its 3-D kernel, writes an i64 index per output and scatters the gradient
//! through them one element at a time (the largest scalar loop left in a CNN step in
//! `perf`); here the backward finds each window's maximum again from the input (the same
//! choice as burn's: the first largest value in row-major order, a NaN wins) and writes the
//! gradient there, one plane per task.

use super::uninit::written_by;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// One max pooling: `batch * channels` planes of `h x w`, a `kernel` window every `stride`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolShape {
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
}

impl PoolShape {
    /// From `x [n, c, h, w]`'s dims; the window must fit (`h >= kernel[0]`, ...).
    pub fn new(dims: [usize; 4], kernel: [usize; 2], stride: [usize; 2]) -> Self {
        assert!(
            dims[2] >= kernel[0] && dims[3] >= kernel[1] && stride[0] > 0 && stride[1] > 0,
            "max pool: window {kernel:?} stride {stride:?} on a {}x{} map",
            dims[2],
            dims[3]
        );
        Self {
            planes: dims[0] * dims[1],
            h: dims[2],
            w: dims[3],
            kernel,
            stride,
        }
    }

    pub fn out_h(&self) -> usize {
        (self.h - self.kernel[0]) / self.stride[0] + 1
    }

    pub fn out_w(&self) -> usize {
        (self.w - self.kernel[1]) / self.stride[1] + 1
    }

    fn planes_per_task(&self) -> usize {
        4096usize.div_ceil((self.h * self.w).max(1))
    }

    /// The input index (within its plane) of the window `(oy, ox)`'s maximum.
    #[inline(always)]
    fn argmax(&self, plane: &[f32], oy: usize, ox: usize) -> usize {
        let (y0, x0) = (oy * self.stride[0], ox * self.stride[1]);
        let mut best = y0 * self.w + x0;
        let mut best_value = plane[best];
        for i in 0..self.kernel[0] {
            let row = (y0 + i) * self.w + x0;
            for (j, &v) in plane[row..row + self.kernel[1]].iter().enumerate() {
                if v > best_value || v.is_nan() {
                    best = row + j;
                    best_value = v;
                }
            }
        }
        best
    }
}

/// `y [planes, out_h, out_w]`: each window's maximum.
pub fn max_pool_forward(s: PoolShape, x: &[f32]) -> Vec<f32> {
    let (hw, ohw) = (s.h * s.w, s.out_h() * s.out_w());
    assert_eq!(x.len(), s.planes * hw, "max pool: x length");
    if s.planes * ohw == 0 {
        return Vec::new();
    }
    let ow = s.out_w();
    // SAFETY: the planes tile the output, and each window writes its output element.
    unsafe {
        written_by(s.planes * ohw, |y| {
            y.par_chunks_mut(ohw)
                .zip(x.par_chunks(hw))
                .with_min_len(s.planes_per_task())
                .for_each(|(yp, xp)| {
                    if s.kernel == [2, 2] && s.stride == [2, 2] {
                        forward_2x2_plane(s.w, ow, yp, xp);
                    } else {
                        for (o, out) in yp.iter_mut().enumerate() {
                            out.write(xp[s.argmax(xp, o / ow, o % ow)]);
                        }
                    }
                })
        })
    }
}

/// The CNNs' 2x2 windows with stride 2 on one plane: two rows at a time, no index
/// bookkeeping. Not inlined, so that `perf` names it.
#[inline(never)]
fn forward_2x2_plane(w: usize, ow: usize, yp: &mut [MaybeUninit<f32>], xp: &[f32]) {
    for (oy, yr) in yp.chunks_mut(ow).enumerate() {
        let (top, bottom) = (
            &xp[2 * oy * w..][..2 * ow],
            &xp[(2 * oy + 1) * w..][..2 * ow],
        );
        for (ox, out) in yr.iter_mut().enumerate() {
            let (a, b) = (top[2 * ox], top[2 * ox + 1]);
            let (c, d) = (bottom[2 * ox], bottom[2 * ox + 1]);
            out.write(max_first(max_first(max_first(a, b), c), d));
        }
    }
}

/// `b` when it is larger than `a` or NaN, else `a` (burn's order of preference).
#[inline(always)]
fn max_first(a: f32, b: f32) -> f32 {
    if (b > a) | b.is_nan() { b } else { a }
}

/// `dx [planes, h, w]`: each window's output gradient added at its maximum.
pub fn max_pool_backward(s: PoolShape, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let (hw, ohw) = (s.h * s.w, s.out_h() * s.out_w());
    assert_eq!(x.len(), s.planes * hw, "max pool backward: x length");
    assert_eq!(
        dy.len(),
        s.planes * ohw,
        "max pool backward: output gradient length"
    );
    let mut dx = vec![0.0f32; x.len()];
    if dx.is_empty() || ohw == 0 {
        return dx;
    }
    let ow = s.out_w();
    dx.par_chunks_mut(hw)
        .zip(x.par_chunks(hw).zip(dy.par_chunks(ohw)))
        .with_min_len(s.planes_per_task())
        .for_each(|(dxp, (xp, gp))| {
            if s.kernel == [2, 2] && s.stride == [2, 2] {
                backward_2x2_plane(s.w, ow, dxp, xp, gp);
            } else {
                for (o, &g) in gp.iter().enumerate() {
                    dxp[s.argmax(xp, o / ow, o % ow)] += g;
                }
            }
        });
    dx
}

/// The CNNs' 2x2 windows with stride 2 on one plane (`w` wide, `ow` windows per row). They
/// do not overlap, so each input position gets its window's gradient or zero, written once.
/// The winner is chosen with masks, not branches: on a ReLU's outputs a branch per element
/// is mispredicted half the time, which made the searching loop 18% of a CNN step
/// (`bench/NOTES.md`, change 10), and the compiler turns scalar selects back into branches
/// at the baseline x86-64 target (it has no float select), hence SSE2 by hand there. Same
/// winner as [`PoolShape::argmax`]. Not inlined, so that `perf` names it.
#[inline(never)]
fn backward_2x2_plane(w: usize, ow: usize, dxp: &mut [f32], xp: &[f32], gp: &[f32]) {
    for (oy, grads) in gp.chunks(ow).enumerate() {
        let (top, bottom) = (
            &xp[2 * oy * w..][..2 * ow],
            &xp[(2 * oy + 1) * w..][..2 * ow],
        );
        let (dtop, dbottom) = dxp[2 * oy * w..].split_at_mut(w);
        let (dtop, dbottom) = (&mut dtop[..2 * ow], &mut dbottom[..2 * ow]);
        #[cfg(target_arch = "x86_64")]
        {
            let done = backward_2x2_row_sse2(top, bottom, grads, dtop, dbottom);
            if done < ow {
                // The last 1-3 windows through the same code, padded to four.
                let rest = ow - done;
                let (mut t, mut b, mut g) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 4]);
                t[..2 * rest].copy_from_slice(&top[2 * done..]);
                b[..2 * rest].copy_from_slice(&bottom[2 * done..]);
                g[..rest].copy_from_slice(&grads[done..]);
                let (mut dt, mut db) = ([0.0f32; 8], [0.0f32; 8]);
                backward_2x2_row_sse2(&t, &b, &g, &mut dt, &mut db);
                dtop[2 * done..].copy_from_slice(&dt[..2 * rest]);
                dbottom[2 * done..].copy_from_slice(&db[..2 * rest]);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        for ox in 0..ow {
            let (a, b) = (top[2 * ox], top[2 * ox + 1]);
            let (c, d) = (bottom[2 * ox], bottom[2 * ox + 1]);
            let b_wins = (b > a) | b.is_nan();
            let best = if b_wins { b } else { a };
            let c_wins = (c > best) | c.is_nan();
            let best = if c_wins { c } else { best };
            let d_wins = (d > best) | d.is_nan();
            // `0.0 + g`, as the scatter onto zeros gave (a -0.0 gradient becomes +0.0).
            let g = 0.0 + grads[ox];
            let at = |wins: bool| if wins { g } else { 0.0 };
            dtop[2 * ox] = at(!(b_wins | c_wins | d_wins));
            dtop[2 * ox + 1] = at(b_wins & !c_wins & !d_wins);
            dbottom[2 * ox] = at(c_wins & !d_wins);
            dbottom[2 * ox + 1] = at(d_wins);
        }
    }
}

/// Four windows at a time of one row of [`backward_2x2_plane`] with SSE2 (part of every
/// x86-64 CPU); returns how many windows it did (a multiple of 4), the caller does the rest.
#[cfg(target_arch = "x86_64")]
fn backward_2x2_row_sse2(
    top: &[f32],
    bottom: &[f32],
    grads: &[f32],
    dtop: &mut [f32],
    dbottom: &mut [f32],
) -> usize {
    use std::arch::x86_64::*;
    let quads = grads.len() / 4;
    let n = 8 * quads;
    let (top, bottom) = (&top[..n], &bottom[..n]);
    let (dtop, dbottom) = (&mut dtop[..n], &mut dbottom[..n]);
    // SAFETY: SSE2 is part of x86-64; every pointer below is offset within the slices just
    // bounded to 8 * quads elements (4 * quads for `grads`).
    unsafe {
        let zero = _mm_setzero_ps();
        // (v > best) or v is NaN, as a lane mask.
        let wins =
            |v: __m128, best: __m128| _mm_or_ps(_mm_cmpgt_ps(v, best), _mm_cmpunord_ps(v, v));
        let pick = |m: __m128, yes: __m128, no: __m128| {
            _mm_or_ps(_mm_and_ps(m, yes), _mm_andnot_ps(m, no))
        };
        for q in 0..quads {
            let (t0, t1) = (
                _mm_loadu_ps(top.as_ptr().add(8 * q)),
                _mm_loadu_ps(top.as_ptr().add(8 * q + 4)),
            );
            let (u0, u1) = (
                _mm_loadu_ps(bottom.as_ptr().add(8 * q)),
                _mm_loadu_ps(bottom.as_ptr().add(8 * q + 4)),
            );
            // Even lanes are each window's left column, odd lanes its right column.
            let (a, b) = (
                _mm_shuffle_ps::<0b10_00_10_00>(t0, t1),
                _mm_shuffle_ps::<0b11_01_11_01>(t0, t1),
            );
            let (c, d) = (
                _mm_shuffle_ps::<0b10_00_10_00>(u0, u1),
                _mm_shuffle_ps::<0b11_01_11_01>(u0, u1),
            );
            let b_wins = wins(b, a);
            let best = pick(b_wins, b, a);
            let c_wins = wins(c, best);
            let best = pick(c_wins, c, best);
            let d_wins = wins(d, best);
            let g = _mm_add_ps(zero, _mm_loadu_ps(grads.as_ptr().add(4 * q)));
            let later_cd = _mm_or_ps(c_wins, d_wins);
            let ga = _mm_andnot_ps(_mm_or_ps(b_wins, later_cd), g);
            let gb = _mm_andnot_ps(later_cd, _mm_and_ps(b_wins, g));
            let gc = _mm_andnot_ps(d_wins, _mm_and_ps(c_wins, g));
            let gd = _mm_and_ps(d_wins, g);
            _mm_storeu_ps(dtop.as_mut_ptr().add(8 * q), _mm_unpacklo_ps(ga, gb));
            _mm_storeu_ps(dtop.as_mut_ptr().add(8 * q + 4), _mm_unpackhi_ps(ga, gb));
            _mm_storeu_ps(dbottom.as_mut_ptr().add(8 * q), _mm_unpacklo_ps(gc, gd));
            _mm_storeu_ps(dbottom.as_mut_ptr().add(8 * q + 4), _mm_unpackhi_ps(gc, gd));
        }
    }
    4 * quads
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2x2_backward_picks_the_searching_loops_winner_with_ties_and_nans() {
        // Values from {-1, 0, 1, NaN} on odd maps: every kind of tie and NaN placement.
        let values = [-1.0, 0.0, 1.0, f32::NAN];
        // Rows of 1-3 windows (the scalar loop), 8 and 9 (four at a time, then the rest).
        for (h, w) in [(4, 4), (5, 7), (2, 3), (7, 2), (4, 16), (5, 19), (6, 17)] {
            let s = PoolShape::new([2, 3, h, w], [2, 2], [2, 2]);
            let mut state = 7u64;
            let x: Vec<f32> = (0..s.planes * h * w)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    values[(state >> 61) as usize % 4]
                })
                .collect();
            let ohw = s.out_h() * s.out_w();
            let dy: Vec<f32> = (0..s.planes * ohw).map(|i| i as f32 + 1.0).collect();
            let mut expected = vec![0.0f32; x.len()];
            for p in 0..s.planes {
                let plane = &x[p * h * w..(p + 1) * h * w];
                for o in 0..ohw {
                    let at = s.argmax(plane, o / s.out_w(), o % s.out_w());
                    expected[p * h * w + at] += dy[p * ohw + o];
                }
            }
            assert_eq!(max_pool_backward(s, &x, &dy), expected, "{h}x{w}");
        }
    }

    #[test]
    fn forward_and_backward_follow_the_first_maximum() {
        // One 4x4 plane, 2x2 windows: ties go to the first in row-major order.
        let x = [
            1.0, 3.0, 0.0, 0.0, //
            3.0, 2.0, 0.0, -1.0, //
            5.0, 4.0, 7.0, 8.0, //
            6.0, 6.0, 8.0, 2.0,
        ];
        let s = PoolShape::new([1, 1, 4, 4], [2, 2], [2, 2]);
        assert_eq!(max_pool_forward(s, &x), [3.0, 0.0, 6.0, 8.0]);
        let dx = max_pool_backward(s, &x, &[1.0, 2.0, 3.0, 4.0]);
        let mut expected = [0.0f32; 16];
        expected[1] = 1.0; // the first 3
        expected[2] = 2.0; // the first 0
        expected[12] = 3.0; // the first 6
        expected[11] = 4.0; // the first 8
        assert_eq!(dx, expected);
        // Overlapping 3x3 windows, stride 1: gradients add up at a shared maximum.
        let s = PoolShape::new([1, 1, 4, 4], [3, 3], [1, 1]);
        assert_eq!(max_pool_forward(s, &x), [7.0, 8.0, 8.0, 8.0]);
        let dx = max_pool_backward(s, &x, &[1.0, 1.0, 1.0, 1.0]);
        assert_eq!(
            (dx[10], dx[11], dx[14], dx.iter().sum::<f32>()),
            (1.0, 2.0, 1.0, 4.0)
        );
    }
}
