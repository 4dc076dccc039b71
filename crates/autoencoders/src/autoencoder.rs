//! The deterministic autoencoder of the vanilla, denoising and sparse experiments:
//! image -> [`Down`] -> dense -> code -> dense -> [`Up`] -> image logits.

use crate::blocks::{Down, Up};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};

/// Shape of a convolutional autoencoder.
#[derive(Config, Debug)]
pub struct AutoencoderConfig {
    /// Image channels (1 or 3) and side (divisible by 4).
    pub channels: usize,
    pub side: usize,
    /// Size of the code (the bottleneck).
    pub code: usize,
    /// Channels after the first convolution (twice that after the second).
    #[config(default = 32)]
    pub width: usize,
    /// Squash the code into (0, 1) with a sigmoid (the sparse autoencoder's units "fire").
    #[config(default = false)]
    pub sigmoid_code: bool,
}

/// Image -> code -> image; built by [`AutoencoderConfig::init`].
#[derive(Module, Debug)]
pub struct Autoencoder {
    /// Encoder: convolutions down to a quarter of the side, then a dense layer to the code.
    pub down: Down,
    pub to_code: Linear,
    /// Decoder: a dense layer back to the quarter-size map, then transposed convolutions.
    pub from_code: Linear,
    pub up: Up,
    /// Whether the code goes through a sigmoid (see [`AutoencoderConfig::sigmoid_code`]).
    pub sigmoid_code: bool,
    /// Image channels, the side of the quarter-size map, and the first convolution's width.
    pub channels: usize,
    pub quarter: usize,
    pub width: usize,
}

impl AutoencoderConfig {
    /// A freshly initialised autoencoder of this shape on `device`.
    pub fn init(&self, device: &Device) -> Autoencoder {
        let quarter = self.side / 4;
        let flat = 2 * self.width * quarter * quarter;
        Autoencoder {
            down: Down::new(self.channels, self.width, 2 * self.width, device),
            to_code: LinearConfig::new(flat, self.code).init(device),
            from_code: LinearConfig::new(self.code, flat).init(device),
            up: Up::new(2 * self.width, self.width, self.channels, device),
            sigmoid_code: self.sigmoid_code,
            channels: self.channels,
            quarter,
            width: self.width,
        }
    }
}

impl Autoencoder {
    /// `[b, c, s, s]` in [0, 1] -> `[b, code]`.
    pub fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        let code = self
            .to_code
            .forward(self.down.forward(images).flatten::<2>(1, 3));
        if self.sigmoid_code {
            sigmoid(code)
        } else {
            code
        }
    }

    /// `[b, code]` -> `[b, c, s, s]` in (0, 1).
    pub fn decode(&self, code: Tensor<2>) -> Tensor<4> {
        let [batch, _] = code.dims();
        let map = relu(self.from_code.forward(code)).reshape([
            batch,
            2 * self.width,
            self.quarter,
            self.quarter,
        ]);
        sigmoid(self.up.forward(map))
    }

    /// Encode then decode: the code and the reconstruction.
    /// - input: `[batch, channels, side, side]` in [0, 1]
    /// - output: (`[batch, code]`, `[batch, channels, side, side]` in (0, 1))
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<4>) {
        let code = self.encode(images);
        let out = self.decode(code.clone());
        (code, out)
    }
}
