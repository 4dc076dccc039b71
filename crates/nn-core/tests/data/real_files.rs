//! Known facts of the real data sets in `../shared/datasets`; skipped with a printed reason
//! where the folder is absent.

use crate::common::shared_data;
use nn_core::data::{ImageShape, find, verify};

#[test]
fn fashion_mnist_real_files() {
    let Some(dir) = shared_data("fashion-mnist") else {
        return;
    };
    let spec = find("fashion-mnist").unwrap();
    let train = spec.load(&dir, "train").unwrap();
    let test = spec.load(&dir, "test").unwrap();
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    assert_eq!(train.shape, ImageShape::new(1, 28, 28));
    assert_eq!(train.label(0), Some(9));
    assert_eq!(train.class_name(9), "Ankle boot");
    // Fashion-MNIST is balanced: 6,000 per class in train, 1,000 in test.
    assert!(train.class_counts().values().all(|&n| n == 6_000));
    assert!(test.class_counts().values().all(|&n| n == 1_000));
    let report = verify::verify(spec, &dir);
    assert!(report.ok(), "{}", report.line());
    assert!(
        report.notes.iter().any(|n| n == "checksums OK"),
        "{}",
        report.line()
    );
}

#[test]
fn pneumoniamnist_real_file() {
    let Some(dir) = shared_data("pneumoniamnist/pneumoniamnist.npz") else {
        return;
    };
    let spec = find("pneumoniamnist").unwrap();
    let counts: Vec<usize> = ["train", "val", "test"]
        .iter()
        .map(|s| spec.load(&dir, s).unwrap().len())
        .collect();
    assert_eq!(counts, vec![4708, 524, 624]);
    let train = spec.load(&dir, "train").unwrap();
    assert_eq!(train.shape, ImageShape::new(1, 28, 28));
    // MedMNIST's published class counts for the training split: 1,214 normal, 3,494 pneumonia.
    let classes = train.class_counts();
    assert_eq!((classes[&0], classes[&1]), (1_214, 3_494));
    assert!(verify::verify(spec, &dir).ok());
}

#[test]
fn cifar10_shortened_real_files() {
    let Some(dir) = shared_data("cifar-10") else {
        return;
    };
    let spec = find("cifar-10").unwrap();
    let train = spec.load(&dir, "train").unwrap();
    let test = spec.load(&dir, "test").unwrap();
    assert_eq!((train.len(), test.len()), (4_000, 1_000));
    assert_eq!(test.label(0), Some(3));
    assert_eq!(test.class_name(3), "cat");
    assert_eq!(
        train.label(0),
        Some(6),
        "the first CIFAR-10 training image is a frog"
    );
    let report = verify::verify(spec, &dir);
    assert!(report.ok(), "{}", report.line());
    assert!(
        report.line().contains("train 4000 / test 1000"),
        "{}",
        report.line()
    );
}

#[test]
fn cats_real_folder() {
    let Some(dir) = shared_data("cats") else {
        return;
    };
    let spec = find("cats").unwrap();
    let cats = spec.load(&dir, "all").unwrap();
    assert_eq!(cats.len(), 3_000);
    assert_eq!(cats.shape, ImageShape::new(3, 64, 64));
    assert!(cats.labels.is_none());
}

#[test]
fn missing_data_names_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let err = find("fashion-mnist")
        .unwrap()
        .load(dir.path(), "train")
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cargo xtask download fashion-mnist"),
        "{text}"
    );
    let err = find("no-such-set").unwrap_err();
    assert!(
        err.to_string().contains("fashion-mnist"),
        "lists the known names: {err}"
    );
}
