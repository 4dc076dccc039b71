//! `mlp/activations`: ReLU vs Leaky ReLU made measurable. The same deep MLP, from the same
//! (deliberately bad) initial weights, is trained with each; after every epoch we count the
//! dead units of each hidden layer: units whose pre-activation is <= 0 for every probe
//! image. A dead ReLU passes no gradient and cannot recover; a leaky one still can.

use crate::model::Mlp;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use nn_core::data::{ImageDataset, Normalization, batch_images, batch_labels};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::train::{
    Checkpoint, EpochLog, FitOptions, ModelState, TrainState, evaluate, fit, sgd,
};
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `mlp/activations`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationsConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per SGD step.
    pub batch_size: usize,
    /// SGD learning rate.
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// Hidden layers.
    pub depth: usize,
    /// Units of every hidden layer.
    pub width: usize,
    /// Added to every hidden bias at initialisation: negative values provoke dying ReLUs.
    pub bias_shift: f64,
    /// Negative slope of the Leaky ReLU.
    pub negative_slope: f64,
    /// Training images used (the first of a seeded shuffle); 0 for all.
    pub train_size: usize,
    /// Images whose activations decide whether a unit is dead.
    pub probe_size: usize,
    /// Data set to train on (e.g. `fashion-mnist`).
    pub dataset: String,
}

impl ExperimentConfig for ActivationsConfig {
    fn quick() -> Self {
        Self {
            epochs: 3,
            batch_size: 128,
            lr: 0.1,
            momentum: 0.9,
            depth: 6,
            width: 128,
            bias_shift: -0.05,
            negative_slope: 0.1,
            train_size: 10_000,
            probe_size: 1_000,
            dataset: "fashion-mnist".into(),
        }
    }

    fn full() -> Self {
        Self {
            epochs: 10,
            train_size: 0,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        nn_core::experiment::require_training(self.epochs, self.batch_size, self.lr)?;
        require(
            self.depth > 0 && self.width > 0,
            "depth",
            "depth and width must be positive",
        )?;
        require(self.probe_size > 0, "probe_size", "must be positive")?;
        require(
            self.negative_slope > 0.0 && self.negative_slope < 1.0,
            "negative_slope",
            "must be in (0, 1)",
        )?;
        Ok(())
    }
}

/// Fraction of dead units of each hidden layer on a probe batch: a unit is dead when its
/// pre-activation is <= 0 for every probe image.
pub fn dead_fractions(model: &Mlp, probe: Tensor<2>) -> Vec<f64> {
    let (_, hidden) = model.valid().forward_with_preactivations(probe);
    hidden
        .into_iter()
        .map(|z| {
            let width = z.dims()[1];
            let alive = z
                .max_dim(0)
                .greater_elem(0.0)
                .int()
                .sum()
                .into_scalar::<i64>() as usize;
            (width - alive) as f64 / width as f64
        })
        .collect()
}

/// The ReLU and the Leaky ReLU network with their optimisers, in the order of [`NAMES`],
/// trained in lockstep.
struct Pair([ModelState<Mlp>; 2]);

/// The two networks' names: their checkpoint parts and their split in `metrics.jsonl`.
const NAMES: [&str; 2] = ["relu", "leaky_relu"];

/// Stored as `relu`, `relu_optimizer`, `leaky_relu`, `leaky_relu_optimizer`, the part
/// names this experiment has always written, so earlier runs still resume.
impl TrainState for Pair {
    fn save(&self, checkpoint: &mut Checkpoint) -> Result<()> {
        for (name, state) in NAMES.iter().zip(&self.0) {
            checkpoint.put_module(name, &state.model)?;
            checkpoint.put_optimizer(&format!("{name}_optimizer"), &state.optim)?;
        }
        Ok(())
    }

    fn restore(self, checkpoint: &Checkpoint) -> Result<Self> {
        let [relu, leaky] = self.0;
        let restore = |name: &str, state: ModelState<Mlp>| -> Result<ModelState<Mlp>> {
            Ok(ModelState::new(
                checkpoint.load_module(name, state.model)?,
                checkpoint.load_optimizer(&format!("{name}_optimizer"), state.optim)?,
            ))
        };
        Ok(Self([restore(NAMES[0], relu)?, restore(NAMES[1], leaky)?]))
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The share of units that never fire (dead) per layer, for ReLU and Leaky ReLU in a deep MLP: compare how many units each loses layer by layer as training goes on, and the test accuracies.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str =
    "dead units: ReLU {dead_fraction_relu:%}, Leaky ReLU {dead_fraction_leaky_relu:%}";

/// `mlp/activations`: trains the pair, logs dead units per layer and test accuracy every
/// epoch, and draws the activation functions and the dead-unit curves.
pub fn run(config: &ActivationsConfig, run: &mut Run) -> Result<Summary> {
    let request = nn_core::data::DataRequest {
        train_size: config.train_size,
        ..nn_core::data::DataRequest::all(&config.dataset)
    };
    let (train, test) = nn_core::data::load_train_test(run, request)?;
    let norm = Normalization::fit(&train);
    let device = run.train_device();
    let eval_device = run.device.clone();
    let (relu, leaky) = init_pair(config, &train, &device, run.seed);
    let probe_indices: Vec<usize> = (0..config.probe_size.min(train.len())).collect();
    let probe = batch_images(&train, &probe_indices, &norm, &eval_device).flatten::<2>(1, 3);
    let initial: Vec<Vec<f64>> = [&relu, &leaky]
        .iter()
        .map(|m| dead_fractions(m, probe.clone()))
        .collect();
    for (name, dead) in NAMES.iter().zip(&initial) {
        run.log_metrics(&serde_json::json!({"epoch": 0, "split": name, "dead_mean": mean(dead), "dead_per_layer": dead}))?;
    }
    let state = Pair([
        ModelState::new(relu, sgd(config.momentum)),
        ModelState::new(leaky, sgd(config.momentum)),
    ]);
    let batch = config.batch_size;
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let options = FitOptions::new(config.epochs, train.len().div_ceil(batch));
    let state = fit(run, &options, state, |mut state, ctx| {
        let order = ctx.data_order(train.len());
        for (_, chunk) in ctx.batches(order.chunks(batch)) {
            let images = batch_images(&train, chunk, &norm, &device).flatten::<2>(1, 3);
            let labels = batch_labels(&train, chunk, &device);
            let mut step_loss = 0.0;
            let mut train_one = |name: &str, trained: ModelState<Mlp>| {
                let loss =
                    loss_fn.forward(trained.model.forward_flat(images.clone()), labels.clone());
                let value = loss.clone().into_scalar::<f32>() as f64;
                ctx.add(name, value);
                step_loss += value / 2.0;
                trained.step(config.lr, loss)
            };
            let [relu, leaky] = state.0;
            state.0 = [train_one(NAMES[0], relu), train_one(NAMES[1], leaky)];
            ctx.step(step_loss)?;
        }
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let mut log: EpochLog = Vec::new();
        for (trained, name) in state.0.iter().zip(NAMES) {
            let dead = dead_fractions(&trained.model, probe.clone());
            let eval = evaluate(&trained.model, &test, &norm, 1000, &eval_device);
            let mut figures = BTreeMap::from([
                (
                    "train_loss".to_string(),
                    ctx.sum(name) / ctx.steps().max(1) as f64,
                ),
                ("test_accuracy".to_string(), eval.accuracy()),
                ("dead_mean".to_string(), mean(&dead)),
            ]);
            for (layer, d) in dead.iter().enumerate() {
                figures.insert(format!("dead_layer_{}", layer + 1), *d);
            }
            log.push((name, figures));
        }
        Ok((state, log))
    })?;

    let (finals, accuracies) = final_scores(&state, &probe, &test, &norm, &eval_device);
    draw_figures(run, config)?;
    let metrics = summary_metrics(&initial, &finals, &accuracies);
    Ok(run.summary(config.epochs, metrics))
}

/// The ReLU network (`[input, width x depth, classes]`, hidden biases shifted by
/// `bias_shift`), initialised from the device's generator seeded with `seed`, and a copy of
/// it with the Leaky ReLU's slope: the same initial weights for both.
fn init_pair(
    config: &ActivationsConfig,
    train: &ImageDataset,
    device: &Device,
    seed: u64,
) -> (Mlp, Mlp) {
    let mut sizes = vec![train.shape.len()];
    sizes.extend(std::iter::repeat_n(config.width, config.depth));
    sizes.push(train.num_classes());
    nn_core::backend::seed_device(device, seed, "init");
    let relu = Mlp::new(&sizes, 0.0, device).shift_hidden_biases(config.bias_shift);
    let mut leaky = relu.clone();
    leaky.negative_slope = config.negative_slope;
    (relu, leaky)
}

/// Each trained network's dead fraction per layer on `probe` (`[probe images, pixels]`) and
/// its test accuracy, in the order of [`NAMES`].
fn final_scores(
    state: &Pair,
    probe: &Tensor<2>,
    test: &ImageDataset,
    norm: &Normalization,
    eval_device: &Device,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let finals: Vec<Vec<f64>> = state
        .0
        .iter()
        .map(|s| dead_fractions(&s.model, probe.clone()))
        .collect();
    let accuracies: Vec<f64> = state
        .0
        .iter()
        .map(|s| evaluate(&s.model, test, norm, 1000, eval_device).accuracy())
        .collect();
    (finals, accuracies)
}

/// Draws the activation functions, the dead fraction per layer over epochs and the test
/// accuracy over epochs (`test_accuracy.png`, from `metrics.jsonl`).
fn draw_figures(run: &mut Run, config: &ActivationsConfig) -> Result<()> {
    plot_functions(run, config.negative_slope)?;
    plot_dead(run, config)?;
    let metrics_file = run.path("metrics.jsonl");
    for file in nn_core::viz::plot_metrics_file(
        &metrics_file,
        &run.path("test_accuracy"),
        "ReLU vs Leaky ReLU: test accuracy",
        "epoch",
        &["test_accuracy"],
        "accuracy",
    )? {
        run.add_file(&file);
    }
    Ok(())
}

/// The summary's figures: each network's mean dead fraction before and after training
/// (`initial` and `finals` hold one fraction per layer, in the order of [`NAMES`]) and its
/// final test accuracy.
fn summary_metrics(
    initial: &[Vec<f64>],
    finals: &[Vec<f64>],
    accuracies: &[f64],
) -> BTreeMap<String, f64> {
    let mut metrics = BTreeMap::new();
    metrics.insert("dead_fraction_relu".into(), mean(&finals[0]));
    metrics.insert("dead_fraction_leaky_relu".into(), mean(&finals[1]));
    metrics.insert("initial_dead_fraction_relu".into(), mean(&initial[0]));
    metrics.insert("initial_dead_fraction_leaky_relu".into(), mean(&initial[1]));
    metrics.insert("test_accuracy_relu".into(), accuracies[0]);
    metrics.insert("test_accuracy_leaky_relu".into(), accuracies[1]);
    metrics
}

/// ReLU, Leaky ReLU and their derivatives on [-3, 3].
fn plot_functions(run: &mut Run, slope: f64) -> Result<()> {
    let xs: Vec<f64> = (0..=600).map(|i| -3.0 + i as f64 * 0.01).collect();
    let curve = |label: &str, f: &dyn Fn(f64) -> f64| Curve {
        label: label.into(),
        points: xs.iter().map(|&x| (x, f(x))).collect(),
    };
    let plot = CurvePlot {
        title: format!("ReLU and Leaky ReLU (slope {slope}) with their derivatives"),
        x_label: "z".into(),
        y_label: "f(z), f'(z)".into(),
        curves: vec![
            curve("ReLU", &|x| x.max(0.0)),
            curve("Leaky ReLU", &|x| if x > 0.0 { x } else { slope * x }),
            curve("ReLU'", &|x| if x > 0.0 { 1.0 } else { 0.0 }),
            curve("Leaky ReLU'", &|x| if x > 0.0 { 1.0 } else { slope }),
        ],
        log_y: false,
    };
    for file in plot.save(&run.path("activation_functions"))? {
        run.add_file(&file);
    }
    Ok(())
}

/// Dead fraction per layer over epochs, one plot per activation.
fn plot_dead(run: &mut Run, config: &ActivationsConfig) -> Result<()> {
    let text = std::fs::read_to_string(run.path("metrics.jsonl"))
        .map_err(|e| nn_core::Error::io(&run.path("metrics.jsonl"), e))?;
    for name in NAMES {
        let mut curves: Vec<Curve> = (1..=config.depth)
            .map(|l| Curve {
                label: format!("layer {l}"),
                points: Vec::new(),
            })
            .collect();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["split"] != name {
                continue;
            }
            let epoch = v["epoch"].as_f64().unwrap_or(0.0);
            for (l, curve) in curves.iter_mut().enumerate() {
                let value = v[format!("dead_layer_{}", l + 1)]
                    .as_f64()
                    .or_else(|| v["dead_per_layer"][l].as_f64());
                if let Some(d) = value {
                    curve.points.push((epoch, d));
                }
            }
        }
        let plot = CurvePlot {
            title: format!(
                "Dead units per layer: {name} (bias shift {})",
                config.bias_shift
            ),
            x_label: "epoch".into(),
            y_label: "fraction of dead units".into(),
            curves,
            log_y: false,
        };
        for file in plot.save(&run.path(&format!("dead_{name}")))? {
            run.add_file(&file);
        }
    }
    Ok(())
}
