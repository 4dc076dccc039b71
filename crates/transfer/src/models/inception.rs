//! GoogLeNet's Inception (Szegedy et al. 2014): parallel 1x1, 3x3 and "5x5" branches and a
//! pooling branch, concatenated; 1x1 convolutions first reduce the channels so the larger
//! filters stay cheap. Built as torchvision's `googlenet` (batch norm, no auxiliary heads;
//! like torchvision, the "5x5" branch uses a 3x3 kernel, which its pretrained weights need):
//! 6,624,904 parameters at 1000 classes.

use super::ConvBnRelu;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use nn_core::models::max_pool_forward;
use nn_core::train::ImageClassifier;

const EPS: f64 = 1e-3;

/// Output channels of the four branches (and the two reductions) of one module.
#[derive(Debug, Clone, Copy)]
pub struct InceptionSpec {
    pub input: usize,
    pub ch1x1: usize,
    pub ch3x3_reduce: usize,
    pub ch3x3: usize,
    pub ch5x5_reduce: usize,
    pub ch5x5: usize,
    pub pool_proj: usize,
}

impl InceptionSpec {
    /// Channels of the concatenated output.
    pub fn output(&self) -> usize {
        self.ch1x1 + self.ch3x3 + self.ch5x5 + self.pool_proj
    }
}

/// One Inception module: four parallel branches whose outputs are concatenated.
#[derive(Module, Debug)]
pub struct InceptionModule {
    pub branch1: ConvBnRelu,
    pub branch2: [ConvBnRelu; 2],
    pub branch3: [ConvBnRelu; 2],
    pub pool: MaxPool2d,
    pub branch4: ConvBnRelu,
}

impl InceptionModule {
    /// A module with the branch widths of `s`.
    pub fn new(s: InceptionSpec, device: &Device) -> Self {
        Self {
            branch1: ConvBnRelu::new(s.input, s.ch1x1, 1, 1, 0, EPS, device),
            branch2: [
                ConvBnRelu::new(s.input, s.ch3x3_reduce, 1, 1, 0, EPS, device),
                ConvBnRelu::new(s.ch3x3_reduce, s.ch3x3, 3, 1, 1, EPS, device),
            ],
            branch3: [
                ConvBnRelu::new(s.input, s.ch5x5_reduce, 1, 1, 0, EPS, device),
                ConvBnRelu::new(s.ch5x5_reduce, s.ch5x5, 3, 1, 1, EPS, device),
            ],
            pool: MaxPool2dConfig::new([3, 3])
                .with_strides([1, 1])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_ceil_mode(true)
                .init(),
            branch4: ConvBnRelu::new(s.input, s.pool_proj, 1, 1, 0, EPS, device),
        }
    }

    /// `[batch, input, h, w]` -> `[batch, output, h, w]`: the four branches side by side.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1.forward(x.clone());
        let b2 = self.branch2[1].forward(self.branch2[0].forward(x.clone()));
        let b3 = self.branch3[1].forward(self.branch3[0].forward(x.clone()));
        let b4 = self.branch4.forward(max_pool_forward(&self.pool, x));
        Tensor::cat(vec![b1, b2, b3, b4], 1)
    }
}

/// GoogLeNet.
#[derive(Config, Debug)]
pub struct GoogLeNetConfig {
    #[config(default = 1000)]
    pub classes: usize,
    #[config(default = 0.2)]
    pub dropout: f64,
    /// Channel divisor for small test networks (1 for the real width).
    #[config(default = 1)]
    pub width_divisor: usize,
    /// The CIFAR version: a 3x3 stride-1 first convolution and no pooling in the stem, so a
    /// 32x32 image reaches module 3a at 32x32 instead of 4x4 (ImageNet's stem divides by 8).
    #[config(default = false)]
    pub cifar_stem: bool,
}

/// A stem of three convolutions, nine Inception modules with max pools between, global
/// average pooling, dropout and one dense layer (torchvision's layout).
#[derive(Module, Debug)]
pub struct GoogLeNet {
    pub stem: [ConvBnRelu; 3],
    pub pools: [MaxPool2d; 4],
    pub modules: Vec<InceptionModule>,
    pub avgpool: AdaptiveAvgPool2d,
    pub dropout: Dropout,
    pub fc: Linear,
    /// Stem without its two max pools (see [`GoogLeNetConfig::cifar_stem`]).
    #[module(skip)]
    pub cifar_stem: bool,
}

/// torchvision's table: (input, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) for 3a..5b.
pub const TABLE: [[usize; 7]; 9] = [
    [192, 64, 96, 128, 16, 32, 32],
    [256, 128, 128, 192, 32, 96, 64],
    [480, 192, 96, 208, 16, 48, 64],
    [512, 160, 112, 224, 24, 64, 64],
    [512, 128, 128, 256, 24, 64, 64],
    [512, 112, 144, 288, 32, 64, 64],
    [528, 256, 160, 320, 32, 128, 128],
    [832, 256, 160, 320, 32, 128, 128],
    [832, 384, 192, 384, 48, 128, 128],
];

/// After which module a max pool follows (3b, 4e).
const POOL_AFTER: [usize; 2] = [1, 6];

impl GoogLeNetConfig {
    /// Builds the network with torchvision's initialisation of convolutions.
    pub fn init(&self, device: &Device) -> GoogLeNet {
        let w = |c: usize| (c / self.width_divisor.max(1)).max(1);
        let pool = |k: usize, s: usize, p: usize| {
            MaxPool2dConfig::new([k, k])
                .with_strides([s, s])
                .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                .with_ceil_mode(true)
                .init()
        };
        let modules = TABLE
            .iter()
            .map(|r| {
                let spec = InceptionSpec {
                    input: w(r[0]),
                    ch1x1: w(r[1]),
                    ch3x3_reduce: w(r[2]),
                    ch3x3: w(r[3]),
                    ch5x5_reduce: w(r[4]),
                    ch5x5: w(r[5]),
                    pool_proj: w(r[6]),
                };
                InceptionModule::new(spec, device)
            })
            .collect();
        GoogLeNet {
            stem: [
                if self.cifar_stem {
                    ConvBnRelu::new(3, w(64), 3, 1, 1, EPS, device)
                } else {
                    ConvBnRelu::new(3, w(64), 7, 2, 3, EPS, device)
                },
                ConvBnRelu::new(w(64), w(64), 1, 1, 0, EPS, device),
                ConvBnRelu::new(w(64), w(192), 3, 1, 1, EPS, device),
            ],
            pools: [pool(3, 2, 0), pool(3, 2, 0), pool(3, 2, 0), pool(2, 2, 0)],
            modules,
            avgpool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: LinearConfig::new(w(384) + w(384) + w(128) + w(128), self.classes).init(device),
            cifar_stem: self.cifar_stem,
        }
    }
}

impl ImageClassifier for GoogLeNet {
    /// `[batch, 3, h, w]` -> `[batch, classes]`; the body downsamples by 32 (by 4 with the
    /// CIFAR stem).
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let stem_pool = |i: usize, x: Tensor<4>| {
            if self.cifar_stem {
                x
            } else {
                self.pools[i].forward(x)
            }
        };
        let x = stem_pool(0, self.stem[0].forward(images));
        let x = stem_pool(1, self.stem[2].forward(self.stem[1].forward(x)));
        let mut x = x;
        let mut pools = self.pools[2..].iter();
        for (i, module) in self.modules.iter().enumerate() {
            x = module.forward(x);
            if POOL_AFTER.contains(&i) {
                x = pools.next().expect("two inner pools").forward(x);
            }
        }
        let x = self.avgpool.forward(x).flatten::<2>(1, 3);
        self.fc.forward(self.dropout.forward(x))
    }
}

impl GoogLeNetConfig {
    /// Multiply-accumulates of one forward pass on a `side` x `side` image.
    pub fn macs(&self, side: usize) -> u64 {
        let w = |c: usize| (c / self.width_divisor.max(1)).max(1) as u64;
        // Ceil-mode pooling: out = ceil((n - k) / s) + 1.
        let pool = |n: u64, k: u64, s: u64| (n.saturating_sub(k)).div_ceil(s) + 1;
        let stem_pool = |n: u64| if self.cifar_stem { n } else { pool(n, 3, 2) };
        let (first_side, first_kernel) = if self.cifar_stem {
            (side as u64, 9)
        } else {
            ((side as u64).div_ceil(2), 49)
        };
        let mut size = first_side;
        let mut total = size * size * first_kernel * 3 * w(64);
        size = stem_pool(size);
        total += size * size * w(64) * w(64) + size * size * 9 * w(64) * w(192);
        size = stem_pool(size);
        for (i, r) in TABLE.iter().enumerate() {
            let [input, c1, r3, c3, r5, c5, pp] = r.map(w);
            let area = size * size;
            total += area
                * (input * c1 + input * r3 + 9 * r3 * c3 + input * r5 + 9 * r5 * c5 + input * pp);
            if i == POOL_AFTER[0] {
                size = pool(size, 3, 2);
            } else if i == POOL_AFTER[1] {
                size = pool(size, 2, 2);
            }
        }
        total + (w(384) + w(384) + w(128) + w(128)) * self.classes as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;

    /// The CIFAR stem changes only the first convolution (7x7 stride 2 to 3x3 stride 1) and
    /// drops two pools: 40 fewer weights per input channel and filter, and a 32x32 image
    /// still gives one score per class.
    #[test]
    fn the_cifar_stem_changes_only_the_first_convolution_and_keeps_the_map() {
        let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
        let imagenet = GoogLeNetConfig::new()
            .with_classes(10)
            .with_width_divisor(8);
        let cifar = GoogLeNetConfig::new()
            .with_classes(10)
            .with_width_divisor(8)
            .with_cifar_stem(true);
        let (a, b) = (imagenet.init(&device), cifar.init(&device));
        assert_eq!(a.num_params() - b.num_params(), 40 * 3 * 8);
        let images = Tensor::<4>::zeros([1, 3, 32, 32], &device);
        assert_eq!(b.forward(images).dims(), [1, 10]);
        // Without the stem's pools (8x fewer pixels per side) every module sees 64x the
        // area; the 3x3 first convolution on all 32x32 pixels costs 9/49 of the 7x7 on 16x16
        // times 4: the count goes up by more than 30x at 32 pixels.
        assert!(cifar.macs(32) > 30 * imagenet.macs(32));
    }
}
