//! The synthetic stand-in sets: seeded, balanced, marked; batching and normalisation.

use nn_core::data::synthetic::shapes;
use nn_core::data::{Normalization, batch_images, batch_labels};

#[test]
fn shapes_are_seeded_balanced_and_marked_synthetic() {
    let a = shapes(50, 32, false, 1);
    assert_eq!(a, shapes(50, 32, false, 1));
    assert_ne!(a.pixels, shapes(50, 32, false, 2).pixels);
    assert!(a.source.starts_with("synthetic:"));
    assert!(a.class_counts().values().all(|&n| n == 5));
    let grey = shapes(10, 28, true, 1);
    assert_eq!(grey.shape.channels, 1);
}

#[test]
fn batches_are_normalised_tensors() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let data = shapes(8, 16, false, 4);
    let norm = Normalization::fit(&data);
    let images = batch_images(&data, &[0, 3, 5], &norm, &device);
    assert_eq!(images.dims(), [3, 3, 16, 16]);
    let all = batch_images(&data, &(0..8).collect::<Vec<_>>(), &norm, &device);
    let mean: f32 = all.clone().mean().into_scalar();
    let var: f32 = (all.clone() - mean).powf_scalar(2.0).mean().into_scalar();
    assert!(mean.abs() < 1e-3, "normalised mean {mean}");
    assert!((var - 1.0).abs() < 1e-2, "normalised variance {var}");
    let labels = batch_labels(&data, &[0, 3, 5], &device);
    let values: Vec<i64> = labels
        .into_data()
        .convert::<i64>()
        .try_into_vec::<i64>()
        .unwrap();
    assert_eq!(values, vec![0, 3, 5]);
}
