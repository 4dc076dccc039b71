//! Generators (noise -> image in [-1, 1]) and discriminators (image -> one logit: real or
//! fake?). The fully connected pair is the assignment's; the convolutional pair is DCGAN
//! (Radford et al. 2015): transposed convolutions with batch norm up, strided convolutions
//! with LeakyReLU down, no pooling.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use nn_core::models::tanh;
use nn_core::models::{
    NormActivation, batch_norm_act, conv_forward, conv_transpose_forward, leaky_relu,
};

/// Noise `[b, latent]` -> images `[b, c, s, s]` in [-1, 1].
pub trait Generator: Module + Clone {
    /// The images the noise vectors `z` decode to (tanh output, in [-1, 1]).
    /// - z: `[batch, latent]`
    /// - output: `[batch, channels, side, side]`
    fn generate(&self, z: Tensor<2>) -> Tensor<4>;
}

/// Images `[b, c, s, s]` -> logits `[b, 1]` (positive: "real").
pub trait Discriminator: Module + Clone {
    /// One logit per image: how real D finds it (sigmoid gives the probability).
    /// - images: `[batch, channels, side, side]`, in [-1, 1]
    /// - output: `[batch, 1]`
    fn logits(&self, images: Tensor<4>) -> Tensor<2>;
}

/// The negative slope of every LeakyReLU (DCGAN's choice).
const SLOPE: f64 = 0.2;

/// Fully connected generator: `latent -> hidden... -> c*s*s`, LeakyReLU, tanh output.
#[derive(Module, Debug)]
pub struct MlpGenerator {
    /// The hidden layers, in order.
    pub hidden: Vec<Linear>,
    /// The layer to `c*s*s` pixels.
    pub out: Linear,
    /// The images' `[channels, height, width]`.
    pub shape: [usize; 3],
}

impl MlpGenerator {
    /// `latent` noise values through `hidden` layer sizes to images of `shape`.
    pub fn new(latent: usize, hidden: &[usize], shape: [usize; 3], device: &Device) -> Self {
        let mut layers = Vec::new();
        let mut input = latent;
        for &h in hidden {
            layers.push(LinearConfig::new(input, h).init(device));
            input = h;
        }
        Self {
            hidden: layers,
            out: LinearConfig::new(input, shape.iter().product()).init(device),
            shape,
        }
    }
}

impl Generator for MlpGenerator {
    fn generate(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let x = self
            .hidden
            .iter()
            .fold(z, |x, layer| leaky_relu(layer.forward(x), SLOPE));
        let [c, h, w] = self.shape;
        tanh(self.out.forward(x)).reshape([batch, c, h, w])
    }
}

/// Fully connected discriminator: `c*s*s -> hidden... -> 1`, LeakyReLU.
#[derive(Module, Debug)]
pub struct MlpDiscriminator {
    /// The hidden layers, in order.
    pub hidden: Vec<Linear>,
    /// The layer to the one logit.
    pub out: Linear,
}

impl MlpDiscriminator {
    /// Images of `shape` through `hidden` layer sizes to one logit.
    pub fn new(shape: [usize; 3], hidden: &[usize], device: &Device) -> Self {
        let mut layers = Vec::new();
        let mut input = shape.iter().product();
        for &h in hidden {
            layers.push(LinearConfig::new(input, h).init(device));
            input = h;
        }
        Self {
            hidden: layers,
            out: LinearConfig::new(input, 1).init(device),
        }
    }
}

impl Discriminator for MlpDiscriminator {
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self
            .hidden
            .iter()
            .fold(images.flatten::<2>(1, 3), |x, layer| {
                leaky_relu(layer.forward(x), SLOPE)
            });
        self.out.forward(x)
    }
}

/// A transposed convolution that doubles the side (4x4, stride 2, padding 1).
fn up(input: usize, output: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([input, output], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .with_bias(false)
        .init(device)
}

/// A convolution that halves the side (4x4, stride 2, padding 1).
fn down(input: usize, output: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([input, output], [4, 4])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(device)
}

/// How many doublings take a 4x4 map to `side` (side a power of two, at least 8).
pub fn doublings(side: usize) -> usize {
    (side / 4).max(1).trailing_zeros() as usize
}

/// DCGAN generator: `z -> 4x4 map (dense + BN + ReLU) -> (convT + BN + ReLU)... -> convT
/// -> tanh`, channels halving as the side doubles.
#[derive(Module, Debug)]
pub struct DcGenerator {
    /// The dense layer from z to the 4x4 map.
    pub project: Linear,
    /// The batch norm of the 4x4 map.
    pub project_bn: BatchNorm,
    /// The doubling transposed convolutions but the last.
    pub ups: Vec<ConvTranspose2d>,
    /// The batch norm after each of `ups`.
    pub bns: Vec<BatchNorm>,
    /// The last doubling, to the image's channels.
    pub last: ConvTranspose2d,
    /// Channels of the 4x4 map.
    pub base: usize,
}

impl DcGenerator {
    /// `width`: channels just before the image (doubling towards the 4x4 map).
    pub fn new(latent: usize, width: usize, channels: usize, side: usize, device: &Device) -> Self {
        let steps = doublings(side);
        let base = width << (steps - 1);
        let (mut ups, mut bns) = (Vec::new(), Vec::new());
        let mut c = base;
        for _ in 0..steps - 1 {
            ups.push(up(c, c / 2, device));
            bns.push(BatchNormConfig::new(c / 2).init(device));
            c /= 2;
        }
        Self {
            project: LinearConfig::new(latent, base * 16).init(device),
            project_bn: BatchNormConfig::new(base).init(device),
            ups,
            bns,
            last: up(c, channels, device),
            base,
        }
    }
}

impl Generator for DcGenerator {
    fn generate(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let x = self.project.forward(z).reshape([batch, self.base, 4, 4]);
        let mut x = batch_norm_act(&self.project_bn, x, NormActivation::Relu);
        for (up, bn) in self.ups.iter().zip(&self.bns) {
            x = batch_norm_act(bn, conv_transpose_forward(up, x), NormActivation::Relu);
        }
        tanh(conv_transpose_forward(&self.last, x))
    }
}

/// DCGAN discriminator: `(conv, LeakyReLU)`, then `(conv + BN + LeakyReLU)...` down to
/// 4x4, then a dense layer to one logit.
#[derive(Module, Debug)]
pub struct DcDiscriminator {
    /// The first halving, from the image's channels to `width` (no batch norm).
    pub first: Conv2d,
    /// The further halvings down to 4x4.
    pub downs: Vec<Conv2d>,
    /// The batch norm after each of `downs`.
    pub bns: Vec<BatchNorm>,
    /// The dense layer from the 4x4 map to one logit.
    pub out: Linear,
}

impl DcDiscriminator {
    /// `width`: channels after the first halving (doubling towards the 4x4 map).
    pub fn new(width: usize, channels: usize, side: usize, device: &Device) -> Self {
        let steps = doublings(side);
        let (mut downs, mut bns) = (Vec::new(), Vec::new());
        let mut c = width;
        for _ in 0..steps - 1 {
            downs.push(down(c, 2 * c, device));
            bns.push(BatchNormConfig::new(2 * c).init(device));
            c *= 2;
        }
        Self {
            first: down(channels, width, device),
            downs,
            bns,
            out: LinearConfig::new(c * 16, 1).init(device),
        }
    }
}

impl Discriminator for DcDiscriminator {
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = leaky_relu(conv_forward(&self.first, images), SLOPE);
        for (down, bn) in self.downs.iter().zip(&self.bns) {
            x = batch_norm_act(
                bn,
                conv_forward(down, x),
                NormActivation::LeakyRelu(SLOPE as f32),
            );
        }
        self.out.forward(x.flatten::<2>(1, 3))
    }
}
