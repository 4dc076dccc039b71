//! `nn-core/demo`: the reference experiment that proves the contract end to end. A
//! one-hidden-layer network learns the synthetic shapes set through the shared classifier
//! path and leaves every file of a run directory: config, metrics, summary, curves,
//! confusion matrix, a sample grid and checkpoints.

use crate::data::Normalization;
use crate::data::{sized, synthetic};
use crate::error::{ConfigError, Result};
use crate::experiment::{
    ExperimentConfig, Lesson, Registry, experiment, require, require_training,
};
use crate::run::{DataInfo, Run, Summary};
use crate::train::{
    ImageClassifier, OptimizerKind, classifier::ClassifierOptions, train_classifier,
};
use crate::viz::{GridImage, save_grid};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;

/// Settings of the demo.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub hidden: usize,
    /// Side of the square grey shape images.
    pub image_size: usize,
    pub train_size: usize,
    pub test_size: usize,
    pub optimizer: OptimizerKind,
}

impl ExperimentConfig for DemoConfig {
    fn quick() -> Self {
        Self {
            epochs: 3,
            batch_size: 32,
            lr: 1e-3,
            hidden: 64,
            image_size: 16,
            train_size: 600,
            test_size: 200,
            optimizer: OptimizerKind::Adam,
        }
    }

    fn full() -> Self {
        Self {
            epochs: 15,
            hidden: 256,
            image_size: 28,
            train_size: 10_000,
            test_size: 2_000,
            ..Self::quick()
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        require_training(self.epochs, self.batch_size, self.lr)?;
        require(self.hidden > 0, "hidden", "must be positive")?;
        require(self.image_size >= 8, "image_size", "must be at least 8")?;
        require(self.train_size > 0, "train_size", "must be positive")?;
        require(self.test_size > 0, "test_size", "must be positive")
    }
}

/// Flatten, one hidden ReLU layer, logits.
#[derive(Module, Debug)]
pub struct TinyMlp {
    hidden: Linear,
    output: Linear,
    activation: Relu,
}

impl TinyMlp {
    pub fn new(inputs: usize, hidden: usize, classes: usize, device: &Device) -> Self {
        Self {
            hidden: LinearConfig::new(inputs, hidden).init(device),
            output: LinearConfig::new(hidden, classes).init(device),
            activation: Relu::new(),
        }
    }
}

impl ImageClassifier for TinyMlp {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = images.flatten::<2>(1, 3);
        self.output
            .forward(self.activation.forward(self.hidden.forward(x)))
    }
}

/// Runs the demo.
pub fn run(config: &DemoConfig, run: &mut Run) -> Result<Summary> {
    let train = synthetic::shapes(
        config.train_size,
        config.image_size,
        true,
        crate::backend::derive_seed(run.seed, "train"),
    );
    let test = synthetic::shapes(
        config.test_size,
        config.image_size,
        true,
        crate::backend::derive_seed(run.seed, "test"),
    );
    // Cut to `--limit` as the catalog's data sets are (a seeded subset).
    let (train, test) = (sized(run, train, 0), sized(run, test, 0));
    run.set_data(DataInfo {
        name: "synthetic-shapes".into(),
        synthetic: true,
        train: train.len(),
        test: test.len(),
        stand_in: false,
        ..Default::default()
    });
    let device = run.train_device();
    crate::backend::seed_device(&device, run.seed, "init");
    let model = TinyMlp::new(
        train.shape.len(),
        config.hidden,
        train.num_classes(),
        &device,
    );
    let normalization = Normalization::fit(&train);
    let options = ClassifierOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        optimizer: config.optimizer.init(),
        normalization: normalization.clone(),
        augment: None,
        title: "nn-core demo".into(),
        class_weights: None,
        cosine_decay: false,
    };
    let trained = train_classifier(run, model, &train, &test, &options)?;

    // A grid of test images captioned with the predicted class.
    let shown = test.len().min(32);
    let cells: Vec<GridImage> = (0..shown)
        .map(|i| GridImage {
            shape: test.shape,
            pixels: test.image(i).to_vec(),
            caption: Some(test.class_name(trained.test.predictions[i])),
        })
        .collect();
    let grid = run.path("predictions.png");
    save_grid(&grid, &cells, 8, 3)?;
    run.add_file(&grid);

    let mut metrics = trained.test.figures("test_");
    metrics.insert("train_accuracy".into(), trained.train_accuracy);
    metrics.insert("parameters".into(), trained.model.num_params() as f64);
    Ok(run.summary(config.epochs, metrics))
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "A tiny MLP on synthetic shapes through the whole experiment contract: the loss and accuracy curves should move in the right direction within three epochs, and the captioned test images show its guesses.";

/// The shared pieces as the report shows them (the course's week 0).
pub const LESSON: Lesson = Lesson {
    week: "0",
    title: "Shared pieces",
    text: "Data, training loop, metrics and plots every week uses.",
};

/// The demo registered under `nn-core/demo`.
pub fn registry() -> Registry {
    Registry::topic(LESSON).with(
        experiment::<DemoConfig>(
            "nn-core/demo",
            "A one-hidden-layer net on synthetic shapes: the experiment contract end to end",
            run,
        )
        .guide(GUIDE),
    )
}
