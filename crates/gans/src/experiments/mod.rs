//! `gans/mlp-gan` (the assignment: fully connected generator and discriminator) and
//! `gans/dcgan` (the same loop with convolutions), on cat faces.

use crate::features::FeatureSpace;
use crate::frechet::frechet_distance;
use crate::models::{DcDiscriminator, DcGenerator, MlpDiscriminator, MlpGenerator};
use crate::training::{GanSettings, train_gan};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::ImageDataset;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::formats::image_folder;
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::train::{learnable_parameter_count, subset};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of both GAN experiments (each reads the architecture keys it needs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanConfig {
    pub seed: u64,
    /// A folder of images to train on instead of the `cats` data set ("" for cats).
    pub images: String,
    /// With `images`: leave out files that cannot be decoded (each named in a warning)
    /// instead of stopping at the first.
    #[serde(default)]
    pub skip_unreadable_images: bool,
    /// Side the images are brought to (32 or 64) and whether to make them grey.
    pub side: usize,
    pub grey: bool,
    /// Real images used (a seeded subset; 0 for all).
    pub train_size: usize,
    pub epochs: usize,
    pub batch_size: usize,
    /// Learning rate of both networks, and Adam's betas.
    pub lr: f64,
    pub beta_1: f64,
    pub beta_2: f64,
    pub d_steps: usize,
    pub g_steps: usize,
    pub latent: usize,
    /// Fully connected GAN: hidden layer sizes.
    pub hidden_generator: Vec<usize>,
    pub hidden_discriminator: Vec<usize>,
    /// DCGAN: channels at full resolution (doubling towards 4x4).
    pub width: usize,
    pub snapshot_epochs: Vec<usize>,
    pub frechet_samples: usize,
    /// Epochs of the feature network's training (rotation of the real images).
    pub feature_epochs: usize,
    pub collapse_ratio: f64,
}

impl GanConfig {
    fn quick_base() -> Self {
        Self {
            seed: 42,
            images: String::new(),
            skip_unreadable_images: false,
            side: 32,
            grey: false,
            train_size: 0,
            epochs: 20,
            batch_size: 64,
            lr: 2e-4,
            beta_1: 0.5,
            beta_2: 0.999,
            d_steps: 1,
            g_steps: 1,
            latent: 64,
            hidden_generator: vec![256, 512, 1024],
            hidden_discriminator: vec![512, 256],
            width: 32,
            snapshot_epochs: vec![1, 2, 5, 10],
            frechet_samples: 1_000,
            feature_epochs: 2,
            collapse_ratio: 0.2,
        }
    }

    /// The cat faces, unless `images` names a folder of one's own.
    fn fixed_datasets(&self) -> Vec<String> {
        if self.images.is_empty() {
            vec!["cats".into()]
        } else {
            Vec::new()
        }
    }

    fn check(&self) -> std::result::Result<(), ConfigError> {
        require(
            [32, 64].contains(&self.side),
            "side",
            "must be 32 or 64 (the DCGAN doubles from 4x4)",
        )?;
        require(self.epochs > 0, "epochs", "must be positive")?;
        require(self.batch_size > 1, "batch_size", "must be at least 2")?;
        require(
            self.lr > 0.0 && self.lr.is_finite(),
            "lr",
            "must be a positive number",
        )?;
        require(
            (0.0..1.0).contains(&self.beta_1) && (0.0..1.0).contains(&self.beta_2),
            "beta_1",
            "Adam's betas must be in [0, 1)",
        )?;
        require(
            self.d_steps > 0 && self.g_steps > 0,
            "d_steps",
            "d_steps and g_steps must be positive",
        )?;
        require(self.latent > 0, "latent", "must be positive")?;
        require(self.width >= 4, "width", "must be at least 4")?;
        require(
            self.frechet_samples >= 10,
            "frechet_samples",
            "must be at least 10",
        )?;
        require(
            self.feature_epochs > 0,
            "feature_epochs",
            "must be positive",
        )
    }

    fn settings(&self) -> GanSettings {
        GanSettings {
            epochs: self.epochs,
            batch_size: self.batch_size,
            latent: self.latent,
            lr_generator: self.lr,
            lr_discriminator: self.lr,
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            d_steps: self.d_steps,
            g_steps: self.g_steps,
            snapshot_epochs: self.snapshot_epochs.clone(),
            frechet_samples: self.frechet_samples,
            collapse_ratio: self.collapse_ratio,
        }
    }
}

/// `gans/mlp-gan`'s settings.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct MlpGanConfig(pub GanConfig);

/// `gans/dcgan`'s settings.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct DcganConfig(pub GanConfig);

impl ExperimentConfig for MlpGanConfig {
    fn quick() -> Self {
        Self(GanConfig::quick_base())
    }

    fn full() -> Self {
        Self(GanConfig {
            epochs: 150,
            snapshot_epochs: vec![1, 5, 10, 25, 50, 100],
            frechet_samples: 3_000,
            feature_epochs: 8,
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

impl ExperimentConfig for DcganConfig {
    fn quick() -> Self {
        Self(GanConfig {
            epochs: 5,
            snapshot_epochs: vec![1, 2, 3],
            width: 16,
            ..GanConfig::quick_base()
        })
    }

    fn full() -> Self {
        Self(GanConfig {
            epochs: 25,
            snapshot_epochs: vec![1, 2, 5, 10, 20],
            frechet_samples: 3_000,
            feature_epochs: 8,
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

/// The real images at the configured side and colour.
fn real_images(config: &GanConfig, run: &mut Run) -> Result<ImageDataset> {
    let images = if config.images.is_empty() {
        run.load("cats", "all")?
    } else {
        let path = std::path::PathBuf::from(&config.images);
        let options = image_folder::FolderOptions {
            resize: Some((config.side as u32, config.side as u32)),
            color: image_folder::ColorMode::Rgb,
            limit: None,
            skip_unreadable: config.skip_unreadable_images,
        };
        let data = image_folder::read_image_folder(&path, &options)?;
        run.set_data(nn_core::run::DataInfo {
            name: path.display().to_string(),
            synthetic: false,
            train: data.len(),
            test: 0,
        });
        data
    };
    let images = subset(images, config.train_size, run.seed);
    let images = if images.shape.height == config.side {
        images
    } else if images.shape.height > config.side && images.shape.height.is_multiple_of(config.side) {
        images.box_downscaled(config.side)
    } else {
        images.as_rgb_canvas(config.side)
    };
    let images = if config.grey {
        images.to_grey()
    } else {
        images
    };
    let mut info = run.data().clone();
    info.train = images.len();
    run.set_data(info);
    Ok(images)
}

/// Everything before and after the adversarial loop, for either architecture.
fn run_gan<G: crate::models::Generator, D: crate::models::Discriminator>(
    config: &GanConfig,
    run: &mut Run,
    build: impl FnOnce(&GanConfig, [usize; 3], &Device) -> (G, D),
) -> Result<Summary> {
    let real = real_images(config, run)?;
    let cpu = run.device.clone();
    let space = FeatureSpace::train(run, &real, config.feature_epochs)?;
    let real_gaussian = space.gaussian(&real, &cpu);

    // Calibration: two halves of the real images, and uniform noise, in the same space.
    let (half_a, half_b) = real.split_off(0.5, run.seed);
    let real_vs_real = frechet_distance(
        &space.gaussian(&half_a, &cpu),
        &space.gaussian(&half_b, &cpu),
    );
    nn_core::backend::seed_device(&cpu, run.seed, "noise baseline");
    let [c, h, w] = [real.shape.channels, real.shape.height, real.shape.width];
    let noise = Tensor::<4>::random(
        [config.frechet_samples, c, h, w],
        Distribution::Uniform(-1.0, 1.0),
        &cpu,
    );
    let noise_baseline = frechet_distance(
        &real_gaussian,
        &space.gaussian(&dataset_from_symmetric(noise), &cpu),
    );

    let device = run.train_device();
    nn_core::backend::seed_device(&device, run.seed, "init");
    let (g, d) = build(config, [c, h, w], &device);
    let (g_params, d_params) = (learnable_parameter_count(&g), learnable_parameter_count(&d));
    let mut figures: BTreeMap<String, f64> =
        train_gan(run, g, d, &real, &config.settings(), &space, &real_gaussian)?;
    figures.insert("frechet_noise_baseline".into(), noise_baseline);
    figures.insert("frechet_real_vs_real".into(), real_vs_real);
    figures.insert(
        "feature_net_rotation_accuracy".into(),
        space.pretext_accuracy,
    );
    figures.insert("generator_params".into(), g_params as f64);
    figures.insert("discriminator_params".into(), d_params as f64);
    run.note(format!(
        "Frechet distances are measured in the 128-d hidden layer of a small CNN trained here to tell the rotation of the real images (held-out accuracy {:.1}%), not InceptionV3: compare them with each other and with the baselines, not with published FIDs",
        100.0 * space.pretext_accuracy
    ));
    Ok(run.summary(config.epochs, figures))
}

pub fn run_mlp(config: &MlpGanConfig, run: &mut Run) -> Result<Summary> {
    run_gan(&config.0, run, |c, shape, device| {
        (
            MlpGenerator::new(c.latent, &c.hidden_generator, shape, device),
            MlpDiscriminator::new(shape, &c.hidden_discriminator, device),
        )
    })
}

pub fn run_dcgan(config: &DcganConfig, run: &mut Run) -> Result<Summary> {
    run_gan(&config.0, run, |c, [channels, side, _], device| {
        (
            DcGenerator::new(c.latent, c.width, channels, side, device),
            DcDiscriminator::new(c.width, channels, side, device),
        )
    })
}
