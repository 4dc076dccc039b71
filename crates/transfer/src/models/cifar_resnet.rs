//! The CIFAR-10 networks of He et al. (2016, section 4.2) that show why skip connections
//! exist: a 3x3 convolution to 16 channels, three stages of `n` blocks of two 3x3
//! convolutions (16, 32, 64 channels on 32x32, 16x16, 8x8 maps; each stage after the first
//! starts with a stride-2 block), global average pooling and one dense layer: `6n + 2`
//! layers with weights (20 for n = 3, 56 for n = 9). The **residual** network adds each
//! block's input to its output; where a block halves the map and doubles the channels, the
//! shortcut takes every other pixel and pads the new channels with zeros (the paper's
//! option A, no parameters). The **plain** network is the same stack without the additions.
//! ResNet-20 has 269,722 parameters and ResNet-56 853,018, as the paper's 0.27 M and 0.85 M;
//! a plain network has exactly as many.

use super::conv;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use nn_core::models::{NormActivation, batch_norm_act, conv_forward};
use nn_core::train::ImageClassifier;

/// One block: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, or without the
/// shortcut in a plain network.
#[derive(Module, Debug)]
pub struct CifarBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    /// The first block of a stage: halves the map and doubles the channels.
    #[module(skip)]
    downsample: bool,
    #[module(skip)]
    residual: bool,
}

impl CifarBlock {
    fn new(input: usize, output: usize, residual: bool, device: &Device) -> Self {
        let stride = if input == output { 1 } else { 2 };
        Self {
            conv1: conv(input, output, 3, stride, 1, false, device),
            bn1: BatchNormConfig::new(output).init(device),
            conv2: conv(output, output, 3, 1, 1, false, device),
            bn2: BatchNormConfig::new(output).init(device),
            downsample: stride == 2,
            residual,
        }
    }

    /// `[n, c, h, w]` -> `[n, c, h, w]`, or `[n, 2c, h / 2, w / 2]` for a stage's first block.
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = batch_norm_act(
            &self.bn1,
            conv_forward(&self.conv1, x.clone()),
            NormActivation::Relu,
        );
        let y = batch_norm_act(
            &self.bn2,
            conv_forward(&self.conv2, y),
            NormActivation::Identity,
        );
        if !self.residual {
            return relu(y);
        }
        let shortcut = if self.downsample { option_a(x) } else { x };
        relu(y + shortcut)
    }
}

/// The parameter-free shortcut of a downsampling block: every other pixel of `x`
/// (`[n, c, h, w]`, even `h` and `w`), zero-padded to `2c` channels (`c / 2` on each side).
fn option_a(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let every_other = x
        .reshape([n, c, h / 2, 2, w / 2, 2])
        .narrow(3, 0, 1)
        .narrow(5, 0, 1)
        .reshape([n, c, h / 2, w / 2]);
    let zeros = Tensor::<4>::zeros([n, c / 2, h / 2, w / 2], &every_other.device());
    Tensor::cat(vec![zeros.clone(), every_other, zeros], 1)
}

/// How deep, with or without skip connections.
#[derive(Config, Debug)]
pub struct CifarResNetConfig {
    /// Layers with weights, `6n + 2`: 8, 14, 20, 32, 44, 56, 110, ...
    pub depth: usize,
    /// Skip connections (a ResNet) or none (a plain network).
    #[config(default = true)]
    pub residual: bool,
    #[config(default = 10)]
    pub classes: usize,
}

/// The network: stem, `3n` blocks, global average pool, dense layer.
#[derive(Module, Debug)]
pub struct CifarResNet {
    stem: Conv2d,
    stem_bn: BatchNorm,
    blocks: Vec<CifarBlock>,
    fc: Linear,
}

impl CifarResNetConfig {
    /// Blocks per stage, `n = (depth - 2) / 6`; `None` unless `depth = 6n + 2`, `n >= 1`.
    pub fn blocks_per_stage(&self) -> Option<usize> {
        (self.depth >= 8 && (self.depth - 2).is_multiple_of(6)).then(|| (self.depth - 2) / 6)
    }

    /// Builds the network; `None` for a depth that is not `6n + 2`.
    pub fn init(&self, device: &Device) -> Option<CifarResNet> {
        let n = self.blocks_per_stage()?;
        let mut blocks = Vec::new();
        let mut channels = 16;
        for out in [16, 32, 64] {
            for _ in 0..n {
                blocks.push(CifarBlock::new(channels, out, self.residual, device));
                channels = out;
            }
        }
        Some(CifarResNet {
            stem: conv(3, 16, 3, 1, 1, false, device),
            stem_bn: BatchNormConfig::new(16).init(device),
            blocks,
            fc: LinearConfig::new(64, self.classes).init(device),
        })
    }
}

impl CifarResNetConfig {
    /// Multiply-accumulates of one forward pass on a `side` x `side` image (convolutions and
    /// the dense layer; 0 for a depth that is not `6n + 2`).
    pub fn macs(&self, side: usize) -> u64 {
        let Some(n) = self.blocks_per_stage() else {
            return 0;
        };
        let mut size = side as u64;
        let mut total = size * size * 9 * 3 * 16;
        let mut channels = 16u64;
        for out in [16u64, 32, 64] {
            for _ in 0..n {
                if out != channels {
                    size = size.div_ceil(2);
                }
                total += size * size * 9 * (channels * out + out * out);
                channels = out;
            }
        }
        total + 64 * self.classes as u64
    }
}

impl ImageClassifier for CifarResNet {
    /// `[batch, 3, 32, 32]` -> `[batch, classes]`.
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = batch_norm_act(
            &self.stem_bn,
            conv_forward(&self.stem, images),
            NormActivation::Relu,
        );
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x));
        let [n, c, _, _] = x.dims();
        let pooled = burn::tensor::module::adaptive_avg_pool2d(x, [1, 1]).reshape([n, c]);
        self.fc.forward(pooled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nn_core::train::learnable_parameter_count;

    fn device() -> Device {
        nn_core::backend::device(nn_core::BackendKind::Flex).unwrap()
    }

    /// The counts follow from the paper's layers alone: stem 3x3x3x16 + BN; per stage, n
    /// blocks of two 3x3 convolutions + BN (the first from the previous width); dense 64 x 10.
    #[test]
    fn multiply_accumulates_follow_the_layers() {
        // Stem 32*32*27*16 = 442,368; stage 1: 3 blocks of 2 convolutions of
        // 32*32*9*16*16 = 2,359,296 each; stage 2: 16*16*9*(16*32 + 32*32) = 3,538,944 for its
        // first block and 2 * 16*16*9*32*32 = 4,718,592 for each of the other two; stage 3
        // likewise at 8x8 with 32 -> 64 channels: 3,538,944 and 2 * 4,718,592; dense 640.
        let expected = 442_368
            + 6 * 2_359_296
            + (3_538_944 + 2 * 4_718_592)
            + (3_538_944 + 2 * 4_718_592)
            + 640;
        assert_eq!(CifarResNetConfig::new(20).macs(32), expected);
        // He et al. quote about 41 M for ResNet-20.
        assert!((40_000_000..42_000_000).contains(&expected));
        assert_eq!(CifarResNetConfig::new(21).macs(32), 0);
    }

    #[test]
    fn parameter_counts_are_the_papers() {
        let count = |depth, residual| {
            let net = CifarResNetConfig::new(depth)
                .with_residual(residual)
                .init(&device())
                .unwrap();
            learnable_parameter_count(&net)
        };
        assert_eq!(count(20, true), 269_722);
        assert_eq!(count(56, true), 853_018);
        assert_eq!(
            count(20, false),
            269_722,
            "the plain network has the same weights"
        );
        for depth in [0, 2, 7, 21] {
            assert!(
                CifarResNetConfig::new(depth).init(&device()).is_none(),
                "{depth}"
            );
        }
    }

    #[test]
    fn both_networks_map_cifar_images_to_class_scores() {
        let images = Tensor::<4>::random(
            [2, 3, 32, 32],
            burn::tensor::Distribution::Default,
            &device(),
        );
        for residual in [true, false] {
            let net = CifarResNetConfig::new(8)
                .with_residual(residual)
                .init(&device())
                .unwrap();
            assert_eq!(net.forward(images.clone()).dims(), [2, 10]);
        }
    }

    #[test]
    fn option_a_takes_every_other_pixel_and_pads_channels_with_zeros() {
        // Two channels of a 4x4 map, values 0..32.
        let values: Vec<f32> = (0..32).map(|v| v as f32).collect();
        let x = Tensor::<4>::from_data(TensorData::new(values, [1, 2, 4, 4]), &device());
        let y = option_a(x);
        assert_eq!(y.dims(), [1, 4, 2, 2]);
        let values: Vec<f32> = y.into_data().try_to_vec().unwrap();
        assert_eq!(
            values,
            [
                0., 0., 0., 0., 0., 2., 8., 10., 16., 18., 24., 26., 0., 0., 0., 0.
            ]
        );
    }
}
