//! The feature space sample quality is measured in. With no InceptionV3 weights on the
//! machine, a small CNN is trained here on the real images themselves, self-supervised
//! (which way is up? see `transfer::pretext`), and its hidden layer is the feature space.

use crate::frechet::Gaussian;
use burn::prelude::*;
use cnn::models::{CnnSpec, SmallCnn};
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{ClassifierOptions, OptimizerKind, train_stage};
use nn_core::{Result, Run};
use transfer::pretext::rotation_pretext;

/// A trained feature network and the input normalisation it was trained with.
pub struct FeatureSpace {
    pub model: SmallCnn,
    pub normalization: Normalization,
    /// Accuracy of the rotation pretext on held-out real images.
    pub pretext_accuracy: f64,
    pub dim: usize,
}

impl FeatureSpace {
    /// Trains the feature network on the rotations of `real` (90% of the images; the rest
    /// measure it) in the stage `feature-net`.
    pub fn train(run: &mut Run, real: &ImageDataset, epochs: usize) -> Result<FeatureSpace> {
        let (fit_part, held_out) = real.split_off(0.1, run.seed);
        let (train, test) = (rotation_pretext(&fit_part), rotation_pretext(&held_out));
        let device = run.train_device();
        nn_core::backend::seed_device(&device, run.seed, "feature net");
        let spec = CnnSpec {
            channels: vec![16, 32, 64],
            batch_norm: true,
            hidden: 128,
            dropout: 0.2,
        };
        let model = SmallCnn::new(&spec, real.shape, 4, &device);
        let normalization = Normalization::fit(real);
        let options = ClassifierOptions {
            epochs,
            batch_size: 64,
            lr: 1e-3,
            optimizer: OptimizerKind::Adam.init(),
            normalization: normalization.clone(),
            augment: None,
            title: "feature network: rotation of real images".into(),
            class_weights: None,
            cosine_decay: false,
        };
        let stage = train_stage(run, "feature-net", model, &train, &test, &options)?;
        Ok(FeatureSpace {
            pretext_accuracy: stage.test.accuracy(),
            model: burn::module::Module::valid(&stage.model),
            normalization,
            dim: spec.hidden,
        })
    }

    /// Features of every image, row-major `n x dim`.
    pub fn features(&self, data: &ImageDataset, device: &Device) -> Vec<f32> {
        let indices: Vec<usize> = (0..data.len()).collect();
        let mut out = Vec::with_capacity(data.len() * self.dim);
        for chunk in indices.chunks(256) {
            let images = batch_images(data, chunk, &self.normalization, device);
            let features = self.model.features(images);
            out.extend(
                features
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap_or_default(),
            );
        }
        out
    }

    /// The Gaussian fitted to the features of `data`.
    pub fn gaussian(&self, data: &ImageDataset, device: &Device) -> Gaussian {
        Gaussian::fit(&self.features(data, device), self.dim)
    }
}
