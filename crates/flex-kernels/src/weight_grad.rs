//! The convolution's weight gradient, `dW [oc, c, kh, kw] = sum_b dY_b [oc, P] * cols_b^T`,
//! from channels-last operands.
//!
//! The product sums over output positions, the unit-stride dimension of both NCHW operands,
//! and gemm packs such operands one float at a time (it copies whole vectors only from a
//! column-major lhs and a row-major rhs). So each group of items is turned channels-last
//! first: `dY` to `dYt [nb*P, oc]` and the input patches to `colsT [nb*P, K']`, one row per
//! output position with its `kh` runs of `kw*c` contiguous floats (`K' = kh*kw*c`, taps
//! before channels). gemm then forms `acc [K', oc] += colsT^T * dYt` from exactly the
//! layouts it copies by vectors, and `acc` is permuted to `[oc, c, kh, kw]` once at the end
//! (`bench/NOTES.md`, change 15). Groups of few positions keep the NCHW operands (see
//! [`KernelConfig::wgrad_channels_last_min_columns`]).
//!
//! Determinism: the batch groups are split into a number of chunks fixed by the shapes;
//! each chunk sums its groups in order into a private accumulator, the accumulators are
//! added in chunk order, and gemm never splits its summed dimension between threads. The
//! same bits for any number of threads.

use super::geometry::{ConvGeom, KernelConfig};
use super::im2col::{cols_for_items, gather_items};
use super::matmul::{Par, matmul};
use super::transpose::{transpose_into, transposed};
use super::uninit::written_by;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// `dW [oc, c, kh, kw] = sum_b dY_b [oc, P] * cols_b [K, P]^T` with the default tuning.
pub fn conv2d_weight_grad(g: &ConvGeom, x: &[f32], dy: &[f32]) -> Vec<f32> {
    conv2d_weight_grad_with(g, x, dy, &KernelConfig::default())
}

/// [`conv2d_weight_grad`] with explicit tuning (tests shrink it to force several chunks).
pub fn conv2d_weight_grad_with(
    g: &ConvGeom,
    x: &[f32],
    dy: &[f32],
    cfg: &KernelConfig,
) -> Vec<f32> {
    assert_eq!(x.len(), g.x_len(), "conv weight grad: x length");
    assert_eq!(dy.len(), g.y_len(), "conv weight grad: output-grad length");
    if g.is_empty() {
        return vec![0.0f32; g.w_len()];
    }
    let (oc, p, k) = (g.c_out, g.positions(), g.col_rows());
    let item_len = g.c_in * g.h * g.w;
    let nb_max = g.group_items(cfg);
    let n_groups = g.batch.div_ceil(nb_max);
    let acc_len = oc * k;
    let n_chunks = n_groups
        .min(cfg.wgrad_max_chunks.max(1))
        .min((cfg.wgrad_acc_budget / acc_len.max(1)).max(1));
    let par = if n_chunks > 1 { Par::None } else { Par::Gemm };

    // The channels-last path pays where each group's product sums over enough positions
    // (default 256). Below (VGG-19's 4x4 and 2x2 stages: 128 and 32) the product is bound
    // by its large `[oc, K]` accumulator, and the NCHW operands, packed by gemm, measured
    // faster (`cargo run --release -p flex-kernels --example conv_kernels`, change 15).
    let channels_last = nb_max * p >= cfg.wgrad_channels_last_min_columns;

    // Chunk `ci` owns groups [ci*n_groups/n_chunks, (ci+1)*n_groups/n_chunks) and returns
    // their sum: `acc [K', oc]` channels-last, `acc [oc, K]` otherwise.
    let chunk_partial = |ci: usize| -> Vec<f32> {
        let g_lo = ci * n_groups / n_chunks;
        let g_hi = (ci + 1) * n_groups / n_chunks;
        let mut acc = vec![0.0f32; acc_len];
        for (step, gi) in (g_lo..g_hi).enumerate() {
            let b0 = gi * nb_max;
            let nb = nb_max.min(g.batch - b0);
            let ld = nb * p;
            if channels_last {
                let dyt = output_grad_channels_last(g, dy, b0, nb);
                let colst = cols_channels_last(g, x, b0, nb);
                // acc [K', oc] (+)= colsT^T [K', nb*P] * dYt [nb*P, oc]: a column-major lhs
                // and a row-major rhs, the layouts gemm packs by whole vectors.
                matmul(
                    k,
                    oc,
                    ld,
                    &mut acc,
                    oc,
                    &colst,
                    1,
                    k,
                    &dyt,
                    oc,
                    1,
                    step > 0,
                    par,
                );
                continue;
            }
            let owned_dy;
            let dyg: &[f32] = if nb == 1 {
                &dy[b0 * oc * p..(b0 + 1) * oc * p]
            } else {
                owned_dy = gather_items(g, dy, b0, nb);
                &owned_dy
            };
            let owned_cols;
            let cols: &[f32] = if nb == 1 && g.is_pointwise() {
                &x[b0 * item_len..(b0 + 1) * item_len]
            } else {
                owned_cols = cols_for_items(g, x, b0, nb);
                &owned_cols
            };
            // acc [oc, K] (+)= dY [oc, nb*P] * cols^T [nb*P, K]; cols^T(j, r) = cols[r*ld + j].
            matmul(
                oc,
                k,
                ld,
                &mut acc,
                k,
                dyg,
                ld,
                1,
                cols,
                1,
                ld,
                step > 0,
                par,
            );
        }
        acc
    };

    let partials: Vec<Vec<f32>> = if n_chunks > 1 {
        // `collect` on an indexed parallel iterator keeps index order.
        (0..n_chunks).into_par_iter().map(chunk_partial).collect()
    } else {
        vec![chunk_partial(0)]
    };
    let mut partials = partials.into_iter();
    let mut acc = partials.next().expect("at least one chunk");
    for part in partials {
        for (d, s) in acc.iter_mut().zip(&part) {
            *d += *s;
        }
    }
    if channels_last {
        taps_first_to_weight_layout(g, &acc)
    } else {
        acc
    }
}

/// `dYt [nb*P, oc]`: the `[oc, P]` blocks of items `b0..b0+nb` of `dy`, each transposed.
fn output_grad_channels_last(g: &ConvGeom, dy: &[f32], b0: usize, nb: usize) -> Vec<f32> {
    let (oc, p) = (g.c_out, g.positions());
    // SAFETY: item `i` writes rows `i*P..(i+1)*P` whole: all `nb*P x oc` elements.
    unsafe {
        written_by(nb * p * oc, |out| {
            for i in 0..nb {
                let item = &dy[(b0 + i) * oc * p..(b0 + i + 1) * oc * p];
                transpose_into(item, p, oc, p, &mut out[i * p * oc..], oc);
            }
        })
    }
}

/// `colsT [nb*P, K']` of items `b0..b0+nb`: row `(i, oy, ox)` holds the patch under output
/// position `(oy, ox)` of item `i`, taps before channels (`[kh, kw, c]`), zeros where the
/// patch reaches into the padding.
fn cols_channels_last(g: &ConvGeom, x: &[f32], b0: usize, nb: usize) -> Vec<f32> {
    let (c, p, k) = (g.c_in, g.positions(), g.col_rows());
    let item_len = c * g.h * g.w;
    let hw = g.h * g.w;
    // SAFETY: item `i` writes rows `i*P..(i+1)*P` whole (see `patch_rows`): all `nb*P x K'`.
    unsafe {
        written_by(nb * p * k, |out| {
            for i in 0..nb {
                let xb = &x[(b0 + i) * item_len..(b0 + i + 1) * item_len];
                let rows = &mut out[i * p * k..(i + 1) * p * k];
                if g.is_pointwise() {
                    // A 1x1 patch is the pixel's channels: the transposed item itself.
                    transpose_into(xb, hw, c, hw, rows, c);
                    continue;
                }
                // SAFETY: `transpose_into` writes the whole `[hw, c]` block.
                let xt = written_by(item_len, |xt| transpose_into(xb, hw, c, hw, xt, c));
                patch_rows(g, &xt, rows);
            }
        })
    }
}

/// Writes every element of the `[P, K']` rows of one item from its channels-last input
/// `xt [h, w, c]`: per output position and kernel row, one run of up to `kw*c` floats.
fn patch_rows(g: &ConvGeom, xt: &[f32], rows: &mut [MaybeUninit<f32>]) {
    let (c, k, ow) = (g.c_in, g.col_rows(), g.out_w());
    let [sh, sw] = g.stride;
    let [ph, pw] = g.padding;
    let run = g.kw * c;
    for (pos, row) in rows.chunks_exact_mut(k).enumerate() {
        let (oy, ox) = (pos / ow, pos % ow);
        // The patch's columns `ix0 .. ix0 + kw` (in padded coordinates: `+ pw`), clipped.
        let ix_pad = ox * sw;
        let kx_lo = pw.saturating_sub(ix_pad);
        let kx_hi = (g.w + pw).saturating_sub(ix_pad).min(g.kw);
        for (ky, seg) in row.chunks_exact_mut(run).enumerate() {
            let iy_pad = oy * sh + ky;
            if iy_pad < ph || iy_pad >= g.h + ph || kx_lo >= kx_hi {
                zero(seg);
                continue;
            }
            let iy = iy_pad - ph;
            let ix = ix_pad + kx_lo - pw;
            let src = &xt[(iy * g.w + ix) * c..(iy * g.w + ix + kx_hi - kx_lo) * c];
            zero(&mut seg[..kx_lo * c]);
            seg[kx_lo * c..kx_hi * c].write_copy_of_slice(src);
            zero(&mut seg[kx_hi * c..]);
        }
    }
}

/// `dW [oc, c, kh, kw]` from the accumulator `[kh, kw, c, oc]`: transposed whole to
/// `[oc, kh*kw, c]`, then each output channel's `[kh*kw, c]` block to `[c, kh*kw]` (both
/// in 4x4 blocks: a scattered permutation of VGG's 2.4M-float accumulators took longer
/// than the product).
fn taps_first_to_weight_layout(g: &ConvGeom, acc: &[f32]) -> Vec<f32> {
    let (oc, c, taps) = (g.c_out, g.c_in, g.kh * g.kw);
    let per_channel = taps * c;
    let by_channel = transposed(acc, per_channel, oc);
    // SAFETY: each output channel's block `[c, taps]` is written whole by `transpose_into`.
    unsafe {
        written_by(acc.len(), |dw| {
            for (o, block) in dw.chunks_exact_mut(per_channel).enumerate() {
                let src = &by_channel[o * per_channel..(o + 1) * per_channel];
                transpose_into(src, c, taps, c, block, taps);
            }
        })
    }
}

/// Writes zeros over `s` (`write_filled` is not stable yet).
#[inline]
fn zero(s: &mut [MaybeUninit<f32>]) {
    for v in s {
        v.write(0.0);
    }
}
