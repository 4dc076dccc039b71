//! `ngvm bench` end to end on the smallest workload: the table, `results.json` with
//! images/s, and the PyTorch comparison path driven by stand-in scripts (the real
//! `bench/pytorch/bench.py` needs torch and is never part of the suite).

use std::path::Path;
use std::process::{Command, Output};

fn bench(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args([
            "bench",
            "--workload",
            "mlp-fashion",
            "--steps",
            "2",
            "--warmup",
            "1",
        ])
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn results(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap()
}

/// A stand-in for bench.py that prints `line` (run by `sh`).
fn fake_torch(dir: &Path, body: &str) -> String {
    let script = dir.join("fake.sh");
    std::fs::write(&script, body).unwrap();
    script.display().to_string()
}

#[test]
fn bench_writes_results_and_compares_with_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let output = bench(&out, &[]);
    assert!(output.status.success(), "{output:?}");
    let r = results(&out);
    let w = &r["workloads"][0];
    assert_eq!(w["workload"], "mlp-fashion");
    assert_eq!(w["parameters"], 235_146);
    assert!(w["images_per_second"].as_f64().unwrap() > 0.0);
    assert!(w.get("ratio").is_none());
    assert!(r["machine"]["threads"].as_u64().unwrap() >= 1);
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("| mlp-fashion | flex | 128 | 235146 |"), "{md}");

    // A reference at 1,000 images/s with the same parameter count: a ratio.
    let script = fake_torch(
        dir.path(),
        r#"echo '{"workload": "mlp-fashion", "images_per_second": 1000.0, "torch": "fake", "parameters": 235146}'"#,
    );
    let output = bench(
        &out,
        &[
            "--compare",
            "torch",
            "--python",
            "sh",
            "--torch-script",
            &script,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let w = &results(&out)["workloads"][0];
    let ratio = w["ratio"].as_f64().unwrap();
    let ours = w["images_per_second"].as_f64().unwrap();
    assert!((ratio - ours / 1000.0).abs() < 1e-9);
    assert_eq!(w["torch_images_per_second"], 1000.0);

    // A reference model of another size is not compared.
    let script = fake_torch(
        dir.path(),
        r#"echo '{"workload": "mlp-fashion", "images_per_second": 1000.0, "torch": "fake", "parameters": 7}'"#,
    );
    let output = bench(
        &out,
        &[
            "--compare",
            "torch",
            "--python",
            "sh",
            "--torch-script",
            &script,
        ],
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("not the same model"), "{log}");
    assert!(results(&out)["workloads"][0].get("ratio").is_none());

    // --batch: ours at that batch, and the reference asked for the same batch on its
    // device (the script fails on any other arguments).
    let script = fake_torch(
        dir.path(),
        r#"case "$*" in
  *"--device cpu"*"--batch 16"*) echo '{"workload": "mlp-fashion", "images_per_second": 1000.0, "torch": "fake", "parameters": 235146}' ;;
  *) echo "unexpected arguments: $*" >&2; exit 1 ;;
esac"#,
    );
    let output = bench(
        &out,
        &[
            "--batch",
            "16",
            "--compare",
            "torch",
            "--python",
            "sh",
            "--torch-script",
            &script,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let w = &results(&out)["workloads"][0];
    assert_eq!(w["batch"], 16, "{w}");
    assert_eq!(w["torch_images_per_second"], 1000.0, "{w}");

    // No torch (the script's exit code 3): a message, and the bench still succeeds.
    let script = fake_torch(dir.path(), "exit 3");
    let output = bench(
        &out,
        &[
            "--compare",
            "torch",
            "--python",
            "sh",
            "--torch-script",
            &script,
        ],
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("pip install torch"), "{log}");
}

#[test]
fn an_unknown_workload_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["bench", "--workload", "resnet-9000", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        log.contains("resnet-9000") && log.contains("cnn-fashion"),
        "{log}"
    );
}

#[test]
fn conv_layers_are_timed_and_set_beside_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    // The reference times the first layer at 5 / 10 / 2 ms and knows no other.
    let script = fake_torch(
        dir.path(),
        r#"echo '{"layer": "cnn-fashion conv2", "forward_ms": 5.0, "step_ms": 10.0, "weight_grad_ms": 2.0}'"#,
    );
    let output = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(["bench", "--workload", "conv-layers", "--steps", "1"])
        .args(["--warmup", "0", "--compare", "torch", "--python", "sh"])
        .args(["--torch-script", &script])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let r = results(&out);
    let layers = r["conv_layers"].as_array().unwrap();
    assert_eq!(layers.len(), 7);
    let first = &layers[0];
    assert_eq!(first["layer"], "cnn-fashion conv2");
    assert_eq!(first["shape"], "32->64 at 14x14, batch 128");
    for part in ["forward_ms", "step_ms", "weight_grad_ms"] {
        assert!(first["ours"][part].as_f64().unwrap() > 0.0, "{part}");
    }
    assert_eq!(first["torch"]["step_ms"], 10.0);
    assert!(layers[1].get("torch").is_none());
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(
        md.contains("| cnn-fashion conv2 | 32->64 at 14x14, batch 128 | flex |"),
        "{md}"
    );
    assert!(md.contains(" 5.0 / 10.0 / 2.0 |"), "{md}");
    assert!(!md.contains("| workload |"), "no empty step table: {md}");
}

/// The Fashion-MNIST CNN trained by the experiment itself (a smoke run: 256 images, one
/// epoch) beside a stand-in reference that reaches the target after 3 s: both sides in the
/// table and the JSON, the figure written. Needs the real data (`NGVM_TEST_DATA`).
#[test]
fn time_to_accuracy_sets_our_training_beside_the_reference() {
    let Some(data) = test_support::real_data("fashion-mnist", "the time-to-accuracy table") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let script = fake_torch(
        dir.path(),
        r#"case "$*" in
  *"--time-to-accuracy"*"--epochs 1"*"--limit 256"*) echo '{"epoch": 1, "train_seconds": 3.0, "test_accuracy": 0.92}' ;;
  *) echo "unexpected arguments: $*" >&2; exit 1 ;;
esac"#,
    );
    let output = Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args([
            "bench",
            "--workload",
            "time-to-accuracy",
            "--tta-epochs",
            "1",
        ])
        .args(["--tta-limit", "256", "--compare", "torch", "--python", "sh"])
        .args(["--torch-script", &script])
        .arg("--data-dir")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("time_to_accuracy.json")).unwrap())
            .unwrap();
    let ours = &report["ours"][0];
    assert_eq!(ours["epoch"], 1);
    assert!(ours["train_seconds"].as_f64().unwrap() > 0.0, "{report}");
    let accuracy = ours["test_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{report}");
    assert_eq!(report["torch"][0]["train_seconds"], 3.0);
    let md = std::fs::read_to_string(out.join("time_to_accuracy.md")).unwrap();
    assert!(md.contains("3.0 s (epoch 1)"), "{md}");
    assert!(out.join("time_to_accuracy.png").is_file());
    // `results.md` is not touched when time-to-accuracy is the only workload named.
    assert!(!out.join("results.md").exists());
}
