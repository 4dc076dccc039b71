//! `autoencoders/sparse`: a wider code (64 sigmoid units) made sparse by a penalty, so
//! each image is described by a few active units. The KL penalty pulls every unit's mean
//! activation towards a small target rho: `sum_j KL(rho || rho_hat_j)`; the L1 penalty
//! pushes all activations towards zero.

use crate::autoencoder::AutoencoderConfig;
use crate::data::{check_common, load};
use crate::figures::save_rows;
use crate::train::{LoopOptions, Terms, train_loop, unit_batch};
use burn::module::Module;
use burn::prelude::*;
use nn_core::error::ConfigError;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// The sparsity constraint on the code.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sparsity {
    /// `weight * sum_j KL(target || mean activation of unit j over the batch)`.
    Kl { target: f64, weight: f64 },
    /// `weight * mean over the batch of sum_j |code_j|`.
    L1 { weight: f64 },
}

/// Settings of `autoencoders/sparse`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparseConfig {
    pub dataset: String,
    pub train_size: usize,
    pub test_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
    pub code: usize,
    pub width: usize,
    pub sparsity: Sparsity,
}

impl ExperimentConfig for SparseConfig {
    fn quick() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            train_size: 6_000,
            test_size: 1_000,
            epochs: 3,
            batch_size: 64,
            lr: 1e-3,
            seed: 42,
            code: 64,
            width: 32,
            sparsity: Sparsity::Kl {
                target: 0.05,
                weight: 1.0,
            },
        }
    }

    fn full() -> Self {
        Self {
            train_size: 0,
            test_size: 0,
            epochs: 10,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        check_common(&self.dataset, self.epochs, self.batch_size, self.lr)?;
        let ok = match self.sparsity {
            Sparsity::Kl { target, weight } => target > 0.0 && target < 1.0 && weight >= 0.0,
            Sparsity::L1 { weight } => weight >= 0.0,
        };
        nn_core::experiment::require(
            ok,
            "sparsity",
            "KL target must be in (0, 1) and weights non-negative",
        )
    }
}

/// `sum_j KL(rho || rho_hat_j)` for Bernoulli units, `rho_hat` the mean activation of each
/// unit over the batch (clamped away from 0 and 1 to keep the logarithms finite).
pub fn kl_sparsity(code: Tensor<2>, target: f64) -> Tensor<1> {
    let rho_hat = code.mean_dim(0).clamp(1e-6, 1.0 - 1e-6);
    let rho = target;
    let kl = (rho_hat.clone().recip() * rho).log() * rho
        + ((rho_hat.neg().add_scalar(1.0)).recip() * (1.0 - rho)).log() * (1.0 - rho);
    kl.sum()
}

pub fn run(config: &SparseConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load(run, &config.dataset, config.train_size, config.test_size)?;
    let device = run.train_device();
    let shape = train.shape;
    nn_core::backend::seed_device(&device, run.seed, "init");
    let model = AutoencoderConfig::new(shape.channels, shape.height, config.code)
        .with_width(config.width)
        .with_sigmoid_code(true)
        .init(&device);
    let options = LoopOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        title: "sparse autoencoder".into(),
        plot: vec!["mean_activation"],
    };
    let sparsity = config.sparsity;
    let pixels = shape.len() as f64;
    let trained = train_loop(run, model, &train, &test, &options, move |m, x| {
        let (code, out) = m.forward(x.clone());
        let mse = (out - x).powi_scalar(2).mean();
        let penalty = match sparsity {
            Sparsity::Kl { target, weight } => kl_sparsity(code.clone(), target) * weight,
            Sparsity::L1 { weight } => code.clone().abs().sum_dim(1).mean() * weight,
        };
        // Squared error summed over an image's pixels, so the penalty's scale does not
        // depend on the image size.
        Terms {
            loss: mse.clone() * pixels + penalty,
            logged: vec![("mse", mse), ("mean_activation", code.mean())],
        }
    })?;

    // Which units fire for the first test images: the code as a picture, one row each.
    let cpu = run.device.clone();
    let shown: Vec<usize> = (0..10.min(test.len())).collect();
    let images = unit_batch(&test, &shown, &cpu);
    let (code, out) = trained.model.valid().forward(images.clone());
    let side = (config.code as f64).sqrt().ceil() as usize;
    let [n, units] = code.dims();
    let padded = Tensor::cat(vec![code, Tensor::zeros([n, side * side - units], &cpu)], 1)
        .reshape([n, 1, side, side]);
    let code_images = burn::tensor::module::interpolate(
        padded,
        burn::tensor::ops::InterpolateOptions::new(burn::tensor::ops::InterpolateMode::Nearest)
            .with_output_size([shape.height, shape.width]),
    )
    .repeat_dim(1, shape.channels);
    save_rows(
        run,
        "reconstructions",
        &[("input", images), ("code", code_images), ("output", out)],
    )?;

    let mut figures = BTreeMap::from([
        ("test_mse".to_string(), trained.test["mse"]),
        (
            "mean_activation".to_string(),
            trained.test["mean_activation"],
        ),
    ]);
    if let Sparsity::Kl { target, .. } = config.sparsity {
        figures.insert("target_activation".into(), target);
    }
    Ok(run.summary(config.epochs, figures))
}
