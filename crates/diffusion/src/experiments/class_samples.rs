//! `diffusion/class-samples`: a class-conditional U-Net with classifier-free guidance. It
//! draws one sample of each class (the assignment's labelled grid), then 100 per class
//! judged by the project's CNN classifier, and measures the step-count trade-off: the same
//! noise denoised with DDIM in 5 to 50 steps, recognition rate and time per image.

use super::{fixed_reference, load_data, sample_and_judge, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{bucket_curves, loss_curves, reverse_strip, save_images, save_plot};
use crate::recognizer::Recognizer;
use crate::sampling::{Sampler, denoise};
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::subset;
use nn_core::metrics::ColourComparison;
use nn_core::metrics::fid::FidReference;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{Result, Run, Summary};
use std::collections::BTreeMap;

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "One sample of every class from a class-conditional U-Net with guidance, judged by a CNN trained on the real images; the step trade-off shows what fewer DDIM steps cost in time and recognition.";

pub fn run(config: &DiffusionConfig, run: &mut Run) -> Result<Summary> {
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
    let (trained, dir) = train_in_stage(
        run,
        "diffusion",
        &spec,
        &schedule,
        (&train, &test),
        &config.train_settings(config.lr),
    )?;
    let model = &trained.ema;
    let device = run.device.clone();
    let mut figures = BTreeMap::from([
        ("classifier_test_accuracy".to_string(), judge.test_accuracy),
        ("final_loss".to_string(), trained.final_loss),
        ("test_loss".to_string(), trained.test_loss),
        ("params".to_string(), trained.params as f64),
        ("train_seconds".to_string(), trained.seconds),
    ]);

    // The recognition rate over `samples_per_class` samples of every class.
    let judged = sample_and_judge(
        run,
        (model, &schedule, shape),
        (&judge, classes, config.samples_per_class),
        (sampler, guidance, config.sample_batch),
        "samples",
    );
    let (samples, predicted, rate, per_class) = (
        judged.samples,
        judged.predicted,
        judged.rate,
        judged.per_class,
    );
    figures.insert("seconds_per_sample".into(), judged.seconds_per_sample);
    // Colour beside the real test images: saturation and values clipped at the ends.
    ColourComparison::measure(&dataset_from_symmetric(samples.clone()), &held_out)
        .add_to(&mut figures);
    realism.add_to(
        &dataset_from_symmetric(samples.clone()),
        &device,
        &mut figures,
    )?;
    run.note(format!(
        "frechet_fixed: the Frechet distance of the {count} samples to {count} real test images in the fixed feature network of `{}` ({:.1}% on its test images, the same network in every run on these data); frechet_fixed_floor: as many real training images against the same test images",
        config.dataset,
        100.0 * realism.features.meta.test_accuracy
    ));
    if let Some(reference) = &inception {
        reference.add_to(&dataset_from_symmetric(samples.clone()), &mut figures);
        run.note(format!(
            "fid_inception: the FID in pytorch-fid's InceptionV3 features, {count} samples against {count} real test images (floor: as many training images, fid_inception_real_vs_real); papers compare 50,000 samples with a whole data set's statistics"
        ));
    }
    figures.insert("class_recognition_rate".into(), rate);
    for (k, r) in per_class.iter().enumerate() {
        figures.insert(format!("class_recognition_rate_{k}"), *r);
    }

    // The assignment's grid: the first sample of each class in the top row, labelled, and
    // seven more per class under it; misrecognised ones say what the judge saw.
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
    )?;

    // The step-count trade-off: the same noise and labels, DDIM with each step count.
    let mut rate_points = Vec::new();
    let mut rows_by_steps = Vec::new();
    let mut step_captions = Vec::new();
    for &steps in &config.compare_steps {
        let judged = sample_and_judge(
            run,
            (model, &schedule, shape),
            (&judge, classes, config.compare_per_class),
            (Sampler::Ddim(steps), guidance, config.sample_batch),
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
    if !rows_by_steps.is_empty() {
        save_images(
            run,
            "steps_tradeoff.png",
            Tensor::cat(rows_by_steps, 0),
            &step_captions,
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
                    points: rate_points,
                }],
                log_y: false,
            },
        )?;
    }

    // One sample's reverse process, DDPM through all T steps.
    nn_core::backend::seed_device(&device, run.seed, "strip");
    let noise = Tensor::<4>::random(
        [1, shape[0], shape[1], shape[2]],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let mut frames = vec![(schedule.steps(), noise.clone())];
    let every = (schedule.steps() / 10).max(1);
    let label = [classes.saturating_sub(1).min(9)];
    denoise(
        model,
        &schedule,
        noise,
        schedule.steps(),
        Sampler::Ddpm,
        Some(&label),
        guidance,
        &mut |t, x| {
            if t.is_multiple_of(every) || t < 10 && t.is_multiple_of(3) {
                frames.push((t, x.clone()));
            }
        },
    );
    reverse_strip(run, "reverse_process.png", &frames, 14)?;

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
    run.note(format!(
        "{} samples per class with {} and guidance {} ({} clipping, CFG rescale {}, guided for t/T in ({}, {}]); the judge is a CNN trained here with {:.1}% accuracy on the real test images (chance {:.1}%)",
        per,
        sampler.describe(schedule.steps()),
        config.guidance,
        config.clipping,
        config.cfg_rescale,
        config.guidance_interval.first().unwrap_or(&0.0),
        config.guidance_interval.last().unwrap_or(&1.0),
        100.0 * judge.test_accuracy,
        100.0 / classes as f64
    ));
    Ok(run.summary(config.epochs, figures))
}
