//! Corruptions for the denoising autoencoder, drawn on the tensor's device (seeded by the
//! training loop, so a resumed run draws the same noise).

use burn::prelude::*;
use burn::tensor::Distribution;

/// A way to corrupt images in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Noise {
    /// Add N(0, std^2) to every pixel, clamp to [0, 1].
    Gaussian { std: f64 },
    /// Set a fraction `amount` of the pixels to 0 or 1 (half each).
    SaltAndPepper { amount: f64 },
}

impl Noise {
    /// A corrupted copy of `images`.
    pub fn apply(&self, images: Tensor<4>) -> Tensor<4> {
        let device = images.device();
        let dims = images.dims();
        match *self {
            Noise::Gaussian { std } => (images
                + Tensor::<4>::random(dims, Distribution::Normal(0.0, std), &device))
            .clamp(0.0, 1.0),
            Noise::SaltAndPepper { amount } => {
                let u = Tensor::<4>::random(dims, Distribution::Uniform(0.0, 1.0), &device);
                let pepper = u.clone().lower_elem(amount / 2.0);
                let salt = u.greater_elem(1.0 - amount / 2.0);
                images.mask_fill(pepper, 0.0).mask_fill(salt, 1.0)
            }
        }
    }

    /// A short description for titles and notes.
    pub fn describe(&self) -> String {
        match self {
            Noise::Gaussian { std } => format!("Gaussian noise, std {std}"),
            Noise::SaltAndPepper { amount } => format!("salt-and-pepper noise, {amount} of pixels"),
        }
    }
}
