//! Freezing is real: after Adam steps on a model whose first blocks are frozen, those
//! blocks' weights and batch-norm statistics are bit-identical, and the rest has moved.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use nn_core::train::{ImageClassifier, OptimizerKind, parameter_values};
use transfer::models::vgg::{Vgg, VggConfig};

fn features_values(model: &Vgg, range: std::ops::Range<usize>) -> Vec<f32> {
    model.features[range]
        .iter()
        .flat_map(parameter_values)
        .collect()
}

#[test]
fn frozen_blocks_stay_bit_identical_through_training_steps() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    nn_core::backend::seed_device(&device, 3, "freezing test");
    let model = VggConfig::new(11)
        .with_width_divisor(16)
        .with_hidden(8)
        .with_pool(1)
        .with_classes(3)
        .with_batch_norm(true)
        .init(&device)
        .unwrap();
    let units = model.features.len();
    let last_block = *model.stage_starts().last().unwrap();
    assert!(0 < last_block && last_block < units);
    let mut model = model.freeze_features(last_block);

    let frozen_before = features_values(&model, 0..last_block);
    let free_before = features_values(&model, last_block..units);
    let head_before: Vec<f32> = model.classifier.iter().flat_map(parameter_values).collect();

    let mut optim = OptimizerKind::Adam.init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for step in 0..3 {
        let images = Tensor::<4>::random(
            [4, 3, 32, 32],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let labels = Tensor::<1, Int>::from_data([step % 3, 1, 2, 0], &device);
        let loss = loss_fn.forward(model.forward(images), labels);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-2, model, grads);
    }

    assert_eq!(
        features_values(&model, 0..last_block),
        frozen_before,
        "frozen convolutions and their batch-norm statistics must not change"
    );
    assert_ne!(features_values(&model, last_block..units), free_before);
    let head_after: Vec<f32> = model.classifier.iter().flat_map(parameter_values).collect();
    assert_ne!(head_after, head_before);

    // Unfreezing everything makes the first block learn again.
    let mut model = model.freeze_features(0);
    let first_before = features_values(&model, 0..1);
    let images = Tensor::<4>::ones([2, 3, 32, 32], &device);
    let loss = loss_fn.forward(
        model.forward(images),
        Tensor::<1, Int>::from_data([0, 1], &device),
    );
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    model = optim.step(1e-2, model, grads);
    assert_ne!(features_values(&model, 0..1), first_before);
}
