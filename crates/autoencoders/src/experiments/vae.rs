//! `autoencoders/vae`: a convolutional VAE. Its latent space is a distribution, so it can
//! generate: decode samples from the prior N(0, I), walk in a straight line between two
//! real images' codes, and (with a 2-D latent) draw where each class lives.

use super::{VaeFigures, check_common, first_images, load, train_vae};
use crate::figures::{save_rows, save_scatter};
use crate::training::{LoopOptions, batches, values};
use crate::vae::{Vae, VaeConfig, Variant};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::ImageDataset;
use nn_core::error::ConfigError;
use nn_core::train::read_curve;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `autoencoders/vae`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaeExperimentConfig {
    pub dataset: String,
    pub train_size: usize,
    pub test_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub latent: usize,
    pub width: usize,
    /// Weight of the KL term (1 is the true bound; > 1 is a beta-VAE).
    pub beta: f64,
    /// Also train a VAE with a 2-D latent and map the test set in it, coloured by class.
    pub latent_map: bool,
}

impl ExperimentConfig for VaeExperimentConfig {
    fn quick() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            train_size: 6_000,
            test_size: 1_000,
            epochs: 3,
            batch_size: 64,
            lr: 1e-3,
            latent: 16,
            width: 32,
            beta: 1.0,
            latent_map: true,
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
        nn_core::experiment::require(self.latent > 0, "latent", "must be positive")?;
        nn_core::experiment::require(self.beta >= 0.0, "beta", "must not be negative")
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The VAE's two loss terms (reconstruction and KL), reconstructions, samples from the prior, a walk between two codes, and a 2-D latent map where similar clothes should sit near each other.";

/// Trains the VAE; draws reconstructions, prior samples and an interpolation; with
/// `latent_map`, trains a second VAE with a 2-D latent and maps the test set in it.
pub fn run(config: &VaeExperimentConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load(run, &config.dataset, config.train_size, config.test_size)?;
    let shape = train.shape;
    let options = LoopOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        title: format!("VAE, latent {}", config.latent),
        plot: vec!["recon", "kl", "neg_elbo"],
    };
    let network = VaeConfig::new(shape.channels, shape.height, config.latent)
        .with_width(config.width)
        .with_variant(Variant::Standard);
    let (trained, dir) = train_vae(run, "vae", &network, &options, config.beta, (&train, &test))?;
    let cpu = run.device.clone();
    let model = trained.model.valid();

    draw_generations(run, &model, &test, config.latent, &cpu)?;

    let first_neg_elbo = read_curve(&dir, "test", "neg_elbo")
        .first()
        .map_or(f64::NAN, |p| p.1);
    let mut figures: BTreeMap<String, f64> = VaeFigures::measure(&trained, &test, &cpu)
        .entries()
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    figures.insert("test_recon_nats".into(), trained.test["recon"]);
    figures.insert("first_epoch_test_neg_elbo_nats".into(), first_neg_elbo);

    if config.latent_map {
        let data = (&train, &test);
        let small_neg_elbo = map_latent_2d(config, run, &network, options, data, &cpu)?;
        figures.insert("latent2d_test_neg_elbo_nats".into(), small_neg_elbo);
    }
    Ok(run.summary(config.epochs, figures))
}

/// Reconstructions, prior samples and an interpolation strip: the first ten test images
/// beside their decoded means (`reconstructions`), four rows of ten decodings of
/// `z ~ N(0, I)` (`samples`, `[10, latent]` each, from the CPU generator seeded for them),
/// and ten steps from test image 0's mean to image 1's (`interpolation`).
fn draw_generations(
    run: &mut Run,
    model: &Vae,
    test: &ImageDataset,
    latent: usize,
    cpu: &Device,
) -> Result<()> {
    let images = first_images(test, 10, cpu);
    let (mu, _) = model.encoder.forward(images.clone());
    save_rows(
        run,
        "reconstructions",
        &[("input", images), ("VAE", model.generate(mu.clone()))],
    )?;
    nn_core::backend::seed_device(cpu, run.seed, "prior samples");
    let rows: Vec<(String, Tensor<4>)> = (0..4)
        .map(|r| {
            let z = Tensor::<2>::random([10, latent], Distribution::Normal(0.0, 1.0), cpu);
            (format!("z~N(0,I) {}", r + 1), model.generate(z))
        })
        .collect();
    save_rows(run, "samples", &rows)?;
    if mu.dims()[0] >= 2 {
        let a = mu.clone().slice([0..1, 0..latent]);
        let b = mu.slice([1..2, 0..latent]);
        let steps: Vec<Tensor<2>> = (0..10)
            .map(|i| {
                let t = i as f64 / 9.0;
                a.clone() * (1.0 - t) + b.clone() * t
            })
            .collect();
        save_rows(
            run,
            "interpolation",
            &[("test 0 -> test 1", model.generate(Tensor::cat(steps, 0)))],
        )?;
    }
    Ok(())
}

/// Trains a second VAE of `network`'s shape with a 2-D latent (stage `latent-2d`) and draws
/// every test image at its latent mean, coloured by class (`latent_map`); returns that
/// VAE's test negative ELBO.
fn map_latent_2d(
    config: &VaeExperimentConfig,
    run: &mut Run,
    network: &VaeConfig,
    options: LoopOptions,
    (train, test): (&ImageDataset, &ImageDataset),
    cpu: &Device,
) -> Result<f64> {
    let flat = VaeConfig {
        latent: 2,
        ..network.clone()
    };
    let options = LoopOptions {
        title: "VAE, latent 2".into(),
        ..options
    };
    let (small, _) = train_vae(
        run,
        "latent-2d",
        &flat,
        &options,
        config.beta,
        (train, test),
    )?;
    let small_neg_elbo = small.test["neg_elbo"];
    let small = small.model.valid();
    let mut points = Vec::new();
    for (chunk, images) in batches(test, 256, cpu) {
        let (mu, _) = small.encoder.forward(images);
        let means = values(mu);
        for (i, &index) in chunk.iter().enumerate() {
            let label = test.label(index).unwrap_or(0);
            points.push((means[2 * i] as f64, means[2 * i + 1] as f64, label));
        }
    }
    save_scatter(
        run,
        "latent_map",
        &format!("{}: test images at their 2-D latent means", config.dataset),
        &points,
        &test.class_names,
    )?;
    Ok(small_neg_elbo)
}
