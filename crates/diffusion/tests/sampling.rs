//! The samplers' arithmetic with an oracle that knows the clean image: a correct sampler
//! must then land on it exactly, from pure noise and from any partial noise; and the
//! guidance formula on a predictor whose answer depends only on the label, with its
//! rescale, interval and the clippings checked against their formulas by hand.

use burn::prelude::*;
use burn::tensor::Distribution;
use diffusion::sampling::{
    Clipping, Guidance, NoisePredictor, Sampler, denoise, estimate_x0, generate,
    interpolated_quantile, predict_noise,
};
use diffusion::schedule::NoiseSchedule;

/// Predicts the noise exactly, for data that is always the image `target`:
/// eps = (x_t - sqrt(ab_t) x_0) / sqrt(1 - ab_t).
struct Oracle {
    schedule: NoiseSchedule,
    target: Tensor<4>,
}

impl NoisePredictor for Oracle {
    fn predict(&self, x: Tensor<4>, steps: &[usize], _labels: Option<&[usize]>) -> Tensor<4> {
        let n = steps.len();
        let t: Vec<usize> = steps.iter().map(|s| s + 1).collect();
        let device = x.device();
        let signal = self
            .schedule
            .per_image(&t, |t| self.schedule.alpha_bar(t).sqrt(), &device);
        let sigma =
            self.schedule
                .per_image(&t, |t| (1.0 - self.schedule.alpha_bar(t)).sqrt(), &device);
        let [_, c, h, w] = self.target.dims();
        (x - self.target.clone().expand([n, c, h, w]) * signal) / sigma
    }
}

fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

fn setup() -> (Device, Oracle) {
    let device = Device::flex();
    nn_core::backend::seed_device(&device, 11, "oracle");
    let target = Tensor::<4>::random([1, 1, 6, 6], Distribution::Uniform(-0.9, 0.9), &device);
    let oracle = Oracle {
        schedule: NoiseSchedule::linear(200, 1e-4, 0.05),
        target,
    };
    (device, oracle)
}

#[test]
fn every_sampler_reaches_the_clean_image_with_a_perfect_model() {
    let _serial = crate::serial();
    let (device, oracle) = setup();
    let s = oracle.schedule.clone();
    for sampler in [
        Sampler::Ddpm,
        Sampler::Ddim(200),
        Sampler::Ddim(20),
        Sampler::Ddim(3),
    ] {
        let images = generate(&oracle, &s, [1, 6, 6], 4, None, sampler, None, 3, &device);
        assert_eq!(images.dims(), [4, 1, 6, 6]);
        let diff = max_diff(images, oracle.target.clone().expand([4, 1, 6, 6]));
        assert!(diff < 1e-3, "{sampler:?}: {diff}");
    }
}

#[test]
fn partial_denoising_returns_the_original_and_counts_its_steps() {
    let _serial = crate::serial();
    let (device, oracle) = setup();
    let s = oracle.schedule.clone();
    for t in [1, 5, 50, 200] {
        let noise = Tensor::<4>::random([2, 1, 6, 6], Distribution::Normal(0.0, 1.0), &device);
        let noised = s.q_sample(oracle.target.clone().expand([2, 1, 6, 6]), noise, &[t, t]);
        for sampler in [Sampler::Ddpm, Sampler::Ddim(10)] {
            let mut seen = Vec::new();
            let out = denoise(
                &oracle,
                &s,
                noised.clone(),
                t,
                sampler,
                None,
                None,
                &mut |step, _| seen.push(step),
            );
            assert!(
                max_diff(out, oracle.target.clone().expand([2, 1, 6, 6])) < 1e-3,
                "t={t} {sampler:?}"
            );
            let expected = match sampler {
                Sampler::Ddpm => t,
                Sampler::Ddim(n) => n.min(t),
            };
            assert_eq!(seen.len(), expected, "t={t} {sampler:?}");
            assert_eq!(seen.last(), Some(&0));
        }
        let one_step = estimate_x0(&oracle, &s, noised, t, None, None);
        assert!(max_diff(one_step, oracle.target.clone().expand([2, 1, 6, 6])) < 1e-3);
    }
}

/// Answers 1 for a real label and 0 for the null class, whatever the image.
struct LabelOnly;

impl NoisePredictor for LabelOnly {
    fn predict(&self, x: Tensor<4>, _steps: &[usize], labels: Option<&[usize]>) -> Tensor<4> {
        let labels = labels.expect("labels");
        let [n, c, h, w] = x.dims();
        assert_eq!(labels.len(), n);
        let values: Vec<f32> = labels
            .iter()
            .flat_map(|l| std::iter::repeat_n(if *l == 10 { 0.0 } else { 1.0 }, c * h * w))
            .collect();
        Tensor::from_data(TensorData::new(values, [n, c, h, w]), &x.device())
    }
}

#[test]
fn guidance_extrapolates_from_the_unconditional_prediction() {
    let device = Device::flex();
    let x = Tensor::<4>::zeros([3, 1, 2, 2], &device);
    for scale in [0.0, 1.0, 3.0] {
        let g = Guidance::plain(scale, 10);
        let eps = predict_noise(&LabelOnly, x.clone(), 7, Some(&[0, 4, 9]), Some(g));
        // eps_null + s (eps_class - eps_null) = 0 + s (1 - 0).
        let values: Vec<f32> = eps.into_data().try_into_vec().unwrap();
        assert!(
            values.iter().all(|v| (v - scale as f32).abs() < 1e-6),
            "scale {scale}: {values:?}"
        );
    }
}

/// A conditional answer that depends on the pixel (spread 1 per image) and a null answer
/// of 0, so the guided estimate at scale s is s times the conditional one.
struct PixelLabel;

impl NoisePredictor for PixelLabel {
    fn predict(&self, x: Tensor<4>, _steps: &[usize], labels: Option<&[usize]>) -> Tensor<4> {
        let labels = labels.expect("labels");
        let [n, c, h, w] = x.dims();
        let values: Vec<f32> = labels
            .iter()
            .flat_map(|l| (0..c * h * w).map(move |i| if *l == 10 { 0.0 } else { i as f32 - 1.5 }))
            .collect();
        Tensor::from_data(TensorData::new(values, [n, c, h, w]), &x.device())
    }
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_into_vec().unwrap()
}

#[test]
fn cfg_rescale_mixes_the_guided_estimate_rescaled_to_the_conditional_spread() {
    let device = Device::flex();
    let x = Tensor::<4>::zeros([2, 1, 2, 2], &device);
    let conditional = [-1.5f32, -0.5, 0.5, 1.5];
    for phi in [0.0, 0.7, 1.0] {
        let g = Guidance {
            rescale: phi,
            ..Guidance::plain(4.0, 10)
        };
        let eps = values(predict_noise(
            &PixelLabel,
            x.clone(),
            7,
            Some(&[2, 3]),
            Some(g),
        ));
        // guided = 4 c, whose spread is 4 times c's: rescaled = c; mixed: phi c + (1 - phi) 4 c.
        for (i, v) in eps.iter().enumerate() {
            let c = conditional[i % 4] as f64;
            let want = phi * c + (1.0 - phi) * 4.0 * c;
            assert!((*v as f64 - want).abs() < 1e-5, "phi {phi}: {eps:?}");
        }
    }
}

#[test]
fn guidance_applies_only_inside_its_interval_of_t() {
    let device = Device::flex();
    let x = Tensor::<4>::zeros([1, 1, 2, 2], &device);
    let g = Guidance {
        interval: (200, 800),
        ..Guidance::plain(3.0, 10)
    };
    for (t, want) in [(200, 1.0), (201, 3.0), (800, 3.0), (801, 1.0), (1, 1.0)] {
        let eps = values(predict_noise(&LabelOnly, x.clone(), t, Some(&[1]), Some(g)));
        assert!(
            eps.iter().all(|v| (*v - want).abs() < 1e-6),
            "t {t}: {eps:?}"
        );
    }
}

#[test]
fn dynamic_thresholding_scales_an_overshooting_image_back_as_a_whole() {
    let device = Device::flex();
    // Image 0 within [-1, 1]: unchanged. Image 1 overshoots to 4: s is the 0.75 quantile
    // of |x| = (0.5, 1, 2, 4), linearly interpolated: 2 + 0.25 (4 - 2) = 2.5.
    let x0 = Tensor::<4>::from_data(
        TensorData::new(
            vec![0.2f32, -0.9, 0.5, 1.0, 0.5, -1.0, 2.0, 4.0],
            [2, 1, 2, 2],
        ),
        &device,
    );
    assert_eq!(interpolated_quantile(&[4.0, 0.5, 2.0, 1.0], 0.75), 2.5);
    let clipped = values(Clipping::Dynamic(0.75).apply(x0.clone()));
    let want = [0.2, -0.9, 0.5, 1.0, 0.2, -0.4, 0.8, 1.0];
    for (got, want) in clipped.iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{clipped:?}");
    }
    let statically = values(Clipping::Static.apply(x0.clone()));
    assert_eq!(statically[4..], [0.5, -1.0, 1.0, 1.0]);
    assert_eq!(values(Clipping::Off.apply(x0))[7], 4.0);
}
