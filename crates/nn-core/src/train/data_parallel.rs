//! Data-parallel training of a classifier on several devices (`--devices`), through
//! burn-train's `MultiDevicesTrainStep`: each batch is split into one shard per device,
//! each device runs forward and backward on its shard in its own worker thread, the
//! gradients move to the first device (`GradientsParams::to_device`) and are summed there
//! (`GradientsAccumulator`), and one optimiser step follows.
//!
//! Each shard's loss is weighted by its share of the batch, so the summed gradient is the
//! whole batch's mean gradient: N devices train the same model as one device with the
//! same `--batch-size`, up to float rounding. Two things differ, as in PyTorch's
//! DistributedDataParallel: batch-norm statistics are computed per shard, and dropout
//! masks are drawn by each worker. With class weights the shard weighting is by image
//! count, which approximates (not equals) the weighted mean of the whole batch.

use super::ImageClassifier;
use super::model_state::ModelState;
use crate::data::{ImageDataset, Normalization, batch_images, batch_labels};
use crate::error::{Error, Result};
use burn::data::dataloader::{DataLoaderIterator, Progress};
use burn::data::dataset::DatasetError;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::prelude::*;
use burn::train::train::MultiDevicesTrainStep;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};

/// The classifier as one worker's copy: burn-train's step traits live on it.
#[derive(Module, Debug)]
pub struct Replica<M: ImageClassifier> {
    pub model: M,
}

/// One device's share of a batch, already on that device.
pub struct Shard {
    images: Tensor<4>,
    labels: Tensor<1, Int>,
    /// The shard's share of the batch (its images / the batch's images).
    weight: f32,
    class_weights: Option<Vec<f32>>,
}

impl<M: ImageClassifier> Replica<M> {
    fn classify(&self, shard: &Shard) -> (Tensor<1>, ClassificationOutput) {
        let device = shard.images.device();
        let logits = self.model.forward(shard.images.clone());
        let loss = CrossEntropyLossConfig::new()
            .with_weights(shard.class_weights.clone())
            .init(&device)
            .forward(logits.clone(), shard.labels.clone());
        let weighted = loss.clone() * shard.weight;
        let output = ClassificationOutput {
            loss,
            output: logits,
            targets: shard.labels.clone(),
        };
        (weighted, output)
    }
}

impl<M: ImageClassifier> TrainStep for Replica<M> {
    type Input = Shard;
    type Output = ClassificationOutput;

    fn step(&self, shard: Shard) -> TrainOutput<ClassificationOutput> {
        let (weighted, output) = self.classify(&shard);
        TrainOutput::new(self, weighted.backward(), output)
    }
}

impl<M: ImageClassifier> InferenceStep for Replica<M> {
    type Input = Shard;
    type Output = ClassificationOutput;

    fn step(&self, shard: Shard) -> ClassificationOutput {
        self.classify(&shard).1
    }
}

/// A worker's input for one step: its shard, or nothing when the batch had fewer images
/// than there are devices.
struct OneShard(Option<Shard>);

impl Iterator for OneShard {
    type Item = std::result::Result<Shard, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.take().map(Ok)
    }
}

impl DataLoaderIterator<Shard> for OneShard {
    fn progress(&self) -> Progress {
        Progress {
            items_processed: usize::from(self.0.is_none()),
            items_total: 1,
            unit: None,
        }
    }
}

/// What one data-parallel step reports: the batch's mean loss and its correct answers.
pub struct StepFigures {
    pub loss: f64,
    pub correct: usize,
}

/// burn's worker threads, one per training device (autodiff devices; the first is the
/// one the model and the optimiser live on).
pub struct DataParallel<M: ImageClassifier> {
    devices: Vec<Device>,
    workers: MultiDevicesTrainStep<Replica<M>>,
}

impl<M: ImageClassifier> DataParallel<M> {
    pub fn new(devices: Vec<Device>) -> Self {
        let workers = MultiDevicesTrainStep::new(&devices);
        Self { devices, workers }
    }

    /// One optimiser step on the images `indices` of `data`, split across the devices.
    pub fn step(
        &self,
        state: ModelState<M>,
        lr: f64,
        data: &ImageDataset,
        indices: &[usize],
        norm: &Normalization,
        class_weights: &Option<Vec<f32>>,
    ) -> Result<(ModelState<M>, StepFigures)> {
        let per_device = indices.len().div_ceil(self.devices.len()).max(1);
        let mut shards: Vec<Box<dyn DataLoaderIterator<Shard>>> = Vec::new();
        let mut chunks = indices.chunks(per_device);
        for device in &self.devices {
            let shard = chunks.next().map(|chunk| Shard {
                images: batch_images(data, chunk, norm, device),
                labels: batch_labels(data, chunk, device),
                weight: chunk.len() as f32 / indices.len() as f32,
                class_weights: class_weights.clone(),
            });
            shards.push(Box::new(OneShard(shard)));
        }
        let replica = Replica {
            model: state.model.clone(),
        };
        let (outputs, _) = self
            .workers
            .step(&mut shards, &replica)
            .map_err(|e| Error::Other(format!("data-parallel step (--devices): {e}")))?;
        let main = &self.devices[0];
        let mut summed = GradientsAccumulator::new();
        let mut figures = StepFigures {
            loss: 0.0,
            correct: 0,
        };
        for output in outputs {
            let item = output.output.item;
            let n = item.targets.dims()[0];
            figures.loss += item.loss.into_scalar::<f32>() as f64 * n as f64;
            figures.correct += item
                .output
                .argmax(1)
                .flatten::<1>(0, 1)
                .equal(item.targets)
                .int()
                .sum()
                .into_scalar::<i64>() as usize;
            let grads: GradientsParams = output.output.grads.to_device(main, &state.model);
            summed.accumulate(&state.model, grads);
        }
        figures.loss /= indices.len().max(1) as f64;
        Ok((state.apply(lr, summed.grads()), figures))
    }
}
