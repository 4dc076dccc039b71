//! The feature space sample quality is measured in. With no InceptionV3 weights on the
//! machine, a small CNN is trained here on the real images themselves, self-supervised
//! (which way is up? see `nn_core::data::pretext`), and its hidden layer is the feature space.

use crate::frechet::Gaussian;
use burn::prelude::*;
use nn_core::data::pretext::rotation_pretext;
use nn_core::data::{ImageDataset, Normalization};
use nn_core::models::CnnSpec;
use nn_core::train::{Judge, JudgeSettings};
use nn_core::{Result, Run};

/// A trained feature network and the input normalisation it was trained with.
pub struct FeatureSpace {
    /// The trained network; its hidden layer is the feature space.
    pub judge: Judge,
    /// Accuracy of the rotation pretext on held-out real images.
    pub pretext_accuracy: f64,
    /// Length of a feature vector.
    pub dim: usize,
}

impl FeatureSpace {
    /// Trains the feature network on the rotations of `real` (90% of the images; the rest
    /// measure it) in the stage `feature-net`.
    pub fn train(run: &mut Run, real: &ImageDataset, epochs: usize) -> Result<FeatureSpace> {
        let (fit_part, held_out) = real.split_off(0.1, run.seed);
        let (train, test) = (rotation_pretext(&fit_part), rotation_pretext(&held_out));
        let settings = JudgeSettings {
            stage: "feature-net",
            seed_purpose: "feature net",
            spec: CnnSpec {
                channels: vec![16, 32, 64],
                batch_norm: true,
                hidden: 128,
                dropout: 0.2,
            },
            epochs,
            batch_size: 64,
            cosine_decay: false,
            title: "feature network: rotation of real images".into(),
        };
        let judge = Judge::train(run, (&train, &test), Normalization::fit(real), settings)?;
        Ok(FeatureSpace {
            pretext_accuracy: judge.test_accuracy,
            dim: judge.dim,
            judge,
        })
    }

    /// Features of every image, row-major `n x dim`.
    pub fn features(&self, data: &ImageDataset, device: &Device) -> Vec<f32> {
        self.judge.features(data, device)
    }

    /// The Gaussian fitted to the features of `data`.
    pub fn gaussian(&self, data: &ImageDataset, device: &Device) -> Gaussian {
        Gaussian::fit(&self.features(data, device), self.dim)
    }

    /// The Frechet distance of the images `data` to `reference` in this space.
    pub fn distance(&self, reference: &Gaussian, data: &ImageDataset, device: &Device) -> f64 {
        crate::frechet::frechet_distance(reference, &self.gaussian(data, device))
    }
}
