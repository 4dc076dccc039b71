//! The supervised image-classifier path: train any [`ImageClassifier`] on an
//! [`ImageDataset`] through [`fit`](super::fit), evaluate it, and write its curves and
//! confusion matrix. The MLP, CNN and transfer weeks all train through here.

use super::data_parallel::DataParallel;
use super::fit::{EpochLog, FitOptions, fit};
use super::model_state::ModelState;
use crate::augment::Pipeline;
use crate::data::{ImageDataset, Normalization, batch_images, batch_labels};
use crate::error::Result;
use crate::metrics::{ConfusionMatrix, accuracy, roc_auc, top_k_accuracy};
use crate::run::Run;
use burn::module::{Module, ModuleDisplay};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use std::collections::BTreeMap;

/// A model that maps a `[batch, channels, height, width]` image tensor to
/// `[batch, classes]` logits.
pub trait ImageClassifier: Module + ModuleDisplay + Clone + 'static {
    fn forward(&self, images: Tensor<4>) -> Tensor<2>;
}

/// How to train a classifier.
pub struct ClassifierOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// A fresh optimiser (e.g. `OptimizerKind::Adam.init()` or `sgd(0.9)`).
    pub optimizer: ModuleOptimizer,
    pub normalization: Normalization,
    /// Applied to each training batch (seeded per epoch); `None` for no augmentation.
    pub augment: Option<Pipeline>,
    /// Title prefix of the plots.
    pub title: String,
    /// Per-class weights of the cross-entropy (for unbalanced classes); `None` for equal.
    pub class_weights: Option<Vec<f32>>,
    /// Decay the learning rate over the epochs along a half cosine, from `lr` towards 0
    /// (SGDR without restarts); `false` keeps it constant.
    pub cosine_decay: bool,
}

impl ClassifierOptions {
    /// The learning rate of epoch `epoch` (1-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        if !self.cosine_decay || self.epochs <= 1 {
            return self.lr;
        }
        let progress = (epoch - 1) as f64 / self.epochs as f64;
        self.lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

/// Predictions of a classifier on a data set.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub classes: usize,
    /// Softmax probabilities, row-major `[n, classes]`.
    pub probabilities: Vec<f32>,
    pub predictions: Vec<usize>,
    pub targets: Vec<usize>,
    /// Mean cross-entropy.
    pub loss: f64,
}

impl Evaluation {
    pub fn accuracy(&self) -> f64 {
        accuracy(&self.predictions, &self.targets)
    }

    pub fn top_k(&self, k: usize) -> f64 {
        top_k_accuracy(&self.probabilities, self.classes, &self.targets, k)
    }

    pub fn confusion(&self) -> ConfusionMatrix {
        ConfusionMatrix::new(self.classes, &self.predictions, &self.targets)
    }

    /// ROC-AUC of class 1 against class 0, for binary problems.
    pub fn binary_roc_auc(&self) -> Option<f64> {
        if self.classes != 2 {
            return None;
        }
        let scores: Vec<f32> = self.probabilities.chunks_exact(2).map(|p| p[1]).collect();
        let positives: Vec<bool> = self.targets.iter().map(|&t| t == 1).collect();
        roc_auc(&scores, &positives)
    }

    /// The headline figures under a prefix (`test_accuracy`, `test_top5`, ...).
    pub fn figures(&self, prefix: &str) -> BTreeMap<String, f64> {
        let mut figures = BTreeMap::new();
        figures.insert(format!("{prefix}accuracy"), self.accuracy());
        figures.insert(format!("{prefix}loss"), self.loss);
        figures.insert(format!("{prefix}macro_f1"), self.confusion().macro_f1());
        if self.classes > 5 {
            figures.insert(format!("{prefix}top5"), self.top_k(5));
        }
        if let Some(auc) = self.binary_roc_auc() {
            figures.insert(format!("{prefix}roc_auc"), auc);
        }
        figures
    }
}

/// Runs the model over a data set in batches (no autodiff) and collects its predictions.
pub fn evaluate<M: ImageClassifier>(
    model: &M,
    data: &ImageDataset,
    norm: &Normalization,
    batch_size: usize,
    device: &Device,
) -> Evaluation {
    let model = model.valid();
    let classes = data.num_classes().max(1);
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut probabilities = Vec::with_capacity(data.len() * classes);
    let mut predictions = Vec::with_capacity(data.len());
    let mut targets = Vec::with_capacity(data.len());
    let mut loss_sum = 0.0;
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let images = batch_images(data, chunk, norm, device);
        let labels = batch_labels(data, chunk, device);
        let logits = model.forward(images);
        let loss: f32 = loss_fn.forward(logits.clone(), labels).into_scalar();
        loss_sum += loss as f64 * chunk.len() as f64;
        let probs: Vec<f32> = burn::tensor::activation::softmax(logits, 1)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        for row in probs.chunks_exact(classes) {
            let best =
                row.iter().enumerate().fold(
                    (0, f32::MIN),
                    |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc },
                );
            predictions.push(best.0);
        }
        probabilities.extend_from_slice(&probs);
        targets.extend(chunk.iter().map(|&i| data.label(i).unwrap_or(0)));
    }
    Evaluation {
        classes,
        probabilities,
        predictions,
        targets,
        loss: loss_sum / data.len().max(1) as f64,
    }
}

/// A trained classifier with its final evaluation on the test set.
pub struct TrainedClassifier<M> {
    pub model: M,
    pub test: Evaluation,
    /// Accuracy on the training set at the end (for the overfitting gap).
    pub train_accuracy: f64,
    /// Training throughput: images through forward + backward + update per second,
    /// evaluation excluded (over the epochs this process ran).
    pub train_images_per_second: f64,
}

/// A classifier needs labels of at least two classes to learn anything: say so, naming
/// the data, instead of training a model that always answers the one class.
fn check_classes(train: &ImageDataset) -> Result<()> {
    let Some(labels) = &train.labels else {
        return Err(crate::Error::Other(format!(
            "the training set ({}) has no labels: a classifier needs labelled images (one sub-folder per class)",
            train.source
        )));
    };
    let classes: std::collections::BTreeSet<u16> = labels.iter().copied().collect();
    if classes.len() < 2 {
        return Err(crate::Error::Other(format!(
            "the training set ({}) has images of {} class only: a classifier needs at least two; check its labels or class folders",
            train.source,
            classes.len()
        )));
    }
    Ok(())
}

/// Trains `model` (already on the run's training device) with mini-batch cross-entropy,
/// evaluating on `test` after every epoch; logs `train`/`test` loss and accuracy per epoch,
/// then writes `curves.png/svg` and `confusion.png` into the run directory.
pub fn train_classifier<M: ImageClassifier>(
    run: &mut Run,
    model: M,
    train: &ImageDataset,
    test: &ImageDataset,
    options: &ClassifierOptions,
) -> Result<TrainedClassifier<M>> {
    check_classes(train)?;
    let device = run.train_device();
    let eval_device = run.device.clone();
    let batch = options.batch_size.max(1);
    let fit_options = FitOptions::new(options.epochs, train.len().div_ceil(batch));
    let loss_fn = CrossEntropyLossConfig::new()
        .with_weights(options.class_weights.clone())
        .init(&device);
    let state = ModelState::new(model, options.optimizer.clone());
    let parallel = run.parallel_devices().map(DataParallel::<M>::new);
    let (mut trained_images, mut train_seconds) = (0usize, 0f64);
    let state = fit(run, &fit_options, state, |mut state, ctx| {
        let order = ctx.data_order(train.len());
        let lr = options.lr_at(ctx.epoch);
        let started = std::time::Instant::now();
        let mut seen = 0usize;
        for (b, chunk) in ctx.batches(order.chunks(batch)) {
            let (source, indices): (std::borrow::Cow<ImageDataset>, Vec<usize>) =
                match &options.augment {
                    Some(pipeline) => (
                        std::borrow::Cow::Owned(pipeline.apply_batch(
                            train,
                            chunk,
                            crate::backend::derive_seed(ctx.seed, &format!("aug-{b}")),
                        )),
                        (0..chunk.len()).collect(),
                    ),
                    None => (std::borrow::Cow::Borrowed(train), chunk.to_vec()),
                };
            seen += chunk.len();
            if let Some(parallel) = &parallel {
                let (next, figures) = parallel.step(
                    state,
                    lr,
                    &source,
                    &indices,
                    &options.normalization,
                    &options.class_weights,
                )?;
                state = next;
                ctx.add("correct", figures.correct as f64);
                ctx.step(figures.loss)?;
                continue;
            }
            let images = batch_images(&source, &indices, &options.normalization, &device);
            let labels = batch_labels(&source, &indices, &device);
            let logits = state.model.forward(images);
            let predicted = logits.clone().argmax(1).flatten::<1>(0, 1);
            let hits = predicted
                .equal(labels.clone())
                .int()
                .sum()
                .into_scalar::<i64>();
            ctx.add("correct", hits as f64);
            let loss = loss_fn.forward(logits, labels);
            ctx.step(loss.clone().into_scalar::<f32>() as f64)?;
            state = state.step(lr, loss);
        }
        let seconds = started.elapsed().as_secs_f64();
        trained_images += seen;
        train_seconds += seconds;
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let eval = evaluate(
            &state.model,
            test,
            &options.normalization,
            batch * 2,
            &eval_device,
        );
        let mut train_figures = BTreeMap::new();
        train_figures.insert(
            "images_per_second".to_string(),
            seen as f64 / seconds.max(1e-9),
        );
        train_figures.insert("loss".to_string(), ctx.mean_loss());
        train_figures.insert("lr".to_string(), lr);
        train_figures.insert(
            "accuracy".to_string(),
            ctx.sum("correct") / train.len().max(1) as f64,
        );
        let mut test_figures = BTreeMap::new();
        test_figures.insert("loss".to_string(), eval.loss);
        test_figures.insert("accuracy".to_string(), eval.accuracy());
        let log: EpochLog = vec![("train", train_figures), ("test", test_figures)];
        Ok((state, log))
    })?;
    let test_eval = evaluate(
        &state.model,
        test,
        &options.normalization,
        batch * 2,
        &eval_device,
    );
    let train_eval = evaluate(
        &state.model,
        train,
        &options.normalization,
        batch * 2,
        &eval_device,
    );
    let metrics_file = run.path("metrics.jsonl");
    for file in crate::viz::plot_metrics_file(
        &metrics_file,
        &run.path("loss"),
        &format!("{}: loss", options.title),
        "epoch",
        &["loss"],
        "cross-entropy",
    )? {
        run.add_file(&file);
    }
    for file in crate::viz::plot_metrics_file(
        &metrics_file,
        &run.path("accuracy"),
        &format!("{}: accuracy", options.title),
        "epoch",
        &["accuracy"],
        "accuracy",
    )? {
        run.add_file(&file);
    }
    let confusion = run.path("confusion.png");
    crate::viz::plot_confusion(
        &test_eval.confusion(),
        &test.class_names,
        &format!("{}: test confusion matrix", options.title),
        &confusion,
    )?;
    run.add_file(&confusion);
    Ok(TrainedClassifier {
        model: state.model,
        train_accuracy: train_eval.accuracy(),
        train_images_per_second: trained_images as f64 / train_seconds.max(1e-9),
        test: test_eval,
    })
}
