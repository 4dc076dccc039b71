//! `--devices`: data-parallel training of a classifier through burn-train's multi-device
//! step, here on two CPU devices. Each batch is split and each shard's loss weighted by
//! its share, so two devices must train the same model as one.

use nn_core::data::Normalization;
use nn_core::data::synthetic::shapes;
use nn_core::models::Mlp;
use nn_core::run::{Run, RunOptions};
use nn_core::train::{ClassifierOptions, OptimizerKind, parameter_values, train_classifier};
use std::path::Path;

fn options(out: &Path) -> RunOptions {
    RunOptions {
        seed: 3,
        ..RunOptions::new("test/devices", out)
    }
}

/// Trains 2 epochs on 60 images in batches of 7 (shards of 4 + 3, and a last batch of
/// 2 + 2); returns the weights, the test accuracy and the summary's notes.
fn train(out: &Path, model: Mlp, devices: &[usize]) -> (Vec<f32>, f64, Vec<String>) {
    let mut run = Run::open(options(out)).unwrap();
    run.set_devices(devices).unwrap();
    let train = shapes(60, 8, true, 5);
    let test = shapes(30, 8, true, 6);
    let options = ClassifierOptions {
        epochs: 2,
        batch_size: 7,
        lr: 1e-2,
        optimizer: OptimizerKind::Adam.init(),
        normalization: Normalization::unit(1),
        augment: None,
        title: "devices".into(),
        class_weights: None,
        cosine_decay: false,
    };
    let trained = train_classifier(&mut run, model, &train, &test, &options).unwrap();
    let notes = run.summary(2, Default::default()).notes;
    (
        parameter_values(&trained.model),
        trained.test.accuracy(),
        notes,
    )
}

#[test]
fn two_cpu_devices_train_the_same_model_as_one() {
    let out = tempfile::tempdir().unwrap();
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    let model = Mlp::new(&[64, 24, shapes(1, 8, true, 5).num_classes()], 0.0, &device);
    let (one, one_accuracy, one_notes) = train(out.path(), model.clone(), &[]);
    let (two, two_accuracy, two_notes) = train(out.path(), model, &[0, 1]);
    assert_eq!(one.len(), two.len());
    let moved = one
        .iter()
        .zip(&two)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(moved < 1e-5, "weights differ by up to {moved}");
    assert_eq!(one_accuracy, two_accuracy);
    assert!(one_notes.iter().all(|n| !n.contains("--devices")));
    assert!(
        two_notes
            .iter()
            .any(|n| n == "trained data-parallel on 2 devices (--devices)"),
        "{two_notes:?}"
    );
}
