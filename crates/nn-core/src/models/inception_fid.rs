//! InceptionV3 as pytorch-fid builds it for the Frechet Inception Distance (FID): the
//! network TensorFlow's FID used, with its weights (`pt_inception-2015-12-05-6726825d.pth`,
//! `cargo xtask download fid-inception`), up to the 2,048 features of the final average
//! pool. Images are resized to 299x299 (bilinear, `align_corners = false`) and scaled from
//! [0, 1] to [-1, 1], as pytorch-fid does.
//!
//! Written here rather than taken from burn-train's `metric::vision::Fid` because (1) that
//! feature compiles reqwest with aws-lc-sys (a C library) into every build for a download
//! we do not use, and (2) it resizes with `align_corners = true` and normalises with
//! ImageNet's mean and standard deviation, so its features are not pytorch-fid's. The
//! blocks differ from torchvision's InceptionV3 where pytorch-fid's do (the `FIDInception*`
//! patches): average pools exclude the padding, and the last block pools by maximum.
//! Module and field names follow pytorch-fid's keys (`Mixed_6b.branch7x7_2.conv.weight`),
//! lower-cased where Rust requires it ([`key_rules`]).

use super::conv_forward;
use super::torch_import::KeyRules;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, interpolate, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, InterpolateMode, InterpolateOptions, MaxPoolOptions};

/// The features' length: the channels of the last block.
pub const FEATURES: usize = 2048;
/// The input side the weights were trained at.
pub const SIDE: usize = 299;

/// Convolution without bias, batch norm (eps 0.001, TensorFlow's), ReLU: `BasicConv2d`.
#[derive(Module, Debug)]
pub struct BasicConv {
    conv: Conv2d,
    bn: BatchNorm,
}

impl BasicConv {
    /// `kernel` and `padding` as `[height, width]`.
    fn new(
        channels: [usize; 2],
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
        device: &Device,
    ) -> Self {
        let [ph, pw] = padding;
        Self {
            conv: Conv2dConfig::new(channels, kernel)
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(channels[1])
                .with_epsilon(1e-3)
                .init(device),
        }
    }

    /// A square `k x k` convolution with stride 1 and "same" padding.
    fn square(c_in: usize, c_out: usize, k: usize, device: &Device) -> Self {
        Self::new([c_in, c_out], [k, k], 1, [k / 2, k / 2], device)
    }

    /// `[n, c_in, h, w]` -> `[n, c_out, h', w']`.
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        super::batch_norm_act(
            &self.bn,
            conv_forward(&self.conv, x),
            super::NormActivation::Relu,
        )
    }
}

/// 3x3 pool, stride 1, padding 1: the pooling branch of the A, C and E blocks.
fn pool_branch(x: Tensor<4>, max: bool) -> Tensor<4> {
    if max {
        max_pool2d(
            x,
            MaxPoolOptions::new([3, 3])
                .with_stride([1, 1])
                .with_padding([1, 1]),
        )
    } else {
        avg_pool2d(
            x,
            AvgPoolOptions::new([3, 3])
                .with_stride([1, 1])
                .with_padding([1, 1])
                .with_count_include_pad(false),
        )
    }
}

/// 3x3 max pool, stride 2, no padding: the stem's and the reduction blocks' downsampling.
fn reduce(x: Tensor<4>) -> Tensor<4> {
    max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([2, 2]))
}

/// `Mixed_5b..5d` (`FIDInceptionA`): `c_in` -> 224 + `pool_features` channels.
#[derive(Module, Debug)]
pub struct InceptionA {
    branch1x1: BasicConv,
    branch5x5_1: BasicConv,
    branch5x5_2: BasicConv,
    branch3x3dbl_1: BasicConv,
    branch3x3dbl_2: BasicConv,
    branch3x3dbl_3: BasicConv,
    branch_pool: BasicConv,
}

impl InceptionA {
    fn new(c_in: usize, pool_features: usize, device: &Device) -> Self {
        Self {
            branch1x1: BasicConv::square(c_in, 64, 1, device),
            branch5x5_1: BasicConv::square(c_in, 48, 1, device),
            branch5x5_2: BasicConv::square(48, 64, 5, device),
            branch3x3dbl_1: BasicConv::square(c_in, 64, 1, device),
            branch3x3dbl_2: BasicConv::square(64, 96, 3, device),
            branch3x3dbl_3: BasicConv::square(96, 96, 3, device),
            branch_pool: BasicConv::square(c_in, pool_features, 1, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b5 = self
            .branch5x5_2
            .forward(self.branch5x5_1.forward(x.clone()));
        let b3 = self.branch3x3dbl_1.forward(x.clone());
        let b3 = self.branch3x3dbl_3.forward(self.branch3x3dbl_2.forward(b3));
        let bp = self.branch_pool.forward(pool_branch(x, false));
        Tensor::cat(vec![b1, b5, b3, bp], 1)
    }
}

/// `Mixed_6a`: 288 -> 768 channels, the map halved.
#[derive(Module, Debug)]
pub struct InceptionB {
    branch3x3: BasicConv,
    branch3x3dbl_1: BasicConv,
    branch3x3dbl_2: BasicConv,
    branch3x3dbl_3: BasicConv,
}

impl InceptionB {
    fn new(c_in: usize, device: &Device) -> Self {
        Self {
            branch3x3: BasicConv::new([c_in, 384], [3, 3], 2, [0, 0], device),
            branch3x3dbl_1: BasicConv::square(c_in, 64, 1, device),
            branch3x3dbl_2: BasicConv::square(64, 96, 3, device),
            branch3x3dbl_3: BasicConv::new([96, 96], [3, 3], 2, [0, 0], device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self.branch3x3.forward(x.clone());
        let bd = self.branch3x3dbl_1.forward(x.clone());
        let bd = self.branch3x3dbl_3.forward(self.branch3x3dbl_2.forward(bd));
        Tensor::cat(vec![b3, bd, reduce(x)], 1)
    }
}

/// `Mixed_6b..6e` (`FIDInceptionC`): 768 -> 768 channels through 1x7 and 7x1 convolutions
/// of `c7` channels.
#[derive(Module, Debug)]
pub struct InceptionC {
    branch1x1: BasicConv,
    branch7x7_1: BasicConv,
    branch7x7_2: BasicConv,
    branch7x7_3: BasicConv,
    branch7x7dbl_1: BasicConv,
    branch7x7dbl_2: BasicConv,
    branch7x7dbl_3: BasicConv,
    branch7x7dbl_4: BasicConv,
    branch7x7dbl_5: BasicConv,
    branch_pool: BasicConv,
}

impl InceptionC {
    fn new(c_in: usize, c7: usize, device: &Device) -> Self {
        let row = |a, b| BasicConv::new([a, b], [1, 7], 1, [0, 3], device);
        let col = |a, b| BasicConv::new([a, b], [7, 1], 1, [3, 0], device);
        Self {
            branch1x1: BasicConv::square(c_in, 192, 1, device),
            branch7x7_1: BasicConv::square(c_in, c7, 1, device),
            branch7x7_2: row(c7, c7),
            branch7x7_3: col(c7, 192),
            branch7x7dbl_1: BasicConv::square(c_in, c7, 1, device),
            branch7x7dbl_2: col(c7, c7),
            branch7x7dbl_3: row(c7, c7),
            branch7x7dbl_4: col(c7, c7),
            branch7x7dbl_5: row(c7, 192),
            branch_pool: BasicConv::square(c_in, 192, 1, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b7 = self.branch7x7_1.forward(x.clone());
        let b7 = self.branch7x7_3.forward(self.branch7x7_2.forward(b7));
        let bd = self.branch7x7dbl_1.forward(x.clone());
        let bd = self.branch7x7dbl_3.forward(self.branch7x7dbl_2.forward(bd));
        let bd = self.branch7x7dbl_5.forward(self.branch7x7dbl_4.forward(bd));
        let bp = self.branch_pool.forward(pool_branch(x, false));
        Tensor::cat(vec![b1, b7, bd, bp], 1)
    }
}

/// `Mixed_7a`: 768 -> 1,280 channels, the map halved.
#[derive(Module, Debug)]
pub struct InceptionD {
    branch3x3_1: BasicConv,
    branch3x3_2: BasicConv,
    branch7x7x3_1: BasicConv,
    branch7x7x3_2: BasicConv,
    branch7x7x3_3: BasicConv,
    branch7x7x3_4: BasicConv,
}

impl InceptionD {
    fn new(c_in: usize, device: &Device) -> Self {
        Self {
            branch3x3_1: BasicConv::square(c_in, 192, 1, device),
            branch3x3_2: BasicConv::new([192, 320], [3, 3], 2, [0, 0], device),
            branch7x7x3_1: BasicConv::square(c_in, 192, 1, device),
            branch7x7x3_2: BasicConv::new([192, 192], [1, 7], 1, [0, 3], device),
            branch7x7x3_3: BasicConv::new([192, 192], [7, 1], 1, [3, 0], device),
            branch7x7x3_4: BasicConv::new([192, 192], [3, 3], 2, [0, 0], device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self
            .branch3x3_2
            .forward(self.branch3x3_1.forward(x.clone()));
        let b7 = self.branch7x7x3_1.forward(x.clone());
        let b7 = self.branch7x7x3_3.forward(self.branch7x7x3_2.forward(b7));
        let b7 = self.branch7x7x3_4.forward(b7);
        Tensor::cat(vec![b3, b7, reduce(x)], 1)
    }
}

/// `Mixed_7b` (`FIDInceptionE_1`, average pool) and `Mixed_7c` (`FIDInceptionE_2`, max
/// pool): `c_in` -> 2,048 channels.
#[derive(Module, Debug)]
pub struct InceptionE {
    branch1x1: BasicConv,
    branch3x3_1: BasicConv,
    branch3x3_2a: BasicConv,
    branch3x3_2b: BasicConv,
    branch3x3dbl_1: BasicConv,
    branch3x3dbl_2: BasicConv,
    branch3x3dbl_3a: BasicConv,
    branch3x3dbl_3b: BasicConv,
    branch_pool: BasicConv,
    /// `Mixed_7c` pools by maximum in its pooling branch (pytorch-fid's `FIDInceptionE_2`).
    #[module(skip)]
    max_pool: bool,
}

impl InceptionE {
    fn new(c_in: usize, max_pool: bool, device: &Device) -> Self {
        let row = |a, b| BasicConv::new([a, b], [1, 3], 1, [0, 1], device);
        let col = |a, b| BasicConv::new([a, b], [3, 1], 1, [1, 0], device);
        Self {
            branch1x1: BasicConv::square(c_in, 320, 1, device),
            branch3x3_1: BasicConv::square(c_in, 384, 1, device),
            branch3x3_2a: row(384, 384),
            branch3x3_2b: col(384, 384),
            branch3x3dbl_1: BasicConv::square(c_in, 448, 1, device),
            branch3x3dbl_2: BasicConv::square(448, 384, 3, device),
            branch3x3dbl_3a: row(384, 384),
            branch3x3dbl_3b: col(384, 384),
            branch_pool: BasicConv::square(c_in, 192, 1, device),
            max_pool,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b3 = self.branch3x3_1.forward(x.clone());
        let b3 = Tensor::cat(
            vec![
                self.branch3x3_2a.forward(b3.clone()),
                self.branch3x3_2b.forward(b3),
            ],
            1,
        );
        let bd = self.branch3x3dbl_1.forward(x.clone());
        let bd = self.branch3x3dbl_2.forward(bd);
        let bd = Tensor::cat(
            vec![
                self.branch3x3dbl_3a.forward(bd.clone()),
                self.branch3x3dbl_3b.forward(bd),
            ],
            1,
        );
        let bp = self.branch_pool.forward(pool_branch(x, self.max_pool));
        Tensor::cat(vec![b1, b3, bd, bp], 1)
    }
}

/// pytorch-fid's InceptionV3 up to the final average pool (21.8 M parameters).
#[derive(Module, Debug)]
pub struct InceptionFid {
    conv2d_1a_3x3: BasicConv,
    conv2d_2a_3x3: BasicConv,
    conv2d_2b_3x3: BasicConv,
    conv2d_3b_1x1: BasicConv,
    conv2d_4a_3x3: BasicConv,
    mixed_5b: InceptionA,
    mixed_5c: InceptionA,
    mixed_5d: InceptionA,
    mixed_6a: InceptionB,
    mixed_6b: InceptionC,
    mixed_6c: InceptionC,
    mixed_6d: InceptionC,
    mixed_6e: InceptionC,
    mixed_7a: InceptionD,
    mixed_7b: InceptionE,
    mixed_7c: InceptionE,
}

impl InceptionFid {
    /// The network with burn's initialisation (load the weights with
    /// [`super::torch_import::load_pytorch`] and [`key_rules`]).
    pub fn new(device: &Device) -> Self {
        Self {
            conv2d_1a_3x3: BasicConv::new([3, 32], [3, 3], 2, [0, 0], device),
            conv2d_2a_3x3: BasicConv::new([32, 32], [3, 3], 1, [0, 0], device),
            conv2d_2b_3x3: BasicConv::square(32, 64, 3, device),
            conv2d_3b_1x1: BasicConv::square(64, 80, 1, device),
            conv2d_4a_3x3: BasicConv::new([80, 192], [3, 3], 1, [0, 0], device),
            mixed_5b: InceptionA::new(192, 32, device),
            mixed_5c: InceptionA::new(256, 64, device),
            mixed_5d: InceptionA::new(288, 64, device),
            mixed_6a: InceptionB::new(288, device),
            mixed_6b: InceptionC::new(768, 128, device),
            mixed_6c: InceptionC::new(768, 160, device),
            mixed_6d: InceptionC::new(768, 160, device),
            mixed_6e: InceptionC::new(768, 192, device),
            mixed_7a: InceptionD::new(768, device),
            mixed_7b: InceptionE::new(1280, false, device),
            mixed_7c: InceptionE::new(2048, true, device),
        }
    }

    /// Images `[n, 3, h, w]` with values in [0, 1] -> features `[n, 2048]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let [n, _, h, w] = images.dims();
        let x = if (h, w) == (SIDE, SIDE) {
            images
        } else {
            let options = InterpolateOptions::new(InterpolateMode::Bilinear)
                .with_align_corners(false)
                .with_output_size([SIDE, SIDE]);
            interpolate(images, options)
        };
        let x = x * 2.0 - 1.0;
        let x = self.conv2d_2a_3x3.forward(self.conv2d_1a_3x3.forward(x));
        let x = reduce(self.conv2d_2b_3x3.forward(x));
        let x = reduce(self.conv2d_4a_3x3.forward(self.conv2d_3b_1x1.forward(x)));
        let x = self
            .mixed_5d
            .forward(self.mixed_5c.forward(self.mixed_5b.forward(x)));
        let x = self.mixed_6a.forward(x);
        let x = self.mixed_6c.forward(self.mixed_6b.forward(x));
        let x = self.mixed_6e.forward(self.mixed_6d.forward(x));
        let x = self.mixed_7a.forward(x);
        let x = self.mixed_7c.forward(self.mixed_7b.forward(x));
        adaptive_avg_pool2d(x, [1, 1]).reshape([n, FEATURES])
    }
}

/// pytorch-fid's keys -> ours: `Conv2d_1a_3x3.*` -> `conv2d_1a_3x3.*`, `Mixed_5b.*` ->
/// `mixed_5b.*`; the rest of a key (branch, `conv`/`bn`, tensor) keeps its name. The file's
/// classifier (`fc.*`) has no place here and is left unused.
pub fn key_rules() -> KeyRules {
    vec![
        (r"^Conv2d_(\w+)\.(.+)$".into(), "conv2d_$1.$2".into()),
        (r"^Mixed_(\w+)\.(.+)$".into(), "mixed_$1.$2".into()),
    ]
}
