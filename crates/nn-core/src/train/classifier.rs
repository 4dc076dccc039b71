//! The supervised image-classifier path: train any [`ImageClassifier`] on an
//! [`ImageDataset`] through [`fit`](super::fit), evaluate it, and write its curves and
//! confusion matrix. The MLP, CNN and transfer weeks all train through here.

use super::data_parallel::DataParallel;
use super::epoch::EpochContext;
use super::fit::{EpochLog, FitOptions, fit};
use super::model_state::ModelState;
use super::{Evaluation, ImageClassifier, evaluate};
use crate::augment::Pipeline;
use crate::data::{ImageDataset, Normalization, batch_images, batch_labels};
use crate::error::Result;
use crate::run::Run;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;

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
    /// Adam from a fresh state at a constant `lr`, no augmentation, equal class weights:
    /// the course's usual recipe, which an experiment adjusts field by field.
    pub fn adam(
        epochs: usize,
        batch_size: usize,
        lr: f64,
        normalization: Normalization,
        title: impl Into<String>,
    ) -> Self {
        Self {
            epochs,
            batch_size,
            lr,
            optimizer: super::OptimizerKind::Adam.init(),
            normalization,
            augment: None,
            title: title.into(),
            class_weights: None,
            cosine_decay: false,
        }
    }

    /// The same, with the learning rate decaying along a half cosine over the epochs.
    pub fn with_cosine_decay(self) -> Self {
        Self {
            cosine_decay: true,
            ..self
        }
    }

    /// The learning rate of epoch `epoch` (1-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        if !self.cosine_decay || self.epochs <= 1 {
            return self.lr;
        }
        let progress = (epoch - 1) as f64 / self.epochs as f64;
        self.lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
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
    let batch = options.batch_size.max(1);
    let fit_options = FitOptions::new(options.epochs, train.len().div_ceil(batch));
    let mut epochs = ClassifierEpochs::new(run, train, test, options);
    let state = ModelState::new(model, options.optimizer.clone());
    let state = fit(run, &fit_options, state, |state, ctx| {
        epochs.epoch(state, ctx)
    })?;
    let eval_device = &run.device;
    let test_eval = evaluate(
        &state.model,
        test,
        &options.normalization,
        batch * 2,
        eval_device,
    );
    let train_eval = evaluate(
        &state.model,
        train,
        &options.normalization,
        batch * 2,
        eval_device,
    );
    plot_classifier(run, &options.title, &test_eval, &test.class_names)?;
    Ok(TrainedClassifier {
        model: state.model,
        train_accuracy: train_eval.accuracy(),
        train_images_per_second: epochs.images as f64 / epochs.seconds.max(1e-9),
        test: test_eval,
    })
}

/// What the epochs of one classifier's training share, and its throughput so far.
struct ClassifierEpochs<'a, M: ImageClassifier> {
    train: &'a ImageDataset,
    test: &'a ImageDataset,
    options: &'a ClassifierOptions,
    device: Device,
    eval_device: Device,
    loss_fn: CrossEntropyLoss,
    parallel: Option<DataParallel<M>>,
    /// Images trained on and seconds spent on them (evaluation excluded).
    images: usize,
    seconds: f64,
}

impl<'a, M: ImageClassifier> ClassifierEpochs<'a, M> {
    fn new(
        run: &mut Run,
        train: &'a ImageDataset,
        test: &'a ImageDataset,
        options: &'a ClassifierOptions,
    ) -> Self {
        let device = run.train_device();
        let loss_fn = CrossEntropyLossConfig::new()
            .with_weights(options.class_weights.clone())
            .init(&device);
        Self {
            train,
            test,
            options,
            device,
            eval_device: run.device.clone(),
            loss_fn,
            parallel: run.parallel_devices().map(DataParallel::<M>::new),
            images: 0,
            seconds: 0.0,
        }
    }

    /// One epoch: every batch in the epoch's order, then (unless interrupted) the test
    /// evaluation and the epoch's `train` / `test` figures.
    fn epoch(
        &mut self,
        mut state: ModelState<M>,
        ctx: &mut EpochContext,
    ) -> Result<(ModelState<M>, EpochLog)> {
        let order = ctx.data_order(self.train.len());
        let lr = self.options.lr_at(ctx.epoch);
        let started = std::time::Instant::now();
        let mut seen = 0usize;
        let batch = self.options.batch_size.max(1);
        for (b, chunk) in ctx.batches(order.chunks(batch)) {
            seen += chunk.len();
            state = self.batch_step(state, ctx, lr, b, chunk)?;
        }
        let seconds = started.elapsed().as_secs_f64();
        self.images += seen;
        self.seconds += seconds;
        if ctx.interrupted() {
            return Ok((state, EpochLog::new()));
        }
        let eval = evaluate(
            &state.model,
            self.test,
            &self.options.normalization,
            batch * 2,
            &self.eval_device,
        );
        let train_figures = BTreeMap::from([
            (
                "images_per_second".to_string(),
                seen as f64 / seconds.max(1e-9),
            ),
            ("loss".to_string(), ctx.mean_loss()),
            ("lr".to_string(), lr),
            (
                "accuracy".to_string(),
                ctx.sum("correct") / self.train.len().max(1) as f64,
            ),
        ]);
        let test_figures = BTreeMap::from([
            ("loss".to_string(), eval.loss),
            ("accuracy".to_string(), eval.accuracy()),
        ]);
        Ok((
            state,
            vec![("train", train_figures), ("test", test_figures)],
        ))
    }

    /// One optimiser step on the training images `chunk` (augmented when the options say
    /// so, seeded by the epoch and the batch index `b`), on one device or several.
    fn batch_step(
        &self,
        state: ModelState<M>,
        ctx: &mut EpochContext,
        lr: f64,
        b: usize,
        chunk: &[usize],
    ) -> Result<ModelState<M>> {
        let (source, indices): (Cow<ImageDataset>, Vec<usize>) = match &self.options.augment {
            Some(pipeline) => (
                Cow::Owned(pipeline.apply_batch(
                    self.train,
                    chunk,
                    crate::backend::derive_seed(ctx.seed, &format!("aug-{b}")),
                )),
                (0..chunk.len()).collect(),
            ),
            None => (Cow::Borrowed(self.train), chunk.to_vec()),
        };
        let norm = &self.options.normalization;
        if let Some(parallel) = &self.parallel {
            let weights = &self.options.class_weights;
            let (next, figures) = parallel.step(state, lr, &source, &indices, norm, weights)?;
            ctx.add("correct", figures.correct as f64);
            ctx.step(figures.loss)?;
            return Ok(next);
        }
        let images = batch_images(&source, &indices, norm, &self.device);
        let labels = batch_labels(&source, &indices, &self.device);
        let logits = state.model.forward(images);
        let predicted = logits.clone().argmax(1).flatten::<1>(0, 1);
        let hits = predicted
            .equal(labels.clone())
            .int()
            .sum()
            .into_scalar::<i64>();
        ctx.add("correct", hits as f64);
        let loss = self.loss_fn.forward(logits, labels);
        ctx.step(loss.clone().into_scalar::<f32>() as f64)?;
        Ok(state.step(lr, loss))
    }
}

/// The classifier's figures in the run directory: `loss` and `accuracy` curves over the
/// epochs (from `metrics.jsonl`) and the test set's `confusion.png`.
fn plot_classifier(
    run: &mut Run,
    title: &str,
    test_eval: &Evaluation,
    class_names: &[String],
) -> Result<()> {
    let metrics_file = run.path("metrics.jsonl");
    for (name, ylabel) in [("loss", "cross-entropy"), ("accuracy", "accuracy")] {
        for file in crate::viz::plot_metrics_file(
            &metrics_file,
            &run.path(name),
            &format!("{title}: {name}"),
            "epoch",
            &[name],
            ylabel,
        )? {
            run.add_file(&file);
        }
    }
    let confusion = run.path("confusion.png");
    crate::viz::plot_confusion(
        &test_eval.confusion(),
        class_names,
        &format!("{title}: test confusion matrix"),
        &confusion,
    )?;
    run.add_file(&confusion);
    Ok(())
}
