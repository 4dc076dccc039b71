//! An unbalanced two-class task (normal vs pneumonia): a loss that weighs each class by
//! the inverse of its frequency, metrics at a decision threshold on the positive-class
//! probability, and the threshold that balances the two kinds of error.

use nn_core::data::ImageDataset;
use nn_core::metrics::ConfusionMatrix;
use nn_core::train::Evaluation;

/// Loss weights `n / (classes * count)`: every class weighs as much in the loss as if the
/// classes were balanced (a class absent from `data` is counted once).
pub fn inverse_frequency_weights(data: &ImageDataset) -> Vec<f32> {
    let counts = data.class_counts();
    let n = data.len() as f32;
    (0..data.num_classes())
        .map(|c| n / (data.num_classes() as f32 * *counts.get(&c).unwrap_or(&1) as f32))
        .collect()
}

/// The probability of the positive class (1) for every image of a two-class evaluation.
pub fn positive_scores(evaluation: &Evaluation) -> Vec<f32> {
    evaluation
        .probabilities
        .chunks_exact(2)
        .map(|p| p[1])
        .collect()
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
