//! Training by noise prediction (Ho et al. 2020, "simple" loss): pick an image x_0, a step
//! t uniformly in 1..=T and noise eps; make x_t in one jump (`q_sample`) and regress the
//! network's output onto eps with mean squared error. Labels are dropped to the null class
//! with probability `p_uncond`, so the same network learns the unconditional model too.
//! The loop is `nn_core::train::fit` (seeding, progress, divergence stop, atomic
//! checkpoints of model, optimiser and EMA, `--resume`); the loss is also kept per band of
//! t, because a single mean hides that the small-t steps are the hard ones. With
//! [`Objective::Velocity`] the same loop trains flow matching (`crate::flow`) instead.

use crate::flow::velocity_mse;
use crate::schedule::NoiseSchedule;
use crate::unet::{UNet, UNetSpec};
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{
    Checkpoint, Ema, EpochContext, EpochLog, FitOptions, ModelState, StepLog, TrainState, adam,
    fit, read_curve,
};
use nn_core::{Result, Run};
use rand::RngExt;
use std::collections::BTreeMap;

/// What the U-Net is trained to predict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Objective {
    /// The noise in x_t (DDPM; the schedule makes x_t).
    #[default]
    Noise,
    /// The velocity `eps - x0` along the straight path (flow matching, `crate::flow`).
    Velocity,
}

/// How a diffusion model is trained.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    /// Noise prediction (DDPM) or velocity (flow matching).
    pub objective: Objective,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Learning-rate warm-up over this many steps (linear from 0).
    pub warmup_steps: usize,
    /// After the warm-up, decay the rate along a half cosine to 0 at the last step.
    pub cosine_decay: bool,
    /// Mirror each training image left-right with probability 1/2 (CIFAR-10's usual
    /// augmentation in Ho et al.; not for data whose orientation is its class).
    pub hflip: bool,
    /// Min-SNR-gamma loss weight (Hang et al. 2023) for the noise objective: each image's
    /// error is weighted min(SNR_t, gamma) / SNR_t, so the nearly clean steps, whose noise
    /// is hard to see and matters little to the picture, stop dominating the gradient.
    /// 0 turns it off (Ho et al.'s uniform "simple" loss).
    pub min_snr: f64,
    /// EMA decay of the weights (0 turns the average off: it then equals the live model).
    pub ema_decay: f64,
    /// Probability of training a batch image without its label.
    pub p_uncond: f64,
    /// Bands of t the loss is also reported in.
    pub t_buckets: usize,
    /// Held-out images for the per-epoch test loss (fixed t and noise).
    pub eval_images: usize,
}

/// The trained networks and what training measured.
pub struct Trained {
    /// The last step's weights and the EMA of them, both for inference.
    pub live: UNet,
    pub ema: UNet,
    /// Mean training loss of the last epoch, and per band of t.
    pub final_loss: f64,
    pub final_bucket_losses: Vec<f64>,
    /// Held-out loss (EMA weights, fixed t and noise) after the last epoch.
    pub test_loss: f64,
    pub params: usize,
    pub seconds: f64,
}

struct DiffusionState {
    live: ModelState<UNet>,
    ema: Ema<UNet>,
}

impl TrainState for DiffusionState {
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()> {
        self.live.save_as(checkpoint, "model")?;
        self.ema.save_as(checkpoint, "ema")
    }

    fn restore(mut self, checkpoint: &Checkpoint) -> Result<Self> {
        self.live = self.live.restore_as(checkpoint, "model")?;
        self.ema = self.ema.restore_as(checkpoint, "ema")?;
        Ok(self)
    }
}

/// The name of band `b` of `buckets` over 1..=T, e.g. `loss_t0001_0100`.
pub fn bucket_key(b: usize, buckets: usize, steps: usize) -> String {
    let (lo, hi) = bucket_range(b, buckets, steps);
    format!("loss_t{lo:04}_{hi:04}")
}

/// The steps `lo..=hi` of band `b`.
pub fn bucket_range(b: usize, buckets: usize, steps: usize) -> (usize, usize) {
    (b * steps / buckets + 1, (b + 1) * steps / buckets)
}

fn bucket_of(t: usize, buckets: usize, steps: usize) -> usize {
    ((t - 1) * buckets / steps).min(buckets - 1)
}

/// The learning rate of optimiser step `step` (1-based) of `total`: linear warm-up over
/// `warmup_steps`, then constant, or a half cosine down to 0 at `total` with
/// `cosine_decay`. A function of the step alone (not burn's stateful schedulers), so a
/// resumed run continues on the same curve from the step count its checkpoint holds.
pub fn learning_rate(settings: &TrainSettings, step: usize, total: usize) -> f64 {
    let warmup = settings.warmup_steps.max(1);
    let ramp = (step as f64 / warmup as f64).min(1.0);
    if !settings.cosine_decay || step <= warmup || total <= warmup {
        return settings.lr * ramp;
    }
    let progress = ((step - warmup) as f64 / (total - warmup) as f64).min(1.0);
    settings.lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Min-SNR-gamma weights min(SNR_t, gamma) / SNR_t of the noise objective at steps `t`,
/// `[n]` on `device`.
fn min_snr_weights(
    schedule: &NoiseSchedule,
    t: &[usize],
    gamma: f64,
    device: &Device,
) -> Tensor<1> {
    let weights: Vec<f32> = t
        .iter()
        .map(|&t| {
            let snr = schedule.snr(t);
            (snr.min(gamma) / snr) as f32
        })
        .collect();
    Tensor::<1>::from_floats(weights.as_slice(), device)
}

/// `x` `[n, c, h, w]` with each image mirrored left-right where a draw from `rng` (one per
/// image) says so, with probability 1/2.
fn flip_half(x: Tensor<4>, rng: &mut rand::rngs::StdRng) -> Tensor<4> {
    let n = x.dims()[0];
    let flags: Vec<f32> = (0..n)
        .map(|_| if rng.random::<f64>() < 0.5 { 1.0 } else { 0.0 })
        .collect();
    let mask = Tensor::<1>::from_floats(flags.as_slice(), &x.device()).reshape([n, 1, 1, 1]);
    x.clone().flip([3]) * mask.clone() + x * (mask.neg() + 1.0)
}

/// Per-image mean squared error between predicted and true noise, `[n]`.
pub fn noise_mse(
    model: &UNet,
    schedule: &NoiseSchedule,
    x0: Tensor<4>,
    noise: Tensor<4>,
    t: &[usize],
    labels: Option<&[usize]>,
) -> Tensor<1> {
    let n = t.len();
    let xt = schedule.q_sample(x0, noise.clone(), t);
    let steps: Vec<usize> = t.iter().map(|t| t - 1).collect();
    let error = model.forward(xt, &steps, labels) - noise;
    error
        .powi_scalar(2)
        .reshape([n as i64, -1])
        .mean_dim(1)
        .reshape([n])
}

/// Per-image loss of `objective` at steps `t` (1..=T), `[n]`.
fn objective_mse(
    objective: Objective,
    model: &UNet,
    schedule: &NoiseSchedule,
    (x0, noise): (Tensor<4>, Tensor<4>),
    t: &[usize],
    labels: Option<&[usize]>,
) -> Tensor<1> {
    match objective {
        Objective::Noise => noise_mse(model, schedule, x0, noise, t, labels),
        Objective::Velocity => velocity_mse(model, x0, noise, t, schedule.steps(), labels),
    }
}

fn to_vec(t: Tensor<1>) -> Vec<f64> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
        .into_iter()
        .map(f64::from)
        .collect()
}

/// Trains `spec`'s U-Net on `train` (labels used when the spec is class-conditional) and
/// measures the held-out loss on `test` each epoch.
pub fn train_diffusion(
    run: &mut Run,
    spec: &UNetSpec,
    schedule: &NoiseSchedule,
    train: &ImageDataset,
    test: &ImageDataset,
    settings: &TrainSettings,
) -> Result<Trained> {
    let device = run.train_device();
    let cpu = run.device.clone();
    nn_core::backend::seed_device(&device, run.seed, "init");
    let model = UNet::new(spec, &device);
    let params = nn_core::train::learnable_parameter_count(&model);
    let norm = Normalization::symmetric(train.shape.channels);
    let steps_total = schedule.steps();
    let buckets = settings.t_buckets.max(1);
    let batch = settings.batch_size.max(1);
    let steps_per_epoch = train.len().div_ceil(batch);
    let total_steps = settings.epochs * steps_per_epoch;
    let conditional = spec.classes > 0;

    let eval = EvalBatch::draw(
        run.seed,
        test,
        &norm,
        &cpu,
        steps_total,
        settings,
        conditional,
    );

    let state = DiffusionState {
        ema: Ema::new(model.valid(), settings.ema_decay),
        live: ModelState::new(model, adam(0.9, 0.999)),
    };
    let options = FitOptions::new(settings.epochs, steps_per_epoch);
    let started = std::time::Instant::now();
    let steps_path = run.path("steps.jsonl");
    let work = TrainingLoop {
        spec,
        schedule,
        train,
        settings,
        norm: &norm,
        device: &device,
        steps_total,
        total_steps,
        buckets,
        conditional,
    };
    let state = fit(run, &options, state, |mut state, ctx| {
        let mut steps_log = StepLog::open(&steps_path, ctx)?;
        let order = ctx.data_order(train.len());
        for (b, chunk) in ctx.batches(order.chunks(batch)) {
            state = work.train_batch(state, ctx, b, chunk, &mut steps_log)?;
        }
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let log = work.epoch_log(ctx, &state.ema.model, &eval);
        Ok((state, log))
    })?;
    let (final_loss, test_loss, bucket_losses) = stage_losses(&run.dir, buckets, steps_total);
    Ok(Trained {
        live: state.live.model.valid(),
        ema: state.ema.model,
        final_loss,
        final_bucket_losses: bucket_losses,
        test_loss,
        params,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The fixed held-out batch of the per-epoch test loss: its t and noise are drawn once,
/// so epochs compare. `x0` and `noise` are `[count, c, h, w]` on the CPU device.
struct EvalBatch {
    count: usize,
    t: Vec<usize>,
    x0: Option<Tensor<4>>,
    noise: Option<Tensor<4>>,
    labels: Option<Vec<usize>>,
}

impl EvalBatch {
    /// The first `settings.eval_images` test images with t from the (seed, "eval t") RNG
    /// and noise from the CPU device seeded with (seed, "eval noise"), in that order.
    fn draw(
        seed: u64,
        test: &ImageDataset,
        norm: &Normalization,
        cpu: &Device,
        steps_total: usize,
        settings: &TrainSettings,
        conditional: bool,
    ) -> EvalBatch {
        let eval_count = settings.eval_images.min(test.len());
        let eval_indices: Vec<usize> = (0..eval_count).collect();
        let mut eval_rng = nn_core::backend::rng(seed, "eval t");
        let eval_t: Vec<usize> = (0..eval_count)
            .map(|_| eval_rng.random_range(1..=steps_total))
            .collect();
        nn_core::backend::seed_device(cpu, seed, "eval noise");
        let eval_x0 = (eval_count > 0).then(|| batch_images(test, &eval_indices, norm, cpu));
        let eval_noise = eval_x0
            .as_ref()
            .map(|x| Tensor::<4>::random(x.shape(), Distribution::Normal(0.0, 1.0), cpu));
        let eval_labels: Option<Vec<usize>> = conditional.then(|| {
            eval_indices
                .iter()
                .map(|&i| test.label(i).unwrap_or(0))
                .collect()
        });
        EvalBatch {
            count: eval_count,
            t: eval_t,
            x0: eval_x0,
            noise: eval_noise,
            labels: eval_labels,
        }
    }
}

/// What every batch and epoch of one training shares: the network's spec, the schedule,
/// the training data and settings, and the loss bands.
struct TrainingLoop<'a> {
    spec: &'a UNetSpec,
    schedule: &'a NoiseSchedule,
    train: &'a ImageDataset,
    settings: &'a TrainSettings,
    norm: &'a Normalization,
    device: &'a Device,
    steps_total: usize,
    /// Optimiser steps in the whole training (the cosine decay's length).
    total_steps: usize,
    buckets: usize,
    conditional: bool,
}

impl TrainingLoop<'_> {
    /// One optimiser step on the training images `chunk` (batch `b` of the epoch): draws
    /// t, dropped labels and noise, adds the per-band losses to `ctx` and logs the step.
    fn train_batch(
        &self,
        mut state: DiffusionState,
        ctx: &mut EpochContext,
        b: usize,
        chunk: &[usize],
        steps_log: &mut StepLog,
    ) -> Result<DiffusionState> {
        let (settings, steps_total) = (self.settings, self.steps_total);
        let mut rng = ctx.batch_rng(b, "t and labels");
        let n = chunk.len();
        let mut x0 = batch_images(self.train, chunk, self.norm, self.device);
        if settings.hflip {
            x0 = flip_half(x0, &mut ctx.batch_rng(b, "flips"));
        }
        let t: Vec<usize> = (0..n).map(|_| rng.random_range(1..=steps_total)).collect();
        let labels = self.batch_labels(&mut rng, chunk);
        let noise = Tensor::<4>::random(x0.shape(), Distribution::Normal(0.0, 1.0), self.device);
        let per_image = objective_mse(
            settings.objective,
            &state.live.model,
            self.schedule,
            (x0, noise),
            &t,
            labels.as_deref(),
        );
        let loss = if settings.min_snr > 0.0 && settings.objective == Objective::Noise {
            let weights = min_snr_weights(self.schedule, &t, settings.min_snr, self.device);
            (per_image.clone() * weights).mean()
        } else {
            per_image.clone().mean()
        };
        let values = to_vec(per_image.detach());
        for (ti, v) in t.iter().zip(&values) {
            let band = bucket_of(*ti, self.buckets, steps_total);
            ctx.add(&format!("sum {band}"), *v);
            ctx.add(&format!("count {band}"), 1.0);
        }
        let step = state.ema.updates + 1;
        let lr = learning_rate(settings, step, self.total_steps);
        state.live = state.live.step(lr, loss);
        state.ema = state.ema.update(&state.live.model.valid());
        let mean = values.iter().sum::<f64>() / n as f64;
        ctx.step(mean)?;
        steps_log.append(&serde_json::json!({"epoch": ctx.epoch, "step": step, "loss": mean}))?;
        Ok(state)
    }

    /// The labels of `chunk` for a conditional model (each dropped to the null class with
    /// probability `p_uncond`, one draw from `rng` per image); `None` for an unconditional one.
    fn batch_labels(&self, rng: &mut rand::rngs::StdRng, chunk: &[usize]) -> Option<Vec<usize>> {
        let spec = self.spec;
        self.conditional.then(|| {
            chunk
                .iter()
                .map(|&i| {
                    if rng.random::<f64>() < self.settings.p_uncond {
                        spec.null_class()
                    } else {
                        self.train.label(i).unwrap_or(0).min(spec.classes - 1)
                    }
                })
                .collect()
        })
    }

    /// The epoch's figures: the mean training loss and its per-band means (`train`), and
    /// the EMA model's loss on the fixed held-out batch (`test`) when there is one.
    fn epoch_log(&self, ctx: &EpochContext, ema: &UNet, eval: &EvalBatch) -> EpochLog {
        let (buckets, steps_total) = (self.buckets, self.steps_total);
        let mut figures = BTreeMap::from([("loss".to_string(), ctx.mean_loss())]);
        for band in 0..buckets {
            let count = ctx.sum(&format!("count {band}"));
            if count > 0.0 {
                figures.insert(
                    bucket_key(band, buckets, steps_total),
                    ctx.sum(&format!("sum {band}")) / count,
                );
            }
        }
        let mut log: EpochLog = vec![("train", figures)];
        if let (Some(x0), Some(noise)) = (&eval.x0, &eval.noise) {
            let mse = objective_mse(
                self.settings.objective,
                ema,
                self.schedule,
                (x0.clone(), noise.clone()),
                &eval.t,
                eval.labels.as_deref(),
            );
            let test_loss = to_vec(mse).iter().sum::<f64>() / eval.count as f64;
            log.push(("test", BTreeMap::from([("loss".to_string(), test_loss)])));
        }
        log
    }
}

/// The last epoch's training loss, held-out loss and per-band losses recorded in a
/// training directory's `metrics.jsonl` (read from the file, so a resumed run that had
/// nothing left to train, or a model reused from another run, still reports them).
pub fn stage_losses(dir: &std::path::Path, buckets: usize, steps: usize) -> (f64, f64, Vec<f64>) {
    let last =
        |split: &str, key: &str| read_curve(dir, split, key).last().map_or(f64::NAN, |p| p.1);
    (
        last("train", "loss"),
        last("test", "loss"),
        (0..buckets)
            .map(|b| last("train", &bucket_key(b, buckets, steps)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(cosine_decay: bool) -> TrainSettings {
        TrainSettings {
            objective: Objective::Noise,
            epochs: 1,
            batch_size: 8,
            lr: 1e-3,
            warmup_steps: 10,
            cosine_decay,
            hflip: false,
            min_snr: 0.0,
            ema_decay: 0.0,
            p_uncond: 0.0,
            t_buckets: 1,
            eval_images: 0,
        }
    }

    #[test]
    fn the_rate_warms_up_then_holds_or_decays_along_a_half_cosine() {
        let (constant, cosine) = (settings(false), settings(true));
        for s in [&constant, &cosine] {
            assert!((learning_rate(s, 5, 110) - 5e-4).abs() < 1e-12);
            assert!((learning_rate(s, 10, 110) - 1e-3).abs() < 1e-12);
        }
        assert!((learning_rate(&constant, 110, 110) - 1e-3).abs() < 1e-12);
        // Halfway through the decay the rate is half; at the last step it is 0.
        assert!((learning_rate(&cosine, 60, 110) - 5e-4).abs() < 1e-12);
        assert!(learning_rate(&cosine, 110, 110).abs() < 1e-12);
        let decaying: Vec<f64> = (10..=110).map(|s| learning_rate(&cosine, s, 110)).collect();
        assert!(decaying.windows(2).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn min_snr_weights_are_one_where_the_snr_is_below_gamma() {
        let schedule = NoiseSchedule::linear(1000, 1e-4, 0.02);
        let device = Device::flex();
        let weights = to_vec(min_snr_weights(&schedule, &[1, 500, 1000], 5.0, &device));
        // t = 1 is almost clean (SNR ~ 1e4): weighted down to gamma / SNR.
        assert!(
            (weights[0] - 5.0 / schedule.snr(1)).abs() < 1e-6,
            "{weights:?}"
        );
        assert!(weights[0] < 1e-3);
        assert!((weights[1] - 1.0).abs() < 1e-6 && (weights[2] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn flipping_mirrors_some_images_and_leaves_the_others() {
        let device = Device::flex();
        // 16 images of 1x1x3 whose columns are 0, 1, 2.
        let row: Vec<f32> = (0..16).flat_map(|_| [0.0, 1.0, 2.0]).collect();
        let x = Tensor::<1>::from_floats(row.as_slice(), &device).reshape([16, 1, 1, 3]);
        let mut rng = nn_core::backend::rng(7, "flips");
        let flipped: Vec<f32> = flip_half(x, &mut rng)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let mirrored = flipped.chunks(3).filter(|c| c == &[2.0, 1.0, 0.0]).count();
        let kept = flipped.chunks(3).filter(|c| c == &[0.0, 1.0, 2.0]).count();
        assert_eq!(mirrored + kept, 16);
        assert!(mirrored > 0 && kept > 0, "{mirrored} mirrored of 16");
    }
}
