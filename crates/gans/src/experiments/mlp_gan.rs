//! `gans/mlp-gan`, the assignment: a fully connected generator and discriminator trained
//! against each other on cat faces.

use super::{GanConfig, run_gan};
use crate::models::{MlpDiscriminator, MlpGenerator};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::{ExperimentConfig, Result, Run, Summary};

/// `gans/mlp-gan`'s settings.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct MlpGanConfig(pub GanConfig);

impl ExperimentConfig for MlpGanConfig {
    fn quick() -> Self {
        Self(GanConfig::quick_base())
    }

    fn full() -> Self {
        Self(GanConfig {
            epochs: 150,
            // Samples from an average of G's weights: the live G's pixels swing from epoch
            // to epoch (its Frechet distance went 414 -> 771 between epochs 100 and 150).
            ema_decay: 0.999,
            snapshot_epochs: vec![1, 5, 10, 25, 50, 100],
            frechet_samples: 3_000,
            ..GanConfig::quick_base()
        })
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.0.check()?;
        require(
            !self.0.hidden_generator.is_empty() && !self.0.hidden_discriminator.is_empty(),
            "hidden_generator",
            "both networks need at least one hidden layer",
        )
    }

    fn fixed_datasets(&self) -> Vec<String> {
        self.0.fixed_datasets()
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The same noise vectors rendered through the epochs (noise, then a grey average, then cat faces), D's outputs on real and fake images (a game, not a rout: neither should reach 0 or 1), and the Frechet distance to held-out real cats falling well below the noise baseline.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "Frechet {frechet_fixed} (floor {frechet_fixed_floor}, noise {frechet_noise_baseline}); called cat {cat_share:%} (real faces {cat_share_real:%})";

/// Trains the fully connected pair and measures its samples.
pub fn run(config: &MlpGanConfig, run: &mut Run) -> Result<Summary> {
    run_gan(&config.0, run, |c, shape, device| {
        (
            MlpGenerator::new(c.latent, &c.hidden_generator, shape, device),
            MlpDiscriminator::new(shape, &c.hidden_discriminator, device),
        )
    })
}
