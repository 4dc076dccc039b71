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
    pair(20, 17, |x, y, _| {
        let a = (0.5 + 0.4 * (0.7 * x + 0.3 * y).sin()) as f32;
        let b = (a as f64 + 0.1 * (1.3 * x - 0.9 * y).cos() * (0.5 * y).sin()).clamp(0.0, 1.0);
        (a, b as f32)
    })
}

/// 32x32 (a CIFAR-10 image's size): a texture of fine stripes under a bright blob, and the
/// same with pixel noise of amplitude 0.15, both clamped to [0, 1].
pub fn noisy_texture() -> ImagePair {
    pair(32, 32, |x, y, i| {
        let blob = (-((x - 20.0).powi(2) + (y - 12.0).powi(2)) / 60.0).exp();
        let a = (0.3 + 0.2 * (1.9 * x).sin() * (0.4 * y).cos() + 0.5 * blob).clamp(0.0, 1.0);
        let b = (a + 0.15 * (2.0 * unit_hash(i) - 1.0)).clamp(0.0, 1.0);
        (a as f32, b as f32)
    })
}

/// The pair whose pixel `(x, y)`, the `i`-th in row-major order, is `pixel(x, y, i)`.
fn pair(height: usize, width: usize, pixel: impl Fn(f64, f64, u64) -> (f32, f32)) -> ImagePair {
    let (reference, distorted) = (0..height * width)
        .map(|i| pixel((i % width) as f64, (i / width) as f64, i as u64))
        .unzip();
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
