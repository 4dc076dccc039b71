//! The transfer binary: the architectures table from a small run.

use std::process::Command;

#[test]
fn architectures_table_at_32_pixels() {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("small.toml");
    std::fs::write(&config, "sides = [32]\nclasses = 10\n").unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_transfer"))
        .args([
            "architectures",
            "--config",
            config.to_str().unwrap(),
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
        nn_core::run::newest_summary(out.path(), "transfer/architectures").expect("a finished run");
    let table = std::fs::read_to_string(dir.join("architectures.md")).unwrap();
    for name in [
        "VGG-19",
        "VGG-19 (BN)",
        "ResNet-18",
        "ResNet-34",
        "GoogLeNet",
    ] {
        assert!(table.contains(&format!("| {name}")), "{table}");
    }
    assert!(
        table.contains("| 4e | 528 | 256 | 160 -> 320 | 32 -> 128 | 128 | 832 |"),
        "{table}"
    );
    // At 10 classes ResNet-18 keeps its body (11,176,512) and a 512x10 head.
    assert_eq!(s["metrics"]["resnet18_params"], 11_181_642.0);
    assert!(s["metrics"]["resnet18_forward_ms_32"].as_f64().unwrap() > 0.0);
}

/// The assignment's stages end to end on synthetic stand-ins (the real run is an
/// experiment): every figure the summary promises is there, and the weights are named.
#[test]
fn vgg19_cifar10_reports_every_stage() {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("tiny.toml");
    std::fs::write(
        &config,
        "weights = \"own\"\ntrain_size = 64\ntest_size = 32\nbatch_size = 32\nwidth_divisor = 32\nhidden = 16\npretrain_size = 64\n",
    )
    .unwrap();
    let empty = tempfile::tempdir().unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_transfer"))
        .args(["vgg19-cifar10", "--synthetic", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(empty.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (dir, s) =
        nn_core::run::newest_summary(out.path(), "transfer/vgg19-cifar10").expect("a finished run");
    for key in [
        "before_training_test_accuracy",
        "feature_extraction_test_accuracy",
        "fine_tune_last_block_test_accuracy",
        "fine_tune_test_accuracy",
        "scratch_test_accuracy",
        "pretrain_test_accuracy",
    ] {
        let v = s["metrics"][key].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    let notes = s["notes"].to_string();
    assert!(notes.contains("our own, not ImageNet"), "{notes}");
    assert!(dir.join("transfer_vs_scratch.png").exists());
}
