//! `diffusion/class-samples`: a class-conditional U-Net with classifier-free guidance. It
//! draws one sample of each class (the assignment's labelled grid), then 100 per class
//! judged by the project's CNN classifier, and measures the step-count trade-off: the same
//! noise denoised with DDIM in 5 to 50 steps, recognition rate and time per image.

use super::{Judged, fixed_reference, load_data, sample_and_judge, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{bucket_curves, loss_curves, reverse_strip, save_images, save_plot};
use crate::recognizer::Recognizer;
use crate::sampling::{Guidance, Sampler, denoise};
use crate::schedule::NoiseSchedule;
use crate::unet::{UNet, UNetSpec};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::{ImageDataset, subset};
use nn_core::metrics::ColourComparison;
use nn_core::metrics::fid::FidReference;
use nn_core::train::FixedReference;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{Result, Run, Summary};
use std::collections::BTreeMap;

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "One sample of every class from a class-conditional U-Net with guidance, judged by a CNN trained on the real images; the step trade-off shows what fewer DDIM steps cost in time and recognition.";

pub fn run(config: &DiffusionConfig, run: &mut Run) -> Result<Summary> {
    let setup = Setup::prepare(config, run)?;
    let (trained, dir) = train_in_stage(
        run,
        "diffusion",
        &setup.spec,
        &setup.schedule,
        (&setup.train, &setup.test),
        &config.train_settings(config.lr),
    )?;
    let model = &trained.ema;
    let device = run.device.clone();
    let mut figures = BTreeMap::from([
        (
            "classifier_test_accuracy".to_string(),
            setup.judge.test_accuracy,
        ),
        ("final_loss".to_string(), trained.final_loss),
        ("test_loss".to_string(), trained.test_loss),
        ("params".to_string(), trained.params as f64),
        ("train_seconds".to_string(), trained.seconds),
    ]);

    let judged = judge_samples(run, config, &setup, (model, &device), &mut figures)?;
    save_class_grid(run, config, &setup, &judged)?;
    let tradeoff = sample_every_step_count(run, config, &setup, model, &mut figures);
    save_step_tradeoff(run, config, setup.classes, tradeoff)?;
    draw_reverse_process(run, &setup, (model, &device))?;

    let schedule = &setup.schedule;
    loss_curves(
        run,
        "loss_curve",
        "Training loss (noise MSE per step)",
        &[("training loss".into(), dir)],
    )?;
    bucket_curves(
        run,
        schedule.steps(),
        &[("last epoch".into(), trained.final_bucket_losses.clone())],
    )?;
    let per = config.samples_per_class.max(1);
    run.note(format!(
        "{} samples per class with {} and guidance {} ({} clipping, CFG rescale {}, guided for t/T in ({}, {}]); the judge is a CNN trained here with {:.1}% accuracy on the real test images (chance {:.1}%)",
        per,
        setup.sampler.describe(schedule.steps()),
        config.guidance,
        config.clipping,
        config.cfg_rescale,
        config.guidance_interval.first().unwrap_or(&0.0),
        config.guidance_interval.last().unwrap_or(&1.0),
        100.0 * setup.judge.test_accuracy,
        100.0 / setup.classes as f64
    ));
    Ok(run.summary(config.epochs, figures))
}

/// The data, the model's pieces and what the samples are measured against: the held-out
/// test images, their Inception and fixed-feature references, and the judge.
struct Setup {
    train: ImageDataset,
    test: ImageDataset,
    classes: usize,
    names: Vec<String>,
    spec: UNetSpec,
    /// `[c, h, w]` of an image.
    shape: [usize; 3],
    schedule: NoiseSchedule,
    sampler: Sampler,
    guidance: Option<Guidance>,
    /// `classes * samples_per_class`: samples judged, and real test images compared with.
    count: usize,
    held_out: ImageDataset,
    inception: Option<FidReference>,
    realism: FixedReference,
    judge: Recognizer,
}

impl Setup {
    /// Loads the data, then measures the references and trains the judge, all before the
    /// model is trained (and in the order the device's seeds are drawn in).
    fn prepare(config: &DiffusionConfig, run: &mut Run) -> Result<Setup> {
        let (train, test) = load_data(config, run)?;
        super::note_dataset_departure(config, run);
        let classes = train.num_classes();
        let names = train.class_names.clone();
        let spec = config.unet(train.shape.channels, classes);
        let shape = [train.shape.channels, train.shape.height, train.shape.width];
        let schedule = config.schedule()?;
        let sampler = config.sampler()?;
        let guidance = config.guidance(&spec);

        // Measured before training, so that a damaged weights file fails the run at once.
        let count = classes * config.samples_per_class;
        let held_out = subset(test.clone(), count, run.seed);
        let inception = FidReference::measure(run, (&train, &held_out), count)?;
        let realism = fixed_reference(run, config, (&train, &held_out))?;
        let judge_data = subset(train.clone(), config.classifier_train_size, run.seed);
        let judge = Recognizer::train(run, &judge_data, &test, config.classifier_epochs)?;
        Ok(Setup {
            train,
            test,
            classes,
            names,
            spec,
            shape,
            schedule,
            sampler,
            guidance,
            count,
            held_out,
            inception,
            realism,
            judge,
        })
    }
}

/// Draws `samples_per_class` samples of every class and has the judge classify them; adds
/// the recognition, colour and Frechet figures to `figures` and notes how they were measured.
fn judge_samples(
    run: &mut Run,
    config: &DiffusionConfig,
    setup: &Setup,
    (model, device): (&UNet, &Device),
    figures: &mut BTreeMap<String, f64>,
) -> Result<Judged> {
    let count = setup.count;
    // The recognition rate over `samples_per_class` samples of every class.
    let judged = sample_and_judge(
        run,
        (model, &setup.schedule, setup.shape),
        (&setup.judge, setup.classes, config.samples_per_class),
        (setup.sampler, setup.guidance, config.sample_batch),
        "samples",
    );
    let samples = &judged.samples;
    figures.insert("seconds_per_sample".into(), judged.seconds_per_sample);
    // Colour beside the real test images: saturation and values clipped at the ends.
    ColourComparison::measure(&dataset_from_symmetric(samples.clone()), &setup.held_out)
        .add_to(figures);
    setup
        .realism
        .add_to(&dataset_from_symmetric(samples.clone()), device, figures)?;
    run.note(format!(
        "frechet_fixed: the Frechet distance of the {count} samples to {count} real test images in the fixed feature network of `{}` ({:.1}% on its test images, the same network in every run on these data); frechet_fixed_floor: as many real training images against the same test images",
        config.dataset,
        100.0 * setup.realism.features.meta.test_accuracy
    ));
    if let Some(reference) = &setup.inception {
        reference.add_to(&dataset_from_symmetric(samples.clone()), figures);
        run.note(format!(
            "fid_inception: the FID in pytorch-fid's InceptionV3 features, {count} samples against {count} real test images (floor: as many training images, fid_inception_real_vs_real); papers compare 50,000 samples with a whole data set's statistics"
        ));
    }
    figures.insert("class_recognition_rate".into(), judged.rate);
    for (k, r) in judged.per_class.iter().enumerate() {
        figures.insert(format!("class_recognition_rate_{k}"), *r);
    }
    Ok(judged)
}

/// `class_samples.png`, the assignment's grid: the first sample of each class in the top
/// row, labelled, and up to seven more per class under it; misrecognised ones say what
/// the judge saw.
fn save_class_grid(
    run: &mut Run,
    config: &DiffusionConfig,
    setup: &Setup,
    judged: &Judged,
) -> Result<()> {
    let (classes, names) = (setup.classes, &setup.names);
    let (samples, predicted) = (&judged.samples, &judged.predicted);
    let per = config.samples_per_class.max(1);
    let rows = per.min(8);
    let mut cells = Vec::new();
    let mut captions = Vec::new();
    for row in 0..rows {
        for k in 0..classes {
            let i = k * per + row;
            cells.push(samples.clone().narrow(0, i, 1));
            let name = names.get(k).cloned().unwrap_or_else(|| k.to_string());
            let seen = names
                .get(predicted[i])
                .cloned()
                .unwrap_or_else(|| predicted[i].to_string());
            captions.push(if row == 0 {
                Some(name)
            } else {
                (predicted[i] != k).then(|| format!("as {seen}"))
            });
        }
    }
    save_images(
        run,
        "class_samples.png",
        Tensor::cat(cells, 0),
        &captions,
        classes,
    )
}

/// The step-count trade-off's measurements, one entry per DDIM step count.
struct StepTradeoff {
    /// (steps, share recognised).
    rate_points: Vec<(f64, f64)>,
    /// `[classes, c, h, w]` per step count: the first sample of each class.
    rows_by_steps: Vec<Tensor<4>>,
    step_captions: Vec<Option<String>>,
}

/// The same noise and labels denoised by DDIM with each of `compare_steps`: adds each step
/// count's recognition rate and seconds per sample to `figures`.
fn sample_every_step_count(
    run: &Run,
    config: &DiffusionConfig,
    setup: &Setup,
    model: &UNet,
    figures: &mut BTreeMap<String, f64>,
) -> StepTradeoff {
    let classes = setup.classes;
    let mut rate_points = Vec::new();
    let mut rows_by_steps = Vec::new();
    let mut step_captions = Vec::new();
    for &steps in &config.compare_steps {
        let judged = sample_and_judge(
            run,
            (model, &setup.schedule, setup.shape),
            (&setup.judge, classes, config.compare_per_class),
            (Sampler::Ddim(steps), setup.guidance, config.sample_batch),
            "compare",
        );
        let (images, rate, seconds) = (judged.samples, judged.rate, judged.seconds_per_sample);
        figures.insert(format!("recognition_rate_ddim{steps}"), rate);
        figures.insert(format!("seconds_per_sample_ddim{steps}"), seconds);
        rate_points.push((steps as f64, rate));
        let per = config.compare_per_class.max(1);
        rows_by_steps.push(Tensor::cat(
            (0..classes)
                .map(|k| images.clone().narrow(0, k * per, 1))
                .collect(),
            0,
        ));
        step_captions.extend((0..classes).map(|k| (k == 0).then(|| format!("{steps} steps"))));
    }
    StepTradeoff {
        rate_points,
        rows_by_steps,
        step_captions,
    }
}

/// `steps_tradeoff.png` (one row per step count) and `recognition_by_steps`, when any
/// step count was compared.
fn save_step_tradeoff(
    run: &mut Run,
    config: &DiffusionConfig,
    classes: usize,
    tradeoff: StepTradeoff,
) -> Result<()> {
    if tradeoff.rows_by_steps.is_empty() {
        return Ok(());
    }
    save_images(
        run,
        "steps_tradeoff.png",
        Tensor::cat(tradeoff.rows_by_steps, 0),
        &tradeoff.step_captions,
        classes,
    )?;
    save_plot(
        run,
        "recognition_by_steps",
        CurvePlot {
            title: format!(
                "Fewer denoising steps: faster, worse (DDIM, guidance {})",
                config.guidance
            ),
            x_label: "DDIM steps".into(),
            y_label: "share recognised as its class".into(),
            curves: vec![Curve {
                label: "recognition rate".into(),
                points: tradeoff.rate_points,
            }],
            log_y: false,
        },
    )
}

/// `reverse_process.png`: one sample's reverse process, DDPM through all T steps from
/// noise seeded by (the run's seed, "strip"), a frame every T/10 steps and near the end.
fn draw_reverse_process(
    run: &mut Run,
    setup: &Setup,
    (model, device): (&UNet, &Device),
) -> Result<()> {
    let (schedule, shape, classes) = (&setup.schedule, setup.shape, setup.classes);
    nn_core::backend::seed_device(device, run.seed, "strip");
    let noise = Tensor::<4>::random(
        [1, shape[0], shape[1], shape[2]],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    let mut frames = vec![(schedule.steps(), noise.clone())];
    let every = (schedule.steps() / 10).max(1);
    let label = [classes.saturating_sub(1).min(9)];
    denoise(
        model,
        schedule,
        noise,
        schedule.steps(),
        Sampler::Ddpm,
        Some(&label),
        setup.guidance,
        &mut |t, x| {
            if t.is_multiple_of(every) || t < 10 && t.is_multiple_of(3) {
                frames.push((t, x.clone()));
            }
        },
    );
    reverse_strip(run, "reverse_process.png", &frames, 14)
}
