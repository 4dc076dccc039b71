//! The judge of class-conditional samples: the project's own CNN (the `cnn` crate's
//! `SmallCnn`), trained in the run on the real training images. A sample "is recognised"
//! when this classifier gives it the class it was generated for; its accuracy on the real
//! test images is the ceiling to read that rate against.

use burn::module::Module;
use burn::prelude::*;
use cnn::models::{CnnSpec, SmallCnn};
use nn_core::data::{ImageDataset, Normalization, batch_images};
use nn_core::train::{ClassifierOptions, ImageClassifier, OptimizerKind, train_stage};
use nn_core::{Result, Run};

/// A trained classifier and the normalisation it expects.
pub struct Recognizer {
    pub model: SmallCnn,
    pub normalization: Normalization,
    /// Accuracy on the real test images.
    pub test_accuracy: f64,
}

impl Recognizer {
    /// Trains a BN CNN (32-64 channels) in the stage `classifier`.
    pub fn train(
        run: &mut Run,
        train: &ImageDataset,
        test: &ImageDataset,
        epochs: usize,
    ) -> Result<Recognizer> {
        let device = run.train_device();
        nn_core::backend::seed_device(&device, run.seed, "classifier");
        let spec = CnnSpec {
            channels: vec![32, 64],
            batch_norm: true,
            hidden: 128,
            dropout: 0.3,
        };
        let model = SmallCnn::new(&spec, train.shape, train.num_classes(), &device);
        let normalization = Normalization::fit(train);
        let options = ClassifierOptions {
            epochs,
            batch_size: 128,
            lr: 1e-3,
            optimizer: OptimizerKind::Adam.init(),
            normalization: normalization.clone(),
            augment: None,
            title: "the judge: a CNN classifier on the real images".into(),
            class_weights: None,
            cosine_decay: true,
        };
        let stage = train_stage(run, "classifier", model, train, test, &options)?;
        Ok(Recognizer {
            test_accuracy: stage.test.accuracy(),
            model: stage.model.valid(),
            normalization,
        })
    }

    /// The predicted class of each image of `images` (`[n, c, h, w]` in [-1, 1]), after
    /// rounding to 8 bits as a saved picture would be.
    pub fn classify(&self, images: Tensor<4>) -> Vec<usize> {
        let device = images.device();
        let data = nn_core::data::batch::dataset_from_symmetric(images);
        let indices: Vec<usize> = (0..data.len()).collect();
        let mut out = Vec::with_capacity(data.len());
        for chunk in indices.chunks(256) {
            let logits =
                self.model
                    .forward(batch_images(&data, chunk, &self.normalization, &device));
            let predicted = logits
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_into_vec::<i64>()
                .unwrap_or_default();
            out.extend(predicted.into_iter().map(|p| p as usize));
        }
        out
    }
}

/// The share of `predicted` equal to `wanted`, overall and per class (`classes` entries;
/// NaN for a class with no samples).
pub fn recognition_rates(predicted: &[usize], wanted: &[usize], classes: usize) -> (f64, Vec<f64>) {
    let hits = predicted.iter().zip(wanted).filter(|(p, w)| p == w).count();
    let per_class = (0..classes)
        .map(|k| {
            let of_k: Vec<bool> = predicted
                .iter()
                .zip(wanted)
                .filter(|(_, w)| **w == k)
                .map(|(p, w)| p == w)
                .collect();
            if of_k.is_empty() {
                f64::NAN
            } else {
                of_k.iter().filter(|h| **h).count() as f64 / of_k.len() as f64
            }
        })
        .collect();
    (hits as f64 / predicted.len().max(1) as f64, per_class)
}
