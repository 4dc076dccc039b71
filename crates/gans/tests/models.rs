//! Shapes of both GANs' networks, and the diversity measure the collapse warning uses.

use burn::prelude::*;
use gans::models::{
    DcDiscriminator, DcGenerator, Discriminator, Generator, MlpDiscriminator, MlpGenerator,
};
use gans::monitor::mean_pairwise_distance;

#[test]
fn generators_and_discriminators_fit_together() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    for (channels, side) in [(3, 32), (1, 64)] {
        let z = Tensor::<2>::zeros([2, 8], &device);
        let g = DcGenerator::new(8, 4, channels, side, &device);
        let images = g.generate(z.clone());
        assert_eq!(images.dims(), [2, channels, side, side]);
        let d = DcDiscriminator::new(4, channels, side, &device);
        assert_eq!(d.logits(images).dims(), [2, 1]);
        let g = MlpGenerator::new(8, &[16], [channels, side, side], &device);
        let images = g.generate(z);
        assert_eq!(images.dims(), [2, channels, side, side]);
        let values = images.clone().into_data().try_into_vec::<f32>().unwrap();
        assert!(
            values.iter().all(|v| (-1.0..=1.0).contains(v)),
            "tanh output"
        );
        let d = MlpDiscriminator::new([channels, side, side], &[16], &device);
        assert_eq!(d.logits(images).dims(), [2, 1]);
    }
}

#[test]
fn pairwise_distance_sees_identical_samples() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let same = Tensor::<4>::ones([4, 1, 2, 2], &device);
    assert_eq!(mean_pairwise_distance(same), 0.0);
    // Two images differing by 1 in each of 4 pixels: distance 2.
    let pair = Tensor::<4>::from_data(
        [[[[0.0, 0.0], [0.0, 0.0]]], [[[1.0, 1.0], [1.0, 1.0]]]],
        &device,
    );
    assert!((mean_pairwise_distance(pair) - 2.0).abs() < 1e-9);
}

#[test]
fn nearest_doubling_repeats_each_pixel_and_both_upsamplings_fit() {
    use gans::models::{DcganOptions, Upsampling, nearest_doubled};
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let x = Tensor::<4>::from_data(
        TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2]),
        &device,
    );
    let y: Vec<f32> = nearest_doubled(x).into_data().iter::<f32>().collect();
    assert_eq!(
        y,
        [
            1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.
        ]
    );
    for upsampling in [Upsampling::Transposed, Upsampling::Nearest] {
        let options = DcganOptions {
            upsampling,
            dcgan_init: true,
            spectral_norm: true,
        };
        let g = gans::models::DcGenerator::with_options(16, 8, [3, 64], &options, &device);
        let d = gans::models::DcDiscriminator::with_options(8, [3, 64], &options, &device);
        let z = Tensor::<2>::zeros([2, 16], &device);
        let images = gans::models::Generator::generate(&g, z);
        assert_eq!(images.dims(), [2, 3, 64, 64]);
        assert_eq!(
            gans::models::Discriminator::logits(&d, images).dims(),
            [2, 1]
        );
    }
}

/// DCGAN's initialisation redraws the weights at its spread and leaves them trainable
/// (a redrawn weight that lost its gradient would make training panic or stand still).
#[test]
fn dcgan_initialisation_has_its_spread_and_still_trains() {
    use gans::models::{DcganOptions, Upsampling};
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    device.seed(9);
    let options = DcganOptions {
        upsampling: Upsampling::Transposed,
        dcgan_init: true,
        spectral_norm: false,
    };
    let g = DcGenerator::with_options(16, 8, [3, 32], &options, &device);
    let weights: Vec<f32> = match &g.last {
        gans::models::Up::Transposed(conv) => conv.weight.val().into_data().iter::<f32>().collect(),
        gans::models::Up::Nearest(_) => unreachable!(),
    };
    let n = weights.len() as f32;
    let mean = weights.iter().sum::<f32>() / n;
    let std = (weights.iter().map(|w| (w - mean).powi(2)).sum::<f32>() / n).sqrt();
    assert!(
        mean.abs() < 0.005 && (std - 0.02).abs() < 0.003,
        "mean {mean}, std {std}"
    );
    let z = Tensor::<2>::random(
        [4, 16],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let grads = g.generate(z).mean().backward();
    let grad = match &g.last {
        gans::models::Up::Transposed(conv) => conv.weight.val().grad(&grads),
        gans::models::Up::Nearest(_) => unreachable!(),
    };
    assert!(grad.is_some(), "the redrawn weight has a gradient");
}
