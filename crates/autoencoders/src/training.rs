//! One training loop for every model of the week: each experiment says what a batch costs
//! ([`Terms`]: the loss to minimise and figures to log), the loop does the rest through
//! `nn_core::train::fit` (seeding, progress, divergence stop, checkpoints, resume) and
//! evaluates the same terms on the test set after every epoch. The VAE's terms
//! ([`vae_terms`]) and the quality of its mean reconstructions ([`quality`]) are here too.

use crate::vae::{Vae, bernoulli_nll, kl_divergence};
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::metrics::{psnr, ssim};
use nn_core::train::{EpochLog, FitOptions, ModelState, OptimizerKind, fit};
use nn_core::{Result, Run};
use std::collections::BTreeMap;

/// What one batch gives: the loss to minimise (a scalar) and per-batch means to log.
pub struct Terms {
    /// The batch's loss, `[1]`.
    pub loss: Tensor<1>,
    /// Figures to log under their names, each `[1]`.
    pub logged: Vec<(&'static str, Tensor<1>)>,
}

/// Settings of one training run.
#[derive(Debug, Clone)]
pub struct LoopOptions {
    /// Epochs, images per batch and Adam's learning rate.
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
    /// The model after the last epoch.
    pub model: M,
    /// Test-set means of `loss` and of every logged term.
    pub test: BTreeMap<String, f64>,
    /// Time spent in training batches (evaluation excluded).
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

/// `data` in order, in batches of `size` images: each batch's indices and its images as
/// `[b, c, h, w]` in [0, 1] on `device`.
pub fn batches<'a>(
    data: &'a ImageDataset,
    size: usize,
    device: &'a Device,
) -> impl Iterator<Item = (Vec<usize>, Tensor<4>)> + 'a {
    let size = size.max(1);
    (0..data.len()).step_by(size).map(move |start| {
        let chunk: Vec<usize> = (start..(start + size).min(data.len())).collect();
        let images = unit_batch(data, &chunk, device);
        (chunk, images)
    })
}

/// The values of a tensor, row-major, read back as `f32`.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap_or_default()
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
    for (chunk, images) in batches(data, batch_size, device) {
        let t = terms(&model, images);
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

/// Loss `reconstruction + beta * KL` (nats per image), logging `recon`, `kl`, `neg_elbo`
/// (at beta = 1: the bound itself) and `mse` (per pixel, of the output probabilities).
pub fn vae_terms(beta: f64) -> impl Fn(&Vae, Tensor<4>) -> Terms {
    move |model, x| {
        let out = model.forward(x.clone());
        let recon = bernoulli_nll(out.logits.clone(), x.clone()).mean();
        let kl = kl_divergence(out.mu, out.log_var).mean();
        let mse = (sigmoid(out.logits) - x).powi_scalar(2).mean();
        Terms {
            loss: recon.clone() + kl.clone() * beta,
            logged: vec![
                ("recon", recon.clone()),
                ("kl", kl.clone()),
                ("neg_elbo", recon + kl),
                ("mse", mse),
            ],
        }
    }
}

/// Mean per-image PSNR (dB) and SSIM of the mean reconstructions `decode(mu)`.
pub struct Quality {
    /// Peak signal-to-noise ratio against the input, peak 1, in dB.
    pub psnr_db: f64,
    /// Structural similarity, averaged over channels.
    pub ssim: f64,
}

/// [`Quality`] of `model`'s mean reconstructions of the `test` images (SSIM averaged over
/// the channels of each image).
pub fn quality(model: &Vae, test: &ImageDataset, device: &Device) -> Quality {
    let model = model.valid();
    let shape = test.shape;
    let plane = shape.height * shape.width;
    let (mut psnr_sum, mut ssim_sum) = (0.0, 0.0);
    for (chunk, x) in batches(test, 256, device) {
        let y = model.reconstruct(x.clone());
        let (x, y) = (values(x), values(y));
        for i in 0..chunk.len() {
            let image = i * shape.len()..(i + 1) * shape.len();
            psnr_sum += psnr(&x[image.clone()], &y[image.clone()], 1.0);
            let mut s = 0.0;
            for c in 0..shape.channels {
                let p = image.start + c * plane..image.start + (c + 1) * plane;
                s += ssim(&x[p.clone()], &y[p], shape.height, shape.width, 1.0);
            }
            ssim_sum += s / shape.channels as f64;
        }
    }
    let n = test.len().max(1) as f64;
    Quality {
        psnr_db: psnr_sum / n,
        ssim: ssim_sum / n,
    }
}
