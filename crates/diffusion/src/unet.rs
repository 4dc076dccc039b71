//! The noise-prediction network: a U-Net (Ronneberger et al.) as in DDPM. An encoder
//! halves the side level by level, a decoder doubles it back, and skip connections carry
//! each encoder activation to the decoder step of the same size. The step t and the
//! class label enter every residual block through one embedding vector; the label
//! embedding has one extra row, the "null" class, so the same network also predicts
//! unconditionally (classifier-free guidance mixes the two).

use crate::blocks::{
    Downsample, ResBlock, SelfAttention, Upsample, conv3x3, group_norm, timestep_embedding,
};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{
    Embedding, EmbeddingConfig, GroupNorm, Initializer, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;
use burn::tensor::activation::silu;
use nn_core::models::{NormActivation, conv_forward, group_norm_act};

/// The shape of a U-Net.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UNetSpec {
    /// Image channels (1 grey, 3 colour).
    pub channels: usize,
    /// Feature maps at full resolution; level i has `width * channel_mults[i]`.
    pub width: usize,
    /// One entry per resolution level; the side halves between levels, so it must divide
    /// by 2^(levels - 1) (28 -> 14 -> 7 with three levels).
    pub channel_mults: Vec<usize>,
    /// Residual blocks per level on the way down (one more on the way up).
    pub res_blocks: usize,
    /// Self-attention in the middle, at the lowest resolution.
    pub attention: bool,
    pub groups: usize,
    pub dropout: f64,
    /// Classes to condition on (0: unconditional).
    pub classes: usize,
}

impl UNetSpec {
    /// Size of the time (and label) embedding.
    pub fn embedding(&self) -> usize {
        4 * self.width
    }

    /// The class index standing for "no class" (classifier-free guidance).
    pub fn null_class(&self) -> usize {
        self.classes
    }

    /// Whether images of `side` pass through every level.
    pub fn fits(&self, side: usize) -> bool {
        side.is_multiple_of(1 << (self.channel_mults.len().max(1) - 1))
    }
}

/// One resolution level of the encoder.
#[derive(Module, Debug)]
pub struct DownLevel {
    pub blocks: Vec<ResBlock>,
    pub down: Option<Downsample>,
}

/// One resolution level of the decoder.
#[derive(Module, Debug)]
pub struct UpLevel {
    pub blocks: Vec<ResBlock>,
    pub up: Option<Upsample>,
}

#[derive(Module, Debug)]
pub struct UNet {
    pub conv_in: Conv2d,
    pub time_1: Linear,
    pub time_2: Linear,
    pub label: Option<Embedding>,
    pub down: Vec<DownLevel>,
    pub mid_1: ResBlock,
    pub mid_attention: Option<SelfAttention>,
    pub mid_2: ResBlock,
    pub up: Vec<UpLevel>,
    pub norm_out: GroupNorm,
    pub conv_out: Conv2d,
    pub width: usize,
}

impl UNet {
    pub fn new(spec: &UNetSpec, device: &Device) -> Self {
        let (w, e, g, p) = (spec.width, spec.embedding(), spec.groups, spec.dropout);
        let levels = spec.channel_mults.len();
        let mut skips = vec![w];
        let mut current = w;
        let mut down = Vec::new();
        for (i, mult) in spec.channel_mults.iter().enumerate() {
            let out = w * mult;
            let mut blocks = Vec::new();
            for _ in 0..spec.res_blocks {
                blocks.push(ResBlock::new(current, out, e, g, p, device));
                current = out;
                skips.push(current);
            }
            let last = i + 1 == levels;
            if !last {
                skips.push(current);
            }
            down.push(DownLevel {
                blocks,
                down: (!last).then(|| Downsample::new(current, device)),
            });
        }
        let mid_1 = ResBlock::new(current, current, e, g, p, device);
        let mid_attention = spec
            .attention
            .then(|| SelfAttention::new(current, g, device));
        let mid_2 = ResBlock::new(current, current, e, g, p, device);
        let mut up = Vec::new();
        for (i, mult) in spec.channel_mults.iter().enumerate().rev() {
            let out = w * mult;
            let mut blocks = Vec::new();
            for _ in 0..=spec.res_blocks {
                let skip = skips.pop().unwrap_or(w);
                blocks.push(ResBlock::new(current + skip, out, e, g, p, device));
                current = out;
            }
            up.push(UpLevel {
                blocks,
                up: (i > 0).then(|| Upsample::new(current, device)),
            });
        }
        Self {
            conv_in: conv3x3(spec.channels, w, device),
            time_1: LinearConfig::new(w, e).init(device),
            time_2: LinearConfig::new(e, e).init(device),
            label: (spec.classes > 0)
                .then(|| EmbeddingConfig::new(spec.classes + 1, e).init(device)),
            down,
            mid_1,
            mid_attention,
            mid_2,
            up,
            norm_out: group_norm(g, current, device),
            conv_out: Conv2dConfig::new([current, spec.channels], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(Initializer::Zeros)
                .init(device),
            width: w,
        }
    }

    /// The time embedding of steps `t` (0-based) plus the label embedding of `labels`
    /// (`None`, or entries equal to the null class, for unconditional).
    pub fn embed(&self, t: &[usize], labels: Option<&[usize]>, device: &Device) -> Tensor<2> {
        let time = timestep_embedding(t, self.width, device);
        let emb = self.time_2.forward(silu(self.time_1.forward(time)));
        match (&self.label, labels) {
            (Some(table), Some(labels)) => {
                let ids: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
                let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [labels.len()]), device)
                    .reshape([labels.len(), 1]);
                let [n, _] = emb.dims();
                emb + table
                    .forward(ids)
                    .reshape([n, self.time_2.weight.dims()[1]])
            }
            (Some(table), None) => {
                let null = table.weight.dims()[0] - 1;
                self.embed(t, Some(&vec![null; t.len()]), device)
            }
            _ => emb,
        }
    }

    /// Predicted noise for `x` at 0-based steps `t` (one per image), conditioned on
    /// `labels` when the U-Net has classes: `[b, c, h, w]` -> `[b, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>, t: &[usize], labels: Option<&[usize]>) -> Tensor<4> {
        let emb = self.embed(t, labels, &x.device());
        let mut h = conv_forward(&self.conv_in, x);
        let mut skips = vec![h.clone()];
        for level in &self.down {
            for block in &level.blocks {
                h = block.forward(h, emb.clone());
                skips.push(h.clone());
            }
            if let Some(down) = &level.down {
                h = down.forward(h);
                skips.push(h.clone());
            }
        }
        h = self.mid_1.forward(h, emb.clone());
        if let Some(attention) = &self.mid_attention {
            h = attention.forward(h);
        }
        h = self.mid_2.forward(h, emb.clone());
        for level in &self.up {
            for block in &level.blocks {
                let skip = skips.pop().expect("one skip per decoder block");
                h = block.forward(Tensor::cat(vec![h, skip], 1), emb.clone());
            }
            if let Some(up) = &level.up {
                let [_, _, sh, sw] = skips.last().expect("a skip below each upsample").dims();
                h = up.forward(h, [sh, sw]);
            }
        }
        conv_forward(
            &self.conv_out,
            group_norm_act(&self.norm_out, h, NormActivation::Silu),
        )
    }
}
