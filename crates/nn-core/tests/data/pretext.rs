//! The rotation pretext and the box filter on images small enough to check by hand.

use nn_core::data::pretext::rotation_pretext;
use nn_core::data::{ImageDataset, ImageShape};

fn grey(side: usize, pixels: Vec<u8>) -> ImageDataset {
    ImageDataset {
        pixels,
        labels: None,
        shape: ImageShape::new(1, side, side),
        class_names: vec![],
        source: "test".into(),
    }
}

#[test]
fn four_quarter_turns_labelled_by_rotation() {
    let rotated = rotation_pretext(&grey(2, vec![1, 2, 3, 4]));
    assert_eq!(rotated.len(), 4);
    assert_eq!(rotated.labels, Some(vec![0, 1, 2, 3]));
    // [[1, 2], [3, 4]] turned counter-clockwise: [[2, 4], [1, 3]], then [[4, 3], [2, 1]], ...
    assert_eq!(rotated.image(0), &[1, 2, 3, 4]);
    assert_eq!(rotated.image(1), &[2, 4, 1, 3]);
    assert_eq!(rotated.image(2), &[4, 3, 2, 1]);
    assert_eq!(rotated.image(3), &[3, 1, 4, 2]);
}

#[test]
fn box_downscale_averages_blocks() {
    #[rustfmt::skip]
    let image = grey(4, vec![
        0, 2, 10, 10,
        4, 6, 10, 10,
        255, 255, 1, 0,
        255, 255, 0, 0,
    ]);
    let small = image.box_downscaled(2);
    assert_eq!(small.shape, ImageShape::new(1, 2, 2));
    assert_eq!(small.image(0), &[3, 10, 255, 0]);
}
