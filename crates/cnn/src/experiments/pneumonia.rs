//! `cnn/pneumonia`: normal vs pneumonia on paediatric chest X-rays (PneumoniaMNIST). The
//! classes are unbalanced (about 1:3 in training), so the loss weighs each class by the
//! inverse of its frequency and the decision threshold is chosen on the validation split.

use crate::figures;
use crate::unbalanced::{
    best_threshold, binary_report, inverse_frequency_weights, positive_scores,
};
use nn_core::augment::{Pipeline, Rotation, Scale};
use nn_core::data::{Normalization, load_split};
use nn_core::error::ConfigError;
use nn_core::experiment::{require, require_training};
use nn_core::metrics::{roc_auc, roc_curve};
use nn_core::models::{CnnSpec, SmallCnn};
use nn_core::train::{ClassifierOptions, evaluate, train_classifier};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `cnn/pneumonia`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PneumoniaConfig {
    /// `pneumoniamnist` (28x28) or `pneumoniamnist-64`, `-128`, `-224`.
    pub dataset: String,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub cnn: CnnSpec,
    /// Weigh the loss by inverse class frequency.
    pub class_weighted: bool,
    /// Small rotations and zooms during training.
    pub augment: bool,
}

impl ExperimentConfig for PneumoniaConfig {
    fn quick() -> Self {
        Self {
            dataset: "pneumoniamnist".into(),
            epochs: 3,
            batch_size: 64,
            lr: 1e-3,
            cnn: CnnSpec {
                channels: vec![32, 64, 64],
                batch_norm: true,
                hidden: 128,
                dropout: 0.3,
            },
            class_weighted: true,
            augment: false,
        }
    }

    fn full() -> Self {
        Self {
            epochs: 25,
            augment: true,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(
            self.dataset.starts_with("pneumoniamnist"),
            "dataset",
            "must be pneumoniamnist or pneumoniamnist-64/-128/-224",
        )?;
        require_training(self.epochs, self.batch_size, self.lr)?;
        Ok(())
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "An unbalanced medical task: accuracy alone misleads, so look at the ROC curve (area well above 0.5), and at the confusion matrix at the threshold chosen on the validation split rather than at 0.5.";

/// Trains one CNN with class-weighted loss (and, if asked, light augmentation), picks the
/// decision threshold on the validation split, and scores the test split at it.
pub fn run(config: &PneumoniaConfig, run: &mut Run) -> Result<Summary> {
    let train = load_split(run, &config.dataset, "train", 0)?;
    // The threshold is chosen on this split, never on test: a data set without it is an
    // error (an absent data set with `--synthetic` gets a stand-in validation split).
    let val = load_split(run, &config.dataset, "val", 0)?;
    let test = load_split(run, &config.dataset, "test", 0)?;
    let counts = train.class_counts();
    let weights = inverse_frequency_weights(&train);
    eprintln!("class counts {counts:?}; loss weights {weights:?}");
    let device = run.train_device();
    nn_core::backend::seed_device(&device, run.seed, "init");
    let model = SmallCnn::new(&config.cnn, train.shape, train.num_classes(), &device);
    let normalization = Normalization::fit(&train);
    let options = ClassifierOptions {
        augment: config.augment.then(|| {
            Pipeline::new()
                .then(Rotation { max_degrees: 10.0 })
                .then(Scale { min: 0.9, max: 1.1 })
        }),
        class_weights: config.class_weighted.then_some(weights),
        ..ClassifierOptions::adam(
            config.epochs,
            config.batch_size,
            config.lr,
            normalization.clone(),
            format!("CNN on {}", config.dataset),
        )
        .with_cosine_decay()
    };
    let trained = train_classifier(run, model, &train, &test, &options)?;
    let val_eval = evaluate(&trained.model, &val, &normalization, 256, &run.device);
    let threshold = best_threshold(&positive_scores(&val_eval), &val_eval.targets);
    let scores = positive_scores(&trained.test);
    let report = binary_report(&scores, &trained.test.targets, threshold);
    let positives: Vec<bool> = trained.test.targets.iter().map(|&t| t == 1).collect();
    let auc = roc_auc(&scores, &positives).unwrap_or(f64::NAN);
    eprintln!(
        "threshold {threshold:.3} (chosen on val): test accuracy {:.4}, precision {:.4}, recall {:.4}, F1 {:.4}, ROC-AUC {auc:.4}",
        report.accuracy, report.precision, report.recall, report.f1
    );

    figures::roc(run, &config.dataset, roc_curve(&scores, &positives), auc)?;
    figures::confusion_at_threshold(run, &report.confusion, &test.class_names, threshold)?;

    let mut metrics = BTreeMap::new();
    metrics.insert("test_accuracy".into(), report.accuracy);
    metrics.insert("test_precision".into(), report.precision);
    metrics.insert("test_recall".into(), report.recall);
    metrics.insert("test_f1".into(), report.f1);
    metrics.insert("test_roc_auc".into(), auc);
    metrics.insert("threshold".into(), threshold as f64);
    metrics.insert("test_accuracy_at_0_5".into(), trained.test.accuracy());
    Ok(run.summary(config.epochs, metrics))
}
