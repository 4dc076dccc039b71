//! Batching an [`ImageDataset`] into burn tensors: float images normalised per channel, and
//! integer labels. Also burn's `Dataset` trait, so burn's own loaders can read the sets.

use super::ImageDataset;
use burn::data::dataset::Dataset;
use burn::prelude::*;

/// Per-channel normalisation: `x = (pixel / 255 - mean) / std`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normalization {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Normalization {
    /// Pixels scaled to [0, 1] only (what generative models and plots want).
    pub fn unit(channels: usize) -> Self {
        Self {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// Pixels scaled to [-1, 1] (GAN and diffusion convention).
    pub fn symmetric(channels: usize) -> Self {
        Self {
            mean: vec![0.5; channels],
            std: vec![0.5; channels],
        }
    }

    /// Mean and standard deviation measured on a (training) set.
    pub fn fit(dataset: &ImageDataset) -> Self {
        let (mean, std) = dataset.channel_stats();
        let std = std
            .into_iter()
            .map(|s| if s > 1e-6 { s } else { 1.0 })
            .collect();
        Self { mean, std }
    }

    /// Normalises one CHW u8 image into `out` (f32, same length).
    pub fn apply(&self, chw: &[u8], out: &mut [f32]) {
        let plane = chw.len() / self.mean.len().max(1);
        for (c, (values, outs)) in chw.chunks(plane).zip(out.chunks_mut(plane)).enumerate() {
            let (m, s) = (self.mean[c], self.std[c]);
            for (v, o) in values.iter().zip(outs.iter_mut()) {
                *o = (*v as f32 / 255.0 - m) / s;
            }
        }
    }

    /// Maps normalised values back to [0, 1] (for drawing).
    pub fn invert(&self, values: &mut [f32]) {
        let plane = values.len() / self.mean.len().max(1);
        for (c, chunk) in values.chunks_mut(plane.max(1)).enumerate() {
            let (m, s) = (self.mean[c % self.mean.len()], self.std[c % self.std.len()]);
            chunk
                .iter_mut()
                .for_each(|v| *v = (*v * s + m).clamp(0.0, 1.0));
        }
    }
}

/// The images at `indices` as a `[batch, channels, height, width]` float tensor.
pub fn batch_images(
    dataset: &ImageDataset,
    indices: &[usize],
    norm: &Normalization,
    device: &Device,
) -> Tensor<4> {
    let shape = dataset.shape;
    let mut values = vec![0f32; indices.len() * shape.len()];
    for (&index, out) in indices.iter().zip(values.chunks_exact_mut(shape.len())) {
        norm.apply(dataset.image(index), out);
    }
    Tensor::from_data(
        TensorData::new(
            values,
            [indices.len(), shape.channels, shape.height, shape.width],
        ),
        device,
    )
}

/// Generated images `[n, c, h, w]` with values in [-1, 1] (a generator's tanh, a diffusion
/// sample) as an unlabelled 8-bit data set, rounded as a saved picture would be: what
/// classifiers and feature networks are then given.
pub fn dataset_from_symmetric(images: Tensor<4>) -> ImageDataset {
    let [_, c, h, w] = images.dims();
    let values = images
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default();
    ImageDataset {
        pixels: values
            .iter()
            .map(|v| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
            .collect(),
        labels: None,
        shape: super::ImageShape::new(c, h, w),
        class_names: vec![],
        source: "generated".into(),
    }
}

/// The labels at `indices` as a `[batch]` integer tensor (zeros for an unlabelled set).
pub fn batch_labels(dataset: &ImageDataset, indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let labels: Vec<i64> = indices
        .iter()
        .map(|&i| dataset.label(i).unwrap_or(0) as i64)
        .collect();
    Tensor::from_data(TensorData::new(labels, [indices.len()]), device)
}

/// Indices `0..n` shuffled by a seed: the data order of one epoch.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    let mut indices: Vec<usize> = (0..n).collect();
    indices.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    indices
}

use rand::SeedableRng;

/// One item as burn's data pipeline sees it: CHW pixels and the label.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageItem {
    pub pixels: Vec<u8>,
    pub label: Option<usize>,
}

impl Dataset<ImageItem> for ImageDataset {
    fn get(&self, index: usize) -> Result<ImageItem, burn::data::dataset::DatasetError> {
        Ok(ImageItem {
            pixels: self.image(index).to_vec(),
            label: self.label(index),
        })
    }

    fn len(&self) -> usize {
        ImageDataset::len(self)
    }
}
