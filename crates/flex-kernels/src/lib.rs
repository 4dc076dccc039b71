//! CPU kernels for burn's `flex` backend, with hand-written backwards: convolutions
//! (im2col + gemm, a one-gemm weight gradient), batch and group norm fused with their
//! activation, max pooling, tanh and Adam's update. They enter burn through its
//! backend-extension mechanism, so autodiff, optimisers and records see ordinary tensors;
//! [`layers`] is the one way a model calls them, and falls back to burn's own ops wherever
//! a kernel does not take the tensors (another backend, another dtype or shape).
//!
//! Names: each op is called after the burn op it stands in for (`conv2d`,
//! `conv_transpose2d`, `conv2d_weight_grad`, `max_pool2d`, `tanh`, `adam_step`; a norm
//! fused with its activation `batch_norm_act`, `group_norm_act`, with their statistics
//! `channel_stats`, `group_stats`), and `<op>_takes` says whether it takes the tensors at
//! hand (`max_pool2d_takes`, `tanh_takes`, `adam_step_takes`, `norm_act_takes` for both
//! norms; a convolution takes any f32 tensor on flex: [`is_flex_device`]).
//!
//! The convolutions:
//!
//! burn-flex 0.22 has no weight-gradient op (burn-backend's default runs it as another
//! convolution with the whole map as the kernel, 4-8x slower than PyTorch), computes the
//! input gradient as a transposed convolution with a scalar col2im, and copies every input
//! to NHWC on one thread (`bench/NOTES.md`). Here the forward is im2col straight from NCHW
//! plus one gemm per group of images, the weight gradient one gemm per group summed in a
//! fixed order, the input gradient `W^T dY` plus col2im; a transposed convolution reuses
//! the three. They enter burn through its backend-extension mechanism ([`extension`]), so
//! autodiff, optimisers and checkpoints see ordinary tensors.
//!
//! [`conv2d`] and [`conv_transpose2d`] take our path on Flex (with or without autodiff) for
//! f32 tensors with dilation 1 and groups 1, and burn's own ops everywhere else (ndarray,
//! wgpu), where the extension would panic. [`set_enabled`] turns the path off on the calling
//! thread, for comparisons.
//!
//! Training-mode batch norm fused with its activation ([`norm`], [`norm_extension`]) enters
//! the same way: [`norm_act_takes`] says whether it can, [`channel_stats`] and
//! [`batch_norm_act`] run it; [`crate::layers::batch_norm_act`] is the one caller.

pub mod activation;
pub mod activation_extension;
pub mod adam;
pub mod adam_extension;
#[cfg(feature = "flex")]
mod buffers;
pub mod conv;
pub mod extension;
mod fused_adam;
pub mod geometry;
pub mod group_norm;
mod im2col;
pub mod layers;
mod matmul;
pub mod norm;
pub mod norm_extension;
pub mod pool;
pub mod pool_extension;
pub mod reference;
mod transpose;
mod uninit;
pub mod weight_grad;

use activation_extension::FastActivationOps;
use adam_extension::FastAdamOps;
use burn::backend::Dispatch;
use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use extension::{ConvSetting, FastConvOps};
pub use fused_adam::FusedAdam;
pub use norm::NormActivation;
use norm_extension::FastNormOps;
use pool_extension::FastPoolOps;
use std::cell::Cell;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    static NORM_POOL_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Turns our kernels on or off for the convolutions the calling thread builds (on by
/// default): off, they run burn's own ops, which the equivalence tests and the bench
/// compare. Per thread, so a test that turns them off does not change its neighbours.
pub fn set_enabled(enabled: bool) {
    ENABLED.with(|cell| cell.set(enabled));
}

/// Whether our kernels are on for the calling thread.
pub fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// Turns the fused batch norm / group norm and the max pooling alone on or off for the
/// calling thread (on by default; the bench's `--burn-norms` measures what they change).
/// [`set_enabled`] turns off all kernels.
pub fn set_norm_pool_enabled(enabled: bool) {
    NORM_POOL_ENABLED.with(|cell| cell.set(enabled));
}

/// Whether `device` is burn's `flex` backend, with or without autodiff.
pub fn is_flex_device(device: &Device) -> bool {
    is_flex(device.as_dispatch())
}

fn is_flex(device: &burn::backend::DispatchDevice) -> bool {
    use burn::backend::DispatchDevice;
    match device {
        DispatchDevice::Flex(_) => true,
        DispatchDevice::Autodiff(inner) => is_flex(inner),
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// Whether our kernels can take tensors on `device` of these dtypes: Flex, f32, enabled.
fn takes(tensors: &[(Device, DType)]) -> bool {
    cfg!(feature = "flex")
        && enabled()
        && tensors
            .iter()
            .all(|(device, dtype)| *dtype == DType::F32 && is_flex_device(device))
}

fn key<const D: usize>(t: &Tensor<D>) -> (Device, DType) {
    (t.device(), t.dtype())
}

/// A 2-D convolution, dilation 1, groups 1: `x [n, c, h, w]`, `weight [oc, c, kh, kw]`,
/// `bias [oc]` -> `[n, oc, (h + 2p - kh) / s + 1, ...]`.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    stride: [usize; 2],
    padding: [usize; 2],
) -> Tensor<4> {
    let mut keys = vec![key(&x), key(&weight)];
    keys.extend(bias.as_ref().map(key));
    let [_, c, h, w] = x.dims();
    let [_, wc, kh, kw] = weight.dims();
    let fits = c == wc && h + 2 * padding[0] >= kh && w + 2 * padding[1] >= kw;
    if !(fits && stride[0] > 0 && stride[1] > 0 && takes(&keys)) {
        let options = ConvOptions::new(stride, padding, [1, 1], 1);
        return burn::tensor::module::conv2d(x, weight, bias, options);
    }
    let setting = ConvSetting { stride, padding };
    let (x, weight) = (x.into_dispatch(), weight.into_dispatch());
    Tensor::from_dispatch(match bias {
        Some(b) => <Dispatch as FastConvOps>::fc_conv2d(x, weight, b.into_dispatch(), setting),
        None => <Dispatch as FastConvOps>::fc_conv2d_nobias(x, weight, setting),
    })
}

/// A 2-D transposed convolution, dilation 1, groups 1: `x [n, ci, h, w]`,
/// `weight [ci, co, kh, kw]`, `bias [co]` -> `[n, co, (h - 1) s - 2p + kh + padding_out, ...]`.
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    stride: [usize; 2],
    padding: [usize; 2],
    padding_out: [usize; 2],
) -> Tensor<4> {
    let mut keys = vec![key(&x), key(&weight)];
    keys.extend(bias.as_ref().map(key));
    let [_, c, h, w] = x.dims();
    let [wc, _, kh, kw] = weight.dims();
    let size = |len: usize, i: usize, k: usize| {
        ((len.max(1) - 1) * stride[i] + k + padding_out[i]).checked_sub(2 * padding[i])
    };
    let out = size(h, 0, kh).zip(size(w, 1, kw));
    let fits = c == wc
        && h > 0
        && w > 0
        && padding_out[0] < stride[0]
        && padding_out[1] < stride[1]
        && out.is_some_and(|(oh, ow)| oh > 0 && ow > 0);
    match out {
        Some((oh, ow)) if fits && takes(&keys) => {
            let setting = ConvSetting { stride, padding };
            let (x, weight) = (x.into_dispatch(), weight.into_dispatch());
            Tensor::from_dispatch(match bias {
                Some(b) => <Dispatch as FastConvOps>::fc_conv_transpose2d(
                    x,
                    weight,
                    b.into_dispatch(),
                    setting,
                    [oh, ow],
                ),
                None => <Dispatch as FastConvOps>::fc_conv_transpose2d_nobias(
                    x,
                    weight,
                    setting,
                    [oh, ow],
                ),
            })
        }
        _ => {
            let options = ConvTransposeOptions::new(stride, padding, padding_out, [1, 1], 1);
            burn::tensor::module::conv_transpose2d(x, weight, bias, options)
        }
    }
}

/// A convolution's weight gradient alone, `[oc, c, kernel_hw]` (the bench times it): ours
/// on flex, burn's `conv2d_weight_backward` elsewhere or when turned off.
pub fn conv2d_weight_grad(
    x: Tensor<4>,
    weight: Tensor<4>,
    output_grad: Tensor<4>,
    stride: [usize; 2],
    padding: [usize; 2],
) -> Tensor<4> {
    if !takes(&[key(&x), key(&output_grad)]) {
        let options = ConvOptions::new(stride, padding, [1, 1], 1);
        return burn::tensor::module::conv2d_weight_backward(x, weight, output_grad, options);
    }
    let [_, _, kh, kw] = weight.dims();
    let setting = ConvSetting { stride, padding };
    Tensor::from_dispatch(<Dispatch as FastConvOps>::fc_conv2d_weight_grad(
        x.into_dispatch(),
        output_grad.into_dispatch(),
        [kh, kw],
        setting,
    ))
}

/// Whether the fused batch-norm kernels take `x` and `gamma` (flex, f32, enabled on this
/// thread by [`set_enabled`] and [`set_norm_pool_enabled`], `x` of rank 2 or more).
pub fn norm_act_takes<const D: usize>(x: &Tensor<D>, gamma: &Tensor<1>) -> bool {
    D >= 2 && NORM_POOL_ENABLED.with(Cell::get) && takes(&[key(x), key(gamma)])
}

/// Per-channel batch mean and biased variance of `x [n, c, ...]`, as `[2, c]` (no gradient).
/// Only where [`norm_act_takes`].
pub fn channel_stats<const D: usize>(x: Tensor<D>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as FastNormOps>::fn_channel_stats(
        x.into_dispatch(),
    ))
}

/// `act(gamma * (x - mean) / sqrt(var + eps) + beta)` for `x [n, c, ...]`, `stats [2, c]`
/// (mean, then variance). Differentiable in `x`, `gamma` and `beta` through the batch
/// statistics: `stats` must be [`channel_stats`] of this `x` when gradients are wanted.
/// Only where [`norm_act_takes`].
pub fn batch_norm_act<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    stats: Tensor<2>,
    epsilon: f64,
    activation: NormActivation,
) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as FastNormOps>::fn_batch_norm_act(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        stats.into_dispatch(),
        epsilon,
        activation,
    ))
}

/// Per sample and group mean and biased variance of `x [n, c, ...]`, `[2, n * groups]`
/// (no gradient). Only where [`norm_act_takes`].
pub fn group_stats<const D: usize>(x: Tensor<D>, groups: usize) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as FastNormOps>::fn_group_stats(
        x.into_dispatch(),
        groups,
    ))
}

/// `act(gamma_c * (x - mean_g) / sqrt(var_g + eps) + beta_c)` for `x [n, c, ...]`, with
/// `stats` from [`group_stats`] of this `x` (the backward differentiates through them).
/// Only where [`norm_act_takes`].
pub fn group_norm_act<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    stats: Tensor<2>,
    groups: usize,
    epsilon: f64,
    activation: NormActivation,
) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as FastNormOps>::fn_group_norm_act(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        stats.into_dispatch(),
        groups,
        epsilon,
        activation,
    ))
}

/// Whether our max-pooling kernel takes `x [n, c, h, w]` with a `kernel` window every
/// `stride` (no padding): flex, f32, enabled, the window fits.
pub fn max_pool2d_takes(x: &Tensor<4>, kernel: [usize; 2], stride: [usize; 2]) -> bool {
    let [_, _, h, w] = x.dims();
    let fits = h >= kernel[0] && w >= kernel[1] && stride[0] > 0 && stride[1] > 0;
    fits && NORM_POOL_ENABLED.with(Cell::get) && takes(&[key(x)])
}

/// Max pooling of `x [n, c, h, w]` with a `kernel` window every `stride`, no padding, through
/// our kernels. Only where [`max_pool2d_takes`].
pub fn max_pool2d(x: Tensor<4>, kernel: [usize; 2], stride: [usize; 2]) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as FastPoolOps>::fp_max_pool2d(
        x.into_dispatch(),
        kernel,
        stride,
    ))
}

/// Whether [`adam_step`] can take a parameter and its gradient: Flex, f32, kernels on.
pub fn adam_step_takes<const D: usize>(param: &Tensor<D>, grad: &Tensor<D>) -> bool {
    takes(&[key(param), key(grad)])
}

/// One Adam step in one pass ([`adam`]): the new (parameter, first moment, second moment).
/// Only where [`adam_step_takes`].
pub fn adam_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    moment_1: Tensor<D>,
    moment_2: Tensor<D>,
    step: &adam::AdamStep,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    let packed = [
        step.beta_1,
        step.beta_2,
        step.combined_factor,
        step.epsilon_term,
        step.lr,
    ];
    let (p, m1, m2) = <Dispatch as FastAdamOps>::fa_adam_step(
        param.into_dispatch(),
        grad.into_dispatch(),
        moment_1.into_dispatch(),
        moment_2.into_dispatch(),
        packed,
    );
    (
        Tensor::from_dispatch(p),
        Tensor::from_dispatch(m1),
        Tensor::from_dispatch(m2),
    )
}

/// Whether [`tanh`] can take `x`: Flex, f32, kernels on.
pub fn tanh_takes<const D: usize>(x: &Tensor<D>) -> bool {
    takes(&[key(x)])
}

/// `tanh(x)` through our vectorised kernel, with a one-pass backward from the output. Only
/// where [`tanh_takes`].
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as FastActivationOps>::fa_tanh(x.into_dispatch()))
}
