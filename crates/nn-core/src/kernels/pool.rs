//! Max pooling without padding on raw f32 NCHW slices, forward and backward. burn-flex
//! pools through its 3-D kernel, writes an i64 index per output and scatters the gradient
//! through them one element at a time (the largest scalar loop left in a CNN step in
//! `perf`); here the backward finds each window's maximum again from the input (the same
//! choice as burn's: the first largest value in row-major order, a NaN wins) and writes the
//! gradient there, one plane per task.

use rayon::prelude::*;

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
    let mut y = vec![0.0f32; s.planes * ohw];
    if y.is_empty() {
        return y;
    }
    let ow = s.out_w();
    y.par_chunks_mut(ohw)
        .zip(x.par_chunks(hw))
        .with_min_len(s.planes_per_task())
        .for_each(|(yp, xp)| {
            if s.kernel == [2, 2] && s.stride == [2, 2] {
                // The CNNs' pooling: two rows at a time, no index bookkeeping.
                for (oy, yr) in yp.chunks_mut(ow).enumerate() {
                    let (top, bottom) = (&xp[2 * oy * s.w..], &xp[(2 * oy + 1) * s.w..]);
                    for (ox, out) in yr.iter_mut().enumerate() {
                        let (a, b) = (top[2 * ox], top[2 * ox + 1]);
                        let (c, d) = (bottom[2 * ox], bottom[2 * ox + 1]);
                        *out = max_first(max_first(max_first(a, b), c), d);
                    }
                }
            } else {
                for (o, out) in yp.iter_mut().enumerate() {
                    *out = xp[s.argmax(xp, o / ow, o % ow)];
                }
            }
        });
    y
}

/// `b` when it is larger than `a` or NaN, else `a` (burn's order of preference).
#[inline(always)]
fn max_first(a: f32, b: f32) -> f32 {
    if b > a || b.is_nan() { b } else { a }
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
            for (o, &g) in gp.iter().enumerate() {
                dxp[s.argmax(xp, o / ow, o % ow)] += g;
            }
        });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

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
