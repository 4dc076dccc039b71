//! `autoencoders/vanilla`: a convolutional autoencoder squeezes each image through a small
//! code and rebuilds it; PCA with the same code size is the linear baseline it must beat.

use super::{check_common, first_images, init_seeded, load};
use crate::autoencoder::AutoencoderConfig;
use crate::figures::save_rows;
use crate::pca::{Pca, matrix};
use crate::training::{LoopOptions, Terms, train_loop};
use burn::module::Module;
use nn_core::data::subset;
use nn_core::error::ConfigError;
use nn_core::train::learnable_parameter_count;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `autoencoders/vanilla`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VanillaConfig {
    pub dataset: String,
    /// Training and test images (seeded subsets; 0 for all).
    pub train_size: usize,
    pub test_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Code size of the autoencoder, and number of PCA components.
    pub code: usize,
    pub width: usize,
    /// Training images PCA is fitted on (0 for all).
    pub pca_fit_size: usize,
}

impl ExperimentConfig for VanillaConfig {
    fn quick() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            train_size: 6_000,
            test_size: 1_000,
            epochs: 3,
            batch_size: 64,
            lr: 1e-3,
            code: 32,
            width: 32,
            pca_fit_size: 6_000,
        }
    }

    fn full() -> Self {
        Self {
            train_size: 0,
            test_size: 0,
            epochs: 15,
            pca_fit_size: 20_000,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        check_common(&self.dataset, self.epochs, self.batch_size, self.lr)?;
        nn_core::experiment::require(self.code > 0, "code", "must be positive")?;
        nn_core::experiment::require(self.width > 0, "width", "must be positive")
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Reconstructions by the autoencoder beside PCA with the same code size: compare how much shape each keeps at the same compression (the test errors are in the figures); the loss curve should flatten.";

/// Trains the autoencoder, fits PCA with as many components, and compares their test MSE
/// and reconstructions.
pub fn run(config: &VanillaConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load(run, &config.dataset, config.train_size, config.test_size)?;
    let shape = train.shape;
    let model = init_seeded(run, |device| {
        AutoencoderConfig::new(shape.channels, shape.height, config.code)
            .with_width(config.width)
            .init(device)
    });
    let params = learnable_parameter_count(&model);
    let options = LoopOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        title: format!("autoencoder, code {}", config.code),
        plot: vec![],
    };
    let trained = train_loop(run, model, &train, &test, &options, |m, x| {
        let (_, out) = m.forward(x.clone());
        let mse = (out - x).powi_scalar(2).mean();
        Terms {
            loss: mse,
            logged: vec![],
        }
    })?;

    let cpu = run.device.clone();
    let pca_train = subset(train.clone(), config.pca_fit_size, run.seed);
    let pca = Pca::fit(matrix(&pca_train, &cpu), config.code, 60, run.seed);
    let pca_mse = pca.mse(matrix(&test, &cpu));

    let images = first_images(&test, 10, &cpu);
    let (_, rebuilt) = trained.model.valid().forward(images.clone());
    let [n, c, h, w] = images.dims();
    let linear = pca
        .reconstruct(images.clone().reshape([n, c * h * w]))
        .clamp(0.0, 1.0)
        .reshape([n, c, h, w]);
    save_rows(
        run,
        "reconstructions",
        &[
            ("input", images),
            ("autoencoder", rebuilt),
            (format!("PCA {}", config.code).as_str(), linear),
        ],
    )?;
    let figures = BTreeMap::from([
        ("test_mse".to_string(), trained.test["loss"]),
        ("pca_test_mse".to_string(), pca_mse),
        ("params".to_string(), params as f64),
        ("code_size".to_string(), config.code as f64),
        ("train_seconds".to_string(), trained.train_seconds),
    ]);
    Ok(run.summary(config.epochs, figures))
}
