//! The week's five experiments and what they share: the data (a labelled image set,
//! Fashion-MNIST by default, CIFAR-10 with `--dataset cifar-10`, seeded subsets for the quick
//! presets), the checks every config makes, seeded model initialisation, and the VAE
//! training and test figures both VAE experiments report.

pub mod denoising;
pub mod sparse;
pub mod vae;
pub mod vae_variants;
pub mod vanilla;

use crate::training::{LoopOptions, Quality, Trained, quality, train_loop, unit_batch, vae_terms};
use crate::vae::{Vae, VaeConfig, bits_per_dim};
use burn::prelude::*;
use nn_core::data::ImageDataset;
use nn_core::data::{DataRequest, load_train_test};
use nn_core::error::ConfigError;
use nn_core::{Result, Run};

/// The train and test splits (seeded subsets of `train_size`/`test_size` images, 0 for
/// all). The side must divide by 4 (the models halve it twice).
pub fn load(
    run: &mut Run,
    dataset: &str,
    train_size: usize,
    test_size: usize,
) -> Result<(ImageDataset, ImageDataset)> {
    let request = DataRequest {
        dataset,
        train_size,
        test_size,
    };
    let (train, test) = load_train_test(run, request)?;
    if train.shape.height % 4 != 0 || train.shape.height != train.shape.width {
        return Err(ConfigError::Key {
            key: "dataset".into(),
            message: format!(
                "`{dataset}` has {}x{} images; the autoencoders need square images with a side divisible by 4 (fashion-mnist, cifar-10)",
                train.shape.height, train.shape.width
            ),
        }
        .into());
    }
    Ok((train, test))
}

/// Validation shared by the experiments' configs: a data set the models fit, and the
/// common training settings.
pub fn check_common(
    dataset: &str,
    epochs: usize,
    batch_size: usize,
    lr: f64,
) -> std::result::Result<(), ConfigError> {
    nn_core::experiment::require(
        ["fashion-mnist", "mnist", "cifar-10"].contains(&dataset),
        "dataset",
        "must be fashion-mnist, mnist or cifar-10",
    )?;
    nn_core::experiment::require_training(epochs, batch_size, lr)
}

/// A model built by `init` on `run`'s training device, seeded first (purpose "init"), so a
/// seed always gives the same starting weights.
pub fn init_seeded<M>(run: &Run, init: impl FnOnce(&Device) -> M) -> M {
    let device = run.train_device();
    nn_core::backend::seed_device(&device, run.seed, "init");
    init(&device)
}

/// The first `n` images of `data` (fewer if it has fewer) as `[n, c, h, w]` in [0, 1]: the
/// images the figures show.
pub fn first_images(data: &ImageDataset, n: usize, device: &Device) -> Tensor<4> {
    let shown: Vec<usize> = (0..n.min(data.len())).collect();
    unit_batch(data, &shown, device)
}

/// Trains a VAE of `network` in the stage `name` (seeded, so every call with one seed starts
/// from the same weights and sees the same batches) and takes the stage's files into `run`;
/// returns it and the stage directory.
pub fn train_vae(
    run: &mut Run,
    name: &str,
    network: &VaeConfig,
    options: &LoopOptions,
    beta: f64,
    (train, test): (&ImageDataset, &ImageDataset),
) -> Result<(Trained<Vae>, std::path::PathBuf)> {
    let mut stage = run.stage(name)?;
    let model = init_seeded(&stage, |device| network.init(device));
    let trained = train_loop(&mut stage, model, train, test, options, vae_terms(beta))?;
    run.absorb(&stage);
    Ok((trained, stage.dir))
}

/// The test figures both VAE experiments report for a trained VAE.
pub struct VaeFigures {
    /// Test-set means from the training loop: MSE per pixel, KL and negative ELBO in nats.
    pub mse: f64,
    pub kl: f64,
    pub neg_elbo: f64,
    /// The negative ELBO in bits per dimension.
    pub bits_per_dim: f64,
    /// PSNR and SSIM of the mean reconstructions.
    pub quality: Quality,
    /// Time spent in training batches.
    pub train_seconds: f64,
}

impl VaeFigures {
    /// Reads the loop's test figures of `trained` and measures its mean reconstructions of
    /// `test` on `device`.
    pub fn measure(trained: &Trained<Vae>, test: &ImageDataset, device: &Device) -> Self {
        let neg_elbo = trained.test["neg_elbo"];
        VaeFigures {
            mse: trained.test["mse"],
            kl: trained.test["kl"],
            neg_elbo,
            bits_per_dim: bits_per_dim(neg_elbo, test.shape.len()),
            quality: quality(&trained.model, test, device),
            train_seconds: trained.train_seconds,
        }
    }

    /// The figures under their `summary.json` names (before any prefix).
    pub fn entries(&self) -> [(&'static str, f64); 7] {
        [
            ("test_mse", self.mse),
            ("test_kl", self.kl),
            ("test_neg_elbo_nats", self.neg_elbo),
            ("test_bits_per_dim", self.bits_per_dim),
            ("test_psnr_db", self.quality.psnr_db),
            ("test_ssim", self.quality.ssim),
            ("train_seconds", self.train_seconds),
        ]
    }
}
