//! The week's two experiments and what they share: one config (each experiment reads the
//! architecture keys it needs), the real images, the yardsticks a generator's samples are
//! measured against, and everything before and after the adversarial loop.

pub mod dcgan;
pub mod mlp_gan;
pub mod what_mattered;

pub use crate::settings::GanConfig;

use crate::models::{Discriminator, Generator};
use crate::realism::{CatJudge, FrechetReference, frechet_sample_count};
use crate::training::train_gan;
use burn::prelude::*;
use nn_core::data::catalog::CIFAR10_CAT;
use nn_core::data::formats::image_folder;
use nn_core::data::{ImageDataset, load_folder, load_split};
use nn_core::metrics::fid::FidReference;
use nn_core::train::learnable_parameter_count;
use nn_core::{Result, Run, Summary};

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
    let config = &GanConfig {
        frechet_samples: samples,
        ..config.clone()
    };
    if config.augment.applies(real.len()) {
        run.note(format!(
            "D sees every image through DiffAugment (colour, translation by up to 1/8, cutout of 1/2; Zhao et al. 2020), real and generated alike: augment = {:?} with {} training images",
            config.augment,
            real.len()
        ));
    }
    let trained = train_gan(run, g, d, &real, config, &reference)?;
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
