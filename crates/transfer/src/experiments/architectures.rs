//! `transfer/architectures`: the famous networks side by side: learnable parameters,
//! multiply-accumulates per image and forward time at 32x32 (CIFAR) and 224x224 (ImageNet),
//! and what is inside a residual block and an Inception module.

use crate::models::inception::GoogLeNetConfig;
use crate::models::resnet::ResNetConfig;
use crate::models::vgg::VggConfig;
use burn::prelude::*;
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::train::{ImageClassifier, learnable_parameter_count};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::time::Instant;

/// Settings of `transfer/architectures`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchitecturesConfig {
    /// Image sides to time the forward pass at.
    pub sides: Vec<usize>,
    /// Timed forward passes per model and side (after one warm-up).
    pub repeats: usize,
    /// Classes of every model's head (1000: ImageNet's, the published counts).
    pub classes: usize,
}

impl ExperimentConfig for ArchitecturesConfig {
    fn quick() -> Self {
        Self {
            sides: vec![32, 224],
            repeats: 1,
            classes: 1000,
        }
    }

    fn full() -> Self {
        Self {
            repeats: 5,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            !self.sides.is_empty() && self.sides.iter().all(|&s| s >= 32),
            "sides",
            "needs sides of at least 32 pixels",
        )?;
        require(self.repeats > 0, "repeats", "must be positive")?;
        require(self.classes > 0, "classes", "must be positive")
    }
}

/// One row of the table.
struct Row {
    name: String,
    params: usize,
    macs: Vec<u64>,
    seconds: Vec<f64>,
}

/// Mean seconds of one forward pass of a batch of one `side` x `side` image.
fn time_forward<M: ImageClassifier>(
    model: &M,
    side: usize,
    repeats: usize,
    device: &Device,
) -> f64 {
    let x = Tensor::<4>::random(
        [1, 3, side, side],
        burn::tensor::Distribution::Default,
        device,
    );
    let run = || {
        let _ = model.forward(x.clone()).into_data();
    };
    run(); // warm-up
    let start = Instant::now();
    for _ in 0..repeats {
        run();
    }
    start.elapsed().as_secs_f64() / repeats as f64
}

/// Parameters, multiply-accumulates and forward time at every side of one model.
fn measure<M: ImageClassifier>(
    name: &str,
    model: M,
    macs: impl Fn(usize) -> u64,
    config: &ArchitecturesConfig,
    device: &Device,
) -> Row {
    let model = model.valid();
    let row = Row {
        name: name.into(),
        params: learnable_parameter_count(&model),
        macs: config.sides.iter().map(|&s| macs(s)).collect(),
        seconds: config
            .sides
            .iter()
            .map(|&s| time_forward(&model, s, config.repeats, device))
            .collect(),
    };
    eprintln!("{name}: {} parameters, timed", row.params);
    row
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "VGG, ResNet and Inception counted: parameters, multiply-accumulates and forward time at 32 and 224 pixels; note how much less GoogLeNet and ResNet cost than VGG for a deeper network.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "parameters: VGG-19 {vgg19_params:M}, ResNet-18 {resnet18_params:M}, GoogLeNet {googlenetinceptionv1_params:M}";

/// Builds every model, measures it at every side, and writes `architectures.md`: the
/// table, then a residual block and the Inception modules.
pub fn run(config: &ArchitecturesConfig, run: &mut Run) -> Result<Summary> {
    let device = run.device.clone();
    nn_core::backend::seed_device(&device, run.seed, "init");
    let rows = measure_every_model(config, &device);
    run.set_data(nn_core::run::DataInfo {
        name: "random images (no data needed)".into(),
        synthetic: true,
        train: 0,
        test: 0,
        stand_in: false,
        ..Default::default()
    });

    let (mut table, metrics) = table_and_metrics(config, &rows);
    table.push_str(&format!(
        "\nBackend `{}`, batch of one image, mean of {} passes after a warm-up.\n",
        run.backend, config.repeats
    ));
    table.push_str(&blocks_explained());
    eprint!("{table}");
    let path = run.path("architectures.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    Ok(run.summary(0, metrics))
}

/// Builds and measures, in this order, VGG-11 to VGG-19 (and VGG-19 with batch norm),
/// ResNet-18 and -34, and GoogLeNet: one table row each.
fn measure_every_model(config: &ArchitecturesConfig, device: &Device) -> Vec<Row> {
    let classes = config.classes;
    let mut rows = Vec::new();
    for (depth, bn) in [
        (11, false),
        (13, false),
        (16, false),
        (19, false),
        (19, true),
    ] {
        let vgg = VggConfig::new(depth)
            .with_classes(classes)
            .with_batch_norm(bn);
        let name = format!("VGG-{depth}{}", if bn { " (BN)" } else { "" });
        let model = vgg.init(device).expect("known depth");
        rows.push(measure(
            &name,
            model,
            |s| vgg.macs(s).unwrap_or(0),
            config,
            device,
        ));
    }
    for depth in [18, 34] {
        let resnet = ResNetConfig::new(depth).with_classes(classes);
        let model = resnet.init(device).expect("known depth");
        rows.push(measure(
            &format!("ResNet-{depth}"),
            model,
            |s| resnet.macs(s).unwrap_or(0),
            config,
            device,
        ));
    }
    let googlenet = GoogLeNetConfig::new().with_classes(classes);
    rows.push(measure(
        "GoogLeNet (Inception v1)",
        googlenet.init(device),
        |s| googlenet.macs(s),
        config,
        device,
    ));
    rows
}

/// The Markdown table of `rows` (parameters, then GMACs and forward milliseconds at every
/// side) and the same figures as metrics keyed by the model's lower-cased name.
fn table_and_metrics(
    config: &ArchitecturesConfig,
    rows: &[Row],
) -> (String, BTreeMap<String, f64>) {
    let mut table = String::from("| model | parameters |");
    for s in &config.sides {
        table.push_str(&format!(" GMACs at {s}x{s} | forward ms at {s}x{s} |"));
    }
    table.push_str("\n|---|---|");
    table.push_str(&"---|---|".repeat(config.sides.len()));
    table.push('\n');
    let mut metrics = BTreeMap::new();
    for row in rows {
        table.push_str(&format!("| {} | {} |", row.name, row.params));
        for (m, t) in row.macs.iter().zip(&row.seconds) {
            table.push_str(&format!(" {:.3} | {:.1} |", *m as f64 / 1e9, t * 1e3));
        }
        table.push('\n');
        let key = row
            .name
            .to_lowercase()
            .replace([' ', '(', ')'], "")
            .replace('-', "");
        metrics.insert(format!("{key}_params"), row.params as f64);
        for ((side, m), t) in config.sides.iter().zip(&row.macs).zip(&row.seconds) {
            metrics.insert(format!("{key}_gmacs_{side}"), *m as f64 / 1e9);
            metrics.insert(format!("{key}_forward_ms_{side}"), t * 1e3);
        }
    }
    (table, metrics)
}

/// A residual block and GoogLeNet's Inception modules, as tables.
pub fn blocks_explained() -> String {
    let mut text = String::from(
        "\n### A residual (basic) block\n\n| path | layers |\n|---|---|\n\
         | main | 3x3 conv (stride s) -> batch norm -> ReLU -> 3x3 conv -> batch norm |\n\
         | shortcut | identity, or 1x1 conv (stride s) -> batch norm when the shape changes |\n\
         | output | ReLU(main + shortcut) |\n\n### GoogLeNet's Inception modules (output channels per branch)\n\n\
         | module | input | 1x1 | 1x1 -> 3x3 | 1x1 -> \"5x5\" (3x3, as torchvision) | 3x3 max pool -> 1x1 | output |\n|---|---|---|---|---|---|---|\n",
    );
    for (name, r) in ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"]
        .iter()
        .zip(crate::models::inception::TABLE)
    {
        text.push_str(&format!(
            "| {name} | {} | {} | {} -> {} | {} -> {} | {} | {} |\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[1] + r[3] + r[5] + r[6]
        ));
    }
    text
}
