//! Watching the game while it is played: every step's losses and D's outputs in
//! `steps.jsonl`; at chosen epochs the samples of one fixed noise batch, with a warning when
//! samples that were diverse become alike (mode collapse); the Frechet distance of the
//! samples (measured by `crate::realism`) after the first epoch and at the end.

use crate::models::Generator;
use crate::realism::{FrechetReference, frechet_of};
use crate::sampling::{DRAW_BATCH, draw};
use crate::settings::GanConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{EpochContext, StepLog};
use nn_core::{Result, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The per-step figures averaged into each epoch's log.
const KEYS: [&str; 4] = ["d_loss", "g_loss", "d_real", "d_fake"];

/// What one batch's updates measured: the last discriminator update's loss and mean
/// outputs D(x) on the real images and D(G(z)) on the fakes, the last generator update's
/// loss.
#[derive(Debug, Clone, Copy)]
pub struct StepFigures {
    /// D's loss (`crate::losses`; for the non-saturating one `-log D(x) - log(1 - D(G(z)))`).
    pub d_loss: f64,
    /// G's loss (for the non-saturating one `-log D(G(z))`).
    pub g_loss: f64,
    /// D's mean output on the real images (the sigmoid of its logits, whatever the loss).
    pub d_real: f64,
    /// D's mean output on the fakes (likewise).
    pub d_fake: f64,
}

/// Mean pairwise Euclidean distance between the images of a batch.
pub fn mean_pairwise_distance(images: Tensor<4>) -> f64 {
    let [n, c, h, w] = images.dims();
    let v = images.into_data().try_into_vec::<f32>().unwrap_or_default();
    let d = c * h * w;
    let (mut sum, mut pairs) = (0.0, 0);
    for i in 0..n {
        for j in i + 1..n {
            let s: f64 = (0..d)
                .map(|k| (v[i * d + k] - v[j * d + k]) as f64)
                .map(|x| x * x)
                .sum();
            sum += s.sqrt();
            pairs += 1;
        }
    }
    sum / pairs.max(1) as f64
}

/// What a GAN's training is watched with, and what the watching found so far.
pub struct Monitor<'a> {
    settings: &'a GanConfig,
    reference: &'a FrechetReference,
    cpu: Device,
    seed: u64,
    /// The fixed noise every snapshot is drawn from, `[10, latent]`.
    pub fixed: Tensor<2>,
    /// The fixed noise that fills the snapshot's pass up to [`DRAW_BATCH`].
    pub companions: Tensor<2>,
    /// Mean pairwise distance of ten real images, the yardstick of the samples' diversity.
    real_spread: f64,
    /// Where each snapshot epoch's samples go, as raw pixels (`epoch_NNNN.u8`).
    pub snapshots: PathBuf,
    steps_path: PathBuf,
    /// The first epoch's Frechet distance, kept on disk so a resumed run still reports it.
    first_path: PathBuf,
    steps_per_epoch: usize,
    /// Early samples of an untrained generator all look alike; collapse is when samples
    /// that were diverse at an earlier snapshot become alike.
    was_diverse: bool,
    warnings: Vec<String>,
}

impl<'a> Monitor<'a> {
    /// Draws the fixed noise (seed purpose "fixed noise") and measures the real images'
    /// spread; makes the snapshot folder.
    pub fn new(
        run: &Run,
        real: &ImageDataset,
        settings: &'a GanConfig,
        reference: &'a FrechetReference,
    ) -> Result<Self> {
        let cpu = run.device.clone();
        let norm = Normalization::symmetric(real.shape.channels);
        nn_core::backend::seed_device(&cpu, run.seed, "fixed noise");
        let fixed =
            Tensor::<2>::random([10, settings.latent], Distribution::Normal(0.0, 1.0), &cpu);
        let companions = Tensor::<2>::random(
            [DRAW_BATCH, settings.latent],
            Distribution::Normal(0.0, 1.0),
            &cpu,
        );
        let real_sample: Vec<usize> = (0..10.min(real.len())).collect();
        let real_spread = mean_pairwise_distance(batch_images(real, &real_sample, &norm, &cpu));
        let snapshots = run.path("snapshots");
        std::fs::create_dir_all(&snapshots).map_err(|e| nn_core::Error::io(&snapshots, e))?;
        Ok(Self {
            settings,
            reference,
            cpu,
            seed: run.seed,
            fixed,
            companions,
            real_spread,
            snapshots,
            steps_path: run.path("steps.jsonl"),
            first_path: run.path("frechet_first_epoch.txt"),
            steps_per_epoch: settings.steps_per_epoch(real.len()),
            was_diverse: false,
            warnings: Vec::new(),
        })
    }

    /// The step log, opened for the context's epoch.
    pub fn open_step_log(&self, ctx: &EpochContext) -> Result<StepLog> {
        StepLog::open(&self.steps_path, ctx)
    }

    /// The step log's file (`steps.jsonl`).
    pub fn steps_path(&self) -> &Path {
        &self.steps_path
    }

    /// Records the figures of batch `batch` (0-based in its epoch): into the epoch's sums
    /// and as one line of the step log.
    pub fn log_step(
        &self,
        ctx: &mut EpochContext,
        log: &mut StepLog,
        batch: usize,
        step: StepFigures,
    ) -> Result<()> {
        let StepFigures {
            d_loss,
            g_loss,
            d_real,
            d_fake,
        } = step;
        ctx.step(d_loss + g_loss)?;
        for (key, value) in KEYS.iter().zip([d_loss, g_loss, d_real, d_fake]) {
            ctx.add(key, value);
        }
        let step = (ctx.epoch - 1) * self.steps_per_epoch + batch + 1;
        let line = serde_json::json!({
            "epoch": ctx.epoch, "step": step, "d_loss": d_loss, "g_loss": g_loss,
            "d_real": d_real, "d_fake": d_fake,
        });
        log.append(&line)
    }

    /// The epoch's figures: the per-step means, and on snapshot epochs the samples'
    /// diversity, after the first the Frechet distance. `generator` is the one sampled (the
    /// weight average when there is one); `live`, given with an average, is also measured
    /// (`frechet_live`), so the two can be compared epoch by epoch.
    pub fn end_epoch<G: Generator>(
        &mut self,
        ctx: &EpochContext,
        generator: &G,
        live: Option<&G>,
    ) -> Result<BTreeMap<String, f64>> {
        let steps = ctx.steps().max(1) as f64;
        let mut figures: BTreeMap<String, f64> = KEYS
            .iter()
            .map(|key| (key.to_string(), ctx.sum(key) / steps))
            .collect();
        let snapshot =
            self.settings.snapshot_epochs.contains(&ctx.epoch) || ctx.epoch == self.settings.epochs;
        if snapshot {
            let spread = self.snapshot(ctx.epoch, generator)?;
            figures.insert("sample_diversity_ratio".into(), spread);
        }
        // The Frechet distance after the first epoch and at every snapshot: whether it falls.
        if snapshot || ctx.epoch == 1 {
            figures.insert("frechet".into(), self.frechet(generator)?);
            if let Some(live) = live {
                figures.insert("frechet_live".into(), self.frechet(live)?);
            }
        }
        if ctx.epoch == 1 {
            let fd = figures["frechet"];
            std::fs::write(&self.first_path, fd.to_string())
                .map_err(|e| nn_core::Error::io(&self.first_path, e))?;
        }
        Ok(figures)
    }

    /// Saves the fixed noise's samples of `epoch` and returns their diversity relative to
    /// the real images', warning of mode collapse.
    fn snapshot<G: Generator>(&mut self, epoch: usize, generator: &G) -> Result<f64> {
        let samples = draw(generator, self.fixed.clone(), &self.companions);
        let spread = mean_pairwise_distance(samples.clone()) / self.real_spread.max(1e-9);
        let ratio = self.settings.collapse_ratio;
        if spread >= ratio {
            self.was_diverse = true;
        } else if self.was_diverse {
            let warning = format!(
                "mode collapse suspected at epoch {epoch}: the samples' mean pairwise distance is {spread:.2} of the real images' (threshold {ratio})",
            );
            eprintln!("warning: {warning}");
            self.warnings.push(warning);
        }
        let data = dataset_from_symmetric(samples);
        let path = self.snapshots.join(format!("epoch_{epoch:04}.u8"));
        std::fs::write(&path, &data.pixels).map_err(|e| nn_core::Error::io(&path, e))?;
        Ok(spread)
    }

    /// The Frechet distance of the generator's samples (seed purpose "frechet samples").
    fn frechet<G: Generator>(&self, generator: &G) -> Result<f64> {
        frechet_of(
            generator,
            (self.settings.frechet_samples, self.settings.latent),
            self.reference,
            &self.cpu,
            self.seed,
        )
    }

    /// After training: the collapse warnings become notes of the run.
    pub fn note_warnings(&mut self, run: &mut Run) {
        for warning in self.warnings.drain(..) {
            run.note(warning);
        }
    }

    /// The summary's figures of the trained generator (drawn as [`draw`] draws): Frechet distance
    /// after the first epoch and now, D's mean outputs over the last half of the `steps`,
    /// the final samples' diversity; with a weight average, also the live G's distance
    /// (`frechet_live_final`).
    pub fn final_figures<G: Generator>(
        &self,
        generator: &G,
        live: Option<&G>,
        steps: &[serde_json::Value],
    ) -> Result<BTreeMap<String, f64>> {
        let mut figures = BTreeMap::new();
        let last = self.frechet(generator)?;
        figures.insert("frechet_final".into(), last);
        figures.insert("frechet_fixed".into(), last);
        if let Some(live) = live {
            figures.insert("frechet_live_final".into(), self.frechet(live)?);
        }
        if let Some(first) = std::fs::read_to_string(&self.first_path)
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
        {
            figures.insert("frechet_first_epoch".into(), first);
        }
        let late: Vec<&serde_json::Value> = steps
            .iter()
            .filter(|s| s["epoch"].as_u64().unwrap_or(0) as usize > self.settings.epochs / 2)
            .collect();
        for (key, name) in [
            ("d_real", "mean_d_real_last_half"),
            ("d_fake", "mean_d_fake_last_half"),
        ] {
            let mean =
                late.iter().filter_map(|s| s[key].as_f64()).sum::<f64>() / late.len().max(1) as f64;
            figures.insert(name.into(), mean);
        }
        let final_samples = draw(generator, self.fixed.clone(), &self.companions);
        figures.insert(
            "sample_diversity_ratio".into(),
            mean_pairwise_distance(final_samples) / self.real_spread.max(1e-9),
        );
        Ok(figures)
    }
}
