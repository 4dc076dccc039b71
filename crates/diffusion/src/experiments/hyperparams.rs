//! `diffusion/hyperparams`: the assignment's comparison of two training configurations
//! with the same budget (by default linear schedule + lr 1e-3 against cosine + lr 2e-4):
//! loss curves on one plot, loss by step t, samples of both from the same noise, and the
//! share of samples the judging classifier recognises as their class.

use super::{load_data, sample_and_judge, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{bucket_curves, forward_strip, loss_curves, save_images};
use crate::recognizer::Recognizer;
use crate::sampling::{Guidance, Sampler};
use crate::schedule::NoiseSchedule;
use crate::unet::UNetSpec;
use burn::prelude::*;
use nn_core::data::{ImageDataset, subset};
use nn_core::error::ConfigError;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HyperparamsConfig(pub DiffusionConfig);

impl ExperimentConfig for HyperparamsConfig {
    fn quick() -> Self {
        Self(DiffusionConfig {
            train_size: 6_000,
            ..DiffusionConfig::quick_base()
        })
    }

    fn full() -> Self {
        Self(DiffusionConfig {
            // Two models to train: the quick preset's network, on a third of the data.
            train_size: 20_000,
            epochs: 2,
            channel_mults: vec![1, 2, 2],
            attention: false,
            classifier_epochs: 2,
            ..DiffusionConfig::full_base()
        })
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.0.check()?;
        self.0.schedule_of(&self.0.schedule_b).map(|_| ())
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "Two schedule and learning-rate settings trained with the same budget: the forward process under each schedule, loss curves (not directly comparable across schedules), samples, and how often a classifier recognises them.";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str = "too short for the samples to be recognised (6,000 images; chance is 10%); the losses still compare the two configurations";

pub fn run(config: &HyperparamsConfig, run: &mut Run) -> Result<Summary> {
    let config = &config.0;
    let (train, test) = load_data(config, run)?;
    super::note_dataset_departure(config, run);
    let classes = train.num_classes();
    let spec = config.unet(train.shape.channels, classes);
    let shape = [train.shape.channels, train.shape.height, train.shape.width];
    let both = Configurations::of(config)?;
    draw_forward_processes(run, &test, &both.schedules)?;

    let judge_data = subset(train.clone(), config.classifier_train_size, run.seed);
    let judge = Recognizer::train(run, &judge_data, &test, config.classifier_epochs)?;
    let sampler = config.sampler()?;
    let guidance = config.guidance(&spec);
    let mut figures = BTreeMap::from([
        ("classifier_test_accuracy".to_string(), judge.test_accuracy),
        ("params".to_string(), 0.0),
    ]);
    let outcomes = train_and_sample_both(
        run,
        config,
        &both,
        (&train, &test),
        (&spec, shape, &judge),
        (sampler, guidance),
        &mut figures,
    )?;
    save_sample_rows(run, outcomes.sample_rows, &both.labels, classes)?;
    loss_curves(
        run,
        "loss_curves",
        "Training loss of both configurations (same data, same steps)",
        &outcomes.stages,
    )?;
    bucket_curves(run, both.schedules[0].steps(), &outcomes.buckets)?;
    run.note(format!(
        "{} and {}; sampled with {} and guidance {}; recognition judged by a CNN with {:.1}% accuracy on the real test images",
        both.names[0],
        both.names[1],
        sampler.describe(both.schedules[0].steps()),
        config.guidance,
        100.0 * judge.test_accuracy
    ));
    run.note("losses of different schedules weigh the steps differently (a cosine schedule keeps more signal at mid t): compare the samples and the recognition rate, not only the losses".to_string());
    Ok(run.summary(config.epochs, figures))
}

/// The two configurations compared: their labels (`a`, `b`), their names in the figures,
/// their schedules and their learning rates.
struct Configurations {
    labels: [String; 2],
    names: Vec<String>,
    schedules: [NoiseSchedule; 2],
    lrs: [f64; 2],
}

impl Configurations {
    /// Configuration a (`schedule`, `lr`) and b (`schedule_b`, `lr_b`) of `config`.
    fn of(config: &DiffusionConfig) -> Result<Configurations> {
        let schedules = [config.schedule()?, config.schedule_of(&config.schedule_b)?];
        let lrs = [config.lr, config.lr_b];
        let labels = ["a", "b"].map(String::from);
        let names: Vec<String> = (0..2)
            .map(|i| {
                format!(
                    "{}: {:?} schedule, lr {}",
                    labels[i], schedules[i].kind, lrs[i]
                )
                .to_lowercase()
            })
            .collect();
        Ok(Configurations {
            labels,
            names,
            schedules,
            lrs,
        })
    }
}

/// The forward process under both schedules (`forward_strip`), at steps spread from
/// 1% of the shorter schedule's T to all of it.
fn draw_forward_processes(
    run: &mut Run,
    test: &ImageDataset,
    schedules: &[NoiseSchedule; 2],
) -> Result<()> {
    let last = schedules[0].steps().min(schedules[1].steps());
    let mut strip_steps: Vec<usize> = [100, 20, 10, 4, 2]
        .iter()
        .map(|d| (last / d).max(1))
        .chain([3 * last / 4, last])
        .collect();
    strip_steps.sort_unstable();
    strip_steps.dedup();
    forward_strip(
        run,
        test,
        &[("a", &schedules[0]), ("b", &schedules[1])],
        &strip_steps,
    )
}

/// What training and sampling both configurations left for the figures.
struct Outcomes {
    /// Each configuration's name and stage folder, for the loss curves.
    stages: Vec<(String, PathBuf)>,
    /// Each configuration's name and last-epoch loss per band of t.
    buckets: Vec<(String, Vec<f64>)>,
    /// Two `[classes, c, h, w]` rows per configuration: the first two samples of each class.
    sample_rows: Vec<Tensor<4>>,
}

/// Trains configuration a, then b, each in its own stage, samples and judges each from
/// the same noise, and records their figures in `figures`.
fn train_and_sample_both(
    run: &mut Run,
    config: &DiffusionConfig,
    both: &Configurations,
    (train, test): (&ImageDataset, &ImageDataset),
    (spec, shape, judge): (&UNetSpec, [usize; 3], &Recognizer),
    (sampler, guidance): (Sampler, Option<Guidance>),
    figures: &mut BTreeMap<String, f64>,
) -> Result<Outcomes> {
    let (labels, names) = (&both.labels, &both.names);
    let classes = train.num_classes();
    let mut stages = Vec::new();
    let mut buckets = Vec::new();
    let mut sample_rows = Vec::new();
    for i in 0..2 {
        let (trained, dir) = train_in_stage(
            run,
            &format!("config-{}", labels[i]),
            spec,
            &both.schedules[i],
            (train, test),
            &config.train_settings(both.lrs[i]),
        )?;
        figures.insert("params".into(), trained.params as f64);
        figures.insert(format!("final_loss_{}", labels[i]), trained.final_loss);
        figures.insert(format!("test_loss_{}", labels[i]), trained.test_loss);
        figures.insert(format!("train_seconds_{}", labels[i]), trained.seconds);
        // The same noise for both models.
        let judged = sample_and_judge(
            run,
            (&trained.ema, &both.schedules[i], shape),
            (judge, classes, config.compare_per_class),
            (sampler, guidance, config.sample_batch),
            "samples",
        );
        let (samples, rate) = (judged.samples, judged.rate);
        figures.insert(format!("recognition_rate_{}", labels[i]), rate);
        // Two samples of each class: the first two of every class block.
        let per = config.compare_per_class.max(1);
        for row in 0..per.min(2) {
            let picks: Vec<Tensor<4>> = (0..classes)
                .map(|k| samples.clone().narrow(0, k * per + row, 1))
                .collect();
            sample_rows.push(Tensor::cat(picks, 0));
        }
        stages.push((names[i].clone(), dir));
        buckets.push((names[i].clone(), trained.final_bucket_losses.clone()));
    }
    Ok(Outcomes {
        stages,
        buckets,
        sample_rows,
    })
}

/// `samples.png`: the rows of `[classes, c, h, w]` samples, those of a above those of b,
/// each configuration's first row captioned with its label.
fn save_sample_rows(
    run: &mut Run,
    sample_rows: Vec<Tensor<4>>,
    labels: &[String; 2],
    classes: usize,
) -> Result<()> {
    let rows = sample_rows.len();
    let captions: Vec<Option<String>> = (0..rows * classes)
        .map(|j| (j % classes == 0).then(|| labels[(j / classes) / (rows / 2).max(1)].clone()))
        .collect();
    save_images(
        run,
        "samples.png",
        Tensor::cat(sample_rows, 0),
        &captions,
        classes,
    )
}
