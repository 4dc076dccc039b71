//! The one way every convolution of the course runs: [`conv_forward`] for a `Conv2d`,
//! [`conv_transpose_forward`] for a `ConvTranspose2d`. On the CPU (`flex`) both go through
//! our own kernels ([`crate`]: im2col + gemm forward, one-gemm weight gradient);
//! on other backends through burn's ops, with small-map 3x3 layers as im2col + one product.
//!
//! The small-map path, for backends other than flex: burn-flex runs a convolution on a 4x4 or 2x2 map as per-image products only 4-16
//! columns wide, far below the machine's speed (VGG-19's last stages: 92 and 84 ms per
//! step at batch 32 against PyTorch's 39 and 14; `bench/NOTES.md`). Gathering the nine
//! shifted copies of the map (im2col, from burn's own slice and stack ops, so autodiff
//! derives the backward pass) turns the layer into one product over batch x positions,
//! which gemm runs at full speed. On larger maps the copies cost more than they save, so
//! [`conv_forward`] keeps burn's convolution there. GPU backends take the same path on
//! small maps; it was not measured there (no GPU was lent).

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;
use burn::tensor::ops::PadMode;

/// Maps of at most this many positions (4x4) take the im2col path.
pub const SMALL_MAP: usize = 16;

/// `conv.forward(x)` (`[n, c, h, w]` -> `[n, o, h', w']`): through our kernels when they
/// take the layer (flex, f32, dilation 1, groups 1, symmetric padding); otherwise through
/// [`im2col_conv3x3`] when the layer is a plain 3x3 "same" convolution (stride 1, padding
/// 1) on a map of at most [`SMALL_MAP`] positions, else burn's own.
pub fn conv_forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    match symmetric_padding(conv) {
        Some(padding) => conv_forward_with(conv, conv.weight.val(), padding, x),
        None => conv.forward(x),
    }
}

/// `conv`'s padding as `[vertical, horizontal]` when it is the same on both sides.
fn symmetric_padding(conv: &Conv2d) -> Option<[usize; 2]> {
    let [kh, kw] = conv.kernel_size;
    match conv.padding {
        PaddingConfig2d::Valid => Some([0, 0]),
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some([top, left])
        }
        // burn's `Same` is symmetric for odd kernels at stride 1.
        PaddingConfig2d::Same if conv.stride == [1, 1] && kh % 2 == 1 && kw % 2 == 1 => {
            Some([(kh - 1) / 2, (kw - 1) / 2])
        }
        _ => None,
    }
}

/// `conv`'s layer (stride, dilation, groups, bias) with another `weight` `[o, c, kh, kw]`,
/// routed as [`conv_forward`] routes it: for a weight computed from the layer's own, such
/// as a spectrally normalised one, whose gradient flows back through that computation.
/// Asymmetric padding is applied to `x` first.
pub fn conv_forward_with_weight(conv: &Conv2d, weight: Tensor<4>, x: Tensor<4>) -> Tensor<4> {
    match (symmetric_padding(conv), conv.padding.clone()) {
        (Some(padding), _) => conv_forward_with(conv, weight, padding, x),
        (None, PaddingConfig2d::Explicit(top, left, bottom, right)) => {
            let padded = x.pad((left, right, top, bottom), PadMode::Constant(0.0));
            conv_forward_with(conv, weight, [0, 0], padded)
        }
        (None, _) => {
            // `Same` at a stride above 1 or with an even kernel: burn's own rule.
            let [kh, kw] = conv.kernel_size;
            conv_forward_with(conv, weight, [(kh - 1) / 2, (kw - 1) / 2], x)
        }
    }
}

/// The routing of [`conv_forward`] for a symmetric `padding` and a given `weight`.
fn conv_forward_with(
    conv: &Conv2d,
    weight: Tensor<4>,
    padding: [usize; 2],
    x: Tensor<4>,
) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let bias = conv.bias.as_ref().map(|b| b.val());
    let plain = conv.dilation == [1, 1] && conv.groups == 1;
    if plain && crate::is_flex_device(&x.device()) {
        crate::conv2d(x, weight, bias, conv.stride, padding)
    } else if plain
        && padding == [1, 1]
        && conv.kernel_size == [3, 3]
        && conv.stride == [1, 1]
        && h * w <= SMALL_MAP
    {
        im2col_conv3x3(x, weight, bias)
    } else {
        let options =
            burn::tensor::ops::ConvOptions::new(conv.stride, padding, conv.dilation, conv.groups);
        burn::tensor::module::conv2d(x, weight, bias, options)
    }
}

/// `deconv.forward(x)` (`[n, c, h, w]` -> `[n, o, H, W]`): through our kernels when they
/// take the layer (flex, f32, dilation 1, groups 1), else burn's own.
pub fn conv_transpose_forward(deconv: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    if deconv.dilation == [1, 1] && deconv.groups == 1 {
        crate::conv_transpose2d(
            x,
            deconv.weight.val(),
            deconv.bias.as_ref().map(|b| b.val()),
            deconv.stride,
            deconv.padding,
            deconv.padding_out,
        )
    } else {
        deconv.forward(x)
    }
}

/// A 3x3, stride 1, padding 1 convolution of `x` `[n, c, h, w]` with `weight`
/// `[o, c, 3, 3]`: the nine shifted maps stacked to `[n*h*w, c*9]`, times the weight as
/// `[c*9, o]`.
pub fn im2col_conv3x3(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let o = weight.dims()[0];
    let padded = x.pad((1, 1, 1, 1), PadMode::Constant(0.0));
    let shifted: Vec<Tensor<4>> = (0..3)
        .flat_map(|dy| (0..3).map(move |dx| (dy, dx)))
        .map(|(dy, dx)| padded.clone().slice([0..n, 0..c, dy..dy + h, dx..dx + w]))
        .collect();
    // [n, c, 9, h, w] -> [n, c*9, h*w]: the order of the weight's [c, 3, 3] flattening.
    let columns = Tensor::stack::<5>(shifted, 2)
        .reshape([n, c * 9, h * w])
        .swap_dims(1, 2)
        .reshape([n * h * w, c * 9]);
    let mut y = columns.matmul(weight.reshape([o, c * 9]).transpose());
    if let Some(bias) = bias {
        y = y + bias.unsqueeze::<2>();
    }
    y.reshape([n, h, w, o]).permute([0, 3, 1, 2])
}
