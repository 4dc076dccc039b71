//! ResNet (He et al. 2015) with basic blocks: two 3x3 convolutions whose input is added to
//! their output (the skip connection), so very deep networks still train. ResNet-18 at 1000
//! classes has 11,689,512 parameters.

use super::{ConvBnRelu, conv};
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use nn_core::models::{NormActivation, batch_norm_act, conv_forward, max_pool_forward};
use nn_core::train::ImageClassifier;

/// `out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
#[derive(Module, Debug)]
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    /// 1x1 convolution + batch norm when the shape changes, else the identity.
    pub downsample: Option<(Conv2d, BatchNorm)>,
}

impl BasicBlock {
    /// A block from `input` to `output` channels; a projection shortcut when the stride or
    /// the channels change.
    pub fn new(input: usize, output: usize, stride: usize, device: &Device) -> Self {
        Self {
            conv1: conv(input, output, 3, stride, 1, false, device),
            bn1: BatchNormConfig::new(output).init(device),
            conv2: conv(output, output, 3, 1, 1, false, device),
            bn2: BatchNormConfig::new(output).init(device),
            downsample: (stride != 1 || input != output).then(|| {
                (
                    conv(input, output, 1, stride, 0, false, device),
                    BatchNormConfig::new(output).init(device),
                )
            }),
        }
    }

    /// `[batch, input, h, w]` -> `[batch, output, ceil(h / stride), ceil(w / stride)]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let relu = burn::tensor::activation::relu;
        let shortcut = match &self.downsample {
            Some((conv, bn)) => {
                batch_norm_act(bn, conv_forward(conv, x.clone()), NormActivation::Identity)
            }
            None => x.clone(),
        };
        let y = batch_norm_act(
            &self.bn1,
            conv_forward(&self.conv1, x),
            NormActivation::Relu,
        );
        let y = batch_norm_act(
            &self.bn2,
            conv_forward(&self.conv2, y),
            NormActivation::Identity,
        );
        relu(y + shortcut)
    }
}

/// A ResNet with basic blocks.
#[derive(Config, Debug)]
pub struct ResNetConfig {
    /// 18 or 34.
    pub depth: usize,
    #[config(default = 1000)]
    pub classes: usize,
    /// Channel divisor for small test networks (1 for the real width).
    #[config(default = 1)]
    pub width_divisor: usize,
}

/// A 7x7 stem and max pool, the basic blocks of the four stages in one flat list, global
/// average pooling and one dense layer (`fc`).
#[derive(Module, Debug)]
pub struct ResNet {
    pub stem: ConvBnRelu,
    pub maxpool: MaxPool2d,
    pub layers: Vec<BasicBlock>,
    pub avgpool: AdaptiveAvgPool2d,
    pub fc: Linear,
}

impl ResNetConfig {
    /// Blocks per stage: `[2, 2, 2, 2]` for ResNet-18, `[3, 4, 6, 3]` for ResNet-34.
    pub fn blocks(&self) -> Option<[usize; 4]> {
        match self.depth {
            18 => Some([2, 2, 2, 2]),
            34 => Some([3, 4, 6, 3]),
            _ => None,
        }
    }

    /// Builds the network; `None` for an unknown depth.
    pub fn init(&self, device: &Device) -> Option<ResNet> {
        let width = |c: usize| (c / self.width_divisor.max(1)).max(1);
        let mut layers = Vec::new();
        let mut channels = width(64);
        for (stage, &count) in self.blocks()?.iter().enumerate() {
            let out = width(64 << stage);
            for block in 0..count {
                let stride = if stage > 0 && block == 0 { 2 } else { 1 };
                layers.push(BasicBlock::new(channels, out, stride, device));
                channels = out;
            }
        }
        Some(ResNet {
            stem: ConvBnRelu::new(3, width(64), 7, 2, 3, 1e-5, device),
            maxpool: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            layers,
            avgpool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            fc: LinearConfig::new(channels, self.classes).init(device),
        })
    }
}

impl ResNet {
    /// A new, freshly initialised `fc` for `classes` classes (the ImageNet head is dropped).
    pub fn replace_head(mut self, classes: usize, device: &Device) -> Self {
        let [features, _] = self.fc.weight.dims();
        self.fc = LinearConfig::new(features, classes).init(device);
        self
    }
}

impl ImageClassifier for ResNet {
    /// `[batch, 3, h, w]` -> `[batch, classes]`; the body downsamples by 32.
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = max_pool_forward(&self.maxpool, self.stem.forward(images));
        let x = self.layers.iter().fold(x, |x, block| block.forward(x));
        self.fc.forward(self.avgpool.forward(x).flatten::<2>(1, 3))
    }
}

impl ResNetConfig {
    /// Multiply-accumulates of one forward pass on a `side` x `side` image.
    pub fn macs(&self, side: usize) -> Option<u64> {
        let width = |c: usize| (c / self.width_divisor.max(1)).max(1) as u64;
        let mut size = (side as u64).div_ceil(2); // 7x7 stride-2 stem
        let mut total = size * size * 49 * 3 * width(64);
        size = size.div_ceil(2); // 3x3 stride-2 max pool
        let mut channels = width(64);
        for (stage, &count) in self.blocks()?.iter().enumerate() {
            let out = width(64 << stage);
            for block in 0..count {
                let stride = if stage > 0 && block == 0 { 2 } else { 1 };
                let next = size.div_ceil(stride);
                total += next * next * 9 * channels * out + next * next * 9 * out * out;
                if stride != 1 || channels != out {
                    total += next * next * channels * out;
                }
                (size, channels) = (next, out);
            }
        }
        Some(total + channels * self.classes as u64)
    }
}
