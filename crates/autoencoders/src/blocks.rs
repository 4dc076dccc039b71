//! The two building blocks every model of the week is made of: [`Down`] (two stride-2
//! convolutions: the side shrinks by 4) and [`Up`] (two stride-2 transposed convolutions:
//! the side grows by 4). 28x28 grey and 32x32 colour images both divide by 4.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use nn_core::models::{conv_forward, conv_transpose_forward};

/// `[b, input, s, s]` -> `[b, output, s / 4, s / 4]`, ReLU after each convolution.
#[derive(Module, Debug)]
pub struct Down {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
}

impl Down {
    /// Two 3x3 stride-2 convolutions, `input -> middle -> output` channels.
    pub fn new(input: usize, middle: usize, output: usize, device: &Device) -> Self {
        let conv = |i, o| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            conv1: conv(input, middle),
            conv2: conv(middle, output),
        }
    }

    /// `[batch, input, s, s] -> [batch, output, s / 4, s / 4]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(conv_forward(
            &self.conv2,
            relu(conv_forward(&self.conv1, x)),
        ))
    }
}

/// `[b, input, s, s]` -> `[b, output, 4 s, 4 s]`: 4x4 kernels, stride 2, padding 1 (each
/// exactly doubles the side). ReLU between the two; the output is left linear (logits, or
/// the caller's activation).
#[derive(Module, Debug)]
pub struct Up {
    pub deconv1: ConvTranspose2d,
    pub deconv2: ConvTranspose2d,
}

impl Up {
    /// Two 4x4 stride-2 transposed convolutions, `input -> middle -> output` channels.
    pub fn new(input: usize, middle: usize, output: usize, device: &Device) -> Self {
        let deconv = |i, o| {
            ConvTranspose2dConfig::new([i, o], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(device)
        };
        Self {
            deconv1: deconv(input, middle),
            deconv2: deconv(middle, output),
        }
    }

    /// `[batch, input, s, s] -> [batch, output, 4 s, 4 s]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv_transpose_forward(
            &self.deconv2,
            relu(conv_transpose_forward(&self.deconv1, x)),
        )
    }
}
