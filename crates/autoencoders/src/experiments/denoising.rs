//! `autoencoders/denoising`: the autoencoder sees a corrupted image and must rebuild the
//! clean one, so its code keeps what images look like and drops the noise. One model per
//! kind of noise; PSNR of the noisy input and of the output against the clean image.

use super::{check_common, first_images, init_seeded, load};
use crate::autoencoder::{Autoencoder, AutoencoderConfig};
use crate::figures::save_rows;
use crate::noise::Noise;
use crate::training::{LoopOptions, Terms, batches, train_loop, values};
use burn::module::Module;
use nn_core::data::ImageDataset;
use nn_core::error::ConfigError;
use nn_core::metrics::psnr;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `autoencoders/denoising`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenoisingConfig {
    pub dataset: String,
    pub train_size: usize,
    pub test_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub code: usize,
    pub width: usize,
    /// One model is trained per noise; the first gives the headline figures.
    pub noises: Vec<Noise>,
}

impl ExperimentConfig for DenoisingConfig {
    fn quick() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            train_size: 4_000,
            test_size: 1_000,
            epochs: 3,
            batch_size: 64,
            lr: 1e-3,
            code: 128,
            width: 32,
            noises: vec![
                Noise::Gaussian { std: 0.3 },
                Noise::SaltAndPepper { amount: 0.2 },
            ],
        }
    }

    fn full() -> Self {
        Self {
            train_size: 0,
            test_size: 0,
            epochs: 8,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        check_common(&self.dataset, self.epochs, self.batch_size, self.lr)?;
        nn_core::experiment::require(
            !self.noises.is_empty(),
            "noises",
            "needs at least one noise",
        )?;
        for noise in &self.noises {
            let ok = match *noise {
                Noise::Gaussian { std } => std > 0.0 && std.is_finite(),
                Noise::SaltAndPepper { amount } => amount > 0.0 && amount <= 1.0,
            };
            nn_core::experiment::require(
                ok,
                "noises",
                "Gaussian std must be positive; salt-and-pepper amount in (0, 1]",
            )?;
        }
        Ok(())
    }
}

/// Mean per-image PSNR (dB, peak 1) of the noisy inputs and of the model's outputs against
/// the clean test images, with the noise drawn from a seeded device.
fn psnr_pair(model: &Autoencoder, test: &ImageDataset, noise: Noise, run: &Run) -> (f64, f64) {
    let device = run.device.clone();
    nn_core::backend::seed_device(&device, run.seed, "denoising test noise");
    let model = model.valid();
    let (mut noisy_sum, mut out_sum) = (0.0, 0.0);
    let size = test.shape.len();
    for (chunk, clean) in batches(test, 256, &device) {
        let noisy = noise.apply(clean.clone());
        let (_, out) = model.forward(noisy.clone());
        let (clean, noisy, out) = (values(clean), values(noisy), values(out));
        for i in 0..chunk.len() {
            let range = i * size..(i + 1) * size;
            noisy_sum += psnr(&clean[range.clone()], &noisy[range.clone()], 1.0);
            out_sum += psnr(&clean[range.clone()], &out[range], 1.0);
        }
    }
    let n = test.len().max(1) as f64;
    (noisy_sum / n, out_sum / n)
}

/// The stage name and the prefix of a noise's figures in `summary.json`.
fn noise_key(noise: &Noise) -> &'static str {
    match noise {
        Noise::Gaussian { .. } => "gaussian",
        Noise::SaltAndPepper { .. } => "salt_and_pepper",
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Noisy inputs, the network's clean-up and the originals, for Gaussian and salt-and-pepper noise: the PSNR gain in decibels says how much noise it removed.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "PSNR {noisy_psnr_db} -> {denoised_psnr_db} dB";

/// Trains one denoising autoencoder per noise, each in its own stage, and reports the PSNR
/// of the noisy inputs and of the outputs.
pub fn run(config: &DenoisingConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load(run, &config.dataset, config.train_size, config.test_size)?;
    let shape = train.shape;
    let mut figures = BTreeMap::new();
    for (index, noise) in config.noises.iter().enumerate() {
        let key = noise_key(noise);
        let mut stage = run.stage(key)?;
        let model = init_seeded(&stage, |device| {
            AutoencoderConfig::new(shape.channels, shape.height, config.code)
                .with_width(config.width)
                .init(device)
        });
        let options = LoopOptions {
            epochs: config.epochs,
            batch_size: config.batch_size,
            lr: config.lr,
            title: format!("denoising autoencoder, {}", noise.describe()),
            plot: vec![],
        };
        let noise = *noise;
        let trained = train_loop(&mut stage, model, &train, &test, &options, move |m, x| {
            let (_, out) = m.forward(noise.apply(x.clone()));
            Terms {
                loss: (out - x).powi_scalar(2).mean(),
                logged: vec![],
            }
        })?;
        let (noisy_db, denoised_db) = psnr_pair(&trained.model, &test, noise, &stage);

        let cpu = stage.device.clone();
        nn_core::backend::seed_device(&cpu, stage.seed, "grid noise");
        let clean = first_images(&test, 10, &cpu);
        let noisy = noise.apply(clean.clone());
        let (_, out) = trained.model.valid().forward(noisy.clone());
        save_rows(
            &mut stage,
            "denoised",
            &[("clean", clean), ("noisy", noisy), ("denoised", out)],
        )?;
        run.absorb(&stage);
        figures.insert(format!("{key}_noisy_psnr_db"), noisy_db);
        figures.insert(format!("{key}_denoised_psnr_db"), denoised_db);
        figures.insert(format!("{key}_test_mse"), trained.test["loss"]);
        if index == 0 {
            figures.insert("noisy_psnr_db".into(), noisy_db);
            figures.insert("denoised_psnr_db".into(), denoised_db);
            figures.insert("psnr_gain_db".into(), denoised_db - noisy_db);
        }
    }
    Ok(run.summary(config.epochs, figures))
}
