//! Each metric against hand-computed cases and published reference values.

use super::image_pairs::{noisy_texture, smooth_waves};
use nn_core::metrics::*;

#[test]
fn accuracy_and_top_k_by_hand() {
    assert_eq!(accuracy(&[0, 1, 2, 2], &[0, 1, 1, 2]), 0.75);
    assert_eq!(accuracy(&[], &[]), 0.0);
    // Rows: target 2 ranked 1st; target 0 ranked 2nd; target 1 ranked 3rd.
    let scores = [0.1, 0.2, 0.7, 0.3, 0.6, 0.1, 0.5, 0.1, 0.4];
    let targets = [2, 0, 1];
    assert!((top_k_accuracy(&scores, 3, &targets, 1) - 1.0 / 3.0).abs() < 1e-12);
    assert!((top_k_accuracy(&scores, 3, &targets, 2) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(top_k_accuracy(&scores, 3, &targets, 3), 1.0);
}

#[test]
fn precision_recall_f1_match_scikit_learn_documentation() {
    // scikit-learn's classification_report example: y_true = [0, 1, 2, 2, 2],
    // y_pred = [0, 0, 2, 2, 1] gives precision 0.50 / 0.00 / 1.00, recall 1.00 / 0.00 / 0.67,
    // f1 0.67 / 0.00 / 0.80, support 1 / 1 / 3.
    let cm = ConfusionMatrix::new(3, &[0, 0, 2, 2, 1], &[0, 1, 2, 2, 2]);
    assert_eq!(cm.counts, vec![vec![1, 0, 0], vec![1, 0, 0], vec![0, 1, 2]]);
    let r = cm.per_class();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    assert_eq!(
        r.iter().map(|c| round(c.precision)).collect::<Vec<_>>(),
        vec![0.5, 0.0, 1.0]
    );
    assert_eq!(
        r.iter().map(|c| round(c.recall)).collect::<Vec<_>>(),
        vec![1.0, 0.0, 0.67]
    );
    assert_eq!(
        r.iter().map(|c| round(c.f1)).collect::<Vec<_>>(),
        vec![0.67, 0.0, 0.8]
    );
    assert_eq!(
        r.iter().map(|c| c.support).collect::<Vec<_>>(),
        vec![1, 1, 3]
    );
    assert_eq!(cm.accuracy(), 0.6);
    // macro avg f1 of that report: 0.49.
    assert_eq!(round(cm.macro_f1()), 0.49);
}

#[test]
fn roc_auc_matches_scikit_learn_documentation() {
    // scikit-learn's roc_auc_score / roc_curve example: y = [0, 0, 1, 1],
    // scores = [0.1, 0.4, 0.35, 0.8] gives AUC 0.75 and the curve
    // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1].
    let scores = [0.1, 0.4, 0.35, 0.8];
    let positives = [false, false, true, true];
    assert_eq!(roc_auc(&scores, &positives), Some(0.75));
    assert_eq!(
        roc_curve(&scores, &positives),
        vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
    );
    // Perfect, inverted, all-tied and undefined cases.
    assert_eq!(
        roc_auc(&[0.9, 0.8, 0.2, 0.1], &[true, true, false, false]),
        Some(1.0)
    );
    assert_eq!(
        roc_auc(&[0.1, 0.2, 0.8, 0.9], &[true, true, false, false]),
        Some(0.0)
    );
    assert_eq!(roc_auc(&[0.5; 4], &[true, false, true, false]), Some(0.5));
    assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
}

#[test]
fn psnr_by_hand() {
    // Every value off by 0.1: MSE 0.01, PSNR = 10 log10(1 / 0.01) = 20 dB.
    let a = vec![0.5f32; 100];
    let b = vec![0.6f32; 100];
    assert!((psnr(&a, &b, 1.0) - 20.0).abs() < 1e-4);
    // Peak 255 with an error of 1: 10 log10(65025) = 48.1308 dB.
    assert!((psnr(&[10.0], &[11.0], 255.0) - 48.130_803_608).abs() < 1e-6);
    assert_eq!(psnr(&a, &a, 1.0), f64::INFINITY);
}

#[test]
fn ssim_by_hand() {
    let (h, w) = (9, 9);
    let noise: Vec<f32> = (0..h * w).map(|i| ((i * 37 % 17) as f32) / 17.0).collect();
    assert!((ssim(&noise, &noise, h, w, 1.0) - 1.0).abs() < 1e-9);
    // Two constant images: variances and covariance are 0, so SSIM is the luminance term
    // (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1) with C1 = (0.01)^2.
    let a = vec![0.5f32; h * w];
    let b = vec![0.25f32; h * w];
    let c1 = 1e-4;
    let expected = (2.0 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1);
    assert!((ssim(&a, &b, h, w, 1.0) - expected).abs() < 1e-9);
    // An inverted pattern is structurally anti-correlated: SSIM below zero.
    let inverted: Vec<f32> = noise.iter().map(|v| 1.0 - v).collect();
    assert!(ssim(&noise, &inverted, h, w, 1.0) < 0.0);
}

/// Our PSNR and SSIM against scikit-image 0.26.0 (numpy 2.4.6) on the same pixels (the
/// pairs of `image_pairs.rs`, rebuilt from the same formulas in numpy):
/// `peak_signal_noise_ratio(data_range=1.0)`, `structural_similarity(data_range=1.0)` with
/// its defaults (our [`SsimConfig::scikit_image`]) and with `gaussian_weights=True,
/// sigma=1.5, use_sample_covariance=False` (our [`SsimConfig::wang_et_al`]); printed with
/// repr().
#[test]
fn psnr_and_ssim_equal_scikit_images() {
    let expected = [
        (
            smooth_waves(),
            26.27302491383636,
            0.9840736981495108,
            0.9799441350683937,
        ),
        (
            noisy_texture(),
            21.25170508255392,
            0.7780619869893546,
            0.7684173261578024,
        ),
    ];
    for (pair, psnr_sk, ssim_sk, ssim_sk_wang) in expected {
        let (a, b, h, w) = (&pair.reference, &pair.distorted, pair.height, pair.width);
        let ours = psnr(a, b, 1.0);
        assert!((ours - psnr_sk).abs() < 1e-6, "PSNR {ours} vs {psnr_sk}");
        let ours = ssim(a, b, h, w, 1.0);
        assert!((ours - ssim_sk).abs() < 1e-6, "SSIM {ours} vs {ssim_sk}");
        let ours = ssim_with(a, b, h, w, 1.0, &SsimConfig::wang_et_al());
        assert!(
            (ours - ssim_sk_wang).abs() < 1e-6,
            "Wang et al.'s SSIM {ours} vs {ssim_sk_wang}"
        );
    }
}

/// Our PSNR and SSIM against burn-train 0.22.1's `PsnrMetric` and `SsimMetric` (defaults:
/// 11x11 Gaussian, sigma 1.5) on the same pairs. burn's vision metrics sit behind a feature
/// that compiles an HTTP client and a C cryptography library, so the comparison itself runs
/// in its own workspace (`tools/burn-image-quality`, which calls both); the figures burn
/// gave there (2026-12-02) are pinned here. burn's SSIM pads the images with zeros and
/// averages over every pixel: the padding is the same in both images, so the border's
/// windows agree more and its SSIM reads higher than Wang et al.'s (by 0.003 and 0.023
/// here). We report scikit-image's.
#[test]
fn psnr_and_ssim_equal_burns() {
    let expected = [
        (smooth_waves(), 26.273023605, 0.982547760),
        (noisy_texture(), 21.251703262, 0.791378736),
    ];
    for (pair, psnr_burn, ssim_burn) in expected {
        let (a, b, h, w) = (&pair.reference, &pair.distorted, pair.height, pair.width);
        let ours = psnr(a, b, 1.0);
        // burn computes in f32.
        assert!(
            (ours - psnr_burn).abs() < 1e-4,
            "PSNR {ours} vs burn's {psnr_burn}"
        );
        let ours = ssim_with(a, b, h, w, 1.0, &SsimConfig::burn());
        assert!(
            (ours - ssim_burn).abs() < 1e-5,
            "SSIM {ours} vs burn's {ssim_burn}"
        );
        let wang = ssim_with(a, b, h, w, 1.0, &SsimConfig::wang_et_al());
        assert!(
            ours - wang > 2e-3,
            "zero padding should raise SSIM: {ours} vs {wang}"
        );
    }
}

/// Our ROC-AUC against burn-train's `AurocMetric` on the same scores: random, with ties
/// (scores rounded to two decimals), over several class balances.
#[test]
fn roc_auc_equals_burns_auroc_metric() {
    use burn::data::dataloader::Progress;
    use burn::prelude::*;
    use burn::tensor::Bool;
    use burn::train::metric::{AurocMetric, ConfusionStatsInput, Metric, MetricMetadata};
    use rand::{RngExt, SeedableRng};

    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for (n, share) in [(500, 0.5), (300, 0.1), (64, 0.9)] {
        let positives: Vec<bool> = (0..n).map(|_| rng.random_bool(share)).collect();
        let scores: Vec<f32> = positives
            .iter()
            .map(|&p| {
                let s: f32 = rng.random_range(0.0..1.0) + if p { 0.3 } else { 0.0 };
                (s / 1.3 * 100.0).round() / 100.0
            })
            .collect();
        let ours = roc_auc(&scores, &positives).unwrap();

        let predictions = Tensor::<2>::from_data(TensorData::new(scores.clone(), [n, 1]), &device);
        let targets =
            Tensor::<2, Bool>::from_data(TensorData::new(positives.clone(), [n, 1]), &device);
        let mut metric = AurocMetric::binary();
        let metadata = MetricMetadata {
            progress: Progress {
                items_processed: n,
                items_total: n,
                unit: None,
            },
            iteration: Some(0),
            lr: None,
        };
        metric
            .update(
                &ConfusionStatsInput {
                    predictions,
                    targets,
                },
                &metadata,
            )
            .unwrap();
        let burns: f64 = metric.compute().unwrap().serialized.parse::<f64>().unwrap() / 100.0;
        assert!(
            (ours - burns).abs() < 1e-9,
            "n {n}, share {share}: ours {ours}, burn's {burns}"
        );
    }
}
