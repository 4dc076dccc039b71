//! `gans/what-mattered`: the lesson of the week in one table. The DCGAN starts from
//! burn's defaults and gains the field's small-data tricks one at a time (DCGAN's
//! initialisation, full batches only, a slower D, DiffAugment, the relativistic loss, a
//! wider pair), each rung trained once per seed on the same faces; every rung's
//! fixed-feature Frechet distance is quoted as mean and spread over the seeds, and its
//! change from the rung below seed by seed (runs of one seed share their held-out
//! images and noise).

use super::{GanConfig, run_gan};
use crate::augment::AugmentPolicy;
use crate::losses::GanLoss;
use crate::models::{DcDiscriminator, DcGenerator};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::metrics::{Spread, paired_differences};
use nn_core::viz::{SpreadPlot, SpreadSeries};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// The rungs, in order: each adds its trick to all those before it.
pub const RUNGS: [&str; 7] = [
    "burn-defaults",
    "dcgan-init",
    "full-batches",
    "slow-d",
    "diffaugment",
    "ralsgan",
    "wider",
];

/// Settings of `gans/what-mattered`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatMatteredConfig {
    /// The DCGAN every rung starts from; its recipe keys (init, batches, learning rates,
    /// augmentation, loss, width) are set by the rungs.
    pub gan: GanConfig,
    /// Some of the rungs, in ladder order; `burn-defaults` must be the first.
    pub rungs: Vec<String>,
    /// One training per (rung, seed).
    pub seeds: Vec<u64>,
    /// D's learning rate from the `slow-d` rung on (G keeps `gan.lr_generator`).
    pub slow_lr_discriminator: f64,
    /// The width from the `wider` rung on.
    pub wider_width: usize,
}

impl ExperimentConfig for WhatMatteredConfig {
    fn quick() -> Self {
        Self {
            gan: GanConfig {
                epochs: 2,
                snapshot_epochs: vec![1],
                width: 8,
                frechet_samples: 500,
                ..GanConfig::quick_base()
            },
            rungs: RUNGS.iter().map(|r| r.to_string()).collect(),
            seeds: vec![42],
            slow_lr_discriminator: 5e-5,
            wider_width: 16,
        }
    }

    fn full() -> Self {
        Self {
            gan: GanConfig {
                epochs: 25,
                snapshot_epochs: vec![1, 10, 20],
                width: 32,
                frechet_samples: 3_000,
                ..GanConfig::quick_base()
            },
            seeds: vec![42, 1, 2],
            wider_width: 64,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.gan.check()?;
        require(
            self.rungs.first().map(String::as_str) == Some(RUNGS[0]),
            "rungs",
            "must start with \"burn-defaults\", the baseline every trick is added to",
        )?;
        let mut last = 0;
        for rung in &self.rungs {
            let Some(position) = RUNGS.iter().position(|r| r == rung) else {
                return Err(ConfigError::Key {
                    key: "rungs".into(),
                    message: format!("`{rung}` is not a rung: use some of {}", RUNGS.join(", ")),
                });
            };
            require(
                position >= last,
                "rungs",
                "must keep the ladder's order (each rung adds to those before it)",
            )?;
            last = position;
        }
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")?;
        nn_core::experiment::require_rate("slow_lr_discriminator", self.slow_lr_discriminator)?;
        require(self.wider_width >= 4, "wider_width", "must be at least 4")
    }

    fn fixed_datasets(&self) -> Vec<String> {
        self.gan.fixed_datasets()
    }
}

/// The DCGAN config of `rung`: burn's defaults with every trick up to the rung.
pub fn rung_config(config: &WhatMatteredConfig, rung: &str) -> GanConfig {
    let reached = |trick: &str| {
        let at = RUNGS.iter().position(|r| *r == rung).unwrap_or(0);
        RUNGS[..=at].contains(&trick)
    };
    GanConfig {
        dcgan_init: reached("dcgan-init"),
        full_batches: reached("full-batches"),
        lr_discriminator: if reached("slow-d") {
            config.slow_lr_discriminator
        } else {
            config.gan.lr_generator
        },
        augment: if reached("diffaugment") {
            AugmentPolicy::Diff
        } else {
            AugmentPolicy::None
        },
        loss: if reached("ralsgan") {
            GanLoss::Ralsgan
        } else {
            GanLoss::NonSaturating
        },
        width: if reached("wider") {
            config.wider_width
        } else {
            config.gan.width
        },
        ..config.gan.clone()
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "A DCGAN from burn's defaults, gaining the field's small-data tricks one rung at a time (DCGAN initialisation, full batches, a slower D, DiffAugment, the relativistic loss, a wider pair), each rung trained once per seed: read each rung's Frechet distance in the fixed features (lower is better, against its floor) and its change from the rung above, seed by seed; a trick matters where that change stays clear of its spread.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "Frechet (fixed): burn's defaults {burn-defaults_frechet_fixed:±}, every trick {wider_frechet_fixed:±} (floor {frechet_fixed_floor})";
/// What the quick preset cannot show: said before its headline in the report.
pub const QUICK_CAVEAT: &str = "too short to rank the tricks (one seed, two epochs at width 8)";

/// Trains every (rung, seed) in its own stage; the table, the summary's figures and
/// `what_mattered.png`.
pub fn run(config: &WhatMatteredConfig, run: &mut Run) -> Result<Summary> {
    let mut metrics = BTreeMap::new();
    metrics.insert("seeds".to_string(), config.seeds.len() as f64);
    let mut frechet: Vec<Vec<f64>> = Vec::new();
    let mut floors = Vec::new();
    let mut table = String::from(
        "| rung (each adds to those above) | Frechet (fixed) | change from the rung above, seed by seed | cat share | minutes per run |\n|---|---:|---:|---:|---:|\n",
    );
    for rung in &config.rungs {
        let gan = rung_config(config, rung);
        let RungRuns {
            scores,
            cats,
            minutes,
        } = train_rung(config, run, &gan, rung, &mut floors)?;
        let spread = Spread::of(&scores);
        let change = frechet
            .last()
            .map(|below| Spread::of(&paired_differences(&scores, below)).display(1))
            .unwrap_or_else(|| "(baseline)".into());
        table.push_str(&format!(
            "| {rung} | {} | {change} | {:.2} | {:.1} |\n",
            spread.display(1),
            Spread::of(&cats).mean,
            Spread::of(&minutes).mean
        ));
        metrics.insert(format!("{rung}_frechet_fixed"), spread.mean);
        metrics.insert(format!("{rung}_frechet_fixed_std"), spread.std);
        metrics.insert(format!("{rung}_cat_share"), Spread::of(&cats).mean);
        frechet.push(scores);
    }
    let floor = Spread::of(&floors);
    metrics.insert("frechet_fixed_floor".into(), floor.mean);
    table.push_str(&format!(
        "\nFloor (as many real training images against the same held-out ones): {}.\n",
        floor.display(2)
    ));
    let path = run.path("what_mattered.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    print!("{table}");
    draw_ladder(config, run, frechet)?;
    Ok(run.summary(config.gan.epochs, metrics))
}

/// What one rung's trainings gave, one value per seed in the order of `config.seeds`.
struct RungRuns {
    /// Frechet distance in the fixed features.
    scores: Vec<f64>,
    /// Share of generated images the fixed CIFAR-10 classifier calls cats (NaN when unmeasured).
    cats: Vec<f64>,
    /// Wall time of each training.
    minutes: Vec<f64>,
}

/// Trains the rung's DCGAN (`gan`) once per seed, each in its own stage
/// (`<rung>-seed<seed>`); appends each seed's Frechet floor to `floors`.
fn train_rung(
    config: &WhatMatteredConfig,
    run: &mut Run,
    gan: &GanConfig,
    rung: &str,
    floors: &mut Vec<f64>,
) -> Result<RungRuns> {
    let (mut scores, mut cats, mut minutes) = (Vec::new(), Vec::new(), Vec::new());
    for &seed in &config.seeds {
        let mut stage = run.stage(&format!("{rung}-seed{seed}"))?;
        stage.seed = seed;
        let summary = run_gan(gan, &mut stage, |c, [channels, side, _], device| {
            let options = c.dcgan_options();
            (
                DcGenerator::with_options(c.latent, c.width, [channels, side], &options, device),
                DcDiscriminator::with_options(c.width, [channels, side], &options, device),
            )
        })?;
        run.absorb(&stage);
        let figure = |key: &str| summary.metrics.get(key).copied().unwrap_or(f64::NAN);
        scores.push(figure("frechet_fixed"));
        cats.push(figure("cat_share"));
        floors.push(figure("frechet_fixed_floor"));
        minutes.push(summary.wall_seconds / 60.0);
        eprintln!(
            "{rung}, seed {seed}: frechet_fixed {:.2}",
            figure("frechet_fixed")
        );
    }
    Ok(RungRuns {
        scores,
        cats,
        minutes,
    })
}

/// Draws every rung's Frechet distance, seed by seed (`what_mattered.png`); `frechet`
/// holds one list per rung, one value per seed.
fn draw_ladder(config: &WhatMatteredConfig, run: &mut Run, frechet: Vec<Vec<f64>>) -> Result<()> {
    let plot = SpreadPlot {
        title: format!(
            "DCGAN on {} faces, tricks added one at a time ({} seed(s), {} epochs each)",
            config.gan.side,
            config.seeds.len(),
            config.gan.epochs
        ),
        x_label: "rung (each adds to those before it)".into(),
        y_label: "Frechet distance in the fixed features (lower is better)".into(),
        groups: config.rungs.clone(),
        series: vec![SpreadSeries {
            label: "frechet_fixed".into(),
            values: frechet,
        }],
        zero_line: false,
    };
    for file in plot.save(&run.path("what_mattered"))? {
        run.add_file(&file);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rung_adds_its_trick_to_those_below() {
        let config = WhatMatteredConfig::full();
        let base = rung_config(&config, "burn-defaults");
        assert!(!base.dcgan_init && !base.full_batches && base.augment == AugmentPolicy::None);
        let slow = rung_config(&config, "slow-d");
        assert!(slow.dcgan_init && slow.full_batches && slow.lr_discriminator == 5e-5);
        assert_eq!(slow.loss, GanLoss::NonSaturating);
        let top = rung_config(&config, "wider");
        assert!(top.augment == AugmentPolicy::Diff && top.loss == GanLoss::Ralsgan);
        assert_eq!((top.width, base.width), (64, 32));
    }

    #[test]
    fn presets_check_and_a_rung_out_of_order_is_named() {
        assert!(WhatMatteredConfig::quick().validate().is_ok());
        assert!(WhatMatteredConfig::full().validate().is_ok());
        let shuffled = WhatMatteredConfig {
            rungs: vec![
                "burn-defaults".into(),
                "ralsgan".into(),
                "dcgan-init".into(),
            ],
            ..WhatMatteredConfig::quick()
        };
        let err = shuffled.validate().unwrap_err().to_string();
        assert!(err.contains("rungs") && err.contains("order"), "{err}");
        let unknown = WhatMatteredConfig {
            rungs: vec!["burn-defaults".into(), "mixup".into()],
            ..WhatMatteredConfig::quick()
        };
        assert!(
            unknown
                .validate()
                .unwrap_err()
                .to_string()
                .contains("mixup")
        );
    }
}
