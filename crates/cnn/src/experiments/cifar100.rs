//! `cnn/cifar100`: a CNN with batch normalisation on CIFAR-100's 100 fine classes, trained
//! with and without data augmentation; top-1 and top-5. `--dataset cifar-10` runs the same
//! code on CIFAR-10.

use super::overlay_stages;
use nn_core::augment::Pipeline;
use nn_core::data::{DataRequest, Normalization, load_train_test};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::models::{CnnSpec, SmallCnn};
use nn_core::train::{ClassifierOptions, train_stage};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `cnn/cifar100`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CifarConfig {
    /// `cifar-100` (fine labels) or `cifar-10`.
    pub dataset: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub cnn: CnnSpec,
    /// Also train without augmentation, to compare.
    pub compare_without_augmentation: bool,
    /// Training images used (a seeded subset); 0 for all.
    pub train_size: usize,
}

impl ExperimentConfig for CifarConfig {
    fn quick() -> Self {
        Self {
            dataset: "cifar-100".into(),
            epochs: 2,
            batch_size: 64,
            lr: 1e-3,
            cnn: CnnSpec {
                channels: vec![32, 64, 128],
                batch_norm: true,
                hidden: 256,
                dropout: 0.3,
            },
            compare_without_augmentation: true,
            train_size: 4_000,
        }
    }

    fn full() -> Self {
        Self {
            epochs: 30,
            train_size: 0,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            ["cifar-100", "cifar-10"].contains(&self.dataset.as_str()),
            "dataset",
            "must be \"cifar-100\" or \"cifar-10\"",
        )?;
        require_training(self.epochs, self.batch_size, self.lr)?;
        require(
            !self.cnn.channels.is_empty() && !self.cnn.channels.contains(&0),
            "cnn.channels",
            "needs positive channel counts",
        )?;
        Ok(())
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "A batch-norm CNN with and without augmentation: look at the gap between training and test accuracy; augmentation should narrow it.";

/// Trains the same CNN with augmentation (and, to compare, without) from the same
/// initialisation, and overlays their accuracy curves.
pub fn run(config: &CifarConfig, run: &mut Run) -> Result<Summary> {
    let request = DataRequest {
        train_size: config.train_size,
        ..DataRequest::all(&config.dataset)
    };
    let (train, test) = load_train_test(run, request)?;
    if config.dataset != "cifar-100" {
        run.note_departure(
            "CIFAR-100",
            &format!("`{}`", config.dataset),
            "chosen with --dataset",
        );
    }
    let device = run.train_device();
    let normalization = Normalization::fit(&train);
    let mut variants = vec![("augmented", true)];
    if config.compare_without_augmentation {
        variants.push(("plain", false));
    }
    let mut figures = BTreeMap::new();
    let mut dirs = Vec::new();
    for (name, augment) in variants {
        nn_core::backend::seed_device(&device, run.seed, "init");
        let model = SmallCnn::new(&config.cnn, train.shape, train.num_classes(), &device);
        let options = ClassifierOptions {
            augment: augment.then(Pipeline::cifar_standard),
            ..ClassifierOptions::adam(
                config.epochs,
                config.batch_size,
                config.lr,
                normalization.clone(),
                format!("CNN on {} ({name})", config.dataset),
            )
            .with_cosine_decay()
        };
        let trained = train_stage(run, name, model, &train, &test, &options)?;
        let prefix = if augment {
            String::new()
        } else {
            format!("{name}_")
        };
        figures.extend(trained.figures(&prefix));
        dirs.push((name, trained.dir.clone()));
    }
    overlay_stages(
        run,
        &dirs,
        "accuracy",
        &format!("{}: with and without augmentation", config.dataset),
    )?;
    Ok(run.summary(config.epochs, figures))
}
