//! `autoencoders/vae-variants`: the assignment. The four VAE architectures (plain; encoder
//! with a decoder inside; decoder with an encoder inside; both) trained with the same data,
//! budget and seed, compared on reconstruction quality, the KL term and the bound.

use super::{VaeFigures, check_common, first_images, load, train_vae};
use crate::figures::save_rows;
use crate::training::LoopOptions;
use crate::vae::{VaeConfig, Variant};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::error::ConfigError;
use nn_core::train::learnable_parameter_count;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Settings of `autoencoders/vae-variants`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantsConfig {
    pub dataset: String,
    pub train_size: usize,
    pub test_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub latent: usize,
    pub width: usize,
    pub beta: f64,
    pub variants: Vec<Variant>,
}

impl ExperimentConfig for VariantsConfig {
    fn quick() -> Self {
        Self {
            dataset: "fashion-mnist".into(),
            train_size: 3_000,
            test_size: 500,
            epochs: 2,
            batch_size: 64,
            lr: 1e-3,
            latent: 16,
            width: 16,
            beta: 1.0,
            variants: Variant::ALL.to_vec(),
        }
    }

    fn full() -> Self {
        Self {
            train_size: 20_000,
            test_size: 0,
            epochs: 8,
            width: 32,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        check_common(&self.dataset, self.epochs, self.batch_size, self.lr)?;
        nn_core::experiment::require(!self.variants.is_empty(), "variants", "needs at least one")?;
        nn_core::experiment::require(self.latent > 0, "latent", "must be positive")
    }
}

const NAMES: [(&str, &str); 4] = [
    ("standard", "(1) standard"),
    ("encoder_nested", "(2) encoder-decoder in the encoder"),
    ("decoder_nested", "(3) encoder-decoder in the decoder"),
    ("both_nested", "(4) both"),
];

/// The variant's name in titles and the table.
fn title(variant: Variant) -> &'static str {
    NAMES
        .iter()
        .find(|(k, _)| *k == variant.key())
        .map_or("", |(_, t)| t)
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Four VAE architectures under the same budget: compare the test -ELBO (lower is better) and how sharp their reconstructions and samples look.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "-ELBO (nats): standard {standard_test_neg_elbo_nats}, both nested {both_nested_test_neg_elbo_nats}";

/// Trains the configured variants one after another (same seed, same batches) and compares
/// them in a table, their reconstructions and their decodings of the same prior samples.
pub fn run(config: &VariantsConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load(run, &config.dataset, config.train_size, config.test_size)?;
    let shape = train.shape;
    let cpu = run.device.clone();
    let inputs = first_images(&test, 8, &cpu);
    nn_core::backend::seed_device(&cpu, run.seed, "shared prior samples");
    let z = Tensor::<2>::random([8, config.latent], Distribution::Normal(0.0, 1.0), &cpu);

    let mut figures = BTreeMap::new();
    let mut table = String::from(
        "| variant | parameters | test MSE | PSNR dB | SSIM | KL nats | -ELBO nats | bits/dim | train s |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut reconstructions = vec![("input".to_string(), inputs.clone())];
    let mut samples = Vec::new();
    for &variant in &config.variants {
        let network = VaeConfig::new(shape.channels, shape.height, config.latent)
            .with_width(config.width)
            .with_variant(variant);
        let options = LoopOptions {
            epochs: config.epochs,
            batch_size: config.batch_size,
            lr: config.lr,
            title: format!("VAE {}", title(variant)),
            plot: vec!["neg_elbo"],
        };
        // Every variant starts from the same seed and sees the same batches.
        let (trained, _) = train_vae(
            run,
            variant.key(),
            &network,
            &options,
            config.beta,
            (&train, &test),
        )?;
        let params = learnable_parameter_count(&trained.model);
        let f = VaeFigures::measure(&trained, &test, &cpu);
        let model = trained.model.valid();
        let key = variant.key();
        let entries = f.entries().into_iter().chain([("params", params as f64)]);
        for (name, value) in entries {
            figures.insert(format!("{key}_{name}"), value);
        }
        let _ = writeln!(
            table,
            "| {} | {params} | {:.5} | {:.2} | {:.3} | {:.2} | {:.2} | {:.4} | {:.1} |",
            title(variant),
            f.mse,
            f.quality.psnr_db,
            f.quality.ssim,
            f.kl,
            f.neg_elbo,
            f.bits_per_dim,
            f.train_seconds,
        );
        let short = format!("({}) {}", variant as usize + 1, variant.key());
        reconstructions.push((short.clone(), model.reconstruct(inputs.clone())));
        samples.push((short, model.generate(z.clone())));
    }
    save_rows(run, "variants_reconstructions", &reconstructions)?;
    save_rows(run, "variants_samples", &samples)?;
    let path = run.path("variants.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    println!("{table}");
    Ok(run.summary(config.epochs, figures))
}
