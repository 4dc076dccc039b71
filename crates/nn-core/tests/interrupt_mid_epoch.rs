//! Ctrl-C in the middle of an epoch: the classifier path saves its state as it stands,
//! and `--resume` finishes the epoch from the next batch. The resumed run equals an
//! uninterrupted one, weight for weight and figure for figure, and a damaged
//! `partial.ckpt` falls back to the last finished epoch.
//!
//! Its own test binary: the interrupt request is global to the process.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig};
use burn::prelude::*;
use nn_core::data::Normalization;
use nn_core::data::synthetic::shapes;
use nn_core::models::Mlp;
use nn_core::run::{Run, RunOptions};
use nn_core::train::{
    ClassifierOptions, ImageClassifier, OptimizerKind, interrupt, parameter_values,
    train_classifier,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forward calls so far, and the call at which the model presses Ctrl-C.
static CALLS: AtomicUsize = AtomicUsize::new(0);
static INTERRUPT_AT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// An MLP behind dropout (so the device RNG matters) that requests an interrupt at a
/// chosen forward call.
#[derive(Module, Debug)]
struct Interrupting {
    mlp: Mlp,
    dropout: Dropout,
}

impl ImageClassifier for Interrupting {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        if CALLS.fetch_add(1, Ordering::SeqCst) == INTERRUPT_AT.load(Ordering::SeqCst) {
            interrupt::request();
        }
        self.mlp.forward(self.dropout.forward(images))
    }
}

fn options(out: &Path, resume: Option<PathBuf>) -> RunOptions {
    RunOptions {
        seed: 7,
        resume,
        ..RunOptions::new("test/interrupt", out)
    }
}

/// Trains 2 epochs of 8 batches; the model interrupts at forward call `interrupt_at`.
fn train(run: &mut Run, interrupt_at: usize) -> nn_core::Result<Vec<f32>> {
    CALLS.store(0, Ordering::SeqCst);
    INTERRUPT_AT.store(interrupt_at, Ordering::SeqCst);
    let train = shapes(64, 8, true, 3);
    let test = shapes(32, 8, true, 4);
    let device = run.train_device();
    nn_core::backend::seed_device(&device, 1, "init");
    let model = Interrupting {
        mlp: Mlp::new(&[64, 32, train.num_classes()], 0.0, &device),
        dropout: DropoutConfig::new(0.3).init(),
    };
    let options = ClassifierOptions {
        epochs: 2,
        batch_size: 8,
        lr: 1e-2,
        optimizer: OptimizerKind::Adam.init(),
        normalization: Normalization::unit(1),
        augment: None,
        title: "interrupt".into(),
        class_weights: None,
        cosine_decay: false,
    };
    let trained = train_classifier(run, model, &train, &test, &options)?;
    Ok(parameter_values(&trained.model))
}

/// `(epoch, split, loss, accuracy)` of each line of a run's `metrics.jsonl`.
fn figures(run: &Path) -> Vec<(u64, String, f64, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["epoch"].as_u64().unwrap(),
                v["split"].as_str().unwrap().to_string(),
                v["loss"].as_f64().unwrap(),
                v["accuracy"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn assert_close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst == 0.0, "weights differ by up to {worst}");
}

fn assert_same_figures(a: &Path, b: &Path) {
    let (a, b) = (figures(a), figures(b));
    assert_eq!(a.len(), 4, "{a:?}");
    assert_eq!(a.len(), b.len(), "{a:?}\n{b:?}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.0, &x.1), (y.0, &y.1));
        assert!((x.2 - y.2).abs() < 1e-5, "{x:?} vs {y:?}");
        assert!((x.3 - y.3).abs() < 1e-9, "{x:?} vs {y:?}");
    }
}

/// Runs until the interrupt at forward call `at`; returns the run directory.
fn interrupted_run(out: &Path, at: usize) -> PathBuf {
    let mut run = Run::open(options(out, None)).unwrap();
    run.write_config(&serde_json::json!({"test": "interrupt"}))
        .unwrap();
    let err = train(&mut run, at).expect_err("the run should stop at the interrupt");
    interrupt::clear();
    let message = err.to_string();
    assert!(
        matches!(err, nn_core::Error::Interrupted { .. }),
        "{message}"
    );
    // Epoch 1: 8 training forwards + 2 evaluation batches; call 13 is batch 3 (0-based)
    // of epoch 2, which finishes before the loop stops.
    assert!(
        message.contains("in epoch 2 after 4 of 8 batches"),
        "{message}"
    );
    assert!(
        message.contains(&format!("--resume {}", run.dir.display())),
        "{message}"
    );
    assert!(run.dir.join("checkpoints/partial.ckpt").exists());
    assert!(!run.dir.join("checkpoints/epoch-0002.ckpt").exists());
    run.dir
}

#[test]
fn ctrl_c_mid_epoch_saves_the_state_and_resume_finishes_the_same_run() {
    let out = tempfile::tempdir().unwrap();
    let mut whole = Run::open(options(out.path(), None)).unwrap();
    let expected = train(&mut whole, usize::MAX).unwrap();

    let dir = interrupted_run(out.path(), 13);
    let mut resumed = Run::open(options(out.path(), Some(dir.clone()))).unwrap();
    let weights = train(&mut resumed, usize::MAX).unwrap();
    assert_close(&weights, &expected);
    assert_same_figures(&whole.dir, &dir);
    assert!(
        !dir.join("checkpoints/partial.ckpt").exists(),
        "the finished epoch's checkpoint replaces partial.ckpt"
    );

    // A damaged partial checkpoint: the run resumes from epoch 1's and ends the same.
    let dir = interrupted_run(out.path(), 13);
    let partial = dir.join("checkpoints/partial.ckpt");
    let mut bytes = std::fs::read(&partial).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&partial, bytes).unwrap();
    let mut resumed = Run::open(options(out.path(), Some(dir.clone()))).unwrap();
    let weights = train(&mut resumed, usize::MAX).unwrap();
    assert_close(&weights, &expected);
    assert_same_figures(&whole.dir, &dir);
}
