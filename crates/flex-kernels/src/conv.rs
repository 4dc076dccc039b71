//! The four convolution kernels on raw f32 NCHW slices: forward, input gradient, weight
//! gradient and bias gradient (dilation 1, groups 1). A transposed convolution is the same
//! kernels with the roles exchanged (see [`super::extension`]).
//!
//! Layouts (row-major): `x [n, c, h, w]`; `w [oc, c, kh, kw]`, the matrix `W [oc, K]` with
//! `K = c*kh*kw`; `y [n, oc, oh, ow]`, per item `Y_b [oc, P]` with `P = oh*ow`. Several
//! batch items are packed side by side into one im2col matrix `[K, nb*P]` (a group), so
//! small maps (P = 4 on a 2x2 map) still give gemm a wide product.
//!
//! Determinism (the same bits for any number of threads): forward and input gradient write
//! each output element from exactly one group, in a fixed order; the weight gradient splits
//! the groups into a number of chunks fixed by the shapes, each summed in order into its own
//! accumulator, and adds the accumulators in chunk order; the bias gradient is one
//! sequential f64 sum per channel; gemm never splits its summed dimension between threads
//! (gemm-common 0.19 `gemm_basic_generic`), and whether it may thread is chosen from the
//! shapes.

use super::geometry::{ConvGeom, KernelConfig};
use super::im2col::{col2im_add, cols_for_items, gather_items};
use super::matmul::{Par, matmul, matmul_into_uninit};
use super::uninit::written_by;
pub use super::weight_grad::{conv2d_weight_grad, conv2d_weight_grad_with};
use rayon::prelude::*;
use std::mem::MaybeUninit;

// ---------------------------------------------------------------------------------------------
// Forward
// ---------------------------------------------------------------------------------------------

/// `y = conv2d(x, w) + bias`, NCHW, dilation 1, groups 1. Returns `[n, oc, oh, ow]`.
pub fn conv2d_forward(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    conv2d_forward_with(g, x, w, bias, &KernelConfig::default())
}

pub fn conv2d_forward_with(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    cfg: &KernelConfig,
) -> Vec<f32> {
    assert_eq!(x.len(), g.x_len(), "conv forward: x length");
    assert_eq!(w.len(), g.w_len(), "conv forward: weight length");
    if let Some(b) = bias {
        assert_eq!(b.len(), g.c_out, "conv forward: bias length");
    }
    if g.is_empty() {
        // e.g. c_in == 0: the output is the bias alone.
        let mut y = vec![0.0f32; g.y_len()];
        if let (Some(b), false) = (bias, y.is_empty()) {
            fill_bias(g, &mut y, b);
        }
        return y;
    }
    let (oc, p, k) = (g.c_out, g.positions(), g.col_rows());
    let nb_max = g.group_items(cfg);
    let n_groups = g.batch.div_ceil(nb_max);
    let par = if n_groups > 1 { Par::None } else { Par::Gemm };

    // Writes every element of its group's `ys` (the output starts uninitialised).
    let run = |gi: usize, ys: &mut [MaybeUninit<f32>]| {
        let b0 = gi * nb_max;
        let nb = ys.len() / (oc * p);
        if nb == 1 {
            // Y_b [oc, P] is contiguous: gemm straight into it (accumulating onto the bias).
            let item_len = g.c_in * g.h * g.w;
            let owned;
            let cols: &[f32] = if g.is_pointwise() {
                &x[b0 * item_len..(b0 + 1) * item_len]
            } else {
                owned = cols_for_items(g, x, b0, 1);
                &owned
            };
            if let Some(b) = bias {
                for (o, row) in ys.chunks_mut(p).enumerate() {
                    for v in row {
                        v.write(b[o]);
                    }
                }
                // SAFETY: every element was just written.
                let ys = unsafe { &mut *(ys as *mut [MaybeUninit<f32>] as *mut [f32]) };
                // Y_b = W [oc, K] * cols [K, P] + bias
                matmul(oc, p, k, ys, p, w, k, 1, cols, p, 1, true, par);
            } else {
                // Y_b = W [oc, K] * cols [K, P]
                matmul_into_uninit(oc, p, k, ys, w, k, 1, cols, p, 1, par);
            }
        } else {
            let ld = nb * p;
            let cols = cols_for_items(g, x, b0, nb);
            // tmp [oc, nb*P] = W [oc, K] * cols [K, nb*P]
            // SAFETY: gemm without `accumulate` writes all of its `oc x nb*P` destination.
            let tmp = unsafe {
                written_by(oc * ld, |tmp| {
                    matmul_into_uninit(oc, ld, k, tmp, w, k, 1, &cols, ld, 1, par)
                })
            };
            for i in 0..nb {
                for o in 0..oc {
                    let dst = &mut ys[(i * oc + o) * p..(i * oc + o + 1) * p];
                    let src = &tmp[o * ld + i * p..o * ld + (i + 1) * p];
                    let b = bias.map_or(0.0, |b| b[o]);
                    for (d, s) in dst.iter_mut().zip(src) {
                        d.write(b + *s); // the bias first, as gemm's accumulation does
                    }
                }
            }
        }
    };

    let chunk = nb_max * oc * p;
    // SAFETY: the groups' chunks tile the output and `run` writes all of each.
    unsafe {
        written_by(g.y_len(), |y| {
            if n_groups > 1 {
                y.par_chunks_mut(chunk)
                    .enumerate()
                    .for_each(|(gi, ys)| run(gi, ys));
            } else {
                y.chunks_mut(chunk)
                    .enumerate()
                    .for_each(|(gi, ys)| run(gi, ys));
            }
        })
    }
}

/// `y` non-empty, so `c_out > 0` and `P > 0` (chunk sizes non-zero).
fn fill_bias(g: &ConvGeom, y: &mut [f32], b: &[f32]) {
    let p = g.positions();
    for item in y.chunks_mut(g.c_out * p) {
        for (o, row) in item.chunks_mut(p).enumerate() {
            row.fill(b[o]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Input gradient
// ---------------------------------------------------------------------------------------------

/// `dx` `[n, c, h, w]` from `dy` `[n, oc, oh, ow]`: `dcols_b = W^T dY_b`, then col2im.
pub fn conv2d_input_grad(g: &ConvGeom, w: &[f32], dy: &[f32]) -> Vec<f32> {
    conv2d_input_grad_with(g, w, dy, &KernelConfig::default())
}

pub fn conv2d_input_grad_with(g: &ConvGeom, w: &[f32], dy: &[f32], cfg: &KernelConfig) -> Vec<f32> {
    assert_eq!(w.len(), g.w_len(), "conv input grad: weight length");
    assert_eq!(dy.len(), g.y_len(), "conv input grad: output-grad length");
    let mut dx = vec![0.0f32; g.x_len()];
    if g.is_empty() {
        return dx;
    }
    let (oc, p, k) = (g.c_out, g.positions(), g.col_rows());
    let item_len = g.c_in * g.h * g.w;
    let nb_max = g.group_items(cfg);
    let n_groups = g.batch.div_ceil(nb_max);
    let par = if n_groups > 1 { Par::None } else { Par::Gemm };

    let run = |gi: usize, dxs: &mut [f32]| {
        let b0 = gi * nb_max;
        let nb = dxs.len() / item_len;
        let ld = nb * p;
        let owned;
        let dyg: &[f32] = if nb == 1 {
            &dy[b0 * oc * p..(b0 + 1) * oc * p]
        } else {
            owned = gather_items(g, dy, b0, nb);
            &owned
        };
        // W^T(r, o) = w[o*K + r]: row stride 1, column stride K.
        if nb == 1 && g.is_pointwise() {
            // dcols == dx_b: gemm straight into it.
            matmul(k, p, oc, dxs, p, w, 1, k, dyg, p, 1, false, par);
        } else {
            // dcols [K, nb*P] = W^T [K, oc] * dY [oc, nb*P]
            // SAFETY: gemm without `accumulate` writes every element of its `K x nb*P`
            // destination (row stride nb*P) and never reads it.
            let mut dcols = unsafe {
                written_by(k * ld, |dcols| {
                    matmul_into_uninit(k, ld, oc, dcols, w, 1, k, dyg, ld, 1, par)
                })
            };
            for i in 0..nb {
                col2im_add(
                    g,
                    &mut dcols,
                    ld,
                    i * p,
                    &mut dxs[i * item_len..(i + 1) * item_len],
                );
            }
        }
    };

    let chunk = nb_max * item_len;
    if n_groups > 1 {
        dx.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(gi, s)| run(gi, s));
    } else {
        dx.chunks_mut(chunk)
            .enumerate()
            .for_each(|(gi, s)| run(gi, s));
    }
    dx
}

// ---------------------------------------------------------------------------------------------
// Bias gradient
// ---------------------------------------------------------------------------------------------

/// `db[o] = sum_{b, p} dy[b, o, p]`, one sequential f64 sum per channel (deterministic).
pub fn conv2d_bias_grad(batch: usize, c_out: usize, positions: usize, dy: &[f32]) -> Vec<f32> {
    assert_eq!(
        dy.len(),
        batch * c_out * positions,
        "conv bias grad: length"
    );
    let sum = |o: usize| -> f32 {
        let mut s = 0.0f64;
        for b in 0..batch {
            for v in &dy[(b * c_out + o) * positions..(b * c_out + o + 1) * positions] {
                s += *v as f64;
            }
        }
        s as f32
    };
    if batch * c_out * positions >= 1 << 16 {
        (0..c_out).into_par_iter().map(sum).collect()
    } else {
        (0..c_out).map(sum).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::ConvGeom;
    use crate::im2col::valid_range;
    use crate::reference as naive;

    /// Small deterministic generator (no `rand` dependency): values in [-1, 1).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
        fn vec(&mut self, n: usize) -> Vec<f32> {
            (0..n).map(|_| self.next()).collect()
        }
    }

    /// (n, c, h, w, oc, kh, kw, sh, sw, ph, pw)
    /// (n, c, h, w, oc, kh, kw, sh, sw, ph, pw)
    type Shape = (
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
    );

    const SHAPES: &[Shape] = &[
        (1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0),
        (2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1),
        (3, 2, 8, 8, 5, 3, 3, 2, 2, 1, 1),
        (5, 4, 9, 7, 3, 5, 3, 2, 1, 2, 1), // non-square kernel, mixed strides
        (2, 3, 6, 6, 2, 1, 1, 1, 1, 0, 0), // pointwise fast path
        (4, 2, 5, 5, 3, 1, 1, 2, 2, 0, 0), // 1x1 with stride
        (2, 1, 2, 2, 1, 3, 3, 1, 1, 1, 1), // kernel as large as the padded map
        (2, 2, 7, 7, 2, 2, 2, 3, 3, 0, 0), // stride > kernel (skipped pixels)
        (3, 2, 3, 4, 2, 3, 3, 1, 1, 2, 2), // padding 2 > kernel half
        (2, 3, 9, 5, 3, 5, 5, 1, 1, 2, 2), // 5x5 "same": the contiguous im2col / col2im
        (2, 2, 6, 5, 3, 3, 3, 1, 1, 0, 1), // rows as wide as the input's, fewer rows
        (2, 2, 4, 1, 2, 3, 3, 1, 1, 1, 1), // one column: only the middle tap is valid
        (2, 3, 1, 1, 2, 3, 3, 1, 1, 1, 1), // a 1x1 map: taps with no valid row at all
        (2, 3, 21, 19, 4, 4, 4, 2, 2, 1, 1), // the DCGAN's 4x4 stride 2, odd maps
        (2, 2, 16, 16, 3, 4, 4, 2, 2, 1, 1), // the same on an even map: phase planes
        (2, 3, 6, 8, 2, 1, 1, 2, 2, 0, 0), // ResNet's 1x1 stride-2 shortcut: phase planes
        (7, 3, 2, 2, 4, 3, 3, 1, 1, 1, 1), // tiny maps, several items per group
    ];

    fn geom(s: Shape) -> ConvGeom {
        let (n, c, h, w, oc, kh, kw, sh, sw, ph, pw) = s;
        ConvGeom::new([n, c, h, w], [oc, c, kh, kw], [sh, sw], [ph, pw])
    }

    fn assert_close(what: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            let tol = 1e-4 + 1e-4 * b.abs();
            assert!((a - b).abs() <= tol, "{what}[{i}]: got {a}, want {b}");
        }
    }

    /// Configs: the default, the default with the channels-last weight gradient on every
    /// shape, one that forces several groups and chunks on tiny shapes (channels-last), and
    /// one that forces one item per group (NCHW weight gradient).
    fn configs() -> [KernelConfig; 4] {
        [
            KernelConfig::default(),
            KernelConfig {
                wgrad_channels_last_min_columns: 0,
                ..KernelConfig::default()
            },
            // 8 columns per group: 2 items of a 2x2 map per group, several groups, 3 chunks
            KernelConfig {
                target_cols: 8,
                min_groups: 3,
                col_budget: 1 << 20,
                wgrad_max_chunks: 3,
                wgrad_acc_budget: 1 << 20,
                wgrad_channels_last_min_columns: 0,
            },
            KernelConfig {
                target_cols: 1,
                min_groups: 1,
                col_budget: 1,
                wgrad_max_chunks: 1,
                wgrad_acc_budget: 1,
                wgrad_channels_last_min_columns: usize::MAX,
            },
        ]
    }

    #[test]
    fn valid_range_matches_brute_force() {
        for tap in 0..5 {
            for pad in 0..4 {
                for stride in 1..4 {
                    for in_len in 1..8 {
                        if in_len + 2 * pad < tap + 1 {
                            continue;
                        }
                        let out_len = (in_len + 2 * pad - (tap + 1)) / stride + 1;
                        let (lo, hi) = valid_range(tap, pad, stride, in_len, out_len);
                        for o in 0..out_len {
                            let pos = (o * stride + tap) as isize - pad as isize;
                            let valid = pos >= 0 && pos < in_len as isize;
                            assert_eq!(
                                valid,
                                o >= lo && o < hi,
                                "tap {tap} pad {pad} s {stride} in {in_len} o {o}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn forward_matches_naive() {
        let mut rng = Lcg(1);
        for &s in SHAPES {
            let g = geom(s);
            let x = rng.vec(g.x_len());
            let w = rng.vec(g.w_len());
            let b = rng.vec(g.c_out);
            for cfg in configs() {
                assert_close(
                    "forward+bias",
                    &conv2d_forward_with(&g, &x, &w, Some(&b), &cfg),
                    &naive::forward(&g, &x, &w, Some(&b)),
                );
                assert_close(
                    "forward",
                    &conv2d_forward_with(&g, &x, &w, None, &cfg),
                    &naive::forward(&g, &x, &w, None),
                );
            }
        }
    }

    #[test]
    fn input_grad_matches_naive() {
        let mut rng = Lcg(2);
        for &s in SHAPES {
            let g = geom(s);
            let w = rng.vec(g.w_len());
            let dy = rng.vec(g.y_len());
            let want = naive::input_grad(&g, &w, &dy);
            for cfg in configs() {
                assert_close(
                    "input grad",
                    &conv2d_input_grad_with(&g, &w, &dy, &cfg),
                    &want,
                );
            }
        }
    }

    #[test]
    fn weight_grad_matches_naive() {
        let mut rng = Lcg(3);
        for &s in SHAPES {
            let g = geom(s);
            let x = rng.vec(g.x_len());
            let dy = rng.vec(g.y_len());
            let want = naive::weight_grad(&g, &x, &dy);
            for cfg in configs() {
                assert_close(
                    "weight grad",
                    &conv2d_weight_grad_with(&g, &x, &dy, &cfg),
                    &want,
                );
            }
        }
    }

    #[test]
    fn bias_grad_matches_naive() {
        let mut rng = Lcg(4);
        for &s in SHAPES {
            let g = geom(s);
            let dy = rng.vec(g.y_len());
            assert_close(
                "bias grad",
                &conv2d_bias_grad(g.batch, g.c_out, g.positions(), &dy),
                &naive::bias_grad(&g, &dy),
            );
        }
    }

    /// `<conv(x), dy> == <x, dx(dy)> == <w, dw(x, dy)>`: the three kernels are adjoint.
    #[test]
    fn kernels_are_adjoint() {
        let mut rng = Lcg(5);
        let dot = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(u, v)| *u as f64 * *v as f64)
                .sum::<f64>()
        };
        for &s in SHAPES {
            let g = geom(s);
            let x = rng.vec(g.x_len());
            let w = rng.vec(g.w_len());
            let dy = rng.vec(g.y_len());
            let y = conv2d_forward(&g, &x, &w, None);
            let a = dot(&y, &dy);
            let b = dot(&x, &conv2d_input_grad(&g, &w, &dy));
            let c = dot(&w, &conv2d_weight_grad(&g, &x, &dy));
            let tol = 1e-3 * (1.0 + a.abs());
            assert!(
                (a - b).abs() <= tol && (a - c).abs() <= tol,
                "{s:?}: {a} {b} {c}"
            );
        }
    }

    /// Bit-identical results for 1, 2 and 4 threads, on shapes big enough for gemm's own
    /// threading (m*n*k above its threshold) and for several weight-gradient chunks.
    #[test]
    fn weight_grad_is_deterministic_across_thread_counts() {
        let mut rng = Lcg(6);
        let cases = [
            // 64 columns per group = one 8x8 item per group: 9 groups in 4 weight-grad chunks,
            // NCHW and channels-last
            (
                ConvGeom::new([9, 8, 8, 8], [16, 8, 3, 3], [1, 1], [1, 1]),
                KernelConfig {
                    target_cols: 64,
                    ..KernelConfig::default()
                },
            ),
            (
                ConvGeom::new([9, 8, 8, 8], [16, 8, 3, 3], [1, 1], [1, 1]),
                KernelConfig {
                    target_cols: 64,
                    wgrad_channels_last_min_columns: 0,
                    ..KernelConfig::default()
                },
            ),
            // one chunk, one big gemm that gemm itself threads: m*n*k = 64*576*1024
            (
                ConvGeom::new([1, 64, 32, 32], [64, 64, 3, 3], [1, 1], [1, 1]),
                KernelConfig::default(),
            ),
        ];
        for (g, cfg) in cases {
            let x = rng.vec(g.x_len());
            let w = rng.vec(g.w_len());
            let dy = rng.vec(g.y_len());
            let run = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| {
                    (
                        conv2d_forward_with(&g, &x, &w, None, &cfg),
                        conv2d_input_grad_with(&g, &w, &dy, &cfg),
                        conv2d_weight_grad_with(&g, &x, &dy, &cfg),
                    )
                })
            };
            let one = run(1);
            for threads in [2, 4, 1] {
                let other = run(threads);
                let same =
                    |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(u, v)| u.to_bits() == v.to_bits());
                assert!(
                    same(&one.0, &other.0),
                    "forward differs with {threads} threads"
                );
                assert!(
                    same(&one.1, &other.1),
                    "input grad differs with {threads} threads"
                );
                assert!(
                    same(&one.2, &other.2),
                    "weight grad differs with {threads} threads"
                );
            }
        }
    }

    #[test]
    fn empty_batch_is_fine() {
        let g = ConvGeom::new([0, 3, 5, 5], [4, 3, 3, 3], [1, 1], [1, 1]);
        assert!(conv2d_forward(&g, &[], &vec![0.0; g.w_len()], None).is_empty());
        assert!(conv2d_input_grad(&g, &vec![0.0; g.w_len()], &[]).is_empty());
        assert_eq!(conv2d_weight_grad(&g, &[], &[]), vec![0.0; g.w_len()]);
        assert_eq!(conv2d_bias_grad(0, 4, 25, &[]), vec![0.0; 4]);
    }
}
