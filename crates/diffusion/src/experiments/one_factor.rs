//! `diffusion/one-factor`: what each hyper-parameter does, one at a time. From a baseline
//! (the `base` settings: linear schedule, lr 1e-3, T = 1000), each variant changes exactly
//! one factor: the learning rate, the beta schedule, or the number of diffusion steps T.
//! Every variant trains once per seed with the same budget, draws `samples_per_class`
//! samples of every class and has the same CNN judge them; the recognition rate is quoted as
//! mean and spread over seeds, and each variant's difference from the baseline is paired by
//! seed. (`diffusion/hyperparams` is the assignment's two-configuration comparison, which
//! changes schedule and learning rate at once.)

use super::{Judged, load_data, sample_and_judge, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{loss_curves, save_images};
use crate::recognizer::Recognizer;
use crate::sampling::{Guidance, Sampler};
use crate::schedule::ScheduleKind;
use crate::training::Trained;
use crate::unet::UNetSpec;
use burn::prelude::Tensor;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::{ImageDataset, subset};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_rate};
use nn_core::metrics::{ColourComparison, Spread, paired_differences};
use nn_core::viz::{SpreadPlot, SpreadSeries};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Settings of `diffusion/one-factor`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneFactorConfig {
    /// The baseline: data, network, budget, schedule, lr, T, sampler, judge.
    pub base: DiffusionConfig,
    /// Learning rates to try instead of the baseline's.
    pub lrs: Vec<f64>,
    /// Beta schedules to try instead of the baseline's (`linear`, `cosine`).
    pub schedules: Vec<ScheduleKind>,
    /// Numbers of diffusion steps T to try; a linear schedule's betas are scaled by
    /// 1000 / T so that the last step still leaves almost pure noise.
    pub steps: Vec<usize>,
    /// Training-recipe changes to try one at a time: `cosine-decay` (the learning rate
    /// along a half cosine to 0), `hflip` (random left-right mirroring), `min-snr-G`
    /// (Min-SNR-G loss weighting, e.g. `min-snr-5`).
    #[serde(default)]
    pub recipes: Vec<String>,
    /// One training of every variant per seed.
    pub seeds: Vec<u64>,
}

impl ExperimentConfig for OneFactorConfig {
    fn quick() -> Self {
        Self {
            base: DiffusionConfig {
                // A pipeline check within the quick curriculum's budget: 4 models of 16
                // steps each sample at chance; the effects need the full preset.
                train_size: 1_000,
                samples_per_class: 3,
                classifier_train_size: 2_000,
                ..DiffusionConfig::quick_base()
            },
            lrs: vec![2e-4],
            schedules: vec![ScheduleKind::Cosine],
            steps: vec![250],
            recipes: vec![],
            seeds: vec![42],
        }
    }

    fn full() -> Self {
        Self {
            base: DiffusionConfig {
                // diffusion/hyperparams' budget per model (its network, 20,000 images, 2
                // epochs), with 50 samples per class for the recognition rate.
                train_size: 20_000,
                epochs: 2,
                channel_mults: vec![1, 2, 2],
                attention: false,
                classifier_epochs: 2,
                samples_per_class: 50,
                ..DiffusionConfig::full_base()
            },
            seeds: vec![42, 1, 2],
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.base.check()?;
        for &lr in &self.lrs {
            require_rate("lrs", lr)?;
        }
        require(
            !self.schedules.contains(&ScheduleKind::Custom),
            "schedules",
            "each must be linear or cosine",
        )?;
        require(
            self.steps.iter().all(|&t| (10..=4000).contains(&t)),
            "steps",
            "each T must be 10 to 4000",
        )?;
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")?;
        for recipe in &self.recipes {
            require(
                with_recipe(&self.base, recipe).is_some(),
                "recipes",
                "each must be `cosine-decay`, `hflip` or `min-snr-G` with G > 0 (e.g. `min-snr-5`)",
            )?;
        }
        Ok(())
    }

    fn fixed_datasets(&self) -> Vec<String> {
        vec![self.base.dataset.clone()]
    }
}

/// The baseline and each one-factor change of it, named for the figures.
pub fn variants(config: &OneFactorConfig) -> Vec<(String, DiffusionConfig)> {
    let base = &config.base;
    let mut out = vec![(
        format!(
            "baseline ({}, lr {}, T {})",
            format!("{:?}", base.schedule).to_lowercase(),
            base.lr,
            base.steps
        ),
        base.clone(),
    )];
    for &lr in &config.lrs {
        out.push((format!("lr {lr}"), DiffusionConfig { lr, ..base.clone() }));
    }
    for schedule in &config.schedules {
        out.push((
            format!("{schedule:?} schedule").to_lowercase(),
            DiffusionConfig {
                schedule: schedule.clone(),
                ..base.clone()
            },
        ));
    }
    for &steps in &config.steps {
        let scale = base.steps as f64 / steps as f64;
        out.push((
            format!("T {steps}"),
            DiffusionConfig {
                steps,
                beta_start: base.beta_start * scale,
                beta_end: (base.beta_end * scale).min(0.999),
                ..base.clone()
            },
        ));
    }
    for recipe in &config.recipes {
        if let Some(settings) = with_recipe(base, recipe) {
            out.push((recipe.clone(), settings));
        }
    }
    out
}

/// `base` with the training-recipe change `name` (see [`OneFactorConfig::recipes`]), or
/// `None` for a name that is not one.
pub fn with_recipe(base: &DiffusionConfig, name: &str) -> Option<DiffusionConfig> {
    let mut changed = base.clone();
    match name {
        "cosine-decay" => changed.cosine_decay = true,
        "hflip" => changed.hflip = true,
        _ => {
            let gamma: f64 = name.strip_prefix("min-snr-")?.parse().ok()?;
            if !(gamma > 0.0 && gamma.is_finite()) {
                return None;
            }
            changed.min_snr = gamma;
        }
    }
    Some(changed)
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "A baseline and variants that each change one factor (learning rate, beta schedule, number of steps T), each trained once per seed with the same budget: the first figure shows every seed's recognition rate per variant, the second each variant's difference from the baseline seed by seed. A factor matters where that difference's whisker stays clear of zero; the loss curves are not comparable across schedules.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "recognised: baseline {variant0_recognition_rate:%}, lr {variant1_recognition_rate:%}, cosine {variant2_recognition_rate:%}, T 250 {variant3_recognition_rate:%}";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str = "too short to separate the settings (one seed, 1,000 images: the samples are still noise; chance is 10%)";

/// Trains every variant once per seed, samples and judges it; draws the recognition rates
/// (`recognition_by_variant.png`), the seed-by-seed differences from the baseline
/// (`difference_from_baseline.png`), the first seed's loss curves (`loss_curves.png`) and
/// its first sample of every class, one row per variant (`samples_by_variant.png`).
pub fn run(config: &OneFactorConfig, run: &mut Run) -> Result<Summary> {
    let base = &config.base;
    let setup = Setup::prepare(base, run)?;
    let classes = setup.classes;
    let variants = variants(config);
    let mut metrics = BTreeMap::from([
        (
            "classifier_test_accuracy".to_string(),
            setup.judge.test_accuracy,
        ),
        // How many seeds each spread is over: the report prints no spread for one.
        ("seeds".to_string(), config.seeds.len() as f64),
    ]);
    let measured = train_every_variant(run, config, &setup, &variants, &mut metrics)?;
    let names: Vec<String> = variants.iter().map(|(n, _)| n.clone()).collect();
    let differences = compare_with_baseline(&names, &measured.rates, &mut metrics);
    for (v, values) in measured.saturations.iter().enumerate() {
        let spread = Spread::of(values);
        metrics.insert(format!("variant{v}_mean_saturation"), spread.mean);
        metrics.insert(format!("variant{v}_mean_saturation_std"), spread.std);
    }
    draw_spreads(run, config, &setup, &names, measured.rates, differences)?;
    loss_curves(
        run,
        "loss_curves",
        "Training loss of each variant (first seed; schedules weigh t differently)",
        &measured.first_seed_stages,
    )?;
    save_first_seed_rows(run, &names, measured.first_seed_rows, classes)?;
    for (v, name) in names.iter().enumerate() {
        run.note(format!("variant{v}: {name}"));
    }
    run.note(format!(
        "samples_by_variant.png: one row per variant (seed {}), columns the classes in order ({})",
        config.seeds[0],
        setup.train.class_names.join(", ")
    ));
    Ok(run.summary(base.epochs, metrics))
}

/// What every variant is trained on and judged with: the data, the network's spec, the
/// judge, the sampler and the guidance.
struct Setup {
    train: ImageDataset,
    test: ImageDataset,
    classes: usize,
    spec: UNetSpec,
    /// `[c, h, w]` of an image.
    shape: [usize; 3],
    judge: Recognizer,
    sampler: Sampler,
    guidance: Option<Guidance>,
}

impl Setup {
    /// Loads the data and trains the judge (before any variant, as the device's seeds
    /// expect).
    fn prepare(base: &DiffusionConfig, run: &mut Run) -> Result<Setup> {
        let (train, test) = load_data(base, run)?;
        super::note_dataset_departure(base, run);
        let classes = train.num_classes();
        let spec = base.unet(train.shape.channels, classes);
        let shape = [train.shape.channels, train.shape.height, train.shape.width];
        let judge_data = subset(train.clone(), base.classifier_train_size, run.seed);
        let judge = Recognizer::train(run, &judge_data, &test, base.classifier_epochs)?;
        let sampler = base.sampler()?;
        let guidance = base.guidance(&spec);
        Ok(Setup {
            train,
            test,
            classes,
            spec,
            shape,
            judge,
            sampler,
            guidance,
        })
    }
}

/// What training every variant once per seed measured.
struct Measured {
    /// Per variant, the recognition rate of each seed, in seed order.
    rates: Vec<Vec<f64>>,
    /// Per variant, the samples' mean HSV saturation for each seed (0 for grey images).
    saturations: Vec<Vec<f64>>,
    /// Per variant, its name and the first seed's stage folder, for the loss curves.
    first_seed_stages: Vec<(String, PathBuf)>,
    /// `[classes, c, h, w]` per variant: the first seed's first sample of each class.
    first_seed_rows: Vec<Tensor<4>>,
}

/// For each seed, trains and judges every variant with the run's seed set to it, and
/// adds each model's final loss to `metrics`.
fn train_every_variant(
    run: &mut Run,
    config: &OneFactorConfig,
    setup: &Setup,
    variants: &[(String, DiffusionConfig)],
    metrics: &mut BTreeMap<String, f64>,
) -> Result<Measured> {
    let base = &config.base;
    let classes = setup.classes;
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut saturations: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut first_seed_stages = Vec::new();
    // `[classes, c, h, w]` per variant: the first seed's first sample of each class.
    let mut first_seed_rows: Vec<Tensor<4>> = Vec::new();
    let run_seed = run.seed;
    for (s, &seed) in config.seeds.iter().enumerate() {
        for (v, (name, settings)) in variants.iter().enumerate() {
            run.seed = seed;
            let trained = train_and_judge(run, base, setup, (v, seed), settings);
            run.seed = run_seed;
            let (trained, dir, judged) = trained?;
            let rate = judged.rate;
            let colour = ColourComparison::measure(
                &dataset_from_symmetric(judged.samples.clone()),
                &setup.test,
            );
            eprintln!(
                "{name}, seed {seed}: final loss {:.4}, recognised {:.1}%, mean saturation {:.3}",
                trained.final_loss,
                100.0 * rate,
                colour.mean_saturation
            );
            rates[v].push(rate);
            saturations[v].push(colour.mean_saturation);
            metrics.insert("mean_saturation_real".into(), colour.mean_saturation_real);
            metrics.insert(
                format!("variant{v}_final_loss_seed{seed}"),
                trained.final_loss,
            );
            if s == 0 {
                first_seed_stages.push((name.clone(), dir));
                let per = base.samples_per_class.max(1);
                first_seed_rows.push(Tensor::cat(
                    (0..classes)
                        .map(|k| judged.samples.clone().narrow(0, k * per, 1))
                        .collect(),
                    0,
                ));
            }
        }
    }
    Ok(Measured {
        rates,
        saturations,
        first_seed_stages,
        first_seed_rows,
    })
}

/// Trains variant `v` (`settings`) in its stage for `seed` (the run's seed, set by the
/// caller), then samples `samples_per_class` of every class and has the judge classify them.
fn train_and_judge(
    run: &mut Run,
    base: &DiffusionConfig,
    setup: &Setup,
    (v, seed): (usize, u64),
    settings: &DiffusionConfig,
) -> Result<(Trained, PathBuf, Judged)> {
    settings
        .schedule()
        .map_err(nn_core::Error::from)
        .and_then(|schedule| {
            let (trained, dir) = train_in_stage(
                run,
                &format!("variant{v}-seed{seed}"),
                &setup.spec,
                &schedule,
                (&setup.train, &setup.test),
                &settings.train_settings(settings.lr),
            )?;
            let judged = sample_and_judge(
                run,
                (&trained.ema, &schedule, setup.shape),
                (&setup.judge, setup.classes, base.samples_per_class),
                (setup.sampler, setup.guidance, base.sample_batch),
                "samples",
            );
            Ok((trained, dir, judged))
        })
}

/// Adds each variant's mean recognition rate and spread over seeds to `metrics`, and for
/// each variant after the baseline its seed-by-seed difference from the baseline (in
/// points, printed too); returns those differences, one list per non-baseline variant.
fn compare_with_baseline(
    names: &[String],
    rates: &[Vec<f64>],
    metrics: &mut BTreeMap<String, f64>,
) -> Vec<Vec<f64>> {
    let mut differences = Vec::new();
    for (v, name) in names.iter().enumerate() {
        let spread = Spread::of(&rates[v]);
        metrics.insert(format!("variant{v}_recognition_rate"), spread.mean);
        metrics.insert(format!("variant{v}_recognition_rate_std"), spread.std);
        if v > 0 {
            let points: Vec<f64> = paired_differences(&rates[v], &rates[0])
                .iter()
                .map(|d| 100.0 * d)
                .collect();
            let difference = Spread::of(&points);
            eprintln!("{name} - baseline: {} points", difference.display(1));
            metrics.insert(format!("variant{v}_difference"), difference.mean);
            metrics.insert(format!("variant{v}_difference_std"), difference.std);
            differences.push(points);
        }
    }
    differences
}

/// `recognition_by_variant` (every seed's rate per variant) and
/// `difference_from_baseline` (each variant's seed-by-seed difference, in points).
fn draw_spreads(
    run: &mut Run,
    config: &OneFactorConfig,
    setup: &Setup,
    names: &[String],
    rates: Vec<Vec<f64>>,
    differences: Vec<Vec<f64>>,
) -> Result<()> {
    let classes = setup.classes;
    let seeds = config.seeds.len();
    let per_model = classes * config.base.samples_per_class;
    let rates_plot = SpreadPlot {
        title: format!(
            "Samples recognised as their class ({per_model} per model, {seeds} seed(s))"
        ),
        x_label: "variant".into(),
        y_label: format!(
            "recognition rate (judge {:.1}%, chance {})",
            100.0 * setup.judge.test_accuracy,
            1.0 / classes as f64
        ),
        groups: names.to_vec(),
        series: vec![SpreadSeries {
            label: "per seed".into(),
            values: rates,
        }],
        zero_line: false,
    };
    let difference_plot = SpreadPlot {
        title: format!("Difference from the baseline, seed by seed ({seeds} seed(s))"),
        x_label: "variant (one factor changed)".into(),
        y_label: "recognition rate difference (points)".into(),
        groups: names[1..].to_vec(),
        series: vec![SpreadSeries {
            label: "variant - baseline".into(),
            values: differences,
        }],
        zero_line: true,
    };
    for file in rates_plot
        .save(&run.path("recognition_by_variant"))?
        .into_iter()
        .chain(difference_plot.save(&run.path("difference_from_baseline"))?)
    {
        run.add_file(&file);
    }
    Ok(())
}

/// `samples_by_variant.png`: one `[classes, c, h, w]` row per variant, captioned with
/// the variant's short name.
fn save_first_seed_rows(
    run: &mut Run,
    names: &[String],
    first_seed_rows: Vec<Tensor<4>>,
    classes: usize,
) -> Result<()> {
    let captions: Vec<Option<String>> = names
        .iter()
        // "baseline (linear, lr 0.001, T 1000)" is spelled out in the notes; a row says "baseline".
        .flat_map(|name| {
            let short = name.split(" (").next().unwrap_or(name).to_string();
            (0..classes).map(move |k| (k == 0).then(|| short.clone()))
        })
        .collect();
    save_images(
        run,
        "samples_by_variant.png",
        Tensor::cat(first_seed_rows, 0),
        &captions,
        classes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_changes_one_factor_and_fewer_steps_scale_the_betas() {
        let config = OneFactorConfig::quick();
        assert!(config.validate().is_ok());
        assert!(OneFactorConfig::full().validate().is_ok());
        let variants = variants(&config);
        assert_eq!(variants.len(), 4);
        let base = &config.base;
        let (_, lr) = &variants[1];
        assert_eq!(
            (lr.lr, &lr.schedule, lr.steps),
            (2e-4, &base.schedule, base.steps)
        );
        let (_, cosine) = &variants[2];
        assert_eq!(
            (cosine.lr, &cosine.schedule),
            (base.lr, &ScheduleKind::Cosine)
        );
        let (_, short) = &variants[3];
        assert_eq!(short.steps, 250);
        assert!((short.beta_end - 4.0 * base.beta_end).abs() < 1e-12);
        // The scaled schedule still ends in (almost) pure noise.
        let alpha_bar: f64 = (0..short.steps)
            .map(|i| {
                let beta = short.beta_start
                    + (short.beta_end - short.beta_start) * i as f64 / (short.steps - 1) as f64;
                1.0 - beta
            })
            .product();
        assert!(alpha_bar < 1e-3, "{alpha_bar}");
        let bad = OneFactorConfig {
            schedules: vec![ScheduleKind::Custom],
            ..OneFactorConfig::quick()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("schedules")
        );
    }

    #[test]
    fn each_recipe_changes_its_one_setting_and_unknown_names_are_refused() {
        let config = OneFactorConfig {
            lrs: vec![],
            schedules: vec![],
            steps: vec![],
            recipes: vec!["cosine-decay".into(), "hflip".into(), "min-snr-5".into()],
            ..OneFactorConfig::quick()
        };
        config.validate().unwrap();
        let variants = variants(&config);
        let names: Vec<&str> = variants.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(&names[1..], ["cosine-decay", "hflip", "min-snr-5"]);
        let changed = |c: &DiffusionConfig| (c.cosine_decay, c.hflip, c.min_snr);
        assert_eq!(changed(&variants[0].1), (false, false, 0.0));
        assert_eq!(changed(&variants[1].1), (true, false, 0.0));
        assert_eq!(changed(&variants[2].1), (false, true, 0.0));
        assert_eq!(changed(&variants[3].1), (false, false, 5.0));
        for bad in ["min-snr-0", "min-snr-x", "flip", ""] {
            let config = OneFactorConfig {
                recipes: vec![bad.into()],
                ..OneFactorConfig::quick()
            };
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains("recipes"), "{bad}: {error}");
        }
    }
}
