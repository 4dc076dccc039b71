//! The famous architectures, as torchvision defines them (so ImageNet weights can be
//! imported): VGG, ResNet with basic blocks, and GoogLeNet's Inception; and the CIFAR
//! ResNets and plain networks of He et al. that show what skip connections change.

pub mod cifar_resnet;
pub mod inception;
pub mod resnet;
pub mod vgg;

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

/// A `k` x `k` convolution with symmetric padding `padding`, initialised as torchvision
/// does (Kaiming normal over fan-out for ReLU, zero bias), so a deep plain VGG still trains.
pub(crate) fn conv(
    input: usize,
    output: usize,
    k: usize,
    stride: usize,
    padding: usize,
    bias: bool,
    device: &Device,
) -> Conv2d {
    let mut conv = Conv2dConfig::new([input, output], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_bias(bias)
        .with_initializer(Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: true,
        })
        .init(device);
    conv.bias = zero_bias(conv.bias.take(), device);
    conv
}

/// A fresh zero bias of the same length (torchvision zeroes every bias at init).
fn zero_bias(bias: Option<Param<Tensor<1>>>, device: &Device) -> Option<Param<Tensor<1>>> {
    bias.map(|b| Param::from_tensor(Tensor::zeros(b.dims(), device)))
}

/// A dense layer with Kaiming-normal weights over fan-in and zero bias. (torchvision draws
/// VGG's from N(0, 0.01), which suits 4,096 units; at a few hundred units it shrinks the
/// signal so much that a narrow VGG-19 does not start learning.)
pub(crate) fn linear(input: usize, output: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(input, output)
        .with_initializer(Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: false,
        })
        .init(device);
    layer.bias = zero_bias(layer.bias.take(), device);
    layer
}

/// Convolution (no bias), batch norm, ReLU: the unit ResNet and GoogLeNet are built from.
#[derive(Module, Debug)]
pub struct ConvBnRelu {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

impl ConvBnRelu {
    /// A `k` x `k` convolution from `input` to `output` channels (stride, symmetric
    /// padding) and its batch norm (`epsilon`: 1e-5 in ResNet, 1e-3 in GoogLeNet).
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

    /// `[batch, input, h, w]` -> `[batch, output, h', w']`, `h' = (h + 2 padding - k) /
    /// stride + 1`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        nn_core::models::batch_norm_act(
            &self.bn,
            nn_core::models::conv_forward(&self.conv, x),
            nn_core::models::NormActivation::Relu,
        )
    }
}
