//! `mlp/scratch` and `mlp/burn`: the same MLP, with the same initial weights, data order and
//! hyper-parameters, trained on Fashion-MNIST by hand-written backprop and by burn.

use crate::model::{Mlp, to_scratch};
use crate::scratch::{
    Dense, ScratchMlp, SgdMomentum, argmax_rows, flatten, softmax_cross_entropy, unflatten,
};
use ndarray::{Array2, Axis};
use nn_core::data::{ImageDataset, Normalization};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::train::{
    Checkpoint, ClassifierOptions, EpochLog, FitOptions, TrainState, fit, sgd, train_classifier,
};
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::time::Instant;

/// Settings shared by `mlp/scratch` and `mlp/burn` (keep them equal to overlay the curves).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FashionMlpConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// SGD momentum (0 for plain SGD).
    pub momentum: f64,
    pub seed: u64,
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// `fashion-mnist` or `mnist`.
    pub dataset: String,
}

impl ExperimentConfig for FashionMlpConfig {
    fn quick() -> Self {
        Self {
            epochs: 2,
            batch_size: 128,
            lr: 0.05,
            momentum: 0.9,
            seed: 42,
            hidden: vec![256, 128],
            dataset: "fashion-mnist".into(),
        }
    }

    fn full() -> Self {
        Self {
            epochs: 20,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(self.epochs > 0, "epochs", "must be positive")?;
        require(self.batch_size > 0, "batch_size", "must be positive")?;
        require(self.lr > 0.0, "lr", "must be positive")?;
        require(
            (0.0..1.0).contains(&self.momentum),
            "momentum",
            "must be in [0, 1)",
        )?;
        require(
            !self.hidden.contains(&0),
            "hidden",
            "layer sizes must be positive",
        )?;
        require(
            ["fashion-mnist", "mnist"].contains(&self.dataset.as_str()),
            "dataset",
            "must be \"fashion-mnist\" or \"mnist\"",
        )?;
        Ok(())
    }
}

/// The keys two runs must share for their curves to be comparable.
const SAME_SETUP: &[&str] = &[
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "seed",
    "hidden",
    "dataset",
];

fn layer_sizes(config: &FashionMlpConfig, data: &ImageDataset) -> Vec<usize> {
    let mut sizes = vec![data.shape.len()];
    sizes.extend(&config.hidden);
    sizes.push(data.num_classes());
    sizes
}

/// The initial network both experiments start from: burn's initialisation, seeded.
fn initial_mlp(
    config: &FashionMlpConfig,
    data: &ImageDataset,
    run: &Run,
    device: &burn::prelude::Device,
) -> Mlp {
    nn_core::backend::seed_device(device, run.seed, "init");
    Mlp::new(&layer_sizes(config, data), 0.0, device)
}

/// A data set as normalised rows `[n, features]`.
pub fn rows(data: &ImageDataset, norm: &Normalization) -> Array2<f32> {
    let features = data.shape.len();
    let mut values = vec![0f32; data.len() * features];
    for (i, out) in values.chunks_exact_mut(features).enumerate() {
        norm.apply(data.image(i), out);
    }
    Array2::from_shape_vec((data.len(), features), values).expect("rows")
}

fn labels(data: &ImageDataset) -> Vec<usize> {
    (0..data.len())
        .map(|i| data.label(i).unwrap_or(0))
        .collect()
}

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
            .set_velocity(velocity.map(|layers| crate::scratch::Gradients { layers }));
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

/// `mlp/scratch`: hand-written backprop on Fashion-MNIST.
pub fn run_scratch(config: &FashionMlpConfig, run: &mut Run) -> Result<Summary> {
    let train = run.load(&config.dataset, "train")?;
    let test = run.load(&config.dataset, "test")?;
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

/// `mlp/burn`: the same network trained by burn through nn-core's classifier path.
pub fn run_burn(config: &FashionMlpConfig, run: &mut Run) -> Result<Summary> {
    let train = run.load(&config.dataset, "train")?;
    let test = run.load(&config.dataset, "test")?;
    let device = run.train_device();
    let model = initial_mlp(config, &train, run, &device);
    let params = burn::module::Module::num_params(&model);
    let options = ClassifierOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        optimizer: sgd(config.momentum),
        normalization: Normalization::fit(&train),
        augment: None,
        title: format!("MLP in burn on {}", config.dataset),
        class_weights: None,
        cosine_decay: false,
    };
    let trained = train_classifier(run, model, &train, &test, &options)?;
    overlay(run, config, "mlp/scratch", "burn", "scratch")?;
    let mut metrics = trained.test.figures("test_");
    metrics.insert("train_accuracy".into(), trained.train_accuracy);
    metrics.insert(
        "train_images_per_second".into(),
        trained.train_images_per_second,
    );
    metrics.insert("parameters".into(), params as f64);
    Ok(run.summary(config.epochs, metrics))
}

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

/// `(split, key) -> [(epoch, value)]` from a metrics file.
fn read_curves(path: &std::path::Path) -> BTreeMap<(String, String), Vec<(f64, f64)>> {
    let mut curves: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(epoch), Some(split)) = (v["epoch"].as_f64(), v["split"].as_str()) else {
            continue;
        };
        for key in ["loss", "accuracy"] {
            if let Some(value) = v[key].as_f64() {
                curves
                    .entry((split.into(), key.into()))
                    .or_default()
                    .push((epoch, value));
            }
        }
    }
    curves
}

/// Lays this run's curves over those of the newest finished `other` run with the same
/// setup (`overlay_accuracy.png`, `overlay_loss.png`); notes it when there is none yet.
fn overlay(
    run: &mut Run,
    config: &FashionMlpConfig,
    other: &str,
    mine: &str,
    theirs: &str,
) -> Result<()> {
    let config_json =
        serde_json::to_value(config).map_err(|e| nn_core::Error::Other(e.to_string()))?;
    let Some(other_dir) = run.latest_sibling(other, &config_json, SAME_SETUP) else {
        run.note(format!("no finished `{other}` run with the same settings under {}: run it to get the overlay plot", run.out_root.display()));
        return Ok(());
    };
    let (own, their) = (
        read_curves(&run.path("metrics.jsonl")),
        read_curves(&other_dir.join("metrics.jsonl")),
    );
    for key in ["accuracy", "loss"] {
        let mut curves = Vec::new();
        for split in ["train", "test"] {
            for (label, source) in [(mine, &own), (theirs, &their)] {
                if let Some(points) = source.get(&(split.to_string(), key.to_string())) {
                    curves.push(Curve {
                        label: format!("{label} {split}"),
                        points: points.clone(),
                    });
                }
            }
        }
        let plot = CurvePlot {
            title: format!("MLP by hand vs burn: {key} ({})", config.dataset),
            x_label: "epoch".into(),
            y_label: key.into(),
            curves,
            log_y: false,
        };
        for file in plot.save(&run.path(&format!("overlay_{key}")))? {
            run.add_file(&file);
        }
    }
    run.note(format!("overlay drawn with {}", other_dir.display()));
    Ok(())
}
