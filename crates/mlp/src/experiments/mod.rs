//! The week's four experiments and what `mlp/scratch` and `mlp/burn` share: one config,
//! one seeded initial network, and the overlay of one's curves on the other's.

pub mod activations;
pub mod burn;
pub mod perceptron;
pub mod scratch;

use crate::model::Mlp;
use nn_core::data::ImageDataset;
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::train::stage::overlay_as;
use nn_core::{ExperimentConfig, Result, Run};

/// Settings shared by `mlp/scratch` and `mlp/burn` (keep them equal to overlay the curves).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FashionMlpConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per SGD step.
    pub batch_size: usize,
    /// SGD learning rate.
    pub lr: f64,
    /// SGD momentum (0 for plain SGD).
    pub momentum: f64,
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// `fashion-mnist` or `mnist`.
    pub dataset: String,
}

impl ExperimentConfig for FashionMlpConfig {
    fn quick() -> Self {
        Self {
            epochs: 2,
            batch_size: 128,
            lr: 0.05,
            momentum: 0.9,
            hidden: vec![256, 128],
            dataset: "fashion-mnist".into(),
        }
    }

    fn full() -> Self {
        Self {
            epochs: 20,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require_training(self.epochs, self.batch_size, self.lr)?;
        require(
            (0.0..1.0).contains(&self.momentum),
            "momentum",
            "must be in [0, 1)",
        )?;
        require(
            !self.hidden.contains(&0),
            "hidden",
            "layer sizes must be positive",
        )?;
        require(
            ["fashion-mnist", "mnist"].contains(&self.dataset.as_str()),
            "dataset",
            "must be \"fashion-mnist\" or \"mnist\"",
        )?;
        Ok(())
    }
}

/// The keys two runs must share for their curves to be comparable.
const SAME_SETUP: &[&str] = &[
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "hidden",
    "dataset",
];

/// Input, hidden and output widths of the network for `data`.
fn layer_sizes(config: &FashionMlpConfig, data: &ImageDataset) -> Vec<usize> {
    let mut sizes = vec![data.shape.len()];
    sizes.extend(&config.hidden);
    sizes.push(data.num_classes());
    sizes
}

/// The initial network both experiments start from: burn's initialisation, seeded.
fn initial_mlp(
    config: &FashionMlpConfig,
    data: &ImageDataset,
    run: &Run,
    device: &::burn::prelude::Device,
) -> Mlp {
    nn_core::backend::seed_device(device, run.seed, "init");
    Mlp::new(&layer_sizes(config, data), 0.0, device)
}

/// Lays this run's curves over those of the newest finished `other` run with the same
/// setup (`overlay_accuracy.png`, `overlay_loss.png`); notes it when there is none yet.
fn overlay(
    run: &mut Run,
    config: &FashionMlpConfig,
    other: &str,
    mine: &str,
    theirs: &str,
) -> Result<()> {
    let config_json =
        serde_json::to_value(config).map_err(|e| nn_core::Error::Other(e.to_string()))?;
    let Some(other_dir) = run.latest_sibling(other, &config_json, SAME_SETUP) else {
        run.note(format!(
            "no finished `{other}` run with the same settings under {} yet: the overlay of the two is drawn by whichever of mlp/scratch and mlp/burn finishes second (in the curriculum, mlp/burn)",
            run.out_root.display()
        ));
        return Ok(());
    };
    let own_dir = run.dir.clone();
    let stages = [(mine, own_dir.as_path()), (theirs, other_dir.as_path())];
    for key in ["accuracy", "loss"] {
        let title = format!("MLP by hand vs burn: {key} ({})", config.dataset);
        overlay_as(run, &stages, key, &title, "overlay")?;
    }
    run.note(format!("overlay drawn with {}", other_dir.display()));
    Ok(())
}
