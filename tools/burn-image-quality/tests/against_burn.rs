//! Our PSNR and SSIM (`nn_core::metrics`) against burn-train 0.22.1's `PsnrMetric` and
//! `SsimMetric` on the same image pairs, one image and one channel at a time.

#[path = "../../../crates/nn-core/tests/train/image_pairs.rs"]
mod image_pairs;

use burn::data::dataloader::Progress;
use burn::prelude::*;
use burn_train::metric::vision::{
    PsnrInput, PsnrMetric, PsnrMetricConfig, SsimInput, SsimMetric, SsimMetricConfig,
};
use burn_train::metric::{Metric, MetricMetadata, Numeric};
use image_pairs::{ImagePair, noisy_texture, smooth_waves};
use nn_core::metrics::{SsimConfig, psnr, ssim_with};

fn pairs() -> [(&'static str, ImagePair); 2] {
    [
        ("smooth_waves", smooth_waves()),
        ("noisy_texture", noisy_texture()),
    ]
}

fn metadata() -> MetricMetadata {
    MetricMetadata {
        progress: Progress {
            items_processed: 1,
            items_total: 1,
            unit: None,
        },
        iteration: Some(0),
        lr: None,
    }
}

/// The pair as two `[1, 1, height, width]` tensors.
fn tensors(pair: &ImagePair, device: &Device) -> (Tensor<4>, Tensor<4>) {
    let shape = [1, 1, pair.height, pair.width];
    let t = |v: &Vec<f32>| Tensor::<4>::from_data(TensorData::new(v.clone(), shape), device);
    (t(&pair.distorted), t(&pair.reference))
}

#[test]
fn ssim_with_burns_convention_equals_burns_ssim_metric() {
    let device = Device::flex();
    for (name, pair) in pairs() {
        let (outputs, targets) = tensors(&pair, &device);
        let mut metric = SsimMetric::new(SsimMetricConfig::new(1.0));
        metric
            .update(&SsimInput::new(outputs, targets), &metadata())
            .unwrap();
        let burns = metric.value().unwrap().current();
        let ours = ssim_with(
            &pair.reference,
            &pair.distorted,
            pair.height,
            pair.width,
            1.0,
            &SsimConfig::burn(),
        );
        println!("{name}: SSIM burn {burns:.9}, ours (burn's convention) {ours:.9}");
        // burn computes in f32 with E[x^2] - E[x]^2 variances; ours in f64.
        assert!(
            (ours - burns).abs() < 1e-5,
            "{name}: ours {ours}, burn's {burns}"
        );
    }
}

#[test]
fn psnr_equals_burns_psnr_metric() {
    let device = Device::flex();
    for (name, pair) in pairs() {
        let (outputs, targets) = tensors(&pair, &device);
        let mut metric = PsnrMetric::new(PsnrMetricConfig::new(1.0));
        metric
            .update(&PsnrInput::new(outputs, targets), &metadata())
            .unwrap();
        let burns = metric.value().unwrap().current();
        let ours = psnr(&pair.reference, &pair.distorted, 1.0);
        println!("{name}: PSNR burn {burns:.9} dB, ours {ours:.9} dB");
        assert!(
            (ours - burns).abs() < 1e-4,
            "{name}: ours {ours}, burn's {burns}"
        );
    }
}
