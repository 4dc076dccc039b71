//! The cnn binary: help, a quick run that learns (synthetic stand-in), missing CIFAR-100.

use std::process::Command;

fn cnn() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cnn"));
    cmd.env_remove("NGVM_DATA_DIR");
    cmd
}

#[test]
fn help_lists_every_experiment() {
    let out = cnn().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "conv-ops",
        "fashion-mnist",
        "cifar100",
        "pneumonia",
        "augment-gallery",
    ] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn quick_cnn_and_mlp_learn_on_synthetic_shapes() {
    let out = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let result = cnn()
        .args([
            "fashion-mnist",
            "--synthetic",
            "--epochs",
            "3",
            "--limit",
            "800",
        ])
        .args([
            "--data-dir",
            empty.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (dir, s) =
        nn_core::run::newest_summary(out.path(), "cnn/fashion-mnist").expect("a finished run");
    assert_eq!(s["data"]["synthetic"], true);
    let m = &s["metrics"];
    // Ten shape classes: chance is 0.1.
    assert!(m["cnn_test_accuracy"].as_f64().unwrap() > 0.5, "{s}");
    assert!(m["mlp_test_accuracy"].as_f64().unwrap() > 0.3, "{s}");
    assert!(
        m["cnn_params"].as_f64().unwrap() < m["mlp_params"].as_f64().unwrap(),
        "{s}"
    );
    for file in [
        "compare_accuracy.png",
        "cnn/confusion.png",
        "mlp/loss.png",
        "table.md",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
}

#[test]
fn missing_cifar100_says_how_to_get_it() {
    let empty = tempfile::tempdir().unwrap();
    let out = cnn()
        .args([
            "cifar100",
            "--data-dir",
            empty.path().to_str().unwrap(),
            "--out",
            empty.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("cargo xtask download cifar-100"),
        "{stderr}"
    );
}

/// A PneumoniaMNIST file without its `val` arrays: the run must fail naming the split, not
/// choose its threshold on the test split (it once did with `--synthetic`).
#[test]
fn pneumonia_without_a_validation_split_is_refused_not_thresholded_on_test() {
    use nn_core::data::ImageDataset;
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let images = |n: usize| ImageDataset {
        pixels: (0..n * 28 * 28).map(|i| (i * 7 % 251) as u8).collect(),
        labels: Some((0..n).map(|i| (i % 2) as u16).collect()),
        shape: nn_core::data::ImageShape::new(1, 28, 28),
        class_names: vec!["normal".into(), "pneumonia".into()],
        source: "fixture".into(),
    };
    let (train, test) = (images(40), images(20));
    std::fs::create_dir_all(data.path().join("pneumoniamnist")).unwrap();
    nn_core::data::formats::npz::write_npz(
        &data.path().join("pneumoniamnist/pneumoniamnist.npz"),
        &[("train", &train), ("test", &test)],
    )
    .unwrap();
    let result = cnn()
        .args([
            "pneumonia",
            "--synthetic",
            "--epochs",
            "1",
            "--batch-size",
            "8",
        ])
        .args(["--data-dir", data.path().to_str().unwrap()])
        .args(["--out", out.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        !result.status.success(),
        "ran without a validation split:\n{stderr}"
    );
    assert!(
        stderr.contains("pneumoniamnist.npz") && stderr.contains("val_images"),
        "the error does not name the split:\n{stderr}"
    );
}
