//! Image pairs rebuilt from formulas, so that a reference library (scikit-image, burn-train)
//! can be given exactly the same pixels. Also compiled by `tools/burn-image-quality`.

/// A reference image and a distorted copy, single channel, row-major, values in [0, 1].
pub struct ImagePair {
    pub height: usize,
    pub width: usize,
    pub reference: Vec<f32>,
    pub distorted: Vec<f32>,
}

/// 20x17: a smooth diagonal wave, and the same plus a smaller, crossed wave.
pub fn smooth_waves() -> ImagePair {
    let (height, width) = (20, 17);
    let mut reference = Vec::with_capacity(height * width);
    let mut distorted = Vec::with_capacity(height * width);
    for y in 0..height {
        for x in 0..width {
            let (x, y) = (x as f64, y as f64);
            let a = (0.5 + 0.4 * (0.7 * x + 0.3 * y).sin()) as f32;
            let b = (a as f64 + 0.1 * (1.3 * x - 0.9 * y).cos() * (0.5 * y).sin()).clamp(0.0, 1.0);
            reference.push(a);
            distorted.push(b as f32);
        }
    }
    ImagePair {
        height,
        width,
        reference,
        distorted,
    }
}

/// 32x32 (a CIFAR-10 image's size): a texture of fine stripes under a bright blob, and the
/// same with pixel noise of amplitude 0.15, both clamped to [0, 1].
pub fn noisy_texture() -> ImagePair {
    let (height, width) = (32, 32);
    let mut reference = Vec::with_capacity(height * width);
    let mut distorted = Vec::with_capacity(height * width);
    for y in 0..height {
        for x in 0..width {
            let i = (y * width + x) as u64;
            let (x, y) = (x as f64, y as f64);
            let blob = (-((x - 20.0).powi(2) + (y - 12.0).powi(2)) / 60.0).exp();
            let a = (0.3 + 0.2 * (1.9 * x).sin() * (0.4 * y).cos() + 0.5 * blob).clamp(0.0, 1.0);
            let b = (a + 0.15 * (2.0 * unit_hash(i) - 1.0)).clamp(0.0, 1.0);
            reference.push(a as f32);
            distorted.push(b as f32);
        }
    }
    ImagePair {
        height,
        width,
        reference,
        distorted,
    }
}

/// A number in [0, 1) from `i` (a 64-bit multiplicative hash), the same in any language.
fn unit_hash(i: u64) -> f64 {
    let h = (i.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 11) as f64 / (1u64 << 53) as f64
}
