//! The adversarial loop, shared by both experiments. Each batch: `d_steps` discriminator
//! updates on real images (target "real") and detached fakes (target "fake"), then
//! `g_steps` generator updates with the non-saturating loss `-log D(G(z))`, all binary
//! cross-entropy on logits. Everything else comes from `nn_core::train::fit`: seeding,
//! progress, divergence stop, atomic checkpoints of both networks and their optimisers,
//! `--resume`.

use crate::features::FeatureSpace;
use crate::frechet::{Gaussian, frechet_distance};
use crate::models::{Discriminator, Generator};
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::{sigmoid, softplus};
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{
    Checkpoint, EpochLog, FitOptions, ModelState, StepLog, TrainState, adam, fit, read_steps,
    smoothed,
};
use nn_core::viz::{Curve, CurvePlot, save_grid, tensor_to_images};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// The per-step figures averaged into each epoch's log.
const KEYS: [&str; 4] = ["d_loss", "g_loss", "d_real", "d_fake"];

/// How a GAN is trained and watched.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GanSettings {
    pub epochs: usize,
    pub batch_size: usize,
    pub latent: usize,
    pub lr_generator: f64,
    pub lr_discriminator: f64,
    /// Adam's betas (0.5, 0.999 is the usual choice for GANs).
    pub beta_1: f64,
    pub beta_2: f64,
    /// Discriminator and generator updates per batch.
    pub d_steps: usize,
    pub g_steps: usize,
    /// Epochs whose samples of the fixed noise go into the progression strip (the last
    /// epoch always does).
    pub snapshot_epochs: Vec<usize>,
    /// Generated images per Frechet distance.
    pub frechet_samples: usize,
    /// Warn of mode collapse when the samples' mean pairwise distance falls below this
    /// fraction of the real images'.
    pub collapse_ratio: f64,
}

struct GanState<G, D> {
    g: ModelState<G>,
    d: ModelState<D>,
}

impl<G: Module, D: Module> TrainState for GanState<G, D> {
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()> {
        self.g.save_as(checkpoint, "generator")?;
        self.d.save_as(checkpoint, "discriminator")
    }

    fn restore(self, checkpoint: &Checkpoint) -> Result<Self> {
        Ok(Self {
            g: self.g.restore_as(checkpoint, "generator")?,
            d: self.d.restore_as(checkpoint, "discriminator")?,
        })
    }
}

/// Binary cross-entropy of logits against "real" (`-log sigmoid(l)`), per element.
fn bce_real(logits: Tensor<2>) -> Tensor<2> {
    softplus(logits.neg(), 1.0)
}

/// Binary cross-entropy of logits against "fake" (`-log(1 - sigmoid(l))`).
fn bce_fake(logits: Tensor<2>) -> Tensor<2> {
    softplus(logits, 1.0)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
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

/// Frechet distance of `count` samples of `g` to the real images' Gaussian.
pub fn frechet_of<G: Generator>(
    g: &G,
    count: usize,
    latent: usize,
    space: &FeatureSpace,
    real: &Gaussian,
    device: &Device,
    seed: u64,
) -> f64 {
    nn_core::backend::seed_device(device, seed, "frechet samples");
    let g = g.valid();
    let mut parts = Vec::new();
    let mut left = count;
    while left > 0 {
        let n = left.min(250);
        let z = Tensor::<2>::random([n, latent], Distribution::Normal(0.0, 1.0), device);
        parts.push(g.generate(z));
        left -= n;
    }
    let generated = dataset_from_symmetric(Tensor::cat(parts, 0));
    frechet_distance(real, &space.gaussian(&generated, device))
}

/// Trains the pair; returns the figures the summary promises, and writes the progression
/// strip, the curves and the interpolation strip.
pub fn train_gan<G: Generator, D: Discriminator>(
    run: &mut Run,
    generator: G,
    discriminator: D,
    real: &ImageDataset,
    settings: &GanSettings,
    space: &FeatureSpace,
    real_gaussian: &Gaussian,
) -> Result<BTreeMap<String, f64>> {
    let device = run.train_device();
    let cpu = run.device.clone();
    let norm = Normalization::symmetric(real.shape.channels);
    let latent = settings.latent;
    let batch = settings.batch_size.max(1);

    // The fixed noise every snapshot is drawn from, and real images to compare diversity.
    nn_core::backend::seed_device(&cpu, run.seed, "fixed noise");
    let fixed = Tensor::<2>::random([10, latent], Distribution::Normal(0.0, 1.0), &cpu);
    let real_sample: Vec<usize> = (0..10.min(real.len())).collect();
    let real_spread = mean_pairwise_distance(batch_images(real, &real_sample, &norm, &cpu));

    let snapshots = run.path("snapshots");
    std::fs::create_dir_all(&snapshots).map_err(|e| nn_core::Error::io(&snapshots, e))?;
    let steps_path = run.path("steps.jsonl");
    let first_path = run.path("frechet_first_epoch.txt");
    let seed = run.seed;
    let state = GanState {
        g: ModelState::new(generator, adam(settings.beta_1, settings.beta_2)),
        d: ModelState::new(discriminator, adam(settings.beta_1, settings.beta_2)),
    };
    let options = FitOptions::new(settings.epochs, real.len().div_ceil(batch));
    let steps_per_epoch = real.len().div_ceil(batch);
    let mut warnings: Vec<String> = Vec::new();
    // Early samples of an untrained generator all look alike; collapse is when samples
    // that were diverse at an earlier snapshot become alike.
    let mut was_diverse = false;
    let state = fit(run, &options, state, |mut state, ctx| {
        let mut steps_file = StepLog::open(&steps_path, ctx)?;
        let order = ctx.data_order(real.len());
        for (b, chunk) in ctx.batches(order.chunks(batch)) {
            let n = chunk.len();
            let real_batch = batch_images(real, chunk, &norm, &device);
            let (mut d_loss, mut d_real, mut d_fake) = (0.0, 0.0, 0.0);
            for _ in 0..settings.d_steps.max(1) {
                let z = Tensor::<2>::random([n, latent], Distribution::Normal(0.0, 1.0), &device);
                let fake = state.g.model.generate(z).detach();
                let real_logits = state.d.model.logits(real_batch.clone());
                let fake_logits = state.d.model.logits(fake);
                d_real = scalar(sigmoid(real_logits.clone()).mean());
                d_fake = scalar(sigmoid(fake_logits.clone()).mean());
                let loss = bce_real(real_logits).mean() + bce_fake(fake_logits).mean();
                d_loss = scalar(loss.clone());
                state.d = state.d.step(settings.lr_discriminator, loss);
            }
            let mut g_loss = 0.0;
            for _ in 0..settings.g_steps.max(1) {
                let z = Tensor::<2>::random([n, latent], Distribution::Normal(0.0, 1.0), &device);
                let loss = bce_real(state.d.model.logits(state.g.model.generate(z))).mean();
                g_loss = scalar(loss.clone());
                state.g = state.g.step(settings.lr_generator, loss);
            }
            ctx.step(d_loss + g_loss)?;
            for (key, value) in KEYS.iter().zip([d_loss, g_loss, d_real, d_fake]) {
                ctx.add(key, value);
            }
            let step = (ctx.epoch - 1) * steps_per_epoch + b + 1;
            let line = serde_json::json!({
                "epoch": ctx.epoch, "step": step, "d_loss": d_loss, "g_loss": g_loss,
                "d_real": d_real, "d_fake": d_fake,
            });
            steps_file.append(&line)?;
        }
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let steps = ctx.steps().max(1) as f64;
        let mut figures: BTreeMap<String, f64> = KEYS
            .iter()
            .map(|key| (key.to_string(), ctx.sum(key) / steps))
            .collect();
        if settings.snapshot_epochs.contains(&ctx.epoch) || ctx.epoch == settings.epochs {
            let samples = state.g.model.valid().generate(fixed.clone());
            let spread = mean_pairwise_distance(samples.clone()) / real_spread.max(1e-9);
            figures.insert("sample_diversity_ratio".into(), spread);
            if spread >= settings.collapse_ratio {
                was_diverse = true;
            } else if was_diverse {
                let warning = format!(
                    "mode collapse suspected at epoch {}: the samples' mean pairwise distance is {:.2} of the real images' (threshold {})",
                    ctx.epoch, spread, settings.collapse_ratio
                );
                eprintln!("warning: {warning}");
                warnings.push(warning);
            }
            let data = dataset_from_symmetric(samples);
            let path = snapshots.join(format!("epoch_{:04}.u8", ctx.epoch));
            std::fs::write(&path, &data.pixels).map_err(|e| nn_core::Error::io(&path, e))?;
        }
        if ctx.epoch == 1 {
            let fd = frechet_of(
                &state.g.model,
                settings.frechet_samples,
                latent,
                space,
                real_gaussian,
                &cpu,
                seed,
            );
            figures.insert("frechet".into(), fd);
            std::fs::write(&first_path, fd.to_string())
                .map_err(|e| nn_core::Error::io(&first_path, e))?;
        }
        let log: EpochLog = vec![("train", figures)];
        Ok((state, log))
    })?;
    for warning in warnings {
        run.note(warning);
    }

    let generator = state.g.model.valid();
    let mut figures = BTreeMap::new();
    figures.insert(
        "frechet_final".into(),
        frechet_of(
            &generator,
            settings.frechet_samples,
            latent,
            space,
            real_gaussian,
            &cpu,
            seed,
        ),
    );
    if let Some(first) = std::fs::read_to_string(&first_path)
        .ok()
        .and_then(|t| t.trim().parse::<f64>().ok())
    {
        figures.insert("frechet_first_epoch".into(), first);
    }
    let steps = read_steps(&steps_path);
    let late: Vec<&serde_json::Value> = steps
        .iter()
        .filter(|s| s["epoch"].as_u64().unwrap_or(0) as usize > settings.epochs / 2)
        .collect();
    for (key, name) in [
        ("d_real", "mean_d_real_last_half"),
        ("d_fake", "mean_d_fake_last_half"),
    ] {
        let mean =
            late.iter().filter_map(|s| s[key].as_f64()).sum::<f64>() / late.len().max(1) as f64;
        figures.insert(name.into(), mean);
    }
    let final_samples = generator.generate(fixed.clone());
    figures.insert(
        "sample_diversity_ratio".into(),
        mean_pairwise_distance(final_samples) / real_spread.max(1e-9),
    );

    draw_step_curves(run, &steps)?;
    draw_progression(run, real, &snapshots)?;
    // A straight line in noise space between two fixed noise vectors.
    let a = fixed.clone().slice([0..1, 0..latent]);
    let b = fixed.slice([1..2, 0..latent]);
    let line: Vec<Tensor<2>> = (0..10)
        .map(|i| {
            let t = i as f64 / 9.0;
            a.clone() * (1.0 - t) + b.clone() * t
        })
        .collect();
    let strip = tensor_to_images(generator.generate(Tensor::cat(line, 0)), &norm);
    let path = run.path("interpolation.png");
    save_grid(&path, &strip, 10, 3)?;
    run.add_file(&path);
    Ok(figures)
}

/// Losses and D's mean outputs per step, averaged over windows so the trend shows.
fn draw_step_curves(run: &mut Run, steps: &[serde_json::Value]) -> Result<()> {
    let curve = |key: &str, label: &str| Curve {
        label: label.into(),
        points: smoothed(steps, key, 150),
    };
    for (stem, title, y, curves) in [
        (
            "losses",
            "GAN losses per step",
            "binary cross-entropy",
            vec![
                curve("d_loss", "discriminator"),
                curve("g_loss", "generator (non-saturating)"),
            ],
        ),
        (
            "discriminator_outputs",
            "D's mean output: on real images D(x), on fakes D(G(z))",
            "probability of real",
            vec![curve("d_real", "D(x)"), curve("d_fake", "D(G(z))")],
        ),
    ] {
        let plot = CurvePlot {
            title: title.into(),
            x_label: "step".into(),
            y_label: y.into(),
            curves,
            log_y: false,
        };
        for file in plot.save(&run.path(stem))? {
            run.add_file(&file);
        }
    }
    Ok(())
}

/// One row per snapshot epoch of the fixed noise's samples: the progression strip.
fn draw_progression(run: &mut Run, real: &ImageDataset, dir: &std::path::Path) -> Result<()> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| nn_core::Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "u8"))
        .collect();
    files.sort();
    let size = real.shape.len();
    let mut cells = Vec::new();
    for file in files {
        let pixels = std::fs::read(&file).map_err(|e| nn_core::Error::io(&file, e))?;
        let epoch = file
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.strip_prefix("epoch_"))
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0);
        for (i, image) in pixels.chunks_exact(size).enumerate() {
            cells.push(nn_core::viz::GridImage {
                shape: real.shape,
                pixels: image.to_vec(),
                caption: (i == 0).then(|| format!("epoch {epoch}")),
            });
        }
    }
    let path = run.path("progression.png");
    save_grid(&path, &cells, 10, 2)?;
    run.add_file(&path);
    Ok(())
}
