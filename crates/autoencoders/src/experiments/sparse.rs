//! `autoencoders/sparse`: a wider code (64 sigmoid units) made sparse by a penalty
//! ([`Sparsity`]), so each image is described by a few active units; the measured mean
//! activation against the target.

use super::{check_common, first_images, init_seeded, load};
use crate::autoencoder::AutoencoderConfig;
use crate::figures::{code_pictures, save_rows};
use crate::sparsity::Sparsity;
use crate::training::{LoopOptions, Terms, train_loop};
use burn::module::Module;
use nn_core::error::ConfigError;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

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

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The mean activation of the code units against the target sparsity (the curve should approach it) and reconstructions that stay recognisable with few active units.";

/// Trains the sparse autoencoder and shows which code units fire for the first test images.
pub fn run(config: &SparseConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load(run, &config.dataset, config.train_size, config.test_size)?;
    let shape = train.shape;
    let model = init_seeded(run, |device| {
        AutoencoderConfig::new(shape.channels, shape.height, config.code)
            .with_width(config.width)
            .with_sigmoid_code(true)
            .init(device)
    });
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
        let penalty = sparsity.penalty(code.clone());
        // Squared error summed over an image's pixels, so the penalty's scale does not
        // depend on the image size.
        Terms {
            loss: mse.clone() * pixels + penalty,
            logged: vec![("mse", mse), ("mean_activation", code.mean())],
        }
    })?;

    // Which units fire for the first test images: the code as a picture, one row each.
    let cpu = run.device.clone();
    let images = first_images(&test, 10, &cpu);
    let (code, out) = trained.model.valid().forward(images.clone());
    let code_images = code_pictures(code, [shape.channels, shape.height, shape.width]);
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
