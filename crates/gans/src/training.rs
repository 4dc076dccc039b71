//! The adversarial loop, shared by both experiments. Each batch: `d_steps` discriminator
//! updates on real images and detached fakes, then `g_steps` generator updates, with the
//! loss of `crate::losses` and, when asked, every image D sees augmented
//! (`crate::augment`); then the step is logged (`crate::monitor`). Everything else
//! comes from `nn_core::train::fit`: seeding, progress, divergence stop, atomic checkpoints
//! of both networks and their optimisers, `--resume`.

use crate::augment::diff_augment;
use crate::figures::{draw_interpolation, draw_progression, draw_step_curves};
use crate::models::{Discriminator, Generator};
use crate::monitor::{Monitor, StepFigures};
use crate::realism::FrechetReference;
use crate::sampling::samples_of;
use crate::settings::GanConfig;
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::sigmoid;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{
    Checkpoint, Ema, EpochLog, FitOptions, ModelState, TrainState, adam, fit, read_steps,
};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// Both networks with their optimisers, and the average of G's weights when asked: what a
/// checkpoint holds.
struct GanState<G, D> {
    g: ModelState<G>,
    d: ModelState<D>,
    /// G's weights averaged over the steps (`ema_decay` > 0), kept without autodiff.
    g_average: Option<Ema<G>>,
}

impl<G: Module, D: Module> TrainState for GanState<G, D> {
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()> {
        self.g.save_as(checkpoint, "generator")?;
        if let Some(average) = &self.g_average {
            average.save_as(checkpoint, "generator_average")?;
        }
        self.d.save_as(checkpoint, "discriminator")
    }

    fn restore(self, checkpoint: &Checkpoint) -> Result<Self> {
        let g_average = self
            .g_average
            .map(|average| average.restore_as(checkpoint, "generator_average"))
            .transpose()?;
        Ok(Self {
            g: self.g.restore_as(checkpoint, "generator")?,
            d: self.d.restore_as(checkpoint, "discriminator")?,
            g_average,
        })
    }
}

impl<G: Generator, D> GanState<G, D> {
    /// The generator samples are drawn from: the average of G's weights when there is one
    /// (back in training mode, so batch norm uses each pass's statistics as `draw` needs),
    /// else the live G.
    fn sampled(&self) -> G {
        match &self.g_average {
            Some(average) => average.model.clone().train(),
            None => self.g.model.clone(),
        }
    }

    /// The live G, when samples come from an average instead: measured beside it.
    fn live_beside_average(&self) -> Option<&G> {
        self.g_average.as_ref().map(|_| &self.g.model)
    }
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
    (settings, augment): (&GanConfig, bool),
    device: &Device,
) -> (ModelState<D>, Judged) {
    let [n, _, _, _] = real_batch.dims();
    let (mut d_loss, mut d_real, mut d_fake) = (0.0, 0.0, 0.0);
    for _ in 0..settings.d_steps.max(1) {
        let z = Tensor::<2>::random([n, settings.latent], Distribution::Normal(0.0, 1.0), device);
        let fake = g.generate(z).detach();
        let real_logits = d.model.logits(seen_by_d(real_batch.clone(), augment));
        let fake_logits = d.model.logits(seen_by_d(fake, augment));
        d_real = scalar(sigmoid(real_logits.clone()).mean());
        d_fake = scalar(sigmoid(fake_logits.clone()).mean());
        let loss = settings.loss.discriminator(real_logits, fake_logits);
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

/// The images as D sees them: augmented when the settings ask (`augment`, resolved from
/// the policy and the number of real images).
fn seen_by_d(images: Tensor<4>, augment: bool) -> Tensor<4> {
    if augment {
        diff_augment(images)
    } else {
        images
    }
}

/// `g_steps` updates of G on as many fresh noise vectors as the batch has real images,
/// with the settings' loss (the relativistic one also asks D about the real batch);
/// returns the last update's loss.
fn generator_step<G: Generator, D: Discriminator>(
    mut g: ModelState<G>,
    d: &D,
    real_batch: Tensor<4>,
    (settings, augment): (&GanConfig, bool),
    device: &Device,
) -> (ModelState<G>, f64) {
    let [n, _, _, _] = real_batch.dims();
    let mut g_loss = 0.0;
    for _ in 0..settings.g_steps.max(1) {
        let z = Tensor::<2>::random([n, settings.latent], Distribution::Normal(0.0, 1.0), device);
        let fake_logits = d.logits(seen_by_d(g.model.generate(z), augment));
        let real = || d.logits(seen_by_d(real_batch.clone(), augment));
        let loss = settings.loss.generator(fake_logits, real);
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
    settings: &GanConfig,
    reference: &FrechetReference,
) -> Result<TrainedGan> {
    let device = run.train_device();
    let norm = Normalization::symmetric(real.shape.channels);
    let batch = settings.batch_size.max(1);
    let augment = settings.augment.applies(real.len());
    let mut monitor = Monitor::new(run, real, settings, reference)?;
    let g_average =
        (settings.ema_decay > 0.0).then(|| Ema::new(generator.valid(), settings.ema_decay));
    let state = GanState {
        g: ModelState::new(generator, adam(settings.beta_1, settings.beta_2)),
        d: ModelState::new(discriminator, adam(settings.beta_1, settings.beta_2)),
        g_average,
    };
    let steps_per_epoch = settings.steps_per_epoch(real.len());
    let options = FitOptions::new(settings.epochs, steps_per_epoch);
    let state = fit(run, &options, state, |state, ctx| {
        let mut step_log = monitor.open_step_log(ctx)?;
        let order = ctx.data_order(real.len());
        let GanState {
            mut g,
            mut d,
            mut g_average,
        } = state;
        // With full batches only, the last smaller one is left out (unless it is the only
        // one: fewer real images than a batch).
        for (b, chunk) in ctx.batches(order.chunks(batch).take(steps_per_epoch)) {
            let real_batch = batch_images(real, chunk, &norm, &device);
            let judged;
            (d, judged) = discriminator_step(
                d,
                &g.model,
                real_batch.clone(),
                (settings, augment),
                &device,
            );
            let g_loss;
            (g, g_loss) = generator_step(g, &d.model, real_batch, (settings, augment), &device);
            if let Some(average) = g_average.take() {
                g_average = Some(average.update(&g.model.valid()));
            }
            monitor.log_step(ctx, &mut step_log, b, judged.with_generator_loss(g_loss))?;
        }
        let state = GanState { g, d, g_average };
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let figures = monitor.end_epoch(ctx, &state.sampled(), state.live_beside_average())?;
        let log: EpochLog = vec![("train", figures)];
        Ok((state, log))
    })?;
    monitor.note_warnings(run);

    // The averaged (or live) generator: samples are drawn with batch statistics
    // (`sampling::draw`).
    let generator = state.sampled();
    let steps = read_steps(monitor.steps_path());
    let figures = monitor.final_figures(&generator, state.live_beside_average(), &steps)?;
    draw_step_curves(run, &steps)?;
    draw_progression(run, real, &monitor.snapshots)?;
    // A straight line in noise space between two fixed noise vectors.
    draw_interpolation(run, &generator, (monitor.fixed, &monitor.companions), &norm)?;
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
