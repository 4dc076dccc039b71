//! What the classifier path trains: any model from images to class logits.

use burn::module::{Module, ModuleDisplay};
use burn::prelude::*;

/// A model that maps images to class logits.
pub trait ImageClassifier: Module + ModuleDisplay + Clone + 'static {
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, classes]` logits
    fn forward(&self, images: Tensor<4>) -> Tensor<2>;
}
