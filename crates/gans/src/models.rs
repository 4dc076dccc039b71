//! Generators (noise -> image in [-1, 1]) and discriminators (image -> one logit: real or
//! fake?). The fully connected pair is the assignment's; the convolutional pair is DCGAN
//! (Radford et al. 2015): transposed convolutions with batch norm up, strided convolutions
//! with LeakyReLU down, no pooling; with the options of [`DcganOptions`]: DCGAN's
//! initialisation, a checkerboard-free upsampling, spectral norm in D.

use crate::spectral_norm::spectrally_normalised;
use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::models::tanh;
use nn_core::models::{
    NormActivation, batch_norm_act, conv_forward, conv_forward_with_weight, conv_transpose_forward,
    leaky_relu,
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

/// How the DCGAN pair departs from burn's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DcganOptions {
    /// How G doubles its maps.
    pub upsampling: Upsampling,
    /// DCGAN's initialisation: (transposed) convolutions and dense layers N(0, 0.02),
    /// batch-norm scales N(1, 0.02), biases and shifts 0 (burn's default gives G's last
    /// layer about four times that spread, which prints a fixed pattern at the start).
    pub dcgan_init: bool,
    /// D's weights spectrally normalised (`crate::spectral_norm`) and its batch norms
    /// left out, as in SNGAN (Miyato et al. 2018).
    pub spectral_norm: bool,
}

/// How G doubles the side of its maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upsampling {
    /// A 4x4 transposed convolution at stride 2 (DCGAN's): its overlapping kernels print a
    /// checkerboard unless training evens them out (Odena et al. 2016).
    #[default]
    Transposed,
    /// Nearest-neighbour doubling, then a 3x3 convolution: no uneven overlap, no
    /// checkerboard.
    Nearest,
}

/// One doubling of G's maps, either way of [`Upsampling`].
#[derive(Module, Debug)]
pub enum Up {
    /// A 4x4 transposed convolution, stride 2, padding 1.
    Transposed(ConvTranspose2d),
    /// Nearest doubling, then this 3x3 convolution (padding 1).
    Nearest(Conv2d),
}

impl Up {
    /// A doubling from `input` to `output` channels.
    fn new(kind: Upsampling, input: usize, output: usize, device: &Device) -> Self {
        match kind {
            Upsampling::Transposed => Self::Transposed(
                ConvTranspose2dConfig::new([input, output], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_bias(false)
                    .init(device),
            ),
            Upsampling::Nearest => Self::Nearest(
                Conv2dConfig::new([input, output], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_bias(false)
                    .init(device),
            ),
        }
    }

    /// `[b, c, s, s]` -> `[b, o, 2s, 2s]`.
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Transposed(conv) => conv_transpose_forward(conv, x),
            Self::Nearest(conv) => conv_forward(conv, nearest_doubled(x)),
        }
    }

    /// The same layer with DCGAN's initialisation.
    fn dcgan_init(self) -> Self {
        match self {
            Self::Transposed(mut conv) => {
                conv.weight = normal(conv.weight, 0.0);
                Self::Transposed(conv)
            }
            Self::Nearest(mut conv) => {
                conv.weight = normal(conv.weight, 0.0);
                Self::Nearest(conv)
            }
        }
    }
}

/// Each pixel repeated in a 2x2 block: `[b, c, h, w]` -> `[b, c, 2h, 2w]`.
pub fn nearest_doubled(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1])
        .expand([b, c, h, 2, w, 2])
        .reshape([b, c, 2 * h, 2 * w])
}

/// The parameter redrawn from N(`mean`, 0.02), DCGAN's spread (still trained).
fn normal<const D: usize>(param: Param<Tensor<D>>, mean: f64) -> Param<Tensor<D>> {
    param.map(|w| {
        let tracked = w.is_require_grad();
        Tensor::random(w.shape(), Distribution::Normal(mean, 0.02), &w.device())
            .set_require_grad(tracked)
    })
}

/// The parameter set to zeros (still trained).
fn zeros<const D: usize>(param: Param<Tensor<D>>) -> Param<Tensor<D>> {
    param.map(|w| {
        let tracked = w.is_require_grad();
        w.zeros_like().detach().set_require_grad(tracked)
    })
}

/// The dense layer with DCGAN's initialisation (weight N(0, 0.02), bias 0).
fn dcgan_linear(mut linear: Linear) -> Linear {
    linear.weight = normal(linear.weight, 0.0);
    linear.bias = linear.bias.map(zeros);
    linear
}

/// The batch norm with DCGAN's initialisation (scale N(1, 0.02), shift 0).
fn dcgan_batch_norm(mut bn: BatchNorm) -> BatchNorm {
    bn.gamma = normal(bn.gamma, 1.0);
    bn.beta = zeros(bn.beta);
    bn
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

/// DCGAN generator: `z -> 4x4 map (dense + BN + ReLU) -> (up + BN + ReLU)... -> up
/// -> tanh`, channels halving as the side doubles.
#[derive(Module, Debug)]
pub struct DcGenerator {
    /// The dense layer from z to the 4x4 map.
    pub project: Linear,
    /// The batch norm of the 4x4 map.
    pub project_bn: BatchNorm,
    /// The doublings but the last.
    pub ups: Vec<Up>,
    /// The batch norm after each of `ups`.
    pub bns: Vec<BatchNorm>,
    /// The last doubling, to the image's channels.
    pub last: Up,
    /// Channels of the 4x4 map.
    pub base: usize,
}

impl DcGenerator {
    /// `width`: channels just before the image (doubling towards the 4x4 map); burn's
    /// initialisation and transposed convolutions.
    pub fn new(latent: usize, width: usize, channels: usize, side: usize, device: &Device) -> Self {
        Self::with_options(
            latent,
            width,
            [channels, side],
            &DcganOptions::default(),
            device,
        )
    }

    /// As [`DcGenerator::new`], with `options` (`[channels, side]` of the images).
    pub fn with_options(
        latent: usize,
        width: usize,
        [channels, side]: [usize; 2],
        options: &DcganOptions,
        device: &Device,
    ) -> Self {
        let steps = doublings(side);
        let base = width << (steps - 1);
        let (mut ups, mut bns) = (Vec::new(), Vec::new());
        let mut c = base;
        for _ in 0..steps - 1 {
            ups.push(Up::new(options.upsampling, c, c / 2, device));
            bns.push(BatchNormConfig::new(c / 2).init(device));
            c /= 2;
        }
        let g = Self {
            project: LinearConfig::new(latent, base * 16).init(device),
            project_bn: BatchNormConfig::new(base).init(device),
            ups,
            bns,
            last: Up::new(options.upsampling, c, channels, device),
            base,
        };
        if options.dcgan_init {
            g.dcgan_init()
        } else {
            g
        }
    }

    /// Every layer redrawn with DCGAN's initialisation.
    fn dcgan_init(self) -> Self {
        Self {
            project: dcgan_linear(self.project),
            project_bn: dcgan_batch_norm(self.project_bn),
            ups: self.ups.into_iter().map(Up::dcgan_init).collect(),
            bns: self.bns.into_iter().map(dcgan_batch_norm).collect(),
            last: self.last.dcgan_init(),
            base: self.base,
        }
    }
}

impl Generator for DcGenerator {
    fn generate(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let x = self.project.forward(z).reshape([batch, self.base, 4, 4]);
        let mut x = batch_norm_act(&self.project_bn, x, NormActivation::Relu);
        for (up, bn) in self.ups.iter().zip(&self.bns) {
            x = batch_norm_act(bn, up.forward(x), NormActivation::Relu);
        }
        tanh(self.last.forward(x))
    }
}

/// DCGAN discriminator: `(conv, LeakyReLU)`, then `(conv + BN + LeakyReLU)...` down to
/// 4x4, then a dense layer to one logit; with spectral norm, every weight normalised and
/// no batch norm.
#[derive(Module, Debug)]
pub struct DcDiscriminator {
    /// The first halving, from the image's channels to `width` (no batch norm).
    pub first: Conv2d,
    /// The further halvings down to 4x4.
    pub downs: Vec<Conv2d>,
    /// The batch norm after each of `downs` (none with spectral norm).
    pub bns: Vec<BatchNorm>,
    /// The dense layer from the 4x4 map to one logit.
    pub out: Linear,
    /// Whether every weight is divided by its largest singular value.
    pub spectral_norm: bool,
}

impl DcDiscriminator {
    /// `width`: channels after the first halving (doubling towards the 4x4 map); burn's
    /// initialisation, batch norm.
    pub fn new(width: usize, channels: usize, side: usize, device: &Device) -> Self {
        Self::with_options(width, [channels, side], &DcganOptions::default(), device)
    }

    /// As [`DcDiscriminator::new`], with `options` (`[channels, side]` of the images).
    pub fn with_options(
        width: usize,
        [channels, side]: [usize; 2],
        options: &DcganOptions,
        device: &Device,
    ) -> Self {
        let steps = doublings(side);
        let (mut downs, mut bns) = (Vec::new(), Vec::new());
        let mut c = width;
        for _ in 0..steps - 1 {
            downs.push(down(c, 2 * c, device));
            if !options.spectral_norm {
                bns.push(BatchNormConfig::new(2 * c).init(device));
            }
            c *= 2;
        }
        let d = Self {
            first: down(channels, width, device),
            downs,
            bns,
            out: LinearConfig::new(c * 16, 1).init(device),
            spectral_norm: options.spectral_norm,
        };
        if options.dcgan_init {
            d.dcgan_init()
        } else {
            d
        }
    }

    /// Every layer redrawn with DCGAN's initialisation.
    fn dcgan_init(mut self) -> Self {
        self.first.weight = normal(self.first.weight, 0.0);
        self.downs = self
            .downs
            .into_iter()
            .map(|mut conv| {
                conv.weight = normal(conv.weight, 0.0);
                conv
            })
            .collect();
        self.bns = self.bns.into_iter().map(dcgan_batch_norm).collect();
        self.out = dcgan_linear(self.out);
        self
    }

    /// `conv` on `x`, with its weight spectrally normalised when D is.
    fn convolve(&self, conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
        if self.spectral_norm {
            conv_forward_with_weight(conv, spectrally_normalised(conv.weight.val()), x)
        } else {
            conv_forward(conv, x)
        }
    }
}

impl Discriminator for DcDiscriminator {
    fn logits(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = leaky_relu(self.convolve(&self.first, images), SLOPE);
        for (i, down) in self.downs.iter().enumerate() {
            let y = self.convolve(down, x);
            x = match self.bns.get(i) {
                Some(bn) => batch_norm_act(bn, y, NormActivation::LeakyRelu(SLOPE as f32)),
                None => leaky_relu(y, SLOPE),
            };
        }
        let x = x.flatten::<2>(1, 3);
        if self.spectral_norm {
            let weight = spectrally_normalised(self.out.weight.val());
            let y = x.matmul(weight);
            match &self.out.bias {
                Some(bias) => y + bias.val().unsqueeze::<2>(),
                None => y,
            }
        } else {
            self.out.forward(x)
        }
    }
}
