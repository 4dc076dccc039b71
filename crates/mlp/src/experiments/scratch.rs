//! `mlp/scratch`: the hand-written MLP of [`crate::scratch`] trained on Fashion-MNIST by
//! its own backprop and SGD, from the initial weights `mlp/burn` starts from.

use super::{FashionMlpConfig, initial_mlp, overlay};
use crate::model::to_scratch;
use crate::scratch::{
    Dense, Gradients, ScratchMlp, SgdMomentum, argmax_rows, flatten, softmax_cross_entropy,
    unflatten,
};
use ndarray::{Array2, Axis};
use nn_core::data::{DataRequest, load_train_test};
use nn_core::data::{ImageDataset, Normalization};
use nn_core::train::{Checkpoint, EpochLog, FitOptions, TrainState, fit};
use nn_core::{Result, Run, Summary};
use std::collections::BTreeMap;
use std::time::Instant;

/// A data set as normalised rows `[n, features]`.
pub fn rows(data: &ImageDataset, norm: &Normalization) -> Array2<f32> {
    let features = data.shape.len();
    let mut values = vec![0f32; data.len() * features];
    for (i, out) in values.chunks_exact_mut(features).enumerate() {
        norm.apply(data.image(i), out);
    }
    Array2::from_shape_vec((data.len(), features), values).expect("rows")
}

/// The class of every image (0 for an unlabelled one).
fn labels(data: &ImageDataset) -> Vec<usize> {
    (0..data.len())
        .map(|i| data.label(i).unwrap_or(0))
        .collect()
}

/// The scratch network and its momentum, checkpointed together.
struct ScratchState {
    mlp: ScratchMlp<f32>,
    optim: SgdMomentum<f32>,
}

fn to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

impl TrainState for ScratchState {
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()> {
        checkpoint.put_bytes("mlp", to_bytes(&flatten(&self.mlp.layers)));
        if let Some(v) = self.optim.velocity() {
            checkpoint.put_bytes("velocity", to_bytes(&flatten(&v.layers)));
        }
        Ok(())
    }

    fn restore(mut self, checkpoint: &Checkpoint) -> Result<Self> {
        let damaged =
            || nn_core::Error::Other("checkpoint does not match this network's shape".into());
        let restore = |name: &str, like: &[Dense<f32>]| -> Result<Option<Vec<Dense<f32>>>> {
            match checkpoint.bytes(name) {
                None => Ok(None),
                Some(bytes) => unflatten(like, &from_bytes(bytes))
                    .map(Some)
                    .ok_or_else(damaged),
            }
        };
        let layers = restore("mlp", &self.mlp.layers)?.ok_or_else(damaged)?;
        let velocity = restore("velocity", &self.mlp.layers)?;
        self.mlp.layers = layers;
        self.optim
            .set_velocity(velocity.map(|layers| Gradients { layers }));
        Ok(self)
    }
}

/// Loss and accuracy of the scratch MLP on a whole set (in chunks).
fn evaluate_scratch(mlp: &ScratchMlp<f32>, x: &Array2<f32>, y: &[usize]) -> (f64, f64) {
    let (mut loss, mut correct) = (0.0, 0);
    for (xs, ys) in x.axis_chunks_iter(Axis(0), 1000).zip(y.chunks(1000)) {
        let logits = mlp.forward(xs);
        loss += softmax_cross_entropy(&logits, ys).0 as f64 * ys.len() as f64;
        correct += argmax_rows(&logits)
            .iter()
            .zip(ys)
            .filter(|(p, t)| p == t)
            .count();
    }
    (
        loss / y.len().max(1) as f64,
        correct as f64 / y.len().max(1) as f64,
    )
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "An MLP trained with backpropagation written by hand: its loss should fall and its accuracy rise epoch by epoch, as burn's does for the same network (mlp/burn draws the two together).";

/// `mlp/scratch`: hand-written backprop on Fashion-MNIST.
pub fn run(config: &FashionMlpConfig, run: &mut Run) -> Result<Summary> {
    let (train, test) = load_train_test(run, DataRequest::all(&config.dataset))?;
    let norm = Normalization::fit(&train);
    let (x_train, y_train) = (rows(&train, &norm), labels(&train));
    let (x_test, y_test) = (rows(&test, &norm), labels(&test));
    let mlp = to_scratch(&initial_mlp(config, &train, run, &run.device.clone()));
    let params = mlp.num_params();
    let state = ScratchState {
        mlp,
        optim: SgdMomentum::new(config.lr as f32, config.momentum as f32),
    };
    let batch = config.batch_size;
    let options = FitOptions::new(config.epochs, train.len().div_ceil(batch));
    let (mut trained, mut seconds) = (0usize, 0f64);
    let state = fit(run, &options, state, |mut state, ctx| {
        let order = ctx.data_order(train.len());
        let started = Instant::now();
        let mut seen = 0;
        for (_, chunk) in ctx.batches(order.chunks(batch)) {
            let xb = x_train.select(Axis(0), chunk);
            let yb: Vec<usize> = chunk.iter().map(|&i| y_train[i]).collect();
            let step = state.mlp.backprop(xb.view(), &yb);
            ctx.step(step.loss as f64)?;
            ctx.add("correct", step.correct as f64);
            state.optim.step(&mut state.mlp, step.gradients);
            seen += chunk.len();
        }
        let elapsed = started.elapsed().as_secs_f64();
        (trained, seconds) = (trained + seen, seconds + elapsed);
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let (test_loss, test_accuracy) = evaluate_scratch(&state.mlp, &x_test, &y_test);
        let log: EpochLog = vec![
            (
                "train",
                BTreeMap::from([
                    ("loss".into(), ctx.mean_loss()),
                    ("accuracy".into(), ctx.sum("correct") / train.len() as f64),
                    ("images_per_second".into(), seen as f64 / elapsed.max(1e-9)),
                ]),
            ),
            (
                "test",
                BTreeMap::from([
                    ("loss".into(), test_loss),
                    ("accuracy".into(), test_accuracy),
                ]),
            ),
        ];
        Ok((state, log))
    })?;
    let (test_loss, test_accuracy) = evaluate_scratch(&state.mlp, &x_test, &y_test);
    let (_, train_accuracy) = evaluate_scratch(&state.mlp, &x_train, &y_train);
    plot_own_curves(run, "MLP from scratch")?;
    overlay(run, config, "mlp/burn", "scratch", "burn")?;
    let mut metrics = BTreeMap::new();
    metrics.insert("test_accuracy".into(), test_accuracy);
    metrics.insert("test_loss".into(), test_loss);
    metrics.insert("train_accuracy".into(), train_accuracy);
    metrics.insert(
        "train_images_per_second".into(),
        trained as f64 / seconds.max(1e-9),
    );
    metrics.insert("parameters".into(), params as f64);
    Ok(run.summary(config.epochs, metrics))
}

/// The run's own loss and accuracy curves (`loss.png`, `accuracy.png`).
fn plot_own_curves(run: &mut Run, title: &str) -> Result<()> {
    let metrics = run.path("metrics.jsonl");
    for (stem, key, y) in [
        ("loss", "loss", "cross-entropy"),
        ("accuracy", "accuracy", "accuracy"),
    ] {
        for file in nn_core::viz::plot_metrics_file(
            &metrics,
            &run.path(stem),
            &format!("{title}: {key}"),
            "epoch",
            &[key],
            y,
        )? {
            run.add_file(&file);
        }
    }
    Ok(())
}
