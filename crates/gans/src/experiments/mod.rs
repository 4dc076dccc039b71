//! The week's two experiments and what they share: one config (each experiment reads the
//! architecture keys it needs), the real images, the yardsticks a generator's samples are
//! measured against, and everything before and after the adversarial loop.

pub mod dcgan;
pub mod mlp_gan;
pub mod what_mattered;

use crate::augment::AugmentPolicy;
use crate::losses::GanLoss;
use crate::models::{DcganOptions, Discriminator, Generator, Upsampling};
use crate::realism::{CatJudge, FrechetReference};
use crate::training::{GanSettings, train_gan};
use burn::prelude::*;
use nn_core::data::catalog::CIFAR10_CAT;
use nn_core::data::formats::image_folder;
use nn_core::data::{ImageDataset, load_folder, load_split};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::metrics::fid::FidReference;
use nn_core::train::learnable_parameter_count;
use nn_core::{Result, Run, Summary};

/// Settings of both GAN experiments (each reads the architecture keys it needs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanConfig {
    /// A folder of images to train on instead of the `cats` data set ("" for cats).
    pub images: String,
    /// Where the cats come from when `images` is empty: `cats`, the data set of that name
    /// (what `cargo xtask download cats` builds from CIFAR-10's cat class), `cat-faces`
    /// (Oxford-IIIT Pet's cat heads at 64x64, `cargo xtask download cat-faces`), or `cifar-10`,
    /// the cat class read straight from the CIFAR-10 data set, train and test: the same
    /// images, on a machine whose `cats` folder holds other photos.
    #[serde(default = "default_cats_from")]
    pub cats_from: String,
    /// With `images`: leave out files that cannot be decoded (each named in a warning)
    /// instead of stopping at the first.
    #[serde(default)]
    pub skip_unreadable_images: bool,
    /// Side the images are brought to (32 or 64) and whether to make them grey.
    pub side: usize,
    /// Train on grey images (faster).
    pub grey: bool,
    /// Real images used (a seeded subset; 0 for all).
    pub train_size: usize,
    /// Passes over the real images.
    pub epochs: usize,
    /// Real images per batch (and as many fakes).
    pub batch_size: usize,
    /// Leave out each epoch's last, smaller batch.
    pub full_batches: bool,
    /// The generator's learning rate.
    pub lr_generator: f64,
    /// The discriminator's learning rate (Jolicoeur-Martineau's cats: 5e-5 against G's 2e-4).
    pub lr_discriminator: f64,
    /// The game: "non-saturating", "ralsgan" or "hinge".
    pub loss: GanLoss,
    /// DiffAugment of D's inputs: "auto" (below 10,000 training images), "diff" or "none".
    pub augment: AugmentPolicy,
    /// DCGAN: DCGAN's initialisation (N(0, 0.02); batch-norm scales N(1, 0.02)) instead of
    /// burn's.
    pub dcgan_init: bool,
    /// DCGAN: how G doubles its maps, "transposed" (4x4 transposed convolution) or
    /// "nearest" (nearest doubling + 3x3 convolution: no checkerboard).
    pub upsampling: Upsampling,
    /// DCGAN: D's weights spectrally normalised, its batch norms left out.
    pub spectral_norm: bool,
    /// Adam's betas (0.5, 0.999 is the usual choice for GANs).
    pub beta_1: f64,
    /// See `beta_1`.
    pub beta_2: f64,
    /// Discriminator updates per batch.
    pub d_steps: usize,
    /// Generator updates per batch.
    pub g_steps: usize,
    /// Length of the noise vector z.
    pub latent: usize,
    /// Fully connected GAN: the generator's hidden layer sizes.
    pub hidden_generator: Vec<usize>,
    /// Fully connected GAN: the discriminator's hidden layer sizes.
    pub hidden_discriminator: Vec<usize>,
    /// DCGAN: channels at full resolution (doubling towards 4x4).
    pub width: usize,
    /// Epochs whose samples go into the progression strip (the last always does).
    pub snapshot_epochs: Vec<usize>,
    /// Generated images per Frechet distance.
    pub frechet_samples: usize,
    /// Share of the real images held out as the Frechet reference: the GAN does not train
    /// on them, so copying training images cannot score best.
    pub frechet_held_out: f64,
    /// Mode collapse is warned of below this fraction of the real images' diversity.
    pub collapse_ratio: f64,
}

impl GanConfig {
    /// The quick preset both experiments start from.
    pub(crate) fn quick_base() -> Self {
        Self {
            images: String::new(),
            cats_from: default_cats_from(),
            skip_unreadable_images: false,
            side: 32,
            grey: false,
            train_size: 0,
            epochs: 20,
            batch_size: 64,
            full_batches: true,
            lr_generator: 2e-4,
            lr_discriminator: 2e-4,
            loss: GanLoss::NonSaturating,
            augment: AugmentPolicy::Auto,
            dcgan_init: true,
            upsampling: Upsampling::Transposed,
            spectral_norm: false,
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
            frechet_held_out: 0.2,
            collapse_ratio: 0.2,
        }
    }

    /// The cats (or CIFAR-10, with `cats_from = "cifar-10"`), unless `images` names a
    /// folder of one's own.
    pub(crate) fn fixed_datasets(&self) -> Vec<String> {
        if self.images.is_empty() {
            vec![self.cats_from.clone()]
        } else {
            Vec::new()
        }
    }

    /// The name the fixed feature network is kept under: the catalog's data set, or the
    /// folder of one's own (not in the catalog: trained on its images, not cached).
    fn source_name(&self) -> String {
        if self.images.is_empty() {
            self.cats_from.clone()
        } else {
            self.images.clone()
        }
    }

    /// The checks both experiments make.
    pub(crate) fn check(&self) -> std::result::Result<(), ConfigError> {
        require(
            ["cats", "cat-faces", "cifar-10"].contains(&self.cats_from.as_str()),
            "cats_from",
            "must be \"cats\" (the data set folder), \"cat-faces\" (Oxford-IIIT Pet's cat heads) or \"cifar-10\" (CIFAR-10's cat class)",
        )?;
        require(
            [32, 64].contains(&self.side),
            "side",
            "must be 32 or 64 (the DCGAN doubles from 4x4)",
        )?;
        require(self.epochs > 0, "epochs", "must be positive")?;
        nn_core::experiment::require_rate("lr_generator", self.lr_generator)?;
        nn_core::experiment::require_rate("lr_discriminator", self.lr_discriminator)?;
        require(self.batch_size > 1, "batch_size", "must be at least 2")?;
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
            self.frechet_held_out > 0.0 && self.frechet_held_out <= 0.5,
            "frechet_held_out",
            "must be in (0, 0.5]: a share of the real images kept out of training",
        )
    }

    /// The DCGAN pair's departures from burn's defaults.
    pub fn dcgan_options(&self) -> DcganOptions {
        DcganOptions {
            upsampling: self.upsampling,
            dcgan_init: self.dcgan_init,
            spectral_norm: self.spectral_norm,
        }
    }

    /// How the adversarial loop is run and watched, on `images` real images.
    fn settings(&self, images: usize) -> GanSettings {
        GanSettings {
            epochs: self.epochs,
            batch_size: self.batch_size,
            full_batches: self.full_batches,
            loss: self.loss,
            augment: self.augment.applies(images),
            latent: self.latent,
            lr_generator: self.lr_generator,
            lr_discriminator: self.lr_discriminator,
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

fn default_cats_from() -> String {
    "cats".into()
}

/// Every cat of CIFAR-10's train and test splits as one unlabelled set (as `cargo xtask
/// download cats` writes them), cut to `size` (0: all); recorded as the run's data.
fn cifar10_cats(run: &mut Run, size: usize) -> Result<ImageDataset> {
    let train = load_split(run, "cifar-10", "train", 0)?.with_classes(&[CIFAR10_CAT as usize]);
    let test = load_split(run, "cifar-10", "test", 0)?.with_classes(&[CIFAR10_CAT as usize]);
    let mut cats = train;
    cats.pixels.extend_from_slice(&test.pixels);
    cats.labels = None;
    cats.class_names.clear();
    let cats = nn_core::data::subset(cats, size, run.seed);
    let mut record = run.data().clone();
    record.sets.clear();
    record.record_split("cifar-10 cats", "all", cats.len());
    run.set_data(record);
    Ok(cats)
}

/// The real images at the configured side and colour.
fn real_images(config: &GanConfig, run: &mut Run) -> Result<ImageDataset> {
    let images = if !config.images.is_empty() {
        let path = std::path::PathBuf::from(&config.images);
        let options = image_folder::FolderOptions {
            resize: Some((config.side as u32, config.side as u32)),
            color: image_folder::ColorMode::Rgb,
            limit: None,
            skip_unreadable: config.skip_unreadable_images,
        };
        load_folder(run, &path, &options, config.train_size)?
    } else if config.cats_from == "cifar-10" {
        cifar10_cats(run, config.train_size)?
    } else {
        load_split(run, &config.cats_from, "all", config.train_size)?
    };
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
    Ok(images)
}

/// How many images every Frechet distance of a run uses: `wanted`, but no more than the
/// `training` images. The floor copies training images, so it has at most that many; the
/// Frechet estimate is biased upwards the more, the fewer images it sees (Chong and
/// Forsyth 2020), so a generator measured with more images than the floor could score
/// below it without being closer to the real images.
fn frechet_sample_count(wanted: usize, training: usize) -> usize {
    wanted.min(training)
}

/// Everything before and after the adversarial loop, for either architecture: `build`
/// makes the pair for images `[channels, height, width]`.
pub(crate) fn run_gan<G: Generator, D: Discriminator>(
    config: &GanConfig,
    run: &mut Run,
    build: impl FnOnce(&GanConfig, [usize; 3], &Device) -> (G, D),
) -> Result<Summary> {
    let real = real_images(config, run)?;
    let (real, held_out) = nn_core::data::hold_out(run, real, config.frechet_held_out);
    let samples = frechet_sample_count(config.frechet_samples, real.len());
    if samples < config.frechet_samples {
        run.note(format!(
            "frechet_samples cut from {} to {samples}, the number of training images: the floor (copying them) cannot use more, and every Frechet distance is measured with the same number of images, since the estimate grows as the sample shrinks",
            config.frechet_samples
        ));
    }
    let dataset = config.source_name();
    let reference = FrechetReference::measure(run, &dataset, (&real, &held_out), samples)?;
    let cats = CatJudge::measure(run, &held_out)?;

    let inception = FidReference::measure(run, (&real, &held_out), samples)?;

    let device = run.train_device();
    nn_core::backend::seed_device(&device, run.seed, "init");
    let shape = [real.shape.channels, real.shape.height, real.shape.width];
    let (g, d) = build(config, shape, &device);
    let (g_params, d_params) = (learnable_parameter_count(&g), learnable_parameter_count(&d));
    let settings = GanSettings {
        frechet_samples: samples,
        ..config.settings(real.len())
    };
    if settings.augment {
        run.note(format!(
            "D sees every image through DiffAugment (colour, translation by up to 1/8, cutout of 1/2; Zhao et al. 2020), real and generated alike: augment = {:?} with {} training images",
            config.augment,
            real.len()
        ));
    }
    let trained = train_gan(run, g, d, &real, &settings, &reference)?;
    let mut figures = trained.figures;
    reference.add_to(&mut figures);
    let cpu = run.device.clone();
    if let Some(cats) = &cats {
        cats.add_to(&trained.samples, &cpu, &mut figures)?;
        run.note(format!(
            "cat_share: the share of {} samples that a CIFAR-10 classifier (trained once with a fixed seed, {:.1}% on CIFAR-10's test images) calls \"cat\", at 32x32; cat_share_real: the same for the {} held-out real images, cat_share_noise for uniform noise; class_histogram_distance: the total variation between the classes it gives the samples and the real images (0 = the same spread over CIFAR-10's classes; class_histogram_distance_noise for noise), which tells a blob called \"cat\" from a face",
            trained.samples.len(),
            100.0 * figures["cat_classifier_accuracy"],
            held_out.len()
        ));
    }
    if let Some(inception) = &inception {
        inception.add_to(&trained.samples, &mut figures);
        run.note(format!(
            "fid_inception: the FID in pytorch-fid's InceptionV3 features, {} samples against the same {} held-out images (floor: fid_inception_real_vs_real); papers compare 50,000 samples with a whole data set's statistics, and the FID falls as samples grow",
            trained.samples.len(),
            held_out.len()
        ));
    }
    figures.insert("frechet_samples".into(), samples as f64);
    figures.insert("generator_params".into(), g_params as f64);
    figures.insert("discriminator_params".into(), d_params as f64);
    run.note(format!(
        "departs from the course: the course used FID (InceptionV3's features); frechet_fixed (= frechet_final) is measured in the 128-d hidden layer of the fixed feature network of `{dataset}` (a small CNN trained once, with a fixed seed, to tell the rotation of the real images, {:.1}% on held-out ones; the same network in every run on these images), against {} real images the GAN did not train on: compare it with frechet_fixed_floor (as many training images) and frechet_noise_baseline, and with other runs, not with published FIDs",
        100.0 * reference.fixed.features.meta.test_accuracy,
        held_out.len()
    ));
    Ok(run.summary(config.epochs, figures))
}
