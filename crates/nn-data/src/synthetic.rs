//! Procedural image sets the project makes itself, for tests and for a clearly labelled
//! offline demo. Every set's `source` starts with `synthetic:` so runs can say so.

use super::{ImageDataset, ImageShape};
use rand::RngExt;

/// The ten shape classes, in label order.
pub const SHAPE_CLASSES: [&str; 10] = [
    "disc",
    "square",
    "triangle",
    "cross",
    "ring",
    "h-stripes",
    "v-stripes",
    "diagonal",
    "checker",
    "dots",
];

/// Coloured shapes in ten classes: `n` images of `size` x `size`, 3 channels (or 1 when
/// `grey`), random colour, position, scale and pixel noise, balanced classes.
pub fn shapes(n: usize, size: usize, grey: bool, seed: u64) -> ImageDataset {
    let mut rng = crate::seed::rng(seed, "synthetic-shapes");
    let channels = if grey { 1 } else { 3 };
    let shape = ImageShape::new(channels, size, size);
    let mut pixels = vec![0u8; n * shape.len()];
    let mut labels = Vec::with_capacity(n);
    let s = size as f32;
    for (i, image) in pixels.chunks_exact_mut(shape.len()).enumerate() {
        let class = i % SHAPE_CLASSES.len();
        labels.push(class as u16);
        let background: [f32; 3] = [
            rng.random_range(0.0..0.3),
            rng.random_range(0.0..0.3),
            rng.random_range(0.0..0.3),
        ];
        let colour: [f32; 3] = [
            rng.random_range(0.5..1.0),
            rng.random_range(0.5..1.0),
            rng.random_range(0.5..1.0),
        ];
        let radius = s * rng.random_range(0.25..0.4);
        let cx = s / 2.0 + rng.random_range(-0.1..0.1) * s;
        let cy = s / 2.0 + rng.random_range(-0.1..0.1) * s;
        let period = (s / 8.0).max(2.0) * rng.random_range(0.8..1.2);
        let plane = size * size;
        for y in 0..size {
            for x in 0..size {
                let (fx, fy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                let inside = inside_shape(class, fx, fy, radius, period);
                let noise: f32 = rng.random_range(-0.05..0.05);
                for c in 0..channels {
                    let base = if inside { colour[c] } else { background[c] };
                    let value = if grey {
                        let lum = |p: [f32; 3]| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                        if inside { lum(colour) } else { lum(background) }
                    } else {
                        base
                    };
                    image[c * plane + y * size + x] =
                        ((value + noise).clamp(0.0, 1.0) * 255.0).round() as u8;
                }
            }
        }
    }
    ImageDataset {
        pixels,
        labels: Some(labels),
        shape,
        class_names: SHAPE_CLASSES.iter().map(|s| s.to_string()).collect(),
        source: format!("synthetic:shapes-{size}{}", if grey { "-grey" } else { "" }),
    }
}

fn inside_shape(class: usize, x: f32, y: f32, r: f32, period: f32) -> bool {
    let (ax, ay) = (x.abs(), y.abs());
    let in_box = ax <= r && ay <= r;
    match class {
        0 => x * x + y * y <= r * r,
        1 => in_box,
        2 => y <= r && y >= -r && ax <= (y + r) / 2.0,
        3 => (ax <= r / 3.0 && ay <= r) || (ay <= r / 3.0 && ax <= r),
        4 => {
            let d = (x * x + y * y).sqrt();
            d <= r && d >= r * 0.6
        }
        5 => in_box && ((y + r) / period).floor() as i32 % 2 == 0,
        6 => in_box && ((x + r) / period).floor() as i32 % 2 == 0,
        7 => in_box && ((x + y + 2.0 * r) / period).floor() as i32 % 2 == 0,
        8 => {
            in_box
                && (((x + r) / period).floor() as i32 + ((y + r) / period).floor() as i32) % 2 == 0
        }
        _ => {
            let (mx, my) = (
                (x + r).rem_euclid(period) - period / 2.0,
                (y + r).rem_euclid(period) - period / 2.0,
            );
            in_box && mx * mx + my * my <= (period / 3.0).powi(2)
        }
    }
}

/// A stand-in for a named real data set when it is absent and `--synthetic` was asked:
/// same image shape and number of classes where possible, clearly marked synthetic.
pub fn stand_in(shape: ImageShape, classes: &[String], n: usize, seed: u64) -> ImageDataset {
    let mut data = shapes(n, shape.height.max(8), shape.channels == 1, seed);
    if data.shape.width != shape.width {
        data = shapes(n, shape.width, shape.channels == 1, seed);
    }
    if let Some(labels) = data.labels.as_mut() {
        let k = classes.len().clamp(1, SHAPE_CLASSES.len());
        if classes.is_empty() {
            data.labels = None;
        } else {
            labels.iter_mut().for_each(|l| *l %= k as u16);
            data.class_names = SHAPE_CLASSES[..k].iter().map(|s| s.to_string()).collect();
        }
    }
    data
}

/// Image shape and a default size of the synthetic stand-in for a named data set.
pub fn stand_in_shape(name: &str) -> (crate::ImageShape, usize) {
    use super::ImageShape;
    match name {
        "fashion-mnist" | "mnist" | "pneumoniamnist" => (ImageShape::new(1, 28, 28), 2_000),
        "cats" => (ImageShape::new(3, 64, 64), 1_000),
        _ => (ImageShape::new(3, 32, 32), 2_000),
    }
}
