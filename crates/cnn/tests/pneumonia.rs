//! The pneumonia metrics from known predictions.

use cnn::unbalanced::{best_threshold, binary_report};

#[test]
fn binary_report_by_hand() {
    // Targets: 3 normal (0), 5 pneumonia (1). At threshold 0.5: TP 4, FN 1, FP 1, TN 2.
    let scores = [0.1, 0.6, 0.3, 0.9, 0.8, 0.7, 0.55, 0.2];
    let targets = [0, 0, 0, 1, 1, 1, 1, 1];
    let r = binary_report(&scores, &targets, 0.5);
    assert_eq!(r.confusion.counts, vec![vec![2, 1], vec![1, 4]]);
    assert_eq!(r.accuracy, 6.0 / 8.0);
    assert_eq!(r.precision, 4.0 / 5.0);
    assert_eq!(r.recall, 4.0 / 5.0);
    assert!((r.f1 - 0.8).abs() < 1e-12);
    // Threshold 0.65 trades one false positive away: TP 3, FN 2, FP 0, TN 3.
    let r = binary_report(&scores, &targets, 0.65);
    assert_eq!((r.precision, r.recall), (1.0, 0.6));
}

#[test]
fn threshold_maximises_balanced_accuracy() {
    // Separable at any threshold in (0.4, 0.6]: the chosen one separates perfectly.
    let scores = [0.1, 0.2, 0.4, 0.6, 0.7, 0.9];
    let targets = [0, 0, 0, 1, 1, 1];
    let t = best_threshold(&scores, &targets);
    let r = binary_report(&scores, &targets, t);
    assert_eq!(r.accuracy, 1.0, "threshold {t}");
}
