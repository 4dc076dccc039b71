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
    let dir = std::fs::read_dir(out.path().join("transfer/architectures"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
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
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    // At 10 classes ResNet-18 keeps its body (11,176,512) and a 512x10 head.
    assert_eq!(s["metrics"]["resnet18_params"], 11_181_642.0);
    assert!(s["metrics"]["resnet18_forward_ms_32"].as_f64().unwrap() > 0.0);
}
