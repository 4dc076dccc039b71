//! Shapes of both GANs' networks, and the diversity measure the collapse warning uses.

use burn::prelude::*;
use gans::models::{
    DcDiscriminator, DcGenerator, Discriminator, Generator, MlpDiscriminator, MlpGenerator,
};
use gans::monitor::mean_pairwise_distance;

#[test]
fn generators_and_discriminators_fit_together() {
    let device = nn_core::BackendKind::Flex.device().unwrap();
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
    let device = nn_core::BackendKind::Flex.device().unwrap();
    let same = Tensor::<4>::ones([4, 1, 2, 2], &device);
    assert_eq!(mean_pairwise_distance(same), 0.0);
    // Two images differing by 1 in each of 4 pixels: distance 2.
    let pair = Tensor::<4>::from_data(
        [[[[0.0, 0.0], [0.0, 0.0]]], [[[1.0, 1.0], [1.0, 1.0]]]],
        &device,
    );
    assert!((mean_pairwise_distance(pair) - 2.0).abs() < 1e-9);
}
