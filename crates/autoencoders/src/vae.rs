//! The convolutional variational autoencoder and its four architecture variants.
//!
//! The encoder maps an image to the mean and log-variance of a Gaussian over the latent
//! `z`; a sample `z = mu + sigma * eps` (the reparameterisation trick, so gradients flow
//! through `mu` and `sigma`) is decoded to Bernoulli logits per pixel. The loss is the
//! negative evidence lower bound: reconstruction (binary cross-entropy, summed over pixels)
//! + beta * KL(q(z|x) || N(0, I)), in nats per image.
//!
//! The variants (the assignment's four): the encoder and/or the decoder is itself an
//! encoder-decoder. A nested encoder runs [`Down`] then an inner decoder [`Up`] back to full
//! resolution before the dense layers to `mu`/`log_var`; a nested decoder maps `z` to a
//! full-resolution map and runs an inner encoder [`Down`] before its upsampling [`Up`].

use crate::blocks::{Down, Up};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;

/// Which parts of the VAE are encoder-decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// (1) plain encoder, plain decoder.
    Standard,
    /// (2) the encoder holds a decoder after its downsampling.
    EncoderNested,
    /// (3) the decoder holds an encoder before its upsampling.
    DecoderNested,
    /// (4) both.
    BothNested,
}

impl Variant {
    /// The four, in the assignment's order.
    pub const ALL: [Variant; 4] = [
        Variant::Standard,
        Variant::EncoderNested,
        Variant::DecoderNested,
        Variant::BothNested,
    ];

    /// The prefix of this variant's figures in `summary.json`.
    pub fn key(self) -> &'static str {
        match self {
            Variant::Standard => "standard",
            Variant::EncoderNested => "encoder_nested",
            Variant::DecoderNested => "decoder_nested",
            Variant::BothNested => "both_nested",
        }
    }

    fn nested_encoder(self) -> bool {
        matches!(self, Variant::EncoderNested | Variant::BothNested)
    }

    fn nested_decoder(self) -> bool {
        matches!(self, Variant::DecoderNested | Variant::BothNested)
    }
}

/// Shape of a VAE.
#[derive(Config, Debug)]
pub struct VaeConfig {
    pub channels: usize,
    /// Image side, divisible by 4.
    pub side: usize,
    pub latent: usize,
    #[config(default = 32)]
    pub width: usize,
    #[config(default = "Variant::Standard")]
    pub variant: Variant,
}

/// `x -> features`: [`Down`], optionally followed by an inner [`Up`] back to full size.
#[derive(Module, Debug)]
pub struct Encoder {
    pub down: Down,
    pub inner_up: Option<Up>,
    pub mu: Linear,
    pub log_var: Linear,
}

/// `z -> logits`: a dense layer to a map, optionally an inner [`Down`], then [`Up`].
#[derive(Module, Debug)]
pub struct Decoder {
    pub dense: Linear,
    pub inner_down: Option<Down>,
    pub up: Up,
    /// Shape of the map the dense layer produces: `[channels, side, side]`.
    pub map: [usize; 3],
}

/// The whole VAE; built by [`VaeConfig::init`].
#[derive(Module, Debug)]
pub struct Vae {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

impl VaeConfig {
    /// A freshly initialised VAE of this shape and variant on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        let (w, q) = (self.width, self.side / 4);
        let features = if self.variant.nested_encoder() {
            w * self.side * self.side
        } else {
            2 * w * q * q
        };
        let encoder = Encoder {
            down: Down::new(self.channels, w, 2 * w, device),
            inner_up: self
                .variant
                .nested_encoder()
                .then(|| Up::new(2 * w, w, w, device)),
            mu: LinearConfig::new(features, self.latent).init(device),
            log_var: LinearConfig::new(features, self.latent).init(device),
        };
        let map = if self.variant.nested_decoder() {
            [w, self.side, self.side]
        } else {
            [2 * w, q, q]
        };
        let decoder = Decoder {
            dense: LinearConfig::new(self.latent, map.iter().product()).init(device),
            inner_down: self
                .variant
                .nested_decoder()
                .then(|| Down::new(w, w, 2 * w, device)),
            up: Up::new(2 * w, w, self.channels, device),
            map,
        };
        Vae { encoder, decoder }
    }
}

impl Encoder {
    /// `[batch, channels, side, side]` -> (`mu`, `log_var`), each `[batch, latent]`.
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let mut x = self.down.forward(images);
        if let Some(up) = &self.inner_up {
            x = relu(up.forward(x));
        }
        let flat = x.flatten::<2>(1, 3);
        (self.mu.forward(flat.clone()), self.log_var.forward(flat))
    }
}

impl Decoder {
    /// `[batch, latent]` -> logits `[batch, channels, side, side]`.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let [c, h, w] = self.map;
        let mut x = relu(self.dense.forward(z)).reshape([batch, c, h, w]);
        if let Some(down) = &self.inner_down {
            x = down.forward(x);
        }
        self.up.forward(x)
    }
}

/// What one pass of the VAE gives.
pub struct VaeOutput {
    /// Bernoulli logits per pixel, `[batch, channels, side, side]`.
    pub logits: Tensor<4>,
    /// The encoder's Gaussian, each `[batch, latent]`.
    pub mu: Tensor<2>,
    pub log_var: Tensor<2>,
}

impl Vae {
    /// Encodes, samples `z` with the reparameterisation trick, decodes.
    /// - input: `[batch, channels, side, side]` in [0, 1]
    /// - output: logits `[batch, channels, side, side]`, `mu` and `log_var` `[batch, latent]`
    pub fn forward(&self, images: Tensor<4>) -> VaeOutput {
        let (mu, log_var) = self.encoder.forward(images);
        let z = reparameterize(mu.clone(), log_var.clone());
        VaeOutput {
            logits: self.decoder.forward(z),
            mu,
            log_var,
        }
    }

    /// Images decoded from `z` (probabilities in (0, 1)):
    /// `[batch, latent] -> [batch, channels, side, side]`.
    pub fn generate(&self, z: Tensor<2>) -> Tensor<4> {
        burn::tensor::activation::sigmoid(self.decoder.forward(z))
    }

    /// The mean reconstruction `decode(mu)`, no sampling:
    /// `[batch, channels, side, side] -> [batch, channels, side, side]`.
    pub fn reconstruct(&self, images: Tensor<4>) -> Tensor<4> {
        let (mu, _) = self.encoder.forward(images);
        self.generate(mu)
    }
}

/// `z = mu + exp(log_var / 2) * eps`, `eps ~ N(0, I)` drawn on the tensors' device.
pub fn reparameterize(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<2> {
    let eps = Tensor::<2>::random(mu.dims(), Distribution::Normal(0.0, 1.0), &mu.device());
    mu + (log_var * 0.5).exp() * eps
}

/// KL(N(mu, sigma^2) || N(0, 1)) summed over the latent dimensions, per image:
/// `-1/2 * sum(1 + log_var - mu^2 - exp(log_var))`, in nats.
pub fn kl_divergence(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<1> {
    let terms = log_var.clone().add_scalar(1.0) - mu.powi_scalar(2) - log_var.exp();
    terms.sum_dim(1).flatten::<1>(0, 1) * (-0.5)
}

/// A bound in nats per image as bits per dimension (per pixel value): `nats / (pixels ln 2)`.
pub fn bits_per_dim(nats: f64, pixels: usize) -> f64 {
    nats / (pixels as f64 * std::f64::consts::LN_2)
}

/// Bernoulli negative log-likelihood of `target` in [0, 1] under `logits`, summed over the
/// pixels of each image (nats): `softplus(l) - x l`, written stably as
/// `max(l, 0) - x l + log(1 + exp(-|l|))`.
pub fn bernoulli_nll(logits: Tensor<4>, target: Tensor<4>) -> Tensor<1> {
    let per_pixel =
        relu(logits.clone()) - target * logits.clone() + logits.abs().neg().exp().log1p();
    per_pixel.flatten::<2>(1, 3).sum_dim(1).flatten::<1>(0, 1)
}
