//! Each transform on a known image.

use nn_core::augment::*;
use nn_core::data::synthetic::shapes;

fn image() -> Image {
    Image::from_dataset(&shapes(1, 24, false, 11), 0)
}

fn rng() -> rand::rngs::StdRng {
    nn_core::backend::rng(5, "test")
}

#[test]
fn horizontal_flip_twice_is_identity_once_is_mirror() {
    let original = image();
    let mut img = original.clone();
    HorizontalFlip::flip(&mut img);
    let w = img.shape.width;
    assert_eq!(img.data[3], original.data[w - 1 - 3]);
    assert_ne!(img, original);
    HorizontalFlip::flip(&mut img);
    assert_eq!(img, original);
    let mut img = original.clone();
    VerticalFlip { p: 1.0 }.apply(&mut img, &mut rng());
    VerticalFlip { p: 1.0 }.apply(&mut img, &mut rng());
    assert_eq!(img, original);
}

#[test]
fn zero_strength_transforms_change_nothing() {
    let original = image();
    for transform in [
        Box::new(Brightness { max_delta: 0.0 }) as Box<dyn Transform>,
        Box::new(Contrast { min: 1.0, max: 1.0 }),
        Box::new(Saturation { min: 1.0, max: 1.0 }),
        Box::new(Rotation { max_degrees: 0.0 }),
        Box::new(Scale { min: 1.0, max: 1.0 }),
        Box::new(GaussianNoise { std: 0.0 }),
        Box::new(HorizontalFlip { p: 0.0 }),
    ] {
        let mut img = original.clone();
        transform.apply(&mut img, &mut rng());
        let diff = img
            .data
            .iter()
            .zip(&original.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            diff < 1e-5,
            "{} changed the image by {diff}",
            transform.name()
        );
    }
}

#[test]
fn gaussian_noise_has_the_asked_deviation() {
    let original = Image {
        shape: nn_core::data::ImageShape::new(1, 100, 100),
        data: vec![0.5; 10_000],
    };
    let mut img = original.clone();
    GaussianNoise { std: 0.1 }.apply(&mut img, &mut rng());
    let n = img.data.len() as f32;
    let mean = img.data.iter().sum::<f32>() / n;
    let std = (img.data.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
    assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
    assert!((std - 0.1).abs() < 0.005, "std {std}");
}

#[test]
fn rotation_by_90_degrees_moves_pixels_exactly() {
    let mut img = Image {
        shape: nn_core::data::ImageShape::new(1, 5, 5),
        data: vec![0.0; 25],
    };
    img.data[2] = 1.0; // top middle
    Rotation::rotate(&mut img, 90.0);
    let hot: Vec<usize> = (0..25).filter(|&i| img.data[i] > 0.5).collect();
    assert_eq!(hot.len(), 1);
    assert!(
        hot[0] == 10 || hot[0] == 14,
        "top-middle goes to a side middle, got {}",
        hot[0]
    );
    let mut back = img.clone();
    Rotation::rotate(&mut back, -90.0);
    assert!(back.data[2] > 0.99);
}

#[test]
fn crop_stays_in_bounds_and_centre_offset_is_identity() {
    let original = image();
    let mut img = original.clone();
    RandomCrop::crop_at(&mut img, 4, 4, 4);
    assert_eq!(img, original);
    let mut img = original.clone();
    RandomCrop::crop_at(&mut img, 4, 0, 0); // shift down-right by 4: top rows become zero
    assert!(img.data[..img.shape.width * 4].iter().all(|&v| v == 0.0));
    assert_eq!(img.data.len(), original.data.len());
}

#[test]
fn colour_ops_keep_values_in_range_and_saturation_zero_is_grey() {
    let mut rng = rng();
    for _ in 0..20 {
        let mut img = image();
        Pipeline::new()
            .then(Brightness { max_delta: 0.5 })
            .then(Contrast { min: 0.2, max: 3.0 })
            .then(Saturation { min: 0.0, max: 3.0 })
            .apply(&mut img, &mut rng);
        assert!(img.data.iter().all(|v| (0.0..=1.0).contains(v)));
    }
    let mut img = image();
    Saturation { min: 0.0, max: 0.0 }.apply(&mut img, &mut rng);
    let plane = 24 * 24;
    assert!(
        (0..plane).all(|p| (img.data[p] - img.data[plane + p]).abs() < 1e-6
            && (img.data[p] - img.data[2 * plane + p]).abs() < 1e-6)
    );
}

#[test]
fn pipeline_batches_are_reproducible_from_the_seed() {
    let data = shapes(6, 32, false, 2);
    let pipeline = Pipeline::cifar_standard().then(Rotation { max_degrees: 10.0 });
    let a = pipeline.apply_batch(&data, &[0, 1, 2], 9);
    assert_eq!(a, pipeline.apply_batch(&data, &[0, 1, 2], 9));
    assert_ne!(a.pixels, pipeline.apply_batch(&data, &[0, 1, 2], 10).pixels);
    assert_eq!(a.labels.as_deref(), Some(&[0u16, 1, 2][..]));
}
