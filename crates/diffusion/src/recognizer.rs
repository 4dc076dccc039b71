//! The judge of class-conditional samples: the project's own CNN (`nn_core::models::SmallCnn`,
//! trained as a `nn_core::train::Judge`), trained in the run on the real training images. A sample "is recognised"
//! when this classifier gives it the class it was generated for; its accuracy on the real
//! test images is the ceiling to read that rate against.

use burn::prelude::*;
use nn_core::data::ImageDataset;
use nn_core::data::Normalization;
use nn_core::models::CnnSpec;
use nn_core::train::{Judge, JudgeSettings};
use nn_core::{Result, Run};

/// A trained classifier and the normalisation it expects.
pub struct Recognizer {
    pub judge: Judge,
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
        let settings = JudgeSettings {
            stage: "classifier",
            seed_purpose: "classifier",
            spec: CnnSpec {
                channels: vec![32, 64],
                batch_norm: true,
                hidden: 128,
                dropout: 0.3,
            },
            epochs,
            batch_size: 128,
            cosine_decay: true,
            title: "the judge: a CNN classifier on the real images".into(),
        };
        let judge = Judge::train(run, (train, test), Normalization::fit(train), settings)?;
        Ok(Recognizer {
            test_accuracy: judge.test_accuracy,
            judge,
        })
    }

    /// The predicted class of each image of `images` (`[n, c, h, w]` in [-1, 1]), after
    /// rounding to 8 bits as a saved picture would be.
    pub fn classify(&self, images: Tensor<4>) -> Vec<usize> {
        let device = images.device();
        let data = nn_core::data::batch::dataset_from_symmetric(images);
        self.judge.classify(&data, &device)
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
