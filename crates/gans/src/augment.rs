//! DiffAugment (Zhao et al. 2020): the same random colour, translation and cutout applied
//! to every image D sees, real and generated, built from differentiable tensor ops so
//! that G's gradient passes through the augmentation. On small data D otherwise memorises
//! the few real images and stops teaching G; augmenting only the real ones would teach G
//! to draw the augmentations.

use burn::prelude::*;
use burn::tensor::Distribution;

/// When D's inputs are augmented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AugmentPolicy {
    /// DiffAugment when the training images are fewer than [`AUTO_BELOW`].
    Auto,
    /// Always DiffAugment.
    Diff,
    /// Never augment.
    None,
}

/// Below this many training images `auto` turns DiffAugment on: Zhao et al. (2020) found
/// it helps most at 10-20% of CIFAR-10 (5,000-10,000 images) and on 100-shot sets.
pub const AUTO_BELOW: usize = 10_000;

impl AugmentPolicy {
    /// Whether to augment when training on `images` real images.
    pub fn applies(self, images: usize) -> bool {
        match self {
            Self::Auto => images < AUTO_BELOW,
            Self::Diff => true,
            Self::None => false,
        }
    }
}

/// Share of the side an image is shifted by at most (the paper's 1/8).
const TRANSLATION: f64 = 0.125;
/// Side of the cut-out square as a share of the image's (the paper's 1/2).
const CUTOUT: f64 = 0.5;

/// Images `[b, c, s, s]` in [-1, 1] with the policy "color, translation, cutout": each
/// image its own brightness, saturation and contrast, shift and cut-out square.
pub fn diff_augment(images: Tensor<4>) -> Tensor<4> {
    cutout(translate(colour(images)))
}

/// One uniform value in `[low, high)` per image, shaped `[b, 1, 1, 1]`.
fn per_image(batch: usize, (low, high): (f64, f64), device: &Device) -> Tensor<4> {
    Tensor::random([batch, 1, 1, 1], Distribution::Uniform(low, high), device)
}

/// Brightness `+ U(-0.5, 0.5)`, saturation `x U(0, 2)` about the pixel's channel mean,
/// contrast `x U(0.5, 1.5)` about the image's mean.
fn colour(x: Tensor<4>) -> Tensor<4> {
    let [b, _, _, _] = x.dims();
    let device = x.device();
    let x = x + per_image(b, (-0.5, 0.5), &device);
    let grey = x.clone().mean_dim(1);
    let x = (x - grey.clone()) * per_image(b, (0.0, 2.0), &device) + grey;
    let mean = x.clone().mean_dim(1).mean_dim(2).mean_dim(3);
    (x - mean.clone()) * per_image(b, (0.5, 1.5), &device) + mean
}

/// `count` whole numbers in `low..=high`, drawn on the device (its seeded generator, as the
/// rest of the step's randomness).
fn integers(count: usize, (low, high): (i64, i64), device: &Device) -> Vec<i64> {
    let span = (high - low + 1) as f64;
    Tensor::<1>::random([count], Distribution::Uniform(0.0, span), device)
        .into_data()
        .iter::<f32>()
        .map(|u| low + (u as i64).min(high - low))
        .collect()
}

/// Each image shifted by up to 1/8 of its side in each direction, zeros coming in: as
/// `S_y x S_x^T` with one-hot shift matrices `[b, 1, s, s]`, so the gradient is the
/// shift back.
fn translate(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let device = x.device();
    let shift = |side: usize| {
        let most = (side as f64 * TRANSLATION + 0.5) as i64;
        let offsets = integers(b, (-most, most), &device);
        // out[i] = in[i + t] where 0 <= i + t < side.
        let mut matrix = vec![0f32; b * side * side];
        for (n, t) in offsets.iter().enumerate() {
            for i in 0..side as i64 {
                let k = i + t;
                if (0..side as i64).contains(&k) {
                    matrix[(n * side + i as usize) * side + k as usize] = 1.0;
                }
            }
        }
        Tensor::<4>::from_data(TensorData::new(matrix, [b, 1, side, side]), &device)
            .expand([b, c, side, side])
    };
    let rows = shift(h);
    let columns = shift(w);
    rows.matmul(x).matmul(columns.swap_dims(2, 3))
}

/// A square of half the side set to zero in each image, its centre anywhere in the image
/// (the square may stick out of it).
fn cutout(x: Tensor<4>) -> Tensor<4> {
    let [b, _, h, w] = x.dims();
    let device = x.device();
    let (size_h, size_w) = (
        (h as f64 * CUTOUT + 0.5) as i64,
        (w as f64 * CUTOUT + 0.5) as i64,
    );
    let centres_y = integers(b, (0, h as i64 - 1), &device);
    let centres_x = integers(b, (0, w as i64 - 1), &device);
    let mut mask = vec![1f32; b * h * w];
    for n in 0..b {
        let (top, left) = (centres_y[n] - size_h / 2, centres_x[n] - size_w / 2);
        for i in top.max(0)..(top + size_h).min(h as i64) {
            for j in left.max(0)..(left + size_w).min(w as i64) {
                mask[(n * h + i as usize) * w + j as usize] = 0.0;
            }
        }
    }
    x * Tensor::<4>::from_data(TensorData::new(mask, [b, 1, h, w]), &device)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        nn_core::backend::device(nn_core::BackendKind::Flex).unwrap()
    }

    #[test]
    fn translation_moves_the_image_whole_and_brings_in_zeros() {
        let device = device();
        device.seed(3);
        let x = Tensor::<4>::ones([16, 1, 8, 8], &device);
        let shifted = translate(x.clone());
        let values: Vec<f32> = shifted.into_data().iter::<f32>().collect();
        // Every value stays 0 or 1, and some images lost a border row or column.
        assert!(values.iter().all(|&v| v == 0.0 || v == 1.0));
        let zeros = values.iter().filter(|&&v| v == 0.0).count();
        assert!(zeros > 0 && zeros < values.len() / 2, "{zeros}");
    }

    #[test]
    fn cutout_zeroes_at_most_a_quarter_of_each_image() {
        let device = device();
        device.seed(4);
        let x = Tensor::<4>::ones([8, 3, 16, 16], &device);
        let cut = cutout(x);
        let zeros_per_image: Vec<usize> = cut
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>()
            .chunks(3 * 256)
            .map(|image| image.iter().filter(|&&v| v == 0.0).count())
            .collect();
        assert!(
            zeros_per_image.iter().all(|&z| z > 0 && z <= 3 * 64),
            "{zeros_per_image:?}"
        );
    }
}
