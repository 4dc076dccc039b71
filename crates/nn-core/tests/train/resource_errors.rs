//! Bad situations a student's own data or machine can produce, each answered with an
//! error that says what is wrong and what to do.

use nn_core::data::Normalization;
use nn_core::data::synthetic::shapes;
use nn_core::models::Mlp;
use nn_core::run::{Run, RunOptions};
use nn_core::train::{ClassifierOptions, OptimizerKind, train_classifier};
use std::path::Path;

fn options(out: &Path) -> RunOptions {
    RunOptions {
        seed: 1,
        data_dir: out.join("no-data"),
        ..RunOptions::new("test/resources", out)
    }
}

#[test]
fn a_classifier_on_one_class_says_it_needs_two() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = Run::open(options(dir.path())).unwrap();
    let mut data = shapes(16, 8, true, 3);
    data.labels = Some(vec![0; 16]);
    let model = Mlp::new(&[64, 4, data.num_classes()], 0.0, &run.train_device());
    let options = ClassifierOptions {
        epochs: 1,
        batch_size: 8,
        lr: 1e-3,
        optimizer: OptimizerKind::Adam.init(),
        normalization: Normalization::unit(1),
        augment: None,
        title: "one class".into(),
        class_weights: None,
        cosine_decay: false,
    };
    let err = train_classifier(&mut run, model, &data, &data, &options)
        .err()
        .expect("one class must be refused");
    let message = err.to_string();
    assert!(
        message.contains("1 class only") && message.contains("at least two"),
        "{message}"
    );
}

#[test]
fn an_output_folder_that_cannot_be_created_is_named_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let mut opts = options(dir.path());
    opts.out = file.join("runs");
    let err = Run::open(opts)
        .err()
        .expect("a path under a file cannot be a folder");
    let message = err.to_string();
    assert!(
        message.contains("cannot create the run directory") && message.contains("--out"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"not a folder",
        "nothing overwritten"
    );
}
