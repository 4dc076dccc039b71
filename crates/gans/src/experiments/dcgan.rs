//! `gans/dcgan`: the same adversarial loop with a convolutional generator and
//! discriminator (DCGAN, Radford et al. 2015).

use super::{GanConfig, run_gan};
use crate::models::{DcDiscriminator, DcGenerator};
use nn_core::error::ConfigError;
use nn_core::{ExperimentConfig, Result, Run, Summary};

/// `gans/dcgan`'s settings.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct DcganConfig(pub GanConfig);

impl ExperimentConfig for DcganConfig {
    /// About a minute on 2 cores at 32x32: enough for the Frechet distance to fall to about
    /// 0.6 of the first epoch's in each of three seeds (5 epochs gave 0.7 to 0.9).
    fn quick() -> Self {
        Self(GanConfig {
            epochs: 20,
            snapshot_epochs: vec![1, 5, 10],
            width: 16,
            ..GanConfig::quick_base()
        })
    }

    fn full() -> Self {
        Self(GanConfig {
            side: 64,
            latent: 100,
            width: 32,
            epochs: 40,
            ema_decay: 0.999,
            snapshot_epochs: vec![1, 5, 10, 20, 30],
            frechet_samples: 3_000,
            ..GanConfig::quick_base()
        })
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.0.check()
    }

    fn fixed_datasets(&self) -> Vec<String> {
        self.0.fixed_datasets()
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The same loop with convolutions: compare the progression and the Frechet distance with the fully connected GAN's; D's outputs show how much stronger a convolutional discriminator is.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "Frechet {frechet_fixed} (floor {frechet_fixed_floor}, noise {frechet_noise_baseline}); called cat {cat_share:%} (real faces {cat_share_real:%})";

/// Trains the convolutional pair and measures its samples.
pub fn run(config: &DcganConfig, run: &mut Run) -> Result<Summary> {
    run_gan(&config.0, run, |c, [channels, side, _], device| {
        (
            DcGenerator::with_options(
                c.latent,
                c.width,
                [channels, side],
                &c.dcgan_options(),
                device,
            ),
            DcDiscriminator::with_options(c.width, [channels, side], &c.dcgan_options(), device),
        )
    })
}
