//! The week's seven experiments and what they share: data, a model trained in its own
//! stage, and seeded sampling.

pub mod class_samples;
pub mod class_samples_cifar10;
pub mod flow_matching;
pub mod guidance;
pub mod hyperparams;
pub mod one_factor;
pub mod partial_denoise;

use crate::config::DiffusionConfig;
use crate::recognizer::{Recognizer, recognition_rates};
use crate::sampling::{Guidance, Sampler, generate};
use crate::schedule::NoiseSchedule;
use crate::training::{Trained, train_diffusion};
use crate::unet::UNetSpec;
use nn_core::data::ImageDataset;
use nn_core::data::{DataRequest, load_train_test};
use nn_core::error::ConfigError;
use nn_core::train::{FixedFeatures, FixedReference};
use nn_core::{Result, Run};

/// The keys (besides the seed, which a sibling always shares) that must match for a
/// `diffusion/class-samples` run's model to be the one this
/// run would train (same data, schedule, network and training).
pub const SAME_MODEL: &[&str] = &[
    "dataset",
    "train_size",
    "epochs",
    "batch_size",
    "lr",
    "warmup_steps",
    "cosine_decay",
    "hflip",
    "min_snr",
    "ema_decay",
    "p_uncond",
    "schedule",
    "steps",
    "beta_start",
    "beta_end",
    "betas",
    "width",
    "channel_mults",
    "res_blocks",
    "attention",
    "groups",
    "dropout",
];

/// With `reuse_model`, the EMA U-Net of the newest finished run of the first of `siblings`
/// that has one in the same `--out` folder, trained with this very configuration
/// ([`SAME_MODEL`]) to the end, and its stage folder; `None` to train it here instead.
/// The run's notes name the checkpoint.
pub fn reuse_trained_model(
    run: &mut Run,
    config: &DiffusionConfig,
    siblings: &[&str],
    spec: &UNetSpec,
) -> Result<Option<(crate::unet::UNet, std::path::PathBuf)>> {
    if !config.reuse_model {
        return Ok(None);
    }
    let json = serde_json::to_value(config).map_err(|e| nn_core::Error::Other(e.to_string()))?;
    for sibling in siblings {
        let Some(dir) = run.latest_sibling(sibling, &json, SAME_MODEL) else {
            continue;
        };
        let dir = dir.join("diffusion");
        let Some((checkpoint, path)) = nn_core::train::Checkpoint::latest(&dir.join("checkpoints"))
        else {
            continue;
        };
        if checkpoint.epoch != config.epochs {
            continue;
        }
        let model = checkpoint.load_module("ema", crate::unet::UNet::new(spec, &run.device))?;
        run.note(format!(
            "the model is the EMA U-Net of {} (same data, schedule, network and training)",
            path.display()
        ));
        return Ok(Some((model, dir)));
    }
    Ok(None)
}

/// The configured data set's train (seeded subset) and test splits, checked against the
/// U-Net's levels.
pub fn load_data(config: &DiffusionConfig, run: &mut Run) -> Result<(ImageDataset, ImageDataset)> {
    let request = DataRequest {
        train_size: config.train_size,
        ..DataRequest::all(&config.dataset)
    };
    let (train, test) = load_train_test(run, request)?;
    let spec = config.unet(train.shape.channels, 0);
    if !spec.fits(train.shape.height) || !spec.fits(train.shape.width) {
        return Err(ConfigError::Key {
            key: "channel_mults".into(),
            message: format!(
                "{} levels halve the side {} times, but `{}` images are {}x{}: use fewer levels",
                spec.channel_mults.len(),
                spec.channel_mults.len() - 1,
                config.dataset,
                train.shape.height,
                train.shape.width
            ),
        }
        .into());
    }
    Ok((train, test))
}

/// The realism reference of a run's samples: the data set's fixed feature network (cached in
/// the data directory, the same for every run), the Gaussian of `held_out` real test images
/// in its features and the floor of as many training images. Measured before training.
pub fn fixed_reference(
    run: &mut Run,
    config: &DiffusionConfig,
    (train, held_out): (&ImageDataset, &ImageDataset),
) -> Result<FixedReference> {
    let features = FixedFeatures::for_dataset(run, &config.dataset, train.shape, train)?;
    let device = run.device.clone();
    FixedReference::measure(
        features,
        (train, held_out),
        held_out.len(),
        (run.seed, &device),
    )
}

/// Says so in the run's notes when the data is not the course's CIFAR-10.
pub fn note_dataset_departure(config: &DiffusionConfig, run: &mut Run) {
    if config.dataset != "cifar-10" {
        run.note_departure(
            "CIFAR-10 (32x32 colour)",
            &format!("`{}`", config.dataset),
            "a small data set trains the U-Net in minutes on 2 CPU cores; diffusion/class-samples-cifar10 runs the assignment on CIFAR-10",
        );
    }
}

/// Trains a U-Net of `spec` in the stage `name` and takes the stage's files into `run`.
pub fn train_in_stage(
    run: &mut Run,
    name: &str,
    spec: &UNetSpec,
    schedule: &NoiseSchedule,
    (train, test): (&ImageDataset, &ImageDataset),
    settings: &crate::training::TrainSettings,
) -> Result<(Trained, std::path::PathBuf)> {
    let mut stage = run.stage(name)?;
    let trained = train_diffusion(&mut stage, spec, schedule, train, test, settings)?;
    run.absorb(&stage);
    Ok((trained, stage.dir))
}

/// `[0, 1, .., classes-1]` repeated `per_class` times (class-major: all of class 0 first).
pub fn class_labels(classes: usize, per_class: usize) -> Vec<usize> {
    (0..classes)
        .flat_map(|k| std::iter::repeat_n(k, per_class))
        .collect()
}

/// Class-conditional samples of every class judged by the classifier.
pub struct Judged {
    /// `per_class` samples of each class, class-major.
    pub samples: burn::prelude::Tensor<4>,
    pub wanted: Vec<usize>,
    pub predicted: Vec<usize>,
    pub rate: f64,
    pub per_class: Vec<f64>,
    pub seconds_per_sample: f64,
}

/// Draws `per_class` samples of each of `classes` classes (images of `shape`) from noise
/// seeded by (the run's seed, `purpose`), so calls with one purpose share their noise, and
/// has `judge` classify them.
pub fn sample_and_judge(
    run: &Run,
    (model, schedule, shape): (&crate::unet::UNet, &NoiseSchedule, [usize; 3]),
    (judge, classes, per_class): (&Recognizer, usize, usize),
    (sampler, guidance, batch): (Sampler, Option<Guidance>, usize),
    purpose: &str,
) -> Judged {
    let wanted = class_labels(classes, per_class.max(1));
    nn_core::backend::seed_device(&run.device, run.seed, purpose);
    let started = std::time::Instant::now();
    let samples = generate(
        model,
        schedule,
        shape,
        wanted.len(),
        Some(&wanted),
        sampler,
        guidance,
        batch,
        &run.device,
    );
    let seconds_per_sample = started.elapsed().as_secs_f64() / wanted.len() as f64;
    let predicted = judge.classify(samples.clone());
    let (rate, per_class) = recognition_rates(&predicted, &wanted, classes);
    Judged {
        samples,
        wanted,
        predicted,
        rate,
        per_class,
        seconds_per_sample,
    }
}
