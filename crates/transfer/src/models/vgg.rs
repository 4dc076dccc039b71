//! VGG (Simonyan & Zisserman 2014): deep stacks of 3x3 convolutions, built from a config list
//! as in torchvision. VGG-19 at 1000 classes has 143,667,240 parameters.

use burn::nn::conv::Conv2d;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear};
use burn::prelude::*;
use nn_core::train::ImageClassifier;

/// One entry of a VGG config list: a 3x3 convolution to that many channels, or a max pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VggItem {
    /// A 3x3 convolution (padding 1) to that many channels, then ReLU.
    Conv(usize),
    /// A 2x2 max pool, stride 2.
    Pool,
}

/// torchvision's config lists "A", "B", "D", "E" for VGG-11, -13, -16, -19: five stages of
/// 64, 128, 256, 512, 512 channels, each some 3x3 convolutions then a max pool.
pub fn vgg_layers(depth: usize) -> Option<Vec<VggItem>> {
    let convs_per_stage = match depth {
        11 => [1, 1, 2, 2, 2],
        13 => [2, 2, 2, 2, 2],
        16 => [2, 2, 3, 3, 3],
        19 => [2, 2, 4, 4, 4],
        _ => return None,
    };
    let mut list = Vec::new();
    for (convs, channels) in convs_per_stage.into_iter().zip([64, 128, 256, 512, 512]) {
        list.extend(std::iter::repeat_n(VggItem::Conv(channels), convs));
        list.push(VggItem::Pool);
    }
    Some(list)
}

/// VGG-16 with batch norm at CIFAR scale: half width (32 to 256 channels); five pools
/// leave a 1x1 map of a 32x32 image, so one 256-wide hidden layer (dropout 0.2) replaces
/// the 4096-wide ones. `transfer/cifar-architectures` and `transfer/label-efficiency` use it.
pub fn cifar_vgg16_bn(classes: usize) -> VggConfig {
    VggConfig::new(16)
        .with_classes(classes)
        .with_batch_norm(true)
        .with_width_divisor(2)
        .with_pool(1)
        .with_hidden(256)
        .with_dropout(0.2)
}

/// A VGG network.
#[derive(Config, Debug)]
pub struct VggConfig {
    /// 11, 13, 16 or 19 weight layers.
    pub depth: usize,
    #[config(default = 1000)]
    pub classes: usize,
    #[config(default = false)]
    pub batch_norm: bool,
    /// Width of the two hidden classifier layers (4096 in the paper).
    #[config(default = 4096)]
    pub hidden: usize,
    /// Side of the adaptive average pool before the classifier (7 in torchvision).
    #[config(default = 7)]
    pub pool: usize,
    #[config(default = 0.5)]
    pub dropout: f64,
    /// Channel divisor for small test networks (1 for the real width).
    #[config(default = 1)]
    pub width_divisor: usize,
}

/// A 3x3 convolution (+ batch norm) + ReLU, optionally followed by 2x2 max pooling.
#[derive(Module, Debug)]
pub struct VggUnit {
    pub conv: Conv2d,
    pub bn: Option<BatchNorm>,
    pub pool: Option<MaxPool2d>,
}

/// `features` (the convolutional part), `avgpool`, `classifier` as in torchvision.
#[derive(Module, Debug)]
pub struct Vgg {
    pub features: Vec<VggUnit>,
    pub avgpool: AdaptiveAvgPool2d,
    pub classifier: Vec<Linear>,
    pub dropout: Dropout,
}

impl VggConfig {
    /// Builds the network; `None` for an unknown depth.
    pub fn init(&self, device: &Device) -> Option<Vgg> {
        let mut features: Vec<VggUnit> = Vec::new();
        let mut channels = 3;
        for item in vgg_layers(self.depth)? {
            match item {
                VggItem::Conv(out) => {
                    let out = (out / self.width_divisor.max(1)).max(1);
                    features.push(VggUnit {
                        conv: super::conv(channels, out, 3, 1, 1, true, device),
                        bn: self
                            .batch_norm
                            .then(|| BatchNormConfig::new(out).init(device)),
                        pool: None,
                    });
                    channels = out;
                }
                VggItem::Pool => {
                    features.last_mut()?.pool = Some(MaxPool2dConfig::new([2, 2]).init())
                }
            }
        }
        let flat = channels * self.pool * self.pool;
        Some(Vgg {
            features,
            avgpool: AdaptiveAvgPool2dConfig::new([self.pool, self.pool]).init(),
            classifier: vec![
                super::linear(flat, self.hidden, device),
                super::linear(self.hidden, self.hidden, device),
                super::linear(self.hidden, self.classes, device),
            ],
            dropout: DropoutConfig::new(self.dropout).init(),
        })
    }
}

impl Vgg {
    /// `[batch, 3, h, w]` -> `[batch, 512 / divisor, h / 32, w / 32]`.
    pub fn features(&self, x: Tensor<4>) -> Tensor<4> {
        self.features.iter().fold(x, |x, unit| {
            let x = nn_core::models::conv_forward(&unit.conv, x);
            let x = match &unit.bn {
                Some(bn) => {
                    nn_core::models::batch_norm_act(bn, x, nn_core::models::NormActivation::Relu)
                }
                None => burn::tensor::activation::relu(x),
            };
            match &unit.pool {
                Some(pool) => nn_core::models::max_pool_forward(pool, x),
                None => x,
            }
        })
    }
}

impl Vgg {
    /// A new, freshly initialised last layer for `classes` classes: the pretrained network's
    /// own head (ImageNet's 1000 classes) is of no use for another label set.
    pub fn replace_head(mut self, classes: usize, device: &Device) -> Self {
        if let Some(last) = self.classifier.last_mut() {
            let [hidden, _] = last.weight.dims();
            *last = super::linear(hidden, classes, device);
        }
        self
    }

    /// Freezes the first `units` of `features` (no gradients, so the optimiser never changes
    /// them; batch norm keeps its running statistics) and unfreezes the rest.
    pub fn freeze_features(mut self, units: usize) -> Self {
        self.features = self
            .features
            .into_iter()
            .enumerate()
            .map(|(i, unit)| {
                if i < units {
                    unit.freeze()
                } else {
                    unit.unfreeze()
                }
            })
            .collect();
        self
    }

    /// Index of the first unit of each of the five stages (the unit after each pooling).
    pub fn stage_starts(&self) -> Vec<usize> {
        let mut starts = vec![0];
        for (i, unit) in self.features.iter().enumerate() {
            if unit.pool.is_some() && i + 1 < self.features.len() {
                starts.push(i + 1);
            }
        }
        starts
    }
}

impl ImageClassifier for Vgg {
    /// `[batch, 3, h, w]` -> `[batch, classes]` (h and w at least 32).
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self
            .avgpool
            .forward(self.features(images))
            .flatten::<2>(1, 3);
        let last = self.classifier.len() - 1;
        self.classifier.iter().enumerate().fold(x, |x, (i, layer)| {
            let x = layer.forward(x);
            if i == last {
                x
            } else {
                self.dropout.forward(burn::tensor::activation::relu(x))
            }
        })
    }
}

impl VggConfig {
    /// Multiply-accumulates of one forward pass on a `side` x `side` image (convolutions and
    /// dense layers; pooling and activations are free in this count, as usual).
    pub fn macs(&self, side: usize) -> Option<u64> {
        let mut total = 0u64;
        let (mut channels, mut size) = (3u64, side as u64);
        for item in vgg_layers(self.depth)? {
            match item {
                VggItem::Conv(out) => {
                    let out = (out / self.width_divisor.max(1)).max(1) as u64;
                    total += size * size * 9 * channels * out;
                    channels = out;
                }
                VggItem::Pool => size /= 2,
            }
        }
        let (flat, hidden) = (
            channels * (self.pool * self.pool) as u64,
            self.hidden as u64,
        );
        Some(total + flat * hidden + hidden * hidden + hidden * self.classes as u64)
    }
}
