//! The adversarial loop, shared by both experiments. Each batch: `d_steps` discriminator
//! updates on real images (target "real") and detached fakes (target "fake"), then
//! `g_steps` generator updates with the non-saturating loss `-log D(G(z))`, all binary
//! cross-entropy on logits; then the step is logged (`crate::monitor`). Everything else
//! comes from `nn_core::train::fit`: seeding, progress, divergence stop, atomic checkpoints
//! of both networks and their optimisers, `--resume`.

use crate::figures::{draw_interpolation, draw_progression, draw_step_curves};
use crate::models::{Discriminator, Generator};
use crate::monitor::{Monitor, StepFigures, samples_of};
use crate::realism::FrechetReference;
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::{sigmoid, softplus};
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{
    Checkpoint, EpochLog, FitOptions, ModelState, TrainState, adam, fit, read_steps,
};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// How a GAN is trained and watched.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GanSettings {
    /// Passes over the real images.
    pub epochs: usize,
    /// Real images per batch (and as many fakes).
    pub batch_size: usize,
    /// Length of the noise vector z.
    pub latent: usize,
    /// The generator's learning rate.
    pub lr_generator: f64,
    /// The discriminator's learning rate.
    pub lr_discriminator: f64,
    /// Adam's betas (0.5, 0.999 is the usual choice for GANs).
    pub beta_1: f64,
    /// See `beta_1`.
    pub beta_2: f64,
    /// Discriminator updates per batch.
    pub d_steps: usize,
    /// Generator updates per batch.
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

/// Both networks with their optimisers: what a checkpoint holds.
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

/// A one-element tensor's value.
fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// What the last of a batch's discriminator updates measured.
struct Judged {
    loss: f64,
    /// D's mean output on the real images, D(x).
    on_real: f64,
    /// D's mean output on the fakes, D(G(z)).
    on_fake: f64,
}

impl Judged {
    /// The batch's figures, with the generator's loss.
    fn with_generator_loss(self, g_loss: f64) -> StepFigures {
        StepFigures {
            d_loss: self.loss,
            g_loss,
            d_real: self.on_real,
            d_fake: self.on_fake,
        }
    }
}

/// `d_steps` updates of D on one batch of real images and as many fresh fakes, detached
/// so that only D learns.
fn discriminator_step<G: Generator, D: Discriminator>(
    mut d: ModelState<D>,
    g: &G,
    real_batch: Tensor<4>,
    settings: &GanSettings,
    device: &Device,
) -> (ModelState<D>, Judged) {
    let [n, _, _, _] = real_batch.dims();
    let (mut d_loss, mut d_real, mut d_fake) = (0.0, 0.0, 0.0);
    for _ in 0..settings.d_steps.max(1) {
        let z = Tensor::<2>::random([n, settings.latent], Distribution::Normal(0.0, 1.0), device);
        let fake = g.generate(z).detach();
        let real_logits = d.model.logits(real_batch.clone());
        let fake_logits = d.model.logits(fake);
        d_real = scalar(sigmoid(real_logits.clone()).mean());
        d_fake = scalar(sigmoid(fake_logits.clone()).mean());
        let loss = bce_real(real_logits).mean() + bce_fake(fake_logits).mean();
        d_loss = scalar(loss.clone());
        d = d.step(settings.lr_discriminator, loss);
    }
    let judged = Judged {
        loss: d_loss,
        on_real: d_real,
        on_fake: d_fake,
    };
    (d, judged)
}

/// `g_steps` updates of G on `n` fresh noise vectors each, with the non-saturating loss
/// `-log D(G(z))`; returns the last update's loss.
fn generator_step<G: Generator, D: Discriminator>(
    mut g: ModelState<G>,
    d: &D,
    n: usize,
    settings: &GanSettings,
    device: &Device,
) -> (ModelState<G>, f64) {
    let mut g_loss = 0.0;
    for _ in 0..settings.g_steps.max(1) {
        let z = Tensor::<2>::random([n, settings.latent], Distribution::Normal(0.0, 1.0), device);
        let loss = bce_real(d.logits(g.model.generate(z))).mean();
        g_loss = scalar(loss.clone());
        g = g.step(settings.lr_generator, loss);
    }
    (g, g_loss)
}

/// Trains the pair; returns the figures the summary promises, and writes the progression
/// strip, the curves and the interpolation strip.
pub fn train_gan<G: Generator, D: Discriminator>(
    run: &mut Run,
    generator: G,
    discriminator: D,
    real: &ImageDataset,
    settings: &GanSettings,
    reference: &FrechetReference,
) -> Result<TrainedGan> {
    let device = run.train_device();
    let norm = Normalization::symmetric(real.shape.channels);
    let batch = settings.batch_size.max(1);
    let mut monitor = Monitor::new(run, real, settings, reference)?;
    let state = GanState {
        g: ModelState::new(generator, adam(settings.beta_1, settings.beta_2)),
        d: ModelState::new(discriminator, adam(settings.beta_1, settings.beta_2)),
    };
    let options = FitOptions::new(settings.epochs, real.len().div_ceil(batch));
    let state = fit(run, &options, state, |state, ctx| {
        let mut step_log = monitor.open_step_log(ctx)?;
        let order = ctx.data_order(real.len());
        let GanState { mut g, mut d } = state;
        for (b, chunk) in ctx.batches(order.chunks(batch)) {
            let real_batch = batch_images(real, chunk, &norm, &device);
            let judged;
            (d, judged) = discriminator_step(d, &g.model, real_batch, settings, &device);
            let g_loss;
            (g, g_loss) = generator_step(g, &d.model, chunk.len(), settings, &device);
            monitor.log_step(ctx, &mut step_log, b, judged.with_generator_loss(g_loss))?;
        }
        let state = GanState { g, d };
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let figures = monitor.end_epoch(ctx, &state.g.model)?;
        let log: EpochLog = vec![("train", figures)];
        Ok((state, log))
    })?;
    monitor.note_warnings(run);

    let generator = state.g.model.valid();
    let steps = read_steps(monitor.steps_path());
    let figures = monitor.final_figures(&generator, &steps)?;
    draw_step_curves(run, &steps)?;
    draw_progression(run, real, &monitor.snapshots)?;
    // A straight line in noise space between two fixed noise vectors.
    draw_interpolation(run, &generator, monitor.fixed, &norm)?;
    let samples = samples_of(
        &generator,
        settings.frechet_samples,
        settings.latent,
        &run.device,
        run.seed,
    );
    Ok(TrainedGan { figures, samples })
}

/// What [`train_gan`] leaves: the summary's figures and `frechet_samples` images of the
/// trained generator, for measures taken after training (the FID).
pub struct TrainedGan {
    pub figures: BTreeMap<String, f64>,
    pub samples: ImageDataset,
}
