//! A classifier's predictions on a data set, and the figures read from them: accuracy,
//! top-k, loss, the confusion matrix and (for two classes) ROC-AUC.

use super::ImageClassifier;
use crate::data::{ImageDataset, Normalization, batch_images, batch_labels};
use crate::metrics::{ConfusionMatrix, accuracy, roc_auc, top_k_accuracy};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use std::collections::BTreeMap;

/// Predictions of a classifier on a data set.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub classes: usize,
    /// Softmax probabilities, row-major `[n, classes]`.
    pub probabilities: Vec<f32>,
    pub predictions: Vec<usize>,
    pub targets: Vec<usize>,
    /// Mean cross-entropy.
    pub loss: f64,
}

impl Evaluation {
    pub fn accuracy(&self) -> f64 {
        accuracy(&self.predictions, &self.targets)
    }

    pub fn top_k(&self, k: usize) -> f64 {
        top_k_accuracy(&self.probabilities, self.classes, &self.targets, k)
    }

    pub fn confusion(&self) -> ConfusionMatrix {
        ConfusionMatrix::new(self.classes, &self.predictions, &self.targets)
    }

    /// ROC-AUC of class 1 against class 0, for binary problems.
    pub fn binary_roc_auc(&self) -> Option<f64> {
        if self.classes != 2 {
            return None;
        }
        let scores: Vec<f32> = self.probabilities.chunks_exact(2).map(|p| p[1]).collect();
        let positives: Vec<bool> = self.targets.iter().map(|&t| t == 1).collect();
        roc_auc(&scores, &positives)
    }

    /// The headline figures under a prefix (`test_accuracy`, `test_top5`, ...).
    pub fn figures(&self, prefix: &str) -> BTreeMap<String, f64> {
        let mut figures = BTreeMap::new();
        figures.insert(format!("{prefix}accuracy"), self.accuracy());
        figures.insert(format!("{prefix}loss"), self.loss);
        figures.insert(format!("{prefix}macro_f1"), self.confusion().macro_f1());
        if self.classes > 5 {
            figures.insert(format!("{prefix}top5"), self.top_k(5));
        }
        if let Some(auc) = self.binary_roc_auc() {
            figures.insert(format!("{prefix}roc_auc"), auc);
        }
        figures
    }
}

/// Runs the model over a data set in batches (no autodiff) and collects its predictions.
pub fn evaluate<M: ImageClassifier>(
    model: &M,
    data: &ImageDataset,
    norm: &Normalization,
    batch_size: usize,
    device: &Device,
) -> Evaluation {
    let model = model.valid();
    let classes = data.num_classes().max(1);
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut probabilities = Vec::with_capacity(data.len() * classes);
    let mut predictions = Vec::with_capacity(data.len());
    let mut targets = Vec::with_capacity(data.len());
    let mut loss_sum = 0.0;
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let images = batch_images(data, chunk, norm, device);
        let labels = batch_labels(data, chunk, device);
        let logits = model.forward(images);
        let loss: f32 = loss_fn.forward(logits.clone(), labels).into_scalar();
        loss_sum += loss as f64 * chunk.len() as f64;
        let probs: Vec<f32> = burn::tensor::activation::softmax(logits, 1)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        for row in probs.chunks_exact(classes) {
            let best =
                row.iter().enumerate().fold(
                    (0, f32::MIN),
                    |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc },
                );
            predictions.push(best.0);
        }
        probabilities.extend_from_slice(&probs);
        targets.extend(chunk.iter().map(|&i| data.label(i).unwrap_or(0)));
    }
    Evaluation {
        classes,
        probabilities,
        predictions,
        targets,
        loss: loss_sum / data.len().max(1) as f64,
    }
}
