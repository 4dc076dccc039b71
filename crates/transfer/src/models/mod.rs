//! The famous architectures, as torchvision defines them (so ImageNet weights can be
//! imported): VGG, ResNet with basic blocks, and GoogLeNet's Inception.

pub mod inception;
pub mod resnet;
pub mod vgg;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;

/// A `k` x `k` convolution with symmetric padding `padding`.
pub(crate) fn conv(
    input: usize,
    output: usize,
    k: usize,
    stride: usize,
    padding: usize,
    bias: bool,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new([input, output], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_bias(bias)
        .init(device)
}

/// Convolution (no bias), batch norm, ReLU: the unit ResNet and GoogLeNet are built from.
#[derive(Module, Debug)]
pub struct ConvBnRelu {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

impl ConvBnRelu {
    pub fn new(
        input: usize,
        output: usize,
        k: usize,
        stride: usize,
        padding: usize,
        epsilon: f64,
        device: &Device,
    ) -> Self {
        Self {
            conv: conv(input, output, k, stride, padding, false, device),
            bn: BatchNormConfig::new(output)
                .with_epsilon(epsilon)
                .init(device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        burn::tensor::activation::relu(self.bn.forward(self.conv.forward(x)))
    }
}
