//! `cnn/pneumonia`: normal vs pneumonia on paediatric chest X-rays (PneumoniaMNIST). The
//! classes are unbalanced (about 1:3 in training), so the loss weighs each class by the
//! inverse of its frequency and the decision threshold is chosen on the validation split.

use nn_core::augment::{Pipeline, Rotation, Scale};
use nn_core::data::Normalization;
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::metrics::{ConfusionMatrix, roc_auc, roc_curve};
use nn_core::models::{CnnSpec, SmallCnn};
use nn_core::train::{ClassifierOptions, OptimizerKind, evaluate, train_classifier};
use nn_core::viz::{Curve, CurvePlot, plot_confusion};
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
    pub seed: u64,
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
            seed: 42,
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
        require(
            self.epochs > 0 && self.batch_size > 0,
            "epochs",
            "epochs and batch_size must be positive",
        )?;
        require(self.lr > 0.0, "lr", "must be positive")?;
        Ok(())
    }
}

/// Metrics of a binary classifier at a threshold on the positive-class probability.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryReport {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub confusion: ConfusionMatrix,
}

/// Predicts positive where `score >= threshold` and scores the predictions.
pub fn binary_report(scores: &[f32], targets: &[usize], threshold: f32) -> BinaryReport {
    let predictions: Vec<usize> = scores
        .iter()
        .map(|&s| usize::from(s >= threshold))
        .collect();
    let confusion = ConfusionMatrix::new(2, &predictions, targets);
    let positive = confusion.per_class()[1];
    BinaryReport {
        accuracy: confusion.accuracy(),
        precision: positive.precision,
        recall: positive.recall,
        f1: positive.f1,
        confusion,
    }
}

/// The threshold that maximises Youden's J (true positive rate - false positive rate),
/// i.e. balanced accuracy, over the candidate scores.
pub fn best_threshold(scores: &[f32], targets: &[usize]) -> f32 {
    let mut candidates: Vec<f32> = scores.to_vec();
    candidates.sort_by(f32::total_cmp);
    candidates.dedup();
    let mut best = (f64::MIN, 0.5);
    for &t in &candidates {
        let report = binary_report(scores, targets, t);
        let specificity = report.confusion.per_class()[0].recall;
        let j = report.recall + specificity - 1.0;
        if j > best.0 {
            best = (j, t);
        }
    }
    best.1
}

pub fn run(config: &PneumoniaConfig, run: &mut Run) -> Result<Summary> {
    let train = run.load(&config.dataset, "train")?;
    let val = run.load(&config.dataset, "val").or_else(|e| {
        if run.allow_synthetic {
            run.load(&config.dataset, "test")
        } else {
            Err(e)
        }
    })?;
    let test = run.load(&config.dataset, "test")?;
    let counts = train.class_counts();
    let n = train.len() as f32;
    let weights: Vec<f32> = (0..train.num_classes())
        .map(|c| n / (train.num_classes() as f32 * *counts.get(&c).unwrap_or(&1) as f32))
        .collect();
    eprintln!("class counts {counts:?}; loss weights {weights:?}");
    let device = run.train_device();
    nn_core::backend::seed_device(&device, run.seed, "init");
    let model = SmallCnn::new(&config.cnn, train.shape, train.num_classes(), &device);
    let normalization = Normalization::fit(&train);
    let options = ClassifierOptions {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        optimizer: OptimizerKind::Adam.init(),
        normalization: normalization.clone(),
        augment: config.augment.then(|| {
            Pipeline::new()
                .then(Rotation { max_degrees: 10.0 })
                .then(Scale { min: 0.9, max: 1.1 })
        }),
        title: format!("CNN on {}", config.dataset),
        class_weights: config.class_weighted.then_some(weights),
        cosine_decay: true,
    };
    let trained = train_classifier(run, model, &train, &test, &options)?;
    let positive = |e: &nn_core::train::Evaluation| -> Vec<f32> {
        e.probabilities.chunks_exact(2).map(|p| p[1]).collect()
    };
    let val_eval = evaluate(&trained.model, &val, &normalization, 256, &run.device);
    let threshold = best_threshold(&positive(&val_eval), &val_eval.targets);
    let scores = positive(&trained.test);
    let report = binary_report(&scores, &trained.test.targets, threshold);
    let positives: Vec<bool> = trained.test.targets.iter().map(|&t| t == 1).collect();
    let auc = roc_auc(&scores, &positives).unwrap_or(f64::NAN);
    eprintln!(
        "threshold {threshold:.3} (chosen on val): test accuracy {:.4}, precision {:.4}, recall {:.4}, F1 {:.4}, ROC-AUC {auc:.4}",
        report.accuracy, report.precision, report.recall, report.f1
    );

    let curve = roc_curve(&scores, &positives);
    let plot = CurvePlot {
        title: format!("ROC on the {} test split (AUC {auc:.3})", config.dataset),
        x_label: "false positive rate".into(),
        y_label: "true positive rate".into(),
        curves: vec![
            Curve {
                label: "CNN".into(),
                points: curve,
            },
            Curve {
                label: "chance".into(),
                points: vec![(0.0, 0.0), (1.0, 1.0)],
            },
        ],
        log_y: false,
    };
    for file in plot.save(&run.path("roc"))? {
        run.add_file(&file);
    }
    let path = run.path("confusion_threshold.png");
    plot_confusion(
        &report.confusion,
        &test.class_names,
        &format!("Test split at threshold {threshold:.2}"),
        &path,
    )?;
    run.add_file(&path);

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
