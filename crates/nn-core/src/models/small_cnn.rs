//! A small convolutional classifier (weeks 1-2 train it; weeks 4-5 use it as a judge): blocks of 3x3 convolution (+ batch norm) + ReLU +
//! 2x2 max pooling, then a hidden dense layer and the logits.

use super::ImageClassifier;
use crate::data::ImageShape;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;

/// Shape of a [`SmallCnn`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CnnSpec {
    /// Output channels of each block; each block halves height and width.
    pub channels: Vec<usize>,
    pub batch_norm: bool,
    /// Units of the hidden dense layer.
    pub hidden: usize,
    /// Dropout before the hidden and output layers.
    pub dropout: f64,
}

/// One block: convolution, optional batch norm, ReLU, max pooling.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: Option<BatchNorm>,
    pool: MaxPool2d,
}

impl ConvBlock {
    /// `[batch, in, h, w]` -> `[batch, out, h / 2, w / 2]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = super::conv_forward(&self.conv, x);
        let x = match &self.norm {
            Some(norm) => super::batch_norm_act(norm, x, super::NormActivation::Relu),
            None => burn::tensor::activation::relu(x),
        };
        super::max_pool_forward(&self.pool, x)
    }
}

/// Convolutional blocks, then flatten, dense + ReLU, logits.
#[derive(Module, Debug)]
pub struct SmallCnn {
    blocks: Vec<ConvBlock>,
    hidden: Linear,
    output: Linear,
    dropout: Dropout,
}

impl SmallCnn {
    pub fn new(spec: &CnnSpec, input: ImageShape, classes: usize, device: &Device) -> Self {
        let mut channels = input.channels;
        let (mut height, mut width) = (input.height, input.width);
        let mut blocks = Vec::new();
        for &out in &spec.channels {
            blocks.push(ConvBlock {
                conv: Conv2dConfig::new([channels, out], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
                norm: spec
                    .batch_norm
                    .then(|| BatchNormConfig::new(out).init(device)),
                pool: MaxPool2dConfig::new([2, 2]).init(),
            });
            channels = out;
            (height, width) = (height / 2, width / 2);
        }
        let flat = channels * height.max(1) * width.max(1);
        Self {
            blocks,
            hidden: LinearConfig::new(flat, spec.hidden).init(device),
            output: LinearConfig::new(spec.hidden, classes).init(device),
            dropout: DropoutConfig::new(spec.dropout).init(),
        }
    }
}

impl SmallCnn {
    /// The same network with a fresh output layer for `classes` classes: the body (and the
    /// hidden layer) keep what they learned, for fine-tuning on another task.
    pub fn with_new_head(self, classes: usize, device: &Device) -> Self {
        let hidden = self.hidden.weight.dims()[1];
        Self {
            output: LinearConfig::new(hidden, classes).init(device),
            ..self
        }
    }

    /// The hidden layer's activations `[batch, hidden]`: what the network has learned to
    /// see, e.g. as the feature space of a Frechet distance.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.dropout.forward(x.flatten::<2>(1, 3));
        burn::tensor::activation::relu(self.hidden.forward(x))
    }
}

impl ImageClassifier for SmallCnn {
    /// `[batch, channels, height, width]` -> `[batch, classes]` logits.
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.features(images);
        self.output.forward(self.dropout.forward(x))
    }
}
