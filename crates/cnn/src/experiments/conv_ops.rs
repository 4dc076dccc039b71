//! `cnn/conv-ops`: the hand-written convolution and pooling against burn on a grid of
//! kernel sizes, paddings and strides, and a picture of classic kernels at work.

use crate::figures;
use crate::ops::{Maps, avg_pool2d, conv2d, max_pool2d, output_size};
use burn::prelude::*;
use burn::tensor::module as functional;
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use rand::RngExt;
use std::collections::BTreeMap;

/// Settings of `cnn/conv-ops`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvOpsConfig {
    /// Kernel sizes, paddings and strides to check every combination of.
    pub kernels: Vec<usize>,
    pub paddings: Vec<usize>,
    pub strides: Vec<usize>,
    /// Random inputs per combination.
    pub trials: usize,
    /// The data set the pictured image comes from.
    pub dataset: String,
}

impl ExperimentConfig for ConvOpsConfig {
    fn quick() -> Self {
        Self {
            kernels: vec![1, 2, 3, 5],
            paddings: vec![0, 1, 2],
            strides: vec![1, 2, 3],
            trials: 1,
            dataset: "fashion-mnist".into(),
        }
    }

    fn full() -> Self {
        Self {
            kernels: vec![1, 2, 3, 4, 5, 7],
            paddings: vec![0, 1, 2, 3],
            strides: vec![1, 2, 3, 4],
            trials: 3,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            !self.kernels.is_empty() && !self.kernels.contains(&0),
            "kernels",
            "needs at least one positive value",
        )?;
        require(
            !self.strides.is_empty() && !self.strides.contains(&0),
            "strides",
            "needs at least one positive value",
        )?;
        require(
            !self.paddings.is_empty(),
            "paddings",
            "needs at least one positive value",
        )?;
        require(
            self.trials > 0,
            "trials",
            "needs at least one positive value",
        )?;
        Ok(())
    }
}

/// The maps as a burn tensor of the same shape.
fn to_tensor(maps: &Maps, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(maps.data.clone(), maps.shape), device)
}

/// Largest |ours - theirs|; `None` when the shapes differ.
fn max_error(ours: &Maps, theirs: Tensor<4>) -> Option<f64> {
    (ours.shape == theirs.dims()).then(|| {
        let values = theirs
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        ours.data
            .iter()
            .zip(&values)
            .map(|(a, b)| (a - b).abs() as f64)
            .fold(0.0, f64::max)
    })
}

/// Maps of `shape` drawn uniformly from [-1, 1).
fn random_maps(shape: [usize; 4], rng: &mut rand::rngs::StdRng) -> Maps {
    Maps {
        shape,
        data: (0..shape.iter().product())
            .map(|_| rng.random_range(-1.0..1.0))
            .collect(),
    }
}

/// Largest |hand-written - burn| over the grid: (conv, max pool, avg pool, combinations).
pub fn compare_with_burn(
    config: &ConvOpsConfig,
    seed: u64,
    device: &Device,
) -> std::result::Result<(f64, f64, f64, usize), String> {
    let mut rng = nn_core::backend::rng(seed, "conv-ops");
    let (mut conv_err, mut max_err, mut avg_err, mut checked) = (0f64, 0f64, 0f64, 0);
    for &k in &config.kernels {
        for &p in &config.paddings {
            for &s in &config.strides {
                for _ in 0..config.trials {
                    let (h, w) = (11, 13);
                    if output_size(h, k, p, s).is_none() || output_size(w, k, p, s).is_none() {
                        continue;
                    }
                    let input = random_maps([2, 3, h, w], &mut rng);
                    let weight = random_maps([4, 3, k, k], &mut rng);
                    let bias: Vec<f32> = (0..4).map(|_| rng.random_range(-1.0..1.0)).collect();
                    let ours = conv2d(&input, &weight, Some(&bias), s, p);
                    let theirs = functional::conv2d(
                        to_tensor(&input, device),
                        to_tensor(&weight, device),
                        Some(Tensor::from_data(
                            TensorData::new(bias.clone(), [4]),
                            device,
                        )),
                        ConvOptions::new([s, s], [p, p], [1, 1], 1),
                    );
                    conv_err = conv_err.max(
                        max_error(&ours, theirs)
                            .ok_or(format!("conv k{k} p{p} s{s}: output shapes differ"))?,
                    );
                    // Pooling windows may be padded by at most half their size (as in PyTorch).
                    if p <= k / 2 {
                        let ours = max_pool2d(&input, k, s, p);
                        let theirs = functional::max_pool2d(
                            to_tensor(&input, device),
                            MaxPoolOptions::new([k, k])
                                .with_stride([s, s])
                                .with_padding([p, p]),
                        );
                        max_err = max_err.max(
                            max_error(&ours, theirs)
                                .ok_or(format!("max pool k{k} p{p} s{s}: output shapes differ"))?,
                        );
                        let ours = avg_pool2d(&input, k, s, p);
                        let theirs = functional::avg_pool2d(
                            to_tensor(&input, device),
                            AvgPoolOptions::new([k, k])
                                .with_stride([s, s])
                                .with_padding([p, p])
                                .with_count_include_pad(true),
                        );
                        avg_err = avg_err.max(
                            max_error(&ours, theirs)
                                .ok_or(format!("avg pool k{k} p{p} s{s}: output shapes differ"))?,
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    Ok((conv_err, max_err, avg_err, checked))
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Convolution and pooling written by hand against burn's (the error should be at float rounding, about 1e-6), classic kernels at work on a real image (edges, blur, sharpening), and how padding and stride set the output size: floor((n + 2p - k) / s) + 1, drawn for a 3x3 kernel on a 5x5 input.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "max error vs burn {max_abs_error} over {combinations_checked} settings";

/// Checks the hand-written ops against burn, then draws classic kernels and pooling at
/// work on one real image, and how padding and stride set the output size.
pub fn run(config: &ConvOpsConfig, run: &mut Run) -> Result<Summary> {
    let (conv_err, max_err, avg_err, checked) =
        compare_with_burn(config, run.seed, &run.device).map_err(nn_core::Error::Other)?;
    eprintln!(
        "{checked} combinations: max |ours - burn| conv {conv_err:.2e}, max pool {max_err:.2e}, avg pool {avg_err:.2e}"
    );

    // The picture: one real image, classic kernels, their feature maps, pooled maps.
    let images = nn_core::data::load_split(run, &config.dataset, "test", 0)?;
    figures::kernels_at_work(run, &images)?;
    // How padding and stride set the output size, each drawn size checked against conv2d.
    crate::arithmetic::draw_conv_arithmetic(run)?;

    let mut metrics = BTreeMap::new();
    metrics.insert("max_abs_error".into(), conv_err.max(max_err).max(avg_err));
    metrics.insert("conv_max_abs_error".into(), conv_err);
    metrics.insert("max_pool_max_abs_error".into(), max_err);
    metrics.insert("avg_pool_max_abs_error".into(), avg_err);
    metrics.insert("combinations_checked".into(), checked as f64);
    Ok(run.summary(0, metrics))
}
