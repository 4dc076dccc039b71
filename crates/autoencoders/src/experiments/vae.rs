//! `autoencoders/vae`: a convolutional VAE. Its latent space is a distribution, so it can
//! generate: decode samples from the prior N(0, I), walk in a straight line between two
//! real images' codes, and (with a 2-D latent) draw where each class lives.

use crate::data::{check_common, load};
use crate::figures::{save_rows, save_scatter};
use crate::train::{LoopOptions, train_loop, unit_batch};
use crate::vae::{Vae, VaeConfig, Variant};
use crate::vae_training::{quality, vae_terms};
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
    pub seed: u64,
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
            seed: 42,
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

/// Trains a VAE with `latent` dimensions in the stage `name`; returns it, its test figures
/// and the stage directory.
pub fn train_vae(
    run: &mut Run,
    name: &str,
    config: &VaeConfig,
    options: &LoopOptions,
    beta: f64,
    data: (&ImageDataset, &ImageDataset),
) -> Result<(Vae, BTreeMap<String, f64>, f64, std::path::PathBuf)> {
    let mut stage = run.stage(name)?;
    let device = stage.train_device();
    nn_core::backend::seed_device(&device, stage.seed, "init");
    let model = config.init(&device);
    let trained = train_loop(&mut stage, model, data.0, data.1, options, vae_terms(beta))?;
    run.absorb(&stage);
    Ok((
        trained.model,
        trained.test,
        trained.train_seconds,
        stage.dir,
    ))
}

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
    let (model, test_figures, seconds, dir) =
        train_vae(run, "vae", &network, &options, config.beta, (&train, &test))?;
    let cpu = run.device.clone();
    let model = model.valid();

    // Reconstructions, prior samples and an interpolation strip.
    let shown: Vec<usize> = (0..10.min(test.len())).collect();
    let images = unit_batch(&test, &shown, &cpu);
    let (mu, _) = model.encoder.forward(images.clone());
    save_rows(
        run,
        "reconstructions",
        &[("input", images), ("VAE", model.generate(mu.clone()))],
    )?;
    nn_core::backend::seed_device(&cpu, run.seed, "prior samples");
    let rows: Vec<(String, Tensor<4>)> = (0..4)
        .map(|r| {
            let z = Tensor::<2>::random([10, config.latent], Distribution::Normal(0.0, 1.0), &cpu);
            (format!("z~N(0,I) {}", r + 1), model.generate(z))
        })
        .collect();
    let row_refs: Vec<(&str, Tensor<4>)> =
        rows.iter().map(|(l, t)| (l.as_str(), t.clone())).collect();
    save_rows(run, "samples", &row_refs)?;
    if mu.dims()[0] >= 2 {
        let a = mu.clone().slice([0..1, 0..config.latent]);
        let b = mu.slice([1..2, 0..config.latent]);
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

    let pixels = shape.len() as f64;
    let first_neg_elbo = read_curve(&dir, "test", "neg_elbo")
        .first()
        .map_or(f64::NAN, |p| p.1);
    let q = quality(&model, &test, &cpu);
    let mut figures = BTreeMap::from([
        ("test_mse".to_string(), test_figures["mse"]),
        ("test_kl".to_string(), test_figures["kl"]),
        ("test_recon_nats".to_string(), test_figures["recon"]),
        ("test_neg_elbo_nats".to_string(), test_figures["neg_elbo"]),
        (
            "test_bits_per_dim".to_string(),
            test_figures["neg_elbo"] / (pixels * std::f64::consts::LN_2),
        ),
        ("first_epoch_test_neg_elbo_nats".to_string(), first_neg_elbo),
        ("test_psnr_db".to_string(), q.psnr_db),
        ("test_ssim".to_string(), q.ssim),
        ("train_seconds".to_string(), seconds),
    ]);

    if config.latent_map {
        let flat = VaeConfig {
            latent: 2,
            ..network.clone()
        };
        let options = LoopOptions {
            title: "VAE, latent 2".into(),
            ..options
        };
        let (small, small_figures, _, _) = train_vae(
            run,
            "latent-2d",
            &flat,
            &options,
            config.beta,
            (&train, &test),
        )?;
        let small = small.valid();
        let mut points = Vec::new();
        let indices: Vec<usize> = (0..test.len()).collect();
        for chunk in indices.chunks(256) {
            let (mu, _) = small.encoder.forward(unit_batch(&test, chunk, &cpu));
            let values = mu.into_data().try_into_vec::<f32>().unwrap_or_default();
            for (i, &index) in chunk.iter().enumerate() {
                let label = test.label(index).unwrap_or(0);
                points.push((values[2 * i] as f64, values[2 * i + 1] as f64, label));
            }
        }
        save_scatter(
            run,
            "latent_map",
            &format!("{}: test images at their 2-D latent means", config.dataset),
            &points,
            &test.class_names,
        )?;
        figures.insert(
            "latent2d_test_neg_elbo_nats".into(),
            small_figures["neg_elbo"],
        );
    }
    Ok(run.summary(config.epochs, figures))
}
