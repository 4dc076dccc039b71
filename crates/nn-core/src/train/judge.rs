//! A small CNN trained inside a run to look at images another part of the run made: the
//! GANs' feature space (trained on the rotation pretext) and diffusion's recogniser of
//! class-conditional samples. Both weeks train it the same way, so it lives here.

use super::{ClassifierOptions, train_stage};
use crate::data::{ImageDataset, Normalization, batch_images};
use crate::models::{CnnSpec, SmallCnn};
use crate::train::ImageClassifier;
use crate::{Result, Run};
use burn::module::Module;
use burn::prelude::*;

/// How to train a judge (always Adam at 1e-3, no augmentation, equal class weights).
pub struct JudgeSettings {
    /// The stage of the run it trains in, e.g. `classifier`.
    pub stage: &'static str,
    /// The device RNG's purpose label that seeds its initial weights.
    pub seed_purpose: &'static str,
    pub spec: CnnSpec,
    pub epochs: usize,
    pub batch_size: usize,
    pub cosine_decay: bool,
    /// Title prefix of the stage's plots.
    pub title: String,
}

/// A trained judge (in evaluation mode) and the input normalisation it expects.
pub struct Judge {
    pub model: SmallCnn,
    pub normalization: Normalization,
    /// Accuracy on `test` at the end of training.
    pub test_accuracy: f64,
    /// Units of the hidden layer, the length of one [`Judge::features`] row.
    pub dim: usize,
}

impl Judge {
    /// Trains a [`SmallCnn`] of `settings.spec` on `train` (classes from its names) in its
    /// own stage of `run`, with inputs normalised by `normalization`.
    pub fn train(
        run: &mut Run,
        (train, test): (&ImageDataset, &ImageDataset),
        normalization: Normalization,
        settings: JudgeSettings,
    ) -> Result<Judge> {
        let device = run.train_device();
        crate::backend::seed_device(&device, run.seed, settings.seed_purpose);
        let model = SmallCnn::new(&settings.spec, train.shape, train.num_classes(), &device);
        let options = ClassifierOptions {
            cosine_decay: settings.cosine_decay,
            ..ClassifierOptions::adam(
                settings.epochs,
                settings.batch_size,
                1e-3,
                normalization.clone(),
                settings.title,
            )
        };
        let stage = train_stage(run, settings.stage, model, train, test, &options)?;
        Ok(Judge {
            test_accuracy: stage.test.accuracy(),
            model: stage.model.valid(),
            normalization,
            dim: settings.spec.hidden,
        })
    }

    /// Hidden-layer features of every image of `data`, row-major `[len, dim]`.
    pub fn features(&self, data: &ImageDataset, device: &Device) -> Vec<f32> {
        self.in_chunks(data, device, |images| {
            self.model
                .features(images)
                .into_data()
                .try_into_vec::<f32>()
                .unwrap_or_default()
        })
    }

    /// The predicted class of every image of `data`.
    pub fn classify(&self, data: &ImageDataset, device: &Device) -> Vec<usize> {
        self.in_chunks(data, device, |images| {
            let predicted = self.model.forward(images).argmax(1).into_data();
            let predicted = predicted.convert::<i64>().try_into_vec::<i64>();
            let predicted = predicted.unwrap_or_default();
            predicted.into_iter().map(|p| p as usize).collect()
        })
    }

    /// `per_batch` applied to normalised batches of 256 images, the results concatenated.
    fn in_chunks<T>(
        &self,
        data: &ImageDataset,
        device: &Device,
        per_batch: impl Fn(Tensor<4>) -> Vec<T>,
    ) -> Vec<T> {
        let indices: Vec<usize> = (0..data.len()).collect();
        indices
            .chunks(256)
            .flat_map(|chunk| per_batch(batch_images(data, chunk, &self.normalization, device)))
            .collect()
    }
}
