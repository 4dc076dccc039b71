//! One training loop for every model of the week: each experiment says what a batch costs
//! ([`Terms`]: the loss to minimise and figures to log), the loop does the rest through
//! `nn_core::train::fit` (seeding, progress, divergence stop, checkpoints, resume) and
//! evaluates the same terms on the test set after every epoch.

use burn::module::Module;
use burn::prelude::*;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{EpochLog, FitOptions, ModelState, OptimizerKind, fit};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// What one batch gives: the loss to minimise (a scalar) and per-batch means to log.
pub struct Terms {
    pub loss: Tensor<1>,
    pub logged: Vec<(&'static str, Tensor<1>)>,
}

/// Settings of one training run.
#[derive(Debug, Clone)]
pub struct LoopOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Title of the loss plot.
    pub title: String,
    /// Figures to plot besides `loss` (each train and test).
    pub plot: Vec<&'static str>,
}

/// A trained model and its figures on the test set.
pub struct Trained<M> {
    pub model: M,
    /// Test-set means of `loss` and of every logged term.
    pub test: BTreeMap<String, f64>,
    pub train_seconds: f64,
}

/// Images of `data` at `indices` as a `[b, c, h, w]` tensor in [0, 1].
pub fn unit_batch(data: &ImageDataset, indices: &[usize], device: &Device) -> Tensor<4> {
    batch_images(
        data,
        indices,
        &Normalization::unit(data.shape.channels),
        device,
    )
}

/// Means of the terms over `data` in batches, with the model in inference mode. The device
/// is seeded first, so noise drawn inside `terms` is the same at every evaluation.
pub fn evaluate<M: Module>(
    model: &M,
    data: &ImageDataset,
    batch_size: usize,
    device: &Device,
    seed: u64,
    terms: &impl Fn(&M, Tensor<4>) -> Terms,
) -> BTreeMap<String, f64> {
    nn_core::backend::seed_device(device, seed, "evaluation");
    let model = model.valid();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let t = terms(&model, unit_batch(data, chunk, device));
        let weight = chunk.len() as f64;
        *sums.entry("loss".into()).or_default() += scalar(t.loss) * weight;
        for (name, value) in t.logged {
            *sums.entry(name.into()).or_default() += scalar(value) * weight;
        }
    }
    sums.values_mut()
        .for_each(|v| *v /= data.len().max(1) as f64);
    sums
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Trains `model` (on the run's training device) with Adam, minimising `terms`.
pub fn train_loop<M: Module + Clone>(
    run: &mut Run,
    model: M,
    train: &ImageDataset,
    test: &ImageDataset,
    options: &LoopOptions,
    terms: impl Fn(&M, Tensor<4>) -> Terms,
) -> Result<Trained<M>> {
    let device = run.train_device();
    let eval_device = run.device.clone();
    let batch = options.batch_size.max(1);
    let eval_seed = run.seed;
    let fit_options = FitOptions::new(options.epochs, train.len().div_ceil(batch));
    let state = ModelState::new(model, OptimizerKind::Adam.init());
    let mut train_seconds = 0.0;
    let state = fit(run, &fit_options, state, |mut state, ctx| {
        let started = std::time::Instant::now();
        let order = ctx.data_order(train.len());
        for (_, chunk) in ctx.batches(order.chunks(batch)) {
            let t = terms(&state.model, unit_batch(train, chunk, &device));
            let loss = t.loss.clone().into_scalar::<f32>() as f64;
            ctx.step(loss)?;
            ctx.add("loss", loss * chunk.len() as f64);
            for (name, value) in t.logged {
                ctx.add(name, scalar(value) * chunk.len() as f64);
            }
            state = state.step(options.lr, t.loss);
        }
        train_seconds += started.elapsed().as_secs_f64();
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let sums: BTreeMap<String, f64> = ctx
            .sums()
            .iter()
            .map(|(name, sum)| (name.clone(), sum / train.len() as f64))
            .collect();
        let test_figures = evaluate(&state.model, test, batch, &eval_device, eval_seed, &terms);
        let log: EpochLog = vec![("train", sums), ("test", test_figures)];
        Ok((state, log))
    })?;
    let test_figures = evaluate(&state.model, test, batch, &eval_device, eval_seed, &terms);
    let metrics = run.path("metrics.jsonl");
    for key in std::iter::once("loss").chain(options.plot.iter().copied()) {
        for file in nn_core::viz::plot_metrics_file(
            &metrics,
            &run.path(&format!("curve_{key}")),
            &format!("{}: {key}", options.title),
            "epoch",
            &[key],
            key,
        )? {
            run.add_file(&file);
        }
    }
    Ok(Trained {
        model: state.model,
        test: test_figures,
        train_seconds,
    })
}
