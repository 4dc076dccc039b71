//! The U-Net's parts: the sinusoidal time embedding, a residual block that takes the
//! time (and class) embedding in, self-attention over the pixels of a small feature map,
//! and the resolution changes. Group norm throughout: it does not depend on the batch,
//! so one model serves batches of any size, and the sampler's single images.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{
    Dropout, DropoutConfig, GroupNorm, GroupNormConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d,
};
use burn::prelude::*;
use burn::tensor::activation::{silu, softmax};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use nn_core::models::{NormActivation, conv_forward, group_norm_act};

/// Transformer-style sinusoids of the step index: `[n, dim]`, half sines and half
/// cosines at frequencies 1 .. 1/10000 (Vaswani et al.; DDPM's time embedding).
pub fn timestep_embedding(steps: &[usize], dim: usize, device: &Device) -> Tensor<2> {
    let half = dim / 2;
    let mut values = Vec::with_capacity(steps.len() * dim);
    for &t in steps {
        let frequencies = (0..half).map(|i| (-(10_000f64.ln()) * i as f64 / half as f64).exp());
        let angles: Vec<f64> = frequencies.map(|f| t as f64 * f).collect();
        values.extend(angles.iter().map(|a| a.sin() as f32));
        values.extend(angles.iter().map(|a| a.cos() as f32));
        values.extend(std::iter::repeat_n(0.0, dim - 2 * half));
    }
    Tensor::from_data(TensorData::new(values, [steps.len(), dim]), device)
}

/// A 3x3 convolution that keeps the side.
pub fn conv3x3(input: usize, output: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([input, output], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

/// Group norm with `groups` groups, or fewer when the channels do not divide.
pub fn group_norm(groups: usize, channels: usize, device: &Device) -> GroupNorm {
    let groups = (1..=groups.min(channels))
        .rev()
        .find(|g| channels.is_multiple_of(*g))
        .unwrap_or(1);
    GroupNormConfig::new(groups, channels).init(device)
}

/// norm -> SiLU -> conv, + projected embedding, norm -> SiLU -> dropout -> conv, + skip.
/// The second convolution starts at zero, so each block starts as the identity (DDPM).
#[derive(Module, Debug)]
pub struct ResBlock {
    pub norm1: GroupNorm,
    pub conv1: Conv2d,
    pub embedding: Linear,
    pub norm2: GroupNorm,
    pub dropout: Dropout,
    pub conv2: Conv2d,
    /// A 1x1 convolution when the channel count changes.
    pub skip: Option<Conv2d>,
}

impl ResBlock {
    pub fn new(
        input: usize,
        output: usize,
        embedding: usize,
        groups: usize,
        dropout: f64,
        device: &Device,
    ) -> Self {
        Self {
            norm1: group_norm(groups, input, device),
            conv1: conv3x3(input, output, device),
            embedding: LinearConfig::new(embedding, output).init(device),
            norm2: group_norm(groups, output, device),
            dropout: DropoutConfig::new(dropout).init(),
            conv2: Conv2dConfig::new([output, output], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(Initializer::Zeros)
                .init(device),
            skip: (input != output)
                .then(|| Conv2dConfig::new([input, output], [1, 1]).init(device)),
        }
    }

    /// `x`: `[b, input, h, w]`, `emb`: `[b, embedding]` -> `[b, output, h, w]`.
    pub fn forward(&self, x: Tensor<4>, emb: Tensor<2>) -> Tensor<4> {
        let h = conv_forward(
            &self.conv1,
            group_norm_act(&self.norm1, x.clone(), NormActivation::Silu),
        );
        let [b, c, _, _] = h.dims();
        let h = h + self.embedding.forward(silu(emb)).reshape([b, c, 1, 1]);
        let h = conv_forward(
            &self.conv2,
            self.dropout
                .forward(group_norm_act(&self.norm2, h, NormActivation::Silu)),
        );
        let skip = match &self.skip {
            Some(conv) => conv_forward(conv, x),
            None => x,
        };
        h + skip
    }
}

/// Single-head self-attention over the `h * w` positions, with a residual connection:
/// lets distant parts of the image agree (used at the lowest resolution, where it is cheap).
#[derive(Module, Debug)]
pub struct SelfAttention {
    pub norm: GroupNorm,
    pub qkv: Linear,
    pub out: Linear,
}

impl SelfAttention {
    pub fn new(channels: usize, groups: usize, device: &Device) -> Self {
        Self {
            norm: group_norm(groups, channels, device),
            qkv: LinearConfig::new(channels, 3 * channels).init(device),
            out: LinearConfig::new(channels, channels)
                .with_initializer(Initializer::Zeros)
                .init(device),
        }
    }

    /// `[b, c, h, w]` -> `[b, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let tokens = group_norm_act(&self.norm, x.clone(), NormActivation::Identity)
            .reshape([b, c, h * w])
            .swap_dims(1, 2);
        let qkv = self.qkv.forward(tokens);
        let q = qkv.clone().slice([0..b, 0..h * w, 0..c]);
        let k = qkv.clone().slice([0..b, 0..h * w, c..2 * c]);
        let v = qkv.slice([0..b, 0..h * w, 2 * c..3 * c]);
        let weights = softmax(q.matmul(k.swap_dims(1, 2)) / (c as f64).sqrt(), 2);
        let mixed = self.out.forward(weights.matmul(v));
        x + mixed.swap_dims(1, 2).reshape([b, c, h, w])
    }
}

/// Halves the side with a stride-2 3x3 convolution.
#[derive(Module, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
}

impl Downsample {
    pub fn new(channels: usize, device: &Device) -> Self {
        Self {
            conv: Conv2dConfig::new([channels, channels], [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
        }
    }

    /// `[b, c, h, w]` -> `[b, c, ceil(h / 2), ceil(w / 2)]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv_forward(&self.conv, x)
    }
}

/// Doubles the side: nearest-neighbour upsampling, then a 3x3 convolution (no
/// checkerboard artefacts, unlike a transposed convolution).
#[derive(Module, Debug)]
pub struct Upsample {
    pub conv: Conv2d,
}

impl Upsample {
    pub fn new(channels: usize, device: &Device) -> Self {
        Self {
            conv: conv3x3(channels, channels, device),
        }
    }

    /// Upsamples to `[h, w]` (the size of the matching skip connection):
    /// `[b, c, h', w']` -> `[b, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>, size: [usize; 2]) -> Tensor<4> {
        let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size(size);
        conv_forward(&self.conv, interpolate(x, options))
    }
}
