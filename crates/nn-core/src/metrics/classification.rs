//! Classification metrics: accuracy, top-k, confusion matrix, per-class precision/recall/F1,
//! ROC curve and ROC-AUC.

/// Fraction of predictions equal to the targets (0 for an empty set).
pub fn accuracy(predictions: &[usize], targets: &[usize]) -> f64 {
    if targets.is_empty() {
        return 0.0;
    }
    let hits = predictions
        .iter()
        .zip(targets)
        .filter(|(p, t)| p == t)
        .count();
    hits as f64 / targets.len() as f64
}

/// Fraction of rows whose target is among the `k` highest scores. `scores` is row-major
/// `[n, classes]`. Ties are broken towards the lower class index, like a stable sort.
pub fn top_k_accuracy(scores: &[f32], classes: usize, targets: &[usize], k: usize) -> f64 {
    if targets.is_empty() || classes == 0 {
        return 0.0;
    }
    let hits = scores
        .chunks_exact(classes)
        .zip(targets)
        .filter(|(row, t)| {
            let t = **t;
            let target_score = row[t];
            // Rank = classes strictly better, plus equal ones with a lower index.
            let better = row
                .iter()
                .enumerate()
                .filter(|&(j, &s)| s > target_score || (s == target_score && j < t))
                .count();
            better < k
        })
        .count();
    hits as f64 / targets.len() as f64
}

/// Counts of (true class, predicted class): `counts[t][p]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfusionMatrix {
    pub classes: usize,
    pub counts: Vec<Vec<u64>>,
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassReport {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

impl ConfusionMatrix {
    pub fn new(classes: usize, predictions: &[usize], targets: &[usize]) -> Self {
        let mut counts = vec![vec![0u64; classes]; classes];
        for (&p, &t) in predictions.iter().zip(targets) {
            if p < classes && t < classes {
                counts[t][p] += 1;
            }
        }
        Self { classes, counts }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let diagonal: u64 = (0..self.classes).map(|i| self.counts[i][i]).sum();
        diagonal as f64 / self.total().max(1) as f64
    }

    /// Precision, recall and F1 of each class (0 where undefined, as scikit-learn's
    /// `zero_division=0`).
    pub fn per_class(&self) -> Vec<ClassReport> {
        (0..self.classes)
            .map(|c| {
                let tp = self.counts[c][c] as f64;
                let predicted: u64 = (0..self.classes).map(|t| self.counts[t][c]).sum();
                let support: u64 = self.counts[c].iter().sum();
                let precision = if predicted > 0 {
                    tp / predicted as f64
                } else {
                    0.0
                };
                let recall = if support > 0 {
                    tp / support as f64
                } else {
                    0.0
                };
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                ClassReport {
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect()
    }

    /// Unweighted mean of the per-class F1 scores.
    pub fn macro_f1(&self) -> f64 {
        let reports = self.per_class();
        reports.iter().map(|r| r.f1).sum::<f64>() / reports.len().max(1) as f64
    }
}

/// ROC curve points `(false positive rate, true positive rate)` for binary labels (`true`
/// = positive) and scores (higher = more positive), one point per distinct threshold,
/// from (0, 0) to (1, 1).
pub fn roc_curve(scores: &[f32], positives: &[bool]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let p = positives.iter().filter(|&&x| x).count() as f64;
    let n = positives.len() as f64 - p;
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if positives[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            points.push((
                if n > 0.0 { fp / n } else { 0.0 },
                if p > 0.0 { tp / p } else { 0.0 },
            ));
        }
    }
    points
}

/// Area under the ROC curve (trapezoids, so ties count one half), `None` when one class
/// is absent and the AUC is undefined.
pub fn roc_auc(scores: &[f32], positives: &[bool]) -> Option<f64> {
    let p = positives.iter().filter(|&&x| x).count();
    if p == 0 || p == positives.len() {
        return None;
    }
    let curve = roc_curve(scores, positives);
    Some(
        curve
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum(),
    )
}
